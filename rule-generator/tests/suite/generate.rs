//! Whole-output tests of `slo generate`: golden files (rewritten with `UPDATE_GOLDEN=1`),
//! determinism, and the rules every generated expression must follow: it parses with
//! promql-parser, and raw metrics (any selector not named `slokit:*`) are only read over the 5m
//! base window.

use promql_parser::parser::{self, Expr};
use promql_tests::fixtures;
use slokit::conventions::BASE_WINDOW;
use slokit::render::emit::Value;
use slokit::render::{generate, rule_groups, GenerateOptions, OutputFile, Target};
use std::path::Path;
use std::time::Duration as StdDuration;

/// Every `expr` in the rule groups of every product of the catalog.
fn expressions(catalog: &slokit::model::Catalog) -> Vec<(String, String)> {
    fn walk(value: &Value, context: &str, out: &mut Vec<(String, String)>) {
        match value {
            Value::Map(entries) => {
                let name = entries
                    .iter()
                    .find(|(k, _)| k == "record" || k == "alert")
                    .and_then(|(_, v)| match v {
                        Value::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_else(|| context.to_string());
                for (key, v) in entries {
                    match (key.as_str(), v) {
                        ("expr", Value::Str(expr)) => out.push((name.clone(), expr.clone())),
                        _ => walk(v, &name, out),
                    }
                }
            }
            Value::Seq(items) => items.iter().for_each(|v| walk(v, context, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for product in catalog.products.iter() {
        for group in rule_groups(catalog, product) {
            walk(&group, &product.name, &mut out);
        }
    }
    out
}

/// Raw selectors read outside a 5m range: `(selector, how it is read)`.
fn raw_reads(expr: &Expr, range: Option<StdDuration>, out: &mut Vec<String>) {
    let raw = |name: &Option<String>| !name.as_deref().unwrap_or("").starts_with("slokit:");
    let base = StdDuration::from_millis(BASE_WINDOW.millis());
    match expr {
        Expr::VectorSelector(vs) => {
            if raw(&vs.name) && range != Some(base) {
                out.push(format!("{vs} read over {range:?}"));
            }
        }
        Expr::MatrixSelector(ms) => {
            if raw(&ms.vs.name) && ms.range != base {
                out.push(format!("{} read over {:?}", ms.vs, ms.range));
            }
        }
        Expr::Subquery(sq) => raw_reads(&sq.expr, Some(sq.range), out),
        Expr::Aggregate(a) => {
            raw_reads(&a.expr, range, out);
            if let Some(p) = &a.param {
                raw_reads(p, range, out);
            }
        }
        Expr::Unary(u) => raw_reads(&u.expr, range, out),
        Expr::Binary(b) => {
            raw_reads(&b.lhs, range, out);
            raw_reads(&b.rhs, range, out);
        }
        Expr::Paren(p) => raw_reads(&p.expr, range, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| raw_reads(a, range, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

#[test]
fn every_expression_parses_and_reads_raw_metrics_only_over_5m() {
    let catalog = fixtures::catalog(&[], false);
    let all = expressions(&catalog);
    assert!(all.len() > 100, "found only {} expressions", all.len());
    let mut problems = Vec::new();
    for (rule, expr) in &all {
        match parser::parse(expr) {
            Ok(ast) => {
                let mut reads = Vec::new();
                raw_reads(&ast, None, &mut reads);
                for read in reads {
                    problems.push(format!("{rule}: raw metric {read}"));
                }
            }
            Err(e) => problems.push(format!("{rule}: does not parse: {e}\n{expr}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn expressions_round_trip_through_the_parser() {
    for (rule, expr) in expressions(&fixtures::catalog(&[], false)) {
        let once = parser::parse(&expr).unwrap().to_string();
        let twice = parser::parse(&once)
            .unwrap_or_else(|e| panic!("{rule}: printed form does not parse: {e}\n{once}"))
            .to_string();
        assert_eq!(once, twice, "{rule}");
    }
}

/// Every metric name an expression reads, with the step of the subquery it is read in (if any).
fn reads(expr: &Expr, step: Option<StdDuration>, out: &mut Vec<(String, Option<StdDuration>)>) {
    match expr {
        Expr::VectorSelector(vs) => out.push((vs.name.clone().unwrap_or_default(), step)),
        Expr::MatrixSelector(ms) => out.push((ms.vs.name.clone().unwrap_or_default(), step)),
        Expr::Subquery(sq) => reads(&sq.expr, sq.step, out),
        Expr::Aggregate(a) => {
            reads(&a.expr, step, out);
            if let Some(p) = &a.param {
                reads(p, step, out);
            }
        }
        Expr::Unary(u) => reads(&u.expr, step, out),
        Expr::Binary(b) => {
            reads(&b.lhs, step, out);
            reads(&b.rhs, step, out);
        }
        Expr::Paren(p) => reads(&p.expr, step, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| reads(a, step, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// The rules of a group as (`record` or `alert` name, is a recording rule, expression).
fn group_rules(group: &Value) -> Vec<(String, bool, String)> {
    let field = |entries: &[(String, Value)], key: &str| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| match v {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            })
    };
    let Value::Map(entries) = group else {
        return Vec::new();
    };
    let Some((_, Value::Seq(rules))) = entries.iter().find(|(k, _)| k == "rules") else {
        return Vec::new();
    };
    rules
        .iter()
        .filter_map(|rule| match rule {
            Value::Map(rule) => {
                let record = field(rule, "record");
                let name = record.clone().or_else(|| field(rule, "alert"))?;
                Some((name, record.is_some(), field(rule, "expr")?))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn slow_groups_read_only_hourly_points_and_fast_recordings_never_read_slow_ones() {
    let catalog = fixtures::catalog(&[], true);
    let hour = StdDuration::from_secs(3600);
    let mut problems = Vec::new();
    for product in catalog.products.iter() {
        let groups = rule_groups(&catalog, product);
        let [fast, slow] = groups.as_slice() else {
            panic!(
                "{}: expected two groups, got {}",
                product.name,
                groups.len()
            );
        };
        let interval = |group: &Value| match group {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == "interval")
                .map(|(_, v)| format!("{v:?}")),
            _ => None,
        };
        assert_eq!(interval(fast), None, "{}", product.name);
        assert_eq!(
            interval(slow).as_deref(),
            Some("Str(\"2m30s\")"),
            "{}",
            product.name
        );
        let slow_records: Vec<String> = group_rules(slow)
            .into_iter()
            .filter(|(_, record, _)| *record)
            .map(|(name, _, _)| name)
            .collect();
        for (name, record, expr) in group_rules(slow) {
            let mut read = Vec::new();
            reads(&parser::parse(&expr).unwrap(), None, &mut read);
            for (series, step) in read {
                // Hourly points of the 1h rates, or (the first-hour fallback of every window read
                // hourly) the latest.
                let hourly = series.ends_with(":rate1h")
                    && (matches!(step, Some(h) if h == hour) || step.is_none());
                // A slow alert (the ticket tier) also averages the 5m rates over its short
                // windows: nothing reads an alert, so a late fast sample cannot spread.
                let short_window = !record && series.ends_with(":rate5m");
                if !hourly && !short_window && !slow_records.contains(&series) {
                    problems.push(format!("{}: slow rule {name} reads {series}", product.name));
                }
            }
        }
        for (name, record, expr) in group_rules(fast) {
            let mut read = Vec::new();
            reads(&parser::parse(&expr).unwrap(), None, &mut read);
            for (series, _) in read {
                if record && slow_records.contains(&series) {
                    problems.push(format!("{}: fast rule {name} reads {series}", product.name));
                }
            }
        }
        let slow_names: Vec<String> = group_rules(slow).into_iter().map(|r| r.0).collect();
        for expected in [
            "slokit:events_total:rate_period",
            "slokit:error_budget_remaining:period",
            "slokit:sli:period",
            "slokit:objective:ratio",
            "slokit:slo:info",
            "slokit:policy_step:threshold",
        ] {
            assert!(
                slow_names.iter().any(|n| n == expected),
                "{}: {expected}",
                product.name
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_catches_long_raw_reads() {
    let mut reads = Vec::new();
    let ast = parser::parse(
        "sum(rate(x[1h])) / avg_over_time(slokit:a[30d]) + max_over_time((y > 1)[10m:1m]) + z",
    )
    .unwrap();
    raw_reads(&ast, None, &mut reads);
    assert_eq!(reads.len(), 3, "{reads:?}");
}

#[test]
fn output_is_deterministic_and_starts_with_a_header() {
    for target in [
        Target::Prometheus,
        Target::PrometheusOperator,
        Target::Mimir,
        Target::Vmalert,
    ] {
        let options = GenerateOptions { target };
        let first = generate(&fixtures::catalog(&[], false), &options);
        let second = generate(&fixtures::catalog(&[], false), &options);
        assert_eq!(first, second);
        for file in &first {
            assert!(
                file.contents.starts_with("# Generated by slokit"),
                "{}",
                file.path.display()
            );
            assert!(file
                .contents
                .contains("# Source: rule-generator/tests/fixtures/"));
        }
    }
}

#[test]
fn disabled_alerting_writes_no_alerts() {
    let files = generate(
        &fixtures::catalog(&["worker-success"], false),
        &GenerateOptions::default(),
    );
    assert!(!files[0].contents.contains("- alert:"));
}

/// Golden files: the generated tree for a few small catalogs, one folder per case.
fn check_golden(case: &str, files: &[OutputFile]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(case);
    slokit_test_support::check_tree(
        &dir,
        files
            .iter()
            .map(|f| (f.path.as_path(), f.contents.as_str())),
    );
}

#[test]
fn golden_files() {
    use fixtures::catalog;
    let cases: Vec<(&str, slokit::model::Catalog, Target)> = vec![
        (
            "availability",
            catalog(&["api-service-availability"], true),
            Target::Prometheus,
        ),
        (
            "grouped-operator",
            catalog(&["api-routes-availability"], false),
            Target::PrometheusOperator,
        ),
        (
            "latency-mimir",
            catalog(
                &["api-service-latency", "api-service-latency-native"],
                false,
            ),
            Target::Mimir,
        ),
        (
            "probe-raw-vmalert",
            catalog(&["frontend-probe", "frontend-raw"], false),
            Target::Vmalert,
        ),
    ];
    for (case, catalog, target) in cases {
        check_golden(case, &generate(&catalog, &GenerateOptions { target }));
    }
}

#[test]
fn dump_for_manual_runs() {
    if let Some(dir) = std::env::var_os("SLOKIT_DUMP") {
        let files = generate(&fixtures::catalog(&[], false), &GenerateOptions::default());
        slokit::write::write_tree(Path::new(&dir), &files).unwrap();
    }
}
