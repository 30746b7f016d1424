#!/usr/bin/env bash
# Makes (once) the benchmark venv from bench/requirements.txt under
# ~/.cache/onnxsmith/bench-venv-<hash of the requirements>, reused while the
# requirements do not change, and prints its path (and nothing else) on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"

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

"$here/../tools/make_venv.sh" "$req" bench-venv
