//! Live error-budget figures for a set of SLOs, read from the series slokit's rules record: the SLI
//! and budget remaining over each SLO's period, burn rates over the windows its policy names, and
//! the alerts firing now. Queries are batched: one query per series kind and window across every
//! SLO (`sum by` the identity labels, filtered to the selected products), never one per SLO, so a
//! report over hundreds of SLOs costs a handful of requests.
//!
//! Figures are computed from the recorded event rates, not from the per-group SLI series, so a
//! grouped SLO (per route, per region) gets one exact SLO-wide figure: rates re-aggregate with
//! `sum`, ratios do not. The objective comes from the spec (the current phase's target).

use crate::conventions::{
    identity_labels, rate_series, window_rate, ALERT_STATE_FIRING, LABEL_ALERT_NAME,
    LABEL_ALERT_STATE, LABEL_PRODUCT, LABEL_SEVERITY, LABEL_SLO, SERIES_ALERTS, SERIES_BAD,
    SERIES_TOTAL,
};
use crate::duration::Duration;
use crate::live::policy::{self, Figures};
use crate::live::prometheus_api::{ApiError, Client};
use crate::model::{Catalog, Slo};
use crate::promql::{quote, regex_escape};
use slokit_wire::Sample;
use std::collections::{BTreeMap, BTreeSet};

/// The window every report shows besides the policy's windows: the fastest long window of the
/// default alert tiers, i.e. "what is happening right now".
pub const REPORT_WINDOW: Duration = Duration::from_hours(1);

/// `(product, slo)`: how series are matched to SLOs.
pub type Key = (String, String);

pub fn key(slo: &Slo) -> Key {
    (slo.product.clone(), slo.name.clone())
}

/// An alert firing now.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FiringAlert {
    pub name: String,
    pub severity: String,
}

/// Live figures for one SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct SloStatus {
    pub product: String,
    pub slo: String,
    pub service: String,
    pub objective: f64,
    pub period: Duration,
    /// Whether the SLO's period series exist at all.
    pub has_data: bool,
    /// Share of good events over the period (1 when the period saw no events).
    pub sli: Option<f64>,
    /// `1 - error ratio / error budget` over the period; below 0 when overspent.
    pub budget_remaining: Option<f64>,
    /// Burn rates by window (the report window and the policy's windows).
    pub burn_rates: BTreeMap<Duration, Option<f64>>,
    pub alerts: Vec<FiringAlert>,
}

impl SloStatus {
    /// The status of `slo` from its budget remaining over the period (`None` when unknown): the
    /// SLI follows from it as the rules define it.
    pub fn new(
        slo: &Slo,
        has_data: bool,
        budget_remaining: Option<f64>,
        burn_rates: BTreeMap<Duration, Option<f64>>,
        alerts: Vec<FiringAlert>,
    ) -> SloStatus {
        SloStatus {
            product: slo.product.clone(),
            slo: slo.name.clone(),
            service: slo.service.clone(),
            objective: slo.objective,
            period: slo.period,
            has_data,
            sli: budget_remaining.map(|r| 1.0 - (1.0 - r) * slo.error_budget()),
            budget_remaining,
            burn_rates,
            alerts,
        }
    }

    /// The whole budget expressed as minutes of full outage over the period.
    pub fn budget_minutes_total(&self) -> f64 {
        (1.0 - self.objective) * self.period.minutes_f64()
    }

    /// The budget left, in minutes of full outage (negative when overspent).
    pub fn budget_minutes_remaining(&self) -> Option<f64> {
        self.budget_remaining
            .map(|r| r * self.budget_minutes_total())
    }

    pub fn figures(&self) -> Figures {
        Figures {
            budget_remaining: self.budget_remaining,
            burn_rates: self.burn_rates.clone(),
        }
    }
}

/// Figures for every selected SLO, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// The evaluation time (Unix seconds); `None` means the server's now.
    pub at: Option<f64>,
    pub slos: Vec<SloStatus>,
}

impl Status {
    pub fn get(&self, slo: &Slo) -> Option<&SloStatus> {
        self.find(&slo.product, &slo.name)
    }

    pub fn find(&self, product: &str, slo: &str) -> Option<&SloStatus> {
        self.slos
            .iter()
            .find(|s| s.product == product && s.slo == slo)
    }
}

/// The windows shown for an SLO: [`REPORT_WINDOW`] and every window its product's policy names.
pub fn windows_for(catalog: &Catalog, slo: &Slo) -> Vec<Duration> {
    let mut windows: BTreeSet<Duration> = BTreeSet::from([REPORT_WINDOW]);
    if let Some(policy) = policy_of(catalog, slo) {
        windows.extend(policy::windows(policy));
    }
    windows.into_iter().collect()
}

pub fn policy_of<'a>(
    catalog: &'a Catalog,
    slo: &Slo,
) -> Option<&'a crate::model::ErrorBudgetPolicy> {
    let name = catalog.product(&slo.product)?.policy.as_ref()?;
    catalog.policies.get(name)
}

/// `slokit_product=~"a|b\\.c"`: the selected products, regex-escaped and then PromQL-quoted.
pub fn product_matcher(slos: &[&Slo]) -> String {
    let products: BTreeSet<&str> = slos.iter().map(|s| s.product.as_str()).collect();
    let alternatives: Vec<String> = products.iter().map(|p| regex_escape(p)).collect();
    format!("{LABEL_PRODUCT}=~{}", quote(&alternatives.join("|")))
}

/// `sum by (identity)` of the event rate `base` over `window` (`None`: the SLO's period), read
/// as every reader reads a window ([`crate::conventions::window_rate`]): recorded windows as
/// recorded, others averaged from the 5m or 1h series.
pub fn rate_query(base: &str, window: Option<Duration>, matcher: &str) -> String {
    let identity = identity_labels();
    let select = |name: &str| format!("{name}{{{matcher}}}");
    let inner = match window {
        None => select(&rate_series(base, None)),
        Some(w) => window_rate(base, w, select),
    };
    format!("sum by ({identity}) ({inner})")
}

/// Alerts firing now for the selected products.
pub fn alerts_query(matcher: &str) -> String {
    format!(
        "{SERIES_ALERTS}{{{LABEL_ALERT_STATE}={},{matcher}}}",
        quote(ALERT_STATE_FIRING)
    )
}

/// One value per SLO.
pub type ByKey = BTreeMap<Key, f64>;

pub fn by_key(samples: Vec<Sample>) -> ByKey {
    samples
        .into_iter()
        .filter_map(|s| {
            Some((
                (
                    s.labels.get(LABEL_PRODUCT)?.clone(),
                    s.labels.get(LABEL_SLO)?.clone(),
                ),
                s.value,
            ))
        })
        .collect()
}

/// Burn rate from two rates: `(bad / total) / budget`, 0 when there were no events (as the rules
/// define it), `None` when either rate is missing.
pub fn burn_rate(bad: Option<f64>, total: Option<f64>, error_budget: f64) -> Option<f64> {
    let (bad, total) = (bad?, total?);
    if total > 0.0 {
        Some(bad / total / error_budget)
    } else {
        Some(0.0)
    }
}

/// Fetches figures for `slos` at `at` (Unix seconds; `None` for now): two queries per distinct
/// window plus one for alerts.
pub fn fetch(
    client: &Client,
    catalog: &Catalog,
    slos: &[&Slo],
    at: Option<f64>,
) -> Result<Status, ApiError> {
    if slos.is_empty() {
        return Ok(Status { at, slos: vec![] });
    }
    let matcher = product_matcher(slos);
    let mut windows: BTreeSet<Option<Duration>> = BTreeSet::from([None]);
    for slo in slos {
        windows.extend(windows_for(catalog, slo).into_iter().map(Some));
    }
    let mut rates: BTreeMap<Option<Duration>, (ByKey, ByKey)> = BTreeMap::new();
    for window in &windows {
        let bad = by_key(client.query(&rate_query(SERIES_BAD, *window, &matcher), at)?);
        let total = by_key(client.query(&rate_query(SERIES_TOTAL, *window, &matcher), at)?);
        rates.insert(*window, (bad, total));
    }
    let mut alerts: BTreeMap<Key, Vec<FiringAlert>> = BTreeMap::new();
    for sample in client.query(&alerts_query(&matcher), at)? {
        let label = |name: &str| sample.labels.get(name).cloned().unwrap_or_default();
        alerts
            .entry((label(LABEL_PRODUCT), label(LABEL_SLO)))
            .or_default()
            .push(FiringAlert {
                name: label(LABEL_ALERT_NAME),
                severity: label(LABEL_SEVERITY),
            });
    }
    let statuses = slos
        .iter()
        .map(|slo| {
            let k = key(slo);
            let lookup = |window: Option<Duration>| {
                let (bad, total) = &rates[&window];
                (bad.get(&k).copied(), total.get(&k).copied())
            };
            let (bad, total) = lookup(None);
            let period_burn = burn_rate(bad, total, slo.error_budget());
            let mut slo_alerts = alerts.remove(&k).unwrap_or_default();
            slo_alerts.sort();
            slo_alerts.dedup();
            let burn_rates = windows_for(catalog, slo)
                .into_iter()
                .map(|w| {
                    let (bad, total) = lookup(Some(w));
                    (w, burn_rate(bad, total, slo.error_budget()))
                })
                .collect();
            let remaining = period_burn.map(|b| 1.0 - b);
            SloStatus::new(slo, total.is_some(), remaining, burn_rates, slo_alerts)
        })
        .collect();
    Ok(Status { at, slos: statuses })
}

/// Budget remaining over time for each SLO, for burn-down charts: two range queries over the
/// longest selected period, ending at `at`, about 120 points each.
pub fn fetch_burn_down(
    client: &Client,
    slos: &[&Slo],
    at: f64,
) -> Result<BTreeMap<Key, Vec<(f64, f64)>>, ApiError> {
    let Some(longest) = slos.iter().map(|s| s.period).max() else {
        return Ok(BTreeMap::new());
    };
    let span = longest.secs_f64();
    let step = (span / 120.0).max(60.0).round();
    let start = at - span;
    let matcher = product_matcher(slos);
    let range = |base: &str| -> Result<BTreeMap<Key, Vec<(f64, f64)>>, ApiError> {
        Ok(client
            .query_range(&rate_query(base, None, &matcher), start, at, step)?
            .into_iter()
            .filter_map(|s| {
                Some((
                    (
                        s.labels.get(LABEL_PRODUCT)?.clone(),
                        s.labels.get(LABEL_SLO)?.clone(),
                    ),
                    s.points,
                ))
            })
            .collect())
    };
    let bad = range(SERIES_BAD)?;
    let total = range(SERIES_TOTAL)?;
    let mut out = BTreeMap::new();
    for slo in slos {
        let k = key(slo);
        let (Some(bad), Some(total)) = (bad.get(&k), total.get(&k)) else {
            continue;
        };
        let bad: BTreeMap<i64, f64> = bad.iter().map(|(t, v)| (*t as i64, *v)).collect();
        let points: Vec<(f64, f64)> = total
            .iter()
            .filter_map(|(t, total)| {
                let b = burn_rate(
                    bad.get(&(*t as i64)).copied(),
                    Some(*total),
                    slo.error_budget(),
                )?;
                Some((*t, 1.0 - b))
            })
            .collect();
        out.insert(k, points);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_read_recorded_windows_or_average_the_hourly_series() {
        let m = r#"slokit_product=~"shop""#;
        assert_eq!(
            rate_query(SERIES_BAD, None, m),
            r#"sum by (slokit_product, slokit_service, slokit_slo) (slokit:events_bad:rate_period{slokit_product=~"shop"})"#
        );
        assert_eq!(
            rate_query(SERIES_TOTAL, Some(Duration::from_hours(1)), m),
            r#"sum by (slokit_product, slokit_service, slokit_slo) (slokit:events_total:rate1h{slokit_product=~"shop"})"#
        );
        assert_eq!(
            rate_query(SERIES_BAD, Some(Duration::from_days(7)), m),
            r#"sum by (slokit_product, slokit_service, slokit_slo) ((avg_over_time(slokit:events_bad:rate1h{slokit_product=~"shop"}[7d:1h]) or slokit:events_bad:rate1h{slokit_product=~"shop"}))"#
        );
        assert_eq!(
            rate_query(SERIES_BAD, Some(Duration::from_mins(45)), m),
            r#"sum by (slokit_product, slokit_service, slokit_slo) (avg_over_time(slokit:events_bad:rate5m{slokit_product=~"shop"}[45m]))"#
        );
        for q in [
            rate_query(SERIES_BAD, Some(Duration::from_days(7)), m),
            alerts_query(m),
        ] {
            crate::promql::parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        }
    }

    #[test]
    fn product_names_are_regex_escaped_then_quoted() {
        assert_eq!(regex_escape("a.b-c"), r"a\.b-c");
        assert_eq!(quote(&regex_escape("a.b")), r#""a\\.b""#);
    }

    #[test]
    fn burn_rates_follow_the_rules_definition() {
        assert_eq!(burn_rate(Some(1.0), Some(100.0), 0.01), Some(1.0));
        assert_eq!(burn_rate(Some(0.0), Some(0.0), 0.01), Some(0.0));
        assert_eq!(burn_rate(None, Some(1.0), 0.01), None);
    }
}
