#!/usr/bin/env bash
# Runs the libFuzzer targets of //fuzz (docs/reliability.md), built with clang,
# ASan and UBSan in a separate Bazel output base (the toolchain differs from
# the gcc build's, so sharing the default one would rebuild both in turn).
#
#   tools/fuzz.sh TARGET SECONDS   fuzz one target (graphdef, keras_h5, ... or
#                                  graphdef_fuzzer) for SECONDS, niced
#   tools/fuzz.sh --smoke [S]      every target for S seconds (default 60),
#                                  one after the other; fails on any finding
#   tools/fuzz.sh --list           the targets
#
# The working corpus grows in ~/.cache/onnxsmith/fuzz-corpus/TARGET (outside
# the repo), seeded from fuzz/seeds/TARGET. Findings (crash-*, timeout-*,
# oom-*, leak-*) are written to ~/.cache/onnxsmith/fuzz-findings/TARGET/; the
# log of each run to the same folder. Needs clang and libclang-rt-14-dev
# (`tools/setup.sh --fuzz`). FUZZ_NO_BUILD=1 skips the build.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

targets=(graphdef saved_model tensor_bundle keras_h5 keras_zip keras_json onnx_model cli_args)
cache="${ONNXSMITH_CACHE:-$HOME/.cache/onnxsmith}"
output_base="$cache/ob-fuzz"
# Limits of one fuzz run: input size, memory (MiB; the converter's own limits
# must refuse anything that would need more), seconds per input.
max_len="${FUZZ_MAX_LEN:-65536}"
rss_limit_mb="${FUZZ_RSS_LIMIT_MB:-2048}"
timeout_s="${FUZZ_TIMEOUT:-10}"

die() { echo "fuzz.sh: $*" >&2; exit 2; }

build() {
  command -v clang >/dev/null || die "clang is not installed: run tools/setup.sh --fuzz"
  [[ -n "${FUZZ_NO_BUILD:-}" ]] && return 0  # already built (e.g. while the server is busy)
  nice -n 19 bazel --output_base="$output_base" build --config=fuzz "${@/#/\/\/fuzz:}" >&2
}

bin_dir() {
  if [[ -n "${FUZZ_NO_BUILD:-}" ]]; then echo "$output_base/execroot/onnxsmith/bazel-out/k8-fastbuild/bin"
  else bazel --output_base="$output_base" info --config=fuzz bazel-bin 2>/dev/null; fi
}

run_one() {
  local t="${1%_fuzzer}" seconds="$2"
  local corpus="$cache/fuzz-corpus/$t" findings="$cache/fuzz-findings/$t"
  mkdir -p "$corpus" "$findings"
  local log="$findings/run-$(date -u +%Y%m%dT%H%M%S).log"
  echo "fuzz.sh: $t for ${seconds}s (corpus $corpus, log $log)" >&2
  local rc=0 cpu TIMEFORMAT='%U %S %R'
  # -close_fd_mask=1: the converter's own stdout would drown the log;
  # sanitizer and libFuzzer reports go to stderr. The CPU time used (user +
  # system) is added up per target in $findings/cpu_seconds.
  cpu="$( { time (cd "$findings" && nice -n 19 "$bins/fuzz/${t}_fuzzer" "$corpus" "$repo/fuzz/seeds/$t" \
      -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb="$rss_limit_mb" \
      -malloc_limit_mb="$rss_limit_mb" -timeout="$timeout_s" -print_final_stats=1 \
      -close_fd_mask=1 -artifact_prefix="$findings/" >"$log" 2>&1) ; } 2>&1 )" || rc=$?
  read -r user sys wall <<<"$(tail -1 <<<"$cpu")"
  cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')"
  echo "cpu_seconds=$cpu wall_seconds=$wall exit=$rc" >>"$log"
  echo "$(date -u +%FT%TZ) $cpu $wall $rc" >>"$findings/cpu_seconds"
  echo "fuzz.sh: $t used ${cpu} CPU-s in ${wall}s; total for $t: $(awk '{ s += $2 } END { print s }' "$findings/cpu_seconds") CPU-s" >&2
  grep -E '^(stat::|Done|INFO: Seed|==[0-9]+==ERROR|SUMMARY)' "$log" >&2 || true
  if (( rc != 0 )); then
    echo "fuzz.sh: $t FOUND something (exit $rc): see $log and $findings/" >&2
  fi
  return $rc
}

case "${1:-}" in
  --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  --smoke)
    seconds="${2:-60}"
    build "${targets[@]/%/_fuzzer}"
    bins="$(bin_dir)"
    failed=()
    for t in "${targets[@]}"; do run_one "$t" "$seconds" || failed+=("$t"); done
    if (( ${#failed[@]} )); then die "findings in: ${failed[*]}"; fi
    echo "fuzz.sh: smoke passed (${#targets[@]} targets x ${seconds}s)" >&2
    ;;
  ""|-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
  *)
    [[ $# -eq 2 ]] || die "usage: tools/fuzz.sh TARGET SECONDS | --smoke [SECONDS] | --list"
    t="${1%_fuzzer}"
    [[ " ${targets[*]} " == *" $t "* ]] || die "unknown target $t (one of: ${targets[*]})"
    build "${t}_fuzzer"
    bins="$(bin_dir)"
    run_one "$t" "$2"
    ;;
esac
