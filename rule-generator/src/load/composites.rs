//! Linking composite SLOs to their members, once every SLO has found its product: a member written
//! `slo` is in the composite's own product, one written `product/slo` anywhere. Unknown members,
//! members of another product written without it, and cycles (composites of composites are
//! allowed) are located errors; a resolved member carries its own objective, which `all-good`
//! composites need.

use super::source::Span;
use super::CompositeDraft;
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{CompositeMember, Indicator, Product, Slo};
use std::collections::{BTreeMap, BTreeSet};

type Key = (String, String);

/// Resolves every composite's members and adds the composites to their products. `seen` holds
/// where each SLO of the catalog is defined, for the duplicate check.
pub fn link(
    drafts: Vec<CompositeDraft>,
    products: &mut BTreeMap<String, Product>,
    seen: &mut BTreeMap<Key, Span>,
    diags: &mut Diagnostics,
) {
    let mut accepted: Vec<CompositeDraft> = Vec::new();
    for mut draft in drafts {
        let (product, span) = &draft.product;
        if !products.contains_key(product) {
            let known: Vec<&str> = products.keys().map(String::as_str).collect();
            diags.push(
                Diagnostic::error(format!("unknown product `{product}`"))
                    .at(*span)
                    .field("spec.product")
                    .help_did_you_mean(product, known.iter().copied(), || {
                        "name a product of the catalog: one of a `kind: Product`, or the service of an SLO".into()
                    }),
            );
            continue;
        }
        let key = (product.clone(), draft.slo.name.clone());
        if let Some(first) = seen.get(&key) {
            diags.push(
                Diagnostic::error(format!(
                    "SLO `{}` is defined twice in product `{product}`",
                    draft.slo.name
                ))
                .at(draft.span)
                .note_at("first defined", *first)
                .help("SLO names must be unique within a product; rename one"),
            );
            continue;
        }
        seen.insert(key, draft.span);
        draft.slo.product = product.clone();
        accepted.push(draft);
    }

    // Every SLO's objective, composites included, for members to copy.
    let mut objectives: BTreeMap<Key, f64> = BTreeMap::new();
    for product in products.values() {
        for slo in &product.slos {
            objectives.insert((product.name.clone(), slo.name.clone()), slo.objective);
        }
    }
    for draft in &accepted {
        objectives.insert(key_of(&draft.slo), draft.slo.objective);
    }

    let mut resolved: Vec<(Slo, Span)> = Vec::new();
    for draft in accepted {
        let CompositeDraft {
            mut slo,
            members: spans,
            span,
            ..
        } = draft;
        let ok = match &mut slo.indicator {
            Indicator::Composite(composite) if spans.is_empty() => {
                composite.members = every_slo_of(&products[&slo.product]);
                if composite.members.is_empty() {
                    diags.push(
                        Diagnostic::error(format!(
                            "product `{}` declares objectives but has no SLOs to make them of",
                            slo.product
                        ))
                        .at(span)
                        .help("define the product's SLOs, or list `members`"),
                    );
                }
                !composite.members.is_empty()
            }
            Indicator::Composite(composite) => {
                let mut ok = true;
                for (member, (at, path)) in composite.members.iter_mut().zip(&spans) {
                    if member.product.is_empty() {
                        member.product = slo.product.clone();
                    }
                    match objectives.get(&(member.product.clone(), member.slo.clone())) {
                        Some(objective) => member.objective = *objective,
                        None => {
                            diags.push(unknown_member(member, *at, path, products, &objectives));
                            ok = false;
                        }
                    }
                }
                ok
            }
            _ => false,
        };
        if ok {
            resolved.push((slo, span));
        }
    }

    let cyclic = cycles(&resolved, diags);
    for (slo, _) in resolved {
        if cyclic.contains(&key_of(&slo)) {
            continue;
        }
        if let Some(product) = products.get_mut(&slo.product) {
            product.slos.push(slo);
        }
    }
}

fn key_of(slo: &Slo) -> Key {
    (slo.product.clone(), slo.name.clone())
}

/// A product's own SLO without `members`: every SLO of the product that is not itself a
/// composite (a journey already counts its members), with equal weights.
fn every_slo_of(product: &Product) -> Vec<CompositeMember> {
    product
        .slos
        .iter()
        .filter(|slo| !matches!(slo.indicator, Indicator::Composite(_)))
        .map(|slo| CompositeMember {
            product: product.name.clone(),
            slo: slo.name.clone(),
            weight: 1.0,
            objective: slo.objective,
        })
        .collect()
}

fn unknown_member(
    member: &CompositeMember,
    at: Span,
    path: &str,
    products: &BTreeMap<String, Product>,
    objectives: &BTreeMap<Key, f64>,
) -> Diagnostic {
    let elsewhere: Vec<&str> = objectives
        .keys()
        .filter(|(product, name)| *name == member.slo && *product != member.product)
        .map(|(product, _)| product.as_str())
        .collect();
    let error = Diagnostic::error(format!(
        "unknown SLO `{}` in product `{}`",
        member.slo, member.product
    ))
    .at(at)
    .field(path);
    if let Some(other) = elsewhere.first() {
        return error
            .note(format!("an SLO `{}` is in product `{other}`", member.slo))
            .help(format!(
                "a member of another product is written `product/slo`: `{other}/{}`",
                member.slo
            ));
    }
    if !products.contains_key(&member.product) {
        let known: Vec<&str> = products.keys().map(String::as_str).collect();
        return Diagnostic::error(format!("unknown product `{}`", member.product))
            .at(at)
            .field(path)
            .help_did_you_mean(&member.product, known.iter().copied(), || {
                "write `product/slo` with a product of the catalog".into()
            });
    }
    let names: Vec<&str> = objectives
        .keys()
        .filter(|(product, _)| *product == member.product)
        .map(|(_, name)| name.as_str())
        .collect();
    error.help_did_you_mean(&member.slo, names.iter().copied(), || {
        "name an SLO of the catalog (its generated name, `<name>-<displayName>`, when it has several objectives)".into()
    })
}

/// Reports every cycle of composites once, at the composite of the cycle defined first, and
/// returns the composites on a cycle (they are left out of the catalog).
fn cycles(composites: &[(Slo, Span)], diags: &mut Diagnostics) -> BTreeSet<Key> {
    let index: BTreeMap<Key, usize> = composites
        .iter()
        .enumerate()
        .map(|(i, (slo, _))| (key_of(slo), i))
        .collect();
    let edges: Vec<Vec<usize>> = composites
        .iter()
        .map(|(slo, _)| match &slo.indicator {
            Indicator::Composite(c) => c
                .members
                .iter()
                .filter_map(|m| index.get(&(m.product.clone(), m.slo.clone())).copied())
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    // Depth-first search: 0 unvisited, 1 on the current path, 2 done.
    let mut state = vec![0u8; composites.len()];
    let mut found: Vec<Vec<usize>> = Vec::new();
    for start in 0..composites.len() {
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        if state[start] != 0 {
            continue;
        }
        state[start] = 1;
        while let Some((node, next)) = path.last_mut() {
            let node = *node;
            match edges[node].get(*next) {
                Some(&to) => {
                    *next += 1;
                    match state[to] {
                        0 => {
                            state[to] = 1;
                            path.push((to, 0));
                        }
                        1 => {
                            let from = path.iter().position(|(n, _)| *n == to).unwrap_or(0);
                            found.push(path[from..].iter().map(|(n, _)| *n).collect());
                        }
                        _ => {}
                    }
                }
                None => {
                    state[node] = 2;
                    path.pop();
                }
            }
        }
    }
    let mut cyclic = BTreeSet::new();
    for cycle in found {
        let first = *cycle.iter().min().unwrap_or(&0);
        let at = cycle.iter().position(|n| *n == first).unwrap_or(0);
        let ordered: Vec<usize> = cycle[at..].iter().chain(&cycle[..at]).copied().collect();
        let names: Vec<String> = ordered
            .iter()
            .chain(std::iter::once(&first))
            .map(|n| format!("`{}`", composites[*n].0.name))
            .collect();
        let (slo, span) = &composites[first];
        let message = match ordered.len() {
            1 => format!("composite SLO `{}` lists itself as a member", slo.name),
            _ => format!("composite SLOs form a cycle: {}", names.join(" → ")),
        };
        diags.push(
            Diagnostic::error(message)
                .at(*span)
                .help("a composite may contain composites, but none may contain itself, directly or through others"),
        );
        cyclic.extend(ordered.iter().map(|n| key_of(&composites[*n].0)));
    }
    cyclic
}
