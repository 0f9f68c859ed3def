//! End-to-end tests of the plugin as Grafana runs it: the real `gpx_slokit` executable is
//! started, its go-plugin handshake line read from stdout, and its services called over gRPC with
//! the SDK's public `pluginv2` clients. Behind it runs a real Prometheus (2.42, from
//! `promql_tests`) loaded with rules that the slokit library generates from
//! `tests/fixtures/shop.yaml`, over synthetic history backfilled with promtool. Data frames are
//! decoded from Arrow and compared with values computed from the synthetic rates, not read back
//! from Prometheus. Faults use real sockets: a stopped Prometheus, and a tiny TCP server that
//! answers with a fixed status and body, or never answers.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use grafana_plugin_sdk::arrow2;
use grafana_plugin_sdk::pluginv2;
use promql_tests::prometheus::{backfill_openmetrics, Prometheus, StartOptions};
use serde_json::{json, Value};

/// The plugin executable, stopped when dropped.
struct Plugin {
    child: Child,
    address: String,
}

impl Plugin {
    /// Starts the plugin as Grafana does and reads the handshake line `1|2|tcp|<addr>|grpc`.
    fn start() -> Plugin {
        // `SLOKIT_PLUGIN_EXECUTABLE` runs the suite against another build of the plugin, such as
        // the static `dist/gpx_slokit_linux_amd64`.
        let executable = std::env::var_os("SLOKIT_PLUGIN_EXECUTABLE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gpx_slokit")));
        let mut child = Command::new(executable)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start gpx_slokit");
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

    async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Endpoint::from_shared(self.address.clone())
            .expect("endpoint")
            .connect()
            .await
            .expect("connect to the plugin")
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Datasource settings as Grafana sends them.
fn context(url: &str, json_data: Value, secure: &[(&str, &str)]) -> pluginv2::PluginContext {
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

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

/// One query as Grafana's frontend sends it, with Grafana's own extra fields.
fn data_query(ref_id: &str, json: Value, from: f64, to: f64) -> pluginv2::DataQuery {
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

async fn query_data(
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

async fn check_health(plugin: &Plugin, context: pluginv2::PluginContext) -> (i32, String) {
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

async fn call_resource(
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
struct Frame {
    name: String,
    fields: Vec<Field>,
}

#[derive(Debug)]
struct Field {
    name: String,
    config: Value,
    values: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Number(Option<f64>),
    Text(Option<String>),
    Time(Option<i64>),
}

impl Frame {
    fn field(&self, name: &str) -> &Field {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no field `{name}` in {self:?}"))
    }
}

impl Field {
    fn numbers(&self) -> Vec<Option<f64>> {
        self.values
            .iter()
            .map(|c| match c {
                Cell::Number(n) => *n,
                other => panic!("`{}` holds {other:?}", self.name),
            })
            .collect()
    }

    fn texts(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|c| match c {
                Cell::Text(t) => t.clone().unwrap_or_default(),
                other => panic!("`{}` holds {other:?}", self.name),
            })
            .collect()
    }

    fn times(&self) -> Vec<f64> {
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
fn decode(bytes: &[u8]) -> Frame {
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

fn frames(response: &pluginv2::DataResponse) -> Vec<Frame> {
    assert_eq!(response.error, "", "unexpected error");
    response.frames.iter().map(|f| decode(f)).collect()
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-6 * expected.abs().max(1.0),
        "{what}: {actual} != {expected}"
    );
}

/// The rules slokit generates for the test product, written under `dir`.
fn generate_rules(dir: &Path) -> PathBuf {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let today = slokit::model::Date::parse("2026-01-01").expect("date");
    let loaded = slokit::spec::load(&[fixtures], slokit::spec::Options { today });
    assert!(
        !loaded.diagnostics.has_errors() && loaded.io_errors.is_empty(),
        "the fixture specs are invalid"
    );
    let files = slokit::generate::generate(&loaded.catalog, &Default::default());
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
const TRAFFIC: [(&str, &str, &str, f64, f64); 3] = [
    ("availability", "shop_requests", "", 20.0, 0.01),
    ("search-success", "search", "/a", 4.0, 0.02),
    ("search-success", "search", "/b", 4.0, 0.08),
];

/// OpenMetrics history: two hours of raw counters every 15s up to `end`, and 26 hours of the 1h
/// event-rate series every 5m, so that the windows longer than the live history (1d, 3d, the
/// period) have their hourly points.
fn history(end: f64) -> String {
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
fn wait_for_rules(prometheus: &Prometheus) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_against_real_prometheus() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let rules = generate_rules(dir.path());
    let tsdb = dir.path().join("tsdb");
    backfill_openmetrics(&history(now()), &tsdb);
    let prometheus = Prometheus::start(StartOptions {
        rule_files: vec![rules],
        tsdb: Some(tsdb),
        evaluation_interval: "1s".into(),
        extra_config: String::new(),
    });
    wait_for_rules(&prometheus);
    let plugin = Plugin::start();
    let url = prometheus.url.clone();
    let ctx = || context(&url, json!({"timeout": "10"}), &[]);
    let to = now();

    // Health and catalog.
    let (status, message) = check_health(&plugin, ctx()).await;
    assert_eq!(
        (status, message.as_str()),
        (
            1,
            format!("found 2 SLOs in 1 products at `{}`", prometheus.url).as_str()
        )
    );
    let (code, body) = call_resource(&plugin, ctx(), "products").await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        json!({"products": [{"name": "shop", "services": 2, "slos": 2}]})
    );
    let (code, body) = call_resource(&plugin, ctx(), "services?product=shop").await;
    assert_eq!(code, 200);
    assert_eq!(
        body,
        json!({"services": [
            {"product": "shop", "name": "api", "slos": 1},
            {"product": "shop", "name": "search", "slos": 1},
        ]})
    );
    let (code, body) = call_resource(&plugin, ctx(), "slos?product=shop&service=search").await;
    assert_eq!(code, 200);
    let slos = body["slos"].as_array().expect("a list");
    assert_eq!(slos.len(), 1);
    assert_eq!(slos[0]["slo"], "search-success");
    assert_eq!(slos[0]["owner"], "search-team");
    assert_eq!(slos[0]["displayName"], "success");
    let (code, body) = call_resource(&plugin, ctx(), "slo?product=shop&slo=availability").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["slo"]["objective"], 0.999);
    assert_eq!(body["slo"]["period"], "30d");
    let factors: Vec<f64> = body["slo"]["alertTiers"]
        .as_array()
        .expect("tiers")
        .iter()
        .map(|t| t["factor"].as_f64().expect("factor"))
        .collect();
    for (actual, expected) in factors.iter().zip([14.4, 6.0, 3.0, 1.0]) {
        assert_close(*actual, expected, "tier factor");
    }
    let (code, body) = call_resource(&plugin, ctx(), "slo?product=shop&slo=gone").await;
    assert_eq!(code, 404, "{body}");
    let (code, _) = call_resource(&plugin, ctx(), "nothing").await;
    assert_eq!(code, 404);

    // The status table: one row per SLO and group, values from the synthetic rates.
    let responses = query_data(
        &plugin,
        ctx(),
        vec![data_query(
            "S",
            json!({"queryType": "status", "product": "shop"}),
            to - 3600.0,
            to,
        )],
    )
    .await;
    let table = frames(&responses["S"]);
    assert_eq!(table.len(), 1);
    let table = &table[0];
    assert_eq!(
        table.field("slo").texts(),
        ["availability", "search-success", "search-success"]
    );
    assert_eq!(
        table.field("group").texts(),
        ["", "route=\"/a\"", "route=\"/b\""]
    );
    assert_eq!(table.field("period").texts(), ["30d", "7d", "7d"]);
    assert_eq!(
        table.field("owner").texts(),
        ["shop-team", "search-team", "search-team"]
    );
    let expected_rows = [
        // objective, SLI, budget remaining, minutes left, burn rate
        (0.999, 0.9995, 0.5, 0.5 * 0.001 * 30.0 * 1440.0, 0.5),
        (0.99, 0.995, 0.5, 0.5 * 0.01 * 7.0 * 1440.0, 0.5),
        (0.99, 0.98, -1.0, -0.01 * 7.0 * 1440.0, 2.0),
    ];
    for (row, (objective, sli, budget, minutes, burn)) in expected_rows.iter().enumerate() {
        let number = |name: &str| table.field(name).numbers()[row].expect(name);
        assert_close(number("objective"), *objective, "objective");
        assert_close(number("sli"), *sli, "sli");
        assert_close(number("budget remaining"), *budget, "budget remaining");
        assert_close(
            number("budget remaining minutes"),
            *minutes,
            "budget minutes",
        );
        for window in ["1h", "6h", "3d"] {
            assert_close(number(&format!("burn rate {window}")), *burn, window);
        }
    }
    let alerts = table.field("alert state").texts();
    assert_eq!(&alerts[..2], ["ok", "ok"]);
    assert!(
        alerts[2].starts_with("firing") || alerts[2].starts_with("pending"),
        "{alerts:?}"
    );
    assert_eq!(table.field("policy action").texts(), ["unknown"; 3]);
    assert_eq!(
        table.field("sli").config["unit"],
        "percentunit",
        "{:?}",
        table.field("sli").config
    );

    // Time series queries, several in one request; each keeps its own refId.
    let from = to - 120.0;
    let responses = query_data(
        &plugin,
        ctx(),
        vec![
            data_query(
                "SLI",
                json!({"queryType": "sli", "slo": "availability", "window": "1h"}),
                from,
                to,
            ),
            data_query(
                "P",
                json!({"queryType": "sli", "product": ["shop"], "slo": "*"}),
                from,
                to,
            ),
            data_query(
                "B",
                json!({"queryType": "burn_rate", "slo": "search-success", "window": "5m"}),
                from,
                to,
            ),
            data_query(
                "R",
                json!({"queryType": "budget_remaining", "service": "api"}),
                from,
                to,
            ),
            data_query(
                "E",
                json!({"queryType": "events", "slo": "availability"}),
                from,
                to,
            ),
        ],
    )
    .await;
    let sli = frames(&responses["SLI"]);
    assert_eq!(sli.len(), 1);
    let value = sli[0].field("value");
    assert_eq!(
        value.config["displayNameFromDS"],
        "SLI 1h shop/availability"
    );
    assert_eq!(value.config["unit"], "percentunit");
    assert_eq!(value.config["thresholds"]["steps"][1]["value"], 0.999);
    let values = value.numbers();
    assert!(values.len() >= 100, "{} points", values.len());
    for v in values {
        assert_close(v.expect("a value"), 0.9995, "SLI 1h");
    }
    let times = sli[0].field("time").times();
    assert!(
        times.windows(2).all(|w| (w[1] - w[0] - 1.0).abs() < 1e-6),
        "1s steps"
    );

    let period = frames(&responses["P"]);
    let names: Vec<String> = period
        .iter()
        .map(|f| {
            f.field("value").config["displayNameFromDS"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "SLI period shop/availability",
            "SLI period shop/search-success {route=\"/a\"}",
            "SLI period shop/search-success {route=\"/b\"}",
        ]
    );
    for (frame, expected) in period.iter().zip([0.9995, 0.995, 0.98]) {
        let last = frame
            .field("value")
            .numbers()
            .last()
            .copied()
            .flatten()
            .expect("a value");
        assert_close(last, expected, &frame.name);
    }

    let burn = frames(&responses["B"]);
    assert_eq!(burn.len(), 2);
    let steps: Vec<f64> = burn[0].field("value").config["thresholds"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["value"].as_f64())
        .collect();
    // The default tiers' factors for a 7-day period, ascending.
    let expected_steps = [
        0.1 * 7.0 / 3.0,
        0.1 * 7.0,
        0.05 * 7.0 * 4.0,
        0.02 * 7.0 * 24.0,
    ];
    for (actual, expected) in steps.iter().zip(expected_steps) {
        assert_close(*actual, expected, "threshold");
    }
    for (frame, expected) in burn.iter().zip([0.5, 2.0]) {
        let last = frame
            .field("value")
            .numbers()
            .last()
            .copied()
            .flatten()
            .expect("a value");
        assert_close(last, expected, &frame.name);
    }

    let budget = frames(&responses["R"]);
    assert_eq!(budget.len(), 1);
    assert_close(
        budget[0]
            .field("value")
            .numbers()
            .last()
            .copied()
            .flatten()
            .expect("a value"),
        0.5,
        "budget remaining",
    );

    let events = frames(&responses["E"]);
    let names: Vec<&str> = events
        .iter()
        .map(|f| {
            f.field("value").config["displayNameFromDS"]
                .as_str()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(
        names,
        [
            "good events/s 5m shop/availability",
            "total events/s 5m shop/availability"
        ]
    );
    // Rates read from counters are extrapolated at the edges of the data, so they are compared
    // loosely; the ratio of good to total is exact.
    let good = events[0]
        .field("value")
        .numbers()
        .last()
        .copied()
        .flatten()
        .expect("good");
    let total = events[1]
        .field("value")
        .numbers()
        .last()
        .copied()
        .flatten()
        .expect("total");
    assert!((total - 20.0).abs() < 0.5, "total {total}");
    assert_close(good / total, 0.9995, "good share");

    // Burn-down over 20 hours from the 1h series: at each hour, the error ratio so far as a share
    // of the budget, scaled by the share of the 30-day period elapsed.
    let from = (to / 3600.0).floor() * 3600.0 - 20.0 * 3600.0;
    let responses = query_data(
        &plugin,
        ctx(),
        vec![data_query(
            "D",
            json!({"queryType": "budget_burndown", "slo": "availability"}),
            from,
            to,
        )],
    )
    .await;
    let burndown = frames(&responses["D"]);
    assert_eq!(burndown.len(), 1);
    let times = burndown[0].field("time").times();
    let remaining = burndown[0].field("remaining").numbers();
    let ideal = burndown[0].field("ideal").numbers();
    assert_eq!(times.len(), 20);
    let period_seconds = 30.0 * 86_400.0;
    for ((time, remaining), ideal) in times.iter().zip(remaining).zip(ideal) {
        let elapsed = time - from;
        assert_close(
            remaining.expect("remaining"),
            1.0 - 0.5 * elapsed / period_seconds,
            "burn-down",
        );
        assert_close(
            ideal.expect("ideal"),
            1.0 - elapsed / period_seconds,
            "ideal",
        );
    }

    // Bad queries fail alone, each with a message naming the field; good ones still answer.
    let mut not_json = data_query("J", json!({}), to - 60.0, to);
    not_json.json = b"{\"queryType\": ".to_vec();
    let mut no_range = data_query("T", json!({"queryType": "sli"}), to - 60.0, to);
    no_range.time_range = None;
    let mut huge_range = data_query("H", json!({"queryType": "sli"}), to - 60.0, to);
    huge_range.time_range = Some(pluginv2::TimeRange {
        from_epoch_ms: i64::MIN,
        to_epoch_ms: i64::MAX,
    });
    let responses = query_data(
        &plugin,
        ctx(),
        vec![
            data_query(
                "OK",
                json!({"queryType": "budget_remaining", "slo": "availability"}),
                to - 60.0,
                to,
            ),
            data_query("U", json!({"queryType": "latency"}), to - 60.0, to),
            data_query(
                "W",
                json!({"queryType": "sli", "window": "4h"}),
                to - 60.0,
                to,
            ),
            data_query(
                "X",
                json!({"queryType": "sli", "slo": {"name": "x"}}),
                to - 60.0,
                to,
            ),
            data_query("E", json!({"queryType": "sli", "slo": []}), to - 60.0, to),
            data_query(
                "G",
                json!({"queryType": "sli", "slo": "deleted-slo"}),
                to - 60.0,
                to,
            ),
            data_query(
                "G2",
                json!({"queryType": "status", "product": "gone"}),
                to - 60.0,
                to,
            ),
            data_query("I", json!({"queryType": "sli"}), to, to - 60.0),
            not_json,
            no_range,
            huge_range,
        ],
    )
    .await;
    assert_eq!(frames(&responses["OK"]).len(), 1);
    let expect = [
        ("U", 400, "`queryType` `latency` is unknown: expected one of `sli`, `burn_rate`, `budget_remaining`, `budget_burndown`, `status`, `events`"),
        ("W", 400, "`window` `4h` is not a recorded window: use one of `5m`, `30m`, `1h`, `2h`, `6h`, `1d`, `3d`, `period`"),
        ("X", 400, "`slo` must be a string or a list of strings"),
        ("E", 400, "`slo` is an empty list: select at least one value, or `*` for all"),
        ("G", 404, "no SLO matches slo=`deleted-slo`: `slokit:slo:info` has no such series; the SLO may have been deleted, or the generated rules are not loaded"),
        ("G2", 404, "no SLO matches product=`gone`: `slokit:slo:info` has no such series; the SLO may have been deleted, or the generated rules are not loaded"),
        ("I", 400, "the time range is empty: `from` is not before `to`"),
        ("T", 400, "the query has no time range"),
        ("H", 400, "the time range is invalid: a timestamp is out of range"),
    ];
    for (ref_id, status, message) in expect {
        let response = &responses[ref_id];
        assert_eq!(
            (response.status, response.error.as_str()),
            (status, message),
            "{ref_id}"
        );
    }
    assert_eq!(responses["J"].status, 400);
    assert!(
        responses["J"]
            .error
            .starts_with("the query is not valid JSON: "),
        "{}",
        responses["J"].error
    );

    // The plugin's own metrics count what happened above.
    let mut client = pluginv2::diagnostics_client::DiagnosticsClient::new(plugin.channel().await);
    let metrics = client
        .collect_metrics(pluginv2::CollectMetricsRequest {
            plugin_context: Some(ctx()),
        })
        .await
        .expect("CollectMetrics")
        .into_inner();
    let text = String::from_utf8(metrics.metrics.expect("a payload").prometheus).expect("UTF-8");
    assert!(
        text.contains("slokit_plugin_queries_total{query_type=\"status\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "slokit_plugin_query_errors_total{query_type=\"unknown\",status=\"400\"} 2\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("# TYPE slokit_plugin_query_duration_seconds histogram\n"),
        "{text}"
    );

    // Prometheus stops: queries fail with 502 and health says it is unreachable.
    drop(prometheus);
    let responses = query_data(
        &plugin,
        ctx(),
        vec![data_query(
            "A",
            json!({"queryType": "status"}),
            to - 60.0,
            to,
        )],
    )
    .await;
    assert_eq!(responses["A"].status, 502);
    assert!(
        responses["A"]
            .error
            .starts_with("cannot reach prometheus at `http://127.0.0.1:"),
        "{}",
        responses["A"].error
    );
    let (status, message) = check_health(&plugin, ctx()).await;
    assert_eq!(status, 2, "{message}");
    assert!(message.starts_with("cannot reach prometheus"), "{message}");
}

/// A TCP server on 127.0.0.1 that answers every request with `response`, or never answers when it
/// is `None`. Not a Prometheus: it only produces the faults a Prometheus or a proxy can.
fn fault_server(response: Option<&'static str>) -> String {
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

fn http_response(status: &str, body: &str) -> &'static str {
    Box::leak(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_reported_per_query() {
    let plugin = Plugin::start();
    let to = now();
    let status_query = || {
        vec![data_query(
            "A",
            json!({"queryType": "status"}),
            to - 60.0,
            to,
        )]
    };

    // Slow: a server that never answers gives 504 after the configured timeout.
    let silent = fault_server(None);
    let started = Instant::now();
    let responses = query_data(
        &plugin,
        context(&silent, json!({"timeout": 1}), &[]),
        status_query(),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (responses["A"].status, responses["A"].error.clone()),
        (
            504,
            format!("prometheus at `{silent}` did not answer within 1s (the datasource's timeout)")
        )
    );

    // A 500 with Prometheus's error envelope: 502, with its message.
    let failing = fault_server(Some(http_response(
        "500 Internal Server Error",
        r#"{"status":"error","errorType":"internal","error":"out of memory"}"#,
    )));
    let responses = query_data(&plugin, context(&failing, json!({}), &[]), status_query()).await;
    assert_eq!(
        (responses["A"].status, responses["A"].error.clone()),
        (
            502,
            format!("prometheus at `{failing}` answered HTTP 500: out of memory")
        )
    );

    // A body that is not the API's JSON.
    let garbage = fault_server(Some(http_response("200 OK", "<html>proxy login</html>")));
    let responses = query_data(&plugin, context(&garbage, json!({}), &[]), status_query()).await;
    assert_eq!(
        (responses["A"].status, responses["A"].error.clone()),
        (502, format!("prometheus at `{garbage}` sent a malformed response: the body is not JSON: `<html>proxy login</html>`"))
    );
    let wrong_shape = fault_server(Some(http_response(
        "200 OK",
        r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
    )));
    let responses = query_data(
        &plugin,
        context(&wrong_shape, json!({}), &[]),
        status_query(),
    )
    .await;
    assert_eq!(responses["A"].status, 502, "{}", responses["A"].error);

    // Rejected credentials: health says so, and the secrets appear nowhere.
    let denied = fault_server(Some(http_response("401 Unauthorized", "{}")));
    let with_secrets = context(
        &denied.replace("http://", "http://admin:url-secret@"),
        json!({"httpHeaderName1": "X-Api-Key", "tenantId": "team-a"}),
        &[
            ("httpHeaderValue1", "header-secret"),
            ("bearerToken", "token-secret"),
        ],
    );
    let (status, message) = check_health(&plugin, with_secrets.clone()).await;
    assert_eq!(status, 2);
    assert_eq!(
        message,
        format!("authentication failed: prometheus at `{denied}` rejected the credentials (HTTP 401): check basic auth, the bearer token and custom headers")
    );
    let responses = query_data(&plugin, with_secrets, status_query()).await;
    assert_eq!(responses["A"].status, 502);
    for secret in ["url-secret", "header-secret", "token-secret"] {
        assert!(!responses["A"].error.contains(secret));
        assert!(!message.contains(secret));
    }

    // Bad settings: every query says what is wrong with them; health too.
    let (status, message) = check_health(&plugin, context("", json!({}), &[])).await;
    assert_eq!(status, 2);
    assert_eq!(message, "invalid datasource settings: the datasource has no URL: set it to the Prometheus (or Mimir, Thanos, VictoriaMetrics) base URL");
    let responses = query_data(
        &plugin,
        context("http://127.0.0.1:1", json!({"timeout": "soon"}), &[]),
        status_query(),
    )
    .await;
    assert_eq!(responses["A"].status, 400);
    assert_eq!(
        responses["A"].error,
        "invalid datasource settings: `jsonData.timeout` must be a number of seconds between 0 and 3600, not \"soon\""
    );

    // A Prometheus without slokit's rules: health tells the user to load them.
    let empty = Prometheus::start(StartOptions::default());
    let (status, message) = check_health(&plugin, context(&empty.url, json!({}), &[])).await;
    assert_eq!(status, 2);
    assert_eq!(
        message,
        format!("prometheus at `{}` answered, but no SLO series found: `slokit:slo:info` is absent; load the generated rules (`slo generate`) into it", empty.url)
    );
    let (status, message) =
        check_health(&plugin, context("http://127.0.0.1:1", json!({}), &[])).await;
    assert_eq!(status, 2);
    assert!(
        message.starts_with("cannot reach prometheus at `http://127.0.0.1:1`"),
        "{message}"
    );
    // Host names resolve (in the static build too, where glibc's resolver is not used): the
    // failure is the refused connection, not the name.
    let (status, message) =
        check_health(&plugin, context("http://localhost:1", json!({}), &[])).await;
    assert_eq!(status, 2);
    assert!(
        message.starts_with("cannot reach prometheus at `http://localhost:1`: ")
            && message.to_lowercase().contains("connection refused"),
        "{message}"
    );
}
