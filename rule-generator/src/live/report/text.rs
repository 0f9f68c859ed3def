//! The plain-text report, for terminals and CI logs: one block per product, one indented block per
//! SLO, aligned labels.

use super::*;

pub fn render(report: &Report) -> String {
    let mut out = format!("SLO report at {}\n", format_time(report.at));
    for product in &report.products {
        out.push_str(&format!(
            "\n{}: maturity {}, policy {}\n",
            title(product),
            product.maturity,
            product
                .policy
                .as_ref()
                .map_or("none".into(), |p| format!("`{p}`"))
        ));
        out.push_str(&format!("  review: {}\n", product.review.describe()));
        for slo in &product.slos {
            let s = &slo.status;
            out.push_str(&format!("\n  {}/{}\n", slo.service, slo.name));
            let mut line = |label: &str, value: String| {
                out.push_str(&format!("    {label:<12} {value}\n"));
            };
            line(
                "objective",
                format!(
                    "{} over {}",
                    crate::live::policy::percent(s.objective),
                    s.period
                ),
            );
            line("SLI", sli_text(s));
            line("budget left", budget_text(s));
            line("burn rate", burn_text(s));
            line("alerts", alerts_text(s));
            for (i, member) in slo.members.iter().enumerate() {
                let label = if i == 0 { "members" } else { "" };
                line(label, member.describe(member_window(s)));
            }
            line("policy", policy_text(slo, product.policy.as_deref()));
            line("phase", readiness_text(&slo.readiness));
            for blocker in &slo.readiness.blockers {
                line("", format!("- {blocker}"));
            }
            if slo.review.is_set() {
                line("review", slo.review.describe());
            }
        }
    }
    out
}
