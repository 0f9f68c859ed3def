#!/usr/bin/env bash
# `just demo`: the slokit demo on a machine without Docker. It generates the rules for the bundled
# examples, starts the demo workload and a local Prometheus (Debian's `prometheus`, on 127.0.0.1)
# that scrapes it and evaluates the rules, injects an error incident into checkout-api, and prints
# `slo report` every minute so you can watch burn rates climb, the page alert fire and the budget
# move. Ctrl-C stops everything.
#
# Environment: DEMO_MINUTES (default 10), DEMO_PORT_BASE (default 19000).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${DEMO_MINUTES:-10}"
base="${DEMO_PORT_BASE:-19000}"
workload_port=$((base + 100))
prometheus_port=$((base + 90))

command -v prometheus >/dev/null || { echo "error: prometheus is not installed; run \`apt-get install prometheus\`" >&2; exit 2; }
cargo build --release --quiet --bin slo --bin slokit-demo-workload
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

target/release/slo generate examples --out "$work/out" >/dev/null
target/release/slokit-demo-workload --listen "127.0.0.1:$workload_port" >"$work/workload.log" 2>&1 &
pids+=($!)
cat >"$work/prometheus.yml" <<CONFIG
global: {scrape_interval: 5s, evaluation_interval: 5s}
rule_files: ["$work/out/prometheus/rules/*.yml"]
scrape_configs:
  - job_name: demo-workload
    honor_labels: true
    static_configs: [{targets: ["127.0.0.1:$workload_port"]}]
CONFIG
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
url="http://127.0.0.1:$prometheus_port"
until curl -sf "$url/-/ready" >/dev/null; do sleep 0.5; done
echo "Prometheus on $url, workload on http://127.0.0.1:$workload_port. Warming up for a minute..."
sleep 60
target/release/slo report examples --product storefront --prometheus "$url" || true
echo
echo "Injecting an incident: 30% of checkout-api requests fail for 15 minutes."
curl -sf -X POST "http://127.0.0.1:$workload_port/incidents?service=checkout-api&kind=errors&value=0.3&seconds=900" >/dev/null
for minute in $(seq 1 "$minutes"); do
  sleep 60
  echo
  echo "=== $minute min into the incident"
  target/release/slo report examples --product storefront --prometheus "$url" || true
done
