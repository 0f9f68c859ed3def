//! Alerting rules for one SLO: one multi-window multi-burn-rate alert per tier (severity), plus
//! the optional budget-exhausted and no-data alerts. A tier computes its windows' burn rates in
//! its own expression, from the recorded 5m and 1h rates as every reader reads a window
//! (`slokit_conventions::window_ratio`), instead of reading recorded burn rates: the work is the
//! same, and the SLO records fewer series.
//!
//! A tier whose long windows are all read hourly (the default ticket tier: 1d and 3d) goes to the
//! SLO's slow group: its long windows change once an hour, and a ticket raised within 2m30s is as
//! good as one raised within 30s, for a fifth of the evaluations. Other tiers and the no-data alert
//! go to the fast group. The budget-exhausted alert reads only the period's budget, so it goes
//! to the slow group when the period is read hourly, like the budget itself.
//!
//! A tier's expression ORs its window pairs. `or` keeps a right-hand series only when no left-hand
//! series has the same labels (ignoring the metric name), so when several pairs fire the alert
//! still has one label set and never flaps between pairs; the current burn rates and the pairs
//! above their factor are in the `burn_rates` annotation, computed by one template query when the
//! alert is rendered.

use super::common::{
    alert_name, budget, camel_case, hourly, hourly_window, identity_labels, number, series, Split,
};
use crate::conventions::{
    dashboard_path, rate_series, window_ratio, BASE_WINDOW, LABEL_PRODUCT, LABEL_SERVICE,
    LABEL_SEVERITY, LABEL_SLO, SERIES_BUDGET_REMAINING, SERIES_TOTAL,
};
use crate::duration::Duration;
use crate::model::{AlertTier, BurnWindow, Indicator, Slo};
use crate::render::emit::Value;
use std::collections::BTreeMap;

/// The severity of the budget-exhausted and no-data alerts when the SLO has no tiers.
pub const DEFAULT_SECONDARY_SEVERITY: &str = "ticket";

/// Every alerting rule of one SLO, split between its fast and slow group; empty when alerting is
/// disabled.
pub fn alerting_rules(slo: &Slo) -> Split {
    let mut rules = Split::default();
    if !slo.alerting.enabled {
        return rules;
    }
    for tier in slo.alerting.tiers.iter().filter(|t| !t.windows.is_empty()) {
        let slow = tier.windows.iter().all(|w| hourly(w.long));
        rules.list(slow).push(tier_alert(slo, tier));
    }
    let secondary = slo
        .alerting
        .tiers
        .last()
        .map(|t| t.severity.as_str())
        .unwrap_or(DEFAULT_SECONDARY_SEVERITY);
    if slo.alerting.budget_exhausted {
        rules.list(hourly_window(slo, None)).push(alert(
            &budget_exhausted_name(slo),
            format!("{} <= 0", series(slo, SERIES_BUDGET_REMAINING)),
            None,
            labels(slo, secondary, &BTreeMap::new()),
            annotations(
                slo,
                format!(
                    "{} has spent its {} error budget",
                    title(slo),
                    slo.period
                ),
                format!(
                    "Error budget remaining is {{{{ $value | humanizePercentage }}}} of the {} budget ({} of events may fail at objective {}).{}",
                    slo.period,
                    percent(slo.error_budget()),
                    percent(slo.objective),
                    group_text(slo)
                ),
                &BTreeMap::new(),
            ),
        ));
    }
    if let Some(after) = slo.alerting.no_data {
        rules.fast.push(alert(
            &no_data_name(slo),
            no_data_expr(slo, after),
            None,
            labels(slo, secondary, &BTreeMap::new()),
            annotations(
                slo,
                format!("{} has had no data for {after}", title(slo)),
                format!(
                    "The SLI's source series have been absent for {after}, so its burn-rate alerts cannot fire. Check that the metrics are still scraped and that the selectors in {} still match.{}",
                    slo.origin.file,
                    group_text(slo)
                ),
                &BTreeMap::new(),
            ),
        ));
    }
    rules
}

pub fn budget_exhausted_name(slo: &Slo) -> String {
    format!("{}ErrorBudgetExhausted", base_name(slo))
}

pub fn no_data_name(slo: &Slo) -> String {
    format!("{}NoData", base_name(slo))
}

fn base_name(slo: &Slo) -> String {
    let name = alert_name(slo);
    match name.strip_suffix("BurnRate") {
        Some(base) if !base.is_empty() => base.to_string(),
        _ if slo.alerting.name.is_some() => name,
        _ => camel_case(&slo.name),
    }
}

/// The burn-rate condition of a tier, also used by the promtool tests: per window pair, the
/// burn rate over both windows above the factor.
pub fn tier_expr(slo: &Slo, tier: &AlertTier) -> String {
    tier.windows
        .iter()
        .map(|w| {
            format!(
                "(\n  {} > {factor}\n  and\n  {} > {factor}\n)",
                burn_rate(slo, w.long, &|name| series(slo, name)),
                burn_rate(slo, w.short, &|name| series(slo, name)),
                factor = number(w.factor)
            )
        })
        .collect::<Vec<_>>()
        .join("\nor\n")
}

/// The SLO's burn rate over `window`, for a comparison: the plain error ratio (NaN, so false,
/// without events) over the error budget. `select` names the SLO's series.
fn burn_rate(slo: &Slo, window: Duration, select: &dyn Fn(&str) -> String) -> String {
    format!("{} / {}", window_ratio(window, select), budget(slo))
}

fn tier_alert(slo: &Slo, tier: &AlertTier) -> Value {
    let pairs: Vec<String> = tier
        .windows
        .iter()
        .map(|w| format!("{}x over {} and {}", number(w.factor), w.long, w.short))
        .collect();
    let fastest = tier
        .windows
        .iter()
        .map(|w| w.factor)
        .fold(f64::MIN, f64::max);
    let summary = format!(
        "{} is burning its {} error budget too fast ({{{{ $value | printf \"%.1f\" }}}}x)",
        title(slo),
        slo.period
    );
    let description = format!(
        "Fires when the burn rate is above {}. At {}x the whole {} budget would last {}. Objective {}, error budget {}.{} See `burn_rates` for the current burn rates and the window pairs above their factor.",
        pairs.join(", or "),
        number(fastest),
        slo.period,
        budget_lasts(slo.period, fastest),
        percent(slo.objective),
        budget(slo),
        group_text(slo),
    );
    let mut extra = tier.annotations.clone();
    extra
        .entry("burn_rates".into())
        .or_insert_with(|| current_burn_rates(slo, &tier.windows));
    for (k, v) in &slo.alerting.annotations {
        extra.entry(k.clone()).or_insert_with(|| v.clone());
    }
    alert(
        &alert_name(slo),
        tier_expr(slo, tier),
        slo.alerting.for_duration,
        labels(slo, &tier.severity, &tier.labels),
        annotations(slo, summary, description, &extra),
    )
}

fn alert(
    name: &str,
    expr: String,
    for_duration: Option<Duration>,
    labels: Vec<(String, Value)>,
    annotations: Vec<(String, Value)>,
) -> Value {
    Value::map()
        .with("alert", name)
        .with("expr", expr)
        .with_opt("for", for_duration.map(|d| d.to_string()))
        .with("labels", Value::Map(labels))
        .with("annotations", Value::Map(annotations))
}

/// User labels first (SLO, alerting, tier; later ones win), then ours, which always win.
fn labels(
    slo: &Slo,
    severity: &str,
    tier_labels: &BTreeMap<String, String>,
) -> Vec<(String, Value)> {
    let mut merged: BTreeMap<String, String> = slo.labels.clone();
    merged.extend(slo.alerting.labels.clone());
    merged.extend(tier_labels.clone());
    for (name, _) in identity_labels(slo) {
        merged.remove(&name);
    }
    merged.insert(LABEL_SEVERITY.to_string(), severity.to_string());
    let mut out = identity_labels(slo);
    out.extend(merged.into_iter().map(|(k, v)| (k, Value::Str(v))));
    out
}

/// Ours first; the spec's annotations replace ours of the same name.
fn annotations(
    slo: &Slo,
    summary: String,
    description: String,
    extra: &BTreeMap<String, String>,
) -> Vec<(String, Value)> {
    let mut ours: Vec<(String, String)> = vec![
        ("summary".into(), summary),
        ("description".into(), description),
        ("dashboard".into(), dashboard_path(&slo.product, &slo.name)),
    ];
    if let Some(url) = &slo.alerting.runbook_url {
        ours.push(("runbook_url".into(), url.clone()));
    }
    for (key, value) in extra {
        match ours.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.clone(),
            None => ours.push((key.clone(), value.clone())),
        }
    }
    ours.into_iter().map(|(k, v)| (k, Value::Str(v))).collect()
}

fn title(slo: &Slo) -> String {
    let name = slo.display_name.as_deref().unwrap_or(&slo.name);
    match &slo.indicator {
        Indicator::Composite(c) => format!(
            "SLO {name} ({}, composite of {} SLOs)",
            slo.product,
            c.members.len()
        ),
        _ => format!("SLO {name} ({}/{})", slo.product, slo.service),
    }
}

fn group_text(slo: &Slo) -> String {
    if slo.group_by.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = slo
        .group_by
        .iter()
        .map(|g| format!("{g}={{{{ $labels.{g} }}}}"))
        .collect();
    format!(" Group: {}.", parts.join(", "))
}

fn percent(ratio: f64) -> String {
    format!("{}%", crate::load::common::trim_float(ratio * 100.0))
}

/// How long a full budget lasts at `factor`: `period / factor`, printed in whole minutes or more.
fn budget_lasts(period: Duration, factor: f64) -> String {
    let minutes = (period.minutes_f64() / factor).round().max(1.0) as u64;
    Duration::from_mins(minutes).to_string()
}

/// The label that tells the windows apart in the `burn_rates` annotation's template query. It
/// never reaches a recorded series or an alert's labels.
const WINDOW_LABEL: &str = "slokit_window";

/// The start of the `burn_rates` annotation: one template query for the burn rates over all
/// `windows` of this alert's own series (each result tagged with its window in
/// [`WINDOW_LABEL`]), whose values it leaves in `$b0`, `$b1`, ... in the order of `windows`, -1
/// where a window has no value.
///
/// One query for all windows, in one annotation, rather than one per window or pair: Prometheus
/// expands annotations at every evaluation of every pending or firing alert, so during an
/// incident each template query costs about what the alert's own expression costs, on every
/// evaluation, for every SLO that burns.
fn burn_rate_variables(slo: &Slo, windows: &[Duration]) -> String {
    // The matchers of this alert's own series, taken from `$labels`, so that the query works for
    // every group of a grouped SLO.
    let mut labels = vec![
        LABEL_PRODUCT.to_string(),
        LABEL_SERVICE.to_string(),
        LABEL_SLO.to_string(),
    ];
    labels.extend(slo.group_by.iter().cloned());
    let matchers: Vec<String> = labels.iter().map(|l| format!("{l}=%q")).collect();
    let args: Vec<String> = labels.iter().map(|l| format!("$labels.{l}")).collect();
    let query = windows
        .iter()
        .map(|w| {
            format!(
                "label_replace({}, \"{WINDOW_LABEL}\", \"{w}\", \"\", \"\")",
                burn_rate(slo, *w, &|name| format!("{name}{{%s}}"))
            )
        })
        .collect::<Vec<_>>()
        .join(" or ");
    // Every selector of the query reads `{%s}`, filled with the matchers `$s`; a window read
    // hourly names each series twice (see `window_ratio`), so count the placeholders themselves.
    let selectors = vec!["$s"; query.matches("{%s}").count()].join(" ");
    let mut text = format!(
        "{{{{ $s := printf \"{}\" {} }}}}{{{{ $r := printf `{query}` {selectors} | query }}}}",
        matchers.join(","),
        args.join(" ")
    );
    let mut fill = String::new();
    for (i, w) in windows.iter().enumerate() {
        text.push_str(&format!("{{{{ $b{i} := -1.0 }}}}"));
        let keyword = if i == 0 { "if" } else { "else if" };
        fill.push_str(&format!(
            "{{{{ {keyword} eq .Labels.{WINDOW_LABEL} \"{w}\" }}}}{{{{ $b{i} = .Value }}}}"
        ));
    }
    text.push_str(&format!(
        "{{{{ range $r }}}}{fill}{{{{ end }}}}{{{{ end }}}}"
    ));
    text
}

/// The tier's windows, shortest first, each once.
fn tier_windows(windows: &[BurnWindow]) -> Vec<Duration> {
    let mut all: Vec<Duration> = windows.iter().flat_map(|w| [w.short, w.long]).collect();
    all.sort();
    all.dedup();
    all
}

/// A factor as a Go template float constant: text/template's `gt` refuses to compare a float
/// with an integer constant.
fn go_float(value: f64) -> String {
    let text = number(value);
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// The `burn_rates` annotation: the current burn rate over each of the tier's windows (`n/a`
/// where a window has no traffic or no data), then the window pairs above their factor, e.g.
/// `5m 100.12, 30m 100.01, 1h 100.00, 6h 17.97; 1h/5m above 14.4x; 6h/30m above 6x`.
fn current_burn_rates(slo: &Slo, windows: &[BurnWindow]) -> String {
    let all = tier_windows(windows);
    let index = |w: Duration| all.iter().position(|x| *x == w).unwrap_or_default();
    let rates: Vec<String> = all
        .iter()
        .enumerate()
        .map(|(i, w)| {
            format!(
                "{w} {{{{ if ge $b{i} 0.0 }}}}{{{{ printf \"%.2f\" $b{i} }}}}{{{{ else }}}}n/a{{{{ end }}}}"
            )
        })
        .collect();
    let pairs: String = windows
        .iter()
        .map(|w| {
            let factor = go_float(w.factor);
            format!(
                "{{{{ if and (gt $b{} {factor}) (gt $b{} {factor}) }}}}; {}/{} above {}x{{{{ end }}}}",
                index(w.long),
                index(w.short),
                w.long,
                w.short,
                number(w.factor)
            )
        })
        .collect();
    format!(
        "{}{}{pairs}",
        burn_rate_variables(slo, &all),
        rates.join(", ")
    )
}

/// Absent for `after`: the whole SLO (`absent_over_time` only sees equality matchers, so it cannot
/// tell groups apart), or, for grouped SLOs, a group seen in the last day (or twice `after`) that
/// has vanished for `after`.
fn no_data_expr(slo: &Slo, after: Duration) -> String {
    let total = series(slo, &rate_series(SERIES_TOTAL, Some(BASE_WINDOW)));
    let whole = format!("absent_over_time({total}[{after}])");
    if slo.group_by.is_empty() {
        return whole;
    }
    let memory = std::cmp::max(
        Duration::from_days(1),
        Duration::from_millis(after.millis() * 2),
    );
    let by = slo.group_by.join(", ");
    format!(
        "{whole}\nor\n(\n  group by ({by}) (last_over_time({total}[{memory}]))\n  unless on ({by})\n  group by ({by}) (last_over_time({total}[{after}]))\n)"
    )
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::render::fixtures;

    fn check(actual: String, expected: &str) {
        assert_eq!(actual, expected);
    }

    #[test]
    fn tiers_or_their_window_pairs() {
        let slo = fixtures::slo("api-service-availability");
        let id = r#"{slokit_product="shop",slokit_slo="api-service-availability"}"#;
        check(
            tier_expr(&slo, &slo.alerting.tiers[0]),
            &format!(
                "(\n  (slokit:events_bad:rate1h{id} / slokit:events_total:rate1h{id}) / 0.001 > 14.4\n  and\n  (slokit:events_bad:rate5m{id} / slokit:events_total:rate5m{id}) / 0.001 > 14.4\n)\nor\n(\n  (avg_over_time(slokit:events_bad:rate5m{id}[6h]) / avg_over_time(slokit:events_total:rate5m{id}[6h])) / 0.001 > 6\n  and\n  (avg_over_time(slokit:events_bad:rate5m{id}[30m]) / avg_over_time(slokit:events_total:rate5m{id}[30m])) / 0.001 > 6\n)"
            ),
        );
    }

    #[test]
    fn no_data_tells_groups_apart() {
        let mut slo = fixtures::slo("api-routes-availability");
        check(
            no_data_expr(&slo, Duration::from_mins(30)),
            r#"absent_over_time(slokit:events_total:rate5m{slokit_product="shop",slokit_slo="api-routes-availability"}[30m])
or
(
  group by (route) (last_over_time(slokit:events_total:rate5m{slokit_product="shop",slokit_slo="api-routes-availability"}[1d]))
  unless on (route)
  group by (route) (last_over_time(slokit:events_total:rate5m{slokit_product="shop",slokit_slo="api-routes-availability"}[30m]))
)"#,
        );
        slo.group_by.clear();
        assert!(!no_data_expr(&slo, Duration::from_mins(30)).contains("unless"));
    }

    #[test]
    fn our_labels_win_and_user_labels_follow() {
        let mut slo = fixtures::slo("api-service-availability");
        slo.alerting.labels.insert("severity".into(), "mine".into());
        slo.alerting
            .labels
            .insert("slokit_slo".into(), "spoofed".into());
        let mut tier_labels = BTreeMap::new();
        tier_labels.insert("team".into(), "payments".into());
        let got: Vec<String> = labels(&slo, "page", &tier_labels)
            .into_iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        assert_eq!(
            got,
            [
                r#"slokit_product=Str("shop")"#,
                r#"slokit_service=Str("api-service")"#,
                r#"slokit_slo=Str("api-service-availability")"#,
                r#"severity=Str("page")"#,
                r#"team=Str("payments")"#,
            ]
        );
    }

    #[test]
    fn alert_names() {
        let mut slo = fixtures::slo("api-service-availability");
        assert_eq!(alert_name(&slo), "ApiServiceAvailabilityBurnRate");
        assert_eq!(
            budget_exhausted_name(&slo),
            "ApiServiceAvailabilityErrorBudgetExhausted"
        );
        slo.alerting.name = Some("CheckoutErrors".into());
        assert_eq!(alert_name(&slo), "CheckoutErrors");
        assert_eq!(no_data_name(&slo), "CheckoutErrorsNoData");
        slo.alerting.enabled = false;
        assert_eq!(alerting_rules(&slo), Split::default());
    }
}
