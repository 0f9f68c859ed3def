#!/usr/bin/env bash
# Builds the Grafana plugin folder `grafana-backend/dist/` (what goes into Grafana's plugin
# directory as `slokit-slo-datasource/`): plugin.json, module.js (with its source map),
# img/logo.svg, README.md, CHANGELOG.md, LICENSE (the repository's, Apache-2.0) and the backend
# executable `gpx_slokit_linux_amd64`.
#
# `module.js` is the TypeScript frontend (`frontend/`) built from source with npm, which must be on
# the PATH (Node.js 20 or later); there is no prebuilt or hand-written copy.
#
# The executable is linked statically against glibc (`-C target-feature=+crt-static` on the gnu
# target), so it runs on Grafana's Alpine image, which has no glibc. DNS is resolved by hickory
# (pure Rust), not by glibc's NSS, which a static binary cannot load.
#
# Usage: grafana-backend/build-dist.sh   (from anywhere; CARGO_TARGET_DIR is honoured)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/.." && pwd)"
target="x86_64-unknown-linux-gnu"
target_dir="${CARGO_TARGET_DIR:-$workspace/target}"
dist="$here/dist"

# Fail before the long release build when the frontend cannot be built.
if ! command -v npm >/dev/null 2>&1; then
    echo "error: \`npm\` is not on the PATH: the plugin's frontend (grafana-backend/frontend) is built from source; install Node.js 20 or later (with npm) and run this again" >&2
    exit 1
fi

# With an explicit --target, RUSTFLAGS apply to the plugin and its dependencies but not to build
# scripts and proc macros, which must stay dynamic.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
    cargo build --manifest-path "$workspace/Cargo.toml" --release --locked \
    --target "$target" -p grafana-backend --bin gpx_slokit

binary="$target_dir/$target/release/gpx_slokit"
# A static executable needs no shared library: no NEEDED entry in its dynamic section.
if readelf -d "$binary" | grep -q NEEDED; then
    echo "error: \`$binary\` needs shared libraries:" >&2
    readelf -d "$binary" | grep NEEDED >&2
    exit 1
fi

rm -rf "$dist"
mkdir -p "$dist/img"
cp "$here/plugin.json" "$here/README.md" "$here/CHANGELOG.md" "$workspace/LICENSE" "$dist/"
# The frontend, from source, as CI builds it: `npm install` rather than `npm ci`, since the lock file
# cannot list swc's binaries for other platforms and `npm ci` refuses it without them; `--no-save`
# leaves the checked-in lock file as it is.
(cd "$here/frontend" && npm install --no-save --no-audit --no-fund --loglevel=error && npm run --silent build)
cp "$here/frontend/dist/module.js" "$here/frontend/dist/module.js.map" "$dist/"
echo "frontend: frontend/dist/module.js (TypeScript build)"
cp "$here/img/logo.svg" "$dist/img/logo.svg"
install -m 0755 "$binary" "$dist/gpx_slokit_linux_amd64"
# Debug symbols are half the size and Grafana never needs them.
strip "$dist/gpx_slokit_linux_amd64"
echo "built $dist"
ls -l "$dist" "$dist/img"
