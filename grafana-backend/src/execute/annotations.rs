//! The annotations query: the intervals in which the selected SLOs' alerts fired (from
//! Prometheus's `ALERTS`) and in which their error budgets were exhausted (budget remaining at or
//! below zero), and the days their reviews are due (`slokit_review_due` on the info series), as
//! one Grafana annotation frame: `time`, `timeEnd`, `title`, `text` and `tags` (comma-separated,
//! which Grafana splits). Two range queries and one instant query whatever the number of SLOs.
//!
//! An interval is a run of points no further apart than the query's step: a series that
//! disappears for a step or more ends one interval and, when it comes back, starts another. So the
//! edges are as precise as the step Grafana asks for, which is what a dashboard can draw anyway.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use grafana_plugin_sdk::data::Frame;
use grafana_plugin_sdk::prelude::*;
use slokit_conventions::{
    LABEL_ALERT_NAME, LABEL_ALERT_STATE, LABEL_PRODUCT, LABEL_REVIEW_DUE, LABEL_SEVERITY,
    LABEL_SLO, SERIES_ALERTS, SERIES_BUDGET_REMAINING, SERIES_INFO,
};
use slokit_model::Date;
use slokit_wire::{Sample, Series};

use super::{
    describe_group, executed_metadata, group_labels, is_identity, range_query, selector,
    series_name, time_of, TimeRange,
};
use crate::query::{QueryError, SloQuery};
use crate::upstream::Upstream;

/// One annotation: a range of time and what happened in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    pub start: f64,
    pub end: f64,
    pub title: String,
    pub text: String,
    pub tags: Vec<String>,
}

/// The runs of `points` (Unix seconds, ascending) whose gaps are at most `step`: (first, last).
pub fn intervals(points: &[(f64, f64)], step: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (time, _) in points {
        match out.last_mut() {
            // Half a step of slack absorbs the float noise of Prometheus's timestamps.
            Some((_, end)) if *time - *end <= step * 1.5 => *end = *time,
            _ => out.push((*time, *time)),
        }
    }
    out
}

/// `ALERTS{<selection>,alertstate="firing"}` and the budget-exhausted expression.
fn expressions(query: &SloQuery) -> (String, String) {
    let matchers = query.selection.matchers();
    let firing = format!("{LABEL_ALERT_STATE}=\"firing\"");
    let alerts = if matchers.is_empty() {
        format!("{SERIES_ALERTS}{{{firing}}}")
    } else {
        format!("{SERIES_ALERTS}{{{matchers},{firing}}}")
    };
    let exhausted = format!(
        "{} <= 0",
        selector(SERIES_BUDGET_REMAINING, &query.selection)
    );
    (alerts, exhausted)
}

/// The annotations of alert series and budget-exhausted series, ordered by start, then title.
pub fn annotations(alerts: &[Series], exhausted: &[Series], step: f64) -> Vec<Annotation> {
    let mut out = Vec::new();
    for series in alerts {
        let label = |name: &str| series.labels.get(name).cloned().unwrap_or_default();
        let alert_name = label(LABEL_ALERT_NAME);
        let severity = label(LABEL_SEVERITY);
        // An alert's own labels beyond the SLO's (alertname, severity, windows) are not a group.
        let mut slo_labels: BTreeMap<String, String> = series.labels.clone();
        for name in [LABEL_ALERT_NAME, LABEL_ALERT_STATE, LABEL_SEVERITY] {
            slo_labels.remove(name);
        }
        slo_labels.retain(|k, _| !k.starts_with("slokit_") || is_identity(k));
        slo_labels.remove("__name__");
        let name = series_name(&slo_labels);
        for (start, end) in intervals(&series.points, step) {
            out.push(Annotation {
                start,
                end,
                title: format!("{alert_name} firing"),
                text: if severity.is_empty() {
                    name.clone()
                } else {
                    format!("{name}: {severity}")
                },
                tags: tags(&slo_labels, &["alert", &severity]),
            });
        }
    }
    for series in exhausted {
        let name = series_name(&series.labels);
        for (start, end) in intervals(&series.points, step) {
            out.push(Annotation {
                start,
                end,
                title: "error budget exhausted".into(),
                text: name.clone(),
                tags: tags(&series.labels, &["budget-exhausted"]),
            });
        }
    }
    sort_annotations(&mut out);
    out
}

/// By start, then title and text, so the frame is the same on every refresh.
fn sort_annotations(list: &mut [Annotation]) {
    list.sort_by(|a, b| {
        a.start
            .total_cmp(&b.start)
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.text.cmp(&b.text))
    });
}

/// `slokit`, what happened, the product and the SLO (and the group, from `labels`, which hold the
/// SLO's identity and group only), without empty tags or tags with a comma (Grafana splits the
/// field on commas).
fn tags(labels: &BTreeMap<String, String>, what: &[&str]) -> Vec<String> {
    let mut tags = vec!["slokit".to_string()];
    tags.extend(what.iter().map(|t| t.to_string()));
    for name in [LABEL_PRODUCT, LABEL_SLO] {
        tags.extend(labels.get(name).cloned());
    }
    let group = describe_group(&group_labels(labels));
    if !group.is_empty() {
        tags.push(group);
    }
    tags.retain(|t| !t.is_empty() && !t.contains(','));
    tags
}

/// A point annotation on the day each SLO's review is due (midnight UTC), for the days within
/// `[from, to]`; `info` are the SLOs' info series. A label that is not a date is skipped: the
/// status table already says so.
pub fn review_annotations(info: &[Sample], from: f64, to: f64) -> Vec<Annotation> {
    let mut out = Vec::new();
    for sample in info {
        let Some(date) = sample
            .labels
            .get(LABEL_REVIEW_DUE)
            .and_then(|due| Date::parse(due))
        else {
            continue;
        };
        let time = date.days_since_epoch() as f64 * 86_400.0;
        if time < from || time > to {
            continue;
        }
        let mut labels = sample.labels.clone();
        labels.retain(|k, _| is_identity(k));
        out.push(Annotation {
            start: time,
            end: time,
            title: "review due".into(),
            text: format!("{}: review due {date}", series_name(&labels)),
            tags: tags(&labels, &["review-due"]),
        });
    }
    out
}

/// The annotations frame of one query: always one frame, with no rows when nothing happened.
pub(super) async fn annotations_query(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let (alerts_expr, exhausted_expr) = expressions(query);
    let info_expr = selector(SERIES_INFO, &query.selection);
    // The catalog as it is now: a range ending in the future (a dashboard showing the coming
    // weeks' review dates) would find no sample at its end.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(range.to, |d| d.as_secs_f64());
    let (alerts, exhausted, info) = futures_util::try_join!(
        range_query(upstream, &alerts_expr, range),
        range_query(upstream, &exhausted_expr, range),
        async { Ok::<_, QueryError>(upstream.instant(&info_expr, range.to.min(now)).await?) },
    )?;
    let mut list = annotations(&alerts, &exhausted, range.step());
    list.extend(review_annotations(&info, range.from, range.to));
    sort_annotations(&mut list);
    let frame = Frame::new("annotations")
        .with_field(list.iter().map(|a| time_of(a.start)).into_field("time"))
        .with_field(list.iter().map(|a| time_of(a.end)).into_field("timeEnd"))
        .with_field(list.iter().map(|a| a.title.clone()).into_field("title"))
        .with_field(list.iter().map(|a| a.text.clone()).into_field("text"))
        .with_field(list.iter().map(|a| a.tags.join(",")).into_field("tags"))
        .with_metadata(executed_metadata(&format!(
            "{alerts_expr}\n{exhausted_expr}\n{info_expr}"
        )));
    Ok(vec![frame])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(labels: &[(&str, &str)], times: &[f64]) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            points: times.iter().map(|t| (*t, 1.0)).collect(),
        }
    }

    #[test]
    fn reviews_due_in_the_range_are_points() {
        let info = |slo: &str, due: &str| Sample {
            labels: [
                ("slokit_product", "billing"),
                ("slokit_service", "payments"),
                ("slokit_slo", slo),
                ("slokit_owner", "team"),
                ("slokit_review_due", due),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            value: 1.0,
        };
        // 2026-12-08 is day 20,795 since 1970-01-01.
        let day = 20_795.0 * 86_400.0;
        let list = review_annotations(
            &[
                info("charges", "2026-12-08"),
                info("refunds", "2027-01-30"),
                info("ledger", "soon"),
            ],
            day - 86_400.0,
            day + 86_400.0,
        );
        assert_eq!(
            list,
            [Annotation {
                start: day,
                end: day,
                title: "review due".into(),
                text: "billing/charges: review due 2026-12-08".into(),
                tags: vec![
                    "slokit".into(),
                    "review-due".into(),
                    "billing".into(),
                    "charges".into()
                ],
            }]
        );
    }

    #[test]
    fn runs_of_points_are_intervals() {
        let points: Vec<(f64, f64)> = [0.0, 10.0, 20.0, 50.0, 60.0, 100.0]
            .iter()
            .map(|t| (*t, 1.0))
            .collect();
        assert_eq!(
            intervals(&points, 10.0),
            [(0.0, 20.0), (50.0, 60.0), (100.0, 100.0)]
        );
        assert_eq!(intervals(&[], 10.0), []);
    }

    #[test]
    fn alerts_and_exhausted_budgets_become_annotations() {
        let alert = series(
            &[
                ("alertname", "SLOBurnRateHigh"),
                ("alertstate", "firing"),
                ("severity", "page"),
                ("slokit_product", "shop"),
                ("slokit_service", "search"),
                ("slokit_slo", "search-success"),
                ("slokit_long_window", "1h"),
                ("route", "/b"),
            ],
            &[100.0, 110.0],
        );
        let exhausted = series(
            &[
                ("slokit_product", "shop"),
                ("slokit_service", "search"),
                ("slokit_slo", "search-success"),
                ("route", "/b"),
            ],
            &[90.0, 100.0, 110.0],
        );
        assert_eq!(
            annotations(&[alert], &[exhausted], 10.0),
            [
                Annotation {
                    start: 90.0,
                    end: 110.0,
                    title: "error budget exhausted".into(),
                    text: "shop/search-success {route=\"/b\"}".into(),
                    tags: vec![
                        "slokit".into(),
                        "budget-exhausted".into(),
                        "shop".into(),
                        "search-success".into(),
                        "route=\"/b\"".into()
                    ],
                },
                Annotation {
                    start: 100.0,
                    end: 110.0,
                    title: "SLOBurnRateHigh firing".into(),
                    text: "shop/search-success {route=\"/b\"}: page".into(),
                    tags: vec![
                        "slokit".into(),
                        "alert".into(),
                        "page".into(),
                        "shop".into(),
                        "search-success".into(),
                        "route=\"/b\"".into()
                    ],
                },
            ]
        );
    }
}
