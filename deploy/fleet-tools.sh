#!/usr/bin/env bash
# The offline tools that check the Helm chart and the Prometheus rules (the tests run this, and
# so can you). Nothing comes from GitHub or a vendor site, only from package registries:
#   helm, kubeconform, promtool  built from the Go module proxy with the machine's Go (go install
#                                verifies each module against the checksum database)
#   Kubernetes JSON schemas      the kubernetes-validate wheel (PyPI, sha256 pinned here),
#                                rewritten as standalone files by deploy/helm/k8s-schemas.js
#   PodMonitor, PrometheusRule   the CRDs in the prometheus-operator Go module
# Everything is cached in $EBPF_AUDIT_TOOLS (default /var/cache/ebpf-audit/tools); a rerun only
# prints paths. A first run takes several minutes (mostly compiling promtool and helm).
#   deploy/fleet-tools.sh helm|kubeconform|promtool   print the binary's path, building it if missing
#   deploy/fleet-tools.sh schemas                     print the schema directory (kubeconform layout)
#   deploy/fleet-tools.sh all                         all of the above
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

HELM_VERSION=v3.19.0
KUBECONFORM_VERSION=v0.8.0
# Prometheus v3 releases are tagged v0.3xx.y as Go module versions.
PROMETHEUS_VERSION=v0.316.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VALIDATE_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
# The Kubernetes versions the chart is validated against: the oldest one we document and the newest.
KUBERNETES_VERSIONS=(1.28.0 1.37.0)

tools=${EBPF_AUDIT_TOOLS:-/var/cache/ebpf-audit/tools}
log() { printf 'fleet-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

go_cmd() {
  local go
  go=$(command -v go || echo /usr/local/go/bin/go)
  [[ -x $go ]] || die "Go is missing (helm, kubeconform and promtool are built from the Go module proxy); install Go 1.26 or newer"
  echo "$go"
}

# go_tool NAME PACKAGE VERSION [BUILD FLAGS...] -> path of the binary
go_tool() {
  local name=$1 pkg=$2 version=$3; shift 3
  local dir=$tools/$name-$version
  if [[ ! -x $dir/$name ]]; then
    local go; go=$(go_cmd)
    log "building $name $version (go install $pkg@$version)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    GOBIN=$dir.tmp GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go" install -trimpath -ldflags='-s -w' "$@" "$pkg@$version" >&2 \
      || die "go install $pkg@$version failed"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/$name"
}

helm() { go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"; }
kubeconform() { go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"; }
# remove_all_sd leaves out the service-discovery plugins (cloud SDKs): a third of the build, and
# `check rules` / `test rules` do not use them.
promtool() { go_tool promtool github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_VERSION" -tags remove_all_sd; }

schemas() {
  local out=$tools/k8s-schemas-$KUBERNETES_VALIDATE_VERSION-$PROMETHEUS_OPERATOR_VERSION
  if [[ ! -f $out/.complete ]]; then
    command -v unzip >/dev/null || die "unzip is missing (apt-get install unzip)"
    work=$(mktemp -d /tmp/ebpf-audit-schemas.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    local wheel=$tools/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl
    if [[ ! -f $wheel ]] || [[ $(sha256sum "$wheel" | cut -d' ' -f1) != "$KUBERNETES_VALIDATE_SHA256" ]]; then
      log "fetching kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI (Kubernetes JSON schemas)"
      command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || die "pip is missing (apt-get install python3-pip)"
      python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2 \
        || die "pip download kubernetes-validate==$KUBERNETES_VALIDATE_VERSION failed"
      [[ $(sha256sum "$work/$(basename "$wheel")" | cut -d' ' -f1) == "$KUBERNETES_VALIDATE_SHA256" ]] || die "kubernetes-validate wheel: sha256 differs from the pinned one"
      mkdir -p "$tools" && mv "$work/$(basename "$wheel")" "$wheel"
    fi
    log "fetching prometheus-operator $PROMETHEUS_OPERATOR_VERSION from the Go module proxy (PodMonitor and PrometheusRule CRDs)"
    local go zip; go=$(go_cmd)
    zip=$(GOTOOLCHAIN=local GOFLAGS=-mod=mod "$go" mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
      | sed -n 's/^[[:space:]]*"Zip": "\(.*\)",\{0,1\}$/\1/p')
    [[ -f $zip ]] || die "go mod download of prometheus-operator $PROMETHEUS_OPERATOR_VERSION failed"
    local crd_dir=github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION/jsonnet/prometheus-operator
    unzip -q "$zip" "$crd_dir/podmonitors-crd.json" "$crd_dir/prometheusrules-crd.json" -d "$work"
    rm -rf "$out.tmp"
    local v
    for v in "${KUBERNETES_VERSIONS[@]}"; do
      unzip -q "$wheel" "kubernetes_validate/kubernetes-json-schema/v$v-local-strict/*" -d "$work"
      node "$root/deploy/helm/k8s-schemas.js" "$out.tmp/v$v-standalone-strict" "$work/kubernetes_validate/kubernetes-json-schema/v$v-local-strict" \
        "$work/$crd_dir/podmonitors-crd.json" "$work/$crd_dir/prometheusrules-crd.json"
    done
    touch "$out.tmp/.complete"
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

case ${1:-} in
  helm | kubeconform | promtool | schemas) "$1" ;;
  versions) echo "${KUBERNETES_VERSIONS[*]}" ;;
  all) helm; kubeconform; promtool; schemas ;;
  *) echo "usage: $0 helm|kubeconform|promtool|schemas|versions|all" >&2; exit 2 ;;
esac
