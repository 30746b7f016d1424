#!/usr/bin/env bash
# Makes (once) the benchmark venv from bench/requirements.txt under
# ~/.cache/onnxsmith/bench-venv-<hash of the requirements>, reused while the
# requirements do not change, and prints its path (and nothing else) on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
key="$(sha256sum "$req" | cut -c1-16)"
venv="${ONNXSMITH_VENV_CACHE:-$HOME/.cache/onnxsmith}/bench-venv-$key"

# GNU time measures the tools' peak RSS; taskset (util-linux) pins the 1-core runs.
if ! python3 -c 'import venv, ensurepip' 2>/dev/null || [[ ! -x /usr/bin/time ]] \
    || ! command -v taskset >/dev/null; then
  sudo=""
  (( EUID != 0 )) && sudo="sudo"
  echo "setup_venv: installing python3-venv time util-linux" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    python3 python3-venv time util-linux >&2
fi

# The marker is written last, so an interrupted install is redone.
if [[ ! -f "$venv/.complete" ]]; then
  echo "setup_venv: creating $venv (tensorflow-cpu, tf2onnx, onnxsim, onnxoptimizer, onnxruntime)" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv"
