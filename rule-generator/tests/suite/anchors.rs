//! Loads the reference specs of the tools slokit competes with (Sloth and OpenSLO, kept under
//! `shared/anchors`) through the real loader, and asserts what slokit makes of each: the good sets
//! load without errors, and every file slokit rejects is rejected with exactly the messages listed
//! here, at the positions listed here.

use slokit::diag::Severity;
use slokit::load::{load, Loaded, Options};
use slokit::model::{Date, Indicator, SpecFormat};
use std::path::{Path, PathBuf};

fn anchors() -> PathBuf {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/anchors"));
    assert!(
        dir.join("sloth").is_dir() && dir.join("openslo").is_dir(),
        "the reference specs are missing: expected them at {}",
        dir.display()
    );
    dir.to_path_buf()
}

fn load_paths(relative: &[&str]) -> Loaded {
    let root = anchors();
    let paths: Vec<PathBuf> = relative.iter().map(|p| root.join(p)).collect();
    for path in &paths {
        assert!(path.exists(), "missing anchor {}", path.display());
    }
    let loaded = load(
        &paths,
        Options {
            today: Date {
                year: 2026,
                month: 11,
                day: 1,
            },
        },
    );
    assert!(loaded.io_errors.is_empty(), "{:?}", loaded.io_errors);
    loaded
}

/// Every error as `file:line:col: message`, with the file name only, in rendering order.
fn errors(loaded: &Loaded) -> Vec<String> {
    loaded
        .diagnostics
        .sorted()
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| match d.span {
            Some(span) => {
                let path = loaded.sources.path(span.file);
                let name = Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!(
                    "{name}:{}:{}: {}",
                    span.start.line, span.start.col, d.message
                )
            }
            None => d.message.clone(),
        })
        .collect()
}

fn check(relative: &[&str], expected: &[&str]) -> Loaded {
    let loaded = load_paths(relative);
    assert_eq!(
        errors(&loaded),
        expected,
        "{relative:?}:\n{}",
        loaded.diagnostics.render(&loaded.sources)
    );
    loaded
}

const SLOTH_VALIDATE: &str = "sloth/fixtures/prometheus/testdata/validate";

#[test]
fn sloth_good_specs_load_without_errors() {
    // Sloth validates each file on its own; together they define the same SLOs several times.
    for name in [
        "good-aa.yaml",
        "good-ab.yaml",
        "good-ba.yaml",
        "good-k8s.yaml",
        "good-multi.yaml",
        "good-multi-k8s.yaml",
        "good-openslo.yaml",
    ] {
        let loaded = check(&[&format!("{SLOTH_VALIDATE}/good/{name}")], &[]);
        assert!(loaded.catalog.slos().count() >= 1, "{name}");
    }
}

#[test]
fn sloth_bad_specs_fail_with_located_messages() {
    let out_of_range = "objective `101` is out of range; it must be between 0 and 100 (exclusive)";
    for name in ["bad-aa.yaml", "bad-ab.yaml", "bad-ba.yaml"] {
        check(
            &[&format!("{SLOTH_VALIDATE}/bad/{name}")],
            &[&format!("{name}:28:16: {out_of_range}")],
        );
    }
    check(
        &[&format!("{SLOTH_VALIDATE}/bad/bad-k8s.yaml")],
        &["bad-k8s.yaml:7:12: must not be empty"],
    );
    check(
        &[&format!("{SLOTH_VALIDATE}/bad/bad-multi-k8s.yaml")],
        &["bad-multi-k8s.yaml:22:15: must not be empty"],
    );
    check(
        &[&format!("{SLOTH_VALIDATE}/bad/bad-multi.yaml")],
        &["bad-multi.yaml:77:10: `sli` must define one of `events`, `raw` or `plugin`"],
    );
}

/// Sloth rejects a 28-day OpenSLO window only because it runs with 30-day alert windows unless told
/// otherwise. slokit scales its alert tiers to any period, so the same spec is valid here and
/// measures over 28 days.
#[test]
fn sloth_bad_openslo_28d_window_is_valid_in_slokit() {
    let loaded = check(&[&format!("{SLOTH_VALIDATE}/bad/bad-openslo.yaml")], &[]);
    let slo = loaded.catalog.slos().next().expect("one SLO");
    assert_eq!(slo.period.to_string(), "28d");
    assert_eq!(slo.origin.format, SpecFormat::OpenSlo);
}

#[test]
fn sloth_examples_load_without_errors() {
    for name in [
        "contrib-denominator-corrected.yaml",
        "getting-started.yml",
        "home-wifi.yml",
        "k8s-getting-started.yml",
        "k8s-home-wifi.yml",
        "k8s-multifile.yml",
        "kubernetes-apiserver.yml",
        "multifile.yml",
        "no-alerts.yml",
        "openslo-getting-started.yml",
        "openslo-kubernetes-apiserver.yml",
        "raw-home-wifi.yml",
        "windows",
    ] {
        check(&[&format!("sloth/examples/{name}")], &[]);
    }
    let loaded = check(&["sloth/examples/openslo-kubernetes-apiserver.yml"], &[]);
    let names: Vec<&str> = loaded.catalog.slos().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "requests-availability-openslo",
            "requests-latency-openslo-0",
            "requests-latency-openslo-1"
        ]
    );
}

#[test]
fn sloth_alert_windows_for_30d_apply_to_sloth_slos() {
    let loaded = check(
        &[
            "sloth/examples/getting-started.yml",
            "sloth/examples/windows",
        ],
        &[],
    );
    let slo = loaded.catalog.slos().next().expect("one SLO");
    let windows: Vec<String> = slo
        .alerting
        .pairs()
        .map(|(severity, w)| format!("{} {}/{} {}", severity, w.long, w.short, w.factor))
        .collect();
    assert_eq!(
        windows,
        [
            "page 30m/2m 14.4",
            "page 3h/15m 4.8",
            "ticket 12h/1h 3",
            "ticket 1d12h/3h 1"
        ]
    );
}

#[test]
fn sloth_plugin_examples_are_rejected_or_warned_about() {
    // `getting_started_availability` is Sloth's example of a plugin of one's own: Go code.
    let custom = "SLI plugin `getting_started_availability` cannot run in slokit: it is Go code, and slokit does not run Go code";
    let loaded = check(
        &["sloth/examples/plugin-getting-started.yml"],
        &[&format!("plugin-getting-started.yml:14:13: {custom}")],
    );
    assert_eq!(loaded.stubs.len(), 1);
    check(
        &["sloth/examples/plugin-k8s-getting-started.yml"],
        &[&format!("plugin-k8s-getting-started.yml:28:15: {custom}")],
    );
    // Core plugins only do what slokit's generator does: warnings, no errors.
    for name in [
        "slo-plugin-getting-started.yml",
        "slo-plugin-k8s-getting-started.yml",
    ] {
        let loaded = check(&[&format!("sloth/examples/{name}")], &[]);
        assert_eq!(loaded.diagnostics.warning_count(), 7, "{name}");
    }
    // `info_labels` becomes labels (written the way Prometheus 2 accepts them), and
    // `rule_intervals` has no effect: warnings only.
    let loaded = check(&["sloth/examples/contrib-slo-plugins.yml"], &[]);
    let slo = loaded.catalog.slos().next().expect("two SLOs");
    assert_eq!(slo.labels.get("plug_l1").map(String::as_str), Some("in-k1"));
    // The VictoriaMetrics validator is not needed, but the MetricsQL it lets through is not
    // PromQL, and a `-` is not allowed in an alert name.
    check(
        &["sloth/examples/victoria-metrics.yml"],
        &[
            "victoria-metrics.yml:27:20: invalid PromQL: unknown function with name 'histogram_share'",
            "victoria-metrics.yml:28:20: invalid PromQL: ranges only allowed for vector selectors",
            "victoria-metrics.yml:30:11: `slo_foo-bar_grpc-latency-percentile-90_fail` is not a valid alert name",
            "victoria-metrics.yml:44:20: invalid PromQL: unknown function with name 'histogram_share'",
            "victoria-metrics.yml:45:20: invalid PromQL: ranges only allowed for vector selectors",
            "victoria-metrics.yml:47:11: `slo_foo-bar_grpc-latency-percentile-99_fail` is not a valid alert name",
        ],
    );
}

#[test]
fn openslo_v1_examples_load_and_other_vendors_objects_are_skipped() {
    let loaded = check(&["openslo/go-sdk/pkg/openslo/v1/examples"], &[]);
    // The Datadog and AppDynamics SLIs and data sources no SLO uses are skipped with warnings;
    // the calendar week and the time slices of the one SLO load, with warnings saying how.
    let warnings: Vec<&str> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.as_str())
        .collect();
    for expected in [
        "skipped DataSource `datadog` of type `Datadog`",
        "skipped SLI `search-availability`: its metric source type `Datadog` is not Prometheus",
        "skipped SLI `end-user-response`: its metric source type `AppDynamics` is not Prometheus",
        "calendar-aligned window `1w` is loaded as a rolling 7d window",
        "`Timeslices` budgeting is measured over 1m slices aligned to the clock",
    ] {
        assert!(warnings.contains(&expected), "{expected} in {warnings:#?}");
    }
    let slo = loaded.catalog.slos().next().expect("one SLO");
    assert_eq!(
        (slo.name.as_str(), slo.period.to_string().as_str()),
        ("web-availability", "7d")
    );
    assert!(matches!(slo.indicator, Indicator::Raw { .. }));
}

#[test]
fn openslo_other_v1_inputs() {
    check(&["openslo/oslo/test/inputs/validate/v1.yaml"], &[]);
    check(
        &["openslo/examples/budgeting-method/occurences-slo.yaml"],
        &["occurences-slo.yaml:17:17: metric source type `Any` is not supported"],
    );
    // `dimensions` become the SLO's grouping labels; `sum(counter)` is read as the counter.
    let loaded = check(
        &["openslo/go-sdk/pkg/openslosdk/test_data/decode/v1_slos.yaml"],
        &[],
    );
    let slo = loaded.catalog.slos().next().expect("one SLO");
    assert_eq!(slo.group_by, ["following", "another"]);
    assert!(matches!(slo.indicator, Indicator::Ratio(_)));
}

/// What slokit makes of every other OpenSLO fixture: the error messages per file (positions are
/// covered above). Files that are only fragments of a spec, or drafts of v2alpha, are rejected.
#[test]
fn openslo_remaining_fixtures() {
    let cases: &[(&str, &[&str])] = &[
        ("examples/budgeting-method/ratio-timeslices.yaml", &[
            "metric source type `Any` is not supported",
            "metric source type `Any` is not supported",
        ]),
        ("examples/budgeting-method/timeslices-slo.yaml", &[
            "metric source type `Any` is not supported",
            "metric source type `Any` is not supported",
        ]),
        ("go-sdk/pkg/openslo/v1alpha/examples/services.yaml", &[]),
        ("go-sdk/pkg/openslo/v1alpha/examples/slos.yaml", &[
            "metric source `datadog` is not supported",
            "metric source `datadog` is not supported",
        ]),
        ("go-sdk/pkg/openslo/v2alpha/examples/slos.yaml", &["OpenSLO `v2alpha` is not supported"]),
        ("go-sdk/pkg/openslosdk/test_data/decode/sequence_of_objects.yaml", &[]),
        ("go-sdk/pkg/openslosdk/test_data/decode/single_object.json", &[]),
        ("go-sdk/pkg/openslosdk/test_data/decode/two_documents.yaml", &[]),
        ("go-sdk/pkg/openslosdk/test_data/encode/v1_slo.yaml", &[]),
        ("go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_invalid_condition.yaml", &[
            "unknown alert condition `cpu-usage-breach`",
        ]),
        ("go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_alert_policies_keep_refs.yaml", &[]),
        ("go-sdk/pkg/openslosdk/test_data/inline/inputs/v1_slo_invalid_sli.yaml", &[
            "unknown SLI `no-sli`",
        ]),
        ("oslo/internal/files/testdata/format/list-of-services.yaml", &[]),
        ("oslo/internal/files/testdata/format/two-documents.yaml", &[]),
        ("oslo/test/inputs/validate/invalid-apiversion.yaml", &["unknown `apiVersion` `foo`"]),
        ("oslo/test/inputs/validate/unknown-field.yaml", &["unknown field `markdown`"]),
        // v1alpha `Timeslices` with no slice length: nothing says what a slice is.
        ("oslo/test/inputs/validate/v1alpha.yaml", &["missing required field `timeSliceWindow`"]),
        ("spec-readme-snippets/v1/07-sli-sli.yaml", &[
            "an SLI has either `ratioMetric` or `thresholdMetric`, not both",
        ]),
        ("spec-readme-snippets/v1/08-notes-sli-slo.yaml", &[
            "metric source type `Datadog` is not supported",
            "metric source type `Datadog` is not supported",
            "missing required field `budgetingMethod`",
        ]),
        ("spec-readme-snippets/v1/14-notes-alertpolicy-alertpolicy.yaml", &[]),
        ("spec-readme-snippets/v1/16-notes-alertcondition-alertcondition.yaml", &[]),
        ("spec-readme-snippets/v1/20-service-service.yaml", &[]),
    ];
    let mut failures = Vec::new();
    for (path, expected) in cases {
        let loaded = load_paths(&[&format!("openslo/{path}")]);
        let mut got: Vec<String> = errors(&loaded)
            .into_iter()
            .map(|e| e.splitn(4, ':').nth(3).unwrap_or(&e).trim().to_string())
            .collect();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        got.sort();
        want.sort();
        if got != want {
            failures.push(format!("{path}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
