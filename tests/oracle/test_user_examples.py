"""The user's three examples (issue 2), checked against Keras' own outputs.

(a) Sequential Dense(64, relu, input 10) -> Dense(10, softmax)
(b) a custom Layer computing tf.math.square followed by Dense(10), and the same model
    refactored with Lambda(tf.math.square)
(c) example (a) converted with --opset 13, 15, 17 and 21

Each: freeze (dynamic batch), convert, PyPI onnx checker, run in ONNX Runtime at batch 1 and 4,
compare with the Keras model (fp32 atol 1e-5, rtol 1e-4).
"""

import numpy as np
import pytest

from oracle_lib import assert_close, freeze, get_tf, onnx_input_shapes, onnx_opset, rng_for, run_onnx

BATCHES = (1, 4)
DEFAULT_OPSET = 17


def _build_mlp():
    tf = get_tf()
    import keras

    model = keras.Sequential(
        [
            keras.Input(shape=(10,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    return model


def _build_square(kind: str):
    tf = get_tf()
    import keras

    class SquareLayer(keras.layers.Layer):
        def call(self, inputs):
            return tf.math.square(inputs)

    if kind == "custom_layer":
        square = SquareLayer()
    else:
        square = keras.layers.Lambda(tf.math.square)
    return keras.Sequential([keras.Input(shape=(10,)), square, keras.layers.Dense(10)])


BUILDERS = {
    "mlp": _build_mlp,
    "square_custom_layer": lambda: _build_square("custom_layer"),
    "square_lambda": lambda: _build_square("lambda"),
}


@pytest.fixture(scope="module")
def keras_models(frozen_cache):
    """name -> (keras model, Frozen); each built and frozen once."""
    tf = get_tf()
    out = {}

    def get(name):
        if name not in out:
            model = frozen_cache.memo(f"user_{name}_model", BUILDERS[name])
            frozen = frozen_cache.get(
                f"user_{name}",
                lambda path: freeze(model, [tf.TensorSpec([None, 10], tf.float32, name="x")], path),
            )
            out[name] = (model, frozen)
        return out[name]

    return get


def _check_against_keras(model, frozen, onnx_path, onnx_model, key):
    assert len(frozen.inputs) == 1 and len(frozen.outputs) == 1, (frozen.inputs, frozen.outputs)
    in_name, out_name = frozen.inputs[0], frozen.outputs[0]
    shapes = onnx_input_shapes(onnx_model)
    assert in_name in shapes, f"ONNX inputs {list(shapes)} do not include the TF tensor name {in_name}"
    assert [o.name for o in onnx_model.graph.output] == [out_name]
    dims = shapes[in_name]
    assert dims is not None and len(dims) == 2 and dims[1] == 10, f"ONNX input shape {dims}"
    assert not isinstance(dims[0], int) or dims[0] <= 0, f"batch dim should be dynamic, got {dims}"
    for batch in BATCHES:
        x = rng_for(f"{key}:{batch}").standard_normal((batch, 10)).astype(np.float32)
        expected = np.asarray(model(x, training=False))
        got = run_onnx(onnx_path, {in_name: x})[out_name]
        assert got.dtype == np.float32
        assert_close(got, expected, what=f"batch {batch}")


@pytest.mark.parametrize("name", ["mlp", "square_custom_layer", "square_lambda"])
def test_example(name, keras_models, convert_ok, tmp_path):
    model, frozen = keras_models(name)
    out = tmp_path / f"{name}.onnx"
    onnx_model = convert_ok(frozen.path, out)
    assert onnx_opset(onnx_model) == DEFAULT_OPSET, "default opset should be 17"
    _check_against_keras(model, frozen, out, onnx_model, name)


def test_square_graph_uses_square(keras_models):
    """Sanity check of the test itself: both refactorings freeze to a Square op."""
    for name in ("square_custom_layer", "square_lambda"):
        _, frozen = keras_models(name)
        assert "Square" in frozen.op_types, frozen.op_types


@pytest.mark.parametrize("opset", [13, 15, 17, 21])
def test_mlp_opsets(opset, keras_models, convert_ok, tmp_path):
    model, frozen = keras_models("mlp")
    out = tmp_path / f"mlp_opset{opset}.onnx"
    onnx_model = convert_ok(frozen.path, out, "--opset", opset)
    assert onnx_opset(onnx_model) == opset
    _check_against_keras(model, frozen, out, onnx_model, f"mlp_opset{opset}")
