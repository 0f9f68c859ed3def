//! The default multi-window, multi-burn-rate alert tiers, as data, and the factors they give for
//! any period. The generator writes them into alerts; the plugin draws them as thresholds for
//! rules that do not record their own; both derive them here.

use crate::duration::Duration;

/// One row of the default alert table: alert when `budget_share` of the period's error budget would
/// be spent within `long` at the current rate, confirmed over `short`.
#[derive(Clone, Copy, Debug)]
pub struct DefaultTier {
    pub severity: &'static str,
    pub budget_share: f64,
    pub long: Duration,
    pub short: Duration,
}

/// The multi-window, multi-burn-rate table from the Google SRE Workbook, chapter 5 ("Alerting on
/// SLOs"), table 5-8: for a 30-day period it yields 14.4x (1h/5m) and 6x (6h/30m) pages, and 3x
/// (1d/2h) and 1x (3d/6h) tickets. Other periods keep the windows and the budget shares, so each
/// tier still means the same share of budget; the factor is `budget_share * period / long`.
pub const DEFAULT_TIERS: [DefaultTier; 4] = [
    DefaultTier {
        severity: "page",
        budget_share: 0.02,
        long: Duration::from_hours(1),
        short: Duration::from_mins(5),
    },
    DefaultTier {
        severity: "page",
        budget_share: 0.05,
        long: Duration::from_hours(6),
        short: Duration::from_mins(30),
    },
    DefaultTier {
        severity: "ticket",
        budget_share: 0.10,
        long: Duration::from_days(1),
        short: Duration::from_hours(2),
    },
    DefaultTier {
        severity: "ticket",
        budget_share: 0.10,
        long: Duration::from_days(3),
        short: Duration::from_hours(6),
    },
];

/// The burn-rate factor that spends `budget_share` of a `period` budget within `long`.
pub fn burn_factor(budget_share: f64, period: Duration, long: Duration) -> f64 {
    budget_share * period.millis() as f64 / long.millis() as f64
}

/// Rounds a computed factor to 6 significant decimals so that 14.4 prints as `14.4`.
pub fn round_factor(factor: f64) -> f64 {
    (factor * 1e6).round() / 1e6
}

/// One window pair of a default tier, with its factor for a given period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefaultWindow {
    pub severity: &'static str,
    pub long: Duration,
    pub short: Duration,
    pub factor: f64,
}

/// The default window pairs for `period`, in the order of [`DEFAULT_TIERS`].
///
/// Each row keeps its share of budget, so its factor scales with the period. For periods shorter
/// than 30 days that would push the ticket factors below 1 (0.23x over 3d for a 7-day period),
/// which alerts on a burn the budget can afford: a healthy service would page its owners forever.
/// Factors are therefore never below 1x, the rate that spends the budget exactly over the period.
pub fn default_windows(period: Duration) -> Vec<DefaultWindow> {
    DEFAULT_TIERS
        .iter()
        .map(|row| DefaultWindow {
            severity: row.severity,
            long: row.long,
            short: row.short,
            factor: round_factor(burn_factor(row.budget_share, period, row.long).max(1.0)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_days_give_the_workbook_factors_and_short_periods_never_go_below_one() {
        let factors: Vec<f64> = default_windows(Duration::from_days(30))
            .iter()
            .map(|w| w.factor)
            .collect();
        assert_eq!(factors, [14.4, 6.0, 3.0, 1.0]);
        let week: Vec<f64> = default_windows(Duration::from_days(7))
            .iter()
            .map(|w| w.factor)
            .collect();
        assert_eq!(week, [3.36, 1.4, 1.0, 1.0]);
    }
}
