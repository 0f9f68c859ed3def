//! Synthetic, deterministic monitoring history for end-to-end tests and benchmarks: services with
//! diurnal traffic, day and night error ratios, incidents, zero-traffic gaps and scrape outages,
//! written as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics` (or
//! VictoriaMetrics' import), together with the exact event counts behind it ([`Truth`]).
//!
//! There is no randomness. Each service's request rate is a smooth function of the time of day
//! (a cosine between a trough and a peak), split evenly across its routes, and constant within a
//! [`TICK`]-second tick. Counters are the exact integral of that rate from the workload's origin,
//! rounded down to whole events as a real client would expose them, so the ground truth of any
//! interval is the difference of two counter values and does not depend on how often the history
//! is sampled. Metric names follow the specs in `examples/`: `http_requests_total{job,route,code}`
//! (`code` is `200` or `500`), the classic histogram `http_request_duration_seconds` and the gauge
//! `probe_success{job="blackbox",instance}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The resolution at which rates are held constant. Sample steps need not be multiples of it:
/// counters between tick boundaries are interpolated exactly (the integral of a constant rate).
pub const TICK: i64 = 15;

const DAY: i64 = 86_400;

/// A period of abnormal service: a higher error ratio and slower requests. Times in Unix seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub start: i64,
    pub duration: i64,
    /// Share of requests that fail while the incident lasts.
    pub error_ratio: f64,
    /// Mean latency is multiplied by this while the incident lasts (1 = unchanged).
    pub latency_factor: f64,
}

impl Incident {
    pub fn end(&self) -> i64 {
        self.start + self.duration
    }

    fn covers(&self, t: i64) -> bool {
        t >= self.start && t < self.end()
    }
}

/// A period without traffic. When `scraped` the counters stay flat and are still scraped (rates
/// are exactly 0, the case that makes a 5m error ratio 0/0); otherwise the target is down and no
/// samples at all are written (the series are absent).
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub start: i64,
    pub duration: i64,
    pub scraped: bool,
}

impl Gap {
    fn covers(&self, t: i64) -> bool {
        t >= self.start && t < self.start + self.duration
    }
}

/// A classic histogram of request latency: exponential with the given mean, so the share of
/// requests at or under bound `b` is `1 - exp(-b / mean)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Finite bucket bounds in seconds, ascending; `+Inf` is implied.
    pub buckets: Vec<f64>,
    pub mean_seconds: f64,
}

/// One service (one `job`).
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub job: String,
    pub routes: Vec<String>,
    /// Requests per second of the whole service at the quietest and the busiest time of day.
    pub trough_rps: f64,
    pub peak_rps: f64,
    /// Night, in hours of the UTC day, `[start, end)`; may wrap midnight. Traffic is lowest in the
    /// middle of the night and highest twelve hours later.
    pub night: (f64, f64),
    pub day_error_ratio: f64,
    pub night_error_ratio: f64,
    pub incidents: Vec<Incident>,
    pub gaps: Vec<Gap>,
    /// The `code="500"` series exist only while an incident lasts (a client that creates its error
    /// counter on the first error). Each appearance starts with a sample taken as the incident
    /// begins, so no error happens before Prometheus sees the series.
    pub errors_only_during_incidents: bool,
    pub histogram: Option<Histogram>,
    /// The `instance` of a `probe_success{job="blackbox"}` gauge: 0 while any incident lasts, 1
    /// otherwise, absent while the target is down.
    pub probe: Option<String>,
}

impl Service {
    /// A service with one route `/`, 10→100 rps, 2% errors at night (00:15–07:45 UTC) and 0.02%
    /// by day: the uneven workload of the benchmark.
    pub fn new(job: &str) -> Service {
        Service {
            job: job.to_string(),
            routes: vec!["/".to_string()],
            trough_rps: 10.0,
            peak_rps: 100.0,
            night: (0.25, 7.75),
            day_error_ratio: 0.0002,
            night_error_ratio: 0.02,
            incidents: Vec::new(),
            gaps: Vec::new(),
            errors_only_during_incidents: false,
            histogram: None,
            probe: None,
        }
    }

    pub fn routes(mut self, routes: &[&str]) -> Service {
        self.routes = routes.iter().map(|r| r.to_string()).collect();
        self
    }

    /// `n` routes named `/r0`, `/r1`, ...: `2 n` counter series (more cardinality for benchmarks).
    pub fn numbered_routes(mut self, n: usize) -> Service {
        self.routes = (0..n).map(|i| format!("/r{i}")).collect();
        self
    }

    pub fn traffic(mut self, trough_rps: f64, peak_rps: f64) -> Service {
        self.trough_rps = trough_rps;
        self.peak_rps = peak_rps;
        self
    }

    pub fn night(mut self, start_hour: f64, end_hour: f64) -> Service {
        self.night = (start_hour, end_hour);
        self
    }

    pub fn error_ratios(mut self, day: f64, night: f64) -> Service {
        self.day_error_ratio = day;
        self.night_error_ratio = night;
        self
    }

    pub fn incident(mut self, start: i64, duration: i64, error_ratio: f64) -> Service {
        self.incidents.push(Incident {
            start,
            duration,
            error_ratio,
            latency_factor: 1.0,
        });
        self
    }

    /// An incident that also makes requests `latency_factor` times slower.
    pub fn slow_incident(
        mut self,
        start: i64,
        duration: i64,
        error_ratio: f64,
        latency_factor: f64,
    ) -> Service {
        self.incidents.push(Incident {
            start,
            duration,
            error_ratio,
            latency_factor,
        });
        self
    }

    /// Zero traffic, still scraped: counters stay flat.
    pub fn gap(mut self, start: i64, duration: i64) -> Service {
        self.gaps.push(Gap {
            start,
            duration,
            scraped: true,
        });
        self
    }

    /// The target is down: no samples at all.
    pub fn outage(mut self, start: i64, duration: i64) -> Service {
        self.gaps.push(Gap {
            start,
            duration,
            scraped: false,
        });
        self
    }

    pub fn errors_only_during_incidents(mut self) -> Service {
        self.errors_only_during_incidents = true;
        self
    }

    pub fn histogram(mut self, buckets: &[f64], mean_seconds: f64) -> Service {
        self.histogram = Some(Histogram {
            buckets: buckets.to_vec(),
            mean_seconds,
        });
        self
    }

    pub fn probe(mut self, instance: &str) -> Service {
        self.probe = Some(instance.to_string());
        self
    }

    fn is_night(&self, t: i64) -> bool {
        let hour = t.rem_euclid(DAY) as f64 / 3600.0;
        let (start, end) = self.night;
        if start <= end {
            hour >= start && hour < end
        } else {
            hour >= start || hour < end
        }
    }

    fn silent(&self, t: i64) -> bool {
        self.gaps.iter().any(|g| g.covers(t))
    }

    fn scraped(&self, t: i64) -> bool {
        !self.gaps.iter().any(|g| !g.scraped && g.covers(t))
    }

    /// Requests per second of the whole service at `t`.
    pub fn rps(&self, t: i64) -> f64 {
        if self.silent(t) {
            return 0.0;
        }
        let (start, end) = self.night;
        let length = (end - start).rem_euclid(24.0);
        let trough_hour = (start + length / 2.0).rem_euclid(24.0);
        let hour = t.rem_euclid(DAY) as f64 / 3600.0;
        let phase = (hour - trough_hour) / 24.0 * std::f64::consts::TAU;
        self.trough_rps + (self.peak_rps - self.trough_rps) * (1.0 - phase.cos()) / 2.0
    }

    fn incident_at(&self, t: i64) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.covers(t))
    }

    /// Share of failing requests at `t` (on every route alike).
    pub fn error_ratio(&self, t: i64) -> f64 {
        if let Some(incident) = self.incident_at(t) {
            incident.error_ratio
        } else if self.errors_only_during_incidents {
            0.0
        } else if self.is_night(t) {
            self.night_error_ratio
        } else {
            self.day_error_ratio
        }
    }

    fn mean_latency(&self, t: i64) -> f64 {
        let mean = self
            .histogram
            .as_ref()
            .map(|h| h.mean_seconds)
            .unwrap_or(0.0);
        mean * self.incident_at(t).map(|i| i.latency_factor).unwrap_or(1.0)
    }

    fn probe_up(&self, t: i64) -> bool {
        self.incident_at(t).is_none()
    }

    /// Whether the error series exist at `t` (always, unless they appear only during incidents;
    /// the sample at an incident's end is kept so its last errors are visible).
    fn error_series_present(&self, t: i64) -> bool {
        !self.errors_only_during_incidents
            || self.incidents.iter().any(|i| t >= i.start && t <= i.end())
    }
}

/// What the cumulative counters of one route hold, exactly (before rounding to events). Every
/// route of a service carries the same share of its traffic, so they all hold the same.
#[derive(Clone, Debug, Default)]
struct Cumulative {
    total: f64,
    bad: f64,
    /// Requests at or under each finite bucket bound, in the order of the histogram's buckets.
    le: Vec<f64>,
    latency_sum: f64,
}

impl Cumulative {
    fn advance(&mut self, service: &Service, t: i64, seconds: f64) {
        let rps = service.rps(t) / service.routes.len() as f64;
        let requests = rps * seconds;
        self.total += requests;
        self.bad += requests * service.error_ratio(t);
        if let Some(histogram) = &service.histogram {
            let mean = service.mean_latency(t);
            for (i, bound) in histogram.buckets.iter().enumerate() {
                self.le[i] += requests * (1.0 - (-bound / mean).exp());
            }
            self.latency_sum += requests * mean;
        }
    }
}

/// The workload: services sharing one origin, the time at which every counter is 0.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub origin: i64,
    pub services: Vec<Service>,
}

/// Exact event counts of one route or one service over an interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub total: f64,
    /// Requests that failed (`code="500"`).
    pub bad: f64,
    /// `(bound, requests at or under it)` per finite bucket bound, when the service has a histogram.
    pub le: Vec<(f64, f64)>,
}

impl Counts {
    /// `bad / total`, 0 without traffic.
    pub fn error_ratio(&self) -> f64 {
        if self.total > 0.0 {
            self.bad / self.total
        } else {
            0.0
        }
    }

    /// Requests slower than `threshold` (which must be a bucket bound) divided by all requests.
    pub fn slow_ratio(&self, threshold: f64) -> f64 {
        let fast = self
            .le
            .iter()
            .find(|(b, _)| (b - threshold).abs() < 1e-12)
            .map(|(_, n)| *n)
            .unwrap_or_else(|| panic!("{threshold} is not a bucket bound"));
        if self.total > 0.0 {
            (self.total - fast) / self.total
        } else {
            0.0
        }
    }

    /// `self - earlier`: the counts between two cumulative readings.
    pub fn since(&self, earlier: &Counts) -> Counts {
        Counts {
            total: self.total - earlier.total,
            bad: self.bad - earlier.bad,
            le: self
                .le
                .iter()
                .zip(&earlier.le)
                .map(|((b, n), (_, m))| (*b, n - m))
                .collect(),
        }
    }

    fn add(&mut self, other: &Counts) {
        self.total += other.total;
        self.bad += other.bad;
        if self.le.is_empty() {
            self.le = other.le.clone();
        } else {
            for (mine, theirs) in self.le.iter_mut().zip(&other.le) {
                mine.1 += theirs.1;
            }
        }
    }
}

/// Ground truth of one service over an interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceTruth {
    /// The whole service (all routes).
    pub counts: Counts,
    pub routes: BTreeMap<String, Counts>,
    /// Seconds the probe was expected to be scraped, and of those the seconds it failed.
    pub probe_seconds: f64,
    pub probe_bad_seconds: f64,
}

/// Ground truth per service (`job`) over an interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Truth {
    pub from: i64,
    pub to: i64,
    pub services: BTreeMap<String, ServiceTruth>,
}

impl Truth {
    pub fn service(&self, job: &str) -> &ServiceTruth {
        self.services
            .get(job)
            .unwrap_or_else(|| panic!("no service `{job}` in the workload"))
    }
}

impl Default for Workload {
    fn default() -> Workload {
        Workload::new(0)
    }
}

impl Workload {
    /// An empty workload whose counters start at 0 at `origin` (Unix seconds, a multiple of
    /// [`TICK`]).
    pub fn new(origin: i64) -> Workload {
        assert_eq!(origin % TICK, 0, "the origin must be a multiple of {TICK}s");
        Workload {
            origin,
            services: Vec::new(),
        }
    }

    pub fn service(mut self, service: Service) -> Workload {
        self.services.push(service);
        self
    }

    /// The history from `start` to `end` (inclusive, Unix seconds) sampled every `step_seconds`,
    /// as OpenMetrics text ending in `# EOF`. Series are written one after another, each in time
    /// order, as `promtool` requires.
    pub fn openmetrics(&self, start: i64, end: i64, step_seconds: i64) -> String {
        let mut out = String::new();
        self.write_openmetrics(start, end, step_seconds, &mut out);
        out.push_str("# EOF\n");
        out
    }

    /// The same samples as [`Workload::openmetrics`] without `# TYPE` lines or `# EOF`, in the
    /// Prometheus text format with millisecond timestamps, as VictoriaMetrics'
    /// `/api/v1/import/prometheus` reads it.
    pub fn prometheus_text(&self, start: i64, end: i64, step_seconds: i64) -> String {
        let om = self.openmetrics(start, end, step_seconds);
        let mut out = String::with_capacity(om.len() + om.len() / 8);
        for line in om.lines().filter(|l| !l.starts_with('#')) {
            let (rest, t) = line.rsplit_once(' ').expect("a timestamped sample");
            let _ = writeln!(out, "{rest} {t}000");
        }
        out
    }

    fn write_openmetrics(&self, start: i64, end: i64, step: i64, out: &mut String) {
        assert!(
            start >= self.origin,
            "history cannot start before the origin"
        );
        assert!(step > 0 && end >= start);
        let mut times: Vec<i64> = (0..=(end - start) / step)
            .map(|k| start + k * step)
            .collect();
        // Incident-only error series also get a sample exactly at each incident's start and end.
        for service in &self.services {
            if service.errors_only_during_incidents {
                for incident in &service.incidents {
                    for t in [incident.start, incident.end()] {
                        if t >= start && t <= end {
                            times.push(t);
                        }
                    }
                }
            }
        }
        times.sort_unstable();
        times.dedup();
        let on_grid = |t: i64| (t - start) % step == 0;

        // Cumulative counters of one route of each service at every time above.
        let states: Vec<Vec<Cumulative>> = self
            .services
            .iter()
            .map(|service| self.cumulative_at(service, &times))
            .collect();

        let _ = writeln!(out, "# TYPE http_requests counter");
        for (s, service) in self.services.iter().enumerate() {
            for route in &service.routes {
                for (code, bad) in [("200", false), ("500", true)] {
                    for (i, &t) in times.iter().enumerate() {
                        let present = if bad {
                            service.error_series_present(t)
                                && (on_grid(t) || service.errors_only_during_incidents)
                        } else {
                            on_grid(t)
                        };
                        if !present || !service.scraped(t) {
                            continue;
                        }
                        let c = &states[s][i];
                        let value = if bad {
                            c.bad.floor()
                        } else {
                            c.total.floor() - c.bad.floor()
                        };
                        let _ = writeln!(
                            out,
                            "http_requests_total{{job=\"{}\",route=\"{route}\",code=\"{code}\"}} {value} {t}",
                            service.job
                        );
                    }
                }
            }
        }
        if self.services.iter().any(|s| s.histogram.is_some()) {
            let _ = writeln!(out, "# TYPE http_request_duration_seconds histogram");
            for (s, service) in self.services.iter().enumerate() {
                let Some(histogram) = &service.histogram else {
                    continue;
                };
                for route in &service.routes {
                    let labels = format!("job=\"{}\",route=\"{route}\"", service.job);
                    let samples = || {
                        times
                            .iter()
                            .enumerate()
                            .filter(|(_, t)| on_grid(**t) && service.scraped(**t))
                    };
                    for (b, bound) in histogram.buckets.iter().enumerate() {
                        for (i, t) in samples() {
                            let _ = writeln!(
                                out,
                                "http_request_duration_seconds_bucket{{{labels},le=\"{}\"}} {} {t}",
                                bound_label(*bound),
                                states[s][i].le[b].floor()
                            );
                        }
                    }
                    for (i, t) in samples() {
                        let _ = writeln!(
                            out,
                            "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {} {t}",
                            states[s][i].total.floor()
                        );
                    }
                    for (i, t) in samples() {
                        let _ = writeln!(
                            out,
                            "http_request_duration_seconds_count{{{labels}}} {} {t}",
                            states[s][i].total.floor()
                        );
                    }
                    for (i, t) in samples() {
                        let _ = writeln!(
                            out,
                            "http_request_duration_seconds_sum{{{labels}}} {:.3} {t}",
                            states[s][i].latency_sum
                        );
                    }
                }
            }
        }
        if self.services.iter().any(|s| s.probe.is_some()) {
            let _ = writeln!(out, "# TYPE probe_success gauge");
            for service in &self.services {
                let Some(instance) = &service.probe else {
                    continue;
                };
                for &t in times
                    .iter()
                    .filter(|t| on_grid(**t) && service.scraped(**t))
                {
                    let _ = writeln!(
                        out,
                        "probe_success{{job=\"blackbox\",instance=\"{instance}\"}} {} {t}",
                        u8::from(service.probe_up(t))
                    );
                }
            }
        }
    }

    /// Cumulative counters of one route (any: they all hold the same) at each of the ascending
    /// `times`, integrating tick by tick from the origin.
    fn cumulative_at(&self, service: &Service, times: &[i64]) -> Vec<Cumulative> {
        let mut result = Vec::with_capacity(times.len());
        let buckets = service
            .histogram
            .as_ref()
            .map(|h| h.buckets.len())
            .unwrap_or(0);
        let mut state = Cumulative {
            le: vec![0.0; buckets],
            ..Cumulative::default()
        };
        let mut tick = self.origin;
        for &t in times {
            while tick + TICK <= t {
                state.advance(service, tick, TICK as f64);
                tick += TICK;
            }
            // The part of the current tick up to `t`, at the tick's constant rate.
            let mut partial = state.clone();
            if t > tick {
                partial.advance(service, tick, (t - tick) as f64);
            }
            result.push(partial);
        }
        result
    }

    /// Cumulative counts of service `job` (all routes) since the origin, at each of `times` (any
    /// order), before rounding to whole events. The difference of two entries is the exact count
    /// between two times; tests use it to predict burn rates at every evaluation.
    pub fn cumulative(&self, job: &str, times: &[i64]) -> Vec<Counts> {
        let service = self
            .services
            .iter()
            .find(|s| s.job == job)
            .unwrap_or_else(|| panic!("no service `{job}` in the workload"));
        let mut sorted: Vec<i64> = times.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let buckets = service
            .histogram
            .as_ref()
            .map(|h| h.buckets.clone())
            .unwrap_or_default();
        let mut sums = vec![
            Counts {
                total: 0.0,
                bad: 0.0,
                le: buckets.iter().map(|b| (*b, 0.0)).collect(),
            };
            sorted.len()
        ];
        let route = self.cumulative_at(service, &sorted);
        for _ in &service.routes {
            for (sum, c) in sums.iter_mut().zip(&route) {
                sum.total += c.total;
                sum.bad += c.bad;
                for (entry, n) in sum.le.iter_mut().zip(&c.le) {
                    entry.1 += n;
                }
            }
        }
        times
            .iter()
            .map(|t| sums[sorted.binary_search(t).expect("a listed time")].clone())
            .collect()
    }

    /// Exact event counts between `from` and `to` (Unix seconds): the difference of the counters
    /// (rounded down to whole events, as exposed) at the two times, per route and per service.
    pub fn ground_truth(&self, from: i64, to: i64) -> Truth {
        assert!(from >= self.origin && to >= from);
        let mut truth = Truth {
            from,
            to,
            services: BTreeMap::new(),
        };
        for service in &self.services {
            let mut service_truth = ServiceTruth::default();
            let c = self.cumulative_at(service, &[from, to]);
            for route in &service.routes {
                let buckets = service
                    .histogram
                    .as_ref()
                    .map(|h| h.buckets.clone())
                    .unwrap_or_default();
                let counts = Counts {
                    total: c[1].total.floor() - c[0].total.floor(),
                    bad: c[1].bad.floor() - c[0].bad.floor(),
                    le: buckets
                        .iter()
                        .enumerate()
                        .map(|(i, b)| (*b, c[1].le[i].floor() - c[0].le[i].floor()))
                        .collect(),
                };
                service_truth.counts.add(&counts);
                service_truth.routes.insert(route.clone(), counts);
            }
            if service.probe.is_some() {
                for incident in &service.incidents {
                    let overlap = (incident.end().min(to) - incident.start.max(from)).max(0);
                    service_truth.probe_bad_seconds += overlap as f64;
                }
                let down: i64 = service
                    .gaps
                    .iter()
                    .filter(|g| !g.scraped)
                    .map(|g| ((g.start + g.duration).min(to) - g.start.max(from)).max(0))
                    .sum();
                service_truth.probe_seconds = (to - from - down) as f64;
            }
            truth.services.insert(service.job.clone(), service_truth);
        }
        truth
    }
}

/// A bucket bound as Prometheus 2 client libraries write it (`0.3`, `1`, `2.5`).
fn bound_label(bound: f64) -> String {
    if bound.fract() == 0.0 && bound.abs() < 1e15 {
        format!("{}", bound as i64)
    } else {
        format!("{bound}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_match_the_ground_truth_and_do_not_depend_on_the_step() {
        let workload = Workload::new(0).service(
            Service::new("api")
                .routes(&["/a", "/b"])
                .incident(3 * 3600, 1800, 0.5)
                .gap(10 * 3600, 3600)
                .histogram(&[0.1, 0.3, 1.0], 0.1),
        );
        let truth = workload.ground_truth(0, DAY);
        let api = truth.service("api");
        // The mean rate over a day of a cosine between 10 and 100 is 55 rps, minus the gap.
        assert!((api.counts.total - 55.0 * (DAY - 3600) as f64).abs() < 0.02 * api.counts.total);
        let text = workload.openmetrics(0, DAY, 60);
        let last = |series: &str| -> f64 {
            text.lines()
                .rfind(|l| l.starts_with(series))
                .and_then(|l| l.split(' ').nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {series}"))
        };
        let bad = last("http_requests_total{job=\"api\",route=\"/a\",code=\"500\"}")
            + last("http_requests_total{job=\"api\",route=\"/b\",code=\"500\"}");
        assert_eq!(bad, api.counts.bad);
        // Counts over adjacent intervals add up, because they are differences of counter values.
        let halves = [
            workload.ground_truth(0, DAY / 2),
            workload.ground_truth(DAY / 2, DAY),
        ];
        let sum: f64 = halves.iter().map(|h| h.service("api").counts.bad).sum();
        assert_eq!(sum, api.counts.bad);
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn incident_only_error_series_appear_with_the_incident() {
        let workload = Workload::new(0).service(
            Service::new("jobs")
                .errors_only_during_incidents()
                .incident(3600 + 30, 600, 0.1),
        );
        let text = workload.openmetrics(0, 3 * 3600, 60);
        let errors: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("code=\"500\""))
            .collect();
        assert!(errors[0].ends_with(" 0 3630"), "{}", errors[0]);
        assert!(errors.last().is_some_and(|l| l.ends_with(" 4230")));
        let truth = workload.ground_truth(0, 3 * 3600);
        let last: f64 = errors
            .last()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|v| v.parse().ok())
            .expect("a value");
        assert_eq!(last, truth.service("jobs").counts.bad);
        assert!(truth.service("jobs").counts.bad > 0.0);
    }
}
