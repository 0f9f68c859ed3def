//! The harness for tests that run real engines against what slokit generates: loading the spec
//! files in `specs/`, generating a catalog into a temporary tree, running `promtool check rules` /
//! `promtool test rules`, and mutating generated rule files to prove the generated tests can fail.
//! The engines themselves are in [`prometheus`] and [`victoria`], the history they serve in
//! [`synthetic`] and [`backfill`], and every process any of them starts goes through [`process`],
//! so that it ends with the test.
//!
//! promtool is required: a missing promtool fails the test, with the command that installs it.
//! Tests never skip because a tool is missing, in CI or on a laptop.

pub mod fixtures;

use slokit::model::{Catalog, Date};
use slokit::render::{DashboardFlavour, DashboardOptions, GenerateOptions, OutputFile, Target};
use std::path::{Path, PathBuf};

/// Fails the calling test, with the install command, when promtool cannot be run.
pub fn require_promtool() {
    process::require_tool(
        slokit::promtool::promtool_command(),
        "--version",
        slokit::promtool::INSTALL_HINT,
    );
}

/// The current Unix time in whole seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// The "today" specs are loaded on unless a test says otherwise: fixed, so that review dates and
/// phases read the same whenever the tests run.
pub const SPEC_DAY: &str = "2026-01-01";

/// A spec file of the harness: `promql-tests/specs/<name>`.
pub fn spec_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs")
        .join(name)
}

/// The bundled example specs: `examples/` at the top of the workspace.
pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Loads spec files or folders on [`SPEC_DAY`]; fails the test on any problem.
pub fn load_specs(paths: &[PathBuf]) -> Catalog {
    load_specs_on(paths, SPEC_DAY)
}

/// [`load_specs`] on another day (`YYYY-MM-DD`).
pub fn load_specs_on(paths: &[PathBuf], today: &str) -> Catalog {
    let today = Date::parse(today).unwrap_or_else(|| panic!("not a date: {today}"));
    checked(slokit::load::load(paths, slokit::load::Options { today }))
}

/// Loads specs given as text (`name` stands for the file in messages) on [`SPEC_DAY`]; fails the
/// test on any problem.
pub fn load_spec_text(name: &str, text: &str) -> Catalog {
    let today = Date::parse(SPEC_DAY).expect("a date");
    checked(slokit::load::load_texts(
        &[(name.to_string(), text.to_string())],
        slokit::load::Options { today },
    ))
}

fn checked(loaded: slokit::load::Loaded) -> Catalog {
    assert!(
        loaded.io_errors.is_empty() && loaded.diagnostics.error_count() == 0,
        "the specs do not load: {:?} {:?}",
        loaded.io_errors,
        loaded.diagnostics
    );
    loaded.catalog
}

/// Generates `catalog` for `target`, with the Grafana files of `dashboards` when given (they are
/// written for the Prometheus target only), and writes the tree under `root`. Returns what was
/// generated, paths relative to `root`.
pub fn write_generated(
    catalog: &Catalog,
    target: Target,
    dashboards: Option<DashboardFlavour>,
    root: &Path,
) -> Vec<OutputFile> {
    let options = GenerateOptions { target };
    let files = match dashboards {
        Some(flavour) => slokit::render::generate_with_dashboards(
            catalog,
            &options,
            &DashboardOptions {
                flavour,
                ..DashboardOptions::default()
            },
        ),
        None => slokit::render::generate(catalog, &options),
    };
    slokit::write::write_tree(root, &files).expect("write the generated tree");
    files
}

/// A generated tree in a temporary directory (`out/` in it, so that tests can write files beside
/// the tree).
pub struct Tree {
    pub dir: tempfile::TempDir,
    /// What was generated, paths relative to [`Tree::root`].
    pub files: Vec<OutputFile>,
}

impl Tree {
    /// The Prometheus rules and promtool tests of `catalog`.
    pub fn generate(catalog: &Catalog) -> Tree {
        Tree::generate_with(catalog, Target::Prometheus, None)
    }

    /// The rules of `catalog` for `target`, and the dashboards of `dashboards` when given.
    pub fn generate_with(
        catalog: &Catalog,
        target: Target,
        dashboards: Option<DashboardFlavour>,
    ) -> Tree {
        let dir = tempfile::tempdir().expect("temporary directory");
        let files = write_generated(catalog, target, dashboards, &dir.path().join("out"));
        Tree { dir, files }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// Every generated file, as a path under the tree.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .map(|f| self.root().join(&f.path))
            .collect()
    }

    /// The Prometheus rule files.
    pub fn rules(&self) -> Vec<PathBuf> {
        slokit::promtool::find_files(&self.root()).0
    }

    /// The promtool test files.
    pub fn tests(&self) -> Vec<PathBuf> {
        slokit::promtool::find_files(&self.root()).1
    }

    /// The vmalert rule files.
    pub fn vmalert_rules(&self) -> Vec<PathBuf> {
        victoria::rule_files(&self.root())
    }

    /// The generated dashboards, as (path in the tree, JSON), in the order generated.
    pub fn dashboards(&self) -> Vec<(String, serde_json::Value)> {
        self.files
            .iter()
            .filter(|f| f.path.extension().is_some_and(|e| e == "json"))
            .map(|f| {
                let json = serde_json::from_str(&f.contents).expect("dashboard JSON");
                (f.path.display().to_string(), json)
            })
            .collect()
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
/// to the next rule or group. `rule` is the rule's text from its first line after its `- ` (e.g.
/// `alert: X` or `record: slokit:slo:info`) to its last line, so a test can pick one SLO's rules
/// by their labels (`slokit_slo: x`); `group` is the name of the group it is in.
/// Indentation-agnostic, so it also works inside a PrometheusRule's `spec`.
pub fn remove_rules(text: &str, remove: impl Fn(&str, &str) -> bool) -> String {
    let mut out = String::new();
    let mut group = String::new();
    // The rule being read: the indentation of its `- ` and its text so far.
    let mut pending: Option<(usize, String)> = None;
    let finish = |pending: &mut Option<(usize, String)>, out: &mut String, group: &str| {
        if let Some((indent, rule)) = pending.take() {
            if !remove(group, &rule[indent + 2..]) {
                out.push_str(&rule);
            }
        }
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some((at, rule)) = pending.as_mut() {
            if indent > *at || trimmed.is_empty() {
                rule.push_str(line);
                rule.push('\n');
                continue;
            }
        }
        finish(&mut pending, &mut out, &group);
        if let Some(name) = trimmed.strip_prefix("- name: ") {
            group = name.trim().to_string();
        }
        let is_rule = trimmed
            .strip_prefix("- ")
            .is_some_and(|r| r.starts_with("alert:") || r.starts_with("record:"));
        if is_rule {
            pending = Some((indent, format!("{line}\n")));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    finish(&mut pending, &mut out, &group);
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
