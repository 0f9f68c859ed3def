//! Raw history plus recording rules backfilled over it, ready for a real Prometheus to serve: the
//! OpenMetrics text becomes TSDB blocks (`promtool tsdb create-blocks-from openmetrics`), then the
//! recording rules are evaluated over the history (`promtool tsdb create-blocks-from rules`)
//! level by level.
//!
//! Levels are needed because promtool evaluates each rule with a range query against a running
//! Prometheus and never sees what it writes itself: a rule that reads another recorded series
//! (slokit's 1h window reads the 5m series, the 30d window reads the 1h series, burn rates read
//! both windows) would find nothing. So rules are sorted by dependency depth; level 1 reads only
//! raw series, level `n` reads series recorded at levels below `n`. Each level is written to its
//! own rule file, backfilled against a Prometheus serving everything so far, and its blocks are
//! added to the TSDB before Prometheus is restarted for the next level. Alerting rules are not
//! backfilled (promtool ignores them); tests load the original files for those.
//!
//! Both promtool steps get the hidden `--max-block-duration` flag (accepted by 2.42): without it
//! promtool writes one 2h block per rule per 2h of history (15,000 blocks for 40 rules over 30
//! days) and re-reads the whole OpenMetrics file once per 2h block.

use crate::prometheus::{backfill_rules, Prometheus, StartOptions};
use crate::synthetic::Workload;
use slokit::load::yaml::{Document, Node, NodeKind};
use slokit::render::emit::{to_yaml, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Raw history plus slokit's recording rules backfilled over it, level by level, ready for
/// `Prometheus::start(StartOptions { tsdb: Some(history.tsdb.path().into()), rule_files, .. })`.
pub struct History {
    pub tsdb: tempfile::TempDir,
    pub start: i64,
    pub end: i64,
    /// How long each step took (`"raw"`, `"level 1"`, ...), for the test output.
    pub timings: Vec<(String, Duration)>,
    /// Recorded series names per dependency level, level 1 first.
    pub levels: Vec<Vec<String>>,
}

impl History {
    /// Starts a Prometheus on this history with `rule_files` loaded and the given evaluation
    /// interval.
    pub fn prometheus(&self, rule_files: &[PathBuf], evaluation_interval: &str) -> Prometheus {
        Prometheus::start(StartOptions {
            rule_files: rule_files.to_vec(),
            tsdb: Some(self.tsdb.path().to_path_buf()),
            evaluation_interval: evaluation_interval.to_string(),
            ..StartOptions::default()
        })
    }

    /// The timings as one line, e.g. `raw 4.1s, level 1 2.0s, ...`.
    pub fn timing_summary(&self) -> String {
        self.timings
            .iter()
            .map(|(step, took)| format!("{step} {:.1}s", took.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The evaluation interval of backfilled rules: coarse enough to keep 30 days cheap, fine enough
/// for the 5m base window (each 5m rate is read once).
pub const DEFAULT_EVAL_INTERVAL: &str = "5m";

/// Backfills `openmetrics` (Unix-second timestamps between `start` and `end`) and then every
/// recording rule of `rule_files` over `[start, end]` every [`DEFAULT_EVAL_INTERVAL`].
pub fn history_with_rules(
    openmetrics: &str,
    rule_files: &[PathBuf],
    start: i64,
    end: i64,
) -> History {
    let tsdb = tempfile::tempdir().expect("temporary TSDB directory");
    let mut timings = Vec::new();
    let began = Instant::now();
    crate::prometheus::backfill_openmetrics(openmetrics, tsdb.path());
    timings.push(("raw".to_string(), began.elapsed()));
    let levels = backfill_recording_rules(
        tsdb.path(),
        rule_files,
        start,
        end,
        DEFAULT_EVAL_INTERVAL,
        &mut timings,
    );
    History {
        tsdb,
        start,
        end,
        timings,
        levels,
    }
}

/// `workload` scraped every minute from `start` to `end`, backfilled with the recording rules of
/// `rule_files` as [`history_with_rules`] does. The first timing is the synthetic history's
/// generation, with its size.
pub fn workload_history(
    workload: &Workload,
    rule_files: &[PathBuf],
    start: i64,
    end: i64,
) -> History {
    let began = Instant::now();
    let openmetrics = workload.openmetrics(start, end, 60);
    let generated = (
        format!("openmetrics ({} MB)", openmetrics.len() >> 20),
        began.elapsed(),
    );
    let mut history = history_with_rules(&openmetrics, rule_files, start, end);
    history.timings.insert(0, generated);
    history
}

/// Backfills the recording rules of `rule_files` into an existing TSDB, level by level. Returns
/// the recorded names per level.
pub fn backfill_recording_rules(
    tsdb: &Path,
    rule_files: &[PathBuf],
    start: i64,
    end: i64,
    eval_interval: &str,
    timings: &mut Vec<(String, Duration)>,
) -> Vec<Vec<String>> {
    let groups: Vec<Group> = rule_files.iter().flat_map(|f| read_groups(f)).collect();
    let levels = dependency_levels(&groups);
    let depth = levels.values().copied().max().unwrap_or(0);
    let work = tempfile::tempdir().expect("temporary directory");
    let mut names_per_level = Vec::new();
    for level in 1..=depth {
        let began = Instant::now();
        // The same path for every level: Prometheus offsets a group's evaluation times by a hash
        // of its name and file, so one path keeps every level on the same timestamps, as in a
        // live group where all rules of one evaluation share a timestamp.
        let file = work.path().join("levels.yml");
        let text = level_file(&groups, &levels, level, Some(BASE_EVAL_INTERVAL));
        std::fs::write(&file, text).expect("write a level rule file");
        let output = work.path().join(format!("blocks{level}"));
        {
            let prometheus = Prometheus::start(StartOptions {
                tsdb: Some(tsdb.to_path_buf()),
                ..StartOptions::default()
            });
            backfill_rules(&prometheus.url, &[file], start, end, eval_interval, &output);
        }
        move_blocks(&output, tsdb);
        let mut names: Vec<String> = levels
            .iter()
            .filter(|(_, l)| **l == level)
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names_per_level.push(names);
        timings.push((format!("level {level}"), began.elapsed()));
    }
    names_per_level
}

/// Moves every block directory (a ULID with a `meta.json`) from `from` into the TSDB at `to`.
pub fn move_blocks(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries {
        let entry = entry.expect("read a block directory entry");
        if entry.path().join("meta.json").exists() {
            std::fs::rename(entry.path(), to.join(entry.file_name()))
                .expect("move a backfilled block into the TSDB");
        }
    }
}

/// A recording rule as read from a rule file.
#[derive(Clone, Debug)]
pub struct RecordingRule {
    pub record: String,
    pub expr: String,
    pub labels: Vec<(String, String)>,
}

/// The recording rules of one group.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub rules: Vec<RecordingRule>,
}

/// Reads the groups of a Prometheus rule file, keeping only recording rules.
pub fn read_groups(path: &Path) -> Vec<Group> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_groups(&text, &path.display().to_string())
}

/// Parses rule-file text (see [`read_groups`]).
pub fn parse_groups(text: &str, name: &str) -> Vec<Group> {
    let mut groups = Vec::new();
    for document in parse_rule_file(text, name) {
        for (group, rules) in groups_of(&document) {
            let rules = rules
                .iter()
                .filter_map(|rule| {
                    Some(RecordingRule {
                        record: get(rule, "record").and_then(text_of)?,
                        expr: get(rule, "expr").and_then(text_of)?,
                        labels: labels_of(rule),
                    })
                })
                .collect();
            groups.push(Group { name: group, rules });
        }
    }
    groups
}

/// An alerting rule as read from a rule file.
#[derive(Clone, Debug)]
pub struct AlertingRule {
    pub group: String,
    pub alert: String,
    pub expr: String,
    /// The `for:` duration as written, if any.
    pub for_: Option<String>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
}

/// The alerting rules of a rule file, in order.
pub fn read_alerts(path: &Path) -> Vec<AlertingRule> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut alerts = Vec::new();
    for document in parse_rule_file(&text, &path.display().to_string()) {
        for (group, rules) in groups_of(&document) {
            alerts.extend(rules.iter().filter_map(|rule| {
                Some(AlertingRule {
                    group: group.clone(),
                    alert: get(rule, "alert").and_then(text_of)?,
                    expr: get(rule, "expr").and_then(text_of)?,
                    for_: get(rule, "for").and_then(text_of),
                    labels: labels_of(rule),
                    annotations: map_of(rule, "annotations"),
                })
            }));
        }
    }
    alerts
}

/// The YAML documents of a rule file; fails the test when it is not YAML.
fn parse_rule_file(text: &str, name: &str) -> Vec<Document> {
    let mut sources = slokit::load::source::SourceMap::default();
    let id = sources.add(name.to_string(), text.to_string());
    let mut diagnostics = slokit::diag::Diagnostics::default();
    let documents = slokit::load::yaml::parse(id, text, &mut diagnostics);
    assert!(
        diagnostics.error_count() == 0,
        "{name} is not valid YAML: {diagnostics:?}"
    );
    documents
}

/// The groups of a rule-file document: each name with its rules.
fn groups_of(document: &Document) -> Vec<(String, &[Node])> {
    get(&document.root, "groups")
        .and_then(seq)
        .unwrap_or(&[])
        .iter()
        .map(|group| {
            (
                get(group, "name").and_then(text_of).unwrap_or_default(),
                get(group, "rules").and_then(seq).unwrap_or(&[]),
            )
        })
        .collect()
}

/// A rule's `labels`, in order.
fn labels_of(rule: &Node) -> Vec<(String, String)> {
    map_of(rule, "labels")
}

/// The text entries of the map under `key` (labels, annotations).
fn map_of(rule: &Node, key: &str) -> Vec<(String, String)> {
    match get(rule, key).map(|l| &l.kind) {
        Some(NodeKind::Map(entries)) => entries
            .iter()
            .filter_map(|(k, v)| text_of(v).map(|v| (k.name.clone(), v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}

fn seq(node: &Node) -> Option<&[Node]> {
    match &node.kind {
        NodeKind::Seq(items) => Some(items),
        _ => None,
    }
}

fn text_of(node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::Scalar(s) => Some(s.text.clone()),
        _ => None,
    }
}

/// The metric names an expression mentions (identifiers made of `[a-zA-Z0-9_:]`, which include
/// function names and labels; only those that are recorded names matter to the caller).
fn identifiers(expr: &str) -> BTreeSet<&str> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The dependency level of every recorded name: 1 when its rules read only series nobody
/// records, else one more than the deepest recorded series they read. A name recorded by several
/// rules (one per SLO) takes the deepest.
pub fn dependency_levels(groups: &[Group]) -> BTreeMap<String, usize> {
    let recorded: BTreeSet<&str> = groups
        .iter()
        .flat_map(|g| g.rules.iter().map(|r| r.record.as_str()))
        .collect();
    let mut levels: BTreeMap<String, usize> = recorded.iter().map(|n| (n.to_string(), 1)).collect();
    let rules: Vec<(&str, Vec<&str>)> = groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .map(|r| {
            let deps = identifiers(&r.expr)
                .into_iter()
                .filter(|w| recorded.contains(w) && *w != r.record)
                .collect();
            (r.record.as_str(), deps)
        })
        .collect();
    for _ in 0..=recorded.len() {
        let mut changed = false;
        for (record, deps) in &rules {
            let wanted = 1 + deps.iter().map(|d| levels[*d]).max().unwrap_or(0);
            if wanted > levels[*record] {
                levels.insert(record.to_string(), wanted);
                changed = true;
            }
        }
        if !changed {
            return levels;
        }
    }
    panic!("the recording rules depend on each other in a cycle");
}

/// The expression with the rule's labels already set on its result, for backfill only. promtool
/// evaluates a rule as one range query and appends each result series after setting the rule's
/// labels; when two series of the result differ only in labels the rule overrides (the two sides
/// of slokit's `sum(rate(bad[5m])) or 0 * total`, present at different times), promtool appends
/// both under one name and fails with "out of order sample". Setting the labels inside the query
/// merges them into one series, as a live evaluation (one instant at a time) would see them.
fn with_rule_labels(expr: &str, labels: &[(String, String)]) -> String {
    let mut out = expr.trim().to_string();
    for (name, value) in labels {
        // A PromQL string literal: quotes, backslashes and line breaks (policy actions may span
        // lines) escaped.
        let quoted = slokit::promql::quote(value);
        out = format!("label_replace(\n{out}\n, \"{name}\", {quoted}, \"\", \"\")");
    }
    out
}

/// Whether a recorded name is a base rate read straight from raw counters over 5m (slokit's
/// `slokit:events_*:rate5m`, Sloth's `slo:sli_error:ratio_rate5m`). Backfill evaluates those at
/// [`BASE_EVAL_INTERVAL`], like a live server would, and everything else at the coarser interval.
pub fn is_base_rate(record: &str) -> bool {
    record.ends_with("rate5m")
}

/// The evaluation interval of base rates in backfills. Why not the coarse 5m: in Prometheus 2,
/// `rate(x[5m])` evaluated every 5m at an offset from 1m scrapes sees 5 samples spanning 4 minutes,
/// so one minute in five is never observed. Where the error ratio steps (night to day, incident
/// start), that minute is attributed to the wrong side: measured at 0.6% of the 30d error ratio
/// on the uneven workload. Evaluated every minute (a typical live interval), consecutive 5m
/// windows overlap and every minute is observed equally often.
pub const BASE_EVAL_INTERVAL: &str = "1m";

/// A rule file holding, for every group, only the rules of names at `level`. With
/// `base_interval`, base rates ([`is_base_rate`]) go into a second group `<name>:base` evaluated
/// at that interval.
pub fn level_file(
    groups: &[Group],
    levels: &BTreeMap<String, usize>,
    level: usize,
    base_interval: Option<&str>,
) -> String {
    let mut out = Vec::new();
    for group in groups {
        for base in [false, true] {
            if base && base_interval.is_none() {
                continue;
            }
            let rules: Vec<Value> = group
                .rules
                .iter()
                .filter(|r| levels[&r.record] == level)
                .filter(|r| base_interval.is_none() || is_base_rate(&r.record) == base)
                .map(|r| {
                    let mut labels = Value::map();
                    for (k, v) in &r.labels {
                        labels = labels.with(k, v.as_str());
                    }
                    let rule = Value::map()
                        .with("record", r.record.as_str())
                        .with("expr", with_rule_labels(&r.expr, &r.labels));
                    if r.labels.is_empty() {
                        rule
                    } else {
                        rule.with("labels", labels)
                    }
                })
                .collect();
            if rules.is_empty() {
                continue;
            }
            let value = if base {
                Value::map()
                    .with("name", format!("{}:base", group.name))
                    .with("interval", base_interval.unwrap_or_default())
            } else {
                Value::map().with("name", group.name.as_str())
            };
            out.push(value.with("rules", Value::Seq(rules)));
        }
    }
    to_yaml(&Value::map().with("groups", Value::Seq(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_dependencies() {
        let groups = parse_groups(
            "groups:\n- name: g\n  rules:\n  - record: a:rate5m\n    expr: sum(rate(x[5m]))\n  - record: b:rate5m\n    expr: sum(rate(y[5m])) or 0 * a:rate5m\n  - record: a:rate1h\n    expr: avg_over_time(a:rate5m[1h])\n  - record: r\n    expr: b:rate5m / a:rate1h\n    labels: {k: v}\n  - alert: A\n    expr: r > 1\n",
            "test",
        );
        let levels = dependency_levels(&groups);
        let get = |n: &str| levels[n];
        assert_eq!(
            (get("a:rate5m"), get("b:rate5m"), get("a:rate1h"), get("r")),
            (1, 2, 2, 3)
        );
        let file = level_file(&groups, &levels, 3, None);
        assert!(
            file.contains("record: r") && file.contains("k: v"),
            "{file}"
        );
        assert!(!file.contains("record: a:rate1h"), "{file}");
    }
}
