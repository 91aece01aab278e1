#!/usr/bin/env bash
# Schema fuzzing with schemathesis (PyPI) against the real services, bounded
# per operation: the auth-service's /openapi.json and the gateway's server
# API (/api/v1/openapi.json). Checks: no 5xx, every status, content type,
# header and body as documented, schema-invalid input refused with a 4xx,
# 405 with `Allow` for undeclared methods. `positive_data_acceptance` is
# left out: some rules are not expressible in JSON Schema (a common
# password, a reserved event name), so schema-valid input may rightly get a
# 400 with its code.
# Needs built debug binaries and MONGODB_URI (scripts/test.sh provides both).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_venv
: "${MONGODB_URI:?MONGODB_URI must point at a MongoDB wire-protocol server}"
EXAMPLES="${FUZZ_EXAMPLES:-40}"
ST=("$VENV/bin/st" --config-file "$ROOT/scripts/schemathesis.toml" run --generation-database none
  --max-examples "$EXAMPLES" --seed 20261205 --checks all
  --exclude-checks positive_data_acceptance --request-timeout 10)

auth_http=$(free_port); auth_grpc=$(free_port); gw=$(free_port); gw_api=$(free_port)
key=$(openssl rand -hex 24)
MONGODB_DATABASE="fuzz_$(openssl rand -hex 4)" AUTH_HTTP_ADDR="127.0.0.1:$auth_http" \
  AUTH_GRPC_ADDR="127.0.0.1:$auth_grpc" RUST_LOG=warn \
  RATE_LIMIT_LOGIN_PER_ADDRESS=1000000/1m RATE_LIMIT_LOGIN_FAILURES=1000000/1m \
  RATE_LIMIT_REGISTER_PER_ADDRESS=1000000/1m RATE_LIMIT_REFRESH_PER_ADDRESS=1000000/1m \
  "$ROOT/target/debug/auth-service" >"$RUN_DIR/fuzz-auth.log" 2>&1 &
PIDS+=($!)
GATEWAY_ADDR="127.0.0.1:$gw" GATEWAY_API_ADDR="127.0.0.1:$gw_api" GATEWAY_API_KEYS="$key" \
  AUTH_GRPC_URL="http://127.0.0.1:$auth_grpc" \
  AUTH_JWKS_URL="http://127.0.0.1:$auth_http/.well-known/jwks.json" RUST_LOG=warn \
  "$ROOT/target/debug/realtime-gateway" >"$RUN_DIR/fuzz-gateway.log" 2>&1 &
PIDS+=($!)
wait_for_port 127.0.0.1 "$auth_http" 30
wait_for_port 127.0.0.1 "$gw_api" 30

export FUZZ_USERNAME="fuzz_$(openssl rand -hex 4)" FUZZ_PASSWORD="fuzz-$(openssl rand -hex 12)"
curl -fsS -o /dev/null -H 'content-type: application/json' \
  -d "{\"username\":\"$FUZZ_USERNAME\",\"email\":\"$FUZZ_USERNAME@example.test\",\"password\":\"$FUZZ_PASSWORD\"}" \
  "http://127.0.0.1:$auth_http/auth/register"

log "schemathesis: auth-service ($EXAMPLES examples per operation)"
"${ST[@]}" "http://127.0.0.1:$auth_http/openapi.json"
log "schemathesis: the gateway's server API ($EXAMPLES examples per operation)"
"${ST[@]}" -H "Authorization: Bearer $key" "http://127.0.0.1:$gw_api/api/v1/openapi.json"
