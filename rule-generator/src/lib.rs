//! slokit turns SLO specs into everything a team needs to run them: Prometheus recording rules,
//! multi-window multi-burn-rate alerts and the promtool tests that prove those alerts.
//!
//! The pipeline is load → validate → model → render → write. [`spec`] loads every supported format
//! (reading files is its only I/O) and validates while it decodes, producing the checked
//! [`model`]. Rendering is pure; only [`cli`] writes to disk. The error-budget commands read a live
//! Prometheus-compatible API through [`prometheus_api`], the only module that talks to the network;
//! [`budget`] and [`readiness`] fetch figures, [`policy`], [`report`] and [`plan`] are pure.

pub mod budget;
pub mod cli;
pub mod conventions;
pub mod convert;
pub mod decode;
pub mod diag;
pub mod duration;
pub mod emit;
pub mod generate;
pub mod model;
pub mod plan;
pub mod policy;
pub mod prometheus_api;
pub mod promql;
pub mod promtool;
pub mod readiness;
pub mod render;
pub mod report;
pub mod source;
pub mod spec;
pub mod write;
pub mod yaml;
