#!/usr/bin/env bash
# BPF run time per event (BPF_ENABLE_STATS: run_time_ns / run_cnt of each program) and
# the open/close loop's rate alone and while the producer runs and drains. Root, local broker.
#   test/bench/bpf-cost.sh [opens=300000]      (EBPF_AUDIT_SYSCALL_HOOKS=tracepoint for the fallback set;
#                                               EBPF_AUDIT_PIDNS=1 runs the producer in a PID namespace of its own;
#                                               EBPF_AUDIT_PRODUCER_ARGS adds producer options: with
#                                               "--include-path /nonexistent/" every record is built and then
#                                               dropped in the kernel, so the kept rate is the kernel side's alone)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
opens=${1:-300000}
mkdir -p test/bench/build
cc -O2 -o test/bench/build/loadgen test/bench/loadgen.c
cc -O2 -o test/bench/build/stats-on test/bench/stats-on.c
# The target file, the producer's own spool and its log live in one temporary directory, removed at exit.
work=$(mktemp -d /tmp/ea-bpf-cost.XXXXXX)
target=$work/target
log=$work/producer.log
# The loop's file exists: every openat succeeds and is closed (a missing file would measure
# failed opens, with no close, as it did by mistake from 131c378 on).
: >"$target"
# $pid: the job to wait for; $prod: the producer's process (unshare's child with EBPF_AUDIT_PIDNS=1).
trap '[[ -n ${pid:-} ]] && kill -INT ${prod:-$pid} 2>/dev/null && wait $pid; rm -rf "$work"' EXIT
alone=$(taskset -c 1 test/bench/build/loadgen "$opens" "$target")
ns=()
[[ ${EBPF_AUDIT_PIDNS:-0} == 1 ]] && ns=(unshare --pid --fork --mount-proc --kill-child)
taskset -c 0 "${ns[@]}" node dist/producer/cli.js --topic-prefix "bench-cost-$(node -p "Date.now().toString(36)")" --ring-buffer-mb 64 --log-level info --syscall-hooks "${EBPF_AUDIT_SYSCALL_HOOKS:-auto}" ${EBPF_AUDIT_PRODUCER_ARGS:-} --spool-dir "$work/spool" 2>"$log" &
pid=$!
for _ in $(seq 1 150); do grep -qs '"msg":"capturing"' "$log" && break; sleep 0.2; done
prod=$pid
(( ${#ns[@]} )) && prod=$(cat /proc/$pid/task/$pid/children | tr -d ' ')
grep -h '"msg":"excluding the producer' "$log" | node -e 'const l=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(`producer: tgid ${l.tgid} excluded, process.pid ${l.pid}`)'
sleep 1
# The loop's rate with stats off (as in production: stats add two clock reads to every run),
# then the programs' run time in a second pass with stats on (held by an fd: the global
# kernel.bpf_stats_enabled sysctl is left alone, another benchmark may be using it).
monitored=$(taskset -c 1 test/bench/build/loadgen "$opens" "$target")
pass=$(test/bench/build/stats-on taskset -c 1 test/bench/build/loadgen "$opens" "$target")
progs=$(bpftool -j prog show)
# The programs also run for every other process's syscalls. On a busy machine that is much of
# the total, so a window as long as the stats pass, without the loop, measures it to subtract.
test/bench/build/stats-on sleep "$(node -e 'console.log(JSON.parse(process.argv[1]).seconds)' "$pass")"
idle=$(bpftool -j prog show)
# This producer's programs, from its fds (bpftool here lists no pids): other producers may run.
own_ids=$(grep -h '^prog_id:' /proc/$prod/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | tr '\n' ,)
kill -INT $prod && wait $pid || true
pid=
final=$(grep '"final stats"' "$log")
OPENS=$opens OWN_IDS=$own_ids node -e '
const [progsJson, idleJson, alone, mon, final] = process.argv.slice(1);
const own = (p) => process.env.OWN_IDS.split(",").includes(String(p.id));
const mine = (json) => JSON.parse(json).filter((p) => p.name && p.name.startsWith("ea_") && p.run_cnt && own(p));
const progs = mine(progsJson);
const idleTotal = mine(idleJson).reduce((n, p) => n + p.run_time_ns, 0);
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
const background = idleTotal - total; // the same programs, an equal window without the loop
console.log(`net of the background (other processes syscalls): ${((total - background) / emitted).toFixed(0)} ns per open (${background} ns measured in an equal window without the loop)`);
console.log(`open/close loop: ${Math.round(a.rate)}/s alone, ${Math.round(m.rate)}/s monitored: ${(100 * m.rate / a.rate).toFixed(0)}% kept`);
console.log(`CPU per openat+close: ${a.cpu_ns_per_open} ns alone, ${m.cpu_ns_per_open} ns monitored: +${m.cpu_ns_per_open - a.cpu_ns_per_open} ns`);
' "$progs" "$idle" "$alone" "$monitored" "$final"
