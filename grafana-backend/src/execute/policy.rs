//! Error-budget policies as the status table reads them: each SLO's policy rebuilt from its step
//! series (`slokit:policy_step:threshold`), the figures it is evaluated against, the policy column
//! ([`policy_action`], by the same rules as `slo gate`), the review column ([`review_status`]), and
//! the burn rates over policy windows the table does not show, all in one extra query
//! ([`extra_burn_rates_query`]).

use std::collections::{BTreeMap, BTreeSet};

use slokit_conventions::duration::Duration;
use slokit_conventions::{
    window_burn_rate, LABEL_POLICY, LABEL_POLICY_ACTION, LABEL_POLICY_BLOCKS,
    LABEL_POLICY_CONDITION, LABEL_POLICY_ORDER, LABEL_POLICY_STEP, LABEL_POLICY_WINDOW,
    LABEL_PRODUCT, SERIES_BUDGET_REMAINING,
};
use slokit_model::policy::{Figures, Outcome};
use slokit_model::{Date, ErrorBudgetPolicy, Origin, PolicyCondition, PolicyStep, SpecFormat};
use slokit_wire::Sample;

use super::status::{SeriesKey, StatusSamples, STATUS_BURN_WINDOWS};
use super::{group_labels, Identity};
use crate::query::{matcher, Selection};

/// Burn rates over the policy windows the table does not show, by SLO, group and window.
pub(super) type ExtraBurnRates = BTreeMap<(SeriesKey, Duration), f64>;

/// An SLO's error-budget policy, as its step series say.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum PolicyState {
    /// The info series names no policy and there are no step series.
    None,
    /// A policy is named but its steps are missing (not evaluated yet), or a step's labels are
    /// not what this plugin understands (rules from a newer slokit).
    Unreadable,
    Policy(ErrorBudgetPolicy),
}

/// The policy side of the status table's samples.
impl StatusSamples<'_> {
    /// The SLO's policy, as its step series (and its info series' policy label) say.
    pub(super) fn policy(&self, identity: &Identity) -> PolicyState {
        let named = self
            .info
            .get(identity)
            .and_then(|labels| labels.get(LABEL_POLICY))
            .is_some_and(|name| !name.is_empty());
        match self.steps.get(identity) {
            Some(steps) => match policy_from_steps(steps) {
                Some(policy) => PolicyState::Policy(policy),
                None => PolicyState::Unreadable,
            },
            None if named => PolicyState::Unreadable,
            None => PolicyState::None,
        }
    }

    /// The burn-rate windows that policies need and the table does not already have, with the
    /// products whose SLOs need them. A window equal to an SLO's period is read from its budget.
    pub(super) fn extra_windows(&self) -> BTreeMap<Duration, BTreeSet<String>> {
        let mut out: BTreeMap<Duration, BTreeSet<String>> = BTreeMap::new();
        for identity in self.steps.keys() {
            let PolicyState::Policy(policy) = self.policy(identity) else {
                continue;
            };
            for window in slokit_model::policy::windows(&policy) {
                if !STATUS_BURN_WINDOWS.contains(&window) && Some(window) != self.period(identity) {
                    out.entry(window)
                        .or_default()
                        .insert(identity.product.clone());
                }
            }
        }
        out
    }

    /// The figures a policy is evaluated against for one row: the row's own budget remaining and
    /// burn rates (per group, like every other column of the row).
    pub(super) fn figures(
        &self,
        key: &SeriesKey,
        policy: &ErrorBudgetPolicy,
        extra: &ExtraBurnRates,
    ) -> Figures {
        let values = self.windowed.get(key);
        let get = |name: &str| values.and_then(|v| v.get(name)).copied();
        let budget_remaining = get(SERIES_BUDGET_REMAINING);
        let burn_rates = slokit_model::policy::windows(policy)
            .into_iter()
            .map(|window| {
                let value = match STATUS_BURN_WINDOWS.iter().position(|w| *w == window) {
                    Some(index) => get(&self.burn_names[index]),
                    // The period's burn rate is one minus its budget remaining.
                    None if Some(window) == self.period(&key.0) => {
                        budget_remaining.map(|r| 1.0 - r)
                    }
                    None => extra.get(&(key.clone(), window)).copied(),
                };
                (window, value)
            })
            .collect();
        Figures {
            budget_remaining,
            burn_rates,
        }
    }
}

/// An SLO's policy from its step series (`slokit:policy_step:threshold`), in the policy's order;
/// `None` when a step's labels cannot be read.
fn policy_from_steps(steps: &[&Sample]) -> Option<ErrorBudgetPolicy> {
    let mut ordered: Vec<(usize, PolicyStep)> = Vec::new();
    let mut name = String::new();
    for sample in steps {
        let label = |label: &str| sample.labels.get(label).map(String::as_str);
        let when = match label(LABEL_POLICY_CONDITION)? {
            "budget_remaining_below" => PolicyCondition::BudgetRemainingBelow(sample.value),
            "budget_exhausted" => PolicyCondition::BudgetExhausted,
            "burn_rate_above" => PolicyCondition::BurnRateAbove {
                factor: sample.value,
                window: Duration::parse(label(LABEL_POLICY_WINDOW)?).ok()?,
            },
            _ => return None,
        };
        let blocks_releases = match label(LABEL_POLICY_BLOCKS)? {
            "true" => true,
            "false" => false,
            _ => return None,
        };
        name = label(LABEL_POLICY).unwrap_or_default().to_string();
        ordered.push((
            label(LABEL_POLICY_ORDER)?.parse().ok()?,
            PolicyStep {
                name: label(LABEL_POLICY_STEP)?.to_string(),
                when,
                action: label(LABEL_POLICY_ACTION)?.to_string(),
                blocks_releases,
            },
        ));
    }
    ordered.sort_by_key(|(order, _)| *order);
    if ordered.is_empty() || ordered.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    Some(ErrorBudgetPolicy {
        name,
        description: None,
        steps: ordered.into_iter().map(|(_, step)| step).collect(),
        // The policy comes from series, not a file; nothing reads its origin here.
        origin: Origin {
            file: String::new(),
            line: 0,
            format: SpecFormat::Native,
        },
    })
}

/// The policy column: the action of the step in force and the step's name, e.g.
/// `freeze releases (budget-exhausted)`; `none` when no step matches. `unknown` when a step whose
/// figure is missing could be the one in force, i.e. is more severe (in `slokit_model::policy`'s
/// order) than the step that matches: a missing figure is never taken for "fine".
pub fn policy_action(policy: &ErrorBudgetPolicy, figures: &Figures) -> String {
    let evaluation = slokit_model::policy::evaluate(policy, figures);
    let severity_of = |index: usize| slokit_model::policy::severity(&policy.steps[index], index);
    let in_force = evaluation.in_force.map(severity_of);
    let hidden = evaluation
        .results
        .iter()
        .any(|r| r.outcome == Outcome::Unknown && Some(severity_of(r.index)) > in_force);
    if hidden {
        return "unknown".into();
    }
    match evaluation.in_force {
        Some(index) => {
            let step = &policy.steps[index];
            // Actions are free text, line breaks included; a table cell shows one line.
            let action: Vec<&str> = step.action.split_whitespace().collect();
            format!("{} ({})", action.join(" "), step.name)
        }
        None => "none".into(),
    }
}

/// The review column from `slokit_review_due` (`YYYY-MM-DD`), counted in whole days from the UTC
/// date of `time` (Unix seconds).
pub fn review_status(due: Option<&str>, time: f64) -> String {
    let Some(text) = due else {
        return "not scheduled".into();
    };
    let Some(date) = Date::parse(text) else {
        return format!("unknown (`{text}` is not a date)");
    };
    let today = (time / 86_400.0).floor() as i64;
    let days = date.days_since_epoch() - today;
    let plural = |n: i64| if n == 1 { "day" } else { "days" };
    match days {
        0 => format!("due {date} (today)"),
        d if d > 0 => format!("due {date} (in {d} {})", plural(d)),
        d => format!("overdue since {date} ({} {})", -d, plural(-d)),
    }
}

/// One window's burn rate per SLO and group of `select`'s selection, as every reader computes it
/// ([`slokit_conventions::window_burn_rate`]; none is recorded), tagged with the window in
/// `slokit_policy_window` so that several windows can share one query.
pub(super) fn tagged_burn_rate(window: Duration, select: impl Fn(&str) -> String) -> String {
    format!(
        "label_replace({}, \"{LABEL_POLICY_WINDOW}\", \"{window}\", \"\", \"\")",
        window_burn_rate(window, select)
    )
}

/// The burn rates of the windows in `needed`, for the products that need them, in one query:
/// each window's [`tagged_burn_rate`], joined with `or`. `None` when nothing is needed.
pub fn extra_burn_rates_query(
    needed: &BTreeMap<Duration, BTreeSet<String>>,
    selection: &Selection,
) -> Option<String> {
    if needed.is_empty() {
        return None;
    }
    let parts: Vec<String> = needed
        .iter()
        .map(|(window, products)| {
            let products: Vec<String> = products.iter().cloned().collect();
            let mut matchers = vec![matcher(LABEL_PRODUCT, &products)];
            let selected = selection.matchers();
            if !selected.is_empty() {
                matchers.push(selected);
            }
            let matchers = matchers.join(",");
            tagged_burn_rate(*window, |name| format!("{name}{{{matchers}}}"))
        })
        .collect();
    Some(parts.join(" or "))
}

/// The window a [`tagged_burn_rate`] sample is for.
pub(super) fn tagged_window(sample: &Sample) -> Option<Duration> {
    sample
        .labels
        .get(LABEL_POLICY_WINDOW)
        .and_then(|w| Duration::parse(w).ok())
}

pub(super) fn read_extra_burn_rates(samples: &[Sample]) -> ExtraBurnRates {
    let mut out = BTreeMap::new();
    for sample in samples {
        let Some(window) = tagged_window(sample) else {
            continue;
        };
        let mut group = group_labels(&sample.labels);
        group.remove(LABEL_POLICY_WINDOW);
        out.insert(
            ((Identity::of(&sample.labels), group), window),
            sample.value,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use slokit_conventions::{LABEL_SLO, SERIES_POLICY_STEP};

    fn standard_policy() -> ErrorBudgetPolicy {
        let step = |name: &str, when, blocks_releases| PolicyStep {
            name: name.into(),
            when,
            action: format!("do {name}"),
            blocks_releases,
        };
        ErrorBudgetPolicy {
            name: "standard".into(),
            description: None,
            steps: vec![
                step(
                    "budget-low",
                    PolicyCondition::BudgetRemainingBelow(0.5),
                    false,
                ),
                step(
                    "burning",
                    PolicyCondition::BurnRateAbove {
                        factor: 1.5,
                        window: Duration::from_hours(12),
                    },
                    false,
                ),
                step("budget-exhausted", PolicyCondition::BudgetExhausted, true),
            ],
            origin: Origin {
                file: String::new(),
                line: 0,
                format: SpecFormat::Native,
            },
        }
    }

    /// (budget remaining, 12h burn rate) → policy column.
    #[test]
    fn the_policy_column_names_the_step_in_force() {
        let policy = standard_policy();
        let cases: [(Option<f64>, Option<f64>, &str); 8] = [
            (Some(0.9), Some(0.5), "none"),
            (Some(0.4), Some(0.5), "do budget-low (budget-low)"),
            (Some(0.4), Some(2.0), "do burning (burning)"),
            (Some(0.9), Some(2.0), "do burning (burning)"),
            (
                Some(-0.2),
                Some(2.0),
                "do budget-exhausted (budget-exhausted)",
            ),
            // The blocking step outranks everything and needs only the budget.
            (Some(0.0), None, "do budget-exhausted (budget-exhausted)"),
            // A missing 12h rate could hide `burning`, which outranks `budget-low`.
            (Some(0.4), None, "unknown"),
            (None, Some(2.0), "unknown"),
        ];
        let mut multiline = policy.clone();
        multiline.steps[2].action = "Freeze releases;\n  fixes only.".into();
        let exhausted = Figures {
            budget_remaining: Some(-1.0),
            burn_rates: BTreeMap::new(),
        };
        assert_eq!(
            policy_action(&multiline, &exhausted),
            "Freeze releases; fixes only. (budget-exhausted)"
        );
        for (remaining, burn, expected) in cases {
            let figures = Figures {
                budget_remaining: remaining,
                burn_rates: [(Duration::from_hours(12), burn)].into_iter().collect(),
            };
            assert_eq!(
                policy_action(&policy, &figures),
                expected,
                "{remaining:?} {burn:?}"
            );
        }
    }

    fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
        Sample {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn policies_are_read_from_step_series() {
        let step = |order: &str, name: &str, condition: &str, window: &str, value: f64| {
            let mut labels = vec![
                ("__name__", SERIES_POLICY_STEP),
                (LABEL_PRODUCT, "shop"),
                (LABEL_POLICY, "standard"),
                (LABEL_POLICY_STEP, name),
                (LABEL_POLICY_ORDER, order),
                (LABEL_POLICY_CONDITION, condition),
                (LABEL_POLICY_ACTION, name),
                (
                    LABEL_POLICY_BLOCKS,
                    if name == "budget-exhausted" {
                        "true"
                    } else {
                        "false"
                    },
                ),
            ];
            if !window.is_empty() {
                labels.push((LABEL_POLICY_WINDOW, window));
            }
            sample(&labels, value)
        };
        // Out of order, as Prometheus may answer.
        let steps = [
            step("2", "budget-exhausted", "budget_exhausted", "", 0.0),
            step("0", "budget-low", "budget_remaining_below", "", 0.5),
            step("1", "burning", "burn_rate_above", "12h", 1.5),
        ];
        let policy = policy_from_steps(&steps.iter().collect::<Vec<_>>()).expect("a policy");
        let mut expected = standard_policy();
        for step in &mut expected.steps {
            step.action = step.name.clone();
        }
        assert_eq!(policy, expected);
        let unknown = step("3", "later", "error_rate_above", "", 1.0);
        assert_eq!(
            policy_from_steps(&steps.iter().chain([&unknown]).collect::<Vec<_>>()),
            None
        );
    }

    #[test]
    fn review_dates_count_days_from_the_query_s_date() {
        // 2026-11-22 10:00 UTC.
        let time = Date::parse("2026-11-22").expect("date").days_since_epoch() as f64 * 86_400.0
            + 36_000.0;
        let cases = [
            (None, "not scheduled"),
            (Some("2026-12-01"), "due 2026-12-01 (in 9 days)"),
            (Some("2026-11-23"), "due 2026-11-23 (in 1 day)"),
            (Some("2026-11-22"), "due 2026-11-22 (today)"),
            (Some("2026-11-21"), "overdue since 2026-11-21 (1 day)"),
            (Some("2026-11-01"), "overdue since 2026-11-01 (21 days)"),
            (Some("soon"), "unknown (`soon` is not a date)"),
        ];
        for (due, expected) in cases {
            assert_eq!(review_status(due, time), expected, "{due:?}");
        }
    }

    #[test]
    fn extra_windows_are_one_query() {
        let needed: BTreeMap<Duration, BTreeSet<String>> = [
            (
                Duration::from_hours(2),
                BTreeSet::from(["shop".to_string()]),
            ),
            (
                Duration::from_hours(12),
                BTreeSet::from(["billing".to_string(), "shop".to_string()]),
            ),
        ]
        .into_iter()
        .collect();
        let selection = Selection {
            products: crate::query::Values::All,
            services: crate::query::Values::Some(vec!["api".into()]),
            slos: crate::query::Values::All,
        };
        assert_eq!(extra_burn_rates_query(&BTreeMap::new(), &selection), None);
        let expr = extra_burn_rates_query(&needed, &selection).expect("a query");
        assert_eq!(
            expr,
            concat!(
                r#"label_replace(((avg_over_time(slokit:events_bad:rate5m{slokit_product="shop",slokit_service="api"}[2h])"#,
                r#" / (avg_over_time(slokit:events_total:rate5m{slokit_product="shop",slokit_service="api"}[2h]) > 0))"#,
                r#" or (0 * avg_over_time(slokit:events_total:rate5m{slokit_product="shop",slokit_service="api"}[2h])))"#,
                r#" / on (slokit_product, slokit_service, slokit_slo) group_left () (1 - slokit:objective:ratio{slokit_product="shop",slokit_service="api"}), "slokit_policy_window", "2h", "", "")"#,
                r#" or label_replace((((avg_over_time(slokit:events_bad:rate1h{slokit_product=~"billing|shop",slokit_service="api"}[12h:1h])"#,
                r#" or slokit:events_bad:rate1h{slokit_product=~"billing|shop",slokit_service="api"})"#,
                r#" / ((avg_over_time(slokit:events_total:rate1h{slokit_product=~"billing|shop",slokit_service="api"}[12h:1h])"#,
                r#" or slokit:events_total:rate1h{slokit_product=~"billing|shop",slokit_service="api"}) > 0))"#,
                r#" or (0 * (avg_over_time(slokit:events_total:rate1h{slokit_product=~"billing|shop",slokit_service="api"}[12h:1h])"#,
                r#" or slokit:events_total:rate1h{slokit_product=~"billing|shop",slokit_service="api"})))"#,
                r#" / on (slokit_product, slokit_service, slokit_slo) group_left () (1 - slokit:objective:ratio{slokit_product=~"billing|shop",slokit_service="api"}), "slokit_policy_window", "12h", "", "")"#,
            )
        );
        promql_parser::parser::parse(&expr).expect("the query parses");
        let read = read_extra_burn_rates(&[sample(
            &[
                (LABEL_PRODUCT, "shop"),
                (LABEL_SLO, "a"),
                ("route", "/x"),
                (LABEL_POLICY_WINDOW, "12h"),
            ],
            2.0,
        )]);
        let identity = Identity {
            product: "shop".into(),
            service: String::new(),
            slo: "a".into(),
        };
        let group: BTreeMap<String, String> = [("route".to_string(), "/x".to_string())].into();
        assert_eq!(
            read.get(&((identity, group), Duration::from_hours(12))),
            Some(&2.0)
        );
    }
}
