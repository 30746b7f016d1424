#!/usr/bin/env bash
# Installs what onnxsmith needs and is missing; safe to run again (it only
# installs what is absent). With --venv it also makes the Python venv used by
# the oracle tests and benchmarks, cached by the requirements file's hash,
# and prints nothing else on stdout but the venv's path.
#
#   tools/setup.sh           Debian packages for building and running
#   tools/setup.sh --venv    ... plus the test venv (prints its path)
#   tools/setup.sh --fuzz    ... plus clang and libFuzzer (tools/fuzz.sh)
#   tools/setup.sh --remote-cache
#                            ... plus nginx, the loopback HTTP cache of
#                            tests/rules/remote_cache_test.sh (not started
#                            as a service: the test runs its own)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_venv=0
want_fuzz=0
want_remote_cache=0
for arg in "$@"; do
  case "$arg" in
    --venv) want_venv=1 ;;
    --fuzz) want_fuzz=1 ;;
    --remote-cache) want_remote_cache=1 ;;
  esac
done

log() { echo "setup: $*" >&2; }

# Build: Bazel and its rule sets from Debian, and the C++ libraries we wrap in
# third_party/ (pybind11 and the Python headers: the Python package's extension,
# python/). Runtime of the binary needs only the shared libraries among them.
packages=(
  bazel-bootstrap bazel-rules-cc bazel-rules-java bazel-rules-proto bazel-skylib
  bazel-platforms g++ libprotobuf-dev protobuf-compiler libabsl-dev libtbb-dev
  libonnx-dev libgtest-dev libgmock-dev libeigen3-dev nlohmann-json3-dev
  libhdf5-dev libzip-dev libcli11-dev
  pybind11-dev python3-pybind11 python3-dev
)
if (( want_venv )); then
  packages+=(python3 python3-venv)
fi
# libFuzzer (libclang_rt.fuzzer) ships in libclang-rt-14-dev, with the ASan and
# UBSan runtimes clang links; about 300 MB together, so only on request.
if (( want_fuzz )); then
  packages+=(clang libclang-rt-14-dev)
fi

# Debian's nginx has the WebDAV PUT a Bazel HTTP cache needs (core module).
if (( want_remote_cache )); then
  packages+=(nginx)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} )); then
  sudo=""
  (( EUID != 0 )) && sudo="sudo"
  log "installing ${missing[*]}"
  $sudo apt-get update -qq >&2
  # nginx's package would start a system nginx on port 80: a policy-rc.d
  # (Debian's switch for that) keeps package installs from starting services.
  no_services=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    no_services=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$no_services" >/dev/null
    $sudo chmod 755 "$no_services"
  fi
  rc=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2 || rc=$?
  [[ -n "$no_services" ]] && $sudo rm -f "$no_services"
  (( rc == 0 )) || exit "$rc"
fi

if (( want_venv )); then
  "$repo/tools/make_venv.sh" "$repo/tests/oracle/requirements.txt" venv
fi
