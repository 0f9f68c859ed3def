//! Panel targets in both flavours. A target says what it wants (an SLI, a burn rate, the status
//! table ...) for a scope (a product, services and SLOs, fixed or from dashboard variables); this
//! module writes it either as a query of the slokit plugin (the JSON model its `query.rs` reads:
//! `queryType`, `product`, `service`, `slo`, `window`) or as PromQL over the recorded series, with
//! every series and label name from `slokit-conventions`.
//!
//! Label values in PromQL are product, service and SLO names, which the loader restricts to
//! `[A-Za-z0-9._-]`; they are still quoted with JSON string escaping, which PromQL reads the same.

use crate::Flavour;
use serde_json::{json, Map, Value};
use slokit_conventions::duration::Duration;
use slokit_conventions::{
    rate_series, window_burn_rate, window_error_ratio, DATASOURCE_UID_PLUGIN,
    DATASOURCE_UID_PROMETHEUS, GRAFANA_PLUGIN_ID, LABEL_ALERT_STATE, LABEL_POLICY_ACTION,
    LABEL_POLICY_BLOCKS, LABEL_POLICY_CONDITION, LABEL_POLICY_ORDER, LABEL_POLICY_STEP,
    LABEL_POLICY_WINDOW, LABEL_PRODUCT, LABEL_SERVICE, LABEL_SLO,
    POLICY_CONDITION_BUDGET_EXHAUSTED, POLICY_CONDITION_BUDGET_REMAINING_BELOW,
    POLICY_CONDITION_BURN_RATE_ABOVE, SERIES_ALERTS, SERIES_BAD, SERIES_BUDGET_REMAINING,
    SERIES_POLICY_STEP, SERIES_SLI, SERIES_TOTAL,
};
use slokit_model::{ErrorBudgetPolicy, PolicyCondition};
use std::collections::BTreeSet;

/// Which values of one identity label a target selects.
#[derive(Clone, Debug)]
pub enum Pick {
    /// One value, fixed when the dashboard is generated.
    Fixed(String),
    /// The values of a dashboard variable (multi-valued, with "All").
    Var(&'static str),
    /// Every value: no matcher, no field.
    All,
}

/// The SLOs a target is about, and the grouping labels their series may carry (for legends).
#[derive(Clone, Debug)]
pub struct Scope {
    pub product: Pick,
    pub service: Pick,
    pub slo: Pick,
    pub group_by: Vec<String>,
    /// Whether legends name the SLO (panels across SLOs) or only the group (one SLO's panels).
    pub name_slo: bool,
}

pub fn plugin_datasource() -> Value {
    json!({"type": GRAFANA_PLUGIN_ID, "uid": DATASOURCE_UID_PLUGIN})
}

pub fn prometheus_datasource() -> Value {
    json!({"type": "prometheus", "uid": DATASOURCE_UID_PROMETHEUS})
}

pub fn datasource(flavour: Flavour) -> Value {
    match flavour {
        Flavour::Plugin => plugin_datasource(),
        Flavour::Prometheus => prometheus_datasource(),
    }
}

/// A PromQL string literal, escaped by the suite's one escaper.
pub use slokit_conventions::promql::quote;

impl Scope {
    /// `slokit_product="shop",slokit_service=~"$service",slokit_slo="availability"`.
    pub fn matchers(&self) -> String {
        self.matcher_list().join(",")
    }

    fn matcher_list(&self) -> Vec<String> {
        [
            (LABEL_PRODUCT, &self.product),
            (LABEL_SERVICE, &self.service),
            (LABEL_SLO, &self.slo),
        ]
        .iter()
        .filter_map(|(label, pick)| match pick {
            Pick::Fixed(value) => Some(format!("{label}={}", quote(value))),
            Pick::Var(name) => Some(format!("{label}=~\"${name}\"")),
            Pick::All => None,
        })
        .collect()
    }

    /// `name{matchers}`.
    pub fn select(&self, name: &str) -> String {
        format!("{name}{{{}}}", self.matchers())
    }

    /// `name{matchers,label="value",...}`.
    pub fn select_with(&self, name: &str, extra: &[(&str, String)]) -> String {
        let mut matchers = self.matcher_list();
        matchers.extend(
            extra
                .iter()
                .map(|(label, value)| format!("{label}={}", quote(value))),
        );
        format!("{name}{{{}}}", matchers.join(","))
    }

    /// `slokit_product, slokit_service, slokit_slo`: what identifies an SLO.
    pub fn identity() -> String {
        slokit_conventions::identity_labels()
    }

    /// The identity labels and the grouping labels: what identifies a row of the status table.
    pub fn row_labels(&self) -> String {
        let mut labels = vec![Scope::identity()];
        labels.extend(self.group_by.iter().cloned());
        labels.join(", ")
    }

    /// A legend: `prefix` followed by the SLO (when the panel spans SLOs) and the group labels.
    pub fn legend(&self, prefix: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !prefix.is_empty() {
            parts.push(prefix.to_string());
        }
        if self.name_slo {
            parts.push(format!("{{{{{LABEL_PRODUCT}}}}}/{{{{{LABEL_SLO}}}}}"));
        }
        for label in &self.group_by {
            parts.push(format!("{label}={{{{{label}}}}}"));
        }
        if parts.is_empty() {
            "value".into()
        } else {
            parts.join(" ")
        }
    }

    fn plugin_fields(&self, target: &mut Map<String, Value>) {
        for (field, pick) in [
            ("product", &self.product),
            ("service", &self.service),
            ("slo", &self.slo),
        ] {
            let value = match pick {
                Pick::Fixed(value) => value.clone(),
                Pick::Var(name) => format!("${name}"),
                Pick::All => continue,
            };
            target.insert(field.into(), Value::String(value));
        }
    }
}

/// A PromQL target over a range (for time series) or at the end of the range (instant).
pub fn promql(ref_id: &str, expr: &str, legend: &str, instant: bool, table: bool) -> Value {
    json!({
        "refId": ref_id,
        "datasource": prometheus_datasource(),
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend,
        "range": !instant,
        "instant": instant,
        "format": if table { "table" } else { "time_series" },
    })
}

/// A plugin target of `query_type` over `scope`, with a window (`1h`, `period`) when given.
pub fn plugin(ref_id: &str, query_type: &str, scope: &Scope, window: Option<&str>) -> Value {
    let mut target = Map::new();
    target.insert("refId".into(), json!(ref_id));
    target.insert("datasource".into(), plugin_datasource());
    target.insert("queryType".into(), json!(query_type));
    scope.plugin_fields(&mut target);
    if let Some(window) = window {
        target.insert("window".into(), json!(window));
    }
    Value::Object(target)
}

/// The SLI over the period and over one window (`1 - bad/total`, 1 without events).
pub fn sli(flavour: Flavour, scope: &Scope, window: Option<Duration>, ref_id: &str) -> Value {
    let label = match window {
        Some(w) => format!("SLI {w}"),
        None => "SLI period".to_string(),
    };
    match flavour {
        Flavour::Plugin => {
            let window = window.map_or_else(|| "period".to_string(), |w| w.to_string());
            plugin(ref_id, "sli", scope, Some(&window))
        }
        Flavour::Prometheus => {
            let expr = match window {
                None => scope.select(SERIES_SLI),
                Some(w) => format!("1 - {}", window_error_ratio(w, |n| scope.select(n))),
            };
            promql(ref_id, &expr, &scope.legend(&label), false, false)
        }
    }
}

pub fn burn_rate(flavour: Flavour, scope: &Scope, window: Duration, ref_id: &str) -> Value {
    match flavour {
        Flavour::Plugin => plugin(ref_id, "burn_rate", scope, Some(&window.to_string())),
        Flavour::Prometheus => promql(
            ref_id,
            &burn_rate_over(scope, window),
            &scope.legend(&format!("{window}")),
            false,
            false,
        ),
    }
}

pub fn budget_remaining(flavour: Flavour, scope: &Scope, ref_id: &str, instant: bool) -> Value {
    match flavour {
        Flavour::Plugin => plugin(ref_id, "budget_remaining", scope, None),
        Flavour::Prometheus => promql(
            ref_id,
            &scope.select(SERIES_BUDGET_REMAINING),
            &scope.legend(""),
            instant,
            false,
        ),
    }
}

/// Budget burn-down: the plugin's burn-down since the start of the range, or the recorded budget
/// remaining over the rolling period.
pub fn burndown(flavour: Flavour, scope: &Scope, ref_id: &str) -> Value {
    match flavour {
        Flavour::Plugin => plugin(ref_id, "budget_burndown", scope, None),
        Flavour::Prometheus => promql(
            ref_id,
            &scope.select(SERIES_BUDGET_REMAINING),
            &scope.legend("budget remaining"),
            false,
            false,
        ),
    }
}

/// Good and total events per second over the base window.
pub fn events(flavour: Flavour, scope: &Scope, window: Duration) -> Vec<Value> {
    match flavour {
        Flavour::Plugin => vec![plugin("A", "events", scope, Some(&window.to_string()))],
        Flavour::Prometheus => {
            let total = scope.select(&rate_series(SERIES_TOTAL, Some(window)));
            let bad = scope.select(&rate_series(SERIES_BAD, Some(window)));
            vec![
                promql(
                    "A",
                    &format!("{total} - {bad}"),
                    &scope.legend("good"),
                    false,
                    false,
                ),
                promql("B", &total, &scope.legend("total"), false, false),
            ]
        }
    }
}

/// `ALERTS{<scope>,alertstate="firing"}`.
pub fn firing_alerts(scope: &Scope) -> String {
    format!(
        "{SERIES_ALERTS}{{{},{LABEL_ALERT_STATE}=\"firing\"}}",
        scope.matchers()
    )
}

/// `ALERTS{<scope>,alertstate="pending"}`.
pub fn pending_alerts(scope: &Scope) -> String {
    format!(
        "{SERIES_ALERTS}{{{},{LABEL_ALERT_STATE}=\"pending\"}}",
        scope.matchers()
    )
}

/// The text of the status table's policy column when no step is in force, as the plugin writes it.
pub const POLICY_NONE: &str = "none";
/// The text of the policy column for an SLO whose product follows no policy.
pub const POLICY_ABSENT: &str = "no policy";

/// Added to the score of a step that blocks releases, so that it outranks every step that does
/// not, whatever their order (far more than any policy's number of steps).
const BLOCKING_SCORE: usize = 1_000_000;

/// One kind of policy step, as the recorded step series tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct StepKind {
    order: usize,
    /// `slokit_policy_condition`.
    condition: &'static str,
    /// `slokit_policy_window`, for `burn_rate_above`.
    window: Option<Duration>,
    blocks_releases: bool,
}

/// The burn rate of `window` per SLO and group, as every reader computes it
/// ([`slokit_conventions::window_burn_rate`]).
pub fn burn_rate_over(scope: &Scope, window: Duration) -> String {
    window_burn_rate(window, |name| scope.select(name))
}

/// The step of the error-budget policy in force for each SLO and group of `scope`, as PromQL over
/// the recorded step series (`slokit:policy_step:threshold`): one series per row of
/// `slokit:error_budget_remaining:period`, whose `slokit_policy_action` label reads
/// `<action> (<step>)` like the plugin's column, or `none` (a policy, no step matching), or
/// `no policy`. `policies` are the policies of the products in scope; they say which kinds of
/// steps (order, condition, window, blocking) to compare, while thresholds, names and actions are
/// read from the series.
///
/// Each kind of step is compared with the row's figure (`budget remaining < threshold`, `<= 0`
/// when exhausted, `burn rate over the step's window > factor`), selecting the steps of one order
/// so that each SLO has at most one on the right-hand side, and scored as `slokit::live::policy` ranks
/// steps: a blocking step over any other, then the later step. `topk` keeps the best per row.
pub fn policy_in_force(scope: &Scope, policies: &[&ErrorBudgetPolicy]) -> String {
    let budget = scope.select(SERIES_BUDGET_REMAINING);
    let identity = Scope::identity();
    let rows = scope.row_labels();
    let no_policy = format!(
        "label_replace(0 * {budget}, {}, {}, \"\", \"\")",
        quote(LABEL_POLICY_ACTION),
        quote(POLICY_ABSENT)
    );
    let kinds: BTreeSet<StepKind> = policies
        .iter()
        .flat_map(|p| p.steps.iter().enumerate())
        .map(|(order, step)| {
            let (condition, window) = match step.when {
                PolicyCondition::BudgetRemainingBelow(_) => {
                    (POLICY_CONDITION_BUDGET_REMAINING_BELOW, None)
                }
                PolicyCondition::BudgetExhausted => (POLICY_CONDITION_BUDGET_EXHAUSTED, None),
                PolicyCondition::BurnRateAbove { window, .. } => {
                    (POLICY_CONDITION_BURN_RATE_ABOVE, Some(window))
                }
            };
            StepKind {
                order,
                condition,
                window,
                blocks_releases: step.blocks_releases,
            }
        })
        .collect();
    if kinds.is_empty() {
        return no_policy;
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|kind| {
            let mut matchers = vec![
                (LABEL_POLICY_ORDER, kind.order.to_string()),
                (LABEL_POLICY_CONDITION, kind.condition.to_string()),
                (LABEL_POLICY_BLOCKS, kind.blocks_releases.to_string()),
            ];
            if let Some(window) = kind.window {
                matchers.push((LABEL_POLICY_WINDOW, window.to_string()));
            }
            let step = scope.select_with(SERIES_POLICY_STEP, &matchers);
            let (figure, comparison) = match kind.window {
                Some(window) => (burn_rate_over(scope, window), ">"),
                None if kind.condition == POLICY_CONDITION_BUDGET_EXHAUSTED => {
                    (budget.clone(), "<=")
                }
                None => (budget.clone(), "<"),
            };
            let score = kind.order + usize::from(kind.blocks_releases) * BLOCKING_SCORE;
            format!(
                "0 * ({figure} {comparison} on ({identity}) group_left ({LABEL_POLICY_STEP}, {LABEL_POLICY_ACTION}) {step}) + {score}"
            )
        })
        .collect();
    let best = format!("topk by ({rows}) (1, {})", parts.join(" or "));
    // `<action> (<step>)` without a `$1` in a replacement, which Grafana would take for a
    // variable: join action and step with " (", set the step label to ")", join again, and drop
    // the step label (an empty value removes it).
    let (action, step) = (quote(LABEL_POLICY_ACTION), quote(LABEL_POLICY_STEP));
    let joined = format!("label_join({best}, {action}, \" (\", {action}, {step})");
    let closed = format!(
        "label_join(label_replace({joined}, {step}, \")\", \"\", \"\"), {action}, \"\", {action}, {step})"
    );
    let named = format!("label_replace({closed}, {step}, \"\", \"\", \"\")");
    let none = format!(
        "label_replace(0 * ({budget} and on ({identity}) {}), {action}, {}, \"\", \"\")",
        scope.select(SERIES_POLICY_STEP),
        quote(POLICY_NONE)
    );
    format!("{named} or on ({rows}) {none} or on ({rows}) {no_policy}")
}
