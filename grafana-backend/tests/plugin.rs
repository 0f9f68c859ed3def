//! End-to-end tests of the plugin as Grafana runs it: the real `gpx_slokit` executable is
//! started, its go-plugin handshake line read from stdout, and its services called over gRPC with
//! the SDK's public `pluginv2` clients. Behind it runs a real Prometheus (2.42, from
//! `promql_tests`) loaded with rules that the slokit library generates from `tests/fixtures/`
//! (`shop.yaml`; `billing.yaml` for policies, reviews and custom alert tiers), over synthetic
//! history backfilled with promtool. Data frames are
//! decoded from Arrow and compared with values computed from the synthetic rates, not read back
//! from Prometheus. Faults use real sockets: a stopped Prometheus, and a tiny TCP server that
//! answers with a fixed status and body, or never answers.

mod common;

use common::*;
use grafana_plugin_sdk::pluginv2;
use promql_tests::prometheus::{Prometheus, StartOptions};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_against_real_prometheus() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let prometheus = shop_prometheus(dir.path());
    let plugin = Plugin::start();
    let url = prometheus.url.clone();
    let ctx = || context(&url, json!({"timeout": "10"}), &[]);
    let to = now();

    // Health and catalog. The shop's rules are complete and one of its alerts fires.
    let (status, message, details) = check_health_details(&plugin, ctx()).await;
    assert_eq!(
        details["verboseMessage"],
        "nothing missing: every SLO has its burn-rate thresholds, every SLO under a policy its policy steps, and every product series in `ALERTS`"
    );
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
    // Group label values: the grouped SLO's routes; none for an ungrouped one.
    let (code, body) = call_resource(&plugin, ctx(), "groups?product=shop").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body,
        json!({"groups": [{"label": "route", "values": ["/a", "/b"]}]})
    );
    let (_, body) = call_resource(&plugin, ctx(), "groups?slo=availability").await;
    assert_eq!(body, json!({"groups": []}));
    let (_, body) = call_resource(&plugin, ctx(), "groups?product=shop&label=code").await;
    assert_eq!(body, json!({"groups": []}));
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

    // The status table: one row per SLO and group, values from the synthetic rates, in two
    // Prometheus queries (no policy needs a window the table does not show).
    let (table, requests) = status_table(&plugin, ctx(), "shop", to).await;
    assert_eq!(requests, 2, "Prometheus queries of one status request");
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
    // The shop product names no policy and no review cadence.
    assert_eq!(table.field("policy action").texts(), ["no policy"; 3]);
    assert_eq!(table.field("review status").texts(), ["not scheduled"; 3]);
    assert_eq!(
        table.field("sli").config["unit"],
        "percentunit",
        "{:?}",
        table.field("sli").config
    );

    // Time series queries, several in one request; each keeps its own refId.
    let from = to - 120.0;
    let responses = query_data(&plugin, ctx(), shop_series_queries(from, to)).await;
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
    assert_eq!(
        display_names(&period),
        [
            "SLI period shop/availability",
            "SLI period shop/search-success {route=\"/a\"}",
            "SLI period shop/search-success {route=\"/b\"}",
        ]
    );
    for (frame, expected) in period.iter().zip([0.9995, 0.995, 0.98]) {
        assert_close(frame.last_value(), expected, &frame.name);
    }
    // The query inspector's PromQL is what was sent: asked of Prometheus directly, it gives the
    // same series.
    let executed = period[0].meta["executedQueryString"]
        .as_str()
        .expect("executedQueryString");
    assert_eq!(executed, "slokit:sli:period{slokit_product=\"shop\"}");
    assert_eq!(series_count(&prometheus, executed), period.len());
    assert!(period
        .iter()
        .all(|f| f.meta["executedQueryString"] == executed));

    let burn = frames(&responses["B"]);
    assert_eq!(burn.len(), 2);
    // The recorded default tiers of a 7-day period (`slokit:burn_rate_threshold:factor`): 3.36x
    // and 1.4x pages, tickets at 1x (never below 1), ascending, red for the page.
    assert_eq!(
        threshold_steps(&burn[0]),
        [
            (1.0, "orange".into()),
            (1.4, "red".into()),
            (3.36, "red".into())
        ]
    );
    for (frame, expected) in burn.iter().zip([0.5, 2.0]) {
        assert_close(frame.last_value(), expected, &frame.name);
    }

    let budget = frames(&responses["R"]);
    assert_eq!(budget.len(), 1);
    assert_close(budget[0].last_value(), 0.5, "budget remaining");

    let events = frames(&responses["E"]);
    assert_eq!(
        display_names(&events),
        [
            "good events/s 5m shop/availability",
            "total events/s 5m shop/availability"
        ]
    );
    // Rates read from counters are extrapolated at the edges of the data, so they are compared
    // loosely; the ratio of good to total is exact.
    let (good, total) = (events[0].last_value(), events[1].last_value());
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
        ("U", 400, "`queryType` `latency` is unknown: expected one of `sli`, `burn_rate`, `budget_remaining`, `budget_burndown`, `status`, `events`, `annotations`"),
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
    assert_starts_with(&responses["J"].error, "the query is not valid JSON: ");

    // The plugin's own metrics count what happened above.
    let text = metrics_text(&plugin, ctx()).await;
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
    assert_starts_with(
        &responses["A"].error,
        "cannot reach prometheus at `http://127.0.0.1:",
    );
    let (status, message) = check_health(&plugin, ctx()).await;
    assert_eq!(status, 2, "{message}");
    assert_starts_with(&message, "cannot reach prometheus");
}

/// The status table of `product` over the hour before `to`, and the number of Prometheus queries
/// it cost.
async fn status_table(
    plugin: &Plugin,
    ctx: pluginv2::PluginContext,
    product: &str,
    to: f64,
) -> (Frame, u64) {
    let before = prometheus_requests(plugin, ctx.clone()).await;
    let query = data_query(
        "S",
        json!({"queryType": "status", "product": product}),
        to - 3600.0,
        to,
    );
    let responses = query_data(plugin, ctx.clone(), vec![query]).await;
    let requests = prometheus_requests(plugin, ctx).await - before;
    let mut table = frames(&responses["S"]);
    assert_eq!(table.len(), 1);
    // The query inspector shows the PromQL sent and the panel prefers a table.
    assert_eq!(table[0].meta["preferredVisualisationType"], "table");
    let executed = table[0].meta["executedQueryString"]
        .as_str()
        .expect("executedQueryString");
    assert!(
        executed.contains("slokit:slo:info") && executed.contains("ALERTS{"),
        "{executed}"
    );
    (table.remove(0), requests)
}

/// The display names of the frames' value fields, in order.
fn display_names(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(Frame::display_name).collect()
}

/// The thresholds of a burn-rate frame's value field: (factor, color), ascending.
fn threshold_steps(frame: &Frame) -> Vec<(f64, String)> {
    frame.field("value").config["thresholds"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| Some((s["value"].as_f64()?, s["color"].as_str()?.to_string())))
        .collect()
}

/// `rules` without the threshold series of one SLO, as a slokit from before
/// `slokit:burn_rate_threshold:factor` wrote them.
fn without_thresholds(rules: &str, slo: &str) -> String {
    promql_tests::remove_rules(rules, |_, rule| {
        rule.starts_with("record: slokit:burn_rate_threshold:factor\n")
            && rule.contains(&format!("slokit_slo: {slo}\n"))
    })
}

/// What the review column should say on the UTC day of `time`, from the number of days.
fn expected_review(due: &str, time: f64) -> String {
    let due_day = slokit::model::Date::parse(due)
        .expect("a date")
        .days_since_epoch();
    let days = due_day - (time / 86_400.0).floor() as i64;
    match days {
        0 => format!("due {due} (today)"),
        1 => format!("due {due} (in 1 day)"),
        -1 => format!("overdue since {due} (1 day)"),
        d if d > 1 => format!("due {due} (in {d} days)"),
        d => format!("overdue since {due} ({} days)", -d),
    }
}

/// The billing product: an error-budget policy whose steps are in force for known SLOs, review
/// dates, custom burn-rate tiers, and one SLO whose rules lack the threshold series (as an older
/// slokit wrote them), whose thresholds fall back to the default tiers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_actions_review_dates_and_recorded_thresholds() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let generated = product_rules("billing");
    let rules_text = without_thresholds(&generated, "ledger");
    let thresholds = |text: &str| {
        text.matches("record: slokit:burn_rate_threshold:factor")
            .count()
    };
    // charges: 2 custom pairs; refunds and ledger: the 4 default pairs each.
    assert_eq!(thresholds(&generated), 10);
    assert_eq!(thresholds(&rules_text), 6);
    let rules = dir.path().join("billing.yml");
    std::fs::write(&rules, rules_text).expect("write rules");
    let history = history_of(&BILLING_TRAFFIC, now(), BILLING_HISTORY_HOURS);
    let prometheus = start_prometheus(dir.path(), rules, Some(&history));
    wait_for_counts(
        &prometheus,
        &[
            ("slokit:error_budget_remaining:period", 3),
            ("slokit:events_total:rate1h", 3),
            ("slokit:policy_step:threshold", 12),
            ("slokit:burn_rate_threshold:factor", 6),
        ],
    );
    let plugin = Plugin::start();
    let url = prometheus.url.clone();
    let ctx = || context(&url, json!({"timeout": "10"}), &[]);
    let to = now();

    // Health names the SLO whose thresholds were stripped; the others' policy steps are there.
    let (status, _, details) = check_health_details(&plugin, ctx()).await;
    assert_eq!(status, 1);
    assert_eq!(
        details["verboseMessage"],
        "missing burn-rate thresholds (`slokit:burn_rate_threshold:factor`) for `billing/ledger`: rules from an older slokit, or alerting disabled; burn-rate panels draw the default tiers"
    );

    // The status table: the step in force per SLO, in three Prometheus queries (the policy's 2h
    // and 12h windows are not in the table: both come in the third).
    let (table, requests) = status_table(&plugin, ctx(), "billing", to).await;
    assert_eq!(requests, 3, "Prometheus queries of one status request");
    assert_eq!(table.field("slo").texts(), ["ledger", "charges", "refunds"]);
    let policy = |slo: &str| cell(&table, "slo", slo, "policy action");
    assert_eq!(policy("charges"), "reliability work first (burning)");
    assert_eq!(policy("refunds"), "freeze releases (budget-exhausted)");
    assert_eq!(policy("ledger"), "none");
    // The figures behind them: `charges` has between 0 and 50% left (budget-low matches too, but
    // `burning` is written later), burns at 2x over 1h; `refunds` is overspent.
    let number = |slo: &str, field: &str| {
        let row = table
            .field("slo")
            .texts()
            .iter()
            .position(|s| s == slo)
            .expect("a row");
        table.field(field).numbers()[row].expect(field)
    };
    let charges_left = number("charges", "budget remaining");
    assert!(charges_left > 0.0 && charges_left < 0.5, "{charges_left}");
    assert_close(number("charges", "burn rate 1h"), 2.0, "charges 1h");
    assert_close(
        number("refunds", "budget remaining"),
        -1.0,
        "refunds budget",
    );
    // The product's review (90 days after 2026-11-01), and `ledger`'s own (7 days after
    // 2025-12-01), counted from the query's `to`.
    let review = |slo: &str| cell(&table, "slo", slo, "review status");
    assert_eq!(review("charges"), expected_review("2027-01-30", to));
    assert_eq!(review("refunds"), expected_review("2027-01-30", to));
    assert_eq!(review("ledger"), expected_review("2025-12-08", to));

    // The same dates as annotations, over a range from before the first to after the last (which
    // lies in the future): one point each, at midnight UTC.
    let day = |date: &str| {
        slokit::model::Date::parse(date)
            .expect("a date")
            .days_since_epoch() as f64
            * 86_400.0
    };
    let query = data_query(
        "N",
        json!({"queryType": "annotations", "product": "billing"}),
        day("2025-12-01"),
        day("2027-02-28"),
    );
    let responses = query_data(&plugin, ctx(), vec![query]).await;
    let annotations = frames(&responses["N"]);
    let frame = &annotations[0];
    let titles = frame.field("title").texts();
    let reviews: Vec<(f64, f64, String)> = (0..titles.len())
        .filter(|r| titles[*r] == "review due")
        .map(|r| {
            (
                frame.field("time").times()[r],
                frame.field("timeEnd").times()[r],
                frame.field("text").texts()[r].clone(),
            )
        })
        .collect();
    assert_eq!(
        reviews,
        [
            (
                day("2025-12-08"),
                day("2025-12-08"),
                "billing/ledger: review due 2025-12-08".to_string()
            ),
            (
                day("2027-01-30"),
                day("2027-01-30"),
                "billing/charges: review due 2027-01-30".to_string()
            ),
            (
                day("2027-01-30"),
                day("2027-01-30"),
                "billing/refunds: review due 2027-01-30".to_string()
            ),
        ]
    );

    // Burn-rate thresholds: the custom tiers of `charges`, the recorded defaults of `refunds`,
    // and for `ledger`, whose rules have no threshold series, the defaults derived from its period.
    let responses = query_data(
        &plugin,
        ctx(),
        vec![data_query(
            "B",
            json!({"queryType": "burn_rate", "product": "billing", "window": "1h"}),
            to - 120.0,
            to,
        )],
    )
    .await;
    let burn = frames(&responses["B"]);
    assert_eq!(
        display_names(&burn),
        [
            "burn rate 1h billing/ledger",
            "burn rate 1h billing/charges",
            "burn rate 1h billing/refunds",
        ]
    );
    let defaults: Vec<(f64, String)> = vec![
        (1.0, "orange".into()),
        (3.0, "orange".into()),
        (6.0, "red".into()),
        (14.4, "red".into()),
    ];
    assert_eq!(threshold_steps(&burn[0]), defaults);
    assert_eq!(
        threshold_steps(&burn[1]),
        [(4.0, "orange".into()), (10.0, "red".into())]
    );
    assert_eq!(threshold_steps(&burn[2]), defaults);

    // The `slo` resource says where the tiers come from, and carries the two columns.
    let (code, body) = call_resource(&plugin, ctx(), "slo?product=billing&slo=charges").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["slo"]["alertTiers"],
        json!([
            {"severity": "critical", "factor": 10.0, "longWindow": "1h", "shortWindow": "5m", "source": "recorded"},
            {"severity": "warning", "factor": 4.0, "longWindow": "6h", "shortWindow": "30m", "source": "recorded"},
        ])
    );
    assert_eq!(
        body["slo"]["status"][0]["policyAction"],
        "reliability work first (burning)"
    );
    assert_eq!(
        body["slo"]["reviewStatus"],
        json!(expected_review("2027-01-30", now()))
    );
    let (code, body) = call_resource(&plugin, ctx(), "slo?product=billing&slo=ledger").await;
    assert_eq!(code, 200, "{body}");
    let tiers = body["slo"]["alertTiers"].as_array().expect("tiers");
    assert_eq!(tiers.len(), 4);
    assert!(tiers.iter().all(|t| t["source"] == "default"), "{tiers:?}");
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
    assert_starts_with(&message, "cannot reach prometheus at `http://127.0.0.1:1`");
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

/// Every query kind, as Grafana's alerting reads it: over two SLOs of two services, one of them
/// in two groups, each answer is a set of series whose label sets are non-empty and unique (Grafana
/// rejects an alert query otherwise), every series names its SLO and group by label, and the kinds
/// that answer two series per SLO and group tell them apart with `series`. The time series kinds
/// answer alike with and without the `FromAlert` header; the status table becomes one figure per
/// row for alerting (a table of many number columns is not something alerting can read, which the
/// answer without the header shows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerting_reads_labelled_series() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let prometheus = shop_prometheus(dir.path());
    let plugin = Plugin::start();
    let url = prometheus.url.clone();
    let ctx = || context(&url, json!({"timeout": "10"}), &[]);
    let to = now();
    let every = json!({"product": ["shop"], "service": "*", "slo": "*"});
    let kinds: [(&str, serde_json::Value, Option<[&str; 2]>); 8] = [
        ("sli", json!({}), None),
        ("sli", json!({"window": "1h"}), None),
        ("burn_rate", json!({"window": "5m"}), None),
        ("burn_rate", json!({"window": "period"}), None),
        ("budget_remaining", json!({}), None),
        ("budget_burndown", json!({}), Some(["remaining", "ideal"])),
        ("events", json!({}), Some(["good", "total"])),
        ("status", json!({"alertValue": "burn_rate_1h"}), None),
    ];
    let slos: Vec<(String, String, String)> = vec![
        ("api".into(), "availability".into(), String::new()),
        ("search".into(), "search-success".into(), "/a".into()),
        ("search".into(), "search-success".into(), "/b".into()),
    ];
    for (kind, extra, pair) in kinds {
        for from_alert in [false, true] {
            let mut json = every.clone();
            json["queryType"] = json!(kind);
            for (key, value) in extra.as_object().expect("an object") {
                json[key] = value.clone();
            }
            let headers: &[(&str, &str)] = if from_alert {
                &[("FromAlert", "true")]
            } else {
                &[]
            };
            // The last two minutes, as the other tests read the live series; the burn-down over
            // 20 hours of backfilled history.
            let from = if kind == "budget_burndown" {
                (to / 3600.0).floor() * 3600.0 - 20.0 * 3600.0
            } else {
                to - 120.0
            };
            let query = data_query("A", json.clone(), from, to);
            let responses = query_data_with_headers(&plugin, ctx(), vec![query], headers).await;
            let frames = frames(&responses["A"]);
            let what = format!("{json} (FromAlert: {from_alert})");
            if kind == "status" && !from_alert {
                assert_eq!(
                    alert_series(&frames),
                    Err("input data must be a wide series but got type not: frame `status`".into()),
                    "{what}"
                );
                continue;
            }
            let series = alert_series(&frames).unwrap_or_else(|e| panic!("{what}: {e}"));
            // Each SLO and group once, or twice (one per `series` value) for the pairs.
            let mut expected = Vec::new();
            for (service, slo, route) in &slos {
                let names: Vec<Option<&str>> = match (pair, kind) {
                    (Some(pair), _) => pair.iter().map(|p| Some(*p)).collect(),
                    (None, "status") => vec![Some("burn_rate_1h")],
                    (None, _) => vec![None],
                };
                for name in names {
                    let mut labels = std::collections::BTreeMap::from([
                        ("slokit_product".to_string(), "shop".to_string()),
                        ("slokit_service".to_string(), service.clone()),
                        ("slokit_slo".to_string(), slo.clone()),
                    ]);
                    // A number table has every text column in every row: rows of an ungrouped
                    // SLO have an empty `route`.
                    if !route.is_empty() || kind == "status" {
                        labels.insert("route".into(), route.clone());
                    }
                    if let Some(name) = name {
                        labels.insert("series".into(), name.into());
                    }
                    expected.push(labels);
                }
            }
            let mut actual: Vec<_> = series.iter().map(|s| s.labels.clone()).collect();
            actual.sort();
            expected.sort();
            assert_eq!(actual, expected, "{what}");
            assert!(
                series.iter().all(|s| s.number == (kind == "status")),
                "{what}: {series:?}"
            );
        }
    }
}

/// The annotations query over the shop's live series: one frame with the fields Grafana's
/// annotation support reads by name (`time`, `timeEnd`, `title`, `text`, `tags`), an interval of
/// exhausted budget for the overspent group only, and an interval for each alert Prometheus has
/// firing, for that group only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotations_mark_firing_alerts_and_exhausted_budgets() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let prometheus = shop_prometheus(dir.path());
    let plugin = Plugin::start();
    let url = prometheus.url.clone();
    let ctx = || context(&url, json!({"timeout": "10"}), &[]);
    let to = now();
    let firing =
        |p: &Prometheus| series_count(p, "ALERTS{slokit_product=\"shop\",alertstate=\"firing\"}");
    let firing_before = firing(&prometheus);
    let query = data_query(
        "N",
        json!({"queryType": "annotations", "product": "shop", "slo": "*"}),
        to - 60.0,
        to,
    );
    let responses = query_data(&plugin, ctx(), vec![query]).await;
    let frames = frames(&responses["N"]);
    assert_eq!(frames.len(), 1);
    let frame = &frames[0];
    let names: Vec<&str> = frame.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["time", "timeEnd", "title", "text", "tags"]);
    let (starts, ends) = (frame.field("time").times(), frame.field("timeEnd").times());
    let titles = frame.field("title").texts();
    let texts = frame.field("text").texts();
    let tags = frame.field("tags").texts();
    for row in 0..titles.len() {
        assert!(starts[row] <= ends[row], "row {row}");
        assert!(
            starts[row] >= to - 61.0 && ends[row] <= to + 1.0,
            "row {row}"
        );
        assert!(
            texts[row].starts_with("shop/search-success {route=\"/b\"}"),
            "only the overspent group: {}",
            texts[row]
        );
    }
    let exhausted: Vec<usize> = (0..titles.len())
        .filter(|r| titles[*r] == "error budget exhausted")
        .collect();
    assert_eq!(exhausted.len(), 1, "{titles:?}");
    assert_eq!(
        tags[exhausted[0]],
        "slokit,budget-exhausted,shop,search-success,route=\"/b\""
    );
    // Budget remaining is -1 from the rules' first evaluation on: the interval lasts until the
    // end of the range (1s steps) and starts when the series first had a value.
    assert!(
        ends[exhausted[0]] >= to - 2.0,
        "{} {to}",
        ends[exhausted[0]]
    );
    assert!(ends[exhausted[0]] - starts[exhausted[0]] >= 3.0);
    let alert_rows = titles.iter().filter(|t| t.ends_with(" firing")).count();
    let firing_after = firing(&prometheus);
    if firing_before == firing_after {
        assert_eq!(alert_rows, firing_after, "{titles:?}");
    }
    assert!(
        frame.meta["executedQueryString"]
            .as_str()
            .is_some_and(|q| q.starts_with("ALERTS{")),
        "{:?}",
        frame.meta
    );
}
