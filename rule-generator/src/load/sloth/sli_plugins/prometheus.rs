//! Plugins that measure Prometheus itself: rule evaluations that fail, and scrape targets that
//! are down.

use super::{bad_ratio, counter, selector, Options, Plugin};
use crate::diag::Diagnostics;
use crate::model::{Comparison, Indicator, ThresholdIndicator};

/// Rule evaluations that failed over all rule evaluations.
pub(super) const RULES_EVAL_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/prometheus/rules/eval-availability",
    options: &["filter"],
    build: rules_eval_availability,
};

fn rules_eval_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags)?;
    Some(bad_ratio(
        counter("prometheus_rule_evaluation_failures_total", &filter, &[]),
        counter("prometheus_rule_evaluations_total", &filter, &[]),
    ))
}

/// The share of time scrape targets are up: of every `up` sample of every target in the window,
/// those that are 0 are bad. That is good time over the `up` gauge, slokit's threshold SLI.
///
/// The newest version of the original appends `or vector(0)` to its numerator without
/// parentheses. PromQL binds `or` looser than `/`, so that version returns the raw count of down
/// samples (not a ratio) whenever a target was down. The plugin plainly means the share of down
/// samples, 0 when none was down, and that is what this measures.
pub(super) const TARGETS_AVAILABILITY: Plugin = Plugin {
    id: "sloth-common/prometheus/targets/availability",
    options: &["filter"],
    build: targets_availability,
};

fn targets_availability(options: &Options<'_>, diags: &mut Diagnostics) -> Option<Indicator> {
    let filter = options.filter(false, diags)?;
    Some(Indicator::Threshold(ThresholdIndicator {
        gauge: selector("up", &filter, &[]),
        op: Comparison::Equal,
        bound: 1.0,
    }))
}
