//! The demo workload as Prometheus sees it: the exposition parses with `prometheus-parse`, the
//! counters carry the labels the example specs select on, and an injected incident shows up as
//! exactly the error ratio it asked for. The last test drives the real binary over HTTP.

use prometheus_parse::{Scrape, Value};
use slokit_demo_workload::metrics::render;
use slokit_demo_workload::model::{example_services, Incident, IncidentKind, State};

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("the exposition parses")
}

fn counter(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            other => panic!("unexpected value {other:?}"),
        })
        .sum()
}

#[test]
fn exposition_parses_and_carries_the_labels_the_examples_select_on() {
    let mut state = State::new(example_services());
    for _ in 0..60 {
        state.tick();
    }
    let scrape = parse(&render(&state));
    let checkout = counter(&scrape, "http_requests_total", &[("job", "checkout-api")]);
    assert!(
        (checkout - 15.0 * 60.0).abs() < 1e-6,
        "checkout requests {checkout}"
    );
    assert!(
        counter(
            &scrape,
            "http_requests_total",
            &[("job", "payments-api"), ("status_code", "200")]
        ) > 0.0
    );
    assert_eq!(
        counter(&scrape, "probe_success", &[("job", "blackbox")]),
        1.0
    );
    assert!(counter(&scrape, "refund_jobs_total", &[]) > 0.0);
    let histograms = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "http_request_duration_seconds")
        .count();
    assert!(histograms > 0, "histograms missing");
}

#[test]
fn an_error_incident_produces_exactly_its_error_ratio() {
    let mut state = State::new(example_services());
    state.incidents.push(Incident {
        service: "checkout-api".into(),
        kind: IncidentKind::Errors,
        value: 0.25,
        ticks_left: 100,
    });
    for _ in 0..100 {
        state.tick();
    }
    let scrape = parse(&render(&state));
    let total = counter(&scrape, "http_requests_total", &[("job", "checkout-api")]);
    let errors = counter(
        &scrape,
        "http_requests_total",
        &[("job", "checkout-api"), ("code", "500")],
    );
    assert!(
        (errors / total - 0.25).abs() < 1e-9,
        "ratio {}",
        errors / total
    );
    assert!(state.incidents.is_empty(), "the incident should have ended");
}

#[test]
fn an_outage_takes_the_probe_down() {
    let mut state = State::new(example_services());
    state.incidents.push(Incident {
        service: "web-frontend".into(),
        kind: IncidentKind::Outage,
        value: 1.0,
        ticks_left: 5,
    });
    state.tick();
    assert_eq!(counter(&parse(&render(&state)), "probe_success", &[]), 0.0);
}

#[test]
fn the_binary_serves_metrics_and_takes_incidents() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_slokit-demo-workload"));
    command
        .args(["--listen", &format!("127.0.0.1:{port}"), "--speed", "60"])
        .stdout(std::process::Stdio::null());
    // Stopped when dropped, also when an assertion fails, and with the test process.
    let _workload = promql_tests::process::ChildGuard::spawn(command).expect("start the workload");
    let base = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while ureq::get(&format!("{base}/healthz")).call().is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the workload did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let bad = ureq::post(&format!("{base}/incidents?service=nope&kind=errors")).send_empty();
    assert!(matches!(bad, Err(ureq::Error::StatusCode(400))), "{bad:?}");
    ureq::post(&format!(
        "{base}/incidents?service=checkout-api&kind=errors&value=0.5&seconds=3600"
    ))
    .send_empty()
    .expect("inject");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let text = ureq::get(&format!("{base}/metrics"))
        .call()
        .expect("scrape")
        .body_mut()
        .read_to_string()
        .expect("text");
    let scrape = parse(&text);
    let errors = counter(
        &scrape,
        "http_requests_total",
        &[("job", "checkout-api"), ("code", "500")],
    );
    assert!(errors > 0.0, "no errors after the incident:\n{text}");
}
