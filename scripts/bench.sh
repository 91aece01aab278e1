#!/usr/bin/env bash
# Runs every benchmark behind BENCHMARKS.md on release builds, over loopback:
#   1. argon2id hash time alone, then register/login latency and throughput;
#   2. socket.io handshakes (latency at 50 concurrent, CPU per 1,000, RSS per
#      idle connection at 5,000) with the official JS client;
#   3. revocation latency, logout response → socket disconnect;
#   4. the front door under a mixed attack, fan-out to a room of 1,000
#      sockets, auth-service memory under login bursts.
# Usage: scripts/bench.sh [N] [CONCURRENCY]   (N, CONCURRENCY: auth phase)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
N="${1:-400}"
CONCURRENCY="${2:-16}"

log "building release binaries"
cargo build --release --locked -p auth-service -p realtime-gateway -p gatehouse-bench
ulimit -n 20000 2>/dev/null || true
ensure_node_modules
start_mongo ":memory:"
http_port=$(free_port); grpc_port=$(free_port)
AUTH_HTTP_ADDR="127.0.0.1:$http_port" AUTH_GRPC_ADDR="127.0.0.1:$grpc_port" \
  MONGODB_DATABASE="bench_$(date +%s)" RUST_LOG=warn \
  RATE_LIMIT_LOGIN_PER_ADDRESS=1000000/1m RATE_LIMIT_LOGIN_FAILURES=1000000/1m \
  RATE_LIMIT_REGISTER_PER_ADDRESS=1000000/1m RATE_LIMIT_REFRESH_PER_ADDRESS=1000000/1m \
  "$ROOT/target/release/auth-service" >"$RUN_DIR/bench-auth.log" 2>&1 &
auth_pid=$!
PIDS+=("$auth_pid")
wait_for_port 127.0.0.1 "$http_port" 30

echo "## Gatehouse benchmarks ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), release builds)"
echo
echo "### auth-service"
"$ROOT/target/release/gatehouse-bench" hash 100
"$ROOT/target/release/gatehouse-bench" auth "http://127.0.0.1:$http_port" "$N" "$CONCURRENCY"
kill "$auth_pid"; wait "$auth_pid" 2>/dev/null || true

echo
echo "### realtime-gateway handshakes"
(cd "$ROOT/e2e" && E2E_PROFILE=release node bench/handshake-bench.mjs)
echo
echo "### revocation latency"
(cd "$ROOT/e2e" && E2E_PROFILE=release node bench/revocation-bench.mjs)
echo
echo "### front door under attack"
(cd "$ROOT/e2e" && E2E_PROFILE=release node bench/flood-bench.mjs)
echo
echo "### fan-out"
(cd "$ROOT/e2e" && E2E_PROFILE=release node bench/fanout-bench.mjs)
echo
echo "### server API and presence"
(cd "$ROOT/e2e" && E2E_PROFILE=release node bench/server-api-bench.mjs)
echo
echo "### auth-service memory under login bursts"
"$ROOT/scripts/bench-memory.sh"
