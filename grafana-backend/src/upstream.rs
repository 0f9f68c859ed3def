//! The Prometheus HTTP API client: one `reqwest` client per datasource instance (built from its
//! [`Settings`]), instant and range queries, and errors that say which of "unreachable", "too
//! slow", "rejected our credentials" or "answered nonsense" happened. Works with anything that
//! speaks Prometheus's `/api/v1/query` API: Prometheus, Mimir, Thanos, VictoriaMetrics.
//!
//! What the API means on the wire (the `Authorization` header, redaction, the response envelope,
//! the parsing of results into [`Sample`]s and [`Series`]) is the `slokit-wire` crate's, shared
//! with the `slo` CLI; this module owns the transport, the limits on reading, and the words of its
//! errors ([`UpstreamError`]), which dashboard viewers read.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use slokit_wire::{
    instant_form, parse_instant, parse_range, range_form, read_envelope, snippet, Failure,
    InstantResult, Redactor, Sample, Secret, Series, INSTANT_PATH, MAX_RESPONSE_BYTES, RANGE_PATH,
    TENANT_HEADER,
};

use crate::settings::Settings;

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

/// A client for one datasource instance.
pub struct Upstream {
    pub settings: Settings,
    client: reqwest::Client,
    /// The `Authorization` header's value, if any.
    authorization: Option<Secret>,
    /// Every secret of the settings, for what the server sends back.
    redactor: Redactor,
    /// Headers of the Grafana user's request forwarded as the settings say (`X-Id-Token`,
    /// `Cookie`); the forwarded `Authorization` replaces `authorization`.
    forwarded: Vec<(http::HeaderName, Secret)>,
    /// Requests sent so far, for the plugin's own metrics and the benchmarks; shared with the
    /// per-request copies [`Upstream::for_request`] makes.
    pub requests: Arc<AtomicU64>,
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
        // A server name other than the URL's host needs rustls configured by hand (`tls.rs`),
        // which then holds the CA bundle and the client certificate too. Without verification
        // there is no name to check.
        let server_name = settings
            .server_name
            .as_ref()
            .filter(|_| !settings.tls_skip_verify);
        if let Some(name) = server_name {
            builder = builder
                .use_preconfigured_tls(crate::tls::config_with_server_name(&settings, name)?);
        } else if let Some(pem) = &settings.tls_ca_cert {
            let certificates = reqwest::Certificate::from_pem_bundle(pem.expose().as_bytes())
                .map_err(|_| "`secureJsonData.tlsCACert` is not a PEM certificate bundle")?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if let (Some((cert, key)), None) = (&settings.tls_client, server_name) {
            let pem = format!("{}\n{}", cert.expose(), key.expose());
            let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|_| {
                "`secureJsonData.tlsClientCert` and `tlsClientKey` are not a PEM certificate and private key"
            })?;
            builder = builder.identity(identity);
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))?;
        Ok(Upstream {
            authorization: settings.auth().authorization(),
            redactor: settings.redactor(),
            settings,
            client,
            forwarded: Vec::new(),
            requests: Arc::new(AtomicU64::new(0)),
        })
    }

    /// This client for one Grafana request whose headers are `headers`: the same connection pool
    /// and counters, plus what the settings forward from the user's request, the `Authorization`
    /// (which replaces the datasource's own credentials) and `X-Id-Token` when
    /// `forward_oauth` is on, and the allowed cookies. Grafana names the headers `Authorization`
    /// or, in older versions, `http_Authorization`; names are compared without case. The same
    /// client when there is nothing to forward.
    pub fn for_request(self: &Arc<Self>, headers: &HashMap<String, String>) -> Arc<Upstream> {
        let header = |name: &str| {
            headers.iter().find_map(|(key, value)| {
                let key = key.strip_prefix("http_").unwrap_or(key);
                (key.eq_ignore_ascii_case(name) && !value.is_empty()).then(|| value.clone())
            })
        };
        let mut authorization = None;
        let mut forwarded = Vec::new();
        if self.settings.forward_oauth {
            authorization = header("Authorization").map(Secret::new);
            if let Some(token) = header("X-Id-Token") {
                forwarded.push((
                    http::HeaderName::from_static("x-id-token"),
                    Secret::new(token),
                ));
            }
        }
        if !self.settings.keep_cookies.is_empty() {
            let cookie = header("Cookie");
            let kept: Vec<&str> = cookie
                .iter()
                .flat_map(|c| c.split(';'))
                .map(str::trim)
                .filter(|pair| {
                    let name = pair.split('=').next().unwrap_or("").trim();
                    self.settings.keep_cookies.iter().any(|k| k == name)
                })
                .collect();
            if !kept.is_empty() {
                forwarded.push((http::header::COOKIE, Secret::new(kept.join("; "))));
            }
        }
        if authorization.is_none() && forwarded.is_empty() {
            return Arc::clone(self);
        }
        let mut redactor = self.redactor.clone();
        for secret in authorization.iter().chain(forwarded.iter().map(|(_, s)| s)) {
            redactor.add(secret);
        }
        Arc::new(Upstream {
            settings: self.settings.clone(),
            client: self.client.clone(),
            authorization: authorization.or_else(|| self.authorization.clone()),
            redactor,
            forwarded,
            requests: Arc::clone(&self.requests),
        })
    }

    /// An instant query at `time` (Unix seconds). A scalar result names no series, so it holds
    /// no samples.
    pub async fn instant(&self, expr: &str, time: f64) -> Result<Vec<Sample>, UpstreamError> {
        let data = self
            .call(INSTANT_PATH, &instant_form(expr, Some(time)))
            .await?;
        match parse_instant(&data).map_err(|reason| self.malformed(reason))? {
            InstantResult::Vector(samples) => Ok(samples),
            InstantResult::Scalar(_) => Ok(Vec::new()),
        }
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
            .call(RANGE_PATH, &range_form(expr, start, end, step))
            .await?;
        parse_range(&data).map_err(|reason| self.malformed(reason))
    }

    fn malformed(&self, reason: impl Into<String>) -> UpstreamError {
        UpstreamError::Malformed {
            url: self.settings.url.clone(),
            reason: reason.into(),
        }
    }

    /// POSTs a form to `path` below the base URL and returns the envelope's `data`.
    async fn call(&self, path: &str, form: &[(&str, String)]) -> Result<Value, UpstreamError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = &self.settings.url;
        let mut request = self.client.post(format!("{url}{path}")).form(form);
        if let Some(authorization) = &self.authorization {
            request = with_authorization(request, authorization);
        }
        for (name, value) in &self.forwarded {
            if let Ok(mut value) = http::HeaderValue::from_str(value.expose()) {
                value.set_sensitive(true);
                request = request.header(name.clone(), value);
            }
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
        read_envelope(status, &body).map_err(|failure| self.envelope_error(failure, &body))
    }

    /// The words for a response without data. What the server wrote is shown to dashboard
    /// viewers, who must not see the datasource's secrets: a proxy or a debugging endpoint that
    /// echoes the request's headers into its error page would otherwise put the token in every
    /// panel's error. So server text goes through the redactor.
    fn envelope_error(&self, failure: Failure, body: &[u8]) -> UpstreamError {
        let redact = |text: &str| self.redactor.redact(text);
        let status = |status: u16, message: String| UpstreamError::Status {
            url: self.settings.url.clone(),
            status,
            message: redact(&message),
        };
        match failure {
            Failure::Api {
                http_status, error, ..
            } if !(200..300).contains(&http_status) => {
                status(http_status, error.unwrap_or_else(|| snippet(body)))
            }
            Failure::Status {
                http_status,
                error,
                snippet,
            } => status(http_status, error.unwrap_or(snippet)),
            Failure::Api { error, .. } | Failure::NotSuccess { error } => self.malformed(redact(
                &error.unwrap_or_else(|| "`status` is not `success`".into()),
            )),
            Failure::NotJson { snippet } => {
                self.malformed(redact(&format!("the body is not JSON: {snippet}")))
            }
            Failure::NoData => self.malformed("the body has no `data`"),
        }
    }

    /// Reads the body, at most [`MAX_RESPONSE_BYTES`]. Without the limit, a misbehaving server or
    /// proxy could make the plugin buffer an unbounded body (and then its parsed JSON, several
    /// times larger) and take the plugin, and every dashboard using it, down.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
        let too_large = || {
            self.malformed(format!(
                "the response is larger than {} MiB, the most the plugin reads: narrow the query (fewer SLOs, a shorter time range or fewer data points)",
                MAX_RESPONSE_BYTES >> 20
            ))
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

/// `request` with the `Authorization` header, marked sensitive (left out of `Debug` output and of
/// HTTP/2 header compression tables). A value that is not a valid header value (a token with a
/// line break) is handed to reqwest as text, which fails the request when it is sent, as reqwest's
/// own `bearer_auth` does.
fn with_authorization(
    request: reqwest::RequestBuilder,
    authorization: &Secret,
) -> reqwest::RequestBuilder {
    match http::HeaderValue::from_bytes(authorization.expose().as_bytes()) {
        Ok(mut value) => {
            value.set_sensitive(true);
            request.header(http::header::AUTHORIZATION, value)
        }
        Err(_) => request.header(http::header::AUTHORIZATION, authorization.expose()),
    }
}
