//! Integration tests of the real `slo` binary. Each `cases/<name>.yaml` is validated and its exit
//! code, stdout and stderr are compared with `cases/<name>.out`; `UPDATE_GOLDEN=1` rewrites the
//! expected files, which are reviewed as diffs. Hostile inputs are generated here, not checked in.

use crate::slo;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn transcript(output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn every_case_matches_its_golden_output() {
    let dir = cases_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("cases directory exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 10,
        "expected the checked-in cases, found {names:?}"
    );
    for name in names {
        let output = slo(&dir, &["validate", &name]);
        slokit_test_support::check(
            &dir.join(name.replace(".yaml", ".out")),
            &transcript(&output),
        );
    }
}

#[test]
fn strict_turns_warnings_into_failure() {
    let output = slo(
        &cases_dir(),
        &["validate", "--strict", "customer-template.yaml"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr)
        .ends_with("1 warning (--strict) in 1 file; nothing was generated or changed\n"));
}

#[test]
fn unreadable_paths_are_io_errors() {
    let output = slo(&cases_dir(), &["validate", "does-not-exist.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: cannot read `does-not-exist.yaml`: No such file or directory (os error 2)\n"
    );
}

#[test]
fn usage_errors_exit_2() {
    let output = slo(&cases_dir(), &["validate", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn bundled_examples_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = slo(&root, &["validate", "--strict", "examples"]);
    assert_eq!(
        transcript(&output),
        "exit: 0\n--- stdout\nvalid: 10 SLOs in 3 products from 6 files, 2 policies\n--- stderr\n"
    );
}

/// Hostile inputs: each must end quickly with a clear, located error, never a panic or a hang.
/// The bound is generous (the point is "no hang"); typical runs take milliseconds.
#[test]
fn hostile_inputs_fail_fast_with_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut alias_bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, prev) in ('b'..='k').zip('a'..='j') {
        alias_bomb.push_str(&format!("{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage.yaml", (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(), "is not UTF-8 text"),
        ("bomb.yaml", alias_bomb.into_bytes(), "document expands to more than 200000 YAML nodes"),
        ("deep-flow.yaml", format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)).into_bytes(), "error: invalid YAML: recursion limit exceeded"),
        ("deep-block.yaml", (0..20_000).map(|i| format!("{}- \n", "  ".repeat(i % 2000))).collect::<String>().into_bytes(), "error:"),
        ("deep-map.yaml", (0..2_500).map(|i| format!("{}k:\n", " ".repeat(i))).collect::<String>().into_bytes(), "YAML nesting is deeper than 64 levels"),
        ("deep-flow-map.yaml", format!("{}{}", "{k: ".repeat(20_000), "}".repeat(20_000)).into_bytes(), "error: invalid YAML"),
        ("too-big.yaml", vec![b'#'; 200 * 1024 * 1024], "file is larger than 4194304 bytes, the limit for spec files"),
        ("huge.yaml", format!("apiVersion: slo.dev/v1\nkind: Product\nmetadata: {{name: x}}\nspec: {{description: \"{}\"}}\n", "x".repeat(10 * 1024 * 1024)).into_bytes(), "file is larger than 4194304 bytes, the limit for spec files"),
        ("nul.yaml", b"apiVersion: slo.dev/v1\0\0\0".to_vec(), "error:"),
    ];
    for (name, bytes, expected) in cases {
        std::fs::write(dir.path().join(name), bytes).expect("write case");
        let started = Instant::now();
        let output = slo(dir.path(), &["validate", name]);
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{name}: expected {expected:?} in:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name} panicked: {stderr}");
        assert!(elapsed < Duration::from_secs(10), "{name} took {elapsed:?}");
    }
}
