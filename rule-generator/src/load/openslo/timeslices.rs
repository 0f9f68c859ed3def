//! OpenSLO's time-slice budgeting, `Timeslices` (the share of good slices, a slice being good when
//! its good ratio reaches `timeSliceTarget`) and `RatioTimeslices` (the average of the slices'
//! good ratios), over slices of `timeSliceWindow`. slokit's model has no time-slice indicator, so
//! each is written as the ready error ratio that measures exactly that: a PromQL subquery whose
//! step is the slice, over the indicator's ratio for one slice. The recorded 5m error ratio is
//! then the share of bad slices (or the slices' average error ratio) in those 5 minutes, and every
//! longer window averages 5m steps that hold the same number of slices, so the SLI is the one
//! OpenSLO defines. Where it is only close (slices with no events, few scrapes per slice) a
//! warning says so.

use super::*;

/// How an OpenSLO SLO spends its error budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Budgeting {
    Occurrences,
    Timeslices,
    RatioTimeslices,
}

impl Budgeting {
    pub(super) fn name(self) -> &'static str {
        match self {
            Budgeting::Occurrences => "Occurrences",
            Budgeting::Timeslices => "Timeslices",
            Budgeting::RatioTimeslices => "RatioTimeslices",
        }
    }
}

/// An objective's `timeSliceTarget` and `timeSliceWindow`, as read.
pub(super) struct SliceFields<'a> {
    pub(super) target: Option<Field<'a>>,
    pub(super) window: Option<Field<'a>>,
}

/// The slice lengths slokit can measure: whole minutes (the step gauges are sampled at) that
/// divide the 5m base window, so every recorded 5m step holds whole, wall-clock-aligned slices.
fn check_slice(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Duration> {
    let slice = common::duration(field, diags)?;
    let base = crate::conventions::BASE_WINDOW.millis();
    let step = crate::conventions::GAUGE_STEP.millis();
    let millis = slice.millis();
    if millis == 0 || millis % step != 0 || base % millis != 0 {
        diags.push(
            field
                .error(format!("a time slice of `{slice}` cannot be measured"))
                .note(format!(
                    "slokit records every SLI in {} steps; a slice must be a whole number of minutes that divides them",
                    crate::conventions::BASE_WINDOW
                ))
                .help("use `timeSliceWindow: 1m` or `timeSliceWindow: 5m`"),
        );
        return None;
    }
    Some(slice)
}

/// The indicator an objective measures under time-slice budgeting: `indicator` as computed per
/// slice, judged (`Timeslices`) or averaged (`RatioTimeslices`) slice by slice. `at` is the
/// objective, where the approximation warning points.
pub(super) fn sliced(
    indicator: Indicator,
    group_by: &[String],
    budgeting: Budgeting,
    fields: SliceFields<'_>,
    at: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<Indicator> {
    let method = budgeting.name();
    let Some(window_field) = fields.window else {
        diags.push(map_missing(
            at,
            "timeSliceWindow",
            &format!(
                "`budgetingMethod: {method}` needs the slice length, such as `timeSliceWindow: 1m`"
            ),
        ));
        return None;
    };
    let slice = check_slice(&window_field, diags);
    let target = match (budgeting, fields.target) {
        (Budgeting::Timeslices, Some(f)) => {
            let value = f.number(diags)?;
            if !(value > 0.0 && value <= 1.0) {
                diags.push(
                    f.error(format!(
                        "`timeSliceTarget` `{value}` is not a ratio in (0, 1]"
                    ))
                    .help("a slice is good when its good ratio reaches the target, such as `0.95`"),
                );
                return None;
            }
            Some(value)
        }
        (Budgeting::Timeslices, None) => {
            diags.push(map_missing(
                at,
                "timeSliceTarget",
                "`budgetingMethod: Timeslices` counts a slice good when its good ratio reaches `timeSliceTarget`, such as `0.95`",
            ));
            return None;
        }
        (_, Some(f)) => {
            diags.push(
                f.warning(format!("`timeSliceTarget` does not apply to `{method}` and is ignored"))
                    .note("`RatioTimeslices` averages the slices' good ratios; no slice is judged against a target")
                    .help("remove it, or use `budgetingMethod: Timeslices`"),
            );
            None
        }
        (_, None) => None,
    };
    let slice = slice?;
    // The average of equal slices' good-time ratios is the good-time ratio itself: a threshold
    // under `RatioTimeslices` is the same SLI as under `Occurrences`.
    if let (Budgeting::RatioTimeslices, Indicator::Threshold(_)) = (budgeting, &indicator) {
        return Some(indicator);
    }
    let gauge = matches!(indicator, Indicator::Threshold(_));
    let (ratio, counts) = slice_ratio(&indicator, group_by, slice)?;
    let turned = format!("1 - (\n  {}\n)", indent(&ratio));
    let (good, bad) = match counts {
        Counted::Good => (ratio, turned),
        Counted::Bad => (turned, ratio),
    };
    // NaN (a slice without events) is dropped by `>= 0`: such a slice counts neither good nor bad.
    let per_slice = match target {
        Some(target) => format!("(\n  {}\n) >= 0 < bool {target}", indent(&good)),
        None => format!("(\n  {}\n) >= 0", indent(&bad)),
    };
    let template = format!(
        "avg_over_time((\n  {}\n)[{{{{.window}}}}:{slice}])",
        indent(&per_slice)
    );
    let judged = match target {
        Some(target) => format!("a slice is bad when its good ratio is below {target}"),
        None => "the SLI is the average of the slices' good ratios".to_string(),
    };
    diags.push(
        at.warning(format!(
            "`{method}` budgeting is measured over {slice} slices aligned to the clock"
        ))
        .note(format!(
            "{judged}; slices without events count neither good nor bad"
        ))
        .note(if gauge {
            "each slice's ratio is the share of its minutes at which the gauge meets the bound"
        } else {
            "each slice's ratio is read from the slice alone (a `rate` over it needs two scrapes in it)"
        })
        .help("check that the metrics are scraped more often than the slice"),
    );
    Some(Indicator::Raw {
        error_ratio: WindowQuery { template },
    })
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n  ")
}

/// The indicator's ratio over the one slice ending at the evaluation time, per group, and whether
/// it is the good or the bad share.
fn slice_ratio(
    indicator: &Indicator,
    group_by: &[String],
    slice: Duration,
) -> Option<(String, Counted)> {
    let window = slice.to_string();
    match indicator {
        Indicator::Ratio(ratio) => {
            let rate = |source: &EventSource| match source {
                EventSource::Counter(selector) => {
                    let by = if group_by.is_empty() {
                        String::new()
                    } else {
                        format!(" by ({})", group_by.join(", "))
                    };
                    format!(
                        "sum{by} (rate({}[{window}]))",
                        promql::render_selector(selector, &[])
                    )
                }
                EventSource::Query(query) => promql::fill_window(&query.template, &window)
                    .trim()
                    .to_string(),
            };
            let share = format!(
                "(\n  {}\n)\n/\n(\n  {}\n)",
                indent(&rate(&ratio.numerator)),
                indent(&rate(&ratio.total))
            );
            Some((share, ratio.counts))
        }
        Indicator::Threshold(threshold) => {
            let failing = match threshold.op {
                Comparison::Less => ">=",
                Comparison::LessOrEqual => ">",
                Comparison::Greater => "<=",
                Comparison::GreaterOrEqual => "<",
                Comparison::Equal => "!=",
            };
            let bad = format!(
                "avg_over_time(({} {failing} bool {})[{window}:{}])",
                promql::render_selector(&threshold.gauge, &[]),
                threshold.bound,
                crate::conventions::GAUGE_STEP
            );
            Some((bad, Counted::Bad))
        }
        Indicator::Raw { error_ratio } => Some((
            promql::fill_window(&error_ratio.template, &window)
                .trim()
                .to_string(),
            Counted::Bad,
        )),
        // OpenSLO indicators are only the kinds above.
        _ => None,
    }
}
