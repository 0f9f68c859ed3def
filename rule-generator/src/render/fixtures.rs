//! The generator's test catalog for unit tests: the spec files in `tests/fixtures` (two products,
//! `shop` and `web`, with one SLO per kind of indicator; `products.yaml` declares them plainly,
//! `policy.yaml` instead makes both follow one error-budget policy), loaded as `slo` loads them. Test-only: the files are also what
//! `tests/suite/generate.rs` and `promql-tests` read, so every test renders the same SLOs.

use crate::load::{load_texts, Options};
use crate::model::{Catalog, Date, Slo};

/// The fixture files, named relative to the repository root so that `# Source:` lines and alert
/// texts are the same whoever loads them.
const FILES: [(&str, &str); 4] = [
    (
        "rule-generator/tests/fixtures/shop.yaml",
        include_str!("../../tests/fixtures/shop.yaml"),
    ),
    (
        "rule-generator/tests/fixtures/web.yaml",
        include_str!("../../tests/fixtures/web.yaml"),
    ),
    (
        "rule-generator/tests/fixtures/products.yaml",
        include_str!("../../tests/fixtures/products.yaml"),
    ),
    (
        "rule-generator/tests/fixtures/policy.yaml",
        include_str!("../../tests/fixtures/policy.yaml"),
    ),
];

/// The SLOs named in `slos` (every SLO when empty), from `policy.yaml`'s products when
/// `with_policy` is set, else from `products.yaml`'s.
pub fn catalog(slos: &[&str], with_policy: bool) -> Catalog {
    let files: Vec<(String, String)> = FILES
        .iter()
        .filter(|(name, _)| {
            let policy = name.ends_with("policy.yaml");
            policy == with_policy || !(policy || name.ends_with("products.yaml"))
        })
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect();
    let today = Date::parse("2026-01-01").expect("a date");
    let loaded = load_texts(&files, Options { today });
    assert!(
        !loaded.diagnostics.has_errors(),
        "the fixture specs are invalid: {:?}",
        loaded.diagnostics
    );
    loaded.catalog.only(slos)
}

/// One SLO of the fixtures, by name, without policy.
pub fn slo(name: &str) -> Slo {
    catalog(&[name], false)
        .slos()
        .next()
        .unwrap_or_else(|| panic!("no fixture SLO `{name}`"))
        .clone()
}
