{{/*
Full image name from an image map, the way bitnami's common chart builds it
(common.images.image): the global registry, when set, wins over the image's
own registry; a digest, when set, wins over the tag; an empty tag falls back
to the chart's appVersion.
Usage: {{ include "common.images.image" (dict "imageRoot" .Values.image "global" .Values.global "chart" .Chart) }}
*/}}
{{- define "common.images.image" -}}
{{- $registry := .imageRoot.registry -}}
{{- if and .global .global.imageRegistry -}}
  {{- $registry = .global.imageRegistry -}}
{{- end -}}
{{- $separator := ":" -}}
{{- $termination := toString .imageRoot.tag -}}
{{- if and (not .imageRoot.tag) .chart -}}
  {{- $termination = toString .chart.AppVersion -}}
{{- end -}}
{{- if .imageRoot.digest -}}
  {{- $separator = "@" -}}
  {{- $termination = toString .imageRoot.digest -}}
{{- end -}}
{{- if $registry -}}
  {{- printf "%s/%s%s%s" $registry .imageRoot.repository $separator $termination -}}
{{- else -}}
  {{- printf "%s%s%s" .imageRoot.repository $separator $termination -}}
{{- end -}}
{{- end -}}

{{- define "bitnami-style.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
