//! `kind: Product` (a set of services with owners, a policy, a review cadence and, with
//! `objectives`, an SLO of its own: see [`super::composite`]) and
//! `kind: ErrorBudgetPolicy` (ordered steps: a condition on the budget or a burn rate, an action,
//! and whether releases are blocked).

use super::*;

pub(super) fn product(
    meta: crate::load::Metadata,
    spec: &mut Map<'_>,
    origin: Origin,
    budget: &Budget,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let name_ok = check_file_safe_name(
        &Field::new(
            &Node {
                kind: NodeKind::Null,
                span: meta.name_span,
            },
            "metadata.name",
        ),
        &meta.name,
        "product",
        diags,
    );
    let display_name = spec
        .get("displayName")
        .and_then(|f| f.string(diags))
        .or(meta.display_name.clone());
    let description = spec.get("description").and_then(|f| f.string(diags));
    let team = spec.get("team").and_then(|f| f.string(diags));
    let owners = spec
        .get("owners")
        .map(|f| f.strings(diags))
        .unwrap_or_default();
    let mut services = Vec::new();
    if let Some(f) = spec.get("services") {
        for item in f.list(diags) {
            if let Some(s) = item.non_empty(diags) {
                if services.contains(&s) {
                    diags.push(item.error(format!("service `{s}` is listed twice")));
                } else {
                    services.push(s);
                }
            }
        }
    }
    services.sort();
    let maturity = match spec.get("maturity") {
        None => Maturity::Greenfield,
        Some(f) => {
            let text = f.string(diags).unwrap_or_default();
            match Maturity::ALL.iter().find(|(s, _)| *s == text) {
                Some((_, m)) => *m,
                None => {
                    let names: Vec<&str> = Maturity::ALL.iter().map(|(s, _)| *s).collect();
                    let mut d = f.error(format!("unknown maturity level `{text}`"));
                    d = d.help_did_you_mean(&text, names.iter().copied(), || {
                        format!("expected one of {}", backticked(&names))
                    });
                    diags.push(d);
                    Maturity::Greenfield
                }
            }
        }
    };
    let (review, mut approvers) = spec
        .get("review")
        .map(|f| review(&f, diags))
        .unwrap_or_default();
    if let Some(f) = spec.get("approvers") {
        approvers.extend(f.strings(diags));
    }
    let policy_field = spec.get("policy");
    let policy = policy_field.as_ref().and_then(|f| f.non_empty(diags));
    if !name_ok {
        return;
    }
    let slo = composite::product_slo(
        &meta,
        spec,
        description.clone(),
        origin.clone(),
        budget,
        drafts,
        diags,
    );
    let product = Product {
        name: meta.name,
        display_name,
        description,
        team,
        owners,
        maturity,
        review,
        approvers,
        policy,
        services,
        slo,
        slos: Vec::new(),
        origin: Some(origin),
    };
    drafts.products.push(ProductDraft {
        product,
        span: meta.name_span,
        policy_span: policy_field.map(|f| f.span()),
    });
}

pub(super) fn policy(
    meta: crate::load::Metadata,
    spec: &mut Map<'_>,
    origin: Origin,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let description = spec.get("description").and_then(|f| f.string(diags));
    let mut steps = Vec::new();
    match spec.required("steps", diags) {
        Some(f) => {
            let items = f.list(diags);
            if items.is_empty() {
                diags.push(f.error("a policy needs at least one step"));
            }
            for item in items {
                if let Some(step) = policy_step(&item, diags) {
                    steps.push(step);
                }
            }
        }
        None => return,
    }
    drafts.policies.push((
        ErrorBudgetPolicy {
            name: meta.name,
            description,
            steps,
            origin,
        },
        meta.name_span,
    ));
}

pub(super) const CONDITIONS: &[&str] =
    &["budgetRemainingBelow", "budgetExhausted", "burnRateAbove"];

pub(super) fn policy_step(item: &Field<'_>, diags: &mut Diagnostics) -> Option<PolicyStep> {
    let mut map = item.map(diags)?;
    let name = map.required("name", diags).and_then(|f| f.non_empty(diags));
    let action = map
        .required("action", diags)
        .and_then(|f| f.non_empty(diags));
    let blocks_releases = map
        .get("blockReleases")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(false);
    let when = map.required("when", diags).and_then(|f| {
        let mut when = f.map(diags)?;
        let present: Vec<&'static str> =
            CONDITIONS.iter().copied().filter(|c| when.has(c)).collect();
        let condition = match present.as_slice() {
            ["budgetRemainingBelow"] => when.get("budgetRemainingBelow").and_then(|f| {
                let v = f.number(diags)?;
                if !(0.0..=1.0).contains(&v) {
                    let hint = if v > 1.0 && v <= 100.0 {
                        format!("did you mean `{}`?", trim_float(v / 100.0))
                    } else {
                        "use a ratio between 0 and 1".into()
                    };
                    diags.push(
                        f.error(format!(
                            "budget share `{}` must be between 0 and 1",
                            trim_float(v)
                        ))
                        .help(hint),
                    );
                    return None;
                }
                Some(PolicyCondition::BudgetRemainingBelow(v))
            }),
            ["budgetExhausted"] => when
                .get("budgetExhausted")
                .and_then(|f| f.boolean(diags))
                .and_then(|b| {
                    if !b {
                        diags.push(
                            f.error("`budgetExhausted: false` never matches")
                                .help("write `budgetExhausted: true`"),
                        );
                    }
                    b.then_some(PolicyCondition::BudgetExhausted)
                }),
            ["burnRateAbove"] => {
                let factor = when.get("burnRateAbove").and_then(|f| f.number(diags));
                let window = when
                    .required("window", diags)
                    .and_then(|f| duration(&f, diags));
                Some(PolicyCondition::BurnRateAbove {
                    factor: factor?,
                    window: window?,
                })
            }
            [] => {
                diags.push(
                    f.error("a step needs a condition")
                        .help(format!("use one of {}", backticked(CONDITIONS))),
                );
                None
            }
            _ => {
                diags.push(
                    f.error("a step has exactly one condition")
                        .help("split it into several steps"),
                );
                None
            }
        };
        when.ignore(CONDITIONS);
        when.ignore(&["window"]);
        when.finish(diags);
        condition
    });
    map.finish(diags);
    Some(PolicyStep {
        name: name?,
        when: when?,
        action: action?,
        blocks_releases,
    })
}
