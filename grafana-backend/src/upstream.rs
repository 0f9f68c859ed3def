//! The Prometheus HTTP API client: one `reqwest` client per datasource instance (built from its
//! [`Settings`]), instant and range queries, and errors that say which of "unreachable", "too
//! slow", "rejected our credentials" or "answered nonsense" happened. Works with anything that
//! speaks Prometheus's `/api/v1/query` API: Prometheus, Mimir, Thanos, VictoriaMetrics.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::settings::{Settings, TENANT_HEADER};

/// The largest response body the plugin reads from Prometheus. A range query at Prometheus's own
/// limit of 11,000 points is about 300 KiB per series, so this holds a couple of hundred series at
/// full resolution; anything larger is a misbehaving server, not an answer.
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// Why a request to Prometheus failed. `Display` never includes secrets: URLs are printed without
/// credentials and reqwest errors without their URL.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamError {
    /// Connection refused, DNS failure, TLS failure, connection reset.
    Unreachable { url: String, reason: String },
    /// No answer within the configured timeout.
    Timeout { url: String, timeout: Duration },
    /// HTTP 401 or 403.
    AuthFailed { url: String, status: u16 },
    /// Any other non-success status (5xx, 4xx), with Prometheus's error text when it sent one.
    Status {
        url: String,
        status: u16,
        message: String,
    },
    /// A body that is not the API's JSON envelope.
    Malformed { url: String, reason: String },
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::Unreachable { url, reason } => {
                write!(f, "cannot reach prometheus at `{url}`: {reason}")
            }
            UpstreamError::Timeout { url, timeout } => write!(
                f,
                "prometheus at `{url}` did not answer within {}s (the datasource's timeout)",
                timeout.as_secs_f64()
            ),
            UpstreamError::AuthFailed { url, status } => write!(
                f,
                "prometheus at `{url}` rejected the credentials (HTTP {status}): check basic auth, the bearer token and custom headers"
            ),
            UpstreamError::Status {
                url,
                status,
                message,
            } => {
                write!(f, "prometheus at `{url}` answered HTTP {status}")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            UpstreamError::Malformed { url, reason } => {
                write!(f, "prometheus at `{url}` sent a malformed response: {reason}")
            }
        }
    }
}

impl std::error::Error for UpstreamError {}

/// One series of an instant query.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One series of a range query: `(unix seconds, value)` pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(f64, f64)>,
}

/// A client for one datasource instance.
pub struct Upstream {
    pub settings: Settings,
    client: reqwest::Client,
    /// Requests sent so far, for the plugin's own metrics and the benchmarks.
    pub requests: AtomicU64,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Builds the HTTP client. Fails on settings reqwest rejects, e.g. a CA bundle that is not PEM.
    pub fn new(settings: Settings) -> Result<Upstream, String> {
        let mut headers = http::HeaderMap::new();
        if let Some(tenant) = &settings.tenant {
            let value = http::HeaderValue::from_str(tenant)
                .map_err(|_| "`jsonData.tenantId` is not a valid header value".to_string())?;
            headers.insert(TENANT_HEADER, value);
        }
        for (name, value) in &settings.headers {
            // Both were validated when the settings were parsed.
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` is not a valid header name"))?;
            let mut value = http::HeaderValue::from_str(value.expose())
                .map_err(|_| format!("the value of header `{name}` is not valid"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("slokit-grafana-plugin/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(settings.tls_skip_verify);
        if let Some(pem) = &settings.tls_ca_cert {
            let certificates = reqwest::Certificate::from_pem_bundle(pem.expose().as_bytes())
                .map_err(|_| "`secureJsonData.tlsCACert` is not a PEM certificate bundle")?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))?;
        Ok(Upstream {
            settings,
            client,
            requests: AtomicU64::new(0),
        })
    }

    /// An instant query at `time` (Unix seconds).
    pub async fn instant(&self, expr: &str, time: f64) -> Result<Vec<Sample>, UpstreamError> {
        let data = self
            .call(
                "query",
                &[("query", expr.to_string()), ("time", time.to_string())],
            )
            .await?;
        let url = &self.settings.url;
        let malformed = |reason: &str| UpstreamError::Malformed {
            url: url.clone(),
            reason: reason.to_string(),
        };
        match data.get("resultType").and_then(Value::as_str) {
            Some("vector") => {}
            Some("scalar") => return Ok(Vec::new()),
            _ => return Err(malformed("`data.resultType` is not `vector`")),
        }
        let result = data
            .get("result")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("`data.result` is not a list"))?;
        result
            .iter()
            .map(|item| {
                Ok(Sample {
                    labels: labels(item).ok_or_else(|| malformed("a series has no `metric`"))?,
                    value: sample(item.get("value"))
                        .ok_or_else(|| malformed("a series has no valid `value`"))?
                        .1,
                })
            })
            .collect()
    }

    /// A range query over `[start, end]` every `step` seconds.
    pub async fn range(
        &self,
        expr: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Vec<Series>, UpstreamError> {
        let data = self
            .call(
                "query_range",
                &[
                    ("query", expr.to_string()),
                    ("start", start.to_string()),
                    ("end", end.to_string()),
                    ("step", step.to_string()),
                ],
            )
            .await?;
        let url = &self.settings.url;
        let malformed = |reason: &str| UpstreamError::Malformed {
            url: url.clone(),
            reason: reason.to_string(),
        };
        let result = data
            .get("result")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("`data.result` is not a list"))?;
        result
            .iter()
            .map(|item| {
                let values = item
                    .get("values")
                    .and_then(Value::as_array)
                    .ok_or_else(|| malformed("a series has no `values`"))?;
                Ok(Series {
                    labels: labels(item).ok_or_else(|| malformed("a series has no `metric`"))?,
                    points: values
                        .iter()
                        .map(|v| sample(Some(v)))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| malformed("a series has an invalid sample"))?,
                })
            })
            .collect()
    }

    /// POSTs a form to `/api/v1/<endpoint>` and returns the envelope's `data`.
    async fn call(&self, endpoint: &str, form: &[(&str, String)]) -> Result<Value, UpstreamError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = &self.settings.url;
        let mut request = self
            .client
            .post(format!("{url}/api/v1/{endpoint}"))
            .form(form);
        if let Some((user, password)) = &self.settings.basic_auth {
            request = request.basic_auth(user, Some(password.expose()));
        } else if let Some(token) = &self.settings.bearer_token {
            request = request.bearer_auth(token.expose());
        } else if let Some((user, password)) = &self.settings.url_credentials {
            request = request.basic_auth(user, Some(password.expose()));
        }
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let body = self.read_body(response).await?;
        if status == 401 || status == 403 {
            return Err(UpstreamError::AuthFailed {
                url: url.clone(),
                status,
            });
        }
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        let api_error = parsed
            .as_ref()
            .and_then(|v| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string);
        // What the server wrote is shown to dashboard viewers, who must not see the datasource's
        // secrets: a proxy or a debugging endpoint that echoes the request's headers into its
        // error page would otherwise put the token in every panel's error.
        if !(200..300).contains(&status) {
            return Err(UpstreamError::Status {
                url: url.clone(),
                status,
                message: self.redact(&api_error.unwrap_or_else(|| snippet(&body))),
            });
        }
        let Some(envelope) = parsed else {
            return Err(UpstreamError::Malformed {
                url: url.clone(),
                reason: self.redact(&format!("the body is not JSON: {}", snippet(&body))),
            });
        };
        if envelope.get("status").and_then(Value::as_str) != Some("success") {
            return Err(UpstreamError::Malformed {
                url: url.clone(),
                reason: self
                    .redact(&api_error.unwrap_or_else(|| "`status` is not `success`".into())),
            });
        }
        envelope
            .get("data")
            .cloned()
            .ok_or_else(|| UpstreamError::Malformed {
                url: url.clone(),
                reason: "the body has no `data`".into(),
            })
    }

    /// Reads the body, at most [`MAX_RESPONSE_BYTES`]. Without the limit, a misbehaving server or
    /// proxy could make the plugin buffer an unbounded body (and then its parsed JSON, several
    /// times larger) and take the plugin, and every dashboard using it, down.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
        let too_large = || {
            UpstreamError::Malformed {
            url: self.settings.url.clone(),
            reason: format!(
                "the response is larger than {} MiB, the most the plugin reads: narrow the query (fewer SLOs, a shorter time range or fewer data points)",
                MAX_RESPONSE_BYTES >> 20
            ),
        }
        };
        let declared = response.content_length();
        if declared.is_some_and(|length| length > MAX_RESPONSE_BYTES as u64) {
            return Err(too_large());
        }
        // The declared length only sizes the first allocation, and only up to 1 MiB: a server may
        // promise more than it sends.
        let capacity = declared.unwrap_or(0).min(1 << 20) as usize;
        let mut body = Vec::with_capacity(capacity);
        while let Some(chunk) = response.chunk().await.map_err(|e| self.body_error(e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// A failure while reading the body: the server answered, so "cannot reach" would mislead;
    /// the connection closed before the promised length or in the middle of a chunk.
    fn body_error(&self, error: reqwest::Error) -> UpstreamError {
        match self.transport_error(error) {
            UpstreamError::Unreachable { url, reason } => UpstreamError::Malformed {
                url,
                reason: format!("the response was cut off before its end: {reason}"),
            },
            other => other,
        }
    }

    /// `text` with every secret of the settings (and the `Authorization` header values built from
    /// them) replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        let settings = &self.settings;
        let mut secrets: Vec<String> = Vec::new();
        for (user, password) in [&settings.basic_auth, &settings.url_credentials]
            .into_iter()
            .flatten()
        {
            secrets.push(password.expose().to_string());
            secrets.push(basic_credentials(user, password.expose()));
        }
        if let Some(token) = &settings.bearer_token {
            secrets.push(token.expose().to_string());
        }
        secrets.extend(settings.headers.values().map(|v| v.expose().to_string()));
        // Longest first, so a secret that contains another is replaced whole.
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_string();
        for secret in secrets {
            if out.contains(&secret) {
                out = out.replace(&secret, "<redacted>");
            }
        }
        out
    }

    fn transport_error(&self, error: reqwest::Error) -> UpstreamError {
        let url = self.settings.url.clone();
        if error.is_timeout() {
            return UpstreamError::Timeout {
                url,
                timeout: self.settings.timeout,
            };
        }
        // The innermost cause says what happened ("connection refused"); reqwest's own message is
        // generic. `without_url` keeps any URL (and credentials in it) out of the text.
        let error = error.without_url();
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            reason = cause.to_string();
            source = cause.source();
        }
        UpstreamError::Unreachable { url, reason }
    }
}

/// The base64 of `user:password`, as sent in a basic `Authorization` header.
fn basic_credentials(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let mut out = String::new();
    for chunk in input.as_bytes().chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn labels(item: &Value) -> Option<BTreeMap<String, String>> {
    let metric = item.get("metric")?.as_object()?;
    Some(
        metric
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
    )
}

/// A `[time, "value"]` pair; `"NaN"` and `"+Inf"` parse as floats.
fn sample(pair: Option<&Value>) -> Option<(f64, f64)> {
    let pair = pair?.as_array()?;
    let time = pair.first()?.as_f64()?;
    let value = pair.get(1)?.as_str()?.parse::<f64>().ok()?;
    Some((time, value))
}

/// The start of a body for an error message: at most 200 characters, one line.
fn snippet(body: &[u8]) -> String {
    // Binary garbage printed as text is a line of replacement characters; its size says more.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{parse, RawSettings};
    use serde_json::json;

    #[test]
    fn basic_credentials_are_base64() {
        // RFC 7617's example, and each padding length.
        assert_eq!(
            basic_credentials("Aladdin", "open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic_credentials("a", "b"), "YTpi");
        assert_eq!(basic_credentials("ab", "c"), "YWI6Yw==");
        assert_eq!(basic_credentials("ab", "cd"), "YWI6Y2Q=");
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        let upstream = Upstream::new(
            parse(&RawSettings {
                url: "http://admin:url-pw@prom:9090",
                basic_auth_enabled: true,
                basic_auth_user: "grafana",
                json_data: &json!({"httpHeaderName1": "X-Key"}),
                secure_json_data: &json!({
                    "basicAuthPassword": "pw",
                    "bearerToken": "token-1",
                    "httpHeaderValue1": "token-12",
                }),
            })
            .expect("settings"),
        )
        .expect("client");
        let echoed = format!(
            "authorization: Basic {}; x-key: token-12; bearer token-1; url-pw; {}",
            basic_credentials("grafana", "pw"),
            basic_credentials("admin", "url-pw"),
        );
        assert_eq!(
            upstream.redact(&echoed),
            "authorization: Basic <redacted>; x-key: <redacted>; bearer <redacted>; <redacted>; <redacted>"
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
