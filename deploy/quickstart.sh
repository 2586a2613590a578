#!/usr/bin/env bash
# Quick start: install and build, start the local Kafka broker, then run the producer in the
# background and a console tail in the foreground. Ctrl+C stops both; nothing stays attached.
#   deploy/quickstart.sh [producer options] [-- tail options]
# Every option goes to the producer; the connection and topic options (--brokers, --topic-prefix,
# --tls*, --sasl-*) go to the tail as well, so both use the same topics. Options after `--` go to
# the tail only (--where, --kind, --output ...). EBPF_AUDIT_<OPTION> variables reach both anyway. EBPF_AUDIT_QUICKSTART_SKIP_INSTALL=1 skips deploy/install.sh (a
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
args=()
tail_only=()
seen_dashes=0
for a in "$@"; do
  if ((seen_dashes)); then tail_only+=("$a"); elif [[ $a == -- ]]; then seen_dashes=1; else args+=("$a"); fi
done
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
log=$logdir/producer.log
start_line=$(($(wc -l 2>/dev/null <"$log" || echo 0) + 1)) # 2>/dev/null first: it also hides the shell's error for a log not there yet
# Run through its first line, which gives Node the producer's flags (README: Memory budget). In a
# session of its own: Ctrl+C signals the terminal's whole process group, and the producer would
# get that SIGINT and then cleanup's, which it takes as "exit now", skipping the flush and the
# final stats. So the producer gets exactly one SIGINT, from cleanup. (Not a group leader here,
# setsid execs the producer itself: $! is its pid.)
setsid dist/producer/cli.js "${args[@]}" 2>>"$log" &
producer=$!
cleanup() {
  kill -INT "$producer" 2>/dev/null && wait "$producer" 2>/dev/null || true
  # What this run of the producer captured and lost, from its final stats line.
  tail -n +"$start_line" "$log" | node -e '
    const line = require("fs").readFileSync(0, "utf8").split("\n").reverse().find((l) => l.includes("\"final stats\""));
    if (!line) process.exit(0);
    const s = JSON.parse(line).stats, k = Object.values(s.kernel);
    const sum = (f) => k.reduce((n, c) => n + (c[f] || 0), 0);
    console.error(`quickstart: the producer captured ${sum("emitted")} events, sent ${s.publisher.sent} messages to Kafka, lost ${s.lost}` +
      (s.lost ? ` (ring buffer full ${sum("ringFull")}, stash full ${sum("stashFull")})` : ""));' || true
  printf 'quickstart: producer stopped; its log is %s\n' "$log" >&2
}
trap cleanup EXIT
trap 'exit 0' INT TERM HUP
printf 'quickstart: every file open, connect, exec, exit and privilege change on this host, live (producer pid %s, log %s).\n' "$producer" "$log" >&2
printf 'quickstart: Ctrl+C stops both. To narrow it, pass tail options after --, e.g.  deploy/quickstart.sh -- --where '"'"'not proc.exepath endswith /bin/java and not proc.exepath endswith /bin/node'"'"' --kind file\n' >&2
node dist/consumer/cli.js tail "${shared[@]}" "${tail_only[@]}"
