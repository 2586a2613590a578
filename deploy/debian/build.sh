#!/usr/bin/env bash
# Builds the Debian package from this tree (after `npm run build`): `npm run package` runs it.
#   deploy/debian/build.sh [--version X] [--out DIR] [--uncompressed]  -> DIR/ebpf-audit_X_<arch>.deb
# (--uncompressed: faster to build and install, for the package tests; 115 MB instead of 39 MB)
# Contents:
#   /usr/lib/ebpf-audit/      dist/ (no tests), the runtime files beside the sources (schemas,
#                             default rules ...), the BPF object, production node_modules (with
#                             the kafkajs patches already applied), package.json
#   /usr/lib/ebpf-audit/node  Node 20 (deploy/node-runtime.sh): Debian 12's nodejs is 18
#   /usr/bin/ebpf-audit-*     the three commands, on that Node
#   /lib/systemd/system/      deploy/systemd/*
#   /etc/ebpf-audit/*.yaml    default configs (conffiles: kept and merged by dpkg on upgrade)
# Depends only on packages of Debian 12's own repositories (libbpf1 and the C/C++ runtime).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

version=$(node -p 'require("./package.json").version')
out=$root/dist/package
compression=(-Zgzip -z6)
while (($#)); do
  case $1 in
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --uncompressed) compression=(-Znone); shift ;;
    *) echo "usage: $0 [--version X] [--out DIR] [--uncompressed]" >&2; exit 2 ;;
  esac
done
log() { printf 'package: %s\n' "$*" >&2; }
[[ -f dist/producer/cli.js && -f bpf/build/ebpf-audit.bpf.o ]] || { log "build first: npm run build"; exit 1; }
command -v dpkg-deb >/dev/null || { log "dpkg-deb missing"; exit 1; }
arch=$(dpkg --print-architecture)

stage=$(mktemp -d /tmp/ebpf-audit-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
lib=$stage/usr/lib/ebpf-audit
mkdir -p "$lib" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/ebpf-audit" "$stage/usr/share/doc/ebpf-audit" "$stage/DEBIAN"

log "staging the program"
# The compiled form of each source file (not whatever else dist/ holds from older builds).
find bpf common consumer producer schemas -name '*.ts' ! -name '*.d.ts' | sed 's|^\(.*\)\.ts$|dist/\1.js|' >"$stage/files"
while read -r f; do [[ -f $f ]] || { log "$f missing: npm run build"; exit 1; }; done <"$stage/files"
tar -cf - -T "$stage/files" | tar -xf - -C "$lib"
rm "$stage/files"
# Files the code reads beside its sources at run time (schemas/*.avsc, the default rule pack ...).
find common consumer producer schemas -type f ! -name '*.ts' -print0 | tar -cf - --null -T - | tar -xf - -C "$lib"
mkdir -p "$lib/bpf/build" && cp bpf/build/ebpf-audit.bpf.o "$lib/bpf/build/"
# The web console's page, built by npm run build (web/build.mjs).
mkdir -p "$lib/dist/web" && cp dist/web/index.html dist/web/app.js dist/web/app.css dist/web/icon.svg "$lib/dist/web/"
cp package.json package-lock.json "$lib/"
# The installed (and patched) dependencies, minus the dev ones: `npm ci --omit=dev` would skip
# the patch-package step (a dev dependency) and ship an unpatched kafkajs.
cp -a node_modules "$lib/node_modules"
(cd "$lib" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >&2)
[[ -d $lib/node_modules/patch-package || -d $lib/node_modules/typescript ]] && { log "dev dependencies left in the package"; exit 1; }
grep -qr "ebpf-audit patch" "$lib/node_modules/kafkajs/src" || { log "kafkajs is not patched"; exit 1; }

log "Node runtime"
deploy/node-runtime.sh fetch "$lib/node"

for cmd in producer:producer/cli.js consumer:consumer/cli.js topics:producer/topics-cli.js; do
  name=${cmd%%:*} file=${cmd#*:}
  # Node flags from the script's own first line (#!/usr/bin/env -S node FLAGS): the producer's
  # young-generation size and its collector on the main thread, which only Node's command line sets.
  flags=$(sed -n '1s|^#!/usr/bin/env -S node||p' "dist/$file")
  printf '#!/bin/sh\nexec /usr/lib/ebpf-audit/node/bin/node%s /usr/lib/ebpf-audit/dist/%s "$@"\n' "$flags" "$file" >"$stage/usr/bin/ebpf-audit-$name"
  chmod 755 "$stage/usr/bin/ebpf-audit-$name"
done
cp deploy/systemd/*.service "$stage/lib/systemd/system/"
cp deploy/etc/*.yaml "$stage/etc/ebpf-audit/"
cp README.md "$stage/usr/share/doc/ebpf-audit/"
cp deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$stage/DEBIAN/"
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) >"$stage/DEBIAN/conffiles"

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: ebpf-audit
Version: $version
Architecture: $arch
Maintainer: ebpf-audit maintainers <ebpf-audit@localhost>
Installed-Size: $size
Depends: libbpf1 (>= 1:0.8), libc6 (>= 2.28), libgcc-s1, libstdc++6, passwd
Recommends: systemd
Section: admin
Priority: optional
Homepage: https://github.com/ebpf-audit/ebpf-audit
Description: Linux audit pipeline: eBPF capture to Kafka, console tail and detection
 A producer captures, in the kernel with eBPF, which process opens which file, connects to
 which address, and which programs start and exit, and publishes the events to Apache Kafka
 (Avro). Consumers print them (tail) and run detection rules (detect).
 .
 Carries its own Node.js $("$lib/node/bin/node" --version) runtime in /usr/lib/ebpf-audit/node.
EOF

find "$stage" -type d -exec chmod 755 {} +
chmod -R u+rwX,go+rX,go-w "$stage/usr" "$stage/lib" "$stage/etc"
mkdir -p "$out"
deb=$out/ebpf-audit_${version}_$arch.deb
log "dpkg-deb -> $deb"
dpkg-deb --root-owner-group "${compression[@]}" --build "$stage" "$deb" >/dev/null
echo "$deb"
