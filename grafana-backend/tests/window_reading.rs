//! One rule for reading a window, four readers: the generated rules, `slo report`'s budget
//! queries, the dashboards' PromQL and the plugin must read a window that is not recorded for
//! every SLO with the same expression (`slokit_conventions::window_average`). A reader with its
//! own copy of the rule (a `[45m:5m]` subquery, say) would show a different number for the same
//! window; this test compares the expressions each reader writes for a 45m and a 2d window, with
//! their label matchers blanked out, since each reader selects SLOs its own way.

use grafana_backend::execute::extra_burn_rates_query;
use grafana_backend::query::Selection;
use slokit::render::{DashboardFlavour, DashboardOptions, GenerateOptions};
use slokit_conventions::duration::Duration;
use slokit_conventions::{SERIES_BAD, SERIES_TOTAL};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Every `avg_over_time(...)` in `text` whose range is `[window]` or `[window:step]`, with the
/// matchers inside braces removed and JSON/YAML string escapes undone.
fn averages(text: &str, window: Duration) -> BTreeSet<String> {
    let text = text.replace("\\\"", "\"");
    let mut out = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("avg_over_time(") {
        let tail = &rest[start..];
        let Some(end) = tail.find(')') else { break };
        let call = blank_matchers(&tail[..=end]);
        if call.contains(&format!("[{window}]")) || call.contains(&format!("[{window}:")) {
            out.insert(call);
        }
        rest = &tail[end..];
    }
    out
}

fn blank_matchers(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    out.push_str("{}");
                }
            }
            '}' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn rules_budget_queries_dashboards_and_plugin_read_a_window_alike() {
    let specs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/window_reading");
    let today = slokit::model::Date::parse("2026-01-01").expect("date");
    let loaded = slokit::load::load(&[specs], slokit::load::Options { today });
    assert!(!loaded.diagnostics.has_errors(), "the specs are invalid");
    let files = slokit::render::generate_with_dashboards(
        &loaded.catalog,
        &GenerateOptions::default(),
        &DashboardOptions {
            flavour: DashboardFlavour::Prometheus,
            ..DashboardOptions::default()
        },
    );
    let file = |suffix: &str| {
        files
            .iter()
            .find(|f| f.path.ends_with(suffix))
            .unwrap_or_else(|| panic!("no generated {suffix}"))
            .contents
            .clone()
    };
    let rules = file("rules/odd.yml");
    // The dashboard's PromQL, one expression a line (JSON's own braces would confuse the
    // matcher blanking below).
    let dashboard = {
        fn exprs(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        match (key.as_str(), value) {
                            ("expr", serde_json::Value::String(expr)) => out.push(expr.clone()),
                            _ => exprs(value, out),
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| exprs(v, out)),
                _ => {}
            }
        }
        let json: serde_json::Value =
            serde_json::from_str(&file("dashboards/odd.json")).expect("dashboard JSON");
        let mut out = Vec::new();
        exprs(&json, &mut out);
        out.join("\n")
    };

    for window in [Duration::from_mins(45), Duration::from_days(2)] {
        // The whole expression each reader must contain (first-hour fallback included), and the
        // averages in it, which must be the only averages over this window a reader writes.
        let whole: Vec<String> = [SERIES_BAD, SERIES_TOTAL]
            .iter()
            .map(|base| {
                blank_matchers(&slokit_conventions::window_average(base, window, |n| {
                    format!("{n}{{}}")
                }))
            })
            .collect();
        let expected: BTreeSet<String> = whole.iter().flat_map(|w| averages(w, window)).collect();
        let budget: String = [SERIES_BAD, SERIES_TOTAL]
            .iter()
            .map(|base| slokit::live::budget::rate_query(base, Some(window), r#"a="b""#))
            .collect();
        let needed = BTreeMap::from([(window, BTreeSet::from(["odd".to_string()]))]);
        let plugin = extra_burn_rates_query(&needed, &Selection::EVERYTHING).expect("a query");
        for (reader, text) in [
            ("rules", &rules),
            ("budget queries", &budget),
            ("dashboards", &dashboard),
            ("plugin", &plugin),
        ] {
            assert_eq!(
                averages(text, window),
                expected,
                "{reader} read {window} differently"
            );
            let blanked = blank_matchers(text);
            for expression in &whole {
                assert!(
                    blanked.contains(expression.as_str()),
                    "{reader} does not read {window} as `{expression}`"
                );
            }
        }
    }
}
