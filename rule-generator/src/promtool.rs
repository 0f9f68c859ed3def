//! Running promtool on a generated tree for `slo test`: `promtool check rules` on every rule file
//! and `promtool test rules` on every test file, with a report a person can read. The promtool
//! binary is `$PROMTOOL` when set, otherwise `promtool` on the `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// How to get promtool when it is missing.
pub const INSTALL_HINT: &str = "install it with `apt-get install prometheus` (Debian/Ubuntu), or download a Prometheus release from https://prometheus.io/download/ and put `promtool` on the PATH (or set PROMTOOL)";

/// The promtool command to run.
pub fn promtool_command() -> PathBuf {
    std::env::var_os("PROMTOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("promtool"))
}

/// Rule files and test files of a generated tree: `prometheus/rules/*.yml` and
/// `prometheus/tests/*.test.yml` under `dir` (or `rules/` and `tests/` when `dir` is the
/// `prometheus` folder itself), sorted.
pub fn find_files(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let base = if dir.join("prometheus").is_dir() {
        dir.join("prometheus")
    } else {
        dir.to_path_buf()
    };
    let list = |sub: &str, suffix: &str| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(base.join(sub))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with(suffix))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    };
    (list("rules", ".yml"), list("tests", ".test.yml"))
}

/// Runs `promtool check rules` and `promtool test rules` over `dir`. `Ok` carries the report to
/// print; `Err` carries the failure report. Both end with a newline.
pub fn test_tree(dir: &Path) -> Result<String, String> {
    test_tree_inner(dir).map_err(|mut report| {
        if !report.ends_with('\n') {
            report.push('\n');
        }
        report
    })
}

fn test_tree_inner(dir: &Path) -> Result<String, String> {
    let (rules, tests) = find_files(dir);
    if rules.is_empty() {
        return Err(format!(
            "no rule files under `{}`; expected `prometheus/rules/*.yml` as `slo generate` writes them",
            dir.display()
        ));
    }
    let mut report = String::new();
    let check = run(&["check", "rules"], &rules)?;
    report.push_str(&check.1);
    if !check.0 {
        return Err(format!("`promtool check rules` failed:\n{report}"));
    }
    if tests.is_empty() {
        report.push_str("no promtool test files found; only the rules were checked\n");
        return Ok(report);
    }
    let mut failed = false;
    for result in test_files_in_parallel(&tests) {
        let (ok, output) = result?;
        report.push_str(&output);
        failed |= !ok;
    }
    if failed {
        return Err(format!("`promtool test rules` failed:\n{report}"));
    }
    report.push_str(&format!(
        "{} rule file(s) checked, {} test file(s) passed\n",
        rules.len(),
        tests.len()
    ));
    Ok(report)
}

/// `promtool test rules` on each file, several at once (one per available core), because a
/// product's tests take seconds and promtool runs the files of one call one after another. The
/// results are in the order of `files`.
fn test_files_in_parallel(files: &[PathBuf]) -> Vec<Result<(bool, String), String>> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    let mut results = Vec::with_capacity(files.len());
    for chunk in files.chunks(workers) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|file| {
                    scope.spawn(move || run(&["test", "rules"], std::slice::from_ref(file)))
                })
                .collect();
            for handle in handles {
                results.push(
                    handle
                        .join()
                        .unwrap_or_else(|_| Err("a promtool run panicked".into())),
                );
            }
        });
    }
    results
}

/// Runs promtool with `args` and `files`; `(success, combined output)`.
pub fn run(args: &[&str], files: &[PathBuf]) -> Result<(bool, String), String> {
    let command = promtool_command();
    let output = Command::new(&command)
        .args(args)
        .args(files)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("`{}` was not found; {INSTALL_HINT}", command.display())
            }
            _ => format!("could not run `{}`: {e}", command.display()),
        })?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), text))
}
