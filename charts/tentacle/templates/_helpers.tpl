{{/* Chart name, truncated to 63 characters (DNS label limit). */}}
{{- define "tentacle.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name, with the chart name appended unless the release name
already contains it. Truncated to 63 characters.
*/}}
{{- define "tentacle.fullname" -}}
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

{{/* name-version for the helm.sh/chart label. */}}
{{- define "tentacle.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object, without the component. */}}
{{- define "tentacle.baseLabels" -}}
helm.sh/chart: {{ include "tentacle.chart" . }}
app.kubernetes.io/name: {{ include "tentacle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tentacle
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of the operator's objects. */}}
{{- define "tentacle.labels" -}}
{{ include "tentacle.baseLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Selector labels: stable for the life of a release (Deployment selectors are immutable). */}}
{{- define "tentacle.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tentacle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The operator's ServiceAccount name. */}}
{{- define "tentacle.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tentacle.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The NFS agent's ServiceAccount name. */}}
{{- define "tentacle.nfsAgent.serviceAccountName" -}}
{{- default (printf "%s-nfs-agent" (include "tentacle.fullname" .) | trunc 63 | trimSuffix "-") .Values.nfsAgent.serviceAccount.name }}
{{- end }}

{{/* The container image reference (a digest wins over a tag). */}}
{{- define "tentacle.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Comma-separated controllers, validated against the ones this chart knows the RBAC of. */}}
{{- define "tentacle.controllers" -}}
{{- $known := keys (include "tentacle.controllerRules" . | fromYaml) | sortAlpha }}
{{- if not .Values.controllers }}
{{- fail "controllers: enable at least one controller" }}
{{- end }}
{{- range .Values.controllers }}
{{- if not (has . $known) }}
{{- fail (printf "controllers: unknown controller %q (known: %s)" . (join ", " $known)) }}
{{- end }}
{{- end }}
{{- join "," (uniq .Values.controllers) }}
{{- end }}

{{/*
RBAC rules per controller: exactly the (apiGroup, resource, verb) triples each controller's requests
use, cluster-wide. Adding a controller means adding one block here (and, for objects it keeps in the
release namespace, one in tentacle.controllerNamespacedRules). The Lease (leader election) rules are in
the namespaced Role, the events rule is shared by every controller (rbac.yaml).
test/e2e/rbac.test.ts proves each block sufficient (no 403) and minimal (every verb is used).

Wildcards only where the resource cannot be named in advance, as in upstream's
system:controller:horizontal-pod-autoscaler: the autoscaler scales whatever kind scaleTargetRef names
(any group's `<resource>/scale`), and custom and external metrics are resources named after the metric.
*/}}
{{- define "tentacle.controllerRules" -}}
job:
  - apiGroups: ["batch.tentacle.dev"]
    resources: ["jobs"]
    verbs: ["list", "watch", "patch", "delete"]
  - apiGroups: ["batch.tentacle.dev"]
    resources: ["jobs/status"]
    verbs: ["update"]
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["list", "watch", "create", "patch", "delete"]
cronjob:
  - apiGroups: ["batch.tentacle.dev"]
    resources: ["cronjobs"]
    verbs: ["list", "watch"]
  - apiGroups: ["batch.tentacle.dev"]
    resources: ["cronjobs/status"]
    verbs: ["update"]
  - apiGroups: ["batch.tentacle.dev"]
    resources: ["jobs"]
    verbs: ["get", "list", "watch", "create", "delete"]
statefulset:
  - apiGroups: ["apps.tentacle.dev"]
    resources: ["statefulsets"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["apps.tentacle.dev"]
    resources: ["statefulsets/status"]
    verbs: ["update"]
  # Identity fixes are patches (the cache holds projected pods): no update.
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["list", "watch", "create", "patch", "delete"]
  - apiGroups: [""]
    resources: ["persistentvolumeclaims"]
    verbs: ["list", "watch", "create", "update", "patch"]
  - apiGroups: ["apps"]
    resources: ["controllerrevisions"]
    verbs: ["list", "watch", "create", "update", "patch", "delete"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["storageclasses"]
    verbs: ["list", "watch"]
autoscaler:
  - apiGroups: ["autoscaling.tentacle.dev"]
    resources: ["horizontalpodautoscalers"]
    verbs: ["list", "watch"]
  - apiGroups: ["autoscaling.tentacle.dev"]
    resources: ["horizontalpodautoscalers/status"]
    verbs: ["update"]
  # The scale subresource of the target, whatever its kind (Deployment, our StatefulSet, any CRD).
  - apiGroups: ["*"]
    resources: ["*/scale"]
    verbs: ["get", "update"]
  # Readiness and CPU requests of the target's pods, from the informer.
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["list", "watch"]
  # Resource metrics (metrics-server): PodMetrics by label selector.
  - apiGroups: ["metrics.k8s.io"]
    resources: ["pods"]
    verbs: ["list"]
  # Custom metrics: pods/*/<metric>, <resource>/<name>/<metric>, namespaces/<name>/metrics/<metric>.
  - apiGroups: ["custom.metrics.k8s.io"]
    resources: ["*"]
    verbs: ["get"]
  # External metrics: namespaces/<namespace>/<metric>, by label selector.
  - apiGroups: ["external.metrics.k8s.io"]
    resources: ["*"]
    verbs: ["list"]
nfs:
  - apiGroups: ["storage.tentacle.dev"]
    resources: ["nfsprovisioners"]
    verbs: ["list", "watch"]
  - apiGroups: ["storage.tentacle.dev"]
    resources: ["nfsprovisioners/status"]
    verbs: ["update"]
  - apiGroups: ["storage.k8s.io"]
    resources: ["storageclasses"]
    verbs: ["list", "watch", "create", "patch", "delete"]
  # The provisioner's volumes, for its status (counted, never written: the agent does that).
  - apiGroups: [""]
    resources: ["persistentvolumes"]
    verbs: ["list", "watch"]
{{- end }}

{{/*
Rules per controller in the release namespace only (a Role): objects the controller keeps next to the
operator. nfs: the per-provisioner agent Deployments.
*/}}
{{- define "tentacle.controllerNamespacedRules" -}}
nfs:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["list", "watch", "create", "update"]
{{- end }}

{{/* The Service's name for metrics (and the health port). */}}
{{- define "tentacle.metricsServiceName" -}}
{{- printf "%s-metrics" (include "tentacle.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
