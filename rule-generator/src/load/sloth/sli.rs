//! A Sloth SLO's `sli`: `events` (an error query and a total query), `raw` (an error-ratio query)
//! or `plugin`. Built-in plugins ([`super::sli_plugins`]) become model indicators; any other
//! plugin is Go code slokit cannot run, which is an error that shows the `slo.dev/v1` template
//! that would replace it ([`super::stub`]).
//!
//! Sloth computes an SLI per label set its queries keep: `sum(...) by (request_host)` in both
//! queries gives one error ratio, and one alert, per host. slokit reads that grouping from the
//! queries and makes the SLO grouped by the same labels, so the rules keep those labels and an
//! alert annotation such as `{{$labels.request_host}}` still has a value.

use super::key;
use super::sli_plugins::{self, OptionValue, Options};
use super::stub::{self, CustomPlugin};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::common;
use crate::load::decode::{backticked, Field};
use crate::load::yaml::NodeKind;
use crate::model::{Counted, EventSource, Indicator, RatioIndicator, WindowQuery};
use crate::promql;
use promql_parser::label::Labels;
use promql_parser::parser::{Expr, LabelModifier};

/// What an `sli` decodes to.
pub(super) enum Sli {
    Indicator {
        indicator: Indicator,
        /// The labels the queries keep, as the SLO's grouping.
        group_by: Vec<String>,
    },
    /// A plugin slokit does not ship.
    Custom(CustomPlugin),
}

/// `sli`: exactly one of `events`, `raw` and `plugin`. `objective` (a ratio) is what
/// `sloth-common/fake` reads.
pub(super) fn sli(
    field: &Field<'_>,
    kube: bool,
    objective: Option<f64>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
    let mut map = field.map(diags)?;
    let events = map.get("events");
    let raw = map.get("raw");
    let plugin = map.get("plugin");
    let stray_id = map.has("id");
    map.finish_ignoring_unknown("Sloth", diags);
    let given: Vec<&Field<'_>> = [&events, &raw, &plugin].into_iter().flatten().collect();
    match given.len() {
        0 => {
            diags.push(
                field
                    .error("`sli` must define one of `events`, `raw` or `plugin`")
                    .help(format!(
                        "add `events:` with `{}` and `{}`",
                        key(kube, "error_query", "errorQuery"),
                        key(kube, "total_query", "totalQuery")
                    )),
            );
            return None;
        }
        1 => {}
        _ => {
            diags.push(
                field
                    .error("`sli` defines more than one of `events`, `raw` and `plugin`")
                    .help("keep exactly one"),
            );
            return None;
        }
    }
    if let Some(events) = events {
        return events_sli(&events, kube, diags);
    }
    if let Some(raw) = raw {
        return raw_sli(&raw, kube, diags);
    }
    plugin_sli(&plugin?, stray_id, objective, diags)
}

fn events_sli(events: &Field<'_>, kube: bool, diags: &mut Diagnostics) -> Option<Sli> {
    let mut map = events.map(diags)?;
    let error = map.required(key(kube, "error_query", "errorQuery"), diags);
    let total = map.required(key(kube, "total_query", "totalQuery"), diags);
    map.finish_ignoring_unknown("Sloth", diags);
    let (error_field, total_field) = (error?, total?);
    let error = common::window_query(&error_field, diags);
    let total = common::window_query(&total_field, diags);
    let (error, total) = (error?, total?);
    let group_by = match (grouping(&error), grouping(&total)) {
        (Some(a), Some(b)) if a == b => a,
        (Some(a), Some(b)) if !a.is_empty() || !b.is_empty() => {
            diags.push(
                events
                    .warning("the error and total queries keep different labels, so the SLI is computed over all of them together")
                    .note(format!(
                        "the error query is summed by ({}) and the total query by ({})",
                        a.join(", "),
                        b.join(", ")
                    ))
                    .help("aggregate both queries by the same labels to get one SLI per label set"),
            );
            Vec::new()
        }
        _ => Vec::new(),
    };
    Some(Sli::Indicator {
        indicator: Indicator::Ratio(RatioIndicator {
            counts: Counted::Bad,
            numerator: EventSource::Query(error),
            total: EventSource::Query(total),
        }),
        group_by,
    })
}

fn raw_sli(raw: &Field<'_>, kube: bool, diags: &mut Diagnostics) -> Option<Sli> {
    let mut map = raw.map(diags)?;
    let query = map.required(key(kube, "error_ratio_query", "errorRatioQuery"), diags);
    map.finish_ignoring_unknown("Sloth", diags);
    let error_ratio = common::window_query(&query?, diags)?;
    diags.push(
        raw.warning("a `raw` SLI's long windows are averages of its 5m ratios, not exact ratios")
            .note("an average of ratios weighs a quiet minute as much as a busy one, so long windows drift from the true error ratio when traffic is uneven")
            .help(format!(
                "if the ratio comes from two counters, use `events` with `{}` and `{}` instead",
                key(kube, "error_query", "errorQuery"),
                key(kube, "total_query", "totalQuery")
            )),
    );
    let group_by = grouping(&error_ratio).unwrap_or_default();
    Some(Sli::Indicator {
        indicator: Indicator::Raw { error_ratio },
        group_by,
    })
}

fn plugin_sli(
    plugin: &Field<'_>,
    stray_id: bool,
    objective: Option<f64>,
    diags: &mut Diagnostics,
) -> Option<Sli> {
    if matches!(plugin.node.kind, NodeKind::Null) {
        let help = if stray_id {
            "`id` is next to `plugin:` instead of under it; indent `id` (and `options`) below `plugin:`"
        } else {
            "add `id:` (and `options:`) under `plugin:`"
        };
        diags.push(plugin.error("`plugin` is empty").help(help));
        return None;
    }
    let mut map = plugin.map(diags)?;
    let id_field = map.required("id", diags);
    let options_field = map.get("options");
    map.finish_ignoring_unknown("Sloth", diags);
    let given = options_field
        .as_ref()
        .map(|f| option_values(f, diags))
        .unwrap_or_default();
    let id_field = id_field?;
    let id = id_field.non_empty(diags)?.trim().to_string();
    let Some(builtin) = sli_plugins::find(&id) else {
        let known = sli_plugins::PLUGINS.iter().map(|p| p.id);
        if let Some(close) = did_you_mean(&id, known) {
            diags.push(
                id_field
                    .error(format!("unknown SLI plugin `{id}`"))
                    .help(format!("did you mean `{close}`?")),
            );
            return None;
        }
        return Some(Sli::Custom(stub::custom_plugin(
            &id, &id_field, given, diags,
        )));
    };
    for option in &given {
        if !builtin.options.contains(&option.name.as_str()) {
            diags.push(ignored_option(builtin, option));
        }
    }
    let options = Options {
        plugin: builtin.id,
        // A missing option is reported where the options are, or at the plugin without any.
        at: options_field.as_ref().unwrap_or(plugin),
        given,
        objective,
    };
    let indicator = (builtin.build)(&options, diags)?;
    Some(Sli::Indicator {
        indicator,
        group_by: Vec::new(),
    })
}

/// The warning for an option `plugin` does not read: the plugin ignores it, and so does slokit.
/// The hint names a close option of this plugin, or else the plugin with the closest id that reads
/// the option (a spec that names the v1 plugin with v2's options, say).
fn ignored_option(plugin: &sli_plugins::Plugin, option: &OptionValue<'_>) -> Diagnostic {
    let name = option.name.as_str();
    let reads = if plugin.options.is_empty() {
        "it reads no options".to_string()
    } else {
        format!("it reads {}", backticked(plugin.options))
    };
    let readers: Vec<&str> = sli_plugins::PLUGINS
        .iter()
        .filter(|p| p.options.contains(&name))
        .map(|p| p.id)
        .collect();
    let help = if let Some(close) = did_you_mean(name, plugin.options.iter().copied()) {
        format!("did you mean `{close}`?")
    } else if let Some(other) = closest_id(plugin.id, &readers) {
        format!("did you mean the plugin `{other}`, which reads it?")
    } else {
        "remove the option, or check the plugin id".to_string()
    };
    Diagnostic::warning(format!(
        "option `{name}` is ignored: SLI plugin `{}` does not read it",
        plugin.id
    ))
    .at(option.key_span)
    .field(&option.field.path)
    .note(reads)
    .help(help)
}

/// The id among `ids` that shares the longest prefix with `id`.
fn closest_id<'a>(id: &str, ids: &[&'a str]) -> Option<&'a str> {
    ids.iter()
        .max_by_key(|other| {
            id.chars()
                .zip(other.chars())
                .take_while(|(a, b)| a == b)
                .count()
        })
        .copied()
}

/// The plugin's options as text: Sloth's options are a map of strings, so an unquoted number or
/// boolean is taken as written.
fn option_values<'a>(field: &Field<'a>, diags: &mut Diagnostics) -> Vec<OptionValue<'a>> {
    let entries = match &field.node.kind {
        NodeKind::Map(entries) => entries,
        NodeKind::Null => return Vec::new(),
        _ => {
            diags.push(field.error(format!(
                "expected a mapping of option names to values, found a {}",
                field.node.type_name()
            )));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let value_field = Field::new(value, crate::load::decode::join(&field.path, &key.name));
        let text = match &value.kind {
            NodeKind::Scalar(s) => s.text.clone(),
            NodeKind::Null => String::new(),
            _ => {
                diags.push(value_field.error(format!(
                    "option `{}` must be a string, found a {}",
                    key.name,
                    value.type_name()
                )));
                continue;
            }
        };
        out.push(OptionValue {
            name: key.name.clone(),
            text,
            field: value_field,
            key_span: key.span,
        });
    }
    out
}

/// The labels a query's result keeps when it is aggregated: `Some(labels)` for `sum by (a, b)`
/// (also through parentheses, arithmetic with numbers or with a side aggregated alike, and
/// `clamp_*`), `Some([])` for an aggregation without `by`, `None` when it cannot tell.
pub(super) fn grouping(query: &WindowQuery) -> Option<Vec<String>> {
    let filled = promql::fill_window(
        &query.template,
        &crate::conventions::BASE_WINDOW.to_string(),
    );
    let expr = promql::parse(&filled).ok()?;
    expr_grouping(&expr)
}

fn expr_grouping(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::Aggregate(aggregate) => match &aggregate.modifier {
            // `topk` and friends keep their input's labels; `count_values` adds one.
            _ if keeps_input_labels(aggregate) => None,
            None => Some(Vec::new()),
            Some(LabelModifier::Include(Labels { labels })) => Some(labels.clone()),
            Some(LabelModifier::Exclude(_)) => None,
        },
        Expr::Paren(paren) => expr_grouping(&paren.expr),
        Expr::Binary(binary) => {
            let number = |e: &Expr| matches!(e, Expr::NumberLiteral(_));
            match (number(&binary.lhs), number(&binary.rhs)) {
                (true, _) => expr_grouping(&binary.rhs),
                (_, true) => expr_grouping(&binary.lhs),
                _ => {
                    let left = expr_grouping(&binary.lhs)?;
                    let right = expr_grouping(&binary.rhs)?;
                    (left == right).then_some(left)
                }
            }
        }
        Expr::Call(call)
            if matches!(
                call.func.name,
                "clamp_min" | "clamp_max" | "clamp" | "abs" | "round" | "ceil" | "floor"
            ) =>
        {
            call.args.args.first().and_then(|a| expr_grouping(a))
        }
        _ => None,
    }
}

fn keeps_input_labels(aggregate: &promql_parser::parser::AggregateExpr) -> bool {
    matches!(
        aggregate.op.to_string().as_str(),
        "topk" | "bottomk" | "limitk" | "limit_ratio" | "count_values"
    )
}
