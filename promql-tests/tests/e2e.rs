//! End to end in real engines: 33 days of synthetic history (uneven diurnal traffic, incidents,
//! zero-traffic gaps, a scrape outage, an error series that exists only during incidents, a
//! classic histogram), slokit's generated rules evaluated over it in a real Prometheus 2.42
//! (backfilled with promtool, level by level) and in VictoriaMetrics + vmalert (replayed), and
//! every result compared with ground truth computed from the generator's own event counts.
//!
//! What is asserted, in both engines:
//! - the period error ratio (`1 - slokit:sli:period`), the period burn rate from the recorded
//!   period rates and `slokit:error_budget_remaining:period` match the exact ratio of event sums
//!   over the window the rules cover, within 0.1% relative, on the uneven workload and on every
//!   other SLO;
//! - no recorded period-level or rate series, and no burn rate as the dashboards and the plugin
//!   compute it, is ever NaN or ±Inf, across zero-traffic gaps and an outage, and those burn rates
//!   are 0 (not absent) while traffic is zero;
//! - each alert (page, ticket) is active exactly when an exact model of the same window pairs says
//!   it should be, except within a tolerance of the model's own transitions; the incidents each
//!   tier must catch are checked to be caught, and the quiet weeks to be silent.
//!
//! How alerts are observed, honestly: promtool cannot backfill alerting rules, so in Prometheus the
//! generated alert expressions are evaluated over the backfilled rate series with range queries
//! (the same expressions, read from the generated file, at the 5m backfill interval), and a live
//! Prometheus then loads the generated files and must fire the page alert for the incident still
//! going on at "now". vmalert's replay evaluates the alerting rules themselves and writes `ALERTS`,
//! which is what the VictoriaMetrics test reads. FIXME: no live vmalert loads the generated files
//! (an earlier version of this comment said one did; the harness's unused `Vmalert` was removed).

use promql_tests::backfill::{read_alerts, workload_history, AlertingRule};
use promql_tests::prometheus::sample_value;
use promql_tests::synthetic::{Counts, Service, Workload};
use promql_tests::victoria::{self, VictoriaMetrics};
use promql_tests::Tree;
use slokit::conventions::{burn_factor, DEFAULT_TIERS};
use slokit::duration::Duration as PromDuration;
use slokit::render::Target;
use std::time::Instant;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
const MIN: i64 = 60;
const STEP: i64 = 5 * MIN;

/// One SLO of the scenario, as the test needs to know it.
struct Objective {
    slo: &'static str,
    product: &'static str,
    job: &'static str,
    budget: f64,
    /// A latency SLO: bad = slower than this bucket bound.
    latency: Option<f64>,
    /// The alert name the generator gives it.
    alert: &'static str,
    /// Largest relative error of the period error ratio in Prometheus.
    tolerance: f64,
    /// The same in VictoriaMetrics.
    vm_tolerance: f64,
}

const OBJECTIVES: [Objective; 4] = [
    Objective {
        slo: "uneven-availability",
        product: "uneven-api",
        job: "uneven-api",
        budget: 0.01,
        latency: None,
        alert: "UnevenAvailabilityBurnRate",
        tolerance: 0.001,
        vm_tolerance: 0.001,
    },
    Objective {
        slo: "checkout-availability",
        product: "checkout-api",
        job: "checkout-api",
        budget: 0.001,
        latency: None,
        alert: "CheckoutAvailabilityBurnRate",
        tolerance: 0.001,
        vm_tolerance: 0.001,
    },
    Objective {
        slo: "checkout-latency",
        product: "checkout-api",
        job: "checkout-api",
        budget: 0.01,
        latency: Some(0.3),
        alert: "CheckoutLatencyBurnRate",
        tolerance: 0.001,
        vm_tolerance: 0.001,
    },
    Objective {
        slo: "jobs-availability",
        product: "jobs-api",
        job: "jobs-api",
        budget: 0.001,
        latency: None,
        alert: "JobsAvailabilityBurnRate",
        // Not 0.1%, for two reasons outside the rules: Prometheus 2's rate() extrapolates a series
        // that appears (the error series at each incident start) back towards the window start,
        // counting errors from before it existed (measured +0.8% here); and during the 2h scrape
        // outage the 1h averages of the partly covered hours stand in for the missing minutes.
        tolerance: 0.02,
        // VictoriaMetrics' rate() is the slope between the samples it finds, applied to the whole
        // window: a window in which the error series starts or stops part way counts the missing
        // part at the incident's rate. With evaluations not aligned to the incident edges that
        // over-counts up to one window per edge: measured +12.6% here (0% when aligned).
        vm_tolerance: 0.3,
    },
];

impl Objective {
    fn selector(&self) -> String {
        format!(
            "{{slokit_product=\"{}\",slokit_slo=\"{}\"}}",
            self.product, self.slo
        )
    }

    fn bad(&self, counts: &Counts) -> f64 {
        match self.latency {
            Some(threshold) => counts.slow_ratio(threshold) * counts.total,
            None => counts.bad,
        }
    }

    fn ratio(&self, counts: &Counts) -> f64 {
        if counts.total > 0.0 {
            self.bad(counts) / counts.total
        } else {
            0.0
        }
    }
}

/// An incident the alerts must catch: which SLO, which severity, and when (Unix seconds).
struct Expected {
    slo: &'static str,
    severity: &'static str,
    start: i64,
    end: i64,
}

struct Scenario {
    workload: Workload,
    start: i64,
    end: i64,
    /// The first midnight after `start`; incidents are placed in days counted from it.
    day0: i64,
    /// Evaluation of alerts starts here (windows up to 3d are full).
    alerts_from: i64,
    /// The incident still burning at the end, for the live checks.
    live_incident: i64,
    expected: Vec<Expected>,
    /// Quiet weeks: no alert of these SLOs may be active.
    quiet: Vec<(&'static str, i64, i64)>,
    /// Zero-traffic gaps (still scraped): `(job, start, end)`.
    gaps: Vec<(&'static str, i64, i64)>,
    /// The rules generated from `specs/e2e.yaml`, for Prometheus and for vmalert.
    prometheus: Tree,
    vmalert: Tree,
}

fn scenario() -> Scenario {
    let now = promql_tests::unix_now();
    // The history ends now (to the minute): a TSDB refuses live samples older than its newest
    // block, and the live checks, started a minute or so later, must still find raw samples
    // within their 5m rate windows.
    let end = now / MIN * MIN;
    let start = end - 33 * DAY;
    let day0 = (start / DAY + 1) * DAY;
    let at = |day: i64, hour: i64| day0 + day * DAY + hour * HOUR;
    let live_incident = end - 2 * HOUR;

    let uneven = Service::new("uneven-api")
        .gap(at(10, 2), 4 * HOUR)
        .gap(at(31, 1), 3 * HOUR);
    let checkout = Service::new("checkout-api")
        .routes(&["/cart"])
        .traffic(20.0, 200.0)
        .error_ratios(0.0001, 0.0001)
        .histogram(&[0.05, 0.1, 0.3, 0.5, 1.0, 2.5], 0.05)
        // A fast burn (100x): every tier.
        .incident(at(4, 14), 45 * MIN, 0.10)
        // A medium burn (10x for 6h): the 6h/30m page, not the 1h/5m one.
        .incident(at(24, 10), 6 * HOUR, 0.01)
        // A slow burn (2.5x for 2.5 days): only the 3d/6h ticket.
        .incident(at(28, 0), 60 * HOUR, 0.0025)
        // Slow requests for an hour (74% over 0.3s): the latency pages.
        .slow_incident(at(22, 12), HOUR, 0.0001, 20.0)
        .incident(live_incident, 3 * HOUR, 0.10);
    let jobs = Service::new("jobs-api")
        .traffic(5.0, 50.0)
        .errors_only_during_incidents()
        .incident(at(12, 9), 30 * MIN, 0.20)
        .incident(at(20, 20), HOUR, 0.03)
        .gap(at(18, 0), 6 * HOUR)
        .outage(at(15, 3), 2 * HOUR);
    let workload = Workload::new(start)
        .service(uneven)
        .service(checkout)
        .service(jobs);

    let expected = vec![
        Expected {
            slo: "checkout-availability",
            severity: "page",
            start: at(4, 14),
            end: at(4, 15),
        },
        Expected {
            slo: "checkout-availability",
            severity: "ticket",
            start: at(4, 14),
            end: at(5, 14),
        },
        Expected {
            slo: "checkout-availability",
            severity: "page",
            start: at(24, 10),
            end: at(24, 16),
        },
        Expected {
            slo: "checkout-availability",
            severity: "ticket",
            start: at(28, 12),
            end: at(30, 12),
        },
        Expected {
            slo: "checkout-latency",
            severity: "page",
            start: at(22, 12),
            end: at(22, 13),
        },
        Expected {
            slo: "jobs-availability",
            severity: "page",
            start: at(12, 9),
            end: at(12, 10),
        },
    ];
    let quiet = vec![
        ("checkout-availability", at(9, 0), at(21, 0)),
        ("checkout-latency", at(5, 0), at(21, 0)),
        ("jobs-availability", at(4, 0), at(11, 0)),
        ("uneven-availability", at(4, 0), at(32, 0)),
    ];
    let gaps = vec![
        ("uneven-api", at(10, 2), at(10, 6)),
        ("jobs-api", at(18, 0), at(18, 6)),
    ];

    let catalog = promql_tests::load_specs(&[promql_tests::spec_file("e2e.yaml")]);
    Scenario {
        workload,
        start,
        end,
        day0,
        alerts_from: start + 3 * DAY + HOUR,
        live_incident,
        expected,
        quiet,
        gaps,
        prometheus: Tree::generate(&catalog),
        vmalert: Tree::generate_with(&catalog, Target::Vmalert, None),
    }
}

impl Scenario {
    /// `day+hh:mm` relative to `day0`, for messages.
    fn when(&self, t: i64) -> String {
        let d = t - self.day0;
        format!(
            "d{}+{:02}:{:02}",
            d.div_euclid(DAY),
            d.rem_euclid(DAY) / HOUR,
            d.rem_euclid(HOUR) / MIN
        )
    }

    /// The exact state of one alert (all its window pairs ORed) at each of `times`.
    fn predicted(&self, objective: &Objective, severity: &str, times: &[i64]) -> Vec<bool> {
        let period = PromDuration::from_days(30);
        let tiers: Vec<_> = DEFAULT_TIERS
            .iter()
            .filter(|t| t.severity == severity)
            .collect();
        let mut needed: Vec<i64> = times.to_vec();
        for tier in &tiers {
            for window in [tier.long, tier.short] {
                needed.extend(times.iter().map(|t| t - window.secs_f64() as i64));
            }
        }
        let counts = self.workload.cumulative(objective.job, &needed);
        let index: std::collections::HashMap<i64, &Counts> =
            needed.iter().copied().zip(counts.iter()).collect();
        let burn = |t: i64, window: PromDuration| {
            let since = index[&t].since(index[&(t - window.secs_f64() as i64)]);
            objective.ratio(&since) / objective.budget
        };
        times
            .iter()
            .map(|&t| {
                tiers.iter().any(|tier| {
                    let factor = burn_factor(tier.budget_share, period, tier.long);
                    burn(t, tier.long) > factor && burn(t, tier.short) > factor
                })
            })
            .collect()
    }
}

/// The tolerance around a predicted transition within which the engine may disagree: the 5m
/// base window and one evaluation for pages; for tickets also the hour by which 1d and 3d windows
/// lag (they count whole hours).
fn tolerance(severity: &str) -> i64 {
    if severity == "page" {
        15 * MIN
    } else {
        75 * MIN
    }
}

/// Intervals `[from, to)` where `states` (at `times`) is true.
fn intervals(times: &[i64], states: &[bool]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut open: Option<i64> = None;
    for (t, s) in times.iter().zip(states) {
        match (open, s) {
            (None, true) => open = Some(*t),
            (Some(from), false) => {
                out.push((from, *t));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(from) = open {
        out.push((from, times.last().copied().unwrap_or(from) + STEP));
    }
    out
}

/// Times (in seconds) at which a range-query result holds a sample, from `data.result`.
fn active_times(result: &serde_json::Value) -> std::collections::BTreeSet<i64> {
    let mut times = std::collections::BTreeSet::new();
    for series in result.as_array().into_iter().flatten() {
        for pair in series["values"].as_array().into_iter().flatten() {
            if let Some(t) = pair[0].as_f64() {
                times.insert(t.round() as i64);
            }
        }
    }
    times
}

/// Compares an engine's alert activity with the model and checks expectations; returns lines for
/// the test output.
fn check_alerts(
    scenario: &Scenario,
    engine: &str,
    objective: &Objective,
    severity: &str,
    times: &[i64],
    active: &std::collections::BTreeSet<i64>,
) -> Vec<String> {
    let predicted = scenario.predicted(objective, severity, times);
    let observed: Vec<bool> = times
        .iter()
        .map(|t| {
            active
                .range(t - STEP / 2..t + STEP / 2 + 1)
                .next()
                .is_some()
        })
        .collect();
    let predicted_spans = intervals(times, &predicted);
    let transitions: Vec<i64> = predicted_spans.iter().flat_map(|(a, b)| [*a, *b]).collect();
    let tolerance = tolerance(severity);
    for (i, &t) in times.iter().enumerate() {
        if predicted[i] != observed[i] {
            assert!(
                transitions.iter().any(|x| (x - t).abs() <= tolerance),
                "{engine}: {} {severity} is {} at {} but the exact model says {}; model spans {:?}, engine spans {:?}",
                objective.slo,
                if observed[i] { "active" } else { "inactive" },
                scenario.when(t),
                predicted[i],
                spans(scenario, &predicted_spans),
                spans(scenario, &intervals(times, &observed)),
            );
        }
    }
    for expected in scenario
        .expected
        .iter()
        .filter(|e| e.slo == objective.slo && e.severity == severity)
    {
        let caught = |states: &[bool]| {
            times
                .iter()
                .zip(states)
                .any(|(t, s)| *s && *t >= expected.start && *t <= expected.end)
        };
        assert!(
            caught(&predicted),
            "the model does not fire {} {severity} for the incident at {}: the scenario is wrong",
            objective.slo,
            scenario.when(expected.start)
        );
        assert!(
            caught(&observed),
            "{engine}: {} {severity} missed the incident at {}",
            objective.slo,
            scenario.when(expected.start)
        );
    }
    for (slo, from, to) in scenario.quiet.iter().filter(|q| q.0 == objective.slo) {
        let noisy: Vec<String> = times
            .iter()
            .zip(&observed)
            .filter(|(t, s)| **s && **t >= *from && **t < *to)
            .map(|(t, _)| scenario.when(*t))
            .collect();
        assert!(
            noisy.is_empty(),
            "{engine}: {slo} {severity} was active in a quiet week at {noisy:?}"
        );
    }
    vec![format!(
        "{engine}: {:<22} {severity:<6} model {:?}\n{:>40} engine {:?}",
        objective.slo,
        spans(scenario, &predicted_spans),
        "",
        spans(scenario, &intervals(times, &observed)),
    )]
}

fn spans(scenario: &Scenario, spans: &[(i64, i64)]) -> Vec<String> {
    spans
        .iter()
        .map(|(a, b)| format!("{}..{}", scenario.when(*a), scenario.when(*b)))
        .collect()
}

/// Period-level checks shared by both engines. `instant` runs an instant query at a time and
/// returns `data.result`.
fn check_period(
    scenario: &Scenario,
    engine: &str,
    instant: &dyn Fn(&str, f64) -> serde_json::Value,
) -> Vec<String> {
    let mut lines = Vec::new();
    let one = |expr: &str, t: i64| -> (f64, i64) {
        let result = instant(expr, t as f64);
        let series = result
            .as_array()
            .filter(|a| a.len() == 1)
            .unwrap_or_else(|| panic!("{engine}: `{expr}` at {t} returned {result}"));
        let value = sample_value(&series[0]["value"]);
        (value, series[0]["value"][0].as_f64().unwrap_or(0.0) as i64)
    };
    // Assess an hour before the live incident starts, on history only.
    let assess = scenario.live_incident - HOUR - 7 * MIN;
    for objective in &OBJECTIVES {
        let selector = objective.selector();
        let (sli, _) = one(&format!("slokit:sli:period{selector}"), assess);
        // When the sample read was recorded, not when it was read: the slow group writes every
        // 2m30s (every 5m in the backfill), so early in an hour the sample may predate the hour.
        let recorded = one(&format!("timestamp(slokit:sli:period{selector})"), assess).0 as i64;
        // The period burn rate from the recorded period rates, which the budget must agree with.
        let (burn, _) = one(
            &format!(
                "slokit:events_bad:rate_period{selector} / slokit:events_total:rate_period{selector} / {}",
                objective.budget
            ),
            assess,
        );
        let (remaining, _) = one(
            &format!("slokit:error_budget_remaining:period{selector}"),
            assess,
        );
        // The window the period rule read when it recorded this sample: 720 whole hours, each the
        // 1h rate recorded last at or before the hour; the newest is the one before `recorded`.
        let hour = recorded / HOUR * HOUR;
        let last_rate1h = one(
            &format!("timestamp(slokit:events_total:rate1h{selector})"),
            hour,
        )
        .0 as i64;
        let covered = scenario.workload.cumulative(
            objective.job,
            &[last_rate1h - 30 * DAY, last_rate1h, hour - 30 * DAY, hour],
        );
        let truth_covered = objective.ratio(&covered[1].since(&covered[0]));
        let truth_nominal = objective.ratio(&covered[3].since(&covered[2]));
        let measured = 1.0 - sli;
        let tolerance = if engine == "prometheus" {
            objective.tolerance
        } else {
            objective.vm_tolerance
        };
        let relative = (measured - truth_covered).abs() / truth_covered;
        let relative_nominal = (measured - truth_nominal).abs() / truth_nominal;
        lines.push(format!(
            "{engine}: {:<22} period error ratio {:.5}% truth {:.5}% (rel. error {:.4}%; vs the nominal 30d to the hour {:.4}%), burn {burn:.4}, budget remaining {remaining:.4}",
            objective.slo,
            measured * 100.0,
            truth_covered * 100.0,
            relative * 100.0,
            relative_nominal * 100.0,
        ));
        // Printed at once, so that a failure below still shows every figure so far.
        println!("{}", lines.pop().unwrap_or_default());
        assert!(
            relative <= tolerance,
            "{engine}: {} period error ratio {measured} vs truth {truth_covered}: {:.4}% off",
            objective.slo,
            relative * 100.0
        );
        let expected_burn = truth_covered / objective.budget;
        assert!(
            (burn - expected_burn).abs() <= tolerance * expected_burn,
            "{engine}: {} period burn rate {burn} vs {expected_burn}",
            objective.slo
        );
        assert!(
            (remaining - (1.0 - burn)).abs() < 1e-9,
            "{engine}: {} budget remaining {remaining} is not 1 - burn {burn}",
            objective.slo
        );
    }
    // Zero traffic: burn rates, as every reader computes them, are present and exactly 0 in the
    // middle of each gap.
    for (job, from, to) in &scenario.gaps {
        let objective = OBJECTIVES
            .iter()
            .find(|o| o.job == *job)
            .expect("a gap of a known service");
        let middle = (from + to) / 2;
        for window in ["5m", "30m", "1h"] {
            let window = PromDuration::parse(window).expect("a window");
            let (value, _) = one(
                &slokit::conventions::window_burn_rate(window, |name| {
                    format!("{name}{}", objective.selector())
                }),
                middle,
            );
            assert!(
                value == 0.0,
                "{engine}: {} burn rate over {window} is {value} during zero traffic",
                objective.slo
            );
        }
    }
    lines
}

/// No slokit series is NaN or ±Inf anywhere in the history (hourly), and the period series exist
/// through the gaps and the outage.
fn check_finite(
    scenario: &Scenario,
    engine: &str,
    range: &dyn Fn(&str, f64, f64, f64) -> serde_json::Value,
) -> usize {
    let recorded = r#"{__name__=~"slokit:(sli:period|error_budget_remaining:period|events_(total|bad):rate(5m|1h|_period))"}"#.to_string();
    // Burn rates over a short, a long and an hourly window, as every reader computes them.
    let computed = ["1h", "6h", "3d"].map(|window| {
        slokit::conventions::window_burn_rate(
            PromDuration::parse(window).expect("a window"),
            |name| format!("{name}{{slokit_slo=~\".+\"}}"),
        )
    });
    // Two halves keep each range query under Prometheus's 11,000 points per series.
    let mut checked = 0;
    let half = (scenario.end - scenario.start) / 2;
    for (from, to) in [
        (scenario.start + HOUR, scenario.start + half),
        (scenario.start + half, scenario.end - 30 * MIN),
    ] {
        for expr in std::iter::once(&recorded).chain(&computed) {
            let result = range(expr, from as f64, to as f64, STEP as f64);
            for series in result.as_array().into_iter().flatten() {
                for pair in series["values"].as_array().into_iter().flatten() {
                    let value = sample_value(pair);
                    assert!(
                        value.is_finite(),
                        "{engine}: {} is {value} at {}",
                        series["metric"],
                        scenario.when(pair[0].as_f64().unwrap_or(0.0) as i64)
                    );
                    checked += 1;
                }
            }
        }
    }
    // The period series never disappear, not even during the outage of uneven-api.
    for objective in &OBJECTIVES {
        for half in [
            (scenario.start + DAY, scenario.start + half),
            (scenario.start + half, scenario.end - 30 * MIN),
        ] {
            let result = range(
                &format!("slokit:sli:period{}", objective.selector()),
                half.0 as f64,
                half.1 as f64,
                HOUR as f64,
            );
            let points = result[0]["values"].as_array().map(|v| v.len()).unwrap_or(0) as i64;
            let wanted = (half.1 - half.0) / HOUR + 1;
            assert!(
                points >= wanted - 1,
                "{engine}: slokit:sli:period of {} has {points} hourly points of {wanted}",
                objective.slo
            );
        }
    }
    checked
}

fn alert_of<'a>(
    alerts: &'a [AlertingRule],
    objective: &Objective,
    severity: &str,
) -> &'a AlertingRule {
    alerts
        .iter()
        .find(|a| {
            a.alert == objective.alert
                && a.labels
                    .iter()
                    .any(|(k, v)| k == "severity" && v == severity)
        })
        .unwrap_or_else(|| panic!("no {} {severity} alert was generated", objective.alert))
}

/// The last lines of a log, for failure messages.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// [`check_alerts`] for every SLO and severity: an alert is active at the times at which
/// `alert_expr(objective, severity)` holds a sample, read with `range` every 5m.
fn check_every_alert(
    scenario: &Scenario,
    engine: &str,
    alert_expr: &dyn Fn(&Objective, &str) -> String,
    range: &dyn Fn(&str, f64, f64, f64) -> serde_json::Value,
) -> Vec<String> {
    let times = alert_times(scenario);
    let mut lines = Vec::new();
    for objective in &OBJECTIVES {
        for severity in ["page", "ticket"] {
            let expr = alert_expr(objective, severity);
            let mut active = std::collections::BTreeSet::new();
            // In chunks, under the engines' limit of 11,000 points per series.
            for chunk in times.chunks(9_000) {
                let result = range(
                    &expr,
                    chunk[0] as f64,
                    chunk[chunk.len() - 1] as f64,
                    STEP as f64,
                );
                active.extend(active_times(&result));
            }
            lines.extend(check_alerts(
                scenario, engine, objective, severity, &times, &active,
            ));
        }
    }
    lines
}

fn alert_times(scenario: &Scenario) -> Vec<i64> {
    let to = scenario.live_incident - 30 * MIN;
    (0..=(to - scenario.alerts_from) / STEP)
        .map(|k| scenario.alerts_from + k * STEP)
        .collect()
}

/// The template query of every alert's `burn_rates` annotation (the text between
/// backticks), with its `{%s}` placeholders filled as the template fills them from the alert's
/// labels, run as PromQL: it must parse and give one finite burn rate per window of the tier.
/// The live check below sees only the page alert's expansion; this one covers every tier, the
/// hourly-read windows of the ticket tier too.
fn check_annotation_queries(
    alerts: &[AlertingRule],
    query: &dyn Fn(&str) -> serde_json::Value,
) -> Vec<String> {
    let mut lines = Vec::new();
    for alert in alerts {
        let Some((_, template)) = alert.annotations.iter().find(|(k, _)| k == "burn_rates") else {
            continue;
        };
        let promql = template.split('`').nth(1).unwrap_or_else(|| {
            panic!(
                "{} `burn_rates` has no template query: {template}",
                alert.alert
            )
        });
        let matchers: Vec<String> = alert
            .labels
            .iter()
            .filter(|(k, _)| k.starts_with("slokit_"))
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        let expr = promql.replace("{%s}", &format!("{{{}}}", matchers.join(",")));
        assert!(!expr.contains('%'), "unfilled placeholder in {expr}");
        let result = query(&expr);
        let windows: Vec<&str> = result
            .as_array()
            .expect("a vector")
            .iter()
            .map(|s| {
                assert!(sample_value(&s["value"]).is_finite(), "{expr}: {s}");
                s["metric"]["slokit_window"]
                    .as_str()
                    .expect("slokit_window")
            })
            .collect();
        assert_eq!(
            windows.len(),
            4,
            "{} `burn_rates`: one burn rate per window expected from {expr}, got {result}",
            alert.alert
        );
        let severity = alert.labels.iter().find(|(k, _)| k == "severity");
        lines.push(format!(
            "prometheus: {} {} `burn_rates` query answers for {}",
            alert.alert,
            severity.map_or("", |(_, v)| v),
            windows.join(", ")
        ));
    }
    lines
}

/// The firing page alert's `burn_rates` annotation as Prometheus expanded it: a number for each of
/// its four windows, then a pair above its factor. Its template query is only ever run here, by a
/// real Prometheus; a malformed query shows up as an `<error expanding template ...>` text or as
/// `n/a` for every window.
fn check_live_annotations(live: &promql_tests::prometheus::Prometheus) -> String {
    let body: serde_json::Value = ureq::get(&format!("{}/api/v1/alerts", live.url))
        .call()
        .expect("GET /api/v1/alerts")
        .body_mut()
        .read_json()
        .expect("alerts JSON");
    let alerts = body["data"]["alerts"].as_array().expect("data.alerts");
    let page = alerts
        .iter()
        .find(|a| {
            a["labels"]["alertname"] == "CheckoutAvailabilityBurnRate"
                && a["labels"]["severity"] == "page"
                && a["state"] == "firing"
        })
        .unwrap_or_else(|| panic!("no firing page alert in {body}"));
    let text = page["annotations"]["burn_rates"]
        .as_str()
        .unwrap_or_else(|| panic!("annotation `burn_rates` missing: {page}"));
    let (rates, pairs) = text.split_once("; ").unwrap_or((text, ""));
    for window in ["5m", "30m", "1h", "6h"] {
        let value = rates
            .split(", ")
            .find_map(|part| part.strip_prefix(&format!("{window} ")))
            .unwrap_or_else(|| panic!("`burn_rates` has no {window}: {text}"));
        assert!(
            value.parse::<f64>().is_ok_and(|v| v > 0.0),
            "`burn_rates` for {window} is `{value}`, not a burn rate: {text}"
        );
    }
    assert!(
        pairs.contains("1h/5m above 14.4x") || pairs.contains("6h/30m above 6x"),
        "`burn_rates` names no pair above its factor although the page alert fires: `{text}`"
    );
    format!("prometheus: the firing page alert says `{text}`")
}

#[test]
fn prometheus_end_to_end() {
    let began = Instant::now();
    let scenario = scenario();
    let rule_files = scenario.prometheus.rules();
    let history = workload_history(
        &scenario.workload,
        &rule_files,
        scenario.start,
        scenario.end,
    );
    println!(
        "prometheus: history and backfill {}; {} levels",
        history.timing_summary(),
        history.levels.len()
    );
    let prometheus = history.prometheus(&[], "1m");
    let mut lines = check_period(&scenario, "prometheus", &|expr, t| {
        prometheus.query(expr, Some(t))
    });
    let checked = check_finite(&scenario, "prometheus", &|expr, a, b, s| {
        prometheus.query_range(expr, a, b, s)
    });
    lines.push(format!(
        "prometheus: {checked} samples of period-level and burn-rate series, all finite"
    ));

    // Alerts: the generated expressions over the backfilled burn rates, every 5m.
    let alerts: Vec<AlertingRule> = rule_files.iter().flat_map(|f| read_alerts(f)).collect();
    lines.extend(check_every_alert(
        &scenario,
        "prometheus",
        &|objective, severity| alert_of(&alerts, objective, severity).expr.clone(),
        &|expr, a, b, s| prometheus.query_range(expr, a, b, s),
    ));
    lines.extend(check_annotation_queries(&alerts, &|expr| {
        prometheus.query(expr, Some(scenario.live_incident as f64))
    }));
    drop(prometheus);

    // Live: the generated files loaded as they are; the page alert fires for the incident that is
    // still going on now.
    let live = history.prometheus(&rule_files, "5s");
    let waited = Instant::now();
    let firing =
        r#"ALERTS{alertname="CheckoutAvailabilityBurnRate",severity="page",alertstate="firing"}"#;
    loop {
        let result = live.query(firing, None);
        if result.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        assert!(
            waited.elapsed().as_secs() < 60,
            "the live Prometheus did not fire the page alert within 60s; the end of its log:\n{}",
            tail(&live.log())
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    lines.push(check_live_annotations(&live));
    let quiet = live.query(r#"ALERTS{alertname="UnevenAvailabilityBurnRate"}"#, None);
    assert_eq!(
        quiet.as_array().map(Vec::len),
        Some(0),
        "uneven-api should not alert: {quiet}"
    );
    lines.push(format!(
        "prometheus: live evaluation fired the page alert after {:.1}s",
        waited.elapsed().as_secs_f64()
    ));
    for line in lines {
        println!("{line}");
    }
    println!(
        "prometheus: whole test {:.1}s",
        began.elapsed().as_secs_f64()
    );
}

#[test]
fn victoriametrics_end_to_end() {
    let began = Instant::now();
    let scenario = scenario();
    let rule_files = scenario.vmalert.vmalert_rules();
    assert!(
        !rule_files.is_empty(),
        "no vmalert rule files were generated"
    );
    victoria::vmalert_check(&rule_files)
        .unwrap_or_else(|e| panic!("vmalert -dryRun rejects the generated rules:\n{e}"));
    let vm = VictoriaMetrics::start();
    let text = scenario
        .workload
        .prometheus_text(scenario.start, scenario.end, 60);
    vm.import_prometheus(&text);
    drop(text);
    let imported = began.elapsed();
    let levels =
        victoria::replay_levels(&vm, &rule_files, scenario.start + STEP, scenario.end, "5m");
    println!(
        "victoriametrics: import {:.1}s, vmalert replay of {levels} levels + alerts {:.1}s",
        imported.as_secs_f64(),
        (began.elapsed() - imported).as_secs_f64()
    );
    let mut lines = check_period(&scenario, "victoriametrics", &|expr, t| vm.query(expr, t));
    let checked = check_finite(&scenario, "victoriametrics", &|expr, a, b, s| {
        vm.query_range(expr, a, b, s)
    });
    lines.push(format!(
        "victoriametrics: {checked} samples of period-level and burn-rate series, all finite"
    ));

    // Alerts: what vmalert's replay wrote as `ALERTS`.
    lines.extend(check_every_alert(
        &scenario,
        "victoriametrics",
        &|objective, severity| {
            format!(
                r#"ALERTS{{alertname="{}",severity="{severity}",alertstate="firing"}}"#,
                objective.alert
            )
        },
        &|expr, a, b, s| vm.query_range(expr, a, b, s),
    ));
    for line in lines {
        println!("{line}");
    }
    println!(
        "victoriametrics: whole test {:.1}s",
        began.elapsed().as_secs_f64()
    );
}
