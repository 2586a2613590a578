#!/usr/bin/env bash
# Quick start: install and build, start the local Kafka broker, then run the producer in the
# background and a console tail in the foreground. Ctrl+C stops both; nothing stays attached.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
deploy/install.sh
deploy/kafka/local.sh start

logdir=${EBPF_AUDIT_LOG_DIR:-/var/log/ebpf-audit}
mkdir -p "$logdir"
node dist/producer/cli.js "$@" 2>>"$logdir/producer.log" &
producer=$!
cleanup() {
  kill -INT "$producer" 2>/dev/null && wait "$producer" 2>/dev/null || true
  printf 'quickstart: producer stopped; its log is %s\n' "$logdir/producer.log" >&2
}
trap cleanup EXIT
trap 'exit 0' INT TERM
printf 'quickstart: producer running (pid %s, log %s); tailing events, Ctrl+C to stop\n' "$producer" "$logdir/producer.log" >&2
node dist/consumer/cli.js tail
