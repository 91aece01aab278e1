#!/usr/bin/env bash
# Benchmarks the auth-service (release build): argon2id hash time alone, then
# register/login latency and throughput over loopback. Figures go to
# BENCHMARKS.md. Usage: scripts/bench-auth.sh [N] [CONCURRENCY]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
N="${1:-400}"
CONCURRENCY="${2:-16}"

log "building release binaries"
cargo build --release --locked -p auth-service -p gatehouse-bench
start_mongo ":memory:"
http_port=$(free_port); grpc_port=$(free_port)
AUTH_HTTP_ADDR="127.0.0.1:$http_port" AUTH_GRPC_ADDR="127.0.0.1:$grpc_port" \
  MONGODB_DATABASE="bench_$(date +%s)" RUST_LOG=warn \
  RATE_LIMIT_LOGIN_PER_ADDRESS=1000000/1m RATE_LIMIT_LOGIN_FAILURES=1000000/1m \
  RATE_LIMIT_REGISTER_PER_ADDRESS=1000000/1m \
  "$ROOT/target/release/auth-service" >"$RUN_DIR/bench-auth.log" 2>&1 &
PIDS+=($!)
wait_for_port 127.0.0.1 "$http_port" 30

echo "## auth-service benchmark ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
"$ROOT/target/release/gatehouse-bench" hash 40
"$ROOT/target/release/gatehouse-bench" auth "http://127.0.0.1:$http_port" "$N" "$CONCURRENCY"
