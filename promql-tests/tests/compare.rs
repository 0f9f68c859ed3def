//! `slo compare` against a real Prometheus: nine days of uneven synthetic traffic (quiet nights
//! with 2% errors, busy days with 0.02%), slokit's generated rules and Sloth- and Pyrra-shaped
//! rules for the same SLO (`specs/legacy/`) backfilled over it side by side, and the
//! comparison run through the library exactly as the `slo` binary runs it (its exit code is
//! [`Outcome`] as a number).
//!
//! What is asserted, each on the same Prometheus:
//! - the faithful Sloth rules match on every window (5m to 3d) and the budget, and the Sloth
//!   period SLI, which averages 5m ratios, differs and is explained with its size and direction:
//!   exit 0;
//! - Sloth rules whose error ratio is doubled differ on every window, named: exit 1;
//! - an SLO without legacy rules, and one without slokit rules, has no data on one side: exit 2;
//! - at the start of the history the long windows are reported as not yet covered, not as
//!   differences;
//! - Pyrra-shaped rules (`specs/legacy/pyrra-uneven-api.rules.yml`) with another objective and
//!   period match on the windows both record, the differences are noted, and a page slokit fired
//!   without a Pyrra counterpart differs;
//! - a mapping file naming the legacy expressions by hand matches too;
//! - alert activity from `ALERTS` (backfilled, since promtool cannot evaluate alerting rules over
//!   history): the same page on both sides matches, a late start and a legacy-only page differ.

use promql_tests::backfill::history_with_rules;
use promql_tests::synthetic::{Service, Workload};
use promql_tests::{load_specs, spec_file, Tree};
use slokit::duration::Duration;
use slokit::live::compare::judge::{Cause, Quantity, Side, Verdict, Window};
use slokit::live::compare::{self, Against, Comparison, Options, Outcome};
use slokit::live::prometheus_api::{Client, Config};
use slokit::model::{Catalog, Slo};
use std::time::Instant;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
const MIN: i64 = 60;

fn api_client(url: &str) -> Client {
    Client::new(&Config {
        url: url.to_string(),
        auth: slokit_wire::Auth::None,
        tenant: None,
        headers: Vec::new(),
        timeout: std::time::Duration::from_secs(60),
    })
}

/// Runs the comparison of the named SLOs as `slo compare` does, and prints its text report.
fn run(
    client: &Client,
    catalog: &Catalog,
    names: &[&str],
    against: &Against,
    (from, to): (i64, i64),
) -> Comparison {
    let slos: Vec<&Slo> = catalog
        .slos()
        .filter(|s| names.contains(&s.name.as_str()))
        .collect();
    assert_eq!(slos.len(), names.len(), "{names:?}");
    let options = Options {
        from: from as f64,
        to: to as f64,
        tolerance: compare::DEFAULT_TOLERANCE,
        strict: false,
    };
    let fetched = compare::fetch(client, &slos, against, &options).expect("the API answers");
    let comparison = compare::compare(&slos, &fetched, &options);
    println!("{}", compare::render::text(&comparison));
    comparison
}

fn verdict(comparison: &Comparison, slo: &str, quantity: Quantity) -> Verdict {
    let slo = comparison
        .slos
        .iter()
        .find(|s| s.slo == slo)
        .unwrap_or_else(|| panic!("no SLO {slo}"));
    slo.findings
        .iter()
        .find(|f| f.quantity == quantity)
        .unwrap_or_else(|| panic!("no {quantity} for {}: {:?}", slo.slo, slo.findings))
        .verdict
        .clone()
}

fn window(text: &str) -> Quantity {
    Quantity::ErrorRatio(Window::Fixed(Duration::parse(text).unwrap()))
}

/// Which rule set an alert of the history belongs to.
#[derive(Clone, Copy)]
enum Alerting {
    Slokit,
    Sloth,
}
use Alerting::{Slokit, Sloth};

/// `ALERTS` samples every minute over `[from, to]` for a firing page of `slo`.
fn firing(side: Alerting, slo: &str, from: i64, to: i64) -> String {
    let labels = match side {
        Slokit => format!(
            r#"alertname="Page",alertstate="firing",severity="page",slokit_product="uneven-api",slokit_service="uneven-api",slokit_slo="{slo}""#
        ),
        Sloth => format!(
            r#"alertname="{}",alertstate="firing",sloth_severity="page",sloth_id="uneven-api-{slo}",sloth_service="uneven-api",sloth_slo="{slo}""#,
            if slo.starts_with("uneven") {
                "UnevenAvailability"
            } else {
                "DoubledAvailability"
            }
        ),
    };
    (from..=to)
        .step_by(60)
        .map(|t| format!("ALERTS{{{labels}}} 1 {t}\n"))
        .collect()
}

const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

#[test]
fn compare_with_sloth_and_pyrra_on_a_real_prometheus() {
    let began = Instant::now();
    let generated = load_specs(&[spec_file("compare.yaml")]);
    let tree = Tree::generate(&generated);
    // One more SLO whose slokit rules are not loaded (only Sloth's are): the other side absent.
    let extra_dir = tempfile::tempdir().expect("temporary directory");
    let extra = extra_dir.path().join("sloth-only.yaml");
    let spec = std::fs::read_to_string(spec_file("compare.yaml")).expect("the specs");
    let first = spec
        .split("\n---\n")
        .next()
        .expect("a document")
        .replace("uneven-availability", "sloth-only-availability");
    std::fs::write(&extra, first).expect("write the extra spec");
    let catalog = load_specs(&[spec_file("compare.yaml"), extra]);
    let sloth = std::fs::read_to_string(spec_file("legacy/sloth-uneven-api.rules.yml"))
        .expect("the Sloth fixture");
    // The same Sloth rules for `doubled-availability`, with twice the errors in every window.
    let doubled = sloth
        .replace("uneven-availability", "doubled-availability")
        .replace(
            "(sum(rate(http_requests_total{job=\"uneven-api\",code=~\"5..\"}",
            "(2 * sum(rate(http_requests_total{job=\"uneven-api\",code=~\"5..\"}",
        );
    assert_ne!(
        doubled,
        sloth.replace("uneven-availability", "doubled-availability")
    );
    let legacy_dir = tempfile::tempdir().expect("temporary directory");
    let mut rule_files = tree.rules();
    rule_files.push(spec_file("legacy/pyrra-uneven-api.rules.yml"));
    let sloth_only = sloth.replace("uneven-availability", "sloth-only-availability");
    for (name, text) in [
        ("sloth.yml", &sloth),
        ("doubled.yml", &doubled),
        ("sloth-only.yml", &sloth_only),
    ] {
        let path = legacy_dir.path().join(name);
        std::fs::write(&path, text).expect("write the legacy rules");
        rule_files.push(path);
    }

    let end = promql_tests::unix_now() / MIN * MIN;
    let start = end - 9 * DAY;
    let workload = Workload::new(start).service(Service::new("uneven-api"));
    let mut openmetrics = workload.openmetrics(start, end, 60);
    openmetrics.truncate(openmetrics.len() - "# EOF\n".len());
    openmetrics.push_str("# TYPE ALERTS gauge\n");
    // Alert history as Prometheus writes it, on both sides: the same page for
    // `uneven-availability` (the legacy one two minutes later, within a few evaluations); for
    // `doubled-availability` a legacy page starting 30 minutes late and one slokit never fired.
    for (side, slo, from, minutes) in [
        (Slokit, "uneven-availability", end - 20 * HOUR, 30),
        (Sloth, "uneven-availability", end - 20 * HOUR + 2 * MIN, 30),
        (Slokit, "doubled-availability", end - 10 * HOUR, 60),
        (
            Sloth,
            "doubled-availability",
            end - 10 * HOUR + 30 * MIN,
            30,
        ),
        (Sloth, "doubled-availability", end - 5 * HOUR, 20),
    ] {
        openmetrics.push_str(&firing(side, slo, from, from + minutes * MIN));
    }
    openmetrics.push_str("# EOF\n");
    let history = history_with_rules(&openmetrics, &rule_files, start, end);
    println!("history and backfill: {}", history.timing_summary());
    let prometheus = history.prometheus(&[], "1m");
    let client = api_client(&prometheus.url);
    let range = (end - DAY, end - 10 * MIN);
    // Faithful legacy rules: every window and the budget match, the period is explained.
    let matching = run(
        &client,
        &catalog,
        &["uneven-availability"],
        &Against::Auto,
        range,
    );
    for w in WINDOWS {
        assert_eq!(
            verdict(&matching, "uneven-availability", window(w)),
            Verdict::Match,
            "{w}"
        );
    }
    let period = verdict(
        &matching,
        "uneven-availability",
        Quantity::ErrorRatio(Window::Period),
    );
    let Verdict::Explained(Cause::AveragedRatios { bias }) = period else {
        panic!("the Sloth period SLI should differ, explained: {period:?}")
    };
    // Quiet nights with many errors weigh as much as busy days: Sloth reports more errors.
    assert!(bias > 0.5, "bias {bias}");
    assert!(matches!(
        verdict(&matching, "uneven-availability", Quantity::BudgetRemaining),
        Verdict::Explained(Cause::FollowsFromPeriod(_))
    ));
    assert_eq!(
        verdict(&matching, "uneven-availability", Quantity::Alerts),
        Verdict::Match
    );
    assert_eq!(matching.outcome(), Outcome::Match);
    let text = compare::render::text(&matching);
    assert!(text.contains("against Sloth sloth_service=uneven-api sloth_slo=uneven-availability"));
    assert!(text.contains("higher than the ratio of events"), "{text}");

    // Doubled legacy error ratios: every window differs, each named with both values.
    let differing = run(
        &client,
        &catalog,
        &["doubled-availability"],
        &Against::Sloth,
        range,
    );
    assert_eq!(differing.outcome(), Outcome::Differs);
    for w in WINDOWS {
        assert_eq!(
            verdict(&differing, "doubled-availability", window(w)),
            Verdict::Differs,
            "{w}"
        );
    }
    let text = compare::render::text(&differing);
    assert!(
        text.contains("doubled-availability against Sloth"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("error ratio 3d") && l.contains("DIFFERS")),
        "{text}"
    );
    assert!(
        text.contains("slokit ") && text.contains(" vs legacy "),
        "{text}"
    );
    let alerts = differing.slos[0]
        .findings
        .iter()
        .find(|f| f.quantity == Quantity::Alerts)
        .expect("alerts compared");
    assert_eq!(alerts.verdict, Verdict::Differs);
    assert_eq!(alerts.details.len(), 2, "{:?}", alerts.details);
    assert!(alerts.details[0].starts_with("started 30m apart: slokit at "));
    assert!(alerts.details[1].starts_with("fired only in legacy from "));
    // 20 minutes, and up to the 5m lookback more: backfilled samples have no staleness markers.
    let minutes: i64 = alerts.details[1]
        .rsplit(" for ")
        .next()
        .and_then(|m| m.strip_suffix('m'))
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("{}", alerts.details[1]));
    assert!((20..=25).contains(&minutes), "{}", alerts.details[1]);
    let json = compare::render::json(&differing);
    assert!(json.contains("\"outcome\": \"differs\""), "{json}");

    // No slokit rules: the Sloth counterpart is found, slokit has no data, nothing is decided.
    let no_slokit = run(
        &client,
        &catalog,
        &["sloth-only-availability"],
        &Against::Auto,
        range,
    );
    assert_eq!(no_slokit.outcome(), Outcome::Undecided);
    assert_eq!(
        verdict(&no_slokit, "sloth-only-availability", window("1h")),
        Verdict::NoData(Side::Slokit)
    );
    assert!(no_slokit.slos[0]
        .notes
        .contains(&"slokit has no data for this SLO in the range: are its rules loaded?".into()));

    // No legacy rules: no data on one side, so nothing can be decided.
    let absent = run(
        &client,
        &catalog,
        &["unmatched-availability"],
        &Against::Auto,
        range,
    );
    assert_eq!(absent.outcome(), Outcome::Undecided);
    assert!(compare::render::text(&absent).contains("no legacy counterpart found"));
    // Together with a matching SLO, the one without a counterpart is reported and does not fail.
    let mixed = run(
        &client,
        &catalog,
        &["uneven-availability", "unmatched-availability"],
        &Against::Auto,
        range,
    );
    assert_eq!(mixed.outcome(), Outcome::Match);

    // At the start of the history, the 3d window and the period are not yet covered.
    let young = run(
        &client,
        &catalog,
        &["uneven-availability"],
        &Against::Auto,
        (start + 2 * DAY, start + 2 * DAY + 6 * 3600),
    );
    for quantity in [window("3d"), Quantity::ErrorRatio(Window::Period)] {
        assert_eq!(
            verdict(&young, "uneven-availability", quantity),
            Verdict::NotCovered(Side::Both),
            "{quantity}"
        );
    }
    assert_eq!(
        verdict(&young, "uneven-availability", window("1h")),
        Verdict::Match
    );
    assert_eq!(young.outcome(), Outcome::Match);

    // Pyrra's rules for the same SLO, with another objective and period: the windows both record
    // match, the one only slokit reads is no data, and the differences of the spec are noted.
    let pyrra = run(
        &client,
        &catalog,
        &["uneven-availability"],
        &Against::Pyrra,
        range,
    );
    for w in ["5m", "30m", "1h", "2h", "6h", "1d"] {
        assert_eq!(
            verdict(&pyrra, "uneven-availability", window(w)),
            Verdict::Match,
            "{w}"
        );
    }
    assert_eq!(
        verdict(&pyrra, "uneven-availability", window("3d")),
        Verdict::NoData(Side::Legacy)
    );
    // Nine days of history cannot cover Pyrra's four weeks.
    assert_eq!(
        verdict(
            &pyrra,
            "uneven-availability",
            Quantity::ErrorRatio(Window::Period)
        ),
        Verdict::NotCovered(Side::Legacy)
    );
    assert_eq!(
        pyrra.slos[0].notes,
        vec![
            "the objectives differ (slokit 99%, legacy 99.5%)",
            "the periods differ (slokit 7d, legacy 28d)"
        ]
    );
    // The page slokit fired has no Pyrra counterpart in this history: that is a difference.
    let alerts = &pyrra.slos[0].findings.last().expect("findings");
    assert_eq!(alerts.quantity, Quantity::Alerts);
    assert!(
        alerts.details.len() == 1 && alerts.details[0].starts_with("fired only in slokit from "),
        "{:?}",
        alerts.details
    );
    assert_eq!(pyrra.outcome(), Outcome::Differs);
    assert!(compare::render::text(&pyrra)
        .contains("against Pyrra http_requests slo=uneven-availability"));

    // Hand-written legacy SLOs through a mapping file.
    let mapping_file = legacy_dir.path().join("mapping.yaml");
    std::fs::write(
        &mapping_file,
        "slos:\n  uneven-availability:\n    objective: 0.99\n    errorRatio:\n      1h: slo:sli_error:ratio_rate1h{sloth_slo=\"uneven-availability\"}\n      6h: sum(rate(http_requests_total{job=\"uneven-api\",code=~\"5..\"}[6h])) / sum(rate(http_requests_total{job=\"uneven-api\"}[6h]))\n    alerts: [UnevenAvailability]\n",
    )
    .expect("write the mapping");
    let mapping = slokit::load::mapping::load(&mapping_file, &catalog).expect("the mapping loads");
    let mapped = run(
        &client,
        &catalog,
        &["uneven-availability"],
        &Against::File(mapping),
        range,
    );
    assert_eq!(mapped.outcome(), Outcome::Match);
    assert_eq!(
        verdict(&mapped, "uneven-availability", window("6h")),
        Verdict::Match
    );

    // The API unreachable is an error, never a comparison.
    let stopped = api_client(&format!(
        "http://127.0.0.1:{}",
        promql_tests::prometheus::free_port()
    ));
    let slos: Vec<&Slo> = catalog.slos().collect();
    let options = Options {
        from: range.0 as f64,
        to: range.1 as f64,
        tolerance: compare::DEFAULT_TOLERANCE,
        strict: false,
    };
    assert!(compare::fetch(&stopped, &slos, &Against::Auto, &options).is_err());
    println!("compare test took {:.1}s", began.elapsed().as_secs_f64());
}
