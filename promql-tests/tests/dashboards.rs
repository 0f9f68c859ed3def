//! The generated dashboards against a real Prometheus (2.42): two days of synthetic history for a
//! product with an ungrouped and a grouped SLO, the generated recording rules backfilled over it
//! level by level, then a live Prometheus loading the generated rules (so `ALERTS` exists for an
//! incident still going on now). Every PromQL query of both flavours' dashboards (panel targets,
//! the alert annotation, and the `label_values` variable queries) must parse and return data:
//! range targets over the last six hours, instant targets now. The structure and schema checks
//! are in `dashboards/tests/`; this file proves the queries read series that exist.
//!
//! It lives here rather than in `dashboards/` because it needs the generator (catalog to rules)
//! and the Prometheus harness, and `slokit-dashboards` must stay a pure renderer without them.

use promql_tests::backfill::history_with_rules;
use promql_tests::prometheus::Prometheus;
use promql_tests::synthetic::{Service, Workload};
use serde_json::Value;
use slokit::generate::{
    generate_with_dashboards, DashboardFlavour, DashboardOptions, GenerateOptions, Target,
};
use std::time::Instant;

const HOUR: i64 = 3_600;
const MIN: i64 = 60;

const SPECS: &str = r#"
apiVersion: slo.dev/v1
kind: ServiceLevelObjective
metadata: {name: checkout-availability}
spec:
  service: checkout-api
  indicator:
    type: ratio
    ratio:
      bad: {metric: http_requests_total, filters: ['job="checkout-api"', 'code=~"5.."']}
      total: {metric: http_requests_total, filters: ['job="checkout-api"']}
  objectives: [{displayName: availability, window: 30d, target: 0.999}]
---
apiVersion: slo.dev/v1
kind: ServiceLevelObjective
metadata: {name: checkout-routes}
spec:
  service: checkout-api
  groupBy: [route]
  indicator:
    type: ratio
    ratio:
      bad: {metric: http_requests_total, filters: ['job="checkout-api"', 'code=~"5.."']}
      total: {metric: http_requests_total, filters: ['job="checkout-api"']}
  objectives: [{displayName: availability per route, window: 30d, target: 0.99}]
"#;

/// What Grafana sends for "All" (`.*` with the Prometheus flavour's `allValue`).
fn interpolate(expr: &str) -> String {
    let mut text = expr.to_string();
    for name in ["service", "slo", "product"] {
        text = text.replace(&format!("${name}"), ".*");
    }
    text
}

/// `label_values(selector, label)` as the PromQL Grafana's Prometheus datasource runs for it.
fn label_values_query(query: &str) -> Option<String> {
    let inner = query.strip_prefix("label_values(")?.strip_suffix(')')?;
    let (selector, label) = inner.rsplit_once(',')?;
    Some(format!("group by ({}) ({})", label.trim(), selector.trim()))
}

fn non_empty(result: &Value) -> bool {
    result.as_array().is_some_and(|a| !a.is_empty())
}

#[test]
fn every_dashboard_query_returns_data_from_prometheus() {
    let began = Instant::now();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    // The history ends now (to the minute), so that the live Prometheus still finds raw samples in
    // its 5m windows and fires the page alert for the incident going on.
    let end = now / MIN * MIN;
    let start = end - 2 * 24 * HOUR;
    let workload = Workload::new(start).service(
        Service::new("checkout-api")
            .routes(&["/cart", "/pay"])
            .traffic(20.0, 200.0)
            // 30% errors: 300x the 99.9% SLO's budget and 30x the 99% one's, so both page.
            .incident(end - 2 * HOUR, 3 * HOUR, 0.30),
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("slos.yaml"), SPECS).expect("write specs");
    let loaded = slokit::spec::load(
        &[dir.path().join("slos.yaml")],
        slokit::spec::Options {
            today: slokit::model::Date {
                year: 2026,
                month: 1,
                day: 1,
            },
        },
    );
    assert!(
        loaded.io_errors.is_empty() && loaded.diagnostics.error_count() == 0,
        "the specs do not load: {:?}",
        loaded.diagnostics
    );
    let mut dashboards: Vec<(String, Value)> = Vec::new();
    let mut rule_root = None;
    for flavour in [DashboardFlavour::Prometheus, DashboardFlavour::Plugin] {
        let files = generate_with_dashboards(
            &loaded.catalog,
            &GenerateOptions {
                target: Target::Prometheus,
            },
            &DashboardOptions {
                flavour,
                ..DashboardOptions::default()
            },
        );
        let root = dir.path().join(flavour.as_str());
        slokit::write::write_tree(&root, &files).expect("write the generated tree");
        for file in files
            .iter()
            .filter(|f| f.path.extension().is_some_and(|e| e == "json"))
        {
            let value: Value = serde_json::from_str(&file.contents).expect("dashboard JSON");
            dashboards.push((
                format!("{} {}", flavour.as_str(), file.path.display()),
                value,
            ));
        }
        rule_root.get_or_insert(root);
    }
    assert_eq!(
        dashboards.len(),
        4,
        "a product dashboard and the overview, twice"
    );
    let rule_files = slokit::promtool::find_files(&rule_root.expect("a tree")).0;
    let text = workload.openmetrics(start, end, 60);
    let history = history_with_rules(&text, &rule_files, start, end);
    drop(text);
    let prometheus: Prometheus = history.prometheus(&rule_files, "5s");

    // Wait for the live evaluation to fire both SLOs' alerts, so that `ALERTS` queries have
    // something to return, as they would during the incident the dashboard is opened for.
    let waited = Instant::now();
    let both_firing = r#"count(count by (slokit_slo) (ALERTS{alertstate="firing"})) == 2"#;
    while !non_empty(&prometheus.query(both_firing, None)) {
        assert!(
            waited.elapsed().as_secs() < 90,
            "no alert fired within 90s; the end of Prometheus's log:\n{}",
            prometheus.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let query_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();

    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, dashboard) in &dashboards {
        for (title, target) in slokit_dashboards::queries(dashboard) {
            let Some(expr) = target["expr"].as_str() else {
                continue;
            };
            let expr = interpolate(expr);
            if let Err(e) = slokit::promql::parse(&expr) {
                problems.push(format!("{name} `{title}`: does not parse: {e:?}\n  {expr}"));
                continue;
            }
            let result = if target["instant"] == Value::Bool(true) {
                prometheus.query(&expr, Some(query_time))
            } else {
                prometheus.query_range(&expr, query_time - 6.0 * 3600.0, query_time, 60.0)
            };
            checked += 1;
            if !non_empty(&result) {
                problems.push(format!("{name} `{title}`: no data\n  {expr}"));
            }
        }
        for variable in dashboard["templating"]["list"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(query) = variable["query"].as_str() else {
                continue;
            };
            let expr = label_values_query(&interpolate(query))
                .unwrap_or_else(|| panic!("{name}: unexpected variable query {query}"));
            checked += 1;
            if !non_empty(&prometheus.query(&expr, Some(query_time))) {
                problems.push(format!(
                    "{name} variable `{}`: no values\n  {expr}",
                    variable["name"]
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {checked} queries failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The checks above can fail: a query on a series the rules do not record returns nothing.
    assert!(!non_empty(&prometheus.query(
        "slokit:burn_rate:4h{slokit_slo=~\".*\"}",
        Some(query_time)
    )));
    println!(
        "dashboards: {checked} PromQL queries from {} dashboards returned data; backfill {}; whole test {:.1}s",
        dashboards.len(),
        history.timing_summary(),
        began.elapsed().as_secs_f64()
    );
}
