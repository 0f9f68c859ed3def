//! slo-generator SLO configs in their three layouts, mapped onto one SLO each. The SLO's name is
//! the config's name (`metadata.name`; in v1, `<service>-<feature>-<slo>` as slo-generator's v1
//! to v2 migration names it) and its service the `service_name` label. Other labels, such as
//! `feature_name` and `team`, stay descriptive labels; `slo_name` is part of the name.
//!
//! The SLO follows the error-budget policy slo-generator would apply: the one `spec`
//! names (`error_budget_policy`), else `default` for v2 configs, and for v1 configs the policy of
//! the v1 policy file `error_budget_policy.yaml`, when the run has it.

use super::super::{common, Drafts, Registry as All, SloDraft};
use super::{indicator, policy, PERIOD};
use crate::diag::Diagnostics;
use crate::load::decode::{Field, Map};
use crate::load::source::Span;
use crate::model::{Origin, Slo, SpecFormat};
use std::collections::BTreeMap;

/// The parts of an SLO config, whatever its layout.
struct Parts<'a> {
    name: Option<(String, Span)>,
    service: Option<String>,
    labels: BTreeMap<String, String>,
    description: Option<String>,
    goal: Option<f64>,
    backend: Option<Field<'a>>,
    method: Option<Field<'a>>,
    sli: Option<Field<'a>>,
    policy: String,
    line: u32,
    path: &'static str,
}

/// `apiVersion: sre.google.com/v2` (or the prototype's `cloud.google.com/v1`).
pub(super) fn versioned(
    mut map: Map<'_>,
    file: &str,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    if let Some(api) = map.get("apiVersion") {
        if api
            .scalar()
            .is_some_and(|s| s.text == "cloud.google.com/v1")
        {
            diags.push(
                api.warning("`cloud.google.com/v1` is read as slo-generator's `sre.google.com/v2`")
                    .note("it is the layout of slo-generator's Kubernetes prototype, which `sre.google.com/v2` replaced")
                    .help("write `apiVersion: sre.google.com/v2` and `service_level_indicator`"),
            );
        }
    }
    if super::super::kind(&mut map, &["ServiceLevelObjective"], diags).is_none() {
        return;
    }
    let line = map.field.span().start.line;
    let meta = map.required("metadata", diags);
    let spec = map.required("spec", diags);
    map.finish_ignoring_unknown("slo-generator", diags);
    let (Some(meta), Some(spec)) = (meta, spec) else {
        return;
    };
    let Some(mut meta) = meta.map(diags) else {
        return;
    };
    let name = meta.required("name", diags).and_then(|f| {
        let name = f.non_empty(diags)?;
        common::check_file_safe_name(&f, &name, "SLO", diags).then(|| (name, f.span()))
    });
    let (service, labels) = labels(&mut meta, diags);
    meta.ignore(&["annotations", "namespace"]);
    meta.finish_ignoring_unknown("Kubernetes", diags);
    let Some(mut spec) = spec.map(diags) else {
        return;
    };
    let description = spec.get("description").and_then(|f| f.string(diags));
    let goal = spec
        .required("goal", diags)
        .and_then(|f| common::objective_ratio(&f, diags));
    let backend = spec.required("backend", diags);
    let method = spec.required("method", diags);
    let sli = spec.get_any(&["service_level_indicator", "serviceLevelIndicator"]);
    let policy = spec
        .get("error_budget_policy")
        .and_then(|f| f.non_empty(diags))
        .unwrap_or_else(|| "default".to_string());
    // Where reports go, and how often they are computed: slokit's rules run in Prometheus.
    spec.ignore(&["exporters", "frequency"]);
    if sli.is_none() && backend.is_some() {
        diags.push(spec.missing("service_level_indicator"));
    }
    spec.finish_ignoring_unknown("slo-generator", diags);
    let service = service.or_else(|| name.as_ref().map(|(n, _)| n.clone()));
    build(
        Parts {
            name,
            service,
            labels,
            description,
            goal,
            backend,
            method,
            sli,
            policy,
            line,
            path: "metadata.name",
        },
        file,
        all,
        drafts,
        diags,
    );
}

/// `service_name` becomes the service; `slo_name` is in the SLO's name; the rest are labels.
fn labels(
    meta: &mut Map<'_>,
    diags: &mut Diagnostics,
) -> (Option<String>, BTreeMap<String, String>) {
    let mut labels = common::optional_labels(meta, "labels", diags);
    labels.remove("slo_name");
    let service = labels
        .remove("service_name")
        .filter(|s| !s.trim().is_empty());
    (service, labels)
}

/// The flat v1 layout.
pub(super) fn v1(
    mut map: Map<'_>,
    file: &str,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let line = map.field.span().start.line;
    let service = map.required("service_name", diags).and_then(|f| {
        let name = f.non_empty(diags)?;
        common::check_file_safe_name(&f, &name, "service", diags).then_some(name)
    });
    let feature = map
        .required("feature_name", diags)
        .and_then(|f| f.non_empty(diags));
    let slo_field = map.required("slo_name", diags);
    let slo_name = slo_field.as_ref().and_then(|f| f.non_empty(diags));
    let description = map.get("slo_description").and_then(|f| f.string(diags));
    let goal = map
        .required("slo_target", diags)
        .and_then(|f| common::objective_ratio(&f, diags));
    // v1's `metadata` holds extra labels for the reports.
    let mut labels = common::optional_labels(&mut map, "metadata", diags);
    let backend_field = map.required("backend", diags);
    map.ignore(&["exporters"]);
    map.finish_ignoring_unknown("slo-generator", diags);
    let mut backend = None;
    let mut method = None;
    let mut sli = None;
    if let Some(mut b) = backend_field.and_then(|f| f.map(diags)) {
        backend = b.required("class", diags);
        method = b.required("method", diags);
        sli = b.get("measurement");
        if sli.is_none() {
            diags.push(b.missing("measurement"));
        }
        // Where to reach the backend: slokit's rules run inside Prometheus.
        b.ignore(&["url", "headers", "project_id"]);
        b.finish_ignoring_unknown("slo-generator", diags);
    }
    let name = match (&service, &feature, &slo_name, &slo_field) {
        (Some(service), Some(feature), Some(slo), Some(field)) => {
            let name = format!("{service}-{feature}-{slo}");
            common::check_file_safe_name(field, &name, "SLO", diags).then(|| (name, field.span()))
        }
        _ => None,
    };
    if let Some(feature) = feature {
        labels.insert("feature_name".to_string(), feature);
    }
    build(
        Parts {
            name,
            service,
            labels,
            description,
            goal,
            backend,
            method,
            sli,
            policy: policy::v1_name("error_budget_policy.yaml"),
            line,
            path: "slo_name",
        },
        file,
        all,
        drafts,
        diags,
    );
}

fn build(
    parts: Parts<'_>,
    file: &str,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    // A backend slokit cannot read is the one error worth reporting: the SLI's fields are in
    // that backend's query language.
    let indicator = match (&parts.backend, &parts.method, &parts.sli) {
        (Some(backend), Some(method), Some(sli)) => {
            if indicator::is_prometheus(backend, diags) {
                indicator::indicator(method, sli, diags)
            } else {
                None
            }
        }
        (Some(backend), _, _) => {
            indicator::is_prometheus(backend, diags);
            None
        }
        _ => None,
    };
    let (Some((name, at)), Some(service), Some(objective), Some(indicator)) =
        (parts.name, parts.service, parts.goal, indicator)
    else {
        return;
    };
    let description = parts
        .description
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|d| !d.is_empty());
    let alerting = common::default_alerting(PERIOD);
    common::check_tiers(&alerting.tiers, objective, at, parts.path, diags);
    let mut labels = parts.labels;
    let owner = labels.remove("owner");
    let tier = labels.remove("tier");
    let slo = Slo {
        description,
        labels,
        owner,
        tier,
        ..Slo::new(
            name,
            service,
            objective,
            PERIOD,
            indicator,
            alerting,
            Origin {
                file: file.to_string(),
                line: parts.line,
                format: SpecFormat::SloGenerator,
            },
        )
    };
    if !all.budget.slo(&slo, at, parts.path, diags) {
        return;
    }
    drafts.slos.push(SloDraft {
        slo,
        product: None,
        span: at,
        policy: Some(parts.policy),
    });
}
