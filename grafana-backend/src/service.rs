//! The plugin as Grafana sees it: the SDK's `DataService`, `DiagnosticsService` and
//! `ResourceService` implemented on [`SlokitPlugin`], one HTTP client per datasource instance
//! (rebuilt when its settings change), and [`DataGuard`], which sits in front of the SDK's data
//! service so that a query the SDK could not convert (JSON that does not parse, a missing or
//! impossible time range) fails alone, with status 400, instead of failing the whole request or
//! panicking inside the SDK.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chrono::TimeZone as _;
use futures_util::stream::FuturesOrdered;
use futures_util::FutureExt as _;
use grafana_plugin_sdk::backend::{self, DataQueryStatus};
use grafana_plugin_sdk::data::{Frame, Notice, Severity};
use grafana_plugin_sdk::pluginv2;
use grafana_plugin_sdk::prelude::*;
use serde_json::Value;

use crate::execute::{self, TimeRange};
use crate::metrics::Metrics;
use crate::query::{self, ErrorKind, QueryError};
use crate::resources;
use crate::settings::{self, RawSettings};
use crate::upstream::{Upstream, UpstreamError};

type InstanceSettings = backend::DataSourceInstanceSettings<Value, Value>;

/// A datasource's client, or why its settings could not make one.
type Client = Result<Arc<Upstream>, String>;

/// Shared state of the plugin process.
#[derive(Default)]
pub struct State {
    pub metrics: Metrics,
    /// Per datasource uid: the fingerprint of the settings the client was built from, and the
    /// client (or why it could not be built).
    clients: Mutex<HashMap<String, (u64, Client)>>,
    /// Requests sent by clients that were since replaced.
    retired_requests: AtomicU64,
}

#[derive(Clone, Default, GrafanaPlugin)]
#[grafana_plugin(plugin_type = "datasource")]
pub struct SlokitPlugin {
    pub state: Arc<State>,
}

impl std::fmt::Debug for SlokitPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SlokitPlugin")
    }
}

/// A fingerprint of everything a client is built from. Secrets are hashed in memory only.
fn fingerprint(settings: &InstanceSettings) -> u64 {
    let mut hasher = DefaultHasher::new();
    settings.uid.hash(&mut hasher);
    settings.url.hash(&mut hasher);
    settings.updated.timestamp_millis().hash(&mut hasher);
    settings.basic_auth_enabled.hash(&mut hasher);
    settings.basic_auth_user.hash(&mut hasher);
    settings.json_data.to_string().hash(&mut hasher);
    settings
        .decrypted_secure_json_data
        .to_string()
        .hash(&mut hasher);
    hasher.finish()
}

impl SlokitPlugin {
    /// The client for a datasource instance, built on first use and whenever its settings change.
    pub fn upstream(&self, settings: Option<&InstanceSettings>) -> Result<Arc<Upstream>, String> {
        let Some(settings) = settings else {
            return Err("the request carries no datasource settings".into());
        };
        let key = fingerprint(settings);
        let mut clients = self.state.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((existing, client)) = clients.get(&settings.uid) {
            if *existing == key {
                return client.clone();
            }
        }
        let built = settings::parse(&RawSettings {
            url: &settings.url,
            basic_auth_enabled: settings.basic_auth_enabled,
            basic_auth_user: &settings.basic_auth_user,
            json_data: &settings.json_data,
            secure_json_data: &settings.decrypted_secure_json_data,
        })
        .and_then(Upstream::new)
        .map(Arc::new)
        .map_err(|e| format!("invalid datasource settings: {e}"));
        if let Some((_, Ok(old))) = clients.insert(settings.uid.clone(), (key, built.clone())) {
            self.state
                .retired_requests
                .fetch_add(old.requests.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        built
    }

    /// Requests sent to Prometheus by every client so far.
    pub fn upstream_requests(&self) -> u64 {
        let clients = self.state.clients.lock().unwrap_or_else(|e| e.into_inner());
        let live: u64 = clients
            .values()
            .filter_map(|(_, c)| c.as_ref().ok())
            .map(|c| c.requests.load(Ordering::Relaxed))
            .sum();
        live + self.state.retired_requests.load(Ordering::Relaxed)
    }
}

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A failed query, as the SDK reports it.
#[derive(Debug)]
pub struct DataError {
    ref_id: String,
    error: QueryError,
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for DataError {}

impl backend::DataQueryError for DataError {
    fn ref_id(self) -> String {
        self.ref_id
    }

    fn status(&self) -> DataQueryStatus {
        match self.error.kind {
            ErrorKind::BadRequest => DataQueryStatus::BadRequest,
            ErrorKind::NotFound => DataQueryStatus::NotFound,
            ErrorKind::BadGateway => DataQueryStatus::BadGateway,
            ErrorKind::Timeout => DataQueryStatus::Timeout,
            ErrorKind::Internal => DataQueryStatus::Internal,
        }
    }
}

/// Answers one query: parse, run, encode. Never panics outward: a panic becomes a 500 for this
/// query alone.
async fn answer(
    upstream: Result<Arc<Upstream>, String>,
    query: backend::DataQuery<Value>,
    from_alert: bool,
) -> Result<Vec<Frame>, QueryError> {
    let upstream = upstream.map_err(QueryError::bad_request)?;
    let mut parsed = query::parse(&query.query_type, &query.query)?;
    parsed.from_alert = from_alert;
    let range = TimeRange {
        from: query.time_range.from.timestamp_millis() as f64 / 1000.0,
        to: query.time_range.to.timestamp_millis() as f64 / 1000.0,
        interval: query.interval,
        max_data_points: query.max_data_points,
    };
    execute::run(&upstream, &parsed, range).await
}

#[backend::async_trait]
impl backend::DataService for SlokitPlugin {
    type Query = Value;
    type QueryError = DataError;
    type Stream = backend::BoxDataResponseStream<Self::QueryError>;

    async fn query_data(
        &self,
        request: backend::QueryDataRequest<Self::Query, Self>,
    ) -> Self::Stream {
        let upstream = self
            .upstream(request.plugin_context.instance_settings.as_ref())
            .map(|u| u.for_request(&request.headers));
        let from_alert = from_alert(&request.headers);
        let plugin = self.clone();
        Box::pin(
            request
                .queries
                .into_iter()
                .map(move |query| {
                    let upstream = upstream.clone();
                    let plugin = plugin.clone();
                    async move {
                        let started = Instant::now();
                        let ref_id = query.ref_id.clone();
                        let query_type = query_type_name(&query.query_type, &query.query);
                        let result = AssertUnwindSafe(answer(upstream, query, from_alert))
                            .catch_unwind()
                            .await
                            .unwrap_or_else(|_| {
                                Err(QueryError::internal(
                                    "the plugin failed while answering this query; this is a bug",
                                ))
                            });
                        let result = result.and_then(|mut frames| {
                            frames.iter_mut().try_for_each(null_non_finite)?;
                            let checked = frames
                                .iter()
                                .map(Frame::check)
                                .collect::<Result<Vec<_>, _>>()
                                .map_err(|e| QueryError::internal(format!("invalid frame: {e}")))?;
                            Ok(backend::DataResponse::new(ref_id.clone(), checked))
                        });
                        plugin.state.metrics.record(
                            &query_type,
                            started.elapsed(),
                            result.as_ref().err().map(QueryError::http_status),
                        );
                        if let Err(error) = &result {
                            tracing::warn!(ref_id = %ref_id, status = error.http_status(), "query failed: {}", error.message);
                        }
                        result.map_err(|error| DataError { ref_id, error })
                    }
                })
                .collect::<FuturesOrdered<_>>(),
        )
    }
}

/// Whether Grafana's alerting sent the request: its query service sets the `FromAlert` header to
/// `true` (header names are compared without case, as HTTP's are).
fn from_alert(headers: &HashMap<String, String>) -> bool {
    headers
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case("FromAlert") && value.trim() == "true")
}

/// Replaces NaN and ±Inf in the frame's number fields with nulls, and adds a warning notice to the
/// frame saying how many values of which field, and why they usually appear. slokit's rules never
/// record such values, but other rules writing the same series, or another engine, can. Grafana
/// would show `NaN` in the status table and stat panels, and one +Inf point makes a time series
/// panel's axis unusable; an empty cell (a gap in a graph) with a notice on the panel is what a
/// dashboard viewer can act on.
pub fn null_non_finite(frame: &mut Frame) -> Result<(), QueryError> {
    use grafana_plugin_sdk::arrow2::array::PrimitiveArray;
    let mut described = Vec::new();
    for field in frame.fields_mut() {
        let Some(values) = field
            .values()
            .as_any()
            .downcast_ref::<PrimitiveArray<f64>>()
        else {
            continue;
        };
        let count = |test: fn(f64) -> bool| values.iter().flatten().filter(|v| test(**v)).count();
        let counts = [
            (count(f64::is_nan), "NaN"),
            (count(|v| v == f64::INFINITY), "+Inf"),
            (count(|v| v == f64::NEG_INFINITY), "-Inf"),
        ];
        if counts.iter().all(|(n, _)| *n == 0) {
            continue;
        }
        let cleaned: Vec<Option<f64>> = values
            .iter()
            .map(|v| v.copied().filter(|v| v.is_finite()))
            .collect();
        field
            .set_values_opt(cleaned)
            .map_err(|e| QueryError::internal(format!("cannot replace NaN values: {e}")))?;
        let name = field
            .config
            .as_ref()
            .and_then(|c| c.display_name_from_ds.clone())
            .unwrap_or_else(|| field.name.clone());
        let counts: Vec<String> = counts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        described.push(format!("`{name}` ({})", counts.join(", ")));
    }
    if !described.is_empty() {
        let mut notice = Notice::new(format!(
            "prometheus returned values that are not numbers, shown as empty: {}. NaN is usually a ratio of no events (0/0) and ±Inf a division by zero, such as an objective of 100% (no error budget); slokit's generated rules record neither, so check the rules that write these series",
            described.join(", ")
        ));
        notice.severity = Some(Severity::Warning);
        let meta = frame.meta.get_or_insert_with(Default::default);
        meta.notices.get_or_insert_with(Vec::new).push(notice);
    }
    Ok(())
}

/// The query type for metrics: a known type's name, else `unknown` (user input must not create
/// unbounded label values).
fn query_type_name(proto: &str, json: &Value) -> String {
    let name = if proto.is_empty() {
        json.get("queryType").and_then(Value::as_str).unwrap_or("")
    } else {
        proto
    };
    query::QueryKind::ALL
        .iter()
        .find(|k| k.name() == name)
        .map_or("unknown", |k| k.name())
        .to_string()
}

#[backend::async_trait]
impl backend::DiagnosticsService for SlokitPlugin {
    type CheckHealthError = std::convert::Infallible;
    type CollectMetricsError = std::convert::Infallible;

    async fn check_health(
        &self,
        request: backend::CheckHealthRequest<Self>,
    ) -> Result<backend::CheckHealthResponse, Self::CheckHealthError> {
        let upstream = match self.upstream(request.plugin_context.instance_settings.as_ref()) {
            Ok(upstream) => upstream.for_request(&request.headers),
            Err(message) => return Ok(backend::CheckHealthResponse::error(message)),
        };
        Ok(health(&upstream).await)
    }

    async fn collect_metrics(
        &self,
        _request: backend::CollectMetricsRequest<Self>,
    ) -> Result<backend::CollectMetricsResponse, Self::CollectMetricsError> {
        let text = self.state.metrics.render(self.upstream_requests());
        Ok(backend::CollectMetricsResponse::new(Some(
            backend::MetricsPayload::prometheus(text.into_bytes()),
        )))
    }
}

/// What the "Save & test" button shows: the message says whether slokit's series are there, and
/// `jsonDetails.verboseMessage` (shown under "details") what is missing that some panels need.
pub async fn health(upstream: &Upstream) -> backend::CheckHealthResponse {
    let url = &upstream.settings.url;
    let info = slokit_conventions::SERIES_INFO;
    let time = now_seconds();
    match upstream.instant(info, time).await {
        Ok(samples) if samples.is_empty() => backend::CheckHealthResponse::error(format!(
            "prometheus at `{url}` answered, but no SLO series found: `{info}` is absent; load the generated rules (`slo generate`) into it"
        )),
        Ok(samples) => {
            let mut products: Vec<String> = samples
                .iter()
                .map(|s| execute::Identity::of(&s.labels).product)
                .collect();
            products.sort();
            products.dedup();
            let message = format!(
                "found {} SLOs in {} products at `{url}`",
                samples.len(),
                products.len()
            );
            // The details are a help, not the verdict: if their queries fail, say so there.
            let verbose = match missing_series(upstream, time).await {
                Ok(present) => describe_missing(&samples, &present),
                Err(error) => format!("cannot check the other series: {error}"),
            };
            backend::CheckHealthResponse::ok(message)
                .with_json_details(serde_json::json!({ "verboseMessage": verbose }))
        }
        Err(error @ UpstreamError::AuthFailed { .. }) => {
            backend::CheckHealthResponse::error(format!("authentication failed: {error}"))
        }
        Err(error) => backend::CheckHealthResponse::error(error.to_string()),
    }
}

/// Which SLOs have burn-rate thresholds and policy steps, and which products have `ALERTS`
/// series, each as a set of `product/slo` (or `product`) names.
#[derive(Debug, Default)]
pub struct PresentSeries {
    pub thresholds: std::collections::BTreeSet<String>,
    pub policy_steps: std::collections::BTreeSet<String>,
    pub alerting_products: std::collections::BTreeSet<String>,
}

/// Three counting queries in parallel, each one series per SLO or product whatever the number of
/// series behind it.
async fn missing_series(upstream: &Upstream, time: f64) -> Result<PresentSeries, UpstreamError> {
    use slokit_conventions::{
        LABEL_PRODUCT, LABEL_SLO, SERIES_BURN_RATE_THRESHOLD, SERIES_POLICY_STEP,
    };
    let per_slo = |name: &str| format!("count by ({LABEL_PRODUCT}, {LABEL_SLO}) ({name})");
    let alerts = format!(
        "count by ({LABEL_PRODUCT}) ({}{{{LABEL_PRODUCT}!=\"\"}})",
        execute::ALERTS_SERIES
    );
    let (thresholds_expr, steps_expr) = (
        per_slo(SERIES_BURN_RATE_THRESHOLD),
        per_slo(SERIES_POLICY_STEP),
    );
    let (thresholds, steps, alerts) = futures_util::try_join!(
        upstream.instant(&thresholds_expr, time),
        upstream.instant(&steps_expr, time),
        upstream.instant(&alerts, time),
    )?;
    let slo_names = |samples: Vec<slokit_wire::Sample>| {
        samples
            .iter()
            .map(|s| {
                let identity = execute::Identity::of(&s.labels);
                format!("{}/{}", identity.product, identity.slo)
            })
            .collect()
    };
    Ok(PresentSeries {
        thresholds: slo_names(thresholds),
        policy_steps: slo_names(steps),
        alerting_products: alerts
            .iter()
            .map(|s| execute::Identity::of(&s.labels).product)
            .collect(),
    })
}

/// How many SLOs or products a health check's details name per kind of missing series.
const HEALTH_NAMES_LISTED: usize = 10;

/// The details of a health check: for each series some panels need, the SLOs or products that
/// lack it and what that means, or that everything is there. `info` are the info series.
pub fn describe_missing(info: &[slokit_wire::Sample], present: &PresentSeries) -> String {
    use slokit_conventions::{LABEL_POLICY, SERIES_BURN_RATE_THRESHOLD, SERIES_POLICY_STEP};
    let mut slos = Vec::new();
    let mut with_policy = Vec::new();
    let mut products = std::collections::BTreeSet::new();
    for sample in info {
        let identity = execute::Identity::of(&sample.labels);
        let name = format!("{}/{}", identity.product, identity.slo);
        if sample
            .labels
            .get(LABEL_POLICY)
            .is_some_and(|p| !p.is_empty())
        {
            with_policy.push(name.clone());
        }
        products.insert(identity.product);
        slos.push(name);
    }
    slos.sort();
    with_policy.sort();
    // A catalog of thousands of SLOs would make a page of names; ten say enough.
    let list = |names: &[&String]| {
        let mut text = names
            .iter()
            .take(HEALTH_NAMES_LISTED)
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > HEALTH_NAMES_LISTED {
            text.push_str(&format!(" and {} more", names.len() - HEALTH_NAMES_LISTED));
        }
        text
    };
    let mut lines = Vec::new();
    let no_thresholds: Vec<&String> = slos
        .iter()
        .filter(|s| !present.thresholds.contains(*s))
        .collect();
    if !no_thresholds.is_empty() {
        lines.push(format!(
            "missing burn-rate thresholds (`{SERIES_BURN_RATE_THRESHOLD}`) for {}: rules from an older slokit, or alerting disabled; burn-rate panels draw the default tiers",
            list(&no_thresholds)
        ));
    }
    let no_steps: Vec<&String> = with_policy
        .iter()
        .filter(|s| !present.policy_steps.contains(*s))
        .collect();
    if !no_steps.is_empty() {
        lines.push(format!(
            "missing policy steps (`{SERIES_POLICY_STEP}`) for {}, whose product names an error-budget policy: the policy action column reads `unknown`; load the rules generated with the policy",
            list(&no_steps)
        ));
    }
    let quiet: Vec<&String> = products
        .iter()
        .filter(|p| !present.alerting_products.contains(*p))
        .collect();
    if !quiet.is_empty() {
        lines.push(format!(
            "no `{}` series for {}: no alert of theirs is pending or firing now, or their alerting rules are not loaded (the alert state column reads `ok` either way)",
            execute::ALERTS_SERIES,
            list(&quiet)
        ));
    }
    if lines.is_empty() {
        "nothing missing: every SLO has its burn-rate thresholds, every SLO under a policy its policy steps, and every product series in `ALERTS`".into()
    } else {
        lines.join("\n")
    }
}

#[backend::async_trait]
impl backend::ResourceService for SlokitPlugin {
    type Error = std::convert::Infallible;
    type InitialResponse = http::Response<bytes::Bytes>;
    type Stream = backend::BoxResourceStream<Self::Error>;

    async fn call_resource(
        &self,
        request: backend::CallResourceRequest<Self>,
    ) -> Result<(Self::InitialResponse, Self::Stream), Self::Error> {
        // Resource calls carry the user's request as HTTP headers.
        let headers: HashMap<String, String> = request
            .request
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let upstream = self
            .upstream(request.plugin_context.instance_settings.as_ref())
            .map(|u| u.for_request(&headers));
        let answer = resources::call(
            request.request.method(),
            request.request.uri(),
            upstream.as_deref().map_err(Clone::clone),
            now_seconds(),
        )
        .await;
        Ok((
            answer.into_response(),
            Box::pin(futures_util::stream::empty()),
        ))
    }
}

/// The data service Grafana talks to: rejects the queries the SDK could not convert, one by one,
/// and hands the rest to the SDK's [`backend::DataService`] glue.
pub struct DataGuard(pub SlokitPlugin);

/// Why the SDK could not convert this query, if it could not.
fn unconvertible(query: &pluginv2::DataQuery) -> Option<String> {
    let Some(range) = &query.time_range else {
        return Some("the query has no time range".into());
    };
    let valid = |ms: i64| chrono::Utc.timestamp_millis_opt(ms).single().is_some();
    if !valid(range.from_epoch_ms) || !valid(range.to_epoch_ms) {
        return Some("the time range is invalid: a timestamp is out of range".into());
    }
    let json: &[u8] = if query.json.is_empty() {
        b"{}"
    } else {
        &query.json
    };
    if let Err(error) = serde_json::from_slice::<Value>(json) {
        return Some(format!("the query is not valid JSON: {error}"));
    }
    None
}

fn bad_request(message: String) -> pluginv2::DataResponse {
    pluginv2::DataResponse {
        frames: Vec::new(),
        status: 400,
        error: message,
        json_meta: Vec::new(),
    }
}

#[tonic::async_trait]
impl pluginv2::data_server::Data for DataGuard {
    async fn query_data(
        &self,
        request: tonic::Request<pluginv2::QueryDataRequest>,
    ) -> Result<tonic::Response<pluginv2::QueryDataResponse>, tonic::Status> {
        let mut request = request.into_inner();
        let mut rejected = HashMap::new();
        // Settings JSON the SDK cannot read would fail every query; say so for each of them.
        let settings_error = request
            .plugin_context
            .as_ref()
            .and_then(|c| c.data_source_instance_settings.as_ref())
            .filter(|s| !s.json_data.is_empty())
            .and_then(|s| serde_json::from_slice::<Value>(&s.json_data).err())
            .map(|e| format!("invalid datasource settings: `jsonData` is not JSON: {e}"));
        let metrics = &self.0.state.metrics;
        request.queries.retain(|query| {
            let problem = settings_error.clone().or_else(|| unconvertible(query));
            match problem {
                None => true,
                Some(message) => {
                    let json = serde_json::from_slice(&query.json).unwrap_or(Value::Null);
                    metrics.record(
                        &query_type_name(&query.query_type, &json),
                        std::time::Duration::ZERO,
                        Some(400),
                    );
                    rejected.insert(query.ref_id.clone(), bad_request(message));
                    false
                }
            }
        });
        let mut responses = if request.queries.is_empty() {
            HashMap::new()
        } else {
            pluginv2::data_server::Data::query_data(&self.0, tonic::Request::new(request))
                .await?
                .into_inner()
                .responses
        };
        responses.extend(rejected);
        Ok(tonic::Response::new(pluginv2::QueryDataResponse {
            responses,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grafana_plugin_sdk::arrow2::array::PrimitiveArray;
    use grafana_plugin_sdk::data::FieldConfig;

    fn info(product: &str, slo: &str, policy: Option<&str>) -> slokit_wire::Sample {
        let mut labels = std::collections::BTreeMap::from([
            ("slokit_product".to_string(), product.to_string()),
            ("slokit_slo".to_string(), slo.to_string()),
        ]);
        if let Some(policy) = policy {
            labels.insert("slokit_policy".into(), policy.into());
        }
        slokit_wire::Sample { labels, value: 1.0 }
    }

    #[test]
    fn health_details_name_what_is_missing() {
        let infos = [
            info("shop", "a", None),
            info("billing", "b", Some("p")),
            info("billing", "c", Some("p")),
        ];
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        let all = PresentSeries {
            thresholds: names(&["shop/a", "billing/b", "billing/c"]),
            policy_steps: names(&["billing/b", "billing/c"]),
            alerting_products: names(&["shop", "billing"]),
        };
        assert_eq!(
            describe_missing(&infos, &all),
            "nothing missing: every SLO has its burn-rate thresholds, every SLO under a policy its policy steps, and every product series in `ALERTS`"
        );
        let some = PresentSeries {
            thresholds: names(&["shop/a", "billing/c"]),
            policy_steps: names(&["billing/b"]),
            alerting_products: names(&["billing"]),
        };
        assert_eq!(
            describe_missing(&infos, &some),
            "missing burn-rate thresholds (`slokit:burn_rate_threshold:factor`) for `billing/b`: rules from an older slokit, or alerting disabled; burn-rate panels draw the default tiers\n\
             missing policy steps (`slokit:policy_step:threshold`) for `billing/c`, whose product names an error-budget policy: the policy action column reads `unknown`; load the rules generated with the policy\n\
             no `ALERTS` series for `shop`: no alert of theirs is pending or firing now, or their alerting rules are not loaded (the alert state column reads `ok` either way)"
        );
        let many: Vec<slokit_wire::Sample> = (0..12)
            .map(|i| info("p", &format!("s{i:02}"), None))
            .collect();
        let none = PresentSeries {
            alerting_products: names(&["p"]),
            ..PresentSeries::default()
        };
        assert_eq!(
            describe_missing(&many, &none),
            "missing burn-rate thresholds (`slokit:burn_rate_threshold:factor`) for `p/s00`, `p/s01`, `p/s02`, `p/s03`, `p/s04`, `p/s05`, `p/s06`, `p/s07`, `p/s08`, `p/s09` and 2 more: rules from an older slokit, or alerting disabled; burn-rate panels draw the default tiers"
        );
    }

    fn numbers(frame: &Frame, index: usize) -> Vec<Option<f64>> {
        frame.fields()[index]
            .values()
            .as_any()
            .downcast_ref::<PrimitiveArray<f64>>()
            .expect("numbers")
            .iter()
            .map(|v| v.copied())
            .collect()
    }

    #[test]
    fn non_finite_values_become_nulls_with_a_notice() {
        let mut config = FieldConfig::default();
        config.display_name_from_ds = Some("SLI 1h shop/a".into());
        let mut frame = Frame::new("a")
            .with_field(["x", "y", "z", "w"].into_field("name"))
            .with_field(
                [0.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]
                    .into_field("value")
                    .with_config(config),
            )
            .with_field([1.0, f64::NAN, 2.0, 3.0].into_field("other"))
            .with_field([1.0, 2.0, 3.0, 4.0].into_field("finite"));
        null_non_finite(&mut frame).expect("replaced");
        assert_eq!(numbers(&frame, 1), [Some(0.5), None, None, None]);
        assert_eq!(numbers(&frame, 2), [Some(1.0), None, Some(2.0), Some(3.0)]);
        assert_eq!(
            numbers(&frame, 3),
            [Some(1.0), Some(2.0), Some(3.0), Some(4.0)]
        );
        let notices = frame
            .meta
            .as_ref()
            .and_then(|m| m.notices.clone())
            .expect("a notice");
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].severity, Some(Severity::Warning));
        assert!(
            notices[0].text.starts_with(
                "prometheus returned values that are not numbers, shown as empty: `SLI 1h shop/a` (1 NaN, 1 +Inf, 1 -Inf), `other` (1 NaN). "
            ),
            "{}",
            notices[0].text
        );

        let mut finite = Frame::new("b").with_field([1.0, 2.0].into_field("value"));
        null_non_finite(&mut finite).expect("nothing to replace");
        assert!(finite.meta.is_none());
    }
}
