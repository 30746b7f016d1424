#!/usr/bin/env bash
# (b) onnx_model_test fails when the expected outputs drift beyond the
# tolerance: //:small_cnn_tampered_test (tagged manual) compares small_cnn with
# TensorFlow's outputs scaled by 1.01 (rtol 1e-4, atol 1e-5). Bazel must report
# a failed test (exit 3, not a build error) and the log must name the tensor.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

target=//:small_cnn_tampered_test
tensor="Identity:0"
out="$work/out"

set +e
example_bazel test "$target" --test_output=errors >"$out" 2>&1
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
  cat "$out" >&2
  fail "$target passed, but its expected outputs are off by 1%"
fi
if [ "$rc" -ne 3 ]; then
  cat "$out" >&2
  fail "bazel exited $rc (3 = tests failed): the test did not build or run"
fi
log="$(example_bazel info bazel-testlogs 2>/dev/null)/small_cnn_tampered_test/test.log"
[ -f "$log" ] || fail "no test log at $log"
if ! grep -qF "$tensor" "$log"; then
  echo "--- $log" >&2
  cat "$log" >&2
  fail "the failure output does not name the tensor $tensor"
fi
echo "$name: failed as expected:"
grep -F "$tensor" "$log" | head -n 3 | sed 's/^/  /'
pass
