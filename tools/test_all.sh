#!/usr/bin/env bash
# The README's second command (and CI's): install what is missing, including
# the Python venv for the oracles, then run every test: `bazel test //...`
# (GoogleTest units and shell tests), the Bazel rules from a separate model
# repository (and through a loopback remote cache), the Python oracle tests,
# which compare onnxsmith's ONNX outputs in ONNX Runtime with TensorFlow's
# own (and test the Python package, python/, on the same build), and the
# sanitizer stage. Everything runs on the release build (-c opt,
# .bazelrc) users get; the sanitizer stage on a clang ASan+UBSan build.
#
# Ends with a per-stage timing table (also when a stage fails). Budget on the
# 2-core machine: under 40 minutes with a warm Bazel disk cache, 75 cold
# (docs/reliability.md, "CI budget"). Long fuzzing is not CI's job:
# `tools/fuzz.sh --campaign`.
#
#   ONNXSMITH_NO_SANITIZERS=1   skip the sanitizer stages (a cold clang build
#                               takes about 40 minutes on 2 cores)
#   FUZZ_SMOKE_SECONDS=N        seconds of seeded fuzzing per target (15; 0
#                               skips it: the fuzz targets' tests still replay
#                               their seeds and past findings)
#   extra arguments             passed to the (release) oracle pytest run
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# --- per-stage timing ----------------------------------------------------
stage_rows=()
stage_name=""
stage_start=0
run_start=$SECONDS

stage() {  # NAME: closes the current stage, opens the next
  end_stage ok
  stage_name="$1"
  stage_start=$SECONDS
  echo "=== test_all: $stage_name ($(date -u +%H:%M:%S) UTC)" >&2
}

end_stage() {  # STATUS
  [[ -n "$stage_name" ]] || return 0
  stage_rows+=("$(printf '%-28s %6d s  %s' "$stage_name" $((SECONDS - stage_start)) "$1")")
  stage_name=""
}

summary() {
  local rc=$?
  end_stage "$( ((rc == 0)) && echo ok || echo "FAILED (exit $rc)")"
  {
    echo "=== test_all: stage timings"
    printf '%s\n' "${stage_rows[@]}"
    printf '%-28s %6d s  %s\n' total $((SECONDS - run_start)) "$( ((rc == 0)) && echo ok || echo FAILED)"
  } >&2
  exit "$rc"
}
trap summary EXIT

# --- stages ----------------------------------------------------------------
stage "setup"
setup_flags=(--venv --remote-cache)
[[ -z "${ONNXSMITH_NO_SANITIZERS:-}" ]] && setup_flags+=(--fuzz)
venv="$(tools/setup.sh "${setup_flags[@]}")"

stage "build + bazel test //..."
bazel test //...
bazel build //:onnxsmith //python:_native.so
bin="$(bazel info bazel-bin 2>/dev/null)/onnxsmith"
echo "test_all: the release binary under test: $bin" >&2
# The Python package's extension (tests/oracle/test_python_api.py).
export ONNXSMITH_NATIVE="$(bazel info bazel-bin 2>/dev/null)/python/_native.so"

# The Bazel rules, seen from a separate model repository (examples/model_repo),
# with the binary just built as their converter (tests/rules/lib.sh).
stage "rules (examples/model_repo)"
export ONNXSMITH_BIN="$bin"
tests/rules/rule_analysis_test.sh
tests/rules/example_test.sh
tests/rules/tampered_expected_test.sh
tests/rules/no_reconvert_test.sh
tests/rules/remote_cache_test.sh

stage "oracle pytest (release)"
"$venv/bin/python" -m pytest -q tests/oracle "$@"

# Sanitizers (docs/reliability.md): the unit tests, the fuzz targets replaying
# their seeds and past findings, the bad-input corpus and the oracle tests on
# real files (the shared corpus, SavedModels, Keras files, past regressions),
# built with clang under ASan+UBSan in an output base of their own (the
# toolchain differs; the disk cache keeps it warm across clones); then a
# short seeded fuzzing smoke per target.
if [[ -z "${ONNXSMITH_NO_SANITIZERS:-}" ]]; then
  san_base="$(bazel info output_base 2>/dev/null)-clang"
  san_bazel() { bazel --output_base="$san_base" "$1" --config=fuzz --symlink_prefix=/ "${@:2}"; }
  san_targets=(//tests/unit/... //fuzz/... //tests/bad_inputs/... //:onnxsmith)

  stage "sanitizer build (clang)"
  san_bazel build "${san_targets[@]}"
  stage "sanitizer bazel tests"
  san_bazel test "${san_targets[@]}"

  stage "sanitizer oracle subset"
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=3072 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ONNXSMITH_BIN="$(san_bazel info bazel-bin 2>/dev/null)/onnxsmith" \
    "$venv/bin/python" -m pytest -q tests/oracle \
    -k "corpus or saved_model or keras_recurrent or regressions or bad_input or user_examples"

  smoke="${FUZZ_SMOKE_SECONDS:-15}"
  if (( smoke > 0 )); then
    stage "fuzz smoke (${smoke} s/target)"
    FUZZ_OUTPUT_BASE="$san_base" tools/fuzz.sh --smoke "$smoke"
  fi
  bazel --output_base="$san_base" shutdown
fi
