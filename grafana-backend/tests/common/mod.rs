//! Helpers shared by the plugin's integration tests: starting the real `gpx_slokit` executable
//! and reading its go-plugin handshake, calling its services over gRPC with the SDK's `pluginv2`
//! clients as Grafana does, decoding Arrow frames, the synthetic history behind a real Prometheus,
//! and a fault server. Each test binary uses a subset, hence `dead_code` is allowed.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use grafana_plugin_sdk::arrow2;
use grafana_plugin_sdk::pluginv2;
use promql_tests::process::ChildGuard;
use promql_tests::prometheus::Prometheus;
use serde_json::{json, Value};

/// The plugin executable, stopped when dropped (and when the test process dies).
pub struct Plugin {
    pub child: ChildGuard,
    pub address: String,
}

impl Plugin {
    /// Starts the plugin as Grafana does and reads the handshake line `1|2|tcp|<addr>|grpc`.
    pub fn start() -> Plugin {
        // `SLOKIT_PLUGIN_EXECUTABLE` runs the suite against another build of the plugin, such as
        // the static `dist/gpx_slokit_linux_amd64`.
        let executable = std::env::var_os("SLOKIT_PLUGIN_EXECUTABLE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gpx_slokit")));
        let mut command = Command::new(executable);
        command
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = ChildGuard::spawn(command).expect("start gpx_slokit");
        let stdout = child.stdout.take().expect("plugin stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the handshake line");
        let parts: Vec<&str> = line.trim().split('|').collect();
        assert_eq!(parts.len(), 5, "handshake line: {line:?}");
        assert_eq!(
            (parts[0], parts[1], parts[2], parts[4]),
            ("1", "2", "tcp", "grpc")
        );
        Plugin {
            child,
            address: format!("http://{}", parts[3]),
        }
    }

    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Endpoint::from_shared(self.address.clone())
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to the plugin")
    }
}

/// Datasource settings as Grafana sends them.
pub fn context(url: &str, json_data: Value, secure: &[(&str, &str)]) -> pluginv2::PluginContext {
    pluginv2::PluginContext {
        org_id: 1,
        plugin_id: "slokit-slo-datasource".into(),
        data_source_instance_settings: Some(pluginv2::DataSourceInstanceSettings {
            id: 1,
            uid: format!("ds-{url}"),
            name: "slokit".into(),
            url: url.into(),
            json_data: json_data.to_string().into_bytes(),
            decrypted_secure_json_data: secure
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            last_updated_ms: 1_700_000_000_000,
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// One query as Grafana's frontend sends it, with Grafana's own extra fields.
pub fn data_query(ref_id: &str, json: Value, from: f64, to: f64) -> pluginv2::DataQuery {
    let mut json = json;
    json["refId"] = json!(ref_id);
    json["datasource"] = json!({"type": "slokit-slo-datasource", "uid": "abc"});
    json["intervalMs"] = json!(1000);
    json["maxDataPoints"] = json!(1000);
    pluginv2::DataQuery {
        ref_id: ref_id.into(),
        max_data_points: 1000,
        interval_ms: 1000,
        time_range: Some(pluginv2::TimeRange {
            from_epoch_ms: (from * 1000.0) as i64,
            to_epoch_ms: (to * 1000.0) as i64,
        }),
        json: json.to_string().into_bytes(),
        query_type: String::new(),
    }
}

pub async fn query_data(
    plugin: &Plugin,
    context: pluginv2::PluginContext,
    queries: Vec<pluginv2::DataQuery>,
) -> HashMap<String, pluginv2::DataResponse> {
    let mut client = pluginv2::data_client::DataClient::new(plugin.channel().await);
    client
        .query_data(pluginv2::QueryDataRequest {
            plugin_context: Some(context),
            headers: HashMap::new(),
            queries,
        })
        .await
        .expect("QueryData succeeds even when queries fail")
        .into_inner()
        .responses
}

pub async fn check_health(plugin: &Plugin, context: pluginv2::PluginContext) -> (i32, String) {
    let mut client = pluginv2::diagnostics_client::DiagnosticsClient::new(plugin.channel().await);
    let response = client
        .check_health(pluginv2::CheckHealthRequest {
            plugin_context: Some(context),
            headers: HashMap::new(),
        })
        .await
        .expect("CheckHealth answers")
        .into_inner();
    (response.status, response.message)
}

pub async fn call_resource(
    plugin: &Plugin,
    context: pluginv2::PluginContext,
    url: &str,
) -> (i32, Value) {
    let mut client = pluginv2::resource_client::ResourceClient::new(plugin.channel().await);
    let mut stream = client
        .call_resource(pluginv2::CallResourceRequest {
            plugin_context: Some(context),
            path: url.split('?').next().unwrap_or_default().into(),
            method: "GET".into(),
            url: url.into(),
            ..Default::default()
        })
        .await
        .expect("CallResource answers")
        .into_inner();
    let first = stream
        .message()
        .await
        .expect("a resource response")
        .expect("at least one message");
    let body: Value = serde_json::from_slice(&first.body).expect("JSON body");
    (first.code, body)
}

/// A decoded data frame.
#[derive(Debug)]
pub struct Frame {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Debug)]
pub struct Field {
    pub name: String,
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
}

impl Field {
    pub fn numbers(&self) -> Vec<Option<f64>> {
        self.values
            .iter()
            .map(|c| match c {
                Cell::Number(n) => *n,
                other => panic!("`{}` holds {other:?}", self.name),
            })
            .collect()
    }

    pub fn texts(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|c| match c {
                Cell::Text(t) => t.clone().unwrap_or_default(),
                other => panic!("`{}` holds {other:?}", self.name),
            })
            .collect()
    }

    pub fn times(&self) -> Vec<f64> {
        self.values
            .iter()
            .map(|c| match c {
                Cell::Time(Some(ns)) => *ns as f64 / 1e9,
                other => panic!("`{}` holds {other:?}", self.name),
            })
            .collect()
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

/// The rules slokit generates for the test product, written under `dir`.
pub fn generate_rules(dir: &Path) -> PathBuf {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let today = slokit::model::Date::parse("2026-01-01").expect("date");
    let loaded = slokit::load::load(&[fixtures], slokit::load::Options { today });
    assert!(
        !loaded.diagnostics.has_errors() && loaded.io_errors.is_empty(),
        "the fixture specs are invalid"
    );
    let files = slokit::render::generate(&loaded.catalog, &Default::default());
    let rules = files
        .iter()
        .find(|f| f.path.ends_with("rules/shop.yml"))
        .expect("rules for `shop`");
    let path = dir.join("shop.yml");
    std::fs::write(&path, &rules.contents).expect("write rules");
    path
}

/// Synthetic traffic, as events per second: (SLO labels, total, bad). The error ratios are 0.05%
/// (burn rate 0.5 against 99.9%), 0.5% and 2% (0.5 and 2 against 99%).
pub const TRAFFIC: [(&str, &str, &str, f64, f64); 3] = [
    ("availability", "shop_requests", "", 20.0, 0.01),
    ("search-success", "search", "/a", 4.0, 0.02),
    ("search-success", "search", "/b", 4.0, 0.08),
];

/// OpenMetrics history: two hours of raw counters every 15s up to `end`, and 26 hours of the 1h
/// event-rate series every 5m, so that the windows longer than the live history (1d, 3d, the
/// period) have their hourly points.
pub fn history(end: f64) -> String {
    let mut out = String::new();
    let end = end.floor() as i64;
    for (family_suffix, pick) in [("", 0), ("_failed", 1)] {
        let mut families: Vec<&str> = TRAFFIC.iter().map(|t| t.1).collect();
        families.dedup();
        for family in families {
            let name = format!("{family}{family_suffix}");
            out.push_str(&format!("# TYPE {name} counter\n"));
            for (_, _, route, total, bad) in TRAFFIC.iter().filter(|t| t.1 == family) {
                let rate = if pick == 0 { *total } else { *bad };
                let labels = if route.is_empty() {
                    String::new()
                } else {
                    format!("{{route=\"{route}\"}}")
                };
                for step in 0..=480 {
                    let time = end - 2 * 3600 + step * 15;
                    let value = rate * (step * 15) as f64;
                    out.push_str(&format!("{name}_total{labels} {value} {time}\n"));
                }
            }
        }
    }
    for (series, pick) in [
        ("slokit:events_total:rate1h", 0),
        ("slokit:events_bad:rate1h", 1),
    ] {
        out.push_str(&format!("# TYPE {series} gauge\n"));
        for (slo, family, route, total, bad) in TRAFFIC {
            let service = if family == "search" { "search" } else { "api" };
            let mut labels = format!(
                "slokit_product=\"shop\",slokit_service=\"{service}\",slokit_slo=\"{slo}\""
            );
            if !route.is_empty() {
                labels = format!("route=\"{route}\",{labels}");
            }
            let value = if pick == 0 { total } else { bad };
            for step in 0..=(26 * 12) {
                let time = end - 26 * 3600 + step * 300;
                out.push_str(&format!("{series}{{{labels}}} {value} {time}\n"));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Waits until Prometheus has evaluated the rules for every SLO and group.
pub fn wait_for_rules(prometheus: &Prometheus) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let budget = prometheus.query("slokit:error_budget_remaining:period", None);
        let alerts = prometheus.query("ALERTS{route=\"/b\"}", None);
        if budget.as_array().map_or(0, Vec::len) == 3
            && alerts.as_array().is_some_and(|a| !a.is_empty())
        {
            // Two more evaluations, so every window has seen the live series.
            std::thread::sleep(Duration::from_secs(3));
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("the rules were not evaluated in 60s:\n{}", prometheus.log());
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

/// The fixture specs (`tests/fixtures`), loaded as `generate_rules` loads them.
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

/// Synthetic traffic of one SLO (or one group of it) for [`history_of`], in events per second.
/// The bad-event rate is `bad` over the last `bad_hours` hours and `bad_before` earlier.
#[derive(Clone, Copy, Debug)]
pub struct SloTraffic {
    pub product: &'static str,
    pub service: &'static str,
    pub slo: &'static str,
    /// The counters are `<metric>_total` and `<metric>_failed_total`.
    pub metric: &'static str,
    /// Grouping labels, e.g. `route="/a"`, or empty.
    pub group: &'static str,
    pub total: f64,
    pub bad: f64,
    pub bad_before: f64,
    pub bad_hours: i64,
}

impl SloTraffic {
    /// The bad-event rate at `time`, for a history ending at `end`.
    pub fn bad_at(&self, time: i64, end: i64) -> f64 {
        if time > end - self.bad_hours * 3600 {
            self.bad
        } else {
            self.bad_before
        }
    }
}

/// The shop fixture's traffic ([`TRAFFIC`]), steady over the whole history.
pub fn shop_traffic() -> Vec<SloTraffic> {
    TRAFFIC
        .iter()
        .map(|(slo, metric, route, total, bad)| SloTraffic {
            product: "shop",
            service: if *metric == "search" { "search" } else { "api" },
            slo,
            metric,
            group: if route.is_empty() {
                ""
            } else if *route == "/a" {
                "route=\"/a\""
            } else {
                "route=\"/b\""
            },
            total: *total,
            bad: *bad,
            bad_before: *bad,
            bad_hours: 0,
        })
        .collect()
}

/// Hours of 1h event-rate history [`history_of`] writes for [`BILLING_TRAFFIC`].
pub const BILLING_HISTORY_HOURS: i64 = 48;

/// The billing fixture's traffic, which puts each SLO under a known step of `billing-policy`
/// (budget-low below 50% left, burning above 1.5x over 12h, fast-burn above 4x over 2h,
/// budget-exhausted at 0):
/// - `charges` (99%): 2% errors (burn rate 2) for the last 14 hours of 48, none before: the 12h
///   rate is 2 (burning), about 14/48 of the period at rate 2 leaves ~42% (budget-low), the 2h
///   rate 2 is under 4; the most severe match is `burning`.
/// - `refunds` (99.9%): 0.2% errors throughout (burn rate 2): the budget is overspent, and
///   `budget-exhausted` blocks, so it outranks the others.
/// - `ledger` (99%): 0.1% errors (burn rate 0.1): no step matches.
pub const BILLING_TRAFFIC: [SloTraffic; 3] = [
    SloTraffic {
        product: "billing",
        service: "payments",
        slo: "charges",
        metric: "billing_charges",
        group: "",
        total: 10.0,
        bad: 0.2,
        bad_before: 0.0,
        bad_hours: 14,
    },
    SloTraffic {
        product: "billing",
        service: "refunds",
        slo: "refunds",
        metric: "billing_refunds",
        group: "",
        total: 5.0,
        bad: 0.01,
        bad_before: 0.01,
        bad_hours: 0,
    },
    SloTraffic {
        product: "billing",
        service: "ledger",
        slo: "ledger",
        metric: "billing_ledger",
        group: "",
        total: 2.0,
        bad: 0.002,
        bad_before: 0.002,
        bad_hours: 0,
    },
];

/// OpenMetrics history for `traffic`, ending at `end`: two hours of raw counters every 15s, and
/// `hours` hours of the 1h event-rate series every 5m (the rates in force at each time), so that
/// windows longer than the live history (12h, 1d, 3d, the period) have their hourly points.
pub fn history_of(traffic: &[SloTraffic], end: f64, hours: i64) -> String {
    let mut families = raw_counters(traffic, end, 2, 15);
    families.extend(hourly_rates(traffic, end, hours));
    openmetrics(families)
}

/// Lines of OpenMetrics samples by family name, with the family's type.
pub type Families = std::collections::BTreeMap<String, (&'static str, Vec<String>)>;

/// `{labels}`, or nothing for no labels.
fn braces(labels: &str) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    }
}

/// The counters behind `traffic` (`<metric>_total`, `<metric>_failed_total`) over the `hours`
/// before `end`, one sample every `step` seconds.
pub fn raw_counters(traffic: &[SloTraffic], end: f64, hours: i64, step: i64) -> Families {
    let end = end.floor() as i64;
    let mut families = Families::new();
    for t in traffic {
        for (suffix, bad) in [("", false), ("_failed", true)] {
            let name = format!("{}{suffix}", t.metric);
            let lines = &mut families
                .entry(name.clone())
                .or_insert(("counter", Vec::new()))
                .1;
            let start = end - hours * 3600;
            let mut value = 0.0;
            for index in 0..=(hours * 3600 / step) {
                let time = start + index * step;
                if index > 0 {
                    let rate = if bad { t.bad_at(time, end) } else { t.total };
                    value += step as f64 * rate;
                }
                lines.push(format!("{name}_total{} {value} {time}", braces(t.group)));
            }
        }
    }
    families
}

/// The 1h event-rate series slokit records (`slokit:events_*:rate1h`) for `traffic` over the
/// `hours` before `end`, every 5m.
pub fn hourly_rates(traffic: &[SloTraffic], end: f64, hours: i64) -> Families {
    let end = end.floor() as i64;
    let mut families = Families::new();
    for t in traffic {
        let mut identity = format!(
            "slokit_product=\"{}\",slokit_service=\"{}\",slokit_slo=\"{}\"",
            t.product, t.service, t.slo
        );
        if !t.group.is_empty() {
            identity = format!("{},{identity}", t.group);
        }
        for (series, bad) in [
            ("slokit:events_total:rate1h", false),
            ("slokit:events_bad:rate1h", true),
        ] {
            let lines = &mut families
                .entry(series.to_string())
                .or_insert(("gauge", Vec::new()))
                .1;
            for step in 0..=(hours * 12) {
                let time = end - hours * 3600 + step * 300;
                let value = if bad { t.bad_at(time, end) } else { t.total };
                lines.push(format!("{series}{{{identity}}} {value} {time}"));
            }
        }
    }
    families
}

/// The OpenMetrics text of `families`, each family's samples together, ending with `# EOF`.
pub fn openmetrics(families: Families) -> String {
    let mut out = String::new();
    for (name, (kind, lines)) in families {
        out.push_str(&format!("# TYPE {name} {kind}\n"));
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Waits until each `(expr, n)` has `n` series, then two evaluations more.
pub fn wait_for_counts(prometheus: &Prometheus, counts: &[(&str, usize)]) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(90) {
        let ready = counts
            .iter()
            .all(|(expr, n)| prometheus.query(expr, None).as_array().map_or(0, Vec::len) == *n);
        if ready {
            std::thread::sleep(Duration::from_secs(2));
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "the rules were not evaluated in 90s ({counts:?}):\n{}",
        prometheus.log()
    );
}

/// The plugin's count of requests to Prometheus so far (`slokit_plugin_prometheus_requests_total`).
pub async fn prometheus_requests(plugin: &Plugin, context: pluginv2::PluginContext) -> u64 {
    let mut client = pluginv2::diagnostics_client::DiagnosticsClient::new(plugin.channel().await);
    let metrics = client
        .collect_metrics(pluginv2::CollectMetricsRequest {
            plugin_context: Some(context),
        })
        .await
        .expect("CollectMetrics")
        .into_inner();
    let text = String::from_utf8(metrics.metrics.expect("a payload").prometheus).expect("UTF-8");
    text.lines()
        .find_map(|l| l.strip_prefix("slokit_plugin_prometheus_requests_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no request count in {text}"))
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
