//! The YAML edge: turns text into a tree of [`Node`]s that remember their [`Span`]. It enforces the
//! resource bounds that keep hostile input harmless (file size, nesting depth, alias expansion), so
//! every later stage can walk the tree without limits of its own. Scalars keep their raw text;
//! decoders decide what a scalar means, which is how `0.2` can be a number in one place and a label
//! value in another.

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::source::{FileId, Pos, Span};
use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};
use std::collections::{HashMap, HashSet};

/// Spec files larger than this are refused before parsing: no real spec comes close, and it bounds
/// the time and memory one file can take.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Deeper nesting than this is refused; our formats need fewer than 12 levels.
pub const MAX_DEPTH: usize = 64;
/// The most nodes one document may expand to, aliases included. It defeats "billion laughs".
pub const MAX_NODES: usize = 200_000;
/// The most nodes aliases may copy in one run, over every document of every file. Without it, a
/// file of many small documents (or a folder of many small files), each just under
/// [`MAX_NODES`], would still expand a few kilobytes into gigabytes.
pub const MAX_ALIAS_NODES: usize = MAX_NODES;

/// How many more nodes aliases may copy in this run (see [`MAX_ALIAS_NODES`]). One budget is
/// shared by every file a run parses.
#[derive(Debug)]
pub struct AliasBudget {
    left: usize,
}

impl Default for AliasBudget {
    fn default() -> AliasBudget {
        AliasBudget {
            left: MAX_ALIAS_NODES,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// An empty value, `~` or `null`.
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in document order; keys are unique scalars.
    Map(Vec<(Key, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Plain (unquoted) scalars may be numbers or booleans; quoted ones are always strings.
    pub plain: bool,
    /// Plain or single-quoted on one line: its characters map one-to-one onto the file, so a
    /// position inside the text can be turned into a column.
    pub verbatim: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

/// One YAML document of a file.
#[derive(Debug)]
pub struct Document {
    pub root: Node,
    /// The document's position in its file, counted from 0, for messages about multi-document files.
    pub index: usize,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Scalar(s) if s.plain && s.text.parse::<f64>().is_ok() => "number",
            NodeKind::Scalar(s) if s.plain && matches!(s.text.as_str(), "true" | "false") => {
                "boolean"
            }
            NodeKind::Scalar(_) => "string",
            NodeKind::Seq(_) => "list",
            NodeKind::Map(_) => "mapping",
        }
    }

    /// Roughly how many bytes the tree holds: one per node plus the text of its scalars and keys.
    /// What copying it costs, for the budgets of `spec`.
    pub fn weight(&self) -> usize {
        match &self.kind {
            NodeKind::Null => 1,
            NodeKind::Scalar(s) => 1 + s.text.len(),
            NodeKind::Seq(items) => 1 + items.iter().map(Node::weight).sum::<usize>(),
            NodeKind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| 1 + k.name.len() + v.weight())
                    .sum::<usize>()
            }
        }
    }

    fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + v.count()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// Parses every document of one file. Problems are reported into `diags`; a document with a syntax
/// error is dropped whole so that no half-read spec reaches validation.
pub fn parse(file: FileId, text: &str, diags: &mut Diagnostics) -> Vec<Document> {
    parse_with_budget(file, text, &mut AliasBudget::default(), diags)
}

/// [`parse`], drawing alias expansion from a budget shared with the other files of the run.
pub fn parse_with_budget(
    file: FileId,
    text: &str,
    aliases: &mut AliasBudget,
    diags: &mut Diagnostics,
) -> Vec<Document> {
    if text.len() > MAX_FILE_BYTES {
        diags.push(
            Diagnostic::error(format!(
                "file is larger than {MAX_FILE_BYTES} bytes, the limit for spec files"
            ))
            .at(Span::whole_file(file))
            .help("split the specs into several files"),
        );
        return Vec::new();
    }
    let mut builder = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        aliases,
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let result = match next {
            Ok((event, span)) => builder.event(event, span),
            Err(e) => {
                let m = e.marker();
                let at = Pos {
                    line: m.line() as u32,
                    col: m.col() as u32 + 1,
                };
                Err(Diagnostic::error(format!("invalid YAML: {}", e.info()))
                    .at(Span::on_line(file, at, 1)))
            }
        };
        if let Err(diagnostic) = result {
            diags.push(diagnostic);
            break;
        }
    }
    builder.docs
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        /// The key names so far, so that finding a duplicate costs one lookup, not a scan: a
        /// mapping may have 100,000 keys.
        names: HashSet<String>,
        key: Option<Key>,
        start: Span,
        anchor: usize,
    },
}

struct Builder<'b> {
    file: FileId,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    aliases: &'b mut AliasBudget,
    docs: Vec<Document>,
}

// A builder error ends the document, so it happens at most once per document: the size of the
// `Err` variant does not matter here, and boxing it would only add noise.
#[allow(clippy::result_large_err)]
impl Builder<'_> {
    fn span(&self, span: YamlSpan) -> Span {
        let pos = |m: saphyr_parser::Marker| Pos {
            line: m.line() as u32,
            col: m.col() as u32 + 1,
        };
        Span {
            file: self.file,
            start: pos(span.start),
            end: pos(span.end),
        }
    }

    fn event(&mut self, event: Event<'_>, span: YamlSpan) -> Result<(), Diagnostic> {
        let span = self.span(span);
        match event {
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.nodes = 0;
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == ScalarStyle::Plain;
                let kind = if plain && matches!(&*text, "" | "~" | "null" | "Null" | "NULL") {
                    NodeKind::Null
                } else {
                    let verbatim = span.start.line == span.end.line
                        && matches!(style, ScalarStyle::Plain | ScalarStyle::SingleQuoted);
                    NodeKind::Scalar(Scalar {
                        text: text.into_owned(),
                        plain,
                        verbatim,
                    })
                };
                self.complete(Node { kind, span }, anchor)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(span)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    start: span,
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.open(span)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    names: HashSet::new(),
                    key: None,
                    start: span,
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node_and_anchor = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        start,
                        anchor,
                    }) => (
                        Node {
                            kind: NodeKind::Seq(items),
                            span: Span {
                                end: span.end,
                                ..start
                            },
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        entries,
                        start,
                        anchor,
                        ..
                    }) => (
                        Node {
                            kind: NodeKind::Map(merge_keys(entries)),
                            span: Span {
                                end: span.end,
                                ..start
                            },
                        },
                        anchor,
                    ),
                    None => return Ok(()),
                };
                self.complete(node_and_anchor.0, node_and_anchor.1)?;
            }
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).map(Node::count) else {
                    return Err(Diagnostic::error("alias refers to an unknown anchor").at(span));
                };
                self.count(size, span)?;
                if size > self.aliases.left {
                    return Err(Diagnostic::error(format!("aliases expand to more than {MAX_ALIAS_NODES} YAML nodes in this run"))
                        .at(span)
                        .help("this is usually an alias bomb spread over many documents or files; write the values out"));
                }
                self.aliases.left -= size;
                let mut node = self.anchors[&id].clone();
                node.span = span;
                self.complete(node, 0)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn open(&mut self, span: Span) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Diagnostic::error(format!("YAML nesting is deeper than {MAX_DEPTH} levels"))
                .at(Span::on_line(span.file, span.start, 1))
                .help("spec documents need only a few levels of nesting; check for runaway indentation or brackets"));
        }
        self.count(1, span)
    }

    fn count(&mut self, nodes: usize, span: Span) -> Result<(), Diagnostic> {
        self.nodes += nodes;
        if self.nodes > MAX_NODES {
            return Err(Diagnostic::error(format!("document expands to more than {MAX_NODES} YAML nodes"))
                .at(Span::on_line(span.file, span.start, 1))
                .help("this is usually an alias bomb (anchors that refer to each other many times); write the values out"));
        }
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), Diagnostic> {
        if matches!(node.kind, NodeKind::Null | NodeKind::Scalar(_)) {
            self.count(1, node.span)?;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if node.kind != NodeKind::Null {
                    let index = self.docs.len();
                    self.docs.push(Document { root: node, index });
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                names,
                key,
                ..
            }) => match key.take() {
                None => {
                    let name = match &node.kind {
                        NodeKind::Scalar(s) => s.text.clone(),
                        NodeKind::Null => String::new(),
                        _ => {
                            return Err(Diagnostic::error("mapping keys must be plain strings")
                                .at(node.span))
                        }
                    };
                    if name != "<<" && !names.insert(name.clone()) {
                        let mut d = Diagnostic::error(format!("duplicate key `{name}`"))
                            .at(node.span)
                            .help("remove one of the two entries");
                        if let Some((first, _)) = entries.iter().find(|(k, _)| k.name == name) {
                            d = d.note_at("first defined", first.span);
                        }
                        return Err(d);
                    }
                    *key = Some(Key {
                        name,
                        span: node.span,
                    });
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// Applies YAML merge keys (`<<: *defaults`), common in Kubernetes manifests: entries of the merged
/// mappings are added unless the mapping already defines them.
fn merge_keys(entries: Vec<(Key, Node)>) -> Vec<(Key, Node)> {
    if !entries.iter().any(|(k, _)| k.name == "<<") {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) =
        entries.into_iter().partition(|(k, _)| k.name == "<<");
    // A set, not a scan of `own` per inherited key: both sides may have 100,000 entries.
    let mut names: HashSet<String> = own.iter().map(|(k, _)| k.name.clone()).collect();
    for (_, value) in merges {
        let sources = match value.kind {
            NodeKind::Seq(items) => items,
            _ => vec![value],
        };
        for source in sources {
            if let NodeKind::Map(inherited) = source.kind {
                for (k, v) in inherited {
                    if names.insert(k.name.clone()) {
                        own.push((k, v));
                    }
                }
            }
        }
    }
    own
}
