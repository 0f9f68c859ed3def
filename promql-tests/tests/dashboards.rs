//! The generated dashboards against a real Prometheus (2.42): two days of synthetic history for a
//! product with an ungrouped and a grouped SLO, the generated recording rules backfilled over it
//! level by level, then a live Prometheus loading the generated rules (so `ALERTS` exists for an
//! incident still going on now). Every PromQL query of both flavours' dashboards (panel targets,
//! the alert annotation, and the `label_values` variable queries) must parse and return data:
//! range targets over the last six hours, instant targets now. The structure and schema checks
//! are in `dashboards/tests/`; this file proves the queries read series that exist.
//!
//! The product follows an error-budget policy, so the Prometheus flavour's policy column (the step
//! in force, computed in PromQL from `slokit:policy_step:threshold`) is also checked row by row
//! against `slokit::live::policy::evaluate` over the same rows' figures, read separately.
//!
//! It lives here rather than in `dashboards/` because it needs the generator (catalog to rules)
//! and the Prometheus harness, and `slokit-dashboards` must stay a pure renderer without them.

use promql_tests::backfill::workload_history;
use promql_tests::prometheus::Prometheus;
use promql_tests::synthetic::{Service, Workload};
use promql_tests::Tree;
use serde_json::Value;
use slokit::render::{DashboardFlavour, Target};
use std::collections::BTreeMap;
use std::time::Instant;

const HOUR: i64 = 3_600;
const MIN: i64 = 60;

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

/// The labels that identify a status-table row: the SLO and its group.
fn row_key(metric: &Value) -> Vec<(String, String)> {
    ["slokit_product", "slokit_service", "slokit_slo", "route"]
        .iter()
        .filter_map(|l| Some((l.to_string(), metric[*l].as_str()?.to_string())))
        .collect()
}

/// An instant query's answer by status-table row.
type Rows = BTreeMap<Vec<(String, String)>, Value>;

fn by_row(result: &Value) -> Rows {
    result
        .as_array()
        .into_iter()
        .flatten()
        .map(|sample| (row_key(&sample["metric"]), sample.clone()))
        .collect()
}

fn sample_value(sample: &Value) -> Option<f64> {
    sample["value"][1].as_str()?.parse().ok()
}

/// The Prometheus flavour's policy column, row by row, against `slokit::live::policy::evaluate` over the
/// row's budget remaining and burn rates (1h and 7d computed here the way `slo gate` and every
/// reader compute a window); and the review column against the info series. Returns the rows
/// checked.
fn check_policy_column(
    prometheus: &Prometheus,
    dashboards: &[(String, Value)],
    catalog: &slokit::model::Catalog,
    time: f64,
) -> usize {
    let policy = &catalog.policies["checkout-policy"];
    let figure = |expr: &str| by_row(&prometheus.query(expr, Some(time)));
    let budget = figure("slokit:error_budget_remaining:period");
    let burn_1h = figure(
        "slokit:events_bad:rate1h / slokit:events_total:rate1h / on (slokit_product, slokit_service, slokit_slo) group_left () (1 - slokit:objective:ratio)",
    );
    let burn_7d = figure(
        "avg_over_time(slokit:events_bad:rate1h[7d:1h]) / avg_over_time(slokit:events_total:rate1h[7d:1h]) / on (slokit_product, slokit_service, slokit_slo) group_left () (1 - slokit:objective:ratio)",
    );
    let info = figure("slokit:slo:info");
    let mut checked = 0;
    let mut severity_decided = false;
    for (name, dashboard) in dashboards
        .iter()
        .filter(|(n, _)| n.starts_with("prometheus "))
    {
        let status = slokit_dashboards::queries(dashboard)
            .into_iter()
            .filter(|(title, _)| title == "SLO status")
            .find_map(|(_, t)| {
                let expr = t["expr"].as_str()?;
                expr.contains("\"no policy\"").then(|| interpolate(expr))
            })
            .unwrap_or_else(|| panic!("{name}: no policy column query"));
        let rows = by_row(&prometheus.query(&status, Some(time)));
        assert_eq!(
            rows.len(),
            budget.len(),
            "{name}: one policy row per budget row"
        );
        for (key, sample) in &rows {
            let get = |rows: &Rows| rows.get(key).and_then(sample_value);
            let figures = slokit::live::policy::Figures {
                budget_remaining: get(&budget),
                burn_rates: [
                    (slokit::duration::Duration::from_hours(1), get(&burn_1h)),
                    (slokit::duration::Duration::from_days(7), get(&burn_7d)),
                ]
                .into_iter()
                .collect(),
            };
            let evaluation = slokit::live::policy::evaluate(policy, &figures);
            let expected = match evaluation.in_force {
                Some(index) => format!(
                    "{} ({})",
                    policy.steps[index].action, policy.steps[index].name
                ),
                None => "none".to_string(),
            };
            assert_eq!(
                sample["metric"]["slokit_policy_action"].as_str(),
                Some(expected.as_str()),
                "{name}: row {key:?} with {figures:?}"
            );
            // A blocking step in force while a later step that does not block also matches: the
            // highest order alone would pick the other one.
            if let Some(index) = evaluation.in_force {
                severity_decided |= evaluation.results.iter().any(|r| {
                    r.index > index && r.outcome == slokit::live::policy::Outcome::Matches
                });
            }
            let identity: Vec<(String, String)> =
                key.iter().filter(|(l, _)| l != "route").cloned().collect();
            let due = info[&identity]["metric"]["slokit_review_due"].clone();
            assert!(due.as_str().is_some_and(|d| d.len() == 10), "{name}: {due}");
            assert_eq!(
                sample["metric"]["slokit_review_due"], due,
                "{name}: {key:?}"
            );
            checked += 1;
        }
    }
    assert!(
        severity_decided,
        "no row has a blocking step in force over a later matching step: the workload no longer tests severity"
    );
    checked
}

#[test]
fn every_dashboard_query_returns_data_from_prometheus() {
    let began = Instant::now();
    // The history ends now (to the minute), so that the live Prometheus still finds raw samples in
    // its 5m windows and fires the page alert for the incident going on.
    let end = promql_tests::unix_now() / MIN * MIN;
    let start = end - 2 * 24 * HOUR;
    let workload = Workload::new(start).service(
        Service::new("checkout-api")
            .routes(&["/cart", "/pay"])
            .traffic(20.0, 200.0)
            // 30% errors: 300x the 99.9% SLO's budget and 30x the 99% one's, so both page.
            .incident(end - 2 * HOUR, 3 * HOUR, 0.30),
    );
    let catalog = promql_tests::load_specs(&[promql_tests::spec_file("dashboards.yaml")]);
    let trees: Vec<(DashboardFlavour, Tree)> =
        [DashboardFlavour::Prometheus, DashboardFlavour::Plugin]
            .into_iter()
            .map(|flavour| {
                let tree = Tree::generate_with(&catalog, Target::Prometheus, Some(flavour));
                (flavour, tree)
            })
            .collect();
    let dashboards: Vec<(String, Value)> = trees
        .iter()
        .flat_map(|(flavour, tree)| {
            tree.dashboards()
                .into_iter()
                .map(|(path, json)| (format!("{} {path}", flavour.as_str()), json))
        })
        .collect();
    assert_eq!(
        dashboards.len(),
        4,
        "a product dashboard and the overview, twice"
    );
    let rule_files = trees[0].1.rules();
    let history = workload_history(&workload, &rule_files, start, end);
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
    // To the nanosecond: whole seconds could fall before the evaluation that fired the alerts.
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
    let policy_rows = check_policy_column(&prometheus, &dashboards, &catalog, query_time);
    // The checks above can fail: a query on a series the rules do not record returns nothing.
    assert!(!non_empty(&prometheus.query(
        "slokit:events_total:rate4h{slokit_slo=~\".*\"}",
        Some(query_time)
    )));
    println!(
        "dashboards: {checked} PromQL queries from {} dashboards returned data; {policy_rows} policy rows agree with slokit::live::policy; backfill {}; whole test {:.1}s",
        dashboards.len(),
        history.timing_summary(),
        began.elapsed().as_secs_f64()
    );
}
