# Shared helpers for Gatehouse's scripts: tool installation into ignored
# local folders, free ports, and background services that stop with the
# script. Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
RUN_DIR="$ROOT/.run"
mkdir -p "$TOOLS" "$RUN_DIR"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# Python venv with SecantusDB (a MongoDB wire-protocol server) in .tools/venv.
ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating Python venv in .tools/venv"
    python3 -m venv "$VENV"
  fi
  if [ ! -x "$VENV/bin/secantusd-py" ]; then
    log "installing SecantusDB (MongoDB wire-protocol server) from PyPI"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check SecantusDB
  fi
  if [ ! -x "$VENV/bin/st" ]; then
    log "installing schemathesis (schema fuzzing) from PyPI"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
  fi
}

# redis-server from Debian, when missing.
ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    log "installing redis-server from Debian packages"
    apt_install redis-server
  fi
}

# Installs Debian packages (as root, or through sudo).
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}

# npm packages of the end-to-end suite (the official socket.io-client,
# puppeteer-core). puppeteer-core never downloads a browser; the variable
# makes sure nothing else does either.
ensure_node_modules() {
  export PUPPETEER_SKIP_DOWNLOAD=1
  local installed="$ROOT/e2e/node_modules/.package-lock.json"
  if [ ! -f "$installed" ] || [ "$ROOT/e2e/package-lock.json" -nt "$installed" ]; then
    log "installing e2e npm packages"
    (cd "$ROOT/e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The client SDK (clients/js): its npm packages and its build (dist/).
ensure_sdk() {
  local installed="$ROOT/clients/js/node_modules/.package-lock.json"
  if [ ! -f "$installed" ] || [ "$ROOT/clients/js/package-lock.json" -nt "$installed" ]; then
    log "installing the client SDK's npm packages"
    (cd "$ROOT/clients/js" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  log "building the client SDK (clients/js)"
  (cd "$ROOT/clients/js" && npm run --silent build)
}

# Debian's chromium for the browser test, when missing.
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    log "installing chromium from Debian packages"
    apt_install chromium
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # host port seconds
  python3 - "$1" "$2" "$3" <<'PY'
import socket, sys, time
host, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.time() + limit
while time.time() < deadline:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

PIDS=()
stop_services() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
}
trap stop_services EXIT INT TERM

# Exports MONGODB_URI: a given one (a real MongoDB) wins; otherwise starts
# SecantusDB on a free port. $1 = storage path (":memory:" for throwaway).
start_mongo() {
  if [ -n "${MONGODB_URI:-}" ]; then
    log "using MONGODB_URI from the environment"
    return
  fi
  ensure_venv
  local port; port=$(free_port)
  local storage="${1:-:memory:}"
  "$VENV/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path "$storage" \
    --log-level WARNING >"$RUN_DIR/mongo.log" 2>&1 &
  PIDS+=($!)
  if ! wait_for_port 127.0.0.1 "$port" 30; then
    cat "$RUN_DIR/mongo.log" >&2
    echo "SecantusDB did not start" >&2
    exit 1
  fi
  export MONGODB_URI="mongodb://127.0.0.1:$port"
  log "MongoDB wire-protocol server (SecantusDB) on 127.0.0.1:$port"
}
