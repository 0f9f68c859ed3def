//! The shared names, re-exported from the `slokit-conventions` crate so that the generator, the
//! Grafana plugin and the dashboards read them from one place. Add new names there, not here.

pub use slokit_conventions::*;
