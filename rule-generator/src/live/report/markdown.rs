//! The Markdown report, for pull requests, wikis and review documents: a section per product with
//! one table row per SLO, then the policy and readiness details per SLO.

use super::*;

/// Pipes would break a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

pub fn render(report: &Report) -> String {
    let mut out = format!("# SLO report\n\nAt {}.\n", format_time(report.at));
    for product in &report.products {
        out.push_str(&format!("\n## {}\n\n", cell(&title(product))));
        out.push_str(&format!(
            "- maturity: {}\n- policy: {}\n- review: {}\n",
            product.maturity,
            product
                .policy
                .as_ref()
                .map_or("none".into(), |p| format!("`{p}`")),
            product.review.describe()
        ));
        out.push_str(
            "\n| SLO | objective | SLI | budget left | burn rate | alerts | policy step | phase |\n|---|---|---|---|---|---|---|---|\n",
        );
        for slo in &product.slos {
            let s = &slo.status;
            out.push_str(&format!(
                "| {}/{} | {} over {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&slo.service),
                cell(&slo.name),
                crate::live::policy::percent(s.objective),
                s.period,
                sli_text(s),
                budget_text(s),
                burn_text(s),
                cell(&alerts_text(s)),
                slo.in_force
                    .as_ref()
                    .map_or("-".into(), |step| format!("`{}`", cell(&step.name))),
                cell(&readiness_text(&slo.readiness)),
            ));
        }
        for slo in &product.slos {
            out.push_str(&format!("\n### {}/{}\n\n", slo.service, slo.name));
            out.push_str(&format!(
                "- policy: {}\n",
                policy_text(slo, product.policy.as_deref())
            ));
            out.push_str(&format!("- phase: {}\n", readiness_text(&slo.readiness)));
            if !slo.members.is_empty() {
                out.push_str("- members:\n");
                for member in &slo.members {
                    out.push_str(&format!(
                        "  - {}\n",
                        member.describe(member_window(&slo.status))
                    ));
                }
            }
            for blocker in &slo.readiness.blockers {
                out.push_str(&format!("  - {blocker}\n"));
            }
            if slo.review.is_set() {
                out.push_str(&format!("- review: {}\n", slo.review.describe()));
            }
        }
    }
    out
}
