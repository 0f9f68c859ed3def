//! The JSON report, for pipelines and other tools. Numbers are raw (ratios, not percentages);
//! missing figures are `null`. Keys are sorted, so output is deterministic.

use super::*;
use crate::live::readiness::Criterion;
use serde_json::{json, Value};

fn review(r: &ReviewStatus) -> Value {
    json!({
        "cadence": r.cadence.map(|d| d.to_string()),
        "lastReviewed": r.last.map(|d| d.to_string()),
        "due": r.due.map(|d| d.to_string()),
        "overdueDays": r.overdue_days,
    })
}

fn decision(d: &Decision) -> Value {
    match d {
        Decision::Proceed => json!({"releases": "proceed"}),
        Decision::Blocked(_) => json!({"releases": "blocked"}),
        Decision::Undecided(why) => json!({"releases": "undecided", "reason": why}),
    }
}

fn criterion(c: &Criterion) -> Value {
    json!({"name": c.name, "measured": c.measured, "target": c.target, "check": c.check.as_str()})
}

fn slo(slo: &SloReport) -> Value {
    let s = &slo.status;
    json!({
        "name": slo.name,
        "service": slo.service,
        "indicator": slo.indicator,
        "objective": s.objective,
        "period": s.period.to_string(),
        "hasData": s.has_data,
        "sli": s.sli,
        "budgetRemaining": s.budget_remaining,
        "budgetMinutesRemaining": s.budget_minutes_remaining(),
        "budgetMinutesTotal": s.budget_minutes_total(),
        "burnRates": s.burn_rates.iter().map(|(w, r)| (w.to_string(), json!(r))).collect::<serde_json::Map<_, _>>(),
        "alertsFiring": s.alerts.iter().map(|a| json!({"name": a.name, "severity": a.severity})).collect::<Vec<_>>(),
        "policyStep": slo.in_force.as_ref().map(|step| json!({
            "name": step.name,
            "condition": crate::live::policy::describe(&step.when),
            "action": step.action,
            "blocksReleases": step.blocks_releases,
        })),
        "decision": decision(&slo.decision),
        "phase": slo.readiness.phase,
        "nextPhase": slo.readiness.next,
        "readiness": slo.readiness.verdict.as_str(),
        "readinessCriteria": slo.readiness.criteria.iter().map(criterion).collect::<Vec<_>>(),
        "review": review(&slo.review),
        "members": slo.members.iter().map(|m| json!({
            "slo": m.name,
            "weight": m.weight,
            "budgetRemaining": m.budget_remaining,
            "burnRate": m.burn_rate,
            "burnsMost": m.burns_most,
        })).collect::<Vec<_>>(),
    })
}

pub fn render(report: &Report) -> String {
    let products: Vec<Value> = report
        .products
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "displayName": p.display_name,
                "maturity": p.maturity,
                "team": p.team,
                "policy": p.policy,
                "review": review(&p.review),
                "slos": p.slos.iter().map(slo).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = json!({"at": report.at, "products": products});
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
