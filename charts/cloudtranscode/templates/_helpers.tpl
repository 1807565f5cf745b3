{{/* Names, labels and shared pod bits. Component names: operator, api-server, runner. */}}

{{- define "cloudtranscode.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped base name, as in bitnami's common.names.fullname. */}}
{{- define "cloudtranscode.fullname" -}}
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

{{/* Name of one component's objects: (dict "ctx" $ "component" "operator"). */}}
{{- define "cloudtranscode.componentName" -}}
{{- printf "%s-%s" (include "cloudtranscode.fullname" .ctx | trunc 50 | trimSuffix "-") .component }}
{{- end }}

{{- define "cloudtranscode.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cloudtranscode.labels" -}}
helm.sh/chart: {{ include "cloudtranscode.chart" . }}
app.kubernetes.io/name: {{ include "cloudtranscode.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cloudtranscode
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component: (dict "ctx" $ "component" "operator"). */}}
{{- define "cloudtranscode.componentLabels" -}}
{{ include "cloudtranscode.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Immutable selector of one component's pods. */}}
{{- define "cloudtranscode.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cloudtranscode.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* ServiceAccount name of a component: (dict "ctx" $ "component" "operator" "values" .Values.operator). */}}
{{- define "cloudtranscode.serviceAccountName" -}}
{{- if .values.serviceAccount.create }}
{{- default (include "cloudtranscode.componentName" .) .values.serviceAccount.name }}
{{- else }}
{{- default "default" .values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cloudtranscode.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "cloudtranscode.apiServerUrl" -}}
{{- printf "http://%s.%s.svc:%v" (include "cloudtranscode.componentName" (dict "ctx" . "component" "api-server")) .Release.Namespace .Values.apiServer.service.port }}
{{- end }}

{{/* URL runners and payloads use to reach the api-server: explicit, else the first Ingress host, else the Service. */}}
{{- define "cloudtranscode.publicUrl" -}}
{{- if .Values.apiServer.publicUrl }}
{{- .Values.apiServer.publicUrl | trimSuffix "/" }}
{{- else if and .Values.apiServer.ingress.enabled .Values.apiServer.ingress.hosts }}
{{- $host := (first .Values.apiServer.ingress.hosts).host }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.apiServer.ingress.tls) 0)) $host }}
{{- else }}
{{- include "cloudtranscode.apiServerUrl" . }}
{{- end }}
{{- end }}

{{- define "cloudtranscode.registrationTokenSecret" -}}
{{- default (printf "%s-registration-token" (include "cloudtranscode.fullname" .)) .Values.registrationToken.existingSecret }}
{{- end }}

{{- define "cloudtranscode.adminTokenSecret" -}}
{{- default (printf "%s-admin-token" (include "cloudtranscode.fullname" .)) .Values.apiServer.adminToken.existingSecret }}
{{- end }}

{{/* Namespace the operator and api-server watch: the release's, or all ("") with rbac.scope=Cluster. */}}
{{- define "cloudtranscode.watchNamespace" -}}
{{- if eq .Values.rbac.scope "Cluster" }}{{- else }}{{ .Release.Namespace }}{{- end }}
{{- end }}

{{/* AWS settings shared by the operator and the api-server. */}}
{{- define "cloudtranscode.awsEnv" -}}
- name: AWS_REGION
  value: {{ .Values.aws.region | quote }}
{{- with .Values.aws.endpoint }}
- name: CT_AWS_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: CT_S3_FORCE_PATH_STYLE
  value: {{ .Values.aws.s3ForcePathStyle | quote }}
{{- with .Values.aws.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.aws.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.aws.secretAccessKeyKey }}
{{- end }}
{{- end }}

{{/* Env of the components that talk to the Kubernetes API (namespace for namespaceOf) and the log level. */}}
{{- define "cloudtranscode.podEnv" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{ include "cloudtranscode.logEnv" . }}
{{- end }}

{{- define "cloudtranscode.logEnv" -}}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end }}

{{/* Pod-level bits shared by all Deployments: (dict "ctx" $ "values" .Values.operator). */}}
{{- define "cloudtranscode.podScheduling" -}}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "cloudtranscode.leaseName" -}}
{{- default (include "cloudtranscode.componentName" (dict "ctx" . "component" "operator")) .Values.operator.leaderElection.leaseName }}
{{- end }}
