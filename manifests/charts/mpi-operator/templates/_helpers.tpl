{{- define "mpi-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "mpi-operator" for release "mpi-operator". */}}
{{- define "mpi-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "mpi-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mpi-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: mpijob
{{- end }}

{{- define "mpi-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "mpi-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mpi-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mpi-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mpi-operator.image" -}}
{{- $image := .Values.image -}}
{{- if $image.registry }}
{{- printf "%s/%s:%s" $image.registry $image.repository ($image.tag | toString) }}
{{- else }}
{{- printf "%s:%s" $image.repository ($image.tag | toString) }}
{{- end }}
{{- end }}
