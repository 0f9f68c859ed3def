//! The live error-budget side of slokit: what a running Prometheus-compatible server says about
//! the SLOs of a catalog. [`prometheus_api`] is the only client of the network; [`budget`] and
//! [`readiness`] fetch figures through it; [`policy`] evaluates error-budget policies against
//! figures, [`report`] renders reports and the release gate, and [`plan`] writes an SLO's
//! progressive plan; [`compare`] checks the SLOs against the legacy ones a team already runs.
//! Everything but the fetching is pure.

pub mod budget;
pub mod compare;
pub mod inventory;
pub mod plan;
pub mod prometheus_api;
pub mod readiness;
pub mod report;

/// Error-budget policies evaluated against figures, from `slokit-model` (the plugin uses them too).
pub use slokit_model::policy;
