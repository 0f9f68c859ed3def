#!/usr/bin/env bash
# The bounded fuzzing run CI calls: every target for FUZZ_SECONDS (default 25) from the checked-in
# seeds, with a per-input time limit and a memory limit, so that a panic, a hang or a memory
# blow-up on any input fails the run. Exits non-zero when any target found something; the input
# is saved under fuzz/artifacts/<target>/ (see README.md for turning it into a regression test).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). cargo-fuzz passes nightly `-Z` flags to
# rustc; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them, so no nightly is needed.
set -uo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-25}"
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "smoke.sh: cargo-fuzz is not installed; run \`cargo install cargo-fuzz --locked\`" >&2
    exit 2
fi

cargo fuzz build || exit 2

failed=()
for pair in load_native:native load_sloth:sloth load_openslo:openslo render:render; do
    target="${pair%%:*}"
    seeds="seeds/${pair#*:}"
    # New inputs go to the scratch corpus (ignored by git); the seeds are only read.
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds}s from $seeds"
    if ! cargo fuzz run "$target" "corpus/$target" "$seeds" -- \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -detect_leaks=0 \
        -dict=spec.dict -print_final_stats=1; then
        failed+=("$target")
    fi
done

if ((${#failed[@]})); then
    echo "smoke.sh: crashes, hangs or out-of-memory in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "smoke.sh: no crashes in ${seconds}s per target"
