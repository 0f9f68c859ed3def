//! Loading never panics: every checked-in spec (examples and test cases) is cut short at many
//! points and corrupted in a few systematic ways, and each variant goes through the whole loader.
//! The fuzz targets explore further; this test keeps the property in the ordinary test run.

use slokit::diag::Diagnostics;
use slokit::load::source::SourceMap;
use slokit::load::{decode_all, Options};
use slokit::model::Date;
use std::path::{Path, PathBuf};

fn spec_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    // The peers' reference specs sit beside the checkout (`../shared/anchors`), in CI as here.
    let anchors = root.join("../../shared/anchors");
    assert!(
        anchors.is_dir(),
        "missing {}: the reference specs must sit beside the checkout",
        anchors.display()
    );
    let mut dirs = vec![
        root.join("../examples"),
        root.join("tests/cases"),
        anchors.join("sloth/examples"),
        anchors.join("sloth/fixtures"),
        anchors.join("openslo"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("spec directory exists")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Loads `text` as one file; returns how many diagnostics it produced.
fn load(text: &str) -> usize {
    let mut sources = SourceMap::default();
    let id = sources.add("variant.yaml", text);
    let mut diags = Diagnostics::default();
    let docs = slokit::load::yaml::parse(id, text, &mut diags);
    decode_all(
        &sources,
        &[(id, docs)],
        Options {
            today: Date {
                year: 2026,
                month: 11,
                day: 22,
            },
        },
        &mut diags,
    );
    let rendered = diags.render(&sources);
    assert!(!rendered.contains("panicked"));
    diags.iter().count()
}

#[test]
fn truncated_and_corrupted_specs_never_panic() {
    let files = spec_files();
    assert!(
        files.len() > 100,
        "expected examples and cases, found {}",
        files.len()
    );
    let mut variants = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("spec is UTF-8");
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let step = (boundaries.len() / 25).max(1);
        for &cut in boundaries.iter().step_by(step) {
            load(&text[..cut]);
            let (head, tail) = text.split_at(cut);
            // Indentation shifts, stray quotes and brackets, and dropped characters.
            load(&format!("{head}  {tail}"));
            load(&format!("{head}\"{tail}"));
            load(&format!("{head}[{tail}"));
            load(&format!("{head}: {tail}"));
            load(&format!(
                "{head}{}",
                tail.chars().skip(1).collect::<String>()
            ));
            variants += 6;
        }
        let lines: Vec<&str> = text.lines().collect();
        for skip in (0..lines.len()).step_by((lines.len() / 25).max(1)) {
            let without: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            load(&without.join("\n"));
            variants += 1;
        }
    }
    assert!(variants > 10_000, "only {variants} variants were loaded");
}
