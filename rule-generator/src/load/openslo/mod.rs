//! OpenSLO specs: `openslo/v1` (kinds `SLO`, `SLI`, `Service`, `DataSource`, `AlertPolicy`,
//! `AlertCondition`, `AlertNotificationTarget`) and `openslo/v1alpha` (`SLO`, `Service`, the
//! version Sloth reads). Named SLIs, alert policies, alert conditions and data sources are
//! registered in the first pass, so an SLO may refer to one defined in any file; every document is
//! validated in the second pass, whether or not an SLO uses it.
//!
//! What slokit supports: Prometheus metric sources (objects of other sources that no SLO uses are
//! skipped with a warning), every budgeting method (time slices are measured by subqueries, see
//! `timeslices.rs`), one time window (a calendar-aligned one is loaded as the rolling window of
//! its length, with a warning), and burn-rate alert conditions. Everything else is an error that
//! says so, never a silent drop. Each objective of an
//! SLO becomes an SLO of its own, since objectives may use different indicators.

use super::{common, Budget, Drafts, SloDraft};
use crate::conventions::DEFAULT_PERIOD;
use crate::diag::{Diagnostic, Diagnostics};
use crate::duration::Duration;
use crate::load::decode::{backticked, Field, Map};
use crate::load::source::Span;
use crate::load::yaml::{Document, Node, NodeKind};
use crate::model::{
    AlertTier, Alerting, BurnWindow, Comparison, Counted, EventSource, Indicator, Origin,
    RatioIndicator, Selector, Slo, SpecFormat, ThresholdIndicator, WindowQuery,
};
use crate::promql;
use std::collections::BTreeMap;

mod alerting;
mod indicator;
mod slo;
mod timeslices;

use alerting::*;
use indicator::*;
use slo::*;
use timeslices::*;

const V1_KINDS: &[&str] = &[
    "SLO",
    "SLI",
    "Service",
    "DataSource",
    // How the osko operator's custom resource spells `DataSource`.
    "Datasource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
];
const V1ALPHA_KINDS: &[&str] = &["SLO", "Service"];

/// `openslo/v1`, or `openslo.com/v1` as the osko operator's custom resources write it: the same
/// schema under a Kubernetes API group.
fn is_v1(api_version: &str) -> bool {
    matches!(api_version, "openslo/v1" | "openslo.com/v1")
}

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
    if !text(entry(root, "apiVersion")).is_some_and(is_v1) {
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
        "DataSource" | "Datasource" => &mut reg.data_sources,
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
    // Kubernetes custom resources (the osko operator's) live in a namespace, which says nothing
    // about the SLO itself.
    if let Some(f) = map.get("namespace") {
        f.string(diags);
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
pub fn decode(input: super::Doc<'_>, drafts: &mut Drafts, diags: &mut Diagnostics) {
    let super::Doc { doc, file, all } = input;
    let reg = &all.openslo;
    let Some(mut root) = Field::new(&doc.root, "").map(diags) else {
        return;
    };
    let v1 = root
        .get("apiVersion")
        .and_then(|f| f.string(diags))
        .is_some_and(|v| is_v1(&v));
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
            // An SLI of another vendor's metrics (Datadog, Redshift ...) often sits beside the
            // Prometheus ones in a shared repository; no SLO may use it, so it is skipped with a
            // warning here, and an SLO that refers to it fails where it does (`indicator_ref`).
            let mut own = Diagnostics::default();
            sli_spec(&spec, &context, &mut own);
            let foreign = foreign_source(spec.node, reg);
            let mut skipped = false;
            for d in own.iter() {
                // Only the foreign source's own errors become the warning; any other problem of
                // the document is still reported.
                if foreign.is_some() && d.message.starts_with("metric source type ") {
                    skipped = true;
                } else {
                    diags.push(d.clone());
                }
            }
            if let (true, Some((source, at))) = (skipped, foreign) {
                diags.push(
                    Diagnostic::warning(format!(
                        "skipped SLI `{}`: its metric source type `{source}` is not Prometheus",
                        meta.name.as_deref().unwrap_or_default()
                    ))
                    .at(at)
                    .note("slokit generates Prometheus recording rules, so it can only read Prometheus metrics")
                    .note("SLOs that use this SLI fail to load"),
                );
            }
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
        "DataSource" | "Datasource" => {
            simple_spec(&spec, &["type"], diags);
            let type_node = entry(spec.node, "type");
            if let Some(source) = text(type_node).filter(|t| !is_prometheus(t)) {
                diags.push(
                    Diagnostic::warning(format!(
                        "skipped DataSource `{}` of type `{source}`",
                        meta.name.as_deref().unwrap_or_default()
                    ))
                    .at(type_node.map_or(spec.span(), |n| n.span))
                    .field("spec.type")
                    .note("slokit generates Prometheus recording rules, so it can only read Prometheus metrics")
                    .note("SLIs whose metric sources refer to it fail to load when an SLO uses them"),
                );
            }
        }
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
    d.help_did_you_mean(name, known.iter().copied(), || {
        format!("define it in a document of `kind: {kind}`")
    })
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

/// Prometheus and the servers that speak its API under their own names in OpenSLO files.
fn is_prometheus(source_type: &str) -> bool {
    ["prometheus", "thanos", "mimir", "victoriametrics", "cortex"]
        .iter()
        .any(|p| source_type.eq_ignore_ascii_case(p))
}

/// The first metric source of an SLI `spec` that is not Prometheus: its type and where it is
/// named (the `type`, or the `metricSourceRef` whose data source has that type).
fn foreign_source(spec: &Node, reg: &Registry<'_>) -> Option<(String, Span)> {
    let ratio = entry(spec, "ratioMetric");
    let wrappers = ["good", "bad", "total", "raw"]
        .iter()
        .filter_map(|k| ratio.and_then(|r| entry(r, k)))
        .chain(entry(spec, "thresholdMetric"));
    for wrapper in wrappers {
        let Some(source) = entry(wrapper, "metricSource") else {
            continue;
        };
        if let Some(type_node) = entry(source, "type") {
            if let Some(t) = text(Some(type_node)).filter(|t| !is_prometheus(t)) {
                return Some((t.to_string(), type_node.span));
            }
            continue;
        }
        let Some(reference) = entry(source, "metricSourceRef") else {
            continue;
        };
        let referenced = text(Some(reference))
            .and_then(|name| reg.data_sources.get(name))
            .and_then(|ds| text(ds.spec.and_then(|s| entry(s, "type"))));
        if let Some(t) = referenced.filter(|t| !is_prometheus(t)) {
            return Some((t.to_string(), reference.span));
        }
    }
    None
}

/// A key that older or vendor files spell differently (`operator` for `op`, nobl9's `promql` for
/// `query`): either is read, both at once is an error, since they might disagree.
fn either<'a>(
    map: &mut Map<'a>,
    key: &'static str,
    other: &'static str,
    diags: &mut Diagnostics,
) -> Option<Field<'a>> {
    match (map.get(key), map.get(other)) {
        (Some(f), None) | (None, Some(f)) => Some(f),
        (Some(_), Some(second)) => {
            diags.push(
                second
                    .error(format!("`{key}` and `{other}` are both set"))
                    .help(format!("keep `{key}`; `{other}` is another spelling of it")),
            );
            None
        }
        (None, None) => None,
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
            .pairs()
            .map(|(severity, w)| format!("{severity} {}/{} {}", w.long, w.short, w.factor))
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
            &v1(RATIO, "  timeWindow: [{duration: 1M, calendar: {startTime: 2022-01-01 12:00:00, timeZone: UTC}}]\n  objectives: [{target: 0.99}]\n"),
            "warning: calendar-aligned window `1M` is loaded as a rolling 30d window
  --> test.yaml:14:16
    |
 14 |   timeWindow: [{duration: 1M, calendar: {startTime: 2022-01-01 12:00:00, timeZone: UTC}}]
    |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    = field: spec.timeWindow[0]
    = note: the error budget does not reset at the start of each `1M` period (counted from 2022-01-01 12:00:00 UTC): at any moment the SLI and the budget cover the last 30d, not the period so far
    = note: burn-rate alerts are the same either way; reports and dashboards show the rolling figures
    = help: write `isRolling: true` with `duration: 30d` to measure a rolling window and silence this warning",
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
    fn osko_spellings_string_targets_operator_and_promql_are_accepted() {
        let yaml = "apiVersion: openslo.com/v1\nkind: SLO\nmetadata: {name: api}\nspec:\n  service: web\n  budgetingMethod: Occurrences\n  indicator:\n    metadata: {name: i}\n    spec:\n      thresholdMetric: {metricSource: {type: Prometheus, spec: {promql: 'probe_duration_seconds'}}}\n  objectives: [{operator: lt, value: 0.5, target: \"0.99\"}]\n";
        let slos = slos(yaml);
        let Indicator::Threshold(t) = &slos[0].indicator else {
            panic!("{:?}", slos[0].indicator)
        };
        assert_eq!(
            (t.op, t.bound, slos[0].objective),
            (Comparison::Less, 0.5, 0.99)
        );
    }

    #[test]
    fn both_spellings_at_once_are_an_error() {
        check(
            &v1(
                "      thresholdMetric: {metricSource: {type: Prometheus, spec: {query: a, promql: b}}}\n",
                "  objectives: [{op: lt, value: 1, target: 0.99}]\n",
            ),
            "error: `query` and `promql` are both set
  --> test.yaml:10:83
    |
 10 |       thresholdMetric: {metricSource: {type: Prometheus, spec: {query: a, promql: b}}}
    |                                                                                   ^
    = field: spec.indicator.spec.thresholdMetric.metricSource.spec.promql
    = help: keep `query`; `promql` is another spelling of it",
        );
    }

    #[test]
    fn threshold_expressions_become_the_same_good_time_ratio() {
        let yaml = v1(
            "      thresholdMetric: {metricSource: {type: Prometheus, spec: {query: 'max by (queue) (queue_depth)'}}}\n",
            "  objectives: [{op: lte, value: 100, target: 0.99}]\n",
        );
        let slos = slos(&yaml);
        let Indicator::Raw { error_ratio } = &slos[0].indicator else {
            panic!("{:?}", slos[0].indicator)
        };
        assert_eq!(
            error_ratio.template,
            "avg_over_time((\n  (max by (queue) (queue_depth)) > bool 100\n)[{{.window}}:1m])"
        );
    }

    #[test]
    fn foreign_sources_no_slo_uses_are_skipped_with_a_warning() {
        let others = "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: dd}\nspec: {type: Datadog, connectionDetails: {site: x}}\n---\napiVersion: openslo/v1\nkind: SLI\nmetadata: {name: latency}\nspec:\n  thresholdMetric: {metricSource: {metricSourceRef: dd, spec: {query: 'avg:trace.http.request{*}'}}}\n";
        check(others, "warning: skipped DataSource `dd` of type `Datadog`
  --> test.yaml:4:14
   |
 4 | spec: {type: Datadog, connectionDetails: {site: x}}
   |              ^^^^^^^
   = field: spec.type
   = note: slokit generates Prometheus recording rules, so it can only read Prometheus metrics
   = note: SLIs whose metric sources refer to it fail to load when an SLO uses them

warning: skipped SLI `latency`: its metric source type `Datadog` is not Prometheus
  --> test.yaml:10:53
    |
 10 |   thresholdMetric: {metricSource: {metricSourceRef: dd, spec: {query: 'avg:trace.http.request{*}'}}}
    |                                                     ^^
    = note: slokit generates Prometheus recording rules, so it can only read Prometheus metrics
    = note: SLOs that use this SLI fail to load");
        let used = format!("{others}---\napiVersion: openslo/v1\nkind: SLO\nmetadata: {{name: api}}\nspec:\n  service: web\n  budgetingMethod: Occurrences\n  indicatorRef: latency\n  objectives: [{{op: lt, value: 1, target: 0.99}}]\n");
        let (rendered, _) = crate::load::test_load(&[("test.yaml", &used)]);
        assert!(
            rendered.contains(
                "error: SLI `latency` reads a `Datadog` metric source\n  --> test.yaml:18:17\n"
            ),
            "{rendered}"
        );
    }

    #[test]
    fn calendar_windows_load_as_the_rolling_window_of_their_length() {
        let period = |window: &str| {
            let yaml = v1(
                RATIO,
                &format!("  timeWindow: [{window}]\n  objectives: [{{target: 0.99}}]\n"),
            );
            let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
            assert!(
                rendered.starts_with("warning: calendar-aligned window"),
                "{rendered}"
            );
            let period = catalog.slos().next().map(|s| s.period.to_string());
            period
        };
        assert_eq!(period("{duration: 1Q, isRolling: false, calendar: {startTime: 2024-01-01 00:00:00, timeZone: Europe/Paris}}").as_deref(), Some("90d"));
        assert_eq!(
            period("{duration: 1w, isRolling: false}").as_deref(),
            Some("7d")
        );
        assert_eq!(
            period("{duration: 2M, calendar: {startTime: 2024-01-01 00:00:00, timeZone: UTC}}")
                .as_deref(),
            Some("60d")
        );
        let (rendered, catalog) = test_load(&[("test.yaml", "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: s}\nspec:\n  service: svc\n  budgetingMethod: Occurrences\n  objectives:\n  - ratioMetrics:\n      good: {source: prometheus, queryType: promql, query: 'sum(rate(ok[{{.window}}]))'}\n      total: {source: prometheus, queryType: promql, query: 'sum(rate(all[{{.window}}]))'}\n    target: 0.999\n  timeWindows: [{count: 1, unit: Month, calendar: {startTime: 2020-01-01 00:00:00, timeZone: UTC}}]\n")]);
        assert!(
            rendered.contains("help: write `{count: 30, unit: Day}` without a calendar"),
            "{rendered}"
        );
        assert_eq!(
            catalog
                .slos()
                .next()
                .map(|s| s.period.to_string())
                .as_deref(),
            Some("30d")
        );
        check(
            &v1(RATIO, "  timeWindow: [{duration: 0M, isRolling: false}]\n  objectives: [{target: 0.99}]\n"),
            "error: invalid calendar duration `0M`
  --> test.yaml:14:27
    |
 14 |   timeWindow: [{duration: 0M, isRolling: false}]
    |                           ^^
    = field: spec.timeWindow[0].duration
    = help: write a whole number of periods such as `1M`, `1Q`, `1w` or `30d`",
        );
    }

    /// An SLO of `budgetingMethod: Timeslices` (or another method) with one objective.
    fn sliced(method: &str, objective: &str) -> String {
        v1(RATIO, &format!("  objectives: [{objective}]\n")).replace(
            "budgetingMethod: Occurrences",
            &format!("budgetingMethod: {method}"),
        )
    }

    fn raw_template(yaml: &str) -> String {
        let (_, catalog) = test_load(&[("test.yaml", yaml)]);
        let slo = catalog.slos().next().expect("one SLO");
        let Indicator::Raw { error_ratio } = &slo.indicator else {
            panic!("{:?}", slo.indicator)
        };
        error_ratio.template.clone()
    }

    #[test]
    fn timeslices_count_the_slices_below_their_target() {
        let yaml = sliced(
            "Timeslices",
            "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}",
        );
        assert_eq!(
            raw_template(&yaml),
            "avg_over_time((\n  (\n    (\n      sum (rate(requests_total{code!~\"5..\"}[1m]))\n    )\n    /\n    (\n      sum (rate(requests_total[1m]))\n    )\n  ) >= 0 < bool 0.95\n)[{{.window}}:1m])"
        );
        let (rendered, _) = test_load(&[("test.yaml", &yaml)]);
        assert!(
            rendered.starts_with(
                "warning: `Timeslices` budgeting is measured over 1m slices aligned to the clock\n"
            ),
            "{rendered}"
        );
    }

    #[test]
    fn ratio_timeslices_average_the_slices_error_ratios() {
        let template = raw_template(&sliced(
            "RatioTimeslices",
            "{target: 0.99, timeSliceWindow: 5m}",
        ));
        assert!(
            template.starts_with("avg_over_time((\n  (\n    1 - (\n"),
            "{template}"
        );
        assert!(
            template.ends_with(") >= 0\n)[{{.window}}:5m])"),
            "{template}"
        );
        // For a threshold, the average of equal slices' good-time ratios is the good-time ratio.
        let threshold = v1(
            "      thresholdMetric: {metricSource: {type: Prometheus, spec: {query: up}}}\n",
            "  objectives: [{op: gte, value: 1, target: 0.99, timeSliceWindow: 1m}]\n",
        )
        .replace("Occurrences", "RatioTimeslices");
        assert!(matches!(
            slos(&threshold)[0].indicator,
            Indicator::Threshold(_)
        ));
    }

    #[test]
    fn time_slices_that_cannot_be_measured_are_errors() {
        check(
            &sliced("Timeslices", "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 10m}"),
            "error: a time slice of `10m` cannot be measured
  --> test.yaml:14:71
    |
 14 |   objectives: [{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 10m}]
    |                                                                       ^^^
    = field: spec.objectives[0].timeSliceWindow
    = note: slokit records every SLI in 5m steps; a slice must be a whole number of minutes that divides them
    = help: use `timeSliceWindow: 1m` or `timeSliceWindow: 5m`",
        );
        check(
            &sliced("Timeslices", "{target: 0.99, timeSliceWindow: 1m}"),
            "error: missing required field `timeSliceTarget`
  --> test.yaml:14:16
    |
 14 |   objectives: [{target: 0.99, timeSliceWindow: 1m}]
    |                ^
    = field: spec.objectives[0]
    = help: `budgetingMethod: Timeslices` counts a slice good when its good ratio reaches `timeSliceTarget`, such as `0.95`",
        );
        check(
            &sliced("Timeslice", "{target: 0.99}"),
            "error: unknown budgeting method `Timeslice`
  --> test.yaml:6:20
   |
 6 |   budgetingMethod: Timeslice
   |                    ^^^^^^^^^
   = field: spec.budgetingMethod
   = help: did you mean `Timeslices`?",
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
