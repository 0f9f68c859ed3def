//! Decoding helpers shared by every spec format: objectives, durations, labels, PromQL queries and
//! the default alert tiers. Keeping them here means a rule such as "a 100% objective is rejected"
//! reads the same whichever format the user wrote.

use crate::conventions::{default_windows, RESERVED_LABELS};
use crate::diag::{Diagnostic, Diagnostics};
use crate::duration::Duration;
use crate::load::decode::{Field, Map};
use crate::load::source::Span;
use crate::model::{AlertTier, Alerting, BurnWindow, WindowQuery};
use crate::promql;
use std::collections::BTreeMap;

/// An objective written as a ratio, strictly between 0 and 1.
pub fn objective_ratio(field: &Field<'_>, diags: &mut Diagnostics) -> Option<f64> {
    let value = field.number(diags)?;
    if value > 1.0 && value < 100.0 {
        diags.push(
            field
                .error(format!(
                    "target `{value}` looks like a percentage; targets are ratios between 0 and 1"
                ))
                .help(format!("did you mean `{}`?", trim_float(value / 100.0))),
        );
        return None;
    }
    check_objective(field, value, 1.0, diags)
}

/// An objective written as a percentage, as Sloth and OpenSLO's `targetPercent` do.
pub fn objective_percent(field: &Field<'_>, diags: &mut Diagnostics) -> Option<f64> {
    let value = field.number(diags)?;
    // `99.9 / 100.0` is 0.9990000000000001; rounding to 12 decimals gives the double a user who
    // wrote `target: 0.999` gets, so both spellings compare, print and convert alike.
    let ratio = (value / 100.0 * 1e12).round() / 1e12;
    check_objective(field, ratio, 100.0, diags)
}

fn check_objective(
    field: &Field<'_>,
    ratio: f64,
    scale: f64,
    diags: &mut Diagnostics,
) -> Option<f64> {
    let written = trim_float(ratio * scale);
    if ratio == 1.0 {
        diags.push(
            field.error(format!("objective `{written}` is 100%, which leaves no error budget"))
                .note("burn rates divide by the error budget, so a 100% objective makes every alert and budget series infinite")
                .help(if scale == 1.0 { "use a target below 1, such as `0.9999`" } else { "use an objective below 100, such as `99.99`" }),
        );
        return None;
    }
    if !(ratio > 0.0 && ratio < 1.0) {
        let range = if scale == 1.0 {
            "between 0 and 1 (exclusive)"
        } else {
            "between 0 and 100 (exclusive)"
        };
        diags.push(field.error(format!(
            "objective `{written}` is out of range; it must be {range}"
        )));
        return None;
    }
    Some(ratio)
}

/// Prints a float without trailing noise: `0.999`, `99.9`, `14.4`.
pub fn trim_float(value: f64) -> String {
    let text = format!("{:.10}", value);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

pub fn duration(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Duration> {
    let text = field.string(diags)?;
    match Duration::parse(&text) {
        Ok(d) => Some(d),
        Err(e) => {
            diags.push(
                field
                    .error(format!("invalid duration: {e}"))
                    .help("use Prometheus duration syntax such as `5m`, `1h`, `30d`"),
            );
            None
        }
    }
}

/// Checks a label name: valid Prometheus syntax and not one the generator owns.
pub fn check_label_name(name: &str, span: Span, path: &str, diags: &mut Diagnostics) -> bool {
    if !promql::is_label_name(name) {
        diags.push(
            Diagnostic::error(format!("`{name}` is not a valid label name"))
                .at(span)
                .field(path)
                .help("label names match `[a-zA-Z_][a-zA-Z0-9_]*` and may not start with `__`"),
        );
        return false;
    }
    if RESERVED_LABELS.contains(&name) {
        diags.push(
            Diagnostic::error(format!("label `{name}` is reserved"))
                .at(span)
                .field(path)
                .note("slokit sets this label itself on every series and alert it generates")
                .help("choose another label name"),
        );
        return false;
    }
    true
}

/// A mapping of label names to values. Values may hold any text; names are checked.
pub fn labels(field: &Field<'_>, diags: &mut Diagnostics) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, (value, span)) in field.string_map(diags) {
        let path = crate::load::decode::join(&field.path, &name);
        if check_label_name(&name, span, &path, diags) {
            out.insert(name, value);
        }
    }
    out
}

/// Annotations: any key is allowed (Prometheus does not restrict annotation names in practice).
/// The labels under `key` of a mapping, checked; none when the key is absent.
pub fn optional_labels(
    map: &mut Map<'_>,
    key: &'static str,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    map.get(key).map(|f| labels(&f, diags)).unwrap_or_default()
}

/// The annotations under `key` of a mapping, checked; none when the key is absent.
pub fn optional_annotations(
    map: &mut Map<'_>,
    key: &'static str,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    map.get(key)
        .map(|f| annotations(&f, diags))
        .unwrap_or_default()
}

pub fn annotations(field: &Field<'_>, diags: &mut Diagnostics) -> BTreeMap<String, String> {
    field
        .string_map(diags)
        .into_iter()
        .map(|(k, (v, _))| (k, v))
        .collect()
}

/// A PromQL query with an optional `{{.window}}` placeholder. It must parse once the placeholder is
/// filled with the base window.
pub fn window_query(field: &Field<'_>, diags: &mut Diagnostics) -> Option<WindowQuery> {
    let template = field.non_empty(diags)?;
    let filled = promql::fill_window(&template, &crate::conventions::BASE_WINDOW.to_string());
    if let Err(e) = promql::parse(&filled) {
        diags.push(
            field
                .error(format!("invalid PromQL: {e}"))
                .note(format!("the query as parsed: {}", filled.trim())),
        );
        return None;
    }
    Some(WindowQuery {
        template: template.trim().to_string(),
    })
}

/// The default multi-window multi-burn-rate tiers for `period`
/// ([`crate::conventions::default_windows`]), one alert per severity.
pub fn default_tiers(period: Duration) -> Vec<AlertTier> {
    let mut tiers: Vec<AlertTier> = Vec::new();
    for row in default_windows(period) {
        let window = BurnWindow {
            long: row.long,
            short: row.short,
            factor: row.factor,
        };
        match tiers.iter_mut().find(|t| t.severity == row.severity) {
            Some(tier) => tier.windows.push(window),
            None => tiers.push(AlertTier {
                severity: row.severity.to_string(),
                windows: vec![window],
                labels: BTreeMap::new(),
                annotations: BTreeMap::new(),
            }),
        }
    }
    tiers
}

/// An alert's `for:` duration. `0s` (or `0m`...) is valid in Prometheus and means what no `for:`
/// means, fire at once, so it reads as none.
pub fn for_duration(field: &Field<'_>, diags: &mut Diagnostics) -> Option<Duration> {
    let text = field.string(diags)?;
    let zero = text
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic());
    if !zero.is_empty() && zero.chars().all(|c| c == '0') && Duration::parse(&text).is_err() {
        return None;
    }
    duration(field, diags)
}

/// Alerting on the default tiers for `period` and nothing else, what an SLO gets when its spec
/// says nothing about alerts.
pub fn default_alerting(period: Duration) -> Alerting {
    Alerting::with_tiers(default_tiers(period))
}

/// Warns about windows that can never fire: a burn rate of `factor` needs an error ratio of
/// `factor * (1 - objective)`, which cannot exceed 1.
pub fn check_tiers(
    tiers: &[AlertTier],
    objective: f64,
    span: Span,
    path: &str,
    diags: &mut Diagnostics,
) {
    for tier in tiers {
        for window in &tier.windows {
            let needed = window.factor * (1.0 - objective);
            if needed >= 1.0 {
                diags.push(
                    Diagnostic::warning(format!(
                        "the `{}` alert over {}/{} can never fire: a burn rate of {} needs an error ratio of {}, above 100%",
                        tier.severity,
                        window.long,
                        window.short,
                        trim_float(window.factor),
                        trim_float(needed)
                    ))
                    .at(span)
                    .field(path)
                    .help(format!("lower the burn rate below {}", trim_float(1.0 / (1.0 - objective)))),
                );
            }
        }
    }
}

/// A name used in file names and uids: letters, digits, `.`, `_` and `-`, at most 63 characters.
pub fn check_file_safe_name(
    field: &Field<'_>,
    name: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> bool {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        diags.push(
            field.error(format!("{what} name `{}` cannot be used in file names", name.escape_debug()))
                .help("use letters, digits, `.`, `_` and `-` (at most 63 characters), starting with a letter or digit"),
        );
    }
    ok
}
