#!/usr/bin/env bash
# Runs every Gatehouse test: Rust unit and integration tests against a real
# MongoDB wire-protocol server, the end-to-end suite with the official
# socket.io JavaScript client, the client SDK and the browser demo in
# headless Chromium, schema fuzzing of both OpenAPI documents
# (schemathesis), and the offline deployment validation.
# Installs what it needs (SecantusDB from PyPI, redis-server and chromium from
# Debian, npm packages) into ignored local folders on first use.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Everything the tests need is installed before any test runs: a missing
# dependency must fail a test, never skip it.
ensure_venv
ensure_redis
ensure_chromium
ensure_node_modules
ensure_sdk
export SECANTUSD_BIN="$VENV/bin/secantusd-py"
start_mongo ":memory:"

log "cargo test --workspace"
cargo test --workspace --locked

if [ -f "$ROOT/e2e/package.json" ]; then
  log "building binaries for the end-to-end suite"
  cargo build --workspace --bins --locked
  log "end-to-end tests (socket.io-client, the client SDK, the browser demo)"
  (cd "$ROOT/e2e" && node --test --test-concurrency=1 tests/)
fi

log "schema fuzzing (schemathesis) of both OpenAPI documents"
"$ROOT/scripts/schema-fuzz.sh"

log "deployment validation"
"$ROOT/scripts/validate-deploy.sh"
log "all tests passed"
