//! slo-generator's error-budget policies. Each step alerts when the burn rate over its window is
//! above its threshold, with a message for when it is (`message_alert`) and when it is not; each
//! becomes a slokit policy step "burn rate above the threshold over the window" whose action is
//! the alert message. slo-generator has no notion of blocking releases, so no step blocks them:
//! a team that wants `slo gate` to stop releases sets `blockReleases` on the converted step.
//!
//! The v1 policy is a file of its own, a list of steps, named after the file (`slo-generator
//! --error-budget-policy error_budget_policy.yaml` was the default); v2 keeps named policies
//! under `error_budget_policies` in the shared config, as a mapping by name or (in the Kubernetes
//! prototype) a list of `{name, steps}`.

use super::super::Drafts;
use crate::diag::Diagnostics;
use crate::duration::Duration;
use crate::load::decode::{Field, Map};
use crate::load::source::Span;
use crate::load::yaml::NodeKind;
use crate::model::{ErrorBudgetPolicy, Origin, PolicyCondition, PolicyStep, SpecFormat};

/// The name of the policy a v1 policy file defines: the file's name without its extension.
pub(super) fn v1_name(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "error_budget_policy".to_string())
}

fn origin(file: &str, span: Span) -> Origin {
    Origin {
        file: file.to_string(),
        line: span.start.line,
        format: SpecFormat::SloGenerator,
    }
}

/// A v1 policy file: a list of steps.
pub(super) fn v1_policy(
    root: &Field<'_>,
    file: &str,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let steps: Vec<PolicyStep> = root
        .list(diags)
        .iter()
        .filter_map(|item| {
            step(
                item,
                &StepKeys {
                    name: "error_budget_policy_step_name",
                    window: "measurement_window_seconds",
                    threshold: "alerting_burn_rate_threshold",
                    action: "overburned_consequence_message",
                    ignored: &["urgent_notification", "achieved_consequence_message"],
                },
                diags,
            )
        })
        .collect();
    push(v1_name(file), steps, root.span(), file, drafts);
}

/// A v2 shared config: only its policies matter to slokit.
pub(super) fn config(mut map: Map<'_>, file: &str, drafts: &mut Drafts, diags: &mut Diagnostics) {
    let policies = map.get("error_budget_policies");
    // Where slo-generator reads metrics and writes reports: slokit's rules run in Prometheus.
    map.ignore(&["backends", "exporters", "default_exporters", "alerting"]);
    map.finish_ignoring_unknown("slo-generator", diags);
    let Some(policies) = policies else {
        return;
    };
    match &policies.node.kind {
        NodeKind::Map(entries) => {
            for (key, value) in entries {
                let field = Field::new(value, crate::load::decode::join(&policies.path, &key.name));
                named_policy(key.name.clone(), key.span, &field, file, drafts, diags);
            }
        }
        NodeKind::Seq(_) => {
            for item in policies.list(diags) {
                let Some(mut entry) = item.map(diags) else {
                    continue;
                };
                let name = entry.required("name", diags).and_then(|f| {
                    let name = f.non_empty(diags)?;
                    Some((name, f.span()))
                });
                entry.ignore(&["steps"]);
                entry.finish_ignoring_unknown("slo-generator", diags);
                if let Some((name, span)) = name {
                    named_policy(name, span, &item, file, drafts, diags);
                }
            }
        }
        NodeKind::Null => {}
        _ => diags.push(policies.error(format!(
            "expected a mapping of policy names to policies, found a {}",
            policies.node.type_name()
        ))),
    }
}

/// A v2 config inside a Kubernetes `ConfigMap`. When `data` holds the config as text (a real
/// `ConfigMap`), its positions are lost inside a string, so slokit asks for the file instead.
pub(super) fn config_map(
    mut map: Map<'_>,
    file: &str,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    map.ignore(&["apiVersion", "kind", "metadata"]);
    let data = map.required("data", diags);
    map.finish_ignoring_unknown("Kubernetes", diags);
    let Some(data) = data else {
        return;
    };
    let Some(inner) = data.map(diags) else {
        return;
    };
    if super::CONFIG_KEYS.iter().any(|k| inner.has(k)) {
        config(inner, file, drafts, diags);
        return;
    }
    if let Some(key) = inner.keys().next() {
        diags.push(
            crate::diag::Diagnostic::error(format!(
                "the slo-generator config in `data.{}` is text inside the ConfigMap",
                key.name
            ))
            .at(key.span)
            .field(&data.path)
            .help(format!(
                "save `data.{}` as a file of its own and point slokit at that file",
                key.name
            )),
        );
    }
}

fn named_policy(
    name: String,
    span: Span,
    field: &Field<'_>,
    file: &str,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    // Early v2 configs give the steps directly, without `steps:`.
    let steps_field = if matches!(field.node.kind, NodeKind::Seq(_)) {
        field.clone()
    } else {
        let Some(mut map) = field.map(diags) else {
            return;
        };
        let steps_field = map.required("steps", diags);
        map.ignore(&["name"]);
        map.finish_ignoring_unknown("slo-generator", diags);
        let Some(steps_field) = steps_field else {
            return;
        };
        steps_field
    };
    let steps: Vec<PolicyStep> = steps_field
        .list(diags)
        .iter()
        .filter_map(|item| {
            step(
                item,
                &StepKeys {
                    name: "name",
                    window: "window",
                    threshold: "burn_rate_threshold",
                    action: "message_alert",
                    ignored: &["alert", "message_ok", "message_standard"],
                },
                diags,
            )
        })
        .collect();
    push(name, steps, span, file, drafts);
}

/// Adds a policy with at least one step (a policy whose steps all failed was reported already).
fn push(name: String, steps: Vec<PolicyStep>, span: Span, file: &str, drafts: &mut Drafts) {
    if steps.is_empty() {
        return;
    }
    drafts.policies.push((
        ErrorBudgetPolicy {
            name,
            description: Some("Converted from an slo-generator error-budget policy".into()),
            steps,
            origin: origin(file, span),
        },
        span,
    ));
}

/// The key names of a step in one layout.
struct StepKeys {
    name: &'static str,
    window: &'static str,
    threshold: &'static str,
    action: &'static str,
    ignored: &'static [&'static str],
}

fn step(item: &Field<'_>, keys: &StepKeys, diags: &mut Diagnostics) -> Option<PolicyStep> {
    let mut map = item.map(diags)?;
    let name = map
        .required(keys.name, diags)
        .and_then(|f| f.non_empty(diags));
    let window = map.required(keys.window, diags).and_then(|f| {
        let seconds = f.integer(diags)?;
        if seconds == 0 {
            diags.push(f.error("a step's window must be longer than 0 seconds"));
            return None;
        }
        Some(Duration::from_millis(seconds.saturating_mul(1000)))
    });
    let factor = map.required(keys.threshold, diags).and_then(|f| {
        let factor = f.number(diags)?;
        if factor <= 0.0 {
            diags.push(
                f.error("a burn-rate threshold must be above 0")
                    .help("1 spends the budget exactly over the period"),
            );
            return None;
        }
        Some(factor)
    });
    let action = map
        .required(keys.action, diags)
        .and_then(|f| f.non_empty(diags));
    map.ignore(keys.ignored);
    map.finish_ignoring_unknown("slo-generator", diags);
    Some(PolicyStep {
        name: name?,
        when: PolicyCondition::BurnRateAbove {
            factor: factor?,
            window: window?,
        },
        action: action?.split_whitespace().collect::<Vec<_>>().join(" "),
        blocks_releases: false,
    })
}
