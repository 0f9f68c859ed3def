//! The blocking client for a Prometheus-compatible HTTP API (Prometheus, Mimir, Thanos,
//! VictoriaMetrics): instant and range queries, the rules endpoint, authentication (basic, bearer
//! token, a tenant header for multi-tenant stores, arbitrary extra headers) and a timeout. This is the only module
//! besides spec loading and writing that does I/O; `budget`, `policy`, `readiness` and `report`
//! work on what it returns.
//!
//! What the API means on the wire (authentication headers, secrets and their redaction, the
//! response envelope, the parsing of results into [`Sample`]s and [`Series`]) is the
//! `slokit-wire` crate's, shared with the Grafana plugin; this module owns the transport (ureq),
//! the timeout, and the words of its errors ([`ApiError`]), which speak to a command-line user.
//!
//! Secrets (passwords, tokens, user info in the URL) are never printed: [`Secret`] redacts itself
//! in `Debug`, every error names the URL with its user info removed, and what the server or the
//! transport says goes through a [`Redactor`] of the credentials first (a proxy may echo them).

use std::fmt;
use std::time::Duration as StdDuration;

use slokit_wire::{
    instant_form, range_form, read_envelope, redact_url, Auth, Failure, InstantResult, Redactor,
    RuleGroup, Sample, Secret, Series, INSTANT_PATH, MAX_RESPONSE_BYTES, RANGE_PATH, RULES_PATH,
    TENANT_HEADER,
};

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
    /// The `Authorization` header's value, if any.
    authorization: Option<Secret>,
    /// The credentials' secrets, for what the server and the transport say.
    redactor: Redactor,
    /// The tenant header and the extra headers.
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
        if let Some(tenant) = &config.tenant {
            headers.push((TENANT_HEADER.to_string(), tenant.clone()));
        }
        headers.extend(config.headers.iter().cloned());
        let base = config.url.trim_end_matches('/').to_string();
        Client {
            agent,
            shown: redact_url(&base),
            base,
            authorization: config.auth.authorization(),
            redactor: Redactor::new(&config.auth.secrets()),
            headers,
            requests: std::cell::Cell::new(0),
        }
    }

    /// How many requests this client has sent.
    pub fn requests(&self) -> usize {
        self.requests.get()
    }

    /// An instant query at `time` (Unix seconds), or at the server's now. A scalar result becomes
    /// one sample without labels.
    pub fn query(&self, expr: &str, time: Option<f64>) -> Result<Vec<Sample>, ApiError> {
        let data = self.post(INSTANT_PATH, &instant_form(expr, time), expr)?;
        match slokit_wire::parse_instant(&data).map_err(|detail| self.decode_error(detail))? {
            InstantResult::Vector(samples) => Ok(samples),
            InstantResult::Scalar(value) => Ok(vec![Sample {
                labels: Default::default(),
                value,
            }]),
        }
    }

    /// A range query over `[start, end]` every `step` seconds.
    pub fn query_range(
        &self,
        expr: &str,
        start: f64,
        end: f64,
        step: f64,
    ) -> Result<Vec<Series>, ApiError> {
        let data = self.post(RANGE_PATH, &range_form(expr, start, end, step), expr)?;
        slokit_wire::parse_range(&data).map_err(|detail| self.decode_error(detail))
    }

    /// Every rule group the server evaluates (`GET /api/v1/rules`), for `slo inventory`.
    pub fn rules(&self) -> Result<Vec<RuleGroup>, ApiError> {
        let data = self.send(RULES_PATH, None, "rules")?;
        slokit_wire::parse_rules(&data).map_err(|detail| self.decode_error(detail))
    }

    fn decode_error(&self, detail: impl Into<String>) -> ApiError {
        ApiError::Decode {
            url: self.shown.clone(),
            detail: detail.into(),
        }
    }

    /// POSTs a form (queries can be long: a selector names every product) and returns `data`.
    fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        expr: &str,
    ) -> Result<serde_json::Value, ApiError> {
        self.send(path, Some(form), expr)
    }

    /// POSTs `form`, or GETs `path` without one (the rules endpoint only answers GET), and
    /// returns `data`; `expr` names the request in errors.
    fn send(
        &self,
        path: &str,
        form: Option<&[(&str, String)]>,
        expr: &str,
    ) -> Result<serde_json::Value, ApiError> {
        self.requests.set(self.requests.get() + 1);
        let url = format!("{}{path}", self.base);
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(authorization) = &self.authorization {
            headers.push(("Authorization", authorization.expose()));
        }
        for (name, value) in &self.headers {
            headers.push((name.as_str(), value.as_str()));
        }
        let sent = match form {
            Some(form) => {
                let mut request = self.agent.post(&url);
                for (name, value) in &headers {
                    request = request.header(*name, *value);
                }
                request.send_form(form.iter().map(|(k, v)| (*k, v.as_str())))
            }
            None => {
                let mut request = self.agent.get(&url);
                for (name, value) in &headers {
                    request = request.header(*name, *value);
                }
                request.call()
            }
        };
        let mut response = sent.map_err(|e| ApiError::Unreachable {
            url: self.shown.clone(),
            detail: self.redactor.redact(&describe_transport_error(&e)),
        })?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES as u64)
            .read_to_string()
            .map_err(|e| ApiError::Unreachable {
                url: self.shown.clone(),
                detail: self
                    .redactor
                    .redact(&format!("reading the response failed: {e}")),
            })?;
        read_envelope(status, body.as_bytes()).map_err(|failure| match failure {
            // Prometheus answers bad queries with 400 and a JSON error body; report its words.
            Failure::Api {
                error_type, error, ..
            } => ApiError::Query {
                expr: expr.to_string(),
                error_type: error_type.unwrap_or_else(|| "error".into()),
                message: self.redactor.redact(&error.unwrap_or_default()),
            },
            Failure::Status {
                http_status,
                snippet,
                ..
            } => ApiError::Status {
                url: self.shown.clone(),
                status: http_status,
                body: self.redactor.redact(&snippet),
            },
            Failure::NotJson { .. } => self.decode_error("the body is not JSON"),
            Failure::NotSuccess { .. } => self.decode_error("no `\"status\": \"success\"`"),
            Failure::NoData => self.decode_error("no `data`"),
        })
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

#[cfg(test)]
mod tests {
    // The base64 encoder, URL redaction and the parsing of results are tested in `slokit-wire`.
    use super::*;

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

    /// A one-shot listener that reads one request and answers `status` and `body` like
    /// Prometheus; the thread returns the request, lowercased.
    fn one_shot(
        status: &'static str,
        body: &'static str,
    ) -> (u16, std::thread::JoinHandle<String>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !String::from_utf8_lossy(&request).contains("query=") {
                let n = stream.read(&mut buffer).unwrap();
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..n]);
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            String::from_utf8_lossy(&request).to_lowercase()
        });
        (port, server)
    }

    fn client_of(port: u16, auth: Auth) -> Client {
        Client::new(&Config {
            url: format!("http://127.0.0.1:{port}/"),
            auth,
            tenant: Some("team-a".into()),
            headers: vec![("X-Extra".into(), "1".into())],
            timeout: StdDuration::from_secs(5),
        })
    }

    /// The headers on the wire.
    #[test]
    fn auth_tenant_and_extra_headers_are_sent() {
        let (port, server) = one_shot(
            "200 OK",
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
        );
        let client = client_of(
            port,
            Auth::Basic {
                user: "alice".into(),
                password: Secret::new("s3cret"),
            },
        );
        assert_eq!(client.query("up", Some(10.0)).unwrap(), vec![]);
        let request = server.join().unwrap();
        assert!(request.starts_with("post /api/v1/query "), "{request}");
        assert!(
            request.contains(&format!(
                "authorization: basic {}",
                slokit_wire::base64(b"alice:s3cret").to_lowercase()
            )),
            "{request}"
        );
        assert!(request.contains("x-scope-orgid: team-a"), "{request}");
        assert!(request.contains("x-extra: 1"), "{request}");
        assert!(request.contains("time=10"), "{request}");
    }

    /// The CLI reads a scalar as one sample without labels.
    #[test]
    fn a_scalar_is_one_sample_without_labels() {
        let (port, server) = one_shot(
            "200 OK",
            r#"{"status":"success","data":{"resultType":"scalar","result":[10,"0.5"]}}"#,
        );
        let samples = client_of(port, Auth::None).query("scalar(up)", None);
        server.join().unwrap();
        assert_eq!(
            samples.unwrap(),
            vec![Sample {
                labels: Default::default(),
                value: 0.5
            }]
        );
    }

    /// A proxy that echoes the request's credentials, as sent or escaped, shows none of them.
    #[test]
    fn echoed_credentials_are_redacted() {
        assert_eq!(
            slokit_wire::base64(b"alice:s3cret!"),
            "YWxpY2U6czNjcmV0IQ=="
        );
        let (port, server) = one_shot(
            "403 Forbidden",
            r#"{"page":"Authorization: Basic YWxpY2U6czNjcmV0IQ==; form: s3cret%21; json: s3cret\u0021"}"#,
        );
        let auth = Auth::Basic {
            user: "alice".into(),
            password: Secret::new("s3cret!"),
        };
        let error = client_of(port, auth).query("up", None).unwrap_err();
        server.join().unwrap();
        assert!(
            error.to_string().contains(
                r#"answered HTTP 403 (`{"page":"Authorization: Basic <redacted>; form: <redacted>; json: <redacted>"}`)"#
            ),
            "{error}"
        );
    }

    #[test]
    fn failures_keep_the_cli_s_words() {
        let cases = [
            (
                "400 Bad Request",
                r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
                "query `up` failed (bad_data): parse error".to_string(),
            ),
            (
                "404 Not Found",
                "404 page not found\n",
                "answered HTTP 404 (`404 page not found`); `--prometheus` must be the API's base URL (the part before `/api/v1`)".to_string(),
            ),
            (
                "200 OK",
                "<html>login</html>",
                "is not a Prometheus API response: the body is not JSON; is `--prometheus` a Prometheus-compatible API?".to_string(),
            ),
            (
                "200 OK",
                r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
                "is not a Prometheus API response: `data.resultType` is not `vector` or `scalar`;".to_string(),
            ),
        ];
        for (status, body, expected) in cases {
            let (port, server) = one_shot(status, body);
            let error = client_of(port, Auth::None).query("up", None).unwrap_err();
            server.join().unwrap();
            assert!(error.to_string().contains(&expected), "{error}");
        }
    }
}
