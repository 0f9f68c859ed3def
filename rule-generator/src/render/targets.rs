//! Wrapping a product's rule groups for each target: plain Prometheus rule files, a Prometheus
//! Operator `PrometheusRule`, a Mimir (or Cortex) namespace file for `mimirtool rules load`, and a
//! vmalert rule file. The groups themselves are the same for every target, the slow group's
//! `interval` included: Prometheus and Thanos rule files, the Operator's `spec.groups[]`, Mimir and
//! Cortex namespaces and vmalert all read `interval` on a group.

use crate::render::emit::Value;

/// `groups:` as Prometheus and vmalert read it.
pub fn prometheus(groups: Vec<Value>) -> Value {
    Value::map().with("groups", groups)
}

/// One `monitoring.coreos.com/v1` `PrometheusRule` named after the product.
pub fn prometheus_operator(product: &str, groups: Vec<Value>) -> Value {
    Value::map()
        .with("apiVersion", "monitoring.coreos.com/v1")
        .with("kind", "PrometheusRule")
        .with(
            "metadata",
            Value::map().with("name", format!("slokit-{product}")).with(
                "labels",
                Value::map()
                    .with("app.kubernetes.io/managed-by", "slokit")
                    .with("app.kubernetes.io/part-of", product),
            ),
        )
        .with("spec", Value::map().with("groups", groups))
}

/// A namespace file: `mimirtool rules load` takes the namespace from the file.
pub fn mimir(product: &str, groups: Vec<Value>) -> Value {
    Value::map()
        .with("namespace", format!("slokit-{product}"))
        .with("groups", groups)
}
