//! A comparison as text (a table per SLO, for a terminal or a CI log), Markdown (for a pull
//! request comment) and JSON (for machines: raw ratios, `null` where unknown, keys sorted). Pure.

use super::judge::{percent, timestamp, Finding, Side, Verdict};
use super::{Comparison, Outcome, SloComparison};
use serde_json::{json, Value};

/// A ratio as a percentage with enough digits for an error ratio of a 99.99% SLO.
fn ratio(value: f64) -> String {
    format!("{:.4}%", value * 100.0)
}

/// The verdict of a finding in a few words, and the detail that goes with it.
fn verdict(finding: &Finding) -> (&'static str, String) {
    let worst = finding.worst.map(|w| {
        format!(
            "slokit {} vs legacy {} at {} ({:.1}% apart; {} of {} points differ)",
            ratio(w.slokit),
            ratio(w.legacy),
            timestamp(w.at),
            w.relative() * 100.0,
            finding.differing,
            finding.compared
        )
    });
    match &finding.verdict {
        Verdict::Match if finding.isolated > 0 => (
            "match",
            format!(
                "{} points ({} alone outside the tolerance: evaluation jitter)",
                finding.compared, finding.isolated
            ),
        ),
        Verdict::Match => ("match", format!("{} points", finding.compared)),
        Verdict::Differs if !finding.details.is_empty() => ("DIFFERS", finding.details.join("; ")),
        Verdict::Differs => ("DIFFERS", worst.unwrap_or_default()),
        Verdict::Explained(cause) => (
            "explained",
            format!("{}; {cause}", worst.unwrap_or_default()),
        ),
        Verdict::NotCovered(side) => (
            "not covered",
            format!(
                "the window is not yet covered by data on {}",
                match side {
                    Side::Both => "either side".to_string(),
                    side => format!("the {} side", side.as_str()),
                }
            ),
        ),
        Verdict::NoData(Side::Legacy) => (
            "no data",
            "the legacy rules record nothing for it".to_string(),
        ),
        Verdict::NoData(side) => ("no data", format!("{} has no data", side.as_str())),
        Verdict::Undecidable(why) => ("undecided", why.clone()),
    }
}

fn summary(comparison: &Comparison) -> String {
    let differing = comparison
        .slos
        .iter()
        .filter(|s| s.findings.iter().any(|f| f.fails(comparison.strict)))
        .count();
    let compared = comparison.slos.iter().filter(|s| s.compared()).count();
    match comparison.outcome() {
        Outcome::Match => format!(
            "compare: {compared} of {} SLOs match within {}",
            comparison.slos.len(),
            percent(comparison.tolerance)
        ),
        Outcome::Differs => format!(
            "compare: {differing} of {} SLOs differ",
            comparison.slos.len()
        ),
        Outcome::Undecided => format!(
            "compare: cannot decide: {compared} of {} SLOs have data on both sides",
            comparison.slos.len()
        ),
    }
}

fn header(comparison: &Comparison) -> String {
    format!(
        "from {} to {} every {}, tolerance {}{}",
        timestamp(comparison.from),
        timestamp(comparison.to),
        super::judge::span(comparison.step),
        percent(comparison.tolerance),
        if comparison.strict { ", strict" } else { "" }
    )
}

fn counterpart(slo: &SloComparison) -> String {
    slo.legacy
        .clone()
        .unwrap_or_else(|| "no legacy counterpart found".to_string())
}

/// The text report.
pub fn text(comparison: &Comparison) -> String {
    let mut out = format!("{}\n", header(comparison));
    for slo in &comparison.slos {
        out.push_str(&format!(
            "\n{}/{} against {}\n",
            slo.product,
            slo.slo,
            counterpart(slo)
        ));
        for note in &slo.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        let width = slo
            .findings
            .iter()
            .map(|f| f.quantity.to_string().len())
            .max()
            .unwrap_or(0);
        for finding in &slo.findings {
            let (word, detail) = verdict(finding);
            out.push_str(&format!(
                "  {:width$}  {word:11}  {detail}\n",
                finding.quantity.to_string()
            ));
        }
    }
    out.push_str(&format!("\n{}\n", summary(comparison)));
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report.
pub fn markdown(comparison: &Comparison) -> String {
    let mut out = format!(
        "## slokit compared with the legacy SLOs\n\n{}\n\n**{}**\n",
        header(comparison),
        summary(comparison)
    );
    for slo in &comparison.slos {
        out.push_str(&format!(
            "\n### {}/{}\n\nAgainst {}.\n",
            slo.product,
            slo.slo,
            cell(&counterpart(slo))
        ));
        for note in &slo.notes {
            out.push_str(&format!("\n> {}\n", cell(note)));
        }
        if slo.findings.is_empty() {
            continue;
        }
        out.push_str("\n| Quantity | Verdict | Detail |\n|---|---|---|\n");
        for finding in &slo.findings {
            let (word, detail) = verdict(finding);
            out.push_str(&format!(
                "| {} | {word} | {} |\n",
                finding.quantity,
                cell(&detail)
            ));
        }
    }
    out
}

fn finding_json(finding: &Finding) -> Value {
    let (word, detail) = verdict(finding);
    let cause = match &finding.verdict {
        Verdict::Explained(cause) => Some(cause.to_string()),
        _ => None,
    };
    json!({
        "quantity": finding.quantity.to_string(),
        "verdict": word.to_lowercase(),
        "detail": detail,
        "cause": cause,
        "compared": finding.compared,
        "differing": finding.differing,
        "isolated": finding.isolated,
        "worst": finding.worst.map(|w| json!({"at": w.at, "slokit": w.slokit, "legacy": w.legacy})),
    })
}

/// The JSON report.
pub fn json(comparison: &Comparison) -> String {
    let outcome = match comparison.outcome() {
        Outcome::Match => "match",
        Outcome::Differs => "differs",
        Outcome::Undecided => "undecided",
    };
    let value = json!({
        "from": comparison.from,
        "to": comparison.to,
        "step": comparison.step,
        "tolerance": comparison.tolerance,
        "strict": comparison.strict,
        "outcome": outcome,
        "slos": comparison.slos.iter().map(|slo| json!({
            "product": slo.product,
            "slo": slo.slo,
            "legacy": slo.legacy,
            "notes": slo.notes,
            "findings": slo.findings.iter().map(finding_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::super::judge::{Cause, Quantity, Window, Worst};
    use super::*;
    use crate::duration::Duration;

    fn comparison() -> Comparison {
        let mut differs = Finding::new(
            Quantity::ErrorRatio(Window::Fixed(Duration::from_hours(1))),
            Verdict::Differs,
        );
        differs.compared = 10;
        differs.differing = 10;
        differs.worst = Some(Worst {
            at: 3600.0,
            slokit: 0.001,
            legacy: 0.002,
        });
        let mut explained = Finding::new(
            Quantity::ErrorRatio(Window::Period),
            Verdict::Explained(Cause::AveragedRatios { bias: -0.25 }),
        );
        explained.worst = Some(Worst {
            at: 7200.0,
            slokit: 0.004,
            legacy: 0.003,
        });
        Comparison {
            from: 0.0,
            to: 86_400.0,
            step: 360.0,
            tolerance: 0.01,
            strict: false,
            slos: vec![
                SloComparison {
                    product: "shop".into(),
                    slo: "availability".into(),
                    legacy: Some("Sloth sloth_service=shop sloth_slo=availability".into()),
                    findings: vec![differs, explained],
                    notes: vec!["the objectives differ (slokit 99%, legacy 99.5%)".into()],
                },
                SloComparison {
                    product: "shop".into(),
                    slo: "latency".into(),
                    legacy: None,
                    findings: vec![],
                    notes: vec![],
                },
            ],
        }
    }

    #[test]
    fn the_text_names_slo_quantity_window_both_values_and_cause() {
        assert_eq!(
            text(&comparison()),
            "from 1970-01-01 00:00Z to 1970-01-02 00:00Z every 6m, tolerance 1%

shop/availability against Sloth sloth_service=shop sloth_slo=availability
  note: the objectives differ (slokit 99%, legacy 99.5%)
  error ratio 1h      DIFFERS      slokit 0.1000% vs legacy 0.2000% at 1970-01-01 01:00Z (50.0% apart; 10 of 10 points differ)
  error ratio period  explained    slokit 0.4000% vs legacy 0.3000% at 1970-01-01 02:00Z (25.0% apart; 0 of 0 points differ); the legacy period SLI averages 5m error ratios, which weighs quiet and busy times alike: on this traffic it reads 25.0% lower than the ratio of events

shop/latency against no legacy counterpart found

compare: 1 of 2 SLOs differ
"
        );
    }

    #[test]
    fn markdown_and_json_say_the_same() {
        let markdown = markdown(&comparison());
        assert!(
            markdown.contains("**compare: 1 of 2 SLOs differ**"),
            "{markdown}"
        );
        assert!(
            markdown.contains("| error ratio 1h | DIFFERS | slokit 0.1000% vs legacy 0.2000%"),
            "{markdown}"
        );
        assert!(markdown.contains("> the objectives differ"), "{markdown}");
        let json: serde_json::Value = serde_json::from_str(&json(&comparison())).unwrap();
        assert_eq!(json["outcome"], "differs");
        let finding = &json["slos"][0]["findings"][0];
        assert_eq!(finding["quantity"], "error ratio 1h");
        assert_eq!(finding["verdict"], "differs");
        assert_eq!(finding["worst"]["legacy"], 0.002);
        assert_eq!(json["slos"][1]["legacy"], serde_json::Value::Null);
        assert!(json["slos"][0]["findings"][1]["cause"]
            .as_str()
            .unwrap()
            .contains("25.0% lower"));
    }
}
