//! Composite SLOs in a real Prometheus: eight days of uneven synthetic traffic over three
//! services (different volumes, night error ratios and incidents), the members' generated rules
//! backfilled over it, then the composites' rules over the members' recorded series, exactly as a
//! live server chains them. The composites' period error ratios must match ground truth computed
//! from the generator's own event counts within 0.1% (relative):
//! - `events`: `Σ w·bad / Σ w·total` over the window the rules cover;
//! - `weighted`: `Σ w·ratio / Σ w`, each member's ratio over that window.
//!
//! A mean of the members' ratios weighted by traffic would satisfy neither, so the test fails if
//! a method is computed the other's way. Composites record the same names as their members, which
//! is why they are backfilled in a second stage (promtool's backfill needs a dependency order by
//! name, and a composite's `slokit:events_bad:rate5m` reads its members' series of that name).

use promql_tests::backfill::{backfill_recording_rules, History};
use promql_tests::prometheus::{backfill_openmetrics, sample_value};
use promql_tests::synthetic::{Counts, Service, Workload};
use promql_tests::{remove_rules, Tree};
use std::time::Instant;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
const MIN: i64 = 60;

/// `(SLO, job, weight in journey-events, weight in journey-weighted)`.
const MEMBERS: [(&str, &str, f64, f64); 3] = [
    ("search-availability", "search-api", 1.0, 1.0),
    ("cart-availability", "cart-api", 2.0, 1.0),
    ("pay-availability", "pay-api", 1.0, 3.0),
];

/// Whether a rule (its text, as `remove_rules` gives it) belongs to one of the journeys.
fn is_composite_rule(rule: &str) -> bool {
    rule.contains("slokit_slo: journey-")
}

fn selector(slo: &str) -> String {
    format!("{{slokit_product=\"shop\",slokit_slo=\"{slo}\"}}")
}

#[test]
fn composite_period_error_ratios_match_ground_truth() {
    promql_tests::require_promtool();
    let began = Instant::now();
    let end = promql_tests::unix_now() / MIN * MIN;
    let start = end - 8 * DAY;
    let day0 = (start / DAY + 1) * DAY;
    let at = |day: i64, hour: i64| day0 + day * DAY + hour * HOUR;
    // Volumes differ by 40x, so that `events` and `weighted` give clearly different answers.
    let workload = Workload::new(start)
        .service(Service::new("search-api").traffic(40.0, 400.0).incident(
            at(2, 14),
            2 * HOUR,
            0.05,
        ))
        .service(
            Service::new("cart-api")
                .traffic(5.0, 60.0)
                .error_ratios(0.001, 0.004)
                .incident(at(4, 9), 3 * HOUR, 0.02),
        )
        .service(
            Service::new("pay-api")
                .traffic(1.0, 10.0)
                .error_ratios(0.0005, 0.03)
                .incident(at(5, 20), HOUR, 0.3),
        );

    let catalog = promql_tests::load_specs(&[promql_tests::spec_file("composite.yaml")]);
    let tree = Tree::generate(&catalog);
    let rules = tree.rules();
    assert_eq!(rules.len(), 1, "one product, one rule file");
    let text = std::fs::read_to_string(&rules[0]).expect("the rule file");
    assert!(
        text.contains("slokit_slo: journey-events\n"),
        "the composites are in the product's rules"
    );
    let stages = tempfile::tempdir().expect("temporary directory");
    let members = stages.path().join("members.yml");
    let composites = stages.path().join("composites.yml");
    std::fs::write(
        &members,
        remove_rules(&text, |_, rule| is_composite_rule(rule)),
    )
    .unwrap();
    std::fs::write(
        &composites,
        remove_rules(&text, |_, rule| !is_composite_rule(rule)),
    )
    .unwrap();

    let tsdb = tempfile::tempdir().expect("temporary TSDB directory");
    backfill_openmetrics(&workload.openmetrics(start, end, 60), tsdb.path());
    let mut timings = Vec::new();
    let mut levels =
        backfill_recording_rules(tsdb.path(), &[members], start, end, "5m", &mut timings);
    levels.extend(backfill_recording_rules(
        tsdb.path(),
        &[composites],
        start,
        end,
        "5m",
        &mut timings,
    ));
    let history = History {
        tsdb,
        start,
        end,
        timings,
        levels,
    };
    println!("backfill: {}", history.timing_summary());
    let prometheus = history.prometheus(&[], "1m");
    let one = |expr: &str, t: i64| -> f64 {
        let result = prometheus.query(expr, Some(t as f64));
        let series = result
            .as_array()
            .filter(|a| a.len() == 1)
            .unwrap_or_else(|| panic!("`{expr}` at {t} returned {result}"));
        sample_value(&series[0]["value"])
    };

    let assess = end - HOUR - 7 * MIN;
    let mut checked = 0;
    for (composite, events) in [("journey-events", true), ("journey-weighted", false)] {
        let sel = selector(composite);
        let measured = 1.0 - one(&format!("slokit:sli:period{sel}"), assess);
        // The window the period rule read at the sample's recording time: 168 whole hours up to
        // the last 1h rate recorded before that hour (as the end-to-end test works it out).
        let recorded = one(&format!("timestamp(slokit:sli:period{sel})"), assess) as i64;
        let hour = recorded / HOUR * HOUR;
        let last = one(
            &format!(
                "timestamp(slokit:events_total:rate1h{})",
                selector(MEMBERS[0].0)
            ),
            hour,
        ) as i64;
        let window: Vec<Counts> = MEMBERS
            .iter()
            .map(|(_, job, _, _)| {
                let c = workload.cumulative(job, &[last - 7 * DAY, last]);
                c[1].since(&c[0])
            })
            .collect();
        let truth = if events {
            let bad: f64 = MEMBERS.iter().zip(&window).map(|(m, c)| m.2 * c.bad).sum();
            let total: f64 = MEMBERS
                .iter()
                .zip(&window)
                .map(|(m, c)| m.2 * c.total)
                .sum();
            bad / total
        } else {
            let weights: f64 = MEMBERS.iter().map(|m| m.3).sum();
            MEMBERS
                .iter()
                .zip(&window)
                .map(|(m, c)| m.3 * c.error_ratio())
                .sum::<f64>()
                / weights
        };
        // What the other method would have given, to show the test tells them apart.
        let traffic_weighted = {
            let bad: f64 = window.iter().map(|c| c.bad).sum();
            let total: f64 = window.iter().map(|c| c.total).sum();
            bad / total
        };
        let relative = (measured - truth).abs() / truth;
        println!(
            "{composite}: period error ratio {:.5}% truth {:.5}% (rel. error {:.4}%); unweighted sum of events {:.5}%",
            measured * 100.0,
            truth * 100.0,
            relative * 100.0,
            traffic_weighted * 100.0
        );
        assert!(
            relative <= 0.001,
            "{composite}: period error ratio {measured} vs truth {truth}: {:.4}% off",
            relative * 100.0
        );
        assert!(
            (traffic_weighted - truth).abs() / truth > 0.02,
            "{composite}: the scenario does not tell the methods apart"
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
    println!("whole test {:.1}s", began.elapsed().as_secs_f64());
}
