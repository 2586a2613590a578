{{- define "ebpf-audit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ebpf-audit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "ebpf-audit.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "ebpf-audit.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ebpf-audit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ebpf-audit.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels of every object; pass (dict "root" $ "component" "producer"). */}}
{{- define "ebpf-audit.labels" -}}
{{ include "ebpf-audit.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "ebpf-audit.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "ebpf-audit.tlsSecret" -}}
{{- .Values.kafka.tls.existingSecret | default (printf "%s-kafka-tls" (include "ebpf-audit.fullname" .)) -}}
{{- end -}}

{{- define "ebpf-audit.saslSecret" -}}
{{- .Values.kafka.sasl.existingSecret | default (printf "%s-kafka-sasl" (include "ebpf-audit.fullname" .)) -}}
{{- end -}}

{{/* Whether the TLS Secret carries the brokers' CA, and a client certificate. */}}
{{- define "ebpf-audit.tlsCA" -}}
{{- if or .Values.kafka.tls.existingSecret .Values.kafka.tls.ca }}true{{ end -}}
{{- end -}}
{{- define "ebpf-audit.tlsClientCert" -}}
{{- if or (and .Values.kafka.tls.existingSecret .Values.kafka.tls.clientCertificate) .Values.kafka.tls.cert }}true{{ end -}}
{{- end -}}

{{/*
The Kafka keys every command's config file shares, as YAML. Secrets are files under
/etc/ebpf-audit/kafka/ (projected from Secrets), never values in a ConfigMap.
*/}}
{{- define "ebpf-audit.kafkaConfig" -}}
{{- $k := .Values.kafka -}}
{{- $c := dict "brokers" (join "," $k.brokers) "topic-prefix" $k.topicPrefix -}}
{{- if $k.tls.enabled -}}
{{- $_ := set $c "tls" true -}}
{{- if include "ebpf-audit.tlsCA" . }}{{ $_ := set $c "tls-ca" "/etc/ebpf-audit/kafka/ca.crt" }}{{ end -}}
{{- if include "ebpf-audit.tlsClientCert" . -}}
{{- $_ := set $c "tls-cert" "/etc/ebpf-audit/kafka/tls.crt" -}}
{{- $_ := set $c "tls-key" "/etc/ebpf-audit/kafka/tls.key" -}}
{{- end -}}
{{- end -}}
{{- if $k.sasl.mechanism -}}
{{- $_ := set $c "sasl-mechanism" $k.sasl.mechanism -}}
{{- $_ := set $c "sasl-username" $k.sasl.username -}}
{{- $_ := set $c "sasl-password-file" "/etc/ebpf-audit/kafka/password" -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}

{{/* A command's config file: its `config` values over the shared Kafka keys. (dict "root" $ "config" .Values.x.config "extra" dict) */}}
{{- define "ebpf-audit.configFile" -}}
{{- $base := include "ebpf-audit.kafkaConfig" .root | fromYaml -}}
{{- $merged := merge (deepCopy (.config | default dict)) (.extra | default dict) $base -}}
{{- toYaml $merged -}}
{{- end -}}

{{/*
/etc/ebpf-audit as one projected volume: the command's config file (and the producer's filter
file, the detect rules), plus the Kafka credentials from Secrets.
*/}}
{{- define "ebpf-audit.etcVolume" -}}
{{- $root := .root -}}
- name: etc
  projected:
    defaultMode: 0440
    sources:
      - configMap:
          name: {{ include "ebpf-audit.fullname" $root }}-config
          items:
            - key: {{ .command }}.yaml
              path: {{ .command }}.yaml
            {{- if and (eq .command "producer") $root.Values.producer.filters }}
            - key: filters.json
              path: filters.json
            {{- end }}
      {{- if and (eq .command "detect") $root.Values.detect.rules }}
      - configMap:
          name: {{ include "ebpf-audit.fullname" $root }}-rules
          items:
            {{- range $name, $_ := $root.Values.detect.rules }}
            - key: {{ $name }}
              path: rules.d/{{ $name }}
            {{- end }}
      {{- end }}
      {{- if and $root.Values.kafka.tls.enabled (or (include "ebpf-audit.tlsCA" $root) (include "ebpf-audit.tlsClientCert" $root)) }}
      - secret:
          name: {{ include "ebpf-audit.tlsSecret" $root }}
          items:
            {{- if include "ebpf-audit.tlsCA" $root }}
            - key: ca.crt
              path: kafka/ca.crt
            {{- end }}
            {{- if include "ebpf-audit.tlsClientCert" $root }}
            - key: tls.crt
              path: kafka/tls.crt
            - key: tls.key
              path: kafka/tls.key
            {{- end }}
      {{- end }}
      {{- if $root.Values.kafka.sasl.mechanism }}
      - secret:
          name: {{ include "ebpf-audit.saslSecret" $root }}
          items:
            - key: password
              path: kafka/password
      {{- end }}
{{- end -}}

{{/* Rolls the pods when their configuration or credentials change. */}}
{{- define "ebpf-audit.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secrets: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}
