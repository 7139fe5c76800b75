{{/*
Names, labels and the values derived from several settings (image, seed nodes, worker addresses).
Every resource name starts with the fullname: the release name unless fullnameOverride is set, cut to
40 characters so "<fullname>-worker-<n>" and the StatefulSet's revision label stay within 63.
*/}}

{{- define "weightwatcher-cluster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "weightwatcher-cluster.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- end }}

{{- define "weightwatcher-cluster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "weightwatcher-cluster.labels" -}}
helm.sh/chart: {{ include "weightwatcher-cluster.chart" . }}
{{ include "weightwatcher-cluster.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "weightwatcher-cluster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "weightwatcher-cluster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The worker StatefulSet (and PodDisruptionBudget) name; pods are <this>-0, <this>-1, ... */}}
{{- define "weightwatcher-cluster.workerName" -}}
{{- printf "%s-worker" (include "weightwatcher-cluster.fullname" .) }}
{{- end }}

{{/* The headless Service that gives each worker pod its DNS name. */}}
{{- define "weightwatcher-cluster.workerService" -}}
{{- printf "%s-workers" (include "weightwatcher-cluster.fullname" .) }}
{{- end }}

{{- define "weightwatcher-cluster.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* DNS suffix of the worker pods: <service>.<namespace>.svc.<cluster domain> */}}
{{- define "weightwatcher-cluster.workerDomain" -}}
{{- printf "%s.%s.svc.%s" (include "weightwatcher-cluster.workerService" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/*
Seed nodes (WW_SEEDS / --seeds): the first two worker pods, host:port by pod DNS name. Pod 0 forms the
cluster when nobody answers; a restarted pod 0 first asks pod 1, so it rejoins instead of forming a
second cluster.
*/}}
{{- define "weightwatcher-cluster.seeds" -}}
{{- $name := include "weightwatcher-cluster.workerName" . -}}
{{- $domain := include "weightwatcher-cluster.workerDomain" . -}}
{{- $port := int .Values.workers.port -}}
{{- $seeds := list -}}
{{- range $i := until (min 2 (int .Values.workers.replicas) | int) -}}
{{- $seeds = append $seeds (printf "%s-%d.%s:%d" $name $i $domain $port) -}}
{{- end -}}
{{- join "," $seeds -}}
{{- end }}

{{/* Settings the chart cannot apply, or that would leave a cluster that never starts work. */}}
{{- define "weightwatcher-cluster.validate" -}}
{{- if lt (int .Values.workers.replicas) 1 }}
{{- fail "workers.replicas must be at least 1" }}
{{- end }}
{{- if or (lt (int .Values.workers.minWorkers) 1) (gt (int .Values.workers.minWorkers) (int .Values.workers.replicas)) }}
{{- fail "workers.minWorkers must be between 1 and workers.replicas: the cluster waits for that many workers before it hands out layers" }}
{{- end }}
{{- if not (regexMatch "^[0-9]+(\\.[0-9]+)?(ms|s)?$" (toString .Values.splitBrain.stableAfter)) }}
{{- fail "splitBrain.stableAfter must be a duration such as 5s or 1500ms" }}
{{- end }}
{{- if not .Values.store.spec }}
{{- fail "store.spec is required (e.g. az://models)" }}
{{- end }}
{{- end }}
