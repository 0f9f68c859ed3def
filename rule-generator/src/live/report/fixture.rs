//! A report over `examples/` with hand-written figures, for the renderers' golden tests: an SLO out
//! of budget (blocked), one low on budget, one burning fast, one without data, healthy ones.

use super::*;
use crate::live::budget::{FiringAlert, Status};
use std::path::PathBuf;

pub const AT: f64 = 1_795_089_600.0; // 2026-11-19 12:00 UTC

pub fn today() -> Date {
    Date::parse("2026-11-19").expect("date")
}

pub fn catalog() -> Catalog {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"));
    let loaded = crate::load::load(&[root], crate::load::Options { today: today() });
    assert_eq!(loaded.diagnostics.error_count(), 0);
    loaded.catalog
}

/// `(budget remaining, 1h burn rate, 7d burn rate)` by SLO name; `None` = no data.
fn figures(name: &str) -> Option<(f64, f64, f64)> {
    match name {
        "checkout-availability" => Some((-0.5, 20.0, 3.0)),
        "catalog-availability" => Some((0.2, 1.5, 1.2)),
        "checkout-latency" => Some((0.9, 0.1, 2.5)),
        "homepage-probe" => None,
        _ => Some((0.75, 0.25, 0.5)),
    }
}

pub fn report() -> Report {
    let catalog = catalog();
    let slos: Vec<&Slo> = catalog.slos().collect();
    let statuses = slos
        .iter()
        .map(|slo| {
            let f = figures(&slo.name);
            let windows = budget::windows_for(&catalog, slo);
            let burn_rates = windows
                .into_iter()
                .map(|w| {
                    let rate = f.map(|(_, h, d)| if w == budget::REPORT_WINDOW { h } else { d });
                    (w, rate)
                })
                .collect();
            let alerts = if slo.name == "checkout-availability" {
                vec![FiringAlert {
                    name: "CheckoutAvailabilityBurnRate".into(),
                    severity: "page".into(),
                }]
            } else {
                vec![]
            };
            let remaining = f.map(|(remaining, _, _)| remaining);
            SloStatus::new(slo, f.is_some(), remaining, burn_rates, alerts)
        })
        .collect();
    let status = Status {
        at: Some(AT),
        slos: statuses,
    };
    let measurements = slos
        .iter()
        .map(|slo| {
            let m = Measurements {
                p95_ms: Some(420.0),
                p99_ms: Some(1_900.0),
                daily_sli_stddev: figures(&slo.name).map(|_| 0.0004),
                pages: Some(if slo.name == "checkout-availability" {
                    2.0
                } else {
                    0.0
                }),
            };
            (budget::key(slo), m)
        })
        .collect();
    let burn_down = slos
        .iter()
        .filter_map(|slo| {
            let (end, _, _) = figures(&slo.name)?;
            let span = slo.period.secs_f64();
            let points = (0..=10)
                .map(|i| {
                    let f = f64::from(i) / 10.0;
                    (AT - span + f * span, 1.0 - f * (1.0 - end))
                })
                .collect();
            Some((budget::key(slo), points))
        })
        .collect();
    build(
        &catalog,
        &slos,
        &status,
        &measurements,
        &burn_down,
        AT,
        today(),
    )
}

/// Compares `actual` with `src/live/report/testdata/<name>`; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/live/report/testdata"
    ))
    .join(name);
    slokit_test_support::check(&path, actual);
}

#[test]
fn text_report() {
    golden("report.txt", &text::render(&report()));
}

#[test]
fn markdown_report() {
    golden("report.md", &markdown::render(&report()));
}

#[test]
fn json_report() {
    let text = json::render(&report());
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let slo = |name: &str| {
        value["products"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| p["slos"].as_array().into_iter().flatten())
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} is in the report"))
    };
    assert_eq!(
        slo("checkout-availability")["decision"]["releases"],
        "blocked"
    );
    // The journey names the member that burns its budget.
    let journey = slo("checkout-journey");
    assert_eq!(journey["members"][1]["slo"], "checkout-availability");
    assert_eq!(journey["members"][1]["burnsMost"], true);
    assert_eq!(journey["members"][0]["burnsMost"], false);
    golden("report.json", &text);
}

#[test]
fn html_report_is_well_formed_and_has_a_chart_per_slo() {
    let report = report();
    let html = html::render(&report);
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, options)
        .unwrap_or_else(|e| panic!("not well-formed: {e}"));
    let slos: usize = report.products.iter().map(|p| p.slos.len()).sum();
    let charts = doc
        .descendants()
        .filter(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "svg")))
        .count();
    assert_eq!(charts, slos);
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "polyline")))
        .count();
    assert_eq!(lines, slos - 1, "homepage-probe has no data, so no line");
    assert!(
        !html.contains("http://") || !html.contains("src="),
        "no external resources"
    );
    golden("report.html", &html);
}
