//! Recording rules for one SLO. Only the two base rules read the user's metrics, and only over
//! [`BASE_WINDOW`]; every longer window averages recorded 5m rates (up to 6h) or recorded 1h rates
//! read hourly through a subquery (longer windows), so no rule re-reads days of raw samples.
//!
//! Rates of total and bad events are recorded separately for every window, and error ratios are
//! only formed at the end as `bad / total`. Because the total and bad series of one window are
//! averaged over the same sample times, the ratio of their averages is the ratio of the event sums:
//! long windows are traffic-weighted and exact, not an average of 5m ratios.
//!
//! Rules are split between the SLO's two groups ([`Split`]). A window read hourly ([`hourly`]),
//! its burn rate, and the SLI and budget when the period is such a window change once an hour, so
//! they go to the slow group, with the constants, the info series and the series the Grafana
//! plugin reads (burn-rate thresholds, policy steps), which change only when the specs do.
//! Everything else goes to the fast group. The slow group reads the fast group's 1h series only at
//! whole hours, values written long before, so the two groups need no common order.

use super::common::{
    aggregate, budget, hourly_window, identity_labels, number, on_groups, record, series, Context,
    Split,
};
use crate::conventions::{
    rate_series, BASE_WINDOW, GAUGE_STEP, LABEL_COMPOSITE_MEMBERS, LABEL_COMPOSITE_METHOD,
    LABEL_DISPLAY_NAME, LABEL_INDICATOR, LABEL_LONG_WINDOW, LABEL_OWNER, LABEL_PHASE, LABEL_POLICY,
    LABEL_POLICY_ACTION, LABEL_POLICY_BLOCKS, LABEL_POLICY_CONDITION, LABEL_POLICY_ORDER,
    LABEL_POLICY_STEP, LABEL_POLICY_WINDOW, LABEL_PRODUCT_SLO, LABEL_REVIEW_DUE, LABEL_SEVERITY,
    LABEL_SHORT_WINDOW, LABEL_SOURCE, LABEL_TIER, LONG_WINDOW_STEP,
    POLICY_CONDITION_BUDGET_EXHAUSTED, POLICY_CONDITION_BUDGET_REMAINING_BELOW,
    POLICY_CONDITION_BURN_RATE_ABOVE, SERIES_BAD, SERIES_BUDGET_REMAINING,
    SERIES_BURN_RATE_THRESHOLD, SERIES_INFO, SERIES_OBJECTIVE, SERIES_PERIOD, SERIES_POLICY_STEP,
    SERIES_SLI, SERIES_TOTAL,
};
use crate::duration::Duration;
use crate::model::{
    BurnWindow, Comparison, Counted, EventSource, Indicator, LatencyIndicator, MatchOp, Matcher,
    PolicyCondition, Selector, Slo, ThresholdIndicator,
};
use crate::promql::{fill_window, render_selector};
use crate::render::emit::Value;

/// Every recording rule of one SLO, split between its fast and slow group, each in evaluation
/// order: a rule only reads series recorded by rules before it in the same group, or hourly
/// points of the fast group's 1h series, so each evaluation sees fresh values.
///
/// Recorded per SLO (and per group of a grouped SLO): total and bad event rates over 5m (the only
/// rules reading raw metrics), over 1h (what long windows are read from) and over the period, the
/// SLI and budget remaining over the period, the objective and period constants, the info series
/// and one threshold per alert window pair. Every other window is computed where it is read
/// (alerts, dashboards, the plugin), from the 5m or 1h rates.
pub fn recording_rules(slo: &Slo, context: &Context) -> Split {
    let mut rules = Split::default();
    let (total, bad) = base_rates(slo);
    let base = Some(BASE_WINDOW);
    rules.fast.push(record(
        &rate_series(SERIES_TOTAL, base),
        total,
        identity_labels(slo),
    ));
    rules.fast.push(record(
        &rate_series(SERIES_BAD, base),
        bad,
        identity_labels(slo),
    ));
    // A `weighted` composite reads its 1h and period rates from its members' over the same
    // windows, so that they are the exact weighted mean (see `composite`); every other SLO
    // averages its own 5m and 1h rates.
    let members = super::composite::reads_members_per_window(slo);
    let hour = match members {
        Some(c) => super::composite::weighted_rates(c, LONG_WINDOW_STEP),
        None => (
            window_average(slo, SERIES_TOTAL, LONG_WINDOW_STEP),
            window_average(slo, SERIES_BAD, LONG_WINDOW_STEP),
        ),
    };
    let whole = match members {
        Some(c) => super::composite::weighted_rates(c, slo.period),
        None => (
            period_average(slo, SERIES_TOTAL),
            period_average(slo, SERIES_BAD),
        ),
    };
    for (name, expr) in [(SERIES_TOTAL, hour.0), (SERIES_BAD, hour.1)] {
        rules.fast.push(record(
            &rate_series(name, Some(LONG_WINDOW_STEP)),
            expr,
            identity_labels(slo),
        ));
    }
    let period = rules.list(hourly_window(slo, None));
    for (name, expr) in [(SERIES_TOTAL, whole.0), (SERIES_BAD, whole.1)] {
        period.push(record(&rate_series(name, None), expr, identity_labels(slo)));
    }
    period.push(record(
        SERIES_SLI,
        format!("1 - (\n  {}\n)", error_ratio(slo, None)),
        identity_labels(slo),
    ));
    period.push(record(
        SERIES_BUDGET_REMAINING,
        format!("1 - (\n  {}\n) / {}", error_ratio(slo, None), budget(slo)),
        identity_labels(slo),
    ));
    rules.slow.extend(metadata_rules(slo, context));
    rules.slow.extend(threshold_rules(slo));
    rules.slow.extend(policy_rules(slo, context));
    rules
}

/// `bad / total` over a recorded window, 0 when the window saw no events (never NaN), absent only
/// when the SLO's series do not exist at all.
fn error_ratio(slo: &Slo, window: Option<Duration>) -> String {
    let total = series(slo, &rate_series(SERIES_TOTAL, window));
    let bad = series(slo, &rate_series(SERIES_BAD, window));
    format!("{bad}\n  / ({total} > 0)\n  or\n  0 * {total}")
}

/// The average of the 5m rate over `window`, or for long windows of the 1h rate sampled once an
/// hour, which sums whole hours without overlap ([`crate::conventions::window_average`]).
fn window_average(slo: &Slo, name: &str, window: Duration) -> String {
    crate::conventions::window_average(name, window, |series_name| series(slo, series_name))
}

/// The event rate over the period, read as every window is read (an hourly period falls back to
/// the latest 1h rate in the first hour after the rules are loaded, so a fresh install shows its
/// SLI and budget at once).
fn period_average(slo: &Slo, name: &str) -> String {
    window_average(slo, name, slo.period)
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
        Indicator::Composite(composite) => super::composite::base_rates(composite),
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

fn metadata_rules(slo: &Slo, context: &Context) -> Vec<Value> {
    vec![
        record(
            SERIES_OBJECTIVE,
            format!("vector({})", number(slo.objective)),
            identity_labels(slo),
        ),
        record(
            SERIES_PERIOD,
            format!("vector({})", number(slo.period.secs_f64())),
            identity_labels(slo),
        ),
        record(SERIES_INFO, "vector(1)".into(), info_labels(slo, context)),
    ]
}

/// The info series' labels: identity, then ours, then the SLO's own labels (which may not reuse
/// ours; the loaders reject reserved names, and ours win if one slips through).
pub fn info_labels(slo: &Slo, context: &Context) -> Vec<(String, Value)> {
    let mut labels = identity_labels(slo);
    let phase = slo
        .phases
        .as_ref()
        .and_then(|p| p.list.get(p.current))
        .map(|p| p.name.clone());
    let composite = match &slo.indicator {
        Indicator::Composite(c) => Some(c),
        _ => None,
    };
    let ours = [
        (
            LABEL_COMPOSITE_MEMBERS,
            composite.map(super::composite::members_label),
        ),
        (
            LABEL_COMPOSITE_METHOD,
            composite.map(|c| c.method.as_str().to_string()),
        ),
        (LABEL_DISPLAY_NAME, slo.display_name.clone()),
        (LABEL_INDICATOR, Some(slo.indicator.kind().to_string())),
        (LABEL_OWNER, slo.owner.clone()),
        (LABEL_PHASE, phase),
        (LABEL_POLICY, context.policy.map(|p| p.name.clone())),
        (
            LABEL_PRODUCT_SLO,
            context.product_slo.then(|| "true".to_string()),
        ),
        (LABEL_REVIEW_DUE, context.review_due.map(|d| d.to_string())),
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

/// One constant series per window pair of every alert tier, valued at the tier's factor, so that
/// dashboards and the plugin draw the thresholds the alerts really use (custom `burnRates`
/// included). None when alerting is disabled. A pair written twice in one tier keeps its lowest
/// factor, the one at which the tier's `or` fires: two rules writing one series would fail.
fn threshold_rules(slo: &Slo) -> Vec<Value> {
    threshold_pairs(slo)
        .into_iter()
        .map(|(severity, window)| {
            record(
                SERIES_BURN_RATE_THRESHOLD,
                format!("vector({})", number(window.factor)),
                threshold_labels(slo, severity, &window),
            )
        })
        .collect()
}

/// The (severity, window pair) of every threshold series, in tier order; empty when alerting is
/// disabled.
pub fn threshold_pairs(slo: &Slo) -> Vec<(&str, BurnWindow)> {
    if !slo.alerting.enabled {
        return Vec::new();
    }
    let mut pairs: Vec<(&str, BurnWindow)> = Vec::new();
    for tier in &slo.alerting.tiers {
        for window in &tier.windows {
            let same = |(severity, w): &&mut (&str, BurnWindow)| {
                *severity == tier.severity && w.long == window.long && w.short == window.short
            };
            match pairs.iter_mut().find(same) {
                Some((_, kept)) => kept.factor = kept.factor.min(window.factor),
                None => pairs.push((&tier.severity, *window)),
            }
        }
    }
    pairs
}

/// The labels of one threshold series: identity, severity, long and short window.
pub fn threshold_labels(slo: &Slo, severity: &str, window: &BurnWindow) -> Vec<(String, Value)> {
    let mut labels = identity_labels(slo);
    labels.push((LABEL_SEVERITY.to_string(), Value::str(severity)));
    labels.push((
        LABEL_LONG_WINDOW.to_string(),
        Value::Str(window.long.to_string()),
    ));
    labels.push((
        LABEL_SHORT_WINDOW.to_string(),
        Value::Str(window.short.to_string()),
    ));
    labels
}

/// One constant series per step of the policy the SLO's product follows, valued at the step's
/// threshold (budget ratio, 0 when exhausted, burn-rate factor), so that the plugin can show the
/// step in force without reading the specs. None when the product follows no policy.
fn policy_rules(slo: &Slo, context: &Context) -> Vec<Value> {
    let Some(policy) = context.policy else {
        return Vec::new();
    };
    policy
        .steps
        .iter()
        .enumerate()
        .map(|(order, step)| {
            let (condition, threshold, window) = match step.when {
                PolicyCondition::BudgetRemainingBelow(ratio) => {
                    (POLICY_CONDITION_BUDGET_REMAINING_BELOW, ratio, None)
                }
                PolicyCondition::BudgetExhausted => (POLICY_CONDITION_BUDGET_EXHAUSTED, 0.0, None),
                PolicyCondition::BurnRateAbove { factor, window } => {
                    (POLICY_CONDITION_BURN_RATE_ABOVE, factor, Some(window))
                }
            };
            let mut labels = identity_labels(slo);
            labels.push((LABEL_POLICY.to_string(), Value::str(&policy.name)));
            labels.push((LABEL_POLICY_STEP.to_string(), Value::str(&step.name)));
            labels.push((
                LABEL_POLICY_ORDER.to_string(),
                Value::Str(order.to_string()),
            ));
            labels.push((LABEL_POLICY_CONDITION.to_string(), Value::str(condition)));
            if let Some(window) = window {
                labels.push((
                    LABEL_POLICY_WINDOW.to_string(),
                    Value::Str(window.to_string()),
                ));
            }
            labels.push((LABEL_POLICY_ACTION.to_string(), Value::str(&step.action)));
            labels.push((
                LABEL_POLICY_BLOCKS.to_string(),
                Value::Str(step.blocks_releases.to_string()),
            ));
            record(
                SERIES_POLICY_STEP,
                format!("vector({})", number(threshold)),
                labels,
            )
        })
        .collect()
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
            crate::promql::matchers::matcher_accepts(&matcher, spelled)
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
            fixtures::slo("api-service-availability"),
            r#"sum (rate(http_requests_total{job="api"}[5m]))"#,
            r#"sum (rate(http_requests_total{job="api",status_code=~"5.."}[5m]))
or on ()
0 * sum(slokit:events_total:rate5m{slokit_product="shop",slokit_slo="api-service-availability"})"#,
        );
        check(
            fixtures::slo("api-routes-availability"),
            r#"sum by (route) (rate(http_requests_total{job="api"}[5m]))"#,
            r#"clamp_min(
  slokit:events_total:rate5m{slokit_product="shop",slokit_slo="api-routes-availability"}
  - on (route)
  (
    sum by (route) (rate(http_requests_total{job="api",status_code!~"5.."}[5m]))
    or on (route) 0 * sum by (route) (slokit:events_total:rate5m{slokit_product="shop",slokit_slo="api-routes-availability"})
  ),
  0
)"#,
        );
        check(
            fixtures::slo("api-service-latency-native"),
            r#"histogram_count(sum (rate(http_request_duration_seconds{job="api"}[5m])))"#,
            r#"(
  histogram_count(sum (rate(http_request_duration_seconds{job="api"}[5m])))
  * (1 - histogram_fraction(0, 1, sum (rate(http_request_duration_seconds{job="api"}[5m]))))
) >= 0
or on ()
0 * sum(slokit:events_total:rate5m{slokit_product="shop",slokit_slo="api-service-latency-native"})"#,
        );
        check(
            fixtures::slo("frontend-probe"),
            r#"count (avg_over_time((probe_success{job="blackbox"} != bool 1)[5m:1m]))"#,
            r#"sum (avg_over_time((probe_success{job="blackbox"} != bool 1)[5m:1m]))"#,
        );
        check(
            fixtures::slo("frontend-raw"),
            "count (\n  (sum(rate(frontend_errors_total[5m])) / sum(rate(frontend_requests_total[5m]))) >= 0\n)",
            "sum (\n  (sum(rate(frontend_errors_total[5m])) / sum(rate(frontend_requests_total[5m]))) >= 0\n)",
        );
    }

    #[test]
    fn latency_reads_buckets_by_a_robust_le_matcher() {
        let (_, bad) = base_rates(&fixtures::slo("api-service-latency"));
        assert!(
            bad.contains(r#"http_request_duration_seconds_bucket{job="api",le=~"0\\.250*"}[5m]"#),
            "{bad}"
        );
    }
}

#[cfg(test)]
mod groups {
    use super::*;
    use crate::model::{AlertTier, Date, Review};
    use crate::render::{alerts, fixtures};
    use std::collections::BTreeMap;

    /// `record` or `alert` names, in order.
    fn names(rules: &[Value]) -> Vec<String> {
        rules
            .iter()
            .filter_map(|rule| match rule {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k == "record" || k == "alert")
                    .map(|(_, v)| match v {
                        Value::Str(s) => s.clone(),
                        other => format!("{other:?}"),
                    }),
                _ => None,
            })
            .collect()
    }

    /// The rules named `name` as (`expr`, labels as `k=v`).
    fn rules_named(rules: &[Value], name: &str) -> Vec<(String, Vec<String>)> {
        let text = |v: &Value| match v {
            Value::Str(s) => s.clone(),
            other => format!("{other:?}"),
        };
        rules
            .iter()
            .filter_map(|rule| {
                let Value::Map(entries) = rule else {
                    return None;
                };
                let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                if get("record").map(text).as_deref() != Some(name) {
                    return None;
                }
                let labels = match get("labels") {
                    Some(Value::Map(labels)) => labels
                        .iter()
                        .map(|(k, v)| format!("{k}={}", text(v)))
                        .collect(),
                    _ => Vec::new(),
                };
                Some((get("expr").map(text).unwrap_or_default(), labels))
            })
            .collect()
    }

    const IDENTITY: [&str; 3] = [
        "slokit_product=shop",
        "slokit_service=api-service",
        "slokit_slo=api-service-availability",
    ];

    fn with_identity(rest: &[&str]) -> Vec<String> {
        IDENTITY.iter().chain(rest).map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_default_slo_splits_into_fast_and_slow_rules() {
        let slo = fixtures::slo("api-service-availability");
        let rules = recording_rules(&slo, &Context::default());
        let alerts = alerts::alerting_rules(&slo);
        assert_eq!(
            names(&rules.fast),
            [
                "slokit:events_total:rate5m",
                "slokit:events_bad:rate5m",
                "slokit:events_total:rate1h",
                "slokit:events_bad:rate1h",
            ]
        );
        assert_eq!(
            names(&rules.slow),
            [
                "slokit:events_total:rate_period",
                "slokit:events_bad:rate_period",
                "slokit:sli:period",
                "slokit:error_budget_remaining:period",
                "slokit:objective:ratio",
                "slokit:period:seconds",
                "slokit:slo:info",
                "slokit:burn_rate_threshold:factor",
                "slokit:burn_rate_threshold:factor",
                "slokit:burn_rate_threshold:factor",
                "slokit:burn_rate_threshold:factor",
            ]
        );
        // At most 15 recorded series per SLO, Sloth's count for the same SLO.
        assert_eq!(rules.fast.len() + rules.slow.len(), 15);
        // The page tier compares windows that change at every evaluation; the ticket tier's
        // long windows (1d, 3d) change once an hour.
        assert_eq!(
            names(&alerts.fast),
            [
                "ApiServiceAvailabilityBurnRate",
                "ApiServiceAvailabilityNoData",
            ]
        );
        assert_eq!(
            names(&alerts.slow),
            [
                "ApiServiceAvailabilityBurnRate",
                "ApiServiceAvailabilityErrorBudgetExhausted"
            ]
        );
    }

    #[test]
    fn only_windows_read_hourly_are_slow() {
        let mut slo = fixtures::slo("api-service-availability");
        slo.alerting.tiers.push(AlertTier {
            severity: "custom".into(),
            windows: vec![
                BurnWindow {
                    long: Duration::from_hours(12),
                    short: Duration::from_mins(450),
                    factor: 2.0,
                },
                BurnWindow {
                    long: Duration::from_hours(12),
                    short: Duration::from_mins(450),
                    factor: 1.5,
                },
            ],
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        });
        let rules = recording_rules(&slo, &Context::default());
        // 12h is a whole number of hours past 6h, read hourly from the 1h series; 7h30m is not,
        // so it averages the 5m series. The tier's long window is hourly: its alert is slow.
        let alerts = alerts::alerting_rules(&slo);
        let custom = alerts
            .slow
            .iter()
            .find(|rule| format!("{rule:?}").contains("custom"))
            .map(|rule| format!("{rule:?}"))
            .expect("the custom tier's alert is in the slow group");
        assert!(
            custom.contains("[12h:1h]") && custom.contains("rate1h"),
            "{custom}"
        );
        assert!(
            custom.contains("rate5m") && custom.contains("[7h30m]"),
            "{custom}"
        );
        // A pair written twice keeps its lowest factor, the one at which the tier fires.
        let custom: Vec<_> = rules_named(&rules.slow, SERIES_BURN_RATE_THRESHOLD)
            .into_iter()
            .filter(|(_, labels)| labels.contains(&"severity=custom".to_string()))
            .collect();
        assert_eq!(
            custom,
            [(
                "vector(1.5)".to_string(),
                with_identity(&[
                    "severity=custom",
                    "slokit_long_window=12h",
                    "slokit_short_window=7h30m"
                ])
            )]
        );

        // A period of 6h or less is averaged from the 5m series: the SLI, budget and
        // budget-exhausted alert follow it into the fast group.
        let mut short = fixtures::slo("api-service-availability");
        short.period = Duration::from_hours(6);
        short.alerting.tiers = crate::load::common::default_tiers(short.period);
        let rules = recording_rules(&short, &Context::default());
        assert!(names(&rules.fast).contains(&"slokit:sli:period".to_string()));
        assert!(names(&rules.fast).contains(&"slokit:events_bad:rate_period".to_string()));
        let alerts = alerts::alerting_rules(&short);
        assert!(!names(&alerts.slow).contains(&"ApiServiceAvailabilityErrorBudgetExhausted".into()));
        assert!(names(&alerts.fast).contains(&"ApiServiceAvailabilityErrorBudgetExhausted".into()));
    }

    #[test]
    fn thresholds_follow_the_tiers_and_vanish_without_alerting() {
        let mut slo = fixtures::slo("api-service-availability");
        let thresholds = |slo: &Slo| {
            rules_named(
                &recording_rules(slo, &Context::default()).slow,
                SERIES_BURN_RATE_THRESHOLD,
            )
        };
        assert_eq!(
            thresholds(&slo),
            [
                ("vector(14.4)", ["page", "1h", "5m"]),
                ("vector(6)", ["page", "6h", "30m"]),
                ("vector(3)", ["ticket", "1d", "2h"]),
                ("vector(1)", ["ticket", "3d", "6h"]),
            ]
            .map(|(expr, [severity, long, short])| (
                expr.to_string(),
                with_identity(&[
                    &format!("severity={severity}"),
                    &format!("slokit_long_window={long}"),
                    &format!("slokit_short_window={short}"),
                ])
            ))
        );
        // Grouping labels never reach constant series.
        let grouped = fixtures::slo("api-routes-availability");
        for (_, labels) in thresholds(&grouped) {
            assert!(
                !labels.iter().any(|l| l.starts_with("route=")),
                "{labels:?}"
            );
        }
        slo.alerting.enabled = false;
        assert!(thresholds(&slo).is_empty());
    }

    #[test]
    fn policy_steps_and_review_come_from_the_product() {
        let catalog = fixtures::catalog(&["api-service-availability"], true);
        let slo = &catalog.products[0].slos[0];
        let context = Context::of(&catalog, slo);
        let slow = recording_rules(slo, &context).slow;
        assert_eq!(
            rules_named(&slow, SERIES_POLICY_STEP),
            [
                (
                    "vector(2)".to_string(),
                    with_identity(&[
                        "slokit_policy=standard",
                        "slokit_policy_step=burning-fast",
                        "slokit_policy_order=0",
                        "slokit_policy_condition=burn_rate_above",
                        "slokit_policy_window=7d",
                        "slokit_policy_action=Reliability work first: review the top error sources",
                        "slokit_policy_blocks_releases=false",
                    ])
                ),
                (
                    "vector(0.25)".to_string(),
                    with_identity(&[
                        "slokit_policy=standard",
                        "slokit_policy_step=budget-low",
                        "slokit_policy_order=1",
                        "slokit_policy_condition=budget_remaining_below",
                        "slokit_policy_action=Risky changes need a \"second\" reviewer; #reliability decides",
                        "slokit_policy_blocks_releases=false",
                    ])
                ),
                (
                    "vector(0)".to_string(),
                    with_identity(&[
                        "slokit_policy=standard",
                        "slokit_policy_step=true",
                        "slokit_policy_order=2",
                        "slokit_policy_condition=budget_exhausted",
                        "slokit_policy_action=Freeze releases.\nSecurity fixes only",
                        "slokit_policy_blocks_releases=true",
                    ])
                ),
            ]
        );
        let info = |context: &Context| -> Vec<String> {
            info_labels(slo, context)
                .into_iter()
                .filter(|(k, _)| k == LABEL_POLICY || k == LABEL_REVIEW_DUE)
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect()
        };
        assert_eq!(
            info(&context),
            [
                r#"slokit_policy=Str("standard")"#,
                r#"slokit_review_due=Str("2026-12-30")"#
            ]
        );
        // An SLO's own review, when complete, wins over its product's.
        let mut own = slo.clone();
        own.review = Review {
            cadence: Some(Duration::from_days(30)),
            last_reviewed: Date::parse("2026-11-01"),
        };
        let own_context = Context::of(&catalog, &own);
        assert_eq!(own_context.review_due, Date::parse("2026-12-01"));
        // Without a policy or a review cadence: no steps, no labels.
        let bare = fixtures::catalog(&["api-service-availability"], false);
        let bare_context = Context::of(&bare, &bare.products[0].slos[0]);
        assert!(info(&bare_context).is_empty());
        assert!(rules_named(
            &recording_rules(slo, &bare_context).slow,
            SERIES_POLICY_STEP
        )
        .is_empty());
    }
}
