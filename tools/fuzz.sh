#!/usr/bin/env bash
# Runs the libFuzzer targets of //fuzz (docs/reliability.md), built with clang,
# ASan and UBSan in a separate Bazel output base (the toolchain differs from
# the gcc build's, so sharing the default one would rebuild both in turn).
#
#   tools/fuzz.sh TARGET SECONDS   fuzz one target (graphdef, keras_h5, ... or
#                                  graphdef_fuzzer) for SECONDS, niced
#   tools/fuzz.sh --smoke [S]      every target for S seconds (default 60),
#                                  FUZZ_JOBS (2) at a time; fails on any finding
#   tools/fuzz.sh --campaign MIN [JOBS]
#                                  every target until it has used MIN
#                                  CPU-minutes in all (cpu_seconds below),
#                                  JOBS targets at a time (default 2); a
#                                  target stops at its first finding
#   tools/fuzz.sh --status         per target: CPU time, inputs run, corpus
#                                  size and findings so far
#   tools/fuzz.sh --list           the targets
#
# The working corpus grows in ~/.cache/onnxsmith/fuzz-corpus/TARGET (outside
# the repo), seeded from fuzz/seeds/TARGET. Findings (crash-*, timeout-*,
# oom-*, leak-*) are written to ~/.cache/onnxsmith/fuzz-findings/TARGET/ (move
# them to its fixed/ once fixed and added to tests/bad_inputs/fuzz/); the
# log of each run to the same folder. Needs clang and libclang-rt-14-dev
# (`tools/setup.sh --fuzz`). FUZZ_NO_BUILD=1 skips the build; FUZZ_OUTPUT_BASE
# overrides the output base.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

targets=(graphdef saved_model tensor_bundle keras_h5 keras_zip keras_json onnx_model cli_args calibration_data target_profile)
cache="${ONNXSMITH_CACHE:-$HOME/.cache/onnxsmith}"
output_base="${FUZZ_OUTPUT_BASE:-$cache/ob-fuzz}"
# Limits of one fuzz run: input size, memory (MiB; the converter's own limits
# must refuse anything that would need more), seconds per input.
max_len="${FUZZ_MAX_LEN:-65536}"
rss_limit_mb="${FUZZ_RSS_LIMIT_MB:-2048}"
timeout_s="${FUZZ_TIMEOUT:-10}"
# ASan refuses (returns NULL for) any single allocation above the RSS limit
# (max_allocation_size_mb), as a release build under `ulimit -v` would:
# libhdf5 mallocs sizes it reads from the file (4 or 8 GiB for an object
# header chunk of a 34 KB file) before checking them against the file's
# size, and handles NULL. Without this, libFuzzer's malloc limit stops there,
# and above it ASan spends seconds mapping and poisoning shadow memory for
# blocks that are freed untouched. Our own code meets NULL as std::bad_alloc,
# which still stops the fuzzer.

die() { echo "fuzz.sh: $*" >&2; exit 2; }

build() {
  command -v clang >/dev/null || die "clang is not installed: run tools/setup.sh --fuzz"
  [[ -n "${FUZZ_NO_BUILD:-}" ]] && return 0  # already built (e.g. while the server is busy)
  nice -n 19 bazel --output_base="$output_base" build --config=fuzz --symlink_prefix=/ "${@/#/\/\/fuzz:}" >&2
}

bin_dir() {
  # --config=fuzz pins -c fastbuild (.bazelrc), hence k8-fastbuild.
  if [[ -n "${FUZZ_NO_BUILD:-}" ]]; then echo "$output_base/execroot/onnxsmith/bazel-out/k8-fastbuild/bin"
  else bazel --output_base="$output_base" info --config=fuzz bazel-bin 2>/dev/null; fi
}

run_one() {
  local t="${1%_fuzzer}" seconds="$2"
  local corpus="${3:-$cache/fuzz-corpus/$t}" findings="$cache/fuzz-findings/$t"
  local seed_flag=()
  [[ -n "${FUZZ_SEED:-}" ]] && seed_flag=(-seed="$FUZZ_SEED")
  mkdir -p "$corpus" "$findings"
  local log="$findings/run-$(date -u +%Y%m%dT%H%M%S).log"
  echo "fuzz.sh: $t for ${seconds}s (corpus $corpus, log $log)" >&2
  local rc=0 cpu TIMEFORMAT='%U %S %R'
  # -close_fd_mask=1: the converter's own stdout would drown the log;
  # sanitizer and libFuzzer reports go to stderr. The CPU time used (user +
  # system) is added up per target in $findings/cpu_seconds.
  cpu="$( { time (cd "$findings" && ASAN_OPTIONS="suppressions=$repo/fuzz/asan.supp:allocator_may_return_null=1:max_allocation_size_mb=$rss_limit_mb" \
      LSAN_OPTIONS="suppressions=$repo/fuzz/lsan.supp:print_suppressions=0" nice -n "${FUZZ_NICE:-19}" "$bins/fuzz/${t}_fuzzer" "$corpus" "$repo/fuzz/seeds/$t" \
      -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb="$rss_limit_mb" \
      -malloc_limit_mb="$rss_limit_mb" -timeout="$timeout_s" -print_final_stats=1 "${seed_flag[@]}" \
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

total_cpu() {
  local f="$cache/fuzz-findings/$1/cpu_seconds"
  [[ -f "$f" ]] && awk '{ s += $2 } END { printf "%.0f", s }' "$f" || echo 0
}

# Fuzzes each of its arguments in turn until it has used $goal CPU-seconds,
# in runs of at most 20 wall-minutes (so the totals are visible as it goes).
campaign_worker() {
  local t used
  for t in "$@"; do
    while used="$(total_cpu "$t")"; (( used < goal )); do
      run_one "$t" "$(( goal - used > 1200 ? 1200 : (goal - used < 60 ? 60 : goal - used) ))" || {
        echo "fuzz.sh: campaign: $t stopped at a finding" >&2; break; }
    done
  done
}

status() {
  printf '%-14s %9s %12s %8s %s\n' target CPU-min runs corpus findings
  local t f runs
  for t in "${targets[@]}"; do
    f="$cache/fuzz-findings/$t"
    runs="$(cat "$f"/run-*.log 2>/dev/null | awk '/^stat::number_of_executed_units/ { s += $2 } END { print s + 0 }')"
    printf '%-14s %9.1f %12s %8s %s\n' "$t" "$(awk -v s="$(total_cpu "$t")" 'BEGIN { print s / 60 }')" \
      "$runs" "$(ls "$cache/fuzz-corpus/$t" 2>/dev/null | wc -l)" \
      "$(ls "$f" 2>/dev/null | grep -cE '^(crash|timeout|oom|leak|slow-unit)-' || true)"
  done
}

case "${1:-}" in
  --status) status; exit 0 ;;
  --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
  --smoke)
    seconds="${2:-60}" jobs="${FUZZ_JOBS:-2}"
    build "${targets[@]/%/_fuzzer}"
    bins="$(bin_dir)"
    failed="$(mktemp)" scratch="$(mktemp -d)"
    # From the seeds only, into a scratch corpus: libFuzzer first runs every
    # input of its corpus, which for the long-grown one takes minutes. A fixed
    # seed (FUZZ_SEED, default 1) makes the smoke walk the same mutations on
    # every run of a commit, so a red smoke is reproducible and CI does not
    # turn red at random; finding new bugs is the campaign's job.
    export FUZZ_SEED="${FUZZ_SEED:-1}"
    for (( j = 0; j < jobs; j++ )); do
      ( for (( i = j; i < ${#targets[@]}; i += jobs )); do
          mkdir -p "$scratch/${targets[i]}"
          run_one "${targets[i]}" "$seconds" "$scratch/${targets[i]}" || echo "${targets[i]}" >>"$failed"
        done ) &
    done
    wait
    if [[ -s "$failed" ]]; then die "findings in: $(tr '\n' ' ' <"$failed")"; fi
    rm -rf "$failed" "$scratch"
    echo "fuzz.sh: smoke passed (${#targets[@]} targets x ${seconds}s, $jobs at a time)" >&2
    ;;
  --campaign)
    [[ $# -ge 2 ]] || die "usage: tools/fuzz.sh --campaign CPU_MINUTES [JOBS]"
    goal=$(( $2 * 60 )) jobs="${3:-2}"
    build "${targets[@]/%/_fuzzer}"
    bins="$(bin_dir)"
    # Round-robin the targets over JOBS workers.
    for (( j = 0; j < jobs; j++ )); do
      mine=()
      for (( i = j; i < ${#targets[@]}; i += jobs )); do mine+=("${targets[i]}"); done
      campaign_worker "${mine[@]}" &
    done
    wait
    for t in "${targets[@]}"; do echo "fuzz.sh: $t: $(( $(total_cpu "$t") / 60 )) CPU-min" >&2; done
    ;;
  ""|-h|--help) sed -n '2,24p' "$0"; exit 0 ;;
  *)
    [[ $# -eq 2 ]] || die "usage: tools/fuzz.sh TARGET SECONDS | --smoke [SECONDS] | --list"
    t="${1%_fuzzer}"
    [[ " ${targets[*]} " == *" $t "* ]] || die "unknown target $t (one of: ${targets[*]})"
    build "${t}_fuzzer"
    bins="$(bin_dir)"
    run_one "$t" "$2"
    ;;
esac
