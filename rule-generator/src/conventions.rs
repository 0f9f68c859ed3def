//! Every name the suite shares: series names, label names and windows. The generator writes these
//! series, the Grafana plugin and the dashboards read them, and `docs/metrics.md` documents them.
//! Nothing else in the workspace spells a series or label name out.
//!
//! Names are prefixed with `slokit` so they never collide with a user's labels, nor with Sloth's
//! (`sloth_*`, `slo:*`) or Pyrra's (`slo`, `pyrra_*`) series: teams can run both while migrating.

use crate::duration::Duration;

/// Identity labels on every series and alert the generator writes.
pub const LABEL_PRODUCT: &str = "slokit_product";
pub const LABEL_SERVICE: &str = "slokit_service";
pub const LABEL_SLO: &str = "slokit_slo";

/// Labels the user may not set, because the generator owns them.
pub const RESERVED_LABELS: &[&str] = &[
    LABEL_PRODUCT,
    LABEL_SERVICE,
    LABEL_SLO,
    "__name__",
    "le",
    "quantile",
];

/// The only window over which raw user metrics are read.
pub const BASE_WINDOW: Duration = Duration::from_mins(5);

/// The period when a spec names none.
pub const DEFAULT_PERIOD: Duration = Duration::from_days(30);

/// The placeholder Sloth and OpenSLO queries use for the rate window.
pub const WINDOW_PLACEHOLDER: &str = "{{.window}}";

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
