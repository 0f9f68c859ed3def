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
    is_recorded_everywhere, reads_hourly, rule_group_name, slow_rule_group_name,
    window_error_ratio, BASE_WINDOW, LONG_WINDOW_STEP, RECORDED_WINDOWS, SERIES_BUDGET_REMAINING,
    SERIES_BURN_RATE_THRESHOLD, SERIES_SLI, SHORT_WINDOW_LIMIT, TEST_EVAL_INTERVAL,
    TEST_INPUT_INTERVAL, TEST_SLOW_EVAL_INTERVAL,
};
use crate::duration::Duration;
use crate::model::{
    AlertTier, BurnWindow, Comparison, Counted, EventSource, Indicator, Selector, Slo,
};
use crate::promql::matchers::{satisfy, selector_accepts};
use crate::promql::quote;
use crate::render::emit::Value;
use std::collections::BTreeMap;

mod fold;
mod scenarios;
mod synth;
use scenarios::*;
use synth::*;

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
pub fn slo_tests(slo: &Slo, siblings: &[Slo]) -> Result<SloTests, String> {
    let synth = Synth::new(slo, siblings)?;
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
            // A burn needs an error ratio of `burn * budget`: above 1 no traffic can produce it
            // (the pair can never fire; loading warned), so those scenarios are not written.
            let possible = |burn: f64| burn * slo.error_budget() <= 1.0;
            for (pair_index, pair) in tier.windows.iter().enumerate() {
                let key = format!("tier{index}/pair{pair_index}");
                if possible(pair.factor * ABOVE) {
                    groups.push(above(slo, &synth, tier, pair, eval, &key));
                }
                if possible(pair.factor * BELOW) {
                    groups.push(below(slo, &synth, tier, pair, eval, &key));
                }
            }
            let fastest = tier.windows.iter().map(|w| w.factor).fold(0.0, f64::max);
            if index == 0 && !tier.windows.is_empty() && possible(round(fastest * ABOVE)) {
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
        near_check(&by, &labels, expr, expected, expected * GAUGE_TOLERANCE, at)
    };
    // The hour around the outage, with steady edges. Period windows are not checked: the hour
    // ending at the first sample counts as a whole hour of good time, an artefact of the start.
    let checks = vec![near(
        read_burn_rate(slo, Some(Duration::from_hours(1))),
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
    // SLOs share test groups when no other SLO of the set selects their synthetic series, or
    // when they read the same series and their scenarios write them alike (SLOs of one service
    // over the same metrics, say): the inputs are then written once for all of them.
    let mut sets: Vec<Vec<(&Slo, Synth, SloTests)>> = Vec::new();
    for slo in slos {
        let tests = match (Synth::new(slo, slos), slo_tests(slo, slos)) {
            (Ok(synth), Ok(tests)) => (synth, tests),
            (Err(reason), _) | (_, Err(reason)) => {
                out.skipped.push((slo.name.clone(), reason));
                continue;
            }
        };
        let place = sets.iter().position(|set| {
            set.iter().all(|(other, other_synth, other_tests)| {
                independent(slo, &tests.0, other, other_synth, slos)
                    || same_inputs(&tests.1, other_tests)
            })
        });
        match place {
            Some(i) => sets[i].push((slo, tests.0, tests.1)),
            None => sets.push(vec![(slo, tests.0, tests.1)]),
        }
    }
    for set in sets {
        // SLOs alike (the same tests but for their names) fold into one SLO's tests whose
        // checks cover them all.
        let mut classes: Vec<(&Slo, SloTests, Vec<&Slo>)> = Vec::new();
        for (slo, _, tests) in set {
            match classes
                .iter_mut()
                .find(|(first, first_tests, _)| fold::alike(first, first_tests, slo, &tests))
            {
                Some((_, _, others)) => others.push(slo),
                None => classes.push((slo, tests, Vec::new())),
            }
        }
        let mut fast: Vec<Vec<Scenario>> = Vec::new();
        let mut slow: Vec<Vec<Scenario>> = Vec::new();
        for (first, tests, others) in classes {
            let tests = fold::fold(first, tests, &others);
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
                    for series in scenario.series {
                        if !m.series.contains(&series) {
                            m.series.push(series);
                        }
                    }
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

/// Whether two SLOs' scenarios write the same input series wherever they share a key, so that
/// one copy of the inputs serves both.
fn same_inputs(a: &SloTests, b: &SloTests) -> bool {
    fn scenarios(t: &SloTests) -> impl Iterator<Item = &Scenario> {
        t.fast.iter().chain(&t.slow)
    }
    let others: Vec<&Scenario> = scenarios(b).collect();
    scenarios(a).all(|scenario| {
        others
            .iter()
            .filter(|other| other.key == scenario.key)
            .all(|other| other.series == scenario.series)
    })
}

/// Whether neither SLO's selectors pick up the other's synthetic series.
fn independent(a: &Slo, a_synth: &Synth, b: &Slo, b_synth: &Synth, siblings: &[Slo]) -> bool {
    let picks = |slo: &Slo, synth: &Synth| {
        let selectors = selectors(slo, siblings);
        synth.labelled().iter().any(|(metric, labels)| {
            selectors
                .iter()
                .any(|s| &s.metric == metric && selector_accepts(s, labels))
        })
    };
    !picks(a, b_synth) && !picks(b, a_synth)
}

/// The raw selectors an SLO reads (for testable kinds).
fn selectors(slo: &Slo, siblings: &[Slo]) -> Vec<Selector> {
    match &slo.indicator {
        // A composite reads what its members read.
        Indicator::Composite(composite) => composite
            .members
            .iter()
            .filter_map(|m| {
                siblings
                    .iter()
                    .find(|s| s.product == m.product && s.name == m.slo)
            })
            .flat_map(|member| selectors(member, siblings))
            .collect(),
        Indicator::Ratio(ratio) => [&ratio.numerator, &ratio.total]
            .into_iter()
            .filter_map(|source| match source {
                EventSource::Counter(selector) => Some(selector.clone()),
                EventSource::Query(_) => None,
            })
            .collect(),
        Indicator::Latency(latency) => {
            let base = crate::render::rules::histogram_base(&latency.histogram.metric);
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

/// The order in which promtool evaluates the rule groups of `product` at each test step: the
/// slow group, then the fast group.
///
/// promtool ignores a group's `interval`: it evaluates every group at every
/// `evaluation_interval` step, one group after another, in `group_eval_order` (in no set order
/// otherwise). The fast group's alerts read the slow group's series, and at a 1h test step a
/// sample written at the previous step is older than the 5m lookback: were the fast group first,
/// they would read nothing. With the slow group first they read this step's. The price is that the
/// slow group's subqueries miss this step's point of the fast group's 1h series, which is written
/// after them, so in tests the long windows cover the hours up to one step ago (the slack of the
/// firing checks allows two steps). A live server has no such lag: the fast group has long
/// written the value at the hour by the time the slow group reads it. Within each group,
/// composites follow their members ([`crate::render::evaluation_order`]).
pub fn group_eval_order(product: &str) -> Vec<String> {
    vec![slow_rule_group_name(product), rule_group_name(product)]
}

/// A check that `expr` is within `tolerance` of `expected` at `at`, for the group the scenario
/// burns (`by` and `labels` from [`Synth::burning_labels`]).
fn near_check(
    by: &str,
    labels: &str,
    expr: String,
    expected: f64,
    tolerance: f64,
    at: Duration,
) -> Value {
    Value::map()
        .with(
            "expr",
            format!(
                "{by}(abs({expr} - {}) <= {})",
                number(expected),
                number(tolerance)
            ),
        )
        .with("eval_time", at.to_string())
        .with(
            "exp_samples",
            vec![Value::map().with("labels", labels).with("value", 1i64)],
        )
}

/// The SLO's burn rate over `window` as the dashboards and the plugin read it (guarded against
/// zero traffic), or over the period (`None`) from the recorded budget remaining. The tests check
/// these reads, since no burn rate is recorded.
fn read_burn_rate(slo: &Slo, window: Option<Duration>) -> String {
    match window {
        Some(window) => format!(
            "({} / {})",
            window_error_ratio(window, |name| series(slo, name)),
            number(slo.error_budget())
        ),
        None => format!("(1 - {})", series(slo, SERIES_BUDGET_REMAINING)),
    }
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
    fn synthesised_series_have_the_right_roles() {
        let synth = Synth::new(&fixtures::slo("api-service-availability"), &[]).unwrap();
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
        assert!(Synth::new(&fixtures::slo("frontend-raw"), &[]).is_err());
    }
}
