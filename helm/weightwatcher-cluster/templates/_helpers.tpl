{{/*
Names, labels and the values derived from several settings (image, seed nodes, worker addresses), and
the pod and container settings the workers, the zoo job and the test pod share.
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

{{/* Labels of every resource. Plain manifests (plainManifests) do not claim a Helm release manages them. */}}
{{- define "weightwatcher-cluster.labels" -}}
{{ include "weightwatcher-cluster.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: weightwatcher
{{- if not .Values.plainManifests }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "weightwatcher-cluster.chart" . }}
{{- end }}
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

{{/* <registry>/<repository>@<digest>, or <registry>/<repository>:<tag or appVersion>. */}}
{{- define "weightwatcher-cluster.image" -}}
{{- $repository := .Values.image.repository -}}
{{- with .Values.image.registry }}{{ $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}{{ end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end }}

{{/* The pods' service account: the created one, a named existing one, or none (the namespace's default). */}}
{{- define "weightwatcher-cluster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "weightwatcher-cluster.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/* DNS suffix of the worker pods: <service>.<namespace>.svc.<cluster domain> */}}
{{- define "weightwatcher-cluster.workerDomain" -}}
{{- printf "%s.%s.svc.%s" (include "weightwatcher-cluster.workerService" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/*
Seed nodes (WW_SEEDS / --seeds): the first three worker pods, host:port by pod DNS name. Pod 0 forms the
cluster when nobody answers; a restarted pod 0 first asks pods 1 and 2, so it rejoins instead of forming a
second cluster. Three, not two: with two, pods 0 and 1 restarted within seconds (a node drained) let pod 0
find pod 1 still joining and form an island cluster (seen in the soak test).
*/}}
{{- define "weightwatcher-cluster.seeds" -}}
{{- $name := include "weightwatcher-cluster.workerName" . -}}
{{- $domain := include "weightwatcher-cluster.workerDomain" . -}}
{{- $port := int .Values.workers.port -}}
{{- $seeds := list -}}
{{- range $i := until (min 3 (int .Values.workers.replicas) | int) -}}
{{- $seeds = append $seeds (printf "%s-%d.%s:%d" $name $i $domain $port) -}}
{{- end -}}
{{- join "," $seeds -}}
{{- end }}

{{/* Labels every pod gets beyond its selector labels: podLabels, and the workload identity opt-in. */}}
{{- define "weightwatcher-cluster.podLabels" -}}
{{- $labels := deepCopy .Values.podLabels -}}
{{- if .Values.azureWorkloadIdentity.enabled }}{{ $_ := set $labels "azure.workload.identity/use" "true" }}{{ end -}}
{{- with $labels }}{{ toYaml . }}{{ end -}}
{{- end }}

{{/* Pod-level settings every pod shares: service account, token mount, pull secrets, security context. */}}
{{- define "weightwatcher-cluster.podSettings" -}}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- with (include "weightwatcher-cluster.serviceAccountName" .) }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/*
The Secret with the members' tls.crt, tls.key and ca.crt: tls.existingSecret, else <fullname>-tls (generated
by tls-secret.yaml, or created by hand for plain manifests).
*/}}
{{- define "weightwatcher-cluster.tlsSecret" -}}
{{- default (printf "%s-tls" (include "weightwatcher-cluster.fullname" .)) .Values.tls.existingSecret -}}
{{- end }}

{{/* Where every ww container finds its TLS files (WW_TLS_DIR). */}}
{{- define "weightwatcher-cluster.tlsDir" -}}
/etc/ww/tls
{{- end }}

{{/* Environment variables of every ww container after its own: log level, store budget, TLS, blob credentials, extraEnv. */}}
{{- define "weightwatcher-cluster.commonEnv" -}}
- name: WW_STABLE_AFTER
  value: {{ .Values.splitBrain.stableAfter | quote }}
- name: WW_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: WW_STORE_TIMEOUT
  value: {{ .Values.store.timeout | quote }}
{{- if .Values.tls.enabled }}
- name: WW_TLS_DIR
  value: {{ include "weightwatcher-cluster.tlsDir" . | quote }}
{{- end }}
{{- if .Values.store.connectionSecret.name }}
- name: WW_BLOB_CONNECTION_STRING
  valueFrom:
    secretKeyRef:
      name: {{ .Values.store.connectionSecret.name }}
      key: {{ .Values.store.connectionSecret.key }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Mounts of every ww container after its own: scratch (/tmp), the TLS Secret and extraVolumeMounts. */}}
{{- define "weightwatcher-cluster.commonVolumeMounts" -}}
- name: scratch
  mountPath: /tmp
{{- if .Values.tls.enabled }}
- name: tls
  mountPath: {{ include "weightwatcher-cluster.tlsDir" . }}
  readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes of every ww pod after its own: scratch, the TLS Secret and extraVolumes. */}}
{{- define "weightwatcher-cluster.commonVolumes" -}}
- name: scratch
  emptyDir:
    sizeLimit: {{ .Values.scratch.sizeLimit }}
{{- if .Values.tls.enabled }}
# Files readable by their owner and the pod's group (fsGroup) only, mode 0440 (written in decimal: YAML
# readers disagree on octal): the key is the cluster's membership.
- name: tls
  secret:
    secretName: {{ include "weightwatcher-cluster.tlsSecret" . }}
    defaultMode: 288
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Settings the schema cannot check because they relate several values, or that would leave a cluster that
never starts work. Each message names the values.
*/}}
{{- define "weightwatcher-cluster.validate" -}}
{{- $replicas := int .Values.workers.replicas }}
{{- if or (lt (int .Values.workers.minWorkers) 1) (gt (int .Values.workers.minWorkers) $replicas) }}
{{- fail (printf "workers.minWorkers=%d must be between 1 and workers.replicas=%d: the cluster waits for that many workers before it hands out layers" (int .Values.workers.minWorkers) $replicas) }}
{{- end }}
{{- if eq (int .Values.workers.port) (int .Values.workers.httpPort) }}
{{- fail (printf "workers.httpPort=%d is workers.port: the HTTP endpoint (/alive, /ready, /metrics) needs a port of its own" (int .Values.workers.httpPort)) }}
{{- end }}
{{- $pdb := .Values.workers.podDisruptionBudget }}
{{- if and $pdb.enabled (ge (mul 2 (int $pdb.maxUnavailable)) $replicas) }}
{{- fail (printf "workers.podDisruptionBudget.maxUnavailable=%d lets a drain take half or more of workers.replicas=%d, and the split-brain resolver keeps only a majority: lower it, add replicas, or set workers.podDisruptionBudget.enabled=false" (int $pdb.maxUnavailable) $replicas) }}
{{- end }}
{{- if and (hasPrefix "az://" .Values.store.spec) (not .Values.store.connectionSecret.name) }}
{{- fail (printf "store.spec=%s takes its connection string from a Secret: set store.connectionSecret.name (or use a container URI)" .Values.store.spec) }}
{{- end }}
{{- if .Values.azureWorkloadIdentity.enabled }}
{{- if not .Values.serviceAccount.create }}
{{- fail "azureWorkloadIdentity.enabled needs serviceAccount.create=true: the chart annotates the account it creates with the identity's client id" }}
{{- end }}
{{- if not (hasPrefix "https://" .Values.store.spec) }}
{{- fail (printf "azureWorkloadIdentity.enabled needs store.spec to be a container URI (https://<account>.blob.core.windows.net/<container>), not %s" .Values.store.spec) }}
{{- end }}
{{- if .Values.store.connectionSecret.name }}
{{- fail "azureWorkloadIdentity.enabled: leave store.connectionSecret.name empty, the workload identity replaces the connection string" }}
{{- end }}
{{- end }}
{{- end }}
