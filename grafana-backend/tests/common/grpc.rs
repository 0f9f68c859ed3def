//! Calling the plugin's gRPC services as Grafana does, with the SDK's public `pluginv2` clients:
//! datasource settings, queries, health checks, resources and the plugin's own metrics. The
//! integration tests use it through `common`, and `examples/bench.rs` includes this file with
//! `#[path]`, so it needs nothing that only a test target has.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use grafana_plugin_sdk::pluginv2;
use serde_json::{json, Value};

/// A plugin's gRPC server, by its address (`http://127.0.0.1:<port>`).
pub struct Grpc {
    pub address: String,
}

impl Grpc {
    /// A new connection to the plugin.
    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Endpoint::from_shared(self.address.clone())
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to the plugin")
    }
}

/// Datasource settings as Grafana sends them.
pub fn context(url: &str, json_data: Value, secure: &[(&str, &str)]) -> pluginv2::PluginContext {
    pluginv2::PluginContext {
        org_id: 1,
        plugin_id: "slokit-slo-datasource".into(),
        data_source_instance_settings: Some(pluginv2::DataSourceInstanceSettings {
            id: 1,
            uid: format!("ds-{url}"),
            name: "slokit".into(),
            url: url.into(),
            json_data: json_data.to_string().into_bytes(),
            decrypted_secure_json_data: secure
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            last_updated_ms: 1_700_000_000_000,
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// One query as Grafana's frontend sends it, with Grafana's own extra fields.
pub fn data_query(ref_id: &str, json: Value, from: f64, to: f64) -> pluginv2::DataQuery {
    let mut json = json;
    json["refId"] = json!(ref_id);
    json["datasource"] = json!({"type": "slokit-slo-datasource", "uid": "abc"});
    json["intervalMs"] = json!(1000);
    json["maxDataPoints"] = json!(1000);
    pluginv2::DataQuery {
        ref_id: ref_id.into(),
        max_data_points: 1000,
        interval_ms: 1000,
        time_range: Some(pluginv2::TimeRange {
            from_epoch_ms: (from * 1000.0) as i64,
            to_epoch_ms: (to * 1000.0) as i64,
        }),
        json: json.to_string().into_bytes(),
        query_type: String::new(),
    }
}

/// One QueryData request on a new connection; the answers by refId.
pub async fn query_data(
    plugin: &Grpc,
    context: pluginv2::PluginContext,
    queries: Vec<pluginv2::DataQuery>,
) -> HashMap<String, pluginv2::DataResponse> {
    query_data_with_headers(plugin, context, queries, &[]).await
}

/// One QueryData request with the request headers Grafana adds (such as `FromAlert: true` for
/// alert rules); the answers by refId.
pub async fn query_data_with_headers(
    plugin: &Grpc,
    context: pluginv2::PluginContext,
    queries: Vec<pluginv2::DataQuery>,
    headers: &[(&str, &str)],
) -> HashMap<String, pluginv2::DataResponse> {
    let mut client = pluginv2::data_client::DataClient::new(plugin.channel().await);
    client
        .query_data(pluginv2::QueryDataRequest {
            plugin_context: Some(context),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            queries,
        })
        .await
        .expect("QueryData succeeds even when queries fail")
        .into_inner()
        .responses
}

/// The health check's status and message.
pub async fn check_health(plugin: &Grpc, context: pluginv2::PluginContext) -> (i32, String) {
    let (status, message, _) = check_health_details(plugin, context).await;
    (status, message)
}

/// The health check's status, message and `jsonDetails` (null when there are none).
pub async fn check_health_details(
    plugin: &Grpc,
    context: pluginv2::PluginContext,
) -> (i32, String, Value) {
    let mut client = pluginv2::diagnostics_client::DiagnosticsClient::new(plugin.channel().await);
    let response = client
        .check_health(pluginv2::CheckHealthRequest {
            plugin_context: Some(context),
            headers: HashMap::new(),
        })
        .await
        .expect("CheckHealth answers")
        .into_inner();
    let details = serde_json::from_slice(&response.json_details).unwrap_or(Value::Null);
    (response.status, response.message, details)
}

/// A GET of a resource (`slos?product=shop`): the answer's first message, or the gRPC error of
/// the call or of the stream.
pub async fn resource_response(
    plugin: &Grpc,
    context: pluginv2::PluginContext,
    url: &str,
) -> Result<Option<pluginv2::CallResourceResponse>, tonic::Status> {
    let mut client = pluginv2::resource_client::ResourceClient::new(plugin.channel().await);
    let mut stream = client
        .call_resource(pluginv2::CallResourceRequest {
            plugin_context: Some(context),
            path: url.split('?').next().unwrap_or_default().into(),
            method: "GET".into(),
            url: url.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    stream.message().await
}

/// A resource's status code and JSON body.
pub async fn call_resource(
    plugin: &Grpc,
    context: pluginv2::PluginContext,
    url: &str,
) -> (i32, Value) {
    let first = resource_response(plugin, context, url)
        .await
        .expect("CallResource answers")
        .expect("at least one message");
    let body: Value = serde_json::from_slice(&first.body).expect("JSON body");
    (first.code, body)
}

/// The plugin's metrics (CollectMetrics), in Prometheus's text format.
pub async fn metrics_text(plugin: &Grpc, context: pluginv2::PluginContext) -> String {
    let mut client = pluginv2::diagnostics_client::DiagnosticsClient::new(plugin.channel().await);
    let metrics = client
        .collect_metrics(pluginv2::CollectMetricsRequest {
            plugin_context: Some(context),
        })
        .await
        .expect("CollectMetrics")
        .into_inner();
    String::from_utf8(metrics.metrics.expect("a payload").prometheus).expect("UTF-8")
}

/// The plugin's count of requests to Prometheus so far (`slokit_plugin_prometheus_requests_total`).
pub async fn prometheus_requests(plugin: &Grpc, context: pluginv2::PluginContext) -> u64 {
    let text = metrics_text(plugin, context).await;
    text.lines()
        .find_map(|l| l.strip_prefix("slokit_plugin_prometheus_requests_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no request count in {text}"))
}
