//! Reading one panel query. Grafana sends each query as JSON with its own fields (`refId`,
//! `datasource`, `intervalMs`, `hide`, ...) next to ours, so unknown fields are ignored; a field of
//! ours with the wrong shape is an error for that query alone, naming the field. Also the PromQL
//! label matchers for a selection of products, services and SLOs.

use std::fmt;

use serde_json::Value;
use slokit_conventions::duration::Duration;
use slokit_conventions::{
    BASE_WINDOW, LABEL_PRODUCT, LABEL_SERVICE, LABEL_SLO, PERIOD_SUFFIX, STANDARD_WINDOWS,
};

/// What a query asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    Sli,
    BurnRate,
    BudgetRemaining,
    BudgetBurndown,
    Status,
    Events,
    Annotations,
}

impl QueryKind {
    pub const ALL: [QueryKind; 7] = [
        QueryKind::Sli,
        QueryKind::BurnRate,
        QueryKind::BudgetRemaining,
        QueryKind::BudgetBurndown,
        QueryKind::Status,
        QueryKind::Events,
        QueryKind::Annotations,
    ];

    /// The `queryType` value.
    pub fn name(self) -> &'static str {
        match self {
            QueryKind::Sli => "sli",
            QueryKind::BurnRate => "burn_rate",
            QueryKind::BudgetRemaining => "budget_remaining",
            QueryKind::BudgetBurndown => "budget_burndown",
            QueryKind::Status => "status",
            QueryKind::Events => "events",
            QueryKind::Annotations => "annotations",
        }
    }

    /// The window used when the query names none.
    fn default_window(self) -> Option<Duration> {
        match self {
            QueryKind::BurnRate => Some(Duration::from_hours(1)),
            QueryKind::Events => Some(BASE_WINDOW),
            _ => None,
        }
    }
}

/// Which values of one identity label a query selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Values {
    All,
    /// At least one value.
    Some(Vec<String>),
}

/// The SLOs a query is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub products: Values,
    pub services: Values,
    pub slos: Values,
}

impl Selection {
    pub const EVERYTHING: Selection = Selection {
        products: Values::All,
        services: Values::All,
        slos: Values::All,
    };

    /// The label matchers, without braces: `slokit_product="shop",slokit_slo=~"a|b"`. Empty when
    /// everything is selected.
    pub fn matchers(&self) -> String {
        let mut parts = Vec::new();
        for (label, values) in [
            (LABEL_PRODUCT, &self.products),
            (LABEL_SERVICE, &self.services),
            (LABEL_SLO, &self.slos),
        ] {
            if let Values::Some(values) = values {
                parts.push(matcher(label, values));
            }
        }
        parts.join(",")
    }

    /// `product=shop, slo=a|b` for error messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, values) in [
            ("product", &self.products),
            ("service", &self.services),
            ("slo", &self.slos),
        ] {
            if let Values::Some(values) = values {
                parts.push(format!("{name}=`{}`", values.join("|")));
            }
        }
        if parts.is_empty() {
            "any SLO".into()
        } else {
            parts.join(", ")
        }
    }
}

/// `label="value"` for one value, `label=~"a|b"` (each value escaped for RE2) for several.
pub use slokit_conventions::promql::one_of as matcher;

/// The figures of a status row an alert rule can read (`alertValue`), by name.
pub const ALERT_VALUES: [&str; 7] = [
    "budget_remaining",
    "budget_remaining_minutes",
    "sli",
    "objective",
    "burn_rate_1h",
    "burn_rate_6h",
    "burn_rate_3d",
];

/// A parsed query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SloQuery {
    pub kind: QueryKind,
    pub selection: Selection,
    /// `None` is the SLO's period.
    pub window: Option<Duration>,
    /// Which figure of the status table an alert rule reads (one of [`ALERT_VALUES`];
    /// `budget_remaining` unless the query says `alertValue`).
    pub alert_value: &'static str,
    /// Whether Grafana's alerting sent the query (the `FromAlert` header). It is not part of the
    /// query's JSON: the service sets it from the request.
    pub from_alert: bool,
}

/// How a failed query is reported, mapped onto the HTTP-like status of a data response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    NotFound,
    BadGateway,
    Timeout,
    Internal,
}

/// An error for one query (one `refId`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    pub kind: ErrorKind,
    pub message: String,
}

impl QueryError {
    pub fn bad_request(message: impl Into<String>) -> QueryError {
        QueryError {
            kind: ErrorKind::BadRequest,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> QueryError {
        QueryError {
            kind: ErrorKind::NotFound,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> QueryError {
        QueryError {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }

    /// The HTTP status code Grafana shows for this error.
    pub fn http_status(&self) -> u16 {
        match self.kind {
            ErrorKind::BadRequest => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::BadGateway => 502,
            ErrorKind::Timeout => 504,
            ErrorKind::Internal => 500,
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<crate::upstream::UpstreamError> for QueryError {
    fn from(error: crate::upstream::UpstreamError) -> QueryError {
        let kind = match error {
            crate::upstream::UpstreamError::Timeout { .. } => ErrorKind::Timeout,
            _ => ErrorKind::BadGateway,
        };
        QueryError {
            kind,
            message: error.to_string(),
        }
    }
}

/// The windows a query may name: those recorded for every SLO, and the period.
pub fn window_names() -> String {
    let mut names: Vec<String> = std::iter::once(BASE_WINDOW)
        .chain(STANDARD_WINDOWS)
        .map(|w| format!("`{w}`"))
        .collect();
    names.push(format!("`{PERIOD_SUFFIX}`"));
    names.join(", ")
}

/// Reads one query. `query_type` is the request's own field; the JSON's `queryType` is used when it
/// is empty (both are set by Grafana's frontend).
pub fn parse(query_type: &str, json: &Value) -> Result<SloQuery, QueryError> {
    if !json.is_object() {
        return Err(QueryError::bad_request(
            "the query must be a JSON object".to_string(),
        ));
    }
    let query_type = if query_type.is_empty() {
        match json.get("queryType") {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(QueryError::bad_request("`queryType` must be a string")),
        }
    } else {
        query_type
    };
    let expected: Vec<String> = QueryKind::ALL
        .iter()
        .map(|k| format!("`{}`", k.name()))
        .collect();
    if query_type.is_empty() {
        return Err(QueryError::bad_request(format!(
            "`queryType` is missing: expected one of {}",
            expected.join(", ")
        )));
    }
    let Some(kind) = QueryKind::ALL.into_iter().find(|k| k.name() == query_type) else {
        return Err(QueryError::bad_request(format!(
            "`queryType` `{query_type}` is unknown: expected one of {}",
            expected.join(", ")
        )));
    };
    let selection = Selection {
        products: values(json, "product")?,
        services: values(json, "service")?,
        slos: values(json, "slo")?,
    };
    let window = match json.get("window") {
        None | Some(Value::Null) => kind.default_window(),
        Some(Value::String(s)) if s.trim().is_empty() => kind.default_window(),
        Some(Value::String(s)) => parse_window(s.trim())?,
        Some(_) => {
            return Err(QueryError::bad_request(
                "`window` must be a string such as `1h`",
            ))
        }
    };
    let alert_value = match json.get("alertValue") {
        None | Some(Value::Null) => ALERT_VALUES[0],
        Some(Value::String(s)) if s.trim().is_empty() => ALERT_VALUES[0],
        Some(Value::String(s)) => ALERT_VALUES
            .into_iter()
            .find(|v| *v == s.trim())
            .ok_or_else(|| {
                QueryError::bad_request(format!(
                    "`alertValue` `{}` is unknown: expected one of {}",
                    s.trim(),
                    ALERT_VALUES.map(|v| format!("`{v}`")).join(", ")
                ))
            })?,
        Some(_) => {
            return Err(QueryError::bad_request(
                "`alertValue` must be a string such as `budget_remaining`",
            ))
        }
    };
    Ok(SloQuery {
        kind,
        selection,
        window,
        alert_value,
        from_alert: false,
    })
}

fn parse_window(text: &str) -> Result<Option<Duration>, QueryError> {
    if text == PERIOD_SUFFIX {
        return Ok(None);
    }
    let recorded = std::iter::once(BASE_WINDOW).chain(STANDARD_WINDOWS);
    match Duration::parse(text) {
        Ok(window) if recorded.clone().any(|w| w == window) => Ok(Some(window)),
        _ => Err(QueryError::bad_request(format!(
            "`window` `{text}` is not a recorded window: use one of {}",
            window_names()
        ))),
    }
}

/// True for the values Grafana and users write for "everything".
fn means_all(value: &str) -> bool {
    matches!(value.trim(), "" | "*" | "$__all" | "All" | "all")
}

/// One value, a list, or all (missing, null, `*`, `$__all`).
fn values(json: &Value, field: &str) -> Result<Values, QueryError> {
    match json.get(field) {
        None | Some(Value::Null) => Ok(Values::All),
        Some(Value::String(s)) if means_all(s) => Ok(Values::All),
        Some(Value::String(s)) => Ok(Values::Some(vec![s.trim().to_string()])),
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err(QueryError::bad_request(format!(
                    "`{field}` is an empty list: select at least one value, or `*` for all"
                )));
            }
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::String(s) if means_all(s) => return Ok(Values::All),
                    Value::String(s) => {
                        if !out.contains(&s.trim().to_string()) {
                            out.push(s.trim().to_string());
                        }
                    }
                    _ => {
                        return Err(QueryError::bad_request(format!(
                            "`{field}` must be a string or a list of strings"
                        )))
                    }
                }
            }
            Ok(Values::Some(out))
        }
        Some(_) => Err(QueryError::bad_request(format!(
            "`{field}` must be a string or a list of strings"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_error(query: Value, expected: &str) {
        let error = parse("", &query).unwrap_err();
        assert_eq!(error.message, expected);
        assert_eq!(error.http_status(), 400);
    }

    #[test]
    fn bad_queries_name_the_field() {
        check_error(
            json!({"refId": "A"}),
            "`queryType` is missing: expected one of `sli`, `burn_rate`, `budget_remaining`, `budget_burndown`, `status`, `events`, `annotations`",
        );
        check_error(
            json!({"queryType": "slis"}),
            "`queryType` `slis` is unknown: expected one of `sli`, `burn_rate`, `budget_remaining`, `budget_burndown`, `status`, `events`, `annotations`",
        );
        check_error(
            json!({"queryType": "sli", "slo": 3}),
            "`slo` must be a string or a list of strings",
        );
        check_error(
            json!({"queryType": "sli", "product": []}),
            "`product` is an empty list: select at least one value, or `*` for all",
        );
        check_error(
            json!({"queryType": "sli", "window": "4h"}),
            "`window` `4h` is not a recorded window: use one of `5m`, `30m`, `1h`, `2h`, `6h`, `1d`, `3d`, `period`",
        );
        check_error(json!([1]), "the query must be a JSON object");
        check_error(
            json!({"queryType": "status", "alertValue": "burn"}),
            "`alertValue` `burn` is unknown: expected one of `budget_remaining`, `budget_remaining_minutes`, `sli`, `objective`, `burn_rate_1h`, `burn_rate_6h`, `burn_rate_3d`",
        );
    }

    #[test]
    fn extra_fields_are_ignored_and_all_is_understood() {
        let query = parse(
            "burn_rate",
            &json!({"refId": "A", "datasource": {"uid": "x"}, "hide": false, "product": "$__all",
                    "service": ["api", "*"], "slo": ["a.b", "c|d"], "intervalMs": 1000}),
        )
        .unwrap();
        assert_eq!(query.kind, QueryKind::BurnRate);
        assert_eq!(query.window, Some(Duration::from_hours(1)));
        assert_eq!(query.selection.products, Values::All);
        assert_eq!(query.selection.services, Values::All);
        assert_eq!(query.selection.matchers(), r#"slokit_slo=~"a\\.b|c\\|d""#);
    }

    #[test]
    fn one_value_is_an_equality_matcher() {
        let query = parse(
            "",
            &json!({"queryType": "sli", "product": "shop", "window": "period"}),
        )
        .unwrap();
        assert_eq!(query.window, None);
        assert_eq!(query.selection.matchers(), r#"slokit_product="shop""#);
        assert_eq!(query.selection.describe(), "product=`shop`");
    }
}
