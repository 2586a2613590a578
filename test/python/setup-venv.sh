#!/usr/bin/env bash
# Installs the tests' independent Confluent reader (test/python/requirements.txt, from PyPI) into a
# virtualenv outside the repository: $EBPF_AUDIT_PY_VENV (default /var/lib/ebpf-audit/venv-confluent).
# Idempotent: reinstalls only when requirements.txt changed. Prints the venv's python.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${EBPF_AUDIT_PY_VENV:-/var/lib/ebpf-audit/venv-confluent}
stamp=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ ! -x $venv/bin/python || $(cat "$venv/.stamp" 2>/dev/null) != "$stamp" ]]; then
  echo "setup-venv: installing $(grep -v '^#' "$here/requirements.txt" | xargs) into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
  echo "$stamp" > "$venv/.stamp"
fi
echo "$venv/bin/python"
