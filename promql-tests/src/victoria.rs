//! A real VictoriaMetrics (Debian's `victoria-metrics` 1.79, which also ships `vmalert`) on
//! 127.0.0.1 for tests: started on a free port with a temporary storage directory, fed raw history
//! through `/api/v1/import/prometheus`, and queried through its Prometheus-compatible API. Rules are
//! evaluated over the history by `vmalert` in replay mode (`-replay.timeFrom/-replay.timeTo`),
//! which writes recording-rule results and the `ALERTS` series back through remote write.
//!
//! Replay runs the rules of a group one after another, but a rule only sees another rule's output
//! once VictoriaMetrics has made it searchable (about a second later, `-replay.rulesDelay`). As for
//! promtool, [`replay_levels`] therefore replays dependency level by level, forcing a flush between
//! levels, which is both faster and certain.
//!
//! Every process runs through [`crate::process`], so it ends with the test.

use crate::backfill::{dependency_levels, level_file, parse_groups, AlertingRule};
use crate::process::{self, ChildGuard};
use crate::prometheus::{free_port, instant_query, range_query, wait_until_answers};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A binary from the `victoria-metrics` package; under `CI` (and everywhere else) a missing binary
/// fails the test, it never skips.
pub fn vm_command(name: &str) -> PathBuf {
    process::require_tool(
        name,
        "-version",
        "run `apt-get install victoria-metrics` (Debian ships 1.79 with vmalert)",
    )
}

/// A running single-node VictoriaMetrics. Dropping it stops the process.
pub struct VictoriaMetrics {
    _process: ChildGuard,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    dir: tempfile::TempDir,
}

impl VictoriaMetrics {
    /// Starts VictoriaMetrics with an unlimited retention, no query cache (rules read series that
    /// replay has just written), no latency offset and deduplication of identical timestamps, and
    /// waits until it answers `/health`.
    pub fn start() -> VictoriaMetrics {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("vm.log")).expect("log file");
        let mut command = Command::new(vm_command("victoria-metrics"));
        command
            .arg(format!(
                "-storageDataPath={}",
                dir.path().join("data").display()
            ))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg("-retentionPeriod=100y")
            .arg("-search.disableCache")
            .arg("-search.latencyOffset=0s")
            // Samples with the same timestamp are kept twice unless deduplicated; a retried remote
            // write from vmalert's replay would otherwise count a slice twice (seen once: +13% on
            // one SLO's bad events).
            .arg("-dedup.minScrapeInterval=1ms")
            .arg("-loggerLevel=ERROR")
            .stdout(Stdio::null())
            .stderr(log);
        let vm = VictoriaMetrics {
            _process: ChildGuard::spawn(command).expect("start victoria-metrics"),
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        wait_until_answers(&format!("{}/health", vm.url), "victoria-metrics", || {
            vm.log()
        });
        vm
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("vm.log")).unwrap_or_default()
    }

    /// Imports Prometheus text-format samples with millisecond timestamps
    /// (`Workload::prometheus_text`), then makes them searchable.
    pub fn import_prometheus(&self, text: &str) {
        // Chunks of a few MB keep each request well under the server's request size limit.
        let mut chunk = String::new();
        for line in text.lines() {
            chunk.push_str(line);
            chunk.push('\n');
            if chunk.len() > 8 << 20 {
                self.post_import(&chunk);
                chunk.clear();
            }
        }
        if !chunk.is_empty() {
            self.post_import(&chunk);
        }
        self.flush();
    }

    fn post_import(&self, chunk: &str) {
        ureq::post(&format!("{}/api/v1/import/prometheus", self.url))
            .send(chunk)
            .unwrap_or_else(|e| panic!("import into victoria-metrics failed: {e}\n{}", self.log()));
    }

    /// Makes every ingested sample searchable now (`/internal/force_flush`).
    pub fn flush(&self) {
        ureq::get(&format!("{}/internal/force_flush", self.url))
            .call()
            .expect("force flush");
    }

    /// An instant query at `time` (Unix seconds). Returns `data.result`.
    pub fn query(&self, expr: &str, time: f64) -> serde_json::Value {
        instant_query(&self.url, expr, Some(time), || self.log())
    }

    /// A range query. Returns `data.result`.
    pub fn query_range(&self, expr: &str, start: f64, end: f64, step: f64) -> serde_json::Value {
        range_query(&self.url, expr, start, end, step, || self.log())
    }
}

/// `vmalert` with `-rule=<file>` for each of `rule_files`, and only errors logged.
fn vmalert(rule_files: &[PathBuf]) -> Command {
    let mut command = Command::new(vm_command("vmalert"));
    for file in rule_files {
        command.arg(format!("-rule={}", file.display()));
    }
    command.arg("-loggerLevel=ERROR");
    command
}

/// Runs a vmalert command to completion; its output, as `Ok` when it succeeded.
fn run_vmalert(command: Command) -> Result<String, String> {
    let output = process::output(command).expect("run vmalert");
    let text = process::text(&output);
    if output.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// `vmalert -dryRun`: the rule files parse and every expression is valid MetricsQL.
pub fn vmalert_check(rule_files: &[PathBuf]) -> Result<String, String> {
    let mut command = vmalert(rule_files);
    command.arg("-dryRun");
    run_vmalert(command)
}

/// RFC 3339 in UTC for a Unix time, as `-replay.timeFrom` wants it.
pub fn rfc3339(unix: i64) -> String {
    let date = slokit::model::Date::from_days_since_epoch(unix.div_euclid(86_400));
    let seconds = unix.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// Runs `vmalert` in replay mode over `[from, to]` on `rule_files`, reading from and writing to
/// `vm`. Groups without an `interval` are evaluated every `eval_interval`.
pub fn replay(
    vm: &VictoriaMetrics,
    rule_files: &[PathBuf],
    from: i64,
    to: i64,
    eval_interval: &str,
) {
    let mut command = vmalert(rule_files);
    command
        .arg(format!("-datasource.url={}", vm.url))
        .arg(format!("-remoteWrite.url={}", vm.url))
        .arg(format!("-replay.timeFrom={}", rfc3339(from)))
        .arg(format!("-replay.timeTo={}", rfc3339(to)))
        .arg(format!("-evaluationInterval={eval_interval}"))
        .arg("-replay.maxDatapointsPerQuery=10000")
        .arg("-replay.rulesDelay=0s")
        .arg("-replay.disableProgressBar")
        .arg(format!("-httpListenAddr=127.0.0.1:{}", free_port()));
    if let Err(output) = run_vmalert(command) {
        panic!("vmalert replay failed:\n{output}");
    }
    // Remote write is flushed when vmalert exits; make it searchable before the next level reads it.
    std::thread::sleep(Duration::from_millis(200));
    vm.flush();
}

/// Replays the recording rules of `rule_files` level by level (see the module docs), then their
/// alerting rules, so that `ALERTS` holds the alerts' history. Returns the number of levels.
pub fn replay_levels(
    vm: &VictoriaMetrics,
    rule_files: &[PathBuf],
    from: i64,
    to: i64,
    eval_interval: &str,
) -> usize {
    let mut groups = Vec::new();
    let mut alerts = Vec::new();
    for file in rule_files {
        let text = std::fs::read_to_string(file).expect("read a vmalert rule file");
        groups.extend(parse_groups(&text, &file.display().to_string()));
        alerts.extend(crate::backfill::read_alerts(file));
    }
    let levels = dependency_levels(&groups);
    let depth = levels.values().copied().max().unwrap_or(0);
    let work = tempfile::tempdir().expect("temporary directory");
    let path = work.path().join("levels.yml");
    for level in 1..=depth {
        std::fs::write(&path, level_file(&groups, &levels, level, None))
            .expect("write a level file");
        replay(vm, std::slice::from_ref(&path), from, to, eval_interval);
    }
    if !alerts.is_empty() {
        std::fs::write(&path, alerts_file(&alerts)).expect("write the alerts file");
        replay(vm, std::slice::from_ref(&path), from, to, eval_interval);
    }
    depth
}

/// A rule file holding only the given alerting rules (no annotations), grouped as they were.
pub fn alerts_file(alerts: &[AlertingRule]) -> String {
    use slokit::render::emit::{to_yaml, Value};
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for alert in alerts {
        let mut labels = Value::map();
        for (k, v) in &alert.labels {
            labels = labels.with(k, v.as_str());
        }
        let rule = Value::map()
            .with("alert", alert.alert.as_str())
            .with("expr", alert.expr.as_str())
            .with_opt("for", alert.for_.as_deref())
            .with("labels", labels);
        match groups.iter_mut().find(|(name, _)| *name == alert.group) {
            Some((_, rules)) => rules.push(rule),
            None => groups.push((alert.group.clone(), vec![rule])),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, rules)| {
            Value::map()
                .with("name", name)
                .with("rules", Value::Seq(rules))
        })
        .collect();
    to_yaml(&Value::map().with("groups", Value::Seq(groups)))
}

/// Where a generated vmalert tree keeps its rule files.
pub fn rule_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(slokit::conventions::DIR_VMALERT))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
