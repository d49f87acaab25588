{{/* Names and labels shared by every object of the chart. */}}
{{- define "privsplit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "privsplit.vllmName" -}}
{{- printf "%s-vllm" (include "privsplit.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "privsplit.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: privsplit
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "privsplit.gatewaySelector" -}}
app.kubernetes.io/name: privsplit-cloud
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "privsplit.vllmSelector" -}}
app.kubernetes.io/name: privsplit-cloud
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: engine
{{- end -}}

{{/* The engine URL: the in-chart vLLM Service when enabled, else config.openai.base_url. */}}
{{- define "privsplit.engineURL" -}}
{{- if .Values.vllm.enabled -}}
{{- printf "http://%s:%d/v1" (include "privsplit.vllmName" .) (int .Values.vllm.port) -}}
{{- else -}}
{{- .Values.config.openai.base_url -}}
{{- end -}}
{{- end -}}

{{/* The mTLS health check the probes run (grpc.health.v1 over mTLS, as the probe client). */}}
{{- define "privsplit.healthCommand" -}}
- privsplit
- cloud
- health
- --address
- {{ printf "127.0.0.1:%d" (int .Values.config.port) | quote }}
- --server-name
- {{ .Values.tls.serverName | quote }}
- --tls-ca
- /run/privsplit/tls/ca.pem
- --tls-cert
- /run/privsplit/tls/client-probe.pem
- --tls-key
- /run/privsplit/tls/client-probe.key
- --timeout
- "4"
{{- end -}}
