//! slokit turns SLO specs into everything a team needs to run them: Prometheus recording rules,
//! multi-window multi-burn-rate alerts and the promtool tests that prove those alerts.
//!
//! The pipeline is load → validate → model → render → write, one folder or file per stage, read
//! in that order: [`load`] reads every supported format (reading spec files is its only I/O) and
//! validates while it decodes, producing the checked [`model`]; [`render`] turns the model into
//! files and is pure; [`write`] is the only stage that writes them. [`live`] is the other side of
//! the suite: error-budget figures, policies, readiness, reports and plans, read from a live
//! Prometheus-compatible API through [`live::prometheus_api`], the only module that talks to the
//! network. [`diag`] is what every stage reports problems with, [`promql`] how PromQL is parsed
//! and quoted, [`promtool`] how `slo test` runs promtool on a written tree, and [`cli`] the glue
//! from each command to the stages.

pub mod cli;
pub mod diag;
pub mod live;
pub mod load;
pub mod promql;
pub mod promtool;
pub mod render;
pub mod write;

/// Every shared name (series, labels, windows, tiers), from the `slokit-conventions` crate.
pub use slokit_conventions as conventions;
/// Prometheus durations, from the `slokit-conventions` crate.
pub use slokit_conventions::duration;
/// The checked model, from the `slokit-model` crate (shared with the dashboards and the plugin).
pub use slokit_model as model;
