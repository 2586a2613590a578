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

log() { printf 'local-kafka: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pid_alive() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

fetch() {
  command -v java >/dev/null || die "java not found (install a JRE 17+, e.g. openjdk-17-jre-headless)"
  if [[ -f $libs/.version && $(cat "$libs/.version") == "$version" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found (install maven)"
  log "fetching Apache Kafka $version from Maven Central into $libs"
  rm -rf "$libs.tmp" && mkdir -p "$libs.tmp"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs.tmp" -DincludeScope=runtime >&2 \
    || die "maven could not resolve kafka_2.13:$version"
  echo "$version" > "$libs.tmp/.version"
  rm -rf "$libs" && mv "$libs.tmp" "$libs"
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
  if pid_alive; then log "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0; fi
  if port_open; then die "127.0.0.1:$port is in use by another process"; fi
  fetch
  configure
  log "starting Apache Kafka $version on 127.0.0.1:$port"
  # setsid: the broker outlives the shell that started it and gets no terminal signals.
  setsid nohup java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -cp "$libs/*" -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$home/logs" \
    kafka.Kafka "$conf" > "$home/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  local deadline=$((SECONDS + ${EBPF_AUDIT_KAFKA_START_TIMEOUT:-90}))
  until port_open && grep -q 'Kafka Server started' "$home/logs/server.log" 2>/dev/null; do
    pid_alive || { tail -n 30 "$home/logs/stdout.log" "$home/logs/server.log" >&2 2>/dev/null || true; die "broker exited during start"; }
    (( SECONDS < deadline )) || die "broker not ready after ${EBPF_AUDIT_KAFKA_START_TIMEOUT:-90}s (see $home/logs)"
    sleep 0.5
  done
  log "ready (pid $(cat "$pidfile"))"
}

stop() {
  if ! pid_alive; then rm -f "$pidfile"; log "not running"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "stopped"; return 0; }; sleep 0.5; done
  log "broker did not stop in 60s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status() {
  if pid_alive && port_open; then echo "running pid=$(cat "$pidfile") bootstrap=127.0.0.1:$port version=$version home=$home"; return 0; fi
  if pid_alive; then echo "starting pid=$(cat "$pidfile")"; return 3; fi
  echo "stopped home=$home"; return 3
}

case ${1:-} in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; rm -rf "$home/data" "$home/logs" "$home/config"; log "data removed" ;;
  *) echo "usage: $0 fetch|start|stop|status|reset" >&2; exit 2 ;;
esac
