#!/usr/bin/env python3
"""Check rendered manifests against OpenShift's restricted-v2 SCC (and the
Kubernetes "restricted" Pod Security Standard), and that kmirror's pods have
their state volume and probes.

    helm template ... | check_restricted.py [--label NAME]

Every Pod template (StatefulSet, Deployment, DaemonSet, ReplicaSet, Job,
CronJob, Pod) and every container and initContainer in it must:
  - run as non-root (runAsNonRoot: true on the pod or the container), with no
    fixed runAsUser, runAsGroup or fsGroup (OpenShift assigns them from the
    namespace's range; a fixed one outside that range is refused);
  - not allow privilege escalation, not be privileged, drop ALL capabilities
    and add none;
  - use seccompProfile RuntimeDefault (pod or container) and a read-only root
    file system;
  - not use hostNetwork, hostPID, hostIPC, host ports or hostPath volumes.
The kmirror StatefulSet must also have a volumeClaimTemplate mounted into the
container (the SQLite state), and liveness GET /healthz and readiness GET
/readyz on a port the container declares.

Prints each check it made; exits 1 listing every violation.
"""

import argparse
import sys

import yaml

POD_TEMPLATE_PATHS = {
    "Pod": ("spec",),
    "StatefulSet": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def dig(obj, *keys):
    for k in keys:
        if not isinstance(obj, dict) or k not in obj:
            return None
        obj = obj[k]
    return obj


class Checker:
    def __init__(self):
        self.failures = []
        self.checks = 0

    def expect(self, ok, where, what):
        self.checks += 1
        if ok:
            print(f"  ok    {where}: {what}")
        else:
            print(f"  FAIL  {where}: {what}")
            self.failures.append(f"{where}: {what}")


def check_pod(c, where, pod):
    psc = pod.get("securityContext") or {}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        c.expect(not pod.get(key), where, f"no {key}")
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        c.expect(key not in psc, where, f"pod securityContext has no fixed {key}")
    pod_seccomp = dig(psc, "seccompProfile", "type")
    c.expect(pod_seccomp in (None, "RuntimeDefault"), where,
             f"pod seccompProfile unset or RuntimeDefault (is {pod_seccomp})")
    for vol in pod.get("volumes") or []:
        c.expect("hostPath" not in vol, where, f"volume {vol.get('name')} is not a hostPath")

    containers = [("container", x) for x in pod.get("containers") or []]
    containers += [("initContainer", x) for x in pod.get("initContainers") or []]
    c.expect(bool(containers), where, "has containers")
    for kind, ctr in containers:
        cw = f"{where} {kind} {ctr.get('name')}"
        sc = ctr.get("securityContext") or {}
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        c.expect(non_root is True, cw, "runAsNonRoot: true (container or pod)")
        for key in ("runAsUser", "runAsGroup"):
            c.expect(key not in sc, cw, f"no fixed {key}")
        c.expect(sc.get("allowPrivilegeEscalation") is False, cw, "allowPrivilegeEscalation: false")
        c.expect(not sc.get("privileged"), cw, "not privileged")
        caps = sc.get("capabilities") or {}
        c.expect("ALL" in (caps.get("drop") or []), cw, "capabilities.drop contains ALL")
        c.expect(not caps.get("add"), cw, "capabilities.add is empty")
        seccomp = dig(sc, "seccompProfile", "type") or dig(psc, "seccompProfile", "type")
        c.expect(seccomp == "RuntimeDefault", cw, f"seccompProfile RuntimeDefault (is {seccomp})")
        c.expect(sc.get("readOnlyRootFilesystem") is True, cw, "readOnlyRootFilesystem: true")
        for port in ctr.get("ports") or []:
            c.expect("hostPort" not in port, cw, f"port {port.get('name')} has no hostPort")


def check_kmirror_statefulset(c, where, sts):
    pod = dig(sts, "spec", "template", "spec") or {}
    claims = [dig(t, "metadata", "name") for t in dig(sts, "spec", "volumeClaimTemplates") or []]
    c.expect(bool(claims), where, f"has volumeClaimTemplates ({claims})")
    ctrs = {x.get("name"): x for x in pod.get("containers") or []}
    ctr = ctrs.get("kmirror")
    c.expect(ctr is not None, where, "has a container named kmirror")
    if ctr is None:
        return
    mounts = {m.get("name"): m.get("mountPath") for m in ctr.get("volumeMounts") or []}
    for claim in claims:
        c.expect(claim in mounts, where, f"mounts the claim {claim} (at {mounts.get(claim)})")
    ports = {p.get("name"): p.get("containerPort") for p in ctr.get("ports") or []}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = dig(ctr, probe, "httpGet") or {}
        c.expect(get.get("path") == path, where, f"{probe} GET {path} (is {get.get('path')})")
        port = get.get("port")
        c.expect(port in ports or port in ports.values(), where,
                 f"{probe} port {port} is declared by the container ({ports})")
    args = (ctr.get("command") or []) + (ctr.get("args") or [])
    c.expect(args[:2] == ["kmirror", "run"] and "-c" in args, where,
             f"runs `kmirror run -c FILE` ({' '.join(map(str, args))})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="manifests", help="what is being checked, for the output")
    ap.add_argument("file", nargs="?", default="-")
    args = ap.parse_args()
    text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()
    docs = [d for d in yaml.safe_load_all(text) if d]

    c = Checker()
    print(f"restricted-v2 checks on {args.label}:")
    pods = 0
    statefulsets = 0
    for doc in docs:
        kind = doc.get("kind")
        path = POD_TEMPLATE_PATHS.get(kind)
        if path is None:
            continue
        where = f"{kind}/{dig(doc, 'metadata', 'name')}"
        pod = dig(doc, *path)
        c.expect(isinstance(pod, dict), where, "has a pod template")
        if not isinstance(pod, dict):
            continue
        pods += 1
        check_pod(c, where, pod)
        if kind == "StatefulSet":
            statefulsets += 1
            check_kmirror_statefulset(c, where, doc)
    c.expect(statefulsets == 1, args.label, f"exactly one StatefulSet (found {statefulsets})")
    print(f"{args.label}: {pods} pod template(s), {c.checks} checks, {len(c.failures)} failed")
    if c.failures:
        for f in c.failures:
            print(f"violation: {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
