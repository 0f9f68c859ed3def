//! The harness the fuzz targets share: it turns fuzzer bytes into spec files, loads them exactly
//! as `slo validate` does, and checks what `slo generate` would write. The targets differ only in
//! their seed corpus (one per spec format) and in whether they render.
//!
//! What counts as a crash: a panic anywhere in loading, diagnostics or rendering; an accepted spec
//! whose output does not re-parse (YAML through slokit's own parser, every `expr` through
//! promql-parser, dashboards as JSON). Hangs and memory blow-ups are caught by libFuzzer's
//! `-timeout` and `-rss_limit_mb` (see `smoke.sh`). Determinism is left to
//! `rule-generator/tests/suite/generate.rs`: checking it here would halve the render target's speed.

use slokit::render::{
    generate, generate_with_dashboards, DashboardOptions, GenerateOptions, OutputFile, Target,
};
use slokit::model::Date;
use slokit::load::source::FileId;
use slokit::load::{load_texts, Loaded, Options};
use slokit::load::yaml::{self, Node, NodeKind};
use std::path::Path;

/// Splits one input into several spec files, so that references between files (SLI templates,
/// OpenSLO SLIs and alert policies, Sloth alert windows) get fuzzed too. A YAML comment line, so a
/// seed with separators is still one valid file to every other tool.
pub const FILE_SEPARATOR: &str = "\n#--- next file ---\n";

/// The fixed "today" of every run, so review-date checks are reproducible.
pub const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 22,
};

/// The files an input stands for; `None` when it is not UTF-8, which `slo` rejects before parsing.
pub fn files(data: &[u8]) -> Option<Vec<(String, String)>> {
    let text = std::str::from_utf8(data).ok()?;
    Some(
        text.split(FILE_SEPARATOR)
            .enumerate()
            .map(|(i, part)| (format!("fuzz-{i}.yaml"), part.to_string()))
            .collect(),
    )
}

/// Loads the input as `slo validate` would and renders every diagnostic (carets into long,
/// tabbed or multi-byte lines are a classic source of panics).
pub fn load(data: &[u8]) -> Option<Loaded> {
    let loaded = load_texts(&files(data)?, Options { today: TODAY });
    let rendered = loaded.diagnostics.render(&loaded.sources);
    assert!(
        loaded.diagnostics.iter().next().is_none() || !rendered.is_empty(),
        "diagnostics rendered to nothing"
    );
    Some(loaded)
}

/// For an accepted input: renders every target and checks that the output re-parses. Inputs with
/// errors are what `load` is for; `slo generate` never renders them.
pub fn check_render(loaded: &Loaded) {
    if loaded.diagnostics.has_errors() {
        return;
    }
    let catalog = &loaded.catalog;
    let files = generate_with_dashboards(
        catalog,
        &GenerateOptions::default(),
        &DashboardOptions::default(),
    );
    for file in &files {
        match file.path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                if let Err(e) = serde_json::from_str::<serde_json::Value>(&file.contents) {
                    panic!(
                        "{} is not JSON: {e}\n{}",
                        file.path.display(),
                        file.contents
                    );
                }
            }
            // Rule files and promtool tests: every `expr` must be PromQL.
            _ if file.path.starts_with(Path::new("prometheus")) => check_yaml_file(file, true),
            _ => check_yaml_file(file, false),
        }
    }
    // The other targets wrap the same rule groups, so their expressions were checked above. Only
    // the operator's wrapping holds user text (Kubernetes metadata) worth re-parsing; Mimir and
    // vmalert add a namespace or nothing, so rendering them without a panic is the check (parsing
    // output is most of this target's time).
    for file in generate(
        catalog,
        &GenerateOptions {
            target: Target::PrometheusOperator,
        },
    ) {
        check_yaml_file(&file, false);
    }
    for target in [Target::Mimir, Target::Vmalert] {
        generate(catalog, &GenerateOptions { target });
    }
}

/// A generated YAML file parses without a single diagnostic, and with `exprs` each `expr` in it
/// is PromQL.
fn check_yaml_file(file: &OutputFile, exprs: bool) {
    let mut diagnostics = slokit::diag::Diagnostics::default();
    let documents = yaml::parse(FileId(0), &file.contents, &mut diagnostics);
    assert!(
        diagnostics.iter().next().is_none(),
        "{} does not re-parse as YAML: {:?}\n{}",
        file.path.display(),
        diagnostics.iter().collect::<Vec<_>>(),
        file.contents
    );
    for document in documents.iter().filter(|_| exprs) {
        for_each_expr(&document.root, &mut |expr| {
            if let Err(e) = promql_parser::parser::parse(expr) {
                panic!(
                    "{}: generated `expr` does not parse: {e}\n{expr}",
                    file.path.display()
                );
            }
        });
    }
}

fn for_each_expr(node: &Node, f: &mut impl FnMut(&str)) {
    match &node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                match (&value.kind, key.name.as_str()) {
                    (NodeKind::Scalar(s), "expr") => f(&s.text),
                    _ => for_each_expr(value, f),
                }
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|item| for_each_expr(item, f)),
        NodeKind::Null | NodeKind::Scalar(_) => {}
    }
}
