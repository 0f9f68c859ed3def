//! Writes a loaded catalog back out as native `slo.dev/v1` specs: the migration path from Sloth
//! and OpenSLO. Pure: the catalog in, one multi-document YAML string out. Everything the model
//! holds is written explicitly, the alert tiers included, so that the converted specs generate
//! exactly the rules the originals did, even where the native defaults would differ (Sloth's
//! `AlertWindows`, OpenSLO burn-rate conditions, a disabled page or ticket alert).
//!
//! Products are not written: SLOs from Sloth and OpenSLO belong to the implicit product named
//! after their service, which the native loader makes again. A declared product's name is kept on
//! its SLOs as `product`.

use crate::model::{Alerting, Catalog, EventSource, Indicator, Matcher, Selector, Slo};
use crate::promql;
use crate::render::emit::{to_yaml, Value};
use std::collections::BTreeMap;

/// The catalog as native specs, one `ServiceLevelObjective` document per SLO, in catalog order.
pub fn to_native(catalog: &Catalog) -> String {
    let mut documents = Vec::new();
    for product in &catalog.products {
        for slo in &product.slos {
            let explicit_product = product.origin.is_some().then_some(product.name.as_str());
            documents.push(to_yaml(&slo_document(slo, explicit_product)));
        }
    }
    documents.join("---\n")
}

/// One SLO as a native `ServiceLevelObjective` document (`slo inventory --out` writes them).
pub fn slo_to_native(slo: &Slo) -> String {
    to_yaml(&slo_document(slo, None))
}

fn slo_document(slo: &Slo, product: Option<&str>) -> Value {
    if let Indicator::Composite(composite) = &slo.indicator {
        return composite_document(slo, composite);
    }
    let mut metadata = Value::map().with("name", &slo.name);
    metadata = metadata.with_opt("displayName", slo.display_name.as_ref());
    if !slo.labels.is_empty() {
        metadata = metadata.with("labels", string_map(&slo.labels));
    }
    let mut spec = Value::map()
        .with("service", &slo.service)
        .with_opt("product", product)
        .with_opt("description", slo.description.as_ref())
        .with_opt("owner", slo.owner.as_ref())
        .with_opt("tier", slo.tier.as_ref());
    if !slo.group_by.is_empty() {
        spec = spec.with(
            "groupBy",
            slo.group_by.iter().map(Value::from).collect::<Vec<_>>(),
        );
    }
    spec = spec
        .with("indicator", indicator(&slo.indicator))
        .with(
            "objectives",
            vec![Value::map()
                .with("window", slo.period.to_string())
                .with("target", slo.objective)],
        )
        .with("alerting", alerting(&slo.alerting));
    Value::map()
        .with("apiVersion", "slo.dev/v1")
        .with("kind", "ServiceLevelObjective")
        .with("metadata", metadata)
        .with("spec", spec)
}

/// A composite as `kind: CompositeSLO`: its product, members (written `product/slo`, which reads
/// back whatever product they are in) and method.
fn composite_document(slo: &Slo, composite: &crate::model::CompositeIndicator) -> Value {
    let mut metadata = Value::map().with("name", &slo.name);
    metadata = metadata.with_opt("displayName", slo.display_name.as_ref());
    if !slo.labels.is_empty() {
        metadata = metadata.with("labels", string_map(&slo.labels));
    }
    let members: Vec<Value> = composite
        .members
        .iter()
        .map(|m| {
            Value::map()
                .with("slo", format!("{}/{}", m.product, m.slo))
                .with("weight", m.weight)
        })
        .collect();
    let spec = Value::map()
        .with("product", &slo.product)
        .with_opt("description", slo.description.as_ref())
        .with_opt("owner", slo.owner.as_ref())
        .with_opt("tier", slo.tier.as_ref())
        .with(
            "objectives",
            vec![Value::map()
                .with("window", slo.period.to_string())
                .with("target", slo.objective)],
        )
        .with("method", composite.method.as_str())
        .with("members", members)
        .with("alerting", alerting(&slo.alerting));
    Value::map()
        .with("apiVersion", "slo.dev/v1")
        .with("kind", "CompositeSLO")
        .with("metadata", metadata)
        .with("spec", spec)
}

fn indicator(indicator: &Indicator) -> Value {
    let body = match indicator {
        Indicator::Ratio(ratio) => {
            let numerator = match ratio.counts {
                crate::model::Counted::Good => "good",
                crate::model::Counted::Bad => "bad",
            };
            Value::map()
                .with(numerator, source(&ratio.numerator))
                .with("total", source(&ratio.total))
        }
        Indicator::Latency(latency) => Value::map()
            .with("histogram", selector(&latency.histogram))
            .with("threshold", latency.threshold)
            .with("native", latency.native),
        Indicator::Threshold(threshold) => {
            let Value::Map(mut entries) = selector(&threshold.gauge) else {
                return Value::Null;
            };
            entries.push(("op".into(), threshold.op.as_str().into()));
            entries.push(("value".into(), threshold.bound.into()));
            Value::Map(entries)
        }
        Indicator::Raw { error_ratio } => {
            Value::map().with("errorRatioQuery", &error_ratio.template)
        }
        // Written as a document of its own (`composite_document`).
        Indicator::Composite(_) => Value::Null,
    };
    Value::map()
        .with("type", indicator.kind())
        .with(indicator.kind(), body)
}

fn source(source: &EventSource) -> Value {
    match source {
        EventSource::Counter(s) => selector(s),
        EventSource::Query(q) => Value::map().with("query", &q.template),
    }
}

fn selector(selector: &Selector) -> Value {
    let value = Value::map().with("metric", &selector.metric);
    if selector.matchers.is_empty() {
        return value;
    }
    value.with(
        "filters",
        selector.matchers.iter().map(filter).collect::<Vec<_>>(),
    )
}

/// `label!~"value"`, escaped so that the native loader reads back exactly the value.
fn filter(matcher: &Matcher) -> Value {
    Value::Str(format!(
        "{}{}{}",
        matcher.label,
        matcher.op.as_str(),
        promql::quote(&matcher.value)
    ))
}

fn alerting(alerting: &Alerting) -> Value {
    let mut out = Value::map().with("enabled", alerting.enabled);
    if !alerting.enabled {
        return out;
    }
    out = out
        .with_opt("name", alerting.name.as_ref())
        .with_opt("for", alerting.for_duration.map(|d| d.to_string()));
    if !alerting.labels.is_empty() {
        out = out.with("labels", string_map(&alerting.labels));
    }
    if !alerting.annotations.is_empty() {
        out = out.with("annotations", string_map(&alerting.annotations));
    }
    out = out
        .with_opt("runbookUrl", alerting.runbook_url.as_ref())
        .with("budgetExhausted", alerting.budget_exhausted)
        .with_opt("noData", alerting.no_data.map(|d| d.to_string()));
    let mut burn_rates = Vec::new();
    for tier in &alerting.tiers {
        for window in &tier.windows {
            let mut item = Value::map()
                .with("severity", &tier.severity)
                .with("longWindow", window.long.to_string())
                .with("shortWindow", window.short.to_string())
                .with("burnRate", window.factor);
            if !tier.labels.is_empty() {
                item = item.with("labels", string_map(&tier.labels));
            }
            if !tier.annotations.is_empty() {
                item = item.with("annotations", string_map(&tier.annotations));
            }
            burn_rates.push(item);
        }
    }
    out.with("burnRates", burn_rates)
}

fn string_map(map: &BTreeMap<String, String>) -> Value {
    map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::to_native;
    use crate::load::test_load;

    const GETTING_STARTED: &str = r##"version: "prometheus/v1"
service: "myservice"
labels:
  owner: "myteam"
  repo: "myorg/myservice"
  tier: "2"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Common SLO based on availability for HTTP request responses."
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))
    alerting:
      name: MyServiceHighErrorRate
      labels:
        category: "availability"
      annotations:
        summary: "High error rate on 'myservice' requests responses"
      page_alert:
        labels:
          severity: pageteam
          routing_key: myteam
      ticket_alert:
        labels:
          severity: "slack"
          slack_channel: "#alerts-myteam"
"##;

    #[test]
    fn sloth_getting_started_converts_to_native() {
        let (rendered, catalog) = test_load(&[("getting-started.yml", GETTING_STARTED)]);
        assert_eq!(rendered, "");
        assert_eq!(
            to_native(&catalog),
            r##"apiVersion: slo.dev/v1
kind: ServiceLevelObjective
metadata:
  name: requests-availability
  labels:
    repo: myorg/myservice
spec:
  service: myservice
  description: Common SLO based on availability for HTTP request responses.
  owner: myteam
  tier: '2'
  indicator:
    type: ratio
    ratio:
      bad:
        query: 'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))'
      total:
        query: 'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))'
  objectives:
  - window: 30d
    target: 0.999
  alerting:
    enabled: true
    name: MyServiceHighErrorRate
    labels:
      category: availability
    annotations:
      summary: 'High error rate on ''myservice'' requests responses'
    budgetExhausted: false
    burnRates:
    - severity: page
      longWindow: 1h
      shortWindow: 5m
      burnRate: 14.4
      labels:
        routing_key: myteam
        severity: pageteam
    - severity: page
      longWindow: 6h
      shortWindow: 30m
      burnRate: 6
      labels:
        routing_key: myteam
        severity: pageteam
    - severity: ticket
      longWindow: 1d
      shortWindow: 2h
      burnRate: 3
      labels:
        severity: slack
        slack_channel: '#alerts-myteam'
    - severity: ticket
      longWindow: 3d
      shortWindow: 6h
      burnRate: 1
      labels:
        severity: slack
        slack_channel: '#alerts-myteam'
"##
        );
    }

    /// Loading the converted specs gives back the same SLOs; only the origin differs.
    #[test]
    fn conversion_round_trips_through_the_native_loader() {
        let sources = [
            ("getting-started.yml", GETTING_STARTED),
            (
                "openslo.yaml",
                r#"apiVersion: openslo/v1
kind: SLO
metadata: {name: api, displayName: API, labels: {team: [a, b]}}
spec:
  service: api
  budgetingMethod: Occurrences
  timeWindow: [{duration: 28d, isRolling: true}]
  indicator:
    metadata: {name: x}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code!~"5..",path="/a \"b\" \\ c"}', dimensions: [route]}}}
        total: {metricSource: {type: Prometheus, spec: {query: http_requests_total, dimensions: [route]}}}
  objectives: [{targetPercent: 99.5}]
  alertPolicies:
  - kind: AlertPolicy
    metadata: {name: p}
    spec:
      conditions:
      - kind: AlertCondition
        metadata: {name: c}
        spec: {severity: critical, condition: {kind: burnrate, op: gt, threshold: 10, lookbackWindow: 2h, alertAfter: 3m}}
"#,
            ),
        ];
        let (rendered, original) = test_load(&sources);
        assert_eq!(rendered, "");
        let native = to_native(&original);
        let (rendered, reloaded) = test_load(&[("converted.yaml", &native)]);
        assert_eq!(rendered, "", "converted:\n{native}");
        let strip = |catalog: &crate::model::Catalog| {
            catalog
                .slos()
                .map(|slo| {
                    let mut slo = slo.clone();
                    slo.origin.file = String::new();
                    slo.origin.line = 0;
                    slo.origin.format = crate::model::SpecFormat::Native;
                    slo
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&reloaded), strip(&original), "converted:\n{native}");
        assert_eq!(reloaded.slos().count(), 2);
    }
}
