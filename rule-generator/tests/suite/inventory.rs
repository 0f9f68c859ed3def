//! `slo inventory` against a real Prometheus loaded with Sloth's and Pyrra's generated rule files
//! (from `shared/anchors`) and rules slokit generated: the table names every SLO with its tool,
//! objective, period, group, file and alerting, and the specs `--out` writes validate.

use crate::slo;
use promql_tests::prometheus::{Prometheus, StartOptions};
use std::path::PathBuf;

const SPEC: &str = "apiVersion: slo.dev/v1
kind: ServiceLevelObjective
metadata: {name: checkout-availability}
spec:
  service: checkout
  indicator:
    type: ratio
    ratio:
      good: {metric: http_requests_total, filters: ['job=\"checkout\"', 'code!~\"5..\"']}
      total: {metric: http_requests_total, filters: ['job=\"checkout\"']}
  objectives: [{window: 28d, target: 0.995}]
";

#[test]
fn inventory_recognises_sloth_pyrra_and_slokit_rules() {
    let anchors = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/anchors");
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("spec.yaml"), SPEC).expect("spec written");
    let generated = slo(dir.path(), &["generate", "spec.yaml", "--out", "gen"]);
    assert!(generated.status.success(), "{generated:?}");
    let prometheus = Prometheus::start(StartOptions {
        rule_files: vec![
            anchors.join("sloth/gen/getting-started.yml"),
            anchors.join("pyrra/generated/ratio-output.rules.yaml"),
            dir.path().join("gen/prometheus/rules/checkout.yml"),
            anchors.join("sloth/gen/no-alerts.yml"),
            anchors.join("pyrra/generated/latency-output.rules.yaml"),
        ],
        ..StartOptions::default()
    });
    let output = slo(dir.path(), &["inventory", "--prometheus", &prometheus.url]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let row = |slo: &str| {
        rows.iter()
            .find(|r| r.first() == Some(&slo))
            .map(|r| {
                let mut r = r.clone();
                // The file is the harness's copy of the rule file (`rules-<index>.yml`); its name is enough.
                r[6] = r[6].rsplit('/').next().unwrap_or_default();
                r.join(" ")
            })
            .unwrap_or_else(|| panic!("no row for {slo} in:\n{stdout}"))
    };
    assert_eq!(
        rows[0].join(" "),
        "SLO SERVICE OBJECTIVE PERIOD TOOL GROUP FILE ALERTING"
    );
    assert_eq!(
        row("requests-availability"),
        "requests-availability myservice 0.999 30d sloth sloth-slo-meta-recordings-myservice-requests-availability rules-0.yml on"
    );
    assert_eq!(
        row("monitoring-http-errors"),
        "monitoring-http-errors default 0.99 28d pyrra monitoring-http-errors rules-1.yml on"
    );
    assert!(
        row("checkout-availability")
            .starts_with("checkout-availability checkout 0.995 28d slokit "),
        "{stdout}"
    );
    assert!(
        row("checkout-availability").ends_with("rules-2.yml on"),
        "{stdout}"
    );

    // Sloth's `no-alerts` example records the SLO without alerting rules.
    assert!(
        row("http-availability").ends_with("rules-3.yml off"),
        "{stdout}"
    );
    assert_eq!(
        row("monitoring-http-latency"),
        "monitoring-http-latency default 0.995 28d pyrra monitoring-http-latency rules-4.yml on"
    );

    let written = slo(
        dir.path(),
        &[
            "inventory",
            "--prometheus",
            &prometheus.url,
            "--out",
            "recovered",
        ],
    );
    assert!(written.status.success(), "{written:?}");
    let sloth = std::fs::read_to_string(dir.path().join("recovered/myservice.yaml"))
        .expect("a file for Sloth's service");
    assert!(
        sloth.contains("# TODO: the SLI is the 5m error ratio sloth records (rule group `sloth-slo-sli-recordings-myservice-requests-availability`"),
        "{sloth}"
    );
    let validate = slo(dir.path(), &["validate", "recovered"]);
    assert!(
        validate.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&validate.stderr),
        std::fs::read_to_string(dir.path().join("recovered/default.yaml")).unwrap_or_default()
    );
}
