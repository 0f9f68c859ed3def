//! The corpus: public spec files written by users of Sloth, Pyrra and slo-generator, and OpenSLO
//! files written in the layouts of the tools that emit them (kept in
//! `tests/corpus/`, each with its source, commit and license in `tests/corpus/SOURCES.md`) and the
//! tools' own examples (read from `shared/anchors`). Tried as a new user would: every file either
//! loads, and then its generated rules pass `promtool check rules` and its generated tests pass
//! `promtool test rules`, or it is refused with located errors, as the tables below say file by
//! file. Nothing panics, and each file loads within a second.
//!
//! promtool is slow to start and to run tests, so each format writes one tree (one folder per
//! input, since inputs may define the same SLOs) and runs promtool once over it; the formats run
//! as separate tests, in parallel. Every loaded catalog is also converted to `slo.dev/v1` and
//! loaded again, which must succeed (`slo convert`), and each refused file is run through the
//! real binary, which must exit 1 (`slo validate`).
//!
//! The built-in Sloth SLI plugins have one spec each in `tests/sloth-plugins/`; their generated
//! rules are golden files in `tests/golden/sloth-plugins/` (`UPDATE_GOLDEN=1` rewrites them).

use slokit::diag::Severity;
use slokit::load::{load_texts, Loaded, Options};
use slokit::model::Date;
use slokit::render::{generate, GenerateOptions, OutputFile};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 1,
};

/// The longest one file may take to load.
const MAX_LOAD_TIME: Duration = Duration::from_secs(1);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn anchors() -> PathBuf {
    let dir = manifest_dir().join("../../shared/anchors");
    assert!(
        dir.join("pyrra").is_dir() && dir.join("slo-generator").is_dir(),
        "the reference specs are missing: expected them at {}",
        dir.display()
    );
    dir
}

/// One input: the name the tables use, the file it was read from (none for wrapped fragments)
/// and its text.
struct Input {
    name: String,
    path: Option<PathBuf>,
    text: String,
}

/// Spec files under `dir`, recursively, sorted, named `<prefix>/<path under dir>`; `skip` leaves
/// out paths containing any of its strings (files that are not specs, such as Grafana
/// dashboards).
fn inputs(dir: &Path, prefix: &str, skip: &[&str]) -> Vec<Input> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(dir).expect("under dir").to_string_lossy();
            let name = format!("{prefix}/{relative}");
            if skip.iter().any(|s| name.contains(s)) {
                return None;
            }
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            Some(Input {
                name,
                path: Some(path),
                text,
            })
        })
        .collect()
}

/// What one format's corpus must do: inputs, and the ones refused (input name → a substring of
/// one of its errors). Every other input loads and its generated promtool tests pass.
struct Corpus<'a> {
    format: &'a str,
    inputs: Vec<Input>,
    refused: &'a [(&'a str, &'a str)],
}

/// Loads every input, checks it against the tables, generates what loaded into one tree and runs
/// promtool over it once.
fn check(corpus: Corpus<'_>) {
    promql_tests::require_promtool();
    let tree = tempfile::tempdir().expect("a temporary directory");
    let mut problems = Vec::new();
    let mut loaded_count = 0;
    let mut refused_seen = BTreeSet::new();
    let mut slowest = (Duration::ZERO, String::new());
    let mut owners: Vec<(PathBuf, String)> = Vec::new();
    for (index, input) in corpus.inputs.iter().enumerate() {
        let started = Instant::now();
        let loaded = load_texts(
            &[(input.name.clone(), input.text.clone())],
            Options { today: TODAY },
        );
        let took = started.elapsed();
        if took > slowest.0 {
            slowest = (took, input.name.clone());
        }
        if took > MAX_LOAD_TIME {
            problems.push(format!("{}: loading took {took:?}", input.name));
        }
        let errors = errors(&loaded);
        for (message, located) in &errors {
            if !located {
                problems.push(format!("{}: error without a line: {message}", input.name));
            }
        }
        let expected = corpus
            .refused
            .iter()
            .find(|(name, _)| *name == input.name)
            .map(|(_, e)| *e);
        match (expected, errors.is_empty()) {
            (None, true) => {
                loaded_count += 1;
                let dir = tree.path().join(format!("{index:03}"));
                for file in generate(&loaded.catalog, &GenerateOptions::default()) {
                    write(&dir, &file);
                    owners.push((dir.join(&file.path), input.name.clone()));
                }
                if let Some(problem) = converts(&loaded) {
                    problems.push(format!("{}: {problem}", input.name));
                }
            }
            (None, false) => problems.push(format!(
                "{}: expected to load, refused:\n{}",
                input.name,
                loaded.diagnostics.render(&loaded.sources)
            )),
            (Some(substring), _) => {
                refused_seen.insert(input.name.clone());
                if !errors.iter().any(|(m, _)| m.contains(substring)) {
                    problems.push(format!(
                        "{}: expected an error containing {substring:?}, got {:?}",
                        input.name,
                        errors.iter().map(|(m, _)| m).collect::<Vec<_>>()
                    ));
                }
                if let Some(path) = &input.path {
                    let status =
                        crate::slo(&manifest_dir(), &["validate", &path.to_string_lossy()])
                            .status
                            .code();
                    if status != Some(1) {
                        problems.push(format!(
                            "{}: `slo validate` exited {status:?}, not 1",
                            input.name
                        ));
                    }
                }
            }
        }
    }
    for (name, _) in corpus.refused {
        if !refused_seen.contains(*name) {
            problems.push(format!("{name}: listed as refused, but no such input"));
        }
    }
    problems.extend(promtool(&corpus, &owners));
    println!(
        "{}: {} inputs, {loaded_count} loaded, {} refused; slowest load {:?} ({})",
        corpus.format,
        corpus.inputs.len(),
        refused_seen.len(),
        slowest.0,
        slowest.1
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every error as (message, whether it has a line).
fn errors(loaded: &Loaded) -> Vec<(String, bool)> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.message.clone(), d.span.is_some_and(|s| s.start.line > 0)))
        .collect()
}

fn write(dir: &Path, file: &OutputFile) {
    let path = dir.join(&file.path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a writable tree");
    std::fs::write(&path, &file.contents).expect("a writable tree");
}

/// `slo convert`: the catalog as `slo.dev/v1`, which must load again with the same SLOs. (A file
/// of only policies or alert windows converts to nothing: their effect is on the SLOs.)
fn converts(loaded: &Loaded) -> Option<String> {
    loaded.catalog.slos().next()?;
    let native = slokit::render::convert::to_native(&loaded.catalog);
    let again = load_texts(
        &[("converted.yaml".into(), native.clone())],
        Options { today: TODAY },
    );
    if again.diagnostics.has_errors() {
        return Some(format!(
            "the converted specs do not load:\n{}\n{native}",
            again.diagnostics.render(&again.sources)
        ));
    }
    let count = |l: &Loaded| l.catalog.slos().count();
    (count(&again) != count(loaded))
        .then(|| format!("{} SLOs converted into {}", count(loaded), count(&again)))
}

/// `promtool check rules` on every rule file and `promtool test rules` on every test file, one
/// run each. Test files that fail must be exactly the known failures.
fn promtool(corpus: &Corpus<'_>, owners: &[(PathBuf, String)]) -> Vec<String> {
    let rules: Vec<PathBuf> = owners
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| p.to_string_lossy().contains("/rules/"))
        .collect();
    let tests: Vec<PathBuf> = owners
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| p.to_string_lossy().ends_with(".test.yml"))
        .collect();
    let mut problems = Vec::new();
    if rules.is_empty() {
        return vec![format!("{}: nothing was generated", corpus.format)];
    }
    if let Err(report) = promql_tests::check_rules(&rules) {
        problems.push(format!("promtool check rules failed:\n{report}"));
    }
    let report = match promql_tests::test_rules(&tests) {
        Ok(report) | Err(report) => report,
    };
    let failed: BTreeSet<String> = failed_test_files(&report)
        .into_iter()
        .map(|file| {
            owners
                .iter()
                .find(|(p, _)| *p == file)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| file.display().to_string())
        })
        .collect();
    for name in failed {
        problems.push(format!("{name}: its generated promtool tests fail"));
    }
    if !problems.is_empty() {
        problems.push(format!("promtool test rules said:\n{report}"));
    }
    problems
}

/// The test files promtool reports as failed. promtool writes `Unit Testing:  <file>` and then
/// `SUCCESS` on standard output, but the details of a failure on standard error, which the
/// report holds after all of standard output; so a file failed when `SUCCESS` does not follow
/// its name.
fn failed_test_files(report: &str) -> Vec<PathBuf> {
    report
        .split("Unit Testing:")
        .skip(1)
        .filter_map(|block| {
            let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
            let file = lines.next()?;
            (lines.next() != Some("SUCCESS")).then(|| PathBuf::from(file))
        })
        .collect()
}

/// Wraps a plugin README's `sli:` fragment in a `prometheus/v1` spec of one SLO.
fn wrapped(fragment: Input) -> Input {
    let indented: String = fragment
        .text
        .lines()
        .map(|line| format!("  {line}\n"))
        .collect();
    Input {
        name: fragment.name,
        path: None,
        text: format!("version: prometheus/v1\nservice: readme\nslos:\n- name: example\n  objective: 99.9\n{indented}"),
    }
}

#[test]
fn sloth_corpus() {
    let corpus_dir = manifest_dir().join("tests/corpus/sloth");
    let mut all = inputs(&corpus_dir, "corpus", &["plugin-readme-examples"]);
    all.extend(
        inputs(&corpus_dir.join("plugin-readme-examples"), "readme", &[])
            .into_iter()
            .map(wrapped),
    );
    let anchors = anchors().join("sloth");
    all.extend(inputs(&anchors.join("examples"), "examples", &[]));
    // Sloth's expected outputs (`out-*.tpl`, `gen/`) are rules, not specs.
    all.extend(inputs(&anchors.join("fixtures"), "fixtures", &[]));
    check(Corpus {
        format: "sloth",
        inputs: all,
        refused: &[
            // A typo Sloth only finds at query time: `==` binds looser than the range selector.
            ("corpus/Ayoralol__doc-gen__configs__slo__slo.yaml", "invalid PromQL"),
            // Giant Swarm's per-SLO fragments, which their Helm chart wraps into Sloth specs.
            ("corpus/giantswarm__sloth-rules__areas__empowerment__teams__cabbage__dns__slos__latency-coredns.yaml", "missing required field `apiVersion`"),
            ("corpus/giantswarm__sloth-rules__areas__kaas__teams__phoenix__apiserver__slos__availability.yaml", "missing required field `apiVersion`"),
            ("corpus/giantswarm__sloth-rules__areas__kaas__teams__phoenix__apiserver__slos__latency-readonly-resource.yaml", "missing required field `apiVersion`"),
            ("corpus/giantswarm__sloth-rules__areas__kaas__teams__phoenix__containerd__slos__disk-usage.yaml", "missing required field `apiVersion`"),
            // Plugins of lokalise's own library: Go code, refused with a stub to fill in.
            ("corpus/lokalise__common-sloth-sli-plugins__example-slo-spec.yaml", "SLI plugin `lokalise/http-error-rate` cannot run in slokit"),
            // The plugin library's own test names the v1 plugin with v2's option.
            ("corpus/slok__sloth-common-sli-plugins__test__integration__traefik-v2-availability.yml", "needs the option `backend_regex`"),
            // The noop README indents `id` next to `plugin:`.
            ("readme/slok__sloth-common-sli-plugins__plugins__noop__README.md__example-1.yaml", "`plugin` is empty"),
            ("examples/plugin-getting-started.yml", "SLI plugin `getting_started_availability` cannot run in slokit"),
            ("examples/plugin-k8s-getting-started.yml", "SLI plugin `getting_started_availability` cannot run in slokit"),
            ("examples/victoria-metrics.yml", "unknown function with name 'histogram_share'"),
            ("fixtures/prometheus/testdata/in-invalid-version.yaml", "unknown spec version `prometheus/v999`"),
            ("fixtures/prometheus/testdata/in-sli-plugin.yaml", "SLI plugin `integration_test` cannot run in slokit"),
            ("fixtures/prometheus/testdata/in-slo-plugin-k8s.yaml", "SLO plugin `integration-tests/plugin1` cannot run in slokit"),
            ("fixtures/prometheus/testdata/in-slo-plugin.yaml", "SLO plugin `integration-tests/plugin1` cannot run in slokit"),
            ("fixtures/prometheus/testdata/validate/bad/bad-aa.yaml", "objective `101` is out of range"),
            ("fixtures/prometheus/testdata/validate/bad/bad-ab.yaml", "objective `101` is out of range"),
            ("fixtures/prometheus/testdata/validate/bad/bad-ba.yaml", "objective `101` is out of range"),
            ("fixtures/prometheus/testdata/validate/bad/bad-k8s.yaml", "must not be empty"),
            ("fixtures/prometheus/testdata/validate/bad/bad-multi-k8s.yaml", "must not be empty"),
            ("fixtures/prometheus/testdata/validate/bad/bad-multi.yaml", "`sli` must define one of `events`, `raw` or `plugin`"),
            ("fixtures/prometheus/testdata/validate_with_duplicates/bad-prom-multi-duplicates.yaml", "is defined twice"),
        ],
    });
}

/// OpenSLO files in the layouts other tools write (see `tests/corpus/SOURCES.md`); OpenSLO's own
/// examples and SDK fixtures are checked file by file in `anchors.rs`.
#[test]
fn openslo_corpus() {
    check(Corpus {
        format: "openslo",
        inputs: inputs(&manifest_dir().join("tests/corpus/openslo"), "corpus", &[]),
        refused: &[],
    });
}

#[test]
fn pyrra_corpus() {
    let mut all = inputs(&manifest_dir().join("tests/corpus/pyrra"), "corpus", &[]);
    let anchors = anchors().join("pyrra");
    // Grafana dashboards, a Compose file and a Prometheus config sit beside Pyrra's examples.
    all.extend(inputs(
        &anchors.join("examples"),
        "examples",
        &[
            "grafana/",
            "docker-compose/docker-compose.yaml",
            "docker-compose/prometheus.yaml",
        ],
    ));
    all.extend(inputs(&anchors.join("generated"), "generated", &["output"]));
    check(Corpus {
        format: "pyrra",
        inputs: all,
        refused: &[],
        // Pyrra turns its absent alert on by default, and its delay is a few minutes for high
        // objectives, so Pyrra SLOs meet the renderer's known gaps more often than others.
    });
}

#[test]
fn slo_generator_corpus() {
    let mut all = inputs(
        &manifest_dir().join("tests/corpus/slo-generator"),
        "corpus",
        &[],
    );
    let anchors = anchors().join("slo-generator");
    all.extend(inputs(&anchors.join("samples"), "samples", &[]));
    all.extend(inputs(
        &anchors.join("error_budget_policies"),
        "policies",
        &[],
    ));
    // JSON Schemas of the configs, not configs.
    all.extend(inputs(
        &anchors.join("tests/unit/fixtures"),
        "fixtures",
        &["schemas/"],
    ));
    check(Corpus {
        format: "slo-generator",
        inputs: all,
        // Most are SLOs on backends other than Prometheus, which slokit cannot read.
        refused: &[
            // A Terraform template of a config (`%{if}` directives), not YAML until rendered.
            ("corpus/heureka__terraform-kubernetes-google-slo-generator__config.yaml", "invalid YAML"),
            ("corpus/ocervell__slo-generator-gke__slos__slo_csm_gke_availability.yaml", "backend `csm` is not supported"),
            ("corpus/ocervell__slo-generator-gke__slos__slo_template.yaml", "backend `cloud_monitoring` is not supported"),
            ("corpus/ocervell__slo-generator-gke__v2__slos__slo_elk_test_ratio.yaml", "backend `elk` is not supported"),
            ("corpus/terraform-google-modules__terraform-google-slo__examples__slo-generator__sre_service_example__configs__team1__slo_bq_latency.yaml", "backend `cloud_monitoring/team1` is not supported"),
            ("corpus/terraform-google-modules__terraform-google-slo__examples__slo-generator__yaml_example__templates__slo_pubsub_ack.yaml", "backend `Stackdriver` is not supported"),
            ("samples/cloud_monitoring/slo_gae_app_availability.yaml", "backend `cloud_monitoring` is not supported"),
            ("samples/cloud_monitoring/slo_gae_app_latency.yaml", "backend `cloud_monitoring` is not supported"),
            ("samples/cloud_monitoring/slo_lb_request_availability.yaml", "backend `cloud_monitoring` is not supported"),
            ("samples/cloud_monitoring/slo_lb_request_latency.yaml", "backend `cloud_monitoring` is not supported"),
            ("samples/cloud_monitoring/slo_pubsub_subscription_throughput.yaml", "backend `cloud_monitoring` is not supported"),
            ("samples/cloud_monitoring_mql/slo_gae_app_availability.yaml", "backend `cloud_monitoring_mql` is not supported"),
            ("samples/cloud_monitoring_mql/slo_gae_app_availability_ratio.yaml", "backend `cloud_monitoring_mql` is not supported"),
            ("samples/cloud_monitoring_mql/slo_gae_app_latency.yaml", "backend `cloud_monitoring_mql` is not supported"),
            ("samples/cloud_monitoring_mql/slo_lb_request_availability.yaml", "backend `cloud_monitoring_mql` is not supported"),
            ("samples/cloud_monitoring_mql/slo_lb_request_availability_ratio.yaml", "backend `cloud_monitoring_mql` is not supported"),
            ("samples/cloud_monitoring_mql/slo_lb_request_latency.yaml", "backend `cloud_monitoring_mql` is not supported"),
            ("samples/cloud_monitoring_mql/slo_pubsub_subscription_throughput.yaml", "backend `cloud_monitoring_mql` is not supported"),
            ("samples/cloud_service_monitoring/slo_gae_app_availability.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_gae_app_availability_basic.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_gae_app_latency.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_gae_app_latency_basic.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_gke_app_availability_basic.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_gke_app_availability_basic_deprecated.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_gke_app_latency_basic.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_gke_app_latency_basic_deprecated.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_lb_request_availability.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/cloud_service_monitoring/slo_lb_request_latency.yaml", "backend `cloud_service_monitoring` is not supported"),
            ("samples/custom/slo_custom_app_availability_query_sli.yaml", "backend `samples.custom.custom_backend.CustomBackend` is not supported"),
            ("samples/custom/slo_custom_app_availability_ratio.yaml", "backend `samples.custom.custom_backend.CustomBackend` is not supported"),
            ("samples/datadog/slo_dd_app_availability_query_sli.yaml", "backend `datadog` is not supported"),
            ("samples/datadog/slo_dd_app_availability_query_slo.yaml", "backend `datadog` is not supported"),
            ("samples/datadog/slo_dd_app_availability_ratio.yaml", "backend `datadog` is not supported"),
            ("samples/dynatrace/slo_dt_app_availability_ratio.yaml", "backend `dynatrace` is not supported"),
            ("samples/dynatrace/slo_dt_app_availability_slo.yaml", "backend `dynatrace` is not supported"),
            ("samples/dynatrace/slo_dt_app_latency_threshold.yaml", "backend `dynatrace` is not supported"),
            ("samples/elasticsearch/slo_elk_test_ratio.yaml", "backend `elasticsearch` is not supported"),
            ("samples/opensearch/slo_opensearch_availability_sli.yaml", "backend `open_search` is not supported"),
            ("samples/opensearch/slo_opensearch_latency_sli.yaml", "backend `open_search` is not supported"),
            ("samples/splunk/slo_splunk_app_availability_query_sli.yaml", "backend `splunk` is not supported"),
            ("samples/splunk/slo_splunk_app_availability_ratio.yaml", "backend `splunk` is not supported"),
            ("samples/splunk/slo_splunk_app_availability_ratio2.yaml", "backend `splunk` is not supported"),
            ("samples/test/test1.yaml", "backend `cloud_monitoring` is not supported"),
            ("samples/test/test2.yaml", "backend `cloud_monitoring` is not supported"),
            // Not slo-generator's: a Knative service its CI deploys.
            ("fixtures/ci_knative_service.yaml", "unknown `apiVersion` `serving.knative.dev/v1`"),
            ("fixtures/ci_slo.json", "backend `cloud_monitoring` is not supported"),
            // A unit-test fixture that writes `version` for `apiVersion`, on a `dummy` backend.
            ("fixtures/dummy_slo_config.json", "unknown spec version `sre.google.com/v2`"),
            // Test data for slo-generator's own unit tests, not a config.
            ("fixtures/dummy_tests.json", "missing required field `apiVersion`"),
            // A bare list of v1 exporters, not a config.
            ("fixtures/exporters.yaml", "missing required field `apiVersion`"),
            ("fixtures/slo_config_v1.yaml", "backend `Stackdriver` is not supported"),
            ("fixtures/slo_config_v2.yaml", "backend `cloud_monitoring` is not supported"),
            // What slo-generator writes after a run.
            ("fixtures/slo_report_v1.json", "this is an slo-generator report, not an SLO config"),
            ("fixtures/slo_report_v2.json", "this is an slo-generator report, not an SLO config"),
        ],
    });
}

/// Every built-in Sloth SLI plugin: the rules it generates are golden, and promtool proves them.
#[test]
fn sloth_plugin_templates() {
    promql_tests::require_promtool();
    let dir = manifest_dir().join("tests/sloth-plugins");
    let specs = inputs(&dir, "sloth-plugins", &[]);
    assert_eq!(specs.len(), 19, "one spec per built-in plugin");
    let texts: Vec<(String, String)> = specs
        .iter()
        .map(|i| (i.name.clone(), i.text.clone()))
        .collect();
    let loaded = load_texts(&texts, Options { today: TODAY });
    assert_eq!(
        loaded.diagnostics.render(&loaded.sources),
        "",
        "the plugin specs load without a warning"
    );
    let files = generate(&loaded.catalog, &GenerateOptions::default());
    let golden = manifest_dir().join("tests/golden/sloth-plugins");
    let rules: Vec<(&Path, &str)> = files
        .iter()
        .filter(|f| f.path.starts_with("prometheus/rules"))
        .map(|f| {
            (
                f.path.file_name().map(Path::new).expect("a file name"),
                f.contents.as_str(),
            )
        })
        .collect();
    assert_eq!(rules.len(), 19, "one rule file per plugin");
    slokit_test_support::check_tree(&golden, rules);
    let tree = tempfile::tempdir().expect("a temporary directory");
    for file in &files {
        write(tree.path(), file);
    }
    let (rule_files, test_files) = slokit::promtool::find_files(tree.path());
    promql_tests::check_rules(&rule_files).unwrap_or_else(|r| panic!("{r}"));
    promql_tests::test_rules(&test_files).unwrap_or_else(|r| panic!("{r}"));
}

/// Every corpus file is listed in SOURCES.md, and every listed file exists.
#[test]
fn corpus_sources_are_recorded() {
    let dir = manifest_dir().join("tests/corpus");
    let sources = std::fs::read_to_string(dir.join("SOURCES.md")).expect("SOURCES.md");
    let mut missing = Vec::new();
    for input in inputs(&dir, "", &[]) {
        let file = Path::new(&input.name)
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        if !sources.contains(&format!("`{file}`")) {
            missing.push(file);
        }
    }
    assert!(missing.is_empty(), "not in SOURCES.md: {missing:?}");
}

/// `slo convert` on a spec using a plugin slokit cannot run writes the stub template and the SLO
/// using it (exit 0), where `slo validate` refuses the spec (exit 1).
#[test]
fn convert_writes_stubs_for_custom_plugins() {
    let file = manifest_dir()
        .join("tests/corpus/sloth/lokalise__common-sloth-sli-plugins__example-slo-spec.yaml");
    let file = file.to_string_lossy();
    let validate = crate::slo(&manifest_dir(), &["validate", &file]);
    assert_eq!(validate.status.code(), Some(1));
    let convert = crate::slo(&manifest_dir(), &["convert", &file]);
    let stderr = String::from_utf8_lossy(&convert.stderr);
    assert_eq!(convert.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("wrote 2 stub SLI templates for Sloth plugins slokit cannot run"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&convert.stdout);
    assert!(
        stdout.contains("kind: SLITemplate\nmetadata:\n  name: \"sloth-lokalise-http-error-rate\""),
        "{stdout}"
    );
    assert!(stdout.contains("  indicator:\n    template: \"sloth-lokalise-http-error-rate\"\n    params:\n      metricName: \"http_request_duration_seconds_count\""), "{stdout}");
    // The stub is not PromQL yet, so the converted specs fail until the queries are written,
    // and fail at the stub's `TODO`.
    let converted = load_texts(
        &[("converted.yaml".into(), stdout.into_owned())],
        Options { today: TODAY },
    );
    let rendered = converted.diagnostics.render(&converted.sources);
    assert!(
        rendered.contains("query: \"TODO: the rate of bad events"),
        "{rendered}"
    );
}
