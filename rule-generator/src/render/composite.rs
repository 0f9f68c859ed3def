//! The base rates of composite SLOs, which read only their members' recorded series. Everything
//! after the base rates (windows, SLI, budget, alerts, info) is any SLO's, so dashboards, the
//! plugin, reports and gates read a composite as they read any SLO.
//!
//! - `events`: the members' event rates summed, each scaled by its weight (grouped members summed
//!   over their groups): a ratio of sums over every window, exact like any SLO's.
//! - `weighted`: a member counts by its weight whatever its traffic. The composite records, for
//!   its 5m, 1h and period windows, a total of `Σ weights` and a bad rate of `Σ weight × the
//!   member's error ratio over that window` (each member's ratio traffic-weighted over the window
//!   from its own recorded rates), so those windows are the exact weighted mean. Windows computed
//!   on read (30m, 6h, 1d, 3d) average the composite's 5m or 1h values over time, i.e. weigh each
//!   5m slice (or hour) alike within the window: exact for steady traffic, close otherwise.
//! - `all-good`: one slice per second is counted, and it is bad when any member's error ratio
//!   over the 5m base window is above that member's own error budget: the share of good time.
//!
//! A member without traffic in a window has error ratio 0 there (as every reader guards it), so a
//! quiet member neither breaks nor blanks the composite.

use super::common::number;
use crate::conventions::{
    rate_series, window_rate, BASE_WINDOW, LABEL_PRODUCT, LABEL_SLO, SERIES_BAD, SERIES_TOTAL,
};
use crate::duration::Duration;
use crate::model::{CompositeIndicator, CompositeMember, CompositeMethod, Slo};
use crate::promql::quote;

/// A selector of one member's recorded series.
fn member_series(member: &CompositeMember, name: &str) -> String {
    format!(
        "{name}{{{LABEL_PRODUCT}={},{LABEL_SLO}={}}}",
        quote(&member.product),
        quote(&member.slo)
    )
}

/// `sum by (product, slo)` of `expr`: a member's series summed over its groups, one series per
/// member, so that `or` keeps every member's.
fn per_member(expr: &str) -> String {
    format!("sum by ({LABEL_PRODUCT}, {LABEL_SLO}) ({expr})")
}

/// `x` scaled by a member's weight (as is for weight 1).
fn weighted(x: String, weight: f64) -> String {
    if weight == 1.0 {
        x
    } else {
        format!("{x} * {}", number(weight))
    }
}

/// `sum(\n  (a)\n  or (b)\n)` over the members' terms: absent only when no member has data.
fn sum_of(terms: Vec<String>) -> String {
    let joined = terms
        .iter()
        .map(|t| format!("({t})"))
        .collect::<Vec<_>>()
        .join("\n  or ");
    format!("sum(\n  {joined}\n)")
}

/// A member's rate `name` over `window`, summed over its groups.
fn member_rate(member: &CompositeMember, name: &str, window: Duration) -> String {
    per_member(&window_rate(name, window, |n| member_series(member, n)))
}

/// A member's error ratio over `window`, summed over its groups, 0 without events:
/// `(bad / (total > 0)) or (0 * total)`, each rate read by the window rule (the recorded 5m or 1h
/// rate, or their average over a longer window).
fn member_ratio(member: &CompositeMember, window: Duration) -> String {
    let rate = |name: &str| member_rate(member, name, window);
    let (bad, total) = (rate(SERIES_BAD), rate(SERIES_TOTAL));
    format!("(({bad} / ({total} > 0)) or (0 * {total}))")
}

/// The composite's (total, bad) over its base window, for every method.
pub fn base_rates(composite: &CompositeIndicator) -> (String, String) {
    let members = &composite.members;
    match composite.method {
        CompositeMethod::Events => {
            let sum = |name: &str| {
                sum_of(
                    members
                        .iter()
                        .map(|m| {
                            weighted(
                                per_member(&member_series(
                                    m,
                                    &rate_series(name, Some(BASE_WINDOW)),
                                )),
                                m.weight,
                            )
                        })
                        .collect(),
                )
            };
            (sum(SERIES_TOTAL), sum(SERIES_BAD))
        }
        CompositeMethod::Weighted => weighted_rates(composite, BASE_WINDOW),
        CompositeMethod::AllGood => {
            let failing: Vec<String> = members
                .iter()
                .map(|m| {
                    format!(
                        "{} > bool {}",
                        member_ratio(m, BASE_WINDOW),
                        number(1.0 - m.objective)
                    )
                })
                .collect();
            let any = format!(
                "max(\n  {}\n)",
                failing
                    .iter()
                    .map(|f| format!("({f})"))
                    .collect::<Vec<_>>()
                    .join("\n  or ")
            );
            (format!("{any} * 0 + 1"), any)
        }
    }
}

/// A `weighted` composite's (total, bad) over `window`: `Σ weights` and `Σ weight × ratio`, from
/// the members' own rates over that window.
pub fn weighted_rates(composite: &CompositeIndicator, window: Duration) -> (String, String) {
    let members = &composite.members;
    let total = sum_of(
        members
            .iter()
            .map(|m| {
                format!(
                    "{} * 0 + {}",
                    member_rate(m, SERIES_TOTAL, window),
                    number(m.weight)
                )
            })
            .collect(),
    );
    let bad = sum_of(
        members
            .iter()
            .map(|m| weighted(member_ratio(m, window), m.weight))
            .collect(),
    );
    (total, bad)
}

/// Whether the composite records its 1h and period rates from its members (`weighted`) rather
/// than from its own 5m rates like any SLO.
pub fn reads_members_per_window(slo: &Slo) -> Option<&CompositeIndicator> {
    match &slo.indicator {
        crate::model::Indicator::Composite(c) if c.method == CompositeMethod::Weighted => Some(c),
        _ => None,
    }
}

/// The members as the info series lists them: `product/slo`, with `*weight` unless 1, joined by
/// commas in the spec's order.
pub fn members_label(composite: &CompositeIndicator) -> String {
    composite
        .members
        .iter()
        .map(|m| match m.weight == 1.0 {
            true => format!("{}/{}", m.product, m.slo),
            false => format!("{}/{}*{}", m.product, m.slo, number(m.weight)),
        })
        .collect::<Vec<_>>()
        .join(",")
}
