//! Synthetic input series for an SLO's promtool tests: which series to write for the good, bad and
//! total sides of its indicator (with label values that its selectors accept and the other sides'
//! selectors reject), and their values phase by phase as promtool's expanding notation.

use super::*;

/// One step of traffic: events per input interval, and the share of them that is bad.
#[derive(Clone, Copy)]
pub(super) struct Phase {
    pub(super) length: Duration,
    pub(super) traffic: f64,
    pub(super) error_ratio: f64,
}

impl Phase {
    /// A phase of the standard traffic ([`TRAFFIC_PER_STEP`]) with a constant error ratio.
    pub(super) fn steady(length: Duration, error_ratio: f64) -> Phase {
        Phase {
            length,
            traffic: TRAFFIC_PER_STEP,
            error_ratio,
        }
    }
}

/// What a synthetic series counts: `good * good events + bad * bad events`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Role {
    pub(super) good: f64,
    pub(super) bad: f64,
}

pub(super) const GOOD: Role = Role {
    good: 1.0,
    bad: 0.0,
};
pub(super) const BAD: Role = Role {
    good: 0.0,
    bad: 1.0,
};
pub(super) const TOTAL: Role = Role {
    good: 1.0,
    bad: 1.0,
};

/// One synthetic series: metric, labels without grouping labels, and what it counts.
pub(super) type SyntheticSeries = (String, BTreeMap<String, String>, Role);

/// The synthetic input series of one SLO: label sets that the SLO's selectors pick up with known
/// roles, checked against the selectors before use.
pub(super) struct Synth {
    pub(super) series: Vec<SyntheticSeries>,
    /// For threshold SLIs: the single series is a gauge with these (good, bad) values, and only
    /// phases that are all good or all bad can be written.
    pub(super) gauge: Option<(f64, f64)>,
    /// Values of the grouping labels; the first group burns, the others stay healthy.
    pub(super) groups: Vec<BTreeMap<String, String>>,
}

impl Synth {
    /// The inputs of `slo`; `siblings` are the SLOs of its product (a composite's members are
    /// among them).
    pub(super) fn new(slo: &Slo, siblings: &[Slo]) -> Result<Synth, String> {
        let mut gauge = None;
        let series = match &slo.indicator {
            Indicator::Composite(composite) => composite_series(composite, siblings)?,
            Indicator::Ratio(ratio) => {
                let (EventSource::Counter(numerator), EventSource::Counter(total)) =
                    (&ratio.numerator, &ratio.total)
                else {
                    return Err(
                        "its events are PromQL queries, so inputs cannot be synthesised".into(),
                    );
                };
                ratio_series(ratio.counts, numerator, total)?
            }
            Indicator::Latency(latency) if latency.native => {
                return Err("promtool 2.42 cannot write native histogram input series".into())
            }
            Indicator::Latency(latency) => {
                let base =
                    crate::render::rules::histogram_base(&latency.histogram.metric).to_string();
                let labels = satisfy(&[&latency.histogram], &[])
                    .ok_or("no label values satisfy the histogram's matchers")?;
                let mut good_bucket = labels.clone();
                good_bucket.insert("le".into(), number(latency.threshold));
                let mut inf_bucket = labels.clone();
                inf_bucket.insert("le".into(), "+Inf".into());
                vec![
                    (format!("{base}_bucket"), good_bucket, GOOD),
                    (format!("{base}_bucket"), inf_bucket, TOTAL),
                    (format!("{base}_count"), labels, TOTAL),
                ]
            }
            Indicator::Threshold(threshold) => {
                let labels = satisfy(&[&threshold.gauge], &[])
                    .ok_or("no label values satisfy the gauge's matchers")?;
                gauge = Some(gauge_values_for(threshold.op, threshold.bound));
                vec![(threshold.gauge.metric.clone(), labels, BAD)]
            }

            Indicator::Raw { .. } => {
                return Err("raw error-ratio queries cannot be synthesised".into())
            }
        };
        let groups = if slo.group_by.is_empty() {
            vec![BTreeMap::new()]
        } else {
            ["burning", "healthy"]
                .iter()
                .map(|value| {
                    slo.group_by
                        .iter()
                        .map(|g| (g.clone(), (*value).to_string()))
                        .collect()
                })
                .collect()
        };
        for (_, labels, _) in &series {
            if slo.group_by.iter().any(|g| labels.contains_key(g)) {
                return Err("a selector constrains a grouping label".into());
            }
        }
        Ok(Synth {
            series,
            gauge,
            groups,
        })
    }

    /// `input_series` for the phases; only the first group sees errors. `skip_bad` leaves out
    /// series that count only bad events (a bad-event selector that matches nothing).
    pub(super) fn input_series(&self, phases: &[Phase], skip_bad: bool) -> Vec<Value> {
        let mut out = Vec::new();
        for (index, group) in self.groups.iter().enumerate() {
            for (metric, labels, role) in &self.series {
                if skip_bad && *role == BAD && self.gauge.is_none() {
                    continue;
                }
                let mut all = labels.clone();
                all.extend(group.clone());
                let matchers: Vec<String> = all
                    .iter()
                    .map(|(k, v)| format!("{k}={}", quote(v)))
                    .collect();
                let name = format!("{metric}{{{}}}", matchers.join(","));
                let error_ratio = |phase: &Phase| if index == 0 { phase.error_ratio } else { 0.0 };
                let values = match self.gauge {
                    Some((good, bad)) => {
                        gauge_values(
                            phases,
                            |phase| {
                                if error_ratio(phase) >= 1.0 {
                                    bad
                                } else {
                                    good
                                }
                            },
                        )
                    }
                    None => counter_values(phases, |phase| {
                        let bad = phase.traffic * error_ratio(phase);
                        role.good * (phase.traffic - bad) + role.bad * bad
                    }),
                };
                out.push(Value::map().with("series", name).with("values", values));
            }
        }
        out
    }

    /// Every synthetic series as (metric, all labels), for every group.
    pub(super) fn labelled(&self) -> Vec<(String, BTreeMap<String, String>)> {
        let mut out = Vec::new();
        for group in &self.groups {
            for (metric, labels, _) in &self.series {
                let mut all = labels.clone();
                all.extend(group.clone());
                out.push((metric.clone(), all));
            }
        }
        out
    }

    /// The expected label text of every group, for `count by`.
    pub(super) fn group_label_texts(&self) -> Vec<String> {
        self.groups
            .iter()
            .map(|group| {
                let labels: Vec<String> = group
                    .iter()
                    .map(|(k, v)| format!("{k}={}", quote(v)))
                    .collect();
                format!("{{{}}}", labels.join(","))
            })
            .collect()
    }

    /// `by (...)` labels and the expected label text of the burning group, for `count by`.
    pub(super) fn burning_labels(&self, slo: &Slo) -> (String, String) {
        let group = &self.groups[0];
        let by = format!("count by ({}) ", slo.group_by.join(", "));
        let labels: Vec<String> = group
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect();
        (by, format!("{{{}}}", labels.join(",")))
    }
}

/// A gauge value inside the bound and one outside it.
pub(super) fn gauge_values_for(op: Comparison, bound: f64) -> (f64, f64) {
    match op {
        Comparison::Less => (bound - 1.0, bound),
        Comparison::LessOrEqual => (bound, bound + 1.0),
        Comparison::Greater => (bound + 1.0, bound),
        Comparison::GreaterOrEqual => (bound, bound - 1.0),
        Comparison::Equal => (bound, bound + 1.0),
    }
}

/// promtool's expanding notation for a gauge holding `value(phase)` through each phase.
pub(super) fn gauge_values(phases: &[Phase], value: impl Fn(&Phase) -> f64) -> String {
    let mut parts = Vec::new();
    for phase in phases {
        let steps = phase.length.millis() / TEST_INPUT_INTERVAL.millis();
        if steps == 0 {
            continue;
        }
        // The first phase also writes the sample at time 0.
        let repeat = if parts.is_empty() { steps } else { steps - 1 };
        parts.push(format!("{}+0x{repeat}", number(value(phase))));
    }
    parts.join(" ")
}

/// promtool's expanding notation for a counter that grows by `per_step(phase)` each input step.
pub(super) fn counter_values(phases: &[Phase], per_step: impl Fn(&Phase) -> f64) -> String {
    let mut parts = Vec::new();
    let mut value = 0.0;
    let mut first = true;
    let mut previous_increment: f64 = 0.0;
    for phase in phases {
        let steps = phase.length.millis() / TEST_INPUT_INTERVAL.millis();
        if steps == 0 {
            continue;
        }
        let increment = per_step(phase);
        if first {
            parts.push(format!("0+{}x{steps}", number(increment)));
            value = increment * steps as f64;
            first = false;
        } else {
            // Start the phase at a whole number at or above where the last one ended. The exact end
            // depends on how promtool accumulates the increments; any value below it would read as
            // a counter reset, while rounding up adds less than one event.
            let end = if previous_increment.fract() == 0.0 {
                value
            } else {
                (value + value.abs() * 1e-9).ceil()
            };
            let start = end + increment;
            parts.push(format!(
                "{}+{}x{}",
                number(start),
                number(increment),
                steps - 1
            ));
            value = start + increment * (steps - 1) as f64;
        }
        previous_increment = increment;
    }
    parts.join(" ")
}

pub(super) fn ratio_series(
    counts: Counted,
    numerator: &Selector,
    total: &Selector,
) -> Result<Vec<SyntheticSeries>, String> {
    let numerator_role = match counts {
        Counted::Bad => BAD,
        Counted::Good => GOOD,
    };
    let other_role = match counts {
        Counted::Bad => GOOD,
        Counted::Good => BAD,
    };
    let mut out = Vec::new();
    if numerator.metric == total.metric {
        let inside = satisfy(&[numerator, total], &[]);
        let rest = satisfy(&[total], &[numerator])
            .ok_or("no label values match the total selector but not the numerator")?;
        match inside {
            Some(labels) => {
                out.push((numerator.metric.clone(), labels, numerator_role));
                out.push((total.metric.clone(), rest, other_role));
            }
            None => {
                let labels = satisfy(&[numerator], &[])
                    .ok_or("no label values satisfy the numerator's matchers")?;
                out.push((numerator.metric.clone(), labels, numerator_role));
                out.push((total.metric.clone(), rest, TOTAL));
            }
        }
    } else {
        let labels =
            satisfy(&[numerator], &[]).ok_or("no label values satisfy the numerator's matchers")?;
        let rest = satisfy(&[total], &[]).ok_or("no label values satisfy the total's matchers")?;
        out.push((numerator.metric.clone(), labels, numerator_role));
        out.push((total.metric.clone(), rest, TOTAL));
    }
    // Check the roles add up: the total selector must see good + bad, the numerator its own kind.
    let seen = |selector: &Selector| {
        out.iter()
            .filter(|(metric, labels, _)| {
                metric == &selector.metric && selector_accepts(selector, labels)
            })
            .fold(
                Role {
                    good: 0.0,
                    bad: 0.0,
                },
                |acc, (_, _, r)| Role {
                    good: acc.good + r.good,
                    bad: acc.bad + r.bad,
                },
            )
    };
    if seen(total) != TOTAL || seen(numerator) != numerator_role {
        return Err("the synthesised series do not add up to the SLI's events".into());
    }
    Ok(out)
}

/// A composite's inputs: its members' own, each written once. Every member then sees the same
/// traffic and error ratio, so that the composite's error ratio is the members' whatever its
/// method and weights (for `events`, `Σ w·r·T / Σ w·T`; for `weighted`, `Σ w·r / Σ w`), and the
/// scenarios of any SLO prove its alerts. A grouped member's series carry one group whose events
/// are the member's, so its sum over groups is the same. Members must be in the composite's
/// product and testable themselves.
fn composite_series(
    composite: &crate::model::CompositeIndicator,
    siblings: &[Slo],
) -> Result<Vec<SyntheticSeries>, String> {
    if composite.method == crate::model::CompositeMethod::AllGood {
        return Err(
            "an `all-good` composite counts whole 5m slices; the end-to-end accuracy test covers it"
                .into(),
        );
    }
    let mut out: Vec<SyntheticSeries> = Vec::new();
    for member in &composite.members {
        let Some(slo) = siblings
            .iter()
            .find(|s| s.product == member.product && s.name == member.slo)
        else {
            return Err(format!(
                "member `{}/{}` is in another product, whose rules this test file does not load",
                member.product, member.slo
            ));
        };
        let synth = Synth::new(slo, siblings)
            .map_err(|reason| format!("member `{}`: {reason}", member.slo))?;
        if synth.gauge.is_some() {
            return Err(format!("member `{}` is a threshold SLI", member.slo));
        }
        for series in synth.series {
            match out
                .iter()
                .find(|(m, l, _)| *m == series.0 && *l == series.1)
            {
                Some((_, _, role)) if *role != series.2 => {
                    return Err(format!(
                        "members count the same series `{}` differently",
                        series.0
                    ))
                }
                Some(_) => {}
                None => out.push(series),
            }
        }
    }
    Ok(out)
}
