"""The reference evaluator (`onnxsmith run`) against ONNX Runtime.

For every op the evaluator implements, a small ONNX model is built with onnx.helper (opset 17, and
the opsets where the op's semantics differ), run in ONNX Runtime and with `onnxsmith run`, and the
outputs are compared (float32: rtol 1e-5, atol 1e-6; integers and bools: exact). The converted
examples/small_cnn model is compared too, and a batch of 64 is timed against ONNX Runtime
(single-threaded), for information only.

The runner: `onnxsmith run` (the binary of $ONNXSMITH_BIN, default <repo>/bazel-bin/onnxsmith).
"""
import re
import subprocess
import time

import numpy as np
import pytest

import oracle_lib
from evaluator_lib import (  # noqa: F401  (runner is a fixture)
    K, X, Case, CaseList, R, check_case, f32, i64, onnx, ort, run_evaluator, run_ort, runner)
from oracle_lib import REPO_ROOT, assert_close, describe
from onnx import TensorProto, helper, numpy_helper

CASES = CaseList()
case = CASES.case

# Elementwise binary ops with broadcasting.
for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"]:
    case(op, [X(f32(2, 3, 4)), X(f32(3, 1))], id=f"{op}-bcast")
    case(op, [X(f32(5)), X(f32(2, 1, 5))], id=f"{op}-bcast-lower-rank")
for op in ["Add", "Sub", "Mul"]:
    case(op, [X(R.integers(-50, 50, (3, 4)).astype(np.int64)), X(R.integers(-5, 5, (4,)).astype(np.int64))],
         id=f"{op}-int64")
    case(op, [X(R.integers(-50, 50, (3, 4)).astype(np.int32)), X(np.int32(3))], id=f"{op}-int32-scalar")
    case(op, [X(R.standard_normal((3, 4))), X(R.standard_normal((1, 4)))], id=f"{op}-double")
case("Div", [X(R.integers(-50, 50, (3, 4)).astype(np.int32)),
             X(np.array([3, -2, 7, -1], dtype=np.int32))], id="Div-int32-trunc")
case("Pow", [X(f32(3, 4, lo=0.1, hi=3)), X(f32(4, lo=-2, hi=2))], id="Pow-float")
case("Pow", [X(f32(3, 4, lo=0.1, hi=3)), K(np.int64(3))], id="Pow-int-exponent")
case("Mod", [X(f32(3, 4, lo=-10, hi=10)), X(f32(4, lo=1, hi=3))], fmod=1, id="Mod-fmod")
case("Mod", [X(R.integers(-20, 20, (3, 4)).astype(np.int64)),
             X(np.array([3, -3, 7, -5], dtype=np.int64))], id="Mod-int-python")
for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
    a = np.round(f32(3, 4))
    case(op, [X(a), X(np.round(f32(4)))], id=f"{op}-float")
case("Equal", [X(R.integers(0, 3, (3, 4)).astype(np.int64)), X(np.int64(1))], id="Equal-int")
for op in ["And", "Or", "Xor"]:
    case(op, [X(R.random((3, 4)) > 0.5), X(R.random((4,)) > 0.5)], id=f"{op}-bcast")
case("Not", [X(R.random((3, 4)) > 0.5)])
case("Where", [X(R.random((3, 1)) > 0.5), X(f32(3, 4)), X(f32(4))], id="Where-3way")
case("Where", [X(R.random((2, 3)) > 0.5), X(np.int64(1)), X(R.integers(0, 9, (2, 3)))], id="Where-int")
case("Sum", [X(f32(2, 3)), X(f32(3)), X(f32(2, 1))], id="Sum-3")
case("Mean", [X(f32(2, 3)), X(f32(3)), X(f32(2, 1))], id="Mean-3")
case("Max", [X(f32(2, 3)), X(f32(3)), X(f32(2, 1))], id="Max-3")
case("Min", [X(f32(4))], id="Min-1")
case("PRelu", [X(f32(2, 3, 4, 4)), K(f32(3, 1, 1))], id="PRelu-channel")
case("BitShift", [X(np.array([1, 2, 200], dtype=np.uint8)), X(np.array([1, 3, 1], dtype=np.uint8))],
     direction="LEFT", id="BitShift-left")
case("BitShift", [X(np.array([16, 255], dtype=np.uint32)), X(np.array([2, 4], dtype=np.uint32))],
     direction="RIGHT", id="BitShift-right")
for op in ["BitwiseAnd", "BitwiseOr", "BitwiseXor"]:
    case(op, [X(R.integers(0, 255, (6,)).astype(np.int32)), X(R.integers(0, 255, (6,)).astype(np.int32))],
         opset=18)
case("BitwiseNot", [X(R.integers(0, 255, (6,)).astype(np.uint8))], opset=18)

# Unary math and activations.
unary = {
    "Relu": f32(3, 5), "Sigmoid": f32(3, 5, lo=-8, hi=8), "Tanh": f32(3, 5), "Softplus": f32(3, 5, lo=-5, hi=5),
    "Softsign": f32(3, 5), "Exp": f32(3, 5), "Log": f32(3, 5, lo=0.1, hi=5), "Sqrt": f32(3, 5, lo=0, hi=5),
    "Reciprocal": f32(3, 5, lo=0.5, hi=3), "Neg": f32(3, 5), "Abs": f32(3, 5),
    "Floor": f32(3, 5, lo=-5, hi=5), "Ceil": f32(3, 5, lo=-5, hi=5),
    "Round": np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49, 2.51], dtype=np.float32),
    "Sign": np.array([-2, 0, 3.5], dtype=np.float32), "Erf": f32(3, 5), "Sin": f32(3, 5), "Cos": f32(3, 5),
    "Tan": f32(3, 5, lo=-1, hi=1), "Asin": f32(3, 5, lo=-0.9, hi=0.9), "Acos": f32(3, 5, lo=-0.9, hi=0.9),
    "Atan": f32(3, 5), "Sinh": f32(3, 5), "Cosh": f32(3, 5), "Asinh": f32(3, 5),
    "Acosh": f32(3, 5, lo=1.1, hi=4), "Atanh": f32(3, 5, lo=-0.9, hi=0.9),
    "HardSwish": f32(3, 5, lo=-5, hi=5), "IsNaN": np.array([1, np.nan, -np.inf], dtype=np.float32),
    "IsInf": np.array([1, np.nan, -np.inf, np.inf], dtype=np.float32),
}
for op, a in unary.items():
    case(op, [X(a)])
case("Neg", [X(R.integers(-9, 9, (5,)).astype(np.int32))], id="Neg-int32")
case("Abs", [X(R.integers(-9, 9, (5,)).astype(np.int64))], id="Abs-int64")
case("Relu", [X(R.integers(-9, 9, (5,)).astype(np.int32))], id="Relu-int32-opset14", opset=14)
case("Exp", [X(R.standard_normal((4,)))], id="Exp-double")
case("LeakyRelu", [X(f32(3, 4))], alpha=0.2)
case("Elu", [X(f32(3, 4))], alpha=0.7)
case("Selu", [X(f32(3, 4))])
case("Celu", [X(f32(3, 4))], alpha=1.5)
case("HardSigmoid", [X(f32(3, 4, lo=-5, hi=5))], alpha=0.3, beta=0.4)
case("ThresholdedRelu", [X(f32(3, 4))], alpha=0.5)
case("Shrink", [X(f32(3, 4))], bias=0.3, lambd=0.6)
case("Mish", [X(f32(3, 4, lo=-5, hi=5))], opset=18)
case("Gelu", [X(f32(3, 4, lo=-4, hi=4))], opset=20)
case("Gelu", [X(f32(3, 4, lo=-4, hi=4))], opset=20, approximate="tanh", id="Gelu-tanh")
case("IsInf", [X(np.array([1, -np.inf, np.inf], dtype=np.float32))], detect_negative=0, id="IsInf-pos")
case("Clip", [X(f32(3, 4)), K(np.float32(-0.5)), K(np.float32(0.7))], id="Clip-11")
case("Clip", [X(f32(3, 4)), None, K(np.float32(0.7))], id="Clip-max-only")
case("Clip", [X(R.integers(-9, 9, (5,)).astype(np.int64)), K(np.int64(-2)), K(np.int64(3))], opset=13,
     id="Clip-int64")
case("Clip", [X(f32(3, 4))], opset=6, min=-0.5, max=0.5, id="Clip-6-attrs")
for to, name in [(TensorProto.INT32, "int32"), (TensorProto.INT64, "int64"), (TensorProto.BOOL, "bool"),
                 (TensorProto.DOUBLE, "double"), (TensorProto.UINT8, "uint8"), (TensorProto.FLOAT16, "f16")]:
    src = f32(3, 4, lo=0, hi=100) if name == "uint8" else f32(3, 4, lo=-100, hi=100)
    case("Cast", [X(src)], to=to, id=f"Cast-float-{name}")
case("Cast", [X(R.integers(-9, 9, (5,)))], to=TensorProto.FLOAT, id="Cast-int64-float")
case("Cast", [X(R.random((5,)) > 0.5)], to=TensorProto.FLOAT, id="Cast-bool-float")
case("Cast", [X(f32(5).astype(np.float16))], to=TensorProto.FLOAT, id="Cast-f16-float")
case("CastLike", [X(f32(5, lo=-9, hi=9)), K(np.zeros((1,), np.int32))], opset=15)

# Shape and data movement.
case("Shape", [X(f32(2, 3, 4))])
case("Shape", [X(f32(2, 3, 4, 5))], opset=15, start=1, end=-1, id="Shape-15-slice")
case("Size", [X(f32(2, 3, 4))])
case("Reshape", [X(f32(2, 3, 4)), K(i64(0, -1))], id="Reshape-zero-minus1")
case("Reshape", [X(f32(2, 3, 4)), K(i64(4, 1, 6))], id="Reshape")
case("Reshape", [X(f32(0, 4)), K(i64(4, 0))], opset=14, allowzero=1, id="Reshape-allowzero")
case("Flatten", [X(f32(2, 3, 4, 5))], axis=2)
case("Flatten", [X(f32(2, 3, 4))], axis=-1, id="Flatten-neg")
case("Flatten", [X(f32(2, 3, 4))], axis=0, id="Flatten-0")
case("Transpose", [X(f32(2, 3, 4))], id="Transpose-default")
case("Transpose", [X(f32(2, 3, 4, 5))], perm=[0, 3, 1, 2], id="Transpose-nhwc-nchw")
case("Transpose", [X(f32(3, 70, 65, 33))], perm=[0, 2, 3, 1], id="Transpose-nchw-nhwc-large")
case("Transpose", [X(f32(1, 3, 1, 5))], perm=[2, 0, 3, 1], id="Transpose-unit-dims")
case("Transpose", [X(R.integers(0, 9, (2, 3, 4, 5, 6)).astype(np.int64))], perm=[4, 2, 0, 3, 1],
     id="Transpose-5d-int64")
case("Squeeze", [X(f32(1, 3, 1, 4)), K(i64(0, -2))], opset=13)
case("Squeeze", [X(f32(1, 3, 1, 4))], opset=13, id="Squeeze-all")
case("Squeeze", [X(f32(1, 3, 1, 4))], opset=11, axes=[2], id="Squeeze-11-attr")
case("Unsqueeze", [X(f32(3, 4)), K(i64(0, 3))], opset=13)
case("Unsqueeze", [X(f32(3, 4))], opset=11, axes=[-1, 0], id="Unsqueeze-11-attr")
case("Concat", [X(f32(2, 3)), X(f32(2, 1)), X(f32(2, 4))], axis=-1)
case("Concat", [X(R.integers(0, 9, (1, 2)).astype(np.int64)), X(R.integers(0, 9, (3, 2)).astype(np.int64))],
     axis=0, id="Concat-int64")
case("Split", [X(f32(2, 7)), K(i64(2, 5))], axis=1, outputs=2, opset=13)
case("Split", [X(f32(6, 2))], outputs=3, opset=13, id="Split-even")
case("Split", [X(f32(7, 2))], outputs=3, opset=18, num_outputs=3, id="Split-18-uneven")
case("Split", [X(f32(2, 6))], outputs=2, opset=11, axis=1, split=[4, 2], id="Split-11-attr")
case("Slice", [X(f32(5, 6)), K(i64(1, -1)), K(i64(4, -6)), K(i64(0, 1)), K(i64(2, -2))], id="Slice-steps")
case("Slice", [X(f32(5, 6)), K(i64(-100)), K(i64(100)), K(i64(1))], id="Slice-clamp")
case("Slice", [X(f32(5, 6)), K(i64(4)), K(i64(-(2**63))), K(i64(0)), K(i64(-1))], id="Slice-reverse")
case("Slice", [X(f32(4, 6))], opset=9, starts=[1, 0], ends=[3, 5], id="Slice-9-attrs")
case("Gather", [X(f32(5, 4)), K(np.array([[0, -1], [2, 2]], dtype=np.int64))], axis=0)
case("Gather", [X(f32(3, 5, 2)), K(np.array([4, 0, -2], dtype=np.int32))], axis=1, id="Gather-axis1-int32")
case("Gather", [X(f32(3, 5)), K(np.int64(1))], axis=1, id="Gather-scalar-index")
case("GatherElements", [X(f32(3, 4)), K(R.integers(-3, 3, (2, 4)).astype(np.int64))], axis=0)
case("GatherND", [X(f32(2, 3, 4)), K(np.array([[1, 2], [0, -1]], dtype=np.int64))])
case("GatherND", [X(f32(2, 3, 4)), K(np.array([[1], [2]], dtype=np.int64))], batch_dims=1, id="GatherND-batch")
case("ScatterND", [X(f32(4, 3)), K(np.array([[1], [3]], dtype=np.int64)), X(f32(2, 3))])
case("ScatterND", [X(f32(4, 3)), K(np.array([[1], [1]], dtype=np.int64)), X(f32(2, 3))], opset=16,
     reduction="add", id="ScatterND-add")
case("ScatterElements", [X(f32(3, 4)), K(np.array([[1, 0, 2, 0]], dtype=np.int64)), X(f32(1, 4))], axis=0)
case("Expand", [X(f32(3, 1)), K(i64(2, 3, 4))])
case("Expand", [X(f32(2, 3)), K(i64(1, 3))], id="Expand-bidirectional")
case("Tile", [X(f32(2, 3)), K(i64(2, 3))])
case("Tile", [X(R.integers(0, 9, (1, 2, 1)).astype(np.int32)), K(i64(3, 1, 2))], id="Tile-int32")
case("Pad", [X(f32(2, 3)), K(i64(1, 2, 0, 1)), K(np.float32(1.5))], id="Pad-constant")
case("Pad", [X(f32(3, 4)), K(i64(2, 1, 1, 3))], mode="reflect", id="Pad-reflect")
case("Pad", [X(f32(3, 4)), K(i64(2, 1, 1, 3))], mode="edge", id="Pad-edge")
case("Pad", [X(f32(3, 4)), K(i64(-1, 1, 0, -2))], id="Pad-negative")
case("Pad", [X(f32(2, 3, 4)), K(i64(1, 2)), None, K(i64(-1))], opset=18, id="Pad-18-axes")
case("Pad", [X(f32(3, 4)), K(i64(2, 1, 1, 3))], opset=19, mode="wrap", id="Pad-19-wrap")
case("Pad", [X(f32(2, 3))], opset=2, pads=[0, 1, 1, 0], value=2.0, id="Pad-2-attrs")
case("ConstantOfShape", [K(i64(2, 3))], value=numpy_helper.from_array(np.array([7], np.int64)))
case("ConstantOfShape", [X(i64(2, 3))], id="ConstantOfShape-default")
case("Range", [X(np.float32(1)), X(np.float32(5.5)), X(np.float32(0.7))], id="Range-float")
case("Range", [X(np.int64(10)), X(np.int64(-3)), X(np.int64(-4))], id="Range-int64")
case("Identity", [X(f32(3))])
case("NonZero", [X(np.array([[0, 1, 0], [2, 0, 3]], dtype=np.float32))])
case("OneHot", [X(np.array([0, 2, -1, 5], dtype=np.int64)), K(np.float32(4)),
                K(np.array([0, 1], dtype=np.float32))], axis=0)
case("CumSum", [X(f32(3, 4)), K(np.int32(1))])
case("CumSum", [X(f32(3, 4)), K(np.int64(0))], exclusive=1, reverse=1, id="CumSum-excl-rev")
case("TopK", [X(f32(3, 6)), K(i64(3))], outputs=2)
case("TopK", [X(f32(3, 6)), K(i64(2))], outputs=2, axis=0, largest=0, id="TopK-smallest")
case("TopK", [X(np.array([[1, 3, 3, 2, 3]], dtype=np.float32)), K(i64(2))], outputs=2, id="TopK-ties")
case("Trilu", [X(f32(2, 4, 5)), K(np.int64(1))], opset=14)
case("Trilu", [X(f32(4, 5))], opset=14, upper=0, id="Trilu-lower")
case("EyeLike", [X(f32(3, 4))], k=1)
case("Dropout", [X(f32(3, 4))], opset=13)

# Reductions: attribute form (opset 13; ReduceSum already takes an input) and input form (18).
reduce_ops = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]
for op in reduce_ops:
    data = f32(3, 4, 5, lo=0.5, hi=1.5) if op in ("ReduceLogSum", "ReduceProd") else f32(3, 4, 5)
    if op == "ReduceSum":
        case(op, [X(data), K(i64(1))], opset=13, id=f"{op}-13")
        case(op, [X(data)], opset=11, axes=[0, 2], keepdims=0, id=f"{op}-11-attr")
    else:
        case(op, [X(data)], opset=13, axes=[1], id=f"{op}-13-attr")
        case(op, [X(data)], opset=13, axes=[0, 2], keepdims=0, id=f"{op}-13-attr-multi")
        case(op, [X(data)], opset=13, id=f"{op}-13-all")
    case(op, [X(data), K(i64(-1, 0))], opset=18, keepdims=0, id=f"{op}-18-input")
    case(op, [X(data), K(i64(1))], opset=18, id=f"{op}-18-keepdims")
case("ReduceSum", [X(f32(3, 4)), K(np.zeros((0,), np.int64))], opset=13, noop_with_empty_axes=1,
     id="ReduceSum-noop")
case("ReduceMax", [X(f32(3, 4))], opset=18, id="ReduceMax-18-all")
case("ReduceSum", [X(R.integers(-9, 9, (3, 4)).astype(np.int64)), K(i64(0))], opset=13, id="ReduceSum-int64")
case("ArgMax", [X(f32(3, 4, 5))], axis=1)
case("ArgMin", [X(f32(3, 4, 5))], axis=-1, keepdims=0)
case("ArgMax", [X(np.array([[1, 5, 5, 2]], dtype=np.float32))], axis=1, select_last_index=1, id="ArgMax-last")

# Linear algebra and convolution.
case("MatMul", [X(f32(4, 5)), X(f32(5, 3))], id="MatMul-2d")
case("MatMul", [X(f32(2, 1, 4, 5)), X(f32(3, 5, 6))], id="MatMul-batched-bcast")
case("MatMul", [X(f32(2, 7, 5)), K(f32(5, 3))], id="MatMul-3d-x-2d")
case("MatMul", [X(f32(5)), X(f32(2, 5, 3))], id="MatMul-1d-left")
case("MatMul", [X(f32(2, 3, 5)), X(f32(5))], id="MatMul-1d-right")
case("MatMul", [X(f32(64, 300)), X(f32(300, 96))], id="MatMul-large", rtol=1e-4, atol=1e-5)
case("MatMul", [X(R.integers(-9, 9, (3, 4)).astype(np.int32)), X(R.integers(-9, 9, (4, 2)).astype(np.int32))],
     id="MatMul-int32")
case("Gemm", [X(f32(4, 3)), K(f32(5, 4)), K(f32(5))], transA=1, transB=1, alpha=0.5, beta=2.0)
case("Gemm", [X(f32(3, 4)), K(f32(4, 5)), K(f32(3, 1))], id="Gemm-C-column")
case("Gemm", [X(f32(3, 4)), K(f32(4, 5))], id="Gemm-no-C")
for name, x_shape, w_shape, kw in [
    ("Conv-basic", (2, 3, 9, 9), (4, 3, 3, 3), dict(pads=[1, 1, 1, 1])),
    ("Conv-stride-dilation", (1, 4, 13, 11), (6, 4, 3, 3), dict(strides=[2, 1], dilations=[2, 2], pads=[2, 1, 0, 1])),
    ("Conv-group", (2, 4, 8, 8), (6, 2, 3, 3), dict(group=2, pads=[1, 1, 1, 1])),
    ("Conv-depthwise", (2, 6, 10, 10), (6, 1, 3, 3), dict(group=6, pads=[1, 1, 1, 1], strides=[2, 2])),
    ("Conv-depthwise-mult", (1, 3, 7, 7), (6, 1, 5, 5), dict(group=3, pads=[2, 2, 2, 2])),
    ("Conv-pointwise", (2, 8, 5, 5), (4, 8, 1, 1), {}),
    ("Conv-same-upper", (1, 2, 7, 8), (3, 2, 3, 3), dict(auto_pad="SAME_UPPER", strides=[2, 2])),
    ("Conv-same-lower", (1, 2, 7, 8), (3, 2, 4, 4), dict(auto_pad="SAME_LOWER", strides=[2, 3])),
    ("Conv-valid", (1, 2, 7, 8), (3, 2, 3, 2), dict(auto_pad="VALID")),
    ("Conv-1d", (2, 3, 20), (5, 3, 4), dict(strides=[2], pads=[1, 2], dilations=[2])),
    ("Conv-3d", (1, 2, 5, 6, 7), (3, 2, 3, 2, 3), dict(pads=[1, 0, 1, 1, 1, 0], strides=[1, 2, 2])),
]:
    case("Conv", [X(f32(*x_shape)), K(f32(*w_shape, lo=-0.5, hi=0.5)), K(f32(w_shape[0]))], id=name,
         rtol=1e-4, atol=1e-5, **kw)
case("Conv", [X(f32(1, 3, 6, 6)), K(f32(2, 3, 3, 3))], id="Conv-no-bias", rtol=1e-4, atol=1e-5)
for name, x_shape, w_shape, kw in [
    ("ConvTranspose-basic", (1, 3, 5, 5), (3, 2, 3, 3), {}),
    ("ConvTranspose-stride-pads", (2, 2, 4, 5), (2, 3, 3, 3), dict(strides=[2, 2], pads=[1, 0, 1, 1])),
    ("ConvTranspose-output-padding", (1, 2, 4, 4), (2, 2, 3, 3), dict(strides=[2, 2], output_padding=[1, 1])),
    ("ConvTranspose-group-dilation", (1, 4, 4, 4), (4, 1, 3, 3), dict(group=2, dilations=[2, 2])),
    ("ConvTranspose-output-shape", (1, 2, 4, 4), (2, 2, 3, 3), dict(strides=[2, 2], output_shape=[8, 9])),
    ("ConvTranspose-same-upper", (1, 2, 4, 4), (2, 2, 3, 3), dict(strides=[2, 2], auto_pad="SAME_UPPER")),
    ("ConvTranspose-1d", (1, 2, 6), (2, 3, 3), dict(strides=[2])),
]:
    case("ConvTranspose", [X(f32(*x_shape)), K(f32(*w_shape, lo=-0.5, hi=0.5)), K(f32(w_shape[1] * kw.get("group", 1)))],
         id=name, rtol=1e-4, atol=1e-5, **kw)
for name, op, shape, kw in [
    ("MaxPool-basic", "MaxPool", (2, 3, 8, 8), dict(kernel_shape=[2, 2], strides=[2, 2])),
    ("MaxPool-pads-ceil", "MaxPool", (1, 2, 7, 7), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)),
    ("MaxPool-ceil-edge", "MaxPool", (1, 1, 6, 6), dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
    ("MaxPool-dilation", "MaxPool", (1, 2, 9, 9), dict(kernel_shape=[3, 3], dilations=[2, 2])),
    ("MaxPool-same-upper", "MaxPool", (1, 2, 7, 6), dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")),
    ("MaxPool-1d", "MaxPool", (2, 3, 11), dict(kernel_shape=[3], strides=[2], pads=[1, 1])),
    ("MaxPool-3d", "MaxPool", (1, 2, 5, 6, 7), dict(kernel_shape=[2, 3, 2], strides=[2, 2, 2])),
    ("AveragePool-basic", "AveragePool", (2, 3, 8, 8), dict(kernel_shape=[2, 2], strides=[2, 2])),
    ("AveragePool-pads-exclude", "AveragePool", (1, 2, 7, 7), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
    ("AveragePool-pads-include", "AveragePool", (1, 2, 7, 7), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)),
    ("AveragePool-ceil", "AveragePool", (1, 1, 6, 6), dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)),
    ("AveragePool-ceil-include", "AveragePool", (1, 1, 6, 6), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)),
    ("MaxPool-ceil-drop-last", "MaxPool", (1, 1, 6, 6), dict(kernel_shape=[2, 2], strides=[4, 4], pads=[1, 1, 1, 1], ceil_mode=1)),
    ("AveragePool-ceil-drop-last", "AveragePool", (1, 1, 5, 5), dict(kernel_shape=[2, 2], strides=[3, 3], pads=[0, 0, 1, 1], ceil_mode=1)),
    ("AveragePool-same-lower", "AveragePool", (1, 2, 7, 6), dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER")),
    ("AveragePool-1d", "AveragePool", (2, 3, 11), dict(kernel_shape=[3], strides=[2], pads=[1, 1])),
    ("AveragePool-3d", "AveragePool", (1, 2, 5, 6, 7), dict(kernel_shape=[2, 3, 2], strides=[2, 2, 2])),
]:
    case(op, [X(f32(*shape))], id=name, **kw)
case("AveragePool", [X(f32(1, 2, 9, 9))], opset=19, kernel_shape=[3, 3], dilations=[2, 2], pads=[1, 1, 1, 1],
     id="AveragePool-19-dilation")
case("MaxPool", [X(f32(1, 2, 6, 6))], kernel_shape=[2, 2], strides=[2, 2], outputs=2, id="MaxPool-indices")
case("GlobalAveragePool", [X(f32(2, 3, 5, 6))])
case("GlobalMaxPool", [X(f32(2, 3, 5, 6))])
case("BatchNormalization", [X(f32(2, 3, 4, 5)), K(f32(3)), K(f32(3)), K(f32(3)), K(f32(3, lo=0.5, hi=2))],
     epsilon=1e-3, rtol=1e-5, atol=1e-5)
case("InstanceNormalization", [X(f32(2, 3, 4, 5)), K(f32(3)), K(f32(3))], rtol=1e-4, atol=1e-5)
case("LayerNormalization", [X(f32(2, 3, 8)), K(f32(8)), K(f32(8))], rtol=1e-4, atol=1e-5)
case("LayerNormalization", [X(f32(2, 3, 4)), K(f32(3, 4))], axis=1, epsilon=1e-3, rtol=1e-4, atol=1e-5,
     id="LayerNormalization-axis1-nobias")
for op in ["Softmax", "LogSoftmax", "Hardmax"]:
    case(op, [X(f32(2, 3, 4))], opset=11, axis=1, id=f"{op}-11-coerced")
    case(op, [X(f32(2, 3, 4))], opset=13, axis=1, id=f"{op}-13-axis1")
    case(op, [X(f32(2, 3, 4, lo=-20, hi=20))], opset=13, id=f"{op}-13-last")
case("LRN", [X(f32(2, 5, 4, 4))], size=3, alpha=1e-3, beta=0.6, bias=1.5)
case("LRN", [X(f32(1, 6, 3, 3))], size=5, id="LRN-size5")
for coord in ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"]:
    for nearest in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]:
        case("Resize", [X(f32(1, 2, 5, 4)), None, K(np.array([1, 1, 1.6, 2.5], np.float32))], opset=13,
             mode="nearest", coordinate_transformation_mode=coord, nearest_mode=nearest,
             id=f"Resize-nearest-{coord}-{nearest}")
for coord in ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]:
    case("Resize", [X(f32(2, 3, 5, 4)), None, None, K(i64(2, 3, 8, 11))], opset=13, mode="linear",
         coordinate_transformation_mode=coord, id=f"Resize-linear-up-{coord}")
    case("Resize", [X(f32(1, 2, 9, 8)), None, K(np.array([1, 1, 0.5, 0.7], np.float32))], opset=13,
         mode="linear", coordinate_transformation_mode=coord, id=f"Resize-linear-down-{coord}")
case("Resize", [X(f32(1, 2, 5, 4)), None, K(np.array([1, 1, 2, 1.5], np.float32))], opset=13, mode="cubic",
     id="Resize-cubic", rtol=1e-4, atol=1e-5)
case("Resize", [X(f32(1, 2, 5, 4)), None, K(np.array([1, 1, 2, 1.5], np.float32))], opset=13, mode="cubic",
     exclude_outside=1, cubic_coeff_a=-0.5, coordinate_transformation_mode="asymmetric",
     id="Resize-cubic-exclude", rtol=1e-4, atol=1e-5)
case("Resize", [X(f32(1, 1, 4, 5)), K(np.array([0, 0, 0.2, 0.3, 1, 1, 0.8, 0.9], np.float32)), None,
                K(i64(1, 1, 6, 7))], opset=13, mode="linear", coordinate_transformation_mode="tf_crop_and_resize",
     extrapolation_value=-1.0, id="Resize-crop")
case("Resize", [X(f32(1, 2, 3, 4)), K(np.zeros((0,), np.float32)), K(np.array([1, 1, 2, 2], np.float32))],
     opset=11, mode="nearest", id="Resize-11")
case("Resize", [X(f32(1, 2, 3, 4)), K(np.array([1, 1, 2, 3], np.float32))], opset=10, mode="nearest",
     id="Resize-10-nearest")
case("Resize", [X(f32(1, 2, 6, 6)), K(np.array([1, 1, 0.5, 0.7], np.float32))], opset=10, mode="linear",
     id="Resize-10-linear-down")
case("Resize", [X(f32(1, 2, 3, 4)), None, None, K(i64(6, 6))], opset=18, mode="linear", axes=[2, 3],
     id="Resize-18-axes")
case("Resize", [X(f32(1, 2, 4, 6)), None, None, K(i64(6, 6))], opset=18, mode="nearest", axes=[2, 3],
     keep_aspect_ratio_policy="not_larger", id="Resize-18-not-larger")
case("Resize", [X(R.integers(0, 255, (1, 1, 3, 3)).astype(np.uint8)), None,
                K(np.array([1, 1, 2, 2], np.float32))], opset=13, mode="nearest", id="Resize-nearest-uint8")
case("Upsample", [X(f32(1, 2, 3, 4)), K(np.array([1, 1, 2, 3], np.float32))], opset=9, mode="nearest")
case("DepthToSpace", [X(f32(1, 8, 2, 3))], blocksize=2)
case("DepthToSpace", [X(f32(1, 8, 2, 3))], blocksize=2, mode="CRD", id="DepthToSpace-CRD")
case("SpaceToDepth", [X(f32(1, 2, 4, 6))], blocksize=2)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_op_matches_onnxruntime(c: Case, runner, tmp_path):
    check_case(c, runner, tmp_path)


def test_every_evaluator_op_has_an_oracle_case():
    """Each op in the kernel registry is exercised above or in test_evaluator_quant_rnn.py (Constant is covered by the graph tests,
    control flow and sequences by test_evaluator_control_flow.py)."""
    import test_evaluator_quant_rnn
    from test_evaluator_control_flow import CONTROL_FLOW_OPS

    covered = {c.op for c in CASES + test_evaluator_quant_rnn.CASES} | {"Constant"} | CONTROL_FLOW_OPS
    src = (REPO_ROOT / "evaluator").glob("*.cc")
    registered = set()
    for f in src:
        registered |= set(re.findall(r'r\.Register\("([A-Za-z]+)"', f.read_text()))
        registered |= set(re.findall(r'\{"(Reduce[A-Za-z]+)", RKind', f.read_text()))
        registered |= set(re.findall(r'FLOAT_UNARY\("([A-Za-z]+)"', f.read_text()))
    missing = sorted(registered - covered)
    assert not missing, f"ops without an oracle case: {missing}"


# --------------------------------------------------------------------------------------------
# Graph-level behaviour
# --------------------------------------------------------------------------------------------


def test_graph_with_constants_and_shape_ops(runner, tmp_path):
    """A Constant node, a shape computation (Shape/Gather/Concat/Reshape) and an initializer."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])
    nodes = [
        helper.make_node("Constant", [], ["minus1"], value=numpy_helper.from_array(i64(-1))),
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "zero"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["mm"]),
        helper.make_node("Relu", ["mm"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.int64(0).reshape(()), "zero_s")]
    inits = [numpy_helper.from_array(i64(0), "zero"), numpy_helper.from_array(f32(24, 5), "w")]
    # Gather with a 1-D index keeps the axis: n is [1]; Unsqueeze makes [1,1] -> use Squeeze-free path.
    nodes[3] = helper.make_node("Identity", ["n"], ["n1"])
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = tmp_path / "g.onnx"
    onnx.save(model, str(path))
    feeds = {"x": f32(3, 4, 6)}
    expected = run_ort(path, feeds)
    actual, _ = run_evaluator(runner, path, feeds, tmp_path, ["y"])
    assert_close(actual["y"], expected["y"], atol=1e-5, rtol=1e-5)


def test_corrupt_npy_is_a_clear_error(runner, tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    bad = tmp_path / "bad.npy"
    good = tmp_path / "good.npy"
    np.save(good, np.ones(2, np.float32))
    bad.write_bytes(good.read_bytes()[:-3])
    proc = subprocess.run(list(runner) + [str(path), "--input", f"x={bad}", "--output_dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "not a valid .npy file" in proc.stderr, describe(proc)
    proc = subprocess.run(list(runner) + [str(path), "--input", f"x={good}", "--input", f"z={good}",
                                          "--output_dir", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode != 0 and "'z' is not a graph input" in proc.stderr, describe(proc)
    np.save(good, np.ones(3, np.float32))
    proc = subprocess.run(list(runner) + [str(path), "--input", f"x={good}", "--output_dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "must have shape [2]" in proc.stderr, describe(proc)


def test_unsupported_op_names_node(runner, tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["a"]),
                               helper.make_node("Det", ["a"], ["y"], name="the_det")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    good = tmp_path / "x.npy"
    np.save(good, np.ones((2, 2), np.float32))
    proc = subprocess.run(list(runner) + [str(path), "--input", f"x={good}", "--output_dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "the_det" in proc.stderr and "Det" in proc.stderr, describe(proc)


# --------------------------------------------------------------------------------------------
# The example CNN
# --------------------------------------------------------------------------------------------

CNN_DIR = REPO_ROOT / "examples" / "small_cnn"


@pytest.fixture(scope="module")
def cnn_model(tmp_path_factory, onnxsmith_bin):
    out = tmp_path_factory.mktemp("cnn") / "cnn.onnx"
    proc = oracle_lib.run_cli(onnxsmith_bin, ["convert", "--graphdef", str(CNN_DIR / "model.pb"),
                                              "--output", str(out)])
    assert proc.returncode == 0, describe(proc)
    return out


def _run_timed(runner, model, x, tmp_path, threads):
    """Fastest of 10 in-process runs (after the first, buffers come from the pool)."""
    _, proc = run_evaluator(runner, model, {"image:0": x}, tmp_path, ["Identity:0"],
                            extra=["--run_threads", str(threads), "--run_repeat", "10"])
    m = re.search(r"run ([0-9.]+) ms", proc.stdout)
    return float(m.group(1)) / 1000 if m else float("nan")


def _ort_timed(model, x, level):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    so.graph_optimization_level = level
    sess = ort.InferenceSession(str(model), sess_options=so, providers=["CPUExecutionProvider"])
    sess.run(None, {"image:0": x})
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        sess.run(None, {"image:0": x})
        times.append(time.perf_counter() - t0)
    return min(times)


def test_small_cnn_matches_onnxruntime_and_timing(cnn_model, runner, tmp_path):
    x = np.load(CNN_DIR / "input.npy").astype(np.float32)
    expected = run_ort(cnn_model, {"image:0": x})
    actual, _ = run_evaluator(runner, cnn_model, {"image:0": x}, tmp_path, ["Identity:0"])
    assert_close(actual["Identity:0"], expected["Identity:0"], atol=1e-6, rtol=1e-5, what="small_cnn")

    # A batch of 64: informational timing, no assertion on speed.
    rng = np.random.default_rng(7)
    batch = rng.uniform(0, 1, size=(64,) + x.shape[1:]).astype(np.float32)
    expected = run_ort(cnn_model, {"image:0": batch})
    actual, _ = run_evaluator(runner, cnn_model, {"image:0": batch}, tmp_path, ["Identity:0"])
    assert_close(actual["Identity:0"], expected["Identity:0"], atol=1e-6, rtol=1e-5, what="small_cnn batch 64")

    ort_plain = _ort_timed(cnn_model, batch, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    ort_full = _ort_timed(cnn_model, batch, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    ours1 = _run_timed(runner, cnn_model, batch, tmp_path, 1)
    ours2 = _run_timed(runner, cnn_model, batch, tmp_path, 0)
    print(f"\nsmall_cnn batch 64 (best of 10): onnxsmith run 1 thread {ours1 * 1e3:.2f} ms, "
          f"all cores {ours2 * 1e3:.2f} ms; ORT 1 thread, graph optimizations off "
          f"{ort_plain * 1e3:.2f} ms (ratio {ours1 / ort_plain:.2f}), on {ort_full * 1e3:.2f} ms "
          f"(ratio {ours1 / ort_full:.2f})")
