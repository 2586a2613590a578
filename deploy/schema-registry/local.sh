#!/usr/bin/env bash
# Local Confluent-compatible schema registry (Apicurio Registry 2.4.2, API at /apis/ccompat/v7) on
# 127.0.0.1, for the quick start and the tests.
#   deploy/schema-registry/local.sh fetch|start|stop|status|reset
# The app is built once from Maven Central through deploy/schema-registry/pom.xml into
# $EBPF_AUDIT_SCHEMA_REGISTRY_APP (default /var/lib/ebpf-audit/schema-registry-app), shared by
# every instance. Data (H2 file), logs and config live in $EBPF_AUDIT_SCHEMA_REGISTRY_HOME (default
# /var/lib/ebpf-audit/schema-registry), outside the repository; ids survive a restart.
# EBPF_AUDIT_SCHEMA_REGISTRY_PORT (default 8081); EBPF_AUDIT_SCHEMA_REGISTRY_TLS_CERT and _TLS_KEY
# (PEM files) serve https on that port instead of http.
# Every command is idempotent: start on a running registry and stop on a stopped one succeed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=${EBPF_AUDIT_SCHEMA_REGISTRY_HOME:-/var/lib/ebpf-audit/schema-registry}
app=${EBPF_AUDIT_SCHEMA_REGISTRY_APP:-/var/lib/ebpf-audit/schema-registry-app}
port=${EBPF_AUDIT_SCHEMA_REGISTRY_PORT:-8081}
cert=${EBPF_AUDIT_SCHEMA_REGISTRY_TLS_CERT:-}
key=${EBPF_AUDIT_SCHEMA_REGISTRY_TLS_KEY:-}
pidfile=$home/registry.pid
jar=$app/local-schema-registry-1-runner.jar
scheme=http; [[ -n $cert ]] && scheme=https
url=$scheme://127.0.0.1:$port/apis/ccompat/v7

name=schema-registry what=registry
# shellcheck source=../lib/local-server.sh
source "$here/../lib/local-server.sh"
# The build inputs' digest: a changed pom or config rebuilds the app.
stamp() { cat "$here/pom.xml" "$here/src/main/resources/META-INF/microprofile-config.properties" | sha256sum | cut -d' ' -f1; }

fetch() {
  command -v java >/dev/null || die "java not found (install a JRE 17+, e.g. openjdk-17-jre-headless)"
  mkdir -p "$(dirname "$app")"
  # One build at a time (the tests start a second instance while the first may be building); the
  # lock's descriptor is closed before java starts, so a running registry does not hold it.
  (
    flock 9
    if [[ -f $app/.stamp && $(cat "$app/.stamp") == "$(stamp)" && -f $jar ]]; then exit 0; fi
    command -v mvn >/dev/null || die "mvn not found (install maven)"
    log "building Apicurio Registry from Maven Central into $app (the first time takes a few minutes)"
    build=$app.build
    rm -rf "$build" && mkdir -p "$build"
    cp -r "$here/pom.xml" "$here/src" "$build/"
    (cd "$build" && mvn -q -B -ntp -Dstyle.color=never package -DskipTests) >&2 || die "maven could not build the registry (see the output above)"
    stamp > "$build/target/.stamp"
    rm -rf "$app" && mv "$build/target" "$app" && rm -rf "$build"
  ) 9>"$app.lock"
}

# Quarkus reads config/application.properties from its working directory: settings and paths go
# there rather than on the java command line.
configure() {
  mkdir -p "$home/config" "$home/logs" "$home/data"
  {
    echo "quarkus.http.host=127.0.0.1"
    if [[ -n $cert ]]; then
      [[ -f $cert && -f $key ]] || die "EBPF_AUDIT_SCHEMA_REGISTRY_TLS_CERT and _TLS_KEY must both name PEM files"
      echo "quarkus.http.ssl-port=$port"
      echo "quarkus.http.port=0"
      echo "quarkus.http.insecure-requests=disabled"
      echo "quarkus.http.ssl.certificate.files=$(realpath "$cert")"
      echo "quarkus.http.ssl.certificate.key-files=$(realpath "$key")"
    else
      echo "quarkus.http.port=$port"
    fi
    # H2 in a file instead of in memory, so schema ids outlive a restart (messages carry them).
    echo "quarkus.datasource.jdbc.url=jdbc:h2:file:$home/data/registry"
    echo "quarkus.datasource.jdbc.initial-size=2"
    echo "quarkus.datasource.jdbc.min-size=2"
    echo "quarkus.datasource.jdbc.max-size=16"
  } > "$home/config/application.properties"
}

start() {
  already_running && return 0
  fetch
  configure
  log "starting the schema registry at $url"
  : > "$home/logs/registry.log"
  # setsid: the registry outlives the shell that started it and gets no terminal signals.
  cd "$home"
  # C1 only (TieredStopAtLevel=1): starts in about half the time; a local registry needs no peak speed.
  setsid nohup java -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true -jar "$jar" \
    > "$home/logs/registry.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  wait_ready "${EBPF_AUDIT_SCHEMA_REGISTRY_START_TIMEOUT:-120}" started "$home/logs/registry.log"
  log "ready (pid $(cat "$pidfile"))"
}

started() { port_open && grep -q 'Listening on' "$home/logs/registry.log" 2>/dev/null; }
stop() { stop_server 30; }
ready_now() { true; }
status_line() { echo "url=$url"; }
reset_dirs() { echo data logs config; }

dispatch "$@"
