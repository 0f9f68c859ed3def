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
    burn_rate_series, rate_series, DATASOURCE_UID_PLUGIN, DATASOURCE_UID_PROMETHEUS,
    GRAFANA_PLUGIN_ID, LABEL_ALERT_STATE, LABEL_PRODUCT, LABEL_SERVICE, LABEL_SLO, SERIES_ALERTS,
    SERIES_BAD, SERIES_BUDGET_REMAINING, SERIES_SLI, SERIES_TOTAL,
};

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

/// A PromQL string literal.
pub fn quote(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

impl Scope {
    /// `slokit_product="shop",slokit_service=~"$service",slokit_slo="availability"`.
    pub fn matchers(&self) -> String {
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
        .collect::<Vec<_>>()
        .join(",")
    }

    /// `name{matchers}`.
    pub fn select(&self, name: &str) -> String {
        format!("{name}{{{}}}", self.matchers())
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
                Some(w) => {
                    let bad = scope.select(&rate_series(SERIES_BAD, Some(w)));
                    let total = scope.select(&rate_series(SERIES_TOTAL, Some(w)));
                    format!("1 - (({bad} / ({total} > 0)) or (0 * {total}))")
                }
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
            &scope.select(&burn_rate_series(Some(window))),
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
