#!/usr/bin/env bash
# BPF run time per open of two builds, measured in the same loop passes: the producers of this tree
# and of OTHER (another checkout, built) are attached at once, so both see the same load, which on
# a shared machine moves bpf-cost.sh's figures by tens of percent from run to run. Each round
# alternates which one attaches first (the first program to run pays more for cold caches).
# Root, local broker.
#   test/bench/bpf-cost-pair.sh OTHER [rounds=4] [opens=300000]
#   (EBPF_AUDIT_SYSCALL_HOOKS=tracepoint for the fallback set; EBPF_AUDIT_PRODUCER_ARGS for filters;
#    EBPF_AUDIT_PID_FILTER=1: one loop process for every pass, and both producers run with
#    --include-pid of it, as in test/bench/peers.ts)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
here=$PWD
other=$(cd "$1" && pwd)
rounds=${2:-4}
opens=${3:-300000}
mkdir -p test/bench/build
cc -O2 -o test/bench/build/loadgen test/bench/loadgen.c
cc -O2 -o test/bench/build/stats-on test/bench/stats-on.c
work=$(mktemp -d /tmp/ea-bpf-pair.XXXXXX)
: >"$work/target"
pids=()
loop=
# With EBPF_AUDIT_PID_FILTER=1 one loop process runs every pass (a byte on fd 3 starts one), so its
# pid can be the producers' filter.
if [[ ${EBPF_AUDIT_PID_FILTER:-0} == 1 ]]; then
  mkfifo "$work/go"
  LOADGEN_STDIN=1 taskset -c 1 test/bench/build/loadgen "$opens" "$work/target" <"$work/go" >"$work/loop.out" &
  loop=$!
  exec 3>"$work/go"
fi
filter=()
[[ -n $loop ]] && filter=(--include-pid "$loop")
# One pass of the loop, under stats-on (BPF statistics held on while it runs); prints its JSON line.
run_pass() {
  if [[ -z $loop ]]; then
    test/bench/build/stats-on taskset -c 1 test/bench/build/loadgen "$opens" "$work/target"
  else
    test/bench/build/stats-on bash -c 'n=$(wc -l <"$1"); printf x >&3; while (($(wc -l <"$1") <= n)); do sleep 0.05; done; tail -n1 "$1"' _ "$work/loop.out"
  fi
}
# Producers start in a command substitution's subshell: not this shell's children, so no wait(1).
stop() { kill -INT "$@" 2>/dev/null || true; for p in "$@"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done; }
trap '(( ${#pids[@]} )) && stop "${pids[@]}"; [[ -n $loop ]] && exec 3>&- && wait $loop; rm -rf "$work"' EXIT
# Starts the producer of tree $1, logging to $2; prints its pid once it captures.
start() {
  (cd "$1" && exec taskset -c 0 node dist/producer/cli.js --topic-prefix "bench-pair-$(date +%s%N)" --ring-buffer-mb 64 --log-level info \
    --syscall-hooks "${EBPF_AUDIT_SYSCALL_HOOKS:-auto}" ${EBPF_AUDIT_PRODUCER_ARGS:-} "${filter[@]}" --spool-dir "$2.spool" 2>"$2" >/dev/null) &
  local pid=$!
  for _ in $(seq 1 150); do grep -qs '"msg":"capturing"' "$2" && break; sleep 0.2; done
  echo "$pid"
}
ids() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | tr '\n' ,; }
echo "this tree: $here; other: $other; $opens opens per pass, hooks ${EBPF_AUDIT_SYSCALL_HOOKS:-auto}${loop:+, producers filter --include-pid $loop (the loop)}"
for r in $(seq 1 "$rounds"); do
  if ((r % 2)); then first=$here second=$other; else first=$other second=$here; fi
  a=$(start "$first" "$work/a$r.log"); pids=("$a")
  b=$(start "$second" "$work/b$r.log"); pids+=("$b")
  sleep 1
  before=$(bpftool -j prog show)
  pass=$(run_pass)
  during=$(bpftool -j prog show)
  # An equal window without the loop: the programs' runs for other processes' syscalls.
  test/bench/build/stats-on sleep "$(node -p 'JSON.parse(process.argv[1]).seconds' "$pass")"
  after=$(bpftool -j prog show)
  ida=$(ids "$a") idb=$(ids "$b")
  stop "$a" "$b"
  pids=()
  ROUND=$r OPENS=$opens NAMES="$first,$second" IDS="$ida;$idb" LOAD=$(cut -d' ' -f1 /proc/loadavg) node -e '
const [b, d, a] = process.argv.slice(1).map((j) => new Map(JSON.parse(j).map((p) => [p.id, p])));
const n = Number(process.env.OPENS);
const names = process.env.NAMES.split(",");
const out = process.env.IDS.split(";").map((list, i) => {
  const ids = list.split(",").filter(Boolean).map(Number);
  const ns = (x, y) => ids.reduce((t, id) => t + (y.get(id)?.run_time_ns ?? 0) - (x.get(id)?.run_time_ns ?? 0), 0);
  const pass = ns(b, d), bg = ns(d, a);
  return `${i ? "second" : "first"} ${names[i]}: ${(pass / n).toFixed(0)} ns per open (net of the background ${((pass - bg) / n).toFixed(0)} ns)`;
});
console.log(`round ${process.env.ROUND}, load ${process.env.LOAD}: ${out.join("; ")}`);
' "$before" "$during" "$after"
done
