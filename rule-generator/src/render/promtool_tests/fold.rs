//! Folding the tests of SLOs alike. A product often holds many SLOs that differ only by name (one
//! per endpoint, region or queue, over the same metrics): their scenarios write the same inputs
//! and make the same checks, each on its own series. Written once per SLO, their checks were most
//! of a product's test file at scale; folded, one check covers them all: its selector matches
//! every SLO of the class (`slokit_slo=~"a|b|c"`), its aggregation keeps `slokit_slo` apart, and
//! it expects one sample per SLO. What is proved is unchanged: every SLO's own series and alerts
//! are checked at the same times against the same values.

use super::{Scenario, SloTests};
use crate::conventions::{LABEL_ALERT_NAME, LABEL_SLO};
use crate::model::Slo;
use crate::promql::{quote, regex_escape};
use crate::render::alerts::{budget_exhausted_name, no_data_name};
use crate::render::common::alert_name;
use crate::render::emit::{to_yaml, Value};

/// The strings that name one SLO in its checks: its `slokit_slo` matcher and its alerts' names,
/// as `(what it is spelled in a check, the label and value)`.
fn names(slo: &Slo) -> Vec<(&'static str, String)> {
    vec![
        (LABEL_SLO, slo.name.clone()),
        (LABEL_ALERT_NAME, alert_name(slo)),
        (LABEL_ALERT_NAME, no_data_name(slo)),
        (LABEL_ALERT_NAME, budget_exhausted_name(slo)),
    ]
}

/// `text` with `other`'s names replaced by `slo`'s.
fn renamed(text: &str, other: &Slo, slo: &Slo) -> String {
    let mut out = text.to_string();
    for ((label, from), (_, to)) in names(other).into_iter().zip(names(slo)) {
        out = out.replace(
            &format!("{label}={}", quote(&from)),
            &format!("{label}={}", quote(&to)),
        );
    }
    out
}

/// Whether `other`'s tests are `first`'s but for the SLO's names: the same scenarios, inputs and
/// checks.
pub(super) fn alike(
    first: &Slo,
    first_tests: &SloTests,
    other: &Slo,
    other_tests: &SloTests,
) -> bool {
    fn scenarios(t: &SloTests) -> Vec<&Scenario> {
        t.fast.iter().chain(&t.slow).collect()
    }
    let (a, b) = (scenarios(first_tests), scenarios(other_tests));
    a.len() == b.len()
        && a.iter().zip(&b).all(|(a, b)| {
            a.key == b.key
                && a.series == b.series
                && a.checks.len() == b.checks.len()
                && a.checks
                    .iter()
                    .zip(&b.checks)
                    .all(|(x, y)| to_yaml(x) == renamed(&to_yaml(y), other, first))
        })
}

/// `first`'s tests with every check folded over `first` and `others` (all [`alike`]).
pub(super) fn fold(first: &Slo, tests: SloTests, others: &[&Slo]) -> SloTests {
    if others.is_empty() {
        return tests;
    }
    let all: Vec<&Slo> = std::iter::once(first)
        .chain(others.iter().copied())
        .collect();
    let scenario = |s: Scenario| Scenario {
        name: format!("{} (and {} SLOs alike)", s.name, others.len()),
        checks: s.checks.iter().map(|c| fold_check(c, &all)).collect(),
        ..s
    };
    SloTests {
        fast: tests.fast.into_iter().map(scenario).collect(),
        slow: tests.slow.into_iter().map(scenario).collect(),
    }
}

/// One check of `slos[0]` made a check of every SLO of `slos`.
fn fold_check(check: &Value, slos: &[&Slo]) -> Value {
    let Value::Map(entries) = check else {
        return check.clone();
    };
    let first = slos[0];
    let entries = entries
        .iter()
        .map(|(key, value)| {
            let value = match (key.as_str(), value) {
                ("expr", Value::Str(expr)) => Value::Str(fold_expr(expr, slos)),
                ("exp_samples", Value::Seq(samples)) => Value::Seq(
                    slos.iter()
                        .flat_map(|slo| samples.iter().map(move |s| sample_of(s, first, slo)))
                        .collect(),
                ),
                _ => value.clone(),
            };
            (key.clone(), value)
        })
        .collect();
    Value::Map(entries)
}

/// The expression over every SLO of `slos`: each name matcher of the first SLO becomes a regex
/// over the same name of every SLO, and an aggregation keeps `slokit_slo` apart.
fn fold_expr(expr: &str, slos: &[&Slo]) -> String {
    let mut out = expr.to_string();
    let per_slo: Vec<Vec<(&'static str, String)>> = slos.iter().map(|s| names(s)).collect();
    for (index, (label, value)) in per_slo[0].iter().enumerate() {
        let alternatives: Vec<String> = per_slo.iter().map(|n| regex_escape(&n[index].1)).collect();
        out = out.replace(
            &format!("{label}={}", quote(value)),
            &format!("{label}=~{}", quote(&alternatives.join("|"))),
        );
    }
    for aggregation in ["count", "max"] {
        if let Some(rest) = out.strip_prefix(&format!("{aggregation} by (")) {
            let sep = if rest.starts_with(')') { "" } else { ", " };
            return format!("{aggregation} by ({LABEL_SLO}{sep}{rest}");
        }
        if let Some(rest) = out.strip_prefix(&format!("{aggregation}(")) {
            return format!("{aggregation} by ({LABEL_SLO}) ({rest}");
        }
    }
    out
}

/// An expected sample of `first` as the same sample of `slo`: its `slokit_slo` set to `slo`'s
/// name (added to label sets that aggregated it away, renamed in full label sets).
fn sample_of(sample: &Value, first: &Slo, slo: &Slo) -> Value {
    let Value::Map(entries) = sample else {
        return sample.clone();
    };
    let entries = entries
        .iter()
        .map(|(key, value)| match (key.as_str(), value) {
            ("labels", Value::Str(labels)) => {
                (key.clone(), Value::Str(labels_of(labels, first, slo)))
            }
            _ => (key.clone(), value.clone()),
        })
        .collect();
    Value::Map(entries)
}

fn labels_of(labels: &str, first: &Slo, slo: &Slo) -> String {
    let own = format!("{LABEL_SLO}={}", quote(&slo.name));
    let theirs = format!("{LABEL_SLO}={}", quote(&first.name));
    if labels.contains(&theirs) {
        return labels.replace(&theirs, &own);
    }
    match labels.strip_suffix('}') {
        Some(open) if open.ends_with('{') => format!("{open}{own}}}"),
        Some(open) => format!("{open},{own}}}"),
        None => labels.to_string(),
    }
}
