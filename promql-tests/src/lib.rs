//! Shared helpers for the promtool and Prometheus tests: finding promtool, generating a catalog
//! into a temporary tree, running `promtool check rules` / `promtool test rules`, and mutating
//! generated rule files to prove the generated tests can fail.
//!
//! promtool is required: a missing promtool fails the test, with the command that installs it.
//! Tests never skip because a tool is missing, in CI or on a laptop.

use slokit::model::Catalog;
use slokit::render::{generate, GenerateOptions, Target};
use std::path::PathBuf;

/// Fails the calling test, with the install command, when promtool cannot be run.
pub fn require_promtool() {
    process::require_tool(
        slokit::promtool::promtool_command(),
        "--version",
        slokit::promtool::INSTALL_HINT,
    );
}

/// A generated Prometheus tree in a temporary directory.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn generate(catalog: &Catalog) -> Tree {
        let dir = tempfile::tempdir().expect("temporary directory");
        let files = generate(
            catalog,
            &GenerateOptions {
                target: Target::Prometheus,
            },
        );
        slokit::write::write_tree(&dir.path().join("out"), &files).expect("write the tree");
        Tree { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    pub fn rules(&self) -> Vec<PathBuf> {
        slokit::promtool::find_files(&self.root()).0
    }

    pub fn tests(&self) -> Vec<PathBuf> {
        slokit::promtool::find_files(&self.root()).1
    }

    /// Applies `mutate` to the text of every rule file.
    pub fn mutate_rules(&self, mutate: impl Fn(&str) -> String) {
        for path in self.rules() {
            let text = std::fs::read_to_string(&path).expect("read rules");
            let changed = mutate(&text);
            assert_ne!(
                text,
                changed,
                "the mutation changed nothing in {}",
                path.display()
            );
            std::fs::write(&path, changed).expect("write rules");
        }
    }
}

/// `promtool check rules` on the files; the output either way.
pub fn check_rules(files: &[PathBuf]) -> Result<String, String> {
    run(&["check", "rules"], files)
}

/// `promtool test rules` on the files; the output either way.
pub fn test_rules(files: &[PathBuf]) -> Result<String, String> {
    run(&["test", "rules"], files)
}

fn run(args: &[&str], files: &[PathBuf]) -> Result<String, String> {
    let (ok, output) = slokit::promtool::run(args, files)?;
    if ok {
        Ok(output)
    } else {
        Err(output)
    }
}

/// Removes the rules of a rule file for which `remove(group, rule)` holds, each with its lines up
/// to the next rule or group. `rule` is the rule's first line after its `- `, e.g. `alert: X` or
/// `record: slokit:slo:info`; `group` is the name of the group it is in. Indentation-agnostic, so
/// it also works inside a PrometheusRule's `spec`.
pub fn remove_rules(text: &str, remove: impl Fn(&str, &str) -> bool) -> String {
    let mut out = String::new();
    let mut group = String::new();
    // The indentation of the `- ` of the rule being removed: deeper lines belong to it.
    let mut removing: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if removing.is_some_and(|at| indent > at) {
            continue;
        }
        removing = None;
        if let Some(name) = trimmed.strip_prefix("- name: ") {
            group = name.trim().to_string();
        }
        let rule = trimmed
            .strip_prefix("- ")
            .filter(|r| r.starts_with("alert:") || r.starts_with("record:"));
        if rule.is_some_and(|r| remove(&group, r)) {
            removing = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Removes every `- alert:` rule from a rule file.
pub fn remove_alerts(text: &str) -> String {
    remove_rules(text, |_, rule| rule.starts_with("alert:"))
}

/// Replaces every comparison with the burn-rate factor `factor` by `> replacement`.
pub fn replace_factor(text: &str, factor: &str, replacement: &str) -> String {
    text.replace(&format!(" > {factor}\n"), &format!(" > {replacement}\n"))
}

pub mod backfill;
pub mod process;
pub mod prometheus;
pub mod synthetic;
pub mod victoria;
