//! Sloth's SLO plugin chains (Sloth 0.12 and later): `slo_plugins` for every SLO of a file
//! (`sloPlugins` in manifests) and `plugins` for one SLO. In Sloth each plugin is Go code that
//! builds or rewrites the generated rules. slokit generates its rules itself, so each plugin Sloth
//! ships is mapped onto what it means in slokit: the core plugins and several contrib ones only do
//! what slokit's generator always does (a warning says so, and why), `info_labels`, `alert_for`
//! and `error_budget_exhausted_alert` become SLO fields, and a chain that leaves Sloth's alert
//! rules out disables alerting, as it does in Sloth. Only plugins slokit cannot know (custom Go
//! code) are errors.

use crate::conventions::{SERIES_INFO, SERIES_TOTAL, SLOW_GROUP_INTERVAL};
use crate::diag::{Diagnostic, Diagnostics};
use crate::load::common;
use crate::load::decode::{backticked, Field, Map};
use crate::load::source::Span;
use std::collections::BTreeMap;

const VALIDATE: &str = "sloth.dev/core/validate/v1";
const SLI_RULES: &str = "sloth.dev/core/sli_rules/v1";
const METADATA_RULES: &str = "sloth.dev/core/metadata_rules/v1";
const ALERT_RULES: &str = "sloth.dev/core/alert_rules/v1";
const NOOP: &str = "sloth.dev/core/noop/v1";
const DEBUG: &str = "sloth.dev/core/debug/v1";
const INFO_LABELS: &str = "sloth.dev/contrib/info_labels/v1";
const RULE_INTERVALS: &str = "sloth.dev/contrib/rule_intervals/v1";
const DENOMINATOR_CORRECTED: &str = "sloth.dev/contrib/denominator_corrected_rules/v1";
const VALIDATE_VICTORIA_METRICS: &str = "sloth.dev/contrib/validate_victoria_metrics/v1";
const ALERT_FOR: &str = "sloth.dev/contrib/alert_for/v1";
const BUDGET_EXHAUSTED_ALERT: &str = "sloth.dev/contrib/error_budget_exhausted_alert/v1";
const REMOVE_LABELS: &str = "sloth.dev/contrib/remove_labels/v1";
const SLI_TOTAL_AMOUNT: &str = "sloth.dev/contrib/sli_total_amount_rules/v1";

/// Every SLO plugin Sloth ships.
const KNOWN: &[&str] = &[
    VALIDATE,
    SLI_RULES,
    METADATA_RULES,
    ALERT_RULES,
    NOOP,
    DEBUG,
    INFO_LABELS,
    RULE_INTERVALS,
    DENOMINATOR_CORRECTED,
    VALIDATE_VICTORIA_METRICS,
    ALERT_FOR,
    BUDGET_EXHAUSTED_ALERT,
    REMOVE_LABELS,
    SLI_TOTAL_AMOUNT,
];

/// What the plugins of a chain change in the SLOs they apply to.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Effects {
    /// `info_labels`: labels for the SLO's info series.
    pub(super) info_labels: BTreeMap<String, String>,
    /// `alert_for`: the page and ticket alerts' `for` is used.
    pub(super) alert_for: bool,
    /// `error_budget_exhausted_alert`: an alert when the budget is spent.
    pub(super) budget_exhausted: bool,
}

impl Effects {
    fn merge(&mut self, later: &Effects) {
        self.info_labels.extend(later.info_labels.clone());
        self.alert_for |= later.alert_for;
        self.budget_exhausted |= later.budget_exhausted;
    }
}

/// One declared chain.
#[derive(Clone, Debug, Default)]
pub(super) struct Chain {
    /// Where `overridePrevious: true` drops the chains before this one (Sloth's default chain,
    /// and the file's chain for an SLO's own).
    override_previous: Option<Span>,
    ids: Vec<String>,
    effects: Effects,
}

/// What an SLO gets from its file's chain and its own.
pub(super) struct Applied {
    pub(super) effects: Effects,
    /// Set when an override left Sloth's alert rules out of the chain: Sloth then writes no
    /// alerts for the SLO. The span is the `overridePrevious` that did it.
    pub(super) alerts_dropped: Option<Span>,
}

/// The chain Sloth runs for an SLO: its default chain, then the file's chain and the SLO's own,
/// each override dropping what came before it.
pub(super) fn apply(file: &Chain, slo: Option<&Chain>) -> Applied {
    let mut chains: Vec<&Chain> = vec![file];
    chains.extend(slo);
    let start = chains
        .iter()
        .rposition(|c| c.override_previous.is_some())
        .unwrap_or(0);
    let used = &chains[start..];
    let mut effects = Effects::default();
    for chain in used {
        effects.merge(&chain.effects);
    }
    let override_span = used.first().and_then(|c| c.override_previous);
    let has_alert_rules = used
        .iter()
        .any(|c| c.ids.iter().any(|id| id == ALERT_RULES));
    Applied {
        effects,
        alerts_dropped: override_span.filter(|_| !has_alert_rules),
    }
}

/// Decodes one chain, reporting what each plugin means in slokit.
pub(super) fn chain(field: &Field<'_>, diags: &mut Diagnostics) -> Chain {
    let mut out = Chain::default();
    let Some(mut map) = field.map(diags) else {
        return out;
    };
    if let Some(f) = map.get("overridePrevious") {
        if f.boolean(diags) == Some(true) {
            out.override_previous = Some(f.span());
        }
    }
    let chain = map.get("chain");
    map.finish_ignoring_unknown("Sloth", diags);
    for item in chain.map(|c| c.list(diags)).unwrap_or_default() {
        let Some(mut plugin) = item.map(diags) else {
            continue;
        };
        let id_field = plugin.required("id", diags);
        if let Some(f) = plugin.get("priority") {
            f.number(diags);
        }
        let config = plugin.get("config");
        plugin.finish_ignoring_unknown("Sloth", diags);
        let Some(id_field) = id_field else {
            continue;
        };
        let Some(id) = id_field.non_empty(diags) else {
            continue;
        };
        let id = id.trim().to_string();
        plugin_meaning(&id, &id_field, config.as_ref(), &mut out.effects, diags);
        out.ids.push(id);
    }
    out
}

/// Reports what plugin `id` means in slokit and records its effect.
fn plugin_meaning(
    id: &str,
    at: &Field<'_>,
    config: Option<&Field<'_>>,
    effects: &mut Effects,
    diags: &mut Diagnostics,
) {
    let not_needed = |why: &str| {
        at.warning(format!("Sloth plugin `{id}` is not needed in slokit"))
            .note(why.to_string())
            .help("remove the plugin from the chain")
    };
    let mut config_map = config.and_then(|c| match c.node.kind {
        crate::load::yaml::NodeKind::Null => None,
        _ => c.map(diags),
    });
    match id {
        VALIDATE | SLI_RULES | METADATA_RULES | ALERT_RULES | NOOP | DEBUG => {
            diags.push(not_needed(
                "slokit's generator validates the SLO and writes the SLI, metadata and alert rules itself",
            ));
            // `sli_rules` may ask for an unoptimised period window, `debug` for a message; slokit's
            // period window is always exact, and it logs nothing.
            if let Some(map) = config_map.as_mut() {
                map.ignore(&["disableOptimized", "msg", "result", "request"]);
            }
        }
        DENOMINATOR_CORRECTED => {
            diags.push(not_needed(
                "slokit's long windows divide summed event rates, so they are already weighted by traffic",
            ));
            if let Some(map) = config_map.as_mut() {
                map.ignore(&["disableOptimized"]);
            }
        }
        REMOVE_LABELS => {
            diags.push(not_needed(
                "slokit never puts an SLO's descriptive labels on its windowed series, so changing a label never resets a window",
            ));
            if let Some(map) = config_map.as_mut() {
                map.ignore(&["preserveLabels", "skipMetrics"]);
            }
        }
        SLI_TOTAL_AMOUNT => {
            diags.push(not_needed(&format!(
                "slokit records every SLO's total event rate over each window (`{SERIES_TOTAL}:*`)"
            )));
        }
        VALIDATE_VICTORIA_METRICS => {
            diags.push(
                at.warning(format!("Sloth plugin `{id}` is not needed in slokit"))
                    .note("slokit checks every query as PromQL, which VictoriaMetrics also runs; MetricsQL-only functions are reported where they are used")
                    .help("remove the plugin from the chain, and write the queries in PromQL"),
            );
        }
        RULE_INTERVALS => {
            if let Some(map) = config_map.as_mut() {
                rule_intervals(map, diags);
            }
            diags.push(
                at.warning(format!("Sloth plugin `{id}` has no effect in slokit"))
                    .note(format!("slokit sets the interval of its rule groups itself: each SLO's fast group runs at the server's evaluation interval, and its slow group, which reads hourly windows, every {SLOW_GROUP_INTERVAL}"))
                    .help("remove the plugin from the chain"),
            );
        }
        INFO_LABELS => {
            if let Some(map) = config_map.as_mut() {
                effects.info_labels.extend(info_labels(at, map, diags));
            } else {
                diags.push(
                    at.error(format!("Sloth plugin `{id}` needs `config.labels`"))
                        .help("add `config: {labels: {name: value}}`"),
                );
            }
        }
        ALERT_FOR => effects.alert_for = true,
        BUDGET_EXHAUSTED_ALERT => {
            effects.budget_exhausted = true;
            if let Some(map) = config_map.as_mut() {
                budget_exhausted_config(map, diags);
            }
        }
        _ => {
            let known_prefix = id.starts_with("sloth.dev/");
            let d = if known_prefix {
                at.error(format!("unknown Sloth plugin `{id}`"))
                    .help_did_you_mean(id, KNOWN.iter().copied(), || {
                        format!("Sloth's SLO plugins are {}", backticked(KNOWN))
                    })
            } else {
                at.error(format!("SLO plugin `{id}` cannot run in slokit"))
                    .note("it is Go code that Sloth runs to rewrite the generated rules, and slokit cannot run Go code")
                    .help("remove it from the chain; slokit's generated rules may already do what it did, see the `slo.dev/v1` format for what an SLO can set")
            };
            diags.push(d);
            // The configuration of a plugin slokit does not know means nothing to it.
            config_map = None;
        }
    }
    if let Some(map) = config_map {
        map.finish_ignoring_unknown("Sloth", diags);
    }
}

/// `info_labels`: `labels` for Sloth's info series, which slokit puts on its own info series
/// (and, as every descriptive label, on the SLO's alerts).
fn info_labels(
    at: &Field<'_>,
    map: &mut Map<'_>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    if let Some(metric) = map.get("metricName") {
        if let Some(name) = metric.string(diags) {
            if name != "sloth_slo_info" {
                diags.push(
                    metric
                        .warning(format!("the labels go on `{SERIES_INFO}`, not on `{name}`"))
                        .note("slokit writes descriptive labels only on its info series and alerts, so that changing one never resets a window")
                        .help("remove `metricName`"),
                );
            }
        }
    }
    let Some(field) = map.get("labels") else {
        diags.push(
            map.missing("labels")
                .help("add `labels: {name: value}`; Sloth requires at least one"),
        );
        return BTreeMap::new();
    };
    let given = field.string_map(diags);
    if given.is_empty() {
        diags.push(
            at.error("`info_labels` needs at least one label, as Sloth requires")
                .help("add labels under `config.labels`, or remove the plugin"),
        );
    }
    let mut out = BTreeMap::new();
    for (name, (value, span)) in given {
        let path = crate::load::decode::join(&field.path, &name);
        let written = label_name(&name);
        if written != name && crate::promql::is_label_name(&written) {
            // Sloth copies the names as written, which only Prometheus 3's UTF-8 names accept.
            // The label is descriptive (it goes on the info series), so writing it the way
            // Prometheus 3 escapes such names for older servers keeps it.
            diags.push(
                Diagnostic::warning(format!("label `{name}` is written `{written}`"))
                    .at(span)
                    .field(&path)
                    .note("label names match `[a-zA-Z_][a-zA-Z0-9_]*` in the Prometheus versions slokit's rules are checked against")
                    .help(format!("rename it to `{written}`")),
            );
        }
        if common::check_label_name(&written, span, &path, diags) {
            out.insert(written, value);
        }
    }
    out
}

/// A label name with every character Prometheus 2 does not allow replaced by `_`.
fn label_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `rule_intervals`: checked, so a mistake is found before the plugin is removed.
fn rule_intervals(map: &mut Map<'_>, diags: &mut Diagnostics) {
    let Some(interval) = map.required("interval", diags) else {
        return;
    };
    let Some(mut interval) = interval.map(diags) else {
        return;
    };
    if let Some(f) = interval.required("default", diags) {
        common::duration(&f, diags);
    }
    for key in ["sliError", "metadata", "alert"] {
        if let Some(f) = interval.get(key) {
            common::duration(&f, diags);
        }
    }
    interval.finish_ignoring_unknown("Sloth", diags);
}

/// `error_budget_exhausted_alert`: slokit's own budget-exhausted alert fires when no budget is
/// left and carries the SLO's alert labels; settings that would make it differ are warned about.
fn budget_exhausted_config(map: &mut Map<'_>, diags: &mut Diagnostics) {
    if let Some(f) = map.get("threshold") {
        if let Some(threshold) = f.number(diags) {
            if threshold != 0.0 {
                diags.push(
                    f.warning(format!(
                        "the budget-exhausted alert fires when no budget is left, not at {}",
                        common::trim_float(threshold)
                    ))
                    .note("slokit's alert compares the remaining budget with 0; the policy steps of an `ErrorBudgetPolicy` act on other thresholds")
                    .help("remove `threshold`, or add a `budgetRemainingBelow` step to the product's error-budget policy"),
                );
            }
        }
    }
    for key in [
        "for",
        "annotations",
        "alert_name",
        "alert_labels",
        "selector_labels",
    ] {
        if let Some(f) = map.get(key) {
            diags.push(
                Diagnostic::warning(format!("`{key}` of the budget-exhausted alert is not used"))
                    .at(f.span())
                    .field(&f.path)
                    .note("slokit names its budget-exhausted alert after the SLO's alert and gives it the SLO's alert labels")
                    .help(format!("remove `{key}`; set labels and annotations under the SLO's `alerting`")),
            );
        }
    }
}
