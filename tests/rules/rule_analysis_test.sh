#!/usr/bin/env bash
# (d) onnx_model's analysis, in the main workspace and without converting
# anything: the onnxsmith command line chosen for each source format and
# option (bazel aquery), and the clear analysis-time errors for bad
# attributes (bazel build --nobuild). Targets: tests/rules/BUILD (manual).
uses_example=0  # main workspace only, nothing converted
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo"

# The convert command line of //tests/rules:$1, one argument per line.
command_of() {
  bazel aquery "mnemonic(\"OnnxsmithConvert\", //tests/rules:$1)" --output=jsonproto 2>/dev/null |
    python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["actions"][0]["arguments"]))'
}

expect_args() {  # target, then expected fragments of the space-joined command
  local target="$1" cmd
  shift
  cmd="$(command_of "$target" | tr '\n' ' ')" || fail "aquery //tests/rules:$target failed"
  for frag in "$@"; do
    case "$cmd" in
      *"$frag"*) ;;
      *) fail "//tests/rules:$target: '$frag' not in: $cmd" ;;
    esac
  done
}

refute_args() {
  local target="$1" cmd
  shift
  cmd="$(command_of "$target" | tr '\n' ' ')"
  for frag in "$@"; do
    case "$cmd" in
      *"$frag"*) fail "//tests/rules:$target: unexpected '$frag' in: $cmd" ;;
    esac
  done
}

expect_args auto_saved_model "convert --saved-model tests/rules/testdata/fake_saved_model " \
  "--opset 13" "--inputs-as-nchw input_1:0"
expect_args auto_keras "convert --keras tests/rules/testdata/fake.keras " "--optimize=0"
expect_args auto_h5 "--keras tests/rules/testdata/fake.h5 " "--opset 17" \
  "--custom-ops MyOp,Other:my.domain"
refute_args auto_h5 "--optimize"
expect_args auto_pbtxt "--graphdef tests/rules/testdata/fake.pbtxt " \
  "--inputs x:0[1,224,224,3] " "--outputs y:0,z:0 " "--check=false"
expect_args explicit_graphdef "--graphdef tests/rules/testdata/fake.tflite " "--opset 21"
expect_args quantized_static "--quantize int8 --mode static --calibration tests/rules/testdata/fake_calib.npz --reduce-range"
expect_args quantized_dynamic "--quantize int8 --mode dynamic --full-range"
refute_args quantized_dynamic "--calibration"
refute_args auto_pbtxt "--quantize"

# The script onnx_model_test writes (built alone through its output group).
bazel build --output_groups=script //tests/rules:script_test >"$work/out" 2>&1 ||
  { cat "$work/out" >&2; fail "building the script of //tests/rules:script_test failed"; }
script="$(bazel info bazel-bin 2>/dev/null)/tests/rules/script_test.sh"
want="exec './onnxsmith' run 'tests/rules/auto_pbtxt.onnx' --input 'x:0=tests/rules/testdata/fake.npy' --input 'x2:0=tests/rules/testdata/fake.npy' --expect 'y:0=tests/rules/testdata/fake.npy' --rtol 0.0001 --atol 0.5 --output_dir \"\${TEST_TMPDIR:-.}\" \"\$@\""
grep -qxF -- "$want" "$script" || { cat "$script" >&2; fail "unexpected test script; wanted: $want"; }
bazel build --output_groups=script //tests/rules:quantized_script_test >"$work/out" 2>&1 ||
  { cat "$work/out" >&2; fail "building the script of //tests/rules:quantized_script_test failed"; }
grep -qF -- "--min-sqnr 20 " "$(bazel info bazel-bin 2>/dev/null)/tests/rules/quantized_script_test.sh" ||
  fail "a quantized model's test is not judged by SQNR (--min-sqnr 20)"

expect_error() {  # target, expected message fragment
  if bazel build --nobuild "//tests/rules:$1" >"$work/out" 2>&1; then
    fail "//tests/rules:$1 passed analysis; expected: $2"
  fi
  grep -qF -- "$2" "$work/out" || { cat "$work/out" >&2; fail "//tests/rules:$1: no '$2' in the error"; }
}

expect_error bad_opset_low "opset 12 is out of range: onnxsmith emits ai.onnx opsets 13 to 21"
expect_error bad_opset_high "opset 22 is out of range"
expect_error bad_format "unknown format 'tflite': expected one of auto, graphdef, saved_model, keras"
expect_error bad_suffix "cannot tell the format of tests/rules/testdata/fake.tflite"
expect_error bad_saved_model_without_pb "contains no saved_model.pb"
expect_error bad_custom_op "custom_ops: bad entry 'A:b:c'"
expect_error bad_no_expected "expected is empty"
expect_error bad_quantize 'quantize = "int4": expected "int8"'
expect_error bad_quantize_without_calibration '(static) needs calibration'
expect_error bad_calibration_without_quantize 'calibration is set but quantize is not'
expect_error bad_quantize_mode 'quantize_mode = "qat": expected one of static, dynamic'
pass
