{{/* The components this chart runs, in a fixed order. */}}
{{- define "astrago.components" -}}
core batch monitor frontend
{{- end }}

{{- define "astrago.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-based name: "astrago" for release "astrago". */}}
{{- define "astrago.fullname" -}}
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

{{- define "astrago.selectorLabels" -}}
app.kubernetes.io/name: {{ include "astrago.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "astrago.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "astrago.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: astrago
{{- end }}

{{- define "astrago.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-sa" (include "astrago.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "astrago.databaseSecretName" -}}
{{- default (printf "%s-database" (include "astrago.fullname" .)) .Values.database.existingSecret }}
{{- end }}

{{- define "astrago.dataClaimName" -}}
{{- default (printf "%s-data" (include "astrago.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{/* registry/repository:tag of a component's image; global.imageRegistry wins when set. */}}
{{- define "astrago.image" -}}
{{- $image := .image -}}
{{- $registry := default $image.registry .global.imageRegistry -}}
{{- if $registry }}
{{- printf "%s/%s:%s" $registry $image.repository ($image.tag | toString) }}
{{- else }}
{{- printf "%s:%s" $image.repository ($image.tag | toString) }}
{{- end }}
{{- end }}
