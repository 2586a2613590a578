#!/usr/bin/env bash
# The whole test suite, as root: installs and builds what is missing, runs the quick lane
# (test/quick.sh: typecheck, lint, unit tests), starts the local Kafka broker and schema registry,
# and runs the integration and end-to-end tests (real kernel, real broker) with node's runner.
# Under CI=true no test may skip: a missing kernel feature, tool or broker fails the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
deploy/install.sh
# The quick lane first (typecheck, lint, unit tests; no root or broker): a type or lint error or a
# failing unit test stops the run here, before the servers start and the long lane runs.
test/quick.sh --built
# The clean Debian 12 that the package and runtime tests boot in a container: built once with
# debootstrap (about a minute) and cached in /var/cache/ebpf-audit, outside the repository.
deploy/debian/rootfs.sh >/dev/null
# helm, kubeconform, promtool and the Kubernetes schemas for the chart and alert tests: built once
# from package registries (several minutes on a new machine) and cached in /var/cache/ebpf-audit.
deploy/fleet-tools.sh all >/dev/null || echo 'test/run.sh: deploy/fleet-tools.sh failed; the chart and alert tests say why' >&2
started_broker=0
if ! deploy/kafka/local.sh status >/dev/null; then
  deploy/kafka/local.sh start
  started_broker=1
fi
# Topics that earlier runs left behind (older than 2 h: a run going on beside this one keeps its own).
node dist/test/prune-topics.js 2
# The OpenSearch store's tests need a node (deploy/opensearch/local.sh): started here when none
# runs, stopped after, as the broker is.
started_opensearch=0
if ! deploy/opensearch/local.sh status >/dev/null; then
  deploy/opensearch/local.sh start
  started_opensearch=1
fi
# The schema registry tests (test/*/schema-registry*.test.ts) use this one and start their own;
# their independent reader, Confluent's Python client, lives in a venv outside the repository.
started_registry=0
if ! deploy/schema-registry/local.sh status >/dev/null; then
  deploy/schema-registry/local.sh start
  started_registry=1
fi
test/python/setup-venv.sh >/dev/null
status=0
# Only *.test.js: given a directory, node's runner would also run every .js under test/
# (helpers, the benchmarks). The unit tests ran in the quick lane.
mapfile -t files < <(find dist/test -name '*.test.js' -not -path 'dist/test/unit/*' | sort)
(( ${#files[@]} > 0 )) || { echo "test/run.sh: no test files under dist/test" >&2; exit 1; }
# --test-timeout bounds each file as well as each test (node 20's runner times the file's process
# too): a test that hangs, or a handle left open that keeps its file from exiting, fails that file
# after 20 minutes and the run goes on, instead of holding CI until its own limit. The longest
# test takes about 75 s on this machine; the longest limit a test sets itself is 15 minutes (the
# Debian package in a container), which this one must stay above.
node --test --test-concurrency=1 --test-timeout=1200000 "${files[@]}" || status=$?
if [[ $started_registry == 1 && ${EBPF_AUDIT_KEEP_BROKER:-0} != 1 ]]; then deploy/schema-registry/local.sh stop; fi
if [[ $started_broker == 1 && ${EBPF_AUDIT_KEEP_BROKER:-0} != 1 ]]; then deploy/kafka/local.sh stop; fi
if [[ $started_opensearch == 1 && ${EBPF_AUDIT_KEEP_OPENSEARCH:-0} != 1 ]]; then deploy/opensearch/local.sh stop; fi
exit $status
