//! The plugin's HTTP resources (`/api/datasources/uid/<uid>/resources/<path>`), which feed the
//! query editor's pickers and template variables and give one SLO's details: `products`,
//! `services`, `slos`, `groups` (the values of grouped SLOs' group labels) and `slo`. Five
//! read-only GET routes do not need a router: a match on the path is the whole dispatch. The
//! SLO catalog comes from `slokit:slo:info`, so the Grafana host needs no spec files.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde_json::{json, Value};
use slokit_conventions::{rate_series, BASE_WINDOW, SERIES_TOTAL};
use slokit_conventions::{
    LABEL_COMPOSITE_MEMBERS, LABEL_COMPOSITE_METHOD, LABEL_DISPLAY_NAME, LABEL_INDICATOR,
    LABEL_OWNER, LABEL_PHASE, LABEL_PRODUCT, LABEL_PRODUCT_SLO, LABEL_SERVICE, LABEL_SLO,
    LABEL_SOURCE, LABEL_TIER, SERIES_INFO,
};

use crate::execute::{
    fetch_alert_windows, group_labels, status_rows, Identity, STATUS_BURN_WINDOWS,
};
use crate::query::{matcher, QueryError, Selection, Values};
use crate::upstream::Upstream;
use slokit_wire::Sample;

/// An HTTP answer: status and JSON body.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    fn ok(body: Value) -> Answer {
        Answer { status: 200, body }
    }

    fn error(status: u16, message: impl Into<String>) -> Answer {
        Answer {
            status,
            body: json!({"error": message.into()}),
        }
    }

    pub fn into_response(self) -> http::Response<Bytes> {
        let body = serde_json::to_vec(&self.body).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = http::Response::new(Bytes::from(body));
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

impl From<QueryError> for Answer {
    fn from(error: QueryError) -> Answer {
        Answer::error(error.http_status(), error.message)
    }
}

/// Answers one resource call. `upstream` is `Err` when the datasource settings are unusable.
pub async fn call(
    method: &http::Method,
    uri: &http::Uri,
    upstream: Result<&Upstream, String>,
    now: f64,
) -> Answer {
    let path = uri.path().trim_matches('/');
    let known = ["products", "services", "slos", "groups", "slo"];
    if !known.contains(&path) {
        return Answer::error(
            404,
            format!("unknown resource `{path}`: expected `products`, `services`, `slos`, `groups` or `slo`"),
        );
    }
    if method != http::Method::GET {
        return Answer::error(405, format!("resource `{path}` only answers GET"));
    }
    let upstream = match upstream {
        Ok(upstream) => upstream,
        Err(message) => return Answer::error(400, message),
    };
    let params = parameters(uri);
    let values = |name: &str| match params.get(name) {
        None => Values::All,
        Some(list) => Values::Some(list.clone()),
    };
    let selection = Selection {
        products: values("product"),
        services: values("service"),
        slos: values("slo"),
    };
    let result = match path {
        "products" => products(upstream, &Selection::EVERYTHING, now).await,
        "services" => services(upstream, &selection, now).await,
        "slos" => slos(upstream, &selection, now).await,
        "groups" => groups(upstream, &selection, params.get("label"), now).await,
        _ => slo(upstream, &params, now).await,
    };
    result.unwrap_or_else(Answer::from)
}

/// Query parameters; a repeated parameter selects several values.
fn parameters(uri: &http::Uri) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(url) = reqwest::Url::parse(&format!("http://plugin{uri}")) else {
        return out;
    };
    for (key, value) in url.query_pairs() {
        if value.is_empty() {
            continue;
        }
        out.entry(key.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    out
}

async fn catalog(
    upstream: &Upstream,
    selection: &Selection,
    now: f64,
) -> Result<Vec<Sample>, QueryError> {
    let matchers = selection.matchers();
    let expr = if matchers.is_empty() {
        SERIES_INFO.to_string()
    } else {
        format!("{SERIES_INFO}{{{matchers}}}")
    };
    let mut samples = upstream.instant(&expr, now).await?;
    samples.sort_by(|a, b| Identity::of(&a.labels).cmp(&Identity::of(&b.labels)));
    Ok(samples)
}

async fn products(
    upstream: &Upstream,
    selection: &Selection,
    now: f64,
) -> Result<Answer, QueryError> {
    let mut products: BTreeMap<String, (BTreeSet<String>, usize)> = BTreeMap::new();
    for sample in catalog(upstream, selection, now).await? {
        let identity = Identity::of(&sample.labels);
        let entry = products.entry(identity.product).or_default();
        entry.0.insert(identity.service);
        entry.1 += 1;
    }
    let list: Vec<Value> = products
        .into_iter()
        .map(|(name, (services, slos))| {
            json!({"name": name, "services": services.len(), "slos": slos})
        })
        .collect();
    Ok(Answer::ok(json!({ "products": list })))
}

async fn services(
    upstream: &Upstream,
    selection: &Selection,
    now: f64,
) -> Result<Answer, QueryError> {
    let mut services: BTreeMap<(String, String), usize> = BTreeMap::new();
    for sample in catalog(upstream, selection, now).await? {
        let identity = Identity::of(&sample.labels);
        *services
            .entry((identity.product, identity.service))
            .or_default() += 1;
    }
    let list: Vec<Value> = services
        .into_iter()
        .map(|((product, name), slos)| json!({"product": product, "name": name, "slos": slos}))
        .collect();
    Ok(Answer::ok(json!({ "services": list })))
}

/// One SLO's catalog entry from its info series.
fn describe(labels: &BTreeMap<String, String>) -> Value {
    let get = |name: &str| labels.get(name).cloned();
    let own: BTreeMap<&String, &String> = labels
        .iter()
        .filter(|(k, _)| !k.starts_with("slokit_") && k.as_str() != "__name__")
        .collect();
    json!({
        "product": get(LABEL_PRODUCT),
        "service": get(LABEL_SERVICE),
        "slo": get(LABEL_SLO),
        "displayName": get(LABEL_DISPLAY_NAME),
        "owner": get(LABEL_OWNER),
        "tier": get(LABEL_TIER),
        "phase": get(LABEL_PHASE),
        "indicator": get(LABEL_INDICATOR),
        "source": get(LABEL_SOURCE),
        "labels": own,
        "composite": composite(labels),
    })
}

/// A composite SLO's method and members from its info series (`null` for other SLOs), so that a
/// panel or variable can show what a journey or a product's own SLO is made of. Members are
/// written `product/slo`, with `*weight` unless the weight is 1.
fn composite(labels: &BTreeMap<String, String>) -> Value {
    let Some(method) = labels.get(LABEL_COMPOSITE_METHOD) else {
        return Value::Null;
    };
    let members: Vec<Value> = labels
        .get(LABEL_COMPOSITE_MEMBERS)
        .map(String::as_str)
        .unwrap_or_default()
        .split(',')
        .filter(|m| !m.is_empty())
        .map(|member| {
            let (name, weight) = match member.rsplit_once('*') {
                Some((name, w)) => (name, w.parse::<f64>().unwrap_or(1.0)),
                None => (member, 1.0),
            };
            let (product, slo) = name.split_once('/').unwrap_or(("", name));
            json!({"product": product, "slo": slo, "weight": weight})
        })
        .collect();
    json!({
        "method": method,
        "members": members,
        "productSlo": labels.get(LABEL_PRODUCT_SLO).is_some_and(|v| v == "true"),
    })
}

/// The group labels of the selected SLOs and the values each takes, read from their 5m event
/// rates (recorded for every SLO and group from the first evaluation on, unlike the hourly and
/// period series): `{"groups": [{"label": "route", "values": ["/a", "/b"]}]}`, labels and values
/// sorted, narrowed to the labels named by `label` parameters when there are any.
async fn groups(
    upstream: &Upstream,
    selection: &Selection,
    only: Option<&Vec<String>>,
    now: f64,
) -> Result<Answer, QueryError> {
    let name = rate_series(SERIES_TOTAL, Some(BASE_WINDOW));
    let matchers = selection.matchers();
    let expr = if matchers.is_empty() {
        name
    } else {
        format!("{name}{{{matchers}}}")
    };
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for sample in upstream.instant(&expr, now).await? {
        for (label, value) in group_labels(&sample.labels) {
            if only.is_none_or(|names| names.contains(&label)) {
                values.entry(label).or_default().insert(value);
            }
        }
    }
    let list: Vec<Value> = values
        .into_iter()
        .map(|(label, values)| json!({"label": label, "values": values}))
        .collect();
    Ok(Answer::ok(json!({ "groups": list })))
}

async fn slos(upstream: &Upstream, selection: &Selection, now: f64) -> Result<Answer, QueryError> {
    let list: Vec<Value> = catalog(upstream, selection, now)
        .await?
        .iter()
        .map(|s| describe(&s.labels))
        .collect();
    Ok(Answer::ok(json!({ "slos": list })))
}

/// One SLO: its catalog entry, objective, period, current status per group and alert tiers.
async fn slo(
    upstream: &Upstream,
    params: &BTreeMap<String, Vec<String>>,
    now: f64,
) -> Result<Answer, QueryError> {
    let one = |name: &str| match params.get(name).map(Vec::as_slice) {
        Some([value]) => Ok(value.clone()),
        Some(_) => Err(QueryError::bad_request(format!(
            "`{name}` must be given once"
        ))),
        None => Err(QueryError::bad_request(format!(
            "`{name}` is missing: `slo` needs `product` and `slo`"
        ))),
    };
    let product = one("product")?;
    let slo = one("slo")?;
    let selection = Selection {
        products: Values::Some(vec![product.clone()]),
        services: Values::All,
        slos: Values::Some(vec![slo.clone()]),
    };
    let info = catalog(upstream, &selection, now).await?;
    let Some(first) = info.first() else {
        return Err(QueryError::not_found(format!(
            "no SLO `{slo}` in product `{product}`: `{SERIES_INFO}` has no such series ({}, {})",
            matcher(LABEL_PRODUCT, std::slice::from_ref(&product)),
            matcher(LABEL_SLO, std::slice::from_ref(&slo)),
        )));
    };
    let mut details = describe(&first.labels);
    let (rows, tiers) = futures_util::try_join!(
        status_rows(upstream, &selection, now),
        fetch_alert_windows(upstream, &selection, now),
    )?;
    let period_seconds = rows
        .first()
        .and_then(|r| slokit_conventions::duration::Duration::parse(&r.period).ok())
        .map(|d| d.secs_f64());
    let groups: Vec<Value> = rows
        .iter()
        .map(|row| {
            let burn: BTreeMap<String, Option<f64>> = STATUS_BURN_WINDOWS
                .iter()
                .zip(row.burn_rates)
                .map(|(w, v)| (w.to_string(), v))
                .collect();
            json!({
                "group": row.group,
                "sli": row.sli,
                "budgetRemaining": row.budget_remaining,
                "budgetRemainingMinutes": row.budget_remaining_minutes,
                "burnRates": burn,
                "alertState": row.alert_state,
                "policyAction": row.policy_action,
            })
        })
        .collect();
    // The recorded tiers (custom `burnRates` included), or the defaults for rules without them.
    let tiers: Vec<Value> = tiers
        .values()
        .next()
        .map(|(windows, source)| {
            windows
                .iter()
                .map(|w| {
                    json!({
                        "severity": w.severity,
                        "factor": w.factor,
                        "longWindow": w.long_window,
                        "shortWindow": w.short_window,
                        "source": source.as_str(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(object) = details.as_object_mut() {
        object.insert(
            "objective".into(),
            json!(rows.first().and_then(|r| r.objective)),
        );
        object.insert(
            "period".into(),
            json!(rows.first().map(|r| r.period.clone())),
        );
        object.insert("periodSeconds".into(), json!(period_seconds));
        object.insert("status".into(), Value::Array(groups));
        object.insert(
            "reviewStatus".into(),
            json!(rows.first().map(|r| r.review_status.clone())),
        );
        object.insert("alertTiers".into(), Value::Array(tiers));
    }
    Ok(Answer::ok(json!({ "slo": details })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_composite_lists_its_members_with_their_weights() {
        let info = labels(&[
            (LABEL_SLO, "checkout-journey"),
            (LABEL_COMPOSITE_METHOD, "events"),
            (
                LABEL_COMPOSITE_MEMBERS,
                "storefront/catalog-availability,payments/pay-availability*2",
            ),
        ]);
        let entry = describe(&info);
        assert_eq!(entry["composite"]["method"], "events");
        assert_eq!(entry["composite"]["productSlo"], false);
        assert_eq!(
            entry["composite"]["members"],
            json!([
                {"product": "storefront", "slo": "catalog-availability", "weight": 1.0},
                {"product": "payments", "slo": "pay-availability", "weight": 2.0},
            ])
        );
    }

    #[test]
    fn other_slos_have_no_composite_entry() {
        let entry = describe(&labels(&[(LABEL_SLO, "checkout-availability")]));
        assert_eq!(entry["composite"], Value::Null);
    }
}
