//! The docker/ stack, checked without a Docker engine: Prometheus's config loads with the rules
//! `slo generate` writes for the examples (`promtool check config`), Alertmanager's config is valid
//! (`amtool check-config`) and routes pages and tickets apart (`amtool config routes test`), and the
//! compose file has the services, pinned images, mounts and plugin settings the stack relies on.
//! Under `CI`, a missing promtool or amtool is a failure.

use promql_tests::Tree;
use slokit::load::yaml::{Node, NodeKind};
use slokit::render::{DashboardFlavour, Target};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a tool and returns its standard output; fails with everything it printed.
fn run(tool: &str, args: &[&str]) -> String {
    let mut command = Command::new(tool);
    command.args(args);
    let output = promql_tests::process::output(command).unwrap_or_else(|e| panic!("cannot run `{tool}` ({e}); install it with `apt-get install prometheus prometheus-alertmanager`"));
    let text = promql_tests::process::text(&output);
    assert!(
        output.status.success(),
        "`{tool} {}` failed:\n{text}",
        args.join(" ")
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The examples, loaded as `slo` would load them on the stack's reference day.
fn examples() -> slokit::model::Catalog {
    promql_tests::load_specs_on(&[promql_tests::examples_dir()], "2026-11-22")
}

#[test]
fn prometheus_config_loads_the_generated_rules() {
    // What `slo generate examples --out <temp>` writes, through the same library calls.
    let tree = Tree::generate(&examples());
    let config = std::fs::read_to_string(root().join("docker/prometheus/prometheus.yml"))
        .expect("prometheus.yml");
    assert!(
        config.contains("/etc/prometheus/rules/*.yml"),
        "the config must load the mounted rules"
    );
    let rules = tree.root().join("prometheus/rules");
    let local = config.replace("/etc/prometheus/rules", &rules.display().to_string());
    let path = tree.dir.path().join("prometheus.yml");
    std::fs::write(&path, local).expect("write config");
    let report = run(
        "promtool",
        &["check", "config", &path.display().to_string()],
    );
    assert!(report.contains("SUCCESS: 3 rule files found"), "{report}");
}

#[test]
fn alertmanager_config_is_valid_and_routes_pages_and_tickets_apart() {
    let config = root()
        .join("docker/alertmanager/alertmanager.yml")
        .display()
        .to_string();
    run("amtool", &["check-config", &config]);
    for (labels, receiver) in [
        ("severity=page", "page"),
        ("severity=critical", "page"),
        ("severity=ticket", "ticket"),
        ("severity=warning", "ticket"),
    ] {
        let routed = run(
            "amtool",
            &[
                "config",
                "routes",
                "test",
                &format!("--config.file={config}"),
                labels,
            ],
        );
        assert_eq!(routed.trim(), receiver, "{labels}");
    }
}

fn map_get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
        _ => None,
    }
}

fn text(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar(s) => s.text.clone(),
        other => panic!("expected a string, found {other:?}"),
    }
}

#[test]
fn compose_file_has_the_stack_the_readme_promises() {
    let path = root().join("docker/compose.yaml");
    let source = std::fs::read_to_string(&path).expect("compose.yaml");
    let mut diags = slokit::diag::Diagnostics::default();
    let docs = slokit::load::yaml::parse(slokit::load::source::FileId(0), &source, &mut diags);
    assert!(
        !diags.has_errors() && docs.len() == 1,
        "compose.yaml does not parse"
    );
    let services = map_get(&docs[0].root, "services").expect("services");
    let plugin: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("grafana-backend/plugin.json")).expect("plugin.json"),
    )
    .expect("plugin.json is JSON");
    let plugin_id = plugin["id"].as_str().expect("plugin id");
    for name in ["prometheus", "alertmanager", "grafana", "demo-workload"] {
        let service =
            map_get(services, name).unwrap_or_else(|| panic!("service `{name}` is missing"));
        let image =
            text(map_get(service, "image").unwrap_or_else(|| panic!("`{name}` has no image")));
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(
            !tag.is_empty() && tag != "latest",
            "`{name}` must pin its image, not `{image}`"
        );
        for volume in map_get(service, "volumes")
            .map(|v| match &v.kind {
                NodeKind::Seq(items) => items.iter().map(text).collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default()
        {
            let source = volume.split(':').next().expect("a mount source");
            // Mounts from `out/` and `dist/` are made by `slo generate` and the plugin build;
            // everything else must be checked in.
            if !source.starts_with("../out/") && !source.starts_with("../dist/") {
                assert!(
                    root().join("docker").join(source).exists(),
                    "`{name}` mounts missing `{source}`"
                );
            }
        }
    }
    let grafana = map_get(services, "grafana").expect("grafana");
    let image = text(map_get(grafana, "image").expect("image"));
    let version: Vec<u32> = image
        .rsplit_once(':')
        .expect("tag")
        .1
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    assert!(
        version >= vec![11, 6],
        "Grafana must be 11.6 or later, not {image}"
    );
    let env = map_get(grafana, "environment").expect("environment");
    assert_eq!(
        text(
            map_get(env, "GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS")
                .expect("unsigned plugin setting")
        ),
        plugin_id
    );
    assert!(
        source.contains(&format!("/var/lib/grafana/plugins/{plugin_id}")),
        "the plugin must be mounted under its id"
    );
}

/// The provisioning `slo generate` writes fits the stack: the plugin datasource has the plugin's
/// id, Grafana reads dashboards where compose mounts them, and every dashboard has the uid that
/// alert links point at.
#[test]
fn provisioning_matches_the_plugin_the_mounts_and_the_dashboard_uids() {
    let catalog = examples();
    let tree = Tree::generate_with(&catalog, Target::Prometheus, Some(DashboardFlavour::Plugin));
    let parse = |relative: &str| {
        let text = std::fs::read_to_string(tree.root().join(relative))
            .unwrap_or_else(|_| panic!("`{relative}` was not generated"));
        let mut diags = slokit::diag::Diagnostics::default();
        let mut docs =
            slokit::load::yaml::parse(slokit::load::source::FileId(0), &text, &mut diags);
        assert!(
            !diags.has_errors() && docs.len() == 1,
            "`{relative}` does not parse"
        );
        docs.remove(0).root
    };
    let plugin: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("grafana-backend/plugin.json")).expect("plugin.json"),
    )
    .expect("plugin.json is JSON");
    let datasources = parse("grafana/provisioning/datasources/slokit.yaml");
    let NodeKind::Seq(list) = &map_get(&datasources, "datasources")
        .expect("datasources")
        .kind
    else {
        panic!("datasources is not a list")
    };
    let types: Vec<String> = list
        .iter()
        .map(|d| text(map_get(d, "type").expect("type")))
        .collect();
    assert!(
        types.contains(&plugin["id"].as_str().expect("id").to_string()),
        "no datasource of the plugin's type in {types:?}"
    );
    assert!(types.contains(&"prometheus".to_string()));
    let providers = parse("grafana/provisioning/dashboards/slokit.yaml");
    let NodeKind::Seq(providers) = &map_get(&providers, "providers").expect("providers").kind
    else {
        panic!("providers is not a list")
    };
    let path =
        text(map_get(map_get(&providers[0], "options").expect("options"), "path").expect("path"));
    let compose =
        std::fs::read_to_string(root().join("docker/compose.yaml")).expect("compose.yaml");
    assert!(
        compose.contains(&format!("../out/grafana/dashboards:{path}")),
        "compose must mount the dashboards at `{path}`"
    );
    for product in &catalog.products {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                tree.root()
                    .join(format!("grafana/dashboards/{}.json", product.name)),
            )
            .expect("dashboard"),
        )
        .expect("JSON");
        assert_eq!(
            json["uid"],
            slokit::conventions::dashboard_uid(&product.name),
            "{}",
            product.name
        );
    }
}
