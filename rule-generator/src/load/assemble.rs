//! Linking drafts into the catalog: SLOs join their product (named explicitly, found through a
//! product's `services`, or a product made from the service's name), composites are linked to
//! their members (see [`super::composites`]), names are checked for
//! uniqueness (of SLOs and of the rule groups they write), policy references are resolved, and
//! review dates are checked against today.

use super::{Drafts, Options};
use crate::conventions::{rule_group_name, SLOW_GROUP_SUFFIX};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Catalog, Indicator, Maturity, Product, Review};
use std::collections::BTreeMap;

pub fn assemble(drafts: Drafts, options: Options, diags: &mut Diagnostics) -> Catalog {
    let mut catalog = Catalog::default();
    for (policy, span) in drafts.policies {
        if catalog.policies.contains_key(&policy.name) {
            diags.push(
                Diagnostic::error(format!(
                    "error-budget policy `{}` is defined twice",
                    policy.name
                ))
                .at(span)
                .field("metadata.name"),
            );
            continue;
        }
        catalog.policies.insert(policy.name.clone(), policy);
    }

    let mut products: BTreeMap<String, Product> = BTreeMap::new();
    for draft in drafts.products {
        let name = draft.product.name.clone();
        if products.contains_key(&name) {
            diags.push(
                Diagnostic::error(format!("product `{name}` is defined twice"))
                    .at(draft.span)
                    .field("metadata.name"),
            );
            continue;
        }
        if let (Some(policy), Some(span)) = (&draft.product.policy, draft.policy_span) {
            if !catalog.policies.contains_key(policy) {
                let known: Vec<&str> = catalog.policies.keys().map(String::as_str).collect();
                let mut d = Diagnostic::error(format!("unknown error-budget policy `{policy}`"))
                    .at(span)
                    .field("spec.policy");
                d = d.help_did_you_mean(policy, known.iter().copied(), || {
                    "define it in a document of `kind: ErrorBudgetPolicy`".into()
                });
                diags.push(d);
            }
        }
        check_review(
            &draft.product.review,
            &format!("product `{name}`"),
            draft.span,
            options,
            diags,
        );
        products.insert(name, draft.product);
    }

    // Which declared product owns each service, so SLOs can find their product by service.
    let mut owner_of_service: BTreeMap<String, String> = BTreeMap::new();
    for product in products.values() {
        for service in &product.services {
            if let Some(other) = owner_of_service.insert(service.clone(), product.name.clone()) {
                diags.push(
                    Diagnostic::error(format!(
                        "service `{service}` belongs to both `{other}` and `{}`",
                        product.name
                    ))
                    .help("a service belongs to exactly one product"),
                );
            }
        }
    }

    let mut seen: BTreeMap<(String, String), crate::load::source::Span> = BTreeMap::new();
    for draft in drafts.slos {
        let mut slo = draft.slo;
        let explicit = draft.product.as_ref().map(|(name, _)| name.clone());
        let product_name = explicit
            .clone()
            .or_else(|| owner_of_service.get(&slo.service).cloned())
            .unwrap_or_else(|| slo.service.clone());
        if let (Some((_, product_span)), false) =
            (&draft.product, products.contains_key(&product_name))
        {
            let known: Vec<&str> = products.keys().map(String::as_str).collect();
            let mut d = Diagnostic::error(format!("unknown product `{product_name}`"))
                .at(*product_span)
                .field("spec.product");
            d = d.help_did_you_mean(&product_name, known.iter().copied(), || "define it in a document of `kind: Product`, or leave `product` out to group SLOs by service".into());
            diags.push(d);
            continue;
        }
        let key = (product_name.clone(), slo.name.clone());
        if let Some(first) = seen.get(&key) {
            diags.push(
                Diagnostic::error(format!(
                    "SLO `{}` is defined twice in product `{product_name}`",
                    slo.name
                ))
                .at(draft.span)
                .note_at("first defined", *first)
                .help("SLO names must be unique within a product; rename one"),
            );
            continue;
        }
        seen.insert(key, draft.span);
        check_review(
            &slo.review,
            &format!("SLO `{}`", slo.name),
            draft.span,
            options,
            diags,
        );
        slo.product = product_name.clone();
        let product = products
            .entry(product_name.clone())
            .or_insert_with(|| implicit_product(&product_name));
        // A product made from a service follows the policy its SLOs' format applies, when the
        // run defines one; a declared product says for itself.
        if let Some(policy) = draft.policy.filter(|p| catalog.policies.contains_key(p)) {
            if product.origin.is_none() && product.policy.is_none() {
                product.policy = Some(policy);
            }
        }
        if !product.services.contains(&slo.service) {
            if product.origin.is_some() && explicit.is_some() && !product.services.is_empty() {
                diags.push(
                    Diagnostic::warning(format!(
                        "service `{}` is not listed in product `{product_name}`",
                        slo.service
                    ))
                    .at(draft.span)
                    .help(format!("add `{}` to the product's `services`", slo.service)),
                );
            }
            product.services.push(slo.service.clone());
            product.services.sort();
        }
        product.slos.push(slo);
    }

    super::composites::link(drafts.composites, &mut products, &mut seen, diags);

    // Each product writes two rule groups, `slokit:<product>` and the same with `:slow`; a product
    // named after another's slow group would share its group name, which Prometheus rejects.
    let mut first_slo: BTreeMap<&str, crate::load::source::Span> = BTreeMap::new();
    for ((product, _), span) in &seen {
        first_slo.entry(product.as_str()).or_insert(*span);
    }
    for (product, span) in &first_slo {
        let Some(base) = product.strip_suffix(&format!(":{SLOW_GROUP_SUFFIX}")) else {
            continue;
        };
        if let Some(other) = first_slo.get(base) {
            diags.push(
                Diagnostic::error(format!(
                    "product `{product}` would share the rule group `{}` with product `{base}`",
                    rule_group_name(product)
                ))
                .at(*span)
                .note_at("an SLO of the other product", *other)
                .help(format!(
                    "rename the product: every product's slow rule group ends in `:{SLOW_GROUP_SUFFIX}`"
                )),
            );
        }
    }

    for product in products.values_mut() {
        // The product's own SLO opens its rules and dashboards, its journeys (composites) next.
        let own = product.slo.clone();
        product.slos.sort_by_cached_key(|slo| {
            let rank = match (&slo.indicator, Some(&slo.name) == own.as_ref()) {
                (_, true) => 0,
                (Indicator::Composite(_), false) => 1,
                _ => 2,
            };
            (rank, slo.service.clone(), slo.name.clone())
        });
        if product.maturity == Maturity::SloDriven && product.policy.is_none() {
            diags.push(
                Diagnostic::warning(format!(
                    "product `{}` is `slo-driven` but follows no error-budget policy",
                    product.name
                ))
                .help("set `policy:` so that budgets drive decisions"),
            );
        }
    }
    catalog.products = products.into_values().collect();
    catalog
}

fn implicit_product(name: &str) -> Product {
    Product {
        name: name.to_string(),
        display_name: None,
        description: None,
        team: None,
        owners: Vec::new(),
        maturity: Maturity::SloWithoutTeeth,
        review: Review::default(),
        approvers: Vec::new(),
        policy: None,
        services: Vec::new(),
        slo: None,
        slos: Vec::new(),
        origin: None,
    }
}

fn check_review(
    review: &Review,
    what: &str,
    span: crate::load::source::Span,
    options: Options,
    diags: &mut Diagnostics,
) {
    if let Some(due) = review.due() {
        if due < options.today {
            let overdue = options.today.days_since_epoch() - due.days_since_epoch();
            diags.push(
                Diagnostic::warning(format!(
                    "review of {what} is overdue by {overdue} days (due {due})"
                ))
                .at(span)
                .help("review the SLO with its owners and update `review.lastReviewed`"),
            );
        }
    }
}
