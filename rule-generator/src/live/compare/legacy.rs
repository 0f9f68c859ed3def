//! The legacy side of a comparison: which legacy SLO stands for each slokit SLO, and the PromQL
//! that reads each of its quantities. Sloth's and Pyrra's series are recognised by the labels
//! those tools put on them, with the names the importers in `load/` give the SLOs they read (a
//! Sloth SLO keeps its `service` and `name`, a Pyrra SLO its `metadata.name`); a mapping file
//! (`load::mapping`) names the expressions of hand-written SLOs instead.

use crate::conventions::legacy::*;
use crate::conventions::promql::{one_of, quote};
use crate::conventions::{ALERT_STATE_FIRING, LABEL_ALERT_NAME, LABEL_ALERT_STATE, SERIES_ALERTS};
use crate::duration::Duration;
use crate::live::budget::Key;
use crate::live::compare::judge::Window;
use crate::live::prometheus_api::{ApiError, Client};
use crate::load::mapping::{LegacyQueries, Mapping};
use crate::model::Slo;
use std::collections::{BTreeMap, BTreeSet};

/// Which legacy rules to compare with.
#[derive(Clone, Debug)]
pub enum Against {
    /// Sloth's, else Pyrra's, whichever exists for an SLO.
    Auto,
    Sloth,
    Pyrra,
    /// The expressions of a mapping file.
    File(Mapping),
}

/// The legacy counterpart of one SLO.
#[derive(Clone, Debug, PartialEq)]
pub enum Legacy {
    Sloth { service: String, slo: String },
    Pyrra { metric: String, slo: String },
    Mapped(LegacyQueries),
}

impl Legacy {
    /// What was matched, for the report.
    pub fn describe(&self) -> String {
        match self {
            Legacy::Sloth { service, slo } => {
                format!("Sloth {SLOTH_LABEL_SERVICE}={service} {SLOTH_LABEL_SLO}={slo}")
            }
            Legacy::Pyrra { metric, slo } => format!("Pyrra {metric} {PYRRA_LABEL_SLO}={slo}"),
            Legacy::Mapped(_) => "mapping file".to_string(),
        }
    }

    /// Whether the legacy period SLI is the mean of 5m ratios (Sloth's `sum_over_time /
    /// count_over_time` of its 5m ratio), which the comparison can then explain.
    pub fn averages_ratios(&self) -> bool {
        matches!(self, Legacy::Sloth { .. })
    }
}

/// The PromQL that reads each quantity of a legacy SLO. Every expression should give one series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub error_ratio: BTreeMap<Window, String>,
    pub budget_remaining: Option<String>,
    /// Read once, at the end of the range.
    pub objective: Option<String>,
    /// The period in seconds, read once.
    pub period_seconds: Option<String>,
    /// Firing alerts; `None` when the legacy alerts are not known.
    pub alerts: Option<String>,
    /// The 5m error ratio, to find when the legacy rules began recording.
    pub coverage: Option<String>,
}

/// A Prometheus duration as Go prints it, which is how Sloth and Pyrra name their windows:
/// weeks when whole (`1w`), else days, hours, minutes.
fn go_duration(window: Duration) -> String {
    let week = Duration::from_days(7).millis();
    if window.millis() % week == 0 {
        format!("{}w", window.millis() / week)
    } else {
        window.to_string()
    }
}

/// The windows every comparison looks at, besides the period: the base window and the standard
/// windows of the default tiers, which both Sloth and slokit read.
pub fn common_windows() -> Vec<Duration> {
    let mut windows = vec![crate::conventions::BASE_WINDOW];
    windows.extend(crate::conventions::STANDARD_WINDOWS);
    windows
}

fn firing(matchers: &str) -> String {
    format!(
        "{SERIES_ALERTS}{{{LABEL_ALERT_STATE}={},{matchers}}}",
        quote(ALERT_STATE_FIRING)
    )
}

impl Legacy {
    pub fn plan(&self) -> Plan {
        match self {
            Legacy::Sloth { service, slo } => {
                let select = format!(
                    "{SLOTH_LABEL_SERVICE}={},{SLOTH_LABEL_SLO}={}",
                    quote(service),
                    quote(slo)
                );
                let mut error_ratio: BTreeMap<Window, String> = common_windows()
                    .into_iter()
                    .map(|w| {
                        let name = sloth_error_ratio(&go_duration(w));
                        (Window::Fixed(w), format!("{name}{{{select}}}"))
                    })
                    .collect();
                // The period's error ratio without knowing how Sloth named the period window.
                error_ratio.insert(
                    Window::Period,
                    format!(
                        "{SLOTH_PERIOD_BURN_RATE}{{{select}}} * on ({SLOTH_LABEL_ID}, {SLOTH_LABEL_SERVICE}, {SLOTH_LABEL_SLO}) group_left () {SLOTH_ERROR_BUDGET}{{{select}}}"
                    ),
                );
                Plan {
                    coverage: error_ratio
                        .get(&Window::Fixed(crate::conventions::BASE_WINDOW))
                        .cloned(),
                    error_ratio,
                    budget_remaining: Some(format!("{SLOTH_BUDGET_REMAINING}{{{select}}}")),
                    objective: Some(format!("{SLOTH_OBJECTIVE}{{{select}}}")),
                    period_seconds: Some(format!("{SLOTH_PERIOD_DAYS}{{{select}}} * 86400")),
                    alerts: Some(firing(&select)),
                }
            }
            Legacy::Pyrra { metric, slo } => {
                let select = format!("{PYRRA_LABEL_SLO}={}", quote(slo));
                let error_ratio: BTreeMap<Window, String> = common_windows()
                    .into_iter()
                    .map(|w| {
                        let name = format!("{metric}{}", pyrra_error_ratio_suffix(&go_duration(w)));
                        (Window::Fixed(w), format!("{name}{{{select}}}"))
                    })
                    .chain([(
                        Window::Period,
                        format!("1 - {PYRRA_AVAILABILITY}{{{select}}}"),
                    )])
                    .collect();
                Plan {
                    coverage: error_ratio
                        .get(&Window::Fixed(crate::conventions::BASE_WINDOW))
                        .cloned(),
                    error_ratio,
                    budget_remaining: Some(format!(
                        "1 - (1 - {PYRRA_AVAILABILITY}{{{select}}}) / on ({PYRRA_LABEL_SLO}) group_left () (1 - {PYRRA_OBJECTIVE}{{{select}}})"
                    )),
                    objective: Some(format!("{PYRRA_OBJECTIVE}{{{select}}}")),
                    period_seconds: Some(format!("{PYRRA_WINDOW}{{{select}}}")),
                    alerts: Some(firing(&select)),
                }
            }
            Legacy::Mapped(queries) => {
                let error_ratio: BTreeMap<Window, String> = queries
                    .error_ratio
                    .iter()
                    .map(|(w, e)| (w.map_or(Window::Period, Window::Fixed), e.clone()))
                    .collect();
                Plan {
                    coverage: error_ratio
                        .iter()
                        .find(|(w, _)| matches!(w, Window::Fixed(_)))
                        .map(|(_, e)| e.clone()),
                    error_ratio,
                    budget_remaining: queries.budget_remaining.clone(),
                    objective: queries.objective.map(|o| format!("vector({o})")),
                    period_seconds: None,
                    alerts: (!queries.alerts.is_empty())
                        .then(|| firing(&one_of(LABEL_ALERT_NAME, &queries.alerts))),
                }
            }
        }
    }
}

/// Finds each SLO's legacy counterpart, as `against` says: two range queries over the range for
/// `auto`, `sloth` and `pyrra` (which legacy SLOs recorded anything), none for a mapping file.
pub fn find(
    client: &Client,
    slos: &[&Slo],
    against: &Against,
    (start, end, step): (f64, f64, f64),
) -> Result<BTreeMap<Key, Legacy>, ApiError> {
    let mut out = BTreeMap::new();
    if let Against::File(mapping) = against {
        for (key, queries) in mapping {
            out.insert(key.clone(), Legacy::Mapped(queries.clone()));
        }
        return Ok(out);
    }
    let base = go_duration(crate::conventions::BASE_WINDOW);
    let mut sloth: BTreeSet<(String, String)> = BTreeSet::new();
    if matches!(against, Against::Auto | Against::Sloth) {
        let expr = format!(
            "group by ({SLOTH_LABEL_SERVICE}, {SLOTH_LABEL_SLO}) ({})",
            sloth_error_ratio(&base)
        );
        for series in client.query_range(&expr, start, end, step)? {
            if let (Some(service), Some(slo)) = (
                series.labels.get(SLOTH_LABEL_SERVICE),
                series.labels.get(SLOTH_LABEL_SLO),
            ) {
                sloth.insert((service.clone(), slo.clone()));
            }
        }
    }
    let mut pyrra: BTreeMap<String, String> = BTreeMap::new();
    if matches!(against, Against::Auto | Against::Pyrra) {
        let names: Vec<&str> = slos.iter().map(|s| s.name.as_str()).collect();
        let expr = format!(
            "group by ({LABEL_METRIC_NAME}, {PYRRA_LABEL_SLO}) ({{{LABEL_METRIC_NAME}=~{},{}}})",
            quote(&format!(".+{}", pyrra_error_ratio_suffix(&base))),
            one_of(PYRRA_LABEL_SLO, &names)
        );
        for series in client.query_range(&expr, start, end, step)? {
            if let (Some(name), Some(slo)) = (
                series.labels.get(LABEL_METRIC_NAME),
                series.labels.get(PYRRA_LABEL_SLO),
            ) {
                let metric = name.trim_end_matches(&pyrra_error_ratio_suffix(&base));
                pyrra.insert(slo.clone(), metric.to_string());
            }
        }
    }
    for slo in slos {
        let key = (slo.service.clone(), slo.name.clone());
        let found = if sloth.contains(&key) {
            Some(Legacy::Sloth {
                service: slo.service.clone(),
                slo: slo.name.clone(),
            })
        } else {
            pyrra.get(&slo.name).map(|metric| Legacy::Pyrra {
                metric: metric.clone(),
                slo: slo.name.clone(),
            })
        };
        if let Some(found) = found {
            out.insert(crate::live::budget::key(slo), found);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sloth_and_pyrra_series_are_read_by_their_own_names() {
        let plan = Legacy::Sloth {
            service: "shop".into(),
            slo: "availability".into(),
        }
        .plan();
        assert_eq!(
            plan.error_ratio[&Window::Fixed(Duration::from_days(3))],
            r#"slo:sli_error:ratio_rate3d{sloth_service="shop",sloth_slo="availability"}"#
        );
        let plan = Legacy::Pyrra {
            metric: "http_requests".into(),
            slo: "availability".into(),
        }
        .plan();
        assert_eq!(
            plan.error_ratio[&Window::Fixed(Duration::from_mins(30))],
            r#"http_requests:burnrate30m{slo="availability"}"#
        );
        for expr in plan
            .error_ratio
            .values()
            .chain(plan.budget_remaining.iter())
        {
            crate::promql::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        }
        assert_eq!(go_duration(Duration::from_days(28)), "4w");
        assert_eq!(go_duration(Duration::from_days(30)), "30d");
    }
}
