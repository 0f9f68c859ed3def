//! QueryData latency of the plugin against the same PromQL sent straight to Prometheus, in the same
//! run: a 50-SLO `status` table and a 30-day `sli` series. Prometheus (2.42, from `promql_tests`)
//! runs the rules slokit generates for 50 SLOs, evaluated every second over backfilled history.
//! The plugin is served in-process on 127.0.0.1 and called over gRPC as Grafana calls it.
//!
//! Run: `cargo run --release -p grafana-backend --example bench` (prints a Markdown table).

// The gRPC calls and the synthetic history of the integration tests (`tests/common/`), shared
// rather than copied; an example cannot use `tests/common/mod.rs` itself, which starts the plugin
// from a test-only path.
#[path = "../tests/common/grpc.rs"]
mod grpc;
#[path = "../tests/common/history.rs"]
mod history;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use grafana_plugin_sdk::pluginv2;
use grpc::{context, data_query, now, prometheus_requests, Grpc};
use history::{hourly_rates, openmetrics, raw_counters, SloTraffic};
use promql_tests::prometheus::{backfill_openmetrics, Prometheus, StartOptions};
use serde_json::{json, Value};

const SLOS: usize = 50;
const ROUNDS: usize = 50;

fn spec() -> String {
    let mut out = String::from(
        "apiVersion: slo.dev/v1\nkind: Product\nmetadata: {name: bench}\nspec: {displayName: Bench, team: t, owners: [o@example.com], services: [api]}\n",
    );
    for i in 0..SLOS {
        out.push_str(&format!(
            "---\napiVersion: slo.dev/v1\nkind: ServiceLevelObjective\nmetadata: {{name: slo-{i}}}\nspec:\n  service: api\n  owner: t\n  indicator: {{type: ratio, ratio: {{bad: {{metric: bench_failed_total, filters: ['slo=\"{i}\"']}}, total: {{metric: bench_total, filters: ['slo=\"{i}\"']}}}}}}\n  objectives: [{{displayName: ok, window: 30d, target: 0.999}}]\n"
        ));
    }
    out
}

/// One request sent straight to Prometheus: the API endpoint and its form.
type DirectCall = (&'static str, Vec<(&'static str, String)>);

/// Two hours of raw counters and 26 hours of hourly rates for every SLO (the period windows read
/// the hourly rates at whole hours, which the live evaluation alone reaches only after the next
/// hour starts), and 30 days of the period SLI of `slo-0` every 5m.
fn history(end: f64) -> String {
    let names: Vec<(String, String)> = (0..SLOS)
        .map(|i| (format!("slo-{i}"), format!("slo=\"{i}\"")))
        .collect();
    let traffic: Vec<SloTraffic<'_>> = names
        .iter()
        .map(|(slo, filters)| SloTraffic {
            product: "bench",
            service: "api",
            slo,
            metric: "bench",
            filters,
            group: "",
            total: 10.0,
            bad: 0.005,
            bad_before: 0.005,
            bad_hours: 0,
        })
        .collect();
    let mut families = raw_counters(&traffic, end, 2, 15);
    families.extend(hourly_rates(&traffic, end, 26));
    let end = end as i64;
    let sli = (0..(30 * 288))
        .map(|step| {
            let time = end - 30 * 86_400 + step * 300;
            let value = 0.999 + 0.0005 * ((step % 100) as f64 / 100.0);
            format!("slokit:sli:period{{slokit_product=\"bench\",slokit_service=\"api\",slokit_slo=\"slo-0\"}} {value} {time}")
        })
        .collect();
    families.insert("slokit:sli:period".into(), ("gauge", sli));
    openmetrics(families)
}

/// The datasource: the bench's Prometheus, with default settings.
fn settings(url: &str) -> pluginv2::PluginContext {
    context(url, json!({}), &[])
}

fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 9 / 10]),
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir_all(dir.path().join("specs")).expect("specs directory");
    std::fs::write(dir.path().join("specs/bench.yaml"), spec()).expect("write spec");
    let today = slokit::model::Date::parse("2026-01-01").expect("date");
    let loaded = slokit::load::load(&[dir.path().join("specs")], slokit::load::Options { today });
    assert!(
        !loaded.diagnostics.has_errors(),
        "the bench spec is invalid"
    );
    let files = slokit::render::generate(&loaded.catalog, &Default::default());
    let rules = files
        .iter()
        .find(|f| f.path.ends_with("rules/bench.yml"))
        .expect("rules");
    let rules_path = dir.path().join("bench.yml");
    std::fs::write(&rules_path, &rules.contents).expect("write rules");
    let tsdb = dir.path().join("tsdb");
    backfill_openmetrics(&history(now()), &tsdb);
    let prometheus = Prometheus::start(StartOptions {
        rule_files: vec![rules_path],
        tsdb: Some(tsdb),
        evaluation_interval: "1s".into(),
        ..StartOptions::default()
    });
    while prometheus
        .query("slokit:error_budget_remaining:period", None)
        .as_array()
        .map_or(0, Vec::len)
        < SLOS
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(grafana_backend::serve(
        listener,
        grafana_backend::SlokitPlugin::default(),
    ));
    let plugin = Grpc {
        address: format!("http://{address}"),
    };
    let mut data = pluginv2::data_client::DataClient::new(plugin.channel().await);
    let http = reqwest::Client::new();
    let url = prometheus.url.clone();

    let to = now();
    let cases: Vec<(&str, Value, f64, Vec<DirectCall>)> = vec![
        (
            "`status`, 50 SLOs",
            json!({"queryType": "status"}),
            to - 3600.0,
            vec![
                ("query", vec![
                    ("query", "{__name__=~\"slokit:slo:info|slokit:objective:ratio|slokit:period:seconds|slokit:sli:period|slokit:error_budget_remaining:period\"}".to_string()),
                    ("time", to.to_string()),
                ]),
                ("query", vec![
                    ("query", "ALERTS{alertstate=~\"firing|pending\"}".to_string()),
                    ("time", to.to_string()),
                ]),
            ],
        ),
        (
            "`sli`, 30 days, 1 SLO",
            json!({"queryType": "sli", "slo": "slo-0", "window": "period"}),
            to - 30.0 * 86_400.0,
            vec![
                ("query_range", vec![
                    ("query", "slokit:sli:period{slokit_slo=\"slo-0\"}".to_string()),
                    ("start", (to - 30.0 * 86_400.0).to_string()),
                    ("end", to.to_string()),
                    ("step", "2592".to_string()),
                ]),
                ("query", vec![
                    ("query", "slokit:objective:ratio{slokit_slo=\"slo-0\"}".to_string()),
                    ("time", to.to_string()),
                ]),
            ],
        ),
    ];

    println!("| Request | Plugin QueryData median / p90 (ms) | Direct PromQL median / p90 (ms) | Overhead (median ratio) | Prometheus queries per request |");
    println!("|---|---|---|---|---|");
    for (name, json, from, direct) in cases {
        let mut plugin_times = Vec::new();
        let before = prometheus_requests(&plugin, settings(&url)).await;
        for round in 0..ROUNDS + 5 {
            let started = Instant::now();
            let response = data
                .query_data(pluginv2::QueryDataRequest {
                    plugin_context: Some(settings(&url)),
                    headers: HashMap::new(),
                    queries: vec![data_query("A", json.clone(), from, to)],
                })
                .await
                .expect("QueryData")
                .into_inner();
            let elapsed = started.elapsed();
            let answer = &response.responses["A"];
            assert!(
                answer.error.is_empty() && !answer.frames.is_empty(),
                "{}",
                answer.error
            );
            if round >= 5 {
                plugin_times.push(elapsed);
            }
        }
        let after = prometheus_requests(&plugin, settings(&url)).await;
        let per_request = (after - before) as f64 / (ROUNDS + 5) as f64;
        let mut direct_times = Vec::new();
        for round in 0..ROUNDS + 5 {
            let started = Instant::now();
            let calls = direct.iter().map(|(endpoint, form)| {
                let http = http.clone();
                let address = format!("{url}/api/v1/{endpoint}");
                async move {
                    http.post(address)
                        .form(form)
                        .send()
                        .await
                        .expect("prometheus")
                        .bytes()
                        .await
                        .expect("body")
                }
            });
            let bodies = futures_util::future::join_all(calls).await;
            let elapsed = started.elapsed();
            for body in bodies {
                let parsed: Value = serde_json::from_slice(&body).expect("JSON");
                assert_eq!(parsed["status"], "success");
            }
            if round >= 5 {
                direct_times.push(elapsed);
            }
        }
        let (plugin_median, plugin_p90) = summary(plugin_times);
        let (direct_median, direct_p90) = summary(direct_times);
        println!(
            "| {name} | {plugin_median:.2} / {plugin_p90:.2} | {direct_median:.2} / {direct_p90:.2} | {:.2}× | {per_request} |",
            plugin_median / direct_median
        );
    }
}
