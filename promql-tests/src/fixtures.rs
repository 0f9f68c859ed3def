//! The generator's test catalog for tests outside the `slokit` crate: the spec files in
//! `rule-generator/tests/fixtures` (products `shop` and `web`, one SLO per kind of indicator),
//! loaded from disk as `slo` loads them. `slokit`'s own unit tests read the same files.

use slokit::load::{load_texts, Options};
use slokit::model::{Catalog, Date};
use std::path::Path;

/// The SLOs named in `slos` (every SLO when empty). With `with_policy`, the products come from
/// `policy.yaml` (one error-budget policy with a step of each kind, reviews every 90 days), else
/// from `products.yaml` (no policy).
pub fn catalog(slos: &[&str], with_policy: bool) -> Catalog {
    let products = if with_policy {
        "policy.yaml"
    } else {
        "products.yaml"
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rule-generator/tests/fixtures");
    // Named relative to the repository root, as the unit tests name them, so that `# Source:`
    // lines and alert texts do not depend on where the checkout is.
    let files: Vec<(String, String)> = ["shop.yaml", "web.yaml", products]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name))
                .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
            (format!("rule-generator/tests/fixtures/{name}"), text)
        })
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
