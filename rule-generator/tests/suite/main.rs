//! slokit's integration tests, in one test binary so the suite builds and links once. Each module
//! is one area: `cli` (every `tests/cases/*.yaml` through the real `slo` binary against golden
//! output, and hostile inputs), `bounds` (resource bounds, partial output, fuzzing regressions),
//! `robustness` (truncated and corrupted specs never panic), `anchors` (the peers' reference
//! specs), `corpus` (public Sloth, Pyrra and slo-generator specs and OpenSLO files, loaded,
//! generated and proven by promtool, or refused as listed), `inventory` (`slo inventory` against a
//! real Prometheus loaded with Sloth's, Pyrra's and slokit's rules), `generate` (golden trees and
//! the rules every expression follows), `proptest_rules` (random valid specs through `promtool
//! check rules`), `report` (`slo report`, `gate` and `readiness` against a real Prometheus) and
//! `timeslices` (OpenSLO time-slice budgeting measured by promtool).

mod anchors;
mod bounds;
mod cli;
mod corpus;
mod generate;
mod inventory;
mod proptest_rules;
mod report;
mod robustness;
mod timeslices;

use std::path::Path;
use std::process::{Command, Output};

/// Runs the real `slo` binary with `args` in `dir`, with a fixed "today" (`SLOKIT_TODAY`) so
/// review checks are reproducible.
pub fn slo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slo"))
        .args(args)
        .current_dir(dir)
        .env("SLOKIT_TODAY", "2026-11-22")
        .output()
        .expect("the slo binary runs")
}
