//! Every name the suite shares (crate `slokit-conventions`, used by the generator, the Grafana
//! plugin and the dashboards alike): series names, label names and windows. The generator writes these
//! series, the Grafana plugin and the dashboards read them, and `docs/metrics.md` documents them.
//! Nothing else in the workspace spells a series or label name out. Beside the names live the
//! rules every reader of those series must share: how a window is read ([`windows`]), the default
//! alert tiers ([`tiers`]), the default ladder of targets ([`ladder`]) and how label values are
//! written into PromQL ([`promql`]). It depends on nothing.
//!
//! Names are prefixed with `slokit` so they never collide with a user's labels, nor with Sloth's
//! (`sloth_*`, `slo:*`) or Pyrra's (`slo`, `pyrra_*`) series: teams can run both while migrating.

pub mod duration;
pub mod ladder;
pub mod legacy;
pub mod promql;
pub mod tiers;
pub mod windows;

use duration::Duration;
pub use tiers::{burn_factor, default_windows, DefaultTier, DefaultWindow, DEFAULT_TIERS};
pub use windows::{
    identity_labels, is_recorded_everywhere, is_standard_window, reads_hourly, window_average,
    window_burn_rate, window_error_ratio, window_rate, window_ratio, RECORDED_WINDOWS,
    SHORT_WINDOW_LIMIT, STANDARD_WINDOWS,
};

/// Identity labels on every series and alert the generator writes.
pub const LABEL_PRODUCT: &str = "slokit_product";
pub const LABEL_SERVICE: &str = "slokit_service";
pub const LABEL_SLO: &str = "slokit_slo";

/// Descriptive labels that only the info series (`slokit:slo:info`) carries.
pub const LABEL_OWNER: &str = "slokit_owner";
pub const LABEL_TIER: &str = "slokit_tier";
pub const LABEL_PHASE: &str = "slokit_phase";
pub const LABEL_SOURCE: &str = "slokit_source";
pub const LABEL_INDICATOR: &str = "slokit_indicator";
pub const LABEL_DISPLAY_NAME: &str = "slokit_display_name";
/// On the info series of a composite SLO (whose `slokit_indicator` is `composite`): how the
/// members combine (`events`, `weighted` or `all-good`) and the members, `product/slo` with their
/// weights (`storefront/catalog-availability*1,storefront/checkout-availability*2`).
pub const LABEL_COMPOSITE_METHOD: &str = "slokit_composite_method";
pub const LABEL_COMPOSITE_MEMBERS: &str = "slokit_composite_members";
/// `"true"` on the info series of a product's own SLO (the composite its `Product` declares with
/// `objectives`), the one its policy and release gate act on by default.
pub const LABEL_PRODUCT_SLO: &str = "slokit_product_slo";
/// The error-budget policy the SLO's product follows (its name), and the date the product's next
/// SLO review is due (`YYYY-MM-DD`; an SLO with its own review cadence and last review uses its
/// own); absent when the product names no policy or review cadence.
pub const LABEL_POLICY: &str = "slokit_policy";
pub const LABEL_REVIEW_DUE: &str = "slokit_review_due";

/// Labels of [`SERIES_BURN_RATE_THRESHOLD`]: the window pair an alert tier compares (with
/// [`LABEL_SEVERITY`] naming the tier).
pub const LABEL_LONG_WINDOW: &str = "slokit_long_window";
pub const LABEL_SHORT_WINDOW: &str = "slokit_short_window";

/// Labels of [`SERIES_POLICY_STEP`]: the step's name, its position in the policy (`0`, `1`, ...),
/// its condition (`budget_remaining_below`, `budget_exhausted` or `burn_rate_above`), the window a
/// burn-rate condition reads, what people must do, and whether `slo gate` blocks releases
/// (`true` or `false`).
pub const LABEL_POLICY_STEP: &str = "slokit_policy_step";
pub const LABEL_POLICY_ORDER: &str = "slokit_policy_order";
pub const LABEL_POLICY_CONDITION: &str = "slokit_policy_condition";
pub const LABEL_POLICY_WINDOW: &str = "slokit_policy_window";
pub const LABEL_POLICY_ACTION: &str = "slokit_policy_action";
pub const LABEL_POLICY_BLOCKS: &str = "slokit_policy_blocks_releases";
/// The values of [`LABEL_POLICY_CONDITION`], one per kind of policy step.
pub const POLICY_CONDITION_BUDGET_REMAINING_BELOW: &str = "budget_remaining_below";
pub const POLICY_CONDITION_BUDGET_EXHAUSTED: &str = "budget_exhausted";
pub const POLICY_CONDITION_BURN_RATE_ABOVE: &str = "burn_rate_above";

/// The label every alert carries to say how urgent it is.
pub const LABEL_SEVERITY: &str = "severity";

/// Prometheus's own series of pending and firing alerts, and its labels. `slo report`, `slo gate`
/// and `slo readiness` read it for alerts firing now and pages in the last 30 days.
pub const SERIES_ALERTS: &str = "ALERTS";
pub const LABEL_ALERT_NAME: &str = "alertname";
pub const LABEL_ALERT_STATE: &str = "alertstate";
/// The `alertstate` of an alert that is firing (rather than pending).
pub const ALERT_STATE_FIRING: &str = "firing";
/// The label of classic histogram buckets.
pub const LABEL_BUCKET: &str = "le";

/// Labels the user may not set, because the generator owns them.
pub const RESERVED_LABELS: &[&str] = &[
    LABEL_PRODUCT,
    LABEL_SERVICE,
    LABEL_SLO,
    LABEL_OWNER,
    LABEL_TIER,
    LABEL_PHASE,
    LABEL_SOURCE,
    LABEL_INDICATOR,
    LABEL_DISPLAY_NAME,
    LABEL_COMPOSITE_METHOD,
    LABEL_COMPOSITE_MEMBERS,
    LABEL_PRODUCT_SLO,
    LABEL_POLICY,
    LABEL_REVIEW_DUE,
    LABEL_LONG_WINDOW,
    LABEL_SHORT_WINDOW,
    LABEL_POLICY_STEP,
    LABEL_POLICY_ORDER,
    LABEL_POLICY_CONDITION,
    LABEL_POLICY_WINDOW,
    LABEL_POLICY_ACTION,
    LABEL_POLICY_BLOCKS,
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

/// Longer windows that are whole multiples of this step are averaged from the series recorded over
/// this window, read once per step with a subquery (`[30d:1h]` reads 720 points). The step is also
/// the largest error of those windows: the hour in progress is not yet counted.
pub const LONG_WINDOW_STEP: Duration = Duration::from_hours(1);

/// The sampling step of threshold (gauge) SLIs: the gauge is compared with its bound once per step
/// inside each 5m slice.
pub const GAUGE_STEP: Duration = Duration::from_mins(1);

/// Per-window event rates in events per second, with the identity and grouping labels. For
/// threshold SLIs an "event" is a second of one gauge series, so the rates are series counts.
pub const SERIES_TOTAL: &str = "slokit:events_total";
pub const SERIES_BAD: &str = "slokit:events_bad";
/// The SLI (share of good events) over the SLO's period.
pub const SERIES_SLI: &str = "slokit:sli:period";
/// `1 - period error ratio / error budget`, not clamped: below zero means overspent.
pub const SERIES_BUDGET_REMAINING: &str = "slokit:error_budget_remaining:period";
/// Constants per SLO: the objective (the error budget is `1 - objective`) and the period in seconds.
pub const SERIES_OBJECTIVE: &str = "slokit:objective:ratio";
pub const SERIES_PERIOD: &str = "slokit:period:seconds";
/// Value 1, carrying the descriptive labels.
pub const SERIES_INFO: &str = "slokit:slo:info";
/// One series per window pair of every alert tier of an SLO; the value is the tier's burn-rate
/// factor (14.4 for the default 1h/5m page at 30 days). Dashboards and the plugin draw these as
/// thresholds, so custom `burnRates` show their own factors.
pub const SERIES_BURN_RATE_THRESHOLD: &str = "slokit:burn_rate_threshold:factor";
/// One series per step of the error-budget policy an SLO follows; the value is the step's
/// threshold (budget ratio for `budget_remaining_below`, 0 for `budget_exhausted`, burn-rate factor
/// for `burn_rate_above`). The plugin evaluates the policy from these to show the action in force.
pub const SERIES_POLICY_STEP: &str = "slokit:policy_step:threshold";

/// The window suffix used for the SLO's own period in series names (`slokit:burn_rate:period`), so
/// that dashboards find it under one name whatever the period is.
pub const PERIOD_SUFFIX: &str = "period";

/// `slokit:events_total:rate1h` for a window, `slokit:events_total:rate_period` for the period.
pub fn rate_series(base: &str, window: Option<Duration>) -> String {
    match window {
        Some(w) => format!("{base}:rate{w}"),
        None => format!("{base}:rate_{PERIOD_SUFFIX}"),
    }
}

/// The fast rule group of one product, `slokit:<product>`: for each of its SLOs, base rates,
/// windows that change at every evaluation, the burn-rate and no-data alerts. It has no
/// `interval` and follows the server's global evaluation interval.
///
/// One group per product rather than per SLO: Prometheus's cost is per rule and per group (each
/// group is scheduled, evaluated and tracked on its own), and the rules of a group run in order,
/// so a composite placed after its members reads their values from the same evaluation.
pub fn rule_group_name(product: &str) -> String {
    format!("slokit:{product}")
}

/// The slow rule group of one product, `slokit:<product>:slow`, evaluated every
/// [`SLOW_GROUP_INTERVAL`]: everything that reads only the hour-aligned long windows (1d, 3d, the
/// period), the constants, the info series and the series for the plugin.
pub fn slow_rule_group_name(product: &str) -> String {
    format!("{}:{SLOW_GROUP_SUFFIX}", rule_group_name(product))
}

/// The suffix that tells a product's slow rule group from its fast one.
pub const SLOW_GROUP_SUFFIX: &str = "slow";

/// The `interval` of every slow rule group ([`slow_rule_group_name`]).
///
/// Why 2m30s: the long windows are `avg_over_time(<1h series>[W:1h])`, subqueries aligned to whole
/// hours, so they (and the burn rates, SLI, budget and alerts read from them) change once an hour;
/// evaluating them at a 30s global interval repeats the same answer 120 times an hour, and
/// slokit's evaluation cost is per rule. 2m30s is well under Prometheus's 5m lookback (staleness)
/// window, so an instant query or an alert in the fast group reading these series never finds a
/// gap, even when an evaluation runs late; and a new hour shows up within 2m30s of the
/// hour ending, which is small against the hour the long windows already lag by. Pyrra uses the
/// same interval for its slow group.
pub const SLOW_GROUP_INTERVAL: Duration = Duration::from_secs(150);

/// The uid of a product's Grafana dashboard: `slokit-<product>`, or when that exceeds Grafana's
/// 40 characters, a prefix of the name and an FNV-1a hash of the whole name. Stable across runs
/// and versions, so links in alerts keep working.
pub fn dashboard_uid(product: &str) -> String {
    let plain = format!("slokit-{product}");
    if plain.len() <= 40 {
        return plain;
    }
    let mut hash: u32 = 0x811c_9dc5;
    for byte in product.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let prefix: String = product.chars().take(22).collect();
    format!("slokit-{prefix}-{hash:08x}")
}

/// The Grafana dashboard variable that selects one SLO.
pub const DASHBOARD_VAR_SLO: &str = "slo";

/// Where an alert links to: the product dashboard focused on one SLO (a path under Grafana's root).
pub fn dashboard_path(product: &str, slo: &str) -> String {
    let mut query = String::new();
    for byte in slo.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            query.push(char::from(byte));
        } else {
            query.push_str(&format!("%{byte:02X}"));
        }
    }
    format!(
        "/d/{}?var-{DASHBOARD_VAR_SLO}={query}",
        dashboard_uid(product)
    )
}

/// The Grafana plugin's id (`plugin.json`), the type of its datasources.
pub const GRAFANA_PLUGIN_ID: &str = "slokit-slo-datasource";
/// The uids of the datasources `slo generate` provisions: the slokit plugin, and a plain Prometheus
/// datasource for the `prometheus` dashboard flavour, alert timelines and annotations.
pub const DATASOURCE_UID_PLUGIN: &str = "slokit";
pub const DATASOURCE_UID_PROMETHEUS: &str = "slokit-prometheus";
/// The uid of the overview dashboard. The underscore keeps it apart from every
/// [`dashboard_uid`], which starts with `slokit-`, whatever the products are called.
pub const OVERVIEW_DASHBOARD_UID: &str = "slokit_overview";
/// The tag on every generated dashboard, which the dashboards' link menus list.
pub const DASHBOARD_TAG: &str = "slokit";
/// The Grafana dashboard variables that select services and products.
pub const DASHBOARD_VAR_SERVICE: &str = "service";
pub const DASHBOARD_VAR_PRODUCT: &str = "product";

/// Where generated files go under `--out`.
pub const DIR_PROMETHEUS: &str = "prometheus";
pub const DIR_RULES: &str = "rules";
pub const DIR_TESTS: &str = "tests";
pub const DIR_OPERATOR: &str = "prometheus-operator";
pub const DIR_MIMIR: &str = "mimir";
pub const DIR_VMALERT: &str = "vmalert";
/// Grafana files: `grafana/dashboards/*.json` and `grafana/provisioning/{datasources,dashboards}`.
pub const DIR_GRAFANA: &str = "grafana";

/// Evaluation interval of generated promtool tests, and the sampling interval of their input
/// series. 5m evaluation keeps multi-day ticket tests fast; 1m input keeps `rate(x[5m])` defined
/// under both Prometheus 2 (closed ranges) and 3 (left-open ranges).
pub const TEST_EVAL_INTERVAL: Duration = Duration::from_mins(5);
pub const TEST_INPUT_INTERVAL: Duration = Duration::from_mins(1);
/// Evaluation interval of the tests of tiers whose windows are all an hour or longer (the ticket
/// tiers), written to `<product>.long.test.yml`: their inputs span days, and hourly evaluation
/// is fine enough for windows of hours.
pub const TEST_SLOW_EVAL_INTERVAL: Duration = Duration::from_hours(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_uids_are_short_and_stable() {
        assert_eq!(dashboard_uid("checkout"), "slokit-checkout");
        let long = dashboard_uid("a-very-long-product-name-that-goes-on-and-on");
        assert!(long.len() <= 40, "{long}");
        assert_eq!(
            long,
            dashboard_uid("a-very-long-product-name-that-goes-on-and-on")
        );
        assert_ne!(
            long,
            dashboard_uid("a-very-long-product-name-that-goes-on-and-ox")
        );
        assert_eq!(
            dashboard_path("shop", "a b"),
            "/d/slokit-shop?var-slo=a%20b"
        );
    }

    #[test]
    fn series_names() {
        assert_eq!(
            rate_series(SERIES_TOTAL, Some(BASE_WINDOW)),
            "slokit:events_total:rate5m"
        );
        assert_eq!(
            rate_series(SERIES_BAD, None),
            "slokit:events_bad:rate_period"
        );
    }

    #[test]
    fn rule_groups() {
        assert_eq!(rule_group_name("shop"), "slokit:shop");
        assert_eq!(slow_rule_group_name("shop"), "slokit:shop:slow");
        assert_eq!(SLOW_GROUP_INTERVAL.to_string(), "2m30s");
        // At most half of Prometheus's 5m lookback, so a late evaluation leaves no gap.
        assert!(SLOW_GROUP_INTERVAL.millis() * 2 <= Duration::from_mins(5).millis());
    }
}
