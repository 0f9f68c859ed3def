//! What slokit's test suites share, as a dev-dependency of the crates that need it: golden files
//! (generated rules, dashboards, reports and CLI output are part of the product and are reviewed
//! as diffs), compared and rewritten one way everywhere. It depends on nothing, so any crate's
//! unit and integration tests can use it without a dependency cycle.

use std::path::Path;

/// The environment variable that turns every golden comparison into a rewrite.
pub const UPDATE_GOLDEN: &str = "UPDATE_GOLDEN";

fn updating() -> bool {
    std::env::var_os(UPDATE_GOLDEN).is_some()
}

/// Compares `actual` with the golden file at `path`, or rewrites the file under
/// `UPDATE_GOLDEN=1`. A difference fails the test with the first line that differs, so the
/// message stays short whatever the size of the file.
pub fn check(path: &Path, actual: &str) {
    compare(path, actual, updating());
}

fn compare(path: &Path, actual: &str, update: bool) {
    if update {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("the golden directory is writable");
        }
        std::fs::write(path, actual).expect("the golden file is writable");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with {UPDATE_GOLDEN}=1",
            path.display()
        )
    });
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
        panic!(
            "{} differs from the golden file at line {}:\n  now:    {:?}\n  golden: {:?}\nreview the change and run with {UPDATE_GOLDEN}=1",
            path.display(),
            line + 1,
            actual.lines().nth(line).unwrap_or("<end of file>"),
            expected.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

/// [`check`] for a whole generated tree under `dir`: each `(relative path, contents)`. Under
/// `UPDATE_GOLDEN=1` the directory is replaced, so files the generator no longer writes go too.
pub fn check_tree<'a>(dir: &Path, files: impl IntoIterator<Item = (&'a Path, &'a str)>) {
    if updating() {
        let _ = std::fs::remove_dir_all(dir);
    }
    for (path, contents) in files {
        check(&dir.join(path), contents);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_names_the_first_line_that_differs() {
        let dir = std::env::temp_dir().join(format!("slokit-golden-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.txt");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        compare(&path, "one\ntwo\n", false);
        let failure = std::panic::catch_unwind(|| compare(&path, "one\nthree\n", false))
            .expect_err("a different file fails");
        let message = failure
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("at line 2"), "{message}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
