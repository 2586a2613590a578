#!/usr/bin/env bash
# Installs everything ebpf-audit needs on Debian 12 (as root) and builds it. Idempotent: packages
# already present are not reinstalled, and a second run only rebuilds.
#   Debian: clang/llvm (BPF compiler), libbpf-dev + bpftool (headers, vmlinux.h, linking),
#           gcc/make, libbpf1 (loaded at run time through ffi-rs), maven + a JRE (local Kafka and
#           schema registry), python3-venv (the tests' independent Confluent reader).
#   npm:    the locked dependencies (npm ci), then the build (BPF object + TypeScript).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'install: %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "run as root (apt-get, and eBPF later)"; exit 1; }

packages=(clang llvm libbpf-dev libbpf1 bpftool make gcc maven openjdk-17-jre-headless ca-certificates python3-venv)
command -v node >/dev/null || packages+=(nodejs npm)
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

node_major=$(node -p 'process.versions.node.split(".")[0]')
(( node_major >= 20 )) || log "warning: Node $(node --version) found; ebpf-audit is tested on Node 20+"

log "npm ci"
npm ci --no-audit --no-fund --loglevel=error >&2
log "building (BPF object + TypeScript)"
npm run --silent build >&2
log "done"
