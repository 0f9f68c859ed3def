//! OpenSLO `SLO` documents of both versions: the service, the indicator (inline or by reference),
//! the time window, the budgeting method and the objectives. Each objective becomes an SLO of its
//! own, since objectives may use different indicators or thresholds.

use super::*;

pub(super) fn slo(
    spec: &Field<'_>,
    meta: Meta,
    context: &Context<'_, '_>,
    file: &str,
    doc_span: Span,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let Some(mut map) = spec.map(diags) else {
        return;
    };
    let name = meta.name.clone();
    let description = map.get("description").and_then(|f| f.string(diags));
    let service = map.required("service", diags).and_then(|f| {
        let name = f.non_empty(diags)?;
        common::check_file_safe_name(&f, &name, "service", diags).then_some(name)
    });
    // The SLO's own indicator: `None` when absent, `Some(None)` when present but broken.
    let indicator = slo_indicator(&mut map, context, diags);
    let period = if context.v1 {
        map.get("timeWindow").map(|f| time_window(&f, diags))
    } else {
        map.get("timeWindows")
            .map(|f| time_windows_alpha(&f, diags))
    };
    let budgeting = map
        .required("budgetingMethod", diags)
        .and_then(|f| budgeting_method(&f, diags));
    let objectives = map.required("objectives", diags);
    let alerting_field = if context.v1 {
        map.get("alertPolicies")
    } else {
        None
    };
    map.finish(diags);

    let period = match period {
        Some(p) => p,
        None => Some(DEFAULT_PERIOD),
    };
    let alerting = match (&alerting_field, period) {
        (Some(f), Some(period)) => alert_policies(f, context, period, diags),
        (None, Some(period)) => Some(common::default_alerting(period)),
        (_, None) => None,
    };
    let Some(objectives) = objectives else {
        return;
    };
    let items = objectives.list(diags);
    if items.is_empty() {
        diags.push(
            objectives
                .error("an SLO needs at least one objective")
                .help("add `- target: 0.999`"),
        );
        return;
    }
    let several = items.len() > 1;
    let mut seen_names: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(objective) = objective(item, &indicator, budgeting, context, diags) else {
            continue;
        };
        // Checked before the clones below: with thousands of objectives, cloning a large
        // `alerting` for each only to drop it would cost more than the budget ever allows.
        if name.is_none() || service.is_none() || alerting.is_none() {
            continue;
        }
        let (Some(name), Some(service), Some(period), Some(alerting), Some(())) = (
            name.clone(),
            service.clone(),
            period,
            alerting.clone(),
            budgeting.map(|_| ()),
        ) else {
            continue;
        };
        let slo_name = if several {
            let suffix = objective
                .display_name
                .as_deref()
                .map(slug)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| index.to_string());
            format!("{name}-{suffix}")
        } else {
            name
        };
        if several && seen_names.contains(&slo_name) {
            diags.push(
                item.error(format!(
                    "objective name `{slo_name}` is used twice in this SLO"
                ))
                .help("give the objectives distinct `displayName`s"),
            );
            continue;
        }
        seen_names.push(slo_name.clone());
        let span = if several { item.span() } else { doc_span };
        let mut labels = meta.labels.clone();
        let owner = labels.remove("owner");
        let tier = labels.remove("tier");
        common::check_tiers(&alerting.tiers, objective.target, span, &item.path, diags);
        let slo = Slo {
            display_name: if several {
                objective.display_name.or_else(|| meta.display_name.clone())
            } else {
                meta.display_name.clone()
            },
            description: description.clone(),
            group_by: objective.group_by,
            labels,
            owner,
            tier,
            ..Slo::new(
                slo_name,
                service,
                objective.target,
                period,
                objective.indicator,
                alerting,
                Origin {
                    file: file.to_string(),
                    line: span.start.line,
                    format: SpecFormat::OpenSlo,
                },
            )
        };
        if !context.budget.slo(&slo, span, &item.path, diags) {
            return;
        }
        drafts.slos.push(SloDraft {
            slo,
            product: None,
            span,
            policy: None,
        });
    }
}

/// v1 `timeWindow`: exactly one window. A calendar-aligned one is loaded as the rolling window of
/// the same length (see [`calendar_as_rolling`]).
pub(super) fn time_window(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Duration> {
    let item = single_window(field, diags)?;
    let mut map = item.map(diags)?;
    let duration = map.required("duration", diags);
    let rolling = map.get("isRolling").and_then(|f| f.boolean(diags));
    let calendar = map.get("calendar");
    map.finish(diags);
    let duration = duration?;
    if calendar.is_some() || rolling == Some(false) {
        let text = duration.string(diags)?;
        let length = calendar_length(&duration, &text, diags)?;
        let fix = format!("`isRolling: true` with `duration: {length}`");
        return calendar_as_rolling(&item, &text, length, calendar.as_ref(), &fix, diags);
    }
    common::duration(&duration, diags)
}

/// v1alpha `timeWindows`: `[{count, unit, isRolling, calendar}]`. Sloth's examples leave
/// `isRolling` out and mean a rolling window, so only a calendar makes a window calendar-aligned.
pub(super) fn time_windows_alpha(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Duration> {
    let item = single_window(field, diags)?;
    let mut map = item.map(diags)?;
    let count = map.required("count", diags).and_then(|f| f.integer(diags));
    let unit = map.required("unit", diags);
    let rolling = map.get("isRolling").and_then(|f| f.boolean(diags));
    let calendar = map.get("calendar");
    map.finish(diags);
    let aligned = calendar.is_some() || rolling == Some(false);
    let unit_field = unit?;
    let unit = unit_field.string(diags)?;
    let size = match unit.as_str() {
        "Second" => Duration::from_secs(1),
        "Minute" => Duration::from_mins(1),
        "Hour" => Duration::from_hours(1),
        "Day" => Duration::from_days(1),
        "Week" => Duration::from_days(7),
        "Month" if aligned => MONTH,
        "Quarter" if aligned => QUARTER,
        "Year" if aligned => YEAR,
        "Month" | "Quarter" | "Year" => {
            diags.push(
                unit_field
                    .error(format!(
                        "a rolling window cannot be counted in `{unit}`s, which vary in length"
                    ))
                    .help("count in days, such as `{count: 30, unit: Day}`"),
            );
            return None;
        }
        other => {
            let known = [
                "Second", "Minute", "Hour", "Day", "Week", "Month", "Quarter", "Year",
            ];
            let d = unit_field.error(format!("unknown time unit `{other}`"));
            diags.push(d.help_did_you_mean(other, known, || "use `Day` or `Week`".to_string()));
            return None;
        }
    };
    let count = count?;
    if count == 0 {
        diags.push(item.error("the time window's `count` must be at least 1"));
        return None;
    }
    let length = count
        .checked_mul(size.millis())
        .map(Duration::from_millis)?;
    if aligned {
        let written = format!("{count} {unit}");
        let fix = match length.millis() % Duration::from_days(1).millis() {
            0 => format!(
                "`{{count: {}, unit: Day}}` without a calendar",
                length.millis() / Duration::from_days(1).millis()
            ),
            _ => format!("`{{count: {count}, unit: {unit}}}` without a calendar"),
        };
        return calendar_as_rolling(&item, &written, length, calendar.as_ref(), &fix, diags);
    }
    Some(length)
}

/// The rolling lengths calendar periods are loaded as: the usual 30-day month (Sloth's and the
/// SRE workbook's), 90-day quarter and 365-day year.
const MONTH: Duration = Duration::from_days(30);
const QUARTER: Duration = Duration::from_days(90);
const YEAR: Duration = Duration::from_days(365);

/// The length of a calendar `duration` such as `1M`, `1Q`, `1w` or `1d`: OpenSLO's own units
/// beside Prometheus's.
fn calendar_length(field: &Field<'_>, text: &str, diags: &mut Diagnostics) -> Option<Duration> {
    let trimmed = text.trim();
    let unit = match trimmed.chars().last() {
        Some('M') => Some(MONTH),
        Some('Q') => Some(QUARTER),
        Some('Y') => Some(YEAR),
        _ => None,
    };
    let Some(unit) = unit else {
        return common::duration(field, diags);
    };
    let count = trimmed[..trimmed.len() - 1]
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0);
    match count.and_then(|n| n.checked_mul(unit.millis())) {
        Some(millis) => Some(Duration::from_millis(millis)),
        None => {
            diags.push(
                field
                    .error(format!("invalid calendar duration `{trimmed}`"))
                    .help("write a whole number of periods such as `1M`, `1Q`, `1w` or `30d`"),
            );
            None
        }
    }
}

/// slokit's model has rolling windows only. A calendar-aligned window is loaded as the rolling
/// window of the same length rather than refused: the SLI, the budget and the alerts are the same
/// figures over the last `length`, and what differs (the budget never resets at a boundary) is
/// said in a warning at the window, with the calendar it ignores.
fn calendar_as_rolling(
    item: &Field<'_>,
    written: &str,
    length: Duration,
    calendar: Option<&Field<'_>>,
    fix: &str,
    diags: &mut Diagnostics,
) -> Option<Duration> {
    let mut start = None;
    if let Some(calendar) = calendar {
        let mut map = calendar.map(diags)?;
        start = map.get("startTime").and_then(|f| f.string(diags));
        let zone = map.get("timeZone").and_then(|f| f.string(diags));
        map.finish(diags);
        if let (Some(s), Some(z)) = (&start, zone) {
            start = Some(format!("{s} {z}"));
        }
    }
    let boundary = match &start {
        Some(start) => format!("the start of each `{written}` period (counted from {start})"),
        None => format!("the start of each calendar `{written}` period"),
    };
    diags.push(
        item.warning(format!(
            "calendar-aligned window `{written}` is loaded as a rolling {length} window"
        ))
        .note(format!(
            "the error budget does not reset at {boundary}: at any moment the SLI and the budget cover the last {length}, not the period so far"
        ))
        .note("burn-rate alerts are the same either way; reports and dashboards show the rolling figures")
        .help(format!(
            "write {fix} to measure a rolling window and silence this warning"
        )),
    );
    Some(length)
}

pub(super) fn single_window<'a>(field: &Field<'a>, diags: &mut Diagnostics) -> Option<Field<'a>> {
    let items = field.list(diags);
    match items.len() {
        0 => {
            diags.push(
                field
                    .error("the time window list is empty")
                    .help("add one rolling window"),
            );
            None
        }
        1 => items.into_iter().next(),
        _ => {
            diags.push(
                items[1]
                    .error("an SLO has exactly one time window")
                    .help("keep one window; write another SLO for another window"),
            );
            None
        }
    }
}

/// `Occurrences` (good events over all events), or one of the time-slice methods, which
/// [`sliced`] measures.
pub(super) fn budgeting_method(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Budgeting> {
    let method = field.string(diags)?;
    match method.as_str() {
        "Occurrences" => Some(Budgeting::Occurrences),
        "Timeslices" => Some(Budgeting::Timeslices),
        "RatioTimeslices" => Some(Budgeting::RatioTimeslices),
        other => {
            let known = ["Occurrences", "Timeslices", "RatioTimeslices"];
            let d = field.error(format!("unknown budgeting method `{other}`"));
            diags.push(d.help_did_you_mean(other, known, || format!("use {}", backticked(&known))));
            None
        }
    }
}

pub(super) struct Objective {
    pub(super) group_by: Vec<String>,
    pub(super) display_name: Option<String>,
    pub(super) target: f64,
    pub(super) indicator: Indicator,
}

pub(super) fn objective(
    item: &Field<'_>,
    slo_indicator: &Option<Option<Sli>>,
    budgeting: Option<Budgeting>,
    context: &Context<'_, '_>,
    diags: &mut Diagnostics,
) -> Option<Objective> {
    let mut map = item.map(diags)?;
    let display_name = map.get("displayName").and_then(|f| f.string(diags));
    // `operator` is the name OpenSLO's drafts and some generators use for `op`.
    let op = either(&mut map, "op", "operator", diags);
    let value = map.get("value");
    let target = map.get("target");
    let percent = map.get("targetPercent");
    let slices = SliceFields {
        target: map.get("timeSliceTarget"),
        window: map.get("timeSliceWindow"),
    };
    if budgeting == Some(Budgeting::Occurrences) {
        for f in [&slices.target, &slices.window].into_iter().flatten() {
            let key = f.path.rsplit('.').next().unwrap_or_default();
            diags.push(
                f.warning(format!(
                    "`{key}` only applies to time-slice budgeting and is ignored"
                ))
                .help("remove it"),
            );
        }
    }
    if let Some(f) = map.get("compositeWeight") {
        diags.push(
            f.warning("`compositeWeight` is ignored: each objective becomes an SLO of its own")
                .help("remove it"),
        );
    }
    let own = if context.v1 {
        let inline = map.get("indicator");
        let reference = map.get("indicatorRef");
        match (inline, reference) {
            (Some(f), _) => Some(inline_indicator(&f, context, diags)),
            (None, Some(f)) => Some(indicator_ref(&f, context, diags)),
            (None, None) => None,
        }
    } else {
        map.get("ratioMetrics").map(|f| alpha_ratio(&f, diags))
    };
    map.finish(diags);
    let target = match (target, percent) {
        (Some(t), None) => common::objective_ratio(&t, diags),
        (None, Some(p)) => common::objective_percent(&p, diags),
        (Some(_), Some(p)) => {
            diags.push(
                p.error("`target` and `targetPercent` are both set")
                    .help("keep one: `target` is a ratio such as `0.999`, `targetPercent` a percentage such as `99.9`"),
            );
            None
        }
        (None, None) => {
            diags.push(map_missing(
                item,
                "target",
                "add `target: 0.999` (or `targetPercent: 99.9`)",
            ));
            None
        }
    };
    let sli = match own.as_ref().or(slo_indicator.as_ref()) {
        Some(sli) => sli.clone(),
        None => {
            diags.push(
                item.error("no indicator for this objective")
                    .help(if context.v1 {
                        "add `indicator:` or `indicatorRef:` to the SLO"
                    } else {
                        "add `ratioMetrics:` to the objective or `indicator:` to the SLO"
                    }),
            );
            None
        }
    };
    let sli = sli?;
    let indicator = match sli.kind {
        SliKind::Ratio(ratio) => {
            warn_threshold_fields(&op, &value, diags);
            Indicator::Ratio(ratio)
        }
        SliKind::Raw(error_ratio) => {
            warn_threshold_fields(&op, &value, diags);
            Indicator::Raw { error_ratio }
        }
        SliKind::Threshold(_) | SliKind::ThresholdExpression(_) => {
            let (Some(op_field), Some(value_field)) = (op, value) else {
                // `op` and `operator` both written is reported where they are.
                if entry(item.node, "op").is_some() && entry(item.node, "operator").is_some() {
                    return None;
                }
                diags.push(
                    item.error("a threshold metric needs the objective's `op` and `value`")
                        .help("add e.g. `op: lt` and `value: 500`: events are good when the metric is below 500"),
                );
                return None;
            };
            let op_text = op_field.string(diags)?;
            let op = match op_text.as_str() {
                "lt" => Comparison::Less,
                "lte" => Comparison::LessOrEqual,
                "gt" => Comparison::Greater,
                "gte" => Comparison::GreaterOrEqual,
                other => {
                    let known = ["lt", "lte", "gt", "gte"];
                    let d = op_field.error(format!("unknown `op` `{other}`"));
                    diags.push(d.help_did_you_mean(other, known, || {
                        "use `lt`, `lte`, `gt` or `gte`".to_string()
                    }));
                    return None;
                }
            };
            let bound = value_field.number(diags)?;
            // OpenSLO counts the data points that meet the bound; slokit counts the good time, the
            // same measure for a metric that is scraped at a steady interval.
            match sli.kind {
                SliKind::Threshold(gauge) => {
                    Indicator::Threshold(ThresholdIndicator { gauge, op, bound })
                }
                SliKind::ThresholdExpression(expression) => Indicator::Raw {
                    error_ratio: threshold_expression(&expression, op, bound),
                },
                _ => return None,
            }
        }
    };
    let indicator = match budgeting {
        Some(Budgeting::Occurrences) | None => indicator,
        Some(method) => sliced(indicator, &sli.group_by, method, slices, item, diags)?,
    };
    Some(Objective {
        group_by: sli.group_by,
        display_name,
        target: target?,
        indicator,
    })
}

pub(super) fn warn_threshold_fields(
    op: &Option<Field<'_>>,
    value: &Option<Field<'_>>,
    diags: &mut Diagnostics,
) {
    if let Some(f) = op.as_ref().or(value.as_ref()) {
        diags.push(
            f.warning("`op` and `value` only apply to threshold metrics and are ignored")
                .help("remove them"),
        );
    }
}
