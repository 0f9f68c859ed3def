//! Recording rules for one SLO. Only the two base rules read the user's metrics, and only over
//! [`BASE_WINDOW`]; every longer window averages recorded 5m rates (up to 6h) or recorded 1h rates
//! read hourly through a subquery (longer windows), so no rule re-reads days of raw samples.
//!
//! Rates of total and bad events are recorded separately for every window, and error ratios are
//! only formed at the end as `bad / total`. Because the total and bad series of one window are
//! averaged over the same sample times, the ratio of their averages is the ratio of the event sums:
//! long windows are traffic-weighted and exact, not an average of 5m ratios.

use super::{aggregate, budget, identity_labels, number, on_groups, record, series, windows};
use crate::conventions::{
    rate_series, BASE_WINDOW, GAUGE_STEP, LABEL_DISPLAY_NAME, LABEL_INDICATOR, LABEL_OWNER,
    LABEL_PHASE, LABEL_SOURCE, LABEL_TIER, LONG_WINDOW_STEP, SERIES_BAD, SERIES_BUDGET_REMAINING,
    SERIES_ERROR_BUDGET, SERIES_INFO, SERIES_OBJECTIVE, SERIES_PERIOD, SERIES_SLI, SERIES_TOTAL,
    SHORT_WINDOW_LIMIT,
};
use crate::duration::Duration;
use crate::emit::Value;
use crate::model::{
    Comparison, Counted, EventSource, Indicator, LatencyIndicator, MatchOp, Matcher, Selector, Slo,
    ThresholdIndicator,
};
use crate::promql::{fill_window, render_selector};

/// Every recording rule of one SLO, in evaluation order: a rule only reads series recorded by
/// rules before it in the same group, so each evaluation sees fresh values.
pub fn recording_rules(slo: &Slo) -> Vec<Value> {
    let mut rules = Vec::new();
    let (total, bad) = base_rates(slo);
    let base = Some(BASE_WINDOW);
    rules.push(record(
        &rate_series(SERIES_TOTAL, base),
        total,
        identity_labels(slo),
    ));
    rules.push(record(
        &rate_series(SERIES_BAD, base),
        bad,
        identity_labels(slo),
    ));

    let mut recorded: Vec<Option<Duration>> = vec![base];
    for window in windows(slo).into_iter().filter(|w| *w != BASE_WINDOW) {
        recorded.push(Some(window));
    }
    recorded.push(None);
    for window in recorded.iter().skip(1) {
        for name in [SERIES_TOTAL, SERIES_BAD] {
            rules.push(record(
                &rate_series(name, *window),
                window_average(slo, name, window.unwrap_or(slo.period)),
                identity_labels(slo),
            ));
        }
    }
    for window in &recorded {
        rules.push(record(
            &crate::conventions::burn_rate_series(*window),
            format!("(\n  {}\n)\n/ {}", error_ratio(slo, *window), budget(slo)),
            identity_labels(slo),
        ));
    }
    rules.push(record(
        SERIES_SLI,
        format!("1 - (\n  {}\n)", error_ratio(slo, None)),
        identity_labels(slo),
    ));
    rules.push(record(
        SERIES_BUDGET_REMAINING,
        format!(
            "1 - {}",
            series(slo, &crate::conventions::burn_rate_series(None))
        ),
        identity_labels(slo),
    ));
    rules.extend(metadata_rules(slo));
    rules
}

/// `bad / total` over a window, 0 when the window saw no events (never NaN), absent only when the
/// SLO's series do not exist at all.
fn error_ratio(slo: &Slo, window: Option<Duration>) -> String {
    let total = series(slo, &rate_series(SERIES_TOTAL, window));
    let bad = series(slo, &rate_series(SERIES_BAD, window));
    format!("{bad}\n  / ({total} > 0)\n  or\n  0 * {total}")
}

/// The average of the 5m rate over `window`: directly for short windows, and for long ones from
/// the 1h series sampled once an hour, which sums whole hours without overlap.
fn window_average(slo: &Slo, name: &str, window: Duration) -> String {
    let step = LONG_WINDOW_STEP.millis();
    if window <= SHORT_WINDOW_LIMIT || window.millis() % step != 0 {
        format!(
            "avg_over_time({}[{window}])",
            series(slo, &rate_series(name, Some(BASE_WINDOW)))
        )
    } else {
        format!(
            "avg_over_time({}[{window}:{LONG_WINDOW_STEP}])",
            series(slo, &rate_series(name, Some(LONG_WINDOW_STEP)))
        )
    }
}

/// The two base expressions (total, bad) per second over the base window, by grouping labels.
fn base_rates(slo: &Slo) -> (String, String) {
    let by = &slo.group_by;
    let total_5m = series(slo, &rate_series(SERIES_TOTAL, Some(BASE_WINDOW)));
    // A bad-event source that matches nothing means no bad events, not a missing SLI. The zero
    // side is summed to the grouping labels so that both sides of `or` carry the same labels:
    // otherwise the rule yields two differently labelled series that become one once the rule's
    // labels are added, and `promtool tsdb create-blocks-from rules` rejects the result as out of
    // order samples whenever the bad series comes and goes.
    let total_by = if by.is_empty() {
        format!("sum({total_5m})")
    } else {
        format!("sum by ({}) ({total_5m})", by.join(", "))
    };
    let or_zero = format!("or {}\n0 * {total_by}", on_groups(by));
    let bad_from_good = |good: String| {
        format!(
            "clamp_min(\n  {total_5m}\n  - {}\n  (\n    {}\n    {}\n  ),\n  0\n)",
            on_groups(by),
            indent(&good, 4),
            or_zero.replace('\n', " ")
        )
    };
    match &slo.indicator {
        Indicator::Ratio(ratio) => {
            let total = source_rate(&ratio.total, by);
            let numerator = source_rate(&ratio.numerator, by);
            let bad = match ratio.counts {
                Counted::Bad => format!("{numerator}\n{or_zero}"),
                Counted::Good => bad_from_good(numerator),
            };
            (total, bad)
        }
        Indicator::Latency(latency) if latency.native => native_latency(latency, by, &or_zero),
        Indicator::Latency(latency) => {
            let base = histogram_base(&latency.histogram.metric);
            let count = Selector {
                metric: format!("{base}_count"),
                matchers: latency.histogram.matchers.clone(),
            };
            let bucket = Selector {
                metric: format!("{base}_bucket"),
                matchers: latency.histogram.matchers.clone(),
            };
            let le = Matcher {
                label: "le".into(),
                op: MatchOp::Regex,
                value: le_regex(latency.threshold),
            };
            let total = counter_rate(&count, &[], by);
            let good = counter_rate(&bucket, &[le], by);
            (total, bad_from_good(good))
        }
        Indicator::Threshold(threshold) => gauge_rates(threshold, by),
        Indicator::Raw { error_ratio } => {
            // Only a time average is possible: each 5m slice counts as one event per series whose
            // badness is the ratio itself. NaN and negative ratios are dropped by `>= 0`.
            let ratio = fill_window(&error_ratio.template, &BASE_WINDOW.to_string());
            let ratio = format!("({}) >= 0", ratio.trim());
            (
                format!("{}\n  {}\n)", aggregate("count", by), indent(&ratio, 2)),
                format!("{}\n  {}\n)", aggregate("sum", by), indent(&ratio, 2)),
            )
        }
    }
}

fn native_latency(latency: &LatencyIndicator, by: &[String], or_zero: &str) -> (String, String) {
    let rate = format!(
        "{}rate({}[{BASE_WINDOW}]))",
        aggregate("sum", by),
        render_selector(&latency.histogram, &[])
    );
    let total = format!("histogram_count({rate})");
    // A histogram with no observations has a NaN fraction; `>= 0` drops it and `or` makes it 0.
    let bad = format!(
        "(\n  histogram_count({rate})\n  * (1 - histogram_fraction(0, {}, {rate}))\n) >= 0\n{or_zero}",
        number(latency.threshold)
    );
    (total, bad)
}

fn gauge_rates(threshold: &ThresholdIndicator, by: &[String]) -> (String, String) {
    // Good time: each gauge series contributes one second per second; a bad second is one where
    // the gauge fails the bound, sampled every GAUGE_STEP inside the 5m slice.
    let inverted = match threshold.op {
        Comparison::Less => ">=",
        Comparison::LessOrEqual => ">",
        Comparison::Greater => "<=",
        Comparison::GreaterOrEqual => "<",
        Comparison::Equal => "!=",
    };
    let slice = format!(
        "avg_over_time(({} {inverted} bool {})[{BASE_WINDOW}:{GAUGE_STEP}])",
        render_selector(&threshold.gauge, &[]),
        number(threshold.bound)
    );
    (
        format!("{}{slice})", aggregate("count", by)),
        format!("{}{slice})", aggregate("sum", by)),
    )
}

fn source_rate(source: &EventSource, by: &[String]) -> String {
    match source {
        EventSource::Counter(selector) => counter_rate(selector, &[], by),
        EventSource::Query(query) => {
            let filled = fill_window(&query.template, &BASE_WINDOW.to_string());
            format!(
                "{}\n  {}\n)",
                aggregate("sum", by),
                indent(filled.trim(), 2)
            )
        }
    }
}

fn counter_rate(selector: &Selector, extra: &[Matcher], by: &[String]) -> String {
    format!(
        "{}rate({}[{BASE_WINDOW}]))",
        aggregate("sum", by),
        render_selector(selector, extra)
    )
}

/// Strips a `_bucket`, `_count` or `_sum` suffix a spec may have written on a histogram name.
pub fn histogram_base(metric: &str) -> &str {
    ["_bucket", "_count", "_sum"]
        .iter()
        .find_map(|suffix| metric.strip_suffix(suffix))
        .unwrap_or(metric)
}

/// A regex matching every way a client or Prometheus version writes the bucket bound `threshold`:
/// Prometheus 2 keeps `le="1"` and `le="0.5"` as exposed, Prometheus 3 normalises to `le="1.0"`,
/// and Go clients write very small or large bounds with an exponent (`1e-05`).
pub fn le_regex(threshold: f64) -> String {
    let plain = number(threshold);
    let mut alternatives = Vec::new();
    if plain.contains('.') {
        alternatives.push(format!("{}0*", plain.replace('.', "\\.")));
    } else if plain.contains('e') {
        alternatives.push(plain.clone());
    } else {
        alternatives.push(format!("{plain}(\\.0*)?"));
    }
    // Go's `%g` switches to an exponent below 1e-4 and from 1e21; Rust prints `1e-5`, Go `1e-05`.
    if threshold != 0.0 && (threshold.abs() < 1e-4 || threshold.abs() >= 1e21) {
        let rust = format!("{threshold:e}");
        if let Some((mantissa, exponent)) = rust.split_once('e') {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(d) => ("-", d),
                None => ("\\+", exponent),
            };
            let mantissa = mantissa.replace('.', "\\.");
            alternatives.push(format!("{mantissa}e{sign}0*{digits}"));
        }
    }
    alternatives.join("|")
}

fn metadata_rules(slo: &Slo) -> Vec<Value> {
    let mut rules = vec![
        record(
            SERIES_OBJECTIVE,
            format!("vector({})", number(slo.objective)),
            identity_labels(slo),
        ),
        record(
            SERIES_ERROR_BUDGET,
            format!("vector({})", budget(slo)),
            identity_labels(slo),
        ),
        record(
            SERIES_PERIOD,
            format!("vector({})", number(slo.period.secs_f64())),
            identity_labels(slo),
        ),
    ];
    rules.push(record(SERIES_INFO, "vector(1)".into(), info_labels(slo)));
    rules
}

/// The info series' labels: identity, then ours, then the SLO's own labels (which may not reuse
/// ours; the loaders reject reserved names, and ours win if one slips through).
pub fn info_labels(slo: &Slo) -> Vec<(String, Value)> {
    let mut labels = identity_labels(slo);
    let phase = slo
        .phases
        .as_ref()
        .and_then(|p| p.list.get(p.current))
        .map(|p| p.name.clone());
    let ours = [
        (LABEL_DISPLAY_NAME, slo.display_name.clone()),
        (LABEL_INDICATOR, Some(slo.indicator.kind().to_string())),
        (LABEL_OWNER, slo.owner.clone()),
        (LABEL_PHASE, phase),
        (LABEL_SOURCE, Some(slo.origin.file.clone())),
        (LABEL_TIER, slo.tier.clone()),
    ];
    for (name, value) in ours {
        if let Some(value) = value {
            labels.push((name.to_string(), Value::Str(value)));
        }
    }
    for (name, value) in &slo.labels {
        if !labels.iter().any(|(n, _)| n == name) {
            labels.push((name.clone(), Value::str(value)));
        }
    }
    labels
}

fn indent(text: &str, spaces: usize) -> String {
    text.replace('\n', &format!("\n{}", " ".repeat(spaces)))
}

#[cfg(test)]
mod unit {
    use super::*;

    fn check(threshold: f64, expected: &str) {
        assert_eq!(le_regex(threshold), expected, "threshold {threshold}");
    }

    #[test]
    fn le_matches_every_spelling() {
        check(0.5, "0\\.50*");
        check(1.0, "1(\\.0*)?");
        check(10.0, "10(\\.0*)?");
        check(0.25, "0\\.250*");
        check(0.00001, "0\\.000010*|1e-0*5");
        let le = |threshold: f64, spelled: &str| {
            let matcher = Matcher {
                label: "le".into(),
                op: MatchOp::Regex,
                value: le_regex(threshold),
            };
            crate::render::tests::matcher_accepts(&matcher, spelled)
        };
        for spelled in ["1", "1.0", "1.00"] {
            assert!(le(1.0, spelled), "{spelled}");
        }
        for other in ["10", "0.1", "1.5", "11"] {
            assert!(!le(1.0, other), "{other}");
        }
        assert!(le(0.5, "0.5") && le(0.5, "0.50") && !le(0.5, "0.55"));
        assert!(le(0.00001, "1e-05") && le(0.00001, "0.00001"));
    }

    #[test]
    fn histogram_names_lose_their_suffix() {
        assert_eq!(histogram_base("h_seconds_bucket"), "h_seconds");
        assert_eq!(histogram_base("h_seconds"), "h_seconds");
    }
}

#[cfg(test)]
mod base_expressions {
    use super::*;
    use crate::render::fixtures;

    fn check(slo: Slo, expected_total: &str, expected_bad: &str) {
        let (total, bad) = base_rates(&slo);
        assert_eq!(total, expected_total, "total of {}", slo.name);
        assert_eq!(bad, expected_bad, "bad of {}", slo.name);
    }

    #[test]
    fn base_rates_per_indicator_kind() {
        check(
            fixtures::availability("shop"),
            r#"sum (rate(http_requests_total{job="api"}[5m]))"#,
            r#"sum (rate(http_requests_total{job="api",status_code=~"5.."}[5m]))
or on ()
0 * sum(slokit:events_total:rate5m{slokit_product="shop",slokit_service="api-service",slokit_slo="api-service-availability"})"#,
        );
        check(
            fixtures::grouped_good("shop"),
            r#"sum by (route) (rate(http_requests_total{job="api"}[5m]))"#,
            r#"clamp_min(
  slokit:events_total:rate5m{slokit_product="shop",slokit_service="api-service",slokit_slo="api-routes-availability"}
  - on (route)
  (
    sum by (route) (rate(http_requests_total{job="api",status_code!~"5.."}[5m]))
    or on (route) 0 * sum by (route) (slokit:events_total:rate5m{slokit_product="shop",slokit_service="api-service",slokit_slo="api-routes-availability"})
  ),
  0
)"#,
        );
        check(
            fixtures::native_latency("shop"),
            r#"histogram_count(sum (rate(http_request_duration_seconds{job="api"}[5m])))"#,
            r#"(
  histogram_count(sum (rate(http_request_duration_seconds{job="api"}[5m])))
  * (1 - histogram_fraction(0, 1, sum (rate(http_request_duration_seconds{job="api"}[5m]))))
) >= 0
or on ()
0 * sum(slokit:events_total:rate5m{slokit_product="shop",slokit_service="api-service",slokit_slo="api-service-latency-native"})"#,
        );
        check(
            fixtures::probe("web"),
            r#"count (avg_over_time((probe_success{job="blackbox"} != bool 1)[5m:1m]))"#,
            r#"sum (avg_over_time((probe_success{job="blackbox"} != bool 1)[5m:1m]))"#,
        );
        check(
            fixtures::raw("web"),
            "count (\n  (sum(rate(frontend_errors_total[5m])) / sum(rate(frontend_requests_total[5m]))) >= 0\n)",
            "sum (\n  (sum(rate(frontend_errors_total[5m])) / sum(rate(frontend_requests_total[5m]))) >= 0\n)",
        );
    }

    #[test]
    fn latency_reads_buckets_by_a_robust_le_matcher() {
        let (_, bad) = base_rates(&fixtures::latency("shop"));
        assert!(
            bad.contains(r#"http_request_duration_seconds_bucket{job="api",le=~"0\\.250*"}[5m]"#),
            "{bad}"
        );
    }
}
