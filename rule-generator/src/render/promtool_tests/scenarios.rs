//! The scenarios of an SLO's promtool tests: per alert tier and window pair, a burn just above the
//! factor that fires by the predicted time, one just below that stays silent, recovery, no data,
//! zero traffic and exactness on uneven traffic; with the timing arithmetic they rely on.

use super::*;

/// Burn rates to 6 decimals, so test names read `15.84x`.
pub(super) fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// A number for test names: at most 6 decimals.
pub(super) fn short(value: f64) -> String {
    crate::load::common::trim_float(round(value))
}

pub(super) fn round_up(d: f64, step: Duration) -> Duration {
    let step_ms = step.millis() as f64;
    Duration::from_millis(((d / step_ms).ceil().max(1.0) * step_ms) as u64)
}

pub(super) fn round_down(d: f64, step: Duration) -> Duration {
    let step_ms = step.millis() as f64;
    Duration::from_millis(((d / step_ms).floor().max(1.0) * step_ms) as u64)
}

pub(super) fn add(a: Duration, b: Duration) -> Duration {
    Duration::from_millis(a.millis() + b.millis())
}

pub(super) fn ms(d: Duration) -> f64 {
    d.millis() as f64
}

/// When a pair first fires after errors start at burn rate `burn`: the long window must hold
/// `factor / burn` of its length in errors. `None` if the burn never reaches the factor.
pub(super) fn detection(pair: &BurnWindow, burn: f64) -> Option<f64> {
    (burn > pair.factor).then(|| pair.factor / burn * ms(pair.long))
}

/// How late the recorded long window can be: the base window's smoothing, two evaluations, an hour
/// for windows read hourly, and the alert's `for:`.
pub(super) fn slack(slo: &Slo, pair: &BurnWindow, eval: Duration) -> Duration {
    let mut total = BASE_WINDOW.millis() + 2 * eval.millis();
    if pair.long > SHORT_WINDOW_LIMIT {
        total += LONG_WINDOW_STEP.millis();
    }
    total += slo.alerting.for_duration.map_or(0, |d| d.millis());
    Duration::from_millis(total)
}

/// Good traffic long enough to fill the tier's longest window.
pub(super) fn full_warm_up(tier: &AlertTier) -> Duration {
    let longest = tier
        .windows
        .iter()
        .map(|w| w.long)
        .max()
        .unwrap_or(BASE_WINDOW);
    round_up(ms(longest), LONG_WINDOW_STEP)
}

/// Good traffic before errors start: enough to fill the tested pair's long window, and enough
/// that no other pair of the tier, whose long window is then only partly filled, can fire within
/// `quiet_for` of the start at `burn` (with half filled, a window holds errors twice as densely).
/// Shorter than [`full_warm_up`] whenever possible, because every test step costs an evaluation
/// of every rule in the file.
pub(super) fn warm_up(tier: &AlertTier, pair: &BurnWindow, burn: f64, quiet_for: f64) -> Duration {
    let mut needed = ms(pair.long);
    for other in &tier.windows {
        if burn > other.factor && other.long > pair.long {
            // With `w` of good traffic, the other window's burn after `x` of errors is
            // burn * x / (w + x); it stays at or below its factor while w >= x (burn - f) / f.
            needed = needed.max(quiet_for * (burn - other.factor) / other.factor * 1.1);
        }
    }
    std::cmp::min(round_up(needed, LONG_WINDOW_STEP), full_warm_up(tier))
}

pub(super) fn firing_query(slo: &Slo, synth: &Synth, tier: &AlertTier) -> String {
    let (by, _) = synth.burning_labels(slo);
    format!(
        "{by}(ALERTS{{alertname={},alertstate=\"firing\",severity={},{}}})",
        quote(&alert_name(slo)),
        quote(&tier.severity),
        identity_matchers(slo)
    )
}

pub(super) fn expect_firing(slo: &Slo, synth: &Synth, tier: &AlertTier, at: Duration) -> Value {
    let (_, labels) = synth.burning_labels(slo);
    Value::map()
        .with("expr", firing_query(slo, synth, tier))
        .with("eval_time", at.to_string())
        .with(
            "exp_samples",
            vec![Value::map().with("labels", labels).with("value", 1i64)],
        )
}

pub(super) fn expect_silent(query: String, at: Duration) -> Value {
    Value::map()
        .with("expr", query)
        .with("eval_time", at.to_string())
        .with("exp_samples", Value::Seq(Vec::new()))
}

pub(super) fn group(
    key: &str,
    name: String,
    synth: &Synth,
    phases: &[Phase],
    skip_bad: bool,
    checks: Vec<Value>,
) -> Scenario {
    Scenario {
        key: key.to_string(),
        name,
        series: synth.input_series(phases, skip_bad),
        checks,
    }
}

pub(super) fn pair_text(pair: &BurnWindow) -> String {
    format!("{}x over {}/{}", short(pair.factor), pair.long, pair.short)
}

pub(super) fn above(
    slo: &Slo,
    synth: &Synth,
    tier: &AlertTier,
    pair: &BurnWindow,
    eval: Duration,
    key: &str,
) -> Scenario {
    let burn = round(pair.factor * ABOVE);
    let (first, first_pair) = tier
        .windows
        .iter()
        .filter_map(|w| detection(w, burn).map(|d| (d, w)))
        .fold(
            (f64::MAX, pair),
            |best, (d, w)| if d < best.0 { (d, w) } else { best },
        );
    let quiet_after = round_down(first * 0.75, eval);
    let start = warm_up(tier, pair, burn, ms(quiet_after));
    let quiet = add(start, quiet_after);
    let fired = add(
        start,
        round_up(first + ms(slack(slo, first_pair, eval)), eval),
    );
    let phases = [
        Phase::steady(start, 0.0),
        Phase::steady(
            Duration::from_millis(fired.millis() - start.millis()),
            burn * slo.error_budget(),
        ),
    ];
    group(
        &format!("{key}/above"),
        format!(
            "{} {}: burning at {}x ({} just above {}) fires within {}",
            slo.name,
            tier.severity,
            short(burn),
            short(ABOVE),
            pair_text(pair),
            Duration::from_millis(fired.millis() - start.millis())
        ),
        synth,
        &phases,
        false,
        vec![
            expect_silent(firing_query(slo, synth, tier), quiet),
            expect_firing(slo, synth, tier, fired),
        ],
    )
}

pub(super) fn below(
    slo: &Slo,
    synth: &Synth,
    tier: &AlertTier,
    pair: &BurnWindow,
    eval: Duration,
    key: &str,
) -> Scenario {
    let burn = round(pair.factor * BELOW);
    // Other pairs with lower factors may legitimately fire at this burn; stop before they can.
    let others = tier
        .windows
        .iter()
        .filter_map(|w| detection(w, burn))
        .fold(f64::MAX, f64::min);
    let horizon = (ms(pair.long) + ms(pair.short)).min(others * 0.9);
    let horizon = round_down(horizon, eval);
    let start = warm_up(tier, pair, burn, ms(horizon));
    let phases = [
        Phase::steady(start, 0.0),
        Phase::steady(horizon, burn * slo.error_budget()),
    ];
    let checks = (1..=4)
        .map(|quarter| {
            let at = round_down(ms(horizon) * quarter as f64 / 4.0, eval);
            expect_silent(firing_query(slo, synth, tier), add(start, at))
        })
        .collect();
    group(
        &format!("{key}/below"),
        format!(
            "{} {}: burning at {}x ({} just below {}) stays silent for {}",
            slo.name,
            tier.severity,
            short(burn),
            short(BELOW),
            pair_text(pair),
            horizon
        ),
        synth,
        &phases,
        false,
        checks,
    )
}

pub(super) fn recovery(
    slo: &Slo,
    synth: &Synth,
    tier: &AlertTier,
    eval: Duration,
    burn: f64,
) -> Scenario {
    let fastest = tier
        .windows
        .iter()
        .max_by(|a, b| a.factor.total_cmp(&b.factor))
        .copied()
        .unwrap_or(BurnWindow {
            long: BASE_WINDOW,
            short: BASE_WINDOW,
            factor: 1.0,
        });
    let start = full_warm_up(tier);
    let first = tier
        .windows
        .iter()
        .filter_map(|w| detection(w, burn))
        .fold(f64::MAX, f64::min);
    let burning = round_up(first + ms(slack(slo, &fastest, eval)), eval);
    // Every pair still above its factor at the end must see its short window clear.
    let longest_short = tier
        .windows
        .iter()
        .filter(|w| burn * ms(burning) / ms(w.long) > w.factor)
        .map(|w| w.short)
        .max()
        .unwrap_or(fastest.short);
    let settle =
        Duration::from_millis(longest_short.millis() + BASE_WINDOW.millis() + 2 * eval.millis());
    let phases = [
        Phase::steady(start, 0.0),
        Phase::steady(burning, burn * slo.error_budget()),
        Phase::steady(settle, 0.0),
    ];
    let stopped = add(start, burning);
    group(
        "recovery",
        format!(
            "{} {}: resolves within {settle} after errors stop",
            slo.name, tier.severity
        ),
        synth,
        &phases,
        false,
        vec![
            expect_firing(slo, synth, tier, stopped),
            expect_silent(firing_query(slo, synth, tier), add(stopped, settle)),
        ],
    )
}

/// An hour of traffic, then the source series stop: the no-data alert fires once `after` has
/// passed (plus the 5m the base rate keeps seeing the last samples), and not at half of it.
pub(super) fn no_data(slo: &Slo, synth: &Synth, after: Duration) -> Scenario {
    // `max`, not `count`: a grouped SLO fires one no-data alert per group that went quiet.
    let query = format!(
        "max(ALERTS{{alertname={},alertstate=\"firing\",{}}})",
        quote(&crate::render::alerts::no_data_name(slo)),
        identity_matchers(slo)
    );
    let stop = Duration::from_hours(1);
    let phases = [Phase::steady(stop, 0.0)];
    // Silent at half the duration, or when the source stops if half is less than one
    // evaluation: the 5m rate itself outlives its source by up to 5m, so a no-data duration
    // shorter than that cannot be told apart from the rate's own lag.
    let half = (ms(after) * 0.5 / ms(TEST_EVAL_INTERVAL)).floor() * ms(TEST_EVAL_INTERVAL);
    let quiet = add(stop, Duration::from_millis(half as u64));
    let fired = add(
        stop,
        round_up(
            ms(after) + ms(BASE_WINDOW) + 2.0 * ms(TEST_EVAL_INTERVAL),
            TEST_EVAL_INTERVAL,
        ),
    );
    Scenario {
        key: "no-data".into(),
        name: format!(
            "{}: the no-data alert fires within {after} of the source series stopping",
            slo.name
        ),
        series: synth.input_series(&phases, false),
        checks: vec![
            expect_silent(query.clone(), quiet),
            Value::map()
                .with("expr", query)
                .with("eval_time", fired.to_string())
                .with(
                    "exp_samples",
                    vec![Value::map().with("labels", "{}").with("value", 1i64)],
                ),
        ],
    }
}

/// One window of each way a window is read (`slokit_conventions::window_rate`): the recorded 5m
/// and 1h rates, the shortest window averaged from the 5m rate and the longest read hourly. Every
/// window of a kind is the same expression but for its range, so checking one per kind proves the
/// others as well, for a fraction of the test file.
fn representative_windows(slo: &Slo) -> Vec<Duration> {
    let windows = crate::render::common::windows(slo);
    let computed = |hourly: bool| {
        windows
            .iter()
            .copied()
            .filter(move |w| !is_recorded_everywhere(*w) && reads_hourly(*w) == hourly)
    };
    let mut out: Vec<Duration> = RECORDED_WINDOWS.to_vec();
    out.extend(computed(false).min());
    out.extend(computed(true).max());
    out
}

pub(super) fn zero_traffic(slo: &Slo, synth: &Synth) -> Scenario {
    let length = Duration::from_hours(3);
    let phases = [Phase {
        length,
        traffic: 0.0,
        error_ratio: 0.0,
    }];
    let (by, _) = synth.burning_labels(slo);
    let every_group: Vec<Value> = synth
        .group_label_texts()
        .into_iter()
        .map(|labels| Value::map().with("labels", labels).with("value", 1i64))
        .collect();
    let equals = |expr: String, value: &str| {
        Value::map()
            .with("expr", format!("{by}({expr} == {value})"))
            .with("eval_time", length.to_string())
            .with("exp_samples", every_group.clone())
    };
    let mut checks = vec![
        equals(series(slo, SERIES_SLI), "1"),
        equals(series(slo, SERIES_BUDGET_REMAINING), "1"),
        equals(read_burn_rate(slo, None), "0"),
    ];
    for window in representative_windows(slo) {
        checks.push(equals(read_burn_rate(slo, Some(window)), "0"));
    }
    checks.push(expect_silent(
        format!("ALERTS{{alertstate=\"firing\",{}}}", identity_matchers(slo)),
        length,
    ));
    // The thresholds the plugin draws are the factors the alerts compare with.
    let thresholds: Vec<Value> = crate::render::rules::threshold_pairs(slo)
        .into_iter()
        .map(|(severity, window)| {
            let labels: Vec<String> =
                crate::render::rules::threshold_labels(slo, severity, &window)
                    .into_iter()
                    .filter_map(|(name, value)| match value {
                        Value::Str(text) => Some(format!("{name}={}", quote(&text))),
                        _ => None,
                    })
                    .collect();
            Value::map()
                .with(
                    "labels",
                    format!("{SERIES_BURN_RATE_THRESHOLD}{{{}}}", labels.join(",")),
                )
                .with(
                    "value",
                    Value::Float(number(window.factor).parse().unwrap_or(f64::NAN)),
                )
        })
        .collect();
    if !thresholds.is_empty() {
        checks.push(
            Value::map()
                .with("expr", series(slo, SERIES_BURN_RATE_THRESHOLD))
                .with("eval_time", length.to_string())
                .with("exp_samples", thresholds),
        );
    }
    // The no-data alert fires when the SLO's series are absent, which zero traffic is not.
    group(
        "zero",
        if synth.gauge.is_some() {
            format!(
                "{}: a gauge always within its bound gives a perfect SLI, zero burn and no alerts",
                slo.name
            )
        } else {
            format!(
                "{}: zero traffic and no bad-event series give a perfect SLI, zero burn and no alerts",
                slo.name
            )
        },
        synth,
        &phases,
        true,
        checks,
    )
}

pub(super) fn exactness(slo: &Slo, synth: &Synth) -> Scenario {
    // Two hours of heavy traffic with 1% errors, then an hour of light, clean traffic. A 1h window
    // straddling both holds 300 bad of 30300 events; an average of 5m ratios would say 0.5%.
    let heavy = TRAFFIC_PER_STEP;
    let light = TRAFFIC_PER_STEP / 100.0;
    let phases = [
        Phase {
            length: Duration::from_hours(2),
            traffic: heavy,
            error_ratio: 0.01,
        },
        Phase {
            length: Duration::from_hours(1),
            traffic: light,
            error_ratio: 0.0,
        },
    ];
    let (by, labels) = synth.burning_labels(slo);
    let near = |expr: String, expected: f64, tolerance: f64, at: Duration| {
        near_check(&by, &labels, expr, expected, tolerance, at)
    };
    let budget = slo.error_budget();
    let straddle = (30.0 * heavy * 0.01) / (30.0 * heavy + 30.0 * light);
    let whole = (120.0 * heavy * 0.01) / (120.0 * heavy + 60.0 * light);
    let mut checks = vec![near(
        read_burn_rate(slo, Some(Duration::from_hours(1))),
        straddle / budget,
        straddle / budget * TOLERANCE,
        Duration::from_mins(150),
    )];
    // Within the first hour no hourly point exists yet: the period SLI must not be absent (a
    // fresh install would show no budget) but read the hour so far, all at 1% errors.
    checks.push(near(
        series(slo, SERIES_SLI),
        0.99,
        0.01 * TOLERANCE,
        Duration::from_mins(55),
    ));
    if slo.period >= Duration::from_hours(3) {
        checks.push(near(
            read_burn_rate(slo, None),
            whole / budget,
            whole / budget * TOLERANCE,
            Duration::from_hours(3),
        ));
        checks.push(near(
            series(slo, SERIES_SLI),
            1.0 - whole,
            whole * TOLERANCE,
            Duration::from_hours(3),
        ));
    }
    if slo.alerting.enabled && slo.alerting.budget_exhausted {
        // Over these three hours the period burn rate is `whole / budget`; far enough from 1 it
        // decides whether the budget is spent.
        let query = format!(
            "{by}(ALERTS{{alertname={},alertstate=\"firing\",{}}})",
            quote(&crate::render::alerts::budget_exhausted_name(slo)),
            identity_matchers(slo)
        );
        let burn = whole / budget;
        let at = Duration::from_hours(3);
        if burn > 1.05 {
            checks.push(
                Value::map()
                    .with("expr", query)
                    .with("eval_time", at.to_string())
                    .with(
                        "exp_samples",
                        vec![Value::map()
                            .with("labels", labels.clone())
                            .with("value", 1i64)],
                    ),
            );
        } else if burn < 0.95 {
            checks.push(expect_silent(query, at));
        }
    }
    group(
        "exact",
        format!(
            "{}: error ratios are exact for uneven traffic (ratio of sums, not mean of ratios)",
            slo.name
        ),
        synth,
        &phases,
        false,
        checks,
    )
}
