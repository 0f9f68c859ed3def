//! The Prometheus text exposition (format 0.0.4) of the simulated state. Pure: state in, text out.

use crate::model::{State, BUCKETS};
use std::fmt::Write as _;

pub fn render(state: &State) -> String {
    let mut out = String::new();
    out.push_str("# HELP http_requests_total HTTP requests by route and status.\n# TYPE http_requests_total counter\n");
    for ((job, route, status), count) in &state.requests {
        let status_label = state
            .services
            .iter()
            .find(|s| s.job == job)
            .map(|s| s.status_label)
            .unwrap_or("code");
        let _ = writeln!(out, "http_requests_total{{job=\"{job}\",route=\"{route}\",{status_label}=\"{status}\"}} {count}");
    }
    out.push_str("# HELP http_request_duration_seconds HTTP request latency.\n# TYPE http_request_duration_seconds histogram\n");
    for ((job, route), (buckets, sum)) in &state.latency {
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "http_request_duration_seconds_bucket{{job=\"{job}\",route=\"{route}\",le=\"{bound}\"}} {}", buckets[i]);
        }
        let total = buckets[BUCKETS.len()];
        let _ = writeln!(out, "http_request_duration_seconds_bucket{{job=\"{job}\",route=\"{route}\",le=\"+Inf\"}} {total}");
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{job=\"{job}\",route=\"{route}\"}} {sum}"
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{job=\"{job}\",route=\"{route}\"}} {total}"
        );
    }
    let _ = writeln!(out, "# HELP refund_jobs_total Refund jobs processed.\n# TYPE refund_jobs_total counter\nrefund_jobs_total {}", state.refunds_total);
    let _ = writeln!(out, "# HELP refund_jobs_failed_total Refund jobs that failed.\n# TYPE refund_jobs_failed_total counter\nrefund_jobs_failed_total {}", state.refunds_failed);
    let _ = writeln!(
        out,
        "# HELP probe_success Whether the blackbox probe of the home page succeeded.\n# TYPE probe_success gauge\nprobe_success{{job=\"blackbox\",instance=\"https://shop.example.com/\"}} {}",
        state.probe_success
    );
    out
}
