//! Hardening tests of the plugin as Grafana runs it (the real `gpx_slokit` executable, called over
//! gRPC), for what `tests/plugin.rs` does not cover:
//!
//! - sustained load: several simulated Grafana clients, each on its own gRPC connection, refreshing
//!   a dashboard of mixed queries against a real Prometheus for a bounded time, with no error,
//!   bounded memory, and latency and throughput figures next to the same PromQL sent straight to
//!   Prometheus;
//! - Prometheus killed and restarted on the same port in the middle of that load;
//! - broken HTTP from a fault proxy in front of a real Prometheus (a body shorter than its
//!   `Content-Length`, a chunk cut short, bytes that are not HTTP, binary garbage, a body larger
//!   than the plugin reads, a trickle), each followed by the same datasource answering again;
//! - a real Prometheus recording NaN, +Inf and -Inf in slokit's series;
//! - the datasource's secrets absent from every log line (at `RUST_LOG=trace`), error, health
//!   message and resource body, even when the server echoes the request's headers back.
//!
//! The tests take turns (`SERIAL`): load figures mean little while another test's Prometheus
//! competes for the same cores. Release figures for BENCHMARKS.md:
//! `cargo test --release -p grafana-backend --test hardening load -- --nocapture`
//! (`SLOKIT_LOAD_SECONDS` changes the length of the load phase, 15 s by default).

mod common;

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use grafana_plugin_sdk::pluginv2;
use promql_tests::prometheus::Prometheus;
use serde_json::{json, Value};

/// One test at a time (see the module documentation).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Simulated Grafana instances (or browser tabs), each with its own gRPC connection.
const CLIENTS: usize = 8;

/// An upper bound on each client's requests, so every loop ends even if the clock misbehaves.
const MAX_REQUESTS_PER_CLIENT: usize = 20_000;

/// How much the plugin's resident memory may grow from the first third of the load phase to the
/// last: allocator arenas and connection buffers settle in the first seconds, so growth beyond this
/// over thousands of requests is a leak.
const RSS_GROWTH_LIMIT_KIB: u64 = 8 * 1024;

fn load_seconds() -> f64 {
    std::env::var("SLOKIT_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s >= 3.0 && *s <= 600.0)
        .unwrap_or(15.0)
}

/// A dashboard refresh: one request with the queries of a product dashboard's panels.
fn dashboard(to: f64) -> Vec<pluginv2::DataQuery> {
    let mut queries = shop_series_queries(to - 3600.0, to);
    queries.push(data_query(
        "S",
        json!({"queryType": "status", "product": "shop"}),
        to - 3600.0,
        to,
    ));
    queries.push(data_query(
        "D",
        json!({"queryType": "budget_burndown", "slo": "availability"}),
        to - 24.0 * 3600.0,
        to,
    ));
    queries
}

/// Frames each dashboard query answers with, from `tests/fixtures/shop.yaml`.
const DASHBOARD_FRAMES: [(&str, usize); 7] = [
    ("S", 1),
    ("SLI", 1),
    ("P", 3),
    ("B", 2),
    ("R", 1),
    ("D", 1),
    ("E", 2),
];

/// A query that is wrong whatever Prometheus does: it must fail alone, with 400, in every phase.
fn bad_query(to: f64) -> pluginv2::DataQuery {
    data_query(
        "X",
        json!({"queryType": "sli", "window": "4h"}),
        to - 60.0,
        to,
    )
}

const BAD_QUERY_ERROR: &str = "`window` `4h` is not a recorded window: use one of `5m`, `30m`, `1h`, `2h`, `6h`, `1d`, `3d`, `period`";

/// One query's answer, without its frames (thousands of requests are kept).
#[derive(Debug)]
struct Answer {
    ref_id: String,
    status: i32,
    error: String,
    /// What is wrong with a successful answer's frames, if anything.
    problem: Option<String>,
}

/// One QueryData call of a simulated client.
#[derive(Debug)]
struct Request {
    started: Duration,
    finished: Duration,
    /// The answers, or why the whole call failed (which it never should).
    answers: Result<Vec<Answer>, String>,
}

impl Request {
    fn latency(&self) -> Duration {
        self.finished - self.started
    }

    fn all_ok(&self) -> bool {
        match &self.answers {
            Ok(answers) => answers
                .iter()
                .all(|a| a.ref_id == "X" || (a.status == 200 && a.problem.is_none())),
            Err(_) => false,
        }
    }
}

/// Checks a successful dashboard answer without decoding every frame: frame counts, and the one
/// budget the synthetic history fixes exactly.
fn check_answer(ref_id: &str, response: &pluginv2::DataResponse) -> Option<String> {
    let expected = DASHBOARD_FRAMES.iter().find(|(r, _)| *r == ref_id)?.1;
    if response.frames.len() != expected {
        return Some(format!(
            "{ref_id}: {} frames, expected {expected}",
            response.frames.len()
        ));
    }
    if ref_id == "R" {
        let last = decode(&response.frames[0])
            .field("value")
            .last()
            .unwrap_or(f64::NAN);
        if (last - 0.5).abs() > 1e-6 {
            return Some(format!("R: budget remaining {last}, expected 0.5"));
        }
    }
    None
}

/// A simulated Grafana: refreshes the dashboard on its own connection until `stop`.
async fn client(
    address: String,
    url: String,
    start: Instant,
    stop: Arc<AtomicBool>,
    with_bad_query: bool,
) -> Vec<Request> {
    let channel = Grpc { address }.channel().await;
    let mut data = pluginv2::data_client::DataClient::new(channel);
    let mut requests = Vec::new();
    for _ in 0..MAX_REQUESTS_PER_CLIENT {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let to = now();
        let mut queries = dashboard(to);
        if with_bad_query {
            queries.push(bad_query(to));
        }
        let started = start.elapsed();
        let result = data
            .query_data(pluginv2::QueryDataRequest {
                plugin_context: Some(context(&url, json!({"timeout": "10"}), &[])),
                headers: HashMap::new(),
                queries,
            })
            .await;
        let finished = start.elapsed();
        let answers = result
            .map(|response| {
                let mut answers: Vec<Answer> = response
                    .into_inner()
                    .responses
                    .into_iter()
                    .map(|(ref_id, response)| Answer {
                        problem: if response.error.is_empty() {
                            check_answer(&ref_id, &response)
                        } else {
                            None
                        },
                        status: response.status,
                        error: response.error,
                        ref_id,
                    })
                    .collect();
                answers.sort_by(|a, b| a.ref_id.cmp(&b.ref_id));
                answers
            })
            .map_err(|status| status.to_string());
        requests.push(Request {
            started,
            finished,
            answers,
        });
    }
    requests
}

/// The plugin's resident memory, from `/proc/<pid>/status`.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Clients and a memory sampler running until `stop`.
struct Load {
    start: Instant,
    stop: Arc<AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<Vec<Request>>>,
    sampler: tokio::task::JoinHandle<Vec<(Duration, u64)>>,
}

/// What a load run measured.
struct Run {
    requests: Vec<Request>,
    /// Resident memory samples, every 100 ms.
    rss: Vec<(Duration, u64)>,
    wall: Duration,
}

fn start_load(plugin: &Plugin, url: &str, with_bad_query: bool) -> Load {
    let start = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let clients = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(client(
                plugin.address.clone(),
                url.to_string(),
                start,
                stop.clone(),
                with_bad_query,
            ))
        })
        .collect();
    let pid = plugin.child.id();
    let sampler = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            // Bounded: at most 10 minutes of samples.
            for _ in 0..6000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if let Some(kib) = rss_kib(pid) {
                    samples.push((start.elapsed(), kib));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            samples
        })
    };
    Load {
        start,
        stop,
        clients,
        sampler,
    }
}

impl Load {
    async fn finish(self) -> Run {
        self.stop.store(true, Ordering::Relaxed);
        let mut requests = Vec::new();
        for client in self.clients {
            requests.extend(client.await.expect("a client task"));
        }
        let wall = self.start.elapsed();
        let rss = self.sampler.await.expect("the memory sampler");
        requests.sort_by_key(|r| r.started);
        Run {
            requests,
            rss,
            wall,
        }
    }
}

/// p50, p90, p99 and max, in milliseconds.
fn percentiles(mut latencies: Vec<Duration>) -> [f64; 4] {
    assert!(!latencies.is_empty(), "no requests were measured");
    latencies.sort();
    let at = |p: f64| {
        let index = ((latencies.len() - 1) as f64 * p).round() as usize;
        latencies[index].as_secs_f64() * 1000.0
    };
    [at(0.5), at(0.9), at(0.99), at(1.0)]
}

/// The requests Prometheus receives for one dashboard refresh, recorded by a proxy in front of it.
async fn record_dashboard(plugin: &Plugin, prometheus: &Prometheus) -> Vec<SeenRequest> {
    let proxy = FaultProxy::start(prometheus.port());
    let to = now();
    let responses = query_data(
        plugin,
        context(&proxy.url, json!({"timeout": "10"}), &[]),
        dashboard(to),
    )
    .await;
    for (ref_id, response) in &responses {
        assert_eq!(response.error, "", "{ref_id} through the recording proxy");
    }
    proxy.take_seen()
}

/// The recorded requests sent straight to Prometheus by `CLIENTS` clients, each refresh's requests
/// at once (as the plugin issues them), for `duration`. Returns each refresh's latency.
async fn direct_load(port: u16, calls: Vec<SeenRequest>, duration: Duration) -> Vec<Duration> {
    let calls = Arc::new(calls);
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let calls = calls.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut latencies = Vec::new();
                for _ in 0..MAX_REQUESTS_PER_CLIENT {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let started = Instant::now();
                    let sent = calls.iter().map(|call| {
                        http.post(format!("http://127.0.0.1:{port}{}", call.path))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .body(call.body.clone())
                            .send()
                    });
                    for response in futures_util::future::join_all(sent).await {
                        let body = response
                            .expect("prometheus answers")
                            .bytes()
                            .await
                            .expect("a body");
                        let parsed: Value = serde_json::from_slice(&body).expect("JSON");
                        assert_eq!(parsed["status"], "success", "{parsed}");
                    }
                    latencies.push(started.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a direct client"));
    }
    latencies
}

/// `prometheus` after `change` (a stop or a restart, which block until done), run off the async
/// runtime so that the load's clients keep running.
async fn off_runtime(mut prometheus: Prometheus, change: fn(&mut Prometheus)) -> Prometheus {
    tokio::task::spawn_blocking(move || {
        change(&mut prometheus);
        prometheus
    })
    .await
    .expect("a blocking task")
}

/// Load, then the same load with Prometheus killed and restarted in the middle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_with_prometheus_restart() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let prometheus = shop_prometheus(dir.path());
    let mut plugin = Plugin::start();
    let pid = plugin.child.id();
    let url = prometheus.url.clone();

    // Phase 1: load. Every query of every refresh answers, with the expected frames.
    let seconds = load_seconds();
    let load = start_load(&plugin, &url, false);
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let run = load.finish().await;
    let failed: Vec<&Request> = run.requests.iter().filter(|r| !r.all_ok()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} requests had errors; the first: {:?}",
        failed.len(),
        run.requests.len(),
        failed.first()
    );
    let requests = run.requests.len();
    let throughput = requests as f64 / run.wall.as_secs_f64();
    let [p50, p90, p99, max] = percentiles(run.requests.iter().map(Request::latency).collect());
    let third = run.wall / 3;
    let first: u64 = run
        .rss
        .iter()
        .filter(|(t, _)| *t < third)
        .map(|(_, kib)| *kib)
        .max()
        .expect("memory samples in the first third");
    let last: u64 = run
        .rss
        .iter()
        .filter(|(t, _)| *t >= third * 2)
        .map(|(_, kib)| *kib)
        .max()
        .expect("memory samples in the last third");
    let queries = DASHBOARD_FRAMES.len();
    println!(
        "plugin: {CLIENTS} clients, {requests} dashboard refreshes ({queries} queries each) in {:.1}s: {throughput:.1} refreshes/s, {:.1} queries/s; latency p50 {p50:.1} ms, p90 {p90:.1} ms, p99 {p99:.1} ms, max {max:.1} ms; RSS max {:.1} MiB in the first third, {:.1} MiB in the last",
        run.wall.as_secs_f64(),
        throughput * queries as f64,
        first as f64 / 1024.0,
        last as f64 / 1024.0,
    );
    assert!(
        last <= first + RSS_GROWTH_LIMIT_KIB,
        "the plugin's memory grew from {first} KiB to {last} KiB under steady load"
    );

    // The plugin against the same Prometheus requests sent straight to Prometheus by as many
    // clients, in alternating rounds so that both see the same background load on a shared machine.
    let calls = record_dashboard(&plugin, &prometheus).await;
    let per_refresh = calls.len();
    let rounds = if cfg!(debug_assertions) { 1 } else { 3 };
    let round = Duration::from_secs_f64((seconds / 3.0).max(5.0));
    let (mut plugin_latencies, mut direct_latencies) = (Vec::new(), Vec::new());
    let mut plugin_time = Duration::ZERO;
    for _ in 0..rounds {
        let load = start_load(&plugin, &url, false);
        tokio::time::sleep(round).await;
        let run = load.finish().await;
        assert!(
            run.requests.iter().all(Request::all_ok),
            "errors under load"
        );
        plugin_latencies.extend(run.requests.iter().map(Request::latency));
        plugin_time += run.wall;
        direct_latencies.extend(direct_load(prometheus.port(), calls.clone(), round).await);
    }
    let plugin_throughput = plugin_latencies.len() as f64 / plugin_time.as_secs_f64();
    let direct_throughput = direct_latencies.len() as f64 / (round * rounds).as_secs_f64();
    let plugin_figures = percentiles(plugin_latencies);
    let direct_figures = percentiles(direct_latencies);
    let describe = |[p50, p90, p99, max]: [f64; 4]| {
        format!("p50 {p50:.1} ms, p90 {p90:.1} ms, p99 {p99:.1} ms, max {max:.1} ms")
    };
    println!(
        "compared in {rounds} alternating rounds of {:.1}s: plugin {plugin_throughput:.1} refreshes/s, {}; direct ({per_refresh} Prometheus requests per refresh, sent at once) {direct_throughput:.1} refreshes/s, {}",
        round.as_secs_f64(),
        describe(plugin_figures),
        describe(direct_figures),
    );
    println!(
        "ratio plugin/direct: p50 {:.2}×, p90 {:.2}×, p99 {:.2}×; throughput {:.2}×",
        plugin_figures[0] / direct_figures[0],
        plugin_figures[1] / direct_figures[1],
        plugin_figures[2] / direct_figures[2],
        plugin_throughput / direct_throughput
    );

    // Phase 2: the same load, with Prometheus killed after 2 s and restarted 3 s later on the same
    // port and TSDB. A query that is wrong anyway rides along in every refresh.
    let load = start_load(&plugin, &url, true);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stop_begin = load.start.elapsed();
    let prometheus = off_runtime(prometheus, Prometheus::stop).await;
    let stopped = load.start.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let restart_begin = load.start.elapsed();
    let prometheus = off_runtime(prometheus, Prometheus::restart).await;
    let ready = load.start.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let run = load.finish().await;

    let unreachable = format!("cannot reach prometheus at `{url}`: ");
    let (mut before, mut outage, mut after, mut around) = (0, 0, 0, 0);
    for request in &run.requests {
        let answers = request
            .answers
            .as_ref()
            .unwrap_or_else(|e| panic!("QueryData itself failed: {e}"));
        assert_eq!(answers.len(), DASHBOARD_FRAMES.len() + 1, "{answers:?}");
        for answer in answers.iter().filter(|a| a.ref_id == "X") {
            assert_eq!(
                (answer.status, answer.error.as_str()),
                (400, BAD_QUERY_ERROR)
            );
        }
        let good = answers.iter().filter(|a| a.ref_id != "X");
        if request.finished < stop_begin {
            before += 1;
            assert!(request.all_ok(), "before the stop: {request:?}");
        } else if request.started >= stopped && request.finished <= restart_begin {
            outage += 1;
            for answer in good {
                assert!(
                    answer.status == 502 && answer.error.starts_with(&unreachable),
                    "during the outage: {answer:?}"
                );
            }
        } else if request.started >= ready {
            after += 1;
            assert!(request.all_ok(), "after the restart: {request:?}");
        } else {
            // Killed mid-request, or starting up: a query answers, or fails alone with 502.
            around += 1;
            for answer in good {
                assert!(
                    (answer.status == 200 && answer.problem.is_none()) || answer.status == 502,
                    "around the restart: {answer:?}"
                );
            }
        }
    }
    println!(
        "restart: {before} refreshes before the stop, {outage} during the outage (every query 502), {around} across the stop or the start, {after} after the restart (every query answered); prometheus down {:.1}s, restarted in {:.1}s",
        (restart_begin - stopped).as_secs_f64(),
        (ready - restart_begin).as_secs_f64()
    );
    assert!(outage > 0 && after > 0, "{outage} {after}");

    // The same process and the same datasource answer health checks too.
    assert_eq!(plugin.child.id(), pid);
    assert!(
        plugin.child.try_wait().expect("process status").is_none(),
        "the plugin exited"
    );
    let (status, message) =
        check_health(&plugin, context(&url, json!({"timeout": "10"}), &[])).await;
    assert_eq!(
        (status, message),
        (1, format!("found 2 SLOs in 1 products at `{url}`"))
    );
    drop(prometheus);
}

// ---------------------------------------------------------------------------------------------
// The fault proxy.

/// What the fault proxy answers the next requests with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// Forward to Prometheus and relay its answer.
    Forward,
    /// `Content-Length: 1000`, 60 bytes of JSON, then the connection closes.
    ShortBody,
    /// A chunk of 0x100 bytes announced, 26 sent, then the connection closes.
    CutChunk,
    /// Bytes that are not an HTTP response.
    NotHttp,
    /// 200 with 4 KiB of binary garbage.
    BinaryBody,
    /// `Content-Length: 1 GiB`.
    HugeDeclared,
    /// A chunked body of 1 MiB chunks that would never end (stops after 256 MiB).
    EndlessBody,
    /// Headers, then one byte every 100 ms.
    Trickle,
    /// 400 with Prometheus's error envelope whose message is the request's headers.
    EchoJson,
    /// 200 with an HTML page showing the request's headers.
    EchoHtml,
}

/// A request the proxy received.
#[derive(Clone, Debug)]
struct SeenRequest {
    head: String,
    path: String,
    body: String,
}

/// An HTTP/1.1 proxy on 127.0.0.1 in front of a Prometheus, one connection per request, that
/// forwards or produces a [`Fault`], and records every request. Not a general proxy: it reads
/// requests as reqwest writes them (`Content-Length` bodies) and closes each connection.
struct FaultProxy {
    url: String,
    fault: Arc<Mutex<Fault>>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
}

impl FaultProxy {
    fn start(prometheus_port: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let fault = Arc::new(Mutex::new(Fault::Forward));
        let seen = Arc::new(Mutex::new(Vec::new()));
        {
            let fault = fault.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let fault = *fault.lock().expect("fault");
                    let seen = seen.clone();
                    std::thread::spawn(move || {
                        let _ = serve(stream, fault, prometheus_port, &seen);
                    });
                }
            });
        }
        FaultProxy { url, fault, seen }
    }

    fn set(&self, fault: Fault) {
        *self.fault.lock().expect("fault") = fault;
    }

    fn take_seen(&self) -> Vec<SeenRequest> {
        std::mem::take(&mut *self.seen.lock().expect("seen"))
    }
}

/// Reads one request: the head up to the blank line, and a `Content-Length` body.
fn read_request(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > 1 << 20 {
            return Err(std::io::Error::other("request head too long"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok((head, body))
}

fn serve(
    mut stream: TcpStream,
    fault: Fault,
    prometheus_port: u16,
    seen: &Mutex<Vec<SeenRequest>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let (head, body) = read_request(&mut stream)?;
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    seen.lock().expect("seen").push(SeenRequest {
        head: head.clone(),
        path,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let json_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n";
    let envelope_start = br#"{"status":"success","data":{"resultType":"vector","result":["#;
    match fault {
        Fault::Forward => {
            // One request per upstream connection, closed by Prometheus after its answer; the
            // answer carries `Connection: close`, so the plugin does not reuse this connection.
            let mut upstream = TcpStream::connect(("127.0.0.1", prometheus_port))?;
            let mut forwarded: String = head
                .trim_end()
                .lines()
                .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
                .map(|line| format!("{line}\r\n"))
                .collect();
            forwarded.push_str("Connection: close\r\n\r\n");
            upstream.write_all(forwarded.as_bytes())?;
            upstream.write_all(&body)?;
            let mut response = Vec::new();
            upstream.read_to_end(&mut response)?;
            stream.write_all(&response)?;
        }
        Fault::ShortBody => {
            stream.write_all(format!("{json_head}Content-Length: 1000\r\n\r\n").as_bytes())?;
            stream.write_all(envelope_start)?;
        }
        Fault::CutChunk => {
            stream
                .write_all(format!("{json_head}Transfer-Encoding: chunked\r\n\r\n").as_bytes())?;
            stream.write_all(b"100\r\n")?;
            stream.write_all(&envelope_start[..26])?;
        }
        Fault::NotHttp => {
            stream.write_all(b"\x00\x01\x02\x03 this is not HTTP\r\n\r\n")?;
        }
        Fault::BinaryBody => {
            let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
            stream.write_all(
                format!("{json_head}Content-Length: {}\r\n\r\n", garbage.len()).as_bytes(),
            )?;
            stream.write_all(&garbage)?;
        }
        Fault::HugeDeclared => {
            stream
                .write_all(format!("{json_head}Content-Length: 1073741824\r\n\r\n").as_bytes())?;
            stream.write_all(envelope_start)?;
        }
        Fault::EndlessBody => {
            stream
                .write_all(format!("{json_head}Transfer-Encoding: chunked\r\n\r\n").as_bytes())?;
            let mut chunk = format!("{:x}\r\n", 1 << 20).into_bytes();
            chunk.extend(std::iter::repeat_n(b' ', 1 << 20));
            chunk.extend_from_slice(b"\r\n");
            stream.write_all(b"3c\r\n")?;
            stream.write_all(envelope_start)?;
            stream.write_all(b"\r\n")?;
            // Bounded: 256 MiB, or until the plugin hangs up.
            for _ in 0..256 {
                stream.write_all(&chunk)?;
            }
        }
        Fault::Trickle => {
            stream.write_all(format!("{json_head}Content-Length: 100\r\n\r\n").as_bytes())?;
            for byte in envelope_start.iter().cycle().take(100) {
                stream.write_all(&[*byte])?;
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Fault::EchoJson => {
            let body = json!({"status": "error", "errorType": "bad_data", "error": echo(&head)})
                .to_string();
            stream.write_all(
                format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )?;
        }
        Fault::EchoHtml => {
            let body = format!("<html><pre>{}</pre></html>", echo(&head));
            stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )?;
        }
    }
    stream.flush()
}

/// The request's header lines, credentials first (an error snippet shows only its start).
fn echo(head: &str) -> String {
    let mut lines: Vec<&str> = head.lines().skip(1).filter(|l| !l.is_empty()).collect();
    lines.sort_by_key(|l| {
        let lower = l.to_ascii_lowercase();
        !(lower.starts_with("authorization") || lower.starts_with("x-api-key"))
    });
    lines.join("; ")
}

/// The notices of an Arrow frame's metadata.
fn notices(bytes: &[u8]) -> Vec<Value> {
    use grafana_plugin_sdk::arrow2::io::ipc::read::read_file_metadata;
    let metadata =
        read_file_metadata(&mut std::io::Cursor::new(bytes)).expect("Arrow file metadata");
    metadata
        .schema
        .metadata
        .get("meta")
        .map(|meta| serde_json::from_str::<Value>(meta).expect("meta JSON"))
        .and_then(|meta| meta["notices"].as_array().cloned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Non-numbers and broken HTTP.

/// Rules that record slokit's series for three SLOs of product `odd`: `finite` (ordinary values),
/// `nan` (NaN everywhere but the constants) and `inf` (-Inf SLI and budget, +Inf event rates, so
/// that burn rates computed from them are not finite either).
fn non_number_rules() -> String {
    use slokit_conventions::*;
    let mut out = String::from("groups:\n- name: non-numbers\n  rules:\n");
    let slos = [
        ("finite", ["0.995", "0.5", "10", "0.05"]),
        ("nan", ["NaN", "NaN", "NaN", "NaN"]),
        ("inf", ["-Inf", "-Inf", "+Inf", "+Inf"]),
    ];
    for (slo, [sli, budget, total, bad]) in slos {
        let labels = format!("{{{LABEL_PRODUCT}: odd, {LABEL_SERVICE}: api, {LABEL_SLO}: {slo}}}");
        let mut rules = vec![
            (SERIES_INFO.to_string(), "1"),
            (SERIES_OBJECTIVE.to_string(), "0.99"),
            (SERIES_PERIOD.to_string(), "2592000"),
            (SERIES_SLI.to_string(), sli),
            (SERIES_BUDGET_REMAINING.to_string(), budget),
        ];
        for window in RECORDED_WINDOWS {
            rules.push((rate_series(SERIES_TOTAL, Some(window)), total));
            rules.push((rate_series(SERIES_BAD, Some(window)), bad));
        }
        for (record, value) in rules {
            out.push_str(&format!(
                "  - record: {record}\n    expr: vector({value})\n    labels: {labels}\n"
            ));
        }
    }
    out
}

/// Every number in every frame is finite or null; returns the frames' notices' texts.
fn checked_notices(ref_id: &str, response: &pluginv2::DataResponse) -> Vec<Vec<String>> {
    assert_eq!(
        (response.status, response.error.as_str()),
        (200, ""),
        "{ref_id}"
    );
    response
        .frames
        .iter()
        .map(|bytes| {
            let frame = decode(bytes);
            for field in &frame.fields {
                for cell in &field.values {
                    if let Cell::Number(Some(v)) = cell {
                        assert!(v.is_finite(), "{ref_id}: `{}` holds {v}", field.name);
                    }
                }
            }
            notices(bytes)
                .iter()
                .map(|n| {
                    assert_eq!(n["severity"], "warning", "{n}");
                    n["text"].as_str().unwrap_or_default().to_string()
                })
                .collect()
        })
        .collect()
}

fn non_number_notice(fields: &str) -> String {
    format!("prometheus returned values that are not numbers, shown as empty: {fields}. NaN is usually a ratio of no events (0/0) and ±Inf a division by zero, such as an objective of 100% (no error budget); slokit's generated rules record neither, so check the rules that write these series")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_numbers_and_broken_http_then_recovery() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let rules = dir.path().join("odd.yml");
    std::fs::write(&rules, non_number_rules()).expect("write rules");
    let prometheus = start_prometheus(dir.path(), rules, None);
    // Then a few evaluations, so range queries have points.
    wait_until(
        &prometheus,
        "the rules were not evaluated",
        Duration::from_secs(30),
        Duration::from_secs(3),
        |p| series_count(p, slokit_conventions::SERIES_SLI) >= 3,
    );
    let mut plugin = Plugin::start();
    let proxy = FaultProxy::start(prometheus.port());
    let ctx = || context(&proxy.url, json!({"timeout": 2}), &[]);
    let to = now();
    let odd = |kind: &str, extra: Value| {
        let mut query = json!({"queryType": kind, "product": "odd"});
        for (k, v) in extra.as_object().expect("an object") {
            query[k] = v.clone();
        }
        query
    };

    // NaN and ±Inf: every query answers; the cells are null and each frame says why.
    let responses = query_data(
        &plugin,
        ctx(),
        vec![
            data_query("S", odd("status", json!({})), to - 60.0, to),
            data_query("P", odd("sli", json!({})), to - 60.0, to),
            data_query("W", odd("sli", json!({"window": "5m"})), to - 60.0, to),
            data_query(
                "B",
                odd("burn_rate", json!({"window": "1h"})),
                to - 60.0,
                to,
            ),
            data_query("R", odd("budget_remaining", json!({})), to - 60.0, to),
            data_query("E", odd("events", json!({})), to - 60.0, to),
            data_query("D", odd("budget_burndown", json!({})), to - 600.0, to),
        ],
    )
    .await;
    for ref_id in ["S", "P", "W", "B", "R", "E", "D"] {
        checked_notices(ref_id, &responses[ref_id]);
    }
    let table = &frames(&responses["S"])[0];
    assert_eq!(table.field("slo").texts(), ["finite", "inf", "nan"]);
    let finite_budget_minutes = 0.5 * 0.01 * 2_592_000.0 / 60.0;
    for (column, finite) in [
        ("sli", 0.995),
        ("budget remaining", 0.5),
        ("budget remaining minutes", finite_budget_minutes),
        ("burn rate 1h", 0.5),
        ("burn rate 6h", 0.5),
        ("burn rate 3d", 0.5),
    ] {
        let values = table.field(column).numbers();
        assert_close(values[0].expect(column), finite, column);
        assert_eq!(&values[1..], [None, None], "{column}");
    }
    assert_close(
        table.field("objective").numbers()[1].expect("objective"),
        0.99,
        "objective",
    );
    assert_eq!(
        checked_notices("S", &responses["S"]),
        [[non_number_notice(
            // Burn rates are computed from the event rates: +Inf over +Inf is NaN.
            "`SLI` (1 NaN, 1 -Inf), `budget remaining` (1 NaN, 1 -Inf), `budget remaining (minutes)` (1 NaN, 1 -Inf), `burn rate 1h` (2 NaN), `burn rate 6h` (2 NaN), `burn rate 3d` (2 NaN)"
        )]]
    );

    // Time series: the finite SLO's frames are untouched; the others are all gaps, with a notice.
    for (ref_id, finite, display) in [
        ("P", 0.995, "SLI period odd/{slo}"),
        ("W", 0.995, "SLI 5m odd/{slo}"),
        ("B", 0.5, "burn rate 1h odd/{slo}"),
        ("R", 0.5, "budget remaining odd/{slo}"),
    ] {
        let decoded = frames(&responses[ref_id]);
        let notices = checked_notices(ref_id, &responses[ref_id]);
        assert_eq!(decoded.len(), 3, "{ref_id}");
        for ((frame, notices), slo) in decoded.iter().zip(&notices).zip(["finite", "inf", "nan"]) {
            let values = frame.field("value").numbers();
            assert!(values.len() >= 2, "{ref_id} {slo}: {values:?}");
            let name = display.replace("{slo}", slo);
            if slo == "finite" {
                assert!(notices.is_empty(), "{ref_id}: {notices:?}");
                for v in values {
                    assert_close(v.expect("a value"), finite, &name);
                }
            } else {
                assert!(values.iter().all(Option::is_none), "{ref_id} {slo}");
                let what = match (ref_id, slo) {
                    // Window SLIs and burn rates are computed from +Inf event rates: NaN.
                    ("W" | "B", _) | (_, "nan") => "NaN",
                    ("P" | "R", _) => "-Inf",
                    _ => "+Inf",
                };
                assert_eq!(
                    notices,
                    &[non_number_notice(&format!(
                        "`{name}` ({} {what})",
                        values.len()
                    ))],
                    "{ref_id} {slo}"
                );
            }
        }
    }

    // Broken HTTP: each query fails alone with a message that says what happened, the request
    // itself succeeds, and the same datasource answers again once the server behaves.
    let budget_query = || {
        vec![
            data_query("A", odd("status", json!({})), to - 60.0, to),
            data_query(
                "R",
                json!({"queryType": "budget_remaining", "slo": "finite"}),
                to - 60.0,
                to,
            ),
            bad_query(to),
        ]
    };
    let url = &proxy.url;
    let malformed = format!("prometheus at `{url}` sent a malformed response: ");
    let cut_off = format!("{malformed}the response was cut off before its end: ");
    let too_large = format!("{malformed}the response is larger than 64 MiB, the most the plugin reads: narrow the query (fewer SLOs, a shorter time range or fewer data points)");
    let cases: Vec<(Fault, u16, String)> = vec![
        (Fault::ShortBody, 502, cut_off.clone()),
        (Fault::CutChunk, 502, cut_off),
        (
            Fault::NotHttp,
            502,
            format!("cannot reach prometheus at `{url}`: "),
        ),
        (
            Fault::BinaryBody,
            502,
            format!("{malformed}the body is not JSON: 4096 bytes that are not text"),
        ),
        (Fault::HugeDeclared, 502, too_large.clone()),
        (Fault::EndlessBody, 502, too_large),
        (
            Fault::Trickle,
            504,
            format!("prometheus at `{url}` did not answer within 2s (the datasource's timeout)"),
        ),
    ];
    let pid = plugin.child.id();
    let rss_before = rss_kib(pid).expect("the plugin's memory");
    for (fault, status, message) in cases {
        proxy.set(fault);
        let started = Instant::now();
        let responses = query_data(&plugin, ctx(), budget_query()).await;
        let elapsed = started.elapsed();
        for ref_id in ["A", "R"] {
            let response = &responses[ref_id];
            assert!(
                response.status == i32::from(status) && response.error.starts_with(&message),
                "{fault:?} {ref_id}: {} {}",
                response.status,
                response.error
            );
            assert!(
                response.error.len() < 400 && !response.error.contains(['\n', '\r', '\0']),
                "{fault:?}: {:?}",
                response.error
            );
        }
        assert_eq!(
            (responses["X"].status, responses["X"].error.as_str()),
            (400, BAD_QUERY_ERROR)
        );
        assert!(elapsed < Duration::from_secs(6), "{fault:?}: {elapsed:?}");
        println!("{fault:?} ({elapsed:?}): {}", responses["R"].error);

        proxy.set(Fault::Forward);
        let responses = query_data(&plugin, ctx(), budget_query()).await;
        assert_eq!(frames(&responses["A"]).len(), 1, "{fault:?}");
        let budget = frames(&responses["R"]);
        assert_close(
            budget[0].last_value(),
            0.5,
            "budget remaining after recovery",
        );
    }
    let rss_after = rss_kib(pid).expect("the plugin's memory");
    println!(
        "plugin RSS {:.1} MiB before the faults, {:.1} MiB after",
        rss_before as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );
    // The endless bodies were dropped at the limit: at most two 64 MiB buffers existed at once,
    // and they are freed.
    assert!(
        rss_after < rss_before + 64 * 1024,
        "{rss_before} KiB → {rss_after} KiB"
    );
    assert!(
        plugin.child.try_wait().expect("process status").is_none(),
        "the plugin exited"
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets.

/// Everything the plugin wrote after its handshake line, stdout and stderr, line by line.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<String>>>);

/// Starts the plugin like [`Plugin::start`], with `RUST_LOG=<rust_log>`, capturing its output.
fn start_plugin_capturing(rust_log: &str) -> (Plugin, Output) {
    let (mut plugin, stdout) = Plugin::spawn(rust_log, Stdio::piped());
    let stderr = BufReader::new(plugin.child.stderr.take().expect("plugin stderr"));
    let output = Output::default();
    let readers: [Box<dyn std::io::BufRead + Send>; 2] = [Box::new(stdout), Box::new(stderr)];
    for reader in readers {
        let output = output.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                output.0.lock().expect("output").push(line);
            }
        });
    }
    (plugin, output)
}

/// A resource call's status and body, or the gRPC error when the call itself fails.
async fn resource_text(plugin: &Plugin, context: pluginv2::PluginContext, url: &str) -> String {
    match resource_response(plugin, context, url).await {
        Ok(Some(first)) => format!(
            "{url}: {} {}",
            first.code,
            String::from_utf8_lossy(&first.body)
        ),
        Ok(None) => format!("{url}: no message"),
        Err(status) => format!("{url}: gRPC error {status}"),
    }
}

const PASSWORD: &str = "pw-hardening-5f2c91";
const TOKEN: &str = "tok-hardening-9a1e37";
const HEADER_VALUE: &str = "hdr-hardening-77d0b4";
const URL_PASSWORD: &str = "url-hardening-31b4e8";

/// Datasource settings with every kind of secret: basic auth (which wins over the token) or a
/// bearer token with credentials in the URL, and a custom header either way.
fn secret_context(url: &str, basic_auth: bool) -> pluginv2::PluginContext {
    let url = if basic_auth {
        url.to_string()
    } else {
        url.replace("http://", &format!("http://admin:{URL_PASSWORD}@"))
    };
    let mut context = context(
        &url,
        json!({"timeout": 2, "httpHeaderName1": "X-Api-Key", "tenantId": "team-a"}),
        &[
            ("basicAuthPassword", PASSWORD),
            ("bearerToken", TOKEN),
            ("httpHeaderValue1", HEADER_VALUE),
        ],
    );
    let settings = context
        .data_source_instance_settings
        .as_mut()
        .expect("settings");
    // Grafana's uids do not contain the URL; this one must not carry the URL's password.
    settings.uid = format!("secrets-{}-{basic_auth}", settings.id);
    settings.basic_auth_enabled = basic_auth;
    settings.basic_auth_user = "grafana".into();
    context
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_appear_in_no_log_line_error_or_body() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let prometheus = start_prometheus(dir.path(), generate_rules(dir.path()), None);
    wait_until(
        &prometheus,
        "the rules were not evaluated",
        Duration::from_secs(30),
        Duration::ZERO,
        |p| series_count(p, slokit_conventions::SERIES_INFO) >= 2,
    );
    let (plugin, output) = start_plugin_capturing("trace");
    let proxy = FaultProxy::start(prometheus.port());
    let denied = fault_server(Some(http_response("401 Unauthorized", "{}")));
    let html = fault_server(Some(http_response("200 OK", "<html>proxy login</html>")));
    let to = now();

    // Everything the plugin says to Grafana.
    let mut said: Vec<String> = Vec::new();
    let mut health = Vec::new();
    let endpoints: [(&str, Option<Fault>); 7] = [
        (prometheus.url.as_str(), None),
        (&proxy.url, Some(Fault::EchoJson)),
        (&proxy.url, Some(Fault::EchoHtml)),
        (&proxy.url, Some(Fault::ShortBody)),
        (&denied, None),
        (&html, None),
        ("http://127.0.0.1:1", None),
    ];
    for (url, fault) in endpoints {
        if let Some(fault) = fault {
            proxy.set(fault);
        }
        for basic_auth in [true, false] {
            let ctx = || secret_context(url, basic_auth);
            let (status, message) = check_health(&plugin, ctx()).await;
            health.push((url.to_string(), fault, status));
            said.push(message);
            let mut queries = dashboard(to);
            queries.push(bad_query(to));
            for (ref_id, response) in query_data(&plugin, ctx(), queries).await {
                said.push(format!("{ref_id}: {} {}", response.status, response.error));
            }
            for resource in [
                "products",
                "services?product=shop",
                "slos",
                "slo?product=shop&slo=availability",
                "nothing",
            ] {
                let (code, body) = call_resource(&plugin, ctx(), resource).await;
                said.push(format!("{resource}: {code} {body}"));
            }
            said.push(metrics_text(&plugin, ctx()).await);
        }
    }
    // Settings the SDK cannot convert: it logs the failure, at the default level too.
    let mut broken = secret_context(&prometheus.url, true);
    if let Some(settings) = broken.data_source_instance_settings.as_mut() {
        settings.json_data = b"{not json".to_vec();
    }
    let (status, message) = check_health(&plugin, broken.clone()).await;
    assert_eq!(status, 2, "{message}");
    said.push(message);
    for resource in ["products", "nothing"] {
        said.push(resource_text(&plugin, broken.clone(), resource).await);
    }
    for (ref_id, response) in query_data(&plugin, broken.clone(), dashboard(to)).await {
        said.push(format!("{ref_id}: {} {}", response.status, response.error));
    }

    // The working Prometheus answered with both kinds of credentials; the others failed.
    assert_eq!(
        health.iter().filter(|(_, _, status)| *status == 1).count(),
        2,
        "{health:?}\n{said:#?}"
    );

    // The secrets did reach the servers, so their absence below is not an accident.
    let seen: Vec<String> = proxy.take_seen().into_iter().map(|r| r.head).collect();
    let basic = slokit_wire::base64(format!("grafana:{PASSWORD}").as_bytes());
    let url_basic = slokit_wire::base64(format!("admin:{URL_PASSWORD}").as_bytes());
    let lowercase: Vec<String> = seen.iter().map(|h| h.to_ascii_lowercase()).collect();
    for expected in [
        format!("authorization: basic {basic}"),
        format!("authorization: bearer {TOKEN}"),
        format!("x-api-key: {HEADER_VALUE}"),
    ] {
        assert!(
            lowercase
                .iter()
                .any(|h| h.contains(&expected.to_ascii_lowercase())),
            "no request carried `{expected}`: {seen:#?}"
        );
    }

    // Let the output threads read what the plugin wrote last.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = output.0.lock().expect("output").clone();
    assert!(
        lines.len() > 100 && lines.iter().any(|l| l.contains("query failed")),
        "trace logging produced {} lines",
        lines.len()
    );
    for secret in [
        PASSWORD,
        TOKEN,
        HEADER_VALUE,
        URL_PASSWORD,
        &basic,
        &url_basic,
    ] {
        for text in &said {
            assert!(!text.contains(secret), "`{secret}` in a message: {text}");
        }
        for line in &lines {
            assert!(!line.contains(secret), "`{secret}` in a log line: {line}");
        }
    }
    // What the echoing servers sent back is still shown, without the secrets.
    for shown in [
        "answered HTTP 400: authorization: Basic <redacted>; x-api-key: <redacted>",
        "answered HTTP 400: authorization: Bearer <redacted>; x-api-key: <redacted>",
        "the body is not JSON: `<html><pre>authorization: Basic <redacted>; x-api-key: <redacted>",
    ] {
        assert!(
            said.iter().any(|s| s.contains(shown)),
            "`{shown}`: {said:#?}"
        );
    }
    println!(
        "{} messages and {} log lines checked for {} secrets",
        said.len(),
        lines.len(),
        6
    );
}

/// "Forward OAuth Identity" and "Allowed cookies" do what the settings page says: with them on,
/// every request to Prometheus (through the recording proxy, to a real Prometheus) carries the
/// Grafana user's `Authorization` instead of the datasource's token, the `X-Id-Token`, and only
/// the allowed cookies, for queries, health checks and resources alike; with them off, the
/// datasource's own token and no cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_identity_and_cookies_reach_prometheus() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let prometheus = start_prometheus(dir.path(), generate_rules(dir.path()), None);
    wait_until(
        &prometheus,
        "the rules were not evaluated",
        Duration::from_secs(30),
        Duration::ZERO,
        |p| series_count(p, slokit_conventions::SERIES_INFO) >= 2,
    );
    let plugin = Plugin::start();
    let proxy = FaultProxy::start(prometheus.port());
    let user = [
        ("Authorization", "Bearer user-token"),
        ("X-Id-Token", "user-id-token"),
        ("Cookie", "session=abc; tracking=zzz"),
    ];
    for forward in [true, false] {
        let ctx = context(
            &proxy.url,
            json!({"oauthPassThru": forward, "keepCookies": if forward { json!(["session"]) } else { json!([]) }}),
            &[("bearerToken", "datasource-token")],
        );
        proxy.take_seen();
        let to = now();
        let query = data_query("A", json!({"queryType": "status"}), to - 60.0, to);
        let responses = query_data_with_headers(&plugin, ctx.clone(), vec![query], &user).await;
        assert_eq!(responses["A"].error, "", "forward: {forward}");
        let mut client =
            pluginv2::diagnostics_client::DiagnosticsClient::new(plugin.channel().await);
        let health = client
            .check_health(pluginv2::CheckHealthRequest {
                plugin_context: Some(ctx.clone()),
                headers: user
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            })
            .await
            .expect("CheckHealth answers")
            .into_inner();
        assert_eq!(health.status, 1, "{}", health.message);
        let seen = proxy.take_seen();
        assert!(seen.len() >= 3, "{} requests", seen.len());
        for request in seen {
            let head = request.head.to_ascii_lowercase();
            let has = |line: &str| head.lines().any(|l| l.trim() == line);
            if forward {
                assert!(has("authorization: bearer user-token"), "{head}");
                assert!(has("x-id-token: user-id-token"), "{head}");
                assert!(has("cookie: session=abc"), "{head}");
            } else {
                assert!(has("authorization: bearer datasource-token"), "{head}");
                assert!(
                    !head.contains("x-id-token") && !head.contains("cookie:"),
                    "{head}"
                );
            }
            assert!(!head.contains("tracking"), "{head}");
        }
    }
}

/// Runs openssl in `dir` with `args`, failing the test when it fails.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let output = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA, a server certificate for `prometheus.test` and a client certificate, made by openssl in
/// `dir`: `ca.pem`, `server.pem`/`server.key`, `client.pem`/`client.key`.
fn make_certificates(dir: &std::path::Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "1", "-subj", "/CN=slokit test CA"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(dir, &ca);
    for (name, subject, extension) in [
        (
            "server",
            "/CN=prometheus.test",
            "subjectAltName=DNS:prometheus.test\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "/CN=grafana", "extendedKeyUsage=clientAuth\n"),
    ] {
        let (key, csr, pem, ext) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{name}.ext"),
        );
        std::fs::write(dir.join(&ext), extension).expect("write extensions");
        let mut request = vec!["req", "-subj", subject];
        request.extend(ec);
        request.extend(["-keyout", &key, "-out", &csr]);
        openssl(dir, &request);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                &ext,
                "-out",
                &pem,
            ],
        );
    }
}

/// TLS as the settings page offers it, against a real Prometheus serving HTTPS that requires a
/// client certificate, with a server certificate for `prometheus.test` reached at 127.0.0.1: with
/// the CA, the client certificate and the server name, the plugin reaches it (Prometheus answers;
/// it has no SLO series); without the server name the certificate does not match the address, and
/// without the client certificate Prometheus refuses the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_server_name_and_client_certificates() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path();
    make_certificates(path);
    std::fs::write(path.join("prometheus.yml"), "global: {}\n").expect("config");
    std::fs::write(
        path.join("web.yml"),
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n",
    )
    .expect("web config");
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let mut command = std::process::Command::new(promql_tests::prometheus::prometheus_command());
    command
        .current_dir(path)
        .arg("--config.file=prometheus.yml")
        .arg("--web.config.file=web.yml")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.path=data")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _prometheus = promql_tests::process::ChildGuard::spawn(command).expect("start prometheus");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "prometheus did not listen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let read = |name: &str| std::fs::read_to_string(path.join(name)).expect("PEM");
    let url = format!("https://127.0.0.1:{port}");
    let plugin = Plugin::start();
    let settings = |server_name: &str, client: bool| {
        let mut secure = vec![("tlsCACert", read("ca.pem"))];
        if client {
            secure.push(("tlsClientCert", read("client.pem")));
            secure.push(("tlsClientKey", read("client.key")));
        }
        let secure: Vec<(&str, &str)> = secure.iter().map(|(k, v)| (*k, v.as_str())).collect();
        context(
            &url,
            json!({"tlsAuthWithCACert": true, "tlsAuth": client, "serverName": server_name, "timeout": 10}),
            &secure,
        )
    };
    // Prometheus may still be opening its TSDB: wait for its answer, at most 30s.
    let started = Instant::now();
    let message = loop {
        let (_, message) = check_health(&plugin, settings("prometheus.test", true)).await;
        if message.contains("answered") || started.elapsed() > Duration::from_secs(30) {
            break message;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        message,
        format!("prometheus at `{url}` answered, but no SLO series found: `slokit:slo:info` is absent; load the generated rules (`slo generate`) into it")
    );
    for (server_name, client, what) in [
        ("", true, "without the server name"),
        ("prometheus.test", false, "without a client certificate"),
    ] {
        let (status, message) = check_health(&plugin, settings(server_name, client)).await;
        assert_eq!(status, 2, "{what}: {message}");
        assert!(!message.contains("answered"), "{what}: {message}");
    }
}
