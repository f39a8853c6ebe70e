{{/* The chart name, or nameOverride. */}}
{{- define "agentfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the objects: <release>-<chart>, or the release name alone when it
already contains the chart name. 63 characters at most (a DNS label).
*/}}
{{- define "agentfleet.fullname" -}}
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

{{/* Labels that select the operator pods; they never change across upgrades. */}}
{{- define "agentfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agentfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "agentfleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "agentfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agentfleet
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "agentfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "agentfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "agentfleet.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The rules the operator needs where fleets live, each verb matched to a call of
the code (controller/): the informers list and watch fleets and pods; the
reconciler patches the fleet (finalizer), its status, and pods (assignment,
retirement), creates and deletes pods, and reads the Secrets a fleet refers to
by name; the event recorder creates and patches events.k8s.io Events.
pricingagentfleets/finalizers update is what the OwnerReferencesPermissionEnforcement
admission plugin asks for to create pods with blockOwnerDeletion owner
references. Secrets: get only, never list or watch.
*/}}
{{- define "agentfleet.fleetRules" -}}
- apiGroups: [agentfleet.io]
  resources: [pricingagentfleets]
  verbs: [get, list, watch, patch]
- apiGroups: [agentfleet.io]
  resources: [pricingagentfleets/status]
  verbs: [patch]
- apiGroups: [agentfleet.io]
  resources: [pricingagentfleets/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [metrics.k8s.io]
  resources: [pods]
  verbs: [list]
{{- end }}
