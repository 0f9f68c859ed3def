//! Compiler-grade diagnostics. A [`Diagnostic`] names what is wrong, where (file, line, column, the
//! field path inside the document) and how to fix it; [`Diagnostics`] collects every problem of a run
//! so that users see all of them at once. Rendering follows rustc's layout: a header, the location,
//! the source line with a caret under the offending text, then `field:`, `note:` and `help:` lines.

use crate::load::source::{SourceMap, Span};
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

    /// The help for an unknown name: ``did you mean `x`?`` when a candidate is close to `word`
    /// ([`did_you_mean`]), else `otherwise` (what the names are, or where to define one).
    pub fn help_did_you_mean<'a, I>(
        self,
        word: &str,
        candidates: I,
        otherwise: impl FnOnce() -> String,
    ) -> Diagnostic
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: ExactSizeIterator,
    {
        self.help(suggestion(word, candidates, otherwise))
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
        let mut unlimited = usize::MAX;
        self.render_within(sources, &mut unlimited)
    }

    /// [`Diagnostic::render`], showing the source line only while `excerpt_budget` (bytes of
    /// source lines still to show) allows; the location is always shown.
    fn render_within(&self, sources: &SourceMap, excerpt_budget: &mut usize) -> String {
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
            let shown_line = file
                .line(span.start.line)
                .filter(|text| text.len() <= *excerpt_budget);
            if let Some(text) = shown_line {
                *excerpt_budget -= text.len();
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

/// How many bytes of source lines the diagnostics of one run show in total; later diagnostics show
/// only their location. Showing a line means reading all of it, so 100,000 problems on one 4 MiB
/// line (a long flow mapping) would otherwise read 400 GB.
pub const MAX_EXCERPT_BYTES: usize = 16 * 1024 * 1024;

/// Every problem found in one run, in the order found. Rendering sorts them by file and position.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// The diagnostic pushed last, to add a note or help that only the caller knows.
    pub fn last_mut(&mut self) -> Option<&mut Diagnostic> {
        self.items.last_mut()
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
        let mut excerpt_budget = MAX_EXCERPT_BYTES;
        self.sorted()
            .iter()
            .map(|d| d.render_within(sources, &mut excerpt_budget))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Names longer than this (in characters) get no suggestion and are never suggested: the edit
/// distance costs the product of the two lengths, and two megabyte-long names would take hours.
const MAX_SUGGESTED_CHARS: usize = 64;

/// Sets of more candidates than this get no suggestion. Each unknown name is compared with every
/// candidate, so a file with thousands of unknown references to thousands of definitions would
/// cost millions of comparisons; no real spec has this many templates, products or parameters.
pub const MAX_CANDIDATES: usize = 200;

/// ``did you mean `x`?`` when a candidate is close to `word` ([`did_you_mean`]), else
/// `otherwise`: the one wording of every "unknown name" hint, in diagnostics and command errors.
pub fn suggestion<'a, I>(word: &str, candidates: I, otherwise: impl FnOnce() -> String) -> String
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: ExactSizeIterator,
{
    match did_you_mean(word, candidates) {
        Some(best) => format!("did you mean `{best}`?"),
        None => otherwise(),
    }
}

/// The closest candidate to `word`, if one is close enough to be a plausible typo. Case, `_` and
/// `-` are ignored first, so `error_query` suggests `errorQuery`.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: ExactSizeIterator,
{
    let candidates = candidates.into_iter();
    if candidates.len() > MAX_CANDIDATES {
        return None;
    }
    let fold = |s: &str| {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    // Bytes bound characters from above, so the cheap test comes first.
    let short =
        |s: &str| s.len() <= MAX_SUGGESTED_CHARS || s.chars().count() <= MAX_SUGGESTED_CHARS;
    if !short(word) {
        return None;
    }
    let word = fold(word);
    let length = word.chars().count();
    candidates
        .filter(|c| short(c))
        .map(|c| (fold(c), c))
        // The distance is at least the difference in length, and no suggestion is further than 3.
        .filter(|(folded, _)| folded.chars().count().abs_diff(length) <= 3)
        .map(|(folded, c)| (strsim::damerau_levenshtein(&word, &folded), c))
        .filter(|(distance, c)| *distance <= (c.len() / 4).clamp(1, 3))
        .min_by_key(|(distance, c)| (*distance, *c))
        .map(|(_, c)| c)
}
