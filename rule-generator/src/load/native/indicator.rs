//! The `indicator` of a native SLO: `ratio` (good or bad over total, from metrics with filters or
//! from queries), `latency` (classic or native histograms under a threshold), `threshold` (a gauge
//! compared with a bound) and `raw` (an error-ratio query).

use super::*;

pub(super) const INDICATOR_TYPES: &[&str] = &["ratio", "latency", "threshold", "raw"];

pub(super) fn indicator(
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
                    d = d.help_did_you_mean(&text, INDICATOR_TYPES.iter().copied(), || {
                        format!("expected one of {}", backticked(INDICATOR_TYPES))
                    });
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

pub(super) fn ratio(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
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
pub(super) fn event_source(field: &Field<'_>, diags: &mut Diagnostics) -> Option<EventSource> {
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

pub(super) fn selector_string(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Selector> {
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
pub(super) fn selector(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Selector> {
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

pub(super) fn latency(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
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

pub(super) const COMPARISONS: [(&str, Comparison); 5] = [
    ("<", Comparison::Less),
    ("<=", Comparison::LessOrEqual),
    (">", Comparison::Greater),
    (">=", Comparison::GreaterOrEqual),
    ("==", Comparison::Equal),
];

pub(super) fn threshold(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
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
