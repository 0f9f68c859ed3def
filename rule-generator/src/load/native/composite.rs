//! `kind: CompositeSLO` of `slo.dev/v1` (an SLO made of other SLOs: a user journey across
//! services) and a `Product`'s own `objectives` (the product's SLO, a composite over its SLOs).
//! Members are only decoded here, as written; [`crate::load::assemble`] resolves them once every
//! file is read.

use super::*;
use crate::load::CompositeDraft;
use crate::model::{CompositeIndicator, CompositeMember, CompositeMethod};

pub(super) fn composite(
    meta: crate::load::Metadata,
    spec: &mut Map<'_>,
    origin: Origin,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let product = spec
        .required("product", diags)
        .and_then(|f| Some((f.non_empty(diags)?, f.span())));
    let method = spec
        .get("method")
        .map_or(Some(CompositeMethod::Events), |f| method(&f, diags));
    let members = spec
        .required("members", diags)
        .and_then(|f| members(&f, diags));
    let shared = Shared::decode(&meta, spec, diags);
    let (Some(product), Some(method), Some(members)) = (product, method, members) else {
        return;
    };
    push(
        &meta,
        shared,
        product,
        method,
        members,
        origin,
        &all.budget,
        drafts,
        diags,
    );
}

/// A product's own SLO, from its `objectives`, `method` (default `weighted`), `members` (default:
/// every SLO of the product, with equal weights) and `alerting`. Returns the name of the (first)
/// SLO made.
pub(super) fn product_slo(
    meta: &crate::load::Metadata,
    spec: &mut Map<'_>,
    description: Option<String>,
    origin: Origin,
    budget: &Budget,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) -> Option<String> {
    let objectives_field = spec.get("objectives");
    let method = spec
        .get("method")
        .map_or(Some(CompositeMethod::Weighted), |f| method(&f, diags));
    let members = match spec.get("members") {
        Some(f) => members(&f, diags),
        None => Some(Vec::new()),
    };
    let alerting_spec = spec.get("alerting");
    let Some(objectives_field) = objectives_field else {
        if let Some(key) = ["method", "members", "alerting"]
            .into_iter()
            .find(|key| spec.has(key))
        {
            diags.push(spec.missing("objectives").note(format!(
                "`{key}` describes the product's own SLO, which needs objectives"
            )));
        }
        return None;
    };
    let shared = Shared {
        description,
        owner: None,
        tier: None,
        labels: meta.labels.clone(),
        phases: None,
        review: Review::default(),
        objectives: objectives(&objectives_field, None, diags),
        alerting: match alerting_spec {
            Some(f) => alerting(&f, diags),
            None => Some((common::default_alerting(DEFAULT_PERIOD), None)),
        },
    };
    let (method, members) = (method?, members?);
    let first = drafts.composites.len();
    push(
        meta,
        shared,
        (meta.name.clone(), meta.name_span),
        method,
        members,
        origin,
        budget,
        drafts,
        diags,
    );
    drafts.composites.get(first).map(|c| c.slo.name.clone())
}

#[allow(clippy::too_many_arguments)]
fn push(
    meta: &crate::load::Metadata,
    shared: Shared,
    product: (String, Span),
    method: CompositeMethod,
    members: Vec<(CompositeMember, Span, String)>,
    origin: Origin,
    budget: &Budget,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let (members, spans): (Vec<CompositeMember>, Vec<(Span, String)>) = members
        .into_iter()
        .map(|(member, span, path)| (member, (span, path)))
        .unzip();
    let indicator = Indicator::Composite(CompositeIndicator { method, members });
    // A composite's service is its product: it belongs to no one service.
    for (slo, span) in shared.expand(meta, &product.0, &indicator, origin, budget, diags) {
        drafts.composites.push(CompositeDraft {
            slo,
            product: product.clone(),
            members: spans.clone(),
            span,
        });
    }
}

fn method(field: &Field<'_>, diags: &mut Diagnostics) -> Option<CompositeMethod> {
    let text = field.string(diags)?;
    let found = CompositeMethod::ALL.iter().find(|(name, _)| *name == text);
    if found.is_none() {
        let names: Vec<&str> = CompositeMethod::ALL.iter().map(|(name, _)| *name).collect();
        diags.push(
            field
                .error(format!("unknown composite method `{text}`"))
                .help_did_you_mean(&text, names.iter().copied(), || {
                    format!("expected one of {}", backticked(&names))
                }),
        );
    }
    found.map(|(_, method)| *method)
}

/// The members as written: `{slo: name | product/name, weight}` items, or plain names. `None`
/// when the list is broken or empty.
fn members(
    field: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<Vec<(CompositeMember, Span, String)>> {
    let items = field.list(diags);
    if items.is_empty() {
        diags.push(
            field
                .error("a composite SLO needs at least one member")
                .help("add `- {slo: checkout-availability}`"),
        );
        return None;
    }
    let mut out: Vec<(CompositeMember, Span, String)> = Vec::new();
    let mut ok = true;
    for item in items {
        let (name, weight) = match item.node.kind {
            NodeKind::Scalar(_) => (Some(item.clone()), None),
            _ => {
                let Some(mut map) = item.map(diags) else {
                    ok = false;
                    continue;
                };
                let slo = map.required("slo", diags);
                let weight = map.get("weight").map(|f| weight(&f, diags));
                map.finish(diags);
                (slo, weight)
            }
        };
        let (Some(name_field), Some(weight)) = (name, weight.unwrap_or(Some(1.0))) else {
            ok = false;
            continue;
        };
        let Some(written) = name_field.non_empty(diags) else {
            ok = false;
            continue;
        };
        let (product, slo) = match written.split_once('/') {
            Some((product, slo)) => (product.to_string(), slo.to_string()),
            None => (String::new(), written.clone()),
        };
        if product.is_empty() && written.contains('/') || slo.is_empty() || slo.contains('/') {
            diags.push(
                name_field
                    .error(format!("`{written}` is not an SLO name"))
                    .help("write `slo` for an SLO of the composite's product, or `product/slo`"),
            );
            ok = false;
            continue;
        }
        if out
            .iter()
            .any(|(m, _, _)| m.product == product && m.slo == slo)
        {
            diags.push(
                name_field
                    .error(format!("member `{written}` is listed twice"))
                    .help("list each member once; give it a `weight` to count it more"),
            );
            ok = false;
            continue;
        }
        let member = CompositeMember {
            product,
            slo,
            weight,
            objective: 0.0,
        };
        out.push((member, name_field.span(), name_field.path.clone()));
    }
    ok.then_some(out)
}

fn weight(field: &Field<'_>, diags: &mut Diagnostics) -> Option<f64> {
    let value = field.number(diags)?;
    if value > 0.0 && value.is_finite() {
        return Some(value);
    }
    diags.push(
        field
            .error(format!(
                "weight `{}` must be greater than zero",
                trim_float(value)
            ))
            .help("a member counts in proportion to its weight; leave it out for 1"),
    );
    None
}
