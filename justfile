# The front door for contributors. Every recipe is also a plain command (shown in its comment) for
# people without `just`.

# List the recipes.
default:
    @just --list

# cargo run --bin slo -- generate examples --out out
generate out="out":
    cargo run --bin slo -- generate examples --out {{out}}

# cargo run --bin slo -- validate examples
validate:
    cargo run --bin slo -- validate examples

# bash .ci/run  (the same as CI: installs promtool if missing, fmt, clippy, all tests)
test:
    bash .ci/run

# cargo fmt --all
fmt:
    cargo fmt --all

# cargo clippy --workspace --all-targets -- -D warnings
lint:
    cargo clippy --workspace --all-targets -- -D warnings
