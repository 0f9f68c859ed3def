//! The customers' default ladder of progressive targets: what an SLO climbs when it names a
//! current phase without listing phases, and what `slo plan` proposes for an SLO without phases.

use crate::duration::Duration;

/// One rung of the ladder: an availability target with latency targets, held for `days`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rung {
    pub name: &'static str,
    pub target: f64,
    pub latency_p95: Duration,
    pub latency_p99: Duration,
    /// How long the rung lasts; `None` for the last, ongoing one.
    pub duration: Option<Duration>,
}

/// Baseline 99.0% → improvement 99.5% → production ready 99.9% → excellence 99.95%, with p95 and
/// p99 latency targets that tighten with each rung.
pub const DEFAULT_LADDER: [Rung; 4] = [
    Rung {
        name: "baseline",
        target: 0.99,
        latency_p95: Duration::from_millis(2000),
        latency_p99: Duration::from_millis(5000),
        duration: Some(Duration::from_days(30)),
    },
    Rung {
        name: "improvement",
        target: 0.995,
        latency_p95: Duration::from_millis(1000),
        latency_p99: Duration::from_millis(2000),
        duration: Some(Duration::from_days(60)),
    },
    Rung {
        name: "production_ready",
        target: 0.999,
        latency_p95: Duration::from_millis(500),
        latency_p99: Duration::from_millis(1000),
        duration: Some(Duration::from_days(90)),
    },
    Rung {
        name: "excellence",
        target: 0.9995,
        latency_p95: Duration::from_millis(200),
        latency_p99: Duration::from_millis(500),
        duration: None,
    },
];
