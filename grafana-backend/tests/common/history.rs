//! Synthetic history for a real Prometheus: the traffic of each SLO (or group) as steady rates of
//! total and bad events, written as OpenMetrics (raw counters, and the hourly event-rate series
//! slokit records, backfilled so that long windows have their points at once). The integration
//! tests use it through `common`, and `examples/bench.rs` includes this file with `#[path]`, so it
//! needs nothing that only a test target has.

#![allow(dead_code)]

/// Synthetic traffic, as events per second: (SLO labels, total, bad). The error ratios are 0.05%
/// (burn rate 0.5 against 99.9%), 0.5% and 2% (0.5 and 2 against 99%).
pub const TRAFFIC: [(&str, &str, &str, f64, f64); 3] = [
    ("availability", "shop_requests", "", 20.0, 0.01),
    ("search-success", "search", "/a", 4.0, 0.02),
    ("search-success", "search", "/b", 4.0, 0.08),
];

/// Synthetic traffic of one SLO (or one group of it) for [`history_of`], in events per second.
/// The bad-event rate is `bad` over the last `bad_hours` hours and `bad_before` earlier.
#[derive(Clone, Copy, Debug)]
pub struct SloTraffic<'a> {
    pub product: &'a str,
    pub service: &'a str,
    pub slo: &'a str,
    /// The counters are `<metric>_total` and `<metric>_failed_total`.
    pub metric: &'a str,
    /// Labels that pick the SLO's events out of counters other SLOs share (`slo="3"`), as the
    /// SLO's filters do, or empty. They are on the counters only: the recorded series do not
    /// carry them.
    pub filters: &'a str,
    /// Grouping labels, e.g. `route="/a"`, or empty. They are on the counters and on the
    /// recorded series.
    pub group: &'a str,
    pub total: f64,
    pub bad: f64,
    pub bad_before: f64,
    pub bad_hours: i64,
}

impl SloTraffic<'_> {
    /// The bad-event rate at `time`, for a history ending at `end`.
    pub fn bad_at(&self, time: i64, end: i64) -> f64 {
        if time > end - self.bad_hours * 3600 {
            self.bad
        } else {
            self.bad_before
        }
    }
}

/// The shop fixture's traffic ([`TRAFFIC`]), steady over the whole history.
pub fn shop_traffic() -> Vec<SloTraffic<'static>> {
    TRAFFIC
        .iter()
        .map(|(slo, metric, route, total, bad)| SloTraffic {
            product: "shop",
            service: if *metric == "search" { "search" } else { "api" },
            slo,
            metric,
            filters: "",
            group: if route.is_empty() {
                ""
            } else if *route == "/a" {
                "route=\"/a\""
            } else {
                "route=\"/b\""
            },
            total: *total,
            bad: *bad,
            bad_before: *bad,
            bad_hours: 0,
        })
        .collect()
}

/// Hours of 1h event-rate history [`shop_history`] writes: more than the 1d window.
pub const SHOP_HISTORY_HOURS: i64 = 26;

/// The shop fixture's history ([`shop_traffic`]) up to `end`: two hours of raw counters every 15s,
/// and 26 hours of the 1h event-rate series every 5m, so that the windows longer than the live
/// history (1d, 3d, the period) have their hourly points.
pub fn shop_history(end: f64) -> String {
    history_of(&shop_traffic(), end, SHOP_HISTORY_HOURS)
}

/// Hours of 1h event-rate history [`history_of`] writes for [`BILLING_TRAFFIC`].
pub const BILLING_HISTORY_HOURS: i64 = 48;

/// The billing fixture's traffic, which puts each SLO under a known step of `billing-policy`
/// (budget-low below 50% left, burning above 1.5x over 12h, fast-burn above 4x over 2h,
/// budget-exhausted at 0):
/// - `charges` (99%): 2% errors (burn rate 2) for the last 14 hours of 48, none before: the 12h
///   rate is 2 (burning), about 14/48 of the period at rate 2 leaves ~42% (budget-low), the 2h
///   rate 2 is under 4; the most severe match is `burning`.
/// - `refunds` (99.9%): 0.2% errors throughout (burn rate 2): the budget is overspent, and
///   `budget-exhausted` blocks, so it outranks the others.
/// - `ledger` (99%): 0.1% errors (burn rate 0.1): no step matches.
pub const BILLING_TRAFFIC: [SloTraffic<'static>; 3] = [
    SloTraffic {
        product: "billing",
        service: "payments",
        slo: "charges",
        metric: "billing_charges",
        filters: "",
        group: "",
        total: 10.0,
        bad: 0.2,
        bad_before: 0.0,
        bad_hours: 14,
    },
    SloTraffic {
        product: "billing",
        service: "refunds",
        slo: "refunds",
        metric: "billing_refunds",
        filters: "",
        group: "",
        total: 5.0,
        bad: 0.01,
        bad_before: 0.01,
        bad_hours: 0,
    },
    SloTraffic {
        product: "billing",
        service: "ledger",
        slo: "ledger",
        metric: "billing_ledger",
        filters: "",
        group: "",
        total: 2.0,
        bad: 0.002,
        bad_before: 0.002,
        bad_hours: 0,
    },
];

/// OpenMetrics history for `traffic`, ending at `end`: two hours of raw counters every 15s, and
/// `hours` hours of the 1h event-rate series every 5m (the rates in force at each time), so that
/// windows longer than the live history (12h, 1d, 3d, the period) have their hourly points.
pub fn history_of(traffic: &[SloTraffic<'_>], end: f64, hours: i64) -> String {
    let mut families = raw_counters(traffic, end, 2, 15);
    families.extend(hourly_rates(traffic, end, hours));
    openmetrics(families)
}

/// Lines of OpenMetrics samples by family name, with the family's type.
pub type Families = std::collections::BTreeMap<String, (&'static str, Vec<String>)>;

/// `{labels}`, or nothing for no labels.
fn braces(labels: &str) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    }
}

/// The counters behind `traffic` (`<metric>_total`, `<metric>_failed_total`) over the `hours`
/// before `end`, one sample every `step` seconds.
pub fn raw_counters(traffic: &[SloTraffic<'_>], end: f64, hours: i64, step: i64) -> Families {
    let end = end.floor() as i64;
    let mut families = Families::new();
    for t in traffic {
        let labels: Vec<&str> = [t.filters, t.group]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
        let counter_labels = braces(&labels.join(","));
        for (suffix, bad) in [("", false), ("_failed", true)] {
            let name = format!("{}{suffix}", t.metric);
            let lines = &mut families
                .entry(name.clone())
                .or_insert(("counter", Vec::new()))
                .1;
            let start = end - hours * 3600;
            let mut value = 0.0;
            for index in 0..=(hours * 3600 / step) {
                let time = start + index * step;
                if index > 0 {
                    let rate = if bad { t.bad_at(time, end) } else { t.total };
                    value += step as f64 * rate;
                }
                lines.push(format!("{name}_total{counter_labels} {value} {time}"));
            }
        }
    }
    families
}

/// The 1h event-rate series slokit records (`slokit:events_*:rate1h`) for `traffic` over the
/// `hours` before `end`, every 5m.
pub fn hourly_rates(traffic: &[SloTraffic<'_>], end: f64, hours: i64) -> Families {
    let end = end.floor() as i64;
    let mut families = Families::new();
    for t in traffic {
        let mut identity = format!(
            "slokit_product=\"{}\",slokit_service=\"{}\",slokit_slo=\"{}\"",
            t.product, t.service, t.slo
        );
        if !t.group.is_empty() {
            identity = format!("{},{identity}", t.group);
        }
        for (series, bad) in [
            ("slokit:events_total:rate1h", false),
            ("slokit:events_bad:rate1h", true),
        ] {
            let lines = &mut families
                .entry(series.to_string())
                .or_insert(("gauge", Vec::new()))
                .1;
            for step in 0..=(hours * 12) {
                let time = end - hours * 3600 + step * 300;
                let value = if bad { t.bad_at(time, end) } else { t.total };
                lines.push(format!("{series}{{{identity}}} {value} {time}"));
            }
        }
    }
    families
}

/// The OpenMetrics text of `families`, each family's samples together, ending with `# EOF`.
pub fn openmetrics(families: Families) -> String {
    let mut out = String::new();
    for (name, (kind, lines)) in families {
        out.push_str(&format!("# TYPE {name} {kind}\n"));
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
    out
}
