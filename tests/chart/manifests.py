#!/usr/bin/env python3
"""Checks on the chart's rendered manifests, for tests/chart/chart_test.sh.

    manifests.py kinds MANIFESTS
        Print Kind/name of every object, one per line.

    manifests.py monitoring MANIFESTS RULES_OUT
        Check the objects Kubernetes' own schemas do not cover (ServiceMonitor,
        PrometheusRule: custom resources of the Prometheus Operator) by
        structure: the ServiceMonitor selects the metrics Service and scrapes
        a port it has; the Grafana dashboard ConfigMap is labelled
        grafana_dashboard: "1" and holds JSON. Writes the PrometheusRule's
        groups to RULES_OUT as a Prometheus rules file (for promtool).

    manifests.py extract-config MANIFESTS OUT_FILE
        Write the kmirror.yaml of the ConfigMap the StatefulSet mounts to
        OUT_FILE and print the names of the container's environment variables
        (one per line), so that the caller can run `kmirror check-config` with
        them set. Fails unless every file the config names (tls.ca, tls.cert,
        tls.key, tls.keystore, ${file:PATH}) lies in a Secret the container
        mounts (and among its `items` when it lists some), and state.path lies
        on the state volume.

    manifests.py schema-keys VALUES_SCHEMA PRINT_DEFAULTS_OUTPUT
        Fail unless values.schema.json's `config` knows exactly the keys of
        `kmirror print-defaults`, at every level, and refuses others.
"""

import json
import posixpath
import re
import sys

import yaml


def fail(msgs):
    for m in msgs:
        print(f"manifests.py: {m}", file=sys.stderr)
    sys.exit(1)


def extract(manifests_path, out_path):
    docs = load(manifests_path)
    sts = [d for d in docs if d.get("kind") == "StatefulSet"]
    if len(sts) != 1:
        fail([f"expected one StatefulSet, found {len(sts)}"])
    pod = sts[0]["spec"]["template"]["spec"]
    ctr = next(c for c in pod["containers"] if c["name"] == "kmirror")
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    claims = {t["metadata"]["name"] for t in sts[0]["spec"].get("volumeClaimTemplates") or []}
    mounts = ctr.get("volumeMounts") or []

    config_mount = next((m for m in mounts if m["mountPath"] == "/etc/kmirror/kmirror.yaml"), None)
    if config_mount is None or "configMap" not in volumes.get(config_mount["name"], {}):
        fail(["no ConfigMap mounted at /etc/kmirror/kmirror.yaml"])
    cm_name = volumes[config_mount["name"]]["configMap"]["name"]
    cm = next((d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == cm_name), None)
    if cm is None:
        fail([f"ConfigMap {cm_name} mounted by the StatefulSet is not rendered"])
    text = cm["data"][config_mount.get("subPath", "kmirror.yaml")]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text)
    config = yaml.safe_load(text)

    errors = []

    def covered(path, kinds):
        """The mount holding path, if it is a volume of one of kinds."""
        for m in mounts:
            base = m["mountPath"].rstrip("/")
            if not path.startswith(base + "/"):
                continue
            vol = volumes.get(m["name"])
            if m["name"] in claims:
                kind = "claim"
            else:
                kind = next((k for k in ("secret", "configMap", "emptyDir") if vol and k in vol), None)
            if kind not in kinds:
                return None, f"{path} is on volume {m['name']} ({kind}), not on a {'/'.join(kinds)}"
            items = (vol or {}).get(kind, {}).get("items") if isinstance(vol, dict) and kind in vol else None
            rel = path[len(base) + 1:]
            if items and rel not in [i["path"] for i in items]:
                return None, f"{path}: Secret volume {m['name']} only holds {[i['path'] for i in items]}"
            return m, None
        return None, f"{path} is not inside any volume the container mounts"

    files = []
    for alias, cluster in (config.get("clusters") or {}).items():
        tls = ((cluster or {}).get("security") or {}).get("tls") or {}
        for key in ("ca", "cert", "key", "keystore"):
            if tls.get(key):
                files.append((f"clusters.{alias}.security.tls.{key}", tls[key]))
    for ref in re.findall(r"(?<!\$)\$\{file:([^}]*)\}", text):
        files.append(("${file:} reference", ref))
    for where, path in files:
        if not path.startswith("/"):
            path = posixpath.join("/etc/kmirror", path)
        mount, why = covered(path, ("secret",))
        print(f"  {where}: {path} " + (f"from Secret volume {mount['name']}" if mount else "MISSING"),
              file=sys.stderr)
        if not mount:
            errors.append(f"{where}: {why}")
    state = (config.get("state") or {}).get("path", "")
    mount, why = covered(state, ("claim",))
    print(f"  state.path: {state} " + (f"on claim {mount['name']}" if mount else "MISSING"), file=sys.stderr)
    if not mount:
        errors.append(f"state.path: {why}")
    if errors:
        fail(errors)
    for env in ctr.get("env") or []:
        print(env["name"])


def schema_keys(schema_path, defaults_path):
    schema = json.load(open(schema_path, encoding="utf-8"))
    defaults = yaml.safe_load(open(defaults_path, encoding="utf-8"))
    errors = []

    def compare(where, sch, node):
        if isinstance(node, list):  # flows: a list of one example map; else a list of strings
            if node and isinstance(node[0], dict):
                compare(where + "[]", sch.get("items", {}), node[0])
            return
        if not isinstance(node, dict):
            return
        if "<alias>" in node:  # clusters: a map of name to cluster
            compare(where + ".<alias>", sch.get("additionalProperties", {}), node["<alias>"])
            return
        props = sch.get("properties", {})
        if sch.get("additionalProperties") is not False:
            errors.append(f"{where}: the schema accepts unknown keys (additionalProperties is not false)")
        for key in sorted(set(node) - set(props)):
            errors.append(f"{where}.{key}: kmirror has this key, values.schema.json does not")
        for key in sorted(set(props) - set(node)):
            errors.append(f"{where}.{key}: values.schema.json has this key, kmirror does not")
        for key in sorted(set(node) & set(props)):
            if key == "properties":  # librdkafka properties: free-form by design
                continue
            compare(f"{where}.{key}", props[key], node[key])

    compare("config", schema["properties"]["config"], defaults)
    if errors:
        fail(errors)
    print("values.schema.json's config keys match `kmirror print-defaults` at every level")


def load(path):
    return [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d]


def kinds(manifests_path):
    for d in load(manifests_path):
        print(f"{d['kind']}/{d['metadata']['name']}")


def monitoring(manifests_path, rules_out):
    docs = load(manifests_path)
    errors = []
    services = [d for d in docs if d["kind"] == "Service"]
    for sm in (d for d in docs if d["kind"] == "ServiceMonitor"):
        where = f"ServiceMonitor/{sm['metadata']['name']}"
        if sm.get("apiVersion") != "monitoring.coreos.com/v1":
            errors.append(f"{where}: apiVersion {sm.get('apiVersion')}")
        want = sm["spec"]["selector"]["matchLabels"]
        hits = [s for s in services
                if all(s["metadata"].get("labels", {}).get(k) == v for k, v in want.items())]
        if len(hits) != 1:
            errors.append(f"{where}: selector {want} matches {len(hits)} Services, not 1")
            continue
        ports = {p.get("name") for p in hits[0]["spec"]["ports"]}
        for ep in sm["spec"]["endpoints"]:
            if ep.get("port") not in ports:
                errors.append(f"{where}: endpoint port {ep.get('port')} is not a port of the Service ({ports})")
        print(f"  {where} scrapes Service/{hits[0]['metadata']['name']} port(s) "
              f"{[ep.get('port') for ep in sm['spec']['endpoints']]}", file=sys.stderr)
    rules = [d for d in docs if d["kind"] == "PrometheusRule"]
    groups = []
    for pr in rules:
        where = f"PrometheusRule/{pr['metadata']['name']}"
        if pr.get("apiVersion") != "monitoring.coreos.com/v1":
            errors.append(f"{where}: apiVersion {pr.get('apiVersion')}")
        g = (pr.get("spec") or {}).get("groups") or []
        if not g or not all(grp.get("rules") for grp in g):
            errors.append(f"{where}: no groups, or a group without rules")
        groups += g
        print(f"  {where}: {sum(len(grp.get('rules') or []) for grp in g)} rules", file=sys.stderr)
    with open(rules_out, "w", encoding="utf-8") as f:
        yaml.safe_dump({"groups": groups}, f)
    for cm in (d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard")):
        where = f"ConfigMap/{cm['metadata']['name']}"
        if cm["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
            errors.append(f'{where}: no label grafana_dashboard: "1"')
        for key, value in cm.get("data", {}).items():
            try:
                dash = json.loads(value)
                print(f"  {where}: {key} is the dashboard {dash.get('title')!r} "
                      f"with {len(dash.get('panels', []))} panels", file=sys.stderr)
            except ValueError as e:
                errors.append(f"{where}: {key} is not JSON: {e}")
    if errors:
        fail(errors)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "kinds":
        kinds(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "monitoring":
        monitoring(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "extract-config":
        extract(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "schema-keys":
        schema_keys(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
