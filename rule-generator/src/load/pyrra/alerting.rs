//! Pyrra's alerts, in slokit's form. Pyrra alerts on four window pairs with fixed burn-rate
//! factors, its windows scaled from those of a 28-day period (1h/5m at 14x, 6h/30m at 7x, 1d/2h at
//! 2x, 4d/6h at 1x for 28 days; a 7-day SLO gets a quarter of each window) and rounded to the
//! minute; the first two are `critical`, the others `warning`. slokit alerts on exactly those
//! pairs and factors, one alert per severity. The absent alert (`SLOMetricAbsent`) is slokit's
//! no-data alert, after Pyrra's delay: the time the fastest pair needs to fire once every request
//! fails, plus that pair's `for`.
//!
//! Pyrra gives each pair its own `for` (2m, 15m, 1h and 3h at 28 days); slokit has one `for` per
//! SLO, so the shortest is used, and no alert fires later than Pyrra's would. Pyrra's `long`,
//! `short` and `exhaustion` alert labels are not written: slokit's alert description names the
//! pair that fired.

use crate::diag::Diagnostics;
use crate::duration::Duration;
use crate::load::decode::{Field, Map};
use crate::load::yaml::NodeKind;
use crate::model::{AlertTier, Alerting, BurnWindow};
use crate::promql;
use std::collections::BTreeMap;

/// The alert name Pyrra gives every burn-rate alert unless `alerting.name` says otherwise.
const DEFAULT_NAME: &str = "ErrorBudgetBurn";

/// One of Pyrra's window pairs, in 28ths of the period (and its `severities` key).
struct Row {
    key: &'static str,
    severity: &'static str,
    factor: f64,
    /// The divisors of the period: `period / long` and so on.
    long: u64,
    short: u64,
    wait: u64,
}

/// Pyrra's table, as divisors of the SLO period (`28 * 24` turns 28 days into 1 hour).
const ROWS: [Row; 4] = [
    Row {
        key: "fastBurn",
        severity: "critical",
        factor: 14.0,
        long: 28 * 24,
        short: 28 * 24 * 12,
        wait: 28 * 24 * 30,
    },
    Row {
        key: "mediumBurn",
        severity: "critical",
        factor: 7.0,
        long: 28 * 4,
        short: 28 * 24 * 2,
        wait: 28 * 24 * 4,
    },
    Row {
        key: "slowBurn",
        severity: "warning",
        factor: 2.0,
        long: 28,
        short: 28 * 12,
        wait: 28 * 24,
    },
    Row {
        key: "longTermBurn",
        severity: "warning",
        factor: 1.0,
        long: 7,
        short: 28 * 4,
        wait: 28 * 8,
    },
];

/// `period / divisor` rounded to the minute, halves away from zero, as Go's `Duration.Round`.
fn fraction(period: Duration, divisor: u64) -> Duration {
    let minute = 60_000;
    let exact = period.millis() / divisor;
    Duration::from_millis((exact + minute / 2) / minute * minute)
}

/// A window of at least a minute: Pyrra's shortest windows round to nothing for periods of a few
/// days, and a zero-length window measures nothing.
fn at_least_a_minute(d: Duration) -> Duration {
    d.max(Duration::from_mins(1))
}

/// The model's alerting for `alerting` (absent: Pyrra's defaults).
pub(super) fn alerting(
    field: Option<&Field<'_>>,
    period: Duration,
    objective: f64,
    annotations: BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> Option<Alerting> {
    let mut map = match field {
        Some(f) if !matches!(f.node.kind, NodeKind::Null) => f.map(diags)?,
        Some(f) => Map::empty(f.clone()),
        None => Map::empty(Field::new(&NULL, "spec.alerting")),
    };
    let flag = |map: &mut Map<'_>, key: &'static str, default: bool, diags: &mut Diagnostics| {
        map.get(key)
            .and_then(|f| f.boolean(diags))
            .unwrap_or(default)
    };
    let disabled = flag(&mut map, "disabled", false, diags);
    let burnrates = flag(&mut map, "burnrates", true, diags);
    let absent = flag(&mut map, "absent", true, diags);
    let name = match map.get("name") {
        Some(f) => {
            let name = f.non_empty(diags)?;
            if !promql::is_metric_name(&name) {
                diags.push(
                    f.error(format!(
                        "`{}` is not a valid alert name",
                        name.escape_debug()
                    ))
                    .help(
                        "alert names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, e.g. `APIErrorBudgetBurn`",
                    ),
                );
                return None;
            }
            name
        }
        None => DEFAULT_NAME.to_string(),
    };
    if let Some(f) = map.get("absentName") {
        diags.push(
            f.warning(
                "`absentName` is not used: the no-data alert is named after the burn-rate alert",
            )
            .note(format!("slokit names it `{name}NoData`"))
            .help("remove `absentName`, or route on the alert's labels"),
        );
    }
    if let Some(f) = map.get("burnRateType") {
        if f.scalar().is_some_and(|s| s.text == "dynamic") {
            diags.push(
                f.warning("dynamic burn rates are not supported; the static factors are used")
                    .note("Pyrra's dynamic mode lowers the factors when traffic is low; slokit alerts on the fixed factors 14, 7, 2 and 1")
                    .help("remove `burnRateType`"),
            );
        } else {
            f.string(diags);
        }
    }
    let severities = severities(&mut map, diags);
    map.finish_ignoring_unknown("Pyrra", diags);
    let severities = severities?;

    let mut tiers: Vec<AlertTier> = Vec::new();
    let mut shortest_wait: Option<Duration> = None;
    for (row, severity) in ROWS.iter().zip(&severities) {
        let long = at_least_a_minute(fraction(period, row.long));
        let short = at_least_a_minute(fraction(period, row.short)).min(long);
        let wait = fraction(period, row.wait);
        shortest_wait = Some(shortest_wait.map_or(wait, |w| w.min(wait)));
        let window = BurnWindow {
            long,
            short,
            factor: row.factor,
        };
        match tiers.iter_mut().find(|t| &t.severity == severity) {
            Some(tier) => tier.windows.push(window),
            None => tiers.push(AlertTier {
                severity: severity.clone(),
                windows: vec![window],
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
            }),
        }
    }
    let mut out = Alerting::with_tiers(if burnrates { tiers } else { Vec::new() });
    out.name = Some(name);
    out.annotations = annotations;
    out.for_duration = shortest_wait.filter(|w| w.millis() > 0 && burnrates);
    if absent {
        out.no_data = Some(absent_after(period, objective));
        // The absent alert is on even when the burn-rate alerts are off.
        out.enabled = true;
    }
    if disabled {
        out.enabled = false;
        out.no_data = None;
    }
    Some(out)
}

/// Pyrra's absent delay: with every request failing, the error ratio over the fastest pair's
/// long window reaches `factor * (1 - objective)` after that share of the window; then that
/// pair's `for` passes. Rounded to the minute, at least one.
fn absent_after(period: Duration, objective: f64) -> Duration {
    let row = &ROWS[0];
    let long = fraction(period, row.long);
    let seconds = (row.factor * (1.0 - objective) * (long.millis() / 1000) as f64) as u64;
    let total = Duration::from_millis(seconds * 1000 + fraction(period, row.wait).millis());
    at_least_a_minute(fraction(total, 1))
}

/// `severities`: the `severity` label of each pair, by Pyrra's names for them.
fn severities(map: &mut Map<'_>, diags: &mut Diagnostics) -> Option<Vec<String>> {
    let defaults: Vec<String> = ROWS.iter().map(|r| r.severity.to_string()).collect();
    let Some(field) = map.get("severities") else {
        return Some(defaults);
    };
    if matches!(field.node.kind, NodeKind::Null) {
        return Some(defaults);
    }
    let mut given = field.map(diags)?;
    let mut out = Vec::new();
    for (row, default) in ROWS.iter().zip(defaults) {
        let value = given
            .get(row.key)
            .and_then(|f| f.non_empty(diags))
            .unwrap_or(default);
        out.push(value);
    }
    // The absent alert's severity: slokit's no-data alert takes the last tier's.
    if let Some(f) = given.get("absent") {
        if let Some(value) = f.string(diags) {
            if Some(&value) != out.last() {
                diags.push(
                    f.warning(format!(
                        "the no-data alert gets the severity `{}`, not `{value}`",
                        out.last().map(String::as_str).unwrap_or("warning")
                    ))
                    .note("slokit gives the no-data alert the severity of the last burn-rate tier")
                    .help("remove `severities.absent`"),
                );
            }
        }
    }
    given.finish_ignoring_unknown("Pyrra", diags);
    Some(out)
}

/// The node behind a missing `alerting`, read as an empty mapping.
static NULL: crate::load::yaml::Node = crate::load::yaml::Node {
    kind: NodeKind::Null,
    span: crate::load::source::Span {
        file: crate::load::source::FileId(0),
        start: crate::load::source::Pos { line: 0, col: 0 },
        end: crate::load::source::Pos { line: 0, col: 0 },
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(period: &str) -> Vec<String> {
        let period = Duration::parse(period).unwrap();
        ROWS.iter()
            .map(|r| {
                format!(
                    "{}/{} for {}",
                    fraction(period, r.long),
                    fraction(period, r.short),
                    fraction(period, r.wait)
                )
            })
            .collect()
    }

    /// The windows Pyrra's generated rules show for 28 days, and Pyrra's rounding elsewhere.
    #[test]
    fn windows_scale_from_28_days_and_round_to_the_minute() {
        assert_eq!(
            pairs("28d"),
            [
                "1h/5m for 2m",
                "6h/30m for 15m",
                "1d/2h for 1h",
                "4d/6h for 3h"
            ]
        );
        assert_eq!(
            pairs("30d"),
            [
                "1h4m/5m for 2m",
                "6h26m/32m for 16m",
                "1d1h43m/2h9m for 1h4m",
                "4d6h51m/6h26m for 3h13m"
            ]
        );
        assert_eq!(
            pairs("7d"),
            [
                "15m/1m for 1m",
                "1h30m/8m for 4m",
                "6h/30m for 15m",
                "1d/1h30m for 45m"
            ]
        );
    }

    /// Pyrra's generated ratio rules (28 days, 99%) wait 10m before the absent alert.
    #[test]
    fn the_absent_delay_matches_pyrra() {
        assert_eq!(
            absent_after(Duration::from_days(28), 0.99).to_string(),
            "10m"
        );
    }
}
