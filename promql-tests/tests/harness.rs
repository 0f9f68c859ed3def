//! The harness itself works: a backfilled history is queryable, and every process it starts ends
//! with the test that started it, whether the test returns, panics, holds the process in a
//! `static` that is never dropped, or is killed with SIGKILL.
//!
//! The last two need a test process that dies: the test re-runs this binary with `--exact
//! helper_process_for_the_orphan_tests` and `PROMQL_TESTS_HELPER` set; that helper starts a
//! Prometheus through the harness, prints its pid, and then does what the variable says.

use promql_tests::process::{is_running, ChildGuard};
use promql_tests::prometheus::{backfill_openmetrics, Prometheus, StartOptions};
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[test]
fn backfilled_history_is_queryable_in_a_real_prometheus() {
    let tsdb = tempfile::tempdir().expect("temporary directory");
    // Two hours of a counter growing by 60 per minute, ending two hours ago.
    let end = promql_tests::unix_now() / 60 * 60 - 7200;
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

const HELPER: &str = "PROMQL_TESTS_HELPER";

/// Not a test of its own: the process the orphan tests start and end (see the module docs). Run
/// without `PROMQL_TESTS_HELPER`, it does nothing.
#[test]
fn helper_process_for_the_orphan_tests() {
    let Ok(mode) = std::env::var(HELPER) else {
        return;
    };
    static HELD: OnceLock<Prometheus> = OnceLock::new();
    // No rule files, admin API on: the Prometheus that was once left running.
    let prometheus = HELD.get_or_init(|| Prometheus::start(StartOptions::default()));
    println!("prometheus pid {}", prometheus.pid());
    match mode.as_str() {
        // Held in a static, which is never dropped: only the parent-death signal ends it. The
        // helper waits for its parent to close stdin first, so the parent sees the Prometheus
        // running before the helper exits (otherwise it could be gone before anyone looked).
        "static" => {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut rest);
        }
        // Wait to be killed.
        "hold" => loop {
            std::thread::sleep(Duration::from_secs(60));
        },
        other => panic!("unknown {HELPER} `{other}`"),
    }
}

/// Starts this test binary as the helper in `mode`; returns it and the pid of its Prometheus.
fn start_helper(mode: &str) -> (ChildGuard, u32) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            "--exact",
            "helper_process_for_the_orphan_tests",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut helper = ChildGuard::spawn(command).expect("start the helper");
    let stdout = BufReader::new(helper.stdout.take().expect("the helper's stdout"));
    // Read to the end, so that the helper never writes to a closed pipe.
    let (found, pid) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            // libtest writes `test <name> ... ` before the test's own output, on the same line.
            if let Some((_, pid)) = line.split_once("prometheus pid ") {
                let _ = found.send(pid.parse::<u32>().expect("a pid"));
            }
        }
    });
    let pid = pid
        .recv()
        .expect("the helper prints the pid of its Prometheus");
    assert!(
        is_running(pid),
        "the helper's Prometheus {pid} is not running"
    );
    // Closing stdin lets a `static` helper exit now that its Prometheus has been seen running.
    drop(helper.stdin.take());
    (helper, pid)
}

/// Fails unless process `pid` has ended within five seconds.
fn assert_ends(pid: u32, what: &str) {
    let started = Instant::now();
    while is_running(pid) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what}, but process {pid} is still running after 5 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_prometheus_ends_when_the_test_process_is_killed() {
    let (mut helper, prometheus) = start_helper("hold");
    // SIGKILL to the test process alone: it runs no destructor, and its Prometheus is in a
    // process group of its own, so only the parent-death signal can end it.
    // SAFETY: `kill` takes plain integers; the helper is our unreaped child.
    let killed = unsafe { libc::kill(helper.id() as libc::pid_t, libc::SIGKILL) };
    assert_eq!(killed, 0, "SIGKILL the helper");
    let status = helper.wait().expect("wait for the helper");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );
    assert_ends(
        prometheus,
        "the test process that started it was killed with SIGKILL",
    );
}

#[test]
fn a_prometheus_held_in_a_static_ends_with_the_test_process() {
    let (mut helper, prometheus) = start_helper("static");
    let status = helper.wait().expect("wait for the helper");
    assert!(status.success(), "the helper failed: {status}");
    assert_ends(prometheus, "the test process that started it has exited");
}

#[test]
fn a_panicking_test_leaves_no_process() {
    let mut pid = None;
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let prometheus = Prometheus::start(StartOptions::default());
        pid = Some(prometheus.pid());
        panic!("a test fails while its Prometheus runs");
    }));
    assert!(panicked.is_err());
    let pid = pid.expect("the Prometheus started");
    // Unwinding dropped the guard, which killed and reaped the process before returning.
    assert!(!is_running(pid), "Prometheus {pid} survived the panic");
}

#[test]
fn a_prometheus_outlives_the_thread_that_started_it() {
    // The parent-death signal follows the thread that forked the child; the harness forks from a
    // thread of its own, so a server started in one test's thread serves the next ones.
    let prometheus = std::thread::spawn(|| Prometheus::start(StartOptions::default()))
        .join()
        .expect("start Prometheus in a thread");
    std::thread::sleep(Duration::from_millis(500));
    assert!(is_running(prometheus.pid()));
    assert_eq!(prometheus.value("vector(1)", None), 1.0);
}

#[test]
fn dropping_the_guard_kills_the_whole_process_group() {
    let mut command = Command::new("sh");
    command
        .args(["-c", "sleep 600 & echo $!; wait"])
        .stdout(Stdio::piped());
    let mut shell = ChildGuard::spawn(command).expect("start sh");
    let mut line = String::new();
    BufReader::new(shell.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the pid of sleep");
    let sleep: u32 = line.trim().parse().expect("a pid");
    assert!(is_running(sleep));
    drop(shell);
    assert_ends(sleep, "the guard of its parent shell was dropped");
}
