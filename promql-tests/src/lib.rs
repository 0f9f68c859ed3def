//! Shared helpers for the promtool and Prometheus tests.
