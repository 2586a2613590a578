{{/*
A consumer Deployment: (dict "root" $ "command" "detect" "values" .Values.detect
"volumes" (list) "mounts" (list) "ports" (list) "strategy" dict). Consumers need no privilege:
no capabilities, an unprivileged user, a read-only root file system, no service account token.
*/}}
{{- define "ebpf-audit.consumer" -}}
{{- $root := .root -}}
{{- $v := .values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "ebpf-audit.fullname" $root }}-{{ .command }}
  labels:
    {{- include "ebpf-audit.labels" (dict "root" $root "component" .command) | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  {{- with .strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "ebpf-audit.selectorLabels" (dict "root" $root "component" .command) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "ebpf-audit.labels" (dict "root" $root "component" .command) | nindent 8 }}
      annotations:
        {{- include "ebpf-audit.checksums" $root | nindent 8 }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "ebpf-audit.fullname" $root }}
      automountServiceAccountToken: false
      securityContext:
        {{- toYaml $root.Values.consumerSecurityContext | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .command }}
          image: {{ include "ebpf-audit.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            - consumer
            - {{ .command }}
            {{- with $v.extraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with .ports }}
          ports:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            - {name: etc, mountPath: /etc/ebpf-audit, readOnly: true}
            - {name: tmp, mountPath: /tmp}
            {{- with .mounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "ebpf-audit.etcVolume" (dict "root" $root "command" .command) | nindent 8 }}
        - name: tmp
          emptyDir: {medium: Memory, sizeLimit: 16Mi}
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
