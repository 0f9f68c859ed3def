//! Running promtool on a generated tree for `slo test`. (Stub: filled in by the rule-generator work.)

use std::path::Path;

/// Runs `promtool check rules` and `promtool test rules` over `dir`. `Ok` carries the report to
/// print; `Err` carries the failure report.
pub fn test_tree(_dir: &Path) -> Result<String, String> {
    Err("not implemented yet".into())
}
