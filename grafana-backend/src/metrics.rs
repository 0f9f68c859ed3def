//! The plugin's own metrics, served to Grafana by `CollectMetrics` in Prometheus's text format:
//! queries by type, errors by type and status, query latency as a histogram, and requests sent
//! to Prometheus. Kept in a mutex-guarded map; a handful of updates per query cost nothing next to
//! the HTTP round trip.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Metric names. They describe the plugin, not SLOs, so they are not in `slokit_conventions`.
pub const METRIC_QUERIES: &str = "slokit_plugin_queries_total";
pub const METRIC_ERRORS: &str = "slokit_plugin_query_errors_total";
pub const METRIC_LATENCY: &str = "slokit_plugin_query_duration_seconds";
pub const METRIC_UPSTREAM_REQUESTS: &str = "slokit_plugin_prometheus_requests_total";

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct State {
    queries: BTreeMap<String, u64>,
    errors: BTreeMap<(String, u16), u64>,
    /// Per query type: bucket counts, sum and count.
    latency: BTreeMap<String, ([u64; BUCKETS.len()], f64, u64)>,
}

#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

impl Metrics {
    /// Records one finished query; `error` is its HTTP status when it failed.
    pub fn record(&self, query_type: &str, elapsed: Duration, error: Option<u16>) {
        // A poisoned lock only means another thread panicked mid-update; the counters are still
        // usable, and metrics must never take the plugin down.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state.queries.entry(query_type.to_string()).or_default() += 1;
        if let Some(status) = error {
            *state
                .errors
                .entry((query_type.to_string(), status))
                .or_default() += 1;
        }
        let seconds = elapsed.as_secs_f64();
        let entry = state.latency.entry(query_type.to_string()).or_default();
        for (bound, count) in BUCKETS.iter().zip(entry.0.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        entry.1 += seconds;
        entry.2 += 1;
    }

    /// The text exposition format. `upstream_requests` comes from the HTTP clients.
    pub fn render(&self, upstream_requests: u64) -> String {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP {METRIC_QUERIES} Queries answered, by query type."
        );
        let _ = writeln!(out, "# TYPE {METRIC_QUERIES} counter");
        for (query_type, count) in &state.queries {
            let _ = writeln!(out, "{METRIC_QUERIES}{{query_type={query_type:?}}} {count}");
        }
        let _ = writeln!(
            out,
            "# HELP {METRIC_ERRORS} Queries that failed, by query type and status."
        );
        let _ = writeln!(out, "# TYPE {METRIC_ERRORS} counter");
        for ((query_type, status), count) in &state.errors {
            let _ = writeln!(
                out,
                "{METRIC_ERRORS}{{query_type={query_type:?},status=\"{status}\"}} {count}"
            );
        }
        let _ = writeln!(out, "# HELP {METRIC_LATENCY} Time to answer one query.");
        let _ = writeln!(out, "# TYPE {METRIC_LATENCY} histogram");
        for (query_type, (buckets, sum, count)) in &state.latency {
            for (bound, bucket) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(
                    out,
                    "{METRIC_LATENCY}_bucket{{query_type={query_type:?},le=\"{bound}\"}} {bucket}"
                );
            }
            let _ = writeln!(
                out,
                "{METRIC_LATENCY}_bucket{{query_type={query_type:?},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "{METRIC_LATENCY}_sum{{query_type={query_type:?}}} {sum}"
            );
            let _ = writeln!(
                out,
                "{METRIC_LATENCY}_count{{query_type={query_type:?}}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP {METRIC_UPSTREAM_REQUESTS} HTTP requests sent to Prometheus."
        );
        let _ = writeln!(out, "# TYPE {METRIC_UPSTREAM_REQUESTS} counter");
        let _ = writeln!(out, "{METRIC_UPSTREAM_REQUESTS} {upstream_requests}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_text_format() {
        let metrics = Metrics::default();
        metrics.record("sli", Duration::from_millis(20), None);
        metrics.record("sli", Duration::from_millis(200), Some(502));
        let text = metrics.render(3);
        assert!(
            text.contains("slokit_plugin_queries_total{query_type=\"sli\"} 2\n"),
            "{text}"
        );
        assert!(text
            .contains("slokit_plugin_query_errors_total{query_type=\"sli\",status=\"502\"} 1\n"));
        assert!(text.contains(
            "slokit_plugin_query_duration_seconds_bucket{query_type=\"sli\",le=\"0.025\"} 1\n"
        ));
        assert!(text.contains("slokit_plugin_prometheus_requests_total 3\n"));
    }
}
