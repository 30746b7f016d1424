"""The reference evaluator against ONNX Runtime, part 2: quantization kernels, opset-21 forms and the
recurrent ops (LSTM/GRU/RNN), one op per model (see test_evaluator.py for part 1 and the method).
"""

import numpy as np
import pytest

from evaluator_lib import K, X, CaseList, R, check_case, f32, i64, runner  # noqa: F401  (runner is a fixture)
from onnx import TensorProto, numpy_helper

CASES = CaseList()
case = CASES.case

# Quantization.
case("QuantizeLinear", [X(f32(2, 3, 4, lo=-3, hi=3)), K(np.float32(0.05)), K(np.uint8(128))])
case("QuantizeLinear", [X(f32(2, 3, 4, lo=-3, hi=3)), K(np.array([0.02, 0.05, 0.1], np.float32)),
                        K(np.array([0, 1, -3], np.int8))], axis=1, opset=13, id="QuantizeLinear-per-axis")
case("DequantizeLinear", [X(R.integers(0, 255, (2, 3)).astype(np.uint8)), K(np.float32(0.1)), K(np.uint8(100))])
case("DequantizeLinear", [X(R.integers(-128, 127, (2, 3)).astype(np.int8)), K(np.array([0.1, 0.2, 0.3], np.float32)),
                          K(np.array([0, 1, 2], np.int8))], axis=1, opset=13, id="DequantizeLinear-per-axis")
case("DequantizeLinear", [X(R.integers(-1000, 1000, (4,)).astype(np.int32)), K(np.float32(0.01))],
     id="DequantizeLinear-int32")
case("DynamicQuantizeLinear", [X(f32(3, 4, lo=-2, hi=5))], outputs=3, opset=11)
case("MatMulInteger", [X(R.integers(0, 255, (3, 4)).astype(np.uint8)), X(R.integers(0, 255, (4, 5)).astype(np.uint8)),
                       K(np.uint8(12)), K(np.uint8(130))], opset=10)
# (int8 B within +-64: ORT's u8s8 kernels saturate int16 pair sums beyond that.)
case("MatMulInteger", [X(R.integers(0, 255, (2, 3, 4)).astype(np.uint8)), K(R.integers(-64, 63, (4, 5)).astype(np.int8))],
     opset=10, id="MatMulInteger-batched-int8")
# Exact halves (x / scale = k + 0.5) round to even; out-of-range values saturate.
_HALVES = np.array([0.25, 0.75, -0.25, -0.75, 1.25, 100.0, -100.0, 0.0], np.float32)
case("QuantizeLinear", [X(_HALVES), K(np.float32(0.5)), K(np.uint8(10))], opset=13, id="QuantizeLinear-halves-uint8")
case("QuantizeLinear", [X(_HALVES), K(np.float32(0.5)), K(np.int8(-3))], opset=19, id="QuantizeLinear-19-halves-int8")
case("QuantizeLinear", [X(f32(2, 3, 4, lo=-3, hi=3)), K(np.array([0.02, 0.05, 0.1, 0.2], np.float32)),
                        K(np.array([0, 1, -3, 5], np.int8))], axis=-1, opset=19, id="QuantizeLinear-19-per-axis-last")
case("QuantizeLinear", [X(f32(3, 2, lo=-3, hi=3)), K(np.array([0.02, 0.05, 0.1], np.float32)),
                        K(np.array([3, 1, 200], np.uint8))], axis=0, opset=21, id="QuantizeLinear-21-per-axis")
case("DequantizeLinear", [X(R.integers(0, 255, (3, 2, 2)).astype(np.uint8)), K(np.array([0.1, 0.2, 0.3], np.float32)),
                          K(np.array([0, 128, 255], np.uint8))], axis=0, opset=19, id="DequantizeLinear-19-per-axis")
case("DynamicQuantizeLinear", [X(f32(5, 7, lo=0.5, hi=3))], outputs=3, opset=11, id="DynamicQuantizeLinear-positive")


def _u8(*shape):
    return R.integers(0, 256, shape).astype(np.uint8)


def _s8w(*shape):
    # int8 weights within +-64: ORT's u8s8 AVX2 kernels saturate int16 pair sums beyond that.
    return R.integers(-64, 64, shape).astype(np.int8)


case("ConvInteger", [X(_u8(1, 3, 6, 7)), K(_u8(4, 3, 3, 3)), K(np.uint8(120)), K(np.uint8(7))], opset=10,
     pads=[1, 0, 1, 2], strides=[2, 1], id="ConvInteger-u8u8-pads-strides")
case("ConvInteger", [X(_u8(2, 4, 5, 5)), K(_u8(4, 2, 2, 2)), K(np.uint8(3))], opset=10, group=2,
     dilations=[2, 1], id="ConvInteger-group-dilation")
case("QLinearConv", [X(_u8(1, 3, 8, 8)), K(np.float32(0.02)), K(np.uint8(128)), K(_s8w(5, 3, 3, 3)),
                     K(np.array([0.01, 0.02, 0.005, 0.03, 0.011], np.float32)), K(np.zeros(5, np.int8)),
                     K(np.float32(0.05)), K(np.uint8(100)), K(R.integers(-3000, 3000, 5).astype(np.int32))],
     opset=13, pads=[1, 1, 1, 1], id="QLinearConv-per-channel-bias")
case("QLinearConv", [X(_u8(1, 4, 7, 7)), K(np.float32(0.1)), K(np.uint8(5)), K(_u8(4, 1, 3, 3)),
                     K(np.float32(0.003)), K(np.uint8(130)), K(np.float32(0.4)), K(np.uint8(0))],
     opset=10, group=4, strides=[2, 2], id="QLinearConv-depthwise-u8u8")
case("QLinearConv", [X(R.integers(-128, 128, (2, 3, 5, 5)).astype(np.int8)), K(np.float32(0.05)), K(np.int8(-10)),
                     K(_s8w(6, 3, 1, 1)),
                     K(np.float32(0.01)), K(np.int8(0)), K(np.float32(0.02)), K(np.int8(-5))],
     opset=13, id="QLinearConv-pointwise-int8-out")
case("QLinearMatMul", [X(_u8(2, 3, 8)), K(np.float32(0.03)), K(np.uint8(120)), K(_s8w(8, 5)),
                       K(np.float32(0.02)), K(np.int8(0)), K(np.float32(0.1)), K(np.uint8(128))],
     opset=10, id="QLinearMatMul-batched-u8s8")
case("QLinearMatMul", [X(_u8(4, 6)), K(np.float32(0.5)), K(np.uint8(3)), K(_u8(6, 3)),
                       K(np.array([0.01, 0.02, 0.03], np.float32)), K(np.array([1, 2, 3], np.uint8)),
                       K(np.float32(4.0)), K(np.uint8(9))], opset=13, id="QLinearMatMul-per-column")


# Opset 21 (IR 10): ops whose type lists or attributes grew.
case("Reshape", [X(f32(2, 3, 4)), K(i64(4, -1))], opset=21, id="Reshape-21")
case("Squeeze", [X(f32(1, 3, 1)), K(i64(0))], opset=21, id="Squeeze-21")
case("Transpose", [X(f32(2, 3, 4))], opset=21, perm=[1, 0, 2], id="Transpose-21")
case("Flatten", [X(f32(2, 3, 4))], opset=21, axis=1, id="Flatten-21")
case("Pad", [X(f32(2, 3)), K(i64(1, 0, 0, 2))], opset=21, mode="edge", id="Pad-21")
case("Cast", [X(f32(4, lo=-50, hi=50))], opset=21, to=TensorProto.INT8, id="Cast-21")
case("ConstantOfShape", [K(i64(2, 2))], opset=21, value=numpy_helper.from_array(np.array([3], np.int32)),
     id="ConstantOfShape-21")
case("QuantizeLinear", [X(f32(2, 3, lo=-3, hi=3)), K(np.float32(0.05))], opset=21,
     output_dtype=TensorProto.INT8, id="QuantizeLinear-21-output-dtype")
case("DequantizeLinear", [X(R.integers(-128, 127, (2, 3)).astype(np.int8)), K(np.array([0.1, 0.2, 0.3], np.float32))],
     axis=1, opset=21, id="DequantizeLinear-21-per-axis")
case("ReduceMean", [X(f32(3, 4)), K(i64(1))], opset=21, keepdims=0, id="ReduceMean-21")


# Recurrent ops (kernels_recurrent.cc): T=4 steps, batch 3, 3 features, hidden 2.
def _rnn_inputs(gates, dirs=1, bias=True, lens=None, states=0, peep=False, layout=0):
    t, b, f, h = 4, 3, 3, 2
    x = f32(*((b, t, f) if layout else (t, b, f)))
    ins = [X(x), K(f32(dirs, gates * h, f, lo=-1, hi=1)), K(f32(dirs, gates * h, h, lo=-1, hi=1)),
           K(f32(dirs, 2 * gates * h, lo=-0.5, hi=0.5)) if bias else None,
           K(np.array(lens, np.int32)) if lens is not None else None]
    for _ in range(states):
        ins.append(X(f32(*((b, dirs, h) if layout else (dirs, b, h)), lo=-1, hi=1)))
    if peep:
        ins += [None] * (2 - states) + [K(f32(dirs, 3 * h, lo=-0.5, hi=0.5))]
    while ins[-1] is None:
        ins.pop()
    return ins


case("LSTM", _rnn_inputs(4, states=2), outputs=3, hidden_size=2, id="LSTM-forward-states")
case("LSTM", _rnn_inputs(4, lens=[4, 2, 3]), outputs=3, hidden_size=2, direction="reverse",
     id="LSTM-reverse-seqlens")
case("LSTM", _rnn_inputs(4, dirs=2, lens=[3, 4, 1], states=2, peep=True), outputs=3, hidden_size=2,
     direction="bidirectional", activations=["HardSigmoid", "Affine", "Softsign", "Sigmoid", "Tanh", "Relu"],
     activation_alpha=[0.3, 0.7], activation_beta=[0.4, 0.1], id="LSTM-bidirectional-peephole-acts")
case("LSTM", _rnn_inputs(4, bias=False), outputs=3, hidden_size=2, input_forget=1, id="LSTM-input-forget")
case("LSTM", _rnn_inputs(4), outputs=3, hidden_size=2, clip=0.8, id="LSTM-clip")
case("GRU", _rnn_inputs(3), outputs=2, hidden_size=2, clip=0.5, id="GRU-clip")
case("GRU", _rnn_inputs(3, states=1), outputs=2, hidden_size=2, linear_before_reset=1, id="GRU-lbr1")
case("GRU", _rnn_inputs(3, dirs=2, lens=[2, 4, 3], states=1), outputs=2, hidden_size=2,
     direction="bidirectional", id="GRU-bidirectional-lbr0")
case("GRU", _rnn_inputs(3), outputs=2, hidden_size=2, direction="reverse", linear_before_reset=1,
     activations=["HardSigmoid", "Elu"], activation_alpha=[0.2, 0.9], activation_beta=[0.5],
     id="GRU-reverse-acts")
# No zero-length row here: ONNX Runtime's RNN output for such a row was seen
# to differ between runs (once in a full suite run), so it is no oracle.
case("RNN", _rnn_inputs(1, lens=[1, 4, 2], states=1), outputs=2, hidden_size=2, activations=["Relu"],
     id="RNN-forward-relu")
case("RNN", _rnn_inputs(1, dirs=2), outputs=2, hidden_size=2, direction="bidirectional",
     activations=["LeakyRelu", "Softplus"], activation_alpha=[0.1, 0.0], activation_beta=[0.0, 0.0],
     id="RNN-bidirectional-acts")
# (No layout=1 case: ONNX Runtime's CPU kernels refuse batch-major recurrent ops.)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_op_matches_onnxruntime(c, runner, tmp_path):
    check_case(c, runner, tmp_path)
