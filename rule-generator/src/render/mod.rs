//! Turns the checked catalog into the files `slo generate` writes: per product, one rule file (two
//! rule groups) and, for the Prometheus target, one promtool test file. Pure: no disk, no
//! network; the same catalog always yields byte-identical files, sorted by path.
//!
//! Each product gets two groups, split by how often their rules need evaluating, because
//! evaluation cost is per rule and per group. The fast group `slokit:<product>` has no `interval`
//! and follows the server's global evaluation interval (30s or 1m is typical): for every SLO, base
//! rates, the 1h rates, the burn-rate and no-data alerts. The slow group `slokit:<product>:slow`
//! runs every [`SLOW_GROUP_INTERVAL`] (2m30s): the period windows, which are hour-aligned
//! subqueries and change once an hour, everything read only from them (SLI, budget,
//! budget-exhausted alert, the ticket tier), the constants and the info series. Within a group,
//! Prometheus evaluates rules one after another and each rule sees the samples written by the
//! rules before it, so a composite placed after its members ([`evaluation_order`]) reads their
//! values of the same evaluation; different groups and products evaluate concurrently. The slow
//! group reads the fast group's 1h series only at whole hours, and the fast group's alerts read
//! slow series through the 5m lookback, so neither depends on the order in which the two groups
//! run. One group per product, not per SLO: at 1,000 SLOs, 2,000 groups cost Prometheus about
//! 38% more CPU than the same rules in two groups per product (`BENCHMARKS.md`). The `interval`
//! key is the same for every target: Prometheus, Thanos, Mimir and Cortex rulers, the Prometheus
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
    let groups = rule_groups(catalog, product);
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
            let order = promtool_tests::group_eval_order(name);
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

/// The two rule groups of one product of `catalog` (see the module docs): the fast group, then
/// the slow one, each holding the rules of every SLO of the product in [`evaluation_order`].
pub fn rule_groups(catalog: &Catalog, product: &Product) -> Vec<Value> {
    let mut fast = Vec::new();
    let mut slow = Vec::new();
    for slo in evaluation_order(&product.slos) {
        let split = slo_rules(catalog, slo);
        fast.extend(split.fast);
        slow.extend(split.slow);
    }
    vec![
        Value::map()
            .with("name", rule_group_name(&product.name))
            .with("rules", fast),
        Value::map()
            .with("name", slow_rule_group_name(&product.name))
            .with("interval", SLOW_GROUP_INTERVAL.to_string())
            .with("rules", slow),
    ]
}

/// The rules of one SLO, split between its product's fast and slow group. In each, recording
/// rules come first so that alerts read values from this evaluation.
pub fn slo_rules(catalog: &Catalog, slo: &Slo) -> common::Split {
    let context = Context::of(catalog, slo);
    let mut split = rules::recording_rules(slo, &context);
    let alerts = alerts::alerting_rules(slo);
    split.fast.extend(alerts.fast);
    split.slow.extend(alerts.slow);
    split
}

/// The product's SLOs in the order their rules run in a group: composites after their members
/// (rules of a group run one after another, each seeing what the rules before it wrote), and
/// otherwise in the catalog's order.
pub fn evaluation_order(slos: &[Slo]) -> Vec<&Slo> {
    let mut ordered: Vec<&Slo> = slos.iter().collect();
    ordered.sort_by_key(|slo| composite_depth(slo, slos, 0));
    ordered
}

/// 0 for an SLO, 1 + its deepest member's depth for a composite (members outside `slos` count 0;
/// cycles are refused when loading, and the depth is capped all the same).
fn composite_depth(slo: &Slo, slos: &[Slo], seen: usize) -> usize {
    match &slo.indicator {
        crate::model::Indicator::Composite(composite) if seen < slos.len() => {
            1 + composite
                .members
                .iter()
                .filter_map(|m| {
                    slos.iter()
                        .find(|s| s.product == m.product && s.name == m.slo)
                })
                .map(|member| composite_depth(member, slos, seen + 1))
                .max()
                .unwrap_or(0)
        }
        _ => 0,
    }
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
