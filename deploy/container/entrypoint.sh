#!/bin/sh
# The image's entrypoint: the first argument names the command, the rest are its options.
#   producer [options]           ebpf-audit-producer
#   consumer tail|detect|... [options]
#   topics create|check [options]
set -eu
usage() {
  echo "usage: producer|consumer|topics [options]   (each with --help)" >&2
  exit "$1"
}
[ $# -ge 1 ] || usage 2
cmd=$1
shift
case $cmd in
  producer | consumer | topics) exec "/usr/bin/ebpf-audit-$cmd" "$@" ;;
  -h | --help | help) usage 0 ;;
  *) echo "unknown command: $cmd" >&2; usage 2 ;;
esac
