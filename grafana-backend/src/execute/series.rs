//! The time series query kinds: SLI, burn rate, budget remaining, budget burn-down and events.
//! Each reads its series in a fixed number of Prometheus queries, answers as
//! [`empty_result`](super::empty_result) says when nothing matched, and builds its frames through
//! [`series_frames`] and [`frame`]: one frame per series, its value fields labelled with the
//! series' labels (see the parent module), the kinds differing only in their display names, field
//! configs and the `series` label that tells two series of one SLO apart.

use std::collections::BTreeMap;
use std::time::SystemTime;

use grafana_plugin_sdk::data::Frame;
use grafana_plugin_sdk::prelude::*;
use serde_json::{json, Value};
use slokit_conventions::{
    rate_series, window_burn_rate, window_error_ratio, LONG_WINDOW_STEP, SERIES_BAD,
    SERIES_BUDGET_REMAINING, SERIES_OBJECTIVE, SERIES_PERIOD, SERIES_SLI, SERIES_TOTAL,
};
use slokit_wire::Series;

use super::alerts::{burn_threshold_steps, fetch_alert_windows};
use super::{
    config, constants, empty_result, executed_metadata, range_query, selector, series_name,
    sort_series, time_of, window_text, Identity, Labels, TimeRange, LABEL_SERIES,
};
use crate::query::{QueryError, Selection, SloQuery};
use crate::upstream::Upstream;

/// Dashboard ranges up to this length are burnt down from the 5m series, longer ones from the 1h
/// series (30 days of 1h points is 720 points; of 5m points, 8,640).
const BURNDOWN_FINE_LIMIT_SECS: f64 = 12.0 * 3600.0;

/// A value field of a frame: its name, its values, its labels, and its config as JSON (see
/// [`config`](super::config)).
type ValueField<'a> = (&'a str, Vec<f64>, Labels, Value);

/// A frame named `name` holding one series: a time field and `fields`, with `executed` (the PromQL
/// sent) in its metadata for the query inspector. Every frame of a series kind is built here.
fn frame(
    name: &str,
    executed: &str,
    times: Vec<SystemTime>,
    fields: Vec<ValueField<'_>>,
) -> Result<Frame, QueryError> {
    let mut frame = Frame::new(name)
        .with_field(times.into_field("time"))
        .with_metadata(executed_metadata(executed));
    for (field_name, values, labels, field_config) in fields {
        frame = frame.with_field(
            values
                .into_field(field_name)
                .with_labels(labels)
                .with_config(config(field_config)?),
        );
    }
    Ok(frame)
}

/// How one series is drawn: the display name of its value field, which also names its frame, and
/// the rest of the field's config.
struct Drawing {
    display: String,
    config: Value,
}

/// One frame per series, in the series' order, each a time field and a `value` field that `draw`
/// names and configures from the series' name (`shop/search {route="/a"}`) and the series. The
/// field is labelled with the series' labels, plus `series="<kind>"` when `kind` is given (for
/// the kinds that answer two series per SLO and group); `executed` is the PromQL that was sent.
fn series_frames(
    series: &[Series],
    executed: &str,
    kind: Option<&str>,
    draw: impl Fn(&str, &Series) -> Drawing,
) -> Result<Vec<Frame>, QueryError> {
    series
        .iter()
        .map(|s| {
            let Drawing {
                display,
                config: mut field_config,
            } = draw(&series_name(&s.labels), s);
            field_config["displayNameFromDS"] = json!(display);
            let times = s.points.iter().map(|(t, _)| time_of(*t)).collect();
            let values = s.points.iter().map(|(_, v)| *v).collect();
            let labels = field_labels(&s.labels, kind);
            frame(
                &display,
                executed,
                times,
                vec![("value", values, labels, field_config)],
            )
        })
        .collect()
}

/// A field config in `unit` with `decimals`, and threshold `steps` (absolute values) drawn as
/// lines on the graph.
fn with_threshold_lines(unit: &str, decimals: u32, steps: Vec<Value>) -> Value {
    json!({
        "unit": unit,
        "decimals": decimals,
        "thresholds": {"mode": "absolute", "steps": steps},
        "custom": {"thresholdsStyle": {"mode": "line"}},
    })
}

/// One series query being answered: where to ask, what was asked, and over which range. Each kind
/// is a method.
pub(super) struct SeriesQuery<'a> {
    pub(super) upstream: &'a Upstream,
    pub(super) query: &'a SloQuery,
    pub(super) range: TimeRange,
}

impl SeriesQuery<'_> {
    fn selection(&self) -> &Selection {
        &self.query.selection
    }

    /// `name` narrowed to the selected SLOs.
    fn selector(&self, name: &str) -> String {
        selector(name, self.selection())
    }

    /// The series of `expr` over the range, at Grafana's resolution.
    async fn series(&self, expr: &str) -> Result<Vec<Series>, QueryError> {
        range_query(self.upstream, expr, self.range).await
    }

    /// `series` drawn as [`series_frames`] draws them, or, when there are none, what
    /// [`empty_result`](super::empty_result) says.
    async fn drawn(
        &self,
        series: &[Series],
        executed: &str,
        draw: impl Fn(&str, &Series) -> Drawing,
    ) -> Result<Vec<Frame>, QueryError> {
        if series.is_empty() {
            return self.empty().await;
        }
        series_frames(series, executed, None, draw)
    }

    async fn empty(&self) -> Result<Vec<Frame>, QueryError> {
        empty_result(self.upstream, self.selection(), self.range.to).await
    }

    pub(super) async fn sli(&self) -> Result<Vec<Frame>, QueryError> {
        let expr = match self.query.window {
            None => self.selector(SERIES_SLI),
            // A window without events has SLI 1, as the recorded period SLI does.
            Some(window) => format!(
                "1 - {}",
                window_error_ratio(window, |name| self.selector(name))
            ),
        };
        let (series, objectives) = futures_util::try_join!(
            self.series(&expr),
            constants(
                self.upstream,
                self.selection(),
                &[SERIES_OBJECTIVE],
                self.range.to
            ),
        )?;
        let window = window_text(self.query.window);
        self.drawn(&series, &expr, |name, s| {
            let objective = objectives
                .get(&Identity::of(&s.labels))
                .and_then(|c| c.get(SERIES_OBJECTIVE));
            let mut steps = vec![json!({"value": null, "color": "red"})];
            if let Some(objective) = objective {
                steps.push(json!({"value": objective, "color": "green"}));
            }
            Drawing {
                display: format!("SLI {window} {name}"),
                config: with_threshold_lines("percentunit", 3, steps),
            }
        })
        .await
    }

    /// Burn rates, with the SLO's alert thresholds. The thresholds come in the same batch of
    /// queries as the series (one query for every selected SLO's thresholds and periods, none per
    /// SLO).
    pub(super) async fn burn_rate(&self) -> Result<Vec<Frame>, QueryError> {
        let expr = match self.query.window {
            // Computed as every reader computes a window's burn rate; none is recorded.
            Some(window) => window_burn_rate(window, |name| self.selector(name)),
            None => format!("1 - {}", self.selector(SERIES_BUDGET_REMAINING)),
        };
        let (series, tiers) = futures_util::try_join!(
            self.series(&expr),
            fetch_alert_windows(self.upstream, self.selection(), self.range.to),
        )?;
        let window = window_text(self.query.window);
        self.drawn(&series, &expr, |name, s| {
            let steps = match tiers.get(&Identity::of(&s.labels)) {
                Some((windows, _)) => burn_threshold_steps(windows),
                None => burn_threshold_steps(&[]),
            };
            Drawing {
                display: format!("burn rate {window} {name}"),
                config: with_threshold_lines("none", 2, steps),
            }
        })
        .await
    }

    pub(super) async fn budget_remaining(&self) -> Result<Vec<Frame>, QueryError> {
        let expr = self.selector(SERIES_BUDGET_REMAINING);
        let series = self.series(&expr).await?;
        self.drawn(&series, &expr, |name, _| Drawing {
            display: format!("budget remaining {name}"),
            config: json!({"unit": "percentunit", "decimals": 1, "thresholds": budget_thresholds()}),
        })
        .await
    }

    /// Budget remaining across the dashboard's range: the error ratio of all events since
    /// `from`, as a share of the budget, scaled by the share of the period elapsed. It ends where
    /// a period of the same traffic and errors would end; the ideal line burns exactly the budget
    /// in a period.
    pub(super) async fn budget_burndown(&self) -> Result<Vec<Frame>, QueryError> {
        let (upstream, range) = (self.upstream, self.range);
        let span = range.to - range.from;
        let (window, step) = if span <= BURNDOWN_FINE_LIMIT_SECS {
            (slokit_conventions::BASE_WINDOW, 300.0)
        } else {
            (LONG_WINDOW_STEP, 3600.0)
        };
        // Each point is the mean rate over the `step` before it, so points at `from + k*step`
        // cover the range exactly once, without overlap.
        let start = range.from + step;
        if start > range.to {
            return Err(QueryError::bad_request(format!(
                "the time range is shorter than the burn-down resolution ({}s)",
                step
            )));
        }
        let bad_expr = self.selector(&rate_series(SERIES_BAD, Some(window)));
        let total_expr = self.selector(&rate_series(SERIES_TOTAL, Some(window)));
        let (bad, total, constants) = futures_util::try_join!(
            async { Ok::<_, QueryError>(upstream.range(&bad_expr, start, range.to, step).await?) },
            async {
                Ok::<_, QueryError>(upstream.range(&total_expr, start, range.to, step).await?)
            },
            constants(
                upstream,
                self.selection(),
                &[SERIES_OBJECTIVE, SERIES_PERIOD],
                range.to
            ),
        )?;
        if total.is_empty() {
            return self.empty().await;
        }
        let mut total = total;
        sort_series(&mut total);
        let bad_by_labels: BTreeMap<BTreeMap<String, String>, BTreeMap<i64, f64>> = bad
            .into_iter()
            .map(|s| {
                let points = s.points.iter().map(|(t, v)| (*t as i64, *v)).collect();
                (strip_name(s.labels), points)
            })
            .collect();
        let mut frames = Vec::new();
        for series in total {
            let labels = strip_name(series.labels);
            let identity = Identity::of(&labels);
            let Some(constants) = constants.get(&identity) else {
                continue;
            };
            let (Some(budget), Some(period)) = (
                constants
                    .get(SERIES_OBJECTIVE)
                    .map(|objective| 1.0 - objective),
                constants.get(SERIES_PERIOD).copied(),
            ) else {
                continue;
            };
            let bad_points = bad_by_labels.get(&labels);
            let mut bad_sum = 0.0;
            let mut total_sum = 0.0;
            let mut times = Vec::new();
            let mut remaining = Vec::new();
            let mut ideal = Vec::new();
            for (time, total_rate) in &series.points {
                let bad_rate = bad_points
                    .and_then(|p| p.get(&(*time as i64)))
                    .copied()
                    .unwrap_or(0.0);
                bad_sum += bad_rate * step;
                total_sum += total_rate * step;
                let elapsed = time - range.from;
                let error_ratio = if total_sum > 0.0 {
                    bad_sum / total_sum
                } else {
                    0.0
                };
                times.push(time_of(*time));
                remaining.push(1.0 - error_ratio / budget * elapsed / period);
                ideal.push(1.0 - elapsed / period);
            }
            let name = series_name(&labels);
            let executed = format!("{bad_expr}\n{total_expr}");
            let remaining_config = json!({
                "displayNameFromDS": format!("budget remaining {name}"),
                "unit": "percentunit",
                "decimals": 1,
                "thresholds": budget_thresholds(),
            });
            let ideal_config = json!({
                "displayNameFromDS": format!("ideal {name}"),
                "unit": "percentunit",
                "decimals": 1,
                "custom": {"lineStyle": {"fill": "dash", "dash": [10, 10]}},
            });
            frames.push(frame(
                &name,
                &executed,
                times,
                vec![
                    (
                        "remaining",
                        remaining,
                        field_labels(&labels, Some("remaining")),
                        remaining_config,
                    ),
                    (
                        "ideal",
                        ideal,
                        field_labels(&labels, Some("ideal")),
                        ideal_config,
                    ),
                ],
            )?);
        }
        Ok(frames)
    }

    pub(super) async fn events(&self) -> Result<Vec<Frame>, QueryError> {
        let total = self.selector(&rate_series(SERIES_TOTAL, self.query.window));
        let bad = self.selector(&rate_series(SERIES_BAD, self.query.window));
        let good = format!("{total} - {bad}");
        let (good_series, total_series) =
            futures_util::try_join!(self.series(&good), self.series(&total))?;
        if total_series.is_empty() {
            return self.empty().await;
        }
        let window = window_text(self.query.window);
        let mut frames = Vec::new();
        for (kind, list, expr) in [
            ("good", &good_series, &good),
            ("total", &total_series, &total),
        ] {
            frames.extend(series_frames(list, expr, Some(kind), |name, _| Drawing {
                display: format!("{kind} events/s {window} {name}"),
                config: json!({"unit": "short"}),
            })?);
        }
        Ok(frames)
    }
}

/// The thresholds of budget-remaining fields: red when spent, orange under a quarter left.
pub(super) fn budget_thresholds() -> Value {
    json!({"mode": "absolute", "steps": [
        {"value": null, "color": "red"},
        {"value": 0.0, "color": "orange"},
        {"value": 0.25, "color": "green"},
    ]})
}

/// The labels of a value field: the series' labels without its name (the SLO's identity and its
/// group), and `series="<kind>"` when given. Grafana's alerting tells series apart by these
/// labels alone, so they must differ between any two series of one answer.
pub(super) fn field_labels(labels: &BTreeMap<String, String>, kind: Option<&str>) -> Labels {
    let mut out = strip_name(labels.clone());
    if let Some(kind) = kind {
        out.insert(LABEL_SERIES.to_string(), kind.to_string());
    }
    out
}

fn strip_name(mut labels: BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels.remove("__name__");
    labels
}
