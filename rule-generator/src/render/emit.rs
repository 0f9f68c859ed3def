//! A small, deterministic YAML emitter for everything slokit writes (rule files, promtool tests,
//! converted specs). Output is block style, keys keep the order they were given, strings are plain
//! when that is unambiguous, double-quoted otherwise, and multi-line strings (PromQL expressions)
//! become literal blocks so that diffs stay readable.

use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Value>),
    Map(Vec<(String, Value)>),
}

impl Value {
    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    /// An empty mapping to fill with [`Value::with`].
    pub fn map() -> Value {
        Value::Map(Vec::new())
    }

    /// Appends `key: value` to a mapping (builder style). Panics only on programmer error.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Value {
        if let Value::Map(entries) = &mut self {
            entries.push((key.to_string(), value.into()));
        }
        self
    }

    /// Appends `key: value` unless `value` is `None`.
    pub fn with_opt<V: Into<Value>>(self, key: &str, value: Option<V>) -> Value {
        match value {
            Some(v) => self.with(key, v),
            None => self,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Str(s.clone())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Seq(items)
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Value {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Value {
        Value::Map(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Renders one YAML document (no leading `---`), ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
        Value::Seq(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&inline(scalar, 0));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, entries: &[(String, Value)], indent: usize) {
    for (key, value) in entries {
        let _ = write!(out, "{}{}:", " ".repeat(indent), scalar_string(key));
        write_value(out, value, indent, false);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        let _ = write!(out, "{}-", " ".repeat(indent));
        match item {
            Value::Map(entries) if !entries.is_empty() => {
                // The first entry shares the dash's line, the rest align under it.
                let mut first = String::new();
                write_map(&mut first, &entries[..1], indent + 2);
                out.push(' ');
                out.push_str(&first[indent + 2..]);
                write_map(out, &entries[1..], indent + 2);
            }
            _ => write_value(out, item, indent, true),
        }
    }
}

fn write_value(out: &mut String, value: &Value, indent: usize, in_seq: bool) {
    match value {
        Value::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_map(out, entries, indent + 2);
        }
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, if in_seq { indent + 2 } else { indent });
        }
        Value::Str(s) if s.contains('\n') && block_safe(s) => {
            let chomp = if s.ends_with('\n') { "" } else { "-" };
            let _ = writeln!(out, " |{chomp}");
            let pad = " ".repeat(indent + 2);
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "{pad}{line}");
                }
            }
        }
        scalar => {
            let _ = writeln!(out, " {}", inline(scalar, indent));
        }
    }
}

/// Literal blocks cannot start with indentation or hold trailing spaces faithfully, nor carriage
/// returns and tabs; such strings are double-quoted instead.
fn block_safe(s: &str) -> bool {
    !s.starts_with([' ', '\n'])
        && !s.ends_with("\n\n")
        && s.split('\n')
            .all(|l| !l.ends_with(' ') && !l.contains(['\r', '\t']) && !l.chars().any(needs_escape))
}

fn inline(value: &Value, _indent: usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float(*f),
        Value::Str(s) => scalar_string(s),
        Value::Seq(_) => "[]".into(),
        Value::Map(_) => "{}".into(),
    }
}

/// Floats print in their shortest round-trip form; whole numbers keep no decimal point.
pub fn float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        }
    } else {
        format!("{f}")
    }
}

/// Plain when unambiguous; otherwise single-quoted, where only `'` needs escaping (as `''`), so
/// PromQL's double quotes and backslashes stay readable; double-quoted with escapes only for text
/// that single quotes cannot hold (line breaks, tabs, control characters).
fn scalar_string(s: &str) -> String {
    if plain_safe(s) {
        s.to_string()
    } else if !s.chars().any(needs_escape) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        quoted(s)
    }
}

/// Conservative: a plain scalar only when no YAML reader could take it for anything but this string.
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let reserved = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    !reserved.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err()
        && !s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`', ' ', '.', '+',
        ])
        && (!first.is_ascii_digit() || is_duration_like(s))
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(['\n', '\r', '\t', '{', '}', '[', ']', ',', '"', '\''])
        && !s.chars().any(needs_escape)
}

/// Characters only a double-quoted scalar can carry, as escapes: control characters (NEL, U+0085,
/// among them), and the byte order mark and line and paragraph separators, which YAML readers
/// refuse inside a document (the BOM) or take for line breaks (libyaml, and so Prometheus).
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// `30d`, `5m`, `1h30m`: digits then letters, which no YAML reader takes for a number or a date.
/// Hexadecimal, octal and binary prefixes (`0x1f`) are excluded because YAML 1.1 reads them as
/// integers.
fn is_duration_like(s: &str) -> bool {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && !s.starts_with("0x")
        && !s.starts_with("0o")
        && !s.starts_with("0b")
        && s[digits..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}

/// A double-quoted YAML string with JSON-compatible escapes.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;
    use crate::load::source::FileId;
    use crate::load::yaml::{parse, NodeKind};

    #[test]
    fn emits_nested_structures() {
        let doc = Value::map()
            .with(
                "groups",
                vec![Value::map().with("name", "a").with(
                    "rules",
                    vec![Value::map()
                        .with("record", "x:y")
                        .with("expr", "sum(\n  rate(m[5m])\n)")],
                )],
            )
            .with("empty", Value::Seq(vec![]))
            .with("factor", 14.4);
        assert_eq!(
            to_yaml(&doc),
            "groups:\n- name: a\n  rules:\n  - record: x:y\n    expr: |-\n      sum(\n        rate(m[5m])\n      )\nempty: []\nfactor: 14.4\n"
        );
    }

    #[test]
    fn strings_round_trip_through_the_parser() {
        for s in [
            "plain",
            "true",
            "1.0",
            "a: b",
            "# x",
            "quote \" back \\",
            "new\nline",
            "  lead",
            "trail ",
            "tab\tx",
            "ü ✓",
            "",
            "-x",
            "a\n\nb\n",
            "x\r\ny",
        ] {
            let text = to_yaml(&Value::map().with("k", s));
            let mut diags = Diagnostics::default();
            let docs = parse(FileId(0), &text, &mut diags);
            let NodeKind::Map(entries) = &docs[0].root.kind else {
                panic!("{text}")
            };
            let got = match &entries[0].1.kind {
                NodeKind::Scalar(sc) => sc.text.clone(),
                NodeKind::Null => String::new(),
                other => panic!("{other:?}"),
            };
            assert_eq!(got, s, "emitted: {text}");
        }
    }
}
