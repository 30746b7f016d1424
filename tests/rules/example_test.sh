#!/usr/bin/env bash
# (a) The example model repository builds and tests offline: every onnx_model
# converts and every onnx_model_test passes (`bazel test //...` inside it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

example_bazel test //... || fail "bazel test //... in examples/model_repo failed"
pass
