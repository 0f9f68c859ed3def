//! Plugins for Kubernetes components: the API server (`kubernetes/apiserver/*`), CoreDNS
//! (`coredns/*`) and controllers built with the Kooper library (`kubernetes/kooper/*`).
//!
//! Sloth's versions differ in how they treat a window without traffic (some divide by zero, some
//! guard with `> 0`, some fall back to a constant with `or on() vector(...)`). slokit's rules
//! treat every ratio alike: a window without events has no errors. Each plugin here therefore
//! keeps what the original counts, not its zero-traffic behaviour.

use super::{bad_ratio, counter, latency, matcher, selector, Options, Plugin};
use crate::diag::Diagnostics;
use crate::model::{EventSource, Indicator, MatchOp, WindowQuery};
use crate::promql;

/// Requests answered with a 5xx or 429 over all requests the API server received.
pub(super) const APISERVER_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/kubernetes/apiserver/availability",
    options: &["filter"],
    build: apiserver_availability,
};

fn apiserver_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags)?;
    let metric = "apiserver_request_total";
    Some(bad_ratio(
        counter(
            metric,
            &filter,
            &[matcher("code", MatchOp::Regex, "(5..|429)")],
        ),
        counter(metric, &filter, &[]),
    ))
}

/// Requests other than WATCH (which stay open by design) answered within `bucket` seconds.
pub(super) const APISERVER_LATENCY: Plugin = Plugin {
    id: "sloth-common/kubernetes/apiserver/latency",
    options: &["filter", "bucket"],
    build: apiserver_latency,
};

fn apiserver_latency(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let bucket = options.bucket(diags);
    let matchers = selector("", &filter?, &[matcher("verb", MatchOp::NotEqual, "WATCH")]).matchers;
    Some(latency(
        "apiserver_request_duration_seconds",
        matchers,
        bucket?,
    ))
}

/// DNS responses with an error code (`SERVFAIL` unless `custom_rcode_regex` says otherwise) over
/// all responses.
pub(super) const COREDNS_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/coredns/availability",
    options: &["filter", "custom_rcode_regex"],
    build: coredns_availability,
};

fn coredns_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let rcode = if options.get("custom_rcode_regex").is_some() {
        options.matcher("custom_rcode_regex", "rcode", MatchOp::Regex, diags)
    } else {
        Some(matcher("rcode", MatchOp::Regex, "SERVFAIL"))
    };
    let (filter, rcode) = (filter?, rcode?);
    let metric = "coredns_dns_responses_total";
    Some(bad_ratio(
        counter(metric, &filter, &[rcode]),
        counter(metric, &filter, &[]),
    ))
}

/// DNS requests answered within `bucket` seconds.
pub(super) const COREDNS_LATENCY: Plugin = Plugin {
    id: "sloth-common/coredns/latency",
    options: &["filter", "bucket"],
    build: coredns_latency,
};

fn coredns_latency(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let bucket = options.bucket(diags);
    Some(latency(
        "coredns_dns_request_duration_seconds",
        filter?,
        bucket?,
    ))
}

/// Events a Kooper controller failed to handle, over the events it handled for the first time.
/// Retries are taken out of the total (handled events minus requeued ones), so that one event
/// retried ten times does not count as ten successes.
pub(super) const KOOPER_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/kubernetes/kooper/availability",
    options: &["filter", "controller"],
    build: kooper_availability,
};

fn kooper_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let controller = options.matcher("controller", "controller", MatchOp::Equal, diags);
    let (filter, controller) = (filter?, controller?);
    let processed = "kooper_controller_processed_event_duration_seconds_count";
    let handled = selector(processed, &filter, std::slice::from_ref(&controller));
    let requeued = selector(
        "kooper_controller_queued_events_total",
        &filter,
        &[
            controller.clone(),
            matcher("requeue", MatchOp::Equal, "true"),
        ],
    );
    // A difference of two counters is not a counter, so the total is a query over the window.
    let total = format!(
        "sum(rate({}[{window}])) - sum(rate({}[{window}]))",
        promql::render_selector(&handled, &[]),
        promql::render_selector(&requeued, &[]),
        window = crate::conventions::WINDOW_PLACEHOLDER,
    );
    Some(bad_ratio(
        counter(
            processed,
            &filter,
            &[controller, matcher("success", MatchOp::Equal, "false")],
        ),
        EventSource::Query(WindowQuery { template: total }),
    ))
}

/// Events a Kooper controller handled within `bucket` seconds.
pub(super) const KOOPER_LATENCY: Plugin = Plugin {
    id: "sloth-common/kubernetes/kooper/latency",
    options: &["filter", "controller", "bucket"],
    build: kooper_latency,
};

fn kooper_latency(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    kooper_histogram(
        "kooper_controller_processed_event_duration_seconds",
        options,
        diags,
    )
}

/// Events that waited in a Kooper controller's queue for at most `bucket` seconds.
pub(super) const KOOPER_QUEUE_CONGESTION: Plugin = Plugin {
    id: "sloth-common/kubernetes/kooper/queue-congestion",
    options: &["filter", "controller", "bucket"],
    build: kooper_queue_congestion,
};

fn kooper_queue_congestion(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    kooper_histogram(
        "kooper_controller_event_in_queue_duration_seconds",
        options,
        diags,
    )
}

fn kooper_histogram(
    base: &str,
    options: &Options<'_>,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    let filter = options.filter(false, diags);
    let controller = options.matcher("controller", "controller", MatchOp::Equal, diags);
    let bucket = options.bucket(diags);
    let matchers = selector("", &filter?, &[controller?]).matchers;
    Some(latency(base, matchers, bucket?))
}
