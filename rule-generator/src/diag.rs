//! Compiler-grade diagnostics. A [`Diagnostic`] names what is wrong, where (file, line, column, the
//! field path inside the document) and how to fix it; [`Diagnostics`] collects every problem of a run
//! so that users see all of them at once. Rendering follows rustc's layout: a header, the location,
//! the source line with a caret under the offending text, then `field:`, `note:` and `help:` lines.

use crate::source::{SourceMap, Span};
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What is wrong, starting lowercase, names in backticks, no trailing period.
    pub message: String,
    pub span: Option<Span>,
    /// The field path inside the document, e.g. `spec.objectives[0].target`.
    pub field: Option<String>,
    pub notes: Vec<String>,
    /// Notes that point at another place, possibly in another file: `first defined at a.yaml:3:5`.
    pub located_notes: Vec<(String, Span)>,
    /// How to fix it, e.g. ``did you mean `objectives`?``.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            field: None,
            notes: Vec::new(),
            located_notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn field(mut self, path: impl Into<String>) -> Diagnostic {
        let path = path.into();
        if !path.is_empty() {
            self.field = Some(path);
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// A note about another place, rendered as `<note> at <file>:<line>:<col>`.
    pub fn note_at(mut self, note: impl Into<String>, span: Span) -> Diagnostic {
        self.located_notes.push((note.into(), span));
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Renders the diagnostic with the source line and a caret, as `slo validate` prints it.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{label}: {}", self.message);
        if let Some(span) = self.span.filter(|s| s.start.line == 0) {
            let _ = writeln!(out, "  --> {}", sources.path(span.file));
        } else if let Some(span) = self.span {
            let file = sources.file(span.file);
            let _ = writeln!(
                out,
                "  --> {}:{}:{}",
                file.path, span.start.line, span.start.col
            );
            if let Some(text) = file.line(span.start.line) {
                let (shown, start, width) = excerpt(text, span);
                let number = span.start.line.to_string();
                let gutter = " ".repeat(number.len());
                let _ = writeln!(out, " {gutter} |");
                let _ = writeln!(out, " {number} | {}", shown.trim_end());
                let _ = writeln!(
                    out,
                    " {gutter} | {}{}",
                    " ".repeat(start),
                    "^".repeat(width)
                );
            }
        }
        let pad = self
            .span
            .map(|s| " ".repeat(s.start.line.to_string().len()))
            .unwrap_or_default();
        if let Some(field) = &self.field {
            let _ = writeln!(out, " {pad} = field: {field}");
        }
        for (note, at) in &self.located_notes {
            let _ = writeln!(
                out,
                " {pad} = note: {note} at {}:{}:{}",
                sources.path(at.file),
                at.start.line,
                at.start.col
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, " {pad} = note: {note}");
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, " {pad} = help: {help}");
        }
        out
    }
}

/// The part of a source line to show: tabs become spaces, and lines longer than
/// [`MAX_SHOWN`] characters are clipped around the caret with `…` marks. Returns the text, the
/// caret's column in it and the caret's width, all in characters.
fn excerpt(line: &str, span: Span) -> (String, usize, usize) {
    const MAX_SHOWN: usize = 120;
    let chars: Vec<char> = line
        .chars()
        .map(|c| if c == '\t' || c.is_control() { ' ' } else { c })
        .collect();
    let len = chars.len();
    let start = (span.start.col as usize).saturating_sub(1).min(len);
    let end = if span.end.line == span.start.line {
        (span.end.col as usize).saturating_sub(1)
    } else {
        len
    };
    let width = end
        .saturating_sub(start)
        .clamp(1, len.saturating_sub(start).max(1));
    if len <= MAX_SHOWN {
        return (chars.iter().collect(), start, width);
    }
    let from = start.saturating_sub(MAX_SHOWN / 3);
    let to = (from + MAX_SHOWN).min(len);
    let mut shown = String::new();
    if from > 0 {
        shown.push('…');
    }
    shown.extend(&chars[from..to]);
    if to < len {
        shown.push('…');
    }
    let caret = start - from + usize::from(from > 0);
    (shown, caret, width.min(to.saturating_sub(start)).max(1))
}

/// Every problem found in one run, in the order found. Rendering sorts them by file and position.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// The diagnostics in a stable order: by file, then position, then message. Problems without a
    /// position come first, as they concern the whole run.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.span.map(|s| (s.file, s.start));
            key(a)
                .cmp(&key(b))
                .then_with(|| a.severity.cmp(&b.severity))
                .then_with(|| a.message.cmp(&b.message))
        });
        items.dedup();
        items
    }

    pub fn render(&self, sources: &SourceMap) -> String {
        self.sorted()
            .iter()
            .map(|d| d.render(sources))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The closest candidate to `word`, if one is close enough to be a plausible typo. Case, `_` and
/// `-` are ignored first, so `error_query` suggests `errorQuery`.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let fold = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let word = fold(word);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&word, &fold(c)), c))
        .filter(|(distance, c)| *distance <= (c.len() / 4).clamp(1, 3))
        .min_by_key(|(distance, c)| (*distance, *c))
        .map(|(_, c)| c)
}
