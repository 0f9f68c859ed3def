//! Pyrra's `ServiceLevelObjective` (`pyrra.dev/v1alpha1`), as the Kubernetes custom resource and
//! as the files Pyrra's filesystem mode reads (the same document). One document is one SLO:
//! `target` is a percentage written as a string, `window` the period, `indicator` one of `ratio`,
//! `latency`, `latencyNative` and `bool_gauge` ([`indicator`]), `alerting` Pyrra's fixed
//! multi-burn-rate table and its absent alert ([`alerting`]).
//!
//! Pyrra has no services. An SLO's service is its `pyrra.dev/service` label, else its namespace,
//! else `default` (the namespace Kubernetes would put it in), so SLOs of one namespace form one
//! product. Labels prefixed `pyrra.dev/` are the ones Pyrra copies onto its rules and alerts (the
//! prefix removed), so they become the SLO's labels; annotations prefixed `pyrra.dev/` become alert
//! annotations, Go templates such as `{{$labels.namespace}}` included. Other labels and annotations
//! label the Kubernetes object, not the SLO, and are not used.
//!
//! Pyrra ignores keys it does not know, so an unknown key is a warning. A few real files write the
//! version without its group (`apiVersion: v1alpha1`) or the indicator `boolGauge` as the CRD's
//! `bool_gauge`; both are read, the first with a warning.

mod alerting;
mod indicator;

use super::{common, Drafts, SloDraft};
use crate::diag::Diagnostics;
use crate::duration::Duration;
use crate::load::decode::{Field, Map};
use crate::load::yaml::NodeKind;
use crate::model::{Origin, Slo, SpecFormat};
use std::collections::BTreeMap;

/// The prefix of the labels and annotations Pyrra copies onto its rules and alerts.
const PROPAGATED: &str = "pyrra.dev/";

/// Decodes one Pyrra document into an SLO.
pub fn decode(input: super::Doc<'_>, drafts: &mut Drafts, diags: &mut Diagnostics) {
    let super::Doc { doc, file, all } = input;
    let Some(mut root) = Field::new(&doc.root, "").map(diags) else {
        return;
    };
    if let Some(api) = root.get("apiVersion") {
        if api.scalar().is_some_and(|s| s.text == "v1alpha1") {
            diags.push(
                api.warning("`apiVersion: v1alpha1` is read as Pyrra's `pyrra.dev/v1alpha1`")
                    .note("the kind `ServiceLevelObjective` without a group is how some Pyrra users write it; Kubernetes itself needs the group")
                    .help("write `apiVersion: pyrra.dev/v1alpha1`"),
            );
        }
    }
    if super::kind(&mut root, &["ServiceLevelObjective"], diags).is_none() {
        return;
    }
    let meta = root
        .required("metadata", diags)
        .and_then(|f| metadata(&f, diags));
    // `status` is written by the controller into the cluster's copy of the resource.
    root.ignore(&["status"]);
    let spec = root.required("spec", diags);
    root.finish_ignoring_unknown("Pyrra", diags);
    let Some(mut spec) = spec.and_then(|f| f.map(diags)) else {
        return;
    };
    let target = spec
        .required("target", diags)
        .and_then(|f| common::objective_percent(&f, diags));
    let window = spec.required("window", diags).and_then(|f| {
        let window = common::duration(&f, diags)?;
        if window < Duration::from_days(1) {
            diags.push(
                f.error(format!("window `{window}` is too short for an SLO"))
                    .note("Pyrra scales its alert windows from 28 days; below a day they round to nothing")
                    .help("use a window of days or weeks, such as `28d` or `4w`"),
            );
            return None;
        }
        Some(window)
    });
    let description = spec
        .get("description")
        .and_then(|f| f.string(diags))
        .filter(|d| !d.trim().is_empty());
    let indicator = spec
        .required("indicator", diags)
        .and_then(|f| indicator::indicator(&f, diags));
    let alerting_field = spec.get("alerting");
    not_applicable(&mut spec, diags);
    spec.finish_ignoring_unknown("Pyrra", diags);
    let (Some(meta), Some(objective), Some(period), Some((indicator, group_by))) =
        (meta, target, window, indicator)
    else {
        return;
    };
    let alerting = alerting::alerting(
        alerting_field.as_ref(),
        period,
        objective,
        meta.annotations.clone(),
        diags,
    );
    let Some(alerting) = alerting else {
        return;
    };
    let at = meta.name_field_span;
    common::check_tiers(&alerting.tiers, objective, at, "metadata.name", diags);
    let mut labels = meta.labels;
    let owner = labels.remove("owner");
    let tier = labels.remove("tier");
    let slo = Slo {
        description,
        group_by,
        labels,
        owner,
        tier,
        ..Slo::new(
            meta.name,
            meta.service,
            objective,
            period,
            indicator,
            alerting,
            Origin {
                file: file.to_string(),
                line: doc.root.span.start.line,
                format: SpecFormat::Pyrra,
            },
        )
    };
    if !all.budget.slo(&slo, at, "metadata.name", diags) {
        return;
    }
    drafts.slos.push(SloDraft {
        slo,
        product: None,
        span: at,
        policy: None,
    });
}

/// Settings that tune how Pyrra itself writes its rules. slokit writes its rules its own way, so
/// they mean nothing here; a warning says so when one asks for something.
fn not_applicable(spec: &mut Map<'_>, diags: &mut Diagnostics) {
    if let Some(f) = spec.get("performanceOverAccuracy") {
        if f.boolean(diags) == Some(true) {
            diags.push(
                f.warning("`performanceOverAccuracy` has no effect in slokit")
                    .note("slokit always reads long windows from its hourly series, which is both cheap and exact")
                    .help("remove it"),
            );
        }
    }
    for key in ["ruleOutput", "partial_response_strategy"] {
        if let Some(f) = spec.get(key) {
            if !matches!(f.node.kind, NodeKind::Null) {
                diags.push(
                    f.warning(format!("`{key}` has no effect in slokit"))
                        .note("it tunes the `PrometheusRule` objects Pyrra writes; slokit writes its own rule files (`--target prometheus-operator` for `PrometheusRule` objects)")
                        .help("remove it"),
                );
            }
        }
    }
}

/// What the Kubernetes `metadata` gives the SLO.
struct Meta {
    name: String,
    name_field_span: crate::load::source::Span,
    service: String,
    labels: BTreeMap<String, String>,
    /// Annotations for the alerts: the `pyrra.dev/` ones, prefix removed.
    annotations: BTreeMap<String, String>,
}

fn metadata(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Meta> {
    let mut meta = field.map(diags)?;
    let name_field = meta.required("name", diags);
    let name = name_field.as_ref().and_then(|f| {
        let name = f.non_empty(diags)?;
        common::check_file_safe_name(f, &name, "SLO", diags).then_some(name)
    });
    let namespace = meta
        .get("namespace")
        .and_then(|f| f.non_empty(diags).map(|n| (n, f)));
    let mut labels = BTreeMap::new();
    let mut service = None;
    if let Some(f) = meta.get("labels") {
        for (key, (value, span)) in f.string_map(diags) {
            let Some(name) = key.strip_prefix(PROPAGATED) else {
                continue;
            };
            let path = crate::load::decode::join(&f.path, &key);
            if common::check_label_name(name, span, &path, diags) {
                labels.insert(name.to_string(), value);
            }
        }
        if let NodeKind::Map(entries) = &f.node.kind {
            service = entries
                .iter()
                .find(|(k, _)| k.name == "pyrra.dev/service")
                .map(|(k, v)| Field::new(v, crate::load::decode::join(&f.path, &k.name)));
        }
    }
    let mut annotations = BTreeMap::new();
    if let Some(f) = meta.get("annotations") {
        for (key, (value, _)) in f.string_map(diags) {
            if let Some(name) = key.strip_prefix(PROPAGATED) {
                annotations.insert(name.to_string(), value);
            }
        }
    }
    meta.ignore(&[
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "ownerReferences",
        "finalizers",
    ]);
    meta.finish_ignoring_unknown("Kubernetes", diags);
    let service = match (service, namespace) {
        (Some(field), _) => {
            let value = field.non_empty(diags)?;
            common::check_file_safe_name(&field, &value, "service", diags).then_some(value)?
        }
        (None, Some((namespace, field))) => {
            common::check_file_safe_name(&field, &namespace, "namespace", diags)
                .then_some(namespace)?
        }
        (None, None) => "default".to_string(),
    };
    let name_field = name_field?;
    Some(Meta {
        name: name?,
        name_field_span: name_field.span(),
        service,
        labels,
        annotations,
    })
}

#[cfg(test)]
mod tests {
    use crate::load::test_load;
    use crate::model::{Comparison, Counted, EventSource, Indicator, SpecFormat};

    fn slo(spec: &str) -> String {
        format!("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: api-errors\n  namespace: shop\n  labels: {{prometheus: k8s, pyrra.dev/team: checkout, pyrra.dev/owner: alice}}\n  annotations: {{pyrra.dev/runbook: 'https://runbooks/{{{{$labels.namespace}}}}', kubectl.kubernetes.io/last-applied-configuration: x}}\nspec:\n{spec}")
    }

    const RATIO: &str = "  target: \"99\"\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'http_requests_total{job=\"api\",code=~\"5..\"}'}\n      total: {metric: 'http_requests_total{job=\"api\"}'}\n      grouping: [handler]\n";

    #[test]
    fn a_ratio_slo_keeps_pyrras_windows_factors_and_absent_alert() {
        let (rendered, catalog) = test_load(&[("test.yaml", &slo(RATIO))]);
        assert_eq!(rendered, "");
        let slo = catalog.slos().next().expect("one SLO");
        assert_eq!(
            (slo.service.as_str(), slo.name.as_str()),
            ("shop", "api-errors")
        );
        assert_eq!(slo.origin.format, SpecFormat::Pyrra);
        assert_eq!(slo.period.to_string(), "28d");
        assert!((slo.objective - 0.99).abs() < 1e-12);
        assert_eq!(slo.group_by, ["handler"]);
        // Only the `pyrra.dev/` labels are Pyrra's rule labels; `owner` is a field of its own.
        assert_eq!(slo.labels.len(), 1);
        assert_eq!(slo.labels["team"], "checkout");
        assert_eq!(slo.owner.as_deref(), Some("alice"));
        let Indicator::Ratio(ratio) = &slo.indicator else {
            panic!("{:?}", slo.indicator)
        };
        assert_eq!(ratio.counts, Counted::Bad);
        assert!(matches!(ratio.numerator, EventSource::Counter(_)));
        let tiers: Vec<String> = slo
            .alerting
            .tiers
            .iter()
            .flat_map(|t| {
                t.windows
                    .iter()
                    .map(move |w| format!("{} {}/{} {}", t.severity, w.long, w.short, w.factor))
            })
            .collect();
        assert_eq!(
            tiers,
            [
                "critical 1h/5m 14",
                "critical 6h/30m 7",
                "warning 1d/2h 2",
                "warning 4d/6h 1"
            ]
        );
        assert_eq!(slo.alerting.name.as_deref(), Some("ErrorBudgetBurn"));
        assert_eq!(
            slo.alerting.for_duration.map(|d| d.to_string()).as_deref(),
            Some("2m")
        );
        assert_eq!(
            slo.alerting.no_data.map(|d| d.to_string()).as_deref(),
            Some("10m")
        );
        // Pyrra's annotations become the alerts', Go templates kept for Prometheus to expand.
        assert_eq!(
            slo.alerting.annotations["runbook"],
            "https://runbooks/{{$labels.namespace}}"
        );
        assert_eq!(slo.alerting.annotations.len(), 1);
    }

    #[test]
    fn alerting_switches_map_onto_slokits() {
        let load = |alerting: &str| {
            let (rendered, catalog) = test_load(&[(
                "test.yaml",
                &slo(&format!("{RATIO}  alerting: {alerting}\n")),
            )]);
            assert_eq!(rendered, "", "{alerting}");
            let alerting = catalog.slos().next().expect("one SLO").alerting.clone();
            alerting
        };
        let off = load("{disabled: true}");
        assert!(!off.enabled);
        let absent_only = load("{burnrates: false, name: ApiBurn}");
        assert!(absent_only.enabled && absent_only.tiers.is_empty());
        assert!(absent_only.no_data.is_some());
        assert_eq!(absent_only.name.as_deref(), Some("ApiBurn"));
        let burn_only = load("{absent: false, severities: {fastBurn: page, mediumBurn: page, slowBurn: ticket, longTermBurn: ticket}}");
        assert_eq!(burn_only.no_data, None);
        let severities: Vec<&str> = burn_only
            .tiers
            .iter()
            .map(|t| t.severity.as_str())
            .collect();
        assert_eq!(severities, ["page", "ticket"]);
    }

    #[test]
    fn latency_bool_gauge_and_native_indicators() {
        let latency = "  target: '99.5'\n  window: 28d\n  indicator:\n    latency:\n      success: {metric: 'http_request_duration_seconds_bucket{job=\"api\",le=\"0.5\"}'}\n      total: {metric: 'http_request_duration_seconds_count{job=\"api\"}'}\n";
        let (rendered, catalog) = test_load(&[("test.yaml", &slo(latency))]);
        assert_eq!(rendered, "");
        let Indicator::Latency(l) = &catalog.slos().next().unwrap().indicator else {
            panic!("a latency SLI")
        };
        assert_eq!(
            (l.histogram.metric.as_str(), l.threshold, l.native),
            ("http_request_duration_seconds", 0.5, false)
        );
        // A bucket of another selection than the total is a ratio of the two counters.
        let (_, catalog) = test_load(&[(
            "test.yaml",
            &slo(&latency.replace("job=\"api\",le", "job=\"web\",le")),
        )]);
        let Indicator::Ratio(r) = &catalog.slos().next().unwrap().indicator else {
            panic!("a ratio SLI")
        };
        assert_eq!(r.counts, Counted::Good);

        for key in ["bool_gauge", "boolGauge"] {
            let gauge = format!("  target: '99.9'\n  window: 4w\n  indicator:\n    {key}:\n      metric: probe_success{{job=\"blackbox\"}}\n      grouping: [instance]\n");
            let (rendered, catalog) = test_load(&[("test.yaml", &slo(&gauge))]);
            assert_eq!(rendered, "", "{key}");
            let Indicator::Threshold(t) = &catalog.slos().next().unwrap().indicator else {
                panic!("a threshold SLI")
            };
            assert_eq!((t.op, t.bound), (Comparison::Equal, 1.0));
        }

        let native = "  target: '99'\n  window: 4w\n  indicator:\n    latencyNative:\n      latency: 200ms\n      total: {metric: 'connect_server_requests_duration_seconds{job=\"pyrra\"}'}\n";
        let (_, catalog) = test_load(&[("test.yaml", &slo(native))]);
        let Indicator::Latency(l) = &catalog.slos().next().unwrap().indicator else {
            panic!("a latency SLI")
        };
        assert_eq!((l.threshold, l.native), (0.2, true));
    }

    #[test]
    fn an_offset_is_kept_in_a_rate_query() {
        let offset = RATIO.replace("code=~\"5..\"}'", "code=~\"5..\"} offset 1m'");
        let (rendered, catalog) = test_load(&[("test.yaml", &slo(&offset))]);
        assert_eq!(rendered, "");
        let Indicator::Ratio(r) = &catalog.slos().next().unwrap().indicator else {
            panic!("a ratio SLI")
        };
        let EventSource::Query(q) = &r.numerator else {
            panic!("{:?}", r.numerator)
        };
        assert_eq!(
            q.template,
            "rate(http_requests_total{job=\"api\",code=~\"5..\"}[{{.window}}] offset 1m)"
        );
    }

    /// A real manifest stream: Pyrra SLOs without the `pyrra.dev` group and with `grouping: null`,
    /// then an OpenShift `Route`, which is skipped.
    #[test]
    fn bare_versions_and_other_kubernetes_objects_are_read_with_warnings() {
        let stream = "apiVersion: v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: api}\nspec:\n  target: \"99\"\n  window: 4w\n  indicator: {ratio: {errors: {metric: 'a_total{code=\"5\"}'}, total: {metric: a_total}, grouping: null}}\nstatus: {}\n---\napiVersion: route.openshift.io/v1\nkind: Route\nmetadata: {name: r}\n";
        let (rendered, catalog) = test_load(&[("test.yaml", stream)]);
        assert_eq!(
            rendered,
            "warning: `apiVersion: v1alpha1` is read as Pyrra's `pyrra.dev/v1alpha1`
  --> test.yaml:1:13
   |
 1 | apiVersion: v1alpha1
   |             ^^^^^^^^
   = field: apiVersion
   = note: the kind `ServiceLevelObjective` without a group is how some Pyrra users write it; Kubernetes itself needs the group
   = help: write `apiVersion: pyrra.dev/v1alpha1`

warning: skipped `Route` (`route.openshift.io/v1`): it is not an SLO spec
  --> test.yaml:10:13
    |
 10 | apiVersion: route.openshift.io/v1
    |             ^^^^^^^^^^^^^^^^^^^^^
    = field: apiVersion
    = note: slokit reads slokit, Sloth, OpenSLO, Pyrra and slo-generator specs; other Kubernetes objects in the same stream are left alone
"
        );
        // Without a namespace or `pyrra.dev/service`, the SLO is in Kubernetes's `default`.
        assert_eq!(catalog.slos().next().unwrap().service, "default");
    }

    #[test]
    fn what_cannot_be_honoured_is_a_located_error() {
        let (rendered, _) = test_load(&[(
            "test.yaml",
            "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: api}\nspec:\n  target: \"100\"\n  window: 12h\n  indicator: {ratio: {errors: {metric: a_total}}, bool_gauge: {metric: up}}\n",
        )]);
        assert_eq!(
            rendered,
            "error: objective `100` is 100%, which leaves no error budget
  --> test.yaml:5:11
   |
 5 |   target: \"100\"
   |           ^^^^^
   = field: spec.target
   = note: burn rates divide by the error budget, so a 100% objective makes every alert and budget series infinite
   = help: use an objective below 100, such as `99.99`

error: window `12h` is too short for an SLO
  --> test.yaml:6:11
   |
 6 |   window: 12h
   |           ^^^
   = field: spec.window
   = note: Pyrra scales its alert windows from 28 days; below a day they round to nothing
   = help: use a window of days or weeks, such as `28d` or `4w`

error: the indicator has more than one kind
  --> test.yaml:7:14
   |
 7 |   indicator: {ratio: {errors: {metric: a_total}}, bool_gauge: {metric: up}}
   |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = field: spec.indicator
   = help: write exactly one of `bool_gauge`, `latency`, `latencyNative`, `ratio`
"
        );
    }
}
