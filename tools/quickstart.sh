#!/usr/bin/env bash
# The README's first command: install what is missing, build onnxsmith, and
# convert the bundled example (a frozen Keras CNN), printing the report.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

tools/setup.sh
bazel build //:onnxsmith  # a release build (-c opt, .bazelrc)
mkdir -p out
bazel-bin/onnxsmith convert --graphdef examples/small_cnn/model.pb --output out/small_cnn.onnx
bazel-bin/onnxsmith inspect out/small_cnn.onnx
