//! `slo plan`: the progressive plan of an SLO as a document people can agree on: each phase's
//! dates, targets (availability, p95, p99), the error budget they imply and the success criteria
//! that let the SLO move on. An SLO without `phases` gets the customers' default ladder
//! ([`Phase::default_ladder`]) as a proposal. Pure: the model in, text out.
//!
//! Dates: a phase's `starts` is used as written; other phases' dates follow from their neighbours'
//! durations. When no phase has a date, the current phase is assumed to start today and the plan
//! says so.

use crate::duration::Duration;
use crate::live::policy::percent;
use crate::live::readiness::PAGE_LOOKBACK;
use crate::model::{Date, Phase, Phases, Slo};
use crate::render::emit::{self, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedPhase {
    pub name: String,
    pub current: bool,
    pub target: f64,
    pub latency_p95: Option<Duration>,
    pub latency_p99: Option<Duration>,
    pub starts: Option<Date>,
    /// `None` for an ongoing phase or an unknown start.
    pub ends: Option<Date>,
    pub duration: Option<Duration>,
    /// The phase's written criteria, then the ones `slo readiness` checks.
    pub criteria: Vec<String>,
}

impl PlannedPhase {
    /// The error budget in minutes of full outage per period.
    pub fn budget_minutes(&self, period: Duration) -> f64 {
        (1.0 - self.target) * period.minutes_f64()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub product: String,
    pub slo: String,
    pub period: Duration,
    pub phases: Vec<PlannedPhase>,
    /// True when the SLO has no `phases` and the default ladder is proposed.
    pub default_ladder: bool,
    /// Set when no phase had a date and the current one was assumed to start on this day.
    pub assumed_start: Option<Date>,
}

fn default_phases(slo: &Slo) -> Phases {
    let list = Phase::default_ladder();
    // Propose starting from the highest rung the current objective already reaches.
    let current = list
        .iter()
        .rposition(|p| p.target <= slo.objective)
        .unwrap_or(0);
    Phases { list, current }
}

fn days(d: Duration) -> i64 {
    (d.millis() / Duration::from_days(1).millis()) as i64
}

pub fn plan(slo: &Slo, today: Date) -> Plan {
    let default_ladder = slo.phases.is_none();
    let phases = slo.phases.clone().unwrap_or_else(|| default_phases(slo));
    let n = phases.list.len();
    let mut starts: Vec<Option<Date>> = phases.list.iter().map(|p| p.starts).collect();
    let mut assumed_start = None;
    if starts.iter().all(Option::is_none) {
        starts[phases.current] = Some(today);
        assumed_start = Some(today);
    }
    // Forward from every known start, then backward, each phase filling its neighbour.
    for i in 1..n {
        if starts[i].is_none() {
            starts[i] = match (starts[i - 1], phases.list[i - 1].duration) {
                (Some(s), Some(d)) => Some(s.add_days(days(d))),
                _ => None,
            };
        }
    }
    for i in (0..n.saturating_sub(1)).rev() {
        if starts[i].is_none() {
            starts[i] = match (starts[i + 1], phases.list[i].duration) {
                (Some(s), Some(d)) => Some(s.add_days(-days(d))),
                _ => None,
            };
        }
    }
    let planned = phases
        .list
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut criteria = p.criteria.clone();
            criteria.push(format!(
                "SLI at least {} over {}",
                percent(p.target),
                slo.period
            ));
            if let Some(p95) = p.latency_p95 {
                criteria.push(format!("p95 latency at most {} ms", p95.millis()));
            }
            if let Some(p99) = p.latency_p99 {
                criteria.push(format!("p99 latency at most {} ms", p99.millis()));
            }
            criteria.push(format!(
                "daily SLI spread (stddev) at most {}",
                percent(1.0 - p.target)
            ));
            criteria.push(format!("no page in the last {PAGE_LOOKBACK}"));
            if let Some(d) = p.duration {
                criteria.push(format!("{} days in the phase", days(d)));
            }
            PlannedPhase {
                name: p.name.clone(),
                current: i == phases.current,
                target: p.target,
                latency_p95: p.latency_p95,
                latency_p99: p.latency_p99,
                starts: starts[i],
                ends: match (starts[i], p.duration) {
                    (Some(s), Some(d)) => Some(s.add_days(days(d))),
                    _ => None,
                },
                duration: p.duration,
                criteria,
            }
        })
        .collect();
    Plan {
        product: slo.product.clone(),
        slo: slo.name.clone(),
        period: slo.period,
        phases: planned,
        default_ladder,
        assumed_start,
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{} ms", d.millis()))
}

fn date(d: Option<Date>) -> String {
    d.map_or("-".into(), |d| d.to_string())
}

fn minutes(m: f64) -> String {
    let text = format!("{m:.1}");
    text.trim_end_matches(".0").to_string()
}

pub fn to_markdown(plans: &[Plan]) -> String {
    let mut out = String::new();
    for plan in plans {
        out.push_str(&format!(
            "# Progressive plan: {} / {}\n\n",
            plan.product, plan.slo
        ));
        if plan.default_ladder {
            out.push_str(
                "The SLO has no `phases`; this is the default ladder, proposed from the rung its objective reaches.\n\n",
            );
        }
        if let Some(d) = plan.assumed_start {
            out.push_str(&format!(
                "No phase has a `starts` date; dates assume the current phase starts on {d}.\n\n"
            ));
        }
        out.push_str(&format!(
            "| phase | starts | ends | availability | error budget ({}) | p95 | p99 |\n|---|---|---|---|---|---|---|\n",
            plan.period
        ));
        for p in &plan.phases {
            out.push_str(&format!(
                "| {}{} | {} | {} | {} | {} ({} min) | {} | {} |\n",
                p.name,
                if p.current { " (current)" } else { "" },
                date(p.starts),
                if p.duration.is_none() {
                    "ongoing".into()
                } else {
                    date(p.ends)
                },
                percent(p.target),
                percent(1.0 - p.target),
                minutes(p.budget_minutes(plan.period)),
                ms(p.latency_p95),
                ms(p.latency_p99),
            ));
        }
        for (i, p) in plan.phases.iter().enumerate() {
            let goal = if i + 1 == plan.phases.len() {
                "To hold"
            } else {
                "To move on"
            };
            out.push_str(&format!("\n## {}\n\n{goal}:\n\n", p.name));
            for c in &p.criteria {
                out.push_str(&format!("- {c}\n"));
            }
        }
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

pub fn to_yaml(plans: &[Plan]) -> String {
    let items: Vec<Value> = plans
        .iter()
        .map(|plan| {
            let phases: Vec<Value> = plan
                .phases
                .iter()
                .map(|p| {
                    Value::map()
                        .with("name", &p.name)
                        .with("current", p.current)
                        .with_opt("starts", p.starts.map(|d| d.to_string()))
                        .with_opt("ends", p.ends.map(|d| d.to_string()))
                        .with_opt("duration", p.duration.map(|d| d.to_string()))
                        .with("target", p.target)
                        .with(
                            "errorBudgetMinutes",
                            (p.budget_minutes(plan.period) * 10.0).round() / 10.0,
                        )
                        .with_opt("latencyP95", p.latency_p95.map(|d| d.to_string()))
                        .with_opt("latencyP99", p.latency_p99.map(|d| d.to_string()))
                        .with(
                            "criteria",
                            p.criteria.iter().map(Value::from).collect::<Vec<_>>(),
                        )
                })
                .collect();
            Value::map()
                .with("product", &plan.product)
                .with("slo", &plan.slo)
                .with("period", plan.period.to_string())
                .with("defaultLadder", plan.default_ladder)
                .with_opt("assumedStart", plan.assumed_start.map(|d| d.to_string()))
                .with("phases", phases)
        })
        .collect();
    emit::to_yaml(&Value::map().with("plans", items))
}
