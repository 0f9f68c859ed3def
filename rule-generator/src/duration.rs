//! Prometheus durations, re-exported from `slokit-conventions` (windows are shared names too).

pub use slokit_conventions::duration::*;
