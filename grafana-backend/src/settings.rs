//! Datasource settings: what a Grafana admin configures for one slokit datasource instance, read
//! leniently from the instance's `url`, `jsonData` and decrypted `secureJsonData`. Secrets are held
//! in [`Secret`] (from `slokit-wire`), whose `Debug` and `Display` never print the value, so no log
//! line or error message can leak them; [`Settings::redactor`] removes them from text a server
//! sends back.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use slokit_wire::{Auth, Redactor, Secret};

/// The timeout of one request to Prometheus when `jsonData.timeout` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything needed to talk to one Prometheus-compatible backend.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    /// The base URL without credentials, e.g. `http://prometheus:9090`.
    pub url: String,
    /// Credentials found in the URL's user-info part (`http://user:pass@host`), moved out of it so
    /// the URL can be printed.
    pub url_credentials: Option<(String, Secret)>,
    pub timeout: Duration,
    /// `X-Scope-OrgID` for Mimir and Cortex, when set.
    pub tenant: Option<String>,
    /// Custom headers; values come from `secureJsonData` because they often hold tokens.
    pub headers: BTreeMap<String, Secret>,
    pub basic_auth: Option<(String, Secret)>,
    pub bearer_token: Option<Secret>,
    pub tls_skip_verify: bool,
    /// A PEM bundle of extra trusted CAs.
    pub tls_ca_cert: Option<Secret>,
    /// A client certificate and its private key (PEM), for servers that require one
    /// (`jsonData.tlsAuth`, "TLS Client Auth" in Grafana's settings page).
    pub tls_client: Option<(Secret, Secret)>,
    /// The name the server's certificate must carry when it is not the URL's host
    /// (`jsonData.serverName`; see `tls.rs`).
    pub server_name: Option<String>,
    /// Forward the Grafana user's `Authorization` (and `X-Id-Token`) header, which Grafana passes
    /// with each request when `jsonData.oauthPassThru` ("Forward OAuth Identity") is on.
    pub forward_oauth: bool,
    /// Cookies to forward by name (`jsonData.keepCookies`, "Allowed cookies"); Grafana passes
    /// these only.
    pub keep_cookies: Vec<String>,
}

impl Settings {
    /// How requests authenticate: basic auth when it is enabled, else the bearer token, else the
    /// credentials that were in the URL.
    pub fn auth(&self) -> Auth {
        let basic = |(user, password): &(String, Secret)| Auth::Basic {
            user: user.clone(),
            password: password.clone(),
        };
        if let Some(credentials) = &self.basic_auth {
            basic(credentials)
        } else if let Some(token) = &self.bearer_token {
            Auth::Bearer(token.clone())
        } else {
            self.url_credentials.as_ref().map_or(Auth::None, basic)
        }
    }

    /// A redactor for every secret a request may carry, in use or not: both passwords and the
    /// basic credentials built from them, the token, and the custom headers' values.
    pub fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::new(self.headers.values());
        for (user, password) in [&self.basic_auth, &self.url_credentials]
            .into_iter()
            .flatten()
        {
            redactor.add_auth(&Auth::Basic {
                user: user.clone(),
                password: password.clone(),
            });
        }
        if let Some(token) = &self.bearer_token {
            redactor.add_auth(&Auth::Bearer(token.clone()));
        }
        if let Some((_, key)) = &self.tls_client {
            redactor.add(key);
        }
        redactor
    }
}

/// The raw instance settings as Grafana sends them.
pub struct RawSettings<'a> {
    pub url: &'a str,
    pub basic_auth_enabled: bool,
    pub basic_auth_user: &'a str,
    pub json_data: &'a Value,
    pub secure_json_data: &'a Value,
}

/// Reads the settings. Unknown keys are ignored (Grafana and other plugins store their own); a key
/// with the wrong type is an error that names it.
pub fn parse(raw: &RawSettings<'_>) -> Result<Settings, String> {
    let url = raw.url.trim().trim_end_matches('/');
    if url.is_empty() {
        return Err(
            "the datasource has no URL: set it to the Prometheus (or Mimir, Thanos, VictoriaMetrics) base URL"
                .into(),
        );
    }
    let mut parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("the datasource URL is not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "the datasource URL must start with `http://` or `https://`, not `{}://`",
            parsed.scheme()
        ));
    }
    let url_credentials = if parsed.username().is_empty() {
        None
    } else {
        let user = parsed.username().to_string();
        let password = Secret::new(parsed.password().unwrap_or_default());
        // Both setters only fail for URLs that cannot have credentials, which an http(s) URL can.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        Some((user, password))
    };
    let json = raw.json_data;
    let secure = raw.secure_json_data;
    let timeout = match json.get("timeout") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT,
        Some(value) => parse_timeout(value)?,
    };
    let tenant = optional_string(json, "tenantId", "jsonData")?.filter(|t| !t.is_empty());
    let mut headers = BTreeMap::new();
    // Grafana's convention for custom headers: names in `jsonData.httpHeaderName<N>`, values in
    // `secureJsonData.httpHeaderValue<N>`, numbered from 1.
    if let Some(object) = json.as_object() {
        for (key, value) in object {
            let Some(index) = key.strip_prefix("httpHeaderName") else {
                continue;
            };
            let name = value
                .as_str()
                .ok_or_else(|| format!("`jsonData.{key}` must be a string"))?
                .trim();
            if name.is_empty() {
                continue;
            }
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(format!("`jsonData.{key}` is not a valid header name"));
            }
            let value_key = format!("httpHeaderValue{index}");
            let value = optional_string(secure, &value_key, "secureJsonData")?.unwrap_or_default();
            if http::HeaderValue::from_str(&value).is_err() {
                return Err(format!(
                    "`secureJsonData.{value_key}` is not a valid header value"
                ));
            }
            headers.insert(name.to_string(), Secret::new(value));
        }
    }
    let basic_auth = if raw.basic_auth_enabled {
        let password =
            optional_string(secure, "basicAuthPassword", "secureJsonData")?.unwrap_or_default();
        Some((raw.basic_auth_user.to_string(), Secret::new(password)))
    } else {
        None
    };
    let bearer_token = optional_string(secure, "bearerToken", "secureJsonData")?
        .filter(|t| !t.is_empty())
        .map(Secret::new);
    let tls_skip_verify = optional_bool(json, "tlsSkipVerify")?;
    let tls_ca_cert = if optional_bool(json, "tlsAuthWithCACert")? {
        let pem = optional_string(secure, "tlsCACert", "secureJsonData")?.unwrap_or_default();
        if pem.trim().is_empty() {
            return Err(
                "`jsonData.tlsAuthWithCACert` is on but `secureJsonData.tlsCACert` is empty".into(),
            );
        }
        Some(Secret::new(pem))
    } else {
        None
    };
    let tls_client = if optional_bool(json, "tlsAuth")? {
        let cert = optional_string(secure, "tlsClientCert", "secureJsonData")?.unwrap_or_default();
        let key = optional_string(secure, "tlsClientKey", "secureJsonData")?.unwrap_or_default();
        if cert.trim().is_empty() || key.trim().is_empty() {
            return Err("`jsonData.tlsAuth` is on but `secureJsonData.tlsClientCert` or `secureJsonData.tlsClientKey` is empty".into());
        }
        Some((Secret::new(cert), Secret::new(key)))
    } else {
        None
    };
    let server_name = optional_string(json, "serverName", "jsonData")?
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let forward_oauth = optional_bool(json, "oauthPassThru")?;
    let keep_cookies = match json.get("keepCookies") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
                    "`jsonData.keepCookies` must be a list of cookie names".to_string()
                })
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|name| !name.is_empty())
            .collect(),
        Some(_) => return Err("`jsonData.keepCookies` must be a list of cookie names".into()),
    };
    Ok(Settings {
        url: parsed.as_str().trim_end_matches('/').to_string(),
        url_credentials,
        timeout,
        tenant,
        headers,
        basic_auth,
        bearer_token,
        tls_skip_verify,
        tls_ca_cert,
        tls_client,
        server_name,
        forward_oauth,
        keep_cookies,
    })
}

/// `timeout` is seconds, as a number or a string (Grafana's Prometheus datasource stores a string),
/// or a Prometheus duration such as `"1m"`.
fn parse_timeout(value: &Value) -> Result<Duration, String> {
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return Ok(DEFAULT_TIMEOUT),
        Value::String(s) => s.trim().parse::<f64>().ok().or_else(|| {
            slokit_conventions::duration::Duration::parse(s)
                .ok()
                .map(|d| d.secs_f64())
        }),
        _ => None,
    };
    match seconds {
        Some(s) if s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "`jsonData.timeout` must be a number of seconds between 0 and 3600, not {value}"
        )),
    }
}

fn optional_string(object: &Value, key: &str, place: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        // The value is not printed: it may be a secret.
        Some(_) => Err(format!("`{place}.{key}` must be a string")),
    }
}

fn optional_bool(object: &Value, key: &str) -> Result<bool, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(other) => Err(format!(
            "`jsonData.{key}` must be true or false, not {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(url: &str, json_data: Value, secure: Value) -> Result<Settings, String> {
        parse(&RawSettings {
            url,
            basic_auth_enabled: true,
            basic_auth_user: "grafana",
            json_data: &json_data,
            secure_json_data: &secure,
        })
    }

    #[test]
    fn secrets_never_print() {
        let settings = check(
            "http://admin:hunter2@prom:9090/",
            json!({"httpHeaderName1": "X-Token", "tenantId": "team-a", "timeout": "5"}),
            json!({"httpHeaderValue1": "s3cret-header", "basicAuthPassword": "pw-123", "bearerToken": "tok-456"}),
        )
        .unwrap();
        let printed = format!("{settings:?}");
        for secret in ["hunter2", "s3cret-header", "pw-123", "tok-456"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert_eq!(settings.url, "http://prom:9090");
        assert_eq!(settings.timeout, Duration::from_secs(5));
        assert_eq!(settings.tenant.as_deref(), Some("team-a"));
        assert_eq!(settings.headers["X-Token"].expose(), "s3cret-header");
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("", json!({}), "the datasource has no URL"),
            ("ftp://x", json!({}), "must start with `http://`"),
            ("http://p", json!({"timeout": "soon"}), "`jsonData.timeout`"),
            ("http://p", json!({"timeout": -1}), "`jsonData.timeout`"),
            (
                "http://p",
                json!({"tlsSkipVerify": 3}),
                "`jsonData.tlsSkipVerify`",
            ),
            (
                "http://p",
                json!({"tlsAuthWithCACert": true}),
                "`secureJsonData.tlsCACert` is empty",
            ),
            (
                "http://p",
                json!({"httpHeaderName1": "bad header"}),
                "`jsonData.httpHeaderName1`",
            ),
            (
                "http://p",
                json!({"tlsAuth": true}),
                "`jsonData.tlsAuth` is on but `secureJsonData.tlsClientCert` or `secureJsonData.tlsClientKey` is empty",
            ),
            (
                "http://p",
                json!({"keepCookies": "session"}),
                "`jsonData.keepCookies` must be a list of cookie names",
            ),
        ];
        for (url, json_data, expected) in cases {
            let error = check(url, json_data, json!({})).unwrap_err();
            assert!(
                error.contains(expected),
                "{error} should contain {expected}"
            );
        }
    }

    #[test]
    fn echoed_secrets_are_redacted() {
        let settings = parse(&RawSettings {
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
        .expect("settings");
        let echoed = format!(
            "authorization: Basic {}; x-key: token-12; bearer token-1; url-pw; {}",
            slokit_wire::base64(b"grafana:pw"),
            slokit_wire::base64(b"admin:url-pw"),
        );
        assert_eq!(
            settings.redactor().redact(&echoed),
            "authorization: Basic <redacted>; x-key: <redacted>; bearer <redacted>; <redacted>; <redacted>"
        );
    }

    #[test]
    fn basic_auth_wins_over_the_token_and_the_url() {
        let secure = json!({"basicAuthPassword": "pw", "bearerToken": "tok"});
        let mut raw = RawSettings {
            url: "http://admin:url-pw@prom:9090",
            basic_auth_enabled: true,
            basic_auth_user: "grafana",
            json_data: &json!({}),
            secure_json_data: &secure,
        };
        let header = |raw: &RawSettings<'_>| {
            parse(raw)
                .expect("settings")
                .auth()
                .authorization()
                .map(|h| h.expose().to_string())
        };
        assert_eq!(
            header(&raw),
            Some(format!("Basic {}", slokit_wire::base64(b"grafana:pw")))
        );
        raw.basic_auth_enabled = false;
        assert_eq!(header(&raw), Some("Bearer tok".into()));
        raw.secure_json_data = &Value::Null;
        assert_eq!(
            header(&raw),
            Some(format!("Basic {}", slokit_wire::base64(b"admin:url-pw")))
        );
        raw.url = "http://prom:9090";
        assert_eq!(header(&raw), None);
    }

    /// A client certificate made by openssl is accepted, and its key is redacted; text that is not
    /// PEM is refused when the client is built.
    #[test]
    fn client_certificates_are_read() {
        let dir = std::env::temp_dir().join(format!("slokit-client-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let status = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args(["-nodes", "-days", "1", "-subj", "/CN=grafana"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success());
        let read = |p: &std::path::Path| std::fs::read_to_string(p).expect("PEM");
        let (cert_pem, key_pem) = (read(&cert), read(&key));
        let _ = std::fs::remove_dir_all(&dir);
        let with = |cert: &str, key: &str| {
            check(
                "http://p",
                json!({"tlsAuth": true}),
                json!({"tlsClientCert": cert, "tlsClientKey": key}),
            )
            .expect("settings")
        };
        let settings = with(&cert_pem, &key_pem);
        let echoed = format!("the proxy saw: {key_pem}");
        assert!(!settings.redactor().redact(&echoed).contains(&key_pem));
        assert!(crate::upstream::Upstream::new(settings).is_ok());
        let error =
            crate::upstream::Upstream::new(with("not a certificate", "nor a key")).unwrap_err();
        assert_eq!(
            error,
            "`secureJsonData.tlsClientCert` and `tlsClientKey` are not a PEM certificate and private key"
        );
    }

    #[test]
    fn durations_are_accepted_as_timeouts() {
        let settings = check("http://p", json!({"timeout": "1m"}), json!({})).unwrap();
        assert_eq!(settings.timeout, Duration::from_secs(60));
        let settings = check("http://p", json!({"timeout": 2.5}), json!({})).unwrap();
        assert_eq!(settings.timeout, Duration::from_millis(2500));
    }
}
