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
# their seeds and past findings, and the bad-input corpus, built with clang
# under ASan+UBSan in their own output base; then a minute per fuzz target.
# Opt-in (ONNXSMITH_SANITIZERS=1) until their cold build fits the CI budget:
# about 40 minutes on 2 cores today.
if [[ -n "${ONNXSMITH_SANITIZERS:-}" ]]; then
  tools/setup.sh --fuzz
  bazel --output_base="$HOME/.cache/onnxsmith/ob-fuzz" test --config=fuzz \
    //tests/unit/... //fuzz/... //tests/bad_inputs/...
  tools/fuzz.sh --smoke 60
fi

# The Bazel rules, seen from a separate model repository (examples/model_repo).
tests/rules/rule_analysis_test.sh
tests/rules/example_test.sh
tests/rules/tampered_expected_test.sh
tests/rules/no_reconvert_test.sh
ONNXSMITH_BIN="$repo/bazel-bin/onnxsmith" "$venv/bin/python" -m pytest -q tests/oracle "$@"
