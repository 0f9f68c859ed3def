//! Reading typed values out of the YAML tree with errors that carry position and field path.
//! [`Map`] remembers which keys a decoder asked for, so [`Map::finish`] can reject every unknown key
//! with a did-you-mean. Decoders never stop at the first problem: a failed field yields `None`, an
//! error is recorded, and decoding goes on so one run reports everything.

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::source::Span;
use crate::load::yaml::{Key, Node, NodeKind, Scalar};
use std::collections::BTreeMap;

/// A node together with its field path, e.g. `spec.objectives[0]`.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    pub node: &'a Node,
    pub path: String,
}

/// Joins a field path and a key: `spec` + `service` is `spec.service`.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

impl<'a> Field<'a> {
    pub fn new(node: &'a Node, path: impl Into<String>) -> Field<'a> {
        Field {
            node,
            path: path.into(),
        }
    }

    pub fn span(&self) -> Span {
        self.node.span
    }

    /// An error located at this field.
    pub fn error(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message)
            .at(self.node.span)
            .field(&self.path)
    }

    pub fn warning(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(message)
            .at(self.node.span)
            .field(&self.path)
    }

    fn expected(&self, what: &str, diags: &mut Diagnostics) {
        diags.push(self.error(format!("expected {what}, found {}", describe(self.node))));
    }

    pub fn scalar(&self) -> Option<&'a Scalar> {
        match &self.node.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Any scalar as text. Numbers and booleans are accepted as their text, because label values
    /// such as `tier: 2` are strings to Prometheus.
    pub fn string(&self, diags: &mut Diagnostics) -> Option<String> {
        match self.scalar() {
            Some(s) => Some(s.text.clone()),
            None => {
                self.expected("a string", diags);
                None
            }
        }
    }

    /// A string that must not be empty or only white space.
    pub fn non_empty(&self, diags: &mut Diagnostics) -> Option<String> {
        let text = self.string(diags)?;
        if text.trim().is_empty() {
            diags.push(self.error("must not be empty"));
            return None;
        }
        Some(text)
    }

    pub fn number(&self, diags: &mut Diagnostics) -> Option<f64> {
        let parsed = self
            .scalar()
            .and_then(|s| s.text.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite());
        if parsed.is_none() {
            self.expected("a number", diags);
        }
        parsed
    }

    pub fn integer(&self, diags: &mut Diagnostics) -> Option<u64> {
        let parsed = self
            .scalar()
            .and_then(|s| s.text.trim().parse::<u64>().ok());
        if parsed.is_none() {
            self.expected("a whole number", diags);
        }
        parsed
    }

    pub fn boolean(&self, diags: &mut Diagnostics) -> Option<bool> {
        match self.scalar().map(|s| s.text.as_str()) {
            Some("true" | "True" | "TRUE") => Some(true),
            Some("false" | "False" | "FALSE") => Some(false),
            _ => {
                self.expected("`true` or `false`", diags);
                None
            }
        }
    }

    /// The items of a list, each with its path. A null value reads as an empty list.
    pub fn list(&self, diags: &mut Diagnostics) -> Vec<Field<'a>> {
        match &self.node.kind {
            NodeKind::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| Field::new(n, index(&self.path, i)))
                .collect(),
            NodeKind::Null => Vec::new(),
            _ => {
                self.expected("a list", diags);
                Vec::new()
            }
        }
    }

    /// A list of strings; a single string is accepted as a list of one.
    pub fn strings(&self, diags: &mut Diagnostics) -> Vec<String> {
        if let NodeKind::Scalar(s) = &self.node.kind {
            return vec![s.text.clone()];
        }
        self.list(diags)
            .iter()
            .filter_map(|item| item.string(diags))
            .collect()
    }

    pub fn map(&self, diags: &mut Diagnostics) -> Option<Map<'a>> {
        Map::new(self.clone(), diags)
    }

    /// A mapping of string to string, such as labels or annotations. Keys keep their spans so that
    /// a later check (a reserved label name, say) can point at the key.
    pub fn string_map(&self, diags: &mut Diagnostics) -> BTreeMap<String, (String, Span)> {
        let mut out = BTreeMap::new();
        let entries = match &self.node.kind {
            NodeKind::Map(entries) => entries,
            NodeKind::Null => return out,
            _ => {
                self.expected("a mapping of names to values", diags);
                return out;
            }
        };
        for (key, value) in entries {
            let path = join(&self.path, &key.name);
            let value = match &value.kind {
                NodeKind::Scalar(s) => s.text.clone(),
                NodeKind::Null => String::new(),
                _ => {
                    Field::new(value, &path).expected("a string", diags);
                    continue;
                }
            };
            out.insert(key.name.clone(), (value, key.span));
        }
        out
    }
}

fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar(s) if s.text.chars().count() <= 24 => {
            format!("{} `{}`", node.type_name(), s.text)
        }
        _ => format!("a {}", node.type_name()),
    }
}

/// A mapping being decoded. Every key a decoder asks for is remembered as known.
pub struct Map<'a> {
    pub field: Field<'a>,
    entries: &'a [(Key, Node)],
    known: Vec<&'static str>,
}

impl<'a> Map<'a> {
    pub fn new(field: Field<'a>, diags: &mut Diagnostics) -> Option<Map<'a>> {
        match &field.node.kind {
            NodeKind::Map(entries) => Some(Map {
                field,
                entries,
                known: Vec::new(),
            }),
            _ => {
                field.expected("a mapping", diags);
                None
            }
        }
    }

    /// A mapping that may be absent (null counts as empty).
    pub fn empty(field: Field<'a>) -> Map<'a> {
        Map {
            field,
            entries: &[],
            known: Vec::new(),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.name == key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &'a Key> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The field `key`, if present.
    pub fn get(&mut self, key: &'static str) -> Option<Field<'a>> {
        self.known.push(key);
        let (_, node) = self.entries.iter().find(|(k, _)| k.name == key)?;
        Some(Field::new(node, join(&self.field.path, key)))
    }

    /// The first of several accepted spellings (`error_query` or `errorQuery`).
    pub fn get_any(&mut self, keys: &[&'static str]) -> Option<Field<'a>> {
        keys.iter().find_map(|k| self.get(k))
    }

    /// Marks keys as known without reading them: accepted for compatibility, not used.
    pub fn ignore(&mut self, keys: &[&'static str]) {
        self.known.extend_from_slice(keys);
    }

    pub fn required(&mut self, key: &'static str, diags: &mut Diagnostics) -> Option<Field<'a>> {
        let found = self.get(key);
        if found.is_none() {
            diags.push(self.missing(key));
        }
        found
    }

    pub fn missing(&self, key: &str) -> Diagnostic {
        let at = crate::load::source::Span::on_line(
            self.field.node.span.file,
            self.field.node.span.start,
            1,
        );
        Diagnostic::error(format!("missing required field `{key}`"))
            .at(at)
            .field(&self.field.path)
            .help(format!("add `{key}:` here"))
    }

    /// Reports every key the decoder did not ask for, with the closest known key as a suggestion.
    pub fn finish(self, diags: &mut Diagnostics) {
        for (key, _) in self.entries {
            if self.known.contains(&key.name.as_str()) {
                continue;
            }
            let path = join(&self.field.path, &key.name);
            let mut diagnostic = Diagnostic::error(format!("unknown field `{}`", key.name))
                .at(key.span)
                .field(path);
            diagnostic =
                diagnostic.help_did_you_mean(&key.name, self.known.iter().copied(), || {
                    format!("expected one of {}", backticked(&self.known))
                });
            diags.push(diagnostic);
        }
    }
}

impl Map<'_> {
    /// [`Map::finish`] for the formats of tools that silently ignore keys they do not know (Sloth,
    /// Pyrra, slo-generator): every unknown key is a warning that says the tool ignores it and so
    /// does slokit, with the closest known key as a suggestion. Refusing such a key would refuse
    /// files the tool itself runs; ignoring it silently would hide a typo such as Sloth's
    /// `ticker_alert`, which leaves an alert enabled that its author meant to disable.
    pub fn finish_ignoring_unknown(self, tool: &str, diags: &mut Diagnostics) {
        for (key, _) in self.entries {
            if self.known.contains(&key.name.as_str()) {
                continue;
            }
            let path = join(&self.field.path, &key.name);
            let diagnostic = Diagnostic::warning(format!(
                "unknown field `{}` is ignored, as {tool} ignores it",
                key.name
            ))
            .at(key.span)
            .field(path)
            .help_did_you_mean(&key.name, self.known.iter().copied(), || {
                format!("expected one of {}", backticked(&self.known))
            });
            diags.push(diagnostic);
        }
    }
}

/// `a`, `b` and `c` as a readable list for help texts.
pub fn backticked(items: &[&str]) -> String {
    let mut unique: Vec<&str> = items.to_vec();
    unique.sort_unstable();
    unique.dedup();
    unique
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
