//! Source files and positions. Every value the loaders read carries a [`Span`] that points back into
//! one of the files held by a [`SourceMap`], so any later stage can report a problem at its origin.

use std::fmt;

/// Index of a file inside a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A position in a file: 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A range in one file. `end` is exclusive and may lie on a later line than `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    /// A location that names a file but no position in it (line 0), for problems with the file as
    /// a whole, such as its size.
    pub fn whole_file(file: FileId) -> Span {
        Span {
            file,
            start: Pos { line: 0, col: 0 },
            end: Pos { line: 0, col: 0 },
        }
    }

    /// A span that covers `len` characters from `start` on one line.
    pub fn on_line(file: FileId, start: Pos, len: u32) -> Span {
        Span {
            file,
            start,
            end: Pos {
                line: start.line,
                col: start.col + len,
            },
        }
    }

    /// A sub-span of a single-line scalar, `from..to` counted in characters of its text. Used to point
    /// at the part of a PromQL string that failed to parse. Multi-line or quoted scalars fall back to
    /// the whole span because their characters do not map one-to-one onto the file.
    pub fn narrow(self, from: usize, to: usize, single_line_plain: bool) -> Span {
        if !single_line_plain || self.start.line != self.end.line {
            return self;
        }
        let start = Pos {
            line: self.start.line,
            col: self.start.col + from as u32,
        };
        let end = Pos {
            line: self.start.line,
            col: (self.start.col + to.max(from + 1) as u32).min(self.end.col.max(start.col + 1)),
        };
        Span {
            file: self.file,
            start,
            end,
        }
    }
}

/// One loaded file: its display path (as the user named it) and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    /// Where each line starts in `text`, so that showing a line costs no scan from the top: a
    /// 4 MiB file can have 100,000 diagnostics.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// The text of 1-based line `line`, without its line terminator (as [`str::lines`] has it).
    pub fn line(&self, line: u32) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)? as usize)?;
        if start == self.text.len() {
            // After a final line break there is no further line.
            return None;
        }
        match self.line_starts.get(line as usize) {
            // A `\r\n` ending is dropped whole; a `\r` without `\n` is not a line ending.
            Some(next) => {
                let text = &self.text[start..next - 1];
                Some(text.strip_suffix('\r').unwrap_or(text))
            }
            None => Some(&self.text[start..]),
        }
    }
}

/// All files read in one run. Files are only added, so a [`FileId`] stays valid for the whole run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            path: path.into(),
            text,
            line_starts,
        });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.file(id).path
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}
