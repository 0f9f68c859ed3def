#!/usr/bin/env bash
# `just dist`: the release artefacts in `dist/`:
#   dist/slokit-slo-datasource/            the Grafana plugin folder (what docker/compose.yaml mounts)
#   dist/slokit-slo-datasource-<v>.zip     the same folder zipped in Grafana's layout
#   dist/slo                               the CLI, release build
# The plugin folder comes from grafana-backend/build-dist.sh, which builds the TypeScript frontend
# from source: cargo and npm must both be on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(python3 -c 'import json; print(json.load(open("grafana-backend/plugin.json"))["info"]["version"])')"
bash grafana-backend/build-dist.sh
rm -rf dist
mkdir -p dist
cp -r grafana-backend/dist dist/slokit-slo-datasource
# Grafana expects the zip to hold one folder named after the plugin id.
(cd dist && python3 -m zipfile -c "slokit-slo-datasource-$version.zip" slokit-slo-datasource)
cargo build --release --locked --bin slo
install -m 0755 target/release/slo dist/slo
ls -l dist
