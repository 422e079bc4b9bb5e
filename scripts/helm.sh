#!/usr/bin/env bash
# helm.sh: install the tools the Helm chart's tests need, pinned and cached.
#
#   scripts/helm.sh          install helm and kubernetes-validate (no-op when cached);
#                            prints two lines: HELM=<path> and KUBERNETES_VALIDATE=<path>
#   scripts/helm.sh --check  exit 1 unless both are installed
#
# helm is built from source with `go install helm.sh/helm/v3/cmd/helm@VERSION`
# through the Go module proxy (no prebuilt binary is downloaded); the binary
# goes to ${KMIRROR_CACHE:-$HOME/.cache/kmirror}/helm-VERSION/helm.
# kubernetes-validate (PyPI) goes into a virtualenv beside it,
# venv-kubernetes-validate-VERSION, with PyYAML (tests/chart/check_restricted.py
# uses that venv's python).
#
# Several ctest entries call this at once: a lock file serialises the installs,
# so the first caller installs and the others wait and then find the cache.
set -euo pipefail

helm_version=v3.22.0
helm_k8s_minor=37 # helm v3.22.0 is built with the k8s.io modules v0.37
kv_version=1.37.0
cache="${KMIRROR_CACHE:-$HOME/.cache/kmirror}"
helm_dir="$cache/helm-$helm_version"
venv="$cache/venv-kubernetes-validate-$kv_version"
go="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
python="${PYTHON:-$(command -v python3)}"

installed() {
    [[ -x "$helm_dir/helm" ]] &&
        "$helm_dir/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$helm_version" &&
        "$helm_dir/helm" template --help >/dev/null 2>&1 &&
        [[ -x "$venv/bin/kubernetes-validate" ]] &&
        "$venv/bin/python" -c 'import kubernetes_validate, yaml' 2>/dev/null
}

report() {
    echo "HELM=$helm_dir/helm"
    echo "KUBERNETES_VALIDATE=$venv/bin/kubernetes-validate"
}

if [[ "${1:-}" == --check ]]; then
    installed && { report; exit 0; }
    echo "helm.sh: helm $helm_version or kubernetes-validate $kv_version is not installed in $cache" >&2
    exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/helm-tools.lock"
flock 9 # concurrent callers install once

if installed; then
    report
    exit 0
fi

start=$SECONDS
if [[ ! -x "$helm_dir/helm" ]]; then
    [[ -x "$go" ]] || {
        echo "helm.sh: no Go toolchain (looked for go on PATH and /usr/local/go/bin/go)" >&2
        exit 1
    }
    echo "helm.sh: building helm $helm_version with $("$go" version)" >&2
    # GOTOOLCHAIN=local: build with the installed Go, never download another one.
    # GOFLAGS=-mod=mod: `go install pkg@version` ignores a vendor directory anyway;
    # clearing GOFLAGS keeps a caller's -mod=vendor from breaking it.
    tmp="$helm_dir.tmp.$$"
    rm -rf "$tmp"
    # The -X flags are those of helm's Makefile: its version, and the Kubernetes
    # version `helm template` and `helm lint` assume (that of the k8s.io modules
    # helm is built with, 1.37 for helm v3.22.0; without them it is 1.20).
    local_ldflags=(
        "-X helm.sh/helm/v3/internal/version.version=$helm_version"
        "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
        "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$helm_k8s_minor"
        "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
        "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$helm_k8s_minor"
    )
    GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$tmp" CGO_ENABLED=0 \
        "$go" install -ldflags "${local_ldflags[*]}" "helm.sh/helm/v3/cmd/helm@$helm_version" >&2
    rm -rf "$helm_dir"
    mv "$tmp" "$helm_dir"
fi

if [[ ! -x "$venv/bin/kubernetes-validate" ]] || ! "$venv/bin/python" -c 'import kubernetes_validate, yaml' 2>/dev/null; then
    echo "helm.sh: installing kubernetes-validate $kv_version into $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "kubernetes-validate==$kv_version" PyYAML >&2
fi

installed || {
    echo "helm.sh: installed, but $helm_dir/helm or $venv does not work" >&2
    exit 1
}
echo "helm.sh: installed in $((SECONDS - start)) s" >&2
report
