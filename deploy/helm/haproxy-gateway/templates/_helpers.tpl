{{/* The chart name, or nameOverride. */}}
{{- define "haproxy-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects: fullnameOverride, else the release name when it already contains
the chart name, else "<release>-<chart>". Truncated to 63 characters, the limit of a DNS label.
*/}}
{{- define "haproxy-gateway.fullname" -}}
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

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "haproxy-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "haproxy-gateway.labels" -}}
helm.sh/chart: {{ include "haproxy-gateway.chart" . }}
{{ include "haproxy-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the HAProxy pods: the Deployment's selector, the stats Service's, and, passed to
the controller as -service-selector, the selector of every per-Gateway Service it creates.
*/}}
{{- define "haproxy-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "haproxy-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The selector labels as "k=v,k=v", sorted by key, the form of -service-selector. */}}
{{- define "haproxy-gateway.selectorFlag" -}}
{{- $labels := include "haproxy-gateway.selectorLabels" . | fromYaml }}
{{- $pairs := list }}
{{- range $key := keys $labels | sortAlpha }}
{{- $pairs = append $pairs (printf "%s=%s" $key (get $labels $key)) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "haproxy-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "haproxy-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The controller image: repository and tag, the tag defaulting to the chart's appVersion. */}}
{{- define "haproxy-gateway.controllerImage" -}}
{{- printf "%s:%s" .Values.controller.image.repository (default .Chart.AppVersion .Values.controller.image.tag) }}
{{- end }}

{{/* The HAProxy image. */}}
{{- define "haproxy-gateway.haproxyImage" -}}
{{- printf "%s:%s" .Values.haproxy.image.repository .Values.haproxy.image.tag }}
{{- end }}

{{/*
Whether replicas elect a leader that alone writes status: always with more than one replica (each
replica programs its own HAProxy, but two status writers would fight), else leaderElection.enabled.
*/}}
{{- define "haproxy-gateway.leaderElect" -}}
{{- if or (gt (int .Values.replicas) 1) .Values.leaderElection.enabled }}true{{ else }}false{{ end }}
{{- end }}

{{/* Both containers: no privileges, nothing written outside the shared emptyDir. */}}
{{- define "haproxy-gateway.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* A container's resources: requests, and limits when any are set. */}}
{{- define "haproxy-gateway.resources" -}}
{{- with .requests }}
requests:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .limits }}
limits:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
