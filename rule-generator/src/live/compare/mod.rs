//! `slo compare`: slokit's SLOs against the legacy ones a team already runs (Sloth, Pyrra, or
//! hand-written rules named in a mapping file), on one live Prometheus where both rule sets are
//! loaded, over a range of time. For every SLO it compares the error ratio per common window
//! (5m, 30m, 1h, 2h, 6h, 1d, 3d and the period), the budget remaining and the alert activity,
//! point by point ([`judge`]), and explains a difference when the cause is known. [`fetch`] reads
//! everything through the client; [`compare`] is pure; [`render`] writes text, Markdown or JSON.
//!
//! slokit's windows are read the way every reader reads them ([`budget::rate_query`], which
//! follows `conventions::window_rate`), so the comparison judges the numbers dashboards, the plugin
//! and `slo report` show. Cost: for slokit two range queries per window across every SLO, plus
//! coverage, alerts and the averaged 5m ratios; for the legacy side one range query per quantity
//! and SLO (its series are named per SLO).

pub mod judge;
pub mod legacy;
pub mod render;

use crate::conventions::{
    identity_labels, rate_series, ALERT_STATE_FIRING, BASE_WINDOW, LABEL_ALERT_STATE,
    LABEL_PRODUCT, LABEL_SLO, SERIES_ALERTS, SERIES_BAD, SERIES_TOTAL,
};
use crate::conventions::{promql::quote, reads_hourly};
use crate::duration::Duration;
use crate::live::budget::{self, Key};
use crate::live::prometheus_api::{ApiError, Client};
use crate::model::Slo;
use judge::{Cause, Finding, Points, Quantity, Rule, Side, Verdict, Window};
pub use legacy::{Against, Legacy};
use std::collections::BTreeMap;

/// The default relative tolerance: 1%.
pub const DEFAULT_TOLERANCE: f64 = 0.01;

/// What a comparison needs besides the SLOs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The range, Unix seconds.
    pub from: f64,
    pub to: f64,
    pub tolerance: f64,
    pub strict: bool,
}

impl Options {
    /// The step of the range queries: about 240 points over the range, whole minutes, at least
    /// the base window (5m). Finer steps would compare the phases of the two rule sets'
    /// evaluations rather than their figures: slokit's windows are averages of 5m rates, and a
    /// window averaged from samples holds one sample more at the edges (docs/metrics.md).
    pub fn step(&self) -> f64 {
        let span = (self.to - self.from).max(60.0);
        ((span / 240.0 / 60.0).ceil() * 60.0).max(BASE_WINDOW.secs_f64())
    }

    /// The first point of the range queries: half a minute past the minute at `from`, so that with
    /// whole-minute steps no point falls on a whole hour. There Prometheus 2's ranges, closed at
    /// both ends, hold one hourly point more, and a window slokit reads hourly would cover an hour
    /// more than its length (docs/metrics.md, "Edge effects"); a legacy tool's window would not.
    pub fn first_point(&self) -> f64 {
        (self.from / 60.0).floor() * 60.0 + 30.0
    }

    /// The step of the alert queries: as fine as the API allows (it refuses more than 11,000
    /// points per series), whole minutes, at least a minute.
    pub fn alert_step(&self) -> f64 {
        let span = (self.to - self.from).max(60.0);
        ((span / 10_000.0 / 60.0).ceil() * 60.0).max(60.0)
    }

    /// How far apart two alerts may start and still be the same alert: a few evaluations.
    pub fn alert_slack(&self) -> f64 {
        3.0 * self.alert_step()
    }
}

/// Everything read from the API for one comparison.
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    /// slokit's error ratio per window, per SLO.
    pub slokit: BTreeMap<Key, BTreeMap<Window, Points>>,
    /// The error ratio two events make in each window at each time, per SLO (see
    /// [`judge::Rule::events`]).
    pub slokit_events: BTreeMap<Key, BTreeMap<Window, Points>>,
    /// When slokit's 5m rates begin within the range (minus the longest window), per SLO.
    pub slokit_start: BTreeMap<Key, f64>,
    /// slokit's firing alert times, per SLO.
    pub slokit_alerts: BTreeMap<Key, Vec<f64>>,
    /// The average of slokit's 5m error ratios over the period, per SLO whose legacy rules
    /// average ratios.
    pub averaged: BTreeMap<Key, Points>,
    pub legacy: BTreeMap<Key, LegacyFetched>,
    /// The coarse step the start times were found at.
    pub coverage_step: f64,
}

/// What the legacy side of one SLO gave.
#[derive(Clone, Debug, Default)]
pub struct LegacyFetched {
    pub legacy: Option<Legacy>,
    /// Per quantity: the points, or why there are none to use.
    pub error_ratio: BTreeMap<Window, Result<Points, String>>,
    pub budget_remaining: Option<Result<Points, String>>,
    pub objective: Option<f64>,
    pub period: Option<Duration>,
    pub alerts: Option<Vec<f64>>,
    pub start: Option<f64>,
}

/// The comparison of one SLO.
#[derive(Clone, Debug)]
pub struct SloComparison {
    pub product: String,
    pub slo: String,
    /// The legacy counterpart, in words; `None` when none was found.
    pub legacy: Option<String>,
    pub findings: Vec<Finding>,
    /// Facts worth knowing that are not findings (objectives or periods that differ).
    pub notes: Vec<String>,
}

impl SloComparison {
    /// Whether anything was compared at all (at least one quantity had points on both sides).
    pub fn compared(&self) -> bool {
        self.findings.iter().any(|f| {
            matches!(
                f.verdict,
                Verdict::Match | Verdict::Differs | Verdict::Explained(_)
            ) && (f.compared > 0 || f.quantity != Quantity::Alerts)
        })
    }
}

/// The whole comparison.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub from: f64,
    pub to: f64,
    pub step: f64,
    pub tolerance: f64,
    pub strict: bool,
    pub slos: Vec<SloComparison>,
}

/// How a comparison ends, as the exit code says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every SLO matches within the tolerance (explained differences allowed unless strict).
    Match = 0,
    /// At least one quantity of one SLO differs.
    Differs = 1,
    /// Nothing could be compared (or, under `--strict`, some SLO could not be).
    Undecided = 2,
}

impl Comparison {
    pub fn outcome(&self) -> Outcome {
        if self
            .slos
            .iter()
            .any(|s| s.findings.iter().any(|f| f.fails(self.strict)))
        {
            return Outcome::Differs;
        }
        let compared = self.slos.iter().filter(|s| s.compared()).count();
        if compared == 0 || (self.strict && compared < self.slos.len()) {
            return Outcome::Undecided;
        }
        Outcome::Match
    }
}

/// Reads everything a comparison needs: slokit's side batched across SLOs, the legacy side per
/// SLO as `against` finds it.
pub fn fetch(
    client: &Client,
    slos: &[&Slo],
    against: &Against,
    options: &Options,
) -> Result<Fetched, ApiError> {
    let step = options.step();
    let (from, to) = (options.first_point(), options.to);
    let mut fetched = Fetched::default();
    if slos.is_empty() {
        return Ok(fetched);
    }
    let matcher = budget::product_matcher(slos);
    let selected: BTreeMap<Key, &Slo> = slos.iter().map(|s| (budget::key(s), *s)).collect();
    let keyed = |series: Vec<slokit_wire::Series>| -> BTreeMap<Key, Points> {
        series
            .into_iter()
            .filter_map(|s| {
                let key = (
                    s.labels.get(LABEL_PRODUCT)?.clone(),
                    s.labels.get(LABEL_SLO)?.clone(),
                );
                selected.contains_key(&key).then_some((key, s.points))
            })
            .collect()
    };
    let mut windows: Vec<Window> = legacy::common_windows()
        .into_iter()
        .map(Window::Fixed)
        .collect();
    windows.push(Window::Period);
    for window in &windows {
        let length = match window {
            Window::Fixed(w) => Some(*w),
            Window::Period => None,
        };
        let bad = keyed(client.query_range(
            &budget::rate_query(SERIES_BAD, length, &matcher),
            from,
            to,
            step,
        )?);
        let total = keyed(client.query_range(
            &budget::rate_query(SERIES_TOTAL, length, &matcher),
            from,
            to,
            step,
        )?);
        for (key, total) in total {
            let bad: BTreeMap<i64, f64> = bad
                .get(&key)
                .map(|b| b.iter().map(|(t, v)| (*t as i64, *v)).collect())
                .unwrap_or_default();
            let seconds = match window {
                Window::Fixed(w) => w.secs_f64(),
                Window::Period => selected[&key].period.secs_f64(),
            };
            let events: Points = total
                .iter()
                .filter(|(_, rate)| *rate > 0.0)
                .map(|(t, rate)| (*t, 2.0 / (rate * seconds)))
                .collect();
            fetched
                .slokit_events
                .entry(key.clone())
                .or_default()
                .insert(*window, events);
            let ratio = ratios(&bad, &total);
            fetched
                .slokit
                .entry(key)
                .or_default()
                .insert(*window, ratio);
        }
    }
    // When the data begins: the first 5m rate within the range and the longest window before it.
    let longest = slos
        .iter()
        .map(|s| s.period)
        .chain(legacy::common_windows())
        .max()
        .unwrap_or(BASE_WINDOW)
        .secs_f64();
    let coverage_from = from - longest;
    let coverage_step = ((to - coverage_from) / 1000.0 / 60.0).ceil().max(1.0) * 60.0;
    fetched.coverage_step = coverage_step;
    let first = format!(
        "sum by ({}) ({}{{{matcher}}})",
        identity_labels(),
        rate_series(SERIES_TOTAL, Some(BASE_WINDOW))
    );
    for (key, points) in keyed(client.query_range(&first, coverage_from, to, coverage_step)?) {
        if let Some((t, _)) = points.first() {
            fetched.slokit_start.insert(key, *t);
        }
    }
    let alerts = format!(
        "{SERIES_ALERTS}{{{LABEL_ALERT_STATE}={},{matcher}}}",
        quote(ALERT_STATE_FIRING)
    );
    let alert_step = options.alert_step();
    for series in client.query_range(&alerts, from, to, alert_step)? {
        let (Some(product), Some(slo)) = (
            series.labels.get(LABEL_PRODUCT),
            series.labels.get(LABEL_SLO),
        ) else {
            continue;
        };
        fetched
            .slokit_alerts
            .entry((product.clone(), slo.clone()))
            .or_default()
            .extend(series.points.iter().map(|(t, _)| *t));
    }
    // The legacy side.
    let found = legacy::find(client, slos, against, (from, to, coverage_step.max(step)))?;
    let mut averaged_periods: BTreeMap<Duration, Vec<Key>> = BTreeMap::new();
    for slo in slos {
        let key = budget::key(slo);
        let Some(counterpart) = found.get(&key) else {
            fetched.legacy.insert(key, LegacyFetched::default());
            continue;
        };
        if counterpart.averages_ratios() {
            averaged_periods
                .entry(slo.period)
                .or_default()
                .push(key.clone());
        }
        let plan = counterpart.plan();
        let mut side = LegacyFetched {
            legacy: Some(counterpart.clone()),
            ..LegacyFetched::default()
        };
        for (window, expr) in &plan.error_ratio {
            side.error_ratio.insert(
                *window,
                one_series(client.query_range(expr, from, to, step)?),
            );
        }
        if let Some(expr) = &plan.budget_remaining {
            side.budget_remaining = Some(one_series(client.query_range(expr, from, to, step)?));
        }
        let instant = |expr: &Option<String>| -> Result<Option<f64>, ApiError> {
            let Some(expr) = expr else { return Ok(None) };
            let samples = client.query(expr, Some(to))?;
            Ok(match samples.as_slice() {
                [one] if one.value.is_finite() => Some(one.value),
                _ => None,
            })
        };
        side.objective = instant(&plan.objective)?;
        side.period = instant(&plan.period_seconds)?
            .filter(|s| *s > 0.0)
            .map(|s| Duration::from_secs(s.round() as u64));
        if let Some(expr) = &plan.alerts {
            let times = client
                .query_range(expr, from, to, alert_step)?
                .iter()
                .flat_map(|s| s.points.iter().map(|(t, _)| *t))
                .collect();
            side.alerts = Some(times);
        }
        if let Some(expr) = &plan.coverage {
            side.start = client
                .query_range(expr, coverage_from, to, coverage_step)?
                .iter()
                .filter_map(|s| s.points.first().map(|(t, _)| *t))
                .min_by(f64::total_cmp);
        }
        fetched.legacy.insert(key, side);
    }
    // The legacy tool's reading of a period, applied to slokit's 5m rates: the mean of 5m error
    // ratios, as Sloth's period rule computes it (`sum_over_time / count_over_time`). It is not a
    // window slokit reads; it is what explains a legacy period SLI that differs.
    for (period, keys) in averaged_periods {
        let ratio = format!(
            "(sum by ({identity}) ({bad}{{{matcher}}}) / sum by ({identity}) ({total}{{{matcher}}}))",
            identity = identity_labels(),
            bad = rate_series(SERIES_BAD, Some(BASE_WINDOW)),
            total = rate_series(SERIES_TOTAL, Some(BASE_WINDOW)),
        );
        let expr = format!(
            "sum_over_time({ratio}[{period}:{BASE_WINDOW}]) / count_over_time({ratio}[{period}:{BASE_WINDOW}])"
        );
        for (key, points) in keyed(client.query_range(&expr, from, to, step)?) {
            if keys.contains(&key) {
                fetched.averaged.insert(key, finite(points));
            }
        }
    }
    Ok(fetched)
}

/// How far behind a legacy tool's sharp window slokit's reading of `window` may be, in seconds,
/// by design. A window other than the base window is an average of 5m rates, and each of those
/// reaches 5m further back, so the average is the legacy window's value averaged over the five
/// minutes before; a range of samples holds one more at its edges, up to another 5m at the
/// evaluation interval of backfilled rules. A window read from hourly points lags by up to the
/// hour in progress besides.
pub fn slokit_lag(window: Duration) -> f64 {
    if window == BASE_WINDOW {
        return 0.0;
    }
    let averaged = 2.0 * BASE_WINDOW.secs_f64();
    if reads_hourly(window) {
        averaged + crate::conventions::LONG_WINDOW_STEP.secs_f64()
    } else {
        averaged
    }
}

/// Bad over total at each time both exist; times without events give no point (a legacy ratio is
/// NaN there, so nothing can be compared).
fn ratios(bad: &BTreeMap<i64, f64>, total: &Points) -> Points {
    total
        .iter()
        .filter(|(_, total)| *total > 0.0)
        .map(|(t, total)| (*t, bad.get(&(*t as i64)).copied().unwrap_or(0.0) / total))
        .filter(|(_, r)| r.is_finite())
        .collect()
}

fn finite(points: Points) -> Points {
    points.into_iter().filter(|(_, v)| v.is_finite()).collect()
}

/// The points of a query that should give one series, or why they cannot be used.
fn one_series(series: Vec<slokit_wire::Series>) -> Result<Points, String> {
    match series.len() {
        0 => Ok(Points::new()),
        1 => Ok(finite(series.into_iter().next().map(|s| s.points).unwrap_or_default())),
        n => Err(format!(
            "the legacy query gives {n} series (a grouped SLO?); compare it with `--against FILE`, aggregating the groups"
        )),
    }
}

/// Compares what was fetched, SLO by SLO, in the order given.
pub fn compare(slos: &[&Slo], fetched: &Fetched, options: &Options) -> Comparison {
    let step = options.step();
    let slos = slos
        .iter()
        .map(|slo| compare_slo(slo, fetched, options, step))
        .collect();
    Comparison {
        from: options.from,
        to: options.to,
        step,
        tolerance: options.tolerance,
        strict: options.strict,
        slos,
    }
}

fn compare_slo(slo: &Slo, fetched: &Fetched, options: &Options, step: f64) -> SloComparison {
    let key = budget::key(slo);
    let empty = LegacyFetched::default();
    let side = fetched.legacy.get(&key).unwrap_or(&empty);
    let mut out = SloComparison {
        product: slo.product.clone(),
        slo: slo.name.clone(),
        legacy: side.legacy.as_ref().map(Legacy::describe),
        findings: Vec::new(),
        notes: Vec::new(),
    };
    if side.legacy.is_none() {
        return out;
    }
    let objectives_differ = side
        .objective
        .filter(|o| (o - slo.objective).abs() > 1e-9)
        .map(|legacy| Cause::ObjectivesDiffer {
            slokit: slo.objective,
            legacy,
        });
    let periods_differ =
        side.period
            .filter(|p| *p != slo.period)
            .map(|legacy| Cause::PeriodsDiffer {
                slokit: slo.period,
                legacy,
            });
    out.notes.extend(
        objectives_differ
            .iter()
            .chain(&periods_differ)
            .map(|c| c.to_string()),
    );
    let ours_all = fetched.slokit.get(&key);
    let no_points = Points::new();
    let slack = fetched.coverage_step;
    let covered = |start: Option<f64>, window: Duration| -> Option<f64> {
        start
            .map(|s| s + window.secs_f64() - slack)
            .filter(|c| *c <= options.to)
    };
    let mut period_cause: Option<Cause> = None;
    let mut period_slokit = Points::new();
    for (window, theirs) in &side.error_ratio {
        let quantity = Quantity::ErrorRatio(*window);
        let theirs = match theirs {
            Ok(points) => points,
            Err(why) => {
                out.findings
                    .push(Finding::new(quantity, Verdict::Undecidable(why.clone())));
                continue;
            }
        };
        let ours = ours_all.and_then(|w| w.get(window)).unwrap_or(&no_points);
        let (length, legacy_length) = match window {
            Window::Fixed(w) => (*w, *w),
            Window::Period => (slo.period, side.period.unwrap_or(slo.period)),
        };
        let events = fetched
            .slokit_events
            .get(&key)
            .and_then(|w| w.get(window))
            .unwrap_or(&no_points);
        let rule = Rule {
            events,
            tolerance: options.tolerance,
            floor: options.tolerance * slo.error_budget(),
            step,
            slokit_lag: slokit_lag(length),
            slokit_covered_from: covered(fetched.slokit_start.get(&key).copied(), length),
            legacy_covered_from: covered(side.start, legacy_length),
        };
        let mut finding = judge::judge(quantity, ours, theirs, &rule);
        if *window == Window::Period && finding.verdict == Verdict::Differs {
            let cause = periods_differ.clone().or_else(|| {
                let averaged = fetched.averaged.get(&key)?;
                judge::explain_by_averaging(&finding, ours, theirs, averaged)
            });
            if let Some(cause) = cause {
                finding.verdict = Verdict::Explained(cause.clone());
                period_cause = Some(cause);
            }
        }
        if *window == Window::Period {
            period_slokit = ours.clone();
        }
        out.findings.push(finding);
    }
    if let Some(theirs) = &side.budget_remaining {
        let quantity = Quantity::BudgetRemaining;
        match theirs {
            Err(why) => out
                .findings
                .push(Finding::new(quantity, Verdict::Undecidable(why.clone()))),
            Ok(theirs) => {
                // Budgets are compared as the share of the budget spent, relative, with a floor of
                // the tolerance itself (1% of the budget), as ratios are.
                let spent = |points: &Points| -> Points {
                    points.iter().map(|(t, r)| (*t, 1.0 - r)).collect()
                };
                let ours: Points = period_slokit
                    .iter()
                    .map(|(t, ratio)| (*t, ratio / slo.error_budget()))
                    .collect();
                let legacy_length = side.period.unwrap_or(slo.period);
                let rule = Rule {
                    events: &no_points,
                    tolerance: options.tolerance,
                    floor: options.tolerance,
                    step,
                    slokit_lag: slokit_lag(slo.period),
                    slokit_covered_from: covered(
                        fetched.slokit_start.get(&key).copied(),
                        slo.period,
                    ),
                    legacy_covered_from: covered(side.start, legacy_length),
                };
                let mut finding = judge::judge(quantity, &ours, &spent(theirs), &rule);
                if let Some(worst) = &mut finding.worst {
                    worst.slokit = 1.0 - worst.slokit;
                    worst.legacy = 1.0 - worst.legacy;
                }
                if finding.verdict == Verdict::Differs {
                    if let Some(cause) = period_cause.clone() {
                        finding.verdict =
                            Verdict::Explained(Cause::FollowsFromPeriod(Box::new(cause)));
                    } else if let (Some(cause), Some(legacy_objective)) =
                        (objectives_differ.clone(), side.objective)
                    {
                        // The difference is the objectives' when slokit's error ratio spends the
                        // legacy budget as the legacy tool says.
                        let rescaled: Points = period_slokit
                            .iter()
                            .map(|(t, ratio)| (*t, ratio / (1.0 - legacy_objective)))
                            .collect();
                        let again = judge::judge(quantity, &rescaled, &spent(theirs), &rule);
                        if again.verdict == Verdict::Match {
                            finding.verdict = Verdict::Explained(cause);
                        }
                    }
                }
                out.findings.push(finding);
            }
        }
    }
    if let Some(theirs) = &side.alerts {
        let alert_step = options.alert_step();
        let ours = fetched
            .slokit_alerts
            .get(&key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        out.findings.push(judge::judge_alerts(
            &judge::intervals(ours, alert_step),
            &judge::intervals(theirs, alert_step),
            options.alert_slack(),
        ));
    }
    // No data on a side for everything means the counterpart is not running, said once.
    let ratio_findings = || {
        out.findings
            .iter()
            .filter(|f| matches!(f.quantity, Quantity::ErrorRatio(_)))
    };
    for side in [Side::Slokit, Side::Legacy] {
        if ratio_findings().count() > 0
            && ratio_findings()
                .all(|f| matches!(f.verdict, Verdict::NoData(s) if s == side || s == Side::Both))
        {
            out.notes.push(format!(
                "{} has no data for this SLO in the range: are its rules loaded?",
                side.as_str()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_fit_the_range() {
        let options = |span: f64| Options {
            from: 0.0,
            to: span,
            tolerance: DEFAULT_TOLERANCE,
            strict: false,
        };
        assert_eq!(options(3600.0).step(), 300.0);
        assert_eq!(options(86_400.0).step(), 360.0);
        assert_eq!(options(14.0 * 86_400.0).step(), 5040.0);
        assert_eq!(options(14.0 * 86_400.0).alert_step(), 180.0);
        assert_eq!(options(14.0 * 86_400.0).alert_slack(), 540.0);
        // Never on a whole hour, where Prometheus 2 reads an hourly window one hour longer.
        assert_eq!(options(3600.0).first_point(), 30.0);
        assert_eq!(
            (options(3600.0).first_point() + 60.0 * 59.0) % 3600.0,
            3570.0
        );
    }

    #[test]
    fn slokit_may_lag_by_the_averaging_and_the_hour() {
        assert_eq!(slokit_lag(Duration::from_mins(5)), 0.0);
        assert_eq!(slokit_lag(Duration::from_hours(1)), 600.0);
        assert_eq!(slokit_lag(Duration::from_hours(6)), 600.0);
        assert_eq!(slokit_lag(Duration::from_days(1)), 4200.0);
    }

    #[test]
    fn events_without_traffic_give_no_point() {
        let bad = BTreeMap::from([(0, 1.0), (60, 0.0)]);
        let total = vec![(0.0, 10.0), (60.0, 0.0), (120.0, 5.0)];
        assert_eq!(ratios(&bad, &total), vec![(0.0, 0.1), (120.0, 0.0)]);
    }

    fn loaded_slo() -> Slo {
        let text = "apiVersion: slo.dev/v1\nkind: ServiceLevelObjective\nmetadata: {name: availability}\nspec:\n  service: shop\n  indicator:\n    type: ratio\n    ratio:\n      bad: {metric: http_requests_total, filters: ['code=~\"5..\"']}\n      total: {metric: http_requests_total}\n  objectives: [{window: 7d, target: 0.99}]\n";
        let loaded = crate::load::load_texts(
            &[("slo.yaml".into(), text.into())],
            crate::load::Options {
                today: crate::model::Date::parse("2026-01-01").unwrap(),
            },
        );
        let slo = loaded.catalog.slos().next().unwrap().clone();
        slo
    }

    /// Four hours every 5m: more than the hour a window read hourly may lag by.
    fn flat(value: f64) -> Points {
        (0..48).map(|i| (i as f64 * 300.0, value)).collect()
    }

    /// slokit's period error ratio 0.2% against a legacy side as given.
    fn compare_with(legacy: LegacyFetched) -> SloComparison {
        let slo = loaded_slo();
        let key = budget::key(&slo);
        let fetched = Fetched {
            slokit: BTreeMap::from([(
                key.clone(),
                BTreeMap::from([(Window::Period, flat(0.002))]),
            )]),
            slokit_start: BTreeMap::from([(key.clone(), -1e9)]),
            legacy: BTreeMap::from([(key, legacy)]),
            ..Fetched::default()
        };
        let options = Options {
            from: 0.0,
            to: 14_400.0,
            tolerance: DEFAULT_TOLERANCE,
            strict: false,
        };
        compare(&[&slo], &fetched, &options).slos.remove(0)
    }

    fn mapped() -> LegacyFetched {
        LegacyFetched {
            legacy: Some(Legacy::Mapped(Default::default())),
            start: Some(-1e9),
            ..LegacyFetched::default()
        }
    }

    #[test]
    fn a_budget_spent_against_another_objective_is_explained() {
        // 0.2% of errors spend 40% of a 99.5% budget: the legacy tool's 60% left is right for it.
        let found = compare_with(LegacyFetched {
            error_ratio: BTreeMap::from([(Window::Period, Ok(flat(0.002)))]),
            budget_remaining: Some(Ok(flat(0.6))),
            objective: Some(0.995),
            ..mapped()
        });
        assert_eq!(found.findings[0].verdict, Verdict::Match);
        assert_eq!(
            found.findings[1].verdict,
            Verdict::Explained(Cause::ObjectivesDiffer {
                slokit: 0.99,
                legacy: 0.995
            })
        );
        let worst = found.findings[1].worst.unwrap();
        assert!((worst.slokit - 0.8).abs() < 1e-9 && (worst.legacy - 0.6).abs() < 1e-9);
        // A legacy budget the objectives do not account for differs.
        let found = compare_with(LegacyFetched {
            error_ratio: BTreeMap::from([(Window::Period, Ok(flat(0.002)))]),
            budget_remaining: Some(Ok(flat(0.1))),
            objective: Some(0.995),
            ..mapped()
        });
        assert_eq!(found.findings[1].verdict, Verdict::Differs);
    }

    #[test]
    fn period_figures_over_another_period_are_explained() {
        let found = compare_with(LegacyFetched {
            error_ratio: BTreeMap::from([(Window::Period, Ok(flat(0.003)))]),
            budget_remaining: Some(Ok(flat(0.7))),
            period: Some(Duration::from_days(7)),
            ..mapped()
        });
        // The same period: a difference, and the budget follows it unexplained.
        assert_eq!(found.findings[0].verdict, Verdict::Differs);
        assert_eq!(found.findings[1].verdict, Verdict::Differs);
        let found = compare_with(LegacyFetched {
            error_ratio: BTreeMap::from([(Window::Period, Ok(flat(0.003)))]),
            budget_remaining: Some(Ok(flat(0.7))),
            period: Some(Duration::from_days(6)),
            ..mapped()
        });
        let periods = Cause::PeriodsDiffer {
            slokit: Duration::from_days(7),
            legacy: Duration::from_days(6),
        };
        assert_eq!(
            found.findings[0].verdict,
            Verdict::Explained(periods.clone())
        );
        assert_eq!(
            found.findings[1].verdict,
            Verdict::Explained(Cause::FollowsFromPeriod(Box::new(periods)))
        );
        assert_eq!(
            found.notes,
            vec!["the periods differ (slokit 7d, legacy 6d)"]
        );
    }

    #[test]
    fn an_slo_without_a_counterpart_has_no_findings() {
        let found = compare_with(LegacyFetched::default());
        assert_eq!((found.legacy, found.findings.len()), (None, 0));
    }

    fn comparison(findings: Vec<Vec<Verdict>>, strict: bool) -> Comparison {
        Comparison {
            from: 0.0,
            to: 1.0,
            step: 60.0,
            tolerance: DEFAULT_TOLERANCE,
            strict,
            slos: findings
                .into_iter()
                .map(|verdicts| SloComparison {
                    product: "p".into(),
                    slo: "s".into(),
                    legacy: Some("x".into()),
                    findings: verdicts
                        .into_iter()
                        .map(|v| Finding::new(Quantity::ErrorRatio(Window::Period), v))
                        .collect(),
                    notes: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn outcomes_follow_the_exit_code_rules() {
        let explained = Verdict::Explained(Cause::AveragedRatios { bias: 0.5 });
        let no_data = Verdict::NoData(Side::Legacy);
        assert_eq!(
            comparison(vec![vec![Verdict::Match]], false).outcome(),
            Outcome::Match
        );
        assert_eq!(
            comparison(vec![vec![Verdict::Match, explained.clone()]], false).outcome(),
            Outcome::Match
        );
        assert_eq!(
            comparison(vec![vec![explained]], true).outcome(),
            Outcome::Differs
        );
        assert_eq!(
            comparison(vec![vec![Verdict::Differs], vec![no_data.clone()]], false).outcome(),
            Outcome::Differs
        );
        assert_eq!(
            comparison(vec![vec![no_data.clone()]], false).outcome(),
            Outcome::Undecided
        );
        assert_eq!(
            comparison(vec![vec![Verdict::Match], vec![no_data.clone()]], false).outcome(),
            Outcome::Match
        );
        assert_eq!(
            comparison(vec![vec![Verdict::Match], vec![no_data]], true).outcome(),
            Outcome::Undecided
        );
    }
}
