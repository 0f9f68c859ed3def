//! `slo report`, `slo gate`, `slo readiness` and `slo compare` against a real Prometheus (Debian's
//! 2.42) serving backfilled synthetic history with slokit's recording rules evaluated over it: a
//! healthy product, a product out of budget (with page alerts in its `ALERTS` history) and a
//! product without data. No legacy rules are loaded, so `slo compare` can only refuse to decide;
//! `promql-tests/tests/compare.rs` compares with Sloth-shaped rules.
//! Every figure is known in advance because each service's error ratio is constant and its traffic
//! high (1000 requests per second), so rounding to whole events moves no printed digit.
//!
//! Prometheus and promtool are required; under `CI` their absence fails the test (the harness
//! asserts it), and slokit's tests never skip.

use promql_tests::backfill::history_with_rules;
use promql_tests::prometheus::Prometheus;
use promql_tests::synthetic::{Service, Workload};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const HOUR: i64 = 3_600;

struct World {
    prometheus: Prometheus,
    specs: PathBuf,
    at: i64,
    _history: promql_tests::backfill::History,
    _dir: tempfile::TempDir,
}

/// `ALERTS` samples every minute over `[from, to]`, as Prometheus writes them for a firing page.
fn page_alert(from: i64, to: i64) -> String {
    let labels = r#"alertname="BadAvailabilityBurnRate",alertstate="firing",severity="page",slokit_product="broken",slokit_service="bad-api",slokit_slo="bad-availability""#;
    (from..=to)
        .step_by(60)
        .map(|t| format!("ALERTS{{{labels}}} 1 {t}\n"))
        .collect()
}

/// One Prometheus for the whole file: backfilling takes a while and every test only reads.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let specs = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/budget"));
        let out = dir.path().join("out");
        let generated = slo(&[
            "generate",
            specs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(generated.code, 0, "{}", generated.stderr);
        let rules: Vec<PathBuf> = std::fs::read_dir(out.join("prometheus/rules"))
            .expect("rules")
            .map(|e| e.expect("entry").path())
            .collect();
        // Three days ago at midnight: old enough to be history, recent enough for retention.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let origin = now / 86_400 * 86_400 - 3 * 86_400;
        let end = origin + 30 * HOUR;
        let workload = Workload::new(origin)
            .service(
                Service::new("good-api")
                    .traffic(1000.0, 1000.0)
                    .error_ratios(0.001, 0.001)
                    .histogram(&[0.1, 0.25, 0.5, 1.0, 2.5], 0.08),
            )
            .service(
                Service::new("bad-api")
                    .traffic(1000.0, 1000.0)
                    .error_ratios(0.05, 0.05),
            );
        let mut history = workload.openmetrics(origin, end, 60);
        history.truncate(history.len() - "# EOF\n".len());
        history.push_str("# TYPE ALERTS gauge\n");
        history.push_str(&page_alert(origin + 20 * HOUR, origin + 20 * HOUR + 1_800));
        history.push_str(&page_alert(end - 600, end));
        history.push_str("# EOF\n");
        let backfilled = history_with_rules(&history, &rules, origin, end);
        let prometheus = backfilled.prometheus(&[], "1m");
        World {
            prometheus,
            specs,
            at: end,
            _history: backfilled,
            _dir: dir,
        }
    })
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn slo(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_slo"))
        .args(args)
        .env_remove("SLOKIT_TODAY")
        .output()
        .expect("run slo");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `slo <command> <specs> --prometheus <url> --at <end> <extra>`.
fn live(command: &str, extra: &[&str]) -> Output {
    let w = world();
    let at = w.at.to_string();
    let mut args = vec![
        command,
        w.specs.to_str().unwrap(),
        "--prometheus",
        &w.prometheus.url,
        "--at",
        &at,
    ];
    args.extend_from_slice(extra);
    slo(&args)
}

fn block<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text
        .find(header)
        .unwrap_or_else(|| panic!("no `{header}` in:\n{text}"));
    let rest = &text[start..];
    let end = rest[1..].find("\n\n").map_or(rest.len(), |i| i + 1);
    &rest[..end]
}

#[test]
fn the_text_report_has_exact_figures() {
    let out = live("report", &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let good = block(&out.stdout, "  good-api/good-availability");
    for line in [
        "objective    99% over 1d",
        "SLI          99.900%",
        "budget left  90.0% (13.0 min of 14.4 min)",
        "burn rate    1h 0.10x, 12h 0.10x",
        "alerts       none firing",
        "policy       policy `standard`: no step in force [releases proceed]",
        "phase        baseline: ready to move to improvement",
    ] {
        assert!(good.contains(line), "missing `{line}` in:\n{good}");
    }
    let bad = block(&out.stdout, "  bad-api/bad-availability");
    for line in [
        "SLI          95.000%",
        "budget left  -400.0% (-57.6 min of 14.4 min)",
        "burn rate    1h 5.00x, 12h 5.00x",
        "alerts       BadAvailabilityBurnRate (page)",
        "policy       `budget-exhausted` in force (budget exhausted): Freeze feature releases; reliability and security fixes only. [releases blocked]",
        "phase        baseline: not ready to move to improvement",
        "- SLI over 1d: 95.000% (target >= 99%)",
        "- page incidents in 30d: 2 (target 0)",
    ] {
        assert!(bad.contains(line), "missing `{line}` in:\n{bad}");
    }
    let ghost = block(&out.stdout, "  ghost-api/ghost-availability");
    for line in [
        "SLI          no data",
        "budget left  no data",
        "policy       policy `standard`: no step in force [cannot decide: no data for the blocking step `budget-exhausted`]",
    ] {
        assert!(ghost.contains(line), "missing `{line}` in:\n{ghost}");
    }
    assert!(
        out.stdout.contains("healthy: maturity slo-driven, policy `standard`\n  review: every 90d, last 2020-01-01, due 2020-03-31 (overdue by"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("broken: maturity slo-without-teeth"));
}

#[test]
fn the_json_report_measures_latency_from_the_histogram() {
    let out = live("report", &["--format", "json", "--product", "healthy"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let products = json["products"].as_array().unwrap();
    assert_eq!(products.len(), 1);
    let latency = &products[0]["slos"][1];
    assert_eq!(latency["name"], "good-latency");
    // Exponential latency with a mean of 80 ms: 1 - exp(-0.5 / 0.08) of requests within 500 ms.
    let expected_sli = 1.0 - (-0.5_f64 / 0.08).exp();
    let sli = latency["sli"].as_f64().unwrap();
    assert!((sli - expected_sli).abs() < 2e-5, "{sli} vs {expected_sli}");
    let measured = |name: &str| -> f64 {
        let criterion = latency["readinessCriteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {latency}"));
        assert_eq!(criterion["check"], "met", "{criterion}");
        criterion["measured"]
            .as_str()
            .unwrap()
            .trim_end_matches(" ms")
            .parse()
            .unwrap()
    };
    // histogram_quantile interpolates linearly inside the bucket holding the quantile.
    let cdf = |b: f64| 1.0 - (-b / 0.08_f64).exp();
    let p95 = 100.0 + (0.95 - cdf(0.1)) / (cdf(0.25) - cdf(0.1)) * 150.0;
    let p99 = 250.0 + (0.99 - cdf(0.25)) / (cdf(0.5) - cdf(0.25)) * 250.0;
    assert!((measured("p95 latency") - p95).abs() <= 2.0, "{p95}");
    assert!((measured("p99 latency") - p99).abs() <= 2.0, "{p99}");
    assert_eq!(latency["readiness"], "ready");
}

#[test]
fn the_gate_blocks_proceeds_and_refuses_to_guess() {
    let healthy = live("gate", &["--product", "healthy"]);
    assert_eq!(healthy.code, 0, "{}{}", healthy.stdout, healthy.stderr);
    assert!(healthy
        .stdout
        .ends_with("gate: releases may proceed (2 SLOs checked)\n"));

    let broken = live("gate", &["--product", "broken"]);
    assert_eq!(broken.code, 1, "{}{}", broken.stdout, broken.stderr);
    assert_eq!(
        broken.stdout,
        "blocked: broken/bad-availability (bad-api): `budget-exhausted` in force (budget exhausted; budget left -400.0%)\n  policy `standard`: Freeze feature releases; reliability and security fixes only.\ngate: releases blocked by 1 of 1 SLOs\n"
    );

    let silent = live("gate", &["--product", "silent"]);
    assert_eq!(silent.code, 2, "{}{}", silent.stdout, silent.stderr);
    assert!(silent.stdout.contains("undecided: silent/ghost-availability (ghost-api): no data for the blocking step `budget-exhausted`"), "{}", silent.stdout);

    // Every product: a definite block wins over a missing answer.
    assert_eq!(live("gate", &[]).code, 1);
    let service = live("gate", &["--service", "good-api", "--format", "json"]);
    assert_eq!(service.code, 0);
    let json: serde_json::Value = serde_json::from_str(&service.stdout).expect("JSON");
    assert_eq!(json["decision"], "proceed");
    assert_eq!(json["exitCode"], 0);
    assert_eq!(json["slos"].as_array().unwrap().len(), 2);
}

#[test]
fn an_unreachable_prometheus_is_never_a_green_light() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/budget");
    let url = format!("http://user:hunter2@127.0.0.1:{port}");
    let out = slo(&[
        "gate",
        specs,
        "--prometheus",
        &url,
        "--product",
        "healthy",
        "--timeout",
        "2s",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(&format!(
            "error: cannot reach the Prometheus API at `http://127.0.0.1:{port}`"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with(
            "gate: cannot decide: the monitoring system cannot be read; releases are not cleared\n"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2") && !out.stdout.contains("hunter2"));
    let report = slo(&["report", specs, "--prometheus", &url]);
    assert_eq!(report.code, 2);
    assert_eq!(report.stdout, "");
}

#[test]
fn readiness_verdicts() {
    let out = live("readiness", &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    for line in [
        "broken/bad-availability: phase baseline: not ready to move to improvement\n",
        "  blocks advancing: page incidents in 30d: 2 (target 0)\n",
        "healthy/good-availability: phase baseline: ready to move to improvement\n",
        "healthy/good-latency: phase improvement: ready to move to production_ready\n",
        "silent/ghost-availability: no phases;",
        "readiness: 2 of 3 SLOs with phases ready\n",
    ] {
        assert!(
            out.stdout.contains(line),
            "missing `{line}` in:\n{}",
            out.stdout
        );
    }
    assert!(
        out.stdout
            .contains("p95 latency                  not measured: the SLI has no histogram"),
        "{}",
        out.stdout
    );
    let healthy = live("readiness", &["--product", "healthy"]);
    assert_eq!(healthy.code, 0, "{}", healthy.stdout);
}

#[test]
fn the_html_report_is_one_well_formed_file_with_a_chart_per_slo() {
    let out = live("report", &["--format", "html"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&out.stdout, options)
        .unwrap_or_else(|e| panic!("not well-formed: {e}"));
    let svg = "http://www.w3.org/2000/svg";
    let charts: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((svg, "svg")))
        .collect();
    assert_eq!(charts.len(), 4);
    let lines: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((svg, "polyline")))
        .collect();
    assert_eq!(lines.len(), 3, "the SLO without data has no line");
    // Products come in name order, so the first chart is `broken`'s: its budget ends overspent,
    // so the line's last point lies below the 0% line.
    let zero_y: f64 = charts[0]
        .descendants()
        .find(|n| {
            n.has_tag_name((svg, "line")) && n.next_sibling().and_then(|t| t.text()) == Some("0%")
        })
        .and_then(|n| n.attribute("y1"))
        .and_then(|y| y.parse().ok())
        .expect("0% line");
    let last_y: f64 = lines[0]
        .attribute("points")
        .and_then(|p| p.split_whitespace().last())
        .and_then(|p| p.split(',').nth(1))
        .and_then(|y| y.parse().ok())
        .expect("points");
    assert!(last_y > zero_y, "{last_y} vs {zero_y}");
    assert!(!out.stdout.contains("<script") && !out.stdout.contains("src="));
}

#[test]
fn budget_figures_cost_a_fixed_number_of_queries() {
    let w = world();
    let loaded = slokit::load::load(
        std::slice::from_ref(&w.specs),
        slokit::load::Options {
            today: slokit::model::Date::parse("2026-01-01").unwrap(),
        },
    );
    let client = slokit::live::prometheus_api::Client::new(&slokit::live::prometheus_api::Config {
        url: w.prometheus.url.clone(),
        auth: slokit_wire::Auth::None,
        tenant: None,
        headers: vec![],
        timeout: std::time::Duration::from_secs(30),
    });
    let slos: Vec<_> = loaded.catalog.slos().collect();
    let status =
        slokit::live::budget::fetch(&client, &loaded.catalog, &slos, Some(w.at as f64)).unwrap();
    // bad + total for the period, 1h and 12h, plus alerts: 7 for 4 SLOs, and for 400.
    assert_eq!(client.requests(), 7);
    assert_eq!(status.slos.len(), 4);
}

#[test]
fn compare_without_legacy_rules_cannot_decide() {
    // This Prometheus holds slokit's rules only: no SLO has a legacy counterpart to compare with.
    let out = live("compare", &["--last", "6h"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("healthy/good-availability against no legacy counterpart found"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .ends_with("compare: cannot decide: 0 of 4 SLOs have data on both sides\n"),
        "{}",
        out.stdout
    );
    let json = live(
        "compare",
        &["--last", "6h", "--against", "sloth", "--format", "json"],
    );
    assert_eq!(json.code, 2);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(json["outcome"], "undecided");
    assert_eq!(json["slos"][0]["legacy"], serde_json::Value::Null);
}

#[test]
fn compare_refuses_bad_flags_and_mappings_and_an_unreachable_api() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mapping = dir.path().join("mapping.yaml");
    std::fs::write(
        &mapping,
        "slos:\n  good-availabilty:\n    errorRatio: {5m: up}\n",
    )
    .unwrap();
    let out = live("compare", &["--against", mapping.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("error: unknown SLO `good-availabilty`")
            && out.stderr.contains("mapping.yaml:2:3")
            && out.stderr.contains("did you mean `good-availability`?"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    let out = live("compare", &["--last", "soon"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("invalid `--last` `soon`"),
        "{}",
        out.stderr
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/budget");
    let url = format!("http://127.0.0.1:{port}");
    let out = slo(&["compare", specs, "--prometheus", &url, "--timeout", "2s"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .ends_with("compare: cannot decide: the monitoring system cannot be read\n"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}
