//! Renders slokit's Grafana files (crate `slokit-dashboards`): one dashboard per product, an
//! overview across products, and the provisioning files that load them with their datasources.
//! Pure: the input is the checked catalog (crate `slokit-model`; this crate does not depend on the
//! generator, which depends on it), the output is a list of files with their contents; no disk,
//! no network, and the same input always yields the same bytes (JSON keys sorted, panels in a
//! fixed order, no timestamps).
//!
//! Two flavours build the same dashboards: `Plugin` asks the slokit datasource plugin
//! (`slokit-slo-datasource`) for SLO figures, `Prometheus` writes plain PromQL over the recorded
//! `slokit:*` series for teams that cannot install an unsigned plugin. Both read the alert-state
//! timeline and the firing-alert count from Prometheus's `ALERTS` series. The annotations differ:
//! the plugin flavour asks the plugin's `annotations` query (firing and budget-exhausted intervals
//! as regions), the Prometheus flavour reads `ALERTS` directly.

mod overview;
mod panel;
mod product;
mod provisioning;
mod query;

use slokit_conventions::DIR_GRAFANA;
use slokit_model::{Catalog, Product};
use std::path::PathBuf;

/// The Grafana dashboard schema version written: 39, Grafana 10.4's, the oldest Grafana the plugin
/// supports (`grafanaDependency`). Newer Grafanas migrate it on load (40 and 41 change only the
/// time picker's and refresh's defaults, which these dashboards do not set).
pub const SCHEMA_VERSION: u32 = 39;

/// The Prometheus URL provisioned when none is given: the service name in `docker/compose.yaml`.
pub const DEFAULT_PROMETHEUS_URL: &str = "http://prometheus:9090";

/// Where Grafana finds the dashboard files: `docker/compose.yaml` mounts `grafana/dashboards` there.
pub const DASHBOARDS_MOUNT: &str = "/var/lib/grafana/dashboards";

/// Which datasource the dashboards query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Flavour {
    /// SLO queries through the slokit plugin (the default).
    #[default]
    Plugin,
    /// Plain PromQL over the recorded series, through Grafana's Prometheus datasource.
    Prometheus,
}

impl Flavour {
    pub const ALL: [(&'static str, Flavour); 2] = [
        ("plugin", Flavour::Plugin),
        ("prometheus", Flavour::Prometheus),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Plugin => "plugin",
            Flavour::Prometheus => "prometheus",
        }
    }
}

/// Everything the dashboards are rendered from: the checked catalog (products in the order the
/// dashboards and links list them, by name), the flavour and where Grafana reaches Prometheus.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    pub catalog: &'a Catalog,
    pub flavour: Flavour,
    /// The URL Grafana reaches Prometheus (or Mimir, Thanos, VictoriaMetrics) at.
    pub prometheus_url: String,
}

/// One file to write, relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub contents: String,
}

/// The file name of the overview dashboard: `overview.json`, or `slokit-overview.json` when a
/// product is itself called `overview` and owns `overview.json`.
pub fn overview_file_name(input: &Input) -> String {
    if input.catalog.products.iter().any(|p| p.name == "overview") {
        "slokit-overview.json".into()
    } else {
        "overview.json".into()
    }
}

/// Every Grafana file, sorted by path: `grafana/dashboards/<product>.json`, the overview, and
/// `grafana/provisioning/{datasources,dashboards}/slokit.yaml`.
pub fn render(input: &Input) -> Vec<File> {
    let mut files: Vec<File> = input
        .catalog
        .products
        .iter()
        .filter_map(|product| product_file(input, product))
        .collect();
    files.extend(shared_files(input));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The dashboard of one product, `grafana/dashboards/<product>.json`; none for a product without
/// SLOs. Products render independently of each other, so callers may render them in parallel.
pub fn product_file(input: &Input, product: &Product) -> Option<File> {
    if product.slos.is_empty() {
        return None;
    }
    let contents = to_json(&product::dashboard(
        product,
        input.catalog.policy_of(product),
        input.flavour,
    ));
    Some(File {
        path: dashboards_dir().join(format!("{}.json", product.name)),
        contents,
    })
}

/// The files across products: the overview and the provisioning files.
pub fn shared_files(input: &Input) -> Vec<File> {
    let products: Vec<&Product> = input
        .catalog
        .products
        .iter()
        .filter(|p| !p.slos.is_empty())
        .collect();
    let mut files = vec![File {
        path: dashboards_dir().join(overview_file_name(input)),
        contents: to_json(&overview::dashboard(
            input.catalog,
            &products,
            input.flavour,
        )),
    }];
    files.extend(provisioning::files(input));
    files
}

fn dashboards_dir() -> PathBuf {
    [DIR_GRAFANA, "dashboards"].iter().collect()
}

/// Pretty JSON with a final newline. `serde_json`'s map is ordered by key unless a crate in the
/// build turns on `preserve_order`, in which case it keeps the fixed insertion order of the
/// builders here: deterministic either way.
fn to_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Every query of a dashboard with where it is: `(panel title, target)` for each panel target, and
/// `("annotation <name>", query)` for each annotation: its `target` when it has one (the plugin's
/// `annotations` query, with the annotation's datasource), else the annotation itself (whose
/// PromQL is in `expr`). For tests and tools that check or run what the dashboards ask.
pub fn queries(dashboard: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        let title = panel["title"].as_str().unwrap_or_default().to_string();
        for target in panel["targets"].as_array().into_iter().flatten() {
            out.push((title.clone(), target.clone()));
        }
    }
    for annotation in dashboard["annotations"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = annotation["name"].as_str().unwrap_or_default();
        let query = match annotation.get("target") {
            Some(target) => {
                let mut target = target.clone();
                target["datasource"] = annotation["datasource"].clone();
                target
            }
            None => annotation.clone(),
        };
        out.push((format!("annotation {name}"), query));
    }
    out
}
