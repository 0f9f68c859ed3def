//! OpenSLO indicators: `SLI` objects and inline `indicator`s of v1 (`ratioMetric` with good or
//! bad over total, `thresholdMetric`, `raw`), v1alpha's `ratioMetrics`, and their metric sources.
//! Only Prometheus-compatible sources become an indicator; any other source is an error that names
//! it.

use super::*;

/// An indicator as an SLI defines it, with the grouping labels its Prometheus sources name in
/// `dimensions`.
#[derive(Clone)]
pub(super) struct Sli {
    pub(super) kind: SliKind,
    pub(super) group_by: Vec<String>,
}

/// Thresholds get their bound from the objective.
#[derive(Clone)]
pub(super) enum SliKind {
    Ratio(RatioIndicator),
    Raw(WindowQuery),
    Threshold(Selector),
    /// A threshold on a PromQL expression rather than a stored gauge (`max(queue_depth)`, say).
    ThresholdExpression(String),
}

/// A v1 SLI `spec`: exactly one of `ratioMetric` and `thresholdMetric`.
pub(super) fn sli_spec(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
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

pub(super) fn ratio_metric(
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
    let (counts, numerator) = good_or_bad(
        field,
        good,
        bad,
        "add `good:` (or `bad:`) and `total:` metric sources, or `raw:`",
        diags,
    )?;
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

/// Which events a ratio counts: exactly one of `good` and `bad`, else an error (`missing` says
/// how to add one).
fn good_or_bad<'a>(
    field: &Field<'_>,
    good: Option<Field<'a>>,
    bad: Option<Field<'a>>,
    missing: &str,
    diags: &mut Diagnostics,
) -> Option<(Counted, Field<'a>)> {
    match (good, bad) {
        (Some(good), None) => Some((Counted::Good, good)),
        (None, Some(bad)) => Some((Counted::Bad, bad)),
        (Some(_), Some(bad)) => {
            diags.push(
                bad.error("a ratio has either `good` or `bad`, not both")
                    .help("keep one; slokit derives the other from `total`"),
            );
            None
        }
        (None, None) => {
            diags.push(map_missing(field, "good", missing));
            None
        }
    }
}

pub(super) fn map_missing(field: &Field<'_>, key: &str, help: &str) -> Diagnostic {
    let at = Span::on_line(field.node.span.file, field.node.span.start, 1);
    Diagnostic::error(format!("missing required field `{key}`"))
        .at(at)
        .field(&field.path)
        .help(help)
}

/// A `{metricSource: {metricSourceRef?, type?, spec: {query, dimensions?}}}` wrapper: the
/// Prometheus query. `dimensions` (the labels to group by) must agree between the sources of one
/// SLI; the first source's are kept in `dims`.
pub(super) fn metric_source<'a>(
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
    if !is_prometheus(&source_type) {
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
    // Nobl9's Prometheus sources name the query `promql`; the meaning is the same.
    let query = either(&mut spec, "query", "promql", diags);
    if query.is_none() && !spec.has("query") {
        diags.push(spec.missing("query"));
    }
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
pub(super) fn group_labels(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<String> {
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
pub(super) fn alpha_source<'a>(field: &Field<'a>, diags: &mut Diagnostics) -> Option<Field<'a>> {
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
pub(super) fn event_source(
    query: &Field<'_>,
    counter: bool,
    diags: &mut Diagnostics,
) -> Option<EventSource> {
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
pub(super) fn counter_selector(text: &str) -> Result<Selector, String> {
    let inner = text
        .strip_prefix("sum(")
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|inner| promql::parse_selector(inner.trim()).ok());
    match inner {
        Some(selector) => Ok(selector),
        None => promql::parse_selector(text),
    }
}

/// A `thresholdMetric` query: a gauge selector, which becomes a threshold indicator, or any other
/// PromQL expression, compared with the bound the same way (see [`threshold_expression`]).
pub(super) fn threshold_selector(query: &Field<'_>, diags: &mut Diagnostics) -> Option<SliKind> {
    let text = query.non_empty(diags)?;
    if let Ok(selector) = promql::parse_selector(text.trim()) {
        return Some(SliKind::Threshold(selector));
    }
    if let Err(e) = promql::parse(text.trim()) {
        diags.push(
            query
                .error(format!("invalid PromQL: {e}"))
                .note("a `thresholdMetric` query is a gauge selector or a PromQL expression compared with the objective's `value`"),
        );
        return None;
    }
    Some(SliKind::ThresholdExpression(text.trim().to_string()))
}

/// The error ratio of a threshold on an expression: the share of the window's 1m steps at which
/// the expression fails the bound, per series. It is what slokit records for a gauge selector
/// (see `gauge_rates` in `render/rules.rs`), written as a ready ratio because the model's
/// threshold indicator holds a selector; each 5m slice then counts as one event per series, the
/// same weighting, so the SLI is the same.
pub(super) fn threshold_expression(expression: &str, op: Comparison, bound: f64) -> WindowQuery {
    let failing = match op {
        Comparison::Less => ">=",
        Comparison::LessOrEqual => ">",
        Comparison::Greater => "<=",
        Comparison::GreaterOrEqual => "<",
        Comparison::Equal => "!=",
    };
    WindowQuery {
        template: format!(
            "avg_over_time((\n  ({expression}) {failing} bool {bound}\n)[{{{{.window}}}}:{}])",
            crate::conventions::GAUGE_STEP
        ),
    }
}

/// The SLO-level indicator: v1 `indicator` (inline `{metadata, spec}`) or `indicatorRef`, v1alpha
/// `indicator: {thresholdMetric}`.
pub(super) fn slo_indicator(
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

pub(super) fn inline_indicator(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
    let mut map = field.map(diags)?;
    let spec = inline_object(&mut map, "SLI", diags);
    map.finish(diags);
    sli_spec(&spec?, context, diags)
}

pub(super) fn indicator_ref(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
    let named = lookup(field, &context.reg.slis, "SLI", "SLI", diags)?;
    if !context.budget.copy(named.weight, field, diags) {
        return None;
    }
    // The SLI document itself only warns about a foreign source (it may be unused), so the SLO
    // that uses it carries the error.
    if let Some((source, at)) = named.spec.and_then(|s| foreign_source(s, context.reg)) {
        diags.push(
            field
                .error(format!(
                    "SLI `{}` reads a `{source}` metric source",
                    field.string(&mut Diagnostics::default()).unwrap_or_default()
                ))
                .note_at("the source", at)
                .note("slokit generates Prometheus recording rules, so it can only read Prometheus metrics")
                .help("refer to an SLI whose metric sources are `type: Prometheus`"),
        );
        return None;
    }
    quietly(named, |spec, quiet| sli_spec(spec, context, quiet))
}

pub(super) fn alpha_indicator(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Sli> {
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

pub(super) fn alpha_ratio(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Sli> {
    let mut map = field.map(diags)?;
    let incremental = map.get("incremental").and_then(|f| f.boolean(diags));
    let counter = map.get("counter").and_then(|f| f.boolean(diags));
    let good = map.get("good");
    let bad = map.get("bad");
    let total = map.required("total", diags);
    map.finish(diags);
    let counter = counter.or(incremental).unwrap_or(false);
    let (counts, numerator) = good_or_bad(
        field,
        good,
        bad,
        "add `good:` (or `bad:`) with a query",
        diags,
    )?;
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
