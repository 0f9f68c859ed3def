//! `slo gate` output: one line per SLO with its release decision and, when blocked, the policy's
//! words; then a summary. [`outcome`] folds the decisions into the exit code: 1 when any SLO
//! blocks (a definite "no" wins), else 2 when any cannot be decided, else 0. A product with its
//! own SLO is decided on that SLO unless asked for every SLO ([`deciding`]).

use super::*;
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Proceed = 0,
    Blocked = 1,
    Undecided = 2,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Proceed => "proceed",
            Outcome::Blocked => "blocked",
            Outcome::Undecided => "undecided",
        }
    }
}

/// The SLOs the gate decides on by default: a product's own SLO when it declares one (its policy
/// and release decision act on the product as a whole), else every selected SLO of the product.
pub fn deciding<'a>(catalog: &Catalog, slos: &[&'a Slo]) -> Vec<&'a Slo> {
    slos.iter()
        .copied()
        .filter(
            |slo| match catalog.product(&slo.product).and_then(|p| p.slo.as_ref()) {
                Some(own) => *own == slo.name,
                None => true,
            },
        )
        .collect()
}

pub fn outcome(report: &Report) -> Outcome {
    let decisions: Vec<&Decision> = report
        .products
        .iter()
        .flat_map(|p| p.slos.iter().map(|s| &s.decision))
        .collect();
    if decisions.iter().any(|d| matches!(d, Decision::Blocked(_))) {
        Outcome::Blocked
    } else if decisions.is_empty()
        || decisions
            .iter()
            .any(|d| matches!(d, Decision::Undecided(_)))
    {
        Outcome::Undecided
    } else {
        Outcome::Proceed
    }
}

fn reason(slo: &SloReport) -> String {
    let budget = slo
        .status
        .budget_remaining
        .map_or("no data".into(), percent1);
    match (&slo.decision, &slo.in_force) {
        (Decision::Undecided(why), _) => why.clone(),
        (_, Some(step)) => format!(
            "`{}` in force ({}; budget left {budget})",
            step.name,
            crate::live::policy::describe(&step.when)
        ),
        (_, None) => format!("budget left {budget}"),
    }
}

pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let mut counts = [0usize; 3];
    for product in &report.products {
        for slo in &product.slos {
            let o = match slo.decision {
                Decision::Proceed => Outcome::Proceed,
                Decision::Blocked(_) => Outcome::Blocked,
                Decision::Undecided(_) => Outcome::Undecided,
            };
            counts[o as usize] += 1;
            out.push_str(&format!(
                "{}: {}/{} ({}): {}\n",
                o.as_str(),
                product.name,
                slo.name,
                slo.service,
                reason(slo)
            ));
            if let (Decision::Blocked(_), Some(step), Some(policy)) =
                (&slo.decision, &slo.in_force, &product.policy)
            {
                out.push_str(&format!("  policy `{policy}`: {}\n", step.action));
            }
            for member in slo.members.iter().filter(|m| m.burns_most) {
                out.push_str(&format!(
                    "  burning the budget: {}\n",
                    member.describe(member_window(&slo.status))
                ));
            }
            if product.policy.is_none() {
                out.push_str("  no error-budget policy: nothing can block releases\n");
            }
        }
    }
    let total: usize = counts.iter().sum();
    out.push_str(&match outcome(report) {
        Outcome::Proceed => format!("gate: releases may proceed ({total} SLOs checked)\n"),
        Outcome::Blocked => format!(
            "gate: releases blocked by {} of {total} SLOs\n",
            counts[Outcome::Blocked as usize]
        ),
        Outcome::Undecided if total == 0 => "gate: cannot decide: no SLOs selected\n".into(),
        Outcome::Undecided => format!(
            "gate: cannot decide for {} of {total} SLOs; releases are not cleared\n",
            counts[Outcome::Undecided as usize]
        ),
    });
    out
}

pub fn json(report: &Report) -> String {
    let slos: Vec<serde_json::Value> = report
        .products
        .iter()
        .flat_map(|p| {
            p.slos.iter().map(move |s| {
                json!({
                    "product": p.name,
                    "slo": s.name,
                    "service": s.service,
                    "decision": match s.decision {
                        Decision::Proceed => "proceed",
                        Decision::Blocked(_) => "blocked",
                        Decision::Undecided(_) => "undecided",
                    },
                    "reason": reason(s),
                    "policy": p.policy,
                    "step": s.in_force.as_ref().map(|step| step.name.clone()),
                    "action": s.in_force.as_ref().map(|step| step.action.clone()),
                    "budgetRemaining": s.status.budget_remaining,
                    "burningMember": s.members.iter().find(|m| m.burns_most).map(|m| m.name.clone()),
                })
            })
        })
        .collect();
    let o = outcome(report);
    let value = json!({"at": report.at, "decision": o.as_str(), "exitCode": o as u8, "slos": slos});
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
