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

# The Bazel rules, seen from a separate model repository (examples/model_repo).
tests/rules/rule_analysis_test.sh
tests/rules/example_test.sh
tests/rules/tampered_expected_test.sh
tests/rules/no_reconvert_test.sh
ONNXSMITH_BIN="$repo/bazel-bin/onnxsmith" "$venv/bin/python" -m pytest -q tests/oracle "$@"
