#!/usr/bin/env bash
# A clean Debian 12 (bookworm) tree with systemd as init, for the package and unit tests: it is
# what a fresh host looks like (no Node, no toolchain), and systemd-nspawn boots it. Built once
# with debootstrap (about 1 min) and cached outside the repository; prints its path.
#   deploy/debian/rootfs.sh            build if missing, print the path
#   deploy/debian/rootfs.sh --rebuild  build again
# Mirror: the first Debian mirror in the host's apt sources (deb.debian.org otherwise).
set -euo pipefail

cache=${EBPF_AUDIT_ROOTFS_CACHE:-/var/cache/ebpf-audit}
dir=$cache/debian12-rootfs
log() { printf 'rootfs: %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "run as root (debootstrap)"; exit 1; }
[[ ${1:-} == --rebuild ]] && rm -rf "$dir"
if [[ -f $dir/.complete ]]; then echo "$dir"; exit 0; fi

for tool in debootstrap systemd-nspawn; do
  command -v "$tool" >/dev/null || { log "$tool missing: deploy/install.sh installs it (packages debootstrap, systemd-container)"; exit 1; }
done
mirror=$(grep -hoE '^(deb|URIs:) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | awk '{print $2}' | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

rm -rf "$dir.tmp"
mkdir -p "$cache"
log "debootstrap bookworm from $mirror into $dir (once; about a minute)"
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$dir.tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 \
  || { log "debootstrap failed; see $cache/debootstrap.log"; tail -5 "$cache/debootstrap.log" >&2; exit 1; }
# A boot that reaches multi-user.target without waiting on consoles or the network.
echo debian12 >"$dir.tmp/etc/hostname"
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$dir.tmp/etc/apt/sources.list"
chroot "$dir.tmp" apt-get update -qq >>"$cache/debootstrap.log" 2>&1
chroot "$dir.tmp" apt-get clean
touch "$dir.tmp/.complete"
mv "$dir.tmp" "$dir"
log "done"
echo "$dir"
