//! Google's slo-generator: SLO configs in the `sre.google.com/v2` layout, the flat v1 layout
//! (`service_name`, `slo_target`, `backend: {class, method, measurement}`) and the layout of its
//! Kubernetes prototype (`cloud.google.com/v1`), plus error-budget policies: the v1 policy file (a
//! list of steps) and the `error_budget_policies` of a v2 shared config (also when that config is
//! the `data` of a Kubernetes `ConfigMap`).
//!
//! slo-generator computes SLIs by querying a backend at report time. slokit reads only
//! Prometheus-compatible stores, so an SLO on any other backend (Cloud Monitoring, Datadog,
//! Dynatrace, Elasticsearch, OpenSearch, Splunk, a custom class) is an error naming the backend
//! ([`indicator`]). Prometheus SLIs map onto the model: `good_bad_ratio` to a ratio of counters,
//! `distribution_cut` to a latency SLI over the histogram's buckets, `query_sli` to a raw ratio.
//!
//! slo-generator has no SLO period: it measures over each policy step's window. slokit measures
//! each slo-generator SLO over [`PERIOD`], the longest window of slo-generator's default policy,
//! with slokit's default alert tiers for it. Policy steps become the steps of a slokit
//! `ErrorBudgetPolicy` (burn rate above the step's threshold over its window, with the step's
//! `message_alert` as the action), which `slo report` and `slo gate` evaluate; an SLO follows the
//! policy its tool would apply ([`slo`]) when the run defines it.
//!
//! slo-generator ignores keys it does not know, so an unknown key is a warning.

mod indicator;
mod policy;
mod slo;

use super::Drafts;
use crate::diag::Diagnostics;
use crate::duration::Duration;
use crate::load::decode::Field;
use crate::load::yaml::{Node, NodeKind};

/// The period slo-generator SLOs are measured over: 28 days, the longest window of the default
/// error-budget policy slo-generator ships (1 hour, 12 hours, 7 days, 28 days).
pub const PERIOD: Duration = Duration::from_days(28);

/// The keys of a v1 policy step, the first of which marks a policy file.
const V1_STEP_NAME: &str = "error_budget_policy_step_name";

/// The keys of a v2 shared config, any of which marks one (a report has `exporters` too, so
/// reports are recognised first).
const CONFIG_KEYS: &[&str] = &["error_budget_policies", "backends", "exporters"];

/// Keys only an SLO report (what slo-generator writes after a run) has.
const REPORT_KEYS: &[&str] = &["error_budget_burn_rate", "sli_measurement"];

fn entries(node: &Node) -> &[(crate::load::yaml::Key, Node)] {
    match &node.kind {
        NodeKind::Map(entries) => entries,
        _ => &[],
    }
}

fn has_key(node: &Node, key: &str) -> bool {
    entries(node).iter().any(|(k, _)| k.name == key)
}

/// Whether a document is a v1 error-budget policy: a list of steps.
pub fn is_policy_list(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Seq(items) => items.first().is_some_and(|i| has_key(i, V1_STEP_NAME)),
        _ => false,
    }
}

/// Whether a document without `apiVersion` is slo-generator's: a v1 SLO or a v2 shared config.
pub fn is_unversioned(node: &Node) -> bool {
    is_v1_slo(node) || is_report(node) || CONFIG_KEYS.iter().any(|k| has_key(node, k))
}

fn is_report(node: &Node) -> bool {
    REPORT_KEYS.iter().any(|k| has_key(node, k))
}

fn is_v1_slo(node: &Node) -> bool {
    has_key(node, "slo_name") || (has_key(node, "slo_target") && has_key(node, "backend"))
}

/// Whether a `ConfigMap` holds a slo-generator shared config: its `data` is the config's mapping,
/// or holds it as text.
pub fn is_config_map(node: &Node) -> bool {
    let Some((_, data)) = entries(node).iter().find(|(k, _)| k.name == "data") else {
        return false;
    };
    match &data.kind {
        NodeKind::Map(items) => {
            CONFIG_KEYS.iter().any(|k| has_key(data, k))
                || items.iter().any(|(_, v)| match &v.kind {
                    NodeKind::Scalar(s) => s.text.contains("error_budget_policies:"),
                    _ => false,
                })
        }
        _ => false,
    }
}

/// Decodes one slo-generator document.
pub fn decode(input: super::Doc<'_>, drafts: &mut Drafts, diags: &mut Diagnostics) {
    let super::Doc { doc, file, all } = input;
    let root = Field::new(&doc.root, "");
    if is_policy_list(&doc.root) {
        policy::v1_policy(&root, file, drafts, diags);
        return;
    }
    let Some(map) = root.map(diags) else {
        return;
    };
    if map.has("apiVersion") {
        let config_map = entries(&doc.root).iter().any(|(k, v)| {
            k.name == "kind" && matches!(&v.kind, NodeKind::Scalar(s) if s.text == "ConfigMap")
        });
        if config_map {
            policy::config_map(map, file, drafts, diags);
        } else {
            slo::versioned(map, file, all, drafts, diags);
        }
    } else if is_report(&doc.root) {
        diags.push(
            root.error("this is an slo-generator report, not an SLO config")
                .note("slo-generator writes a report like this for every SLO and window it computes")
                .help("point slokit at the SLO configs (`sre.google.com/v2` or v1 files) and the shared config with the error-budget policies"),
        );
    } else if is_v1_slo(&doc.root) {
        slo::v1(map, file, all, drafts, diags);
    } else {
        policy::config(map, file, drafts, diags);
    }
}

#[cfg(test)]
mod tests {
    use crate::load::test_load;
    use crate::model::{Counted, EventSource, Indicator, PolicyCondition, SpecFormat};

    const V2: &str = "apiVersion: sre.google.com/v2\nkind: ServiceLevelObjective\nmetadata:\n  name: prom-metrics-availability\n  labels: {service_name: prom, feature_name: metrics, slo_name: availability}\nspec:\n  description: 99.9% of requests return a good code\n  backend: prometheus\n  method: good_bad_ratio\n  exporters: [prometheus]\n  service_level_indicator:\n    filter_good: prometheus_http_requests_total{handler=\"/metrics\", code=~\"2..\"}[window]\n    filter_valid: prometheus_http_requests_total{handler=\"/metrics\"}[window]\n  goal: 0.999\n";

    const CONFIG: &str = "backends:\n  prometheus: {url: '${PROMETHEUS_URL}'}\nerror_budget_policies:\n  default:\n    steps:\n    - {name: 1 hour, burn_rate_threshold: 9, alert: true, message_alert: Page to defend the SLO, message_ok: Last hour on track, window: 3600}\n    - {name: 28 days, burn_rate_threshold: 1, alert: false, message_alert: Freeze release, message_ok: Unfreeze, window: 2419200}\n";

    #[test]
    fn a_v2_ratio_slo_follows_the_default_policy_of_the_config() {
        let (rendered, catalog) = test_load(&[("slo.yaml", V2), ("config.yaml", CONFIG)]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(
            (slo.name.as_str(), slo.service.as_str()),
            ("prom-metrics-availability", "prom")
        );
        assert_eq!(slo.origin.format, SpecFormat::SloGenerator);
        assert_eq!(slo.period.to_string(), "28d");
        assert_eq!(slo.labels["feature_name"], "metrics");
        assert!(!slo.labels.contains_key("slo_name"));
        let Indicator::Ratio(ratio) = &slo.indicator else {
            panic!("{:?}", slo.indicator)
        };
        assert_eq!(ratio.counts, Counted::Good);
        let EventSource::Counter(good) = &ratio.numerator else {
            panic!("{:?}", ratio.numerator)
        };
        assert_eq!(good.metric, "prometheus_http_requests_total");
        let product = catalog.product("prom").expect("the product of the service");
        assert_eq!(product.policy.as_deref(), Some("default"));
        let policy = &catalog.policies["default"];
        assert_eq!(policy.steps.len(), 2);
        assert_eq!(policy.steps[1].action, "Freeze release");
        assert!(!policy.steps[1].blocks_releases);
        assert!(matches!(
            policy.steps[0].when,
            PolicyCondition::BurnRateAbove { factor, window } if factor == 9.0 && window.to_string() == "1h"
        ));
    }

    #[test]
    fn distribution_cut_is_a_latency_sli_and_query_sli_a_raw_ratio() {
        let cut = V2.replace("method: good_bad_ratio", "method: distribution_cut").replace(
            "    filter_good: prometheus_http_requests_total{handler=\"/metrics\", code=~\"2..\"}[window]\n    filter_valid: prometheus_http_requests_total{handler=\"/metrics\"}[window]\n",
            "    expression: http_request_duration_seconds_bucket{handler=\"/metrics\"}\n    threshold_bucket: 0.25\n",
        );
        let (rendered, catalog) = test_load(&[("slo.yaml", &cut)]);
        assert_eq!(rendered, "");
        let Indicator::Latency(latency) = &catalog.slos().next().unwrap().indicator else {
            panic!("a latency SLI")
        };
        assert_eq!(
            (latency.histogram.metric.as_str(), latency.threshold),
            ("http_request_duration_seconds", 0.25)
        );

        // The flat v1 layout, with the method's name before slo-generator 1.0.
        let v1 = "service_name: prom\nfeature_name: metrics\nslo_name: errors\nslo_target: 0.999\nbackend:\n  class: Prometheus\n  url: http://localhost:9090\n  measurement:\n    expression: >\n      sum(rate(requests_total{code=~\"2..\"}[window]))\n      /\n      sum(rate(requests_total[window]))\n  method: sli\n";
        let (rendered, catalog) = test_load(&[("v1.yaml", v1)]);
        assert!(
            rendered.contains("warning: method `sli` is read as `query_sli`, its name since slo-generator 1.0\n  --> v1.yaml:13:11\n"),
            "{rendered}"
        );
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(slo.name, "prom-metrics-errors");
        let Indicator::Raw { error_ratio } = &slo.indicator else {
            panic!("a raw SLI")
        };
        assert_eq!(
            error_ratio.template,
            "1 - (sum(rate(requests_total{code=~\"2..\"}[{{.window}}])) / sum(rate(requests_total[{{.window}}])))"
        );
    }

    #[test]
    fn other_backends_are_refused_naming_the_backend() {
        let other = V2.replace("backend: prometheus", "backend: cloud_monitoring/team1");
        let (rendered, _) = test_load(&[("slo.yaml", &other)]);
        assert_eq!(
            rendered,
            "error: backend `cloud_monitoring/team1` is not supported: slokit reads Prometheus-compatible stores only
  --> slo.yaml:8:12
   |
 8 |   backend: cloud_monitoring/team1
   |            ^^^^^^^^^^^^^^^^^^^^^^
   = field: spec.backend
   = note: `cloud_monitoring/team1` is Google Cloud Monitoring
   = help: slokit can take over this SLO if its metrics are in Prometheus, Mimir, Thanos or VictoriaMetrics: rewrite its SLI for the `prometheus` backend
"
        );
    }

    #[test]
    fn v1_policies_config_maps_and_reports() {
        let v1 = "- error_budget_policy_step_name: 24 hours\n  measurement_window_seconds: 86400\n  alerting_burn_rate_threshold: 4\n  urgent_notification: true\n  overburned_consequence_message: Page to defend the SLO\n  achieved_consequence_message: Last 24 hours on track\n";
        let (rendered, catalog) = test_load(&[("error_budget_policy.yaml", v1)]);
        assert_eq!(rendered, "");
        let policy = &catalog.policies["error_budget_policy"];
        assert_eq!(policy.steps[0].name, "24 hours");

        // slo-generator's Kubernetes prototype kept the config as the mapping under `data`, with
        // a list of named policies.
        let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: slo-generator-config}\ndata:\n  backends:\n  - {name: prometheus, class: Prometheus}\n  error_budget_policies:\n  - name: ssm\n    steps:\n    - {name: 24 hours, window: 86400, burn_rate_threshold: 4, alert: true, message_alert: Page, message_standard: OK}\n";
        let (rendered, catalog) = test_load(&[("cm.yaml", config_map)]);
        assert_eq!(rendered, "");
        assert!(catalog.policies.contains_key("ssm"));

        let report = "{\"slo_name\": \"x\", \"error_budget_burn_rate\": 5, \"sli_measurement\": 0.9, \"exporters\": []}\n";
        let (rendered, _) = test_load(&[("report.json", report)]);
        assert!(
            rendered.starts_with("error: this is an slo-generator report, not an SLO config\n"),
            "{rendered}"
        );
    }

    #[test]
    fn a_terraform_template_is_named_as_such() {
        // Through the whole load, which is where a file that fails to parse is looked at again.
        let loaded = crate::load::load_texts(
            &[(
                "config.yaml".into(),
                "backends:\n%{if url != \"\"}\n  prometheus: {url: x}\n%{endif}\n".into(),
            )],
            crate::load::Options {
                today: crate::model::Date {
                    year: 2026,
                    month: 11,
                    day: 1,
                },
            },
        );
        let rendered = loaded.diagnostics.render(&loaded.sources);
        assert!(
            rendered.contains("   = note: the file holds Terraform template directives (`%{...}`): it is a template of a spec, not a spec\n   = help: render the template first (Terraform's `templatefile`, say) and point slokit at the result"),
            "{rendered}"
        );
    }
}
