#!/usr/bin/env bash
# make_venv.sh REQUIREMENTS PREFIX: makes (once) a venv from REQUIREMENTS under
# ${ONNXSMITH_VENV_CACHE:-~/.cache/onnxsmith}/PREFIX-<hash of the requirements>,
# reused while the requirements do not change, and prints its path (only that)
# on stdout. Shared by tools/setup.sh (test venv) and bench/setup_venv.sh.
set -euo pipefail

req="$1"
prefix="$2"
key="$(sha256sum "$req" | cut -c1-16)"
venv="${ONNXSMITH_VENV_CACHE:-$HOME/.cache/onnxsmith}/$prefix-$key"
# The marker is written last, so an interrupted install is redone.
if [[ ! -f "$venv/.complete" ]]; then
  echo "make_venv: creating $venv from $req" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
