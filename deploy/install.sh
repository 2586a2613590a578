#!/usr/bin/env bash
# Installs everything ebpf-audit needs on Debian 12 (as root) and builds it. Idempotent: packages
# already present are not reinstalled, and a second run only rebuilds.
#   Debian: clang/llvm (BPF compiler), libbpf-dev + bpftool (headers, vmlinux.h, linking),
#           gcc/make, g++ + python3 (node-gyp compiles better-sqlite3 at npm ci), libbpf1
#           (loaded at run time through ffi-rs), maven + a JRE (local Kafka and schema registry),
#           python3-venv (the tests' independent Confluent reader),
#           curl + ca-certificates (the Node runtime), debootstrap + systemd-container (the
#           package tests boot a clean Debian 12 with systemd-nspawn), chromium + a font (the
#           web console's browser tests drive Debian's Chromium with playwright-core).
#   Node:   20 or newer. Debian 12's nodejs is 18, so unless a Node 20+ is already on the PATH,
#           deploy/node-runtime.sh installs the pinned official Node 20 binary and npm from the
#           npm registry into /usr/local (which comes first on the PATH).
#   npm:    the locked dependencies (npm ci), then the build (BPF object + TypeScript).
#   Maven:  the local OpenSearch node's jars (deploy/opensearch/local.sh fetch).
#   deploy/install.sh                 all of the above
#   deploy/install.sh --runtime-only  curl, ca-certificates and Node only (a host that runs the
#                                     commands but does not build; the runtime test)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'install: %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "run as root (apt-get, and eBPF later)"; exit 1; }
runtime_only=0
[[ ${1:-} == --runtime-only ]] && runtime_only=1

packages=(curl ca-certificates)
((runtime_only)) || packages+=(clang llvm libbpf-dev libbpf1 bpftool make gcc g++ python3 maven openjdk-17-jre-headless debootstrap systemd-container python3-venv chromium fonts-dejavu-core)
# The Falco rules e2e test connects with ssh (a rule watches ssh on non-standard ports).
((runtime_only)) || packages+=(openssh-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# bpftool is in /usr/sbin; maven may be installed outside dpkg on some images: accept the commands.
if ((${#missing[@]})); then
  tmp=(); for p in "${missing[@]}"; do
    case $p in
      bpftool) command -v bpftool >/dev/null || tmp+=("$p") ;;
      maven) command -v mvn >/dev/null || tmp+=("$p") ;;
      openjdk-17-jre-headless) command -v java >/dev/null || tmp+=("$p") ;;
      *) tmp+=("$p") ;;
    esac
  done
  missing=("${tmp[@]}")
fi
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH=/usr/local/bin:$PATH
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  [[ $node_major == 0 ]] && log "no Node on the PATH" || log "Node $(node --version) on the PATH is too old (20+ needed)"
  deploy/node-runtime.sh install
  hash -r
fi
log "node $(node --version) at $(command -v node), npm $(npm --version)"
((runtime_only)) && exit 0

log "npm ci"
npm ci --no-audit --no-fund --loglevel=error >&2
log "building (BPF object + TypeScript)"
npm run --silent build >&2
# The OpenSearch node the store's tests use: its jars from Maven Central (it runs on a Java 21+,
# which local.sh finds at start; this machine kind ships Temurin 25).
deploy/opensearch/local.sh fetch
log "done"
