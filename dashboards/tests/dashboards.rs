//! Checks of the generated Grafana files, from a hand-built input covering both flavours, grouped
//! and ungrouped SLOs, default and custom alert tiers, a disabled alerting and a policy:
//!
//! - every dashboard validates against Grafana's dashboard JSON Schema and every panel's options
//!   and custom field config against its panel schema (grafana-foundation-sdk's, in
//!   `shared/anchors/grafana`), and every unit is one of Grafana's;
//! - structure the schemas cannot express: unique panel ids, panels inside the 24-column grid and
//!   not overlapping, unique refIds per panel, every datasource uid provisioned, every `$variable`
//!   defined, stable uids, `schemaVersion` 39 (Grafana 10.4, the plugin's `grafanaDependency`) and
//!   no dashboard `id`;
//! - every PromQL expression parses (promql-parser), every plugin query names a query type and a
//!   window the plugin accepts;
//! - golden files for one small product (`UPDATE_GOLDEN=1` rewrites them).
//!
//! Each checker returns its findings, and `checkers_catch_defects` feeds them broken dashboards,
//! so that none of these checks passes vacuously. Running real queries is in
//! `promql-tests/tests/dashboards.rs`.

use serde_json::{json, Value};
use slokit_conventions::duration::Duration;
use slokit_conventions::{
    dashboard_path, dashboard_uid, BASE_WINDOW, DASHBOARD_VAR_SLO, PERIOD_SUFFIX, STANDARD_WINDOWS,
};
use slokit_dashboards::{queries, render, File, Flavour, Input};
use slokit_model::{Catalog, PolicyCondition, PolicyStep};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The products of `files` (under `tests/specs`), loaded as `slo` loads them.
fn catalog(files: &[&str]) -> Catalog {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).expect("a spec file");
            (format!("dashboards/tests/specs/{name}"), text)
        })
        .collect();
    let today = slokit_model::Date::parse("2026-01-01").expect("a date");
    let loaded = slokit::load::load_texts(&texts, slokit::load::Options { today });
    assert!(!loaded.diagnostics.has_errors(), "invalid test specs");
    loaded.catalog
}

/// One small product (`shop`): the golden files are rendered from it.
fn small() -> Catalog {
    catalog(&["small.yaml"])
}

/// `small()`, a larger product (grouped, custom tiers, a 7-day period, no alerts) and a product
/// of SLOs alike (one repeated row).
fn both() -> Catalog {
    catalog(&["small.yaml", "larger.yaml", "uniform.yaml"])
}

/// A larger product alone.
fn larger() -> Catalog {
    catalog(&["larger.yaml"])
}

fn input(flavour: Flavour, catalog: &Catalog) -> Input<'_> {
    Input {
        catalog,
        flavour,
        prometheus_url: slokit_dashboards::DEFAULT_PROMETHEUS_URL.into(),
    }
}

/// Both products in both flavours.
fn every_input(catalog: &Catalog) -> Vec<Input<'_>> {
    [Flavour::Plugin, Flavour::Prometheus]
        .into_iter()
        .map(|f| input(f, catalog))
        .collect()
}

fn dashboards(files: &[File]) -> Vec<(PathBuf, Value)> {
    files
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "json"))
        .map(|f| {
            let value: Value = serde_json::from_str(&f.contents)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", f.path.display()));
            (f.path.clone(), value)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Schemas.

fn schema_dir() -> PathBuf {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/anchors/grafana"
    ));
    assert!(
        dir.join("fsdk-dashboard.jsonschema.json").is_file(),
        "Grafana's JSON Schemas are missing: expected them at {}",
        dir.display()
    );
    dir.to_path_buf()
}

fn load_schema(name: &str) -> Value {
    let path = schema_dir().join(format!("fsdk-{name}.jsonschema.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The validators: the dashboard, and per panel type its options and custom field config.
struct Schemas {
    dashboard: jsonschema::Validator,
    /// One panel alone: the dashboard's `oneOf` of panel and row only says that neither matched.
    panel: jsonschema::Validator,
    options: BTreeMap<&'static str, jsonschema::Validator>,
    custom: BTreeMap<&'static str, jsonschema::Validator>,
    units: BTreeSet<String>,
}

/// The panel types the generator uses, by schema file.
const PANEL_SCHEMAS: [(&str, &str); 6] = [
    ("bargauge", "bargauge"),
    ("gauge", "gauge"),
    ("stat", "stat"),
    ("state-timeline", "statetimeline"),
    ("table", "table"),
    ("timeseries", "timeseries"),
];

fn build(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(schema)
        .expect("the schema compiles")
}

/// A panel schema file made into a schema of one of its definitions.
fn definition(file: &Value, name: &str) -> Value {
    let mut schema = file.clone();
    schema["$ref"] = json!(format!("#/definitions/{name}"));
    schema
}

fn schemas() -> Schemas {
    let mut dashboard = load_schema("dashboard");
    // Three known strictnesses of the generated schemas, relaxed to what Grafana's CUE says
    // (`_`, any value): a variable's `query` may be any object (a plugin's variable query has
    // string fields), an override property's `value` any JSON value (`unit` is a string, `links`
    // a list), and a field matcher's `options` too (`byName` takes the field's name as a string).
    let definitions = &mut dashboard["definitions"];
    definitions["VariableModel"]["properties"]["query"] =
        json!({"oneOf": [{"type": "string"}, {"type": "object"}]});
    definitions["DynamicConfigValue"]["properties"]["value"] = json!({});
    definitions["MatcherConfig"]["properties"]["options"] = json!({});
    let mut options = BTreeMap::new();
    let mut custom = BTreeMap::new();
    for (kind, file) in PANEL_SCHEMAS {
        let schema = load_schema(file);
        options.insert(kind, build(&definition(&schema, "Options")));
        if schema["definitions"].get("FieldConfig").is_some() {
            custom.insert(kind, build(&definition(&schema, "FieldConfig")));
        }
    }
    let units = load_schema("units")["definitions"]
        .as_object()
        .expect("unit definitions")
        .values()
        .filter_map(|d| d["const"].as_str().map(String::from))
        .collect();
    Schemas {
        panel: build(&definition(&dashboard, "Panel")),
        dashboard: build(&dashboard),
        options,
        custom,
        units,
    }
}

fn errors(validator: &jsonschema::Validator, value: &Value, what: &str) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{what}: {} at {}", e, e.instance_path()))
        .collect()
}

fn units_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if key == "unit" {
                    if let Some(unit) = item.as_str() {
                        out.push(unit.to_string());
                    }
                }
                if key == "properties" {
                    for property in item.as_array().into_iter().flatten() {
                        if property["id"] == "unit" {
                            out.extend(property["value"].as_str().map(String::from));
                        }
                    }
                }
                units_in(item, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| units_in(i, out)),
        _ => {}
    }
}

fn check_schemas(schemas: &Schemas, dashboard: &Value) -> Vec<String> {
    let mut problems = errors(&schemas.dashboard, dashboard, "dashboard");
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        let kind = panel["type"].as_str().unwrap_or_default();
        let title = panel["title"].as_str().unwrap_or_default();
        if kind == "row" {
            continue;
        }
        problems.extend(errors(&schemas.panel, panel, &format!("panel `{title}`")));
        match schemas.options.get(kind) {
            Some(validator) => problems.extend(errors(
                validator,
                &panel["options"],
                &format!("{kind} `{title}` options"),
            )),
            None => problems.push(format!("panel `{title}`: no schema for type `{kind}`")),
        }
        if let Some(validator) = schemas.custom.get(kind) {
            let custom = &panel["fieldConfig"]["defaults"]["custom"];
            if !custom.is_null() {
                problems.extend(errors(
                    validator,
                    custom,
                    &format!("{kind} `{title}` custom field config"),
                ));
            }
        }
    }
    let mut units = Vec::new();
    units_in(dashboard, &mut units);
    for unit in units {
        if !schemas.units.contains(&unit) {
            problems.push(format!("unit `{unit}` is not one of Grafana's"));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Structure.

fn check_structure(dashboard: &Value, provisioned: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    if dashboard.get("id").is_some() {
        problems.push("the dashboard has an `id`".to_string());
    }
    if dashboard["schemaVersion"] != json!(39) {
        problems.push(format!("schemaVersion is {}", dashboard["schemaVersion"]));
    }
    let uid = dashboard["uid"].as_str().unwrap_or_default();
    if uid.is_empty() || uid.len() > 40 {
        problems.push(format!("uid `{uid}` is empty or longer than 40"));
    }
    let panels = dashboard["panels"].as_array().cloned().unwrap_or_default();
    let mut ids = BTreeSet::new();
    let mut cells: BTreeMap<(u64, u64), String> = BTreeMap::new();
    for panel in &panels {
        let title = panel["title"].as_str().unwrap_or_default();
        match panel["id"].as_u64() {
            Some(id) if ids.insert(id) => {}
            other => problems.push(format!("panel `{title}`: id {other:?} missing or repeated")),
        }
        let grid = &panel["gridPos"];
        let (x, y, w, h) = (
            grid["x"].as_u64().unwrap_or(99),
            grid["y"].as_u64().unwrap_or(0),
            grid["w"].as_u64().unwrap_or(0),
            grid["h"].as_u64().unwrap_or(0),
        );
        if w == 0 || h == 0 || x + w > 24 {
            problems.push(format!("panel `{title}` lies outside the grid: {grid}"));
        }
        for cx in x..(x + w).min(24) {
            for cy in y..y + h {
                if let Some(other) = cells.insert((cx, cy), title.to_string()) {
                    problems.push(format!(
                        "panels `{other}` and `{title}` overlap at ({cx}, {cy})"
                    ));
                }
            }
        }
        let mut ref_ids = BTreeSet::new();
        for target in panel["targets"].as_array().into_iter().flatten() {
            let ref_id = target["refId"].as_str().unwrap_or_default();
            if ref_id.is_empty() || !ref_ids.insert(ref_id.to_string()) {
                problems.push(format!(
                    "panel `{title}`: refId `{ref_id}` missing or repeated"
                ));
            }
        }
    }
    for uid in datasource_uids(dashboard) {
        if !provisioned.contains(&uid) {
            problems.push(format!("datasource uid `{uid}` is not provisioned"));
        }
    }
    let defined: BTreeSet<String> = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(String::from))
        .collect();
    for used in variables_used(dashboard) {
        if !defined.contains(&used) {
            problems.push(format!("variable `${used}` is used but not defined"));
        }
    }
    problems
}

fn datasource_uids(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(uid) = map.get("datasource").and_then(|d| d["uid"].as_str()) {
                    out.insert(uid.to_string());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(value, &mut out);
    out
}

/// `$name` and `${name}` / `${name:format}` in every string, except Grafana's own `$__...` and
/// `${__...}` variables.
fn variables_used(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    fn scan(text: &str, out: &mut BTreeSet<String>) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let braced = bytes.get(i + 1) == Some(&b'{');
                let start = if braced { i + 2 } else { i + 1 };
                let end = start
                    + text[start..]
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                        .count();
                let name = &text[start..end];
                if !name.is_empty() && !name.starts_with("__") {
                    out.insert(name.to_string());
                }
                i = end.max(i + 1);
            } else {
                i += 1;
            }
        }
    }
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::String(text) => scan(text, out),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(value, &mut out);
    out
}

/// The uids in `datasources/slokit.yaml`.
fn provisioned_uids(files: &[File]) -> BTreeSet<String> {
    let file = files
        .iter()
        .find(|f| f.path.ends_with("provisioning/datasources/slokit.yaml"))
        .expect("the datasources file");
    file.contents
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uid: "))
        .map(|uid| serde_json::from_str::<String>(uid).expect("a quoted uid"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Queries.

/// Grafana's interpolation for checking: variables become what "All" sends, range variables a
/// fixed duration.
fn interpolate(expr: &str) -> String {
    let mut text = expr
        .replace("$__rate_interval", "5m")
        .replace("$__range", "1h");
    for name in ["service", "slo", "product"] {
        text = text.replace(&format!("${name}"), ".*");
    }
    text
}

fn check_queries(dashboard: &Value) -> Vec<String> {
    let plugin_types = [
        "sli",
        "burn_rate",
        "budget_remaining",
        "budget_burndown",
        "status",
        "events",
        "annotations",
    ];
    let windows: BTreeSet<String> = std::iter::once(BASE_WINDOW)
        .chain(STANDARD_WINDOWS)
        .map(|w| w.to_string())
        .chain([PERIOD_SUFFIX.to_string()])
        .collect();
    let mut problems = Vec::new();
    for (title, target) in queries(dashboard) {
        if let Some(expr) = target["expr"].as_str() {
            if let Err(e) = promql_parser::parser::parse(&interpolate(expr)) {
                problems.push(format!("`{title}`: PromQL does not parse: {e}\n  {expr}"));
            }
        } else if let Some(kind) = target["queryType"].as_str() {
            if !plugin_types.contains(&kind) {
                problems.push(format!("`{title}`: unknown queryType `{kind}`"));
            }
            if let Some(window) = target["window"].as_str() {
                if !windows.contains(window) {
                    problems.push(format!(
                        "`{title}`: the plugin does not know window `{window}`"
                    ));
                }
            }
        } else {
            problems.push(format!(
                "`{title}`: a target with neither `expr` nor `queryType`"
            ));
        }
    }
    problems
}

fn all_problems(schemas: &Schemas, files: &[File]) -> Vec<String> {
    let provisioned = provisioned_uids(files);
    let mut problems = Vec::new();
    for (path, dashboard) in dashboards(files) {
        for problem in check_schemas(schemas, &dashboard)
            .into_iter()
            .chain(check_structure(&dashboard, &provisioned))
            .chain(check_queries(&dashboard))
        {
            problems.push(format!("{}: {problem}", path.display()));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn dashboards_match_grafanas_model() {
    let schemas = schemas();
    let catalog = both();
    for input in every_input(&catalog) {
        let files = render(&input);
        let problems = all_problems(&schemas, &files);
        assert!(
            problems.is_empty(),
            "{:?} flavour:\n{}",
            input.flavour,
            problems.join("\n")
        );
    }
}

#[test]
fn files_and_uids_are_stable() {
    let catalog = both();
    let input = input(Flavour::Plugin, &catalog);
    let files = render(&input);
    let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    assert_eq!(
        paths,
        [
            "grafana/dashboards/overview.json",
            "grafana/dashboards/payments-and-a-very-long-product-name.json",
            "grafana/dashboards/shop.json",
            "grafana/dashboards/uniform.json",
            "grafana/provisioning/dashboards/slokit.yaml",
            "grafana/provisioning/datasources/slokit.yaml",
        ]
    );
    assert_eq!(files, render(&input), "rendering is deterministic");
    for (path, dashboard) in dashboards(&files) {
        let name = path.file_stem().unwrap().to_str().unwrap();
        if name != "overview" {
            assert_eq!(dashboard["uid"], json!(dashboard_uid(name)));
        }
    }
    // The link an alert carries opens the product's dashboard with the SLO variable set.
    let link = dashboard_path("shop", "availability");
    assert_eq!(link, "/d/slokit-shop?var-slo=availability");
    let shop = &dashboards(&files)[2].1;
    assert!(shop["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == json!(DASHBOARD_VAR_SLO) && v["multi"] == json!(true)));
}

#[test]
fn a_product_called_overview_keeps_its_file() {
    let mut catalog = small();
    catalog.products[0].name = "overview".into();
    let files = render(&input(Flavour::Prometheus, &catalog));
    let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    assert!(paths.contains(&"grafana/dashboards/overview.json".to_string()));
    assert!(paths.contains(&"grafana/dashboards/slokit-overview.json".to_string()));
}

#[test]
fn thresholds_come_from_the_model() {
    let files = render(&input(Flavour::Prometheus, &both()));
    let all = dashboards(&files);
    let shop = &all[2].1;
    let panel = |title: &str| {
        shop["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == json!(title))
            .unwrap_or_else(|| panic!("no panel `{title}`"))
            .clone()
    };
    let steps = |panel: &Value| -> Vec<Value> {
        panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["value"].clone())
            .collect()
    };
    let burn = panel("Burn rate per window");
    let factors: Vec<f64> = steps(&burn)[1..]
        .iter()
        .map(|v| (v.as_f64().unwrap() * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(factors, vec![1.0, 3.0, 6.0, 14.4]);
    assert_eq!(
        steps(&panel("SLI vs objective 99.9%")),
        vec![Value::Null, json!(0.999)]
    );
    assert_eq!(
        panel("SLI vs objective 99.9%")["fieldConfig"]["defaults"]["unit"],
        json!("percentunit")
    );
    // The grouped SLO's custom tiers: 10x and 3x, not the defaults.
    let payments = &all[1].1;
    let custom: Vec<Value> = payments["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == json!("Burn rate per window"))
        .map(|p| steps(p)[1..].to_vec())
        .unwrap();
    assert_eq!(custom, vec![json!(3.0), json!(10.0)]);
    // Grouped SLOs name their groups in legends.
    let sli = payments["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == json!("SLI vs objective 99%"))
        .unwrap();
    assert_eq!(
        sli["targets"][0]["legendFormat"],
        json!("SLI period route={{route}} region={{region}}")
    );
}

#[test]
fn the_plugin_flavour_skips_windows_it_cannot_query() {
    let files = render(&input(Flavour::Plugin, &larger()));
    let payments = &dashboards(&files)[1].1;
    let burn = payments["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == json!("Burn rate per window"))
        .unwrap();
    let windows: Vec<&str> = burn["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["window"].as_str().unwrap())
        .collect();
    assert_eq!(
        windows,
        ["30m", "1h", "6h"],
        "10m is not recorded for the plugin"
    );
}

/// The status table of a rendered dashboard.
fn status_table(dashboard: &Value) -> Value {
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == json!("SLO status"))
        .expect("a status table")
        .clone()
}

/// The properties of the status table's override for column `name`, by property id.
fn column_override(dashboard: &Value, name: &str) -> BTreeMap<String, Value> {
    status_table(dashboard)["fieldConfig"]["overrides"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["matcher"]["options"] == json!(name))
        .unwrap_or_else(|| panic!("no override for column `{name}`"))["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p["value"].clone()))
        .collect()
}

/// Text → colour of the value mappings of a column.
fn mapped_colours(mappings: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for mapping in mappings.as_array().unwrap() {
        let options = &mapping["options"];
        match mapping["type"].as_str().unwrap() {
            "value" => {
                for (text, result) in options.as_object().unwrap() {
                    out.insert(text.clone(), result["color"].as_str().unwrap().into());
                }
            }
            "regex" => {
                out.insert(
                    format!("/{}/", options["pattern"].as_str().unwrap()),
                    options["result"]["color"].as_str().unwrap().into(),
                );
            }
            other => panic!("unexpected mapping type {other}"),
        }
    }
    out
}

#[test]
fn both_flavours_show_the_policy_step_in_force_and_the_review() {
    let mut catalog = both();
    // An action on two lines: the plugin writes it on one, PromQL as written.
    catalog.policies.get_mut("default").unwrap().steps[0].action =
        "review\n  reliability work".into();
    for flavour in [Flavour::Plugin, Flavour::Prometheus] {
        let files = render(&input(flavour, &catalog));
        for (path, dashboard) in dashboards(&files) {
            let what = format!("{flavour:?} {}", path.display());
            let colours = mapped_colours(&column_override(&dashboard, "policy action")["mappings"]);
            let warn = match flavour {
                Flavour::Plugin => "review reliability work (warn)",
                Flavour::Prometheus => "review\n  reliability work (warn)",
            };
            // Every dashboard that shows `shop` colours its steps: blocking red, others orange.
            let mut expected: BTreeMap<String, String> = [
                ("none", "green"),
                (warn, "orange"),
                ("freeze feature releases (freeze)", "red"),
                ("stop deploys (fast burn)", "red"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
            if flavour == Flavour::Plugin {
                expected.insert("/^unknown$/".into(), "yellow".into());
            }
            // Products without a policy colour only `none` (and the plugin's `unknown`).
            if path.ends_with("payments-and-a-very-long-product-name.json")
                || path.ends_with("uniform.json")
            {
                expected.retain(|text, _| text == "none" || text.starts_with('/'));
            }
            assert_eq!(colours, expected, "{what}");
            let table = status_table(&dashboard);
            let organize = table["transformations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == json!("organize"))
                .unwrap()["options"]
                .clone();
            match flavour {
                Flavour::Plugin => {
                    // The plugin's own columns are shown, and nothing is computed on top.
                    let hidden = &organize["excludeByName"];
                    assert!(hidden.get("policy action").is_none(), "{what}");
                    assert!(hidden.get("review status").is_none(), "{what}");
                    assert_eq!(table["transformations"].as_array().unwrap().len(), 1);
                    let review = column_override(&dashboard, "review status");
                    assert_eq!(
                        mapped_colours(&review["mappings"]),
                        [
                            ("/^overdue.*/".to_string(), "red".to_string()),
                            ("/^due .*\\(today\\)$/".to_string(), "orange".to_string()),
                        ]
                        .into_iter()
                        .collect(),
                        "{what}"
                    );
                }
                Flavour::Prometheus => {
                    let rename = &organize["renameByName"];
                    assert_eq!(rename["slokit_policy_action"], json!("policy action"));
                    assert_eq!(rename["slokit_review_due"], json!("review due"));
                    let policy = table["targets"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|t| t["expr"].as_str().unwrap().contains("\"no policy\""))
                        .unwrap_or_else(|| panic!("{what}: no policy query"));
                    let expr = policy["expr"].as_str().unwrap();
                    // Its value only ranks steps; the text is a label.
                    let field = format!("Value #{}", policy["refId"].as_str().unwrap());
                    assert_eq!(organize["excludeByName"][&field], json!(true), "{what}");
                    assert!(!expr.contains("$1"), "{what}: Grafana would read `$1`");
                    if path.ends_with("payments-and-a-very-long-product-name.json")
                        || path.ends_with("uniform.json")
                    {
                        assert!(!expr.contains("topk"), "{what}: no policy, no steps");
                        continue;
                    }
                    // Severity as in `slokit::live::policy`: the blocking steps (1: exhausted, 2: fast
                    // burn) outrank the non-blocking step 0, then the later step wins.
                    for (selector, score) in [
                        (
                            r#"slokit_policy_order="0",slokit_policy_condition="budget_remaining_below",slokit_policy_blocks_releases="false"}"#,
                            " + 0",
                        ),
                        (
                            r#"slokit_policy_order="1",slokit_policy_condition="budget_exhausted",slokit_policy_blocks_releases="true"}"#,
                            " + 1000001",
                        ),
                        (
                            r#"slokit_policy_order="2",slokit_policy_condition="burn_rate_above",slokit_policy_blocks_releases="true",slokit_policy_window="1h"}"#,
                            " + 1000002",
                        ),
                    ] {
                        let at = expr
                            .find(selector)
                            .unwrap_or_else(|| panic!("{what}: no `{selector}` in {expr}"));
                        assert!(
                            expr[at + selector.len()..].starts_with(&format!("){score}")),
                            "{what}: `{selector}` not scored {score}"
                        );
                    }
                    // The 1h burn rate, from the recorded 1h rates.
                    assert!(expr.contains("slokit:events_bad:rate1h{"), "{what}");
                    assert!(expr.contains("\"none\""), "{what}");
                }
            }
        }
    }
}

#[test]
fn unrecorded_policy_windows_are_computed_like_the_rules() {
    let mut catalog = small();
    let policy = catalog.policies.get_mut("default").unwrap();
    policy.steps[2].when = PolicyCondition::BurnRateAbove {
        factor: 2.0,
        window: Duration::from_days(7),
    };
    policy.steps.push(PolicyStep {
        name: "slow".into(),
        action: "look".into(),
        blocks_releases: false,
        when: PolicyCondition::BurnRateAbove {
            factor: 1.0,
            window: Duration::from_hours(4),
        },
    });
    let files = render(&input(Flavour::Prometheus, &catalog));
    let shop = &dashboards(&files)[1].1;
    let table = status_table(shop);
    let expr = table["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["expr"].as_str().unwrap().to_string())
        .find(|e| e.contains("slokit:policy_step:threshold"))
        .unwrap();
    // 7d: the hourly rates read once an hour; 4h: the 5m rates.
    assert!(
        expr.contains("avg_over_time(slokit:events_bad:rate1h{slokit_product=\"shop\",slokit_service=~\"$service\",slokit_slo=~\"$slo\"}[7d:1h])"),
        "{expr}"
    );
    assert!(
        expr.contains("avg_over_time(slokit:events_total:rate5m{slokit_product=\"shop\",slokit_service=~\"$service\",slokit_slo=~\"$slo\"}[4h])"),
        "{expr}"
    );
    // Divided by each SLO's error budget, one minus its recorded objective.
    assert!(expr.contains("(1 - slokit:objective:ratio{"), "{expr}");
}

#[test]
fn checkers_catch_defects() {
    let schemas = schemas();
    let files = render(&input(Flavour::Prometheus, &small()));
    let provisioned = provisioned_uids(&files);
    let good = dashboards(&files)[1].1.clone();
    type Mutation = Box<dyn Fn(&mut Value)>;
    let broken: Vec<(&str, Mutation)> = vec![
        ("a dashboard id", Box::new(|d| d["id"] = json!(7))),
        (
            "schema",
            Box::new(|d| d["panels"][1]["options"]["orientation"] = json!("diagonal")),
        ),
        (
            "schema",
            Box::new(|d| d["templating"]["list"][0]["hide"] = json!(9)),
        ),
        (
            "unit",
            Box::new(|d| d["panels"][1]["fieldConfig"]["defaults"]["unit"] = json!("percentage")),
        ),
        (
            "repeated id",
            Box::new(|d| d["panels"][2]["id"] = d["panels"][1]["id"].clone()),
        ),
        (
            "overlap",
            Box::new(|d| d["panels"][3]["gridPos"]["x"] = json!(12)),
        ),
        (
            "outside",
            Box::new(|d| d["panels"][1]["gridPos"]["x"] = json!(20)),
        ),
        (
            "refId",
            Box::new(|d| d["panels"][0]["targets"][1]["refId"] = json!("A")),
        ),
        (
            "datasource",
            Box::new(|d| d["panels"][1]["datasource"]["uid"] = json!("nope")),
        ),
        (
            "variable",
            Box::new(|d| d["panels"][1]["targets"][0]["expr"] = json!("up{job=~\"$nope\"}")),
        ),
        (
            "PromQL",
            Box::new(|d| d["panels"][1]["targets"][0]["expr"] = json!("sum(up")),
        ),
        (
            "schemaVersion",
            Box::new(|d| d["schemaVersion"] = json!(41)),
        ),
    ];
    for (what, mutate) in broken {
        let mut dashboard = good.clone();
        mutate(&mut dashboard);
        let found: Vec<String> = check_schemas(&schemas, &dashboard)
            .into_iter()
            .chain(check_structure(&dashboard, &provisioned))
            .chain(check_queries(&dashboard))
            .collect();
        assert!(!found.is_empty(), "the checks missed: {what}");
    }
    assert!(check_schemas(&schemas, &good).is_empty());
}

/// Golden files: one small product in both flavours, reviewed as diffs.
#[test]
fn golden_files() {
    for flavour in [Flavour::Plugin, Flavour::Prometheus] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(flavour.as_str());
        let files = render(&input(flavour, &small()));
        slokit_test_support::check_tree(
            &dir,
            files
                .iter()
                .map(|f| (f.path.as_path(), f.contents.as_str())),
        );
    }
}

/// A product whose SLOs differ only by name gets one row, repeated over the `slo` variable, whose
/// queries select `$slo`; a product of SLOs that differ gets a row per SLO.
#[test]
fn alike_slos_share_one_repeated_row() {
    for flavour in [Flavour::Plugin, Flavour::Prometheus] {
        let catalog = both();
        let files = render(&input(flavour, &catalog));
        let rows = |name: &str| -> Vec<Value> {
            let (_, dashboard) = dashboards(&files)
                .into_iter()
                .find(|(path, _)| path.ends_with(format!("{name}.json")))
                .expect("the dashboard");
            dashboard["panels"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["type"] == "row")
                .cloned()
                .collect()
        };
        let uniform = rows("uniform");
        assert_eq!(uniform.len(), 1, "{flavour:?}");
        assert_eq!(uniform[0]["repeat"], json!("slo"), "{flavour:?}");
        assert!(
            uniform[0]["title"].as_str().unwrap().contains("$slo"),
            "{flavour:?}"
        );
        let larger = rows("payments-and-a-very-long-product-name");
        assert_eq!(larger.len(), 3, "{flavour:?}");
        assert!(larger.iter().all(|r| r.get("repeat").is_none()));
    }
}
