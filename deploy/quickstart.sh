#!/usr/bin/env bash
# Quick start: install and build, start the local Kafka broker, then run the producer in the
# background and a console tail in the foreground. Ctrl+C stops both; nothing stays attached.
#   deploy/quickstart.sh [producer options]
# Every option goes to the producer; the connection and topic options (--brokers, --topic-prefix,
# --tls*, --sasl-*) go to the tail as well, so both use the same topics. EBPF_AUDIT_<OPTION>
# variables reach both anyway. EBPF_AUDIT_QUICKSTART_SKIP_INSTALL=1 skips deploy/install.sh (a
# tree that is already built: the test of this script).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${EBPF_AUDIT_QUICKSTART_SKIP_INSTALL:-0} == 1 ]] || deploy/install.sh
export PATH=/usr/local/bin:$PATH # where install.sh puts Node 20 when the system's is older
deploy/kafka/local.sh start

# The options both commands share: with a value, and without one.
shared_value=' --brokers --topic-prefix --tls-ca --tls-cert --tls-key --sasl-mechanism --sasl-username --sasl-password-file '
shared_flag=' --tls '
shared=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  a=${args[i]}
  if [[ $shared_flag == *" $a "* || $shared_value == *" ${a%%=*} "* && $a == *=* ]]; then
    shared+=("$a")
  elif [[ $shared_value == *" $a "* ]]; then
    shared+=("$a" "${args[i + 1]:-}")
    i=$((i + 1))
  fi
done

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
node dist/consumer/cli.js tail "${shared[@]}"
