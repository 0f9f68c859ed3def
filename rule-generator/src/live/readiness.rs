//! Whether an SLO may move to the next phase of its progressive plan: the current phase's
//! measurable success criteria checked against live data, and what blocks advancing.
//!
//! The criteria, for the phase in force:
//! - **SLI**: the SLI over the SLO's period is at least the phase's target.
//! - **p95 / p99 latency**: `histogram_quantile` over the latency SLI's histogram across the period
//!   is at most the phase's `latencyP95` / `latencyP99`. Ratio, threshold and raw SLIs have no
//!   histogram: "not measured", which does not block (the phase's targets still apply, as words).
//! - **variability**: the standard deviation of the daily SLI over the period is at most the
//!   phase's error budget (`1 - target`). A day-to-day swing wider than the whole budget means the
//!   SLI is not yet predictable enough to tighten.
//! - **pages**: no alert of the SLO's most urgent tier (`page` by default, whatever the spec names
//!   it) started firing in the last 30 days (counted from Prometheus's `ALERTS` history, one per
//!   start).
//! - **duration**: the phase has lasted its `duration` since `starts` (not measured without
//!   `starts`).
//!
//! A criterion with no data makes the verdict `Unknown`, never `Ready`. The phase's written
//! `criteria` are listed for people to confirm; slokit cannot check words.

use crate::conventions::{
    identity_labels, window_rate, ALERT_STATE_FIRING, DEFAULT_TIERS, LABEL_ALERT_STATE,
    LABEL_BUCKET, LABEL_PRODUCT, LABEL_SEVERITY, LABEL_SLO, SERIES_ALERTS, SERIES_BAD,
    SERIES_TOTAL,
};
use crate::duration::Duration;
use crate::live::budget::{self, Key, SloStatus};
use crate::live::policy::percent;
use crate::live::prometheus_api::{ApiError, Client};
use crate::model::{Date, Indicator, Phase, Selector, Slo};
use crate::promql::{quote, regex_escape, render_selector};
use crate::render::rules::histogram_base;
use std::collections::{BTreeMap, BTreeSet};

/// How far back pages are counted.
pub const PAGE_LOOKBACK: Duration = Duration::from_days(30);

/// The window of the daily SLI whose spread is measured.
const DAY: Duration = Duration::from_days(1);

/// Live measurements beyond the budget figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurements {
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub daily_sli_stddev: Option<f64>,
    /// Page incidents in the last 30 days; `None` when the query had no answer.
    pub pages: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Met,
    NotMet,
    /// The SLI cannot measure it (no histogram, no start date); does not block.
    NotMeasured,
    /// The data that would measure it is missing; the verdict cannot be `Ready`.
    NoData,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Met => "met",
            Check::NotMet => "not met",
            Check::NotMeasured => "not measured",
            Check::NoData => "no data",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    pub name: String,
    pub measured: String,
    pub target: String,
    pub check: Check,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    NotReady,
    Unknown,
    /// The SLO has no `phases`.
    NoPhases,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::NotReady => "not ready",
            Verdict::Unknown => "unknown",
            Verdict::NoPhases => "no phases",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Readiness {
    pub phase: Option<String>,
    pub next: Option<String>,
    pub criteria: Vec<Criterion>,
    /// The phase's written criteria, for people to confirm.
    pub agreed: Vec<String>,
    pub verdict: Verdict,
    /// One line per unmet or unknown criterion.
    pub blockers: Vec<String>,
}

/// `histogram_quantile` over the SLI's histogram across `window`, or `None` for SLIs without one.
pub fn quantile_query(slo: &Slo, quantile: f64, window: Duration) -> Option<String> {
    let Indicator::Latency(latency) = &slo.indicator else {
        return None;
    };
    Some(if latency.native {
        format!(
            "histogram_quantile({quantile}, sum(rate({}[{window}])))",
            render_selector(&latency.histogram, &[])
        )
    } else {
        let bucket = Selector {
            metric: format!("{}_bucket", histogram_base(&latency.histogram.metric)),
            matchers: latency.histogram.matchers.clone(),
        };
        format!(
            "histogram_quantile({quantile}, sum by ({LABEL_BUCKET}) (rate({}[{window}])))",
            render_selector(&bucket, &[])
        )
    })
}

/// The spread of the daily SLI over `period`, for every selected SLO with that period. A day is
/// read as every reader reads a window ([`crate::conventions::window_rate`]).
pub fn variability_query(matcher: &str, period: Duration) -> String {
    let identity = identity_labels();
    let select = |name: &str| format!("{name}{{{matcher}}}");
    let bad = window_rate(SERIES_BAD, DAY, select);
    let total = window_rate(SERIES_TOTAL, DAY, select);
    format!(
        "stddev_over_time((1 - sum by ({identity}) ({bad}) / (sum by ({identity}) ({total}) > 0))[{period}:{DAY}])"
    )
}

/// Page incidents per SLO over [`PAGE_LOOKBACK`]: the minutes at which a firing page alert exists
/// and did not exist a minute earlier, i.e. one per start. A page is an alert of an SLO's most
/// urgent tier, whatever the spec calls it (`page` by default, `critical` in the customers' specs).
pub fn pages_query(matcher: &str, page_severities: &[&str]) -> String {
    let mut severities: Vec<String> = page_severities.iter().map(|s| regex_escape(s)).collect();
    severities.sort();
    severities.dedup();
    if severities.is_empty() {
        severities.push(regex_escape(DEFAULT_TIERS[0].severity));
    }
    let alerts = format!(
        "{SERIES_ALERTS}{{{LABEL_ALERT_STATE}={},{LABEL_SEVERITY}=~{},{matcher}}}",
        quote(ALERT_STATE_FIRING),
        quote(&severities.join("|"))
    );
    format!(
        "sum by ({LABEL_PRODUCT}, {LABEL_SLO}) (count_over_time(({alerts} unless {alerts} offset 1m)[{PAGE_LOOKBACK}:1m]))"
    )
}

/// Measures every selected SLO: one variability query per distinct period, one pages query, and
/// two quantile queries per latency SLO whose phase sets latency targets.
pub fn fetch(
    client: &Client,
    slos: &[&Slo],
    at: Option<f64>,
) -> Result<BTreeMap<Key, Measurements>, ApiError> {
    let mut out: BTreeMap<Key, Measurements> = slos
        .iter()
        .map(|s| (budget::key(s), Measurements::default()))
        .collect();
    if slos.is_empty() {
        return Ok(out);
    }
    let matcher = budget::product_matcher(slos);
    let periods: BTreeSet<Duration> = slos.iter().map(|s| s.period).collect();
    for period in periods {
        let values = budget::by_key(client.query(&variability_query(&matcher, period), at)?);
        for slo in slos.iter().filter(|s| s.period == period) {
            out.get_mut(&budget::key(slo))
                .expect("selected")
                .daily_sli_stddev = values.get(&budget::key(slo)).copied();
        }
    }
    let page_severities: Vec<&str> = slos
        .iter()
        .filter_map(|s| s.alerting.tiers.first())
        .map(|t| t.severity.as_str())
        .collect();
    let pages = budget::by_key(client.query(&pages_query(&matcher, &page_severities), at)?);
    for (key, m) in out.iter_mut() {
        // No `ALERTS` series at all means no page fired: zero, not unknown.
        m.pages = Some(pages.get(key).copied().unwrap_or(0.0));
    }
    for slo in slos {
        let Some(phase) = current_phase(slo) else {
            continue;
        };
        let m = out.get_mut(&budget::key(slo)).expect("selected");
        for (quantile, target, slot) in [
            (0.95, phase.latency_p95, &mut m.p95_ms),
            (0.99, phase.latency_p99, &mut m.p99_ms),
        ] {
            if let (Some(_), Some(query)) = (target, quantile_query(slo, quantile, slo.period)) {
                *slot = client
                    .query(&query, at)?
                    .first()
                    .map(|s| s.value * 1000.0)
                    .filter(|v| v.is_finite());
            }
        }
    }
    Ok(out)
}

pub fn current_phase(slo: &Slo) -> Option<&Phase> {
    slo.phases.as_ref().map(|p| &p.list[p.current])
}

fn millis(ms: f64) -> String {
    format!("{ms:.0} ms")
}

/// The verdict for one SLO from its figures (pure).
pub fn assess(slo: &Slo, status: Option<&SloStatus>, m: &Measurements, today: Date) -> Readiness {
    let Some(phases) = &slo.phases else {
        return Readiness {
            phase: None,
            next: None,
            criteria: vec![],
            agreed: vec![],
            verdict: Verdict::NoPhases,
            blockers: vec![],
        };
    };
    let phase = &phases.list[phases.current];
    let budget = 1.0 - phase.target;
    let mut criteria = Vec::new();
    let sli = status.and_then(|s| s.sli);
    criteria.push(Criterion {
        name: format!("SLI over {}", slo.period),
        measured: sli.map_or("no data".into(), |v| format!("{:.3}%", v * 100.0)),
        target: format!(">= {}", percent(phase.target)),
        check: match sli {
            None => Check::NoData,
            Some(v) if v >= phase.target => Check::Met,
            Some(_) => Check::NotMet,
        },
    });
    let has_histogram = matches!(slo.indicator, Indicator::Latency(_));
    for (name, target, measured) in [
        ("p95 latency", phase.latency_p95, m.p95_ms),
        ("p99 latency", phase.latency_p99, m.p99_ms),
    ] {
        let Some(target) = target else { continue };
        let target_ms = target.millis() as f64;
        let (measured_text, check) = match (has_histogram, measured) {
            (false, _) => (
                "not measured: the SLI has no histogram".to_string(),
                Check::NotMeasured,
            ),
            (true, None) => ("no data".into(), Check::NoData),
            (true, Some(v)) if v <= target_ms => (millis(v), Check::Met),
            (true, Some(v)) => (millis(v), Check::NotMet),
        };
        criteria.push(Criterion {
            name: name.into(),
            measured: measured_text,
            target: format!("<= {}", millis(target_ms)),
            check,
        });
    }
    criteria.push(Criterion {
        name: "daily SLI spread (stddev)".into(),
        measured: m
            .daily_sli_stddev
            .map_or("no data".into(), |v| format!("{:.3}%", v * 100.0)),
        target: format!("<= {} (the error budget)", percent(budget)),
        check: match m.daily_sli_stddev {
            None => Check::NoData,
            Some(v) if v <= budget => Check::Met,
            Some(_) => Check::NotMet,
        },
    });
    criteria.push(Criterion {
        name: format!("page incidents in {PAGE_LOOKBACK}"),
        measured: m.pages.map_or("no data".into(), |v| format!("{v:.0}")),
        target: "0".into(),
        check: match m.pages {
            None => Check::NoData,
            Some(0.0) => Check::Met,
            Some(_) => Check::NotMet,
        },
    });
    if let Some(duration) = phase.duration {
        let days = duration.millis() / Duration::from_days(1).millis();
        let (measured, check) = match phase.starts {
            None => (
                "not measured: `starts` is not set".to_string(),
                Check::NotMeasured,
            ),
            Some(starts) => {
                let elapsed = today.days_since_epoch() - starts.days_since_epoch();
                let check = if elapsed >= days as i64 {
                    Check::Met
                } else {
                    Check::NotMet
                };
                (format!("{elapsed} days since {starts}"), check)
            }
        };
        criteria.push(Criterion {
            name: "time in phase".into(),
            measured,
            target: format!(">= {days} days"),
            check,
        });
    }
    let blockers: Vec<String> = criteria
        .iter()
        .filter(|c| matches!(c.check, Check::NotMet | Check::NoData))
        .map(|c| format!("{}: {} (target {})", c.name, c.measured, c.target))
        .collect();
    let verdict = if criteria.iter().any(|c| c.check == Check::NotMet) {
        Verdict::NotReady
    } else if criteria.iter().any(|c| c.check == Check::NoData) {
        Verdict::Unknown
    } else {
        Verdict::Ready
    };
    Readiness {
        phase: Some(phase.name.clone()),
        next: phases.list.get(phases.current + 1).map(|p| p.name.clone()),
        criteria,
        agreed: phase.criteria.clone(),
        verdict,
        blockers,
    }
}

/// The readiness of several SLOs as text, one block each.
pub fn render_text(items: &[(String, Readiness)]) -> String {
    let mut out = String::new();
    for (name, r) in items {
        let Some(phase) = &r.phase else {
            out.push_str(&format!(
                "{name}: no phases; add `spec.phases` to plan progressive targets (`slo plan` proposes the default ladder)\n"
            ));
            continue;
        };
        let goal = r
            .next
            .as_ref()
            .map_or("(final phase)".to_string(), |n| format!("to move to {n}"));
        out.push_str(&format!(
            "{name}: phase {phase}: {} {goal}\n",
            r.verdict.as_str()
        ));
        for c in &r.criteria {
            out.push_str(&format!(
                "  {:<28} {:<12} {:<12} {}\n",
                c.name,
                c.measured,
                c.target,
                c.check.as_str()
            ));
        }
        for text in &r.agreed {
            out.push_str(&format!("  to confirm by people: {text}\n"));
        }
        for b in &r.blockers {
            out.push_str(&format!("  blocks advancing: {b}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse() {
        let m = r#"slokit_product=~"shop""#;
        for q in [
            variability_query(m, Duration::from_days(30)),
            pages_query(m, &["page"]),
        ] {
            crate::promql::parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        }
        assert_eq!(
            pages_query(m, &["page"]),
            r#"sum by (slokit_product, slokit_slo) (count_over_time((ALERTS{alertstate="firing",severity=~"page",slokit_product=~"shop"} unless ALERTS{alertstate="firing",severity=~"page",slokit_product=~"shop"} offset 1m)[30d:1m]))"#
        );
        // Each SLO's most urgent tier counts, whatever it is called; names are matched literally.
        assert_eq!(
            pages_query(m, &["critical", "page", "critical", "p1.urgent"]),
            r#"sum by (slokit_product, slokit_slo) (count_over_time((ALERTS{alertstate="firing",severity=~"critical|p1\\.urgent|page",slokit_product=~"shop"} unless ALERTS{alertstate="firing",severity=~"critical|p1\\.urgent|page",slokit_product=~"shop"} offset 1m)[30d:1m]))"#
        );
    }
}
