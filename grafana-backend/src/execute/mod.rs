//! Running one parsed query against Prometheus and shaping the answer into Grafana data frames.
//! Every query kind reads only the series documented in `docs/metrics.md`, through the names in
//! `slokit_conventions`, and issues a fixed number of Prometheus queries whatever the number of
//! SLOs selected (listed per kind in the README).
//!
//! This module dispatches a query to its kind ([`run`]) and holds what the kinds share: the time
//! range, SLO identities and series names, selectors, and the queries for constants and for "no
//! series". The kinds live by concern:
//!
//! - `series`: the time series kinds (SLI, burn rate, budget remaining, budget burn-down, events),
//!   every one drawn through one series-to-frames helper;
//! - `status`: the status table, its rows and its frame;
//! - `alerts`: each SLO's alert windows and the burn-rate thresholds drawn from them;
//! - `annotations`: alert firing and budget-exhausted intervals as Grafana annotations;
//! - `policy`: error-budget policies rebuilt from their step series, the policy and review
//!   columns, and the extra burn rates a policy needs.
//!
//! Every series gets its own frame, and its value fields carry the series' labels (the SLO's
//! identity, its group, and `series` where one SLO and group has two series) as well as a config
//! (unit, thresholds, display name). Grafana's alert evaluator identifies a series by its labels
//! alone, so the labels of any two series of one answer differ. grafana-plugin-sdk 0.5.0 lost
//! the labels of a field that also had a config; the workspace uses a patched copy
//! (`vendor/README.md`). Each frame names the PromQL it was drawn from (`executedQueryString`),
//! which Grafana's query inspector shows.

mod alerts;
mod annotations;
mod policy;
mod series;
mod status;

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use grafana_plugin_sdk::data::{FieldConfig, Frame, Metadata};
use serde_json::Value;
use slokit_conventions::duration::Duration;
use slokit_conventions::promql::regex_escape;
use slokit_conventions::{LABEL_PRODUCT, LABEL_SERVICE, LABEL_SLO, SERIES_INFO};
use slokit_wire::Series;

use crate::query::{QueryError, QueryKind, Selection, SloQuery};
use crate::upstream::Upstream;

pub use alerts::{
    alert_windows, default_alert_windows, fetch_alert_windows, AlertWindow, TierSource,
};
pub use policy::{extra_burn_rates_query, policy_action, review_status};
pub use status::{status_rows, StatusRow, ALERTS_SERIES, ALERTS_STATE_LABEL, STATUS_BURN_WINDOWS};

/// A field's labels.
pub type Labels = BTreeMap<String, String>;

/// The frame label that tells apart two series of one SLO and group in one answer: `good` and
/// `total` events, `remaining` and `ideal` budget, or the status figure of an alert query.
pub const LABEL_SERIES: &str = "series";

/// Frame metadata naming the PromQL sent to Prometheus, for Grafana's query inspector.
fn executed_metadata(executed: &str) -> Metadata {
    let mut meta = Metadata::default();
    meta.executed_query_string = Some(executed.to_string());
    meta
}

/// Prometheus refuses range queries of more than 11,000 points per series; stay below.
const MAX_POINTS: f64 = 10_000.0;

/// The time range and resolution Grafana asked for.
#[derive(Clone, Copy, Debug)]
pub struct TimeRange {
    /// Unix seconds.
    pub from: f64,
    pub to: f64,
    /// Grafana's suggested interval between points.
    pub interval: StdDuration,
    pub max_data_points: i64,
}

impl TimeRange {
    fn check(&self) -> Result<(), QueryError> {
        if !(self.from.is_finite() && self.to.is_finite()) || self.from < 0.0 {
            return Err(QueryError::bad_request("the time range is invalid"));
        }
        if self.from >= self.to {
            return Err(QueryError::bad_request(
                "the time range is empty: `from` is not before `to`",
            ));
        }
        Ok(())
    }

    /// Whole seconds between points: Grafana's interval, widened so the range holds at most
    /// `maxDataPoints` and Prometheus's limit.
    fn step(&self) -> f64 {
        let span = self.to - self.from;
        let by_points = if self.max_data_points > 0 {
            span / self.max_data_points as f64
        } else {
            0.0
        };
        self.interval
            .as_secs_f64()
            .max(by_points)
            .max(span / MAX_POINTS)
            .max(1.0)
            .ceil()
    }
}

/// The identity of one SLO.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity {
    pub product: String,
    pub service: String,
    pub slo: String,
}

impl Identity {
    pub fn of(labels: &BTreeMap<String, String>) -> Identity {
        let get = |name: &str| labels.get(name).cloned().unwrap_or_default();
        Identity {
            product: get(LABEL_PRODUCT),
            service: get(LABEL_SERVICE),
            slo: get(LABEL_SLO),
        }
    }
}

/// The grouping labels of a windowed series: everything but the identity and the name.
pub fn group_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "__name__") && !is_identity(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn is_identity(label: &str) -> bool {
    label == LABEL_PRODUCT || label == LABEL_SERVICE || label == LABEL_SLO
}

/// `route="/a", code="200"`, or empty for an ungrouped SLO.
fn describe_group(group: &BTreeMap<String, String>) -> String {
    group
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `shop/availability` or `shop/search {route="/a"}`.
fn series_name(labels: &BTreeMap<String, String>) -> String {
    let identity = Identity::of(labels);
    let group = describe_group(&group_labels(labels));
    if group.is_empty() {
        format!("{}/{}", identity.product, identity.slo)
    } else {
        format!("{}/{} {{{group}}}", identity.product, identity.slo)
    }
}

/// `name{matchers}`, or `name` alone when nothing narrows the selection.
fn selector(name: &str, selection: &Selection) -> String {
    let matchers = selection.matchers();
    if matchers.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{matchers}}}")
    }
}

/// The window's text for display names: `1h`, or `period`.
fn window_text(window: Option<Duration>) -> String {
    window.map_or_else(|| "period".to_string(), |w| w.to_string())
}

/// A field config from JSON, the SDK's config types having private fields.
fn config(value: Value) -> Result<FieldConfig, QueryError> {
    serde_json::from_value(value)
        .map_err(|e| QueryError::internal(format!("cannot build a field config: {e}")))
}

fn time_of(seconds: f64) -> SystemTime {
    UNIX_EPOCH + StdDuration::from_secs_f64(seconds.max(0.0))
}

/// Runs one query.
pub async fn run(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    range.check()?;
    let series = series::SeriesQuery {
        upstream,
        query,
        range,
    };
    match query.kind {
        QueryKind::Sli => series.sli().await,
        QueryKind::BurnRate => series.burn_rate().await,
        QueryKind::BudgetRemaining => series.budget_remaining().await,
        QueryKind::BudgetBurndown => series.budget_burndown().await,
        QueryKind::Events => series.events().await,
        QueryKind::Status => status::status(upstream, query, range).await,
        QueryKind::Annotations => annotations::annotations_query(upstream, query, range).await,
    }
}

/// When a query found no series: a 404 if no selected SLO exists any more, else no frames (the SLO
/// exists but has no data in the range).
async fn empty_result(
    upstream: &Upstream,
    selection: &Selection,
    time: f64,
) -> Result<Vec<Frame>, QueryError> {
    let info = upstream
        .instant(&selector(SERIES_INFO, selection), time)
        .await?;
    if info.is_empty() {
        return Err(no_such_slo(selection));
    }
    Ok(Vec::new())
}

fn no_such_slo(selection: &Selection) -> QueryError {
    QueryError::not_found(format!(
        "no SLO matches {}: `{SERIES_INFO}` has no such series; the SLO may have been deleted, or the generated rules are not loaded",
        selection.describe()
    ))
}

/// Per-SLO constants (`slokit:objective:ratio`, `slokit:period:seconds`, ...) in one query.
async fn constants(
    upstream: &Upstream,
    selection: &Selection,
    names: &[&str],
    time: f64,
) -> Result<BTreeMap<Identity, BTreeMap<String, f64>>, QueryError> {
    let samples = upstream
        .instant(&name_regex_selector(names, selection), time)
        .await?;
    let mut out: BTreeMap<Identity, BTreeMap<String, f64>> = BTreeMap::new();
    for sample in samples {
        let name = sample.labels.get("__name__").cloned().unwrap_or_default();
        out.entry(Identity::of(&sample.labels))
            .or_default()
            .insert(name, sample.value);
    }
    Ok(out)
}

/// `{__name__=~"a|b|c",<selection>}`: several series in one query.
fn name_regex_selector(names: &[&str], selection: &Selection) -> String {
    let alternatives: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
    let mut matchers = vec![format!(
        "__name__=~{}",
        slokit_conventions::promql::quote(&alternatives.join("|"))
    )];
    let selection_matchers = selection.matchers();
    if !selection_matchers.is_empty() {
        matchers.push(selection_matchers);
    }
    format!("{{{}}}", matchers.join(","))
}

async fn range_query(
    upstream: &Upstream,
    expr: &str,
    range: TimeRange,
) -> Result<Vec<Series>, QueryError> {
    let step = range.step();
    let mut series = upstream.range(expr, range.from, range.to, step).await?;
    sort_series(&mut series);
    Ok(series)
}

/// Orders series by SLO and then group, so frames come in the same order on every refresh.
fn sort_series(series: &mut [Series]) {
    series.sort_by_cached_key(|s| (Identity::of(&s.labels), group_labels(&s.labels)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stay_under_prometheus_limit() {
        let range = TimeRange {
            from: 0.0,
            to: 90.0 * 86_400.0,
            interval: StdDuration::from_secs(1),
            max_data_points: 0,
        };
        assert!(range.to / range.step() <= MAX_POINTS);
        let range = TimeRange {
            from: 0.0,
            to: 3600.0,
            interval: StdDuration::from_millis(100),
            max_data_points: 100,
        };
        assert_eq!(range.step(), 36.0);
    }

    #[test]
    fn time_ranges_are_checked() {
        let range = TimeRange {
            from: 10.0,
            to: 10.0,
            interval: StdDuration::from_secs(1),
            max_data_points: 100,
        };
        assert_eq!(
            range.check().unwrap_err().message,
            "the time range is empty: `from` is not before `to`"
        );
    }
}
