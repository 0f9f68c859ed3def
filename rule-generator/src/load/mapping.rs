//! The mapping `slo compare --against FILE` reads: for hand-written SLOs, which legacy PromQL
//! expression gives each quantity of which slokit SLO. Loading is the only stage that reads files,
//! so the mapping is decoded here, with the same located errors as a spec:
//!
//! ```yaml
//! slos:
//!   checkout/availability:          # `product/slo`, or the SLO's name when it is unique
//!     objective: 0.999              # optional: the legacy objective, to explain budget differences
//!     errorRatio:                   # window (or `period`) to an expression giving the error ratio
//!       5m: sum(rate(errors[5m])) / sum(rate(requests[5m]))
//!       period: 1 - job:availability:30d
//!     budgetRemaining: job:budget_remaining:30d
//!     alerts: [CheckoutErrorBudgetBurn]
//! ```
//!
//! Each expression must give one series (aggregate away grouping labels); the comparison says so
//! when one gives several.

use crate::diag::{Diagnostic, Diagnostics};
use crate::duration::Duration;
use crate::load::decode::{join, Field, Map};
use crate::load::source::SourceMap;
use crate::load::yaml::NodeKind;
use crate::model::Catalog;
use std::collections::BTreeMap;

/// The legacy expressions of one SLO.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LegacyQueries {
    /// Error ratio per window; `None` is the period.
    pub error_ratio: BTreeMap<Option<Duration>, String>,
    pub budget_remaining: Option<String>,
    pub objective: Option<f64>,
    pub alerts: Vec<String>,
}

/// The mapping: `(product, slo)` to its legacy expressions.
pub type Mapping = BTreeMap<(String, String), LegacyQueries>;

/// Reads and checks a mapping file against the catalog. On failure, the rendered diagnostics.
pub fn load(path: &std::path::Path, catalog: &Catalog) -> Result<Mapping, String> {
    let display = path.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("error: cannot read `{display}`: {e}"))?;
    let mut sources = SourceMap::default();
    let file = sources.add(display, text.clone());
    let mut diags = Diagnostics::default();
    let mapping = decode(file, &text, catalog, &mut diags);
    if diags.error_count() > 0 {
        return Err(diags.render(&sources));
    }
    Ok(mapping)
}

fn decode(
    file: crate::load::source::FileId,
    text: &str,
    catalog: &Catalog,
    diags: &mut Diagnostics,
) -> Mapping {
    let mut mapping = Mapping::new();
    let documents = crate::load::yaml::parse(file, text, diags);
    let Some(document) = documents.first() else {
        if diags.error_count() == 0 {
            diags.push(
                Diagnostic::error("the mapping file is empty")
                    .at(crate::load::source::Span::whole_file(file))
                    .help("write `slos:` with one entry per slokit SLO"),
            );
        }
        return mapping;
    };
    let Some(mut root) = Map::new(Field::new(&document.root, ""), diags) else {
        return mapping;
    };
    let slos = root.required("slos", diags);
    root.finish(diags);
    let Some(slos) = slos else {
        return mapping;
    };
    let NodeKind::Map(entries) = &slos.node.kind else {
        diags.push(slos.error("expected a mapping of SLO names to their legacy queries"));
        return mapping;
    };
    for (key, node) in entries {
        let path = join(&slos.path, &key.name);
        let Some(slo_key) = resolve(&key.name, catalog) else {
            let names: Vec<String> = catalog
                .slos()
                .flat_map(|s| [s.name.clone(), format!("{}/{}", s.product, s.name)])
                .collect();
            diags.push(
                Diagnostic::error(format!("unknown SLO `{}`", key.name))
                    .at(key.span)
                    .field(&path)
                    .help_did_you_mean(&key.name, names.iter().map(String::as_str), || {
                        "write `product/slo` as `slo compare` lists them".to_string()
                    }),
            );
            continue;
        };
        if let Some(queries) = queries(Field::new(node, path), diags) {
            mapping.insert(slo_key, queries);
        }
    }
    mapping
}

/// `product/slo`, or an SLO name that only one product uses.
fn resolve(name: &str, catalog: &Catalog) -> Option<(String, String)> {
    let matches: Vec<_> = catalog
        .slos()
        .filter(|s| match name.split_once('/') {
            Some((product, slo)) => s.product == product && s.name == slo,
            None => s.name == name,
        })
        .collect();
    match matches.as_slice() {
        [one] => Some((one.product.clone(), one.name.clone())),
        _ => None,
    }
}

fn queries(field: Field<'_>, diags: &mut Diagnostics) -> Option<LegacyQueries> {
    let mut map = Map::new(field, diags)?;
    let mut out = LegacyQueries::default();
    if let Some(f) = map.get("objective") {
        out.objective = f.number(diags).filter(|o| {
            let ok = *o > 0.0 && *o < 1.0;
            if !ok {
                diags.push(
                    f.error("the objective must be a ratio between 0 and 1")
                        .help("write `0.999` for 99.9%"),
                );
            }
            ok
        });
    }
    if let Some(f) = map.get("errorRatio") {
        if let NodeKind::Map(entries) = &f.node.kind {
            for (key, node) in entries {
                let path = join(&f.path, &key.name);
                let window = if key.name == "period" {
                    None
                } else {
                    match Duration::parse(&key.name) {
                        Ok(d) => Some(d),
                        Err(e) => {
                            diags.push(
                                Diagnostic::error(format!("invalid window `{}`: {e}", key.name))
                                    .at(key.span)
                                    .field(&path)
                                    .help("use a Prometheus duration such as `5m` or `1d`, or `period`"),
                            );
                            continue;
                        }
                    }
                };
                if let Some(expr) = expression(&Field::new(node, path), diags) {
                    out.error_ratio.insert(window, expr);
                }
            }
        } else {
            diags.push(f.error("expected a mapping of windows to PromQL expressions"));
        }
    }
    if let Some(f) = map.get("budgetRemaining") {
        out.budget_remaining = expression(&f, diags);
    }
    if let Some(f) = map.get("alerts") {
        out.alerts = f.strings(diags);
    }
    map.finish(diags);
    Some(out)
}

/// A PromQL expression, checked by parsing it.
fn expression(field: &Field<'_>, diags: &mut Diagnostics) -> Option<String> {
    let text = field.non_empty(diags)?;
    match crate::promql::parse(&text) {
        Ok(_) => Some(text),
        Err(e) => {
            diags.push(field.error(format!("invalid PromQL: {e}")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let text = "apiVersion: slo.dev/v1\nkind: ServiceLevelObjective\nmetadata: {name: availability}\nspec:\n  service: shop\n  indicator:\n    type: ratio\n    ratio:\n      bad: {metric: http_requests_total, filters: ['code=~\"5..\"']}\n      total: {metric: http_requests_total}\n  objectives: [{window: 7d, target: 0.99}]\n";
        let loaded = crate::load::load_texts(
            &[("slo.yaml".into(), text.into())],
            crate::load::Options {
                today: crate::model::Date::parse("2026-01-01").unwrap(),
            },
        );
        assert_eq!(loaded.diagnostics.error_count(), 0);
        loaded.catalog
    }

    fn check(text: &str) -> Result<Mapping, String> {
        let mut sources = SourceMap::default();
        let file = sources.add("map.yaml", text);
        let mut diags = Diagnostics::default();
        let mapping = decode(file, text, &catalog(), &mut diags);
        if diags.error_count() > 0 {
            Err(diags.render(&sources))
        } else {
            Ok(mapping)
        }
    }

    #[test]
    fn a_mapping_gives_queries_per_window() {
        let mapping = check("slos:\n  availability:\n    objective: 0.99\n    errorRatio:\n      5m: legacy:ratio5m\n      period: legacy:ratio7d\n    budgetRemaining: legacy:budget\n    alerts: [ShopBurn]\n").unwrap();
        let queries = &mapping[&("shop".to_string(), "availability".to_string())];
        assert_eq!(
            queries.error_ratio[&Some(Duration::from_mins(5))],
            "legacy:ratio5m"
        );
        assert_eq!(queries.error_ratio[&None], "legacy:ratio7d");
        assert_eq!(queries.budget_remaining.as_deref(), Some("legacy:budget"));
        assert_eq!(queries.objective, Some(0.99));
        assert_eq!(queries.alerts, vec!["ShopBurn"]);
    }

    #[test]
    fn bad_entries_are_located() {
        let err = check("slos:\n  availabilty:\n    errorRatio: {5m: x}\n").unwrap_err();
        assert!(err.contains("unknown SLO `availabilty`"), "{err}");
        assert!(err.contains("map.yaml:2:3"), "{err}");
        assert!(err.contains("did you mean `availability`?"), "{err}");
        let err = check(
            "slos:\n  shop/availability:\n    errorRatio: {5x: x, 1h: 'sum(('}\n    budget: y\n",
        )
        .unwrap_err();
        assert!(err.contains("invalid window `5x`"), "{err}");
        assert!(err.contains("invalid PromQL"), "{err}");
        assert!(
            err.contains("unknown key `budget`") || err.contains("`budget`"),
            "{err}"
        );
    }
}
