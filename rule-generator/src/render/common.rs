//! What the renderers share: how an SLO's series are selected, how numbers print, which windows
//! are recorded, and which of them change only once an hour ([`hourly`]), which decides whether a
//! rule goes to the SLO's fast or slow group; alert names and the rule mapping.

use super::emit::Value;
use crate::conventions::{BASE_WINDOW, LABEL_PRODUCT, LABEL_SERVICE, LABEL_SLO, STANDARD_WINDOWS};
use crate::duration::Duration;
use crate::model::{Catalog, Date, ErrorBudgetPolicy, Slo};
use crate::promql::quote;

/// What an SLO's rules need from outside the SLO itself: the error-budget policy its product
/// follows, the date its next review is due, and whether it is its product's own SLO. All are
/// empty for SLOs rendered on their own.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    pub policy: Option<&'a ErrorBudgetPolicy>,
    pub review_due: Option<Date>,
    pub product_slo: bool,
}

impl<'a> Context<'a> {
    /// The context of an SLO of `catalog`: its product's policy, and its own review's due date or
    /// else its product's.
    pub fn of(catalog: &'a Catalog, slo: &Slo) -> Context<'a> {
        let product = catalog.product(&slo.product);
        Context {
            policy: product
                .and_then(|p| p.policy.as_ref())
                .and_then(|name| catalog.policies.get(name)),
            review_due: slo
                .review
                .due()
                .or_else(|| product.and_then(|p| p.review.due())),
            product_slo: product.is_some_and(|p| p.slo.as_ref() == Some(&slo.name)),
        }
    }
}

/// An SLO's rules split by how often they need evaluating: `fast` goes to the group that follows
/// the server's global interval, `slow` to the group evaluated every
/// [`crate::conventions::SLOW_GROUP_INTERVAL`]. Each list is in evaluation order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Split {
    pub fast: Vec<Value>,
    pub slow: Vec<Value>,
}

impl Split {
    /// The fast list when `slow` is false, else the slow one.
    pub fn list(&mut self, slow: bool) -> &mut Vec<Value> {
        if slow {
            &mut self.slow
        } else {
            &mut self.fast
        }
    }
}

/// Whether a window changes only once an hour ([`crate::conventions::reads_hourly`]): such a
/// window, and everything computed only from such windows, is recorded in the SLO's slow group.
pub use crate::conventions::reads_hourly as hourly;

/// [`hourly`] for a recorded window, where `None` is the SLO's period.
pub fn hourly_window(slo: &Slo, window: Option<Duration>) -> bool {
    hourly(window.unwrap_or(slo.period))
}

/// The matchers that select one SLO's series: `slokit_product="p",slokit_slo="x"`. SLO names are
/// unique within a product, so the service (also on every series) would add nothing to the match;
/// leaving it out keeps the rule files a fifth shorter at scale.
pub fn identity_matchers(slo: &Slo) -> String {
    format!(
        "{LABEL_PRODUCT}={},{LABEL_SLO}={}",
        quote(&slo.product),
        quote(&slo.name)
    )
}

/// A selector for one of the SLO's recorded series.
pub fn series(slo: &Slo, name: &str) -> String {
    format!("{name}{{{}}}", identity_matchers(slo))
}

/// The identity labels as a rule's `labels:` mapping.
pub fn identity_labels(slo: &Slo) -> Vec<(String, Value)> {
    vec![
        (LABEL_PRODUCT.to_string(), Value::str(&slo.product)),
        (LABEL_SERVICE.to_string(), Value::str(&slo.service)),
        (LABEL_SLO.to_string(), Value::str(&slo.name)),
    ]
}

/// `sum by (a, b) (` or `sum (` when the SLO is not grouped.
pub fn aggregate(op: &str, group_by: &[String]) -> String {
    if group_by.is_empty() {
        format!("{op} (")
    } else {
        format!("{op} by ({}) (", group_by.join(", "))
    }
}

/// `on (a, b)`: matching on the grouping labels only (`on ()` when ungrouped).
pub fn on_groups(group_by: &[String]) -> String {
    format!("on ({})", group_by.join(", "))
}

/// A number as PromQL and YAML read it back exactly enough: rounded to 15 decimals, trailing zeros
/// removed, so that `1 - 0.999` prints as `0.001` rather than `0.0010000000000000009`.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if value != 0.0 && (value.abs() < 1e-12 || value.abs() >= 1e15) {
        return format!("{value:e}");
    }
    let text = format!("{value:.15}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

/// The error budget printed for expressions: `1 - objective`, rounded like [`number`].
pub fn budget(slo: &Slo) -> String {
    number(slo.error_budget())
}

/// Every window read for an SLO, ascending and without duplicates: the base window, the standard
/// windows and every window an alert tier uses. The period is separate.
pub fn windows(slo: &Slo) -> Vec<Duration> {
    let mut all = vec![BASE_WINDOW];
    all.extend(STANDARD_WINDOWS);
    for tier in &slo.alerting.tiers {
        for window in &tier.windows {
            all.push(window.long);
            all.push(window.short);
        }
    }
    all.sort();
    all.dedup();
    all
}

/// The alert name: the spec's `alerting.name`, or the SLO name in CamelCase followed by
/// `BurnRate` (`api-availability` becomes `ApiAvailabilityBurnRate`). Either way the result is a
/// valid metric name, because Prometheus rejects other alert names.
pub fn alert_name(slo: &Slo) -> String {
    if let Some(name) = &slo.alerting.name {
        if crate::promql::is_label_name(name) {
            return name.clone();
        }
        return format!("{}BurnRate", camel_case(name));
    }
    format!("{}BurnRate", camel_case(&slo.name))
}

/// `api-service.availability` → `ApiServiceAvailability`; a leading digit gets an `Slo` prefix.
pub fn camel_case(text: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Slo");
    }
    out
}

/// A rule as an ordered YAML mapping: `record`/`alert`, `expr`, then the rest.
pub fn record(name: &str, expr: String, labels: Vec<(String, Value)>) -> Value {
    Value::map()
        .with("record", name)
        .with("expr", expr)
        .with("labels", Value::Map(labels))
}

#[cfg(test)]
mod unit {
    use super::*;

    fn check(input: f64, expected: &str) {
        assert_eq!(number(input), expected, "input {input:?}");
    }

    #[test]
    fn numbers_print_short_and_exact_enough() {
        check(1.0 - 0.999, "0.001");
        check(0.999, "0.999");
        check(14.4, "14.4");
        check(1.0, "1");
        check(0.0, "0");
        check(2_592_000.0, "2592000");
        check(1.0 / 3.0, "0.333333333333333");
        check(1e-13, "1e-13");
        check(-0.0, "0");
    }

    #[test]
    fn camel_case_names() {
        for (input, expected) in [
            ("api-availability", "ApiAvailability"),
            ("a_b.c", "ABC"),
            ("9lives", "Slo9lives"),
            ("---", "Slo"),
        ] {
            assert_eq!(camel_case(input), expected, "input {input:?}");
        }
    }
}
