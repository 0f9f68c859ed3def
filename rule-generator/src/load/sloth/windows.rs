//! Sloth's `AlertWindows` documents: a table of page and ticket window pairs for one SLO period,
//! each given as the share of the period's error budget it may spend. They are decoded in the
//! first pass, so that the table applies to every Sloth SLO of the run whatever the file order.

use super::Registry;
use crate::conventions::{burn_factor, DEFAULT_PERIOD};
use crate::diag::Diagnostics;
use crate::duration::Duration;
use crate::load::common;
use crate::load::decode::Field;
use crate::load::source::Span;
use crate::load::yaml::Document;
use crate::model::{AlertTier, BurnWindow};
use std::collections::BTreeMap;

pub(super) struct WindowTable {
    pub(super) period: Duration,
    pub(super) tiers: Vec<AlertTier>,
    pub(super) span: Span,
}

pub(super) fn alert_windows(doc: &Document, reg: &mut Registry, diags: &mut Diagnostics) {
    let Some(mut root) = Field::new(&doc.root, "").map(diags) else {
        return;
    };
    root.ignore(&["apiVersion", "kind", "metadata"]);
    let spec = root.required("spec", diags);
    root.finish_ignoring_unknown("Sloth", diags);
    let Some(mut spec) = spec.and_then(|f| f.map(diags)) else {
        return;
    };
    let period_field = spec.required("sloPeriod", diags);
    let period = period_field
        .as_ref()
        .and_then(|f| common::duration(f, diags));
    let mut tiers = Vec::new();
    for severity in ["page", "ticket"] {
        let Some(mut tier_map) = spec.required(severity, diags).and_then(|f| f.map(diags)) else {
            continue;
        };
        let mut windows = Vec::new();
        for speed in ["quick", "slow"] {
            if let Some(field) = tier_map.required(speed, diags) {
                if let Some(window) = alert_window(&field, period, diags) {
                    windows.push(window);
                }
            }
        }
        tier_map.finish_ignoring_unknown("Sloth", diags);
        tiers.push(AlertTier {
            severity: severity.to_string(),
            windows,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        });
    }
    spec.finish_ignoring_unknown("Sloth", diags);
    let (Some(period), Some(period_field)) = (period, period_field) else {
        return;
    };
    if let Some(first) = reg.windows.iter().find(|t| t.period == period) {
        diags.push(
            period_field
                .error(format!(
                    "alert windows for the period `{period}` are defined twice"
                ))
                .note_at("first defined", first.span)
                .help("keep one `AlertWindows` document per period"),
        );
        return;
    }
    if period != DEFAULT_PERIOD {
        diags.push(
            period_field
                .warning(format!(
                    "alert windows for `{period}` are not used: every Sloth SLO has a {DEFAULT_PERIOD} period"
                ))
                .note("Sloth picks the period of all SLOs by command-line flag; slokit has no such flag and reads Sloth SLOs as 30 days")
                .help("to measure an SLO over another period, write it in the `slo.dev/v1` format, which sets a window per SLO"),
        );
    }
    reg.windows.push(WindowTable {
        period,
        tiers,
        span: period_field.span(),
    });
}

/// One `quick` or `slow` window: alert when `errorBudgetPercent` of the period's budget would be
/// spent within `longWindow`, so the burn-rate factor is `share * period / longWindow`.
fn alert_window(
    field: &Field<'_>,
    period: Option<Duration>,
    diags: &mut Diagnostics,
) -> Option<BurnWindow> {
    let mut map = field.map(diags)?;
    let percent_field = map.required("errorBudgetPercent", diags);
    let short_field = map.required("shortWindow", diags);
    let long_field = map.required("longWindow", diags);
    map.finish_ignoring_unknown("Sloth", diags);
    let percent_field = percent_field?;
    let percent = percent_field.number(diags)?;
    if !(percent > 0.0 && percent <= 100.0) {
        diags.push(percent_field.error(format!(
            "`errorBudgetPercent` is {}; it must be above 0 and at most 100",
            common::trim_float(percent)
        )));
        return None;
    }
    let short = common::duration(&short_field?, diags)?;
    let long_field = long_field?;
    let long = common::duration(&long_field, diags)?;
    if short >= long {
        diags.push(
            long_field
                .error(format!(
                    "`longWindow` `{long}` must be longer than `shortWindow` `{short}`"
                ))
                .help("the short window confirms that the long window's burn is still going on; swap them"),
        );
        return None;
    }
    let period = period?;
    if long > period {
        diags.push(long_field.error(format!(
            "`longWindow` `{long}` is longer than the SLO period `{period}`"
        )));
        return None;
    }
    Some(BurnWindow {
        long,
        short,
        factor: crate::conventions::tiers::round_factor(burn_factor(percent / 100.0, period, long)),
    })
}
