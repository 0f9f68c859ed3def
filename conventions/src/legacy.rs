//! The names the legacy tools slokit replaces give their series, for `slo compare`, which reads
//! them next to slokit's on one Prometheus while a team migrates. They are the legacy tools'
//! conventions, not slokit's, and are never written by slokit; they live here so that every series
//! and label name the workspace reads is spelled in this crate.
//!
//! Sloth (`sloth generate`, see `shared/anchors/sloth`): `slo:sli_error:ratio_rate<window>` per
//! window, identified by `sloth_service` and `sloth_slo`; the period's burn rate, error budget,
//! budget remaining, objective and period in days. Pyrra (see `shared/anchors/pyrra`):
//! `<metric>:burnrate<window>` (an error ratio despite the name), `pyrra_availability`,
//! `pyrra_objective` and `pyrra_window` (seconds), identified by `slo`.

/// Sloth's label for the service.
pub const SLOTH_LABEL_SERVICE: &str = "sloth_service";
/// Sloth's label for the SLO's name.
pub const SLOTH_LABEL_SLO: &str = "sloth_slo";
/// Sloth's label for the `<service>-<slo>` id, which every rule matches on.
pub const SLOTH_LABEL_ID: &str = "sloth_id";
/// The label Sloth puts its alerts' severity in (`page`, `ticket`).
pub const SLOTH_LABEL_SEVERITY: &str = "sloth_severity";

/// Sloth's error ratio over `window` (a Prometheus duration as Go prints it: `5m`, `1d`, `3d`).
pub fn sloth_error_ratio(window: &str) -> String {
    format!("slo:sli_error:ratio_rate{window}")
}

/// Sloth's period burn rate: the period's error ratio divided by the error budget.
pub const SLOTH_PERIOD_BURN_RATE: &str = "slo:period_burn_rate:ratio";
/// Sloth's error budget (`1 - objective`).
pub const SLOTH_ERROR_BUDGET: &str = "slo:error_budget:ratio";
/// Sloth's budget remaining over the period.
pub const SLOTH_BUDGET_REMAINING: &str = "slo:period_error_budget_remaining:ratio";
/// Sloth's objective as a ratio.
pub const SLOTH_OBJECTIVE: &str = "slo:objective:ratio";
/// Sloth's period in days.
pub const SLOTH_PERIOD_DAYS: &str = "slo:time_period:days";

/// Pyrra's label for the SLO's name (`metadata.name`).
pub const PYRRA_LABEL_SLO: &str = "slo";
/// The suffix of Pyrra's error ratio over `window`: `<metric>:burnrate<window>`.
pub fn pyrra_error_ratio_suffix(window: &str) -> String {
    format!(":burnrate{window}")
}
/// Pyrra's availability over the period (`1 -` the error ratio).
pub const PYRRA_AVAILABILITY: &str = "pyrra_availability";
/// Pyrra's objective as a ratio.
pub const PYRRA_OBJECTIVE: &str = "pyrra_objective";
/// Pyrra's period in seconds.
pub const PYRRA_WINDOW: &str = "pyrra_window";

/// The label holding a series' name, which Pyrra's series are discovered by.
pub const LABEL_METRIC_NAME: &str = "__name__";
