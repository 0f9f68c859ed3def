# The front door for contributors. Every recipe is also a plain command, shown in its comment, for
# people without `just`.

# List the recipes.
default:
    @just --list

# cargo run --release --bin slo -- generate examples --out out
generate out="out":
    cargo run --release --bin slo -- generate examples --out {{out}}

# cargo run --bin slo -- validate examples
validate:
    cargo run --bin slo -- validate examples

# bash .ci/run   (exactly what CI runs: installs the tools if missing, fmt, clippy, every test)
test:
    bash .ci/run

# cd grafana-backend/frontend && npm install && npm run typecheck && npm run test:ci && npm run build
frontend:
    cd grafana-backend/frontend && npm install && npm run typecheck && npm run test:ci && npm run build

# FUZZ_SECONDS=3600 bash fuzz/smoke.sh   (cargo-fuzz on every target; see fuzz/README.md)
fuzz seconds="3600":
    FUZZ_SECONDS={{seconds}} bash fuzz/smoke.sh

# cargo run --release -p promql-tests --bin bench -- ARGS   (`-- --help` lists them; see BENCHMARKS.md; not part of the tests)
bench *args:
    cargo run --release -p promql-tests --bin bench -- {{args}}

# bash docker/demo.sh   (workload + local Prometheus + an incident + `slo report` every minute)
demo:
    bash docker/demo.sh

# bash scripts/dist.sh   (dist/: the plugin folder and zip, and the slo binary)
dist:
    bash scripts/dist.sh

# cargo fmt --all
fmt:
    cargo fmt --all

# cargo clippy --workspace --all-targets -- -D warnings
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# cargo run --release --bin slo -- generate examples --out out && bash scripts/dist.sh && docker compose -f docker/compose.yaml up -d
up: generate dist
    docker compose -f docker/compose.yaml up -d

# docker compose -f docker/compose.yaml down
down:
    docker compose -f docker/compose.yaml down
