#!/usr/bin/env bash
# auth-service memory under login bursts (release build): for bursts of 50,
# 200 and 1,000 concurrent logins (after as many registrations, 50 at a
# time; logins beyond the hashing queue are shed with 503), a fresh auth-service's RSS when idle, its peak (the kernel's VmHWM)
# and its RSS 15 s after the burst, at the HASH_CONCURRENCY the Kubernetes
# overlays ship (1 in base/dev, 2 in prod). Prints a markdown table.
# Usage: scripts/bench-memory.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

cargo build --release --locked -p auth-service -p gatehouse-bench
start_mongo ":memory:"

kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

echo "| HASH_CONCURRENCY | burst (concurrent logins) | answered 200 / shed 503 | idle RSS | peak RSS | RSS 15 s after | manifest limit |"
echo "|---|---|---|---|---|---|---|"
for concurrency in 1 2; do
  limit=$([ "$concurrency" = 1 ] && echo "256 MiB (base, dev)" || echo "512 MiB (prod)")
  for burst in 50 200 1000; do
    http_port=$(free_port); grpc_port=$(free_port)
    AUTH_HTTP_ADDR="127.0.0.1:$http_port" AUTH_GRPC_ADDR="127.0.0.1:$grpc_port" \
      MONGODB_DATABASE="mem_${concurrency}_${burst}_$$" HASH_CONCURRENCY="$concurrency" RUST_LOG=warn \
      RATE_LIMIT_LOGIN_PER_ADDRESS=1000000/1m RATE_LIMIT_LOGIN_FAILURES=1000000/1m \
      RATE_LIMIT_REGISTER_PER_ADDRESS=1000000/1m RATE_LIMIT_REFRESH_PER_ADDRESS=1000000/1m \
      "$ROOT/target/release/auth-service" >"$RUN_DIR/bench-memory.log" 2>&1 &
    pid=$!
    wait_for_port 127.0.0.1 "$http_port" 30
    sleep 1
    idle=$(kib "$pid" VmRSS)
    read -r ok shed < <(timeout 600 "$ROOT/target/release/gatehouse-bench" burst "http://127.0.0.1:$http_port" "$burst")
    peak=$(kib "$pid" VmHWM)
    sleep 15
    after=$(kib "$pid" VmRSS)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf '| %s | %s | %s / %s | %.1f MiB | %.1f MiB | %.1f MiB | %s |\n' "$concurrency" "$burst" "$ok" "$shed" \
      "$(echo "$idle/1024" | bc -l)" "$(echo "$peak/1024" | bc -l)" "$(echo "$after/1024" | bc -l)" "$limit"
  done
done
