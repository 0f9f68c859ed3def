//! Generated promtool unit tests: for every SLO whose inputs can be synthesised, synthetic series
//! that prove its alerts and recorded values. Per alert tier and window pair: a burn rate just
//! above the pair's factor fires by the time the math predicts and not well before; just below, it
//! stays silent over the pair's long window. The first tier also resolves soon after errors stop.
//! Zero traffic yields no alerts and no NaN in period series, and the recorded error ratios equal
//! the exact, traffic-weighted ratio for uneven traffic (an average of 5m ratios would be off by a
//! third). The recorded burn-rate thresholds equal the tiers' factors.
//!
//! The budget-exhausted and no-data alerts are checked when enabled. Tests are generated for
//! counter ratios and classic histograms; threshold, raw, PromQL-query and native-histogram SLIs
//! are listed as untested in the file header, with the reason.
//!
//! Inputs are counters sampled every minute. Rules are evaluated every five minutes, or every hour
//! for tiers whose windows are all an hour or longer (a separate `.long.test.yml` file, since the
//! interval is per file), which keeps multi-day ticket tests to about a hundred evaluations.
//! Warm-up traffic is only as long as the tested pair needs. Firing is checked through the `ALERTS`
//! series rather than `alert_rule_test`, because the latter compares annotations exactly and ours
//! quote live burn rates.
//!
//! promtool ignores the slow group's `interval` and evaluates every group at every step, in the
//! order the test file's `group_eval_order` gives ([`group_eval_order`]: slow group first). So the
//! tests prove the rules' values and alerts, not the 2m30s cadence; `promql-tests` runs the rule
//! files in a real Prometheus for that.

use super::common::{alert_name, identity_matchers, number, series};
use crate::conventions::{
    burn_rate_series, rule_group_name, slow_rule_group_name, BASE_WINDOW, LONG_WINDOW_STEP,
    SERIES_BUDGET_REMAINING, SERIES_BURN_RATE_THRESHOLD, SERIES_SLI, SHORT_WINDOW_LIMIT,
    TEST_EVAL_INTERVAL, TEST_INPUT_INTERVAL, TEST_SLOW_EVAL_INTERVAL,
};
use crate::duration::Duration;
use crate::model::{
    AlertTier, BurnWindow, Comparison, Counted, EventSource, Indicator, MatchOp, Matcher, Selector,
    Slo,
};
use crate::promql::{quote, render_selector};
use crate::render::emit::Value;
use std::collections::BTreeMap;

/// Events per input interval when the test says "traffic": large enough that error counts are
/// not tiny fractions, small enough to print exactly.
const TRAFFIC_PER_STEP: f64 = 1000.0;

/// How much above (and below) a pair's factor the tests burn.
const ABOVE: f64 = 1.1;
const BELOW: f64 = 0.9;

/// Relative tolerance of the exactness checks: far below the 33% an average of ratios would be
/// off by, far above the one-sample edge effects of Prometheus 2's closed ranges.
const TOLERANCE: f64 = 0.02;

/// Relative tolerance of threshold (good-time) checks. With tests evaluated every 5m, a 1h window
/// holds 13 samples under Prometheus 2's closed ranges (12 under Prometheus 3), so the share of
/// bad time in it reads 6/13 rather than 6/12.
const GAUGE_TOLERANCE: f64 = 0.1;

/// One scenario of one SLO: its input series and checks. Scenarios of different SLOs with the
/// same key are merged into one promtool test group when their inputs cannot disturb each other,
/// because promtool evaluates every rule of the file in every test group: fewer groups is what
/// keeps a product's tests fast.
pub struct Scenario {
    pub key: String,
    pub name: String,
    pub series: Vec<Value>,
    pub checks: Vec<Value>,
}

/// The scenarios of one SLO, split by the evaluation interval they need.
#[derive(Default)]
pub struct SloTests {
    /// Evaluated every [`TEST_EVAL_INTERVAL`]: tiers with short windows, zero traffic, exactness.
    pub fast: Vec<Scenario>,
    /// Evaluated every [`TEST_SLOW_EVAL_INTERVAL`]: tiers whose windows are all an hour or more,
    /// which need days of input.
    pub slow: Vec<Scenario>,
}

/// The test groups of one SLO, or why none can be generated.
pub fn slo_tests(slo: &Slo) -> Result<SloTests, String> {
    let synth = Synth::new(slo)?;
    if synth.gauge.is_some() {
        return Ok(gauge_tests(slo, &synth));
    }
    let mut out = SloTests::default();
    if slo.alerting.enabled {
        for (index, tier) in slo.alerting.tiers.iter().enumerate() {
            let slow = tier
                .windows
                .iter()
                .all(|w| w.short >= TEST_SLOW_EVAL_INTERVAL);
            let (eval, groups) = if slow {
                (TEST_SLOW_EVAL_INTERVAL, &mut out.slow)
            } else {
                (TEST_EVAL_INTERVAL, &mut out.fast)
            };
            for (pair_index, pair) in tier.windows.iter().enumerate() {
                let key = format!("tier{index}/pair{pair_index}");
                groups.push(above(slo, &synth, tier, pair, eval, &key));
                groups.push(below(slo, &synth, tier, pair, eval, &key));
            }
            if index == 0 && !tier.windows.is_empty() {
                let fastest = tier.windows.iter().map(|w| w.factor).fold(0.0, f64::max);
                groups.push(recovery(slo, &synth, tier, eval, round(fastest * ABOVE)));
            }
        }
    }
    out.fast.push(zero_traffic(slo, &synth));
    if let (true, Some(after)) = (slo.alerting.enabled, slo.alerting.no_data) {
        out.fast.push(no_data(slo, &synth, after));
    }
    out.fast.push(exactness(slo, &synth));
    Ok(out)
}

/// Threshold SLIs: a gauge is either in or out of bound, so fractional burn rates would need
/// many series. Their tests are an outage (every second bad, burn rate `1 / budget`) that must
/// fire the first tier and resolve after the gauge recovers, a gauge always in bound, and the
/// good-time share of a 30-minute outage.
fn gauge_tests(slo: &Slo, synth: &Synth) -> SloTests {
    let mut out = SloTests::default();
    let outage = 1.0 / slo.error_budget();
    if let (true, Some(tier)) = (slo.alerting.enabled, slo.alerting.tiers.first()) {
        if tier.windows.iter().any(|w| outage > w.factor) {
            let slow = tier
                .windows
                .iter()
                .all(|w| w.short >= TEST_SLOW_EVAL_INTERVAL);
            let eval = if slow {
                TEST_SLOW_EVAL_INTERVAL
            } else {
                TEST_EVAL_INTERVAL
            };
            let scenario = recovery(slo, synth, tier, eval, outage);
            if slow {
                out.slow.push(scenario);
            } else {
                out.fast.push(scenario);
            }
        }
    }
    out.fast.push(zero_traffic(slo, synth));
    if let (true, Some(after)) = (slo.alerting.enabled, slo.alerting.no_data) {
        out.fast.push(no_data(slo, synth, after));
    }
    let phases = [
        Phase {
            length: Duration::from_hours(2),
            traffic: 1.0,
            error_ratio: 0.0,
        },
        Phase {
            length: Duration::from_mins(30),
            traffic: 1.0,
            error_ratio: 1.0,
        },
        Phase {
            length: Duration::from_mins(30),
            traffic: 1.0,
            error_ratio: 0.0,
        },
    ];
    let budget = slo.error_budget();
    let (by, labels) = synth.burning_labels(slo);
    let near = |expr: String, expected: f64, at: Duration| {
        Value::map()
            .with(
                "expr",
                format!(
                    "{by}(abs({expr} - {}) <= {})",
                    number(expected),
                    number(expected * GAUGE_TOLERANCE)
                ),
            )
            .with("eval_time", at.to_string())
            .with(
                "exp_samples",
                vec![Value::map()
                    .with("labels", labels.clone())
                    .with("value", 1i64)],
            )
    };
    // The hour around the outage, with steady edges. Period windows are not checked: the hour
    // ending at the first sample counts as a whole hour of good time, an artefact of the start.
    let checks = vec![near(
        series(slo, &burn_rate_series(Some(Duration::from_hours(1)))),
        0.5 / budget,
        Duration::from_mins(165),
    )];
    out.fast.push(Scenario {
        key: "exact".into(),
        name: format!(
            "{}: a 30m outage is half of the bad time in the hour around it",
            slo.name
        ),
        series: synth.input_series(&phases, false),
        checks,
    });
    out
}

/// A product's test groups: fast and slow, and the SLOs without tests with the reason.
#[derive(Default)]
pub struct ProductTests {
    pub fast: Vec<Value>,
    pub slow: Vec<Value>,
    pub skipped: Vec<(String, String)>,
}

pub fn product_tests(slos: &[Slo]) -> ProductTests {
    let mut out = ProductTests::default();
    // SLOs whose synthetic series no other SLO of the set selects share test groups.
    let mut sets: Vec<Vec<(&Slo, Synth, SloTests)>> = Vec::new();
    for slo in slos {
        let tests = match (Synth::new(slo), slo_tests(slo)) {
            (Ok(synth), Ok(tests)) => (synth, tests),
            (Err(reason), _) | (_, Err(reason)) => {
                out.skipped.push((slo.name.clone(), reason));
                continue;
            }
        };
        let place = sets.iter().position(|set| {
            set.iter()
                .all(|(other, other_synth, _)| independent(slo, &tests.0, other, other_synth))
        });
        match place {
            Some(i) => sets[i].push((slo, tests.0, tests.1)),
            None => sets.push(vec![(slo, tests.0, tests.1)]),
        }
    }
    for set in sets {
        let mut fast: Vec<Vec<Scenario>> = Vec::new();
        let mut slow: Vec<Vec<Scenario>> = Vec::new();
        for (_, _, tests) in set {
            fast.push(tests.fast);
            slow.push(tests.slow);
        }
        out.fast.extend(merge(fast));
        out.slow.extend(merge(slow));
    }
    out
}

/// Merges the scenarios of several SLOs by key, keeping the first SLO's order.
fn merge(per_slo: Vec<Vec<Scenario>>) -> Vec<Value> {
    let mut merged: Vec<Scenario> = Vec::new();
    for scenarios in per_slo {
        for scenario in scenarios {
            match merged.iter_mut().find(|m| m.key == scenario.key) {
                Some(m) => {
                    m.name = format!("{}; {}", m.name, scenario.name);
                    m.series.extend(scenario.series);
                    m.checks.extend(scenario.checks);
                }
                None => merged.push(scenario),
            }
        }
    }
    merged
        .into_iter()
        .map(|m| {
            Value::map()
                .with("name", m.name)
                .with("interval", TEST_INPUT_INTERVAL.to_string())
                .with("input_series", m.series)
                .with("promql_expr_test", m.checks)
        })
        .collect()
}

/// Whether neither SLO's selectors pick up the other's synthetic series.
fn independent(a: &Slo, a_synth: &Synth, b: &Slo, b_synth: &Synth) -> bool {
    let picks = |slo: &Slo, synth: &Synth| {
        let selectors = selectors(slo);
        synth.labelled().iter().any(|(metric, labels)| {
            selectors
                .iter()
                .any(|s| &s.metric == metric && selector_accepts(s, labels))
        })
    };
    !picks(a, b_synth) && !picks(b, a_synth)
}

/// The raw selectors an SLO reads (for testable kinds).
fn selectors(slo: &Slo) -> Vec<Selector> {
    match &slo.indicator {
        Indicator::Ratio(ratio) => [&ratio.numerator, &ratio.total]
            .into_iter()
            .filter_map(|source| match source {
                EventSource::Counter(selector) => Some(selector.clone()),
                EventSource::Query(_) => None,
            })
            .collect(),
        Indicator::Latency(latency) => {
            let base = super::rules::histogram_base(&latency.histogram.metric);
            ["_bucket", "_count", ""]
                .iter()
                .map(|suffix| Selector {
                    metric: format!("{base}{suffix}"),
                    matchers: latency.histogram.matchers.clone(),
                })
                .collect()
        }
        Indicator::Threshold(threshold) => vec![threshold.gauge.clone()],
        Indicator::Raw { .. } => Vec::new(),
    }
}

/// One step of traffic: events per input interval, and the share of them that is bad.
#[derive(Clone, Copy)]
struct Phase {
    length: Duration,
    traffic: f64,
    error_ratio: f64,
}

/// What a synthetic series counts: `good * good events + bad * bad events`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Role {
    good: f64,
    bad: f64,
}

const GOOD: Role = Role {
    good: 1.0,
    bad: 0.0,
};
const BAD: Role = Role {
    good: 0.0,
    bad: 1.0,
};
const TOTAL: Role = Role {
    good: 1.0,
    bad: 1.0,
};

/// One synthetic series: metric, labels without grouping labels, and what it counts.
type SyntheticSeries = (String, BTreeMap<String, String>, Role);

/// The synthetic input series of one SLO: label sets that the SLO's selectors pick up with known
/// roles, checked against the selectors before use.
struct Synth {
    series: Vec<SyntheticSeries>,
    /// For threshold SLIs: the single series is a gauge with these (good, bad) values, and only
    /// phases that are all good or all bad can be written.
    gauge: Option<(f64, f64)>,
    /// Values of the grouping labels; the first group burns, the others stay healthy.
    groups: Vec<BTreeMap<String, String>>,
}

impl Synth {
    fn new(slo: &Slo) -> Result<Synth, String> {
        let mut gauge = None;
        let series = match &slo.indicator {
            Indicator::Ratio(ratio) => {
                let (EventSource::Counter(numerator), EventSource::Counter(total)) =
                    (&ratio.numerator, &ratio.total)
                else {
                    return Err(
                        "its events are PromQL queries, so inputs cannot be synthesised".into(),
                    );
                };
                ratio_series(ratio.counts, numerator, total)?
            }
            Indicator::Latency(latency) if latency.native => {
                return Err("promtool 2.42 cannot write native histogram input series".into())
            }
            Indicator::Latency(latency) => {
                let base = super::rules::histogram_base(&latency.histogram.metric).to_string();
                let labels = satisfy(&[&latency.histogram], &[])
                    .ok_or("no label values satisfy the histogram's matchers")?;
                let mut good_bucket = labels.clone();
                good_bucket.insert("le".into(), number(latency.threshold));
                let mut inf_bucket = labels.clone();
                inf_bucket.insert("le".into(), "+Inf".into());
                vec![
                    (format!("{base}_bucket"), good_bucket, GOOD),
                    (format!("{base}_bucket"), inf_bucket, TOTAL),
                    (format!("{base}_count"), labels, TOTAL),
                ]
            }
            Indicator::Threshold(threshold) => {
                let labels = satisfy(&[&threshold.gauge], &[])
                    .ok_or("no label values satisfy the gauge's matchers")?;
                gauge = Some(gauge_values_for(threshold.op, threshold.bound));
                vec![(threshold.gauge.metric.clone(), labels, BAD)]
            }

            Indicator::Raw { .. } => {
                return Err("raw error-ratio queries cannot be synthesised".into())
            }
        };
        let groups = if slo.group_by.is_empty() {
            vec![BTreeMap::new()]
        } else {
            ["burning", "healthy"]
                .iter()
                .map(|value| {
                    slo.group_by
                        .iter()
                        .map(|g| (g.clone(), (*value).to_string()))
                        .collect()
                })
                .collect()
        };
        for (_, labels, _) in &series {
            if slo.group_by.iter().any(|g| labels.contains_key(g)) {
                return Err("a selector constrains a grouping label".into());
            }
        }
        Ok(Synth {
            series,
            gauge,
            groups,
        })
    }

    /// `input_series` for the phases; only the first group sees errors. `skip_bad` leaves out
    /// series that count only bad events (a bad-event selector that matches nothing).
    fn input_series(&self, phases: &[Phase], skip_bad: bool) -> Vec<Value> {
        let mut out = Vec::new();
        for (index, group) in self.groups.iter().enumerate() {
            for (metric, labels, role) in &self.series {
                if skip_bad && *role == BAD && self.gauge.is_none() {
                    continue;
                }
                let mut all = labels.clone();
                all.extend(group.clone());
                let matchers: Vec<String> = all
                    .iter()
                    .map(|(k, v)| format!("{k}={}", quote(v)))
                    .collect();
                let name = format!("{metric}{{{}}}", matchers.join(","));
                let error_ratio = |phase: &Phase| if index == 0 { phase.error_ratio } else { 0.0 };
                let values = match self.gauge {
                    Some((good, bad)) => {
                        gauge_values(
                            phases,
                            |phase| {
                                if error_ratio(phase) >= 1.0 {
                                    bad
                                } else {
                                    good
                                }
                            },
                        )
                    }
                    None => counter_values(phases, |phase| {
                        let bad = phase.traffic * error_ratio(phase);
                        role.good * (phase.traffic - bad) + role.bad * bad
                    }),
                };
                out.push(Value::map().with("series", name).with("values", values));
            }
        }
        out
    }

    /// Every synthetic series as (metric, all labels), for every group.
    fn labelled(&self) -> Vec<(String, BTreeMap<String, String>)> {
        let mut out = Vec::new();
        for group in &self.groups {
            for (metric, labels, _) in &self.series {
                let mut all = labels.clone();
                all.extend(group.clone());
                out.push((metric.clone(), all));
            }
        }
        out
    }

    /// The expected label text of every group, for `count by`.
    fn group_label_texts(&self) -> Vec<String> {
        self.groups
            .iter()
            .map(|group| {
                let labels: Vec<String> = group
                    .iter()
                    .map(|(k, v)| format!("{k}={}", quote(v)))
                    .collect();
                format!("{{{}}}", labels.join(","))
            })
            .collect()
    }

    /// `by (...)` labels and the expected label text of the burning group, for `count by`.
    fn burning_labels(&self, slo: &Slo) -> (String, String) {
        let group = &self.groups[0];
        let by = format!("count by ({}) ", slo.group_by.join(", "));
        let labels: Vec<String> = group
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect();
        (by, format!("{{{}}}", labels.join(",")))
    }
}

/// A gauge value inside the bound and one outside it.
fn gauge_values_for(op: Comparison, bound: f64) -> (f64, f64) {
    match op {
        Comparison::Less => (bound - 1.0, bound),
        Comparison::LessOrEqual => (bound, bound + 1.0),
        Comparison::Greater => (bound + 1.0, bound),
        Comparison::GreaterOrEqual => (bound, bound - 1.0),
        Comparison::Equal => (bound, bound + 1.0),
    }
}

/// promtool's expanding notation for a gauge holding `value(phase)` through each phase.
fn gauge_values(phases: &[Phase], value: impl Fn(&Phase) -> f64) -> String {
    let mut parts = Vec::new();
    for phase in phases {
        let steps = phase.length.millis() / TEST_INPUT_INTERVAL.millis();
        if steps == 0 {
            continue;
        }
        // The first phase also writes the sample at time 0.
        let repeat = if parts.is_empty() { steps } else { steps - 1 };
        parts.push(format!("{}+0x{repeat}", number(value(phase))));
    }
    parts.join(" ")
}

/// promtool's expanding notation for a counter that grows by `per_step(phase)` each input step.
fn counter_values(phases: &[Phase], per_step: impl Fn(&Phase) -> f64) -> String {
    let mut parts = Vec::new();
    let mut value = 0.0;
    let mut first = true;
    let mut previous_increment: f64 = 0.0;
    for phase in phases {
        let steps = phase.length.millis() / TEST_INPUT_INTERVAL.millis();
        if steps == 0 {
            continue;
        }
        let increment = per_step(phase);
        if first {
            parts.push(format!("0+{}x{steps}", number(increment)));
            value = increment * steps as f64;
            first = false;
        } else {
            // Start the phase at a whole number at or above where the last one ended. The exact end
            // depends on how promtool accumulates the increments; any value below it would read as
            // a counter reset, while rounding up adds less than one event.
            let end = if previous_increment.fract() == 0.0 {
                value
            } else {
                (value + value.abs() * 1e-9).ceil()
            };
            let start = end + increment;
            parts.push(format!(
                "{}+{}x{}",
                number(start),
                number(increment),
                steps - 1
            ));
            value = start + increment * (steps - 1) as f64;
        }
        previous_increment = increment;
    }
    parts.join(" ")
}

fn ratio_series(
    counts: Counted,
    numerator: &Selector,
    total: &Selector,
) -> Result<Vec<SyntheticSeries>, String> {
    let numerator_role = match counts {
        Counted::Bad => BAD,
        Counted::Good => GOOD,
    };
    let other_role = match counts {
        Counted::Bad => GOOD,
        Counted::Good => BAD,
    };
    let mut out = Vec::new();
    if numerator.metric == total.metric {
        let inside = satisfy(&[numerator, total], &[]);
        let rest = satisfy(&[total], &[numerator])
            .ok_or("no label values match the total selector but not the numerator")?;
        match inside {
            Some(labels) => {
                out.push((numerator.metric.clone(), labels, numerator_role));
                out.push((total.metric.clone(), rest, other_role));
            }
            None => {
                let labels = satisfy(&[numerator], &[])
                    .ok_or("no label values satisfy the numerator's matchers")?;
                out.push((numerator.metric.clone(), labels, numerator_role));
                out.push((total.metric.clone(), rest, TOTAL));
            }
        }
    } else {
        let labels =
            satisfy(&[numerator], &[]).ok_or("no label values satisfy the numerator's matchers")?;
        let rest = satisfy(&[total], &[]).ok_or("no label values satisfy the total's matchers")?;
        out.push((numerator.metric.clone(), labels, numerator_role));
        out.push((total.metric.clone(), rest, TOTAL));
    }
    // Check the roles add up: the total selector must see good + bad, the numerator its own kind.
    let seen = |selector: &Selector| {
        out.iter()
            .filter(|(metric, labels, _)| {
                metric == &selector.metric && selector_accepts(selector, labels)
            })
            .fold(
                Role {
                    good: 0.0,
                    bad: 0.0,
                },
                |acc, (_, _, r)| Role {
                    good: acc.good + r.good,
                    bad: acc.bad + r.bad,
                },
            )
    };
    if seen(total) != TOTAL || seen(numerator) != numerator_role {
        return Err("the synthesised series do not add up to the SLI's events".into());
    }
    Ok(out)
}

/// Label values (empty meaning absent) that every `must` selector accepts and no `avoid`
/// selector does, searched among values derived from the matchers.
fn satisfy(must: &[&Selector], avoid: &[&Selector]) -> Option<BTreeMap<String, String>> {
    let mut candidates: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for matcher in must.iter().chain(avoid).flat_map(|s| &s.matchers) {
        let list = candidates.entry(matcher.label.clone()).or_default();
        for value in matcher_candidates(matcher) {
            if !list.contains(&value) {
                list.push(value);
            }
        }
    }
    for list in candidates.values_mut() {
        for fallback in ["slokit-test", "200", "500", "0", "a", ""] {
            if !list.iter().any(|v| v == fallback) {
                list.push(fallback.into());
            }
        }
        list.truncate(12);
    }
    let names: Vec<&String> = candidates.keys().collect();
    let mut index = vec![0usize; names.len()];
    for _ in 0..20_000 {
        let labels: BTreeMap<String, String> = names
            .iter()
            .zip(&index)
            .map(|(name, i)| ((*name).clone(), candidates[*name][*i].clone()))
            .collect();
        if must.iter().all(|s| selector_accepts(s, &labels))
            && !avoid.iter().any(|s| selector_accepts(s, &labels))
        {
            return Some(labels.into_iter().filter(|(_, v)| !v.is_empty()).collect());
        }
        // Next combination, odometer style.
        let mut position = 0;
        loop {
            if position == index.len() {
                return None;
            }
            index[position] += 1;
            if index[position] < candidates[names[position]].len() {
                break;
            }
            index[position] = 0;
            position += 1;
        }
    }
    None
}

fn matcher_candidates(matcher: &Matcher) -> Vec<String> {
    match matcher.op {
        MatchOp::Equal | MatchOp::NotEqual => vec![matcher.value.clone()],
        MatchOp::Regex | MatchOp::NotRegex => regex_examples(&matcher.value),
    }
}

/// Strings a simple regex probably matches: each top-level alternative with classes and wildcards
/// replaced by one character. Only candidates; the real matcher decides.
fn regex_examples(pattern: &str) -> Vec<String> {
    let inner = pattern.trim_start_matches('^').trim_end_matches('$');
    let inner = inner
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(inner);
    inner
        .split('|')
        .map(|alternative| {
            let mut out = String::new();
            let mut chars = alternative.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('d') => out.push('0'),
                        Some('w') => out.push('a'),
                        Some('s') => out.push(' '),
                        Some(other) => out.push(other),
                        None => {}
                    },
                    '.' => out.push('0'),
                    '[' => {
                        let mut first = None;
                        for class_char in chars.by_ref() {
                            if class_char == ']' {
                                break;
                            }
                            if first.is_none() && class_char != '^' {
                                first = Some(class_char);
                            }
                        }
                        out.push(first.unwrap_or('a'));
                    }
                    '(' | ')' | '^' | '$' | '*' | '+' | '?' => {}
                    '{' => {
                        for brace_char in chars.by_ref() {
                            if brace_char == '}' {
                                break;
                            }
                        }
                    }
                    other => out.push(other),
                }
            }
            out
        })
        .collect()
}

/// Whether a label set (absent labels read as empty) passes every matcher of `selector`.
fn selector_accepts(selector: &Selector, labels: &BTreeMap<String, String>) -> bool {
    selector
        .matchers
        .iter()
        .all(|m| matcher_accepts(m, labels.get(&m.label).map(String::as_str).unwrap_or("")))
}

/// Whether a matcher accepts a value, with PromQL's anchored regex semantics (promql-parser's).
pub fn matcher_accepts(matcher: &Matcher, value: &str) -> bool {
    match matcher.op {
        MatchOp::Equal => matcher.value == value,
        MatchOp::NotEqual => matcher.value != value,
        MatchOp::Regex | MatchOp::NotRegex => {
            let text = render_selector(
                &Selector {
                    metric: "slokit_probe".into(),
                    matchers: vec![matcher.clone()],
                },
                &[],
            );
            let Ok(promql_parser::parser::Expr::VectorSelector(vs)) =
                promql_parser::parser::parse(&text)
            else {
                return false;
            };
            vs.matchers
                .matchers
                .iter()
                .filter(|m| m.name == matcher.label)
                .all(|m| m.is_match(value))
        }
    }
}

/// Burn rates to 6 decimals, so test names read `15.84x`.
fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// A number for test names: at most 6 decimals.
fn short(value: f64) -> String {
    crate::load::common::trim_float(round(value))
}

fn round_up(d: f64, step: Duration) -> Duration {
    let step_ms = step.millis() as f64;
    Duration::from_millis(((d / step_ms).ceil().max(1.0) * step_ms) as u64)
}

fn round_down(d: f64, step: Duration) -> Duration {
    let step_ms = step.millis() as f64;
    Duration::from_millis(((d / step_ms).floor().max(1.0) * step_ms) as u64)
}

fn add(a: Duration, b: Duration) -> Duration {
    Duration::from_millis(a.millis() + b.millis())
}

fn ms(d: Duration) -> f64 {
    d.millis() as f64
}

/// When a pair first fires after errors start at burn rate `burn`: the long window must hold
/// `factor / burn` of its length in errors. `None` if the burn never reaches the factor.
fn detection(pair: &BurnWindow, burn: f64) -> Option<f64> {
    (burn > pair.factor).then(|| pair.factor / burn * ms(pair.long))
}

/// How late the recorded long window can be: the base window's smoothing, two evaluations, an hour
/// for windows read hourly, and the alert's `for:`.
fn slack(slo: &Slo, pair: &BurnWindow, eval: Duration) -> Duration {
    let mut total = BASE_WINDOW.millis() + 2 * eval.millis();
    if pair.long > SHORT_WINDOW_LIMIT {
        total += LONG_WINDOW_STEP.millis();
    }
    total += slo.alerting.for_duration.map_or(0, |d| d.millis());
    Duration::from_millis(total)
}

/// Good traffic long enough to fill the tier's longest window.
fn full_warm_up(tier: &AlertTier) -> Duration {
    let longest = tier
        .windows
        .iter()
        .map(|w| w.long)
        .max()
        .unwrap_or(BASE_WINDOW);
    round_up(ms(longest), LONG_WINDOW_STEP)
}

/// Good traffic before errors start: enough to fill the tested pair's long window, and enough
/// that no other pair of the tier, whose long window is then only partly filled, can fire within
/// `quiet_for` of the start at `burn` (with half filled, a window holds errors twice as densely).
/// Shorter than [`full_warm_up`] whenever possible, because every test step costs an evaluation
/// of every rule in the file.
fn warm_up(tier: &AlertTier, pair: &BurnWindow, burn: f64, quiet_for: f64) -> Duration {
    let mut needed = ms(pair.long);
    for other in &tier.windows {
        if burn > other.factor && other.long > pair.long {
            // With `w` of good traffic, the other window's burn after `x` of errors is
            // burn * x / (w + x); it stays at or below its factor while w >= x (burn - f) / f.
            needed = needed.max(quiet_for * (burn - other.factor) / other.factor * 1.1);
        }
    }
    std::cmp::min(round_up(needed, LONG_WINDOW_STEP), full_warm_up(tier))
}

fn firing_query(slo: &Slo, synth: &Synth, tier: &AlertTier) -> String {
    let (by, _) = synth.burning_labels(slo);
    format!(
        "{by}(ALERTS{{alertname={},alertstate=\"firing\",severity={},{}}})",
        quote(&alert_name(slo)),
        quote(&tier.severity),
        identity_matchers(slo)
    )
}

fn expect_firing(slo: &Slo, synth: &Synth, tier: &AlertTier, at: Duration) -> Value {
    let (_, labels) = synth.burning_labels(slo);
    Value::map()
        .with("expr", firing_query(slo, synth, tier))
        .with("eval_time", at.to_string())
        .with(
            "exp_samples",
            vec![Value::map().with("labels", labels).with("value", 1i64)],
        )
}

fn expect_silent(query: String, at: Duration) -> Value {
    Value::map()
        .with("expr", query)
        .with("eval_time", at.to_string())
        .with("exp_samples", Value::Seq(Vec::new()))
}

fn group(
    key: &str,
    name: String,
    synth: &Synth,
    phases: &[Phase],
    skip_bad: bool,
    checks: Vec<Value>,
) -> Scenario {
    Scenario {
        key: key.to_string(),
        name,
        series: synth.input_series(phases, skip_bad),
        checks,
    }
}

fn pair_text(pair: &BurnWindow) -> String {
    format!("{}x over {}/{}", short(pair.factor), pair.long, pair.short)
}

fn above(
    slo: &Slo,
    synth: &Synth,
    tier: &AlertTier,
    pair: &BurnWindow,
    eval: Duration,
    key: &str,
) -> Scenario {
    let burn = round(pair.factor * ABOVE);
    let (first, first_pair) = tier
        .windows
        .iter()
        .filter_map(|w| detection(w, burn).map(|d| (d, w)))
        .fold(
            (f64::MAX, pair),
            |best, (d, w)| if d < best.0 { (d, w) } else { best },
        );
    let quiet_after = round_down(first * 0.75, eval);
    let start = warm_up(tier, pair, burn, ms(quiet_after));
    let quiet = add(start, quiet_after);
    let fired = add(
        start,
        round_up(first + ms(slack(slo, first_pair, eval)), eval),
    );
    let phases = [
        Phase {
            length: start,
            traffic: TRAFFIC_PER_STEP,
            error_ratio: 0.0,
        },
        Phase {
            length: Duration::from_millis(fired.millis() - start.millis()),
            traffic: TRAFFIC_PER_STEP,
            error_ratio: burn * slo.error_budget(),
        },
    ];
    group(
        &format!("{key}/above"),
        format!(
            "{} {}: burning at {}x ({} just above {}) fires within {}",
            slo.name,
            tier.severity,
            short(burn),
            short(ABOVE),
            pair_text(pair),
            Duration::from_millis(fired.millis() - start.millis())
        ),
        synth,
        &phases,
        false,
        vec![
            expect_silent(firing_query(slo, synth, tier), quiet),
            expect_firing(slo, synth, tier, fired),
        ],
    )
}

fn below(
    slo: &Slo,
    synth: &Synth,
    tier: &AlertTier,
    pair: &BurnWindow,
    eval: Duration,
    key: &str,
) -> Scenario {
    let burn = round(pair.factor * BELOW);
    // Other pairs with lower factors may legitimately fire at this burn; stop before they can.
    let others = tier
        .windows
        .iter()
        .filter_map(|w| detection(w, burn))
        .fold(f64::MAX, f64::min);
    let horizon = (ms(pair.long) + ms(pair.short)).min(others * 0.9);
    let horizon = round_down(horizon, eval);
    let start = warm_up(tier, pair, burn, ms(horizon));
    let phases = [
        Phase {
            length: start,
            traffic: TRAFFIC_PER_STEP,
            error_ratio: 0.0,
        },
        Phase {
            length: horizon,
            traffic: TRAFFIC_PER_STEP,
            error_ratio: burn * slo.error_budget(),
        },
    ];
    let checks = (1..=4)
        .map(|quarter| {
            let at = round_down(ms(horizon) * quarter as f64 / 4.0, eval);
            expect_silent(firing_query(slo, synth, tier), add(start, at))
        })
        .collect();
    group(
        &format!("{key}/below"),
        format!(
            "{} {}: burning at {}x ({} just below {}) stays silent for {}",
            slo.name,
            tier.severity,
            short(burn),
            short(BELOW),
            pair_text(pair),
            horizon
        ),
        synth,
        &phases,
        false,
        checks,
    )
}

fn recovery(slo: &Slo, synth: &Synth, tier: &AlertTier, eval: Duration, burn: f64) -> Scenario {
    let fastest = tier
        .windows
        .iter()
        .max_by(|a, b| a.factor.total_cmp(&b.factor))
        .copied()
        .unwrap_or(BurnWindow {
            long: BASE_WINDOW,
            short: BASE_WINDOW,
            factor: 1.0,
        });
    let start = full_warm_up(tier);
    let first = tier
        .windows
        .iter()
        .filter_map(|w| detection(w, burn))
        .fold(f64::MAX, f64::min);
    let burning = round_up(first + ms(slack(slo, &fastest, eval)), eval);
    // Every pair still above its factor at the end must see its short window clear.
    let longest_short = tier
        .windows
        .iter()
        .filter(|w| burn * ms(burning) / ms(w.long) > w.factor)
        .map(|w| w.short)
        .max()
        .unwrap_or(fastest.short);
    let settle =
        Duration::from_millis(longest_short.millis() + BASE_WINDOW.millis() + 2 * eval.millis());
    let phases = [
        Phase {
            length: start,
            traffic: TRAFFIC_PER_STEP,
            error_ratio: 0.0,
        },
        Phase {
            length: burning,
            traffic: TRAFFIC_PER_STEP,
            error_ratio: burn * slo.error_budget(),
        },
        Phase {
            length: settle,
            traffic: TRAFFIC_PER_STEP,
            error_ratio: 0.0,
        },
    ];
    let stopped = add(start, burning);
    group(
        "recovery",
        format!(
            "{} {}: resolves within {settle} after errors stop",
            slo.name, tier.severity
        ),
        synth,
        &phases,
        false,
        vec![
            expect_firing(slo, synth, tier, stopped),
            expect_silent(firing_query(slo, synth, tier), add(stopped, settle)),
        ],
    )
}

/// An hour of traffic, then the source series stop: the no-data alert fires once `after` has
/// passed (plus the 5m the base rate keeps seeing the last samples), and not at half of it.
fn no_data(slo: &Slo, synth: &Synth, after: Duration) -> Scenario {
    let query = format!(
        "count(ALERTS{{alertname={},alertstate=\"firing\",{}}})",
        quote(&super::alerts::no_data_name(slo)),
        identity_matchers(slo)
    );
    let stop = Duration::from_hours(1);
    let phases = [Phase {
        length: stop,
        traffic: TRAFFIC_PER_STEP,
        error_ratio: 0.0,
    }];
    let quiet = add(stop, round_down(ms(after) * 0.5, TEST_EVAL_INTERVAL));
    let fired = add(
        stop,
        round_up(
            ms(after) + ms(BASE_WINDOW) + 2.0 * ms(TEST_EVAL_INTERVAL),
            TEST_EVAL_INTERVAL,
        ),
    );
    Scenario {
        key: "no-data".into(),
        name: format!(
            "{}: the no-data alert fires within {after} of the source series stopping",
            slo.name
        ),
        series: synth.input_series(&phases, false),
        checks: vec![
            expect_silent(query.clone(), quiet),
            Value::map()
                .with("expr", query)
                .with("eval_time", fired.to_string())
                .with(
                    "exp_samples",
                    vec![Value::map().with("labels", "{}").with("value", 1i64)],
                ),
        ],
    }
}

fn zero_traffic(slo: &Slo, synth: &Synth) -> Scenario {
    let length = Duration::from_hours(3);
    let phases = [Phase {
        length,
        traffic: 0.0,
        error_ratio: 0.0,
    }];
    let (by, _) = synth.burning_labels(slo);
    let every_group: Vec<Value> = synth
        .group_label_texts()
        .into_iter()
        .map(|labels| Value::map().with("labels", labels).with("value", 1i64))
        .collect();
    let equals = |expr: String, value: &str| {
        Value::map()
            .with("expr", format!("{by}({expr} == {value})"))
            .with("eval_time", length.to_string())
            .with("exp_samples", every_group.clone())
    };
    let mut checks = vec![
        equals(series(slo, SERIES_SLI), "1"),
        equals(series(slo, SERIES_BUDGET_REMAINING), "1"),
        equals(series(slo, &burn_rate_series(None)), "0"),
    ];
    for window in super::common::windows(slo) {
        checks.push(equals(series(slo, &burn_rate_series(Some(window))), "0"));
    }
    checks.push(expect_silent(
        format!("ALERTS{{alertstate=\"firing\",{}}}", identity_matchers(slo)),
        length,
    ));
    // The thresholds the plugin draws are the factors the alerts compare with.
    let thresholds: Vec<Value> = super::rules::threshold_pairs(slo)
        .into_iter()
        .map(|(severity, window)| {
            let labels: Vec<String> = super::rules::threshold_labels(slo, severity, &window)
                .into_iter()
                .filter_map(|(name, value)| match value {
                    Value::Str(text) => Some(format!("{name}={}", quote(&text))),
                    _ => None,
                })
                .collect();
            Value::map()
                .with(
                    "labels",
                    format!("{SERIES_BURN_RATE_THRESHOLD}{{{}}}", labels.join(",")),
                )
                .with(
                    "value",
                    Value::Float(number(window.factor).parse().unwrap_or(f64::NAN)),
                )
        })
        .collect();
    if !thresholds.is_empty() {
        checks.push(
            Value::map()
                .with("expr", series(slo, SERIES_BURN_RATE_THRESHOLD))
                .with("eval_time", length.to_string())
                .with("exp_samples", thresholds),
        );
    }
    // The no-data alert fires when the SLO's series are absent, which zero traffic is not.
    group(
        "zero",
        if synth.gauge.is_some() {
            format!(
                "{}: a gauge always within its bound gives a perfect SLI, zero burn and no alerts",
                slo.name
            )
        } else {
            format!(
                "{}: zero traffic and no bad-event series give a perfect SLI, zero burn and no alerts",
                slo.name
            )
        },
        synth,
        &phases,
        true,
        checks,
    )
}

fn exactness(slo: &Slo, synth: &Synth) -> Scenario {
    // Two hours of heavy traffic with 1% errors, then an hour of light, clean traffic. A 1h window
    // straddling both holds 300 bad of 30300 events; an average of 5m ratios would say 0.5%.
    let heavy = TRAFFIC_PER_STEP;
    let light = TRAFFIC_PER_STEP / 100.0;
    let phases = [
        Phase {
            length: Duration::from_hours(2),
            traffic: heavy,
            error_ratio: 0.01,
        },
        Phase {
            length: Duration::from_hours(1),
            traffic: light,
            error_ratio: 0.0,
        },
    ];
    let (by, labels) = synth.burning_labels(slo);
    let near = |expr: String, expected: f64, tolerance: f64, at: Duration| {
        Value::map()
            .with(
                "expr",
                format!(
                    "{by}(abs({expr} - {e}) <= {tol})",
                    e = number(expected),
                    tol = number(tolerance)
                ),
            )
            .with("eval_time", at.to_string())
            .with(
                "exp_samples",
                vec![Value::map()
                    .with("labels", labels.clone())
                    .with("value", 1i64)],
            )
    };
    let budget = slo.error_budget();
    let straddle = (30.0 * heavy * 0.01) / (30.0 * heavy + 30.0 * light);
    let whole = (120.0 * heavy * 0.01) / (120.0 * heavy + 60.0 * light);
    let mut checks = vec![near(
        series(slo, &burn_rate_series(Some(Duration::from_hours(1)))),
        straddle / budget,
        straddle / budget * TOLERANCE,
        Duration::from_mins(150),
    )];
    if slo.period >= Duration::from_hours(3) {
        checks.push(near(
            series(slo, &burn_rate_series(None)),
            whole / budget,
            whole / budget * TOLERANCE,
            Duration::from_hours(3),
        ));
        checks.push(near(
            series(slo, SERIES_SLI),
            1.0 - whole,
            whole * TOLERANCE,
            Duration::from_hours(3),
        ));
    }
    if slo.alerting.enabled && slo.alerting.budget_exhausted {
        // Over these three hours the period burn rate is `whole / budget`; far enough from 1 it
        // decides whether the budget is spent.
        let query = format!(
            "{by}(ALERTS{{alertname={},alertstate=\"firing\",{}}})",
            quote(&super::alerts::budget_exhausted_name(slo)),
            identity_matchers(slo)
        );
        let burn = whole / budget;
        let at = Duration::from_hours(3);
        if burn > 1.05 {
            checks.push(
                Value::map()
                    .with("expr", query)
                    .with("eval_time", at.to_string())
                    .with(
                        "exp_samples",
                        vec![Value::map()
                            .with("labels", labels.clone())
                            .with("value", 1i64)],
                    ),
            );
        } else if burn < 0.95 {
            checks.push(expect_silent(query, at));
        }
    }
    group(
        "exact",
        format!(
            "{}: error ratios are exact for uneven traffic (ratio of sums, not mean of ratios)",
            slo.name
        ),
        synth,
        &phases,
        false,
        checks,
    )
}

/// The whole test file for a product's rule file. `group_order` names every rule group of the
/// file in the order promtool must evaluate them at each step (see [`group_eval_order`]).
pub fn test_file(
    rules_path: &str,
    eval: Duration,
    group_order: &[String],
    groups: Vec<Value>,
) -> Value {
    Value::map()
        .with("rule_files", vec![Value::str(rules_path)])
        .with("evaluation_interval", eval.to_string())
        .with(
            "group_eval_order",
            group_order.iter().map(Value::str).collect::<Vec<_>>(),
        )
        .with("tests", groups)
}

/// The order in which promtool evaluates the rule groups of `slos` at each test step: each SLO's
/// slow group, then its fast group.
///
/// promtool ignores a group's `interval`: it evaluates every group at every
/// `evaluation_interval` step, one group after another, in `group_eval_order` (in no set order
/// otherwise). The fast group's alerts read the slow group's burn rates, and at a 1h test step a
/// sample written at the previous step is older than the 5m lookback: were the fast group first,
/// the ticket alerts would read no long-window burn rate at all. With the slow group first they
/// read this step's. The price is that the slow group's subqueries miss this step's point of the
/// fast group's 1h series, which is written after them, so in tests the long windows cover the
/// hours up to one step ago (the slack of the firing checks allows two steps). A live server has no
/// such lag: the fast group has long written the value at the hour by the time the slow group
/// reads it.
pub fn group_eval_order(slos: &[Slo]) -> Vec<String> {
    slos.iter()
        .flat_map(|slo| {
            [
                slow_rule_group_name(&slo.product, &slo.name),
                rule_group_name(&slo.product, &slo.name),
            ]
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::render::fixtures;

    #[test]
    fn counter_values_continue_across_phases() {
        let phases = [
            Phase {
                length: Duration::from_mins(3),
                traffic: 10.0,
                error_ratio: 0.0,
            },
            Phase {
                length: Duration::from_mins(2),
                traffic: 10.0,
                error_ratio: 0.5,
            },
        ];
        assert_eq!(
            counter_values(&phases, |p| p.traffic * p.error_ratio),
            "0+0x3 5+5x1"
        );
        let fractional = [
            Phase {
                length: Duration::from_mins(3),
                traffic: 1.0,
                error_ratio: 0.3,
            },
            Phase {
                length: Duration::from_mins(2),
                traffic: 1.0,
                error_ratio: 0.0,
            },
        ];
        assert_eq!(
            counter_values(&fractional, |p| p.traffic * p.error_ratio),
            "0+0.3x3 1+0x1"
        );
        assert_eq!(counter_values(&phases, |p| p.traffic), "0+10x3 40+10x1");
    }

    #[test]
    fn regex_examples_are_plausible() {
        assert_eq!(regex_examples("5.."), vec!["500"]);
        assert_eq!(regex_examples("(5..|429)"), vec!["500", "429"]);
        assert_eq!(regex_examples("[45]\\d\\d"), vec!["400"]);
    }

    #[test]
    fn synthesised_series_have_the_right_roles() {
        let synth = Synth::new(&fixtures::availability("shop")).unwrap();
        let roles: Vec<(String, Role)> = synth
            .series
            .iter()
            .map(|(m, l, r)| (format!("{m}{l:?}"), *r))
            .collect();
        assert_eq!(
            roles,
            vec![
                (
                    "http_requests_total{\"job\": \"api\", \"status_code\": \"500\"}".to_string(),
                    BAD
                ),
                (
                    "http_requests_total{\"job\": \"api\", \"status_code\": \"slokit-test\"}"
                        .to_string(),
                    GOOD
                ),
            ]
        );
        assert!(Synth::new(&fixtures::raw("web")).is_err());
    }
}
