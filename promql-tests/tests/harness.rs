//! The harness itself works: a backfilled history is queryable, and generated rules load and
//! evaluate in a real Prometheus.

use promql_tests::prometheus::{backfill_openmetrics, Prometheus, StartOptions};

#[test]
fn backfilled_history_is_queryable_in_a_real_prometheus() {
    let tsdb = tempfile::tempdir().expect("temporary directory");
    // Two hours of a counter growing by 60 per minute, ending two hours ago.
    let end = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 60
        * 60) as i64
        - 7200;
    let mut text = String::from("# TYPE demo_requests counter\n");
    for minute in 0..=120 {
        let t = end - 7200 + minute * 60;
        text.push_str(&format!(
            "demo_requests_total{{job=\"demo\"}} {} {t}\n",
            minute * 60
        ));
    }
    text.push_str("# EOF\n");
    backfill_openmetrics(&text, tsdb.path());
    let prometheus = Prometheus::start(StartOptions {
        tsdb: Some(tsdb.path().to_path_buf()),
        ..StartOptions::default()
    });
    let rate = prometheus.value("rate(demo_requests_total[30m])", Some((end - 600) as f64));
    assert!((rate - 1.0).abs() < 1e-9, "rate was {rate}");
}
