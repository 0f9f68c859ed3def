//! The comparison itself, pure: two series of one quantity (slokit's and the legacy tool's) over
//! the same range, judged point by point within a tolerance, and the alert activity of both sides
//! judged interval by interval. Nothing here queries; `fetch` hands over plain points.
//!
//! A point matches when slokit's value lies within the tolerance of the legacy values near it in
//! time: one step either side, because the two rule sets are evaluated at different offsets, and
//! as far earlier as slokit's reading of the window may lag by design ([`Rule::slokit_lag`]: an
//! average of 5m rates reaches 5m further back, and a window read from hourly points changes once
//! an hour). Points where the window is not yet
//! covered by data on both sides are not compared: a young window is not a difference. A point
//! outside the tolerance whose neighbours are both within it is evaluation jitter and is counted
//! but does not make the quantity differ.

use crate::duration::Duration;

/// One series of a quantity as `(Unix seconds, value)` pairs in time order.
pub type Points = Vec<(f64, f64)>;

/// How a window is named in the comparison: a fixed length, or the SLO's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Window {
    Fixed(Duration),
    Period,
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Window::Fixed(d) => write!(f, "{d}"),
            Window::Period => f.write_str("period"),
        }
    }
}

/// What is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quantity {
    ErrorRatio(Window),
    BudgetRemaining,
    Alerts,
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quantity::ErrorRatio(w) => write!(f, "error ratio {w}"),
            Quantity::BudgetRemaining => f.write_str("budget remaining"),
            Quantity::Alerts => f.write_str("alerts"),
        }
    }
}

/// Which rule set a statement is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Slokit,
    Legacy,
    Both,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Slokit => "slokit",
            Side::Legacy => "legacy",
            Side::Both => "either side",
        }
    }
}

/// A known cause of a difference. An explained difference is reported but fails only under
/// `--strict`.
#[derive(Clone, Debug, PartialEq)]
pub enum Cause {
    /// The legacy period SLI is the mean of 5m error ratios, which weighs a quiet night's minute
    /// like a busy day's: on uneven traffic it is biased. `bias` is the mean relative difference
    /// of legacy over slokit (positive: the legacy tool reports more errors than happened).
    AveragedRatios { bias: f64 },
    /// The objectives differ, so budgets differ while error ratios agree.
    ObjectivesDiffer { slokit: f64, legacy: f64 },
    /// The periods differ, so period figures measure different windows.
    PeriodsDiffer { slokit: Duration, legacy: Duration },
    /// The budget follows from a period SLI whose difference is already explained.
    FollowsFromPeriod(Box<Cause>),
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::AveragedRatios { bias } => write!(
                f,
                "the legacy period SLI averages 5m error ratios, which weighs quiet and busy times alike: on this traffic it reads {:.1}% {} than the ratio of events",
                bias.abs() * 100.0,
                if *bias >= 0.0 { "higher" } else { "lower" }
            ),
            Cause::ObjectivesDiffer { slokit, legacy } => write!(
                f,
                "the objectives differ (slokit {}, legacy {})",
                percent(*slokit),
                percent(*legacy)
            ),
            Cause::PeriodsDiffer { slokit, legacy } => {
                write!(f, "the periods differ (slokit {slokit}, legacy {legacy})")
            }
            Cause::FollowsFromPeriod(cause) => write!(f, "follows from the period SLI: {cause}"),
        }
    }
}

/// An objective as a percentage without trailing zeros: `99.9%`.
pub fn percent(ratio: f64) -> String {
    let text = format!("{:.4}", ratio * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// The verdict on one quantity.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Match,
    Differs,
    Explained(Cause),
    /// The window is not yet covered by data on one side or both: not a difference.
    NotCovered(Side),
    /// No data on one side or both (for a quantity: the legacy tool does not record it).
    NoData(Side),
    /// The data cannot be compared as it is (a grouped legacy series, say); the text says why.
    Undecidable(String),
}

/// The worst point of a quantity: where the relative difference was largest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Worst {
    pub at: f64,
    pub slokit: f64,
    pub legacy: f64,
}

impl Worst {
    pub fn relative(&self) -> f64 {
        relative(self.slokit, self.legacy)
    }
}

/// The judgement of one quantity of one SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub quantity: Quantity,
    pub verdict: Verdict,
    /// Points compared (both sides present, window covered).
    pub compared: usize,
    /// Points outside the tolerance.
    pub differing: usize,
    /// Of those, points outside the tolerance alone (both neighbours within it), which are
    /// evaluation jitter and do not make the quantity differ.
    pub isolated: usize,
    pub worst: Option<Worst>,
    /// Alert intervals seen on one side only, or starting too far apart, in words.
    pub details: Vec<String>,
}

impl Finding {
    pub fn new(quantity: Quantity, verdict: Verdict) -> Finding {
        Finding {
            quantity,
            verdict,
            compared: 0,
            differing: 0,
            isolated: 0,
            worst: None,
            details: Vec::new(),
        }
    }

    /// Whether this finding makes the comparison fail (exit 1).
    pub fn fails(&self, strict: bool) -> bool {
        match self.verdict {
            Verdict::Differs => true,
            Verdict::Explained(_) => strict,
            _ => false,
        }
    }
}

/// `|a - b| / max(|a|, |b|)`, 0 when both are 0.
pub fn relative(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// How two series of one quantity are judged.
#[derive(Clone, Copy, Debug)]
pub struct Rule<'a> {
    /// The relative tolerance (0.01 = 1%).
    pub tolerance: f64,
    /// Differences smaller than this are always within tolerance, so that ratios near 0 (a clean
    /// hour of a 99.9% SLO) do not fail on rounding: for error ratios 1% of the error budget.
    pub floor: f64,
    /// The granularity of counting, by time: the error ratio two events make in the window at
    /// that time. Two rule sets evaluating seconds apart may see one event leave the window and
    /// another enter, so a difference that small is within tolerance too (it matters for short
    /// windows with few events; empty for quantities that are not error ratios).
    pub events: &'a Points,
    /// The step of the range queries, in seconds.
    pub step: f64,
    /// How far behind slokit may be by design, in seconds (an hour for windows read hourly).
    pub slokit_lag: f64,
    /// From when each side's window is covered by data (Unix seconds); `None`: never in range.
    pub slokit_covered_from: Option<f64>,
    pub legacy_covered_from: Option<f64>,
}

/// Judges two series of one quantity. `slokit` and `legacy` hold the finite points of each side.
pub fn judge(quantity: Quantity, slokit: &Points, legacy: &Points, rule: &Rule<'_>) -> Finding {
    match (slokit.is_empty(), legacy.is_empty()) {
        (true, true) => return Finding::new(quantity, Verdict::NoData(Side::Both)),
        (true, false) => return Finding::new(quantity, Verdict::NoData(Side::Slokit)),
        (false, true) => return Finding::new(quantity, Verdict::NoData(Side::Legacy)),
        _ => {}
    }
    let covered_from = match (rule.slokit_covered_from, rule.legacy_covered_from) {
        (Some(a), Some(b)) => a.max(b),
        (None, None) => return Finding::new(quantity, Verdict::NotCovered(Side::Both)),
        (None, Some(_)) => return Finding::new(quantity, Verdict::NotCovered(Side::Slokit)),
        (Some(_), None) => return Finding::new(quantity, Verdict::NotCovered(Side::Legacy)),
    };
    let mut finding = Finding::new(quantity, Verdict::Match);
    let legacy_first = legacy.first().map_or(f64::INFINITY, |(t, _)| *t);
    // Every compared point, with whether it is within the tolerance.
    let mut judged: Vec<(Worst, bool)> = Vec::new();
    for &(at, value) in slokit.iter().filter(|(t, _)| *t >= covered_from) {
        // slokit's value at `at` may be the legacy value of up to `slokit_lag` earlier, which
        // the range does not hold at its very start.
        if rule.slokit_lag > 0.0 && at - rule.slokit_lag < legacy_first {
            continue;
        }
        let near: Vec<f64> = legacy
            .iter()
            .filter(|(t, _)| *t >= at - rule.step - rule.slokit_lag && *t <= at + rule.step)
            .map(|(_, v)| *v)
            .collect();
        let Some(same_time) = nearest(legacy, at) else {
            continue;
        };
        if near.is_empty() {
            continue;
        }
        let low = near.iter().copied().fold(f64::INFINITY, f64::min);
        let high = near.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let floor = nearest(rule.events, at).map_or(rule.floor, |e| e.max(rule.floor));
        let slack = |x: f64| (x.abs() * rule.tolerance).max(floor);
        let within = value >= low - slack(low) && value <= high + slack(high);
        let point = Worst {
            at,
            slokit: value,
            legacy: same_time,
        };
        judged.push((point, within));
    }
    finding.compared = judged.len();
    for (i, (point, within)) in judged.iter().enumerate() {
        if *within {
            continue;
        }
        finding.differing += 1;
        // A point outside the tolerance between two within it is evaluation jitter, not a
        // difference: the rule sets evaluate at different offsets, and a short window holding a
        // handful of errors changes by one error between them. A real difference lasts.
        let neighbour_differs =
            (i > 0 && !judged[i - 1].1) || judged.get(i + 1).is_some_and(|n| !n.1);
        if !neighbour_differs {
            finding.isolated += 1;
            continue;
        }
        if finding
            .worst
            .is_none_or(|w| point.relative() > w.relative())
        {
            finding.worst = Some(*point);
        }
    }
    finding.verdict = if finding.compared == 0 {
        // Nothing in range is covered on both sides: the side covered later is the young one.
        let (ours, theirs) = (
            rule.slokit_covered_from.unwrap_or(f64::INFINITY),
            rule.legacy_covered_from.unwrap_or(f64::INFINITY),
        );
        Verdict::NotCovered(if ours > theirs {
            Side::Slokit
        } else if theirs > ours {
            Side::Legacy
        } else {
            Side::Both
        })
    } else if finding.differing > finding.isolated {
        Verdict::Differs
    } else {
        Verdict::Match
    };
    finding
}

/// The value of `points` at `at`, or at the nearest time within the series.
fn nearest(points: &Points, at: f64) -> Option<f64> {
    points
        .iter()
        .min_by(|a, b| (a.0 - at).abs().total_cmp(&(b.0 - at).abs()))
        .map(|(_, v)| *v)
}

/// Whether a differing legacy period SLI is what averaging 5m ratios gives on slokit's own data:
/// `averaged` is that average (the legacy tool's reading applied to slokit's 5m rates). Returns
/// the cause with the mean bias when every differing point agrees with the average within
/// [`AVERAGE_TOLERANCE`].
pub fn explain_by_averaging(
    finding: &Finding,
    slokit: &Points,
    legacy: &Points,
    averaged: &Points,
) -> Option<Cause> {
    if finding.verdict != Verdict::Differs || averaged.is_empty() {
        return None;
    }
    let mut biases = Vec::new();
    for &(at, value) in legacy {
        let (Some(avg), Some(s)) = (nearest(averaged, at), nearest(slokit, at)) else {
            continue;
        };
        if relative(value, avg) > AVERAGE_TOLERANCE {
            return None;
        }
        if s != 0.0 {
            biases.push((value - s) / s);
        }
    }
    if biases.is_empty() {
        return None;
    }
    let bias = biases.iter().sum::<f64>() / biases.len() as f64;
    Some(Cause::AveragedRatios { bias })
}

/// How close the legacy period SLI must be to the average of slokit's 5m ratios for the
/// averaging to explain a difference: the two read the 5m ratios at different evaluation times,
/// so they agree closely but not exactly.
pub const AVERAGE_TOLERANCE: f64 = 0.05;

/// One interval during which an alert fired: `[start, end]`, Unix seconds.
pub type Interval = (f64, f64);

/// The firing intervals of a side: the times at which any of its alerts fired, joined where
/// consecutive steps both fired.
pub fn intervals(times: &[f64], step: f64) -> Vec<Interval> {
    let mut sorted: Vec<f64> = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut out: Vec<Interval> = Vec::new();
    for t in sorted {
        match out.last_mut() {
            Some((_, end)) if t - *end <= step * 1.5 => *end = t,
            _ => out.push((t, t)),
        }
    }
    out
}

/// Judges alert activity: intervals that fired on one side only, and intervals whose starts
/// differ by more than `slack` seconds. Alert names and severities are not matched: the tools
/// name and grade their alerts differently, and what the pilot asks is whether both page alike.
pub fn judge_alerts(slokit: &[Interval], legacy: &[Interval], slack: f64) -> Finding {
    let mut finding = Finding::new(Quantity::Alerts, Verdict::Match);
    let overlaps = |a: &Interval, b: &Interval| a.0 <= b.1 + slack && b.0 <= a.1 + slack;
    for (mine, theirs, who) in [(slokit, legacy, "slokit"), (legacy, slokit, "legacy")] {
        for interval in mine {
            finding.compared += 1;
            match theirs.iter().find(|other| overlaps(interval, other)) {
                None => {
                    finding.differing += 1;
                    finding.details.push(format!(
                        "fired only in {who} from {} for {}",
                        timestamp(interval.0),
                        span(interval.1 - interval.0)
                    ));
                }
                Some(other) if who == "slokit" && (interval.0 - other.0).abs() > slack => {
                    finding.differing += 1;
                    let (first, later) = if interval.0 < other.0 {
                        ("slokit", "legacy")
                    } else {
                        ("legacy", "slokit")
                    };
                    finding.details.push(format!(
                        "started {} apart: {first} at {}, {later} at {}",
                        span((interval.0 - other.0).abs()),
                        timestamp(interval.0.min(other.0)),
                        timestamp(interval.0.max(other.0))
                    ));
                }
                Some(_) => {}
            }
        }
    }
    if finding.differing > 0 {
        finding.verdict = Verdict::Differs;
    }
    finding
}

/// A Unix time as `2026-12-06 04:05Z` (UTC, minutes).
pub fn timestamp(unix: f64) -> String {
    let seconds = unix.floor() as i64;
    let date = crate::model::Date::from_days_since_epoch(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!("{date} {:02}:{:02}Z", of_day / 3600, (of_day % 3600) / 60)
}

/// A length of time in seconds as a Prometheus duration, whole minutes at least (`1h30m`).
pub fn span(seconds: f64) -> String {
    let minutes = (seconds / 60.0).round().max(0.0) as u64;
    if minutes == 0 {
        "under a minute".to_string()
    } else {
        Duration::from_mins(minutes).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: f64 = 300.0;

    const NO_EVENTS: &Points = &Vec::new();

    fn rule() -> Rule<'static> {
        Rule {
            events: NO_EVENTS,
            tolerance: 0.01,
            floor: 1e-6,
            step: STEP,
            slokit_lag: 0.0,
            slokit_covered_from: Some(0.0),
            legacy_covered_from: Some(0.0),
        }
    }

    fn flat(value: f64, n: usize) -> Points {
        (0..n).map(|i| (i as f64 * STEP, value)).collect()
    }

    fn window(d: &str) -> Quantity {
        Quantity::ErrorRatio(Window::Fixed(Duration::parse(d).unwrap()))
    }

    #[test]
    fn equal_series_match_and_doubled_ones_differ_at_every_point() {
        let ours = flat(0.01, 10);
        let finding = judge(window("1h"), &ours, &flat(0.01005, 10), &rule());
        assert_eq!(finding.verdict, Verdict::Match);
        assert_eq!(finding.compared, 10);
        let finding = judge(window("1h"), &ours, &flat(0.02, 10), &rule());
        assert_eq!(finding.verdict, Verdict::Differs);
        assert_eq!(finding.differing, 10);
        let worst = finding.worst.unwrap();
        assert_eq!((worst.slokit, worst.legacy), (0.01, 0.02));
        assert!((worst.relative() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_lone_point_outside_the_tolerance_is_jitter() {
        let mut ours = flat(0.01, 10);
        ours[4].1 = 0.03;
        let finding = judge(window("5m"), &ours, &flat(0.01, 10), &rule());
        assert_eq!(finding.verdict, Verdict::Match);
        assert_eq!((finding.differing, finding.isolated), (1, 1));
        ours[5].1 = 0.03;
        let finding = judge(window("5m"), &ours, &flat(0.01, 10), &rule());
        assert_eq!(finding.verdict, Verdict::Differs);
        assert_eq!((finding.differing, finding.isolated), (2, 0));
    }

    #[test]
    fn a_difference_of_two_events_is_counting_not_a_difference() {
        // One error in 8,000 requests against two: two rule sets evaluated seconds apart.
        let ours = flat(1.0 / 8000.0, 5);
        let theirs = flat(2.0 / 8000.0, 5);
        assert_eq!(
            judge(window("5m"), &ours, &theirs, &rule()).verdict,
            Verdict::Differs
        );
        let events = flat(2.0 / 8000.0, 5);
        let counted = Rule {
            events: &events,
            ..rule()
        };
        assert_eq!(
            judge(window("5m"), &ours, &theirs, &counted).verdict,
            Verdict::Match
        );
    }

    #[test]
    fn tiny_ratios_are_within_the_floor() {
        let finding = judge(window("5m"), &flat(0.0, 5), &flat(5e-7, 5), &rule());
        assert_eq!(finding.verdict, Verdict::Match);
    }

    #[test]
    fn a_step_change_seen_one_step_apart_matches() {
        let ours: Points = (0..10)
            .map(|i| (i as f64 * STEP, if i < 5 { 0.0 } else { 0.1 }))
            .collect();
        let theirs: Points = (0..10)
            .map(|i| (i as f64 * STEP, if i < 6 { 0.0 } else { 0.1 }))
            .collect();
        assert_eq!(
            judge(window("5m"), &ours, &theirs, &rule()).verdict,
            Verdict::Match
        );
    }

    #[test]
    fn windows_read_hourly_may_lag_by_the_hour() {
        // slokit's 1d window changes on the hour: the legacy value reaches it up to an hour later.
        let theirs: Points = (0..24)
            .map(|i| (i as f64 * STEP, 0.01 + i as f64 * 0.001))
            .collect();
        let ours: Points = theirs
            .iter()
            .map(|(t, _)| {
                let hour_ago = (t - 3600.0).max(0.0);
                (*t, 0.01 + (hour_ago / STEP).floor() * 0.001)
            })
            .collect();
        let strict = judge(window("1d"), &ours, &theirs, &rule());
        assert_eq!(strict.verdict, Verdict::Differs);
        let hourly = Rule {
            slokit_lag: 3600.0,
            ..rule()
        };
        assert_eq!(
            judge(window("1d"), &ours, &theirs, &hourly).verdict,
            Verdict::Match
        );
    }

    #[test]
    fn windows_not_yet_covered_are_not_differences() {
        let young = Rule {
            legacy_covered_from: Some(100.0 * STEP),
            ..rule()
        };
        let finding = judge(window("3d"), &flat(0.01, 10), &flat(0.05, 10), &young);
        assert_eq!(finding.verdict, Verdict::NotCovered(Side::Legacy));
        let never = Rule {
            slokit_covered_from: None,
            ..rule()
        };
        let finding = judge(window("3d"), &flat(0.01, 10), &flat(0.05, 10), &never);
        assert_eq!(finding.verdict, Verdict::NotCovered(Side::Slokit));
        // Only the covered part is compared.
        let half = Rule {
            legacy_covered_from: Some(5.0 * STEP),
            ..rule()
        };
        let theirs: Points = (0..10)
            .map(|i| (i as f64 * STEP, if i < 5 { 0.05 } else { 0.01 }))
            .collect();
        let finding = judge(window("3d"), &flat(0.01, 10), &theirs, &half);
        assert_eq!((finding.verdict, finding.compared), (Verdict::Match, 5));
    }

    #[test]
    fn a_side_without_points_has_no_data() {
        let none = Points::new();
        assert_eq!(
            judge(window("1h"), &flat(0.01, 3), &none, &rule()).verdict,
            Verdict::NoData(Side::Legacy)
        );
        assert_eq!(
            judge(window("1h"), &none, &none, &rule()).verdict,
            Verdict::NoData(Side::Both)
        );
    }

    #[test]
    fn averaging_explains_a_period_difference_with_its_size_and_direction() {
        let ours = flat(0.002, 10);
        let theirs = flat(0.006, 10);
        let finding = judge(
            Quantity::ErrorRatio(Window::Period),
            &ours,
            &theirs,
            &rule(),
        );
        let cause = explain_by_averaging(&finding, &ours, &theirs, &flat(0.0059, 10)).unwrap();
        let Cause::AveragedRatios { bias } = cause else {
            panic!("{cause:?}")
        };
        assert!((bias - 2.0).abs() < 1e-9);
        assert_eq!(
            cause.to_string(),
            "the legacy period SLI averages 5m error ratios, which weighs quiet and busy times alike: on this traffic it reads 200.0% higher than the ratio of events"
        );
        // A legacy value the averaging does not produce stays unexplained.
        assert_eq!(
            explain_by_averaging(&finding, &ours, &theirs, &flat(0.003, 10)),
            None
        );
    }

    #[test]
    fn alerts_on_one_side_only_and_late_starts_are_named() {
        let ours = intervals(&[600.0, 660.0, 720.0, 5000.0], 60.0);
        assert_eq!(ours, vec![(600.0, 720.0), (5000.0, 5000.0)]);
        let theirs = intervals(&[1800.0, 1860.0], 60.0);
        let finding = judge_alerts(&ours, &theirs, 180.0);
        assert_eq!(finding.verdict, Verdict::Differs);
        assert_eq!(
            finding.details,
            vec![
                "fired only in slokit from 1970-01-01 00:10Z for 2m",
                "fired only in slokit from 1970-01-01 01:23Z for under a minute",
                "fired only in legacy from 1970-01-01 00:30Z for 1m",
            ]
        );
        let close = intervals(&[660.0, 720.0], 60.0);
        assert_eq!(
            judge_alerts(&ours[..1], &close, 180.0).verdict,
            Verdict::Match
        );
        let late = intervals(&[1200.0], 60.0);
        let finding = judge_alerts(&[(600.0, 1300.0)], &late, 180.0);
        assert_eq!(
            finding.details,
            vec!["started 10m apart: slokit at 1970-01-01 00:10Z, legacy at 1970-01-01 00:20Z"]
        );
    }

    #[test]
    fn percentages_drop_trailing_zeros() {
        assert_eq!(percent(0.999), "99.9%");
        assert_eq!(percent(0.99), "99%");
    }
}
