//! Loading specs: the only stage that reads files. It finds spec files (directories recursively),
//! parses every YAML document, recognises its format, and hands it to that format's decoder. All
//! formats decode into the same [`Draft`]s, which [`assemble`] links into the checked [`Catalog`].
//!
//! Decoding happens in two passes so that references work regardless of file order: the first pass
//! registers what other documents refer to (native SLI templates, Sloth alert windows, OpenSLO SLIs,
//! alert policies and conditions), the second decodes SLOs, products and policies.

mod assemble;
pub mod common;
mod composites;
pub mod decode;
pub mod mapping;
pub mod native;
pub mod openslo;
pub mod pyrra;
pub mod slo_generator;
pub mod sloth;
pub mod source;
pub mod yaml;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::decode::{Field, Map};
use crate::load::source::{FileId, SourceMap, Span};
use crate::model::{Catalog, Date, ErrorBudgetPolicy, Product, Slo};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use yaml::{AliasBudget, Document, NodeKind};

pub use assemble::assemble;
pub use sloth::PluginStub;

/// The result of loading: the files read, every diagnostic, and the catalog. The catalog is only
/// meaningful when `diagnostics` holds no errors.
pub struct Loaded {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    pub catalog: Catalog,
    /// Files or directories that could not be read. They are usage or I/O problems (exit code 2),
    /// not problems in a spec.
    pub io_errors: Vec<String>,
    /// How many files and documents were read, for the summary line.
    pub files: usize,
    pub documents: usize,
    /// SLOs left out of the catalog because their SLI is a Sloth plugin slokit cannot run, each
    /// with the error reported for it and the stub `slo convert` writes instead.
    pub stubs: Vec<sloth::PluginStub>,
}

/// What the run needs to know about the world. Passing "today" in keeps loading deterministic.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub today: Date,
}

/// An SLO as decoded from one document, before it is placed in a product.
pub struct SloDraft {
    pub slo: Slo,
    /// The product the spec names explicitly, if any, and where.
    pub product: Option<(String, Span)>,
    pub span: Span,
    /// The error-budget policy the format applies to the SLO when no `Product` says otherwise
    /// (slo-generator applies one policy to every SLO it computes). It is followed only if the
    /// run defines it.
    pub policy: Option<String>,
}

/// A composite SLO as decoded, before its members are resolved: they may be in products and files
/// decoded later.
pub struct CompositeDraft {
    /// Its indicator lists the members as written: `product` empty when the spec names only the
    /// SLO (the composite's own product), `objective` 0 until resolved.
    pub slo: Slo,
    pub product: (String, Span),
    /// Where each member is written (span and field path), in the indicator's order. Empty for a
    /// product's own SLO without `members`: it is made of all the product's SLOs.
    pub members: Vec<(Span, String)>,
    pub span: Span,
}

pub struct ProductDraft {
    pub product: Product,
    pub span: Span,
    /// Span of the `policy` field, for an unknown-policy error.
    pub policy_span: Option<Span>,
}

/// Everything decoded from all documents, ready to be linked.
#[derive(Default)]
pub struct Drafts {
    pub slos: Vec<SloDraft>,
    pub products: Vec<ProductDraft>,
    pub composites: Vec<CompositeDraft>,
    pub policies: Vec<(ErrorBudgetPolicy, Span)>,
    /// SLOs whose SLI is a Sloth plugin slokit cannot run, kept for `slo convert`'s stubs.
    pub stubs: Vec<sloth::PluginStub>,
}

/// What documents declare for others to refer to, filled by the first pass.
#[derive(Default)]
pub struct Registry<'a> {
    pub native: native::Registry<'a>,
    pub sloth: sloth::Registry,
    pub openslo: openslo::Registry<'a>,
    /// What the second pass may still build; every decoder shares it through the registry.
    pub budget: Budget,
}

/// One document for the second pass to decode: the document, the file it came from, and what the
/// first pass registered from every document.
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    pub doc: &'a Document,
    pub file: &'a str,
    pub all: &'a Registry<'a>,
}

/// The most SLOs one run may define. Catalogs have tens to hundreds; each SLO renders about 40 KB
/// of rules, tests and dashboards, so this many already means some 400 MB of output.
pub const MAX_SLOS: usize = 10_000;

/// The most bytes the SLOs of one run may hold (see [`Budget`]): 5 KB each at [`MAX_SLOS`],
/// where the examples' largest holds 2.3 KB. Rendering repeats an SLO's indicator and labels in
/// some 50 rules, so this bounds the output too. Reaching it takes about 0.7 s.
pub const MAX_MODEL_BYTES: usize = 48 * 1024 * 1024;

/// The most bytes that references may copy in one run (see [`Budget`]): 200 bytes per SLO at
/// [`MAX_SLOS`], what a use of the examples' `http-availability` template copies. Each copy is
/// decoded again, and its filters and queries parsed as PromQL, at about 4 MB a second; hence a
/// budget of its own, small enough to be reached within half a second.
pub const MAX_COPIED_BYTES: usize = 2 * 1024 * 1024;

/// What one run may build from its specs. The YAML limits bound what is written, but specs copy
/// each other: an SLI template is filled in for every SLO that uses it (and a placeholder may
/// repeat a long value), an OpenSLO object is decoded again for every reference to it, and an
/// SLO's indicator, labels and alerting are repeated for each of its objectives. Every such copy
/// is charged here before or as it is made, so a small file cannot ask for millions of SLOs or
/// gigabytes of rules; it gets one located error instead, within a second. The counters are
/// `Cell`s because the decoders share the registry, and with it the budget, immutably.
#[derive(Debug, Default)]
pub struct Budget {
    slos: Cell<usize>,
    model_bytes: Cell<usize>,
    copied_bytes: Cell<usize>,
    /// Set once a limit is exceeded and reported: the run reports it once, and every later copy
    /// or SLO is refused without another message.
    spent: Cell<bool>,
}

impl Budget {
    /// Bytes that references may still copy.
    pub fn left(&self) -> usize {
        if self.spent.get() {
            return 0;
        }
        MAX_COPIED_BYTES - self.copied_bytes.get()
    }

    pub fn is_spent(&self) -> bool {
        self.spent.get()
    }

    /// Charges a copy of `bytes` made for the reference at `at` (an SLI template's name, an
    /// OpenSLO `...Ref`). `false`, with an error the first time, when the copy is over budget: the
    /// caller then does not make it.
    pub fn copy(&self, bytes: usize, at: &Field<'_>, diags: &mut Diagnostics) -> bool {
        if bytes <= self.left() {
            self.copied_bytes.set(self.copied_bytes.get() + bytes);
            return true;
        }
        self.exceeded(
            at.error(format!(
                "templates and references expand to more than {} MiB in this run",
                MAX_COPIED_BYTES >> 20
            ))
            .note("every SLO that uses an SLI template or refers to an object gets a copy of it, with each placeholder replaced by its value")
            .help("make the template or referenced object smaller, pass shorter parameter values, or split the specs into several runs"),
            diags,
        )
    }

    /// Charges one SLO, whatever it holds, before it joins the drafts. `at` is where the spec
    /// asks for it (its name, or the objective that makes it) and `path` that field's path.
    /// `false`, with an error the first time, when the run may build no more.
    pub fn slo(&self, slo: &Slo, at: Span, path: &str, diags: &mut Diagnostics) -> bool {
        if self.spent.get() {
            return false;
        }
        if self.slos.get() >= MAX_SLOS {
            return self.exceeded(
                Diagnostic::error(format!("the specs define more than {MAX_SLOS} SLOs, the limit for one run"))
                    .at(at)
                    .field(path)
                    .note("each objective of an SLO, and each item of a Sloth `slos` list, is an SLO of its own")
                    .help("check for a runaway list of objectives or SLOs; generate a catalog this large in parts, one `slo generate` run per folder"),
                diags,
            );
        }
        let bytes = weight(slo);
        if bytes > MAX_MODEL_BYTES - self.model_bytes.get() {
            return self.exceeded(
                Diagnostic::error(format!(
                    "the SLOs hold more than {} MiB, the limit for one run",
                    MAX_MODEL_BYTES >> 20
                ))
                .at(at)
                .field(path)
                .note("each objective of an SLO repeats its indicator, labels and alerting, and the rules repeat them again")
                .help("check for huge label sets, queries or lists of objectives; split the specs into several runs"),
                diags,
            );
        }
        self.slos.set(self.slos.get() + 1);
        self.model_bytes.set(self.model_bytes.get() + bytes);
        true
    }

    fn exceeded(&self, error: Diagnostic, diags: &mut Diagnostics) -> bool {
        if !self.spent.replace(true) {
            diags.push(error);
        }
        false
    }
}

/// The size of a value as the length of its `Debug` text: every string, list and map it holds
/// counts, so the measure keeps up with whatever the model gains, and counting allocates nothing.
fn weight(value: &impl std::fmt::Debug) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = std::fmt::write(&mut count, format_args!("{value:?}"));
    count.0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Native,
    Sloth,
    SlothKubernetes,
    OpenSlo,
    Pyrra,
    SloGenerator,
}

/// Loads every spec under `paths` into a catalog, collecting all problems.
pub fn load(paths: &[PathBuf], options: Options) -> Loaded {
    let mut diagnostics = Diagnostics::default();
    let mut files = Vec::new();
    let mut io_errors = Vec::new();
    for path in paths {
        discover(path, true, &mut files, &mut io_errors);
    }
    let mut texts = Vec::new();
    for path in &files {
        let display = path.to_string_lossy().into_owned();
        match read_bounded(path) {
            Err(e) => io_errors.push(format!("cannot read `{display}`: {e}")),
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => texts.push((display, text)),
                Err(e) => {
                    let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                    let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "`{display}` is not UTF-8 text (invalid byte on line {line})"
                        ))
                        .help("spec files must be UTF-8 YAML"),
                    );
                }
            },
        }
    }
    let mut loaded = load_texts_with(texts, diagnostics, options);
    loaded.io_errors = io_errors;
    loaded.files = files.len();
    loaded
}

/// [`load`] for files given as `(path, text)`, without touching the disk: what tests and fuzzers
/// use to run exactly the loading the CLI runs.
pub fn load_texts(files: &[(String, String)], options: Options) -> Loaded {
    load_texts_with(files.to_vec(), Diagnostics::default(), options)
}

/// Parses and decodes `texts`, adding to the problems already found while reading them.
fn load_texts_with(
    texts: Vec<(String, String)>,
    mut diagnostics: Diagnostics,
    options: Options,
) -> Loaded {
    let mut sources = SourceMap::default();
    let mut aliases = AliasBudget::default();
    let files = texts.len();
    let parsed: Vec<(FileId, Vec<Document>)> = texts
        .into_iter()
        .map(|(path, text)| parse_file(&mut sources, path, text, &mut aliases, &mut diagnostics))
        .collect();
    let documents = parsed.iter().map(|(_, d)| d.len()).sum();
    let (catalog, stubs) = decode_all_with_stubs(&sources, &parsed, options, &mut diagnostics);
    Loaded {
        sources,
        diagnostics,
        catalog,
        io_errors: Vec::new(),
        files,
        documents,
        stubs,
    }
}

/// Adds one file's text to `sources` and parses it; a file without documents is an error.
fn parse_file(
    sources: &mut SourceMap,
    display: String,
    text: String,
    aliases: &mut AliasBudget,
    diagnostics: &mut Diagnostics,
) -> (FileId, Vec<Document>) {
    let id = sources.add(display.clone(), text);
    let before = diagnostics.error_count();
    let docs = yaml::parse_with_budget(id, &sources.file(id).text, aliases, diagnostics);
    if diagnostics.error_count() > before && is_template(&sources.file(id).text) {
        if let Some(error) = diagnostics.last_mut() {
            error.notes.push("the file holds Terraform template directives (`%{...}`): it is a template of a spec, not a spec".into());
            error.help = Some("render the template first (Terraform's `templatefile`, say) and point slokit at the result".into());
        }
    }
    if docs.is_empty() && diagnostics.error_count() == before {
        diagnostics.push(
            Diagnostic::error(format!("`{display}` holds no spec documents"))
                .at(Span::whole_file(id))
                .help("add a spec, or remove the empty file"),
        );
    }
    (id, docs)
}

/// Whether a file that failed to parse is a Terraform template (`%{if ...}` directives on lines
/// of their own), which users keep beside the specs it renders to.
fn is_template(text: &str) -> bool {
    text.lines().any(|line| line.trim_start().starts_with("%{"))
}

/// Decodes already-parsed documents. Separate from [`load`] so tests and fuzzers can feed text.
pub fn decode_all(
    sources: &SourceMap,
    parsed: &[(FileId, Vec<Document>)],
    options: Options,
    diags: &mut Diagnostics,
) -> Catalog {
    decode_all_with_stubs(sources, parsed, options, diags).0
}

/// [`decode_all`], also returning the SLOs that use Sloth plugins slokit cannot run.
fn decode_all_with_stubs(
    sources: &SourceMap,
    parsed: &[(FileId, Vec<Document>)],
    options: Options,
    diags: &mut Diagnostics,
) -> (Catalog, Vec<sloth::PluginStub>) {
    // OpenSLO tools (the Go SDK, `oslo`) also write several objects as one YAML list; each item is
    // read as a document of its own, in file order. A list of slo-generator policy steps is one
    // document: the whole list is the policy.
    let items: Vec<Vec<Document>> = parsed
        .iter()
        .flat_map(|(_, docs)| docs)
        .map(|doc| match &doc.root.kind {
            NodeKind::Seq(nodes) if !slo_generator::is_policy_list(&doc.root) => nodes
                .iter()
                .map(|node| Document {
                    root: node.clone(),
                    index: doc.index,
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut classified = Vec::new();
    let mut lists = items.iter();
    for (_, docs) in parsed {
        let mut foreign = Vec::new();
        let before = classified.len();
        for doc in docs {
            let list = lists.next();
            let expanded = match (&doc.root.kind, list) {
                (NodeKind::Seq(_), Some(list)) if !list.is_empty() => list.iter().collect(),
                _ => vec![doc],
            };
            for doc in expanded {
                match classify(doc, diags) {
                    Classified::Format(format) => classified.push((format, doc)),
                    Classified::Foreign(skipped) => foreign.push(skipped),
                    Classified::Rejected => {}
                }
            }
        }
        // Manifest streams mix SLOs with other Kubernetes objects (an OpenShift `Route` after the
        // Pyrra SLOs, say). Beside recognised specs such an object is skipped with a warning; a
        // file of nothing else is not a spec file at all, which is an error.
        let has_specs = classified.len() > before;
        for skipped in foreign {
            diags.push(if has_specs {
                skipped.warning
            } else {
                skipped.error
            });
        }
    }
    let mut registry = Registry::default();
    for (format, doc) in &classified {
        match format {
            Format::Native => native::register(doc, &mut registry.native, diags),
            Format::SlothKubernetes => sloth::register(doc, &mut registry.sloth, diags),
            Format::OpenSlo => openslo::register(doc, &mut registry.openslo, diags),
            Format::Sloth | Format::Pyrra | Format::SloGenerator => {}
        }
    }
    let mut drafts = Drafts::default();
    for (format, doc) in &classified {
        let input = Doc {
            doc,
            file: sources.path(doc.root.span.file),
            all: &registry,
        };
        match format {
            Format::Native => native::decode(input, &mut drafts, diags),
            Format::Sloth | Format::SlothKubernetes => sloth::decode(input, &mut drafts, diags),
            Format::OpenSlo => openslo::decode(input, &mut drafts, diags),
            Format::Pyrra => pyrra::decode(input, &mut drafts, diags),
            Format::SloGenerator => slo_generator::decode(input, &mut drafts, diags),
        }
    }
    let stubs = std::mem::take(&mut drafts.stubs);
    (assemble(drafts, options, diags), stubs)
}

/// Reads at most one byte more than the YAML size limit, so a huge file costs no more memory or
/// time than a file just over the limit; the parser then reports it as too large.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(yaml::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Files named on the command line are read whatever their extension; inside directories only
/// `.yaml`, `.yml` and `.json` files are, in sorted order so that output never depends on the
/// file system's listing order.
fn discover(path: &Path, explicit: bool, out: &mut Vec<PathBuf>, errors: &mut Vec<String>) {
    let shown = path.to_string_lossy();
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(format!("cannot read `{shown}`: {e}"));
            return;
        }
    };
    if metadata.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(format!("cannot list `{shown}`: {e}"));
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            let hidden = child
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if !hidden {
                discover(&child, false, out, errors);
            }
        }
    } else if explicit
        || matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        )
    {
        out.push(path.to_path_buf());
    }
}

const API_VERSIONS: &[&str] = &[
    "slo.dev/v1",
    "sloth.slok.dev/v1",
    "openslo/v1",
    "openslo/v1alpha",
    "pyrra.dev/v1alpha1",
    "sre.google.com/v2",
];

/// What [`classify`] makes of a document.
enum Classified {
    Format(Format),
    /// A Kubernetes object of a kind slokit does not read: skipped with `warning` beside specs,
    /// `error` in a file of nothing else.
    Foreign(Box<Skipped>),
    /// Not a spec; the error is reported.
    Rejected,
}

struct Skipped {
    warning: Diagnostic,
    error: Diagnostic,
}

/// Recognises a document's format from `apiVersion` (with `kind` where a group is shared), Sloth's
/// `version`, or for slo-generator's files without either, the keys they are made of.
fn classify(doc: &Document, diags: &mut Diagnostics) -> Classified {
    let root = Field::new(&doc.root, "");
    if slo_generator::is_policy_list(&doc.root) {
        return Classified::Format(Format::SloGenerator);
    }
    let NodeKind::Map(_) = &doc.root.kind else {
        diags.push(root.error(format!(
            "expected a spec document (a mapping with `apiVersion`), found a {}",
            doc.root.type_name()
        )));
        return Classified::Rejected;
    };
    let Some(mut map) = Map::new(root, diags) else {
        return Classified::Rejected;
    };
    if let Some(version) = map.get("version") {
        let Some(text) = version.string(diags) else {
            return Classified::Rejected;
        };
        if text == "prometheus/v1" {
            return Classified::Format(Format::Sloth);
        }
        let help = if API_VERSIONS.contains(&text.as_str()) {
            format!("write `apiVersion: {text}`; `version` is Sloth's key, for `prometheus/v1`")
        } else {
            "Sloth specs use `version: prometheus/v1`".to_string()
        };
        diags.push(
            version
                .error(format!("unknown spec version `{text}`"))
                .help(help),
        );
        return Classified::Rejected;
    }
    let Some(api) = map.get("apiVersion") else {
        if slo_generator::is_unversioned(&doc.root) {
            return Classified::Format(Format::SloGenerator);
        }
        let mut d = map.missing("apiVersion").help(
            "start the document with `apiVersion: slo.dev/v1` (or a Sloth, OpenSLO, Pyrra or slo-generator version)",
        );
        if ["errorQuery", "totalQuery", "objective"]
            .iter()
            .all(|k| map.has(k))
        {
            d = d.note("this looks like one SLO of a Sloth spec cut out for a template engine (Helm, say); slokit reads the rendered spec, `version: prometheus/v1` with a `slos` list");
        }
        diags.push(d);
        return Classified::Rejected;
    };
    let Some(text) = api.string(diags) else {
        return Classified::Rejected;
    };
    let kind = map
        .get("kind")
        .and_then(|k| k.scalar().map(|s| s.text.clone()));
    match (text.as_str(), kind.as_deref()) {
        ("slo.dev/v1", _) => Classified::Format(Format::Native),
        ("sloth.slok.dev/v1", _) => Classified::Format(Format::SlothKubernetes),
        // `openslo.com/v1` is how the osko operator's custom resources spell `openslo/v1`.
        ("openslo/v1" | "openslo.com/v1" | "openslo/v1alpha", _) => {
            Classified::Format(Format::OpenSlo)
        }
        ("pyrra.dev/v1alpha1", _) => Classified::Format(Format::Pyrra),
        // Some Pyrra users write the version without its group; the kind says what it is.
        ("v1alpha1", Some("ServiceLevelObjective")) => Classified::Format(Format::Pyrra),
        ("sre.google.com/v2", _) => Classified::Format(Format::SloGenerator),
        // The layout slo-generator's Kubernetes prototype used before `sre.google.com/v2`.
        ("cloud.google.com/v1", Some("ServiceLevelObjective")) => {
            Classified::Format(Format::SloGenerator)
        }
        ("v1", Some("ConfigMap")) if slo_generator::is_config_map(&doc.root) => {
            Classified::Format(Format::SloGenerator)
        }
        ("openslo/v2alpha" | "openslo.com/v2alpha", _) => {
            diags.push(
                api.error("OpenSLO `v2alpha` is not supported")
                    .help("write the spec as `openslo/v1`; v2alpha is still a draft"),
            );
            Classified::Rejected
        }
        (_, Some(kind)) if did_you_mean(&text, API_VERSIONS.iter().copied()).is_none() => {
            let what = format!("`{kind}` (`{text}`)");
            Classified::Foreign(Box::new(Skipped {
                warning: api
                    .warning(format!("skipped {what}: it is not an SLO spec"))
                    .note("slokit reads slokit, Sloth, OpenSLO, Pyrra and slo-generator specs; other Kubernetes objects in the same stream are left alone"),
                error: api
                    .error(format!("unknown `apiVersion` `{text}`"))
                    .note(format!("{what} is not an SLO spec"))
                    .help(format!(
                        "supported: {}",
                        crate::load::decode::backticked(API_VERSIONS)
                    )),
            }))
        }
        _ => {
            let mut d = api.error(format!("unknown `apiVersion` `{text}`"));
            d = d.help_did_you_mean(&text, API_VERSIONS.iter().copied(), || {
                format!(
                    "supported: {}",
                    crate::load::decode::backticked(API_VERSIONS)
                )
            });
            diags.push(d);
            Classified::Rejected
        }
    }
}

/// The `kind` field every Kubernetes-style document has, checked against the kinds a format knows.
pub fn kind<'a>(
    map: &mut Map<'a>,
    known: &[&'static str],
    diags: &mut Diagnostics,
) -> Option<(String, Field<'a>)> {
    let field = map.required("kind", diags)?;
    let text = field.string(diags)?;
    if known.contains(&text.as_str()) {
        return Some((text, field));
    }
    let mut d = field.error(format!("unknown kind `{text}`"));
    d = d.help_did_you_mean(&text, known.iter().copied(), || {
        format!("expected one of {}", crate::load::decode::backticked(known))
    });
    diags.push(d);
    None
}

/// Kubernetes-style `metadata`: name, plus labels and annotations kept as descriptive labels.
pub struct Metadata {
    pub name: String,
    pub name_span: Span,
    pub display_name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub namespace: Option<String>,
}

pub fn metadata(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Metadata> {
    let field = map.required("metadata", diags)?;
    let mut meta = field.map(diags)?;
    let name_field = meta.required("name", diags);
    let name = name_field.as_ref().and_then(|f| f.non_empty(diags));
    let display_name = meta.get("displayName").and_then(|f| f.string(diags));
    let namespace = meta.get("namespace").and_then(|f| f.string(diags));
    let labels = common::optional_labels(&mut meta, "labels", diags);
    meta.ignore(&[
        "annotations",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
    ]);
    meta.finish(diags);
    let name_field = name_field?;
    Some(Metadata {
        name: name?,
        name_span: name_field.span(),
        display_name,
        labels,
        namespace,
    })
}

/// Loads in-memory files for unit tests: the rendered diagnostics and the catalog.
#[cfg(test)]
pub(crate) fn test_load(files: &[(&str, &str)]) -> (String, Catalog) {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let mut parsed = Vec::new();
    for (path, text) in files {
        let id = sources.add(*path, *text);
        let docs = yaml::parse(id, text, &mut diags);
        parsed.push((id, docs));
    }
    let today = Date {
        year: 2026,
        month: 11,
        day: 1,
    };
    let catalog = decode_all(&sources, &parsed, Options { today }, &mut diags);
    (diags.render(&sources), catalog)
}
