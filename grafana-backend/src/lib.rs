//! The slokit Grafana backend datasource plugin (`slokit-slo-datasource`): SLO-aware queries (SLI,
//! burn rate, error budget, burn-down, status table, events) over the series that slokit's
//! generated recording rules write, so dashboards need no PromQL. Grafana starts the executable,
//! reads the go-plugin handshake line from its stdout and calls it over gRPC; this crate answers
//! with the SDK's `pluginv2` services.
//!
//! Modules: `settings` (datasource configuration, secrets redacted), `upstream` (the Prometheus
//! HTTP client, over the `slokit-wire` crate it shares with the `slo` CLI), `query` (reading one
//! panel query), `execute` (query kinds to frames), `resources` (the pickers' HTTP resources),
//! `metrics` (the plugin's own metrics) and `service` (the gRPC services).

pub mod execute;
pub mod metrics;
pub mod query;
pub mod resources;
pub mod service;
pub mod settings;
pub mod tls;
pub mod upstream;

use std::process::ExitCode;

use grafana_plugin_sdk::backend;
use grafana_plugin_sdk::pluginv2::{
    data_server::DataServer, diagnostics_server::DiagnosticsServer, resource_server::ResourceServer,
};
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tracing_subscriber::prelude::*;

pub use service::{DataGuard, SlokitPlugin};

/// The plugin id in `plugin.json`.
pub const PLUGIN_ID: &str = "slokit-slo-datasource";

/// Runs the plugin until Grafana stops it. Logs go to stderr in the JSON format Grafana reads;
/// the level comes from `RUST_LOG` (`info` by default).
pub fn run() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_name("slokit-plugin")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        // The handshake line must be the first thing on stdout, so it comes before any logging.
        let listener = match backend::initialize().await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("cannot listen on 127.0.0.1: {e}");
                return ExitCode::FAILURE;
            }
        };
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let _ = tracing_subscriber::registry()
            .with(backend::layer())
            .with(filter)
            .with(tracing_subscriber::filter::filter_fn(|metadata| {
                !is_sdk_span(metadata)
            }))
            .try_init();
        match serve(listener, SlokitPlugin::default()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("the plugin stopped serving: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Whether `metadata` is a span of grafana-plugin-sdk. The SDK instruments its gRPC handlers with
/// `#[tracing::instrument]`, which records the whole request, decrypted `secureJsonData` (passwords,
/// tokens) included, as a span field; Grafana's log format prints the current span's fields with
/// every event. So with `RUST_LOG=debug` every log line written while answering a request (a failed
/// query's warning, say) carried the datasource's secrets. These spans are never created; the
/// SDK's events still are.
pub fn is_sdk_span(metadata: &tracing::Metadata<'_>) -> bool {
    metadata.is_span() && metadata.target().starts_with("grafana_plugin_sdk")
}

/// Serves the plugin's gRPC services on `listener`: what the SDK's `Plugin::start` does, with the
/// data service behind [`DataGuard`].
pub async fn serve(
    listener: TcpListener,
    plugin: SlokitPlugin,
) -> Result<(), tonic::transport::Error> {
    let (mut reporter, health_service) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<DiagnosticsServer<SlokitPlugin>>()
        .await;
    reporter.set_serving::<DataServer<DataGuard>>().await;
    reporter.set_serving::<ResourceServer<SlokitPlugin>>().await;
    // go-plugin asks for the health of the service named `plugin`.
    reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    // Grafana's requests and the plugin's answers are small writes on a long-lived connection;
    // with Nagle's algorithm on, an answer can wait for the client's delayed ACK (40 ms on Linux).
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(|stream| {
        if let Ok(stream) = &stream {
            let _ = stream.set_nodelay(true);
        }
        stream
    });
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(DiagnosticsServer::new(plugin.clone()))
        .add_service(DataServer::new(DataGuard(plugin.clone())))
        .add_service(ResourceServer::new(plugin))
        .serve_with_incoming(incoming)
        .await
}
