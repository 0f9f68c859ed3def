//! An slo-generator SLI on the Prometheus backend. slo-generator sends its queries to Prometheus
//! at report time with the window of each policy step; each method maps onto what it counts:
//!
//! - `good_bad_ratio`: `filter_good` over `filter_valid`, or `filter_bad` against good plus bad.
//!   A filter is a selector, usually ending in `[window]`, which slo-generator wraps in
//!   `sum(increase(...))` (or the `operators` given). A plain selector is a counter; anything else
//!   is kept as a rate query with the window placeholder.
//! - `distribution_cut`: the `expression` is a histogram's `_bucket` selector and
//!   `threshold_bucket` the `le` bound of the good bucket, so this is slokit's latency SLI
//!   (`good_below_threshold: false` counts the requests under the bound as bad instead).
//! - `query_sli`: the `expression` computes the SLI itself; slokit keeps `1 - expression` as a
//!   raw error ratio. (`sli`, its name before slo-generator 1.0, is read with a warning.)
//!
//! The prototype layout spells the fields in camelCase (`filterGood`); both spellings are read.

use crate::conventions::WINDOW_PLACEHOLDER;
use crate::diag::Diagnostics;
use crate::load::decode::{backticked, Field, Map};
use crate::model::{
    Counted, EventSource, Indicator, LatencyIndicator, MatchOp, Matcher, RatioIndicator, Selector,
    WindowQuery,
};
use crate::promql;

const METHODS: &[&str] = &["good_bad_ratio", "distribution_cut", "query_sli"];

/// Names and descriptions of the backends slo-generator ships besides Prometheus, by their name
/// with `_` removed and lowercased (`cloud_monitoring`, v1's `Stackdriver` class, ...).
const OTHER_BACKENDS: &[(&str, &str)] = &[
    ("cloudmonitoring", "Google Cloud Monitoring"),
    ("stackdriver", "Google Cloud Monitoring (Stackdriver)"),
    ("cloudmonitoringmql", "Google Cloud Monitoring (MQL)"),
    ("cloudservicemonitoring", "Google Cloud Service Monitoring"),
    (
        "stackdriverservicemonitoring",
        "Google Cloud Service Monitoring",
    ),
    ("csm", "Google Cloud Service Monitoring"),
    ("datadog", "Datadog"),
    ("dynatrace", "Dynatrace"),
    ("elasticsearch", "Elasticsearch"),
    ("elk", "Elasticsearch"),
    ("opensearch", "OpenSearch"),
    ("splunk", "Splunk"),
];

/// Whether `backend` (a v2 backend key such as `prometheus` or `prometheus/team1`, or a v1 class
/// such as `Prometheus`) is Prometheus; otherwise an error naming it.
pub(super) fn is_prometheus(backend: &Field<'_>, diags: &mut Diagnostics) -> bool {
    let Some(text) = backend.non_empty(diags) else {
        return false;
    };
    let kind = text.split('/').next().unwrap_or("").trim();
    let folded: String = kind
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    if folded == "prometheus" {
        return true;
    }
    let what = if kind.contains('.') {
        "a custom backend class (Python code)".to_string()
    } else {
        OTHER_BACKENDS
            .iter()
            .find(|(name, _)| *name == folded)
            .map(|(_, what)| what.to_string())
            .unwrap_or_else(|| "not Prometheus".to_string())
    };
    diags.push(
        backend
            .error(format!(
                "backend `{text}` is not supported: slokit reads Prometheus-compatible stores only"
            ))
            .note(format!("`{text}` is {what}"))
            .help("slokit can take over this SLO if its metrics are in Prometheus, Mimir, Thanos or VictoriaMetrics: rewrite its SLI for the `prometheus` backend"),
    );
    false
}

/// The SLI of `method` from the `service_level_indicator` (v2) or `measurement` (v1) mapping.
pub(super) fn indicator(
    method_field: &Field<'_>,
    sli: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    let method = method_field.non_empty(diags)?;
    let mut map = sli.map(diags)?;
    let indicator = match method.as_str() {
        "good_bad_ratio" => good_bad_ratio(&mut map, diags),
        "distribution_cut" => distribution_cut(&mut map, diags),
        "query_sli" => query_sli(&mut map, diags),
        "sli" => {
            diags.push(
                method_field
                    .warning(
                        "method `sli` is read as `query_sli`, its name since slo-generator 1.0",
                    )
                    .help("write `method: query_sli`"),
            );
            query_sli(&mut map, diags)
        }
        _ => {
            diags.push(
                method_field
                    .error(format!(
                        "method `{method}` is not available for the Prometheus backend"
                    ))
                    .help_did_you_mean(&method, METHODS.iter().copied(), || {
                        format!("the Prometheus backend computes {}", backticked(METHODS))
                    }),
            );
            map.ignore(&[
                "filter_good",
                "filter_bad",
                "filter_valid",
                "expression",
                "threshold_bucket",
                "good_below_threshold",
                "operators",
            ]);
            None
        }
    };
    map.finish_ignoring_unknown("slo-generator", diags);
    indicator
}

fn good_bad_ratio(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let operators = operators(map, diags);
    let good = map.get_any(&["filter_good", "filterGood"]);
    let bad = map.get_any(&["filter_bad", "filterBad"]);
    let valid = map.get_any(&["filter_valid", "filterValid"]);
    let operators = operators?;
    let Some(good) = good else {
        diags.push(map.missing("filter_good"));
        return None;
    };
    let good = filter(&good, &operators, diags);
    match (bad, valid) {
        (Some(bad), valid) => {
            if let Some(valid) = valid {
                diags.push(
                    valid
                        .warning("`filter_valid` is ignored: with `filter_bad`, slo-generator counts good plus bad events")
                        .help("remove `filter_valid` or `filter_bad`"),
                );
            }
            let bad = filter(&bad, &operators, diags);
            let (good, bad) = (good?, bad?);
            let total = format!(
                "({} or vector(0)) + ({} or vector(0))",
                good.rate_query(),
                bad.rate_query()
            );
            Some(Indicator::Ratio(RatioIndicator {
                counts: Counted::Bad,
                numerator: bad.source(),
                total: EventSource::Query(WindowQuery { template: total }),
            }))
        }
        (None, Some(valid)) => {
            let valid = filter(&valid, &operators, diags);
            Some(Indicator::Ratio(RatioIndicator {
                counts: Counted::Good,
                numerator: good?.source(),
                total: valid?.source(),
            }))
        }
        (None, None) => {
            diags.push(
                map.missing("filter_valid")
                    .help("add `filter_valid` (all events) or `filter_bad` (bad events), as slo-generator requires one"),
            );
            None
        }
    }
}

/// `operators`: what slo-generator wraps a filter in, innermost first (`[increase, sum]` unless
/// given). `increase` becomes `rate`: slokit's sources are rates, and a ratio of the two is the
/// same.
fn operators(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Vec<String>> {
    let Some(field) = map.get("operators") else {
        return Some(vec!["rate".into(), "sum".into()]);
    };
    let mut out = Vec::new();
    for item in field.list(diags) {
        let name = item.non_empty(diags)?;
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            diags.push(item.error(format!("`{name}` is not a PromQL function or aggregation")));
            return None;
        }
        out.push(if name == "increase" {
            "rate".into()
        } else {
            name
        });
    }
    Some(out)
}

/// A good, bad or valid filter.
enum Filter {
    /// A plain selector read with the default operators: a counter.
    Counter(Selector),
    /// Anything else, as a query over the window.
    Query(String),
}

impl Filter {
    fn source(self) -> EventSource {
        match self {
            Filter::Counter(selector) => EventSource::Counter(selector),
            Filter::Query(template) => EventSource::Query(WindowQuery { template }),
        }
    }

    fn rate_query(&self) -> String {
        match self {
            Filter::Counter(selector) => format!(
                "sum(rate({}[{WINDOW_PLACEHOLDER}]))",
                promql::render_selector(selector, &[])
            ),
            Filter::Query(template) => template.clone(),
        }
    }
}

/// slo-generator replaces `[window` with the step's window, or appends the window when there is
/// no placeholder; the placeholder becomes slokit's `{{.window}}` the same way.
fn with_window(text: &str) -> String {
    let text = text.trim();
    if text.contains("[window") {
        text.replace("[window", &format!("[{WINDOW_PLACEHOLDER}"))
    } else {
        format!("{text}[{WINDOW_PLACEHOLDER}]")
    }
}

fn filter(field: &Field<'_>, operators: &[String], diags: &mut Diagnostics) -> Option<Filter> {
    let text = field.non_empty(diags)?;
    let bare = text.trim().trim_end_matches("[window]").trim();
    let default_operators = operators == ["rate", "sum"];
    if default_operators {
        if let Ok(selector) = promql::parse_selector(bare) {
            return Some(Filter::Counter(selector));
        }
    }
    let mut query = with_window(&text);
    for operator in operators {
        query = format!("{operator}({query})");
    }
    check(field, &query, diags).then_some(Filter::Query(query))
}

/// Whether `query` parses once its window is filled; an error at `field` otherwise.
fn check(field: &Field<'_>, query: &str, diags: &mut Diagnostics) -> bool {
    let filled = promql::fill_window(query, &crate::conventions::BASE_WINDOW.to_string());
    match promql::parse(&filled) {
        Ok(_) => true,
        Err(e) => {
            diags.push(
                field
                    .error(format!("invalid PromQL: {e}"))
                    .note(format!("the query as slokit reads it: {}", filled.trim())),
            );
            false
        }
    }
}

fn distribution_cut(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let expression = map.required("expression", diags);
    let threshold = map.get_any(&["threshold_bucket", "thresholdBucket"]);
    let good_below = map
        .get_any(&["good_below_threshold", "goodBelowThreshold"])
        .and_then(|f| f.boolean(diags))
        .unwrap_or(true);
    let Some(threshold_field) = threshold else {
        diags.push(map.missing("threshold_bucket"));
        return None;
    };
    let threshold_text = threshold_field.non_empty(diags)?;
    let threshold = match threshold_text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => v,
        _ => {
            diags.push(
                threshold_field
                    .error(format!("`threshold_bucket` `{threshold_text}` is not a bucket bound"))
                    .help("write the `le` value of the bucket that counts good events, such as `0.25`"),
            );
            return None;
        }
    };
    let expression = expression?;
    let text = expression.non_empty(diags)?;
    let bare = text.trim().trim_end_matches("[window]").trim();
    let selector = match promql::parse_selector(bare) {
        Ok(selector) if selector.metric.ends_with("_bucket") => selector,
        Ok(_) => {
            diags.push(
                expression
                    .error("a `distribution_cut` expression must select a histogram's `_bucket` series")
                    .help("write the bucket series, such as `http_request_duration_seconds_bucket{handler=\"/api\"}`"),
            );
            return None;
        }
        Err(e) => {
            diags.push(
                expression
                    .error(format!("invalid metric selector: {e}"))
                    .help("write the histogram's bucket series, such as `http_request_duration_seconds_bucket{handler=\"/api\"}`"),
            );
            return None;
        }
    };
    let base = selector.metric.trim_end_matches("_bucket").to_string();
    if good_below {
        return Some(Indicator::Latency(LatencyIndicator {
            histogram: Selector {
                metric: base,
                matchers: selector.matchers,
            },
            threshold,
            native: false,
        }));
    }
    // Good events are above the bound: the bucket counts the bad ones.
    let mut bucket = selector.clone();
    bucket.matchers.push(Matcher {
        label: crate::conventions::LABEL_BUCKET.into(),
        op: MatchOp::Equal,
        value: threshold_text.trim().to_string(),
    });
    Some(Indicator::Ratio(RatioIndicator {
        counts: Counted::Bad,
        numerator: EventSource::Counter(bucket),
        total: EventSource::Counter(Selector {
            metric: format!("{base}_count"),
            matchers: selector.matchers,
        }),
    }))
}

fn query_sli(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let expression = map.required("expression", diags)?;
    let text = expression.non_empty(diags)?;
    let template = format!("1 - ({})", with_window(&text).trim());
    if !check(&expression, &template, diags) {
        return None;
    }
    diags.push(
        expression
            .warning("a `query_sli` SLI's long windows are averages of its 5m values, not exact ratios")
            .note("the expression computes the SLI itself, so slokit can only average it over time; an average weighs a quiet minute as much as a busy one")
            .help("if the SLI is a ratio of two counters, use `method: good_bad_ratio` with `filter_good` and `filter_valid`"),
    );
    Some(Indicator::Raw {
        error_ratio: WindowQuery { template },
    })
}
