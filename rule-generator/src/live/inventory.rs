//! `slo inventory`: the SLOs a live Prometheus already evaluates, recognised from its rules
//! (`/api/v1/rules`) by the names and labels of the tools that generated them: Sloth (`slo:*`
//! series with `sloth_*` labels), Pyrra (`<metric>:burnrate<window>` with an `slo` label and its
//! `pyrra_*` generic rules) and slokit (`slokit:*` with `slokit_*` labels). The names come from
//! `conventions` (`legacy.rs` for Sloth and Pyrra), the ones `slo compare` reads.
//!
//! Pure: rule groups in, a table or `slo.dev/v1` specs out. What the rules do not say (the SLI as
//! its author wrote it, a period or objective Pyrra left out of its rules) becomes a `TODO`
//! comment beside the SLO, naming the rule group and file it was read from, never a silent guess.

use crate::conventions;
use crate::conventions::legacy::*;
use crate::duration::Duration;
use crate::model::{Indicator, Origin, Slo, SpecFormat, WindowQuery};
use slokit_wire::{Rule, RuleGroup};
use std::collections::BTreeMap;

/// The tool that generated an SLO's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    Slokit,
    Sloth,
    Pyrra,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Slokit => "slokit",
            Tool::Sloth => "sloth",
            Tool::Pyrra => "pyrra",
        }
    }
}

/// One SLO found in the rules.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub slo: String,
    pub service: String,
    pub objective: Option<f64>,
    pub period: Option<Duration>,
    pub tool: Tool,
    /// The rule group and file the SLO's defining rule is in.
    pub group: String,
    pub file: String,
    /// Whether any alerting rule reads the SLO's series.
    pub alerting: bool,
    /// The SLO's error ratio over 5m as its rules compute it, when they do, with the rule group
    /// and file it was read from.
    pub error_ratio_5m: Option<(String, String, String)>,
}

/// Every rule with its group, flattened once.
fn all_rules(groups: &[RuleGroup]) -> Vec<(&RuleGroup, &Rule)> {
    groups
        .iter()
        .flat_map(|g| g.rules.iter().map(move |r| (g, r)))
        .collect()
}

/// `vector(0.999)`, `0.999` or `'0.999'` as a number. Sloth writes objectives through a float
/// (`0.9990000000000001`), so the value is rounded to 12 decimals as the loaders round.
fn constant(query: &str) -> Option<f64> {
    let text = query.trim().trim_matches('\'');
    let inner = text
        .strip_prefix("vector(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(text);
    let value: f64 = inner.trim().parse().ok()?;
    value.is_finite().then_some((value * 1e12).round() / 1e12)
}

/// The SLOs in `groups`, sorted by service, SLO and tool.
pub fn recognise(groups: &[RuleGroup]) -> Vec<Found> {
    let rules = all_rules(groups);
    let mut found = Vec::new();
    found.extend(sloth(&rules));
    found.extend(pyrra(&rules));
    found.extend(slokit(&rules));
    found.sort_by(|a, b| (&a.service, &a.slo, a.tool).cmp(&(&b.service, &b.slo, b.tool)));
    found
}

fn sloth(rules: &[(&RuleGroup, &Rule)]) -> Vec<Found> {
    let mut out = Vec::new();
    for (group, rule) in rules {
        if rule.alerting || rule.name != SLOTH_OBJECTIVE {
            continue;
        }
        let (Some(service), Some(slo)) = (
            rule.labels.get(SLOTH_LABEL_SERVICE),
            rule.labels.get(SLOTH_LABEL_SLO),
        ) else {
            continue;
        };
        let id = rule
            .labels
            .get(SLOTH_LABEL_ID)
            .cloned()
            .unwrap_or_else(|| format!("{service}-{slo}"));
        let same = |r: &Rule| {
            r.labels.get(SLOTH_LABEL_SERVICE) == Some(service)
                && r.labels.get(SLOTH_LABEL_SLO) == Some(slo)
        };
        let recorded = |name: &str| {
            rules
                .iter()
                .find(|(_, r)| !r.alerting && r.name == name && same(r))
                .map(|(g, r)| (r.query.clone(), g.name.clone(), g.file.clone()))
        };
        let period = recorded(SLOTH_PERIOD_DAYS)
            .map(|(q, _, _)| q)
            .and_then(|q| constant(&q))
            .filter(|d| *d >= 1.0 && d.fract() == 0.0)
            .map(|d| Duration::from_days(d as u64));
        let id_matcher = format!("{SLOTH_LABEL_ID}=\"{id}\"");
        out.push(Found {
            slo: slo.clone(),
            service: service.clone(),
            objective: constant(&rule.query),
            period,
            tool: Tool::Sloth,
            group: group.name.clone(),
            file: group.file.clone(),
            alerting: rules
                .iter()
                .any(|(_, r)| r.alerting && r.query.contains(&id_matcher)),
            error_ratio_5m: recorded(&sloth_error_ratio("5m")),
        });
    }
    out
}

fn pyrra(rules: &[(&RuleGroup, &Rule)]) -> Vec<Found> {
    let suffix = pyrra_error_ratio_suffix("5m");
    let mut out: Vec<Found> = Vec::new();
    for (group, rule) in rules {
        if rule.alerting || !rule.name.ends_with(&suffix) {
            continue;
        }
        let Some(slo) = rule.labels.get(PYRRA_LABEL_SLO) else {
            continue;
        };
        if out.iter().any(|f| &f.slo == slo) {
            continue;
        }
        let same = |r: &Rule| r.labels.get(PYRRA_LABEL_SLO) == Some(slo);
        let generic = |name: &str| {
            rules
                .iter()
                .find(|(_, r)| !r.alerting && r.name == name && same(r))
                .and_then(|(_, r)| constant(&r.query))
        };
        let period = generic(PYRRA_WINDOW)
            .filter(|s| *s >= 1.0 && s.fract() == 0.0)
            .map(|s| Duration::from_secs(s as u64));
        // Without Pyrra's generic rules, the objective is in its alerts: `> (14 * (1-0.99))`.
        let objective = generic(PYRRA_OBJECTIVE).or_else(|| {
            rules
                .iter()
                .filter(|(_, r)| r.alerting && same(r))
                .find_map(|(_, r)| {
                    let start = r.query.find("(1-")? + 3;
                    let end = start + r.query[start..].find(')')?;
                    constant(&r.query[start..end])
                })
        });
        out.push(Found {
            slo: slo.clone(),
            // Pyrra has no service; its loader in slokit uses the namespace, else `default`.
            service: rule
                .labels
                .get("namespace")
                .cloned()
                .unwrap_or_else(|| "default".to_string()),
            objective,
            period,
            tool: Tool::Pyrra,
            group: group.name.clone(),
            file: group.file.clone(),
            alerting: rules
                .iter()
                .any(|(_, r)| r.alerting && same(r) && r.query.contains(":burnrate")),
            error_ratio_5m: Some((rule.query.clone(), group.name.clone(), group.file.clone())),
        });
    }
    out
}

fn slokit(rules: &[(&RuleGroup, &Rule)]) -> Vec<Found> {
    let mut out = Vec::new();
    for (group, rule) in rules {
        if rule.alerting || rule.name != conventions::SERIES_OBJECTIVE {
            continue;
        }
        let (Some(product), Some(service), Some(slo)) = (
            rule.labels.get(conventions::LABEL_PRODUCT),
            rule.labels.get(conventions::LABEL_SERVICE),
            rule.labels.get(conventions::LABEL_SLO),
        ) else {
            continue;
        };
        let same = |r: &Rule| {
            r.labels.get(conventions::LABEL_PRODUCT) == Some(product)
                && r.labels.get(conventions::LABEL_SLO) == Some(slo)
        };
        let recorded = |name: &str| {
            rules
                .iter()
                .find(|(_, r)| !r.alerting && r.name == name && same(r))
                .map(|(_, r)| r.query.clone())
        };
        let base = Some(conventions::BASE_WINDOW);
        let fast = rules
            .iter()
            .find(|(_, r)| {
                !r.alerting
                    && r.name == conventions::rate_series(conventions::SERIES_BAD, base)
                    && same(r)
            })
            .map(|(g, _)| (g.name.clone(), g.file.clone()))
            .unwrap_or_default();
        let bad = recorded(&conventions::rate_series(conventions::SERIES_BAD, base));
        let total = recorded(&conventions::rate_series(conventions::SERIES_TOTAL, base));
        out.push(Found {
            slo: slo.clone(),
            service: service.clone(),
            objective: constant(&rule.query),
            period: recorded(conventions::SERIES_PERIOD)
                .and_then(|q| constant(&q))
                .filter(|s| *s >= 1.0 && s.fract() == 0.0)
                .map(|s| Duration::from_secs(s as u64)),
            tool: Tool::Slokit,
            group: group.name.clone(),
            file: group.file.clone(),
            alerting: rules.iter().any(|(_, r)| r.alerting && same(r)),
            error_ratio_5m: bad.zip(total).map(|(bad, total)| {
                (
                    format!("(\n{}\n)\n/\n(\n{}\n)", bad.trim(), total.trim()),
                    fast.0,
                    fast.1,
                )
            }),
        });
    }
    out
}

/// The table `slo inventory` prints: one row per SLO, aligned columns.
pub fn table(found: &[Found]) -> String {
    let mut rows = vec![[
        "SLO",
        "SERVICE",
        "OBJECTIVE",
        "PERIOD",
        "TOOL",
        "GROUP",
        "FILE",
        "ALERTING",
    ]
    .map(String::from)];
    for f in found {
        rows.push([
            f.slo.clone(),
            f.service.clone(),
            f.objective.map_or("?".into(), |o| format!("{}", o)),
            f.period.map_or("?".into(), |p| p.to_string()),
            f.tool.name().to_string(),
            f.group.clone(),
            if f.file.is_empty() {
                "-".into()
            } else {
                f.file.clone()
            },
            if f.alerting { "on" } else { "off" }.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A 5m query as a `{{.window}}` template: its `[5m]` ranges (and `[5m:` subqueries) become the
/// window.
fn templated(query: &str) -> String {
    query
        .replace("[5m]", "[{{.window}}]")
        .replace("[5m:", "[{{.window}}:")
}

/// Where a rule was read: its group, and its file when the server says.
fn located(group: &str, file: &str) -> String {
    if file.is_empty() {
        format!("rule group `{group}`")
    } else {
        format!("rule group `{group}` in `{file}`")
    }
}

/// `slo.dev/v1` specs for the SLOs found, one file per service (`<service>.yaml` → text). Each SLO
/// is preceded by `TODO` comments for what the rules could not say.
pub fn specs(found: &[Found], source: &str) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for f in found {
        let from = located(&f.group, &f.file);
        let mut todo = Vec::new();
        let objective = f.objective.unwrap_or_else(|| {
            todo.push(format!(
                "the objective is not in the rules ({from}); 0.99 is a placeholder"
            ));
            0.99
        });
        let period = f.period.unwrap_or_else(|| {
            todo.push(format!(
                "the period is not in the rules ({from}); {} is a placeholder",
                conventions::DEFAULT_PERIOD
            ));
            conventions::DEFAULT_PERIOD
        });
        let template = match &f.error_ratio_5m {
            Some((query, group, file)) => {
                todo.push(format!(
                    "the SLI is the 5m error ratio {} records ({}), read as a raw ratio whose long windows average it; rewrite it as a ratio of good (or bad) and total events",
                    f.tool.name(),
                    located(group, file)
                ));
                // A raw ratio is recorded as one SLI; the rules' own grouping would be summed away.
                if query.contains(" by (") || query.contains(" by(") {
                    todo.push("the rules aggregate `by` labels: add them as the indicator's `groupBy` to keep one SLI per group".to_string());
                }
                templated(query)
            }
            None => {
                todo.push(format!(
                    "no 5m error ratio was found ({from}); write the SLI's error ratio"
                ));
                "vector(0) # TODO".to_string()
            }
        };
        if !f.alerting {
            todo.push(
                "no alerting rule reads this SLO; alerts are turned off as in the rules"
                    .to_string(),
            );
        }
        let mut alerting = crate::load::common::default_alerting(period);
        alerting.enabled = f.alerting;
        let slo = Slo::new(
            f.slo.clone(),
            f.service.clone(),
            objective,
            period,
            Indicator::Raw {
                error_ratio: WindowQuery { template },
            },
            alerting,
            Origin {
                file: source.to_string(),
                line: 0,
                format: SpecFormat::Native,
            },
        );
        let file = files.entry(f.service.clone()).or_insert_with(|| {
            format!("# Recovered by `slo inventory` from the rules of {source}.\n# Review every TODO before generating rules from this file.\n")
        });
        file.push_str("---\n");
        file.push_str(&format!("# {} SLO `{}` ({from}).\n", f.tool.name(), f.slo));
        for line in &todo {
            file.push_str(&format!("# TODO: {line}\n"));
        }
        file.push_str(&crate::render::convert::slo_to_native(&slo));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(alerting: bool, name: &str, query: &str, labels: &[(&str, &str)]) -> Rule {
        Rule {
            alerting,
            name: name.into(),
            query: query.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn constants_read_as_the_loaders_round_them() {
        assert_eq!(constant("vector(0.9990000000000001)"), Some(0.999));
        assert_eq!(constant("'2419200'"), Some(2_419_200.0));
        assert_eq!(constant("sum(up)"), None);
        assert_eq!(
            templated("sum(rate(a[5m])) / sum(rate(b[5m]))"),
            "sum(rate(a[{{.window}}])) / sum(rate(b[{{.window}}]))"
        );
    }

    #[test]
    fn pyrra_without_generic_rules_takes_the_objective_from_its_alerts_and_leaves_a_todo() {
        let groups = [RuleGroup {
            name: "api".into(),
            file: String::new(),
            rules: vec![
                rule(
                    false,
                    "http:burnrate5m",
                    "sum(rate(errors[5m])) / sum(rate(total[5m]))",
                    &[("slo", "api")],
                ),
                rule(
                    true,
                    "ErrorBudgetBurn",
                    "http:burnrate5m{slo=\"api\"} > (14 * (1-0.995)) and http:burnrate1h{slo=\"api\"} > (14 * (1-0.995))",
                    &[("slo", "api")],
                ),
            ],
        }];
        let found = recognise(&groups);
        assert_eq!(
            table(&found),
            "SLO  SERVICE  OBJECTIVE  PERIOD  TOOL   GROUP  FILE  ALERTING\napi  default  0.995      ?       pyrra  api    -     on\n"
        );
        let specs = specs(&found, "http://prometheus:9090");
        let text = &specs["default"];
        assert!(
            text.contains(
                "# TODO: the period is not in the rules (rule group `api`); 30d is a placeholder\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "errorRatioQuery: 'sum(rate(errors[{{.window}}])) / sum(rate(total[{{.window}}]))'"
            ),
            "{text}"
        );
    }
}
