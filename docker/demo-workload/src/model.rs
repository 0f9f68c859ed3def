//! The simulated services and their counters. Traffic is deterministic: every tick adds the
//! expected number of requests, errors and bucket observations (as float counters), so a demo
//! shows exactly the error ratio an incident asks for, and tests can predict every value.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Upper bounds of the latency histogram buckets, in seconds (`+Inf` is implied).
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One HTTP service of the example products.
#[derive(Clone, Debug)]
pub struct HttpService {
    pub job: &'static str,
    pub routes: &'static [&'static str],
    /// Requests per second across all routes, in normal operation.
    pub rps: f64,
    /// Share of requests that fail with a 5xx in normal operation.
    pub error_ratio: f64,
    /// Median latency in seconds in normal operation.
    pub median_latency: f64,
    /// The status label's name: most services write `code`, payments writes `status_code`.
    pub status_label: &'static str,
}

/// The services of `examples/`: storefront (web-frontend probe, catalog-api, checkout-api),
/// payments (payments-api, refunds-worker) and identity (auth-api).
pub fn example_services() -> Vec<HttpService> {
    vec![
        HttpService {
            job: "auth-api",
            routes: &["/login", "/token"],
            rps: 20.0,
            error_ratio: 0.0005,
            median_latency: 0.04,
            status_label: "code",
        },
        HttpService {
            job: "catalog-api",
            routes: &["/", "/product", "/search"],
            rps: 60.0,
            error_ratio: 0.001,
            median_latency: 0.03,
            status_label: "code",
        },
        HttpService {
            job: "checkout-api",
            routes: &["/cart", "/checkout"],
            rps: 15.0,
            error_ratio: 0.0003,
            median_latency: 0.12,
            status_label: "code",
        },
        HttpService {
            job: "payments-api",
            routes: &["/authorize", "/refund"],
            rps: 10.0,
            error_ratio: 0.0001,
            median_latency: 0.08,
            status_label: "status_code",
        },
    ]
}

/// What an incident does to a service while it lasts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// A share of requests fails (`ratio`, 0 to 1).
    Errors,
    /// Requests get slower by `factor`.
    Latency,
    /// Everything fails and the probe goes down.
    Outage,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub service: String,
    pub kind: IncidentKind,
    /// Error ratio for `errors`; latency factor for `latency`; ignored for `outage`.
    pub value: f64,
    /// Ticks left (one tick is one simulated second).
    pub ticks_left: u64,
}

/// All counters, keyed by their label sets, plus the incidents in force.
#[derive(Debug, Default)]
pub struct State {
    pub services: Vec<HttpService>,
    /// (job, route, status) → requests.
    pub requests: BTreeMap<(String, String, String), f64>,
    /// (job, route) → cumulative bucket counts (one per `BUCKETS` entry, then `+Inf`), sum.
    pub latency: BTreeMap<(String, String), (Vec<f64>, f64)>,
    pub refunds_total: f64,
    pub refunds_failed: f64,
    pub probe_success: f64,
    pub incidents: Vec<Incident>,
    pub ticks: u64,
}

impl State {
    pub fn new(services: Vec<HttpService>) -> State {
        State {
            services,
            probe_success: 1.0,
            ..State::default()
        }
    }

    fn incident(&self, service: &str) -> Option<&Incident> {
        self.incidents
            .iter()
            .find(|i| i.service == service || i.service == "*")
    }

    /// Advances the simulation by one second of traffic.
    pub fn tick(&mut self) {
        self.ticks += 1;
        let services = self.services.clone();
        for service in &services {
            let incident = self.incident(service.job).cloned();
            let (error_ratio, latency_factor) = match incident.as_ref().map(|i| (i.kind, i.value)) {
                Some((IncidentKind::Errors, ratio)) => (ratio.clamp(0.0, 1.0), 1.0),
                Some((IncidentKind::Latency, factor)) => (service.error_ratio, factor.max(0.01)),
                Some((IncidentKind::Outage, _)) => (1.0, 1.0),
                None => (service.error_ratio, 1.0),
            };
            let per_route = service.rps / service.routes.len() as f64;
            for route in service.routes {
                let errors = per_route * error_ratio;
                for (status, count) in [("200", per_route - errors), ("500", errors)] {
                    *self
                        .requests
                        .entry((
                            service.job.to_string(),
                            route.to_string(),
                            status.to_string(),
                        ))
                        .or_default() += count;
                }
                let entry = self
                    .latency
                    .entry((service.job.to_string(), route.to_string()))
                    .or_insert_with(|| (vec![0.0; BUCKETS.len() + 1], 0.0));
                let median = service.median_latency * latency_factor;
                for (i, bound) in BUCKETS.iter().enumerate() {
                    entry.0[i] += per_route * share_faster_than(*bound, median);
                }
                entry.0[BUCKETS.len()] += per_route;
                entry.1 += per_route * median * 1.2;
            }
        }
        let refunds_incident = self.incident("refunds-worker").map(|i| i.kind);
        self.refunds_total += 2.0;
        self.refunds_failed += if refunds_incident.is_some() {
            1.0
        } else {
            0.002
        };
        self.probe_success = if matches!(
            self.incident("web-frontend").map(|i| i.kind),
            Some(IncidentKind::Outage)
        ) {
            0.0
        } else {
            1.0
        };
        for incident in &mut self.incidents {
            incident.ticks_left = incident.ticks_left.saturating_sub(1);
        }
        self.incidents.retain(|i| i.ticks_left > 0);
    }
}

/// The share of requests faster than `bound` when latencies are log-logistic around `median`
/// (shape 4: about 90% of requests within 1.7x the median), a realistic long tail.
pub fn share_faster_than(bound: f64, median: f64) -> f64 {
    let ratio = bound / median;
    let p = ratio.powi(4);
    p / (1.0 + p)
}
