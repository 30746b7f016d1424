#!/usr/bin/env bash
# The README's second command (and CI's): install what is missing, including
# the Python venv for the oracles, then run every test: `bazel test //...`
# (GoogleTest units and shell tests) and the Python oracle tests, which
# compare onnxsmith's ONNX outputs in ONNX Runtime with TensorFlow's own.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

venv="$(tools/setup.sh --venv)"
bazel test //...
bazel build //:onnxsmith

# Sanitizers (docs/reliability.md): the unit tests, the fuzz targets replaying
# their seeds and past findings, the bad-input corpus and the oracle tests on
# real files (the shared corpus, SavedModels, Keras files, past regressions),
# built with clang under ASan+UBSan in an output base of their own (the
# toolchain differs; the disk cache keeps it warm across clones); then a
# minute of fuzzing per target. ONNXSMITH_NO_SANITIZERS=1 skips the stage
# (a cold clang build takes about 40 minutes on 2 cores).
if [[ -z "${ONNXSMITH_NO_SANITIZERS:-}" ]]; then
  tools/setup.sh --fuzz
  san_base="$(bazel info output_base)-clang"
  bazel --output_base="$san_base" test --config=fuzz --symlink_prefix=/ \
    //tests/unit/... //fuzz/... //tests/bad_inputs/...
  bazel --output_base="$san_base" build --config=fuzz --symlink_prefix=/ //:onnxsmith
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:max_allocation_size_mb=3072 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ONNXSMITH_BIN="$san_base/execroot/onnxsmith/bazel-out/k8-fastbuild/bin/onnxsmith" \
    "$venv/bin/python" -m pytest -q tests/oracle \
    -k "corpus or saved_model or keras_recurrent or regressions or bad_input or user_examples"
  FUZZ_OUTPUT_BASE="$san_base" tools/fuzz.sh --smoke 60
  bazel --output_base="$san_base" shutdown
fi

# The Bazel rules, seen from a separate model repository (examples/model_repo).
tests/rules/rule_analysis_test.sh
tests/rules/example_test.sh
tests/rules/tampered_expected_test.sh
tests/rules/no_reconvert_test.sh
ONNXSMITH_BIN="$repo/bazel-bin/onnxsmith" "$venv/bin/python" -m pytest -q tests/oracle "$@"
