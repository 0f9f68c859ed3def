//! The demo workload: a small axum service that exposes realistic `/metrics` for slokit's example
//! products (request counters by status, latency histograms, a job counter pair and a probe gauge)
//! and a control API to inject incidents, so a user can watch an alert tier fire and the budget
//! burn. It also receives Alertmanager's webhooks and prints them, which is all the demo needs.
//!
//! The session store's native histogram is left out: the text format cannot carry native
//! histograms, and a protobuf exposition is more than a demo needs.

pub mod metrics;
pub mod model;

use axum::extract::{Query, State as AxumState};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use model::{Incident, IncidentKind, State};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

pub type Shared = Arc<Mutex<State>>;

/// The routes: `/metrics`, `/incidents` (GET lists, POST injects, DELETE clears), `/alerts`
/// (Alertmanager webhook receiver) and `/healthz`.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .route(
            "/incidents",
            get(list_incidents)
                .post(inject_incident)
                .delete(clear_incidents),
        )
        .route("/alerts", post(receive_alerts))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(state)
}

async fn metrics_handler(
    AxumState(state): AxumState<Shared>,
) -> ([(&'static str, &'static str); 1], String) {
    let text = metrics::render(&state.lock().unwrap_or_else(|e| e.into_inner()));
    ([("content-type", "text/plain; version=0.0.4")], text)
}

#[derive(Debug, Deserialize)]
struct IncidentRequest {
    service: String,
    kind: IncidentKind,
    /// Error ratio (errors) or latency factor (latency); defaults to 0.2 and 10.
    value: Option<f64>,
    /// How long, in seconds of simulated traffic; default 600.
    seconds: Option<u64>,
}

async fn inject_incident(
    AxumState(state): AxumState<Shared>,
    Query(request): Query<IncidentRequest>,
) -> Result<Json<Vec<Incident>>, (StatusCode, String)> {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let known = request.service == "*"
        || request.service == "refunds-worker"
        || request.service == "web-frontend"
        || state.services.iter().any(|s| s.job == request.service);
    if !known {
        let names: Vec<&str> = state.services.iter().map(|s| s.job).collect();
        return Err((
            StatusCode::BAD_REQUEST,
            format!(
                "unknown service `{}`; known: {}, refunds-worker, web-frontend, *\n",
                request.service,
                names.join(", ")
            ),
        ));
    }
    let value = request.value.unwrap_or(match request.kind {
        IncidentKind::Errors => 0.2,
        IncidentKind::Latency => 10.0,
        IncidentKind::Outage => 1.0,
    });
    if !value.is_finite() || value < 0.0 || (request.kind == IncidentKind::Errors && value > 1.0) {
        return Err((StatusCode::BAD_REQUEST, "`value` must be a ratio between 0 and 1 for errors, or a positive factor for latency\n".into()));
    }
    state.incidents.retain(|i| i.service != request.service);
    state.incidents.push(Incident {
        service: request.service,
        kind: request.kind,
        value,
        ticks_left: request.seconds.unwrap_or(600).max(1),
    });
    Ok(Json(state.incidents.clone()))
}

async fn list_incidents(AxumState(state): AxumState<Shared>) -> Json<Vec<Incident>> {
    Json(
        state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .incidents
            .clone(),
    )
}

async fn clear_incidents(AxumState(state): AxumState<Shared>) -> StatusCode {
    state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .incidents
        .clear();
    StatusCode::NO_CONTENT
}

/// Prints each alert Alertmanager sends (status, alert name, severity, SLO), one line each.
async fn receive_alerts(Json(body): Json<serde_json::Value>) -> StatusCode {
    for alert in body["alerts"].as_array().into_iter().flatten() {
        let label = |name: &str| alert["labels"][name].as_str().unwrap_or("-").to_string();
        println!(
            "alert {} {} severity={} slo={}",
            alert["status"].as_str().unwrap_or("?"),
            label("alertname"),
            label("severity"),
            label("slokit_slo")
        );
    }
    StatusCode::OK
}

/// Advances the simulation once per `tick` until the process ends; `seconds_per_tick` simulated
/// seconds of traffic are added each time, so a demo can run faster than real time.
pub async fn simulate(state: Shared, tick: std::time::Duration, seconds_per_tick: u64) {
    let mut interval = tokio::time::interval(tick);
    loop {
        interval.tick().await;
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..seconds_per_tick {
            state.tick();
        }
    }
}
