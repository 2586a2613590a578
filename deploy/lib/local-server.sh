# The parts the local servers' scripts share (deploy/kafka, deploy/opensearch,
# deploy/schema-registry/local.sh): logging, liveness, waiting for readiness, stopping, and the
# command dispatch, so every server starts, stops and reports the same way. Sourced, not run.
# The caller sets: name (for log lines), what (the server's noun: broker, node, registry), home,
# port, pidfile; and defines fetch, start, status_line (printed by status when running) and
# reset_dirs (what `reset` removes below $home).

log() { printf 'local-%s: %s\n' "$name" "$*" >&2; }
die() { log "error: $*"; exit 1; }

pid_alive() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

# Refuse a start when another process holds the port; succeed at once when ours runs.
already_running() {
  if pid_alive; then log "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0; fi
  if port_open; then die "127.0.0.1:$port is in use by another process"; fi
  return 1
}

# wait_ready TIMEOUT_S READY_CMD LOG...: poll until READY_CMD succeeds; if the process dies or the
# time runs out, show the logs' tails and fail.
wait_ready() {
  local timeout=$1 ready=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until $ready; do
    pid_alive || { tail -n 30 "$@" >&2 2>/dev/null || true; die "$what exited during start (see $home/logs)"; }
    (( SECONDS < deadline )) || die "$what not ready after ${timeout}s (see $home/logs)"
    sleep 0.5
  done
}

# stop_server SECONDS: SIGTERM, then SIGKILL after SECONDS.
stop_server() {
  if ! pid_alive; then rm -f "$pidfile"; log "not running"; return 0; fi
  local pid; pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 1 $(($1 * 2))); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "stopped"; return 0; }; sleep 0.5; done
  log "$what did not stop in ${1}s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# Exit status 0 only when running and answering; 3 (as LSB's status) otherwise.
server_status() {
  if pid_alive && port_open && ready_now; then echo "running pid=$(cat "$pidfile") $(status_line) home=$home"; return 0; fi
  if pid_alive; then echo "starting pid=$(cat "$pidfile")"; return 3; fi
  echo "stopped home=$home"; return 3
}

# maven_libs ARTIFACT: copy the runtime jars of $here/pom.xml into $libs once per $version.
maven_libs() {
  if [[ -f $libs/.version && $(cat "$libs/.version") == "$version" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found (install maven)"
  log "fetching $1 $version from Maven Central into $libs"
  rm -rf "$libs.tmp" && mkdir -p "$libs.tmp"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs.tmp" -DincludeScope=runtime >&2 \
    || die "maven could not resolve $1 $version"
  echo "$version" > "$libs.tmp/.version"
  rm -rf "$libs" && mv "$libs.tmp" "$libs"
}

dispatch() {
  case ${1:-} in
    fetch) fetch ;;
    start) start ;;
    stop) stop ;;
    status) server_status ;;
    # shellcheck disable=SC2046 # reset_dirs lists paths without spaces, one word each
    reset) stop; (cd "$home" 2>/dev/null && rm -rf $(reset_dirs)) || true; log "data removed" ;;
    *) echo "usage: $0 fetch|start|stop|status|reset" >&2; exit 2 ;;
  esac
}
