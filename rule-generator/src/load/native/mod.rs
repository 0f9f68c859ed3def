//! Our own format, `apiVersion: slo.dev/v1`, with five kinds: `ServiceLevelObjective`,
//! `CompositeSLO`, `Product`, `SLITemplate` and `ErrorBudgetPolicy`. It accepts the customers'
//! original template as written, including its swapped `shortWindow`/`longWindow`, which is normalised with a warning.
//!
//! Templates are registered in the first pass; an SLO that uses one gets a copy of the template's
//! indicator with `{{ .param }}` placeholders filled, decoded as if written inline, so a mistake
//! inside a template is reported at the template's line with a note naming the SLO.

use super::common::{self, check_file_safe_name, duration, labels, objective_ratio, trim_float};
use super::{metadata, Budget, Drafts, ProductDraft, Registry as All, SloDraft};
use crate::conventions::DEFAULT_PERIOD;
use crate::diag::{Diagnostic, Diagnostics};
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

mod composite;
mod indicator;
mod product;
mod slo;
mod template;
use composite::*;
use indicator::*;
use product::*;
use slo::*;
use template::*;

const KINDS: &[&str] = &[
    "ServiceLevelObjective",
    "CompositeSLO",
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

pub fn decode(input: super::Doc<'_>, drafts: &mut Drafts, diags: &mut Diagnostics) {
    let super::Doc { doc, file, all } = input;
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
        "CompositeSLO" => composite(meta, &mut spec, origin, all, drafts, diags),
        "Product" => product(meta, &mut spec, origin, &all.budget, drafts, diags),
        "SLITemplate" => template(&mut spec, &all.budget, diags),
        _ => policy(meta, &mut spec, origin, drafts, diags),
    }
    spec.finish(diags);
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
            .pairs()
            .map(|(severity, w)| (severity.to_string(), w.long.to_string(), w.factor))
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
