"""A small Keras CNN (Conv2D, DepthwiseConv2D, BatchNormalization, MaxPool, AvgPool, Flatten,
Dense, Dropout), input [28, 28, 3], frozen with a fixed batch of 1 and with a dynamic batch,
compared with Keras at batch 1 and 3; also with --inputs-as-nchw, --outputs-as-nchw and an
--inputs shape override."""

import numpy as np
import pytest

import oracle_lib
from oracle_lib import assert_close, freeze, get_tf, onnx_input_shapes, rng_for, run_onnx

H, W, C = 28, 28, 3


def _build_cnn():
    tf = get_tf()
    import keras

    inp = keras.Input(shape=(H, W, C))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)  # 14x14
    x = keras.layers.Conv2D(12, 3, strides=2, padding="same")(x)  # 7x7, asymmetric SAME pad
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.AveragePooling2D(2, strides=2, padding="same")(x)  # 4x4, partial windows
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    out = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inp, out)

    # An untrained BatchNormalization is the identity: give it non-trivial statistics.
    return oracle_lib.randomize_batchnorm(model, "cnn_bn", beta=0.5, mean=0.3)


@pytest.fixture(scope="module")
def cnn(frozen_cache):
    tf = get_tf()
    model = frozen_cache.memo("cnn_model", _build_cnn)
    fixed = frozen_cache.get(
        "cnn_batch1",
        lambda p: freeze(model, [tf.TensorSpec([1, H, W, C], tf.float32, name="x")], p),
    )
    dynamic = frozen_cache.get(
        "cnn_dynamic",
        lambda p: freeze(model, [tf.TensorSpec([None, H, W, C], tf.float32, name="x")], p),
    )
    return model, fixed, dynamic


def _inputs(batch):
    return rng_for(f"cnn_input:{batch}").uniform(-1, 1, (batch, H, W, C)).astype(np.float32)


def _expected(model, x):
    return np.asarray(model(x, training=False))


def test_graph_has_the_layers(cnn):
    """Sanity check of the test: the frozen graph holds the ops this test is meant to cover."""
    _, fixed, dynamic = cnn
    for frozen in (fixed, dynamic):
        for op in ("Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool", "MatMul", "Softmax"):
            assert op in frozen.op_types, (op, frozen.op_types)


def test_batch1_fixed(cnn, convert_ok, tmp_path):
    model, fixed, _ = cnn
    out = tmp_path / "cnn_b1.onnx"
    onnx_model = convert_ok(fixed.path, out)
    (in_name,), (out_name,) = fixed.inputs, fixed.outputs
    assert onnx_input_shapes(onnx_model)[in_name] == [1, H, W, C]
    x = _inputs(1)
    assert_close(run_onnx(out, {in_name: x})[out_name], _expected(model, x))


@pytest.mark.parametrize("batch", [1, 3])
def test_dynamic_batch(cnn, convert_ok, tmp_path, batch):
    model, _, dynamic = cnn
    out = tmp_path / "cnn_dyn.onnx"
    onnx_model = convert_ok(dynamic.path, out)
    (in_name,), (out_name,) = dynamic.inputs, dynamic.outputs
    dims = onnx_input_shapes(onnx_model)[in_name]
    assert dims is not None and dims[1:] == [H, W, C], dims
    assert not isinstance(dims[0], int) or dims[0] <= 0, f"batch dim should be dynamic: {dims}"
    x = _inputs(batch)
    assert_close(run_onnx(out, {in_name: x})[out_name], _expected(model, x), what=f"batch {batch}")


@pytest.mark.parametrize("batch", [1, 3])
def test_inputs_as_nchw(cnn, convert_ok, tmp_path, batch):
    model, _, dynamic = cnn
    (in_name,), (out_name,) = dynamic.inputs, dynamic.outputs
    out = tmp_path / "cnn_nchw.onnx"
    onnx_model = convert_ok(dynamic.path, out, "--inputs-as-nchw", in_name)
    dims = onnx_input_shapes(onnx_model)[in_name]
    assert dims is not None and dims[1:] == [C, H, W], f"ONNX input should be NCHW, got {dims}"
    x = _inputs(batch)
    got = run_onnx(out, {in_name: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[out_name]
    assert_close(got, _expected(model, x), what=f"batch {batch}")


def test_fixed_batch1_inputs_as_nchw(cnn, convert_ok, tmp_path):
    model, fixed, _ = cnn
    (in_name,), (out_name,) = fixed.inputs, fixed.outputs
    out = tmp_path / "cnn_b1_nchw.onnx"
    onnx_model = convert_ok(fixed.path, out, "--inputs-as-nchw", in_name)
    assert onnx_input_shapes(onnx_model)[in_name] == [1, C, H, W]
    x = _inputs(1)
    got = run_onnx(out, {in_name: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[out_name]
    assert_close(got, _expected(model, x))


def test_inputs_shape_override(cnn, convert_ok, tmp_path):
    """--inputs x:0[2,28,28,3] pins the dynamic batch of the graph."""
    model, _, dynamic = cnn
    (in_name,), (out_name,) = dynamic.inputs, dynamic.outputs
    out = tmp_path / "cnn_b2.onnx"
    onnx_model = convert_ok(dynamic.path, out, "--inputs", f"{in_name}[2,{H},{W},{C}]")
    assert onnx_input_shapes(onnx_model)[in_name] == [2, H, W, C]
    x = _inputs(2)
    assert_close(run_onnx(out, {in_name: x})[out_name], _expected(model, x))


@pytest.fixture(scope="module")
def conv_features(frozen_cache):
    """A graph with a 4-D NHWC output (for --outputs-as-nchw)."""
    tf = get_tf()
    rng = rng_for("conv_features")
    w = tf.constant(rng.standard_normal((3, 3, C, 5)).astype(np.float32))
    b = tf.constant(rng.standard_normal(5).astype(np.float32))

    @tf.function
    def features(x):
        y = tf.nn.conv2d(x, w, strides=1, padding="SAME")
        return tf.nn.relu(tf.nn.bias_add(y, b))

    return frozen_cache.get(
        "conv_features",
        lambda p: freeze(features, [tf.TensorSpec([None, H, W, C], tf.float32, name="x")], p),
    )


@pytest.mark.parametrize("nchw_inputs", [False, True], ids=["nhwc_in", "nchw_in"])
def test_outputs_as_nchw(conv_features, convert_ok, tmp_path, nchw_inputs):
    frozen = conv_features
    (in_name,), (out_name,) = frozen.inputs, frozen.outputs
    flags = ["--outputs-as-nchw", out_name]
    if nchw_inputs:
        flags += ["--inputs-as-nchw", in_name]
    out = tmp_path / "features.onnx"
    onnx_model = convert_ok(frozen.path, out, *flags)
    x = _inputs(3)
    expected = frozen.tf_outputs(x)[0]  # NHWC [3, 28, 28, 5]
    feed = np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if nchw_inputs else x
    got = run_onnx(out, {in_name: feed})[out_name]
    assert_close(got, expected.transpose(0, 3, 1, 2), what="NCHW output")
    out_dims = [
        d.dim_value if d.HasField("dim_value") else None
        for d in onnx_model.graph.output[0].type.tensor_type.shape.dim
    ]
    if out_dims and all(d is not None for d in out_dims[1:]):
        assert out_dims[1:] == [5, H, W], f"declared output shape should be NCHW: {out_dims}"
