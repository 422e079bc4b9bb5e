{{/* Names: <release>-kmirror, or the release name when it already says kmirror. */}}
{{- define "kmirror.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kmirror.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kmirror.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kmirror.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kmirror.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kmirror.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kmirror.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kmirror.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kmirror.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
kmirror's configuration: .Values.config with state.path and http.listen
filled in, checked for what would break the pod. Returned as YAML (use
fromYaml to get the map).
*/}}
{{- define "kmirror.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- $state := default dict $cfg.state }}
{{- $mount := trimSuffix "/" .Values.persistence.mountPath }}
{{- if not $state.path }}
{{- $_ := set $state "path" (printf "%s/state.db" $mount) }}
{{- end }}
{{- if not (hasPrefix (printf "%s/" $mount) $state.path) }}
{{- fail (printf "config.state.path %q must lie inside persistence.mountPath %q: the rest of the file system is read-only and not kept" $state.path $mount) }}
{{- end }}
{{- $_ := set $cfg "state" $state }}
{{- $http := default dict $cfg.http }}
{{- if not $http.listen }}
{{- $_ := set $http "listen" "0.0.0.0:9464" }}
{{- end }}
{{- $host := regexReplaceAll ":[0-9]+$" $http.listen "" }}
{{- if has $host (list "127.0.0.1" "localhost" "[::1]") }}
{{- fail (printf "config.http.listen %q is a loopback address: the kubelet's probes and Prometheus reach the pod's IP; use 0.0.0.0:PORT or [::]:PORT" $http.listen) }}
{{- end }}
{{- $_ := set $cfg "http" $http }}
{{- $memory := default dict $cfg.memory }}
{{- if and (not $memory.budget) .Values.resources.limits.memory }}
{{- $_ := set $memory "budget" (include "kmirror.memoryBudget" .Values.resources.limits.memory) }}
{{- $_ := set $cfg "memory" $memory }}
{{- end }}
{{- $used := list }}
{{- range $cfg.flows }}
{{- $used = append (append $used .source) .target }}
{{- end }}
{{- range $alias, $_ := $cfg.clusters }}
{{- if not (has $alias $used) }}
{{- fail (printf "config.clusters.%s is not used by any flow (Helm merges your clusters with the chart's default ones: set config.clusters.%s: null to drop it)" $alias $alias) }}
{{- end }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/*
memory.budget from the container's memory limit (a Kubernetes quantity:
"1Gi", "1536Mi", "2G", "500M", bytes): what is left after 128 MiB for kmirror's
fixed overhead, times 0.8 for what the kernel and allocator keep (see
docs/operations.md, "Memory"), in whole MiB; at least 16MiB.
*/}}
{{- define "kmirror.memoryBudget" -}}
{{- $q := toString . }}
{{- $n := regexFind "^[0-9]+" $q | int64 }}
{{- $unit := regexReplaceAll "^[0-9]+" $q "" }}
{{- $mib := 0 }}
{{- if eq $unit "Gi" }}{{ $mib = mul $n 1024 }}
{{- else if eq $unit "Mi" }}{{ $mib = $n }}
{{- else if eq $unit "Ki" }}{{ $mib = div $n 1024 }}
{{- else if eq $unit "G" }}{{ $mib = div (mul $n 1000000000) 1048576 }}
{{- else if eq $unit "M" }}{{ $mib = div (mul $n 1000000) 1048576 }}
{{- else if eq $unit "k" }}{{ $mib = div (mul $n 1000) 1048576 }}
{{- else if eq $unit "" }}{{ $mib = div $n 1048576 }}
{{- else }}{{ fail (printf "resources.limits.memory %q: use a quantity like 1Gi or 1536Mi, or set config.memory.budget" $q) }}
{{- end }}
{{- $budget := div (mul (sub $mib 128) 4) 5 }}
{{- if lt $budget 16 }}
{{- fail (printf "resources.limits.memory %q leaves no room for kmirror's memory budget (at least 16MiB after 128 MiB of overhead): raise the limit" $q) }}
{{- end }}
{{- printf "%dMiB" $budget }}
{{- end }}

{{/* The HTTP port: the port of the effective http.listen. */}}
{{- define "kmirror.httpPort" -}}
{{- $cfg := include "kmirror.config" . | fromYaml }}
{{- $port := regexFind "[0-9]+$" $cfg.http.listen }}
{{- if or (not $port) (eq $port "0") }}
{{- fail (printf "config.http.listen %q needs a fixed port: probes and the Service point at it" $cfg.http.listen) }}
{{- end }}
{{- $port }}
{{- end }}

{{/*
Seconds of a kmirror duration ("500ms", "30s", "5m", "1h"), rounded up.
*/}}
{{- define "kmirror.durationSeconds" -}}
{{- $n := regexFind "^[0-9]+" . | int }}
{{- $unit := regexReplaceAll "^[0-9]+" . "" }}
{{- if eq $unit "ms" }}{{ div (add $n 999) 1000 }}
{{- else if eq $unit "s" }}{{ $n }}
{{- else if eq $unit "m" }}{{ mul $n 60 }}
{{- else if eq $unit "h" }}{{ mul $n 3600 }}
{{- else }}{{ fail (printf "config.shutdown.timeout %q is not a duration like 30s" .) }}
{{- end }}
{{- end }}

{{/* terminationGracePeriodSeconds: above shutdown.timeout, with room to close. */}}
{{- define "kmirror.terminationGracePeriodSeconds" -}}
{{- $cfg := include "kmirror.config" . | fromYaml }}
{{- $timeout := include "kmirror.durationSeconds" (toString (dig "shutdown" "timeout" "30s" $cfg)) | int }}
{{- $grace := .Values.terminationGracePeriodSeconds }}
{{- if kindIs "invalid" $grace }}
{{- add $timeout 30 }}
{{- else if le (int $grace) (add $timeout 10 | int) }}
{{- fail (printf "terminationGracePeriodSeconds %d must be above config.shutdown.timeout (%d s) + 10 s, or kmirror is killed while it drains" (int $grace) $timeout) }}
{{- else }}
{{- $grace }}
{{- end }}
{{- end }}
