//! Plugins for HTTP request metrics: Istio (v1 metric names), Traefik v1 (backends) and v2
//! (services), and services instrumented with `slok/go-http-metrics`. Availability counts 5xx
//! answers as errors (and 429 too, except for Traefik v2, whose plugin leaves it out); latency
//! counts requests answered within `bucket`, optionally leaving failed requests out of both sides
//! (`exclude_errors`).

use super::{bad_ratio, counter, latency, matcher, Options, Plugin};
use crate::diag::Diagnostics;
use crate::model::{Indicator, MatchOp, Matcher};

/// The matcher `exclude_errors` adds to both sides of a latency SLI.
fn not_5xx(label: &str) -> Matcher {
    matcher(label, MatchOp::NotRegex, "5..")
}

/// Requests to one Istio service answered with a 5xx or 429.
pub(super) const ISTIO_V1_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/istio/v1/availability",
    options: &["filter", "namespace", "service"],
    build: istio_availability,
};

fn istio_service(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Vec<Matcher>> {
    let service = options.matcher("service", "destination_service_name", MatchOp::Equal, diags);
    let namespace = options.matcher(
        "namespace",
        "destination_service_namespace",
        MatchOp::Equal,
        diags,
    );
    Some(vec![service?, namespace?])
}

fn istio_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let service = istio_service(options, diags);
    let (filter, service) = (filter?, service?);
    let metric = "istio_requests_total";
    let mut errors = service.clone();
    errors.push(matcher("response_code", MatchOp::Regex, "(5..|429)"));
    Some(bad_ratio(
        counter(metric, &filter, &errors),
        counter(metric, &filter, &service),
    ))
}

/// Requests to one Istio service answered within `bucket` milliseconds (Istio's histogram is in
/// milliseconds).
pub(super) const ISTIO_V1_LATENCY: Plugin = Plugin {
    id: "sloth-common/istio/v1/latency",
    options: &["filter", "namespace", "service", "bucket", "exclude_errors"],
    build: istio_latency,
};

fn istio_latency(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let service = istio_service(options, diags);
    let bucket = options.bucket(diags);
    let exclude = options.flag("exclude_errors", diags);
    let mut matchers = filter?;
    // The original plugin excludes errors with `code!~"5.."`, but Istio names the label
    // `response_code`, so the original matcher selects every series and excludes nothing. The
    // option plainly means to leave failed requests out; this matches the label Istio writes.
    if exclude? {
        matchers.push(not_5xx("response_code"));
    }
    matchers.extend(service?);
    Some(latency(
        "istio_request_duration_milliseconds",
        matchers,
        bucket?,
    ))
}

/// Requests to the Traefik v1 backends matching `backend_regex` answered with a 5xx or 429.
pub(super) const TRAEFIK_V1_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/traefik/v1/availability",
    options: &["filter", "backend_regex"],
    build: traefik_v1_availability,
};

fn traefik_v1_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let backend = options.matcher("backend_regex", "backend", MatchOp::Regex, diags);
    let (filter, backend) = (filter?, backend?);
    let metric = "traefik_backend_requests_total";
    Some(bad_ratio(
        counter(
            metric,
            &filter,
            &[
                backend.clone(),
                matcher("code", MatchOp::Regex, "(5..|429)"),
            ],
        ),
        counter(metric, &filter, &[backend]),
    ))
}

/// Requests to the Traefik v1 backends matching `backend_regex` answered within `bucket` seconds.
pub(super) const TRAEFIK_V1_LATENCY: Plugin = Plugin {
    id: "sloth-common/traefik/v1/latency",
    options: &["filter", "backend_regex", "bucket", "exclude_errors"],
    build: traefik_v1_latency,
};

fn traefik_v1_latency(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    traefik_latency(
        "traefik_backend_request_duration_seconds",
        "backend_regex",
        "backend",
        options,
        diags,
    )
}

/// Requests to the Traefik v2 services matching `service_name_regex` answered with a 5xx.
pub(super) const TRAEFIK_V2_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/traefik/v2/availability",
    options: &["filter", "service_name_regex"],
    build: traefik_v2_availability,
};

fn traefik_v2_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let service = options.matcher("service_name_regex", "service", MatchOp::Regex, diags);
    let (filter, service) = (filter?, service?);
    let metric = "traefik_service_requests_total";
    Some(bad_ratio(
        counter(
            metric,
            &filter,
            &[service.clone(), matcher("code", MatchOp::Regex, "(5..)")],
        ),
        counter(metric, &filter, &[service]),
    ))
}

/// Requests to the Traefik v2 services matching `service_name_regex` answered within `bucket`
/// seconds.
pub(super) const TRAEFIK_V2_LATENCY: Plugin = Plugin {
    id: "sloth-common/traefik/v2/latency",
    options: &["filter", "service_name_regex", "bucket", "exclude_errors"],
    build: traefik_v2_latency,
};

fn traefik_v2_latency(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    traefik_latency(
        "traefik_service_request_duration_seconds",
        "service_name_regex",
        "service",
        options,
        diags,
    )
}

fn traefik_latency(
    base: &str,
    option: &str,
    label: &str,
    options: &Options<'_>,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let target = options.matcher(option, label, MatchOp::Regex, diags);
    let bucket = options.bucket(diags);
    let exclude = options.flag("exclude_errors", diags);
    let mut matchers = filter?;
    if exclude? {
        matchers.push(not_5xx("code"));
    }
    matchers.push(target?);
    Some(latency(base, matchers, bucket?))
}

/// Requests answered with a 5xx or 429, by a service instrumented with `slok/go-http-metrics`.
/// Its metrics carry no service label of their own, so `filter` is required: it is the only way
/// to pick the service.
pub(super) const GO_HTTP_METRICS_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/slok-go-http-metrics/availability",
    options: &["filter"],
    build: go_http_metrics_availability,
};

fn go_http_metrics_availability(
    options: &Options<'_>,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    let filter = options.filter(true, diags)?;
    let metric = "http_request_duration_seconds_count";
    Some(bad_ratio(
        counter(
            metric,
            &filter,
            &[matcher("code", MatchOp::Regex, "(5..|429)")],
        ),
        counter(metric, &filter, &[]),
    ))
}

/// Requests answered within `bucket` seconds, by a service instrumented with
/// `slok/go-http-metrics`.
pub(super) const GO_HTTP_METRICS_LATENCY: Plugin = Plugin {
    id: "sloth-common/slok-go-http-metrics/latency",
    options: &["filter", "bucket", "exclude_errors"],
    build: go_http_metrics_latency,
};

fn go_http_metrics_latency(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(true, diags);
    let bucket = options.bucket(diags);
    let exclude = options.flag("exclude_errors", diags);
    let mut matchers = filter?;
    if exclude? {
        matchers.push(not_5xx("code"));
    }
    Some(latency("http_request_duration_seconds", matchers, bucket?))
}
