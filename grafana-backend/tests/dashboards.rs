//! Every target of the generated plugin-flavour dashboards, run through the real plugin. The
//! fixtures (`tests/fixtures/`) are generated with `slo generate --dashboards plugin`'s library
//! call; a real Prometheus (2.42) loads the generated rules over a day of synthetic counters with
//! the recording rules backfilled over them (`promql_tests::backfill`); the real
//! `gpx_slokit` executable answers over gRPC as Grafana calls it. Each dashboard's variables are
//! resolved through the plugin's resources as their queries say, and each panel's plugin targets
//! are sent as one QueryData request, as Grafana sends a panel's queries, twice: once with every
//! variable at "All" as Grafana writes it (`$__all`, which the plugin reads as everything), once
//! with each variable expanded to all its values (a list, as the frontend's `json` interpolation
//! sends a multi-value variable). Each target must answer without error and with at least one
//! frame holding rows.
//!
//! `promql-tests/tests/dashboards.rs` runs the PromQL targets of both flavours (alert timelines
//! and annotations query Prometheus directly even in the plugin flavour); this file covers the
//! targets that only the plugin can answer.

mod common;

use common::*;
use grafana_plugin_sdk::pluginv2;
use promql_tests::backfill::history_with_rules;
use serde_json::{json, Map, Value};
use slokit::render::{
    generate_with_dashboards, DashboardFlavour, DashboardOptions, GenerateOptions, Target,
};
use slokit_conventions::GRAFANA_PLUGIN_ID;
use std::collections::BTreeMap;
use std::time::Instant;

/// Hours of synthetic history: more than a day, so the 1d windows are whole.
const HISTORY_HOURS: i64 = 26;

/// Grafana's built-in interval variables, as Grafana would fill them for a 1000-point panel.
fn builtin(name: &str, range_seconds: f64) -> Option<String> {
    let interval = (range_seconds / 1000.0).ceil().max(1.0) as i64;
    match name {
        "__interval" | "__rate_interval" => Some(format!("{interval}s")),
        "__interval_ms" => Some((interval * 1000).to_string()),
        "__range" => Some(format!("{}s", range_seconds as i64)),
        "__range_s" => Some((range_seconds as i64).to_string()),
        _ => None,
    }
}

/// How a dashboard variable is filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum AllAs {
    /// `$__all`: Grafana's value for "All" when a variable has no custom all value.
    AllValue,
    /// Every value the variable lists, as a JSON list.
    Values,
}

/// Substitutes variables in a target the way Grafana and the plugin's frontend do: a string that
/// is exactly `$var` becomes the variable's value (a string, or a list for several values); `$var`
/// and `${var}` inside a longer string become its values joined with `|`; built-in variables such
/// as `$__interval` become their text.
fn interpolate(
    value: &Value,
    variables: &BTreeMap<String, Vec<String>>,
    all_as: AllAs,
    range_seconds: f64,
) -> Value {
    let whole = |name: &str| -> Option<Value> {
        let values = variables.get(name)?;
        Some(match all_as {
            AllAs::AllValue => json!("$__all"),
            AllAs::Values if values.len() == 1 => json!(values[0]),
            AllAs::Values => json!(values),
        })
    };
    match value {
        Value::String(text) => {
            let name = text
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
                .or_else(|| text.strip_prefix('$'));
            if let Some(replaced) = name.and_then(whole) {
                return replaced;
            }
            let mut out = text.clone();
            let mut names: Vec<String> = variables.keys().cloned().collect();
            names.extend(
                [
                    "__interval_ms",
                    "__interval",
                    "__rate_interval",
                    "__range_s",
                    "__range",
                ]
                .map(String::from),
            );
            // Longest names first, so `$__interval` does not eat `$__interval_ms`.
            names.sort_by_key(|n| std::cmp::Reverse(n.len()));
            for name in names {
                let text = match builtin(&name, range_seconds) {
                    Some(text) => text,
                    None => match all_as {
                        AllAs::AllValue => "$__all".to_string(),
                        AllAs::Values => variables[&name].join("|"),
                    },
                };
                out = out
                    .replace(&format!("${{{name}}}"), &text)
                    .replace(&format!("${name}"), &text);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| interpolate(v, variables, all_as, range_seconds))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), interpolate(v, variables, all_as, range_seconds)))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

/// `now-7d` → 7 days in seconds.
fn range_seconds(dashboard: &Value) -> f64 {
    let from = dashboard["time"]["from"].as_str().expect("time.from");
    assert_eq!(dashboard["time"]["to"], "now", "the range ends now");
    let span = from.strip_prefix("now-").expect("a relative range");
    slokit_conventions::duration::Duration::parse(span)
        .expect("a duration")
        .secs_f64()
}

fn is_plugin(target: &Value) -> bool {
    target["datasource"]["type"] == GRAFANA_PLUGIN_ID
}

/// The values of each plugin variable of a dashboard, listed by the plugin's resource as the
/// variable's query says (`{"resource": "slos", "product": "shop", "service": "$service"}`),
/// earlier variables filled in as lists of all their values.
async fn resolve_variables(
    plugin: &Plugin,
    context: &pluginv2::PluginContext,
    name: &str,
    dashboard: &Value,
) -> BTreeMap<String, Vec<String>> {
    let mut variables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let variable_name = variable["name"].as_str().expect("a variable name");
        assert!(
            is_plugin(variable),
            "{name}: variable `{variable_name}` is not the plugin's"
        );
        let query = variable["query"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: variable `{variable_name}` has no resource query"));
        let resource = query["resource"].as_str().expect("a resource");
        let mut parameters = Vec::new();
        for (key, value) in query.iter().filter(|(k, _)| *k != "resource") {
            let text = value.as_str().expect("a string parameter");
            let values = match text.strip_prefix('$') {
                Some(other) => variables
                    .get(other)
                    .unwrap_or_else(|| panic!("{name}: `{text}` before its variable"))
                    .clone(),
                None => vec![text.to_string()],
            };
            parameters.extend(values.into_iter().map(|v| format!("{key}={v}")));
        }
        let url = if parameters.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}?{}", parameters.join("&"))
        };
        let (code, body) = call_resource(plugin, context.clone(), &url).await;
        assert_eq!(code, 200, "{name}: variable `{variable_name}`: {body}");
        let (list, key) = match resource {
            "products" => ("products", "name"),
            "services" => ("services", "name"),
            "slos" => ("slos", "slo"),
            other => panic!("{name}: unknown resource `{other}`"),
        };
        let mut values: Vec<String> = body[list]
            .as_array()
            .expect("a list")
            .iter()
            .map(|item| item[key].as_str().expect("a name").to_string())
            .collect();
        values.dedup();
        assert!(
            !values.is_empty(),
            "{name}: variable `{variable_name}` has no values ({url})"
        );
        variables.insert(variable_name.to_string(), values);
    }
    variables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_plugin_dashboard_target_returns_frames() {
    let began = Instant::now();
    let catalog = fixture_catalog();
    let files = generate_with_dashboards(
        &catalog,
        &GenerateOptions {
            target: Target::Prometheus,
        },
        &DashboardOptions {
            flavour: DashboardFlavour::Plugin,
            ..DashboardOptions::default()
        },
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rule_files = Vec::new();
    let mut dashboards: Vec<(String, Value)> = Vec::new();
    for file in &files {
        let path = file.path.display().to_string();
        if path.starts_with("prometheus/rules/") {
            let written = dir.path().join(file.path.file_name().expect("a file name"));
            std::fs::write(&written, &file.contents).expect("write rules");
            rule_files.push(written);
        } else if path.starts_with("grafana/dashboards/") {
            let value: Value = serde_json::from_str(&file.contents).expect("dashboard JSON");
            dashboards.push((path, value));
        }
    }
    assert_eq!(rule_files.len(), 2, "rules for billing and shop");
    assert_eq!(dashboards.len(), 3, "billing, shop and the overview");

    // Raw counters up to now (to the minute), with every recording rule backfilled over them, so
    // that the recorded series exist across the dashboards' 7-day range as they would in a
    // Prometheus that has run for a while; then live evaluation from now on.
    let mut traffic = shop_traffic();
    traffic.extend(BILLING_TRAFFIC);
    let end = (now() / 60.0).floor() * 60.0;
    let text = openmetrics(raw_counters(&traffic, end, HISTORY_HOURS, 60));
    let history = history_with_rules(
        &text,
        &rule_files,
        end as i64 - HISTORY_HOURS * 3600,
        end as i64,
    );
    drop(text);
    let prometheus = history.prometheus(&rule_files, "1s");
    wait_for_counts(
        &prometheus,
        &[
            ("slokit:error_budget_remaining:period", 6),
            ("slokit:events_total:rate1h", 6),
            ("slokit:slo:info", 5),
        ],
    );
    let ready = began.elapsed();
    let plugin = Plugin::start();
    let url = prometheus.url.clone();
    let context = context(&url, json!({"timeout": "10"}), &[]);

    let mut checked = 0;
    let mut problems = Vec::new();
    for (name, dashboard) in &dashboards {
        let variables = resolve_variables(&plugin, &context, name, dashboard).await;
        let range = range_seconds(dashboard);
        let mut panels: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (title, target) in slokit_dashboards::queries(dashboard) {
            if is_plugin(&target) {
                panels.entry(title).or_default().push(target);
            }
        }
        for all_as in [AllAs::AllValue, AllAs::Values] {
            for (title, targets) in &panels {
                let to = now();
                let queries: Vec<pluginv2::DataQuery> = targets
                    .iter()
                    .map(|target| {
                        let json = interpolate(target, &variables, all_as, range);
                        let text = json.to_string();
                        assert!(
                            !text.replace("$__all", "").contains('$'),
                            "{name} `{title}`: a variable is left: {text}"
                        );
                        let ref_id = json["refId"].as_str().expect("a refId").to_string();
                        let mut query = data_query(&ref_id, json, to - range, to);
                        // What Grafana fills in for a 1000-point panel.
                        query.interval_ms = ((range / 1000.0).ceil() * 1000.0) as i64;
                        query
                    })
                    .collect();
                let responses = query_data(&plugin, context.clone(), queries.clone()).await;
                for query in &queries {
                    checked += 1;
                    let what = format!(
                        "{name} `{title}` {} ({all_as:?}): {}",
                        query.ref_id,
                        String::from_utf8_lossy(&query.json)
                    );
                    let Some(response) = responses.get(&query.ref_id) else {
                        problems.push(format!("{what}: no response"));
                        continue;
                    };
                    if !response.error.is_empty() {
                        problems.push(format!(
                            "{what}: error {} {}",
                            response.status, response.error
                        ));
                        continue;
                    }
                    let decoded: Vec<Frame> = response.frames.iter().map(|f| decode(f)).collect();
                    let rows = decoded
                        .iter()
                        .map(|f| f.fields.first().map_or(0, |field| field.values.len()))
                        .max()
                        .unwrap_or(0);
                    if rows == 0 {
                        problems.push(format!("{what}: {} frames, none with rows", decoded.len()));
                    }
                }
            }
        }
    }
    assert!(
        checked > 0,
        "the dashboards have no plugin targets: the test checks nothing"
    );
    assert!(
        problems.is_empty(),
        "{} of {checked} plugin targets failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
    println!(
        "dashboards: {checked} plugin targets (each panel twice) from {} dashboards returned frames; backfill {}; Prometheus ready after {:.1}s, whole test {:.1}s",
        dashboards.len(),
        history.timing_summary(),
        ready.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}
