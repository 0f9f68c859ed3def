//! Small example catalogs built in code, for unit tests, golden files and the promtool tests in
//! `promql-tests`, until every example can be loaded from a spec. Each builder returns a valid,
//! checked model value (what the loaders would produce).

use crate::conventions::DEFAULT_PERIOD;
use crate::duration::Duration;
use crate::load::common::default_tiers;
use crate::model::{
    Alerting, Catalog, Comparison, Counted, Date, ErrorBudgetPolicy, EventSource, Indicator,
    LatencyIndicator, MatchOp, Matcher, Maturity, Origin, PolicyCondition, PolicyStep, Product,
    RatioIndicator, Review, Selector, Slo, SpecFormat, ThresholdIndicator, WindowQuery,
};
use std::collections::BTreeMap;

pub fn selector(metric: &str, matchers: &[(&str, MatchOp, &str)]) -> Selector {
    Selector {
        metric: metric.into(),
        matchers: matchers
            .iter()
            .map(|(label, op, value)| Matcher {
                label: (*label).into(),
                op: *op,
                value: (*value).into(),
            })
            .collect(),
    }
}

/// An SLO with default alerting (SRE-workbook tiers for its period) and no grouping.
pub fn slo(product: &str, service: &str, name: &str, objective: f64, indicator: Indicator) -> Slo {
    let period = DEFAULT_PERIOD;
    Slo {
        name: name.into(),
        product: product.into(),
        service: service.into(),
        display_name: None,
        description: None,
        objective,
        period,
        indicator,
        group_by: Vec::new(),
        labels: BTreeMap::new(),
        owner: None,
        tier: None,
        alerting: Alerting {
            enabled: true,
            name: None,
            tiers: default_tiers(period),
            for_duration: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            runbook_url: None,
            budget_exhausted: false,
            no_data: None,
        },
        phases: None,
        review: Review::default(),
        origin: Origin {
            file: format!("examples/{product}.yaml"),
            line: 1,
            format: SpecFormat::Native,
        },
    }
}

/// Changes an SLO's period and recomputes the default tiers for it.
pub fn with_period(mut slo: Slo, period: Duration) -> Slo {
    slo.period = period;
    slo.alerting.tiers = default_tiers(period);
    slo
}

/// The HTTP availability SLO of the customer template: bad = 5xx, total = all requests.
pub fn availability(product: &str) -> Slo {
    let mut slo = slo(
        product,
        "api-service",
        "api-service-availability",
        0.999,
        Indicator::Ratio(RatioIndicator {
            counts: Counted::Bad,
            numerator: EventSource::Counter(selector(
                "http_requests_total",
                &[
                    ("job", MatchOp::Equal, "api"),
                    ("status_code", MatchOp::Regex, "5.."),
                ],
            )),
            total: EventSource::Counter(selector(
                "http_requests_total",
                &[("job", MatchOp::Equal, "api")],
            )),
        }),
    );
    slo.owner = Some("team-api".into());
    slo.tier = Some("1".into());
    slo.labels.insert("team".into(), "api".into());
    slo.alerting.runbook_url = Some("https://runbooks.example.com/api-availability".into());
    slo.alerting.budget_exhausted = true;
    slo.alerting.no_data = Some(Duration::from_mins(30));
    slo
}

/// Good events counted directly (`status_code !~ "5.."`), grouped by route.
pub fn grouped_good(product: &str) -> Slo {
    let mut slo = slo(
        product,
        "api-service",
        "api-routes-availability",
        0.99,
        Indicator::Ratio(RatioIndicator {
            counts: Counted::Good,
            numerator: EventSource::Counter(selector(
                "http_requests_total",
                &[
                    ("job", MatchOp::Equal, "api"),
                    ("status_code", MatchOp::NotRegex, "5.."),
                ],
            )),
            total: EventSource::Counter(selector(
                "http_requests_total",
                &[("job", MatchOp::Equal, "api")],
            )),
        }),
    );
    slo.group_by = vec!["route".into()];
    slo.alerting.for_duration = Some(Duration::from_mins(5));
    slo
}

/// Requests faster than 250ms from a classic histogram.
pub fn latency(product: &str) -> Slo {
    slo(
        product,
        "api-service",
        "api-service-latency",
        0.99,
        Indicator::Latency(LatencyIndicator {
            histogram: selector(
                "http_request_duration_seconds",
                &[("job", MatchOp::Equal, "api")],
            ),
            threshold: 0.25,
            native: false,
        }),
    )
}

/// The same from a native histogram (no generated promtool tests: promtool 2.42 cannot write
/// native histogram input series).
pub fn native_latency(product: &str) -> Slo {
    let mut slo = latency(product);
    slo.name = "api-service-latency-native".into();
    if let Indicator::Latency(l) = &mut slo.indicator {
        l.native = true;
        l.threshold = 1.0;
    }
    slo
}

/// Probe success as good time.
pub fn probe(product: &str) -> Slo {
    slo(
        product,
        "frontend",
        "frontend-probe",
        0.995,
        Indicator::Threshold(ThresholdIndicator {
            gauge: selector("probe_success", &[("job", MatchOp::Equal, "blackbox")]),
            op: Comparison::Equal,
            bound: 1.0,
        }),
    )
}

/// Sloth's `raw` error-ratio query.
pub fn raw(product: &str) -> Slo {
    slo(
        product,
        "frontend",
        "frontend-raw",
        0.99,
        Indicator::Raw {
            error_ratio: WindowQuery {
                template: "sum(rate(frontend_errors_total[{{.window}}])) / sum(rate(frontend_requests_total[{{.window}}]))".into(),
            },
        },
    )
}

/// A Sloth-style query pair with a 7d period and no alerts.
pub fn query_no_alerts(product: &str) -> Slo {
    let mut slo = with_period(
        slo(
            product,
            "worker",
            "worker-success",
            0.95,
            Indicator::Ratio(RatioIndicator {
                counts: Counted::Bad,
                numerator: EventSource::Query(WindowQuery {
                    template: "sum(rate(jobs_failed_total[{{.window}}]))".into(),
                }),
                total: EventSource::Query(WindowQuery {
                    template: "sum(rate(jobs_total[{{.window}}]))".into(),
                }),
            }),
        ),
        Duration::from_days(7),
    );
    slo.alerting.enabled = false;
    slo
}

/// A catalog of products holding the given SLOs, sorted the way the loaders sort.
pub fn catalog(slos: Vec<Slo>) -> Catalog {
    let mut products: BTreeMap<String, Product> = BTreeMap::new();
    for slo in slos {
        let product = products
            .entry(slo.product.clone())
            .or_insert_with(|| Product {
                name: slo.product.clone(),
                display_name: None,
                description: None,
                team: None,
                owners: Vec::new(),
                maturity: Maturity::SloDriven,
                review: Review::default(),
                approvers: Vec::new(),
                policy: None,
                services: Vec::new(),
                slos: Vec::new(),
                origin: None,
            });
        if !product.services.contains(&slo.service) {
            product.services.push(slo.service.clone());
            product.services.sort();
        }
        product.slos.push(slo);
        product
            .slos
            .sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
    }
    Catalog {
        products: products.into_values().collect(),
        policies: BTreeMap::new(),
    }
}

/// The catalog with every product following one error-budget policy (a step of each kind, with
/// names and actions that need quoting in YAML) and reviewed every 90 days since 2026-10-01.
pub fn with_policy(mut catalog: Catalog) -> Catalog {
    let policy = ErrorBudgetPolicy {
        name: "standard".into(),
        description: None,
        steps: vec![
            PolicyStep {
                name: "burning-fast".into(),
                when: PolicyCondition::BurnRateAbove {
                    factor: 2.0,
                    window: Duration::from_days(7),
                },
                action: "Reliability work first: review the top error sources".into(),
                blocks_releases: false,
            },
            PolicyStep {
                name: "budget-low".into(),
                when: PolicyCondition::BudgetRemainingBelow(0.25),
                action: "Risky changes need a \"second\" reviewer; #reliability decides".into(),
                blocks_releases: false,
            },
            PolicyStep {
                name: "true".into(),
                when: PolicyCondition::BudgetExhausted,
                action: "Freeze releases.\nSecurity fixes only".into(),
                blocks_releases: true,
            },
        ],
        origin: Origin {
            file: "examples/policies.yaml".into(),
            line: 1,
            format: SpecFormat::Native,
        },
    };
    for product in &mut catalog.products {
        product.policy = Some(policy.name.clone());
        product.review = Review {
            cadence: Some(Duration::from_days(90)),
            last_reviewed: Date::parse("2026-10-01"),
        };
    }
    catalog.policies.insert(policy.name.clone(), policy);
    catalog
}

/// Every example above, in two products.
pub fn everything() -> Catalog {
    catalog(vec![
        availability("shop"),
        grouped_good("shop"),
        latency("shop"),
        native_latency("shop"),
        probe("web"),
        raw("web"),
        query_no_alerts("web"),
    ])
}
