//! The status table: one row per SLO and group with its objective, SLI, budget, burn rates,
//! alert state, phase, owner, policy action and review status, read in a fixed number of instant
//! queries whatever the number of SLOs, and the one frame that holds the rows.
//!
//! Grafana's alerting cannot read a table of many number columns: it reads a frame without a
//! time field only when it has one number column, and takes each row's labels from the text
//! columns, named after them. So when alerting asks (the `FromAlert` header), the answer is that
//! form instead: the identity and group labels as text columns and the one figure the query names
//! (`alertValue`, the budget remaining unless it says otherwise).

use std::collections::{BTreeMap, BTreeSet};

use grafana_plugin_sdk::data::{Frame, VisType};
use grafana_plugin_sdk::prelude::*;
use serde_json::json;
use slokit_conventions::duration::Duration;
use slokit_conventions::{
    LABEL_OWNER, LABEL_PHASE, LABEL_POLICY_WINDOW, LABEL_PRODUCT, LABEL_REVIEW_DUE, LABEL_SERVICE,
    LABEL_SLO, SERIES_BUDGET_REMAINING, SERIES_INFO, SERIES_OBJECTIVE, SERIES_PERIOD,
    SERIES_POLICY_STEP, SERIES_SLI,
};
use slokit_wire::Sample;

use super::alerts::period_from_seconds;
use super::policy::{
    extra_burn_rates_query, policy_action, read_extra_burn_rates, review_status, tagged_burn_rate,
    tagged_window, ExtraBurnRates, PolicyState,
};
use super::series::budget_thresholds;
use super::{
    config, describe_group, executed_metadata, group_labels, name_regex_selector, no_such_slo,
    Identity, TimeRange, LABEL_SERIES,
};
use crate::query::{QueryError, Selection, SloQuery};
use crate::upstream::Upstream;

/// Prometheus's own series of firing and pending alerts, and its state label. These are
/// Prometheus's names, not slokit's, so they are not in `slokit_conventions`.
pub const ALERTS_SERIES: &str = "ALERTS";
pub const ALERTS_STATE_LABEL: &str = "alertstate";

/// The burn-rate windows the status table shows.
pub const STATUS_BURN_WINDOWS: [Duration; 3] = [
    Duration::from_hours(1),
    Duration::from_hours(6),
    Duration::from_days(3),
];

/// One row of the status table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusRow {
    pub identity: Option<Identity>,
    /// The group described (`route="/a"`), and its labels.
    pub group: String,
    pub group_labels: BTreeMap<String, String>,
    pub display_name: String,
    pub objective: Option<f64>,
    pub period: String,
    pub sli: Option<f64>,
    pub budget_remaining: Option<f64>,
    pub budget_remaining_minutes: Option<f64>,
    pub burn_rates: [Option<f64>; 3],
    pub alert_state: String,
    pub phase: String,
    pub owner: String,
    /// The action of the policy step in force and the step's name, `none`, `no policy`, or
    /// `unknown` when a figure a step needs is missing.
    pub policy_action: String,
    /// `due 2026-12-01 (in 9 days)`, `overdue since 2026-11-01 (21 days)` or `not scheduled`.
    pub review_status: String,
}

/// The status table: two Prometheus queries whatever the number of SLOs (the recorded series,
/// policy steps included, in one; `ALERTS` in the other), plus one when a selected SLO's policy
/// has a burn-rate step over a window the table does not show (every such window in that one
/// query).
pub(super) async fn status(
    upstream: &Upstream,
    query: &SloQuery,
    range: TimeRange,
) -> Result<Vec<Frame>, QueryError> {
    let (rows, executed) = read_status(upstream, &query.selection, range.to).await?;
    if rows.is_empty() {
        return Err(no_such_slo(&query.selection));
    }
    let mut meta = executed_metadata(&executed.join("\n"));
    let frame = if query.from_alert {
        alert_frame(&rows, query.alert_value)?
    } else {
        meta.preferred_visualisation = Some(VisType::Table);
        status_frame(&rows)?
    };
    Ok(vec![frame.with_metadata(meta)])
}

/// The status rows at `time` (Unix seconds), which is also the day review dates are counted from.
pub async fn status_rows(
    upstream: &Upstream,
    selection: &Selection,
    time: f64,
) -> Result<Vec<StatusRow>, QueryError> {
    Ok(read_status(upstream, selection, time).await?.0)
}

/// The status rows at `time`, and the PromQL sent to read them.
async fn read_status(
    upstream: &Upstream,
    selection: &Selection,
    time: f64,
) -> Result<(Vec<StatusRow>, Vec<String>), QueryError> {
    let burn_names: Vec<String> = STATUS_BURN_WINDOWS
        .iter()
        .map(|w| format!("burn rate {w}"))
        .collect();
    let names = [
        SERIES_INFO,
        SERIES_OBJECTIVE,
        SERIES_PERIOD,
        SERIES_SLI,
        SERIES_BUDGET_REMAINING,
        SERIES_POLICY_STEP,
    ];
    let alerts_expr = {
        let matchers = selection.matchers();
        let state = format!("{ALERTS_STATE_LABEL}=~\"firing|pending\"");
        if matchers.is_empty() {
            format!("{ALERTS_SERIES}{{{state}}}")
        } else {
            format!("{ALERTS_SERIES}{{{matchers},{state}}}")
        }
    };
    // The recorded series and the status windows' burn rates (computed, tagged with their
    // window) in one query: `or` keeps a tagged sample, whose labels differ from every recorded
    // series' by the window label.
    let mut parts = vec![name_regex_selector(&names, selection)];
    parts.extend(STATUS_BURN_WINDOWS.iter().map(|window| {
        tagged_burn_rate(*window, |name| {
            format!("{name}{{{}}}", selection.matchers())
        })
    }));
    let series_expr = parts.join(" or ");
    let (samples, alerts) = futures_util::try_join!(
        upstream.instant(&series_expr, time),
        upstream.instant(&alerts_expr, time),
    )?;
    let table = StatusSamples::read(&samples, &burn_names);
    let needed = table.extra_windows();
    let mut executed = vec![series_expr, alerts_expr];
    let extra = match extra_burn_rates_query(&needed, selection) {
        Some(expr) => {
            let extra = read_extra_burn_rates(&upstream.instant(&expr, time).await?);
            executed.push(expr);
            extra
        }
        None => BTreeMap::new(),
    };
    Ok((table.rows(&alerts, &extra, time), executed))
}

/// One SLO and one value combination of its grouping labels.
pub(super) type SeriesKey = (Identity, BTreeMap<String, String>);

/// The answer of the status table's main query, sorted by kind. Its policy side (each SLO's
/// policy, the windows and figures it needs) is in `policy.rs`.
pub(super) struct StatusSamples<'a> {
    pub(super) burn_names: &'a [String],
    pub(super) info: BTreeMap<Identity, &'a BTreeMap<String, String>>,
    pub(super) constants: BTreeMap<Identity, BTreeMap<&'static str, f64>>,
    pub(super) windowed: BTreeMap<SeriesKey, BTreeMap<&'a str, f64>>,
    pub(super) steps: BTreeMap<Identity, Vec<&'a Sample>>,
}

impl<'a> StatusSamples<'a> {
    fn read(samples: &'a [Sample], burn_names: &'a [String]) -> StatusSamples<'a> {
        let mut table = StatusSamples {
            burn_names,
            info: BTreeMap::new(),
            constants: BTreeMap::new(),
            windowed: BTreeMap::new(),
            steps: BTreeMap::new(),
        };
        let constant_names = [SERIES_OBJECTIVE, SERIES_PERIOD];
        for sample in samples {
            let name = sample
                .labels
                .get("__name__")
                .map(String::as_str)
                .unwrap_or("");
            let identity = Identity::of(&sample.labels);
            if name == SERIES_INFO {
                table.info.insert(identity, &sample.labels);
            } else if name == SERIES_POLICY_STEP {
                table.steps.entry(identity).or_default().push(sample);
            } else if let Some(constant) = constant_names.into_iter().find(|n| *n == name) {
                table
                    .constants
                    .entry(identity)
                    .or_default()
                    .insert(constant, sample.value);
            } else {
                let mut group = group_labels(&sample.labels);
                let name = match tagged_window(sample) {
                    Some(window) => {
                        group.remove(LABEL_POLICY_WINDOW);
                        STATUS_BURN_WINDOWS
                            .iter()
                            .position(|w| *w == window)
                            .map(|index| burn_names[index].as_str())
                    }
                    None => [SERIES_SLI, SERIES_BUDGET_REMAINING]
                        .into_iter()
                        .find(|n| *n == name),
                };
                let key = (identity, group);
                if let Some(name) = name {
                    table
                        .windowed
                        .entry(key)
                        .or_default()
                        .insert(name, sample.value);
                }
            }
        }
        table
    }

    fn constant(&self, identity: &Identity, name: &str) -> Option<f64> {
        self.constants
            .get(identity)
            .and_then(|c| c.get(name))
            .copied()
    }

    pub(super) fn period(&self, identity: &Identity) -> Option<Duration> {
        self.constant(identity, SERIES_PERIOD)
            .and_then(period_from_seconds)
    }
    /// One row per SLO and group; every SLO with an info series gets a row, even before its
    /// windows have data.
    fn rows(&self, alerts: &[Sample], extra: &ExtraBurnRates, time: f64) -> Vec<StatusRow> {
        let mut keys: BTreeSet<SeriesKey> = self.windowed.keys().cloned().collect();
        for identity in self.info.keys() {
            if !keys.iter().any(|(i, _)| i == identity) {
                keys.insert((identity.clone(), BTreeMap::new()));
            }
        }
        let mut rows = Vec::new();
        for key in keys {
            let (identity, group) = &key;
            let values = self.windowed.get(&key);
            let get = |name: &str| values.and_then(|v| v.get(name)).copied();
            let labels = self.info.get(identity);
            let label = |name: &str| {
                labels
                    .and_then(|l| l.get(name))
                    .cloned()
                    .unwrap_or_default()
            };
            let budget_remaining = get(SERIES_BUDGET_REMAINING);
            let budget_minutes = match (
                budget_remaining,
                self.constant(identity, SERIES_OBJECTIVE).map(|o| 1.0 - o),
                self.constant(identity, SERIES_PERIOD),
            ) {
                (Some(r), Some(b), Some(p)) => Some(r * b * p / 60.0),
                _ => None,
            };
            let policy_action = match self.policy(identity) {
                PolicyState::None => "no policy".to_string(),
                PolicyState::Unreadable => "unknown".to_string(),
                PolicyState::Policy(policy) => {
                    policy_action(&policy, &self.figures(&key, &policy, extra))
                }
            };
            let review_due = label(LABEL_REVIEW_DUE);
            rows.push(StatusRow {
                display_name: label(slokit_conventions::LABEL_DISPLAY_NAME),
                group: describe_group(group),
                group_labels: group.clone(),
                objective: self.constant(identity, SERIES_OBJECTIVE),
                period: self
                    .period(identity)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                sli: get(SERIES_SLI),
                budget_remaining,
                budget_remaining_minutes: budget_minutes,
                burn_rates: [
                    get(&self.burn_names[0]),
                    get(&self.burn_names[1]),
                    get(&self.burn_names[2]),
                ],
                alert_state: alert_state(alerts, identity, group),
                phase: label(LABEL_PHASE),
                owner: label(LABEL_OWNER),
                policy_action,
                review_status: review_status(
                    Some(review_due.as_str()).filter(|d| !d.is_empty()),
                    time,
                ),
                identity: Some(identity.clone()),
            });
        }
        rows
    }
}

/// `firing (page)`, `pending (ticket)` or `ok`, from the alerts of one SLO and group.
fn alert_state(alerts: &[Sample], identity: &Identity, group: &BTreeMap<String, String>) -> String {
    let mut firing = BTreeSet::new();
    let mut pending = BTreeSet::new();
    for alert in alerts {
        if Identity::of(&alert.labels) != *identity {
            continue;
        }
        // An alert about the whole SLO (no-data) has no group labels and applies to every group.
        if group
            .iter()
            .any(|(k, v)| alert.labels.get(k).is_some_and(|a| a != v))
        {
            continue;
        }
        let severity = alert
            .labels
            .get(slokit_conventions::LABEL_SEVERITY)
            .cloned()
            .unwrap_or_default();
        match alert.labels.get(ALERTS_STATE_LABEL).map(String::as_str) {
            Some("firing") => firing.insert(severity),
            Some("pending") => pending.insert(severity),
            _ => false,
        };
    }
    let describe = |state: &str, severities: &BTreeSet<String>| {
        let list: Vec<&str> = severities
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if list.is_empty() {
            state.to_string()
        } else {
            format!("{state} ({})", list.join(", "))
        }
    };
    if !firing.is_empty() {
        describe("firing", &firing)
    } else if !pending.is_empty() {
        describe("pending", &pending)
    } else {
        "ok".into()
    }
}

/// One figure of a row by its [`ALERT_VALUES`](crate::query::ALERT_VALUES) name.
fn alert_value(row: &StatusRow, name: &str) -> Option<f64> {
    match name {
        "budget_remaining" => row.budget_remaining,
        "budget_remaining_minutes" => row.budget_remaining_minutes,
        "sli" => row.sli,
        "objective" => row.objective,
        "burn_rate_1h" => row.burn_rates[0],
        "burn_rate_6h" => row.burn_rates[1],
        "burn_rate_3d" => row.burn_rates[2],
        _ => None,
    }
}

/// The status as Grafana's alerting reads a table: a text column per label (the identity, every
/// group label of any row, empty where a row has no such label, and `series` naming the figure)
/// and one number column, `value`, holding the figure `value_name` of each row.
fn alert_frame(rows: &[StatusRow], value_name: &str) -> Result<Frame, QueryError> {
    let group_names: BTreeSet<&String> = rows.iter().flat_map(|r| r.group_labels.keys()).collect();
    let identity = |f: fn(&Identity) -> &String| {
        rows.iter()
            .map(|r| r.identity.as_ref().map(f).cloned().unwrap_or_default())
            .collect::<Vec<String>>()
    };
    let mut frame = Frame::new("status")
        .with_field(identity(|i| &i.product).into_field(LABEL_PRODUCT))
        .with_field(identity(|i| &i.service).into_field(LABEL_SERVICE))
        .with_field(identity(|i| &i.slo).into_field(LABEL_SLO));
    for name in group_names {
        let values: Vec<String> = rows
            .iter()
            .map(|r| r.group_labels.get(name).cloned().unwrap_or_default())
            .collect();
        frame = frame.with_field(values.into_field(name));
    }
    let series: Vec<&str> = rows.iter().map(|_| value_name).collect();
    Ok(frame
        .with_field(series.into_field(LABEL_SERIES))
        .with_field(
            rows.iter()
                .map(|r| alert_value(r, value_name))
                .collect::<Vec<_>>()
                .into_opt_field("value")
                .with_config(config(json!({"displayNameFromDS": value_name}))?),
        ))
}

fn status_frame(rows: &[StatusRow]) -> Result<Frame, QueryError> {
    let text = |f: &dyn Fn(&StatusRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let number = |f: &dyn Fn(&StatusRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
    let unit = |display: &str, unit: &str| {
        config(json!({"displayNameFromDS": display, "unit": unit, "decimals": 3}))
    };
    let identity = |f: fn(&Identity) -> &String| {
        text(&|r: &StatusRow| r.identity.as_ref().map(f).cloned().unwrap_or_default())
    };
    let mut frame = Frame::new("status")
        .with_field(identity(|i| &i.product).into_field("product"))
        .with_field(identity(|i| &i.service).into_field("service"))
        .with_field(identity(|i| &i.slo).into_field("slo"))
        .with_field(text(&|r| r.group.clone()).into_field("group"))
        .with_field(text(&|r| r.display_name.clone()).into_field("display name"))
        .with_field(
            number(&|r| r.objective)
                .into_opt_field("objective")
                .with_config(unit("objective", "percentunit")?),
        )
        .with_field(text(&|r| r.period.clone()).into_field("period"))
        .with_field(
            number(&|r| r.sli)
                .into_opt_field("sli")
                .with_config(unit("SLI", "percentunit")?),
        )
        .with_field(
            number(&|r| r.budget_remaining)
                .into_opt_field("budget remaining")
                .with_config(config(json!({
                    "displayNameFromDS": "budget remaining",
                    "unit": "percentunit",
                    "decimals": 1,
                    "thresholds": budget_thresholds(),
                }))?),
        )
        .with_field(
            number(&|r| r.budget_remaining_minutes)
                .into_opt_field("budget remaining minutes")
                .with_config(unit("budget remaining (minutes)", "m")?),
        );
    for (index, window) in STATUS_BURN_WINDOWS.iter().enumerate() {
        let name = format!("burn rate {window}");
        frame = frame.with_field(
            number(&|r| r.burn_rates[index])
                .into_opt_field(&name)
                .with_config(unit(&name, "none")?),
        );
    }
    Ok(frame
        .with_field(text(&|r| r.alert_state.clone()).into_field("alert state"))
        .with_field(text(&|r| r.phase.clone()).into_field("phase"))
        .with_field(text(&|r| r.owner.clone()).into_field("owner"))
        .with_field(text(&|r| r.policy_action.clone()).into_field("policy action"))
        .with_field(text(&|r| r.review_status.clone()).into_field("review status")))
}
