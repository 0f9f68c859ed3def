//! The SLI plugins of the `sloth-common` library, built in under the ids and options Sloth users
//! write, so that their specs load unchanged. In Sloth each plugin is Go code that pastes its
//! options into one error-ratio query; here each is a small function from the options to a model
//! indicator. Most become a ratio of two counters or a latency SLI over a classic histogram, which
//! slokit measures exactly over every window and can prove with generated promtool tests, rather
//! than the opaque query Sloth would average.
//!
//! Options are read the way the plugins read them: every value is text (an unquoted `300` or
//! `true` is taken as written), `filter` is a comma-separated list of label matchers that may be
//! wrapped in braces, and a value that a plugin pastes between quotes (a regex, a namespace) is
//! read as the PromQL string literal it becomes there. An option a plugin does not read is ignored
//! with a warning, as the plugin ignores it.

mod http;
mod kubernetes;
mod prometheus;
mod synthetic;

use crate::diag::Diagnostics;
use crate::load::decode::Field;
use crate::model::{
    Counted, EventSource, Indicator, LatencyIndicator, MatchOp, Matcher, RatioIndicator, Selector,
};
use crate::promql;

/// One built-in plugin: its id, the options it reads, and how it builds the indicator.
pub(super) struct Plugin {
    pub(super) id: &'static str,
    pub(super) options: &'static [&'static str],
    pub(super) build: fn(&Options<'_>, &mut Diagnostics) -> Option<Indicator>,
}

/// Every built-in plugin, by id.
pub(super) const PLUGINS: &[Plugin] = &[
    kubernetes::APISERVER_AVAILABILITY,
    kubernetes::APISERVER_LATENCY,
    kubernetes::COREDNS_AVAILABILITY,
    kubernetes::COREDNS_LATENCY,
    kubernetes::KOOPER_AVAILABILITY,
    kubernetes::KOOPER_LATENCY,
    kubernetes::KOOPER_QUEUE_CONGESTION,
    http::ISTIO_V1_AVAILABILITY,
    http::ISTIO_V1_LATENCY,
    http::TRAEFIK_V1_AVAILABILITY,
    http::TRAEFIK_V1_LATENCY,
    http::TRAEFIK_V2_AVAILABILITY,
    http::TRAEFIK_V2_LATENCY,
    http::GO_HTTP_METRICS_AVAILABILITY,
    http::GO_HTTP_METRICS_LATENCY,
    prometheus::RULES_EVAL_AVAILABILITY,
    prometheus::TARGETS_AVAILABILITY,
    synthetic::FAKE,
    synthetic::NOOP,
];

/// The built-in plugin with this id, if any.
pub(super) fn find(id: &str) -> Option<&'static Plugin> {
    PLUGINS.iter().find(|p| p.id == id)
}

/// One option as written: Sloth's options are a map of strings, so an unquoted number or boolean
/// is taken as its text, and an empty value as empty text.
pub(super) struct OptionValue<'a> {
    pub(super) name: String,
    pub(super) text: String,
    pub(super) field: Field<'a>,
    pub(super) key_span: crate::load::source::Span,
}

/// The options of one use of a plugin, with what the plugin reads besides them.
pub(super) struct Options<'a> {
    pub(super) plugin: &'a str,
    /// Where errors about missing options point: the `options` mapping, or the `plugin` one.
    pub(super) at: &'a Field<'a>,
    /// Each option given, in the order written.
    pub(super) given: Vec<OptionValue<'a>>,
    /// The SLO's objective as a ratio, which `sloth-common/fake` reads.
    pub(super) objective: Option<f64>,
}

impl<'a> Options<'a> {
    fn get(&self, name: &str) -> Option<(&str, &Field<'a>)> {
        self.given
            .iter()
            .find(|o| o.name == name)
            .map(|o| (o.text.trim(), &o.field))
            .filter(|(text, _)| !text.is_empty())
    }

    /// An option the plugin cannot do without; missing or empty is an error.
    fn required(&self, name: &str, diags: &mut Diagnostics) -> Option<(&str, &Field<'a>)> {
        let found = self.get(name);
        if found.is_none() {
            diags.push(
                self.at
                    .error(format!(
                        "SLI plugin `{}` needs the option `{name}`",
                        self.plugin
                    ))
                    .help(format!("add `{name}: ...` under `options`")),
            );
        }
        found
    }

    /// `filter`: label matchers separated by commas, which the plugin puts in front of its own.
    /// Sloth trims braces and commas from both ends, so `{job="a"},` means `job="a"`; spaces are
    /// allowed around matchers. `required` makes a missing filter an error, as for the plugins
    /// that select a service only by their filter.
    fn filter(&self, required: bool, diags: &mut Diagnostics) -> Option<Vec<Matcher>> {
        let found = if required {
            self.required("filter", diags)?
        } else {
            match self.get("filter") {
                Some(found) => found,
                None => return Some(Vec::new()),
            }
        };
        let (text, field) = found;
        let inner = text.trim_matches(|c| matches!(c, '{' | '}' | ','));
        if inner.trim().is_empty() {
            return Some(Vec::new());
        }
        match promql::parse_selector(&format!("sloth_filter{{{inner}}}")) {
            Ok(selector) => Some(selector.matchers),
            Err(e) => {
                diags.push(
                    field
                        .error(format!("invalid `filter` for SLI plugin `{}`: {e}", self.plugin))
                        .help("write label matchers separated by commas, such as `job=\"api\",env=\"prod\"`"),
                );
                None
            }
        }
    }

    /// `bucket`: the `le` bound of the histogram bucket that counts good events, in the
    /// histogram's unit. Sloth matches the text exactly (`le="0.5"`); slokit matches the bound,
    /// whichever way the exporter and Prometheus version spell it.
    fn bucket(&self, diags: &mut Diagnostics) -> Option<f64> {
        let (text, field) = self.required("bucket", diags)?;
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() && value > 0.0 => Some(value),
            _ => {
                diags.push(
                    field
                        .error(format!("`bucket` `{text}` is not a bucket bound"))
                        .help("write the `le` value of the histogram bucket that counts good events, such as `\"0.25\"`"),
                );
                None
            }
        }
    }

    /// An option the plugin pastes into a matcher between double quotes (`{label}{op}"{value}"`).
    /// It is read the same way, as the PromQL string literal it becomes, so an escape written
    /// for Sloth means the same here; a regex must compile.
    fn matcher(
        &self,
        name: &str,
        label: &str,
        op: MatchOp,
        diags: &mut Diagnostics,
    ) -> Option<Matcher> {
        let (text, field) = self.required(name, diags)?;
        match promql::parse_filter(&format!("{label}{}\"{text}\"", op.as_str())) {
            Ok(matcher) => Some(matcher),
            Err(e) => {
                let what = if matches!(op, MatchOp::Regex | MatchOp::NotRegex) {
                    "a valid regular expression"
                } else {
                    "a valid label value"
                };
                diags.push(
                    field
                        .error(format!("`{name}` is not {what}: {e}"))
                        .note(format!(
                            "SLI plugin `{}` writes it into the matcher `{label}{}\"...\"`",
                            self.plugin,
                            op.as_str()
                        )),
                );
                None
            }
        }
    }

    /// `exclude_errors`: whether requests that failed (5xx) are left out of a latency SLI. The
    /// plugins parse it with Go's `ParseBool`, so `1`, `t` and `True` count as true as well.
    fn flag(&self, name: &str, diags: &mut Diagnostics) -> Option<bool> {
        let Some((text, field)) = self.get(name) else {
            return Some(false);
        };
        match text {
            "1" | "t" | "T" | "true" | "True" | "TRUE" => Some(true),
            "0" | "f" | "F" | "false" | "False" | "FALSE" => Some(false),
            _ => {
                diags.push(
                    field
                        .error(format!("`{name}` `{text}` is not a boolean"))
                        .help("write `\"true\"` or `\"false\"`"),
                );
                None
            }
        }
    }
}

/// A label matcher.
fn matcher(label: &str, op: MatchOp, value: &str) -> Matcher {
    Matcher {
        label: label.to_string(),
        op,
        value: value.to_string(),
    }
}

/// `metric{filter..., own...}`: the user's filter first, then the plugin's own matchers, the
/// order the plugins write them in.
fn selector(metric: &str, filter: &[Matcher], own: &[Matcher]) -> Selector {
    Selector {
        metric: metric.to_string(),
        matchers: filter.iter().chain(own).cloned().collect(),
    }
}

fn counter(metric: &str, filter: &[Matcher], own: &[Matcher]) -> EventSource {
    EventSource::Counter(selector(metric, filter, own))
}

/// Bad events over all events.
fn bad_ratio(bad: EventSource, total: EventSource) -> Indicator {
    Indicator::Ratio(RatioIndicator {
        counts: Counted::Bad,
        numerator: bad,
        total,
    })
}

/// The share of events at or under `threshold`, from the classic histogram `base`.
fn latency(base: &str, matchers: Vec<Matcher>, threshold: f64) -> Indicator {
    Indicator::Latency(LatencyIndicator {
        histogram: Selector {
            metric: base.to_string(),
            matchers,
        },
        threshold,
        native: false,
    })
}

#[cfg(test)]
mod tests {
    use crate::load::test_load;
    use crate::model::{EventSource, Indicator};
    use crate::promql::render_selector;

    /// Loads one SLO using `plugin` with `options` (YAML flow mapping) and returns the rendered
    /// diagnostics and the indicator's selectors as PromQL.
    fn plugin(id: &str, options: &str) -> (String, Vec<String>) {
        let yaml = format!("version: prometheus/v1\nservice: svc\nslos:\n- name: s\n  objective: 99.9\n  sli:\n    plugin:\n      id: {id}\n      options: {options}\n");
        let (rendered, catalog) = test_load(&[("test.yaml", &yaml)]);
        let selectors = match catalog.slos().next().map(|s| &s.indicator) {
            Some(Indicator::Ratio(r)) => [&r.numerator, &r.total]
                .iter()
                .map(|s| match s {
                    EventSource::Counter(c) => render_selector(c, &[]),
                    EventSource::Query(q) => q.template.clone(),
                })
                .collect(),
            Some(Indicator::Latency(l)) => {
                vec![format!(
                    "{} le {}",
                    render_selector(&l.histogram, &[]),
                    l.threshold
                )]
            }
            Some(Indicator::Threshold(t)) => vec![render_selector(&t.gauge, &[])],
            Some(Indicator::Raw { error_ratio }) => vec![error_ratio.template.clone()],
            Some(Indicator::Composite(_)) | None => Vec::new(),
        };
        (rendered, selectors)
    }

    #[test]
    fn options_are_read_as_the_plugins_read_them() {
        // Braces and commas around the filter are trimmed; spaces after commas are fine.
        assert_eq!(
            plugin(
                "sloth-common/kubernetes/apiserver/availability",
                "{filter: '{job=\"a\", env=\"b\"},'}"
            ),
            (
                String::new(),
                vec![
                    "apiserver_request_total{job=\"a\",env=\"b\",code=~\"(5..|429)\"}".to_string(),
                    "apiserver_request_total{job=\"a\",env=\"b\"}".to_string()
                ]
            )
        );
        // An unquoted number is its text; Istio's histogram is in milliseconds.
        assert_eq!(
            plugin("sloth-common/istio/v1/latency", "{namespace: default, service: web, bucket: 300}").1,
            ["istio_request_duration_milliseconds{destination_service_name=\"web\",destination_service_namespace=\"default\"} le 300"]
        );
        // A regex option is the PromQL string it is pasted into: `\\.` there is a literal dot.
        assert_eq!(
            plugin(
                "sloth-common/traefik/v1/availability",
                "{backend_regex: '^a\\\\.b$'}"
            )
            .1[1],
            "traefik_backend_requests_total{backend=~\"^a\\\\.b$\"}"
        );
        // Without `custom_rcode_regex`, CoreDNS errors are SERVFAIL.
        assert_eq!(
            plugin("sloth-common/coredns/availability", "{}").1[0],
            "coredns_dns_responses_total{rcode=~\"SERVFAIL\"}"
        );
        // `fake` burns the budget of the objective at the given rate.
        assert_eq!(
            plugin("sloth-common/fake", "{burn_rate: '2'}").1,
            ["max_over_time(vector(0.002)[{{.window}}:])"]
        );
    }

    #[test]
    fn missing_and_invalid_options_are_located() {
        assert_eq!(
            plugin("sloth-common/slok-go-http-metrics/latency", "{bucket: x, exclude_errors: maybe}").0,
            "error: SLI plugin `sloth-common/slok-go-http-metrics/latency` needs the option `filter`
  --> test.yaml:9:16
   |
 9 |       options: {bucket: x, exclude_errors: maybe}
   |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = field: slos[0].sli.plugin.options
   = help: add `filter: ...` under `options`

error: `bucket` `x` is not a bucket bound
  --> test.yaml:9:25
   |
 9 |       options: {bucket: x, exclude_errors: maybe}
   |                         ^
   = field: slos[0].sli.plugin.options.bucket
   = help: write the `le` value of the histogram bucket that counts good events, such as `\"0.25\"`

error: `exclude_errors` `maybe` is not a boolean
  --> test.yaml:9:44
   |
 9 |       options: {bucket: x, exclude_errors: maybe}
   |                                            ^^^^^
   = field: slos[0].sli.plugin.options.exclude_errors
   = help: write `\"true\"` or `\"false\"`
"
        );
        assert_eq!(
            plugin("sloth-common/coredns/availability", "{filter: 'job=~'}").0,
            "error: invalid `filter` for SLI plugin `sloth-common/coredns/availability`: invalid promql query
  --> test.yaml:9:25
   |
 9 |       options: {filter: 'job=~'}
   |                         ^^^^^^^
   = field: slos[0].sli.plugin.options.filter
   = help: write label matchers separated by commas, such as `job=\"api\",env=\"prod\"`
"
        );
    }
}
