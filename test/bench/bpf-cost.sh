#!/usr/bin/env bash
# BPF run time per event (kernel.bpf_stats_enabled: run_time_ns / run_cnt of each program) and
# the open/close loop's rate alone and while the producer runs and drains. Root, local broker.
#   test/bench/bpf-cost.sh [opens=300000]      (EBPF_AUDIT_SYSCALL_HOOKS=tracepoint for the fallback set)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
opens=${1:-300000}
mkdir -p test/bench/build
cc -O2 -o test/bench/build/loadgen test/bench/loadgen.c
# The target file, the producer's own spool and its log live in one temporary directory, removed at exit.
work=$(mktemp -d /tmp/ea-bpf-cost.XXXXXX)
target=$work/target
log=$work/producer.log
prev=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled=$prev; [[ -n ${pid:-} ]] && kill -INT $pid 2>/dev/null && wait $pid; rm -rf "$work"' EXIT
alone=$(taskset -c 1 test/bench/build/loadgen "$opens" "$target")
sysctl -qw kernel.bpf_stats_enabled=0
taskset -c 0 node dist/producer/cli.js --topic-prefix "bench-cost-$$" --ring-buffer-mb 64 --log-level info --syscall-hooks "${EBPF_AUDIT_SYSCALL_HOOKS:-auto}" --spool-dir "$work/spool" 2>"$log" &
pid=$!
for _ in $(seq 1 150); do grep -q '"msg":"capturing"' "$log" && break; sleep 0.2; done
sleep 1
# The loop's rate with stats off (as in production: stats add two clock reads to every run),
# then the programs' run time in a second pass with stats on.
monitored=$(taskset -c 1 test/bench/build/loadgen "$opens" "$target")
sysctl -qw kernel.bpf_stats_enabled=1
taskset -c 1 test/bench/build/loadgen "$opens" "$target" >/dev/null
sysctl -qw kernel.bpf_stats_enabled=0
progs=$(bpftool -j prog show)
# This producer's programs, from its fds (bpftool here lists no pids): other producers may run.
own_ids=$(grep -h '^prog_id:' /proc/$pid/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | tr '\n' ,)
kill -INT $pid && wait $pid || true
pid=
final=$(grep '"final stats"' "$log")
OPENS=$opens OWN_IDS=$own_ids node -e '
const [progsJson, alone, mon, final] = process.argv.slice(1);
const own = (p) => process.env.OWN_IDS.split(",").includes(String(p.id));
const progs = JSON.parse(progsJson).filter((p) => p.name && p.name.startsWith("ea_") && p.run_cnt && own(p));
const stats = JSON.parse(final).stats;
// Run time was measured during the second pass only: divide by the events of that pass.
const emitted = Number(process.env.OPENS);
let total = 0;
for (const p of progs) {
  total += p.run_time_ns;
  console.log(`${p.name.padEnd(16)} runs ${String(p.run_cnt).padStart(9)}  ${(p.run_time_ns / p.run_cnt).toFixed(0).padStart(5)} ns/run  recursion misses ${p.recursion_misses ?? 0}`);
}
const a = JSON.parse(alone), m = JSON.parse(mon);
console.log(`BPF run time per open event: ${(total / emitted).toFixed(0)} ns (all programs, ${total} ns over the ${emitted} opens of the stats pass; lost ${stats.lost})`);
console.log(`open/close loop: ${Math.round(a.rate)}/s alone, ${Math.round(m.rate)}/s monitored: ${(100 * m.rate / a.rate).toFixed(0)}% kept`);
' "$progs" "$alone" "$monitored" "$final"
