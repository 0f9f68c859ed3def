//! Turns the checked catalog into the files `slo generate` writes: per product, one rule file (two
//! rule groups per SLO) and, for the Prometheus target, one promtool test file. Pure: no disk, no
//! network; the same catalog always yields byte-identical files, sorted by path.
//!
//! Each SLO gets two groups, split by how often their rules need evaluating, because evaluation
//! cost is per rule. The fast group `slokit:<product>:<slo>` has no `interval` and follows the
//! server's global evaluation interval (30s or 1m is typical): base rates, windows up to 6h, their
//! burn rates, the burn-rate and no-data alerts. The slow group `slokit:<product>:<slo>:slow` runs
//! every [`SLOW_GROUP_INTERVAL`] (2m30s): the 1d, 3d and period windows, which are hour-aligned
//! subqueries and change once an hour, everything read only from them (their burn rates, SLI,
//! budget, budget-exhausted alert), the constants and the info series. Within a group, Prometheus
//! evaluates rules one after another and each rule sees the samples written by the rules before
//! it; different groups and SLOs evaluate concurrently. The slow group reads the fast group's 1h
//! series only at whole hours, and the fast group's alerts read the slow burn rates through the 5m
//! lookback, so neither depends on the order in which the two groups run. The `interval` key is
//! the same for every target: Prometheus, Thanos, Mimir and Cortex rulers, the Prometheus
//! Operator's `PrometheusRule` and vmalert all read it on a group.
//!
//! [`generate_with_dashboards`] adds, for the Prometheus target, the Grafana dashboards and their
//! provisioning (rendered by the `slokit-dashboards` crate from [`dashboard_input`], this module's
//! mapping of the catalog onto that crate's input types).

pub mod alerts;
pub mod common;
pub mod composite;
pub mod convert;
pub mod emit;
#[cfg(test)]
mod fixtures;
pub mod promtool_tests;
pub mod rules;
pub mod targets;

pub use common::{hourly, Context};

use crate::conventions::{
    rule_group_name, slow_rule_group_name, DIR_GRAFANA, DIR_MIMIR, DIR_OPERATOR, DIR_PROMETHEUS,
    DIR_RULES, DIR_TESTS, DIR_VMALERT, SLOW_GROUP_INTERVAL, TEST_EVAL_INTERVAL,
    TEST_SLOW_EVAL_INTERVAL,
};
use crate::model::{Catalog, Product, Slo};
use emit::{to_yaml, Value};

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Which rule-file flavour to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Target {
    /// Plain Prometheus rule files plus promtool tests.
    #[default]
    Prometheus,
    /// One `monitoring.coreos.com/v1` `PrometheusRule` per product.
    PrometheusOperator,
    /// Namespace files for `mimirtool rules load` (also Cortex).
    Mimir,
    /// VictoriaMetrics vmalert rule files.
    Vmalert,
}

#[derive(Clone, Debug, Default)]
pub struct GenerateOptions {
    pub target: Target,
}

/// Which datasource the generated dashboards query.
pub use slokit_dashboards::Flavour as DashboardFlavour;

/// How to write the Grafana files. Kept apart from [`GenerateOptions`] so that adding it changed
/// no caller of [`generate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardOptions {
    /// The slokit plugin (default) or plain PromQL through a Prometheus datasource.
    pub flavour: DashboardFlavour,
    /// The URL Grafana reaches Prometheus at; `http://prometheus:9090` by default.
    pub prometheus_url: String,
}

impl Default for DashboardOptions {
    fn default() -> DashboardOptions {
        DashboardOptions {
            flavour: DashboardFlavour::Plugin,
            prometheus_url: slokit_dashboards::DEFAULT_PROMETHEUS_URL.to_string(),
        }
    }
}

/// One file to write, with its path relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    pub path: PathBuf,
    pub contents: String,
}

/// Every file for `catalog` and `options` without the dashboards, sorted by path.
pub fn generate(catalog: &Catalog, options: &GenerateOptions) -> Vec<OutputFile> {
    let mut files: Vec<OutputFile> = catalog
        .products
        .iter()
        .flat_map(|product| product_files(catalog, product, options))
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// [`generate`] plus, for the Prometheus target, the Grafana dashboards and provisioning, sorted
/// by path.
pub fn generate_with_dashboards(
    catalog: &Catalog,
    options: &GenerateOptions,
    dashboards: &DashboardOptions,
) -> Vec<OutputFile> {
    let files = std::sync::Mutex::new(Vec::new());
    let sink = |file: OutputFile| {
        files
            .lock()
            .expect("no panic while holding the lock")
            .push(file);
        Ok::<(), std::convert::Infallible>(())
    };
    let Ok(_) = for_each_file(catalog, options, dashboards, &sink);
    let mut files = files.into_inner().expect("no panic while holding the lock");
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Renders every file [`generate_with_dashboards`] would, products in parallel (each product's
/// files depend on nothing but the catalog), handing each file to `sink` as soon as it is
/// rendered instead of holding the whole tree: peak memory is the catalog and the products in
/// flight. The files are the same whatever the order they arrive in. Stops at the first error
/// `sink` returns; returns how many files were handed over.
pub fn for_each_file<E: Send>(
    catalog: &Catalog,
    options: &GenerateOptions,
    dashboards: &DashboardOptions,
    sink: &(dyn Fn(OutputFile) -> Result<(), E> + Sync),
) -> Result<usize, E> {
    use rayon::prelude::*;
    let input = dashboard_input(catalog, dashboards);
    let with_dashboards = options.target == Target::Prometheus;
    let per_product = catalog
        .products
        .par_iter()
        .map(|product| {
            let mut files = product_files(catalog, product, options);
            if with_dashboards {
                files.extend(slokit_dashboards::product_file(&input, product).map(output));
            }
            let count = files.len();
            files.into_iter().try_for_each(sink).map(|()| count)
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))?;
    let mut shared = Vec::new();
    if with_dashboards {
        shared.extend(
            slokit_dashboards::shared_files(&input)
                .into_iter()
                .map(output),
        );
    }
    let count = shared.len();
    shared.into_iter().try_for_each(sink)?;
    Ok(per_product + count)
}

/// The top-level folders under `--out` a run with `options` writes, whole: what it replaces.
pub fn output_dirs(options: &GenerateOptions) -> &'static [&'static str] {
    match options.target {
        Target::Prometheus => &[DIR_PROMETHEUS, DIR_GRAFANA],
        Target::PrometheusOperator => &[DIR_OPERATOR],
        Target::Mimir => &[DIR_MIMIR],
        Target::Vmalert => &[DIR_VMALERT],
    }
}

fn output(file: slokit_dashboards::File) -> OutputFile {
    OutputFile {
        path: file.path,
        contents: file.contents,
    }
}

/// One product's rule file and, for the Prometheus target, its promtool test files; nothing for a
/// product without SLOs.
pub fn product_files(
    catalog: &Catalog,
    product: &Product,
    options: &GenerateOptions,
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    if product.slos.is_empty() {
        return files;
    }
    let groups: Vec<Value> = product
        .slos
        .iter()
        .flat_map(|slo| rule_groups(catalog, slo))
        .collect();
    let header = header(product);
    let name = &product.name;
    match options.target {
        Target::Prometheus => {
            files.push(file(
                [DIR_PROMETHEUS, DIR_RULES, &format!("{name}.yml")],
                &header,
                &targets::prometheus(groups),
            ));
            let promtool_tests::ProductTests {
                fast,
                slow,
                skipped,
            } = promtool_tests::product_tests(&product.slos);
            let mut test_header = header.clone();
            for (slo, reason) in skipped {
                test_header.push_str(&format!("# No tests for SLO `{slo}`: {reason}.\n"));
            }
            let rules_path = format!("../{DIR_RULES}/{name}.yml");
            let order = promtool_tests::group_eval_order(&product.slos);
            files.push(file(
                [DIR_PROMETHEUS, DIR_TESTS, &format!("{name}.test.yml")],
                &test_header,
                &promtool_tests::test_file(&rules_path, TEST_EVAL_INTERVAL, &order, fast),
            ));
            if !slow.is_empty() {
                files.push(file(
                    [DIR_PROMETHEUS, DIR_TESTS, &format!("{name}.long.test.yml")],
                    &header,
                    &promtool_tests::test_file(&rules_path, TEST_SLOW_EVAL_INTERVAL, &order, slow),
                ));
            }
        }
        Target::PrometheusOperator => files.push(file(
            [DIR_OPERATOR, &format!("{name}.yaml"), ""],
            &header,
            &targets::prometheus_operator(name, groups),
        )),
        Target::Mimir => files.push(file(
            [DIR_MIMIR, &format!("{name}.yml"), ""],
            &header,
            &targets::mimir(name, groups),
        )),
        Target::Vmalert => files.push(file(
            [DIR_VMALERT, &format!("{name}.yml"), ""],
            &header,
            &targets::prometheus(groups),
        )),
    }
    files
}

/// The dashboards' input: the catalog, with the flavour and Prometheus URL of `options`.
pub fn dashboard_input<'a>(
    catalog: &'a Catalog,
    options: &DashboardOptions,
) -> slokit_dashboards::Input<'a> {
    slokit_dashboards::Input {
        catalog,
        flavour: options.flavour,
        prometheus_url: options.prometheus_url.clone(),
    }
}

/// The two rule groups of one SLO of `catalog` (see the module docs): the fast group, then the
/// slow one. In each, recording rules come first so that alerts read values from this evaluation.
pub fn rule_groups(catalog: &Catalog, slo: &Slo) -> Vec<Value> {
    let context = Context::of(catalog, slo);
    let mut split = rules::recording_rules(slo, &context);
    let alerts = alerts::alerting_rules(slo);
    split.fast.extend(alerts.fast);
    split.slow.extend(alerts.slow);
    let fast = Value::map()
        .with("name", rule_group_name(&slo.product, &slo.name))
        .with("rules", split.fast);
    let slow = Value::map()
        .with("name", slow_rule_group_name(&slo.product, &slo.name))
        .with("interval", SLOW_GROUP_INTERVAL.to_string())
        .with("rules", split.slow);
    vec![fast, slow]
}

/// The generator and the source spec files; no timestamps, so output is reproducible.
fn header(product: &Product) -> String {
    let mut sources: BTreeSet<&str> = product
        .slos
        .iter()
        .map(|s| s.origin.file.as_str())
        .collect();
    if let Some(origin) = &product.origin {
        sources.insert(origin.file.as_str());
    }
    let mut text = format!(
        "# Generated by slokit {} (`slo generate`) for product `{}`. Do not edit: change the specs and regenerate.\n",
        env!("CARGO_PKG_VERSION"),
        product.name
    );
    for source in sources {
        text.push_str(&format!("# Source: {source}\n"));
    }
    text
}

fn file(parts: [&str; 3], header: &str, value: &Value) -> OutputFile {
    let path: PathBuf = parts.iter().filter(|p| !p.is_empty()).collect();
    OutputFile {
        path,
        contents: format!("{header}{}", to_yaml(value)),
    }
}
