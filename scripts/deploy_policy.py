#!/usr/bin/env python3
"""Project rules for the deploy files that a schema cannot express.

Used by scripts/validate-deploy.sh (run with the .tools/venv interpreter, which
has PyYAML). Subcommands:

  k8s FILE [--overlay]   rendered kustomize output (a multi-document YAML file)
  compose FILE           `docker-compose config --format json` output
  mutate MODE IN OUT     write a deliberately broken copy of IN (self-tests)

Each check prints nothing when the rules hold; otherwise one line per broken
rule, and exits 1.
"""

import json
import re
import sys

import yaml

SERVICES = ("auth-service", "realtime-gateway")


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def seconds(duration):
    """'20s', '1m', '1m30s', '500ms' -> seconds (float)."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration)
    if not parts or "".join(n + u for n, u in parts) != duration.strip():
        raise ValueError(f"unparsable duration {duration!r}")
    return sum(float(n) * units[u] for n, u in parts)


def k8s_rules(docs, overlay):
    errors = []
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), {})[d["metadata"]["name"]] = d

    def need(kind, name):
        obj = by_kind.get(kind, {}).get(name)
        if obj is None:
            errors.append(f"missing {kind}/{name}")
        return obj

    configmaps = by_kind.get("ConfigMap", {})
    for svc in SERVICES:
        dep = need("Deployment", svc)
        need("Service", svc)
        need("PodDisruptionBudget", svc)
        need("NetworkPolicy", svc)
        hpa = need("HorizontalPodAutoscaler", svc)
        if hpa and hpa.get("apiVersion") != "autoscaling/v2":
            errors.append(f"HorizontalPodAutoscaler/{svc}: apiVersion must be autoscaling/v2")
        if dep is None:
            continue
        where = f"Deployment/{svc}"
        if "replicas" in dep["spec"]:
            errors.append(f"{where}: spec.replicas is set, but the HPA owns the replica count")
        pod = dep["spec"]["template"]["spec"]
        psc = pod.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True:
            errors.append(f"{where}: pod securityContext.runAsNonRoot must be true")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            errors.append(f"{where}: pod seccompProfile must be RuntimeDefault")
        env = {}
        for c in pod["containers"]:
            cw = f"{where} container {c['name']}"
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True:
                errors.append(f"{cw}: readOnlyRootFilesystem must be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{cw}: allowPrivilegeEscalation must be false")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                errors.append(f"{cw}: capabilities.drop must include ALL")
            res = c.get("resources", {})
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in res.get(part, {}):
                        errors.append(f"{cw}: resources.{part}.{r} missing")
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                got = c.get(probe, {}).get("httpGet", {}).get("path")
                if got != path:
                    errors.append(f"{cw}: {probe} must GET {path} (has {got!r})")
            for src in c.get("envFrom", []):
                cm = configmaps.get(src.get("configMapRef", {}).get("name"))
                if cm is None:
                    errors.append(f"{cw}: envFrom ConfigMap not in the rendered output")
                else:
                    env.update(cm.get("data", {}))
        if svc == "realtime-gateway":
            drain = env.get("GATEWAY_DRAIN_PERIOD")
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if drain is None:
                errors.append(f"{where}: GATEWAY_DRAIN_PERIOD not configured")
            elif not grace > seconds(drain):
                errors.append(f"{where}: terminationGracePeriodSeconds {grace} must exceed "
                              f"GATEWAY_DRAIN_PERIOD {drain}")
            hpa_min = (hpa or {}).get("spec", {}).get("minReplicas", 1)
            hpa_max = (hpa or {}).get("spec", {}).get("maxReplicas", 1)
            if max(hpa_min, hpa_max) > 1 and "protocol=resp3" not in env.get("REDIS_URL", ""):
                errors.append(f"{where}: more than one replica needs REDIS_URL with ?protocol=resp3")

    netpol = by_kind.get("NetworkPolicy", {}).get("auth-service")
    if netpol:
        for rule in netpol["spec"].get("ingress", []):
            ports = [p.get("port") for p in rule.get("ports", [])]
            if not ports or 50051 in ports or "grpc" in ports:
                peers = rule.get("from", [])
                ok = peers and all(
                    set(p) == {"podSelector"}
                    and p["podSelector"].get("matchLabels") == {"app.kubernetes.io/name": "realtime-gateway"}
                    for p in peers)
                if not ok:
                    errors.append("NetworkPolicy/auth-service: port 50051 must be open to realtime-gateway pods only")

    gw_pol = by_kind.get("NetworkPolicy", {}).get("realtime-gateway")
    if gw_pol:
        api_rules = [r for r in gw_pol["spec"].get("ingress", [])
                     if not r.get("ports") or any(p.get("port") in (3001, "api") for p in r["ports"])]
        ok = api_rules and all(
            r.get("from") and all(
                set(p) == {"podSelector"}
                and p["podSelector"].get("matchLabels") == {"gatehouse.io/api-client": "true"}
                for p in r["from"])
            for r in api_rules)
        if not ok:
            errors.append("NetworkPolicy/realtime-gateway: the server API port 3001 must be open to "
                          "pods labelled gatehouse.io/api-client=true only")

    ingresses = list(by_kind.get("Ingress", {}).values())
    if len(ingresses) != 1:
        errors.append(f"expected one Ingress, found {len(ingresses)}")
    else:
        ing = ingresses[0]
        routes = {}
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                routes[p["path"]] = p["backend"]["service"]["name"]
        want = {"/auth": "auth-service", "/.well-known": "auth-service", "/socket.io": "realtime-gateway"}
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                port = p["backend"]["service"].get("port", {})
                if port.get("number") == 3001 or port.get("name") == "api":
                    errors.append(f"Ingress: {p['path']} must not route to the server API port")
        for path, svc in want.items():
            if routes.get(path) != svc:
                errors.append(f"Ingress: {path} must route to {svc} (has {routes.get(path)!r})")
        ann = ing["metadata"].get("annotations", {})
        for key in ("proxy-read-timeout", "proxy-send-timeout", "affinity"):
            if f"nginx.ingress.kubernetes.io/{key}" not in ann:
                errors.append(f"Ingress: annotation nginx.ingress.kubernetes.io/{key} missing")

    if overlay and by_kind.get("Secret"):
        errors.append("an overlay must not render Secrets (they are created out of band): "
                      + ", ".join(by_kind["Secret"]))
    return errors


def compose_rules(cfg):
    errors = []
    services = cfg.get("services", {})
    for name in ("mongo", "redis", "auth-service", "realtime-gateway", "proxy"):
        if name not in services:
            errors.append(f"service {name} missing")
    for name, svc in services.items():
        test = svc.get("healthcheck", {}).get("test")
        if not test or svc["healthcheck"].get("disable"):
            errors.append(f"service {name}: no healthcheck")
        for dep, spec in (svc.get("depends_on") or {}).items():
            if spec.get("condition") != "service_healthy":
                errors.append(f"service {name}: depends_on {dep} must use condition service_healthy")
    gw = services.get("realtime-gateway", {})
    if (gw.get("deploy") or {}).get("replicas", 1) < 2:
        errors.append("service realtime-gateway: needs 2 replicas")
    if "protocol=resp3" not in (gw.get("environment") or {}).get("REDIS_URL", ""):
        errors.append("service realtime-gateway: REDIS_URL must request RESP3 (?protocol=resp3)")
    auth = services.get("auth-service", {})
    if not auth.get("secrets"):
        errors.append("service auth-service: signing key must come from a compose secret")
    return errors


def mutate(mode, src, dst):
    """Break a copy of a rendered overlay in one deliberate way."""
    docs = load_docs(src)
    dep = next(d for d in docs if d["kind"] == "Deployment")
    if mode == "wrong-type":
        dep["spec"]["replicas"] = "two"
    elif mode == "unknown-field":
        dep["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    elif mode == "unknown-kind":
        docs.append({"apiVersion": "gatehouse.example.com/v1", "kind": "Widget",
                     "metadata": {"name": "no-schema"}})
    elif mode == "open-api":
        pol = next(d for d in docs if d["kind"] == "NetworkPolicy"
                   and d["metadata"]["name"] == "realtime-gateway")
        for rule in pol["spec"]["ingress"]:
            if any(p.get("port") == 3001 for p in rule.get("ports", [])):
                rule["from"] = [{"namespaceSelector": {}}]
    elif mode == "writable-root":
        dep["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    else:
        raise SystemExit(f"unknown mutation {mode}")
    with open(dst, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


def main(argv):
    if len(argv) >= 2 and argv[0] == "k8s":
        errors = k8s_rules(load_docs(argv[1]), overlay="--overlay" in argv[2:])
    elif len(argv) == 2 and argv[0] == "compose":
        with open(argv[1], encoding="utf-8") as f:
            errors = compose_rules(json.load(f))
    elif len(argv) == 4 and argv[0] == "mutate":
        mutate(*argv[1:])
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for e in errors:
        print(f"policy: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
