#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, 127.0.0.1) for the quick start and the tests.
#   deploy/kafka/local.sh fetch|start|stop|status|reset
# Jars come from Maven Central through deploy/kafka/pom.xml (version pinned there); data, logs and
# config live outside the repository in $EBPF_AUDIT_KAFKA_HOME (default /var/lib/ebpf-audit/kafka).
# Every command is idempotent: start on a running broker and stop on a stopped one succeed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=${EBPF_AUDIT_KAFKA_HOME:-/var/lib/ebpf-audit/kafka}
port=${EBPF_AUDIT_KAFKA_PORT:-9092}
cport=${EBPF_AUDIT_KAFKA_CONTROLLER_PORT:-9093}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
libs=$home/libs
pidfile=$home/kafka.pid
conf=$home/config/server.properties

name=kafka what=broker
# shellcheck source=../lib/local-server.sh
source "$here/../lib/local-server.sh"

fetch() {
  command -v java >/dev/null || die "java not found (install a JRE 17+, e.g. openjdk-17-jre-headless)"
  maven_libs "Apache Kafka"
}

run_java() { java -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$home/logs" "$@"; }

configure() {
  mkdir -p "$home/config" "$home/logs" "$home/data"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$cport|g" -e "s|@DATA_DIR@|$home/data|g" \
    "$here/server.properties.in" > "$conf"
  if [[ ! -f $home/data/meta.properties ]]; then
    local id
    id=$(run_java kafka.tools.StorageTool random-uuid)
    log "formatting storage in $home/data (cluster id $id)"
    run_java kafka.tools.StorageTool format -t "$id" -c "$conf" --ignore-formatted >/dev/null
  fi
}

start() {
  already_running && return 0
  fetch
  configure
  log "starting Apache Kafka $version on 127.0.0.1:$port"
  # server.log is appended to (and rolled) across starts: readiness is a line of this start's.
  started_at=$(date '+%Y-%m-%d %H:%M:%S')
  # setsid: the broker outlives the shell that started it and gets no terminal signals.
  # Heap and GC as Kafka ships and documents them: a fixed 1 GiB heap (kafka-server-start.sh) and
  # 16 MiB G1 regions (the documented tuning). G1 allocates an object of half a region or more as
  # "humongous", and the buffer of a produce request (up to 900 KB from our producer) was one with
  # the 1 MiB regions of a growing 256 MiB-1 GiB heap: each could start a concurrent mark. Over the
  # broker's first minutes under load that was 0.3-0.6 s of CPU per cycle (three in a 100,000-open
  # warm-up of test/bench/peers.ts), and 0.55-1.2 s per pass of 300,000 events at 420k/s; now
  # 0.07-0.09 s (2026-12-02). Once warm the broker ran no concurrent cycle either way.
  setsid nohup java -Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:G1HeapRegionSize=16M -Djava.awt.headless=true \
    -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$home/logs" \
    kafka.Kafka "$conf" > "$home/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  wait_ready "${EBPF_AUDIT_KAFKA_START_TIMEOUT:-300}" started "$home/logs/stdout.log" "$home/logs/server.log"
  log "ready (pid $(cat "$pidfile"))"
}

started() {
  local logs=() f
  for f in "$home/logs/server.log.1" "$home/logs/server.log"; do [[ -f $f ]] && logs+=("$f"); done
  port_open && (( ${#logs[@]} )) \
    && awk -v t="$started_at" '/Kafka Server started/ && substr($0, 2, 19) >= t { f = 1 } END { exit !f }' "${logs[@]}"
}
stop() { stop_server 60; }
ready_now() { true; }
status_line() { echo "bootstrap=127.0.0.1:$port version=$version"; }
reset_dirs() { echo data logs config; }

dispatch "$@"
