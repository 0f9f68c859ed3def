//! What a query receives: the size limit, the API's envelope
//! (`{"status": "success", "data": ...}` or `{"status": "error", "errorType": ..., "error": ...}`),
//! and the results inside it, parsed into [`Sample`]s and [`Series`] so that nothing after a
//! client sees JSON. Failures are typed and carry no wording: each client words them for its own
//! readers, through its [`crate::Redactor`] wherever they hold server text.

use std::collections::BTreeMap;

use serde_json::Value;

/// The largest response body a client reads. A range query at Prometheus's own limit of 11,000
/// points is about 300 KiB per series, so this holds a couple of hundred series at full
/// resolution, and a report over thousands of SLOs stays far below it; anything larger is a
/// misbehaving server, not an answer.
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// One series of an instant query.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One series of a range query: `(Unix seconds, value)` pairs in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

/// The result of an instant query. A scalar (`scalar(...)`, `time()`) has no series; what it means
/// is the client's to decide.
#[derive(Clone, Debug, PartialEq)]
pub enum InstantResult {
    Vector(Vec<Sample>),
    Scalar(f64),
}

/// Why a response holds no `data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The API's own error, `"status": "error"`, at any HTTP status: Prometheus answers a bad
    /// query with 400 and a query timeout with 503, each with this body.
    Api {
        http_status: u16,
        error_type: Option<String>,
        error: Option<String>,
    },
    /// An HTTP status outside 2xx whose body is not the API's error. `error` is the body's
    /// `error` text when it is a JSON object with one (as gateways answer), and `snippet` the
    /// start of the body ([`snippet`]).
    Status {
        http_status: u16,
        error: Option<String>,
        snippet: String,
    },
    /// A success status with a body that is not JSON (a proxy's login page, say).
    NotJson { snippet: String },
    /// JSON without `"status": "success"`; `error` as for [`Failure::Status`].
    NotSuccess { error: Option<String> },
    /// `"status": "success"` without `data`.
    NoData,
}

/// The envelope's `data`, or why there is none, from an HTTP status and the body.
pub fn read_envelope(http_status: u16, body: &[u8]) -> Result<Value, Failure> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let status = json.as_ref().and_then(|j| text(j, "status"));
    if status.as_deref() == Some("error") {
        return Err(Failure::Api {
            http_status,
            error_type: json.as_ref().and_then(|j| text(j, "errorType")),
            error: json.as_ref().and_then(|j| text(j, "error")),
        });
    }
    if !(200..300).contains(&http_status) {
        return Err(Failure::Status {
            http_status,
            error: json.as_ref().and_then(|j| text(j, "error")),
            snippet: snippet(body),
        });
    }
    let Some(mut json) = json else {
        return Err(Failure::NotJson {
            snippet: snippet(body),
        });
    };
    if status.as_deref() != Some("success") {
        return Err(Failure::NotSuccess {
            error: text(&json, "error"),
        });
    }
    json.get_mut("data").map(Value::take).ok_or(Failure::NoData)
}

/// The string at `key` of a JSON object.
fn text(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The start of a body for an error message: one line of at most 200 characters in backticks,
/// `empty body`, or the size of a body that is not text (binary garbage printed as text would be
/// a line of replacement characters; its size says more).
pub fn snippet(body: &[u8]) -> String {
    let Ok(text) = std::str::from_utf8(body) else {
        return format!("{} bytes that are not text", body.len());
    };
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let line = line.trim().to_string();
    if line.is_empty() {
        "empty body".into()
    } else {
        format!("`{line}`")
    }
}

/// The `data` of an instant query: a vector, or a scalar. The reason for a failure is fixed text,
/// never text from the body.
pub fn parse_instant(data: &Value) -> Result<InstantResult, String> {
    match data.get("resultType").and_then(Value::as_str) {
        Some("vector") => result_list(data)?
            .iter()
            .map(|item| {
                Ok(Sample {
                    labels: labels(item)?,
                    value: pair(item.get("value"))
                        .ok_or("a series has no valid `value`")?
                        .1,
                })
            })
            .collect::<Result<_, String>>()
            .map(InstantResult::Vector),
        Some("scalar") => pair(data.get("result"))
            .map(|(_, value)| InstantResult::Scalar(value))
            .ok_or_else(|| "`data.result` is not a valid scalar".to_string()),
        _ => Err("`data.resultType` is not `vector` or `scalar`".into()),
    }
}

/// The `data` of a range query: a matrix. The reason for a failure is fixed text, never text from
/// the body.
pub fn parse_range(data: &Value) -> Result<Vec<Series>, String> {
    if data.get("resultType").and_then(Value::as_str) != Some("matrix") {
        return Err("`data.resultType` is not `matrix`".into());
    }
    result_list(data)?
        .iter()
        .map(|item| {
            let values = item
                .get("values")
                .and_then(Value::as_array)
                .ok_or("a series has no `values`")?;
            Ok(Series {
                labels: labels(item)?,
                points: values
                    .iter()
                    .map(|v| pair(Some(v)))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("a series has an invalid sample")?,
            })
        })
        .collect()
}

fn result_list(data: &Value) -> Result<&Vec<Value>, String> {
    data.get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| "`data.result` is not a list".to_string())
}

/// A series' `metric` object as labels; a label whose value is not a string is left out.
fn labels(item: &Value) -> Result<BTreeMap<String, String>, String> {
    let metric = item
        .get("metric")
        .and_then(Value::as_object)
        .ok_or("a series has no `metric`")?;
    Ok(metric
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect())
}

/// `[1700000000.5, "0.25"]` → `(1700000000.5, 0.25)`; `"NaN"`, `"+Inf"` and `"-Inf"` parse too.
fn pair(pair: Option<&Value>) -> Option<(f64, f64)> {
    let pair = pair?.as_array()?;
    let time = pair.first()?.as_f64()?;
    let value = pair.get(1)?.as_str()?.parse::<f64>().ok()?;
    Some((time, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vectors_scalars_and_matrices_parse() {
        let data = json!({"resultType": "vector", "result": [
            {"metric": {"a": "1", "n": 2}, "value": [10.5, "0.25"]},
            {"metric": {}, "value": [10.5, "NaN"]}]});
        let InstantResult::Vector(samples) = parse_instant(&data).unwrap() else {
            panic!("a vector");
        };
        assert_eq!(samples[0].labels, [("a".into(), "1".into())].into());
        assert_eq!(samples[0].value, 0.25);
        assert!(samples[1].value.is_nan());
        let scalar = json!({"resultType": "scalar", "result": [10, "+Inf"]});
        assert_eq!(
            parse_instant(&scalar).unwrap(),
            InstantResult::Scalar(f64::INFINITY)
        );
        let data = json!({"resultType": "matrix", "result": [
            {"metric": {"a": "1"}, "values": [[1, "1"], [2, "0.5"]]}]});
        assert_eq!(
            parse_range(&data).unwrap()[0].points,
            vec![(1.0, 1.0), (2.0, 0.5)]
        );
    }

    #[test]
    fn unexpected_results_are_refused_with_fixed_reasons() {
        let cases = [
            (
                parse_instant(&json!({"resultType": "string"})).err(),
                "`data.resultType` is not `vector` or `scalar`",
            ),
            (
                parse_instant(&json!({"resultType": "matrix", "result": []})).err(),
                "`data.resultType` is not `vector` or `scalar`",
            ),
            (
                parse_instant(&json!({"resultType": "vector", "result": {}})).err(),
                "`data.result` is not a list",
            ),
            (
                parse_instant(&json!({"resultType": "vector", "result": [{"value": [1, "1"]}]}))
                    .err(),
                "a series has no `metric`",
            ),
            (
                parse_instant(
                    &json!({"resultType": "vector", "result": [{"metric": {}, "value": [1, 1]}]}),
                )
                .err(),
                "a series has no valid `value`",
            ),
            (
                parse_instant(&json!({"resultType": "scalar", "result": "secret"})).err(),
                "`data.result` is not a valid scalar",
            ),
            (
                parse_range(&json!({"resultType": "vector", "result": []})).err(),
                "`data.resultType` is not `matrix`",
            ),
            (
                parse_range(&json!({"resultType": "matrix", "result": [{"metric": {}}]})).err(),
                "a series has no `values`",
            ),
            (
                parse_range(
                    &json!({"resultType": "matrix", "result": [{"metric": {}, "values": [[1]]}]}),
                )
                .err(),
                "a series has an invalid sample",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.as_deref(), Some(expected));
        }
    }

    #[test]
    fn envelopes_give_data_or_a_typed_failure() {
        let ok = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(
            read_envelope(200, ok),
            Ok(json!({"resultType": "vector", "result": []}))
        );
        let api = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        for http_status in [200, 400] {
            assert_eq!(
                read_envelope(http_status, api),
                Err(Failure::Api {
                    http_status,
                    error_type: Some("bad_data".into()),
                    error: Some("parse error".into()),
                })
            );
        }
        assert_eq!(
            read_envelope(502, b"<html>\nbad gateway</html>"),
            Err(Failure::Status {
                http_status: 502,
                error: None,
                snippet: "`<html> bad gateway</html>`".into(),
            })
        );
        assert_eq!(
            read_envelope(401, br#"{"error":"no token"}"#),
            Err(Failure::Status {
                http_status: 401,
                error: Some("no token".into()),
                snippet: r#"`{"error":"no token"}`"#.into(),
            })
        );
        assert_eq!(
            read_envelope(200, b"<html>proxy login</html>"),
            Err(Failure::NotJson {
                snippet: "`<html>proxy login</html>`".into()
            })
        );
        assert_eq!(
            read_envelope(200, br#"{"status":"pending","error":"later"}"#),
            Err(Failure::NotSuccess {
                error: Some("later".into())
            })
        );
        assert_eq!(
            read_envelope(200, b"[1]"),
            Err(Failure::NotSuccess { error: None })
        );
        assert_eq!(
            read_envelope(200, br#"{"status":"success"}"#),
            Err(Failure::NoData)
        );
    }

    #[test]
    fn snippets_are_one_short_line() {
        assert_eq!(snippet(b""), "empty body");
        assert_eq!(
            snippet(b"  <html>\n\tdown</html>\n"),
            "`<html>  down</html>`"
        );
        assert_eq!(snippet(&[0xff, 0xfe, 0, 1]), "4 bytes that are not text");
        assert_eq!(snippet("é".repeat(300).as_bytes()).chars().count(), 202);
    }
}
