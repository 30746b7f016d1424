"""Keras 3 operations in functional models (issue 17): keras.ops calls on symbolic tensors are
saved as operation nodes (GetItem for x[...], Stack, Where, ...) and converted by the op table
(converter/keras/keras_ops.cc, keras_array_ops.cc).

One model per op family, saved as .keras and .h5, compared with model(x, training=False):
max |onnx - keras| <= 1e-4 * max(1, max |keras|). Outputs that are not float are cast to
float32 in the model so that every output compares the same way.
"""

import pytest

from oracle_lib import get_tf
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras, _report, cached_model, compare_with_keras, convert_keras, convert_ok, keras_dir)

get_tf()


def _f(t):
    return _keras().ops.cast(t, "float32")


def build_getitem():
    keras = _keras()
    x = keras.Input((5, 6), name="x")
    return keras.Model(x, [x[:, 1:3], x[:, ::2, 1], x[..., -1], x[:, ::-1], x[:, None, 2:, -3:-1],
                           x[:, -2], x[:, 4:0:-2, ::3]])


def build_array_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    return keras.Model(x, [
        ops.stack([x, x * 2.0], axis=1), ops.split(x, 3, axis=-1)[1], ops.unstack(x, axis=1)[2],
        ops.where(x > 0, x, 0.5), ops.clip(x, -0.5, 0.7), ops.cumsum(x, axis=1),
        _f(ops.argmax(x, axis=-1)), _f(ops.argmin(x, axis=1)), ops.flip(x, axis=1),
        ops.moveaxis(x, 1, 2), ops.swapaxes(x, 1, 2), ops.tile(x, [1, 2, 1]),
        ops.pad(x, [[0, 0], [1, 2], [0, 0]]), ops.pad(x, [[0, 0], [1, 1], [2, 2]], mode="reflect"),
        ops.std(x, axis=1), ops.var(x, axis=-1, keepdims=True), ops.logsumexp(x, axis=-1),
    ])


def build_elementwise_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((3, 5), name="x")
    y = keras.Input((3, 5), name="y")
    s = ops.tanh(x) * 0.9
    return keras.Model([x, y], [
        ops.log1p(ops.abs(x)), ops.expm1(x), ops.tan(s), ops.arcsin(s), ops.arctan(x),
        ops.sinh(x), ops.cosh(x), ops.round(x * 3.0), ops.trunc(x * 3.0), _f(ops.isfinite(x)),
        ops.log2(ops.abs(x) + 1.0), ops.log10(ops.abs(x) + 1.0), ops.reciprocal(ops.abs(x) + 1.0),
        ops.floor_divide(x, y + 3.0), ops.mod(x, y + 3.0), ops.hypot(x, y), ops.logaddexp(x, y),
        _f(ops.logical_xor(x > 0, y > 0)), ops.maximum(x, 0.2), ops.minimum(x, y),
        ops.elu(x), ops.selu(x), ops.hard_sigmoid(x), ops.hard_silu(x), ops.log_sigmoid(x),
        ops.soft_shrink(x), ops.tanh_shrink(x), ops.sparsemax(x), ops.glu(ops.concatenate([x, y], -1)),
    ])


def build_int_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    i = keras.Input((3,), dtype="int32", name="i")
    return keras.Model([x, i], [ops.take(x, i, axis=1), ops.one_hot(i, 6), ops.cast(i, "float32") * 0.5])


MODELS = {
    "getitem": (build_getitem, None),
    "array_ops": (build_array_ops, None),
    "elementwise_ops": (build_elementwise_ops, None),
    "int_ops": (build_int_ops, {"i": (0, 4)}),
}


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_keras_ops(name, fmt, convert_keras, keras_dir, tmp_path):
    build, integer_inputs = MODELS[name]
    model, paths = cached_model(f"ops_{name}", build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    compare_with_keras(model, out, name, fmt, proc.seconds, integer_inputs=integer_inputs)


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_unsupported_op_is_named_as_an_operation(fmt, convert_keras, keras_dir, tmp_path):
    """An operation without a handler (ops.nextafter) is reported as a Keras 3 operation, in .h5 too
    (where Keras saves it without its module), never as a custom layer class."""
    from keras_lib import expect_conversion_error

    keras = _keras()

    def build():
        x = keras.Input((4,), name="x")
        return keras.Model(x, keras.ops.nextafter(x, x + 1.0))

    _, paths = cached_model("ops_unsupported_nextafter", build, keras_dir)
    proc = expect_conversion_error(convert_keras, paths[fmt], tmp_path / "nextafter.onnx",
                                   "Keras 3 operation Nextafter")
    assert "custom layer class" not in proc.stderr, proc.stderr
