//! Error-budget policies evaluated against live figures, as pure functions: which steps match, which
//! one is in force, and whether releases may proceed. `slokit::live::budget` fetches the figures;
//! `slo report` shows the result, `slo gate` turns it into an exit code, and the Grafana plugin
//! shows the step in force per SLO.
//!
//! Severity: a step that blocks releases is more severe than any step that does not; among steps
//! alike in that, a later step is more severe than an earlier one, because policies are written
//! from the mildest reaction to the strongest (Google's slo-generator samples list 1h, 12h, 7d,
//! 28d steps ending in a release freeze, and slokit's examples end with `budget-exhausted`). The
//! most severe matching step is the one in force.
//!
//! A figure that could not be measured never counts as "fine": a step whose figure is missing is
//! `Unknown`, and an unknown blocking step makes the release decision `Undecided`.

use crate::{ErrorBudgetPolicy, PolicyCondition, PolicyStep};
use slokit_conventions::duration::Duration;
use std::collections::BTreeMap;

/// What the policy is evaluated against, for one SLO.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// `1 - period error ratio / error budget`; `None` when unmeasured.
    pub budget_remaining: Option<f64>,
    /// Burn rates by window; `None` when unmeasured.
    pub burn_rates: BTreeMap<Duration, Option<f64>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Matches,
    Clear,
    /// The figure the condition needs is missing.
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepResult {
    /// Index into the policy's steps.
    pub index: usize,
    pub outcome: Outcome,
    /// The figure the condition was compared with.
    pub measured: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// One per step, in the policy's order.
    pub results: Vec<StepResult>,
    /// The most severe matching step, if any.
    pub in_force: Option<usize>,
}

/// Whether releases may proceed.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Proceed,
    /// A blocking step is in force (its index).
    Blocked(usize),
    /// Data is missing for a condition that could block.
    Undecided(String),
}

/// The windows a policy's burn-rate conditions need, sorted.
pub fn windows(policy: &ErrorBudgetPolicy) -> Vec<Duration> {
    let mut out: Vec<Duration> = policy
        .steps
        .iter()
        .filter_map(|s| match s.when {
            PolicyCondition::BurnRateAbove { window, .. } => Some(window),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The severity of a step: higher is more severe.
pub fn severity(step: &PolicyStep, index: usize) -> (bool, usize) {
    (step.blocks_releases, index)
}

pub fn evaluate(policy: &ErrorBudgetPolicy, figures: &Figures) -> Evaluation {
    let results: Vec<StepResult> = policy
        .steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let (measured, test): (Option<f64>, Box<dyn Fn(f64) -> bool>) = match step.when {
                PolicyCondition::BudgetRemainingBelow(limit) => {
                    (figures.budget_remaining, Box::new(move |v| v < limit))
                }
                PolicyCondition::BudgetExhausted => {
                    (figures.budget_remaining, Box::new(|v| v <= 0.0))
                }
                PolicyCondition::BurnRateAbove { factor, window } => (
                    figures.burn_rates.get(&window).copied().flatten(),
                    Box::new(move |v| v > factor),
                ),
            };
            let outcome = match measured {
                None => Outcome::Unknown,
                Some(v) if v.is_nan() => Outcome::Unknown,
                Some(v) if test(v) => Outcome::Matches,
                Some(_) => Outcome::Clear,
            };
            StepResult {
                index,
                outcome,
                measured,
            }
        })
        .collect();
    let in_force = results
        .iter()
        .filter(|r| r.outcome == Outcome::Matches)
        .max_by_key(|r| severity(&policy.steps[r.index], r.index))
        .map(|r| r.index);
    Evaluation { results, in_force }
}

/// The release decision for one SLO under its product's policy. Without a policy nothing blocks,
/// but missing data still means "cannot decide": the monitoring system being down must never look
/// like a green light.
pub fn decide(
    policy: Option<&ErrorBudgetPolicy>,
    evaluation: Option<&Evaluation>,
    has_data: bool,
) -> Decision {
    if let (Some(policy), Some(evaluation)) = (policy, evaluation) {
        if let Some(index) = evaluation.in_force {
            if policy.steps[index].blocks_releases {
                return Decision::Blocked(index);
            }
        }
        if let Some(unknown) = evaluation
            .results
            .iter()
            .find(|r| r.outcome == Outcome::Unknown && policy.steps[r.index].blocks_releases)
        {
            return Decision::Undecided(format!(
                "no data for the blocking step `{}`",
                policy.steps[unknown.index].name
            ));
        }
    }
    if !has_data {
        return Decision::Undecided("no data: the SLO's recorded series are absent".into());
    }
    Decision::Proceed
}

/// The condition in words, e.g. `burn rate over 2x for 7d`.
pub fn describe(condition: &PolicyCondition) -> String {
    match condition {
        PolicyCondition::BudgetRemainingBelow(limit) => {
            format!("budget remaining below {}", percent(*limit))
        }
        PolicyCondition::BudgetExhausted => "budget exhausted".into(),
        PolicyCondition::BurnRateAbove { factor, window } => {
            format!("burn rate over {factor}x for {window}")
        }
    }
}

/// `0.25` → `25%`, `0.9995` → `99.95%`: shortest form, no trailing zeros.
pub fn percent(ratio: f64) -> String {
    let text = format!("{:.4}", ratio * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Origin, SpecFormat};

    fn standard() -> ErrorBudgetPolicy {
        let step = |name: &str, when, blocks| PolicyStep {
            name: name.into(),
            when,
            action: format!("do {name}"),
            blocks_releases: blocks,
        };
        ErrorBudgetPolicy {
            name: "standard".into(),
            description: None,
            steps: vec![
                step(
                    "burning-fast",
                    PolicyCondition::BurnRateAbove {
                        factor: 2.0,
                        window: Duration::from_days(7),
                    },
                    false,
                ),
                step("budget-exhausted", PolicyCondition::BudgetExhausted, true),
                step(
                    "budget-low",
                    PolicyCondition::BudgetRemainingBelow(0.25),
                    false,
                ),
            ],
            origin: Origin {
                file: "p.yaml".into(),
                line: 1,
                format: SpecFormat::Native,
            },
        }
    }

    fn figures(remaining: Option<f64>, burn7d: Option<f64>) -> Figures {
        Figures {
            budget_remaining: remaining,
            burn_rates: [(Duration::from_days(7), burn7d)].into_iter().collect(),
        }
    }

    /// (budget remaining, 7d burn rate) → (step in force, decision).
    #[test]
    fn the_most_severe_matching_step_is_in_force() {
        let policy = standard();
        type Case = (Option<f64>, Option<f64>, Option<&'static str>, Decision);
        let cases: [Case; 8] = [
            (Some(0.9), Some(0.5), None, Decision::Proceed),
            (
                Some(0.9),
                Some(2.5),
                Some("burning-fast"),
                Decision::Proceed,
            ),
            (Some(0.2), Some(2.5), Some("budget-low"), Decision::Proceed),
            (Some(0.25), Some(1.0), None, Decision::Proceed),
            // Exhausted outranks budget-low even though budget-low is written later: it blocks.
            (
                Some(0.0),
                Some(3.0),
                Some("budget-exhausted"),
                Decision::Blocked(1),
            ),
            (
                Some(-0.4),
                None,
                Some("budget-exhausted"),
                Decision::Blocked(1),
            ),
            // A missing 7d rate leaves that step unknown, but it cannot block.
            (Some(0.5), None, None, Decision::Proceed),
            (
                None,
                Some(0.1),
                None,
                Decision::Undecided("no data for the blocking step `budget-exhausted`".into()),
            ),
        ];
        for (remaining, burn, in_force, decision) in cases {
            let evaluation = evaluate(&policy, &figures(remaining, burn));
            let name = evaluation.in_force.map(|i| policy.steps[i].name.as_str());
            assert_eq!(name, in_force, "{remaining:?} {burn:?}");
            assert_eq!(
                decide(Some(&policy), Some(&evaluation), remaining.is_some()),
                decision,
                "{remaining:?} {burn:?}"
            );
        }
    }

    #[test]
    fn no_data_is_never_a_green_light() {
        assert_eq!(
            decide(None, None, false),
            Decision::Undecided("no data: the SLO's recorded series are absent".into())
        );
        assert_eq!(decide(None, None, true), Decision::Proceed);
        let nan = evaluate(&standard(), &figures(Some(f64::NAN), Some(1.0)));
        assert_eq!(nan.results[1].outcome, Outcome::Unknown);
    }

    #[test]
    fn words() {
        assert_eq!(windows(&standard()), vec![Duration::from_days(7)]);
        assert_eq!(
            describe(&standard().steps[0].when),
            "burn rate over 2x for 7d"
        );
        assert_eq!(percent(0.25), "25%");
        assert_eq!(percent(0.9995), "99.95%");
        assert_eq!(percent(1.0), "100%");
    }
}
