"""QAT import (issue 12, part 5): TF's fake-quantization ops convert to ONNX
QuantizeLinear/DequantizeLinear with the trained ranges, not to float math, and reproduce
TensorFlow's outputs in ONNX Runtime.

TF's FakeQuant rounds half up and QuantizeLinear half to even, and the two compute the level
with differently ordered float operations; so on a single op a rare element may land one grid
step apart. `assert_grid_close` allows that for at most 1 in 200 elements and never more than a
step; whole models are compared with the usual tolerances.
"""

import numpy as np
import onnx
import pytest

from oracle_lib import assert_close, freeze, get_tf, rng_for, run_onnx

tf = get_tf()
F32 = np.float32


def assert_grid_close(got, exp, step, what=""):
    diff = np.abs(got.astype(np.float64) - exp.astype(np.float64))
    off = diff > 1e-5 + 1e-5 * np.abs(exp)
    assert off.mean() <= 0.005, f"{what}: {int(off.sum())} of {off.size} elements differ"
    assert np.all(diff[off] <= step * 1.001 + 1e-6), f"{what}: max diff {diff.max()} > step {step}"


def convert_and_run(convert_ok, frozen, arrays, tmp_path, opset):
    out = tmp_path / f"model_{opset}.onnx"
    convert_ok(frozen.path, out, "--opset", str(opset), "--outputs", ",".join(frozen.outputs))
    model = onnx.load(str(out))
    ops = {n.op_type for n in model.graph.node}
    got = run_onnx(out, dict(zip(frozen.inputs, arrays)))
    return ops, [got[name] for name in frozen.outputs]


def const_weights(key, shape, scale=0.3):
    return (rng_for(key).standard_normal(shape) * scale).astype(F32)


# Trained ranges held in variables, as a QAT model keeps them (frozen into constants).
RANGE_VARS = (tf.Variable(-1.7), tf.Variable(3.1))

# (name, fn, input arrays, grid step of the output for the per-op comparison)
SINGLE_OPS = [
    ("FakeQuantWithMinMaxArgs",
     lambda x: tf.quantization.fake_quant_with_min_max_args(x, min=-3.0, max=2.5),
     (200,), 5.5 / 255),
    ("FakeQuantWithMinMaxArgs_narrow_4bit",
     lambda x: tf.quantization.fake_quant_with_min_max_args(x, min=-1.0, max=1.3, num_bits=4,
                                                            narrow_range=True),
     (200,), 2.3 / 14),
    ("FakeQuantWithMinMaxArgs_positive_range",
     lambda x: tf.quantization.fake_quant_with_min_max_args(x, min=0.5, max=3.0),
     (200,), 3.0 / 255),
    ("FakeQuantWithMinMaxVars",
     lambda x: tf.quantization.fake_quant_with_min_max_vars(x, *RANGE_VARS),
     (4, 50), 4.8 / 255),
    ("FakeQuantWithMinMaxVarsPerChannel",
     lambda x: tf.quantization.fake_quant_with_min_max_vars_per_channel(
         x, tf.constant([-1.0, -2.0, -0.5, -3.0]), tf.constant([1.0, 1.5, 0.7, 3.0]),
         narrow_range=True),
     (2, 25, 4), 6.0 / 254),
    ("QuantizeAndDequantizeV2_range_given",
     lambda x: tf.raw_ops.QuantizeAndDequantizeV2(input=x, input_min=-2.0, input_max=1.5,
                                                   range_given=True, narrow_range=True),
     (200,), 2.0 / 127),
    ("QuantizeAndDequantizeV2_unsigned",
     lambda x: tf.raw_ops.QuantizeAndDequantizeV2(input=x, input_min=0.0, input_max=2.0,
                                                   signed_input=False, range_given=True),
     (200,), 2.0 / 255),
    ("QuantizeAndDequantizeV4_range_given",
     lambda x: tf.raw_ops.QuantizeAndDequantizeV4(input=x, input_min=-1.0, input_max=2.0,
                                                   range_given=True, num_bits=6),
     (200,), 2.0 / 31),
    ("QuantizeAndDequantizeV3_num_bits_input",
     lambda x: tf.raw_ops.QuantizeAndDequantizeV3(input=x, input_min=-2.5, input_max=2.5,
                                                   num_bits=tf.constant(7), range_given=True),
     (200,), 2.5 / 63),
]


@pytest.mark.parametrize("name,fn,shape,step", SINGLE_OPS, ids=[c[0] for c in SINGLE_OPS])
@pytest.mark.parametrize("opset", [13, 17])
def test_fake_quant_op(name, fn, shape, step, opset, convert_ok, tmp_path):
    frozen = freeze(tf.function(fn), [tf.TensorSpec(shape, tf.float32)], tmp_path / "m.pb")
    op = name.split("_")[0]
    assert op in frozen.op_types, frozen.op_types
    x = (rng_for(f"qat:{name}").standard_normal(shape) * 2).astype(F32)
    (expected,) = frozen.tf_outputs(x)
    ops, (got,) = convert_and_run(convert_ok, frozen, [x], tmp_path, opset)
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops, ops
    assert "Round" not in ops and "Floor" not in ops, ops
    assert_grid_close(got, expected, step, what=name)


def qat_conv_model():
    """A QAT-style block: fake-quantized input, per-channel fake-quantized HWIO weights
    (narrow range, as TF's QAT tooling does), conv, bias, relu6, fake-quantized output."""
    w = const_weights("qat:conv_w", (3, 3, 3, 8))
    w_min = w.reshape(-1, 8).min(axis=0)
    w_max = w.reshape(-1, 8).max(axis=0)
    b = const_weights("qat:conv_b", (8,), 0.1)
    dense_w = const_weights("qat:dense_w", (8 * 6 * 6, 5), 0.05)

    @tf.function
    def fn(x):
        x = tf.quantization.fake_quant_with_min_max_vars(x, tf.constant(-2.5), tf.constant(2.5))
        qw = tf.quantization.fake_quant_with_min_max_vars_per_channel(
            tf.constant(w), tf.constant(w_min), tf.constant(w_max), narrow_range=True)
        y = tf.nn.conv2d(x, qw, strides=2, padding="SAME") + b
        y = tf.nn.relu6(y)
        y = tf.quantization.fake_quant_with_min_max_vars(y, tf.constant(0.0), tf.constant(6.0))
        y = tf.reshape(y, [-1, 8 * 6 * 6])
        qd = tf.raw_ops.QuantizeAndDequantizeV4(input=tf.constant(dense_w), input_min=tf.zeros([5]),
                                                input_max=tf.zeros([5]), range_given=False,
                                                narrow_range=True, axis=1)
        return tf.matmul(y, qd)

    return fn


@pytest.mark.parametrize("opset", [13, 17])
def test_qat_conv_block(opset, convert_ok, tmp_path):
    frozen = freeze(qat_conv_model(), [tf.TensorSpec((None, 12, 12, 3), tf.float32)],
                    tmp_path / "qat.pb")
    assert {"FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel",
            "QuantizeAndDequantizeV4"} <= set(frozen.op_types)
    x = rng_for("qat:conv_x").standard_normal((3, 12, 12, 3)).astype(F32)
    (expected,) = frozen.tf_outputs(x)
    ops, (got,) = convert_and_run(convert_ok, frozen, [x], tmp_path, opset)
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    assert_close(got, expected, atol=1e-4, rtol=1e-4, what="qat conv block")


def test_weights_become_int8_initializers(convert_ok, tmp_path):
    """Fake-quantized constant weights fold into 8-bit initializers read by DequantizeLinear,
    the form runtimes fuse into integer kernels (and a quarter of the float size): int8 with
    zero point 0 for symmetric ranges, uint8 for the conv's asymmetric per-channel ranges."""
    frozen = freeze(qat_conv_model(), [tf.TensorSpec((1, 12, 12, 3), tf.float32)],
                    tmp_path / "qat.pb")
    out = tmp_path / "qat.onnx"
    convert_ok(frozen.path, out, "--outputs", ",".join(frozen.outputs))
    model = onnx.load(str(out))
    def sizes(dtype):
        return [int(np.prod(t.dims)) for t in model.graph.initializer if t.data_type == dtype]

    assert 3 * 3 * 3 * 8 in sizes(onnx.TensorProto.UINT8), sizes(onnx.TensorProto.UINT8)
    assert 8 * 6 * 6 * 5 in sizes(onnx.TensorProto.INT8), sizes(onnx.TensorProto.INT8)
    float_weights = [t.name for t in model.graph.initializer
                     if t.data_type == onnx.TensorProto.FLOAT and np.prod(t.dims) > 8]
    assert not float_weights, float_weights
    dq_axes = [a.i for n in model.graph.node if n.op_type == "DequantizeLinear"
               for a in n.attribute if a.name == "axis"]
    assert dq_axes, "per-channel weights lost their axis"


@pytest.mark.parametrize("fn,message", [
    (lambda x: tf.quantization.fake_quant_with_min_max_vars(x, x[0], x[1]), "computed at run time"),
    (lambda x: tf.quantization.fake_quant_with_min_max_args(x, min=-1.0, max=1.0, num_bits=16),
     "num_bits=16"),
    (lambda x: tf.raw_ops.QuantizeAndDequantizeV2(input=x, input_min=0.0, input_max=0.0),
     "range measured at run time"),
])
def test_unconvertible_fake_quant_is_refused(fn, message, onnxsmith_bin, tmp_path):
    from oracle_lib import describe, run_cli

    frozen = freeze(tf.function(fn), [tf.TensorSpec((8,), tf.float32)], tmp_path / "m.pb")
    out = tmp_path / "m.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", str(frozen.path), "--output", str(out)])
    assert proc.returncode == 1, describe(proc)
    assert message in proc.stderr, describe(proc)
    assert not out.exists()
