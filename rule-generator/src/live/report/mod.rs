//! `slo report`: per product and SLO, the objective, the SLI over the period, the budget left (as a
//! ratio and in minutes), burn rates over the policy's windows, alerts firing, the policy step in
//! force, the phase and its readiness, review status and the product's maturity. [`build`] joins
//! the catalog with live figures into a [`Report`]; [`text`], [`markdown`], [`json`] and [`html`]
//! render it. Everything here is pure: the figures are fetched by [`crate::live::budget`] and
//! [`crate::live::readiness`], and the command line prints the result.

pub mod gate;
pub mod html;
pub mod json;
pub mod markdown;
pub mod text;

use crate::duration::Duration;
use crate::live::budget::{self, Key, SloStatus};
use crate::live::policy::{self, Decision, Evaluation};
use crate::live::readiness::{self, Measurements, Readiness};
use crate::model::{Catalog, CompositeMember, Date, Indicator, PolicyStep, Review, Slo};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The evaluation time, Unix seconds.
    pub at: f64,
    pub today: Date,
    pub products: Vec<ProductReport>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProductReport {
    pub name: String,
    pub display_name: Option<String>,
    pub maturity: &'static str,
    pub team: Option<String>,
    pub policy: Option<String>,
    pub review: ReviewStatus,
    pub slos: Vec<SloReport>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReviewStatus {
    pub cadence: Option<Duration>,
    pub last: Option<Date>,
    pub due: Option<Date>,
    /// Days past due; `None` when not overdue or unknown.
    pub overdue_days: Option<i64>,
}

impl ReviewStatus {
    pub fn of(review: &Review, today: Date) -> ReviewStatus {
        let due = review.due();
        ReviewStatus {
            cadence: review.cadence,
            last: review.last_reviewed,
            due,
            overdue_days: due
                .map(|d| today.days_since_epoch() - d.days_since_epoch())
                .filter(|days| *days > 0),
        }
    }

    pub fn is_set(&self) -> bool {
        self.cadence.is_some() || self.last.is_some()
    }

    /// `every 90d, last 2026-10-01, due 2026-12-30 (overdue by 3 days)`.
    pub fn describe(&self) -> String {
        if !self.is_set() {
            return "no review cadence set".into();
        }
        let mut parts = Vec::new();
        if let Some(c) = self.cadence {
            parts.push(format!("every {c}"));
        }
        parts.push(match self.last {
            Some(d) => format!("last {d}"),
            None => "never reviewed".into(),
        });
        if let Some(due) = self.due {
            parts.push(match self.overdue_days {
                Some(days) => format!("due {due} (overdue by {days} days)"),
                None => format!("due {due}"),
            });
        }
        parts.join(", ")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SloReport {
    pub name: String,
    pub service: String,
    pub display_name: Option<String>,
    pub owner: Option<String>,
    pub indicator: &'static str,
    pub status: SloStatus,
    pub policy: Option<Evaluation>,
    /// The step in force, copied for renderers.
    pub in_force: Option<PolicyStep>,
    pub decision: Decision,
    pub readiness: Readiness,
    pub review: ReviewStatus,
    /// `(unix seconds, budget remaining)`, for the HTML chart; empty in other formats.
    pub burn_down: Vec<(f64, f64)>,
    /// A composite's members with their own figures, so a reader sees which member burns the
    /// composite's budget; empty for other SLOs.
    pub members: Vec<MemberReport>,
}

/// One member of a composite SLO in the report: its own budget and burn rates.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberReport {
    /// `slo`, or `product/slo` for a member of another product.
    pub name: String,
    pub weight: f64,
    /// `None` when the member was not fetched (another product outside the selection) or has
    /// no data.
    pub budget_remaining: Option<f64>,
    /// The burn rate over the longest window the report shows.
    pub burn_rate: Option<f64>,
    /// Whether this member has the highest burn rate among the members: the one burning the
    /// composite's budget.
    pub burns_most: bool,
}

impl MemberReport {
    fn of(
        composite: &Slo,
        members: &[CompositeMember],
        status: &budget::Status,
    ) -> Vec<MemberReport> {
        let mut reports: Vec<MemberReport> = members
            .iter()
            .map(|m| {
                let figures = status.find(&m.product, &m.slo);
                MemberReport {
                    name: if m.product == composite.product {
                        m.slo.clone()
                    } else {
                        format!("{}/{}", m.product, m.slo)
                    },
                    weight: m.weight,
                    budget_remaining: figures.and_then(|f| f.budget_remaining),
                    burn_rate: figures
                        .and_then(|f| f.burn_rates.iter().next_back())
                        .and_then(|(_, rate)| *rate),
                    burns_most: false,
                }
            })
            .collect();
        // Only a member that burns faster than its budget allows is named: a healthy journey
        // has no culprit.
        let top = reports
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.burn_rate.filter(|r| *r > 1.0).map(|r| (i, r)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, _)) = top {
            reports[i].burns_most = true;
        }
        reports
    }

    /// `checkout-availability ×2: budget left -50.0%, 7d 3.00x (burns most)`.
    pub fn describe(&self, window: Option<Duration>) -> String {
        let weight = if self.weight == 1.0 {
            String::new()
        } else {
            format!(" ×{}", self.weight)
        };
        let budget = self.budget_remaining.map_or("no data".into(), percent1);
        let rate = match (window, self.burn_rate) {
            (Some(w), Some(r)) => format!(", {w} {}", burn(r)),
            _ => String::new(),
        };
        let most = if self.burns_most { " (burns most)" } else { "" };
        format!("{}{weight}: budget left {budget}{rate}{most}", self.name)
    }
}

/// Joins the catalog with the figures. `slos` selects what is reported, in catalog order.
pub fn build(
    catalog: &Catalog,
    slos: &[&Slo],
    status: &budget::Status,
    measurements: &BTreeMap<Key, Measurements>,
    burn_down: &BTreeMap<Key, Vec<(f64, f64)>>,
    at: f64,
    today: Date,
) -> Report {
    let mut products: Vec<ProductReport> = Vec::new();
    for product in &catalog.products {
        let selected: Vec<&&Slo> = slos.iter().filter(|s| s.product == product.name).collect();
        if selected.is_empty() {
            continue;
        }
        let policy = product
            .policy
            .as_ref()
            .and_then(|p| catalog.policies.get(p));
        let reports = selected
            .iter()
            .map(|slo| {
                let key = budget::key(slo);
                let slo_status = status.get(slo).cloned().unwrap_or_else(|| SloStatus {
                    product: slo.product.clone(),
                    slo: slo.name.clone(),
                    service: slo.service.clone(),
                    objective: slo.objective,
                    period: slo.period,
                    has_data: false,
                    sli: None,
                    budget_remaining: None,
                    burn_rates: BTreeMap::new(),
                    alerts: vec![],
                });
                let evaluation = policy.map(|p| policy::evaluate(p, &slo_status.figures()));
                let decision = policy::decide(policy, evaluation.as_ref(), slo_status.has_data);
                let in_force = match (policy, &evaluation) {
                    (Some(p), Some(e)) => e.in_force.map(|i| p.steps[i].clone()),
                    _ => None,
                };
                SloReport {
                    name: slo.name.clone(),
                    service: slo.service.clone(),
                    display_name: slo.display_name.clone(),
                    owner: slo.owner.clone(),
                    indicator: slo.indicator.kind(),
                    readiness: readiness::assess(
                        slo,
                        Some(&slo_status),
                        measurements.get(&key).unwrap_or(&Measurements::default()),
                        today,
                    ),
                    status: slo_status,
                    policy: evaluation,
                    in_force,
                    decision,
                    review: ReviewStatus::of(&slo.review, today),
                    burn_down: burn_down.get(&key).cloned().unwrap_or_default(),
                    members: match &slo.indicator {
                        Indicator::Composite(c) => MemberReport::of(slo, &c.members, status),
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
        products.push(ProductReport {
            name: product.name.clone(),
            display_name: product.display_name.clone(),
            maturity: product.maturity.as_str(),
            team: product.team.clone(),
            policy: product.policy.clone(),
            review: ReviewStatus::of(&product.review, today),
            slos: reports,
        });
    }
    Report {
        at,
        today,
        products,
    }
}

/// `2026-10-20 12:00 UTC`.
pub fn format_time(unix: f64) -> String {
    let seconds = unix.floor() as i64;
    let date = Date::from_days_since_epoch(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{date} {:02}:{:02} UTC",
        in_day / 3_600,
        in_day % 3_600 / 60
    )
}

/// A ratio as a percentage with three decimals: `99.950%`.
pub fn percent3(ratio: f64) -> String {
    format!("{:.3}%", ratio * 100.0)
}

/// `62.5%`: budget remaining, one decimal.
pub fn percent1(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

pub fn minutes(m: f64) -> String {
    format!("{m:.1} min")
}

/// `2.40x`.
pub fn burn(rate: f64) -> String {
    format!("{rate:.2}x")
}

/// The SLI line: `99.950%`, or `no data`.
pub fn sli_text(s: &SloStatus) -> String {
    s.sli.map_or("no data".into(), percent3)
}

/// `50.0% (21.6 of 43.2 min)`, or `no data`.
pub fn budget_text(s: &SloStatus) -> String {
    match (s.budget_remaining, s.budget_minutes_remaining()) {
        (Some(r), Some(m)) => format!(
            "{} ({} of {})",
            percent1(r),
            minutes(m),
            minutes(s.budget_minutes_total())
        ),
        _ => "no data".into(),
    }
}

/// `1h 0.00x, 7d 2.40x`; `-` for a window without data.
pub fn burn_text(s: &SloStatus) -> String {
    s.burn_rates
        .iter()
        .map(|(w, r)| format!("{w} {}", r.map_or("-".into(), burn)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The window a composite's member burn rates are read over: the longest the report shows.
pub fn member_window(s: &SloStatus) -> Option<Duration> {
    s.burn_rates.keys().next_back().copied()
}

pub fn alerts_text(s: &SloStatus) -> String {
    if s.alerts.is_empty() {
        "none firing".into()
    } else {
        s.alerts
            .iter()
            .map(|a| format!("{} ({})", a.name, a.severity))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `` `budget-low` in force: Prioritise reliability work. `` or why none is.
pub fn policy_text(slo: &SloReport, policy: Option<&str>) -> String {
    let Some(name) = policy else {
        return "no error-budget policy: the budget has no consequences".into();
    };
    let decision = decision_text(&slo.decision);
    match &slo.in_force {
        Some(step) => format!(
            "`{}` in force ({}): {} [{decision}]",
            step.name,
            policy::describe(&step.when),
            step.action
        ),
        None => format!("policy `{name}`: no step in force [{decision}]"),
    }
}

pub fn decision_text(decision: &Decision) -> String {
    match decision {
        Decision::Proceed => "releases proceed".into(),
        Decision::Blocked(_) => "releases blocked".into(),
        Decision::Undecided(why) => format!("cannot decide: {why}"),
    }
}

pub fn readiness_text(r: &Readiness) -> String {
    let Some(phase) = &r.phase else {
        return "no phases".into();
    };
    let mut text = format!("{phase}: {}", r.verdict.as_str());
    if let Some(next) = &r.next {
        text.push_str(&format!(" to move to {next}"));
    }
    text
}

pub fn title(product: &ProductReport) -> String {
    match &product.display_name {
        Some(d) if d != &product.name => format!("{d} ({})", product.name),
        _ => product.name.clone(),
    }
}

#[cfg(test)]
pub(crate) mod fixture;
