//! The blocking client for a Prometheus-compatible HTTP API (Prometheus, Mimir, Thanos,
//! VictoriaMetrics): instant and range queries, authentication (basic, bearer token, a tenant
//! header for multi-tenant stores, arbitrary extra headers) and a timeout. Responses are parsed
//! into this module's own types at the edge, so nothing after it sees JSON. This is the only module
//! besides spec loading and writing that does I/O; `budget`, `policy`, `readiness` and `report`
//! work on what it returns.
//!
//! Secrets (passwords, tokens, user info in the URL) are never printed: [`Secret`] redacts itself
//! in `Debug`, and every error names the URL with its user info removed.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration as StdDuration;

/// Responses larger than this are refused; a report over thousands of SLOs stays far below it.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// A password or token. Its `Debug` output is `<redacted>`, so it can sit in structs that are
/// printed while debugging without leaking.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Auth {
    #[default]
    None,
    Basic {
        user: String,
        password: Secret,
    },
    Bearer(Secret),
}

/// How to reach the API. `Debug` shows the URL without user info.
#[derive(Clone)]
pub struct Config {
    /// The base URL, e.g. `http://prometheus:9090` or `https://mimir/prometheus`.
    pub url: String,
    pub auth: Auth,
    /// Sent as `X-Scope-OrgID` (Mimir, Cortex, Loki-style multi-tenancy).
    pub tenant: Option<String>,
    /// Extra headers, sent as given.
    pub headers: Vec<(String, String)>,
    /// For the whole request, connection included.
    pub timeout: StdDuration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &redact_url(&self.url))
            .field("auth", &self.auth)
            .field("tenant", &self.tenant)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The header multi-tenant stores read the tenant from.
pub const TENANT_HEADER: &str = "X-Scope-OrgID";

/// One series of an instant query.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One series of a range query: `(unix seconds, value)` pairs in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeSeries {
    pub labels: BTreeMap<String, String>,
    pub values: Vec<(f64, f64)>,
}

/// Why a query produced no answer. Every variant means "cannot decide", never "all clear".
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No HTTP response: connection refused, DNS, TLS, timeout.
    Unreachable { url: String, detail: String },
    /// An HTTP error status, with the start of the body.
    Status {
        url: String,
        status: u16,
        body: String,
    },
    /// The API answered `"status": "error"` (a bad query, a query timeout on the server).
    Query {
        expr: String,
        error_type: String,
        message: String,
    },
    /// The body was not the JSON the API documents.
    Decode { url: String, detail: String },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unreachable { url, detail } => write!(
                f,
                "cannot reach the Prometheus API at `{url}`: {detail}; check `--prometheus`, the network and `--timeout`"
            ),
            ApiError::Status { url, status, body } => {
                write!(f, "the Prometheus API at `{url}` answered HTTP {status}")?;
                if !body.is_empty() {
                    write!(f, " ({body})")?;
                }
                match status {
                    401 | 403 => write!(
                        f,
                        "; check `--basic-auth-user`, `--basic-auth-password-file` or `--bearer-token-file`"
                    ),
                    404 => write!(
                        f,
                        "; `--prometheus` must be the API's base URL (the part before `/api/v1`)"
                    ),
                    _ => Ok(()),
                }
            }
            ApiError::Query {
                expr,
                error_type,
                message,
            } => write!(f, "query `{expr}` failed ({error_type}): {message}"),
            ApiError::Decode { url, detail } => write!(
                f,
                "the answer from `{url}` is not a Prometheus API response: {detail}; is `--prometheus` a Prometheus-compatible API?"
            ),
        }
    }
}

impl std::error::Error for ApiError {}

/// A configured client. Cheap to share; requests are sequential.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    /// The base URL with any user info removed, for messages.
    shown: String,
    headers: Vec<(String, String)>,
    /// The number of requests sent, so tests can prove queries are batched.
    requests: std::cell::Cell<usize>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("url", &self.shown).finish()
    }
}

impl Client {
    pub fn new(config: &Config) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        let mut headers = Vec::new();
        match &config.auth {
            Auth::None => {}
            Auth::Basic { user, password } => headers.push((
                "Authorization".to_string(),
                format!(
                    "Basic {}",
                    base64(format!("{user}:{}", password.expose()).as_bytes())
                ),
            )),
            Auth::Bearer(token) => headers.push((
                "Authorization".to_string(),
                format!("Bearer {}", token.expose()),
            )),
        }
        if let Some(tenant) = &config.tenant {
            headers.push((TENANT_HEADER.to_string(), tenant.clone()));
        }
        headers.extend(config.headers.iter().cloned());
        let base = config.url.trim_end_matches('/').to_string();
        Client {
            agent,
            shown: redact_url(&base),
            base,
            headers,
            requests: std::cell::Cell::new(0),
        }
    }

    /// The base URL without user info.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// How many requests this client has sent.
    pub fn requests(&self) -> usize {
        self.requests.get()
    }

    /// An instant query at `time` (Unix seconds), or at the server's now.
    pub fn query(&self, expr: &str, time: Option<f64>) -> Result<Vec<Sample>, ApiError> {
        let mut form = vec![("query", expr.to_string())];
        if let Some(t) = time {
            form.push(("time", format_time(t)));
        }
        let data = self.post("/api/v1/query", &form, expr)?;
        parse_vector(&data).map_err(|detail| self.decode_error(detail))
    }

    /// A range query over `[start, end]` every `step` seconds.
    pub fn query_range(
        &self,
        expr: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Vec<RangeSeries>, ApiError> {
        let form = vec![
            ("query", expr.to_string()),
            ("start", format_time(start)),
            ("end", format_time(end)),
            ("step", format_time(step)),
        ];
        let data = self.post("/api/v1/query_range", &form, expr)?;
        parse_matrix(&data).map_err(|detail| self.decode_error(detail))
    }

    fn decode_error(&self, detail: String) -> ApiError {
        ApiError::Decode {
            url: self.shown.clone(),
            detail,
        }
    }

    /// POSTs a form (queries can be long: a selector names every product) and returns `data`.
    fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        expr: &str,
    ) -> Result<serde_json::Value, ApiError> {
        self.requests.set(self.requests.get() + 1);
        let mut request = self.agent.post(&format!("{}{path}", self.base));
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = request
            .send_form(form.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|e| ApiError::Unreachable {
                url: self.shown.clone(),
                detail: describe_transport_error(&e),
            })?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|e| ApiError::Unreachable {
                url: self.shown.clone(),
                detail: format!("reading the response failed: {e}"),
            })?;
        let json: Option<serde_json::Value> = serde_json::from_str(&body).ok();
        // Prometheus answers bad queries with 400 and a JSON error body; report its words.
        if let Some(json) = &json {
            if json["status"] == "error" {
                return Err(ApiError::Query {
                    expr: expr.to_string(),
                    error_type: json["errorType"].as_str().unwrap_or("error").to_string(),
                    message: json["error"].as_str().unwrap_or("").to_string(),
                });
            }
        }
        if !(200..300).contains(&status) {
            return Err(ApiError::Status {
                url: self.shown.clone(),
                status,
                body: body.trim().chars().take(200).collect(),
            });
        }
        match json {
            Some(json) if json["status"] == "success" => Ok(json["data"].clone()),
            Some(_) => Err(self.decode_error("no `\"status\": \"success\"`".into())),
            None => Err(self.decode_error("the body is not JSON".into())),
        }
    }
}

fn describe_transport_error(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => "the request timed out".into(),
        ureq::Error::HostNotFound => "the host name does not resolve".into(),
        ureq::Error::Io(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// Prometheus accepts fractional Unix seconds; whole seconds print without a fraction.
fn format_time(t: f64) -> String {
    if t.fract() == 0.0 {
        format!("{}", t as i64)
    } else {
        format!("{t:.3}")
    }
}

/// `https://user:pass@host/x` → `https://host/x`.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match scheme {
        Some(s) => format!("{s}://{host}{path}"),
        None => format!("{host}{path}"),
    }
}

/// Standard base64 with padding, for the basic-auth header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn labels(value: &serde_json::Value) -> Result<BTreeMap<String, String>, String> {
    let object = value.as_object().ok_or("a series has no `metric` object")?;
    Ok(object
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect())
}

/// `[1700000000.5, "0.25"]` → `(1700000000.5, 0.25)`; `"NaN"` and `"+Inf"` parse too.
fn pair(value: &serde_json::Value) -> Result<(f64, f64), String> {
    let time = value[0].as_f64().ok_or("a sample has no time")?;
    let number = value[1]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or("a sample has no numeric value")?;
    Ok((time, number))
}

/// `data` of an instant query. A scalar result becomes one sample without labels.
pub fn parse_vector(data: &serde_json::Value) -> Result<Vec<Sample>, String> {
    match data["resultType"].as_str() {
        Some("vector") => data["result"]
            .as_array()
            .ok_or("`result` is not a list")?
            .iter()
            .map(|s| {
                Ok(Sample {
                    labels: labels(&s["metric"])?,
                    value: pair(&s["value"])?.1,
                })
            })
            .collect(),
        Some("scalar") => Ok(vec![Sample {
            labels: BTreeMap::new(),
            value: pair(&data["result"])?.1,
        }]),
        other => Err(format!("unexpected result type {other:?}")),
    }
}

/// `data` of a range query.
pub fn parse_matrix(data: &serde_json::Value) -> Result<Vec<RangeSeries>, String> {
    if data["resultType"].as_str() != Some("matrix") {
        return Err(format!(
            "unexpected result type {:?}",
            data["resultType"].as_str()
        ));
    }
    data["result"]
        .as_array()
        .ok_or("`result` is not a list")?
        .iter()
        .map(|s| {
            Ok(RangeSeries {
                labels: labels(&s["metric"])?,
                values: s["values"]
                    .as_array()
                    .ok_or("a series has no `values`")?
                    .iter()
                    .map(pair)
                    .collect::<Result<_, String>>()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn urls_lose_their_user_info() {
        assert_eq!(
            redact_url("https://u:p@mimir.example/prometheus"),
            "https://mimir.example/prometheus"
        );
        assert_eq!(redact_url("http://127.0.0.1:9090"), "http://127.0.0.1:9090");
        assert_eq!(redact_url("a:b@host"), "host");
    }

    #[test]
    fn secrets_do_not_print() {
        let config = Config {
            url: "http://u:hunter2@h".into(),
            auth: Auth::Basic {
                user: "u".into(),
                password: Secret::new("hunter2"),
            },
            tenant: None,
            headers: vec![],
            timeout: StdDuration::from_secs(1),
        };
        assert!(!format!("{config:?}").contains("hunter2"));
        assert!(!format!("{:?}", Client::new(&config)).contains("hunter2"));
    }

    #[test]
    fn vectors_and_matrices_parse() {
        let data = serde_json::json!({"resultType": "vector", "result": [
            {"metric": {"a": "1"}, "value": [10.5, "0.25"]},
            {"metric": {}, "value": [10.5, "NaN"]}]});
        let samples = parse_vector(&data).unwrap();
        assert_eq!(samples[0].labels["a"], "1");
        assert_eq!(samples[0].value, 0.25);
        assert!(samples[1].value.is_nan());
        let data = serde_json::json!({"resultType": "matrix", "result": [
            {"metric": {"a": "1"}, "values": [[1, "1"], [2, "0.5"]]}]});
        assert_eq!(
            parse_matrix(&data).unwrap()[0].values,
            vec![(1.0, 1.0), (2.0, 0.5)]
        );
        assert!(parse_vector(&serde_json::json!({"resultType": "string"})).is_err());
    }

    #[test]
    fn unreachable_is_an_error_naming_the_redacted_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = Client::new(&Config {
            url: format!("http://me:secret@127.0.0.1:{port}"),
            auth: Auth::None,
            tenant: None,
            headers: vec![],
            timeout: StdDuration::from_secs(2),
        });
        let error = client.query("up", None).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, ApiError::Unreachable { .. }), "{text}");
        assert!(
            text.contains(&format!("`http://127.0.0.1:{port}`")),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }

    /// The headers on the wire, read by a one-shot listener that answers like Prometheus.
    #[test]
    fn auth_tenant_and_extra_headers_are_sent() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !String::from_utf8_lossy(&request).contains("query=up") {
                let n = stream.read(&mut buffer).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..n]);
            }
            let body = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            String::from_utf8_lossy(&request).to_lowercase()
        });
        let client = Client::new(&Config {
            url: format!("http://127.0.0.1:{port}/"),
            auth: Auth::Basic {
                user: "alice".into(),
                password: Secret::new("s3cret"),
            },
            tenant: Some("team-a".into()),
            headers: vec![("X-Extra".into(), "1".into())],
            timeout: StdDuration::from_secs(5),
        });
        assert_eq!(client.query("up", Some(10.0)).unwrap(), vec![]);
        let request = server.join().unwrap();
        assert!(request.starts_with("post /api/v1/query "), "{request}");
        assert!(
            request.contains(&format!(
                "authorization: basic {}",
                base64(b"alice:s3cret").to_lowercase()
            )),
            "{request}"
        );
        assert!(request.contains("x-scope-orgid: team-a"), "{request}");
        assert!(request.contains("x-extra: 1"), "{request}");
        assert!(request.contains("time=10"), "{request}");
    }
}
