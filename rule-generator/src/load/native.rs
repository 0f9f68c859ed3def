//! Our own format, `apiVersion: slo.dev/v1`, with four kinds: `ServiceLevelObjective`, `Product`,
//! `SLITemplate` and `ErrorBudgetPolicy`. It accepts the customers' original template as written,
//! including its swapped `shortWindow`/`longWindow`, which is normalised with a warning.
//!
//! Templates are registered in the first pass; an SLO that uses one gets a copy of the template's
//! indicator with `{{ .param }}` placeholders filled, decoded as if written inline, so a mistake
//! inside a template is reported at the template's line with a note naming the SLO.

use super::common::{self, check_file_safe_name, duration, labels, objective_ratio, trim_float};
use super::{metadata, Budget, Drafts, ProductDraft, Registry as All, SloDraft};
use crate::conventions::DEFAULT_PERIOD;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::duration::Duration;
use crate::load::decode::{backticked, Field, Map};
use crate::load::source::Span;
use crate::load::yaml::{Document, Node, NodeKind};
use crate::model::{
    AlertTier, Alerting, BurnWindow, Comparison, Counted, Date, ErrorBudgetPolicy, EventSource,
    Indicator, LatencyIndicator, Maturity, Origin, Phase, Phases, PolicyCondition, PolicyStep,
    Product, RatioIndicator, Review, Selector, Slo, SpecFormat, ThresholdIndicator,
};
use crate::promql;
use std::cell::Cell;
use std::collections::BTreeMap;

const KINDS: &[&str] = &[
    "ServiceLevelObjective",
    "Product",
    "SLITemplate",
    "ErrorBudgetPolicy",
];

/// SLI templates by name, from the first pass.
#[derive(Default)]
pub struct Registry<'a> {
    templates: BTreeMap<String, Template<'a>>,
}

struct Template<'a> {
    params: Vec<(String, Option<String>)>,
    indicator: &'a Node,
    /// How many SLOs got a copy with errors (see [`MAX_FAILED_USES`]). A `Cell` because SLOs
    /// read the registry immutably.
    failed_uses: Cell<usize>,
}

fn header<'a>(doc: &'a Document, diags: &mut Diagnostics) -> Option<(Map<'a>, String)> {
    let mut root = Field::new(&doc.root, "").map(diags)?;
    root.ignore(&["apiVersion"]);
    let (kind, _) = super::kind(&mut root, KINDS, diags)?;
    Some((root, kind))
}

pub fn register<'a>(doc: &'a Document, registry: &mut Registry<'a>, diags: &mut Diagnostics) {
    let Some((mut root, kind)) = header(doc, diags) else {
        return;
    };
    if kind != "SLITemplate" {
        return;
    }
    // Full validation of the template document happens in the second pass; this pass only needs
    // its name, parameters and indicator node. Diagnostics from here are dropped to avoid repeats.
    let mut quiet = Diagnostics::default();
    let Some(meta) = metadata(&mut root, &mut quiet) else {
        return;
    };
    let Some(mut spec) = root.get("spec").and_then(|f| f.map(&mut quiet)) else {
        return;
    };
    let Some(indicator) = spec.get("indicator") else {
        return;
    };
    let params = spec
        .get("parameters")
        .map(|f| template_params(&f, &mut quiet))
        .unwrap_or_default();
    if registry.templates.contains_key(&meta.name) {
        diags.push(
            Diagnostic::error(format!("SLI template `{}` is defined twice", meta.name))
                .at(meta.name_span)
                .field("metadata.name"),
        );
        return;
    }
    registry.templates.insert(
        meta.name,
        Template {
            params,
            indicator: indicator.node,
            failed_uses: Cell::new(0),
        },
    );
}

pub fn decode(
    doc: &Document,
    file: &str,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let Some((mut root, kind)) = header(doc, diags) else {
        return;
    };
    let meta = metadata(&mut root, diags);
    let spec = root.required("spec", diags);
    root.finish(diags);
    let (Some(meta), Some(spec)) = (meta, spec) else {
        return;
    };
    let Some(mut spec) = spec.map(diags) else {
        return;
    };
    let origin = Origin {
        file: file.to_string(),
        line: doc.root.span.start.line,
        format: SpecFormat::Native,
    };
    match kind.as_str() {
        "ServiceLevelObjective" => slo(meta, &mut spec, origin, all, drafts, diags),
        "Product" => product(meta, &mut spec, origin, drafts, diags),
        "SLITemplate" => template(&mut spec, &all.budget, diags),
        _ => policy(meta, &mut spec, origin, drafts, diags),
    }
    spec.finish(diags);
}

fn slo(
    meta: super::Metadata,
    spec: &mut Map<'_>,
    origin: Origin,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let (templates, budget) = (&all.native, &all.budget);
    let service = spec
        .required("service", diags)
        .and_then(|f| f.non_empty(diags));
    let product = spec
        .get("product")
        .and_then(|f| Some((f.non_empty(diags)?, f.span())));
    let description = spec.get("description").and_then(|f| f.string(diags));
    let owner = spec.get("owner").and_then(|f| f.string(diags));
    let tier = spec.get("tier").and_then(|f| f.string(diags));
    let group_by = spec
        .get("groupBy")
        .map(|f| group_by(&f, diags))
        .unwrap_or_default();
    let mut descriptive = meta.labels.clone();
    if let Some(f) = spec.get("labels") {
        descriptive.extend(labels(&f, diags));
    }
    let indicator = spec
        .required("indicator", diags)
        .and_then(|f| indicator(&f, templates, budget, &meta.name, diags));
    let phases = spec.get("phases").and_then(|f| phases(&f, diags));
    let review = spec
        .get("review")
        .map(|f| review(&f, diags).0)
        .unwrap_or_default();
    let objectives = match spec.get("objectives") {
        Some(f) => objectives(&f, phases.as_ref(), diags),
        None if phases.is_some() => vec![(
            None,
            DEFAULT_PERIOD,
            phases.as_ref().map(|p| p.list[p.current].target),
            spec.field.span(),
        )],
        None => {
            diags.push(spec.missing("objectives").help(
                "add `objectives: [{displayName: availability, window: 30d, target: 0.999}]`",
            ));
            Vec::new()
        }
    };
    // Alerting is decoded once, even when objectives are broken, so its problems are reported too.
    let alerting_spec = match spec.get("alerting") {
        Some(f) => alerting(&f, diags),
        None => Some((default_alerting(DEFAULT_PERIOD), None)),
    };
    let (Some(service), Some(indicator)) = (service, indicator) else {
        return;
    };
    if let Indicator::Raw { .. } = indicator {
        diags.push(
            Diagnostic::warning("a `raw` indicator cannot give exact long-window SLIs")
                .at(meta.name_span)
                .note("a ready error ratio can only be averaged over time, which overweights quiet periods")
                .help("use a `ratio` indicator with good (or bad) and total counters when you can"),
        );
    }
    let several = objectives.len() > 1;
    for (index, (display_name, period, target, span)) in objectives.into_iter().enumerate() {
        let (Some(objective), Some((alerting, explicit))) = (target, &alerting_spec) else {
            continue;
        };
        let mut alerting = alerting.clone();
        match explicit {
            Some((span, path)) => {
                common::check_tiers(&alerting.tiers, objective, *span, path, diags)
            }
            None => alerting.tiers = common::default_tiers(period),
        }
        let name = match (&display_name, several) {
            (Some(d), true) => format!("{}-{}", meta.name, d),
            (None, true) => format!("{}-{}", meta.name, index),
            _ => meta.name.clone(),
        };
        let slo = Slo {
            name,
            product: String::new(),
            service: service.clone(),
            display_name: display_name.clone().or_else(|| meta.display_name.clone()),
            description: description.clone(),
            objective,
            period,
            indicator: indicator.clone(),
            group_by: group_by.clone(),
            labels: descriptive.clone(),
            owner: owner.clone(),
            tier: tier.clone(),
            alerting,
            phases: phases.clone(),
            review,
            origin: origin.clone(),
        };
        let (at, path) = match several {
            true => (span, "spec.objectives"),
            false => (meta.name_span, "metadata.name"),
        };
        if !budget.slo(&slo, at, path, diags) {
            return;
        }
        drafts.slos.push(SloDraft {
            slo,
            product: product.clone(),
            span: at,
        });
    }
}

fn group_by(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<String> {
    let mut out = Vec::new();
    for item in field.list(diags) {
        if let Some(name) = item.string(diags) {
            if common::check_label_name(&name, item.span(), &item.path, diags) {
                if out.contains(&name) {
                    diags.push(item.error(format!("label `{name}` is listed twice")));
                } else {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// Each objective: (display name, period, target, span). The target may come from the current
/// phase; a target that disagrees with it is reported.
fn objectives(
    field: &Field<'_>,
    phases: Option<&Phases>,
    diags: &mut Diagnostics,
) -> Vec<(Option<String>, Duration, Option<f64>, Span)> {
    let items = field.list(diags);
    if items.is_empty() && !matches!(field.node.kind, NodeKind::Seq(_) | NodeKind::Null) {
        return Vec::new();
    }
    if items.is_empty() {
        diags.push(
            field
                .error("at least one objective is required")
                .help("add `- {displayName: availability, window: 30d, target: 0.999}`"),
        );
    }
    let phase_target = phases.map(|p| (&p.list[p.current].name, p.list[p.current].target));
    let mut out = Vec::new();
    for item in items {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let display_name = map.get("displayName").and_then(|f| f.non_empty(diags));
        let period = map.get("window").and_then(|f| duration(&f, diags));
        let window_ok = map.has("window");
        let target = match (map.get("target"), phase_target) {
            (Some(f), Some((phase, phase_target))) => {
                if let Some(t) = objective_ratio(&f, diags) {
                    if (t - phase_target).abs() > 1e-12 {
                        diags.push(
                            f.warning(format!("phase `{phase}` sets the target to {}; this target ({}) is not used", trim_float(phase_target), trim_float(t)))
                                .help("remove `target` here, or change the phase"),
                        );
                    }
                }
                Some(phase_target)
            }
            (Some(f), None) => objective_ratio(&f, diags),
            (None, Some((_, t))) => Some(t),
            (None, None) => {
                diags.push(
                    map.missing("target")
                        .help("add `target: 0.999` (a ratio, 99.9%)"),
                );
                None
            }
        };
        map.finish(diags);
        if window_ok && period.is_none() {
            continue;
        }
        out.push((
            display_name,
            period.unwrap_or(DEFAULT_PERIOD),
            target,
            item.span(),
        ));
    }
    out
}

const INDICATOR_TYPES: &[&str] = &["ratio", "latency", "threshold", "raw"];

fn indicator(
    field: &Field<'_>,
    templates: &Registry<'_>,
    budget: &Budget,
    slo_name: &str,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    let mut map = field.map(diags)?;
    if let Some(template_field) = map.get("template") {
        let params_field = map.get("params");
        map.finish(diags);
        return from_template(
            &template_field,
            params_field.as_ref(),
            templates,
            budget,
            slo_name,
            diags,
        );
    }
    map.ignore(&["params"]);
    let written_type = map.get("type");
    let present: Vec<&'static str> = INDICATOR_TYPES
        .iter()
        .copied()
        .filter(|t| map.has(t))
        .collect();
    let kind = match &written_type {
        Some(f) => {
            let text = f.string(diags)?;
            match INDICATOR_TYPES.iter().find(|t| **t == text) {
                Some(t) => *t,
                None => {
                    let mut d = f.error(format!("unknown indicator type `{text}`"));
                    d = match did_you_mean(&text, INDICATOR_TYPES.iter().copied()) {
                        Some(best) => d.help(format!("did you mean `{best}`?")),
                        None => d.help(format!("expected one of {}", backticked(INDICATOR_TYPES))),
                    };
                    diags.push(d);
                    map.ignore(INDICATOR_TYPES);
                    map.finish(diags);
                    return None;
                }
            }
        }
        None => match present.as_slice() {
            [only] => only,
            _ => {
                diags.push(map.missing("type").help(format!(
                    "set `type:` to one of {} and add the matching section",
                    backticked(INDICATOR_TYPES)
                )));
                map.ignore(INDICATOR_TYPES);
                map.finish(diags);
                return None;
            }
        },
    };
    for other in present.iter().filter(|t| **t != kind) {
        if let Some(f) = map.get(other) {
            diags.push(
                f.error(format!(
                    "`{other}` does not belong to an indicator of type `{kind}`"
                ))
                .help("remove it, or change `type`"),
            );
        }
    }
    let body = map.get(kind);
    let missing = body.is_none().then(|| {
        map.missing(kind)
            .help(format!("add a `{kind}:` section describing the indicator"))
    });
    map.finish(diags);
    if let Some(d) = missing {
        diags.push(d);
    }
    let mut body = body?.map(diags)?;
    let result = match kind {
        "ratio" => ratio(&mut body, diags),
        "latency" => latency(&mut body, diags),
        "threshold" => threshold(&mut body, diags),
        _ => body
            .required("errorRatioQuery", diags)
            .and_then(|f| common::window_query(&f, diags))
            .map(|error_ratio| Indicator::Raw { error_ratio }),
    };
    body.finish(diags);
    result
}

fn ratio(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let good = map.get("good");
    let bad = map.get("bad");
    let total = map
        .required("total", diags)
        .and_then(|f| event_source(&f, diags));
    let (counts, numerator) = match (good, bad) {
        (Some(g), None) => (Counted::Good, event_source(&g, diags)),
        (None, Some(b)) => (Counted::Bad, event_source(&b, diags)),
        (Some(_), Some(b)) => {
            diags.push(
                b.error("an indicator counts either `good` or `bad` events, not both")
                    .help("keep the one you have a counter for"),
            );
            return None;
        }
        (None, None) => {
            diags.push(
                map.missing("good")
                    .help("add `good:` (or `bad:`) with the counter of good (or bad) events"),
            );
            return None;
        }
    };
    Some(Indicator::Ratio(RatioIndicator {
        counts,
        numerator: numerator?,
        total: total?,
    }))
}

/// `{metric, filters}`, `{query}` with a `{{.window}}` placeholder, or a selector string.
fn event_source(field: &Field<'_>, diags: &mut Diagnostics) -> Option<EventSource> {
    if field.scalar().is_some() {
        return selector_string(field, diags).map(EventSource::Counter);
    }
    let mut map = field.map(diags)?;
    if let Some(query) = map.get("query") {
        map.finish(diags);
        return common::window_query(&query, diags).map(EventSource::Query);
    }
    let selector = selector(&mut map, diags);
    map.finish(diags);
    selector.map(EventSource::Counter)
}

fn selector_string(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Selector> {
    let text = field.non_empty(diags)?;
    match promql::parse_selector(&text) {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(
                field
                    .error(format!("invalid metric selector: {e}"))
                    .help("write `metric_name{label=\"value\"}`, or use `metric:` and `filters:`"),
            );
            None
        }
    }
}

/// `metric:` plus optional `filters:`, each filter one PromQL label matcher.
fn selector(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Selector> {
    let metric_field = map.required("metric", diags);
    let filters = map
        .get("filters")
        .map(|f| f.list(diags))
        .unwrap_or_default();
    let mut matchers = Vec::new();
    let mut ok = true;
    for item in filters {
        let Some(text) = item.string(diags) else {
            ok = false;
            continue;
        };
        match promql::parse_filter(&text) {
            Ok(m) => matchers.push(m),
            Err(e) => {
                ok = false;
                diags.push(
                    item.error(format!("invalid filter: {e}"))
                        .help("write one label matcher such as `status_code !~ \"5..\"`"),
                );
            }
        }
    }
    let metric_field = metric_field?;
    let metric = metric_field.non_empty(diags)?;
    if !promql::is_metric_name(&metric) {
        diags.push(metric_field.error(format!("`{metric}` is not a valid metric name")).help("metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*`; put label matchers in `filters`"));
        return None;
    }
    ok.then_some(Selector { metric, matchers })
}

fn latency(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let histogram = map.required("histogram", diags).and_then(|f| {
        if f.scalar().is_some() {
            return selector_string(&f, diags);
        }
        let mut inner = f.map(diags)?;
        let s = selector(&mut inner, diags);
        inner.finish(diags);
        s
    });
    let threshold = map.required("threshold", diags).and_then(|f| {
        // A duration (`300ms`) reads as seconds; a bare number is in the histogram's own unit.
        match f.scalar().map(|s| s.text.clone()) {
            Some(text) if text.trim().parse::<f64>().is_err() => {
                duration(&f, diags).map(|d| d.secs_f64())
            }
            _ => f.number(diags).filter(|v| {
                let ok = *v > 0.0;
                if !ok {
                    diags.push(f.error("a latency threshold must be greater than zero"));
                }
                ok
            }),
        }
    });
    let native = map
        .get("native")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(false);
    let mut histogram = histogram?;
    if let Some(base) = histogram.metric.strip_suffix("_bucket") {
        if !native {
            diags.push(
                Diagnostic::warning(format!(
                    "`{}` names the bucket series; using the histogram `{base}`",
                    histogram.metric
                ))
                .at(map.field.span())
                .field(crate::load::decode::join(
                    &map.field.path,
                    "histogram.metric",
                ))
                .help(format!("write `metric: {base}`")),
            );
            histogram.metric = base.to_string();
        }
    }
    Some(Indicator::Latency(LatencyIndicator {
        histogram,
        threshold: threshold?,
        native,
    }))
}

const COMPARISONS: [(&str, Comparison); 5] = [
    ("<", Comparison::Less),
    ("<=", Comparison::LessOrEqual),
    (">", Comparison::Greater),
    (">=", Comparison::GreaterOrEqual),
    ("==", Comparison::Equal),
];

fn threshold(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let gauge = selector(map, diags);
    let op =
        map.required("op", diags).and_then(|f| {
            let text = f.string(diags)?;
            let found = COMPARISONS
                .iter()
                .find(|(s, _)| *s == text)
                .map(|(_, c)| *c);
            if found.is_none() {
                diags.push(f.error(format!("unknown comparison `{text}`")).help(
                    "use one of `<`, `<=`, `>`, `>=`, `==` (good when `metric op value` holds)",
                ));
            }
            found
        });
    let bound = map.required("value", diags).and_then(|f| f.number(diags));
    Some(Indicator::Threshold(ThresholdIndicator {
        gauge: gauge?,
        op: op?,
        bound: bound?,
    }))
}

/// After this many SLOs got a copy of a template with errors, it is not filled in again: a
/// template with hundreds of problems used by thousands of SLOs would otherwise print millions
/// of repeats, slowly. Later SLOs get one short error each.
const MAX_FAILED_USES: usize = 3;

fn from_template(
    name_field: &Field<'_>,
    params_field: Option<&Field<'_>>,
    templates: &Registry<'_>,
    budget: &Budget,
    slo_name: &str,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    if budget.is_spent() {
        // Already reported once; filling the template again would only cost time.
        return None;
    }
    let name = name_field.non_empty(diags)?;
    let Some(template) = templates.templates.get(&name) else {
        let mut d = name_field.error(format!("unknown SLI template `{name}`"));
        d = match did_you_mean(&name, templates.templates.keys().map(String::as_str)) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d.help("define it in a document of `kind: SLITemplate`"),
        };
        diags.push(d);
        return None;
    };
    let given = params_field
        .map(|f| f.string_map(diags))
        .unwrap_or_default();
    // A set, not a scan per given parameter: both lists may be 50,000 long.
    let declared: std::collections::HashSet<&str> =
        template.params.iter().map(|(p, _)| p.as_str()).collect();
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut ok = true;
    for (param, (_, span)) in &given {
        if !declared.contains(param.as_str()) {
            ok = false;
            let mut d = Diagnostic::error(format!("template `{name}` has no parameter `{param}`"))
                .at(*span);
            d = match did_you_mean(param, template.params.iter().map(|(p, _)| p.as_str())) {
                Some(best) => d.help(format!("did you mean `{best}`?")),
                // Listing thousands of parameters under each of thousands of errors would print
                // gigabytes.
                None if template.params.len() > crate::diag::MAX_CANDIDATES => d.help(format!(
                    "it declares {} parameters under `spec.parameters`",
                    template.params.len()
                )),
                None => d.help(format!(
                    "its parameters are {}",
                    backticked(
                        &template
                            .params
                            .iter()
                            .map(|(p, _)| p.as_str())
                            .collect::<Vec<_>>()
                    )
                )),
            };
            diags.push(d);
        }
    }
    for (param, default) in &template.params {
        match given
            .get(param)
            .map(|(v, _)| v.clone())
            .or_else(|| default.clone())
        {
            Some(value) => {
                values.insert(param.clone(), value);
            }
            None => {
                ok = false;
                let at = params_field.unwrap_or(name_field);
                diags.push(
                    at.error(format!("template `{name}` needs parameter `{param}`"))
                        .help(format!("add `{param}: ...` under `params`")),
                );
            }
        }
    }
    if !ok {
        return None;
    }
    if template.failed_uses.get() >= MAX_FAILED_USES {
        diags.push(
            name_field
                .error(format!("SLI template `{name}` is not filled in for this SLO"))
                .note(format!(
                    "it had errors in the {MAX_FAILED_USES} SLOs that used it before; they are reported there"
                ))
                .help("fix those problems first"),
        );
        return None;
    }
    // The parameter values are copied for this use too, so they count against the budget.
    let value_bytes: usize = values.iter().map(|(k, v)| 1 + k.len() + v.len()).sum();
    let filled = substitute(
        template.indicator,
        &values,
        budget.left().saturating_sub(value_bytes),
    );
    let Some((filled, weight)) = filled else {
        // More than is left: `copy` reports it.
        budget.copy(usize::MAX, name_field, diags);
        return None;
    };
    if !budget.copy(weight + value_bytes, name_field, diags) {
        return None;
    }
    let mut inner = Diagnostics::default();
    let no_templates = Registry::default();
    let result = indicator(
        &Field::new(&filled, format!("(template `{name}`).indicator")),
        &no_templates,
        budget,
        slo_name,
        &mut inner,
    );
    if inner.has_errors() {
        template.failed_uses.set(template.failed_uses.get() + 1);
    }
    for d in inner.iter() {
        diags.push(d.clone().note(format!(
            "in SLI template `{name}`, used by SLO `{slo_name}`"
        )));
    }
    result
}

/// A copy of `node` with `{{ .param }}` and `{{.param}}` replaced in every scalar, and its
/// [`Node::weight`]. Values are escaped as inside a PromQL double-quoted string: that is where
/// parameters go (`job="{{ .job }}"`), and in every other valid place (a number, a metric name)
/// escaping changes nothing. Each scalar is filled in one pass, so a value that itself contains a
/// placeholder is kept as written, not filled again.
///
/// `None` when the copy would weigh more than `limit`. The weight is checked as the copy grows,
/// so a placeholder repeated many times with a long value costs no more than `limit` to refuse.
fn substitute(
    node: &Node,
    values: &BTreeMap<String, String>,
    limit: usize,
) -> Option<(Node, usize)> {
    let values: BTreeMap<&str, String> = values
        .iter()
        .map(|(k, v)| {
            let quoted = promql::quote(v);
            (k.as_str(), quoted[1..quoted.len() - 1].to_string())
        })
        .collect();
    let mut weight = node.weight();
    if weight > limit {
        return None;
    }
    let mut copy = node.clone();
    let mut stack = vec![&mut copy];
    while let Some(n) = stack.pop() {
        match &mut n.kind {
            NodeKind::Scalar(s) => {
                let filled = fill(&s.text, &values, limit - weight + s.text.len())?;
                weight = weight - s.text.len() + filled.len();
                s.text = filled;
            }
            NodeKind::Seq(items) => stack.extend(items.iter_mut()),
            NodeKind::Map(entries) => stack.extend(entries.iter_mut().map(|(_, v)| v)),
            NodeKind::Null => {}
        }
    }
    Some((copy, weight))
}

/// `text` with each `{{ .name }}` or `{{.name}}` of a known name replaced by its value; `None` as
/// soon as the result is longer than `max_len`. Other `{{ ... }}` (such as `{{.window}}`) stay.
fn fill(text: &str, values: &BTreeMap<&str, String>, max_len: usize) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match placeholder(rest).and_then(|(name, len)| Some((values.get(name)?, len))) {
            Some((value, len)) => {
                out.push_str(value);
                rest = &rest[len..];
            }
            None => {
                out.push_str("{{");
                rest = &rest[2..];
            }
        }
        if out.len() > max_len {
            return None;
        }
    }
    out.push_str(rest);
    (out.len() <= max_len).then_some(out)
}

/// The placeholder `{{ .name }}` or `{{.name}}` at the start of `text`: its name and length.
fn placeholder(text: &str) -> Option<(&str, usize)> {
    let (inner, close) = match text.strip_prefix("{{ .") {
        Some(inner) => (inner, " }}"),
        None => (text.strip_prefix("{{.")?, "}}"),
    };
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let opened = text.len() - inner.len();
    inner[end..]
        .starts_with(close)
        .then(|| (&inner[..end], opened + end + close.len()))
}

fn template_params(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for item in field.list(diags) {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let name =
            map.required("name", diags).and_then(|f| {
                let n = f.non_empty(diags)?;
                let ok = n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && n != "window";
                if !ok {
                    diags.push(f.error(format!("`{n}` cannot be a parameter name")).help(
                        "use letters, digits and `_`; `window` is reserved for the rate window",
                    ));
                }
                ok.then_some(n)
            });
        let default = map.get("default").and_then(|f| f.string(diags));
        map.ignore(&["description"]);
        map.finish(diags);
        if let Some(name) = name {
            if !names.insert(name.clone()) {
                diags.push(item.error(format!("parameter `{name}` is declared twice")));
            } else {
                out.push((name, default));
            }
        }
    }
    out
}

/// Second-pass validation of a template document: its parameters, and its indicator with every
/// parameter replaced by its default or by `1` (valid as a label value, a number and a threshold),
/// so that PromQL and structure errors show up once, at the template.
fn template(spec: &mut Map<'_>, budget: &Budget, diags: &mut Diagnostics) {
    spec.ignore(&["description"]);
    let params = spec
        .get("parameters")
        .map(|f| template_params(&f, diags))
        .unwrap_or_default();
    let Some(indicator_field) = spec.required("indicator", diags) else {
        return;
    };
    let values = params
        .iter()
        .map(|(p, default)| {
            (
                p.clone(),
                default.clone().unwrap_or_else(|| "1".to_string()),
            )
        })
        .collect();
    let Some((filled, weight)) = substitute(indicator_field.node, &values, budget.left()) else {
        // More than is left: `copy` reports it.
        budget.copy(usize::MAX, &indicator_field, diags);
        return;
    };
    if !budget.copy(weight, &indicator_field, diags) {
        return;
    }
    indicator(
        &Field::new(&filled, indicator_field.path.clone()),
        &Registry::default(),
        budget,
        "",
        diags,
    );
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

/// The alerting section, and where its explicit `burnRates` are (`None` means the default tiers,
/// which depend on each objective's period and are filled in per objective).
fn alerting(
    field: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<(Alerting, Option<(Span, String)>)> {
    let mut map = field.map(diags)?;
    let mut out = default_alerting(DEFAULT_PERIOD);
    let mut explicit = None;
    out.enabled = map
        .get("enabled")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(true);
    out.name = map.get("name").and_then(|f| f.non_empty(diags));
    out.for_duration = map.get("for").and_then(|f| duration(&f, diags));
    out.labels = map
        .get("labels")
        .map(|f| labels(&f, diags))
        .unwrap_or_default();
    out.annotations = map
        .get("annotations")
        .map(|f| common::annotations(&f, diags))
        .unwrap_or_default();
    out.runbook_url = map
        .get_any(&["runbookUrl", "runbook"])
        .and_then(|f| f.non_empty(diags));
    out.budget_exhausted = map
        .get("budgetExhausted")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(false);
    out.no_data = map.get("noData").and_then(|f| duration(&f, diags));
    if let Some(f) = map.get("burnRates") {
        out.tiers = burn_rates(&f, diags);
        explicit = Some((f.span(), f.path.clone()));
    }
    map.finish(diags);
    Some((out, explicit))
}

/// `burnRates` items, grouped into one tier per severity in order of first appearance. A pair
/// whose short window is longer than its long window is the customers' template: swapped back.
fn burn_rates(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<AlertTier> {
    let mut tiers: Vec<AlertTier> = Vec::new();
    for item in field.list(diags) {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let severity = map
            .required("severity", diags)
            .and_then(|f| f.non_empty(diags));
        let short_field = map.required("shortWindow", diags);
        let long_field = map.required("longWindow", diags);
        let short = short_field.as_ref().and_then(|f| duration(f, diags));
        let long = long_field.as_ref().and_then(|f| duration(f, diags));
        let factor = map.required("burnRate", diags).and_then(|f| {
            let v = f.number(diags)?;
            if v <= 0.0 {
                diags.push(
                    f.error(format!(
                        "burn rate `{}` must be greater than zero",
                        trim_float(v)
                    ))
                    .help("a burn rate of 1 spends the budget exactly over the period"),
                );
                return None;
            }
            Some(v)
        });
        let tier_labels = map
            .get("labels")
            .map(|f| labels(&f, diags))
            .unwrap_or_default();
        let tier_annotations = map
            .get("annotations")
            .map(|f| common::annotations(&f, diags))
            .unwrap_or_default();
        map.finish(diags);
        let (Some(severity), Some(mut short), Some(mut long), Some(factor)) =
            (severity, short, long, factor)
        else {
            continue;
        };
        if short == long {
            diags.push(
                item.error(format!("`shortWindow` and `longWindow` are both {short}"))
                    .help("the short window confirms the long one; make it about 1/12 of it"),
            );
            continue;
        }
        if short > long {
            diags.push(
                Diagnostic::warning(format!("`shortWindow` ({short}) is longer than `longWindow` ({long}); treating {long} as the short window and {short} as the long one"))
                    .at(short_field.as_ref().map(|f| f.span()).unwrap_or(item.span()))
                    .field(short_field.as_ref().map(|f| f.path.clone()).unwrap_or(item.path.clone()))
                    .note("the long window decides whether enough budget burned; the short one, about 1/12 of it, makes the alert reset quickly once the burn stops")
                    .help(format!("write `shortWindow: {long}` and `longWindow: {short}`")),
            );
            std::mem::swap(&mut short, &mut long);
        }
        let window = BurnWindow {
            long,
            short,
            factor,
        };
        match tiers.iter_mut().find(|t| t.severity == severity) {
            Some(tier) => tier.windows.push(window),
            None => tiers.push(AlertTier {
                severity,
                windows: vec![window],
                labels: tier_labels,
                annotations: tier_annotations,
            }),
        }
    }
    tiers
}

fn phases(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Phases> {
    let mut map = field.map(diags)?;
    let current_field = map.required("current", diags);
    let list = match map.get("steps") {
        Some(f) => phase_list(&f, diags),
        None => Phase::default_ladder(),
    };
    map.finish(diags);
    let current_field = current_field?;
    let current = current_field.non_empty(diags)?;
    match list.iter().position(|p| p.name == current) {
        Some(index) => Some(Phases {
            list,
            current: index,
        }),
        None => {
            let mut d = current_field.error(format!("unknown phase `{current}`"));
            d = match did_you_mean(&current, list.iter().map(|p| p.name.as_str())) {
                Some(best) => d.help(format!("did you mean `{best}`?")),
                None => d.help(format!(
                    "the phases are {}",
                    backticked(&list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>())
                )),
            };
            diags.push(d);
            None
        }
    }
}

fn phase_list(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<Phase> {
    let mut out: Vec<Phase> = Vec::new();
    for item in field.list(diags) {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let name = map.required("name", diags).and_then(|f| f.non_empty(diags));
        let target = map
            .required("target", diags)
            .and_then(|f| objective_ratio(&f, diags));
        let latency_p95 = map.get("latencyP95").and_then(|f| duration(&f, diags));
        let latency_p99 = map.get("latencyP99").and_then(|f| duration(&f, diags));
        let phase_duration = map.get("duration").and_then(|f| duration(&f, diags));
        let starts = map.get("starts").and_then(|f| date(&f, diags));
        let criteria = map
            .get("criteria")
            .map(|f| f.strings(diags))
            .unwrap_or_default();
        map.finish(diags);
        if let (Some(p95), Some(p99)) = (latency_p95, latency_p99) {
            if p95 > p99 {
                diags.push(
                    item.error(format!(
                        "`latencyP95` ({p95}) is above `latencyP99` ({p99})"
                    ))
                    .help("the 95th percentile cannot be slower than the 99th"),
                );
            }
        }
        let (Some(name), Some(target)) = (name, target) else {
            continue;
        };
        if let Some(previous) = out.last() {
            if target < previous.target {
                diags.push(
                    item.warning(format!(
                        "phase `{name}` lowers the target from {} to {}",
                        trim_float(previous.target),
                        trim_float(target)
                    ))
                    .help("progressive targets usually only rise"),
                );
            }
        }
        out.push(Phase {
            name,
            target,
            latency_p95,
            latency_p99,
            duration: phase_duration,
            starts,
            criteria,
        });
    }
    out
}

fn date(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Date> {
    let text = field.string(diags)?;
    let parsed = Date::parse(&text);
    if parsed.is_none() {
        diags.push(
            field
                .error(format!("`{text}` is not a date"))
                .help("write dates as `YYYY-MM-DD`"),
        );
    }
    parsed
}

/// `review: {cadence, lastReviewed, approvers}`; approvers are returned separately.
fn review(field: &Field<'_>, diags: &mut Diagnostics) -> (Review, Vec<String>) {
    let Some(mut map) = field.map(diags) else {
        return (Review::default(), Vec::new());
    };
    let cadence = map.get("cadence").and_then(|f| duration(&f, diags));
    let last_reviewed = map.get("lastReviewed").and_then(|f| date(&f, diags));
    let approvers = map
        .get("approvers")
        .map(|f| f.strings(diags))
        .unwrap_or_default();
    map.finish(diags);
    (
        Review {
            cadence,
            last_reviewed,
        },
        approvers,
    )
}

fn product(
    meta: super::Metadata,
    spec: &mut Map<'_>,
    origin: Origin,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let name_ok = check_file_safe_name(
        &Field::new(
            &Node {
                kind: NodeKind::Null,
                span: meta.name_span,
            },
            "metadata.name",
        ),
        &meta.name,
        "product",
        diags,
    );
    let display_name = spec
        .get("displayName")
        .and_then(|f| f.string(diags))
        .or(meta.display_name.clone());
    let description = spec.get("description").and_then(|f| f.string(diags));
    let team = spec.get("team").and_then(|f| f.string(diags));
    let owners = spec
        .get("owners")
        .map(|f| f.strings(diags))
        .unwrap_or_default();
    let mut services = Vec::new();
    if let Some(f) = spec.get("services") {
        for item in f.list(diags) {
            if let Some(s) = item.non_empty(diags) {
                if services.contains(&s) {
                    diags.push(item.error(format!("service `{s}` is listed twice")));
                } else {
                    services.push(s);
                }
            }
        }
    }
    services.sort();
    let maturity = match spec.get("maturity") {
        None => Maturity::Greenfield,
        Some(f) => {
            let text = f.string(diags).unwrap_or_default();
            match Maturity::ALL.iter().find(|(s, _)| *s == text) {
                Some((_, m)) => *m,
                None => {
                    let names: Vec<&str> = Maturity::ALL.iter().map(|(s, _)| *s).collect();
                    let mut d = f.error(format!("unknown maturity level `{text}`"));
                    d = match did_you_mean(&text, names.iter().copied()) {
                        Some(best) => d.help(format!("did you mean `{best}`?")),
                        None => d.help(format!("expected one of {}", backticked(&names))),
                    };
                    diags.push(d);
                    Maturity::Greenfield
                }
            }
        }
    };
    let (review, mut approvers) = spec
        .get("review")
        .map(|f| review(&f, diags))
        .unwrap_or_default();
    if let Some(f) = spec.get("approvers") {
        approvers.extend(f.strings(diags));
    }
    let policy_field = spec.get("policy");
    let policy = policy_field.as_ref().and_then(|f| f.non_empty(diags));
    if !name_ok {
        return;
    }
    let product = Product {
        name: meta.name,
        display_name,
        description,
        team,
        owners,
        maturity,
        review,
        approvers,
        policy,
        services,
        slos: Vec::new(),
        origin: Some(origin),
    };
    drafts.products.push(ProductDraft {
        product,
        span: meta.name_span,
        policy_span: policy_field.map(|f| f.span()),
    });
}

fn policy(
    meta: super::Metadata,
    spec: &mut Map<'_>,
    origin: Origin,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let description = spec.get("description").and_then(|f| f.string(diags));
    let mut steps = Vec::new();
    match spec.required("steps", diags) {
        Some(f) => {
            let items = f.list(diags);
            if items.is_empty() {
                diags.push(f.error("a policy needs at least one step"));
            }
            for item in items {
                if let Some(step) = policy_step(&item, diags) {
                    steps.push(step);
                }
            }
        }
        None => return,
    }
    drafts.policies.push((
        ErrorBudgetPolicy {
            name: meta.name,
            description,
            steps,
            origin,
        },
        meta.name_span,
    ));
}

const CONDITIONS: &[&str] = &["budgetRemainingBelow", "budgetExhausted", "burnRateAbove"];

fn policy_step(item: &Field<'_>, diags: &mut Diagnostics) -> Option<PolicyStep> {
    let mut map = item.map(diags)?;
    let name = map.required("name", diags).and_then(|f| f.non_empty(diags));
    let action = map
        .required("action", diags)
        .and_then(|f| f.non_empty(diags));
    let blocks_releases = map
        .get("blockReleases")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(false);
    let when = map.required("when", diags).and_then(|f| {
        let mut when = f.map(diags)?;
        let present: Vec<&'static str> =
            CONDITIONS.iter().copied().filter(|c| when.has(c)).collect();
        let condition = match present.as_slice() {
            ["budgetRemainingBelow"] => when.get("budgetRemainingBelow").and_then(|f| {
                let v = f.number(diags)?;
                if !(0.0..=1.0).contains(&v) {
                    let hint = if v > 1.0 && v <= 100.0 {
                        format!("did you mean `{}`?", trim_float(v / 100.0))
                    } else {
                        "use a ratio between 0 and 1".into()
                    };
                    diags.push(
                        f.error(format!(
                            "budget share `{}` must be between 0 and 1",
                            trim_float(v)
                        ))
                        .help(hint),
                    );
                    return None;
                }
                Some(PolicyCondition::BudgetRemainingBelow(v))
            }),
            ["budgetExhausted"] => when
                .get("budgetExhausted")
                .and_then(|f| f.boolean(diags))
                .and_then(|b| {
                    if !b {
                        diags.push(
                            f.error("`budgetExhausted: false` never matches")
                                .help("write `budgetExhausted: true`"),
                        );
                    }
                    b.then_some(PolicyCondition::BudgetExhausted)
                }),
            ["burnRateAbove"] => {
                let factor = when.get("burnRateAbove").and_then(|f| f.number(diags));
                let window = when
                    .required("window", diags)
                    .and_then(|f| duration(&f, diags));
                Some(PolicyCondition::BurnRateAbove {
                    factor: factor?,
                    window: window?,
                })
            }
            [] => {
                diags.push(
                    f.error("a step needs a condition")
                        .help(format!("use one of {}", backticked(CONDITIONS))),
                );
                None
            }
            _ => {
                diags.push(
                    f.error("a step has exactly one condition")
                        .help("split it into several steps"),
                );
                None
            }
        };
        when.ignore(CONDITIONS);
        when.ignore(&["window"]);
        when.finish(diags);
        condition
    });
    map.finish(diags);
    Some(PolicyStep {
        name: name?,
        when: when?,
        action: action?,
        blocks_releases,
    })
}

#[cfg(test)]
mod tests {
    use crate::diag::Diagnostics;
    use crate::load::source::SourceMap;
    use crate::load::yaml;
    use crate::load::{decode_all, Options};
    use crate::model::{BurnWindow, Catalog, Counted, Date, EventSource, Indicator, MatchOp};

    fn load(text: &str) -> (Catalog, String) {
        let mut sources = SourceMap::default();
        let id = sources.add("spec.yaml", text);
        let mut diags = Diagnostics::default();
        let docs = yaml::parse(id, text, &mut diags);
        let today = Date {
            year: 2026,
            month: 11,
            day: 22,
        };
        let catalog = decode_all(&sources, &[(id, docs)], Options { today }, &mut diags);
        (catalog, diags.render(&sources))
    }

    const CUSTOMER_TEMPLATE: &str = r#"
apiVersion: slo.dev/v1
kind: ServiceLevelObjective
metadata: {name: api-service-availability, namespace: production, labels: {service: api-service}}
spec:
  service: api-service
  indicator: {type: ratio, ratio: {good: {metric: http_requests_total, filters: ['status_code !~ "5.."']}, total: {metric: http_requests_total}}}
  objectives: [{displayName: availability, window: 30d, target: 0.999}]
  alerting: {enabled: true, burnRates: [{severity: critical, shortWindow: 1h, longWindow: 5m, burnRate: 14.4}]}
"#;

    #[test]
    fn the_customer_template_loads_with_its_windows_normalised() {
        let (catalog, rendered) = load(CUSTOMER_TEMPLATE);
        assert!(
            rendered.starts_with("warning: `shortWindow` (1h) is longer than `longWindow` (5m)"),
            "{rendered}"
        );
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(
            (
                slo.product.as_str(),
                slo.service.as_str(),
                slo.name.as_str()
            ),
            ("api-service", "api-service", "api-service-availability")
        );
        assert_eq!(slo.objective, 0.999);
        assert_eq!(slo.period.to_string(), "30d");
        assert_eq!(
            slo.labels.get("service").map(String::as_str),
            Some("api-service")
        );
        let Indicator::Ratio(ratio) = &slo.indicator else {
            panic!("ratio expected")
        };
        assert_eq!(ratio.counts, Counted::Good);
        let EventSource::Counter(good) = &ratio.numerator else {
            panic!("counter expected")
        };
        assert_eq!(
            (
                good.metric.as_str(),
                good.matchers[0].label.as_str(),
                good.matchers[0].op,
                good.matchers[0].value.as_str()
            ),
            (
                "http_requests_total",
                "status_code",
                MatchOp::NotRegex,
                "5.."
            )
        );
        let tier = &slo.alerting.tiers[..];
        assert_eq!(tier.len(), 1);
        assert_eq!(tier[0].severity, "critical");
        let window = tier[0].windows[0];
        assert_eq!(
            window,
            BurnWindow {
                long: crate::duration::Duration::from_hours(1),
                short: crate::duration::Duration::from_mins(5),
                factor: 14.4
            }
        );
    }

    #[test]
    fn default_tiers_scale_with_the_period() {
        let text = CUSTOMER_TEMPLATE.replace("window: 30d", "window: 7d").replace("  alerting: {enabled: true, burnRates: [{severity: critical, shortWindow: 1h, longWindow: 5m, burnRate: 14.4}]}\n", "");
        let (catalog, rendered) = load(&text);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        let factors: Vec<(String, String, f64)> = slo
            .alerting
            .tiers
            .iter()
            .flat_map(|t| {
                t.windows
                    .iter()
                    .map(move |w| (t.severity.clone(), w.long.to_string(), w.factor))
            })
            .collect();
        // 7 days is 168 hours: each tier keeps its share of budget (2%, 5%, 10%, 10%), except that
        // no factor goes below 1x (the tickets would be 0.7x and 0.23x).
        assert_eq!(
            factors,
            vec![
                ("page".into(), "1h".into(), 3.36),
                ("page".into(), "6h".into(), 1.4),
                ("ticket".into(), "1d".into(), 1.0),
                ("ticket".into(), "3d".into(), 1.0),
            ]
        );
    }

    #[test]
    fn templates_fill_parameters_and_report_at_the_template() {
        let text = r#"
apiVersion: slo.dev/v1
kind: SLITemplate
metadata: {name: http}
spec:
  parameters: [{name: job}, {name: code, default: "5.."}]
  indicator: {type: ratio, ratio: {bad: {metric: http_requests_total, filters: ['job="{{ .job }}"', 'code=~"{{.code}}"']}, total: {metric: http_requests_total, filters: ['job="{{ .job }}"']}}}
---
apiVersion: slo.dev/v1
kind: ServiceLevelObjective
metadata: {name: api}
spec:
  service: api
  indicator: {template: http, params: {job: 'api "v2"'}}
  objectives: [{window: 30d, target: 0.99}]
"#;
        let (catalog, rendered) = load(text);
        assert_eq!(rendered, "");
        let Indicator::Ratio(ratio) = &catalog.slos().next().expect("one SLO").indicator else {
            panic!("ratio expected")
        };
        let EventSource::Counter(bad) = &ratio.numerator else {
            panic!("counter expected")
        };
        assert_eq!(
            crate::promql::render_selector(bad, &[]),
            r#"http_requests_total{job="api \"v2\"",code=~"5.."}"#
        );
    }
}
