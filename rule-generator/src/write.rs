//! Writing generated files. The only module besides spec loading that touches the disk.
//!
//! Writing is atomic at the level of the output directory: the new tree is built in a temporary
//! directory beside `out` (same filesystem, so renames are atomic), holding a copy of everything
//! in `out` that this run does not regenerate, and then swapped in with two renames. If anything
//! fails before the swap, `out` is untouched; if the second rename fails, the old tree is put back.
//! Top-level folders this run writes into (`prometheus/`, say) are replaced whole, so files for
//! products that no longer exist disappear. Everything else is carried over as it is: files are
//! copied, symbolic links stay links; anything else (a named pipe, a socket) fails the run before
//! the swap rather than block on it or drop it. An `out` that exists but is not a directory is
//! refused, and an `out` that is a symbolic link is written through, at the directory it names.

use crate::render::OutputFile;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Writes `files` under `out` atomically: [`Staging`] for a tree held in memory. The top-level
/// folders the files are in are the ones replaced.
pub fn write_tree(out: &Path, files: &[OutputFile]) -> io::Result<()> {
    let regenerated: BTreeSet<OsString> = files
        .iter()
        .filter_map(|f| f.path.components().next())
        .map(|c| c.as_os_str().to_owned())
        .collect();
    let staging = Staging::begin(out, &regenerated)?;
    for file in files {
        staging.write(file)?;
    }
    staging.commit()
}

/// A new tree for `out`, being written beside it. Files may be written from several threads at
/// once ([`Staging::write`] takes `&self`), as they are rendered; [`Staging::commit`] swaps the
/// tree in. Dropped without a commit (an error, a panic), the staging directory is removed and
/// `out` is as it was. A run killed outright cannot clean up after itself, so [`Staging::begin`]
/// first removes the staging and old trees of runs whose process is gone.
pub struct Staging {
    out: PathBuf,
    parent: PathBuf,
    name: String,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Starts a new tree for `out`, holding a copy of everything in `out` except the top-level
    /// entries named in `regenerated` (which the run writes whole).
    pub fn begin(out: &Path, regenerated: &BTreeSet<OsString>) -> io::Result<Staging> {
        // Through a link to the directory it names: renaming would replace the link itself.
        let out = match fs::symlink_metadata(out) {
            Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(out)?,
            _ => out.to_path_buf(),
        };
        if out.exists() && !out.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "it exists and is not a directory",
            ));
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        remove_abandoned(&parent, &name);
        let dir = unique(&parent, &format!(".{name}.slokit-new"));
        fs::create_dir(&dir)?;
        let staging = Staging {
            out,
            parent,
            name,
            dir,
            committed: false,
        };
        if staging.out.is_dir() {
            for entry in fs::read_dir(&staging.out)? {
                let entry = entry?;
                if !regenerated.contains(&entry.file_name()) {
                    copy_recursively(&entry.path(), &staging.dir.join(entry.file_name()))?;
                }
            }
        }
        Ok(staging)
    }

    /// Writes one file into the new tree. Paths must stay inside it.
    pub fn write(&self, file: &OutputFile) -> io::Result<()> {
        if file.path.is_absolute()
            || file
                .path
                .components()
                .any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "refusing to write outside the output directory: {}",
                    file.path.display()
                ),
            ));
        }
        let path = self.dir.join(&file.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, &file.contents)
    }

    /// Swaps the new tree in for `out`.
    pub fn commit(mut self) -> io::Result<()> {
        let result = swap(&self.out, &self.dir, &self.parent, &self.name);
        self.committed = result.is_ok();
        result
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes `.<name>.slokit-new-<pid>-<n>` and `.<name>.slokit-old-<pid>-<n>` beside `out` whose
/// process no longer runs: what a run killed before it could clean up (SIGKILL, a power cut)
/// leaves behind. A directory of a live process (a concurrent run) is left alone. Where process
/// ids cannot be checked (no `/proc`), nothing is removed.
fn remove_abandoned(parent: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let rest = [".slokit-new-", ".slokit-old-"].iter().find_map(|kind| {
            file_name
                .strip_prefix('.')?
                .strip_prefix(name)?
                .strip_prefix(kind)
        });
        let Some(pid) = rest.and_then(|r| r.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !proc.join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn swap(out: &Path, staging: &Path, parent: &Path, name: &str) -> io::Result<()> {
    if !out.exists() {
        return fs::rename(staging, out);
    }
    let old = unique(parent, &format!(".{name}.slokit-old"));
    fs::rename(out, &old)?;
    if let Err(e) = fs::rename(staging, out) {
        let _ = fs::rename(&old, out);
        return Err(e);
    }
    // The new tree is in place; failing to delete the old one is not worth failing the run.
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

fn unique(parent: &Path, stem: &str) -> PathBuf {
    let pid = std::process::id();
    (0..)
        .map(|n| parent.join(format!("{stem}-{pid}-{n}")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| parent.join(stem))
}

fn copy_recursively(from: &Path, to: &Path) -> io::Result<()> {
    let kind = fs::symlink_metadata(from)?.file_type();
    if kind.is_dir() {
        fs::create_dir_all(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else if kind.is_symlink() {
        copy_symlink(from, to)
    } else if kind.is_file() {
        fs::copy(from, to).map(|_| ())
    } else {
        // Copying a named pipe would wait for a writer forever.
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "cannot carry `{}` over: it is not a file, directory or symbolic link",
                from.display()
            ),
        ))
    }
}

/// The link itself, not a copy of what it points to (a link to a directory cannot be copied as
/// a file at all, and a dangling one not at all).
#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(from)?, to)
}

#[cfg(not(unix))]
fn copy_symlink(from: &Path, to: &Path) -> io::Result<()> {
    fs::copy(from, to).map(|_| ())
}

#[cfg(test)]
mod unit {
    use super::*;

    fn file(path: &str, contents: &str) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn replaces_generated_folders_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        write_tree(
            &out,
            &[
                file("prometheus/rules/a.yml", "a"),
                file("prometheus/rules/b.yml", "b"),
            ],
        )
        .unwrap();
        fs::write(out.join("README"), "mine").unwrap();
        write_tree(&out, &[file("prometheus/rules/a.yml", "a2")]).unwrap();
        assert_eq!(
            fs::read_to_string(out.join("prometheus/rules/a.yml")).unwrap(),
            "a2"
        );
        assert!(!out.join("prometheus/rules/b.yml").exists());
        assert_eq!(fs::read_to_string(out.join("README")).unwrap(), "mine");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging directories are left behind");
    }

    #[test]
    fn an_error_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        write_tree(&out, &[file("prometheus/rules/a.yml", "a")]).unwrap();
        // A file and a directory at the same path cannot both be written.
        let err = write_tree(
            &out,
            &[file("prometheus/x", "1"), file("prometheus/x/y", "2")],
        );
        assert!(err.is_err());
        assert_eq!(
            fs::read_to_string(out.join("prometheus/rules/a.yml")).unwrap(),
            "a"
        );
        assert!(write_tree(&out, &[file("../escape", "x")]).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn trees_of_killed_runs_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        // A process that has exited: its id names no running process any more.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let abandoned = dir.path().join(format!(".out.slokit-new-{dead}-0"));
        let old = dir.path().join(format!(".out.slokit-old-{dead}-3"));
        let live = dir
            .path()
            .join(format!(".out.slokit-new-{}-7", std::process::id()));
        let other = dir.path().join(format!(".other.slokit-new-{dead}-0"));
        for path in [&abandoned, &old, &live, &other] {
            fs::create_dir_all(path.join("prometheus")).unwrap();
        }
        write_tree(&out, &[file("prometheus/rules/a.yml", "a")]).unwrap();
        assert!(
            !abandoned.exists() && !old.exists(),
            "killed runs' trees go"
        );
        assert!(live.exists(), "a running process's tree stays");
        assert!(
            other.exists(),
            "another output's trees are not ours to remove"
        );
    }
}
