//! Running one parsed query against Prometheus and shaping the answer into Grafana data frames.
//! Every query kind reads only the series documented in `docs/metrics.md`, through the names in
//! `slokit::conventions`, and issues a fixed number of Prometheus queries whatever the number of
//! SLOs selected (listed per kind in the README).
//!
//! Frames are built around a bug in grafana-plugin-sdk 0.5: a field that has both labels and a
//! config loses its labels in the Arrow encoding. So every series gets its own frame, its labels go
//! into the display name, and fields carry only a config (unit, thresholds, display name).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use grafana_plugin_sdk::data::{FieldConfig, Frame};
use grafana_plugin_sdk::prelude::*;
use serde_json::{json, Value};
use slokit::conventions::{
    burn_factor, burn_rate_series, rate_series, DEFAULT_TIERS, LABEL_OWNER, LABEL_PHASE,
    LABEL_PRODUCT, LABEL_SERVICE, LABEL_SLO, LONG_WINDOW_STEP, SERIES_BAD, SERIES_BUDGET_REMAINING,
    SERIES_ERROR_BUDGET, SERIES_INFO, SERIES_OBJECTIVE, SERIES_PERIOD, SERIES_SLI, SERIES_TOTAL,
};
use slokit::duration::Duration;

use crate::query::{regex_escape, QueryError, QueryKind, Selection, SloQuery};
use crate::upstream::{Sample, Series, Upstream};

/// Prometheus's own series of firing and pending alerts, and its state label. These are
/// Prometheus's names, not slokit's, so they are not in `slokit::conventions`.
pub const ALERTS_SERIES: &str = "ALERTS";
pub const ALERTS_STATE_LABEL: &str = "alertstate";

/// Prometheus refuses range queries of more than 11,000 points per series; stay below.
const MAX_POINTS: f64 = 10_000.0;

/// Dashboard ranges up to this length are burnt down from the 5m series, longer ones from the 1h
/// series (30 days of 1h points is 720 points; of 5m points, 8,640).
const BURNDOWN_FINE_LIMIT_SECS: f64 = 12.0 * 3600.0;

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
fn group_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
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

/// One frame holding one series: a time field and a value field with `config`.
fn series_frame(
    frame_name: &str,
    display: &str,
    points: &[(f64, f64)],
    field_config: FieldConfig,
) -> Frame {
    let times: Vec<SystemTime> = points.iter().map(|(t, _)| time_of(*t)).collect();
    let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
    Frame::new(frame_name)
        .with_field(times.into_field("time"))
        .with_field(values.into_field("value").with_config(field_config))
        .with_name(display)
}

/// Runs one query.
pub async fn run(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    range.check()?;
    match query.kind {
        QueryKind::Sli => sli(upstream, query, range).await,
        QueryKind::BurnRate => burn_rate(upstream, query, range).await,
        QueryKind::BudgetRemaining => budget_remaining(upstream, query, range).await,
        QueryKind::BudgetBurndown => budget_burndown(upstream, query, range).await,
        QueryKind::Status => status(upstream, query, range).await,
        QueryKind::Events => events(upstream, query, range).await,
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
        slokit::promql::quote(&alternatives.join("|"))
    )];
    let selection_matchers = selection.matchers();
    if !selection_matchers.is_empty() {
        matchers.push(selection_matchers);
    }
    format!("{{{}}}", matchers.join(","))
}

async fn sli(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let selection = &query.selection;
    let expr = match query.window {
        None => selector(SERIES_SLI, selection),
        Some(window) => {
            let bad = selector(&rate_series(SERIES_BAD, Some(window)), selection);
            let total = selector(&rate_series(SERIES_TOTAL, Some(window)), selection);
            // A window without events has SLI 1, as the recorded period SLI does.
            format!("1 - ({bad} / ({total} > 0) or 0 * {total})")
        }
    };
    let (series, objectives) = futures_util::try_join!(
        range_query(upstream, &expr, range),
        constants(upstream, selection, &[SERIES_OBJECTIVE], range.to),
    )?;
    if series.is_empty() {
        return empty_result(upstream, selection, range.to).await;
    }
    let window = window_text(query.window);
    series
        .iter()
        .map(|s| {
            let name = series_name(&s.labels);
            let objective = objectives
                .get(&Identity::of(&s.labels))
                .and_then(|c| c.get(SERIES_OBJECTIVE))
                .copied();
            let display = format!("SLI {window} {name}");
            let mut steps = vec![json!({"value": null, "color": "red"})];
            if let Some(objective) = objective {
                steps.push(json!({"value": objective, "color": "green"}));
            }
            let field_config = config(json!({
                "displayNameFromDS": display,
                "unit": "percentunit",
                "decimals": 3,
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": {"mode": "line"}},
            }))?;
            Ok(series_frame(&name, &display, &s.points, field_config))
        })
        .collect()
}

/// The burn-rate factors of the default alert tiers for a period, highest first, with their
/// severity. The generator does not record tier factors yet, so custom tiers are not shown.
pub fn tier_factors(period_seconds: f64) -> Vec<(f64, &'static str)> {
    let period = Duration::from_millis((period_seconds * 1000.0).round().max(0.0) as u64);
    let mut factors: Vec<(f64, &'static str)> = DEFAULT_TIERS
        .iter()
        .map(|t| (burn_factor(t.budget_share, period, t.long), t.severity))
        .collect();
    factors.sort_by(|a, b| b.0.total_cmp(&a.0));
    factors.dedup_by(|a, b| (a.0 - b.0).abs() < 1e-9);
    factors
}

async fn burn_rate(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let selection = &query.selection;
    let expr = selector(&burn_rate_series(query.window), selection);
    let (series, constants) = futures_util::try_join!(
        range_query(upstream, &expr, range),
        constants(upstream, selection, &[SERIES_PERIOD], range.to),
    )?;
    if series.is_empty() {
        return empty_result(upstream, selection, range.to).await;
    }
    let window = window_text(query.window);
    series
        .iter()
        .map(|s| {
            let name = series_name(&s.labels);
            let display = format!("burn rate {window} {name}");
            let mut steps = vec![json!({"value": null, "color": "green"})];
            if let Some(period) = constants
                .get(&Identity::of(&s.labels))
                .and_then(|c| c.get(SERIES_PERIOD))
            {
                let mut factors = tier_factors(*period);
                factors.reverse();
                for (factor, severity) in factors {
                    let color = if severity == "page" { "red" } else { "orange" };
                    steps.push(json!({"value": factor, "color": color}));
                }
            }
            let field_config = config(json!({
                "displayNameFromDS": display,
                "unit": "none",
                "decimals": 2,
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": {"mode": "line"}},
            }))?;
            Ok(series_frame(&name, &display, &s.points, field_config))
        })
        .collect()
}

/// The thresholds of budget-remaining fields: red when spent, orange under a quarter left.
fn budget_thresholds() -> Value {
    json!({"mode": "absolute", "steps": [
        {"value": null, "color": "red"},
        {"value": 0.0, "color": "orange"},
        {"value": 0.25, "color": "green"},
    ]})
}

async fn budget_remaining(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let selection = &query.selection;
    let series = range_query(
        upstream,
        &selector(SERIES_BUDGET_REMAINING, selection),
        range,
    )
    .await?;
    if series.is_empty() {
        return empty_result(upstream, selection, range.to).await;
    }
    series
        .iter()
        .map(|s| {
            let name = series_name(&s.labels);
            let display = format!("budget remaining {name}");
            let field_config = config(json!({
                "displayNameFromDS": display,
                "unit": "percentunit",
                "decimals": 1,
                "thresholds": budget_thresholds(),
            }))?;
            Ok(series_frame(&name, &display, &s.points, field_config))
        })
        .collect()
}

/// Budget remaining across the dashboard's range: the error ratio of all events since `from`,
/// as a share of the budget, scaled by the share of the period elapsed. It ends where a period
/// of the same traffic and errors would end; the ideal line burns exactly the budget in a period.
async fn budget_burndown(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let selection = &query.selection;
    let span = range.to - range.from;
    let (window, step) = if span <= BURNDOWN_FINE_LIMIT_SECS {
        (slokit::conventions::BASE_WINDOW, 300.0)
    } else {
        (LONG_WINDOW_STEP, 3600.0)
    };
    // Each point is the mean rate over the `step` before it, so points at `from + k*step` cover
    // the range exactly once, without overlap.
    let start = range.from + step;
    if start > range.to {
        return Err(QueryError::bad_request(format!(
            "the time range is shorter than the burn-down resolution ({}s)",
            step
        )));
    }
    let bad_expr = selector(&rate_series(SERIES_BAD, Some(window)), selection);
    let total_expr = selector(&rate_series(SERIES_TOTAL, Some(window)), selection);
    let (bad, total, constants) = futures_util::try_join!(
        async { Ok::<_, QueryError>(upstream.range(&bad_expr, start, range.to, step).await?) },
        async { Ok::<_, QueryError>(upstream.range(&total_expr, start, range.to, step).await?) },
        constants(
            upstream,
            selection,
            &[SERIES_ERROR_BUDGET, SERIES_PERIOD],
            range.to
        ),
    )?;
    if total.is_empty() {
        return empty_result(upstream, selection, range.to).await;
    }
    let mut total = total;
    sort_series(&mut total);
    let bad_by_labels: BTreeMap<BTreeMap<String, String>, BTreeMap<i64, f64>> = bad
        .into_iter()
        .map(|s| {
            let points = s.points.iter().map(|(t, v)| (*t as i64, *v)).collect();
            (strip_name(s.labels), points)
        })
        .collect();
    let mut frames = Vec::new();
    for series in total {
        let labels = strip_name(series.labels);
        let identity = Identity::of(&labels);
        let Some(constants) = constants.get(&identity) else {
            continue;
        };
        let (Some(budget), Some(period)) = (
            constants.get(SERIES_ERROR_BUDGET).copied(),
            constants.get(SERIES_PERIOD).copied(),
        ) else {
            continue;
        };
        let bad_points = bad_by_labels.get(&labels);
        let mut bad_sum = 0.0;
        let mut total_sum = 0.0;
        let mut times = Vec::new();
        let mut remaining = Vec::new();
        let mut ideal = Vec::new();
        for (time, total_rate) in &series.points {
            let bad_rate = bad_points
                .and_then(|p| p.get(&(*time as i64)))
                .copied()
                .unwrap_or(0.0);
            bad_sum += bad_rate * step;
            total_sum += total_rate * step;
            let elapsed = time - range.from;
            let error_ratio = if total_sum > 0.0 {
                bad_sum / total_sum
            } else {
                0.0
            };
            times.push(time_of(*time));
            remaining.push(1.0 - error_ratio / budget * elapsed / period);
            ideal.push(1.0 - elapsed / period);
        }
        let name = series_name(&labels);
        let display = format!("budget remaining {name}");
        let ideal_display = format!("ideal {name}");
        frames.push(
            Frame::new(&name)
                .with_field(times.into_field("time"))
                .with_field(remaining.into_field("remaining").with_config(config(json!({
                    "displayNameFromDS": display,
                    "unit": "percentunit",
                    "decimals": 1,
                    "thresholds": budget_thresholds(),
                }))?))
                .with_field(ideal.into_field("ideal").with_config(config(json!({
                    "displayNameFromDS": ideal_display,
                    "unit": "percentunit",
                    "decimals": 1,
                    "custom": {"lineStyle": {"fill": "dash", "dash": [10, 10]}},
                }))?)),
        );
    }
    Ok(frames)
}

fn strip_name(mut labels: BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels.remove("__name__");
    labels
}

async fn events(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let selection = &query.selection;
    let total = selector(&rate_series(SERIES_TOTAL, query.window), selection);
    let bad = selector(&rate_series(SERIES_BAD, query.window), selection);
    let good = format!("{total} - {bad}");
    let (good_series, total_series) = futures_util::try_join!(
        range_query(upstream, &good, range),
        range_query(upstream, &total, range),
    )?;
    if total_series.is_empty() {
        return empty_result(upstream, selection, range.to).await;
    }
    let window = window_text(query.window);
    let mut frames = Vec::new();
    for (kind, list) in [("good", &good_series), ("total", &total_series)] {
        for s in list {
            let name = series_name(&s.labels);
            let display = format!("{kind} events/s {window} {name}");
            let field_config = config(json!({
                "displayNameFromDS": display,
                "unit": "short",
            }))?;
            frames.push(series_frame(
                &format!("{kind} {name}"),
                &display,
                &s.points,
                field_config,
            ));
        }
    }
    Ok(frames)
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

/// The burn-rate windows the status table shows.
pub const STATUS_BURN_WINDOWS: [Duration; 3] = [
    Duration::from_hours(1),
    Duration::from_hours(6),
    Duration::from_days(3),
];

/// One row of the status table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusRow {
    pub identity: Option<Identity>,
    pub group: String,
    pub display_name: String,
    pub objective: Option<f64>,
    pub period: String,
    pub sli: Option<f64>,
    pub budget_remaining: Option<f64>,
    pub budget_remaining_minutes: Option<f64>,
    pub burn_rates: [Option<f64>; 3],
    pub alert_state: String,
    pub phase: String,
    pub owner: String,
}

/// The status table: two Prometheus queries whatever the number of SLOs (the recorded series in
/// one, `ALERTS` in the other).
async fn status(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let rows = status_rows(upstream, &query.selection, range.to).await?;
    if rows.is_empty() {
        return Err(no_such_slo(&query.selection));
    }
    Ok(vec![status_frame(&rows)?])
}

pub async fn status_rows(
    upstream: &Upstream,
    selection: &Selection,
    time: f64,
) -> Result<Vec<StatusRow>, QueryError> {
    let burn_names: Vec<String> = STATUS_BURN_WINDOWS
        .iter()
        .map(|w| burn_rate_series(Some(*w)))
        .collect();
    let mut names = vec![
        SERIES_INFO,
        SERIES_OBJECTIVE,
        SERIES_ERROR_BUDGET,
        SERIES_PERIOD,
        SERIES_SLI,
        SERIES_BUDGET_REMAINING,
    ];
    names.extend(burn_names.iter().map(String::as_str));
    let alerts_expr = {
        let matchers = selection.matchers();
        let state = format!("{ALERTS_STATE_LABEL}=~\"firing|pending\"");
        if matchers.is_empty() {
            format!("{ALERTS_SERIES}{{{state}}}")
        } else {
            format!("{ALERTS_SERIES}{{{matchers},{state}}}")
        }
    };
    let series_expr = name_regex_selector(&names, selection);
    let (samples, alerts) = futures_util::try_join!(
        upstream.instant(&series_expr, time),
        upstream.instant(&alerts_expr, time),
    )?;
    Ok(build_status_rows(&samples, &alerts, &burn_names))
}

/// One SLO and one value combination of its grouping labels.
type SeriesKey = (Identity, BTreeMap<String, String>);

/// Joins the samples into rows: one per SLO and group.
fn build_status_rows(
    samples: &[Sample],
    alerts: &[Sample],
    burn_names: &[String],
) -> Vec<StatusRow> {
    let mut info: BTreeMap<Identity, &BTreeMap<String, String>> = BTreeMap::new();
    let mut constants: BTreeMap<Identity, BTreeMap<&str, f64>> = BTreeMap::new();
    let mut windowed: BTreeMap<SeriesKey, BTreeMap<&str, f64>> = BTreeMap::new();
    for sample in samples {
        let name = sample
            .labels
            .get("__name__")
            .map(String::as_str)
            .unwrap_or("");
        let identity = Identity::of(&sample.labels);
        if name == SERIES_INFO {
            info.insert(identity, &sample.labels);
        } else if [SERIES_OBJECTIVE, SERIES_ERROR_BUDGET, SERIES_PERIOD].contains(&name) {
            constants.entry(identity).or_default().insert(
                [SERIES_OBJECTIVE, SERIES_ERROR_BUDGET, SERIES_PERIOD]
                    .into_iter()
                    .find(|n| *n == name)
                    .unwrap_or(SERIES_OBJECTIVE),
                sample.value,
            );
        } else {
            let key = (identity, group_labels(&sample.labels));
            let name = [SERIES_SLI, SERIES_BUDGET_REMAINING]
                .into_iter()
                .chain(burn_names.iter().map(String::as_str))
                .find(|n| *n == name);
            if let Some(name) = name {
                windowed.entry(key).or_default().insert(name, sample.value);
            }
        }
    }
    // Every SLO with an info series gets a row, even before its windows have data.
    let mut keys: BTreeSet<SeriesKey> = windowed.keys().cloned().collect();
    for identity in info.keys() {
        if !keys.iter().any(|(i, _)| i == identity) {
            keys.insert((identity.clone(), BTreeMap::new()));
        }
    }
    let mut rows = Vec::new();
    for (identity, group) in keys {
        let values = windowed.get(&(identity.clone(), group.clone()));
        let get = |name: &str| values.and_then(|v| v.get(name)).copied();
        let constant = |name: &str| constants.get(&identity).and_then(|c| c.get(name)).copied();
        let labels = info.get(&identity);
        let label = |name: &str| {
            labels
                .and_then(|l| l.get(name))
                .cloned()
                .unwrap_or_default()
        };
        let budget_remaining = get(SERIES_BUDGET_REMAINING);
        let budget_minutes = match (
            budget_remaining,
            constant(SERIES_ERROR_BUDGET),
            constant(SERIES_PERIOD),
        ) {
            (Some(r), Some(b), Some(p)) => Some(r * b * p / 60.0),
            _ => None,
        };
        let period = constant(SERIES_PERIOD)
            .map(|p| Duration::from_millis((p * 1000.0).round().max(0.0) as u64).to_string())
            .unwrap_or_default();
        let alert_state = alert_state(alerts, &identity, &group);
        rows.push(StatusRow {
            display_name: label(slokit::conventions::LABEL_DISPLAY_NAME),
            group: describe_group(&group),
            objective: constant(SERIES_OBJECTIVE),
            period,
            sli: get(SERIES_SLI),
            budget_remaining,
            budget_remaining_minutes: budget_minutes,
            burn_rates: [
                get(&burn_names[0]),
                get(&burn_names[1]),
                get(&burn_names[2]),
            ],
            alert_state,
            phase: label(LABEL_PHASE),
            owner: label(LABEL_OWNER),
            identity: Some(identity),
        });
    }
    rows
}

/// `firing (page)`, `pending (ticket)` or `ok`, from the alerts of one SLO and group.
fn alert_state(alerts: &[Sample], identity: &Identity, group: &BTreeMap<String, String>) -> String {
    let mut firing = BTreeSet::new();
    let mut pending = BTreeSet::new();
    for alert in alerts {
        if Identity::of(&alert.labels) != *identity {
            continue;
        }
        // An alert about the whole SLO (no-data) has no group labels and applies to every group.
        if group
            .iter()
            .any(|(k, v)| alert.labels.get(k).is_some_and(|a| a != v))
        {
            continue;
        }
        let severity = alert
            .labels
            .get(slokit::conventions::LABEL_SEVERITY)
            .cloned()
            .unwrap_or_default();
        match alert.labels.get(ALERTS_STATE_LABEL).map(String::as_str) {
            Some("firing") => firing.insert(severity),
            Some("pending") => pending.insert(severity),
            _ => false,
        };
    }
    let describe = |state: &str, severities: &BTreeSet<String>| {
        let list: Vec<&str> = severities
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if list.is_empty() {
            state.to_string()
        } else {
            format!("{state} ({})", list.join(", "))
        }
    };
    if !firing.is_empty() {
        describe("firing", &firing)
    } else if !pending.is_empty() {
        describe("pending", &pending)
    } else {
        "ok".into()
    }
}

fn status_frame(rows: &[StatusRow]) -> Result<Frame, QueryError> {
    let text = |f: &dyn Fn(&StatusRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let number = |f: &dyn Fn(&StatusRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    let unit = |display: &str, unit: &str| {
        config(json!({"displayNameFromDS": display, "unit": unit, "decimals": 3}))
    };
    let identity = |f: fn(&Identity) -> &String| {
        text(&|r: &StatusRow| r.identity.as_ref().map(f).cloned().unwrap_or_default())
    };
    let mut frame = Frame::new("status")
        .with_field(identity(|i| &i.product).into_field("product"))
        .with_field(identity(|i| &i.service).into_field("service"))
        .with_field(identity(|i| &i.slo).into_field("slo"))
        .with_field(text(&|r| r.group.clone()).into_field("group"))
        .with_field(text(&|r| r.display_name.clone()).into_field("display name"))
        .with_field(
            number(&|r| r.objective)
                .into_opt_field("objective")
                .with_config(unit("objective", "percentunit")?),
        )
        .with_field(text(&|r| r.period.clone()).into_field("period"))
        .with_field(
            number(&|r| r.sli)
                .into_opt_field("sli")
                .with_config(unit("SLI", "percentunit")?),
        )
        .with_field(
            number(&|r| r.budget_remaining)
                .into_opt_field("budget remaining")
                .with_config(config(json!({
                    "displayNameFromDS": "budget remaining",
                    "unit": "percentunit",
                    "decimals": 1,
                    "thresholds": budget_thresholds(),
                }))?),
        )
        .with_field(
            number(&|r| r.budget_remaining_minutes)
                .into_opt_field("budget remaining minutes")
                .with_config(unit("budget remaining (minutes)", "m")?),
        );
    for (index, window) in STATUS_BURN_WINDOWS.iter().enumerate() {
        let name = format!("burn rate {window}");
        frame = frame.with_field(
            number(&|r| r.burn_rates[index])
                .into_opt_field(&name)
                .with_config(unit(&name, "none")?),
        );
    }
    Ok(frame
        .with_field(text(&|r| r.alert_state.clone()).into_field("alert state"))
        .with_field(text(&|r| r.phase.clone()).into_field("phase"))
        .with_field(text(&|r| r.owner.clone()).into_field("owner"))
        // The generator does not record error-budget policies or review dates in any series yet.
        .with_field(text(&|_| "unknown".to_string()).into_field("policy action"))
        .with_field(text(&|_| "unknown".to_string()).into_field("review status")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tier_factors_for_30_days() {
        let factors = tier_factors(30.0 * 86_400.0);
        let values: Vec<f64> = factors
            .iter()
            .map(|f| (f.0 * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(values, vec![14.4, 6.0, 3.0, 1.0]);
    }

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
