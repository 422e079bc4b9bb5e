#!/usr/bin/env bash
# chart_test.sh: checks of the Helm chart in helm/kmirror (ctest label "deploy").
#
#   chart_test.sh lint                  helm lint --strict, default values and each example
#   chart_test.sh template              helm template, every manifest through kubernetes-validate;
#                                       custom resources (ServiceMonitor, PrometheusRule) by
#                                       structure and promtool; which objects each toggle renders
#   chart_test.sh restricted            every pod template meets OpenShift restricted-v2
#   chart_test.sh values                values.schema.json refuses misspelt keys; the chart
#                                       refuses values that would break the pod
#   chart_test.sh check-config KMIRROR  the kmirror config the chart renders passes
#                                       `KMIRROR check-config`; the schema's config keys
#                                       match `KMIRROR print-defaults`
#
# Each renders the chart with the default values and with every file in
# helm/kmirror/examples/. helm and kubernetes-validate come from scripts/helm.sh
# (pinned, cached in ~/.cache/kmirror).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tests/chart"
chart="$root/helm/kmirror"
# What kubernetes-validate checks against: Chart.yaml's kubeVersion (1.27:
# OpenShift 4.14) and the newest version kubernetes-validate 1.37.0 knows.
kubernetes_versions=(1.27.0 1.37.0)

tools="$("$root/scripts/helm.sh")"
helm="$(sed -n 's/^HELM=//p' <<<"$tools")"
kubernetes_validate="$(sed -n 's/^KUBERNETES_VALIDATE=//p' <<<"$tools")"
python="$(dirname "$kubernetes_validate")/python" # the venv's, with PyYAML

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# The value sets every check runs over: "default" and each example file.
value_sets=(default)
for f in "$chart"/examples/*.yaml; do value_sets+=("$(basename "$f" .yaml)"); done
((${#value_sets[@]} >= 4)) || fail "expected at least three example values files in $chart/examples"

values_args() { # values_args SET: the helm arguments for SET, into the array values
    values=()
    [[ "$1" == default ]] || values=(-f "$chart/examples/$1.yaml")
}

render() { # render SET OUT [helm args...]
    local set="$1" out="$2" values
    shift 2
    values_args "$set"
    "$helm" template dr "$chart" --namespace kafka-dr "${values[@]}" "$@" >"$out"
}

kinds() { "$python" "$here/manifests.py" kinds "$1"; }

expect_kinds() { # expect_kinds MANIFESTS LABEL present|absent KIND...
    local file="$1" label="$2" want="$3"
    shift 3
    local have kind
    have="$(kinds "$file" | cut -d/ -f1)"
    for kind in "$@"; do
        if grep -qx "$kind" <<<"$have"; then
            [[ "$want" == present ]] || fail "$label: renders a $kind"
        else
            [[ "$want" == absent ]] || fail "$label: renders no $kind"
        fi
    done
}

cmd_lint() {
    local set values
    for set in "${value_sets[@]}"; do
        echo "== helm lint --strict ($set)"
        values_args "$set"
        "$helm" lint --strict "$chart" --namespace kafka-dr "${values[@]}" || fail "helm lint --strict ($set)"
    done
    # ...and lint fails on values the schema refuses.
    if "$helm" lint --strict "$chart" --set replicaCount=2 >"$work/lint.out" 2>&1; then
        fail "helm lint --strict accepted --set replicaCount=2"
    else
        echo "helm lint --strict refuses --set replicaCount=2: $(grep -m1 replicaCount "$work/lint.out")"
    fi
}

cmd_template() {
    local set out
    for set in "${value_sets[@]}"; do
        out="$work/$set.yaml"
        echo "== helm template ($set)"
        render "$set" "$out" || { fail "helm template ($set)"; continue; }
        kinds "$out" | sed 's/^/  /'
        # Every object must match Kubernetes' schema exactly (--strict: no unknown
        # fields), at the oldest version the chart supports (Chart.yaml's
        # kubeVersion) and the newest kubernetes-validate knows. Custom resources
        # (ServiceMonitor, PrometheusRule) have no schema there: kubernetes-validate
        # warns and passes them, manifests.py checks them below; any other kind
        # without a schema is a failure.
        for version in "${kubernetes_versions[@]}"; do
            echo "== kubernetes-validate --kubernetes-version $version --strict ($set)"
            "$kubernetes_validate" --kubernetes-version "$version" --strict "$out" >"$work/kv.out" 2>&1 ||
                fail "kubernetes-validate $version ($set)"
            cat "$work/kv.out"
            if grep "find schema for kind" "$work/kv.out" | grep -vqE 'kind (ServiceMonitor|PrometheusRule) '; then
                fail "kubernetes-validate $version ($set): a kind without a schema other than the Prometheus Operator's"
            fi
        done
        echo "== custom resources and dashboard ($set)"
        "$python" "$here/manifests.py" monitoring "$out" "$work/$set.rules.yaml" || fail "custom resources ($set)"
        if grep -q 'alert:' "$work/$set.rules.yaml"; then
            promtool check rules "$work/$set.rules.yaml" || fail "promtool check rules on the PrometheusRule ($set)"
        fi
        expect_kinds "$out" "$set" present StatefulSet ConfigMap ServiceAccount PodDisruptionBudget
    done

    # kubernetes-validate itself must refuse a misspelt (optional) field.
    sed 's/^  podManagementPolicy:/  podManagmentPolicy:/' "$work/default.yaml" >"$work/typo.yaml"
    if "$kubernetes_validate" --kubernetes-version "${kubernetes_versions[0]}" --strict --quiet \
        "$work/typo.yaml" >"$work/kv.out" 2>&1; then
        fail "kubernetes-validate accepted a StatefulSet with the field podManagmentPolicy"
    else
        echo "kubernetes-validate refuses a misspelt field: $(grep -m1 podManagmentPolicy "$work/kv.out")"
    fi

    echo "== which objects the toggles render"
    out="$work/default.yaml"
    expect_kinds "$out" "default values" present Service
    expect_kinds "$out" "default values" absent ServiceMonitor PrometheusRule NetworkPolicy
    [[ "$(kinds "$out" | grep -c '^ConfigMap/')" == 1 ]] || fail "default values: a dashboard ConfigMap"
    render default "$work/all.yaml" --set metrics.serviceMonitor.enabled=true \
        --set metrics.prometheusRule.enabled=true --set metrics.dashboard.enabled=true
    expect_kinds "$work/all.yaml" "monitoring on" present Service ServiceMonitor PrometheusRule
    grep -qx 'ConfigMap/dr-kmirror-dashboard' <<<"$(kinds "$work/all.yaml")" || fail "monitoring on: no dashboard ConfigMap"
    render default "$work/off.yaml" --set metrics.enabled=false --set metrics.serviceMonitor.enabled=true \
        --set metrics.prometheusRule.enabled=true --set metrics.dashboard.enabled=true
    expect_kinds "$work/off.yaml" "metrics.enabled=false" absent Service ServiceMonitor PrometheusRule
    [[ "$(kinds "$work/off.yaml" | grep -c '^ConfigMap/')" == 1 ]] || fail "metrics.enabled=false: renders a dashboard"
    grep -q 'path: /readyz' "$work/off.yaml" || fail "metrics.enabled=false: no readiness probe"
    expect_kinds "$work/metrics-off.yaml" "example metrics-off" absent Service ServiceMonitor PrometheusRule
    # Scheduling: the presets and the pods' own labels as default selector.
    out="$work/three-replicas-zones.yaml"
    grep -q '^  replicas: 3$' "$out" || fail "three-replicas-zones: not 3 replicas"
    grep -A1 'podAntiAffinity:' "$out" | grep -q requiredDuringScheduling || fail "podAntiAffinity=hard: not required"
    grep -A1 'topologySpreadConstraints:' "$out" | grep -q 'labelSelector:' ||
        fail "a topologySpreadConstraint without labelSelector does not get the pods' labels"
    grep -A1 'podAntiAffinity:' "$work/default.yaml" | grep -q preferredDuringScheduling ||
        fail "podAntiAffinity=soft (default): not preferred"
    render default "$work/none.yaml" --set podAntiAffinity=none
    if grep -q podAntiAffinity "$work/none.yaml"; then fail "podAntiAffinity=none renders one"; fi
    render default "$work/persistence.yaml" --set persistence.storageClassName=rbd-block
    grep -q 'storageClassName: "rbd-block"' "$work/persistence.yaml" || fail "persistence.storageClassName is not used"
    if grep -q storageClassName "$work/default.yaml"; then fail "default values set a storageClassName"; fi
    # A changed configuration must change the pods' checksum annotation (roll them).
    render default "$work/changed.yaml" --set config.log.level=debug
    [[ "$(grep checksum/config "$work/default.yaml")" != "$(grep checksum/config "$work/changed.yaml")" ]] ||
        fail "a config change does not change checksum/config"
    echo "toggles: checked"
}

cmd_restricted() {
    local set out
    for set in "${value_sets[@]}"; do
        out="$work/$set.yaml"
        render "$set" "$out" || { fail "helm template ($set)"; continue; }
        "$python" "$here/check_restricted.py" --label "$set" "$out" || fail "restricted-v2 ($set)"
    done
    # The checker itself must catch a pod that breaks the rules.
    local bad
    for bad in securityContext.allowPrivilegeEscalation=true podSecurityContext.runAsUser=1000 \
        securityContext.readOnlyRootFilesystem=false podSecurityContext.seccompProfile.type=Unconfined; do
        render default "$work/bad.yaml" --set "$bad"
        if "$python" "$here/check_restricted.py" --label "--set $bad" "$work/bad.yaml" >"$work/bad.out" 2>&1; then
            fail "check_restricted.py accepted --set $bad"
        else
            echo "check_restricted.py refuses --set $bad: $(grep -m1 FAIL "$work/bad.out")"
        fi
    done
}

# expect_refused WHAT MESSAGE helm-args...: helm template must fail naming MESSAGE.
expect_refused() {
    local what="$1" message="$2"
    shift 2
    if "$helm" template dr "$chart" "$@" >/dev/null 2>"$work/err"; then
        fail "$what: helm template accepted $*"
    elif ! grep -qF -- "$message" "$work/err"; then
        fail "$what: the error does not say '$message':"
        cat "$work/err" >&2
    else
        echo "refused, naming '$message': $what"
    fi
}

cmd_values() {
    # Misspelt keys: values.schema.json must refuse them, naming the key.
    expect_refused "top-level typo (replicas)" "additional properties 'replicaCount' not allowed" --set replicaCount=2
    expect_refused "typo in resources" "at '/resources': additional properties 'limts'" --set resources.limts.cpu=1
    expect_refused "typo in metrics.serviceMonitor" "additional properties 'enable' not allowed" --set metrics.serviceMonitor.enable=true
    expect_refused "typo in kmirror's config" "at '/config/flows/0': additional properties 'topic' not allowed" --set 'config.flows[0].topic.include={orders}'
    expect_refused "typo in a cluster's security" "additional properties 'protocl' not allowed" \
        --set config.clusters.primary.security.protocl=SSL
    expect_refused "typo in secretEnv" "additional properties 'secretKey' not allowed" \
        --set 'secretEnv[0].name=A' --set 'secretEnv[0].secretKey=s' --set 'secretEnv[0].key=k'
    expect_refused "wrong anti-affinity preset" "at '/podAntiAffinity'" --set podAntiAffinity=always
    expect_refused "wrong type" "at '/replicas': got string, want integer" --set replicas=three
    # ...while the right spellings pass, so the refusals above are about the keys.
    "$helm" template dr "$chart" --set replicas=2 --set resources.limits.cpu=1 \
        --set metrics.serviceMonitor.enabled=true --set 'config.flows[0].topics.include={orders}' \
        --set 'config.flows[0].name=f' --set 'config.flows[0].source=primary' --set 'config.flows[0].target=dr' \
        >/dev/null || fail "the correctly spelt keys are refused"
    echo "correctly spelt keys: accepted"

    # Values the schema cannot judge, which the chart refuses with a reason.
    expect_refused "an env reference without secretEnv" 'secretEnv does not define PASS' \
        --set 'config.clusters.primary.security.protocol=SASL_SSL' \
        --set 'config.clusters.primary.security.sasl.username=u' \
        --set 'config.clusters.primary.security.sasl.password=${env:PASS}'
    expect_refused "a cluster no flow uses" 'config.clusters.spare is not used by any flow' \
        --set config.clusters.spare.bootstrap=x:9092
    expect_refused "http.listen on loopback" 'loopback' --set config.http.listen=127.0.0.1:9464
    expect_refused "state.path off the volume" 'must lie inside persistence.mountPath' \
        --set config.state.path=/tmp/state.db
    expect_refused "grace period shorter than the drain" 'must be above config.shutdown.timeout' \
        --set terminationGracePeriodSeconds=35
    expect_refused "a Secret mounted over the state" 'would hide' --set 'secretMounts[0].name=x' \
        --set 'secretMounts[0].secretName=s' --set 'secretMounts[0].mountPath=/var/lib/kmirror'
    # The port follows http.listen, the grace period follows shutdown.timeout.
    "$helm" template dr "$chart" --set config.http.listen=0.0.0.0:8080 --set config.shutdown.timeout=2m \
        >"$work/port.yaml"
    grep -q 'containerPort: 8080' "$work/port.yaml" || fail "containerPort does not follow http.listen"
    grep -q 'terminationGracePeriodSeconds: 150' "$work/port.yaml" ||
        fail "terminationGracePeriodSeconds is not shutdown.timeout + 30 s"
    echo "http.listen and shutdown.timeout: followed"
    # memory.budget follows the memory limit, unless the config sets it.
    local limit want
    for limit in 1Gi:716MiB 1536Mi:1126MiB 2G:1423MiB; do
        want="${limit#*:}"
        "$helm" template dr "$chart" --set "resources.limits.memory=${limit%%:*}" >"$work/mem.yaml"
        "$python" "$here/manifests.py" extract-config "$work/mem.yaml" "$work/mem.kmirror.yaml" >/dev/null
        grep -qx "  budget: $want" "$work/mem.kmirror.yaml" ||
            fail "limit ${limit%%:*}: memory.budget is not $want: $(grep -A1 '^memory:' "$work/mem.kmirror.yaml")"
    done
    "$helm" template dr "$chart" --set config.memory.budget=100MiB >"$work/mem.yaml"
    "$python" "$here/manifests.py" extract-config "$work/mem.yaml" "$work/mem.kmirror.yaml" >/dev/null
    grep -qx "  budget: 100MiB" "$work/mem.kmirror.yaml" || fail "config.memory.budget was overridden"
    expect_refused "a memory limit below the overhead" "leaves no room" --set resources.limits.memory=128Mi
    echo "memory.budget: follows resources.limits.memory, or config.memory.budget when set"
}

cmd_check_config() {
    local kmirror="$1" set out env_names name
    [[ -x "$kmirror" ]] || { echo "chart_test.sh: $kmirror is not an executable" >&2; exit 2; }
    echo "== values.schema.json's config keys against $kmirror print-defaults"
    "$kmirror" print-defaults >"$work/defaults.yaml"
    "$python" "$here/manifests.py" schema-keys "$chart/values.schema.json" "$work/defaults.yaml" ||
        fail "values.schema.json and kmirror's configuration keys differ"
    # A value the schema lets through but kmirror refuses must be caught.
    render default "$work/loud.yaml" --set config.log.level=loud
    "$python" "$here/manifests.py" extract-config "$work/loud.yaml" "$work/loud.kmirror.yaml" 2>/dev/null
    if "$kmirror" check-config -c "$work/loud.kmirror.yaml" >/dev/null 2>"$work/loud.err"; then
        fail "kmirror check-config accepted log.level: loud"
    else
        echo "log.level: loud is refused by kmirror: $(head -1 "$work/loud.err")"
    fi
    # A certificate path outside every mounted Secret must be caught.
    render strimzi-scram "$work/nowhere.yaml" --set config.clusters.dr.security.tls.ca=/etc/kmirror/certs/nowhere/ca.crt
    if "$python" "$here/manifests.py" extract-config "$work/nowhere.yaml" "$work/nowhere.kmirror.yaml" \
        >/dev/null 2>"$work/nowhere.err"; then
        fail "manifests.py extract-config accepted a CA outside the mounted Secrets"
    else
        echo "a CA outside the mounted Secrets is refused: $(tail -1 "$work/nowhere.err")"
    fi
    for set in "${value_sets[@]}"; do
        out="$work/$set.yaml"
        echo "== kmirror check-config on the config rendered with $set values"
        render "$set" "$out" || { fail "helm template ($set)"; continue; }
        env_names="$("$python" "$here/manifests.py" extract-config "$out" "$work/$set.kmirror.yaml")" ||
            { fail "config of $set: files outside the mounted Secrets"; continue; }
        # The pod's environment: the secretEnv variables, with stand-in values.
        local env_args=(PATH=/usr/bin:/bin)
        for name in $env_names; do env_args+=("$name=stand-in-secret-$name"); done
        if ! env -i "${env_args[@]}" "$kmirror" check-config -c "$work/$set.kmirror.yaml" >"$work/check.out"; then
            fail "kmirror check-config refuses the config rendered with $set values"
            cat "$work/$set.kmirror.yaml" >&2
        elif grep -q stand-in-secret "$work/check.out"; then
            fail "kmirror check-config printed a secret ($set)"
        else
            echo "accepted ($(wc -l <"$work/check.out") lines normalized; env: ${env_names//$'\n'/ })"
        fi
        # Without the Secrets' variables, a config that references them must be refused.
        if [[ -n "$env_names" ]] &&
            env -i PATH=/usr/bin:/bin "$kmirror" check-config -c "$work/$set.kmirror.yaml" >/dev/null 2>&1; then
            fail "kmirror check-config accepted the $set config without its secret variables"
        fi
    done
}

case "${1:-}" in
lint) cmd_lint ;;
template) cmd_template ;;
restricted) cmd_restricted ;;
values) cmd_values ;;
check-config) cmd_check_config "${2:?usage: chart_test.sh check-config KMIRROR_BINARY}" ;;
*)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

if ((failures > 0)); then
    echo "chart_test.sh $1: $failures check(s) failed" >&2
    exit 1
fi
echo "chart_test.sh $1: all checks passed"
