//! A real Prometheus (Debian's `prometheus` 2.42 binary) on 127.0.0.1 for tests: started on a free
//! port with a temporary TSDB and the given rule files, queried over its HTTP API, and stopped when
//! dropped. Also the two promtool backfill steps: raw history from OpenMetrics text, and recording
//! rules evaluated over that history. No mocks: every test that needs Prometheus gets this one.
//! The process is a [`ChildGuard`]: it ends with the test however the test ends.

use crate::process::{self, ChildGuard};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Prometheus binary: `$PROMETHEUS` or `prometheus` on the `PATH`. A missing binary fails the
/// test; slokit's tests never skip because a tool is missing.
pub fn prometheus_command() -> PathBuf {
    let command = std::env::var_os("PROMETHEUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("prometheus"));
    process::require_tool(
        command,
        "--version",
        "run `apt-get install prometheus` (Debian ships 2.42, with promtool)",
    )
}

/// What to start Prometheus with.
#[derive(Clone, Debug)]
pub struct StartOptions {
    /// Rule files to load (recording rules and alerts).
    pub rule_files: Vec<PathBuf>,
    /// An existing TSDB directory (e.g. filled by [`backfill_openmetrics`]); a fresh temporary one
    /// when `None`.
    pub tsdb: Option<PathBuf>,
    /// `global.evaluation_interval`, e.g. `"15s"`.
    pub evaluation_interval: String,
    /// Extra top-level YAML for the config file, e.g. a `scrape_configs:` section.
    pub extra_config: String,
    /// Keep each rule group's own `interval`. Off by default: tests load copies of the rule files
    /// without group intervals, so every group follows `evaluation_interval`. slokit's slow group
    /// runs every 2m30s and Prometheus starts a group at a random offset within its interval, so a
    /// test would otherwise wait minutes for its first period SLI. Benchmarks keep them.
    pub keep_group_intervals: bool,
}

impl Default for StartOptions {
    fn default() -> StartOptions {
        StartOptions {
            rule_files: Vec::new(),
            tsdb: None,
            evaluation_interval: "1m".into(),
            extra_config: String::new(),
            keep_group_intervals: false,
        }
    }
}

/// A running Prometheus. Dropping it stops the process.
pub struct Prometheus {
    process: ChildGuard,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Holds the config file and, when no TSDB was given, the TSDB.
    _dir: tempfile::TempDir,
    log: PathBuf,
    /// The command-line arguments, so that [`Prometheus::restart`] starts the same server: same
    /// port, config and TSDB.
    args: Vec<String>,
}

/// Rule-file YAML without the groups' own `interval` keys, whether a group writes it after its name
/// (slokit: `  interval: 2m30s`) or first (Pyrra: `- interval: 2m30s` then `  name: ...`).
pub fn without_group_intervals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open_item = false;
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed.starts_with("- interval: ") {
            open_item = true;
            continue;
        }
        if trimmed.starts_with("  interval: ") {
            continue;
        }
        if open_item {
            open_item = false;
            if let Some(rest) = line.strip_prefix("  ") {
                out.push_str("- ");
                out.push_str(rest);
                out.push('\n');
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A free TCP port on 127.0.0.1 (the listener is dropped before Prometheus binds it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

impl Prometheus {
    /// Starts Prometheus and waits until it answers `/-/ready` (at most 30 s).
    pub fn start(options: StartOptions) -> Prometheus {
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let rule_files: Vec<String> = options
            .rule_files
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if options.keep_group_intervals {
                    return p.clone();
                }
                let text = std::fs::read_to_string(p)
                    .unwrap_or_else(|e| panic!("read rule file {}: {e}", p.display()));
                let copy = dir.path().join(format!("rules-{i}.yml"));
                std::fs::write(&copy, without_group_intervals(&text)).expect("write rule file");
                copy
            })
            .map(|p| format!("  - {:?}", p.display().to_string()))
            .collect();
        let config = format!(
            "global:\n  scrape_interval: 15s\n  evaluation_interval: {}\nrule_files:\n{}\n{}\n",
            options.evaluation_interval,
            if rule_files.is_empty() {
                "  []".to_string()
            } else {
                rule_files.join("\n")
            },
            options.extra_config
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write prometheus.yml");
        let tsdb = options
            .tsdb
            .clone()
            .unwrap_or_else(|| dir.path().join("tsdb"));
        let log = dir.path().join("prometheus.log");
        let args = vec![
            format!("--config.file={}", config_path.display()),
            format!("--storage.tsdb.path={}", tsdb.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--storage.tsdb.retention.time=3650d".to_string(),
            "--web.enable-lifecycle".to_string(),
            "--web.enable-admin-api".to_string(),
            "--log.level=warn".to_string(),
        ];
        let process = spawn(&args, &log);
        let prometheus = Prometheus {
            process,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
            log,
            args,
        };
        prometheus.wait_ready();
        prometheus
    }

    fn wait_ready(&self) {
        wait_until_answers(&format!("{}/-/ready", self.url), "prometheus", || {
            self.log()
        });
    }

    /// What Prometheus wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An instant query (`/api/v1/query`) at `time` (Unix seconds) or now. Returns `data.result`.
    pub fn query(&self, expr: &str, time: Option<f64>) -> serde_json::Value {
        instant_query(&self.url, expr, time, || self.log())
    }

    /// A range query (`/api/v1/query_range`). Returns `data.result`.
    pub fn query_range(
        &self,
        expr: &str,
        start: f64,
        end: f64,
        step_seconds: f64,
    ) -> serde_json::Value {
        range_query(&self.url, expr, start, end, step_seconds, || self.log())
    }

    /// A single instant value of a query that returns exactly one series, at `time`.
    pub fn value(&self, expr: &str, time: Option<f64>) -> f64 {
        single_value(&self.query(expr, time), expr)
    }

    /// The process id, for fault tests that stop or signal the process.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// The port on 127.0.0.1 it listens on; [`Prometheus::restart`] keeps it.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL")
    }

    /// Stops the process abruptly (SIGKILL, as a crash or an OOM kill would), keeping its port,
    /// configuration and TSDB for [`Prometheus::restart`]. Queries fail with "connection refused"
    /// until then. Stopping a stopped Prometheus does nothing.
    pub fn stop(&mut self) {
        self.process.kill_group();
    }

    /// Starts Prometheus again with the same arguments (same port, configuration and TSDB
    /// directory, so backfilled blocks and the WAL survive) and waits until it answers `/-/ready`
    /// (at most 30 s). Stops it first if it is still running. Its log is appended to the same file.
    pub fn restart(&mut self) {
        self.stop();
        self.process = spawn(&self.args, &self.log);
        self.wait_ready();
    }
}

/// Starts the Prometheus binary with `args`, appending its stderr to `log`.
fn spawn(args: &[String], log: &Path) -> ChildGuard {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let mut command = Command::new(prometheus_command());
    command.args(args).stdout(Stdio::null()).stderr(log_file);
    ChildGuard::spawn(command).expect("start prometheus")
}

/// Waits until `url` answers a GET (at most 30 s); fails the test with `log()`, the server's own
/// output, when it does not.
pub fn wait_until_answers(url: &str, server: &str, log: impl Fn() -> String) {
    let limit = Duration::from_secs(30);
    let started = Instant::now();
    while started.elapsed() < limit {
        if ureq::get(url).call().is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{server} did not answer {url} within {limit:?}; its log:\n{}",
        log()
    );
}

/// `data.result` of an instant query (`/api/v1/query`) at `time` (Unix seconds) or now, against
/// the Prometheus-compatible API at `url` (Prometheus and VictoriaMetrics answer alike). A failed
/// call panics with `log()`, the engine's own output, to show why.
pub fn instant_query(
    url: &str,
    expr: &str,
    time: Option<f64>,
    log: impl Fn() -> String,
) -> serde_json::Value {
    let mut request = ureq::get(&format!("{url}/api/v1/query")).query("query", expr);
    if let Some(t) = time {
        request = request.query("time", t.to_string());
    }
    api_result(request, expr, log)
}

/// `data.result` of a range query (`/api/v1/query_range`) from `start` to `end` every `step`
/// (seconds); otherwise as [`instant_query`].
pub fn range_query(
    url: &str,
    expr: &str,
    start: f64,
    end: f64,
    step: f64,
    log: impl Fn() -> String,
) -> serde_json::Value {
    let request = ureq::get(&format!("{url}/api/v1/query_range"))
        .query("query", expr)
        .query("start", start.to_string())
        .query("end", end.to_string())
        .query("step", step.to_string());
    api_result(request, expr, log)
}

fn api_result(
    request: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
    expr: &str,
    log: impl Fn() -> String,
) -> serde_json::Value {
    let mut response = request
        .call()
        .unwrap_or_else(|e| panic!("query `{expr}` failed: {e}\n{}", log()));
    let body: serde_json::Value = response
        .body_mut()
        .read_json()
        .expect("JSON from the query API");
    assert_eq!(body["status"], "success", "query `{expr}`: {body}");
    body["data"]["result"].clone()
}

/// The value of a query result that must hold exactly one series.
pub fn single_value(result: &serde_json::Value, expr: &str) -> f64 {
    let series = result
        .as_array()
        .filter(|a| a.len() == 1)
        .unwrap_or_else(|| panic!("`{expr}` returned {result}"));
    sample_value(&series[0]["value"])
}

/// The float in a `[time, "value"]` pair from the HTTP API (`"NaN"`, `"+Inf"` included).
pub fn sample_value(pair: &serde_json::Value) -> f64 {
    pair[1]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("not a sample: {pair}"))
}

/// The `--max-block-duration` given to promtool's backfill commands (a hidden flag in 2.42).
/// promtool rounds it down to 486h (20.25 days), so a 30-day history becomes two or three blocks
/// instead of one 2h block per 2h, and the OpenMetrics input is read three times, not 360.
pub const BACKFILL_BLOCK_DURATION: &str = "200h";

/// Writes OpenMetrics text (which must end with `# EOF`) and backfills it into TSDB blocks under
/// `tsdb` with `promtool tsdb create-blocks-from openmetrics`.
pub fn backfill_openmetrics(openmetrics: &str, tsdb: &Path) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = dir.path().join("history.om");
    std::fs::write(&input, openmetrics).expect("write OpenMetrics");
    backfill_openmetrics_file(&input, tsdb);
}

/// [`backfill_openmetrics`] from a file, for histories too large to hold in memory.
pub fn backfill_openmetrics_file(input: &Path, tsdb: &Path) {
    std::fs::create_dir_all(tsdb).expect("tsdb directory");
    run_promtool(&[
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        &format!("--max-block-duration={BACKFILL_BLOCK_DURATION}"),
        "--quiet",
        &input.display().to_string(),
        &tsdb.display().to_string(),
    ]);
}

/// Evaluates `rule_files` against the Prometheus at `url` over `[start, end]` (Unix seconds) every
/// `eval_interval`, writing blocks of [`BACKFILL_BLOCK_DURATION`] into `output`
/// (`promtool tsdb create-blocks-from rules`). Move the blocks into the TSDB and restart
/// Prometheus to query them.
pub fn backfill_rules(
    url: &str,
    rule_files: &[PathBuf],
    start: i64,
    end: i64,
    eval_interval: &str,
    output: &Path,
) {
    std::fs::create_dir_all(output).expect("output directory");
    let mut args = vec![
        "tsdb".to_string(),
        "create-blocks-from".into(),
        "rules".into(),
        format!("--start={start}"),
        format!("--end={end}"),
        format!("--url={url}"),
        format!("--eval-interval={eval_interval}"),
        format!("--output-dir={}", output.display()),
        format!("--max-block-duration={BACKFILL_BLOCK_DURATION}"),
        "--quiet".into(),
    ];
    args.extend(rule_files.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run_promtool(&refs);
}

/// Runs promtool with `args`; fails the test with its output when it fails.
pub fn run_promtool(args: &[&str]) -> String {
    let mut command = Command::new(slokit::promtool::promtool_command());
    command.args(args);
    let output = process::output(command).expect("run promtool");
    let text = process::text(&output);
    assert!(output.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

#[cfg(test)]
mod tests {
    use super::without_group_intervals;

    #[test]
    fn group_intervals_are_removed_in_both_layouts() {
        let slokit =
            "groups:\n- name: a\n  interval: 2m30s\n  rules:\n  - record: x\n    expr: vector(1)\n";
        assert_eq!(
            without_group_intervals(slokit),
            "groups:\n- name: a\n  rules:\n  - record: x\n    expr: vector(1)\n"
        );
        let pyrra =
            "groups:\n- interval: 2m30s\n  name: b\n  rules:\n  - record: y\n    expr: vector(1)\n";
        assert_eq!(
            without_group_intervals(pyrra),
            "groups:\n- name: b\n  rules:\n  - record: y\n    expr: vector(1)\n"
        );
    }
}
