//! OpenSLO v1 alerting: `AlertPolicy` and `AlertCondition` objects (inline or by reference) turned
//! into slokit's multi-window burn-rate tiers, and the default tiers for SLOs without policies.
//! A burn-rate condition has one lookback window; slokit pairs it with a short window.

use super::*;

/// An alert condition as slokit uses it.
#[derive(Clone)]
pub(super) struct Condition {
    pub(super) severity: String,
    /// `gt` and `gte` fire on fast burns; `lt` and `lte` cannot be generated.
    pub(super) op: Option<(String, Span, String)>,
    pub(super) threshold: f64,
    pub(super) lookback: Duration,
    pub(super) alert_after: Option<Duration>,
}

/// An `AlertCondition` spec: `{severity, condition: {kind: burnrate, op, threshold, lookbackWindow,
/// alertAfter}}`.
pub(super) fn condition_spec(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Condition> {
    let mut map = field.map(diags)?;
    if let Some(f) = map.get("description") {
        f.string(diags);
    }
    let severity = map
        .required("severity", diags)
        .and_then(|f| f.non_empty(diags));
    let condition = map.required("condition", diags);
    map.finish(diags);
    let mut map = condition?.map(diags)?;
    let kind = map.required("kind", diags);
    let op = either(&mut map, "op", "operator", diags);
    if op.is_none() && !map.has("op") {
        diags.push(map.missing("op"));
    }
    let threshold = map.required("threshold", diags);
    let lookback = map.required("lookbackWindow", diags);
    let alert_after = map.get("alertAfter");
    map.finish(diags);
    let kind_field = kind?;
    let kind = kind_field.string(diags)?;
    if kind != "burnrate" {
        diags.push(
            kind_field
                .error(format!("alert condition kind `{kind}` is not supported"))
                .help("use `kind: burnrate`"),
        );
        return None;
    }
    let op = op.and_then(|f| {
        let text = f.string(diags)?;
        if !matches!(text.as_str(), "gt" | "gte" | "lt" | "lte") {
            diags.push(f.error(format!("unknown `op` `{text}`")).help(
                "use `gt` or `gte`: the alert fires when the burn rate is above the threshold",
            ));
            return None;
        }
        Some((text, f.span(), f.path.clone()))
    });
    let threshold_field = threshold?;
    let threshold = threshold_field.number(diags)?;
    if threshold <= 0.0 {
        diags.push(threshold_field.error(format!(
            "burn-rate threshold `{}` must be above 0",
            common::trim_float(threshold)
        )));
        return None;
    }
    let lookback = common::duration(&lookback?, diags)?;
    let alert_after = match alert_after {
        Some(f) => Some(common::duration(&f, diags)?),
        None => None,
    };
    Some(Condition {
        severity: severity?,
        op: Some(op?),
        threshold,
        lookback,
        alert_after,
    })
}

pub(super) fn low_op(condition: &Condition) -> Option<(&str, Span, &str)> {
    condition
        .op
        .as_ref()
        .filter(|(op, _, _)| op.starts_with("lt"))
        .map(|(op, span, path)| (op.as_str(), *span, path.as_str()))
}

/// A condition that fires on a *low* burn rate is valid OpenSLO but cannot become a burn-rate
/// alert. Unused, it is only a warning; an SLO that uses it gets an error.
pub(super) fn warn_unusable(conditions: &[Condition], diags: &mut Diagnostics) {
    for condition in conditions {
        if let Some((op, span, path)) = low_op(condition) {
            diags.push(
                Diagnostic::warning(format!(
                    "a burn-rate condition with `op: {op}` fires when the budget burns slowly; slokit cannot alert on it"
                ))
                .at(span)
                .field(path)
                .note("SLOs that use this condition fail to load")
                .help("use `op: gt` to alert when the burn rate exceeds the threshold"),
            );
        }
    }
}

/// An `AlertPolicy` spec: its conditions, inline or by `conditionRef`.
pub(super) fn policy_spec(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Vec<Condition>> {
    let mut map = field.map(diags)?;
    if let Some(f) = map.get("description") {
        f.string(diags);
    }
    for key in ["alertWhenResolved", "alertWhenBreaching"] {
        if let Some(f) = map.get(key) {
            f.boolean(diags);
        }
    }
    if let Some(f) = map.get("alertWhenNoData") {
        if f.boolean(diags) == Some(true) {
            diags.push(
                f.warning("`alertWhenNoData` is not supported and is ignored")
                    .help("after converting to `slo.dev/v1`, set `alerting.noData` to the time without data that should alert"),
            );
        }
    }
    // Notification routing belongs to Alertmanager; slokit's alerts carry the severity to route on.
    map.ignore(&["notificationTargets"]);
    let conditions = map.required("conditions", diags);
    map.finish(diags);
    let conditions = conditions?;
    let items = conditions.list(diags);
    if items.is_empty() {
        diags.push(
            conditions
                .error("an alert policy needs at least one condition")
                .help("add a `conditionRef` or an inline `AlertCondition`"),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut failed = false;
    for item in items {
        match condition_item(&item, context, diags) {
            Some(c) => out.push(c),
            None => failed = true,
        }
    }
    (!failed).then_some(out)
}

/// `{conditionRef: name}` or an inline `{kind: AlertCondition, metadata, spec}`.
pub(super) fn condition_item(
    item: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Condition> {
    let mut map = item.map(diags)?;
    if let Some(reference) = map.get("conditionRef") {
        map.finish(diags);
        let named = lookup(
            &reference,
            &context.reg.conditions,
            "alert condition",
            "AlertCondition",
            diags,
        )?;
        if !context.budget.copy(named.weight, &reference, diags) {
            return None;
        }
        // The condition's own document reports its problems; here they would be repeats. Unlike
        // SLIs and policies, a condition with problems is still used for what could be read.
        let spec = named.spec?;
        return condition_spec(&Field::new(spec, "spec"), &mut Diagnostics::default());
    }
    let spec = inline_object(&mut map, "AlertCondition", diags);
    map.finish(diags);
    condition_spec(&spec?, diags)
}

/// An inline object: `kind` (optional, but it must match), `metadata`, `spec`.
pub(super) fn inline_object<'a>(
    map: &mut Map<'a>,
    kind: &'static str,
    diags: &mut Diagnostics,
) -> Option<Field<'a>> {
    if let Some(f) = map.get("kind") {
        let text = f.string(diags)?;
        if text != kind {
            diags.push(f.error(format!("expected `kind: {kind}`, found `{text}`")));
            return None;
        }
    }
    map.ignore(&["apiVersion"]);
    if let Some(meta) = map.get("metadata") {
        metadata(&meta, false, diags);
    }
    map.required("spec", diags)
}

/// `alertPolicies`: every burn-rate condition becomes a window pair of the tier named by its
/// severity. OpenSLO gives one lookback window; the short window is a twelfth of it, the ratio of
/// the SRE Workbook's table (1h/5m, 6h/30m, 1d/2h, 3d/6h). No policies means the default tiers.
pub(super) fn alert_policies(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    period: Duration,
    diags: &mut Diagnostics,
) -> Option<Alerting> {
    let items = field.list(diags);
    if items.is_empty() {
        return Some(common::default_alerting(period));
    }
    let mut conditions = Vec::new();
    let mut failed = false;
    for item in &items {
        let Some(mut map) = item.map(diags) else {
            failed = true;
            continue;
        };
        let found = if let Some(reference) = map.get("alertPolicyRef") {
            map.finish(diags);
            policy_ref(&reference, context, diags)
        } else {
            let spec = inline_object(&mut map, "AlertPolicy", diags);
            map.finish(diags);
            spec.and_then(|s| policy_spec(&s, context, diags))
        };
        match found {
            Some(found) => conditions.extend(found),
            None => failed = true,
        }
    }
    for condition in &conditions {
        if let Some((op, span, path)) = low_op(condition) {
            diags.push(
                Diagnostic::error(format!(
                    "a burn-rate condition with `op: {op}` cannot become an alert"
                ))
                .at(span)
                .field(path)
                .note("slokit alerts when the error budget burns fast, that is when the burn rate is above the threshold")
                .help("use `op: gt`"),
            );
            failed = true;
        }
    }
    if failed {
        return None;
    }
    let mut alerting = common::default_alerting(period);
    alerting.tiers = Vec::new();
    for condition in &conditions {
        let window = BurnWindow {
            long: condition.lookback,
            short: Duration::from_millis((condition.lookback.millis() / 12).max(1000)),
            factor: condition.threshold,
        };
        match alerting
            .tiers
            .iter_mut()
            .find(|t| t.severity == condition.severity)
        {
            Some(tier) => tier.windows.push(window),
            None => alerting.tiers.push(AlertTier {
                severity: condition.severity.clone(),
                windows: vec![window],
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
            }),
        }
        match (alerting.for_duration, condition.alert_after) {
            (None, after) => alerting.for_duration = after,
            (Some(current), Some(after)) if current != after => {
                diags.push(
                    field
                        .warning(format!(
                            "the conditions wait different times before alerting; slokit uses `{current}` for all of them, not `{after}`"
                        ))
                        .note("slokit sets one `for:` on every burn-rate alert of an SLO")
                        .help("give the conditions the same `alertAfter`"),
                );
            }
            _ => {}
        }
    }
    Some(alerting)
}

pub(super) fn policy_ref(
    field: &Field<'_>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Vec<Condition>> {
    let named = lookup(
        field,
        &context.reg.policies,
        "alert policy",
        "AlertPolicy",
        diags,
    )?;
    if !context.budget.copy(named.weight, field, diags) {
        return None;
    }
    quietly(named, |spec, quiet| policy_spec(spec, context, quiet))
}
