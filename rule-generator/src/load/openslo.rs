//! OpenSLO specs: `openslo/v1` (kinds `SLO`, `SLI`, `Service`, `DataSource`, `AlertPolicy`,
//! `AlertCondition`, `AlertNotificationTarget`) and `openslo/v1alpha` (`SLO`, `Service`, the
//! version Sloth reads). Named SLIs, alert policies, alert conditions and data sources are
//! registered in the first pass, so an SLO may refer to one defined in any file; every document is
//! validated in the second pass, whether or not an SLO uses it.
//!
//! What slokit supports: Prometheus metric sources, `Occurrences` budgeting, one rolling time
//! window, and burn-rate alert conditions. Everything else (other metric sources, time-slice
//! budgeting, calendar windows) is an error that says so, never a silent drop. Each objective of an
//! SLO becomes an SLO of its own, since objectives may use different indicators.

use super::{common, Budget, Drafts, Registry as All, SloDraft};
use crate::conventions::DEFAULT_PERIOD;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::duration::Duration;
use crate::load::decode::{backticked, Field, Map};
use crate::load::source::Span;
use crate::load::yaml::{Document, Node, NodeKind};
use crate::model::{
    AlertTier, Alerting, BurnWindow, Comparison, Counted, EventSource, Indicator, Origin,
    RatioIndicator, Review, Selector, Slo, SpecFormat, ThresholdIndicator, WindowQuery,
};
use crate::promql;
use std::collections::BTreeMap;

const V1_KINDS: &[&str] = &[
    "SLO",
    "SLI",
    "Service",
    "DataSource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
];
const V1ALPHA_KINDS: &[&str] = &["SLO", "Service"];

/// Named objects other documents refer to, from the first pass. Each holds the object's `spec`.
#[derive(Default)]
pub struct Registry<'a> {
    slis: BTreeMap<String, Named<'a>>,
    policies: BTreeMap<String, Named<'a>>,
    conditions: BTreeMap<String, Named<'a>>,
    data_sources: BTreeMap<String, Named<'a>>,
}

struct Named<'a> {
    spec: Option<&'a Node>,
    name_span: Span,
    /// What a reference to it costs: each one decodes a copy (see [`Budget`]).
    weight: usize,
}

/// The value of `key` in a mapping node, without reporting anything.
fn entry<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text(node: Option<&Node>) -> Option<&str> {
    match &node?.kind {
        NodeKind::Scalar(s) => Some(s.text.as_str()),
        _ => None,
    }
}

/// The first pass records named v1 objects. It reports only duplicates; everything else about the
/// documents is checked in the second pass.
pub fn register<'a>(doc: &'a Document, reg: &mut Registry<'a>, diags: &mut Diagnostics) {
    let root = &doc.root;
    if text(entry(root, "apiVersion")) != Some("openslo/v1") {
        return;
    }
    let Some(name_node) = entry(root, "metadata").and_then(|m| entry(m, "name")) else {
        return;
    };
    let Some(name) = text(Some(name_node)).filter(|n| !n.trim().is_empty()) else {
        return;
    };
    let kind = text(entry(root, "kind")).unwrap_or_default();
    let table = match kind {
        "SLI" => &mut reg.slis,
        "AlertPolicy" => &mut reg.policies,
        "AlertCondition" => &mut reg.conditions,
        "DataSource" => &mut reg.data_sources,
        _ => return,
    };
    if let Some(first) = table.get(name) {
        diags.push(
            Diagnostic::error(format!("{kind} `{name}` is defined twice"))
                .at(name_node.span)
                .field("metadata.name")
                .note_at("first defined", first.name_span)
                .help("references would be ambiguous; rename or remove one"),
        );
        return;
    }
    table.insert(
        name.to_string(),
        Named {
            spec: entry(root, "spec"),
            name_span: name_node.span,
            weight: entry(root, "spec").map_or(1, Node::weight),
        },
    );
}

/// OpenSLO metadata. Label values may be lists (`team: [a, b]`); they are joined with commas.
struct Meta {
    name: Option<String>,
    display_name: Option<String>,
    labels: BTreeMap<String, String>,
}

/// With `slo_name`, the name must also be usable in file names, as SLO names are.
fn metadata(field: &Field<'_>, slo_name: bool, diags: &mut Diagnostics) -> Meta {
    let mut meta = Meta {
        name: None,
        display_name: None,
        labels: BTreeMap::new(),
    };
    let Some(mut map) = field.map(diags) else {
        return meta;
    };
    if let Some(f) = map.required("name", diags) {
        meta.name = f
            .non_empty(diags)
            .filter(|name| !slo_name || common::check_file_safe_name(&f, name, "SLO", diags));
    }
    meta.display_name = map.get("displayName").and_then(|f| f.string(diags));
    if let Some(f) = map.get("labels") {
        meta.labels = labels(&f, diags);
    }
    if let Some(f) = map.get("annotations") {
        f.string_map(diags);
    }
    map.finish(diags);
    meta
}

fn labels(field: &Field<'_>, diags: &mut Diagnostics) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let NodeKind::Map(entries) = &field.node.kind else {
        if !matches!(field.node.kind, NodeKind::Null) {
            diags.push(field.error(format!(
                "expected a mapping of label names to values, found a {}",
                field.node.type_name()
            )));
        }
        return out;
    };
    for (key, value) in entries {
        let path = crate::load::decode::join(&field.path, &key.name);
        let value_field = Field::new(value, &path);
        let value = match &value.kind {
            NodeKind::Seq(_) => value_field.strings(diags).join(","),
            _ => match value_field.string(diags) {
                Some(v) => v,
                None => continue,
            },
        };
        // OpenSLO allows any label key, Kubernetes style ones included; only names Prometheus
        // accepts can become labels, and dropping the others is safe because labels only describe.
        if !promql::is_label_name(&key.name) {
            diags.push(
                Diagnostic::warning(format!(
                    "label `{}` is not a valid Prometheus label name and is left out",
                    key.name
                ))
                .at(key.span)
                .field(&path)
                .help("label names match `[a-zA-Z_][a-zA-Z0-9_]*`"),
            );
            continue;
        }
        if common::check_label_name(&key.name, key.span, &path, diags) {
            out.insert(key.name.clone(), value);
        }
    }
    out
}

/// The second pass: every document is decoded and checked; SLOs become drafts.
pub fn decode(
    doc: &Document,
    file: &str,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let reg = &all.openslo;
    let Some(mut root) = Field::new(&doc.root, "").map(diags) else {
        return;
    };
    let v1 = root
        .get("apiVersion")
        .and_then(|f| f.string(diags))
        .is_some_and(|v| v == "openslo/v1");
    let kinds = if v1 { V1_KINDS } else { V1ALPHA_KINDS };
    let Some((kind, _)) = super::kind(&mut root, kinds, diags) else {
        return;
    };
    let meta = match root.required("metadata", diags) {
        Some(f) => metadata(&f, kind == "SLO", diags),
        None => metadata(
            &Field::new(&doc.root, "metadata"),
            false,
            &mut Diagnostics::default(),
        ),
    };
    // A `Service` may be just a name; every other kind needs its `spec`.
    let spec = if kind == "Service" {
        root.get("spec")
    } else {
        root.required("spec", diags)
    };
    root.finish(diags);
    let Some(spec) = spec else {
        return;
    };
    let context = Context {
        v1,
        reg,
        budget: &all.budget,
    };
    match kind.as_str() {
        "SLO" => slo(&spec, meta, &context, file, doc.root.span, drafts, diags),
        "SLI" => {
            sli_spec(&spec, &context, diags);
        }
        "AlertPolicy" => {
            if let Some(conditions) = policy_spec(&spec, &context, diags) {
                warn_unusable(&conditions, diags);
            }
        }
        "AlertCondition" => {
            if let Some(condition) = condition_spec(&spec, diags) {
                warn_unusable(&[condition], diags);
            }
        }
        "Service" => simple_spec(&spec, &[], diags),
        "DataSource" => simple_spec(&spec, &["type"], diags),
        "AlertNotificationTarget" => simple_spec(&spec, &["target"], diags),
        _ => {}
    }
}

/// Kinds slokit only checks for shape: a description, required strings, and (for data sources)
/// connection details, which slokit never uses because it connects to nothing.
fn simple_spec(field: &Field<'_>, required: &[&'static str], diags: &mut Diagnostics) {
    let Some(mut map) = field.map(diags) else {
        return;
    };
    if let Some(f) = map.get("description") {
        f.string(diags);
    }
    for key in required {
        if let Some(f) = map.required(key, diags) {
            f.non_empty(diags);
        }
    }
    if required.contains(&"type") {
        map.ignore(&["connectionDetails"]);
    }
    map.finish(diags);
}

struct Context<'r, 'a> {
    v1: bool,
    reg: &'r Registry<'a>,
    budget: &'r Budget,
}

/// An indicator as an SLI defines it, with the grouping labels its Prometheus sources name in
/// `dimensions`.
#[derive(Clone)]
struct Sli {
    kind: SliKind,
    group_by: Vec<String>,
}

/// Thresholds get their bound from the objective.
#[derive(Clone)]
enum SliKind {
    Ratio(RatioIndicator),
    Raw(WindowQuery),
    Threshold(Selector),
}

/// A v1 SLI `spec`: exactly one of `ratioMetric` and `thresholdMetric`.
fn sli_spec(field: &Field<'_>, context: &Context<'_, '_>, diags: &mut Diagnostics) -> Option<Sli> {
    let mut map = field.map(diags)?;
    if let Some(f) = map.get("description") {
        f.string(diags);
    }
    let ratio = map.get("ratioMetric");
    let threshold = map.get("thresholdMetric");
    map.finish(diags);
    match (ratio, threshold) {
        (Some(ratio), None) => ratio_metric(&ratio, context, diags),
        (None, Some(threshold)) => {
            let mut dims = None;
            let query = metric_source(&threshold, context, &mut dims, diags)?;
            threshold_selector(&query, diags).map(|kind| Sli {
                kind,
                group_by: dims.unwrap_or_default(),
            })
        }
        (Some(_), Some(_)) => {
            diags.push(
                field
                    .error("an SLI has either `ratioMetric` or `thresholdMetric`, not both")
                    .help("keep one"),
            );
            None
        }
        (None, None) => {
            diags.push(
                field
                    .error("the SLI defines neither `ratioMetric` nor `thresholdMetric`")
                    .help("add `ratioMetric:` with `good` (or `bad`) and `total` metric sources"),
            );
            None
        }
    }
}

fn ratio_metric(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
    let mut map = field.map(diags)?;
    let counter = map
        .get("counter")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(false);
    let good = map.get("good");
    let bad = map.get("bad");
    let total = map.get("total");
    let raw = map.get("raw");
    let raw_type = map.get("rawType");
    map.finish(diags);
    if let Some(raw) = raw {
        if good.is_some() || bad.is_some() || total.is_some() {
            diags.push(
                raw.error("`raw` cannot be combined with `good`, `bad` or `total`")
                    .help("keep either the precomputed ratio or the two event sources"),
            );
            return None;
        }
        let Some(raw_type) = raw_type else {
            diags.push(map_missing(
                field,
                "rawType",
                "add `rawType: success` or `rawType: failure`",
            ));
            return None;
        };
        let success = match raw_type.string(diags)?.as_str() {
            "success" => true,
            "failure" => false,
            other => {
                diags.push(
                    raw_type
                        .error(format!("unknown `rawType` `{other}`"))
                        .help("use `success` (good/total) or `failure` (bad/total)"),
                );
                return None;
            }
        };
        let mut dims = None;
        let query = metric_source(&raw, context, &mut dims, diags)?;
        let ratio = common::window_query(&query, diags)?;
        diags.push(
            raw.warning("a `raw` ratio's long windows are averages of its 5m ratios, not exact ratios")
                .note("an average of ratios weighs a quiet minute as much as a busy one, so long windows drift from the true error ratio when traffic is uneven")
                .help("if the ratio comes from two counters, use `good` (or `bad`) and `total` instead"),
        );
        // slokit records error ratios; a success ratio is turned around.
        let error_ratio = if success {
            WindowQuery {
                template: format!("1 - (\n{}\n)", ratio.template),
            }
        } else {
            ratio
        };
        return Some(Sli {
            kind: SliKind::Raw(error_ratio),
            group_by: dims.unwrap_or_default(),
        });
    }
    if let Some(raw_type) = &raw_type {
        diags.push(
            raw_type
                .warning("`rawType` only applies to `raw` ratios and is ignored")
                .help("remove it"),
        );
    }
    let (counts, numerator) = match (good, bad) {
        (Some(good), None) => (Counted::Good, good),
        (None, Some(bad)) => (Counted::Bad, bad),
        (Some(_), Some(bad)) => {
            diags.push(
                bad.error("a ratio has either `good` or `bad`, not both")
                    .help("keep one; slokit derives the other from `total`"),
            );
            return None;
        }
        (None, None) => {
            diags.push(map_missing(
                field,
                "good",
                "add `good:` (or `bad:`) and `total:` metric sources, or `raw:`",
            ));
            return None;
        }
    };
    let Some(total) = total else {
        diags.push(map_missing(
            field,
            "total",
            "add `total:` with the metric source of all events",
        ));
        return None;
    };
    let mut dims = None;
    let numerator = metric_source(&numerator, context, &mut dims, diags)
        .and_then(|q| event_source(&q, counter, diags));
    let total = metric_source(&total, context, &mut dims, diags)
        .and_then(|q| event_source(&q, counter, diags));
    Some(Sli {
        kind: SliKind::Ratio(RatioIndicator {
            counts,
            numerator: numerator?,
            total: total?,
        }),
        group_by: dims.unwrap_or_default(),
    })
}

fn map_missing(field: &Field<'_>, key: &str, help: &str) -> Diagnostic {
    let at = Span::on_line(field.node.span.file, field.node.span.start, 1);
    Diagnostic::error(format!("missing required field `{key}`"))
        .at(at)
        .field(&field.path)
        .help(help)
}

/// A `{metricSource: {metricSourceRef?, type?, spec: {query, dimensions?}}}` wrapper: the
/// Prometheus query. `dimensions` (the labels to group by) must agree between the sources of one
/// SLI; the first source's are kept in `dims`.
fn metric_source<'a>(
    field: &Field<'a>,
    context: &Context<'_, '_>,
    dims: &mut Option<Vec<String>>,
    diags: &mut Diagnostics,
) -> Option<Field<'a>> {
    let mut wrapper = field.map(diags)?;
    let source = wrapper.required("metricSource", diags);
    wrapper.finish(diags);
    let source = source?;
    let mut map = source.map(diags)?;
    let reference = map.get("metricSourceRef");
    let type_field = map.get("type");
    let spec = map.required("spec", diags);
    map.finish(diags);
    let source_type = match (&type_field, &reference) {
        (Some(t), _) => t.non_empty(diags)?,
        (None, Some(r)) => {
            let ds = lookup(
                r,
                &context.reg.data_sources,
                "data source",
                "DataSource",
                diags,
            )?;
            ds.spec
                .and_then(|s| text(entry(s, "type")))
                .unwrap_or_default()
                .to_string()
        }
        (None, None) => {
            diags.push(
                source
                    .error("the metric source names no type")
                    .help("add `type: Prometheus`"),
            );
            return None;
        }
    };
    if !source_type.eq_ignore_ascii_case("prometheus") {
        let at = type_field
            .as_ref()
            .or(reference.as_ref())
            .unwrap_or(&source);
        diags.push(
            at.error(format!("metric source type `{source_type}` is not supported"))
                .note("slokit generates Prometheus recording rules, so it can only read Prometheus metrics")
                .help("use a `type: Prometheus` source with a PromQL `query`"),
        );
        return None;
    }
    let mut spec = spec?.map(diags)?;
    let query = spec.required("query", diags);
    let dimensions = spec.get("dimensions");
    spec.finish(diags);
    let these = dimensions
        .map(|f| group_labels(&f, diags))
        .unwrap_or_default();
    match dims {
        None => *dims = Some(these),
        Some(first) if *first != these => {
            diags.push(
                field
                    .error("the metric sources of one SLI group by different `dimensions`")
                    .note(format!("the first source groups by [{}]", first.join(", ")))
                    .help("give every source of the SLI the same `dimensions`"),
            );
            return None;
        }
        Some(_) => {}
    }
    query
}

/// `dimensions`: label names the SLO is split by.
fn group_labels(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<String> {
    let mut out = Vec::new();
    for item in field.list(diags) {
        let Some(name) = item.string(diags) else {
            continue;
        };
        if common::check_label_name(&name, item.span(), &item.path, diags) {
            out.push(name);
        }
    }
    out
}

/// A v1alpha source: `{source: prometheus, queryType: promql, query}`.
fn alpha_source<'a>(field: &Field<'a>, diags: &mut Diagnostics) -> Option<Field<'a>> {
    let mut map = field.map(diags)?;
    let source = map.required("source", diags);
    if let Some(f) = map.get("queryType") {
        f.string(diags);
    }
    let query = map.required("query", diags);
    map.ignore(&["metadata"]);
    map.finish(diags);
    let source_field = source?;
    let source = source_field.non_empty(diags)?;
    if !source.eq_ignore_ascii_case("prometheus") {
        diags.push(
            source_field
                .error(format!("metric source `{source}` is not supported"))
                .note("slokit generates Prometheus recording rules, so it can only read Prometheus metrics")
                .help("use `source: prometheus` with a PromQL `query`"),
        );
        return None;
    }
    query
}

/// With `counter: true` the query names a counter, which slokit rates itself; otherwise it is an
/// event-rate expression over `{{.window}}`, as Sloth reads OpenSLO queries.
fn event_source(query: &Field<'_>, counter: bool, diags: &mut Diagnostics) -> Option<EventSource> {
    if counter {
        let text = query.non_empty(diags)?;
        return match counter_selector(text.trim()) {
            Ok(selector) => Some(EventSource::Counter(selector)),
            Err(e) => {
                diags.push(
                    query
                        .error("with `counter: true` the query must be a plain counter selector")
                        .note(e)
                        .help("write the counter as `metric{label=\"value\"}`, or set `counter: false` and write an event-rate query over `{{.window}}`"),
                );
                None
            }
        };
    }
    let template = common::window_query(query, diags)?;
    if !promql::has_window(&template.template) {
        diags.push(
            query
                .warning("the query has no `{{.window}}` placeholder, so every window reads the same instant value")
                .help("write an event rate such as `sum(rate(metric[{{.window}}]))`, or set `counter: true` and select the counter"),
        );
    }
    Some(EventSource::Query(template))
}

/// A counter selector, optionally wrapped in a plain `sum(...)` as OpenSLO's own examples write
/// them: slokit sums the counter's rate anyway, so the wrapper changes nothing.
fn counter_selector(text: &str) -> Result<Selector, String> {
    let inner = text
        .strip_prefix("sum(")
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|inner| promql::parse_selector(inner.trim()).ok());
    match inner {
        Some(selector) => Ok(selector),
        None => promql::parse_selector(text),
    }
}

fn threshold_selector(query: &Field<'_>, diags: &mut Diagnostics) -> Option<SliKind> {
    let text = query.non_empty(diags)?;
    match promql::parse_selector(text.trim()) {
        Ok(selector) => Some(SliKind::Threshold(selector)),
        Err(e) => {
            diags.push(
                query
                    .error("a `thresholdMetric` query must be a plain gauge selector")
                    .note(e)
                    .note("slokit compares the gauge with the objective's `op` and `value` in every 5m slice")
                    .help("record the expression with a recording rule and select the recorded series"),
            );
            None
        }
    }
}

fn unknown_reference<'k>(
    field: &Field<'_>,
    what: &str,
    name: &str,
    known: impl Iterator<Item = &'k String>,
    kind: &str,
) -> Diagnostic {
    // Enough to tell that there are too many to suggest from, without collecting thousands.
    let known: Vec<&str> = known
        .take(crate::diag::MAX_CANDIDATES + 1)
        .map(String::as_str)
        .collect();
    let d = field.error(format!("unknown {what} `{name}`"));
    match did_you_mean(name, known.iter().copied()) {
        Some(best) => d.help(format!("did you mean `{best}`?")),
        None => d.help(format!("define it in a document of `kind: {kind}`")),
    }
}

/// The document a `...Ref` field names, or an unknown-reference error with a suggestion.
fn lookup<'t, 'a>(
    field: &Field<'_>,
    table: &'t BTreeMap<String, Named<'a>>,
    what: &str,
    kind: &str,
    diags: &mut Diagnostics,
) -> Option<&'t Named<'a>> {
    let name = field.non_empty(diags)?;
    let found = table.get(&name);
    if found.is_none() {
        diags.push(unknown_reference(field, what, &name, table.keys(), kind));
    }
    found
}

/// Decodes a referenced document's `spec` without reporting: the document reports its own
/// problems where it is written, and a reference to a broken document is simply left out.
fn quietly<T>(
    named: &Named<'_>,
    decode: impl FnOnce(&Field<'_>, &mut Diagnostics) -> Option<T>,
) -> Option<T> {
    let mut quiet = Diagnostics::default();
    let value = decode(&Field::new(named.spec?, "spec"), &mut quiet);
    if quiet.has_errors() {
        return None;
    }
    value
}

/// An alert condition as slokit uses it.
#[derive(Clone)]
struct Condition {
    severity: String,
    /// `gt` and `gte` fire on fast burns; `lt` and `lte` cannot be generated.
    op: Option<(String, Span, String)>,
    threshold: f64,
    lookback: Duration,
    alert_after: Option<Duration>,
}

/// An `AlertCondition` spec: `{severity, condition: {kind: burnrate, op, threshold, lookbackWindow,
/// alertAfter}}`.
fn condition_spec(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Condition> {
    let mut map = field.map(diags)?;
    if let Some(f) = map.get("description") {
        f.string(diags);
    }
    let severity = map
        .required("severity", diags)
        .and_then(|f| f.non_empty(diags));
    let condition = map.required("condition", diags);
    map.finish(diags);
    let mut map = condition?.map(diags)?;
    let kind = map.required("kind", diags);
    let op = map.required("op", diags);
    let threshold = map.required("threshold", diags);
    let lookback = map.required("lookbackWindow", diags);
    let alert_after = map.get("alertAfter");
    map.finish(diags);
    let kind_field = kind?;
    let kind = kind_field.string(diags)?;
    if kind != "burnrate" {
        diags.push(
            kind_field
                .error(format!("alert condition kind `{kind}` is not supported"))
                .help("use `kind: burnrate`"),
        );
        return None;
    }
    let op = op.and_then(|f| {
        let text = f.string(diags)?;
        if !matches!(text.as_str(), "gt" | "gte" | "lt" | "lte") {
            diags.push(f.error(format!("unknown `op` `{text}`")).help(
                "use `gt` or `gte`: the alert fires when the burn rate is above the threshold",
            ));
            return None;
        }
        Some((text, f.span(), f.path.clone()))
    });
    let threshold_field = threshold?;
    let threshold = threshold_field.number(diags)?;
    if threshold <= 0.0 {
        diags.push(threshold_field.error(format!(
            "burn-rate threshold `{}` must be above 0",
            common::trim_float(threshold)
        )));
        return None;
    }
    let lookback = common::duration(&lookback?, diags)?;
    let alert_after = match alert_after {
        Some(f) => Some(common::duration(&f, diags)?),
        None => None,
    };
    Some(Condition {
        severity: severity?,
        op: Some(op?),
        threshold,
        lookback,
        alert_after,
    })
}

fn low_op(condition: &Condition) -> Option<(&str, Span, &str)> {
    condition
        .op
        .as_ref()
        .filter(|(op, _, _)| op.starts_with("lt"))
        .map(|(op, span, path)| (op.as_str(), *span, path.as_str()))
}

/// A condition that fires on a *low* burn rate is valid OpenSLO but cannot become a burn-rate
/// alert. Unused, it is only a warning; an SLO that uses it gets an error.
fn warn_unusable(conditions: &[Condition], diags: &mut Diagnostics) {
    for condition in conditions {
        if let Some((op, span, path)) = low_op(condition) {
            diags.push(
                Diagnostic::warning(format!(
                    "a burn-rate condition with `op: {op}` fires when the budget burns slowly; slokit cannot alert on it"
                ))
                .at(span)
                .field(path)
                .note("SLOs that use this condition fail to load")
                .help("use `op: gt` to alert when the burn rate exceeds the threshold"),
            );
        }
    }
}

/// An `AlertPolicy` spec: its conditions, inline or by `conditionRef`.
fn policy_spec(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Vec<Condition>> {
    let mut map = field.map(diags)?;
    if let Some(f) = map.get("description") {
        f.string(diags);
    }
    for key in ["alertWhenResolved", "alertWhenBreaching"] {
        if let Some(f) = map.get(key) {
            f.boolean(diags);
        }
    }
    if let Some(f) = map.get("alertWhenNoData") {
        if f.boolean(diags) == Some(true) {
            diags.push(
                f.warning("`alertWhenNoData` is not supported and is ignored")
                    .help("after converting to `slo.dev/v1`, set `alerting.noData` to the time without data that should alert"),
            );
        }
    }
    // Notification routing belongs to Alertmanager; slokit's alerts carry the severity to route on.
    map.ignore(&["notificationTargets"]);
    let conditions = map.required("conditions", diags);
    map.finish(diags);
    let conditions = conditions?;
    let items = conditions.list(diags);
    if items.is_empty() {
        diags.push(
            conditions
                .error("an alert policy needs at least one condition")
                .help("add a `conditionRef` or an inline `AlertCondition`"),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut failed = false;
    for item in items {
        match condition_item(&item, context, diags) {
            Some(c) => out.push(c),
            None => failed = true,
        }
    }
    (!failed).then_some(out)
}

/// `{conditionRef: name}` or an inline `{kind: AlertCondition, metadata, spec}`.
fn condition_item(
    item: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Condition> {
    let mut map = item.map(diags)?;
    if let Some(reference) = map.get("conditionRef") {
        map.finish(diags);
        let named = lookup(
            &reference,
            &context.reg.conditions,
            "alert condition",
            "AlertCondition",
            diags,
        )?;
        if !context.budget.copy(named.weight, &reference, diags) {
            return None;
        }
        // The condition's own document reports its problems; here they would be repeats. Unlike
        // SLIs and policies, a condition with problems is still used for what could be read.
        let spec = named.spec?;
        return condition_spec(&Field::new(spec, "spec"), &mut Diagnostics::default());
    }
    let spec = inline_object(&mut map, "AlertCondition", diags);
    map.finish(diags);
    condition_spec(&spec?, diags)
}

/// An inline object: `kind` (optional, but it must match), `metadata`, `spec`.
fn inline_object<'a>(
    map: &mut Map<'a>,
    kind: &'static str,
    diags: &mut Diagnostics,
) -> Option<Field<'a>> {
    if let Some(f) = map.get("kind") {
        let text = f.string(diags)?;
        if text != kind {
            diags.push(f.error(format!("expected `kind: {kind}`, found `{text}`")));
            return None;
        }
    }
    map.ignore(&["apiVersion"]);
    if let Some(meta) = map.get("metadata") {
        metadata(&meta, false, diags);
    }
    map.required("spec", diags)
}

fn slo(
    spec: &Field<'_>,
    meta: Meta,
    context: &Context<'_, '_>,
    file: &str,
    doc_span: Span,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let Some(mut map) = spec.map(diags) else {
        return;
    };
    let name = meta.name.clone();
    let description = map.get("description").and_then(|f| f.string(diags));
    let service = map.required("service", diags).and_then(|f| {
        let name = f.non_empty(diags)?;
        common::check_file_safe_name(&f, &name, "service", diags).then_some(name)
    });
    // The SLO's own indicator: `None` when absent, `Some(None)` when present but broken.
    let indicator = slo_indicator(&mut map, context, diags);
    let period = if context.v1 {
        map.get("timeWindow").map(|f| time_window(&f, diags))
    } else {
        map.get("timeWindows")
            .map(|f| time_windows_alpha(&f, diags))
    };
    let budgeting = map
        .required("budgetingMethod", diags)
        .and_then(|f| budgeting_method(&f, diags));
    let objectives = map.required("objectives", diags);
    let alerting_field = if context.v1 {
        map.get("alertPolicies")
    } else {
        None
    };
    map.finish(diags);

    let period = match period {
        Some(p) => p,
        None => Some(DEFAULT_PERIOD),
    };
    let alerting = match (&alerting_field, period) {
        (Some(f), Some(period)) => alert_policies(f, context, period, diags),
        (None, Some(period)) => Some(default_alerting(period)),
        (_, None) => None,
    };
    let Some(objectives) = objectives else {
        return;
    };
    let items = objectives.list(diags);
    if items.is_empty() {
        diags.push(
            objectives
                .error("an SLO needs at least one objective")
                .help("add `- target: 0.999`"),
        );
        return;
    }
    let several = items.len() > 1;
    let mut seen_names: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(objective) = objective(item, &indicator, budgeting.is_some(), context, diags)
        else {
            continue;
        };
        // Checked before the clones below: with thousands of objectives, cloning a large
        // `alerting` for each only to drop it would cost more than the budget ever allows.
        if name.is_none() || service.is_none() || alerting.is_none() {
            continue;
        }
        let (Some(name), Some(service), Some(period), Some(alerting), Some(())) = (
            name.clone(),
            service.clone(),
            period,
            alerting.clone(),
            budgeting,
        ) else {
            continue;
        };
        let slo_name = if several {
            let suffix = objective
                .display_name
                .as_deref()
                .map(slug)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| index.to_string());
            format!("{name}-{suffix}")
        } else {
            name
        };
        if several && seen_names.contains(&slo_name) {
            diags.push(
                item.error(format!(
                    "objective name `{slo_name}` is used twice in this SLO"
                ))
                .help("give the objectives distinct `displayName`s"),
            );
            continue;
        }
        seen_names.push(slo_name.clone());
        let span = if several { item.span() } else { doc_span };
        let mut labels = meta.labels.clone();
        let owner = labels.remove("owner");
        let tier = labels.remove("tier");
        common::check_tiers(&alerting.tiers, objective.target, span, &item.path, diags);
        let slo = Slo {
            name: slo_name,
            product: String::new(),
            service,
            display_name: if several {
                objective.display_name.or_else(|| meta.display_name.clone())
            } else {
                meta.display_name.clone()
            },
            description: description.clone(),
            objective: objective.target,
            period,
            indicator: objective.indicator,
            group_by: objective.group_by,
            labels,
            owner,
            tier,
            alerting,
            phases: None,
            review: Review::default(),
            origin: Origin {
                file: file.to_string(),
                line: span.start.line,
                format: SpecFormat::OpenSlo,
            },
        };
        if !context.budget.slo(&slo, span, &item.path, diags) {
            return;
        }
        drafts.slos.push(SloDraft {
            slo,
            product: None,
            span,
        });
    }
}

/// `Good experience` → `good-experience`, for SLO names made from objective names.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The SLO-level indicator: v1 `indicator` (inline `{metadata, spec}`) or `indicatorRef`, v1alpha
/// `indicator: {thresholdMetric}`.
fn slo_indicator(
    map: &mut Map<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Option<Sli>> {
    if !context.v1 {
        let field = map.get("indicator")?;
        return Some(alpha_indicator(&field, diags));
    }
    let inline = map.get("indicator");
    let reference = map.get("indicatorRef");
    match (inline, reference) {
        (Some(inline), None) => Some(inline_indicator(&inline, context, diags)),
        (None, Some(reference)) => Some(indicator_ref(&reference, context, diags)),
        (Some(_), Some(reference)) => {
            diags.push(
                reference
                    .error("an SLO has either `indicator` or `indicatorRef`, not both")
                    .help("keep one"),
            );
            Some(None)
        }
        (None, None) => None,
    }
}

fn inline_indicator(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
    let mut map = field.map(diags)?;
    let spec = inline_object(&mut map, "SLI", diags);
    map.finish(diags);
    sli_spec(&spec?, context, diags)
}

fn indicator_ref(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
    let named = lookup(field, &context.reg.slis, "SLI", "SLI", diags)?;
    if !context.budget.copy(named.weight, field, diags) {
        return None;
    }
    quietly(named, |spec, quiet| sli_spec(spec, context, quiet))
}

fn alpha_indicator(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Sli> {
    let mut map = field.map(diags)?;
    let threshold = map.required("thresholdMetric", diags);
    map.ignore(&["metadata"]);
    map.finish(diags);
    let query = alpha_source(&threshold?, diags)?;
    threshold_selector(&query, diags).map(|kind| Sli {
        kind,
        group_by: Vec::new(),
    })
}

fn alpha_ratio(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Sli> {
    let mut map = field.map(diags)?;
    let incremental = map.get("incremental").and_then(|f| f.boolean(diags));
    let counter = map.get("counter").and_then(|f| f.boolean(diags));
    let good = map.get("good");
    let bad = map.get("bad");
    let total = map.required("total", diags);
    map.finish(diags);
    let counter = counter.or(incremental).unwrap_or(false);
    let (counts, numerator) = match (good, bad) {
        (Some(good), None) => (Counted::Good, good),
        (None, Some(bad)) => (Counted::Bad, bad),
        (Some(_), Some(bad)) => {
            diags.push(
                bad.error("a ratio has either `good` or `bad`, not both")
                    .help("keep one"),
            );
            return None;
        }
        (None, None) => {
            diags.push(map_missing(
                field,
                "good",
                "add `good:` (or `bad:`) with a query",
            ));
            return None;
        }
    };
    let numerator = alpha_source(&numerator, diags).and_then(|q| event_source(&q, counter, diags));
    let total = alpha_source(&total?, diags).and_then(|q| event_source(&q, counter, diags));
    Some(Sli {
        kind: SliKind::Ratio(RatioIndicator {
            counts,
            numerator: numerator?,
            total: total?,
        }),
        group_by: Vec::new(),
    })
}

/// v1 `timeWindow`: exactly one rolling window.
fn time_window(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Duration> {
    let item = single_window(field, diags)?;
    let mut map = item.map(diags)?;
    let duration = map.required("duration", diags);
    let rolling = map.get("isRolling").and_then(|f| f.boolean(diags));
    let calendar = map.get("calendar");
    map.finish(diags);
    check_rolling(
        &item,
        rolling,
        calendar.is_some(),
        "`isRolling: true` with a `duration` such as `28d`",
        diags,
    )?;
    common::duration(&duration?, diags)
}

/// v1alpha `timeWindows`: `[{count, unit, isRolling, calendar}]`. Sloth's examples leave
/// `isRolling` out and mean a rolling window, so only a calendar makes a window calendar-aligned.
fn time_windows_alpha(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Duration> {
    let item = single_window(field, diags)?;
    let mut map = item.map(diags)?;
    let count = map.required("count", diags).and_then(|f| f.integer(diags));
    let unit = map.required("unit", diags);
    let rolling = map.get("isRolling").and_then(|f| f.boolean(diags));
    let calendar = map.get("calendar");
    map.finish(diags);
    check_rolling(
        &item,
        rolling,
        calendar.is_some(),
        "a rolling window such as `{count: 28, unit: Day}`",
        diags,
    )?;
    let unit_field = unit?;
    let unit = unit_field.string(diags)?;
    let size = match unit.as_str() {
        "Second" => Duration::from_secs(1),
        "Minute" => Duration::from_mins(1),
        "Hour" => Duration::from_hours(1),
        "Day" => Duration::from_days(1),
        "Week" => Duration::from_days(7),
        "Month" | "Quarter" | "Year" => {
            diags.push(
                unit_field
                    .error(format!(
                        "a rolling window cannot be counted in `{unit}`s, which vary in length"
                    ))
                    .help("count in days, such as `{count: 30, unit: Day}`"),
            );
            return None;
        }
        other => {
            diags.push(
                unit_field
                    .error(format!("unknown time unit `{other}`"))
                    .help("use `Day` or `Week`"),
            );
            return None;
        }
    };
    let count = count?;
    if count == 0 {
        diags.push(item.error("the time window's `count` must be at least 1"));
        return None;
    }
    count.checked_mul(size.millis()).map(Duration::from_millis)
}

fn single_window<'a>(field: &Field<'a>, diags: &mut Diagnostics) -> Option<Field<'a>> {
    let items = field.list(diags);
    match items.len() {
        0 => {
            diags.push(
                field
                    .error("the time window list is empty")
                    .help("add one rolling window"),
            );
            None
        }
        1 => items.into_iter().next(),
        _ => {
            diags.push(
                items[1]
                    .error("an SLO has exactly one time window")
                    .help("keep one window; write another SLO for another window"),
            );
            None
        }
    }
}

fn check_rolling(
    item: &Field<'_>,
    rolling: Option<bool>,
    calendar: bool,
    fix: &str,
    diags: &mut Diagnostics,
) -> Option<()> {
    if calendar || rolling == Some(false) {
        diags.push(
            item.error("calendar-aligned time windows are not supported")
                .note("slokit measures every objective over a rolling window")
                .help(format!("use {fix}")),
        );
        return None;
    }
    Some(())
}

/// Only `Occurrences` (good events over all events) fits slokit's model.
fn budgeting_method(field: &Field<'_>, diags: &mut Diagnostics) -> Option<()> {
    let method = field.string(diags)?;
    match method.as_str() {
        "Occurrences" => Some(()),
        "Timeslices" | "RatioTimeslices" => {
            diags.push(
                field
                    .error(format!("budgeting method `{method}` is not supported"))
                    .note("slokit budgets by occurrences: the share of good events over the whole window")
                    .help("use `budgetingMethod: Occurrences`; for good time, use a `thresholdMetric` SLI"),
            );
            None
        }
        other => {
            let known = ["Occurrences", "Timeslices", "RatioTimeslices"];
            let d = field.error(format!("unknown budgeting method `{other}`"));
            diags.push(match did_you_mean(other, known) {
                Some(best) => d.help(format!("did you mean `{best}`?")),
                None => d.help(format!("use {}", backticked(&known))),
            });
            None
        }
    }
}

struct Objective {
    group_by: Vec<String>,
    display_name: Option<String>,
    target: f64,
    indicator: Indicator,
}

fn objective(
    item: &Field<'_>,
    slo_indicator: &Option<Option<Sli>>,
    occurrences: bool,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Objective> {
    let mut map = item.map(diags)?;
    let display_name = map.get("displayName").and_then(|f| f.string(diags));
    let op = map.get("op");
    let value = map.get("value");
    let target = map.get("target");
    let percent = map.get("targetPercent");
    for key in ["timeSliceTarget", "timeSliceWindow"] {
        // Under time-slice budgeting the method itself is the error; these need no second one.
        if let Some(f) = map.get(key).filter(|_| occurrences) {
            diags.push(
                f.warning(format!(
                    "`{key}` only applies to time-slice budgeting and is ignored"
                ))
                .help("remove it"),
            );
        }
    }
    if let Some(f) = map.get("compositeWeight") {
        diags.push(
            f.warning("`compositeWeight` is ignored: each objective becomes an SLO of its own")
                .help("remove it"),
        );
    }
    let own = if context.v1 {
        let inline = map.get("indicator");
        let reference = map.get("indicatorRef");
        match (inline, reference) {
            (Some(f), _) => Some(inline_indicator(&f, context, diags)),
            (None, Some(f)) => Some(indicator_ref(&f, context, diags)),
            (None, None) => None,
        }
    } else {
        map.get("ratioMetrics").map(|f| alpha_ratio(&f, diags))
    };
    map.finish(diags);
    let target = match (target, percent) {
        (Some(t), None) => common::objective_ratio(&t, diags),
        (None, Some(p)) => common::objective_percent(&p, diags),
        (Some(_), Some(p)) => {
            diags.push(
                p.error("`target` and `targetPercent` are both set")
                    .help("keep one: `target` is a ratio such as `0.999`, `targetPercent` a percentage such as `99.9`"),
            );
            None
        }
        (None, None) => {
            diags.push(map_missing(
                item,
                "target",
                "add `target: 0.999` (or `targetPercent: 99.9`)",
            ));
            None
        }
    };
    let sli = match own.as_ref().or(slo_indicator.as_ref()) {
        Some(sli) => sli.clone(),
        None => {
            diags.push(
                item.error("no indicator for this objective")
                    .help(if context.v1 {
                        "add `indicator:` or `indicatorRef:` to the SLO"
                    } else {
                        "add `ratioMetrics:` to the objective or `indicator:` to the SLO"
                    }),
            );
            None
        }
    };
    let sli = sli?;
    let indicator = match sli.kind {
        SliKind::Ratio(ratio) => {
            warn_threshold_fields(&op, &value, diags);
            Indicator::Ratio(ratio)
        }
        SliKind::Raw(error_ratio) => {
            warn_threshold_fields(&op, &value, diags);
            Indicator::Raw { error_ratio }
        }
        SliKind::Threshold(gauge) => {
            let (Some(op_field), Some(value_field)) = (op, value) else {
                diags.push(
                    item.error("a threshold metric needs the objective's `op` and `value`")
                        .help("add e.g. `op: lt` and `value: 500`: events are good when the metric is below 500"),
                );
                return None;
            };
            let op_text = op_field.string(diags)?;
            let op = match op_text.as_str() {
                "lt" => Comparison::Less,
                "lte" => Comparison::LessOrEqual,
                "gt" => Comparison::Greater,
                "gte" => Comparison::GreaterOrEqual,
                other => {
                    diags.push(
                        op_field
                            .error(format!("unknown `op` `{other}`"))
                            .help("use `lt`, `lte`, `gt` or `gte`"),
                    );
                    return None;
                }
            };
            let bound = value_field.number(diags)?;
            // OpenSLO counts the data points that meet the bound; slokit counts the good time, the
            // same measure for a metric that is scraped at a steady interval.
            Indicator::Threshold(ThresholdIndicator { gauge, op, bound })
        }
    };
    Some(Objective {
        group_by: sli.group_by,
        display_name,
        target: target?,
        indicator,
    })
}

fn warn_threshold_fields(
    op: &Option<Field<'_>>,
    value: &Option<Field<'_>>,
    diags: &mut Diagnostics,
) {
    if let Some(f) = op.as_ref().or(value.as_ref()) {
        diags.push(
            f.warning("`op` and `value` only apply to threshold metrics and are ignored")
                .help("remove them"),
        );
    }
}

fn default_alerting(period: Duration) -> Alerting {
    Alerting {
        enabled: true,
        name: None,
        tiers: common::default_tiers(period),
        for_duration: None,
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        runbook_url: None,
        budget_exhausted: false,
        no_data: None,
    }
}

/// `alertPolicies`: every burn-rate condition becomes a window pair of the tier named by its
/// severity. OpenSLO gives one lookback window; the short window is a twelfth of it, the ratio of
/// the SRE Workbook's table (1h/5m, 6h/30m, 1d/2h, 3d/6h). No policies means the default tiers.
fn alert_policies(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    period: Duration,
    diags: &mut Diagnostics,
) -> Option<Alerting> {
    let items = field.list(diags);
    if items.is_empty() {
        return Some(default_alerting(period));
    }
    let mut conditions = Vec::new();
    let mut failed = false;
    for item in &items {
        let Some(mut map) = item.map(diags) else {
            failed = true;
            continue;
        };
        let found = if let Some(reference) = map.get("alertPolicyRef") {
            map.finish(diags);
            policy_ref(&reference, context, diags)
        } else {
            let spec = inline_object(&mut map, "AlertPolicy", diags);
            map.finish(diags);
            spec.and_then(|s| policy_spec(&s, context, diags))
        };
        match found {
            Some(found) => conditions.extend(found),
            None => failed = true,
        }
    }
    for condition in &conditions {
        if let Some((op, span, path)) = low_op(condition) {
            diags.push(
                Diagnostic::error(format!(
                    "a burn-rate condition with `op: {op}` cannot become an alert"
                ))
                .at(span)
                .field(path)
                .note("slokit alerts when the error budget burns fast, that is when the burn rate is above the threshold")
                .help("use `op: gt`"),
            );
            failed = true;
        }
    }
    if failed {
        return None;
    }
    let mut alerting = default_alerting(period);
    alerting.tiers = Vec::new();
    for condition in &conditions {
        let window = BurnWindow {
            long: condition.lookback,
            short: Duration::from_millis((condition.lookback.millis() / 12).max(1000)),
            factor: condition.threshold,
        };
        match alerting
            .tiers
            .iter_mut()
            .find(|t| t.severity == condition.severity)
        {
            Some(tier) => tier.windows.push(window),
            None => alerting.tiers.push(AlertTier {
                severity: condition.severity.clone(),
                windows: vec![window],
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
            }),
        }
        match (alerting.for_duration, condition.alert_after) {
            (None, after) => alerting.for_duration = after,
            (Some(current), Some(after)) if current != after => {
                diags.push(
                    field
                        .warning(format!(
                            "the conditions wait different times before alerting; slokit uses `{current}` for all of them, not `{after}`"
                        ))
                        .note("slokit sets one `for:` on every burn-rate alert of an SLO")
                        .help("give the conditions the same `alertAfter`"),
                );
            }
            _ => {}
        }
    }
    Some(alerting)
}

fn policy_ref(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Vec<Condition>> {
    let named = lookup(
        field,
        &context.reg.policies,
        "alert policy",
        "AlertPolicy",
        diags,
    )?;
    if !context.budget.copy(named.weight, field, diags) {
        return None;
    }
    quietly(named, |spec, quiet| policy_spec(spec, context, quiet))
}

#[cfg(test)]
mod tests {
    use crate::load::test_load;
    use crate::model::{Comparison, Counted, EventSource, Indicator, Slo};

    /// Loads `yaml` as `test.yaml` and compares the rendered diagnostics.
    fn check(yaml: &str, expected: &str) {
        let (rendered, _) = test_load(&[("test.yaml", yaml)]);
        assert_eq!(rendered.trim_end(), expected.trim_end(), "input:\n{yaml}");
    }

    fn slos(yaml: &str) -> Vec<Slo> {
        let (rendered, catalog) = test_load(&[("test.yaml", yaml)]);
        assert_eq!(rendered, "", "input:\n{yaml}");
        catalog.slos().cloned().collect()
    }

    /// A v1 SLO around an SLI spec and objectives.
    fn v1(sli: &str, rest: &str) -> String {
        format!("apiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: api}}\nspec:\n  service: web\n  budgetingMethod: Occurrences\n  indicator:\n    metadata: {{name: i}}\n    spec:\n{sli}{rest}")
    }

    const RATIO: &str = "      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: 'requests_total{code!~\"5..\"}'}}}\n        total: {metricSource: {type: Prometheus, spec: {query: requests_total}}}\n";

    #[test]
    fn counters_become_counter_sources_and_periods_default_to_30d() {
        let slos = slos(&v1(RATIO, "  objectives: [{target: 0.99}]\n"));
        let slo = &slos[0];
        assert_eq!(
            (slo.name.as_str(), slo.period.to_string().as_str()),
            ("api", "30d")
        );
        let Indicator::Ratio(ratio) = &slo.indicator else {
            panic!("{:?}", slo.indicator)
        };
        assert_eq!(ratio.counts, Counted::Good);
        let EventSource::Counter(good) = &ratio.numerator else {
            panic!("{:?}", ratio.numerator)
        };
        assert_eq!(
            crate::promql::render_selector(good, &[]),
            "requests_total{code!~\"5..\"}"
        );
        assert_eq!(slo.alerting.tiers.len(), 2);
    }

    #[test]
    fn raw_success_ratios_are_turned_into_error_ratios() {
        let yaml = v1(
            "      ratioMetric:\n        rawType: success\n        raw: {metricSource: {type: Prometheus, spec: {query: 'avg_over_time(up[{{.window}}])'}}}\n",
            "  objectives: [{target: 0.99}]\n",
        );
        let (_, catalog) = test_load(&[("test.yaml", &yaml)]);
        let slo = catalog.slos().next().expect("one SLO");
        let Indicator::Raw { error_ratio } = &slo.indicator else {
            panic!("{:?}", slo.indicator)
        };
        assert_eq!(
            error_ratio.template,
            "1 - (\navg_over_time(up[{{.window}}])\n)"
        );
    }

    #[test]
    fn threshold_metrics_take_op_and_value_from_the_objective() {
        let yaml = v1(
            "      thresholdMetric: {metricSource: {type: Prometheus, spec: {query: 'probe_duration_seconds{job=\"x\"}'}}}\n",
            "  timeWindow: [{duration: 2w, isRolling: true}]\n  objectives: [{displayName: Fast, op: lt, value: 0.5, target: 0.99}, {displayName: Not slow, op: lte, value: 2, targetPercent: 99.9}]\n",
        );
        let slos = slos(&yaml);
        let got: Vec<String> = slos
            .iter()
            .map(|s| match &s.indicator {
                Indicator::Threshold(t) => format!(
                    "{} {} {} {} {} {}",
                    s.name,
                    s.period,
                    t.gauge.metric,
                    t.op.as_str(),
                    t.bound,
                    s.objective
                ),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            [
                "api-fast 14d probe_duration_seconds < 0.5 0.99",
                "api-not-slow 14d probe_duration_seconds <= 2 0.999"
            ]
        );
        assert_eq!(Comparison::Less.as_str(), "<");
    }

    #[test]
    fn burn_rate_conditions_become_tiers() {
        let yaml = v1(
            RATIO,
            "  objectives: [{target: 0.999}]\n  alertPolicies:\n  - alertPolicyRef: fast\n---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: fast}\nspec:\n  conditions:\n  - conditionRef: page-1h\n  - kind: AlertCondition\n    metadata: {name: ticket-1d}\n    spec: {severity: ticket, condition: {kind: burnrate, op: gte, threshold: 3, lookbackWindow: 1d, alertAfter: 5m}}\n---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: page-1h}\nspec: {severity: page, condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}}\n",
        );
        let slos = slos(&yaml);
        let alerting = &slos[0].alerting;
        let got: Vec<String> = alerting
            .tiers
            .iter()
            .flat_map(|t| {
                t.windows
                    .iter()
                    .map(move |w| format!("{} {}/{} {}", t.severity, w.long, w.short, w.factor))
            })
            .collect();
        assert_eq!(got, ["page 1h/5m 14.4", "ticket 1d/2h 3"]);
        assert_eq!(
            alerting.for_duration.map(|d| d.to_string()).as_deref(),
            Some("5m")
        );
    }

    #[test]
    fn unsupported_features_are_errors() {
        check(
            &v1(
                RATIO,
                "  budgetingMethod: Timeslices\n  objectives: [{target: 0.99}]\n",
            )
            .replace("  budgetingMethod: Occurrences\n", ""),
            "error: budgeting method `Timeslices` is not supported
  --> test.yaml:13:20
    |
 13 |   budgetingMethod: Timeslices
    |                    ^^^^^^^^^^
    = field: spec.budgetingMethod
    = note: slokit budgets by occurrences: the share of good events over the whole window
    = help: use `budgetingMethod: Occurrences`; for good time, use a `thresholdMetric` SLI",
        );
        check(
            &v1(RATIO, "  timeWindow: [{duration: 1M, calendar: {startTime: 2022-01-01 12:00:00, timeZone: UTC}}]\n  objectives: [{target: 0.99}]\n"),
            "error: calendar-aligned time windows are not supported
  --> test.yaml:14:16
    |
 14 |   timeWindow: [{duration: 1M, calendar: {startTime: 2022-01-01 12:00:00, timeZone: UTC}}]
    |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = field: spec.timeWindow[0]
    = note: slokit measures every objective over a rolling window
    = help: use `isRolling: true` with a `duration` such as `28d`",
        );
        check(
            &v1("      ratioMetric:\n        good: {metricSource: {type: Datadog, spec: {query: x}}}\n        total: {metricSource: {type: Datadog, spec: {query: y}}}\n", "  objectives: [{target: 0.99}]\n"),
            "error: metric source type `Datadog` is not supported
  --> test.yaml:11:37
    |
 11 |         good: {metricSource: {type: Datadog, spec: {query: x}}}
    |                                     ^^^^^^^
    = field: spec.indicator.spec.ratioMetric.good.metricSource.type
    = note: slokit generates Prometheus recording rules, so it can only read Prometheus metrics
    = help: use a `type: Prometheus` source with a PromQL `query`

error: metric source type `Datadog` is not supported
  --> test.yaml:12:38
    |
 12 |         total: {metricSource: {type: Datadog, spec: {query: y}}}
    |                                      ^^^^^^^
    = field: spec.indicator.spec.ratioMetric.total.metricSource.type
    = note: slokit generates Prometheus recording rules, so it can only read Prometheus metrics
    = help: use a `type: Prometheus` source with a PromQL `query`",
        );
    }

    #[test]
    fn objectives_need_exactly_one_target() {
        check(
            &v1(RATIO, "  objectives: [{target: 0.99, targetPercent: 99}]\n"),
            "error: `target` and `targetPercent` are both set
  --> test.yaml:14:46
    |
 14 |   objectives: [{target: 0.99, targetPercent: 99}]
    |                                              ^^
    = field: spec.objectives[0].targetPercent
    = help: keep one: `target` is a ratio such as `0.999`, `targetPercent` a percentage such as `99.9`",
        );
    }

    #[test]
    fn references_resolve_with_did_you_mean() {
        check(
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: api}\nspec:\n  service: web\n  budgetingMethod: Occurrences\n  indicatorRef: availabilty\n  objectives: [{target: 0.99}]\n---\napiVersion: openslo/v1\nkind: SLI\nmetadata: {name: availability}\nspec:\n  ratioMetric:\n    good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(ok[{{.window}}]))'}}}\n    total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(all[{{.window}}]))'}}}\n",
            "error: unknown SLI `availabilty`
  --> test.yaml:7:17
   |
 7 |   indicatorRef: availabilty
   |                 ^^^^^^^^^^^
   = field: spec.indicatorRef
   = help: did you mean `availability`?",
        );
    }

    #[test]
    fn low_burn_rate_conditions_fail_only_when_used() {
        let condition = "apiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {name: slow}\nspec: {severity: page, condition: {kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h}}\n";
        check(condition, "warning: a burn-rate condition with `op: lte` fires when the budget burns slowly; slokit cannot alert on it
  --> test.yaml:4:56
   |
 4 | spec: {severity: page, condition: {kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h}}
   |                                                        ^^^
   = field: spec.condition.op
   = note: SLOs that use this condition fail to load
   = help: use `op: gt` to alert when the burn rate exceeds the threshold");
        let used = v1(RATIO, "  objectives: [{target: 0.99}]\n  alertPolicies:\n  - kind: AlertPolicy\n    metadata: {name: p}\n    spec: {conditions: [{conditionRef: slow}]}\n---\n") + condition;
        check(&used, "error: a burn-rate condition with `op: lte` cannot become an alert
  --> test.yaml:23:56
    |
 23 | spec: {severity: page, condition: {kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h}}
    |                                                        ^^^
    = field: spec.condition.op
    = note: slokit alerts when the error budget burns fast, that is when the burn rate is above the threshold
    = help: use `op: gt`

warning: a burn-rate condition with `op: lte` fires when the budget burns slowly; slokit cannot alert on it
  --> test.yaml:23:56
    |
 23 | spec: {severity: page, condition: {kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h}}
    |                                                        ^^^
    = field: spec.condition.op
    = note: SLOs that use this condition fail to load
    = help: use `op: gt` to alert when the burn rate exceeds the threshold");
    }

    #[test]
    fn counters_must_be_selectors() {
        check(
            &v1("      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: 'rate(ok[5m])'}}}\n        total: {metricSource: {type: Prometheus, spec: {query: all}}}\n", "  objectives: [{target: 0.99}]\n"),
            "error: with `counter: true` the query must be a plain counter selector
  --> test.yaml:12:63
    |
 12 |         good: {metricSource: {type: Prometheus, spec: {query: 'rate(ok[5m])'}}}
    |                                                               ^^^^^^^^^^^^^^
    = field: spec.indicator.spec.ratioMetric.good.metricSource.spec.query
    = note: expected a metric selector
    = help: write the counter as `metric{label=\"value\"}`, or set `counter: false` and write an event-rate query over `{{.window}}`",
        );
    }

    #[test]
    fn v1alpha_as_sloth_writes_it() {
        let slos = slos("apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: s, displayName: S}\nspec:\n  service: svc\n  budgetingMethod: Occurrences\n  objectives:\n  - ratioMetrics:\n      good: {source: prometheus, queryType: promql, query: 'sum(rate(ok[{{.window}}]))'}\n      total: {source: prometheus, queryType: promql, query: 'sum(rate(all[{{.window}}]))'}\n    target: 0.999\n  timeWindows: [{count: 28, unit: Day}]\n");
        assert_eq!(
            (slos[0].period.to_string(), slos[0].display_name.as_deref()),
            ("28d".to_string(), Some("S"))
        );
    }
}
