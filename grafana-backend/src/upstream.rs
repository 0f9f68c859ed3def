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
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e))?;
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
        if !(200..300).contains(&status) {
            return Err(UpstreamError::Status {
                url: url.clone(),
                status,
                message: api_error.unwrap_or_else(|| snippet(&body)),
            });
        }
        let Some(envelope) = parsed else {
            return Err(UpstreamError::Malformed {
                url: url.clone(),
                reason: format!("the body is not JSON: {}", snippet(&body)),
            });
        };
        if envelope.get("status").and_then(Value::as_str) != Some("success") {
            return Err(UpstreamError::Malformed {
                url: url.clone(),
                reason: api_error.unwrap_or_else(|| "`status` is not `success`".into()),
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
    let text = String::from_utf8_lossy(body);
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
