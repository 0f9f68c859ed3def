//! Each SLO's alert windows, and the burn-rate thresholds drawn from them. The windows are the
//! recorded ones (`slokit:burn_rate_threshold:factor`, what the SLO's alerts really use), or, for
//! rules written before that series existed, the default tiers for the SLO's period.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use slokit_conventions::duration::Duration;
use slokit_conventions::{
    LABEL_LONG_WINDOW, LABEL_SEVERITY, LABEL_SHORT_WINDOW, SERIES_BURN_RATE_THRESHOLD,
    SERIES_PERIOD,
};
use slokit_wire::Sample;

use super::{name_regex_selector, Identity};
use crate::query::{QueryError, Selection};
use crate::upstream::Upstream;

/// One window pair of an SLO's alert tier: its severity, windows and burn-rate factor.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertWindow {
    pub severity: String,
    pub long_window: String,
    pub short_window: String,
    pub factor: f64,
}

/// Where an SLO's alert windows came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierSource {
    /// `slokit:burn_rate_threshold:factor`: what the SLO's alerts really use.
    Recorded,
    /// The default tiers for the SLO's period, for rules without the threshold series.
    Default,
}

impl TierSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TierSource::Recorded => "recorded",
            TierSource::Default => "default",
        }
    }
}

/// The recorded threshold series by SLO, in the order of the answer.
fn recorded_alert_windows(samples: &[Sample]) -> BTreeMap<Identity, Vec<AlertWindow>> {
    let mut out: BTreeMap<Identity, Vec<AlertWindow>> = BTreeMap::new();
    for sample in samples {
        if sample.labels.get("__name__").map(String::as_str) != Some(SERIES_BURN_RATE_THRESHOLD) {
            continue;
        }
        let label = |name: &str| sample.labels.get(name).cloned().unwrap_or_default();
        out.entry(Identity::of(&sample.labels))
            .or_default()
            .push(AlertWindow {
                severity: label(LABEL_SEVERITY),
                long_window: label(LABEL_LONG_WINDOW),
                short_window: label(LABEL_SHORT_WINDOW),
                factor: sample.value,
            });
    }
    for windows in out.values_mut() {
        windows.sort_by(|a, b| {
            (b.factor.total_cmp(&a.factor))
                .then_with(|| a.severity.cmp(&b.severity))
                .then_with(|| a.long_window.cmp(&b.long_window))
        });
    }
    out
}

/// A recorded `slokit:period:seconds` as a period, if it is one: a positive, finite number of
/// seconds up to ten years. The series is Prometheus's to serve, and a NaN or +Inf there (a
/// hand-written rule, a broken remote store) must not reach the duration arithmetic, which would
/// overflow.
pub(super) fn period_from_seconds(seconds: f64) -> Option<Duration> {
    const TEN_YEARS: f64 = 10.0 * 366.0 * 86_400.0;
    (seconds.is_finite() && seconds > 0.0 && seconds <= TEN_YEARS)
        .then(|| Duration::from_millis((seconds * 1000.0).round() as u64))
}

/// The default alert tiers for a period, as the generator derives them
/// ([`slokit_conventions::default_windows`], factors never below 1), highest factor first.
pub fn default_alert_windows(period_seconds: f64) -> Vec<AlertWindow> {
    let Some(period) = period_from_seconds(period_seconds) else {
        return Vec::new();
    };
    let mut windows: Vec<AlertWindow> = slokit_conventions::default_windows(period)
        .into_iter()
        .map(|w| AlertWindow {
            severity: w.severity.to_string(),
            long_window: w.long.to_string(),
            short_window: w.short.to_string(),
            factor: w.factor,
        })
        .collect();
    windows.sort_by(|a, b| b.factor.total_cmp(&a.factor));
    windows
}

/// An SLO's alert windows: the recorded ones, or, only when the SLO has no threshold series
/// (rules written by a slokit from before `slokit:burn_rate_threshold:factor`), the default tiers
/// derived from its period. An SLO whose alerting is disabled has no threshold series either and
/// so also gets the defaults drawn; the series carry nothing that tells the two cases apart.
pub fn alert_windows(
    recorded: Option<&Vec<AlertWindow>>,
    period_seconds: Option<f64>,
) -> (Vec<AlertWindow>, TierSource) {
    match (recorded, period_seconds) {
        (Some(windows), _) if !windows.is_empty() => (windows.clone(), TierSource::Recorded),
        (_, Some(period)) => (default_alert_windows(period), TierSource::Default),
        _ => (Vec::new(), TierSource::Default),
    }
}

/// Threshold steps for a burn-rate field: one per distinct factor, ascending, red for the
/// severity of the highest factor (the most urgent tier) and orange for the others.
pub(super) fn burn_threshold_steps(windows: &[AlertWindow]) -> Vec<Value> {
    let urgent = windows
        .iter()
        .max_by(|a, b| a.factor.total_cmp(&b.factor))
        .map(|w| w.severity.as_str());
    let mut factors: Vec<(f64, bool)> = Vec::new();
    for window in windows {
        let is_urgent = Some(window.severity.as_str()) == urgent;
        match factors
            .iter_mut()
            .find(|(f, _)| (f - window.factor).abs() < 1e-9)
        {
            Some((_, red)) => *red |= is_urgent,
            None => factors.push((window.factor, is_urgent)),
        }
    }
    factors.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut steps = vec![json!({"value": null, "color": "green"})];
    for (factor, red) in factors {
        let color = if red { "red" } else { "orange" };
        steps.push(json!({"value": factor, "color": color}));
    }
    steps
}

/// The recorded alert windows and periods of the selected SLOs, in one query.
pub async fn fetch_alert_windows(
    upstream: &Upstream,
    selection: &Selection,
    time: f64,
) -> Result<BTreeMap<Identity, (Vec<AlertWindow>, TierSource)>, QueryError> {
    let samples = upstream
        .instant(
            &name_regex_selector(&[SERIES_PERIOD, SERIES_BURN_RATE_THRESHOLD], selection),
            time,
        )
        .await?;
    let recorded = recorded_alert_windows(&samples);
    let mut out = BTreeMap::new();
    for sample in &samples {
        if sample.labels.get("__name__").map(String::as_str) != Some(SERIES_PERIOD) {
            continue;
        }
        let identity = Identity::of(&sample.labels);
        let windows = alert_windows(recorded.get(&identity), Some(sample.value));
        out.insert(identity, windows);
    }
    // An SLO with thresholds but no period series yet still shows its thresholds.
    for (identity, windows) in recorded {
        out.entry(identity)
            .or_insert((windows, TierSource::Recorded));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_or_absurd_periods_are_not_periods() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -1.0, 1e300] {
            assert_eq!(period_from_seconds(bad), None, "{bad}");
            assert!(default_alert_windows(bad).is_empty(), "{bad}");
        }
        assert_eq!(
            period_from_seconds(2_592_000.0),
            Some(Duration::from_days(30))
        );
    }

    fn window(severity: &str, factor: f64) -> AlertWindow {
        AlertWindow {
            severity: severity.into(),
            long_window: "1h".into(),
            short_window: "5m".into(),
            factor,
        }
    }

    fn step_values(steps: &[Value]) -> Vec<(f64, &str)> {
        steps
            .iter()
            .filter_map(|s| Some((s["value"].as_f64()?, s["color"].as_str()?)))
            .collect()
    }

    #[test]
    fn default_tiers_are_the_generator_s() {
        let factors = |period: f64| -> Vec<f64> {
            default_alert_windows(period)
                .iter()
                .map(|w| (w.factor * 1000.0).round() / 1000.0)
                .collect()
        };
        assert_eq!(factors(30.0 * 86_400.0), vec![14.4, 6.0, 3.0, 1.0]);
        // Ticket factors of short periods are never below 1, as the generator writes them.
        assert_eq!(factors(7.0 * 86_400.0), vec![3.36, 1.4, 1.0, 1.0]);
    }

    #[test]
    fn recorded_thresholds_win_and_defaults_are_a_fallback() {
        let recorded = vec![window("critical", 10.0), window("warning", 4.0)];
        let (windows, source) = alert_windows(Some(&recorded), Some(30.0 * 86_400.0));
        assert_eq!((windows, source), (recorded.clone(), TierSource::Recorded));
        let (windows, source) = alert_windows(None, Some(30.0 * 86_400.0));
        assert_eq!(source, TierSource::Default);
        assert_eq!(windows.len(), 4);
        assert_eq!(alert_windows(None, None), (Vec::new(), TierSource::Default));

        let steps = burn_threshold_steps(&recorded);
        assert_eq!(steps[0]["value"], Value::Null);
        assert_eq!(step_values(&steps), vec![(4.0, "orange"), (10.0, "red")]);
        // A factor two severities share is drawn once, red when the urgent tier has it.
        let steps = burn_threshold_steps(&[
            window("page", 3.36),
            window("page", 1.0),
            window("ticket", 1.0),
        ]);
        assert_eq!(step_values(&steps), vec![(1.0, "red"), (3.36, "red")]);
    }
}
