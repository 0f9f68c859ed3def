//! Running one parsed query against Prometheus and shaping the answer into Grafana data frames.
//! Every query kind reads only the series documented in `docs/metrics.md`, through the names in
//! `slokit_conventions`, and issues a fixed number of Prometheus queries whatever the number of
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
use slokit::live::policy::{Figures, Outcome};
use slokit::model::{Date, ErrorBudgetPolicy, Origin, PolicyCondition, PolicyStep, SpecFormat};
use slokit_conventions::duration::Duration;
use slokit_conventions::{
    burn_rate_series, is_recorded_everywhere, rate_series, window_error_ratio, LABEL_LONG_WINDOW,
    LABEL_OWNER, LABEL_PHASE, LABEL_POLICY, LABEL_POLICY_ACTION, LABEL_POLICY_BLOCKS,
    LABEL_POLICY_CONDITION, LABEL_POLICY_ORDER, LABEL_POLICY_STEP, LABEL_POLICY_WINDOW,
    LABEL_PRODUCT, LABEL_REVIEW_DUE, LABEL_SERVICE, LABEL_SEVERITY, LABEL_SHORT_WINDOW, LABEL_SLO,
    LONG_WINDOW_STEP, SERIES_BAD, SERIES_BUDGET_REMAINING, SERIES_BURN_RATE_THRESHOLD,
    SERIES_ERROR_BUDGET, SERIES_INFO, SERIES_OBJECTIVE, SERIES_PERIOD, SERIES_POLICY_STEP,
    SERIES_SLI, SERIES_TOTAL,
};

use crate::query::{matcher, QueryError, QueryKind, Selection, SloQuery};
use crate::upstream::Upstream;
use slokit_conventions::promql::regex_escape;
use slokit_wire::{Sample, Series};

/// Prometheus's own series of firing and pending alerts, and its state label. These are
/// Prometheus's names, not slokit's, so they are not in `slokit_conventions`.
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
        slokit_conventions::promql::quote(&alternatives.join("|"))
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
fn period_from_seconds(seconds: f64) -> Option<Duration> {
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
fn burn_threshold_steps(windows: &[AlertWindow]) -> Vec<Value> {
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

/// Burn rates, with the SLO's alert thresholds. The thresholds come in the same batch of queries
/// as the series (one query for every selected SLO's thresholds and periods, none per SLO).
async fn burn_rate(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let selection = &query.selection;
    let expr = selector(&burn_rate_series(query.window), selection);
    let (series, tiers) = futures_util::try_join!(
        range_query(upstream, &expr, range),
        fetch_alert_windows(upstream, selection, range.to),
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
            let steps = match tiers.get(&Identity::of(&s.labels)) {
                Some((windows, _)) => burn_threshold_steps(windows),
                None => burn_threshold_steps(&[]),
            };
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
        (slokit_conventions::BASE_WINDOW, 300.0)
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
    /// The action of the policy step in force and the step's name, `none`, `no policy`, or
    /// `unknown` when a figure a step needs is missing.
    pub policy_action: String,
    /// `due 2026-12-01 (in 9 days)`, `overdue since 2026-11-01 (21 days)` or `not scheduled`.
    pub review_status: String,
}

/// The status table: two Prometheus queries whatever the number of SLOs (the recorded series,
/// policy steps included, in one; `ALERTS` in the other), plus one when a selected SLO's policy
/// has a burn-rate step over a window the table does not show (every such window in that one
/// query).
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

/// The status rows at `time` (Unix seconds), which is also the day review dates are counted from.
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
        SERIES_POLICY_STEP,
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
    let table = StatusSamples::read(&samples, &burn_names);
    let needed = table.extra_windows();
    let extra = match extra_burn_rates_query(&needed, selection) {
        Some(expr) => read_extra_burn_rates(&upstream.instant(&expr, time).await?),
        None => BTreeMap::new(),
    };
    Ok(table.rows(&alerts, &extra, time))
}

/// One SLO and one value combination of its grouping labels.
type SeriesKey = (Identity, BTreeMap<String, String>);

/// Burn rates over the policy windows the table does not show, by SLO, group and window.
type ExtraBurnRates = BTreeMap<(SeriesKey, Duration), f64>;

/// An SLO's error-budget policy, as its step series say.
#[derive(Clone, Debug, PartialEq)]
enum PolicyState {
    /// The info series names no policy and there are no step series.
    None,
    /// A policy is named but its steps are missing (not evaluated yet), or a step's labels are
    /// not what this plugin understands (rules from a newer slokit).
    Unreadable,
    Policy(ErrorBudgetPolicy),
}

/// The answer of the status table's main query, sorted by kind.
struct StatusSamples<'a> {
    burn_names: &'a [String],
    info: BTreeMap<Identity, &'a BTreeMap<String, String>>,
    constants: BTreeMap<Identity, BTreeMap<&'static str, f64>>,
    windowed: BTreeMap<SeriesKey, BTreeMap<&'a str, f64>>,
    steps: BTreeMap<Identity, Vec<&'a Sample>>,
}

impl<'a> StatusSamples<'a> {
    fn read(samples: &'a [Sample], burn_names: &'a [String]) -> StatusSamples<'a> {
        let mut table = StatusSamples {
            burn_names,
            info: BTreeMap::new(),
            constants: BTreeMap::new(),
            windowed: BTreeMap::new(),
            steps: BTreeMap::new(),
        };
        let constant_names = [SERIES_OBJECTIVE, SERIES_ERROR_BUDGET, SERIES_PERIOD];
        for sample in samples {
            let name = sample
                .labels
                .get("__name__")
                .map(String::as_str)
                .unwrap_or("");
            let identity = Identity::of(&sample.labels);
            if name == SERIES_INFO {
                table.info.insert(identity, &sample.labels);
            } else if name == SERIES_POLICY_STEP {
                table.steps.entry(identity).or_default().push(sample);
            } else if let Some(constant) = constant_names.into_iter().find(|n| *n == name) {
                table
                    .constants
                    .entry(identity)
                    .or_default()
                    .insert(constant, sample.value);
            } else {
                let key = (identity, group_labels(&sample.labels));
                let name = [SERIES_SLI, SERIES_BUDGET_REMAINING]
                    .into_iter()
                    .chain(burn_names.iter().map(String::as_str))
                    .find(|n| *n == name);
                if let Some(name) = name {
                    table
                        .windowed
                        .entry(key)
                        .or_default()
                        .insert(name, sample.value);
                }
            }
        }
        table
    }

    fn constant(&self, identity: &Identity, name: &str) -> Option<f64> {
        self.constants
            .get(identity)
            .and_then(|c| c.get(name))
            .copied()
    }

    fn period(&self, identity: &Identity) -> Option<Duration> {
        self.constant(identity, SERIES_PERIOD)
            .and_then(period_from_seconds)
    }

    fn policy(&self, identity: &Identity) -> PolicyState {
        let named = self
            .info
            .get(identity)
            .and_then(|labels| labels.get(LABEL_POLICY))
            .is_some_and(|name| !name.is_empty());
        match self.steps.get(identity) {
            Some(steps) => match policy_from_steps(steps) {
                Some(policy) => PolicyState::Policy(policy),
                None => PolicyState::Unreadable,
            },
            None if named => PolicyState::Unreadable,
            None => PolicyState::None,
        }
    }

    /// The burn-rate windows that policies need and the table does not already have, with the
    /// products whose SLOs need them. A window equal to an SLO's period is read from its budget.
    fn extra_windows(&self) -> BTreeMap<Duration, BTreeSet<String>> {
        let mut out: BTreeMap<Duration, BTreeSet<String>> = BTreeMap::new();
        for identity in self.steps.keys() {
            let PolicyState::Policy(policy) = self.policy(identity) else {
                continue;
            };
            for window in slokit::live::policy::windows(&policy) {
                if !STATUS_BURN_WINDOWS.contains(&window) && Some(window) != self.period(identity) {
                    out.entry(window)
                        .or_default()
                        .insert(identity.product.clone());
                }
            }
        }
        out
    }

    /// The figures a policy is evaluated against for one row: the row's own budget remaining and
    /// burn rates (per group, like every other column of the row).
    fn figures(
        &self,
        key: &SeriesKey,
        policy: &ErrorBudgetPolicy,
        extra: &ExtraBurnRates,
    ) -> Figures {
        let values = self.windowed.get(key);
        let get = |name: &str| values.and_then(|v| v.get(name)).copied();
        let budget_remaining = get(SERIES_BUDGET_REMAINING);
        let burn_rates = slokit::live::policy::windows(policy)
            .into_iter()
            .map(|window| {
                let value = match STATUS_BURN_WINDOWS.iter().position(|w| *w == window) {
                    Some(index) => get(&self.burn_names[index]),
                    // `slokit:error_budget_remaining:period` is `1 - slokit:burn_rate:period`.
                    None if Some(window) == self.period(&key.0) => {
                        budget_remaining.map(|r| 1.0 - r)
                    }
                    None => extra.get(&(key.clone(), window)).copied(),
                };
                (window, value)
            })
            .collect();
        Figures {
            budget_remaining,
            burn_rates,
        }
    }

    /// One row per SLO and group; every SLO with an info series gets a row, even before its
    /// windows have data.
    fn rows(&self, alerts: &[Sample], extra: &ExtraBurnRates, time: f64) -> Vec<StatusRow> {
        let mut keys: BTreeSet<SeriesKey> = self.windowed.keys().cloned().collect();
        for identity in self.info.keys() {
            if !keys.iter().any(|(i, _)| i == identity) {
                keys.insert((identity.clone(), BTreeMap::new()));
            }
        }
        let mut rows = Vec::new();
        for key in keys {
            let (identity, group) = &key;
            let values = self.windowed.get(&key);
            let get = |name: &str| values.and_then(|v| v.get(name)).copied();
            let labels = self.info.get(identity);
            let label = |name: &str| {
                labels
                    .and_then(|l| l.get(name))
                    .cloned()
                    .unwrap_or_default()
            };
            let budget_remaining = get(SERIES_BUDGET_REMAINING);
            let budget_minutes = match (
                budget_remaining,
                self.constant(identity, SERIES_ERROR_BUDGET),
                self.constant(identity, SERIES_PERIOD),
            ) {
                (Some(r), Some(b), Some(p)) => Some(r * b * p / 60.0),
                _ => None,
            };
            let policy_action = match self.policy(identity) {
                PolicyState::None => "no policy".to_string(),
                PolicyState::Unreadable => "unknown".to_string(),
                PolicyState::Policy(policy) => {
                    policy_action(&policy, &self.figures(&key, &policy, extra))
                }
            };
            let review_due = label(LABEL_REVIEW_DUE);
            rows.push(StatusRow {
                display_name: label(slokit_conventions::LABEL_DISPLAY_NAME),
                group: describe_group(group),
                objective: self.constant(identity, SERIES_OBJECTIVE),
                period: self
                    .period(identity)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                sli: get(SERIES_SLI),
                budget_remaining,
                budget_remaining_minutes: budget_minutes,
                burn_rates: [
                    get(&self.burn_names[0]),
                    get(&self.burn_names[1]),
                    get(&self.burn_names[2]),
                ],
                alert_state: alert_state(alerts, identity, group),
                phase: label(LABEL_PHASE),
                owner: label(LABEL_OWNER),
                policy_action,
                review_status: review_status(
                    Some(review_due.as_str()).filter(|d| !d.is_empty()),
                    time,
                ),
                identity: Some(identity.clone()),
            });
        }
        rows
    }
}

/// An SLO's policy from its step series (`slokit:policy_step:threshold`), in the policy's order;
/// `None` when a step's labels cannot be read.
fn policy_from_steps(steps: &[&Sample]) -> Option<ErrorBudgetPolicy> {
    let mut ordered: Vec<(usize, PolicyStep)> = Vec::new();
    let mut name = String::new();
    for sample in steps {
        let label = |label: &str| sample.labels.get(label).map(String::as_str);
        let when = match label(LABEL_POLICY_CONDITION)? {
            "budget_remaining_below" => PolicyCondition::BudgetRemainingBelow(sample.value),
            "budget_exhausted" => PolicyCondition::BudgetExhausted,
            "burn_rate_above" => PolicyCondition::BurnRateAbove {
                factor: sample.value,
                window: Duration::parse(label(LABEL_POLICY_WINDOW)?).ok()?,
            },
            _ => return None,
        };
        let blocks_releases = match label(LABEL_POLICY_BLOCKS)? {
            "true" => true,
            "false" => false,
            _ => return None,
        };
        name = label(LABEL_POLICY).unwrap_or_default().to_string();
        ordered.push((
            label(LABEL_POLICY_ORDER)?.parse().ok()?,
            PolicyStep {
                name: label(LABEL_POLICY_STEP)?.to_string(),
                when,
                action: label(LABEL_POLICY_ACTION)?.to_string(),
                blocks_releases,
            },
        ));
    }
    ordered.sort_by_key(|(order, _)| *order);
    if ordered.is_empty() || ordered.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    Some(ErrorBudgetPolicy {
        name,
        description: None,
        steps: ordered.into_iter().map(|(_, step)| step).collect(),
        // The policy comes from series, not a file; nothing reads its origin here.
        origin: Origin {
            file: String::new(),
            line: 0,
            format: SpecFormat::Native,
        },
    })
}

/// The policy column: the action of the step in force and the step's name, e.g.
/// `freeze releases (budget-exhausted)`; `none` when no step matches. `unknown` when a step whose
/// figure is missing could be the one in force, i.e. is more severe (in `slokit::live::policy`'s order)
/// than the step that matches: a missing figure is never taken for "fine".
pub fn policy_action(policy: &ErrorBudgetPolicy, figures: &Figures) -> String {
    let evaluation = slokit::live::policy::evaluate(policy, figures);
    let severity_of = |index: usize| slokit::live::policy::severity(&policy.steps[index], index);
    let in_force = evaluation.in_force.map(severity_of);
    let hidden = evaluation
        .results
        .iter()
        .any(|r| r.outcome == Outcome::Unknown && Some(severity_of(r.index)) > in_force);
    if hidden {
        return "unknown".into();
    }
    match evaluation.in_force {
        Some(index) => {
            let step = &policy.steps[index];
            // Actions are free text, line breaks included; a table cell shows one line.
            let action: Vec<&str> = step.action.split_whitespace().collect();
            format!("{} ({})", action.join(" "), step.name)
        }
        None => "none".into(),
    }
}

/// The review column from `slokit_review_due` (`YYYY-MM-DD`), counted in whole days from the UTC
/// date of `time` (Unix seconds).
pub fn review_status(due: Option<&str>, time: f64) -> String {
    let Some(text) = due else {
        return "not scheduled".into();
    };
    let Some(date) = Date::parse(text) else {
        return format!("unknown (`{text}` is not a date)");
    };
    let today = (time / 86_400.0).floor() as i64;
    let days = date.days_since_epoch() - today;
    let plural = |n: i64| if n == 1 { "day" } else { "days" };
    match days {
        0 => format!("due {date} (today)"),
        d if d > 0 => format!("due {date} (in {d} {})", plural(d)),
        d => format!("overdue since {date} ({} {})", -d, plural(-d)),
    }
}

/// The burn rates of the windows in `needed`, for the products that need them, in one query: each
/// window's burn rate tagged with `slokit_policy_window`, joined with `or`. Recorded windows are
/// read as recorded; others are computed as every reader computes a window
/// ([`slokit_conventions::window_error_ratio`]) and divided by the error budget, per group. `None`
/// when nothing is needed.
pub fn extra_burn_rates_query(
    needed: &BTreeMap<Duration, BTreeSet<String>>,
    selection: &Selection,
) -> Option<String> {
    if needed.is_empty() {
        return None;
    }
    let parts: Vec<String> = needed
        .iter()
        .map(|(window, products)| {
            let products: Vec<String> = products.iter().cloned().collect();
            let mut matchers = vec![matcher(LABEL_PRODUCT, &products)];
            let selected = selection.matchers();
            if !selected.is_empty() {
                matchers.push(selected);
            }
            let matchers = matchers.join(",");
            let select = |name: &str| format!("{name}{{{matchers}}}");
            let burn = if is_recorded_everywhere(*window) {
                select(&burn_rate_series(Some(*window)))
            } else {
                format!(
                    "{} / on ({LABEL_PRODUCT}, {LABEL_SERVICE}, {LABEL_SLO}) group_left {}",
                    window_error_ratio(*window, select),
                    select(SERIES_ERROR_BUDGET)
                )
            };
            format!("label_replace({burn}, \"{LABEL_POLICY_WINDOW}\", \"{window}\", \"\", \"\")")
        })
        .collect();
    Some(parts.join(" or "))
}

fn read_extra_burn_rates(samples: &[Sample]) -> ExtraBurnRates {
    let mut out = BTreeMap::new();
    for sample in samples {
        let Some(window) = sample
            .labels
            .get(LABEL_POLICY_WINDOW)
            .and_then(|w| Duration::parse(w).ok())
        else {
            continue;
        };
        let mut group = group_labels(&sample.labels);
        group.remove(LABEL_POLICY_WINDOW);
        out.insert(
            ((Identity::of(&sample.labels), group), window),
            sample.value,
        );
    }
    out
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
            .get(slokit_conventions::LABEL_SEVERITY)
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
        .with_field(text(&|r| r.policy_action.clone()).into_field("policy action"))
        .with_field(text(&|r| r.review_status.clone()).into_field("review status")))
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

    fn standard_policy() -> ErrorBudgetPolicy {
        let step = |name: &str, when, blocks_releases| PolicyStep {
            name: name.into(),
            when,
            action: format!("do {name}"),
            blocks_releases,
        };
        ErrorBudgetPolicy {
            name: "standard".into(),
            description: None,
            steps: vec![
                step(
                    "budget-low",
                    PolicyCondition::BudgetRemainingBelow(0.5),
                    false,
                ),
                step(
                    "burning",
                    PolicyCondition::BurnRateAbove {
                        factor: 1.5,
                        window: Duration::from_hours(12),
                    },
                    false,
                ),
                step("budget-exhausted", PolicyCondition::BudgetExhausted, true),
            ],
            origin: Origin {
                file: String::new(),
                line: 0,
                format: SpecFormat::Native,
            },
        }
    }

    /// (budget remaining, 12h burn rate) → policy column.
    #[test]
    fn the_policy_column_names_the_step_in_force() {
        let policy = standard_policy();
        let cases: [(Option<f64>, Option<f64>, &str); 8] = [
            (Some(0.9), Some(0.5), "none"),
            (Some(0.4), Some(0.5), "do budget-low (budget-low)"),
            (Some(0.4), Some(2.0), "do burning (burning)"),
            (Some(0.9), Some(2.0), "do burning (burning)"),
            (
                Some(-0.2),
                Some(2.0),
                "do budget-exhausted (budget-exhausted)",
            ),
            // The blocking step outranks everything and needs only the budget.
            (Some(0.0), None, "do budget-exhausted (budget-exhausted)"),
            // A missing 12h rate could hide `burning`, which outranks `budget-low`.
            (Some(0.4), None, "unknown"),
            (None, Some(2.0), "unknown"),
        ];
        let mut multiline = policy.clone();
        multiline.steps[2].action = "Freeze releases;\n  fixes only.".into();
        let exhausted = Figures {
            budget_remaining: Some(-1.0),
            burn_rates: BTreeMap::new(),
        };
        assert_eq!(
            policy_action(&multiline, &exhausted),
            "Freeze releases; fixes only. (budget-exhausted)"
        );
        for (remaining, burn, expected) in cases {
            let figures = Figures {
                budget_remaining: remaining,
                burn_rates: [(Duration::from_hours(12), burn)].into_iter().collect(),
            };
            assert_eq!(
                policy_action(&policy, &figures),
                expected,
                "{remaining:?} {burn:?}"
            );
        }
    }

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn policies_are_read_from_step_series() {
        let step = |order: &str, name: &str, condition: &str, window: &str, value: f64| {
            let mut labels = vec![
                ("__name__", SERIES_POLICY_STEP),
                (LABEL_PRODUCT, "shop"),
                (LABEL_POLICY, "standard"),
                (LABEL_POLICY_STEP, name),
                (LABEL_POLICY_ORDER, order),
                (LABEL_POLICY_CONDITION, condition),
                (LABEL_POLICY_ACTION, name),
                (
                    LABEL_POLICY_BLOCKS,
                    if name == "budget-exhausted" {
                        "true"
                    } else {
                        "false"
                    },
                ),
            ];
            if !window.is_empty() {
                labels.push((LABEL_POLICY_WINDOW, window));
            }
            sample(&labels, value)
        };
        // Out of order, as Prometheus may answer.
        let steps = [
            step("2", "budget-exhausted", "budget_exhausted", "", 0.0),
            step("0", "budget-low", "budget_remaining_below", "", 0.5),
            step("1", "burning", "burn_rate_above", "12h", 1.5),
        ];
        let policy = policy_from_steps(&steps.iter().collect::<Vec<_>>()).expect("a policy");
        let mut expected = standard_policy();
        for step in &mut expected.steps {
            step.action = step.name.clone();
        }
        assert_eq!(policy, expected);
        let unknown = step("3", "later", "error_rate_above", "", 1.0);
        assert_eq!(
            policy_from_steps(&steps.iter().chain([&unknown]).collect::<Vec<_>>()),
            None
        );
    }

    #[test]
    fn review_dates_count_days_from_the_query_s_date() {
        // 2026-11-22 10:00 UTC.
        let time = Date::parse("2026-11-22").expect("date").days_since_epoch() as f64 * 86_400.0
            + 36_000.0;
        let cases = [
            (None, "not scheduled"),
            (Some("2026-12-01"), "due 2026-12-01 (in 9 days)"),
            (Some("2026-11-23"), "due 2026-11-23 (in 1 day)"),
            (Some("2026-11-22"), "due 2026-11-22 (today)"),
            (Some("2026-11-21"), "overdue since 2026-11-21 (1 day)"),
            (Some("2026-11-01"), "overdue since 2026-11-01 (21 days)"),
            (Some("soon"), "unknown (`soon` is not a date)"),
        ];
        for (due, expected) in cases {
            assert_eq!(review_status(due, time), expected, "{due:?}");
        }
    }

    #[test]
    fn extra_windows_are_one_query() {
        let needed: BTreeMap<Duration, BTreeSet<String>> = [
            (
                Duration::from_hours(2),
                BTreeSet::from(["shop".to_string()]),
            ),
            (
                Duration::from_hours(12),
                BTreeSet::from(["billing".to_string(), "shop".to_string()]),
            ),
        ]
        .into_iter()
        .collect();
        let selection = Selection {
            products: crate::query::Values::All,
            services: crate::query::Values::Some(vec!["api".into()]),
            slos: crate::query::Values::All,
        };
        assert_eq!(extra_burn_rates_query(&BTreeMap::new(), &selection), None);
        let expr = extra_burn_rates_query(&needed, &selection).expect("a query");
        assert_eq!(
            expr,
            concat!(
                r#"label_replace(slokit:burn_rate:2h{slokit_product="shop",slokit_service="api"}, "slokit_policy_window", "2h", "", "")"#,
                r#" or label_replace(((avg_over_time(slokit:events_bad:rate1h{slokit_product=~"billing|shop",slokit_service="api"}[12h:1h])"#,
                r#" / (avg_over_time(slokit:events_total:rate1h{slokit_product=~"billing|shop",slokit_service="api"}[12h:1h]) > 0))"#,
                r#" or (0 * avg_over_time(slokit:events_total:rate1h{slokit_product=~"billing|shop",slokit_service="api"}[12h:1h])))"#,
                r#" / on (slokit_product, slokit_service, slokit_slo) group_left slokit:error_budget:ratio{slokit_product=~"billing|shop",slokit_service="api"}, "slokit_policy_window", "12h", "", "")"#,
            )
        );
        slokit::promql::parse(&expr).expect("the query parses");
        let read = read_extra_burn_rates(&[sample(
            &[
                (LABEL_PRODUCT, "shop"),
                (LABEL_SLO, "a"),
                ("route", "/x"),
                (LABEL_POLICY_WINDOW, "12h"),
            ],
            2.0,
        )]);
        let identity = Identity {
            product: "shop".into(),
            service: String::new(),
            slo: "a".into(),
        };
        let group: BTreeMap<String, String> = [("route".to_string(), "/x".to_string())].into();
        assert_eq!(
            read.get(&((identity, group), Duration::from_hours(12))),
            Some(&2.0)
        );
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
