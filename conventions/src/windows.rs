//! How a window is read from the series slokit records: the one rule the rules, the budget
//! queries, the dashboards and the plugin all follow, so that a window means the same number
//! wherever it is shown.
//!
//! Raw metrics are read over [`BASE_WINDOW`] only (the `slokit:events_*:rate5m` series). A window
//! up to [`SHORT_WINDOW_LIMIT`], or one that is not a whole number of hours, is the average of the
//! 5m rate over the window (`avg_over_time(x:rate5m[45m])`): fresh at every evaluation, and a
//! traffic-weighted ratio of sums once bad is divided by total. A longer window of whole hours is
//! the average of the 1h rate sampled once an hour (`avg_over_time(x:rate1h[7d:1h])`): the sum of
//! non-overlapping hours, 168 points for a week, lagging by at most the hour in progress. The
//! rules record only the 5m and 1h rates ([`RECORDED_WINDOWS`]) and the period's, so readers take
//! those as recorded and compute every other window with [`window_average`]: alerts inside their
//! expressions, dashboards and the plugin when they read. Recording fewer series is what keeps an
//! SLO at fewer active series than Sloth's (BENCHMARKS.md), and computing a window on read costs
//! what recording it cost, once per read instead of once per evaluation.

use crate::duration::Duration;
use crate::{
    rate_series, BASE_WINDOW, LABEL_PRODUCT, LABEL_SERVICE, LABEL_SLO, LONG_WINDOW_STEP,
    SERIES_BAD, SERIES_OBJECTIVE, SERIES_TOTAL,
};

/// The windows whose event rates every SLO records (besides its period): the base window, the
/// only one raw metrics are read over, and the hour, whose rate long windows are read from.
pub const RECORDED_WINDOWS: [Duration; 2] = [BASE_WINDOW, LONG_WINDOW_STEP];

/// The windows dashboards and the plugin show for every SLO whatever its alert tiers: the windows
/// of the default tiers. They are computed when read ([`window_rate`]).
pub const STANDARD_WINDOWS: [Duration; 6] = [
    Duration::from_mins(30),
    Duration::from_hours(1),
    Duration::from_hours(2),
    Duration::from_hours(6),
    Duration::from_days(1),
    Duration::from_days(3),
];

/// Windows up to this length are averaged from the 5m series directly (at most 6h / 30s = 720
/// samples per evaluation at a 30s interval).
pub const SHORT_WINDOW_LIMIT: Duration = Duration::from_hours(6);

/// Whether a window is averaged from the 1h series read once an hour (`[W:1h]`): longer than
/// [`SHORT_WINDOW_LIMIT`] and a whole number of hours. Such a window, and everything computed
/// only from such windows, changes once an hour.
pub fn reads_hourly(window: Duration) -> bool {
    window > SHORT_WINDOW_LIMIT && window.millis() % LONG_WINDOW_STEP.millis() == 0
}

/// Whether `window` is one every reader offers for every SLO: the base window or a standard
/// window (the plugin accepts these, and the dashboards show them).
pub fn is_standard_window(window: Duration) -> bool {
    window == BASE_WINDOW || STANDARD_WINDOWS.contains(&window)
}

/// Whether every SLO's rules record `window` ([`RECORDED_WINDOWS`]), so that a reader can select
/// the recorded series instead of computing the window.
pub fn is_recorded_everywhere(window: Duration) -> bool {
    RECORDED_WINDOWS.contains(&window)
}

/// The event rate `base` ([`SERIES_TOTAL`] or [`SERIES_BAD`]) over `window`, computed from the
/// recorded 5m or 1h rate (see the module docs). `select` turns a series name into a selector,
/// adding whatever matchers the caller needs (one SLO's identity, a product, a dashboard scope).
///
/// A window read hourly has no hourly point to read in the first hour after the rules are loaded
/// (the subquery samples whole hours), so it would be absent until the next hour begins: a fresh
/// install would show no long windows, SLI or budget. Until an hourly point exists, the latest 1h
/// rate stands in, which then holds all the data there is: `(avg_over_time(x[7d:1h]) or x)`.
pub fn window_average(base: &str, window: Duration, select: impl Fn(&str) -> String) -> String {
    if reads_hourly(window) {
        let hourly = select(&rate_series(base, Some(LONG_WINDOW_STEP)));
        format!("(avg_over_time({hourly}[{window}:{LONG_WINDOW_STEP}]) or {hourly})")
    } else {
        format!(
            "avg_over_time({}[{window}])",
            select(&rate_series(base, Some(BASE_WINDOW)))
        )
    }
}

/// The event rate `base` over `window` as a reader gets it: the recorded series when every SLO
/// records the window, else [`window_average`].
pub fn window_rate(base: &str, window: Duration, select: impl Fn(&str) -> String) -> String {
    if is_recorded_everywhere(window) {
        select(&rate_series(base, Some(window)))
    } else {
        window_average(base, window, select)
    }
}

/// The error ratio over `window` as a reader shows it: bad over total, 0 when the window saw no
/// events (never NaN), absent only when the SLO's series do not exist.
pub fn window_error_ratio(window: Duration, select: impl Fn(&str) -> String) -> String {
    let bad = window_rate(SERIES_BAD, window, &select);
    let total = window_rate(SERIES_TOTAL, window, &select);
    format!("(({bad} / ({total} > 0)) or (0 * {total}))")
}

/// The error ratio over `window` for a comparison: plain bad over total. A window without events
/// gives NaN, which compares false, so an alert stays silent without the cost of the guard (which
/// reads the total twice).
pub fn window_ratio(window: Duration, select: impl Fn(&str) -> String) -> String {
    let bad = window_rate(SERIES_BAD, window, &select);
    let total = window_rate(SERIES_TOTAL, window, &select);
    format!("({bad} / {total})")
}

/// `slokit_product, slokit_service, slokit_slo`: the labels that identify an SLO.
pub fn identity_labels() -> String {
    format!("{LABEL_PRODUCT}, {LABEL_SERVICE}, {LABEL_SLO}")
}

/// The burn rate over `window` of every SLO `select` picks (and each of its groups): the error
/// ratio as a reader shows it, divided by each SLO's error budget (`1 - objective`, from the
/// recorded objective, matched on the SLO's identity).
pub fn window_burn_rate(window: Duration, select: impl Fn(&str) -> String) -> String {
    format!(
        "{} / on ({}) group_left () (1 - {})",
        window_error_ratio(window, &select),
        identity_labels(),
        select(SERIES_OBJECTIVE)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(name: &str) -> String {
        format!("{name}{{a=\"b\"}}")
    }

    #[test]
    fn short_and_odd_windows_average_the_5m_rate_long_whole_hours_the_1h_rate() {
        assert_eq!(
            window_average(SERIES_BAD, Duration::from_mins(45), plain),
            "avg_over_time(slokit:events_bad:rate5m{a=\"b\"}[45m])"
        );
        assert_eq!(
            window_average(SERIES_BAD, Duration::parse("7h30m").unwrap(), plain),
            "avg_over_time(slokit:events_bad:rate5m{a=\"b\"}[7h30m])"
        );
        assert_eq!(
            window_average(SERIES_TOTAL, Duration::from_days(7), plain),
            "(avg_over_time(slokit:events_total:rate1h{a=\"b\"}[7d:1h]) or slokit:events_total:rate1h{a=\"b\"})"
        );
        assert!(!reads_hourly(SHORT_WINDOW_LIMIT));
        assert!(reads_hourly(Duration::from_hours(7)));
    }

    #[test]
    fn recorded_windows_are_selected_as_recorded() {
        assert_eq!(
            window_rate(SERIES_TOTAL, Duration::from_hours(1), plain),
            "slokit:events_total:rate1h{a=\"b\"}"
        );
        assert_eq!(
            window_rate(SERIES_TOTAL, Duration::from_hours(6), plain),
            "avg_over_time(slokit:events_total:rate5m{a=\"b\"}[6h])"
        );
        assert_eq!(
            window_rate(SERIES_TOTAL, Duration::from_hours(12), plain),
            "(avg_over_time(slokit:events_total:rate1h{a=\"b\"}[12h:1h]) or slokit:events_total:rate1h{a=\"b\"})"
        );
    }
}
