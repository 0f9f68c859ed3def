//! Pyrra's indicators. Each names its metrics as PromQL selectors (`metric:` strings) and may
//! split the SLO by `grouping` labels:
//!
//! - `ratio`: `errors` over `total`, two counters.
//! - `latency`: `success` (a histogram bucket, `..._bucket{le="1"}`) over `total` (its
//!   `..._count`). When both select the same histogram, this is slokit's latency SLI, which
//!   matches the bucket bound however the exporter and Prometheus version spell it; otherwise it is
//!   a ratio of the two counters, the bucket matched exactly as written.
//! - `latencyNative`: the share of a native histogram's observations under `latency`.
//! - `bool_gauge` (also spelled `boolGauge`): the share of samples where a 0/1 gauge is 1, which
//!   is slokit's threshold SLI `== 1`.
//!
//! A selector may carry an `offset` (Pyrra passes it through to its rate queries); such a source
//! becomes a rate query with the same offset.

use crate::conventions::{LABEL_BUCKET, WINDOW_PLACEHOLDER};
use crate::diag::Diagnostics;
use crate::load::common;
use crate::load::decode::{Field, Map};
use crate::load::yaml::NodeKind;
use crate::model::{
    Comparison, Counted, EventSource, Indicator, LatencyIndicator, MatchOp, RatioIndicator,
    Selector, ThresholdIndicator, WindowQuery,
};
use crate::promql;

const KINDS: &[&str] = &["ratio", "latency", "latencyNative", "bool_gauge"];

/// `indicator`: exactly one kind, with its grouping labels.
pub(super) fn indicator(
    field: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<(Indicator, Vec<String>)> {
    let mut map = field.map(diags)?;
    let ratio = map.get("ratio");
    let latency = map.get("latency");
    let native = map.get("latencyNative");
    // The CRD's JSON name is `bool_gauge`; Pyrra's documentation and Go field say `boolGauge`.
    let gauge = map.get("bool_gauge").or_else(|| map.get("boolGauge"));
    map.finish_ignoring_unknown("Pyrra", diags);
    let given = [&ratio, &latency, &native, &gauge]
        .iter()
        .filter(|f| f.is_some())
        .count();
    if given != 1 {
        let message = if given == 0 {
            "the indicator has no kind"
        } else {
            "the indicator has more than one kind"
        };
        diags.push(field.error(message).help(format!(
            "write exactly one of {}",
            crate::load::decode::backticked(KINDS)
        )));
        return None;
    }
    if let Some(f) = ratio {
        return ratio_indicator(&f, diags);
    }
    if let Some(f) = latency {
        return latency_indicator(&f, diags);
    }
    if let Some(f) = native {
        return native_indicator(&f, diags);
    }
    gauge_indicator(&gauge?, diags)
}

fn ratio_indicator(field: &Field<'_>, diags: &mut Diagnostics) -> Option<(Indicator, Vec<String>)> {
    let mut map = field.map(diags)?;
    let errors = map
        .required("errors", diags)
        .and_then(|f| metric(&f, diags));
    let total = map.required("total", diags).and_then(|f| metric(&f, diags));
    let grouping = grouping(&mut map, diags);
    map.finish_ignoring_unknown("Pyrra", diags);
    let indicator = Indicator::Ratio(RatioIndicator {
        counts: Counted::Bad,
        numerator: errors?.source(),
        total: total?.source(),
    });
    Some((indicator, grouping?))
}

fn latency_indicator(
    field: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<(Indicator, Vec<String>)> {
    let mut map = field.map(diags)?;
    let success = map
        .required("success", diags)
        .and_then(|f| metric(&f, diags));
    let total = map.required("total", diags).and_then(|f| metric(&f, diags));
    let grouping = grouping(&mut map, diags);
    map.finish_ignoring_unknown("Pyrra", diags);
    let (success, total, grouping) = (success?, total?, grouping?);
    if let Some(latency) = same_histogram(&success, &total) {
        return Some((Indicator::Latency(latency), grouping));
    }
    let indicator = Indicator::Ratio(RatioIndicator {
        counts: Counted::Good,
        numerator: success.source(),
        total: total.source(),
    });
    Some((indicator, grouping))
}

/// The latency SLI when `success` is a bucket of the histogram whose `_count` is `total`, with the
/// same matchers besides `le`.
fn same_histogram(success: &Metric, total: &Metric) -> Option<LatencyIndicator> {
    if success.offset.is_some() || total.offset.is_some() {
        return None;
    }
    let base = success.selector.metric.strip_suffix("_bucket")?;
    if total.selector.metric.strip_suffix("_count")? != base {
        return None;
    }
    let (le, rest): (Vec<_>, Vec<_>) = success
        .selector
        .matchers
        .iter()
        .cloned()
        .partition(|m| m.label == LABEL_BUCKET);
    let [le] = le.as_slice() else {
        return None;
    };
    if le.op != MatchOp::Equal {
        return None;
    }
    let threshold = le
        .value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())?;
    let mut a = rest.clone();
    let mut b = total.selector.matchers.clone();
    let key = |m: &crate::model::Matcher| (m.label.clone(), m.op.as_str(), m.value.clone());
    a.sort_by_key(key);
    b.sort_by_key(key);
    (a == b).then(|| LatencyIndicator {
        histogram: Selector {
            metric: base.to_string(),
            matchers: total.selector.matchers.clone(),
        },
        threshold,
        native: false,
    })
}

fn native_indicator(
    field: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<(Indicator, Vec<String>)> {
    let mut map = field.map(diags)?;
    let threshold = map.required("latency", diags).and_then(|f| {
        let latency = common::duration(&f, diags)?;
        Some(latency.millis() as f64 / 1000.0)
    });
    let total = map
        .required("total", diags)
        .and_then(|f| plain_metric(&f, "a native histogram", diags));
    let grouping = grouping(&mut map, diags);
    map.finish_ignoring_unknown("Pyrra", diags);
    let indicator = Indicator::Latency(LatencyIndicator {
        histogram: total?,
        threshold: threshold?,
        native: true,
    });
    Some((indicator, grouping?))
}

fn gauge_indicator(field: &Field<'_>, diags: &mut Diagnostics) -> Option<(Indicator, Vec<String>)> {
    let mut map = field.map(diags)?;
    let gauge = metric_text(&mut map, diags)
        .and_then(|(text, f)| plain_selector(&f, &text, "a boolean gauge", diags));
    let grouping = grouping(&mut map, diags);
    map.finish_ignoring_unknown("Pyrra", diags);
    let indicator = Indicator::Threshold(ThresholdIndicator {
        gauge: gauge?,
        op: Comparison::Equal,
        bound: 1.0,
    });
    Some((indicator, grouping?))
}

/// A `metric:` selector, with the offset it may carry.
struct Metric {
    selector: Selector,
    offset: Option<String>,
}

impl Metric {
    /// The counter as an event source: the selector itself, or a rate query keeping the offset.
    fn source(self) -> EventSource {
        match self.offset {
            None => EventSource::Counter(self.selector),
            Some(offset) => EventSource::Query(WindowQuery {
                template: format!(
                    "rate({}[{WINDOW_PLACEHOLDER}] offset {offset})",
                    promql::render_selector(&self.selector, &[])
                ),
            }),
        }
    }
}

fn metric_text<'a>(map: &mut Map<'a>, diags: &mut Diagnostics) -> Option<(String, Field<'a>)> {
    let field = map.required("metric", diags)?;
    let text = field.non_empty(diags)?;
    Some((text, field))
}

/// `{metric: ...}`, the shape of `errors`, `total` and `success`.
fn metric(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Metric> {
    let mut map = field.map(diags)?;
    let found = metric_text(&mut map, diags);
    map.finish_ignoring_unknown("Pyrra", diags);
    let (text, field) = found?;
    match promql::parse_selector_with_offset(&text) {
        Ok((selector, offset)) => Some(Metric { selector, offset }),
        Err(e) => {
            diags.push(invalid_selector(&field, &e));
            None
        }
    }
}

/// A selector without `offset`, for what Pyrra reads without a rate.
fn plain_metric(field: &Field<'_>, what: &str, diags: &mut Diagnostics) -> Option<Selector> {
    let mut map = field.map(diags)?;
    let found = metric_text(&mut map, diags);
    map.finish_ignoring_unknown("Pyrra", diags);
    let (text, field) = found?;
    plain_selector(&field, &text, what, diags)
}

fn plain_selector(
    field: &Field<'_>,
    text: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Selector> {
    match promql::parse_selector(text) {
        Ok(selector) => Some(selector),
        Err(e) => {
            diags.push(invalid_selector(field, &e).note(format!("it selects {what}")));
            None
        }
    }
}

fn invalid_selector(field: &Field<'_>, error: &str) -> crate::diag::Diagnostic {
    field
        .error(format!("invalid metric selector: {error}"))
        .help("write a metric name with label matchers, such as `http_requests_total{job=\"api\",code=~\"5..\"}`")
}

/// `grouping`: label names; `null` (as Pyrra's own tools write it) means none.
fn grouping(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Vec<String>> {
    let Some(field) = map.get("grouping") else {
        return Some(Vec::new());
    };
    if matches!(field.node.kind, NodeKind::Null) {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    let mut ok = true;
    for item in field.list(diags) {
        let Some(name) = item.string(diags) else {
            ok = false;
            continue;
        };
        if !common::check_label_name(&name, item.span(), &item.path, diags) {
            ok = false;
        } else if !out.contains(&name) {
            out.push(name);
        }
    }
    ok.then_some(out)
}
