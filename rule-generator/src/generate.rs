//! Turns the checked catalog into the files `slo generate` writes. Pure: no disk, no network.
//! (Stub: filled in by the rule-generator work.)

use crate::model::Catalog;
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

/// One file to write, with its path relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    pub path: PathBuf,
    pub contents: String,
}

pub fn generate(_catalog: &Catalog, _options: &GenerateOptions) -> Vec<OutputFile> {
    Vec::new()
}
