//! OpenSLO time-slice budgeting measured by promtool: a `Timeslices` SLO of 1m slices (a slice is
//! bad when fewer than 95% of its requests succeed) over requests that fail for a minute and a
//! half, so two slices are bad. The recorded 5m step must hold exactly the share of bad slices.

use crate::slo;

const SPEC: &str = "apiVersion: openslo/v1
kind: SLO
metadata: {name: good-minutes}
spec:
  service: web
  budgetingMethod: Timeslices
  indicator:
    metadata: {name: requests}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code!~\"5..\"}'}}}
        total: {metricSource: {type: Prometheus, spec: {query: http_requests_total}}}
  objectives: [{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}]
";

/// Scraped every 15s at 1 request a second. From 5m the successes stop for a minute and errors
/// count instead (the slice ending at 6m is all bad); from 6m15s successes resume while the
/// errors of 6m15s still land in the slice ending at 7m, whose good ratio is 45/60, also bad.
/// The 5m step recorded at 10m holds the slices ending at 6m, 7m, 8m, 9m and 10m: two bad of five.
/// promtool evaluates rules on the minute, where Prometheus 2's subqueries include both ends and so
/// also the (good) slice ending at 5m: two of six. (A server evaluates a group at an offset within
/// its interval, where both versions see five slices.)
const TEST: &str = "rule_files: [gen/prometheus/rules/web.yml]
evaluation_interval: 1m
tests:
- interval: 15s
  input_series:
  - series: 'http_requests_total{code=\"500\"}'
    values: '0+0x20 0+15x4 60+0x100'
  - series: 'http_requests_total{code=\"200\"}'
    values: '0+15x20 300+0x4 315+15x100'
  promql_expr_test:
  - expr: slokit:events_bad:rate5m / slokit:events_total:rate5m
    eval_time: 10m30s
    exp_samples:
    - labels: '{slokit_product=\"web\",slokit_service=\"web\",slokit_slo=\"good-minutes\"}'
      value: SHARE
";

#[test]
fn timeslices_record_the_share_of_bad_slices() {
    promql_tests::require_promtool();
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("slo.yaml"), SPEC).expect("spec written");
    let version = std::process::Command::new(slokit::promtool::promtool_command())
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let share = if version.contains("version 2.") {
        "0.3333333333333333"
    } else {
        "0.4"
    };
    std::fs::write(
        dir.path().join("slices.test.yml"),
        TEST.replace("SHARE", share),
    )
    .expect("test written");
    let generated = slo(dir.path(), &["generate", "slo.yaml", "--out", "gen"]);
    assert!(generated.status.success(), "{generated:?}");
    let result = promql_tests::test_rules(&[dir.path().join("slices.test.yml")]);
    assert!(result.is_ok(), "{}", result.unwrap_or_else(|e| e));
}
