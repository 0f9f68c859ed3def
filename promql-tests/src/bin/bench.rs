//! The accuracy and cost benchmark behind `BENCHMARKS.md`: slokit's generated rules against
//! Sloth-shaped rules (its default period rule, a mean of 5m ratios, and its exact mode, raw rates
//! over the period) and Pyrra-shaped rules (an `increase` over the whole period and raw `rate()`
//! burn-rate windows), on the same data in the same run. The peer shapes are written here from
//! their documented expressions (see `/work/shared/anchors`), not from their code.
//!
//! ```text
//! cargo run --release -p promql-tests --bin bench -- --slos 100,1000
//! cargo run --release -p promql-tests --bin bench -- --no-accuracy --slos 10 --cycles 1   # a quick check
//! ```
//!
//! Accuracy: 32 days of uneven diurnal traffic (10→100 rps, 2% errors at night, 0.02% by day),
//! 1m samples, slokit's rules backfilled level by level; every shape's 30d error ratio is compared
//! with the generator's exact counts, once without and once with a 3h zero-traffic gap.
//!
//! Cost: for each SLO count, each rule set is split into classes of groups that share an
//! evaluation interval (slokit's fast and slow groups, Pyrra's 2m30s `increase` and 30s groups;
//! groups without an interval run at `--global-interval`, 30s by default). Each class runs in its
//! own Prometheus on the same TSDB, every `--interval-eval`, and the figure is the Prometheus
//! process's CPU seconds per evaluation of the class, after one warm-up evaluation, less what the
//! same Prometheus burns with no rules over the same time. The headline
//! is CPU seconds per minute at each set's own schedule: the sum over classes of CPU per
//! evaluation times evaluations per minute. Samples read come from the HTTP API's query statistics
//! for one SLO's rules, scaled the same way. Raw history: `--services` services of `--series`
//! counter series each, scraped every `--scrape` seconds; SLO `i` reads service `i % services`, so
//! every rule reads realistic cardinality while the raw data stays small (Prometheus caches no
//! query results, so reading shared series costs what reading distinct ones would). The recorded
//! history that long windows read (slokit's 5m and 1h rates, Sloth's 5m ratios) is written
//! directly at the recording interval with the right names and labels: its values do not change
//! evaluation cost, and backfilling tens of thousands of rules with promtool is not feasible here.
//! All data runs an hour into the future, so each run reads full windows whenever it starts; rule
//! results are then discarded by the TSDB (out of bounds), which costs every rule set the same.

use clap::Parser;
use promql_tests::backfill::workload_history;
use promql_tests::prometheus::{Prometheus, StartOptions};
use promql_tests::synthetic::{Service, Workload};
use slokit::render::Target;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// The accuracy and cost benchmark behind BENCHMARKS.md: slokit's generated rules against
/// Sloth- and Pyrra-shaped rules, on the same data in a real Prometheus, in the same run.
///
/// Runs the accuracy comparison (one SLO, 32 days, with and without a zero-traffic gap), then the
/// cost comparison once per `--slos` count. Not a test: run it by hand, with `--release`.
#[derive(Debug, Parser)]
#[command(name = "bench", long_about)]
struct Options {
    /// SLO counts to measure the cost at, comma-separated.
    #[arg(
        long,
        value_name = "N,...",
        value_delimiter = ',',
        default_value = "100,1000"
    )]
    slos: Vec<usize>,
    /// The SLOs' period in days (the cost benchmark's history is one day longer).
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    period_days: i64,
    /// Services of raw history; SLO `i` reads service `i % services`.
    #[arg(long, default_value_t = 2)]
    services: usize,
    /// Counter series per service (two per route: 200 and 500).
    #[arg(long, default_value_t = 50)]
    series: usize,
    /// Seconds between raw samples.
    #[arg(long, value_name = "SECONDS", default_value_t = 15)]
    scrape: i64,
    /// Seconds between samples of the recorded history that long windows read.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    record_interval: i64,
    /// The interval Prometheus measures each class of groups at (short, to finish quickly).
    #[arg(long = "interval-eval", value_name = "DURATION", default_value = "15s")]
    eval_interval: String,
    /// The global `evaluation_interval`, in seconds, that the figures per minute assume for groups
    /// without their own.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    global_interval: i64,
    /// Measured evaluation cycles per class, after one warm-up evaluation.
    #[arg(long, default_value_t = 2)]
    cycles: usize,
    /// Which rule sets to time: comma-separated prefixes of `slokit`, `sloth (default`,
    /// `sloth (exact` and `pyrra`, any case.
    #[arg(
        long,
        value_name = "PREFIX,...",
        value_delimiter = ',',
        default_value = "slokit,sloth,pyrra"
    )]
    sets: Vec<String>,
    /// Skip the accuracy comparison.
    #[arg(long)]
    no_accuracy: bool,
    /// Skip the cost comparison.
    #[arg(long)]
    no_cost: bool,
}

fn main() {
    let options = Options::parse();
    if !options.no_accuracy {
        accuracy();
    }
    if !options.no_cost {
        for &n in &options.slos {
            cost(&options, n);
        }
    }
}

/// slokit specs for `n` ratio SLOs on the benchmark's services (`specs/bench-slo.yaml.template`).
fn slokit_specs(n: usize, services: usize, period_days: i64, objective: f64) -> String {
    let template = std::fs::read_to_string(promql_tests::spec_file("bench-slo.yaml.template"))
        .expect("read the benchmark's spec template");
    let mut out = String::new();
    for i in 0..n {
        out.push_str(
            &template
                .replace("{slo}", &format!("slo{i}"))
                .replace("{service}", &format!("svc{}", i % services))
                .replace("{window}", &format!("{period_days}d"))
                .replace("{target}", &objective.to_string()),
        );
    }
    out
}

/// Generates slokit's rule files for the specs into `dir`.
fn slokit_rules(specs: &str, dir: &Path) -> Vec<PathBuf> {
    let catalog = promql_tests::load_spec_text("slos.yaml", specs);
    let out = dir.join("slokit");
    promql_tests::write_generated(&catalog, Target::Prometheus, None, &out);
    slokit::promtool::find_files(&out).0
}

/// Which peer shape to write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Peer {
    SlothOptimized,
    SlothExact,
    Pyrra,
}

/// The Sloth- or Pyrra-shaped rule file for `n` SLOs (from their documented expressions).
fn peer_rules(peer: Peer, n: usize, services: usize, period_days: i64, objective: f64) -> String {
    let budget = 1.0 - objective;
    let period = format!("{period_days}d");
    let mut out = String::from("groups:\n");
    for i in 0..n {
        let job = format!("svc{}", i % services);
        let bad = format!("http_requests_total{{job=\"{job}\",code=~\"5..\"}}");
        let total = format!("http_requests_total{{job=\"{job}\"}}");
        match peer {
            Peer::SlothOptimized | Peer::SlothExact => {
                let id = format!(
                    "sloth_id=\"{job}-slo{i}\", sloth_service=\"{job}\", sloth_slo=\"slo{i}\""
                );
                let labels = |w: &str| {
                    format!("    labels: {{sloth_id: {job}-slo{i}, sloth_service: {job}, sloth_slo: slo{i}, sloth_window: {w}}}\n")
                };
                let _ = writeln!(
                    out,
                    "- name: sloth-slo-sli-recordings-{job}-slo{i}\n  rules:"
                );
                for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
                    let _ = write!(
                        out,
                        "  - record: slo:sli_error:ratio_rate{w}\n    expr: (sum(rate({bad}[{w}]))) / (sum(rate({total}[{w}])))\n{}",
                        labels(w)
                    );
                }
                let period_expr = if peer == Peer::SlothExact {
                    format!("(sum(rate({bad}[{period}]))) / (sum(rate({total}[{period}])))")
                } else {
                    format!("sum_over_time(slo:sli_error:ratio_rate5m{{{id}}}[{period}]) / ignoring (sloth_window) count_over_time(slo:sli_error:ratio_rate5m{{{id}}}[{period}])")
                };
                let _ = write!(
                    out,
                    "  - record: slo:sli_error:ratio_rate{period}\n    expr: {period_expr}\n{}",
                    labels(&period)
                );
                let meta = format!("    labels: {{sloth_id: {job}-slo{i}, sloth_service: {job}, sloth_slo: slo{i}}}\n");
                let _ = write!(
                    out,
                    "- name: sloth-slo-meta-recordings-{job}-slo{i}\n  rules:\n  - record: slo:objective:ratio\n    expr: vector({objective})\n{meta}  - record: slo:error_budget:ratio\n    expr: vector({budget})\n{meta}  - record: slo:time_period:days\n    expr: vector({period_days})\n{meta}  - record: slo:current_burn_rate:ratio\n    expr: slo:sli_error:ratio_rate5m{{{id}}} / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio{{{id}}}\n{meta}  - record: slo:period_burn_rate:ratio\n    expr: slo:sli_error:ratio_rate{period}{{{id}}} / on(sloth_id, sloth_slo, sloth_service) group_left slo:error_budget:ratio{{{id}}}\n{meta}  - record: slo:period_error_budget_remaining:ratio\n    expr: 1 - slo:period_burn_rate:ratio{{{id}}}\n{meta}  - record: sloth_slo_info\n    expr: vector(1)\n{meta}"
                );
                let pair = |l: &str, s: &str, f: f64| {
                    format!("(max(slo:sli_error:ratio_rate{l}{{{id}}} > ({f} * {budget})) without (sloth_window) and max(slo:sli_error:ratio_rate{s}{{{id}}} > ({f} * {budget})) without (sloth_window))")
                };
                let _ = write!(
                    out,
                    "- name: sloth-slo-alerts-{job}-slo{i}\n  rules:\n  - alert: Slo{i}Page\n    expr: {} or ignoring (sloth_window) {}\n    labels: {{severity: page}}\n  - alert: Slo{i}Ticket\n    expr: {} or ignoring (sloth_window) {}\n    labels: {{severity: ticket}}\n",
                    pair("1h", "5m", 14.4),
                    pair("6h", "30m", 6.0),
                    pair("1d", "2h", 3.0),
                    pair("3d", "6h", 1.0)
                );
            }
            Peer::Pyrra => {
                let labels = format!("    labels: {{job: {job}, slo: slo{i}}}\n");
                let _ = write!(
                    out,
                    "- interval: 2m30s\n  name: slo{i}-increase\n  rules:\n  - record: http_requests:increase{period}\n    expr: sum by (code) (increase({total}[{period}]))\n{labels}"
                );
                let _ = writeln!(out, "- interval: 30s\n  name: slo{i}\n  rules:");
                for w in ["5m", "30m", "1h", "2h", "6h", "1d", "4d"] {
                    let _ = write!(
                        out,
                        "  - record: http_requests:burnrate{w}\n    expr: sum(rate({bad}[{w}])) / sum(rate({total}[{w}]))\n{labels}"
                    );
                }
                let sel = format!("{{job=\"{job}\",slo=\"slo{i}\"}}");
                for (short, long, factor) in [
                    ("5m", "1h", 14),
                    ("30m", "6h", 7),
                    ("2h", "1d", 2),
                    ("6h", "4d", 1),
                ] {
                    let _ = write!(
                        out,
                        "  - alert: ErrorBudgetBurn\n    expr: http_requests:burnrate{short}{sel} > ({factor} * (1-{objective})) and http_requests:burnrate{long}{sel} > ({factor} * (1-{objective}))\n    labels: {{short: {short}, long: {long}}}\n"
                    );
                }
                let _ = write!(
                    out,
                    "  - record: pyrra_availability\n    expr: 1 - sum(http_requests:increase{period}{{code=~\"5..\",job=\"{job}\",slo=\"slo{i}\"}} or vector(0)) / sum(http_requests:increase{period}{{job=\"{job}\",slo=\"slo{i}\"}})\n    labels: {{slo: slo{i}}}\n  - record: pyrra_requests:rate5m\n    expr: sum(rate({total}[5m]))\n    labels: {{slo: slo{i}}}\n  - record: pyrra_errors:rate5m\n    expr: sum(rate({bad}[5m])) or vector(0)\n    labels: {{slo: slo{i}}}\n"
                );
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Accuracy

fn accuracy() {
    println!("## accuracy: one SLO, 32 days of 10→100 rps diurnal traffic, 2% errors at night, 0.02% by day, 1m samples");
    for gap in [false, true] {
        let began = Instant::now();
        let end = promql_tests::unix_now() / 60 * 60;
        let start = end - 32 * DAY;
        let day0 = (start / DAY + 1) * DAY;
        let mut service = Service::new("svc0");
        if gap {
            service = service.gap(day0 + 20 * DAY + 2 * HOUR, 3 * HOUR);
        }
        let workload = Workload::new(start).service(service);
        let dir = tempfile::tempdir().expect("temporary directory");
        let rules = slokit_rules(&slokit_specs(1, 1, 30, 0.99), dir.path());
        let history = workload_history(&workload, &rules, start, end);
        let prometheus = history.prometheus(&[], "1m");
        let assess = end - 2 * HOUR;
        let one = |expr: &str, t: i64| -> (f64, i64) {
            let result = prometheus.query(expr, Some(t as f64));
            let s = result
                .as_array()
                .and_then(|a| a.first())
                .unwrap_or_else(|| panic!("`{expr}` returned {result}"));
            (
                promql_tests::prometheus::sample_value(&s["value"]),
                s["value"][0].as_f64().unwrap_or(0.0) as i64,
            )
        };
        let (sli, recorded) = one("slokit:sli:period", assess);
        let hour = recorded / HOUR * HOUR;
        let last = one("timestamp(slokit:events_total:rate1h)", hour).0 as i64;
        let truth_of = |from: i64, to: i64| {
            let c = workload.cumulative("svc0", &[from, to]);
            c[1].since(&c[0]).error_ratio()
        };
        let bad = r#"http_requests_total{job="svc0",code=~"5.."}"#;
        let total = r#"http_requests_total{job="svc0"}"#;
        let t = assess;
        let exact = truth_of(t - 30 * DAY, t);
        let mut rows: Vec<(&str, f64, f64)> = vec![(
            "slokit (recorded, backfilled)",
            1.0 - sli,
            truth_of(last - 30 * DAY, last),
        )];
        let queries = [
            (
                "Sloth default: mean of 5m ratios (1m eval)",
                format!("avg_over_time((sum(rate({bad}[5m])) / sum(rate({total}[5m])))[30d:1m])"),
            ),
            (
                "Sloth exact mode: raw rate over 30d",
                format!("sum(rate({bad}[30d])) / sum(rate({total}[30d]))"),
            ),
            (
                "Pyrra: increase over the period (30d)",
                format!("sum(increase({bad}[30d])) / sum(increase({total}[30d]))"),
            ),
            (
                "ratio of sums of 5m rates",
                format!("sum_over_time(sum(rate({bad}[5m]))[30d:5m]) / sum_over_time(sum(rate({total}[5m]))[30d:5m])"),
            ),
        ];
        for (name, expr) in &queries {
            rows.push((name, one(expr, t).0, exact));
        }
        println!(
            "\n{} (built in {:.0}s; backfill {}):",
            if gap {
                "with a 3h zero-traffic gap on day 20"
            } else {
                "no gap"
            },
            began.elapsed().as_secs_f64(),
            history.timing_summary()
        );
        println!("| shape | 30d error ratio | exact | relative error |");
        println!("|---|---|---|---|");
        for (name, value, truth) in rows {
            println!(
                "| {name} | {:.4}% | {:.4}% | {} |",
                value * 100.0,
                truth * 100.0,
                if value.is_finite() {
                    format!("{:+.3}%", (value - truth) / truth * 100.0)
                } else {
                    format!("{value} (poisoned)")
                }
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cost

/// The synthetic recorded history the long windows read, as OpenMetrics, appended to `out`.
fn recorded_history(
    out: &mut impl std::io::Write,
    n: usize,
    services: usize,
    from: i64,
    to: i64,
    period: i64,
    step: i64,
) {
    let mut line = String::new();
    let _ = writeln!(out, "# TYPE slokit_synthetic gauge");
    for i in 0..n {
        let job = format!("svc{}", i % services);
        let slokit =
            format!("slokit_product=\"{job}\",slokit_service=\"{job}\",slokit_slo=\"slo{i}\"");
        let series: [(String, i64, f64); 5] = [
            (format!("slokit:events_total:rate5m{{{slokit}}}"), 7 * HOUR, 55.0),
            (format!("slokit:events_bad:rate5m{{{slokit}}}"), 7 * HOUR, 0.1),
            (format!("slokit:events_total:rate1h{{{slokit}}}"), period + 2 * HOUR, 55.0),
            (format!("slokit:events_bad:rate1h{{{slokit}}}"), period + 2 * HOUR, 0.1),
            (
                format!("slo:sli_error:ratio_rate5m{{sloth_id=\"{job}-slo{i}\",sloth_service=\"{job}\",sloth_slo=\"slo{i}\",sloth_window=\"5m\"}}"),
                period + HOUR,
                0.002,
            ),
        ];
        for (name, span, value) in &series {
            let first = (to - span).max(from) / step * step;
            let mut t = first;
            while t <= to {
                line.clear();
                let _ = writeln!(
                    line,
                    "{name} {} {t}",
                    value + ((t / step) % 7) as f64 * 1e-3
                );
                out.write_all(line.as_bytes())
                    .expect("write recorded history");
                t += step;
            }
        }
    }
}

/// Parses Prometheus's own `/metrics` for one metric: label set → value.
fn own_metrics(prometheus: &Prometheus, metric: &str) -> Vec<(String, f64)> {
    let text = ureq::get(&format!("{}/metrics", prometheus.url))
        .call()
        .expect("read /metrics")
        .body_mut()
        .read_to_string()
        .expect("metrics text");
    text.lines()
        .filter(|l| l.starts_with(metric) && !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_string(), value.parse().ok()?))
        })
        .filter(|(s, _)| s == metric || s.starts_with(&format!("{metric}{{")))
        .collect()
}

/// Rule groups of one rule set that share an evaluation interval, in files of their own.
struct Class {
    /// Seconds between evaluations at the rule set's own schedule.
    interval: f64,
    files: Vec<PathBuf>,
}

/// Splits `files` into one class per group `interval` (groups without one run at `global`
/// seconds). Each class's groups are written to `dir/<name>-<interval>s.yml`. Rule files here are
/// the generator's and this benchmark's own, so a line-based split is enough: a group starts at a
/// `- ` at column 0 and states its interval as `interval:` in its first lines.
fn split_by_interval(files: &[PathBuf], dir: &Path, name: &str, global: i64) -> Vec<Class> {
    let mut classes: BTreeMap<i64, String> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("read a rule file");
        let mut groups: Vec<String> = Vec::new();
        let mut in_groups = false;
        for line in text.lines() {
            if line.starts_with("groups:") {
                in_groups = true;
            } else if in_groups && line.starts_with("- ") {
                groups.push(format!("{line}\n"));
            } else if let Some(group) = groups.last_mut().filter(|_| in_groups) {
                group.push_str(line);
                group.push('\n');
            }
        }
        for group in groups {
            let interval = group
                .lines()
                .take(3)
                .find_map(|l| l.trim_start_matches("- ").trim().strip_prefix("interval: "))
                .map(|i| {
                    slokit::duration::Duration::parse(i.trim().trim_matches('\''))
                        .expect("group interval")
                        .millis() as i64
                        / 1000
                })
                .unwrap_or(global);
            classes.entry(interval).or_default().push_str(&group);
        }
    }
    classes
        .into_iter()
        .map(|(interval, groups)| {
            let path = dir.join(format!("{name}-{interval}s.yml"));
            std::fs::write(&path, format!("groups:\n{groups}")).expect("write a class of groups");
            Class {
                interval: interval as f64,
                files: vec![path],
            }
        })
        .collect()
}

struct Measured {
    groups: usize,
    /// Prometheus's CPU seconds per evaluation of every group of the class once.
    cpu_per_cycle: f64,
    /// Prometheus's own `prometheus_rule_group_last_duration_seconds`, summed over the class's
    /// groups. Groups run concurrently on two cores, so for heavy sets this counts waiting too.
    group_seconds_per_cycle: f64,
    wall: Duration,
}

/// Runs one class of groups in its own Prometheus, every group at `--interval-eval` (group
/// intervals stripped, so the class finishes quickly), and measures CPU per evaluation cycle.
fn measure(
    tsdb: &Path,
    rule_files: &[PathBuf],
    options: &Options,
    idle_cpu_per_second: f64,
) -> Measured {
    let began = Instant::now();
    let prometheus = Prometheus::start(StartOptions {
        rule_files: rule_files.to_vec(),
        tsdb: Some(tsdb.to_path_buf()),
        evaluation_interval: options.eval_interval.clone(),
        ..StartOptions::default()
    });
    // Executed evaluations per group: `iterations_total` also counts the ones skipped because
    // the previous evaluation was still running.
    let iterations = |p: &Prometheus| -> BTreeMap<String, f64> {
        let missed: BTreeMap<String, f64> =
            own_metrics(p, "prometheus_rule_group_iterations_missed_total")
                .into_iter()
                .map(|(k, v)| (k.replace("_missed_total", "_total"), v))
                .collect();
        own_metrics(p, "prometheus_rule_group_iterations_total")
            .into_iter()
            .map(|(k, v)| {
                let skipped = missed.get(&k).copied().unwrap_or(0.0);
                (k, v - skipped)
            })
            .collect()
    };
    let wait_for = |at_least: f64, poll: Duration| loop {
        let it = iterations(&prometheus);
        if !it.is_empty() && it.values().all(|v| *v >= at_least) {
            return it;
        }
        assert!(
            began.elapsed() < Duration::from_secs(3600),
            "rule groups did not finish {at_least} evaluations within an hour"
        );
        std::thread::sleep(poll);
    };
    // The first evaluation warms caches and the head; measure the cycles after it. `/metrics` is
    // read as little as possible while CPU is measured: each read costs Prometheus CPU that grows
    // with the number of groups (it lists every group's metrics), which is this benchmark's cost,
    // not rule evaluation. So the process's CPU comes from `/proc`, the run sleeps for the time
    // its cycles should take, and only a class whose evaluations take longer than the interval is
    // then polled, every 5 s, until its cycles are done.
    let first = wait_for(1.0, Duration::from_millis(500));
    let cpu_before = process_cpu_seconds(prometheus.pid());
    let measured_from = Instant::now();
    let interval = slokit::duration::Duration::parse(&options.eval_interval)
        .expect("--interval-eval")
        .millis() as f64
        / 1000.0;
    std::thread::sleep(Duration::from_secs_f64(interval * options.cycles as f64));
    wait_for(1.0 + options.cycles as f64, Duration::from_secs(5));
    let cpu_after = process_cpu_seconds(prometheus.pid());
    let seconds = measured_from.elapsed().as_secs_f64();
    let last = iterations(&prometheus);
    let durations: f64 = own_metrics(&prometheus, "prometheus_rule_group_last_duration_seconds")
        .iter()
        .map(|(_, v)| v)
        .sum();
    let cycles: f64 = last.iter().map(|(k, v)| v - first[k]).sum::<f64>() / last.len() as f64;
    // What Prometheus burns without rules over the same time (head upkeep, GC, its own HTTP
    // handlers) is not evaluation cost; without subtracting it, small rule sets and sets split into
    // several classes would pay it once per run.
    let rules_cpu = (cpu_after - cpu_before - idle_cpu_per_second * seconds).max(0.0);
    Measured {
        groups: last.len(),
        cpu_per_cycle: rules_cpu / cycles,
        group_seconds_per_cycle: durations,
        wall: began.elapsed(),
    }
}

/// User and system CPU seconds of process `pid` so far, from `/proc/<pid>/stat`.
fn process_cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    let after = stat.rsplit_once(')').expect("a stat line").1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / per_second
}

/// Prometheus's CPU seconds per wall-clock second on the benchmark's TSDB with no rules loaded,
/// measured over 30 s after it has settled.
fn idle_cpu_per_second(tsdb: &Path) -> f64 {
    let prometheus = Prometheus::start(StartOptions {
        tsdb: Some(tsdb.to_path_buf()),
        ..StartOptions::default()
    });
    let cpu = || process_cpu_seconds(prometheus.pid());
    std::thread::sleep(Duration::from_secs(10));
    let before = cpu();
    let from = Instant::now();
    std::thread::sleep(Duration::from_secs(30));
    (cpu() - before) / from.elapsed().as_secs_f64()
}

/// Samples one SLO's recording and alerting rules read, from the query statistics of Prometheus's
/// HTTP API (`stats=all`, `totalQueryableSamples`): 2.42 does not export
/// `prometheus_engine_query_samples_total`. Every SLO of a set has the same shape and data, so an
/// evaluation of `n` SLOs reads `n` times this.
fn samples_per_slo(prometheus: &Prometheus, rule_files: &[PathBuf]) -> f64 {
    let mut total = 0.0;
    for file in rule_files {
        let text = std::fs::read_to_string(file).expect("read rules");
        let mut exprs: Vec<String> = promql_tests::backfill::parse_groups(&text, "bench")
            .into_iter()
            .flat_map(|g| g.rules.into_iter().map(|r| r.expr))
            .collect();
        exprs.extend(
            promql_tests::backfill::read_alerts(file)
                .into_iter()
                .map(|a| a.expr),
        );
        for expr in exprs {
            let mut response = ureq::get(&format!("{}/api/v1/query", prometheus.url))
                .query("query", &expr)
                .query("stats", "all")
                .call()
                .expect("query with stats");
            let body: serde_json::Value = response.body_mut().read_json().expect("JSON");
            total += body["data"]["stats"]["samples"]["totalQueryableSamples"]
                .as_f64()
                .unwrap_or(0.0);
        }
    }
    total
}

/// One rule set's figures, per minute at its own schedule.
struct SetResult {
    name: String,
    groups: usize,
    /// (interval, CPU seconds per evaluation) per class.
    classes: Vec<(f64, f64)>,
    cpu_per_minute: f64,
    group_seconds_per_minute: f64,
    samples_per_minute: f64,
}

fn cost(options: &Options, n: usize) {
    let began = Instant::now();
    let period = options.period_days * DAY;
    // An hour into the future, so every run reads full windows whenever it starts.
    let end = (promql_tests::unix_now() / 60 + 60) * 60;
    let start = end - period - DAY;
    let dir = tempfile::tempdir().expect("temporary directory");
    let history = dir.path().join("history.om");
    {
        let file = std::fs::File::create(&history).expect("create the history file");
        let mut out = std::io::BufWriter::new(file);
        let mut workload = Workload::new(start / 60 * 60);
        for s in 0..options.services {
            workload = workload
                .service(Service::new(&format!("svc{s}")).numbered_routes(options.series / 2));
        }
        let raw = workload.openmetrics(start, end, options.scrape);
        out.write_all(raw.trim_end_matches("# EOF\n").as_bytes())
            .expect("write raw history");
        drop(raw);
        recorded_history(
            &mut out,
            n,
            options.services,
            start,
            end,
            period,
            options.record_interval,
        );
        out.write_all(b"# EOF\n").expect("write EOF");
    }
    let size = std::fs::metadata(&history).map(|m| m.len()).unwrap_or(0);
    let tsdb = dir.path().join("tsdb");
    let import = Instant::now();
    promql_tests::prometheus::backfill_openmetrics_file(&history, &tsdb);
    let _ = std::fs::remove_file(&history);
    println!(
        "\n## cost: {n} SLOs, period {}d, {} services x {} series at {}s scrape, global evaluation interval {}s (data {} MB, import {:.0}s)",
        options.period_days,
        options.services,
        options.series,
        options.scrape,
        options.global_interval,
        size >> 20,
        import.elapsed().as_secs_f64()
    );

    let objective = 0.999;
    // Each rule set for `n` SLOs, and for one SLO (to count samples per SLO).
    let rule_sets = |count: usize, dir: &Path| -> Vec<(&'static str, Vec<PathBuf>)> {
        std::fs::create_dir_all(dir).expect("rules directory");
        let mut sets: Vec<(&str, Vec<PathBuf>)> = vec![(
            "slokit",
            slokit_rules(
                &slokit_specs(count, options.services, options.period_days, objective),
                dir,
            ),
        )];
        for (name, peer) in [
            ("Sloth (default, optimized)", Peer::SlothOptimized),
            ("Sloth (exact mode)", Peer::SlothExact),
            ("Pyrra", Peer::Pyrra),
        ] {
            let path = dir.join(format!("{peer:?}.yml"));
            std::fs::write(
                &path,
                peer_rules(
                    peer,
                    count,
                    options.services,
                    options.period_days,
                    objective,
                ),
            )
            .expect("write peer rules");
            let check = promql_tests::check_rules(std::slice::from_ref(&path));
            assert!(
                check.is_ok(),
                "{name} rules do not pass promtool: {check:?}"
            );
            sets.push((name, vec![path]));
        }
        sets
    };
    let split = |sets: Vec<(&'static str, Vec<PathBuf>)>, dir: &Path| {
        sets.into_iter()
            .enumerate()
            .map(|(i, (name, files))| {
                let classes =
                    split_by_interval(&files, dir, &format!("set{i}"), options.global_interval);
                (name, classes)
            })
            .collect::<Vec<_>>()
    };
    let sets = split(
        rule_sets(n, &dir.path().join("rules")),
        &dir.path().join("rules"),
    );
    let singles = split(
        rule_sets(1, &dir.path().join("single")),
        &dir.path().join("single"),
    );
    // Samples per minute at each set's own schedule: per SLO and class, times n.
    let samples: Vec<f64> = {
        let prometheus = Prometheus::start(StartOptions {
            tsdb: Some(tsdb.clone()),
            ..StartOptions::default()
        });
        singles
            .iter()
            .map(|(_, classes)| {
                classes
                    .iter()
                    .map(|c| samples_per_slo(&prometheus, &c.files) * 60.0 / c.interval)
                    .sum::<f64>()
                    * n as f64
            })
            .collect()
    };
    let idle = idle_cpu_per_second(&tsdb);
    eprintln!("  idle Prometheus on this TSDB: {idle:.4} CPU s per second (subtracted)");
    let mut results = Vec::new();
    for ((name, classes), samples) in sets.iter().zip(&samples) {
        if !options
            .sets
            .iter()
            .any(|s| name.to_lowercase().starts_with(&s.to_lowercase()))
        {
            continue;
        }
        let mut result = SetResult {
            name: name.to_string(),
            groups: 0,
            classes: Vec::new(),
            cpu_per_minute: 0.0,
            group_seconds_per_minute: 0.0,
            samples_per_minute: *samples,
        };
        for class in classes {
            let m = measure(&tsdb, &class.files, options, idle);
            eprintln!(
                "  {name}, groups every {}s: {:.3} CPU s per evaluation, group durations {:.3}s, {} groups (run {:.0}s)",
                class.interval,
                m.cpu_per_cycle,
                m.group_seconds_per_cycle,
                m.groups,
                m.wall.as_secs_f64()
            );
            result.groups += m.groups;
            result.classes.push((class.interval, m.cpu_per_cycle));
            result.cpu_per_minute += m.cpu_per_cycle * 60.0 / class.interval;
            result.group_seconds_per_minute += m.group_seconds_per_cycle * 60.0 / class.interval;
        }
        results.push(result);
    }
    let ours = results.first().filter(|r| r.name == "slokit").map(|r| {
        (
            r.cpu_per_minute,
            r.group_seconds_per_minute,
            r.samples_per_minute,
        )
    });
    let ratio = |v: f64, base: Option<f64>| {
        base.map(|b| format!("{:.1}x", v / b))
            .unwrap_or_else(|| "-".into())
    };
    println!("| rule set | groups | CPU s per evaluation, by group interval | Prometheus CPU s per minute | x slokit | `prometheus_rule_group_last_duration_seconds` per minute | x slokit | samples read per minute | x slokit |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        let classes: Vec<String> = r
            .classes
            .iter()
            .map(|(interval, cpu)| format!("{cpu:.3} every {interval}s"))
            .collect();
        println!(
            "| {} | {} | {} | {:.2} | {} | {:.2} | {} | {:.3e} | {} |",
            r.name,
            r.groups,
            classes.join(", "),
            r.cpu_per_minute,
            ratio(r.cpu_per_minute, ours.map(|o| o.0)),
            r.group_seconds_per_minute,
            ratio(r.group_seconds_per_minute, ours.map(|o| o.1)),
            r.samples_per_minute,
            ratio(r.samples_per_minute, ours.map(|o| o.2)),
        );
    }
    println!("(whole {n}-SLO run {:.0}s)", began.elapsed().as_secs_f64());
}
