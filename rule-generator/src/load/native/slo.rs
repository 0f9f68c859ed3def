//! `kind: ServiceLevelObjective` of `slo.dev/v1`: service and product, grouping, objectives,
//! alerting (burn-rate tiers, with the customers' swapped `shortWindow`/`longWindow` normalised
//! and explained), phases and reviews.

use super::*;

pub(super) fn slo(
    meta: crate::load::Metadata,
    spec: &mut Map<'_>,
    origin: Origin,
    all: &All<'_>,
    drafts: &mut Drafts,
    diags: &mut Diagnostics,
) {
    let (templates, budget) = (&all.native, &all.budget);
    let service = spec
        .required("service", diags)
        .and_then(|f| f.non_empty(diags));
    let product = spec
        .get("product")
        .and_then(|f| Some((f.non_empty(diags)?, f.span())));
    let group_by = spec
        .get("groupBy")
        .map(|f| group_by(&f, diags))
        .unwrap_or_default();
    let indicator = spec
        .required("indicator", diags)
        .and_then(|f| indicator(&f, templates, budget, &meta.name, diags));
    let shared = Shared::decode(&meta, spec, diags);
    let (Some(service), Some(indicator)) = (service, indicator) else {
        return;
    };
    if let Indicator::Raw { .. } = indicator {
        diags.push(
            Diagnostic::warning("a `raw` indicator cannot give exact long-window SLIs")
                .at(meta.name_span)
                .note("a ready error ratio can only be averaged over time, which overweights quiet periods")
                .help("use a `ratio` indicator with good (or bad) and total counters when you can"),
        );
    }
    for (slo, span) in shared.expand(&meta, &service, &indicator, origin, budget, diags) {
        drafts.slos.push(SloDraft {
            slo: Slo {
                group_by: group_by.clone(),
                ..slo
            },
            product: product.clone(),
            span,
            policy: None,
        });
    }
}

/// What an SLO and a composite SLO declare alike, besides what they measure: descriptions,
/// labels, phases, review, objectives (one SLO each) and alerting.
pub(super) struct Shared {
    pub(super) description: Option<String>,
    pub(super) owner: Option<String>,
    pub(super) tier: Option<String>,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) phases: Option<Phases>,
    pub(super) review: Review,
    pub(super) objectives: Vec<(Option<String>, Duration, Option<f64>, Span)>,
    /// `None` when the section is broken; the default tiers (by period) when it is absent.
    pub(super) alerting: Option<(Alerting, Option<(Span, String)>)>,
}

impl Shared {
    pub(super) fn decode(
        meta: &crate::load::Metadata,
        spec: &mut Map<'_>,
        diags: &mut Diagnostics,
    ) -> Shared {
        let description = spec.get("description").and_then(|f| f.string(diags));
        let owner = spec.get("owner").and_then(|f| f.string(diags));
        let tier = spec.get("tier").and_then(|f| f.string(diags));
        let mut labels_ = meta.labels.clone();
        if let Some(f) = spec.get("labels") {
            labels_.extend(labels(&f, diags));
        }
        let phases = spec.get("phases").and_then(|f| phases(&f, diags));
        let review = spec
            .get("review")
            .map(|f| review(&f, diags).0)
            .unwrap_or_default();
        let objectives = match spec.get("objectives") {
            Some(f) => objectives(&f, phases.as_ref(), diags),
            None if phases.is_some() => vec![(
                None,
                DEFAULT_PERIOD,
                phases.as_ref().map(|p| p.list[p.current].target),
                spec.field.span(),
            )],
            None => {
                diags.push(spec.missing("objectives").help(
                    "add `objectives: [{displayName: availability, window: 30d, target: 0.999}]`",
                ));
                Vec::new()
            }
        };
        // Alerting is decoded even when objectives are broken, so its problems are reported too.
        let alerting = match spec.get("alerting") {
            Some(f) => alerting(&f, diags),
            None => Some((common::default_alerting(DEFAULT_PERIOD), None)),
        };
        Shared {
            description,
            owner,
            tier,
            labels: labels_,
            phases,
            review,
            objectives,
            alerting,
        }
    }

    /// One SLO per objective (named `<name>-<displayName>` when there are several), each charged
    /// to the run's budget, with where the spec asks for it.
    pub(super) fn expand(
        self,
        meta: &crate::load::Metadata,
        service: &str,
        indicator: &Indicator,
        origin: Origin,
        budget: &Budget,
        diags: &mut Diagnostics,
    ) -> Vec<(Slo, Span)> {
        let mut out = Vec::new();
        let several = self.objectives.len() > 1;
        for (index, (display_name, period, target, span)) in self.objectives.into_iter().enumerate()
        {
            let (Some(objective), Some((alerting, explicit))) = (target, &self.alerting) else {
                continue;
            };
            let mut alerting = alerting.clone();
            match explicit {
                Some((span, path)) => {
                    common::check_tiers(&alerting.tiers, objective, *span, path, diags)
                }
                None => alerting.tiers = common::default_tiers(period),
            }
            let name = match (&display_name, several) {
                (Some(d), true) => format!("{}-{}", meta.name, d),
                (None, true) => format!("{}-{}", meta.name, index),
                _ => meta.name.clone(),
            };
            let slo = Slo {
                display_name: display_name.clone().or_else(|| meta.display_name.clone()),
                description: self.description.clone(),
                labels: self.labels.clone(),
                owner: self.owner.clone(),
                tier: self.tier.clone(),
                phases: self.phases.clone(),
                review: self.review,
                ..Slo::new(
                    name,
                    service.to_string(),
                    objective,
                    period,
                    indicator.clone(),
                    alerting,
                    origin.clone(),
                )
            };
            let (at, path) = match several {
                true => (span, "spec.objectives"),
                false => (meta.name_span, "metadata.name"),
            };
            if !budget.slo(&slo, at, path, diags) {
                break;
            }
            out.push((slo, at));
        }
        out
    }
}

pub(super) fn group_by(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<String> {
    let mut out = Vec::new();
    for item in field.list(diags) {
        if let Some(name) = item.string(diags) {
            if common::check_label_name(&name, item.span(), &item.path, diags) {
                if out.contains(&name) {
                    diags.push(item.error(format!("label `{name}` is listed twice")));
                } else {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// Each objective: (display name, period, target, span). The target may come from the current
/// phase; a target that disagrees with it is reported.
pub(super) fn objectives(
    field: &Field<'_>,
    phases: Option<&Phases>,
    diags: &mut Diagnostics,
) -> Vec<(Option<String>, Duration, Option<f64>, Span)> {
    let items = field.list(diags);
    if items.is_empty() && !matches!(field.node.kind, NodeKind::Seq(_) | NodeKind::Null) {
        return Vec::new();
    }
    if items.is_empty() {
        diags.push(
            field
                .error("at least one objective is required")
                .help("add `- {displayName: availability, window: 30d, target: 0.999}`"),
        );
    }
    let phase_target = phases.map(|p| (&p.list[p.current].name, p.list[p.current].target));
    let mut out = Vec::new();
    for item in items {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let display_name = map.get("displayName").and_then(|f| f.non_empty(diags));
        let period = map.get("window").and_then(|f| duration(&f, diags));
        let window_ok = map.has("window");
        let target = match (map.get("target"), phase_target) {
            (Some(f), Some((phase, phase_target))) => {
                if let Some(t) = objective_ratio(&f, diags) {
                    if (t - phase_target).abs() > 1e-12 {
                        diags.push(
                            f.warning(format!("phase `{phase}` sets the target to {}; this target ({}) is not used", trim_float(phase_target), trim_float(t)))
                                .help("remove `target` here, or change the phase"),
                        );
                    }
                }
                Some(phase_target)
            }
            (Some(f), None) => objective_ratio(&f, diags),
            (None, Some((_, t))) => Some(t),
            (None, None) => {
                diags.push(
                    map.missing("target")
                        .help("add `target: 0.999` (a ratio, 99.9%)"),
                );
                None
            }
        };
        map.finish(diags);
        if window_ok && period.is_none() {
            continue;
        }
        out.push((
            display_name,
            period.unwrap_or(DEFAULT_PERIOD),
            target,
            item.span(),
        ));
    }
    out
}

/// The alerting section, and where its explicit `burnRates` are (`None` means the default tiers,
/// which depend on each objective's period and are filled in per objective).
pub(super) fn alerting(
    field: &Field<'_>,
    diags: &mut Diagnostics,
) -> Option<(Alerting, Option<(Span, String)>)> {
    let mut map = field.map(diags)?;
    let mut out = common::default_alerting(DEFAULT_PERIOD);
    let mut explicit = None;
    out.enabled = map
        .get("enabled")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(true);
    out.name = map.get("name").and_then(|f| f.non_empty(diags));
    out.for_duration = map.get("for").and_then(|f| common::for_duration(&f, diags));
    out.labels = map
        .get("labels")
        .map(|f| labels(&f, diags))
        .unwrap_or_default();
    out.annotations = common::optional_annotations(&mut map, "annotations", diags);
    out.runbook_url = map
        .get_any(&["runbookUrl", "runbook"])
        .and_then(|f| f.non_empty(diags));
    out.budget_exhausted = map
        .get("budgetExhausted")
        .and_then(|f| f.boolean(diags))
        .unwrap_or(false);
    out.no_data = map.get("noData").and_then(|f| duration(&f, diags));
    if let Some(f) = map.get("burnRates") {
        out.tiers = burn_rates(&f, diags);
        explicit = Some((f.span(), f.path.clone()));
    }
    map.finish(diags);
    Some((out, explicit))
}

/// `burnRates` items, grouped into one tier per severity in order of first appearance. A pair
/// whose short window is longer than its long window is the customers' template: swapped back.
pub(super) fn burn_rates(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<AlertTier> {
    let mut tiers: Vec<AlertTier> = Vec::new();
    for item in field.list(diags) {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let severity = map
            .required("severity", diags)
            .and_then(|f| f.non_empty(diags));
        let short_field = map.required("shortWindow", diags);
        let long_field = map.required("longWindow", diags);
        let short = short_field.as_ref().and_then(|f| duration(f, diags));
        let long = long_field.as_ref().and_then(|f| duration(f, diags));
        let factor = map.required("burnRate", diags).and_then(|f| {
            let v = f.number(diags)?;
            if v <= 0.0 {
                diags.push(
                    f.error(format!(
                        "burn rate `{}` must be greater than zero",
                        trim_float(v)
                    ))
                    .help("a burn rate of 1 spends the budget exactly over the period"),
                );
                return None;
            }
            Some(v)
        });
        let tier_labels = map
            .get("labels")
            .map(|f| labels(&f, diags))
            .unwrap_or_default();
        let tier_annotations = common::optional_annotations(&mut map, "annotations", diags);
        map.finish(diags);
        let (Some(severity), Some(mut short), Some(mut long), Some(factor)) =
            (severity, short, long, factor)
        else {
            continue;
        };
        if short == long {
            diags.push(
                item.error(format!("`shortWindow` and `longWindow` are both {short}"))
                    .help("the short window confirms the long one; make it about 1/12 of it"),
            );
            continue;
        }
        if short > long {
            diags.push(
                Diagnostic::warning(format!("`shortWindow` ({short}) is longer than `longWindow` ({long}); treating {long} as the short window and {short} as the long one"))
                    .at(short_field.as_ref().map(|f| f.span()).unwrap_or(item.span()))
                    .field(short_field.as_ref().map(|f| f.path.clone()).unwrap_or(item.path.clone()))
                    .note("the long window decides whether enough budget burned; the short one, about 1/12 of it, makes the alert reset quickly once the burn stops")
                    .help(format!("write `shortWindow: {long}` and `longWindow: {short}`")),
            );
            std::mem::swap(&mut short, &mut long);
        }
        let window = BurnWindow {
            long,
            short,
            factor,
        };
        match tiers.iter_mut().find(|t| t.severity == severity) {
            Some(tier) => tier.windows.push(window),
            None => tiers.push(AlertTier {
                severity,
                windows: vec![window],
                labels: tier_labels,
                annotations: tier_annotations,
            }),
        }
    }
    tiers
}

pub(super) fn phases(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Phases> {
    let mut map = field.map(diags)?;
    let current_field = map.required("current", diags);
    let list = match map.get("steps") {
        Some(f) => phase_list(&f, diags),
        None => Phase::default_ladder(),
    };
    map.finish(diags);
    let current_field = current_field?;
    let current = current_field.non_empty(diags)?;
    match list.iter().position(|p| p.name == current) {
        Some(index) => Some(Phases {
            list,
            current: index,
        }),
        None => {
            let mut d = current_field.error(format!("unknown phase `{current}`"));
            d = d.help_did_you_mean(&current, list.iter().map(|p| p.name.as_str()), || {
                format!(
                    "the phases are {}",
                    backticked(&list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>())
                )
            });
            diags.push(d);
            None
        }
    }
}

pub(super) fn phase_list(field: &Field<'_>, diags: &mut Diagnostics) -> Vec<Phase> {
    let mut out: Vec<Phase> = Vec::new();
    for item in field.list(diags) {
        let Some(mut map) = item.map(diags) else {
            continue;
        };
        let name = map.required("name", diags).and_then(|f| f.non_empty(diags));
        let target = map
            .required("target", diags)
            .and_then(|f| objective_ratio(&f, diags));
        let latency_p95 = map.get("latencyP95").and_then(|f| duration(&f, diags));
        let latency_p99 = map.get("latencyP99").and_then(|f| duration(&f, diags));
        let phase_duration = map.get("duration").and_then(|f| duration(&f, diags));
        let starts = map.get("starts").and_then(|f| date(&f, diags));
        let criteria = map
            .get("criteria")
            .map(|f| f.strings(diags))
            .unwrap_or_default();
        map.finish(diags);
        if let (Some(p95), Some(p99)) = (latency_p95, latency_p99) {
            if p95 > p99 {
                diags.push(
                    item.error(format!(
                        "`latencyP95` ({p95}) is above `latencyP99` ({p99})"
                    ))
                    .help("the 95th percentile cannot be slower than the 99th"),
                );
            }
        }
        let (Some(name), Some(target)) = (name, target) else {
            continue;
        };
        if let Some(previous) = out.last() {
            if target < previous.target {
                diags.push(
                    item.warning(format!(
                        "phase `{name}` lowers the target from {} to {}",
                        trim_float(previous.target),
                        trim_float(target)
                    ))
                    .help("progressive targets usually only rise"),
                );
            }
        }
        out.push(Phase {
            name,
            target,
            latency_p95,
            latency_p99,
            duration: phase_duration,
            starts,
            criteria,
        });
    }
    out
}
