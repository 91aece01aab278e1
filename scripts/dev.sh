#!/usr/bin/env bash
# Runs the whole Gatehouse stack locally: a MongoDB wire-protocol server
# (unless MONGODB_URI points at a real MongoDB), the auth-service and the
# realtime-gateway, on the default ports (README, "Configuration") unless overridden, and the
# browser demo (examples/web) on one origin that also proxies /auth,
# /.well-known and /socket.io to the services, the gateway's server API
# (development key in .run/dev-api-key) and the example hook server. Ctrl-C stops everything. Data
# persists in .run/mongo-data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

log "building the services"
cargo build --locked -p auth-service -p realtime-gateway
ensure_sdk
start_mongo "$RUN_DIR/mongo-data"

# A stable development signing key, so tokens survive restarts of the stack.
KEY="$RUN_DIR/dev-signing-key.pem"
if [ -z "${JWT_SIGNING_KEYS:-}" ] && command -v openssl >/dev/null 2>&1; then
  [ -f "$KEY" ] || openssl genpkey -algorithm ed25519 -out "$KEY" 2>/dev/null
  export JWT_SIGNING_KEYS="$KEY"
fi

export AUTH_HTTP_ADDR="${AUTH_HTTP_ADDR:-127.0.0.1:8080}"
export AUTH_GRPC_ADDR="${AUTH_GRPC_ADDR:-127.0.0.1:50051}"
export GATEWAY_ADDR="${GATEWAY_ADDR:-127.0.0.1:3000}"
export AUTH_GRPC_URL="${AUTH_GRPC_URL:-http://$AUTH_GRPC_ADDR}"
export AUTH_JWKS_URL="${AUTH_JWKS_URL:-http://$AUTH_HTTP_ADDR/.well-known/jwks.json}"
export CORS_ORIGINS="${CORS_ORIGINS:-*}"
export DEMO_ADDR="${DEMO_ADDR:-127.0.0.1:8000}"

# The server API and the application hooks, with development secrets kept in
# .run/ (README, "Build on Gatehouse"): the example hook server answers
# room authorization (doc:* rooms with presence, team:* by membership) and rpc.
[ -f "$RUN_DIR/dev-api-key" ] || openssl rand -hex 24 >"$RUN_DIR/dev-api-key"
[ -f "$RUN_DIR/dev-hook-secret" ] || echo "whsec_$(openssl rand -base64 32)" >"$RUN_DIR/dev-hook-secret"
export GATEWAY_API_ADDR="${GATEWAY_API_ADDR:-127.0.0.1:3001}"
export GATEWAY_API_GRPC_ADDR="${GATEWAY_API_GRPC_ADDR:-127.0.0.1:3002}"
export GATEWAY_API_KEYS="${GATEWAY_API_KEYS:-$(cat "$RUN_DIR/dev-api-key")}"
export HOOK_SECRET="${HOOK_SECRET:-$(cat "$RUN_DIR/dev-hook-secret")}"
export HOOK_ADDR="${HOOK_ADDR:-127.0.0.1:4000}"
export ROOM_AUTH_URL="${ROOM_AUTH_URL:-http://$HOOK_ADDR/room-auth}"
export RPC_URL="${RPC_URL:-http://$HOOK_ADDR/rpc}"
PORT="${HOOK_ADDR##*:}" node "$ROOT/examples/hook-server/server.mjs" &
PIDS+=($!)

"$ROOT/target/debug/auth-service" &
PIDS+=($!)
"$ROOT/target/debug/realtime-gateway" &
PIDS+=($!)
wait_for_port "${AUTH_HTTP_ADDR%:*}" "${AUTH_HTTP_ADDR##*:}" 30
wait_for_port "${GATEWAY_ADDR%:*}" "${GATEWAY_ADDR##*:}" 30
AUTH_URL="http://$AUTH_HTTP_ADDR" GATEWAY_URL="http://$GATEWAY_ADDR" node "$ROOT/examples/web/serve.mjs" &
PIDS+=($!)
wait_for_port "${DEMO_ADDR%:*}" "${DEMO_ADDR##*:}" 30

cat <<MSG

  Gatehouse is running.
    browser demo        http://$DEMO_ADDR/   (one origin: /auth, /.well-known, /socket.io proxied)
    auth-service HTTP   http://$AUTH_HTTP_ADDR   (POST /auth/register, /auth/login; GET /.well-known/jwks.json)
    auth-service gRPC   $AUTH_GRPC_URL
    realtime-gateway    http://$GATEWAY_ADDR     (socket.io, auth: {token})
    server API          http://$GATEWAY_API_ADDR/api/v1   (Authorization: Bearer \$(cat .run/dev-api-key)); gRPC on $GATEWAY_API_GRPC_ADDR
    example hook server http://$HOOK_ADDR   (ROOM_AUTH_URL, RPC_URL; secret in .run/dev-hook-secret)
    MongoDB             $MONGODB_URI

  Try the example client:  (cd examples && npm ci && node client.mjs)
  Ctrl-C stops the stack.

MSG
wait -n "${PIDS[@]}"
