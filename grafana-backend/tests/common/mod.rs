//! Helpers shared by the plugin's integration tests: starting the real `gpx_slokit` executable
//! and reading its go-plugin handshake, decoding Arrow frames, the fixture rules and a real
//! Prometheus running them, and a fault server; calling the plugin's services over gRPC as Grafana
//! does (`grpc.rs`) and the synthetic history behind Prometheus (`history.rs`) are re-exported
//! from their own files, which `examples/bench.rs` includes too. Each test binary uses a subset,
//! hence `dead_code` is allowed.

#![allow(dead_code)]

mod grpc;
mod history;

pub use grpc::*;
pub use history::*;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use grafana_plugin_sdk::arrow2;
use grafana_plugin_sdk::pluginv2;
use promql_tests::process::ChildGuard;
use promql_tests::prometheus::{backfill_openmetrics, Prometheus, StartOptions};
use serde_json::{json, Value};

/// The plugin executable, stopped when dropped (and when the test process dies); its gRPC
/// services through [`Grpc`].
pub struct Plugin {
    pub child: ChildGuard,
    grpc: Grpc,
}

impl std::ops::Deref for Plugin {
    type Target = Grpc;

    fn deref(&self) -> &Grpc {
        &self.grpc
    }
}

impl Plugin {
    /// Starts the plugin as Grafana does, logging errors only to the test's stderr.
    pub fn start() -> Plugin {
        Plugin::spawn("error", Stdio::inherit()).0
    }

    /// Starts the plugin as Grafana does, with `RUST_LOG=<rust_log>` and `stderr` as given, and
    /// reads the handshake line `1|2|tcp|<addr>|grpc` from its stdout, which it returns for
    /// reading on (dropping it closes the pipe).
    pub fn spawn(rust_log: &str, stderr: Stdio) -> (Plugin, BufReader<ChildStdout>) {
        // `SLOKIT_PLUGIN_EXECUTABLE` runs the suite against another build of the plugin, such as
        // the static `dist/gpx_slokit_linux_amd64`.
        let executable = std::env::var_os("SLOKIT_PLUGIN_EXECUTABLE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gpx_slokit")));
        let mut command = Command::new(executable);
        command
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = ChildGuard::spawn(command).expect("start gpx_slokit");
        let mut stdout = BufReader::new(child.stdout.take().expect("plugin stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the handshake line");
        let parts: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(parts.len(), 5, "handshake line: {line:?}");
        assert_eq!(
            (parts[0], parts[1], parts[2], parts[4]),
            ("1", "2", "tcp", "grpc")
        );
        let grpc = Grpc {
            address: format!("http://{}", parts[3]),
        };
        (Plugin { child, grpc }, stdout)
    }
}

/// A decoded data frame.
#[derive(Debug)]
pub struct Frame {
    pub name: String,
    /// The frame's metadata (`executedQueryString`, `preferredVisualisationType`, notices), or
    /// null.
    pub meta: Value,
    pub fields: Vec<Field>,
}

#[derive(Debug)]
pub struct Field {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub config: Value,
    pub values: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Number(Option<f64>),
    Text(Option<String>),
    Time(Option<i64>),
}

impl Frame {
    pub fn field(&self, name: &str) -> &Field {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no field `{name}` in {self:?}"))
    }

    /// The display name the plugin gave the `value` field.
    pub fn display_name(&self) -> &str {
        self.field("value").config["displayNameFromDS"]
            .as_str()
            .unwrap_or("")
    }

    /// The last number of the `value` field.
    pub fn last_value(&self) -> f64 {
        self.field("value").last().expect("a value")
    }
}

impl Field {
    /// The last cell's number, if it has one.
    pub fn last(&self) -> Option<f64> {
        self.numbers().last().copied().flatten()
    }

    /// Each cell as `read` reads it; a cell it cannot read (`None`) fails the test.
    fn cells<T>(&self, read: impl Fn(&Cell) -> Option<T>) -> Vec<T> {
        self.values
            .iter()
            .map(|c| read(c).unwrap_or_else(|| panic!("`{}` holds {c:?}", self.name)))
            .collect()
    }

    pub fn numbers(&self) -> Vec<Option<f64>> {
        self.cells(|c| match c {
            Cell::Number(n) => Some(*n),
            _ => None,
        })
    }

    pub fn texts(&self) -> Vec<String> {
        self.cells(|c| match c {
            Cell::Text(t) => Some(t.clone().unwrap_or_default()),
            _ => None,
        })
    }

    pub fn times(&self) -> Vec<f64> {
        self.cells(|c| match c {
            Cell::Time(Some(ns)) => Some(*ns as f64 / 1e9),
            _ => None,
        })
    }
}

/// Decodes one Arrow IPC file as Grafana's frontend does.
pub fn decode(bytes: &[u8]) -> Frame {
    use arrow2::array::{Float64Array, Int64Array, Utf8Array};
    use arrow2::io::ipc::read::{read_file_metadata, FileReader};
    let mut cursor = std::io::Cursor::new(bytes);
    let metadata = read_file_metadata(&mut cursor).expect("Arrow file metadata");
    let schema = metadata.schema.clone();
    let reader = FileReader::new(cursor, metadata, None, None);
    let mut fields: Vec<Field> = schema
        .fields
        .iter()
        .map(|f| Field {
            name: f.name.clone(),
            labels: f
                .metadata
                .get("labels")
                .map(|l| serde_json::from_str(l).expect("labels JSON"))
                .unwrap_or_default(),
            config: f
                .metadata
                .get("config")
                .map(|c| serde_json::from_str(c).expect("config JSON"))
                .unwrap_or(Value::Null),
            values: Vec::new(),
        })
        .collect();
    for chunk in reader {
        let chunk = chunk.expect("Arrow chunk");
        for (field, array) in fields.iter_mut().zip(chunk.arrays()) {
            let any = array.as_any();
            if let Some(a) = any.downcast_ref::<Float64Array>() {
                field
                    .values
                    .extend(a.iter().map(|v| Cell::Number(v.copied())));
            } else if let Some(a) = any.downcast_ref::<Utf8Array<i32>>() {
                field
                    .values
                    .extend(a.iter().map(|v| Cell::Text(v.map(str::to_string))));
            } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                field
                    .values
                    .extend(a.iter().map(|v| Cell::Time(v.copied())));
            } else {
                panic!("unexpected Arrow type {:?}", array.data_type());
            }
        }
    }
    Frame {
        name: schema.metadata.get("name").cloned().unwrap_or_default(),
        meta: schema
            .metadata
            .get("meta")
            .map(|m| serde_json::from_str(m).expect("meta JSON"))
            .unwrap_or(Value::Null),
        fields,
    }
}

pub fn frames(response: &pluginv2::DataResponse) -> Vec<Frame> {
    assert_eq!(response.error, "", "unexpected error");
    response.frames.iter().map(|f| decode(f)).collect()
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-6 * expected.abs().max(1.0),
        "{what}: {actual} != {expected}"
    );
}

/// Fails unless `text` starts with `prefix`, showing the whole text.
pub fn assert_starts_with(text: &str, prefix: &str) {
    assert!(
        text.starts_with(prefix),
        "`{text}` does not start with `{prefix}`"
    );
}

/// The rules slokit generates for the `shop` fixture, written to `dir/shop.yml`.
pub fn generate_rules(dir: &Path) -> PathBuf {
    let path = dir.join("shop.yml");
    std::fs::write(&path, product_rules("shop")).expect("write rules");
    path
}

/// A real Prometheus evaluating `rules` every second, over `history` (OpenMetrics) backfilled into
/// a TSDB under `dir` when there is one.
pub fn start_prometheus(dir: &Path, rules: PathBuf, history: Option<&str>) -> Prometheus {
    let tsdb = history.map(|history| {
        let tsdb = dir.join("tsdb");
        backfill_openmetrics(history, &tsdb);
        tsdb
    });
    Prometheus::start(StartOptions {
        rule_files: vec![rules],
        tsdb,
        evaluation_interval: "1s".into(),
        ..StartOptions::default()
    })
}

/// The shop fixture's rules in a real Prometheus over [`shop_history`], once every SLO and group
/// has been evaluated.
pub fn shop_prometheus(dir: &Path) -> Prometheus {
    let rules = generate_rules(dir);
    let prometheus = start_prometheus(dir, rules, Some(&shop_history(now())));
    wait_for_rules(&prometheus);
    prometheus
}

/// The time series panels of a shop dashboard over `[from, to]`: the 1h SLI of `availability`
/// (`SLI`), the period SLI of every shop SLO (`P`), the 5m burn rate of `search-success` (`B`), the
/// budget remaining of the `api` service (`R`) and the events of `availability` (`E`).
pub fn shop_series_queries(from: f64, to: f64) -> Vec<pluginv2::DataQuery> {
    [
        (
            "SLI",
            json!({"queryType": "sli", "slo": "availability", "window": "1h"}),
        ),
        (
            "P",
            json!({"queryType": "sli", "product": ["shop"], "slo": "*"}),
        ),
        (
            "B",
            json!({"queryType": "burn_rate", "slo": "search-success", "window": "5m"}),
        ),
        (
            "R",
            json!({"queryType": "budget_remaining", "service": "api"}),
        ),
        ("E", json!({"queryType": "events", "slo": "availability"})),
    ]
    .into_iter()
    .map(|(ref_id, json)| data_query(ref_id, json, from, to))
    .collect()
}

/// The number of series `expr` has now.
pub fn series_count(prometheus: &Prometheus, expr: &str) -> usize {
    prometheus.query(expr, None).as_array().map_or(0, Vec::len)
}

/// Waits up to `limit` for `ready` (asked every 250 ms), then `settle` more, so that every window
/// has seen the live series; fails with `what` and Prometheus's log.
pub fn wait_until(
    prometheus: &Prometheus,
    what: &str,
    limit: Duration,
    settle: Duration,
    ready: impl Fn(&Prometheus) -> bool,
) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if ready(prometheus) {
            std::thread::sleep(settle);
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{what}:\n{}", prometheus.log());
}

/// Waits until Prometheus has evaluated the rules for every SLO and group, then three evaluations
/// more.
pub fn wait_for_rules(prometheus: &Prometheus) {
    wait_until(
        prometheus,
        "the rules were not evaluated in 60s",
        Duration::from_secs(60),
        Duration::from_secs(3),
        |p| {
            series_count(p, "slokit:error_budget_remaining:period") == 3
                && series_count(p, "ALERTS{route=\"/b\"}") > 0
        },
    );
}

/// A TCP server on 127.0.0.1 that answers every request with `response`, or never answers when it
/// is `None`. Not a Prometheus: it only produces the faults a Prometheus or a proxy can.
pub fn fault_server(response: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            match response {
                None => held.push(stream),
                Some(response) => {
                    let mut buffer = [0u8; 8192];
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                    let _ = stream.read(&mut buffer);
                    let _ = stream.write_all(response.as_bytes());
                }
            }
        }
    });
    format!("http://{address}")
}

pub fn http_response(status: &str, body: &str) -> &'static str {
    Box::leak(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    )
}

/// The fixture specs (`tests/fixtures`), loaded.
pub fn fixture_catalog() -> slokit::model::Catalog {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let today = slokit::model::Date::parse("2026-01-01").expect("date");
    let loaded = slokit::load::load(&[fixtures], slokit::load::Options { today });
    assert!(
        !loaded.diagnostics.has_errors() && loaded.io_errors.is_empty(),
        "the fixture specs are invalid"
    );
    loaded.catalog
}

/// The rules slokit generates for one product of the fixtures, as their text.
pub fn product_rules(product: &str) -> String {
    let files = slokit::render::generate(&fixture_catalog(), &Default::default());
    files
        .iter()
        .find(|f| f.path.ends_with(format!("rules/{product}.yml")))
        .unwrap_or_else(|| panic!("rules for `{product}`"))
        .contents
        .clone()
}

/// Waits until each `(expr, n)` has `n` series, then two evaluations more.
pub fn wait_for_counts(prometheus: &Prometheus, counts: &[(&str, usize)]) {
    wait_until(
        prometheus,
        &format!("the rules were not evaluated in 90s ({counts:?})"),
        Duration::from_secs(90),
        Duration::from_secs(2),
        |p| counts.iter().all(|(expr, n)| series_count(p, expr) == *n),
    );
}

/// The text of one text field of one row of a frame, found by another field's value.
pub fn cell(frame: &Frame, key_field: &str, key: &str, field: &str) -> String {
    let row = frame
        .field(key_field)
        .texts()
        .iter()
        .position(|k| k == key)
        .unwrap_or_else(|| panic!("no row with {key_field} = {key}"));
    frame.field(field).texts()[row].clone()
}

/// One series or number as Grafana's alert evaluator reads it from an answer: its labels, and
/// whether it is a number (a frame without time) or a time series.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSeries {
    pub labels: BTreeMap<String, String>,
    pub number: bool,
}

/// The answer of one query read as Grafana's server-side expressions read a datasource's frames
/// for alerting (`pkg/expr`, `convertDataFramesToResults`, non-dataplane frames): one frame
/// without a time field and with exactly one number column (the other columns text) is a set of
/// numbers, one per row, labelled by the text columns (named after them); otherwise every frame
/// must be a wide time series (a time field and number fields), each number field a series
/// labelled by the field's labels. Then, as alert rules require, every label set must be
/// non-empty and unique within the answer. The error says what Grafana would reject.
pub fn alert_series(frames: &[Frame]) -> Result<Vec<AlertSeries>, String> {
    let is_time =
        |f: &Field| f.values.iter().all(|c| matches!(c, Cell::Time(_))) && !f.values.is_empty();
    let is_number = |f: &Field| f.values.iter().all(|c| matches!(c, Cell::Number(_)));
    let is_text = |f: &Field| f.values.iter().all(|c| matches!(c, Cell::Text(_)));
    let mut out = Vec::new();
    let number_table = frames.len() == 1
        && !frames[0].fields.iter().any(&is_time)
        && frames[0].fields.iter().filter(|f| is_number(f)).count() == 1
        && frames[0].fields.iter().all(|f| is_number(f) || is_text(f));
    if number_table {
        let frame = &frames[0];
        let texts: Vec<&Field> = frame.fields.iter().filter(|f| is_text(f)).collect();
        let rows = frame.fields[0].values.len();
        for row in 0..rows {
            let labels = texts
                .iter()
                .map(|f| (f.name.clone(), f.texts()[row].clone()))
                .collect();
            out.push(AlertSeries {
                labels,
                number: true,
            });
        }
    } else {
        for frame in frames {
            if !frame.fields.iter().any(&is_time) {
                return Err(format!(
                    "input data must be a wide series but got type not: frame `{}`",
                    frame.name
                ));
            }
            for field in frame.fields.iter().filter(|f| !is_time(f)) {
                if !is_number(field) {
                    continue;
                }
                out.push(AlertSeries {
                    labels: field.labels.clone(),
                    number: false,
                });
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for series in &out {
        if series.labels.is_empty() {
            return Err("a series has no labels".into());
        }
        if !seen.insert(series.labels.clone()) {
            return Err(format!(
                "frame cannot uniquely be identified by its labels: {:?}",
                series.labels
            ));
        }
    }
    Ok(out)
}
