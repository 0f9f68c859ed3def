//! The HTML report: one self-contained file (inline CSS, inline SVG, no scripts, no fonts, no
//! network at view time) that people attach to a review. It is well-formed XHTML, so any XML parser
//! reads it; every text and attribute goes through [`escape`].
//!
//! Each SLO gets a budget burn-down chart: the budget remaining over the trailing period, sampled
//! across the last period, with the 100% and 0% lines marked. Below zero means overspent.

use super::*;

/// Escapes the five XML special characters, for text and attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}.slo{margin:1.5em 0;padding-top:.5em;border-top:1px solid #ddd}\
.blocked{color:#b00020;font-weight:bold}.proceed{color:#1b5e20}.undecided{color:#8a5a00;font-weight:bold}\
svg{background:#fcfcfc;border:1px solid #ddd}";

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// The burn-down chart of one SLO as an inline SVG element.
pub fn chart(slo: &SloReport, at: f64) -> String {
    let label = format!("Error budget remaining of {}/{}", slo.service, slo.name);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"burn-down\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        escape(&label),
        escape(&label)
    );
    let points = &slo.burn_down;
    if points.is_empty() {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text></svg>",
            WIDTH / 2.0,
            HEIGHT / 2.0
        ));
        return svg;
    }
    let span = slo.status.period.secs_f64();
    let (x0, x1) = (at - span, at);
    let low = points.iter().map(|p| p.1).fold(0.0_f64, f64::min);
    let high = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    let x = |t: f64| LEFT + (t - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT);
    let y = |v: f64| TOP + (high - v) / (high - low) * (HEIGHT - TOP - BOTTOM);
    for (value, name) in [(1.0, "100%"), (0.0, "0%")] {
        svg.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{name}</text>",
            WIDTH - RIGHT,
            y(value),
            y(value),
            LEFT - 4.0,
            y(value) + 4.0
        ));
    }
    for (t, anchor) in [(x0, "start"), (x1, "end")] {
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"{anchor}\">{}</text>",
            x(t),
            HEIGHT - 8.0,
            escape(&format_time(t))
        ));
    }
    let polyline: Vec<String> = points
        .iter()
        .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
        .collect();
    let colour = if points.last().map_or(0.0, |p| p.1) > 0.0 {
        "#1565c0"
    } else {
        "#b00020"
    };
    svg.push_str(&format!(
        "<polyline class=\"budget\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/></svg>",
        polyline.join(" ")
    ));
    svg
}

fn row(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!(
        "<tr><th>{}</th><td>{}</td></tr>",
        escape(label),
        escape(value)
    ));
}

fn decision_class(d: &Decision) -> &'static str {
    match d {
        Decision::Proceed => "proceed",
        Decision::Blocked(_) => "blocked",
        Decision::Undecided(_) => "undecided",
    }
}

pub fn render(report: &Report) -> String {
    let when = format_time(report.at);
    let mut out = format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/><title>SLO report at {}</title><style>{STYLE}</style></head><body>\n<h1>SLO report</h1><p>At {}.</p>\n",
        escape(&when),
        escape(&when)
    );
    for product in &report.products {
        out.push_str(&format!(
            "<section class=\"product\"><h2>{}</h2><table>",
            escape(&title(product))
        ));
        row(&mut out, "maturity", product.maturity);
        row(
            &mut out,
            "policy",
            product.policy.as_deref().unwrap_or("none"),
        );
        row(&mut out, "review", &product.review.describe());
        out.push_str("</table>\n");
        for slo in &product.slos {
            let s = &slo.status;
            out.push_str(&format!(
                "<div class=\"slo\"><h3>{}/{}</h3><p class=\"{}\">{}</p><table>",
                escape(&slo.service),
                escape(&slo.name),
                decision_class(&slo.decision),
                escape(&decision_text(&slo.decision))
            ));
            row(
                &mut out,
                "objective",
                &format!(
                    "{} over {}",
                    crate::live::policy::percent(s.objective),
                    s.period
                ),
            );
            row(&mut out, "SLI", &sli_text(s));
            row(&mut out, "budget left", &budget_text(s));
            row(&mut out, "burn rate", &burn_text(s));
            row(&mut out, "alerts", &alerts_text(s));
            for (i, member) in slo.members.iter().enumerate() {
                let label = if i == 0 { "members" } else { "" };
                row(&mut out, label, &member.describe(member_window(s)));
            }
            row(
                &mut out,
                "policy",
                &policy_text(slo, product.policy.as_deref()),
            );
            row(&mut out, "phase", &readiness_text(&slo.readiness));
            if slo.review.is_set() {
                row(&mut out, "review", &slo.review.describe());
            }
            out.push_str("</table>");
            if !slo.readiness.criteria.is_empty() {
                out.push_str("<table><tr><th>criterion</th><th>measured</th><th>target</th><th>check</th></tr>");
                for c in &slo.readiness.criteria {
                    out.push_str(&format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&c.name),
                        escape(&c.measured),
                        escape(&c.target),
                        c.check.as_str()
                    ));
                }
                out.push_str("</table>");
            }
            out.push('\n');
            out.push_str(&chart(slo, report.at));
            out.push_str("</div>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
