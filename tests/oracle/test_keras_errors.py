"""Keras files onnxsmith must refuse with a clear error (exit 1, no output file): Lambda and
custom layers (a message naming the layer, its class, Python code and SavedModel), an .h5
without model_config, a .keras missing a member, and truncated files."""

import zipfile

import numpy as np
import pytest

from keras_lib import (  # noqa: F401  (fixtures)
    _MODEL_CACHE,
    _keras,
    build_user_mlp,
    cached_model,
    convert_keras,
    expect_conversion_error,
    keras_dir,
)
from oracle_lib import get_tf


def build_square(kind):
    keras = _keras()
    tf = get_tf()

    @keras.saving.register_keras_serializable(package="onnxsmith_test")
    class SquareLayer(keras.layers.Layer):
        def call(self, inputs):
            return tf.math.square(inputs)

    layer = SquareLayer(name="square_layer") if kind == "custom" else keras.layers.Lambda(
        lambda t: t * t, name="square_lambda")
    return keras.Sequential([keras.Input(shape=(10,)), layer, keras.layers.Dense(10)])



@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("kind", ["custom", "lambda"])
def test_python_code_layers_give_clear_error(kind, fmt, convert_keras, keras_dir, tmp_path):
    keras = _keras()
    name = f"square_{kind}"
    if name not in _MODEL_CACHE:
        model = build_square(kind)
        path = keras_dir / f"{name}.{fmt}"
        _MODEL_CACHE[name] = (model, {})
    model, paths = _MODEL_CACHE[name]
    if fmt not in paths:
        paths[fmt] = keras_dir / f"{name}.{fmt}"
        model.save(str(paths[fmt]))
    out = tmp_path / f"{name}.onnx"
    layer_name = "square_layer" if kind == "custom" else "square_lambda"
    proc = expect_conversion_error(convert_keras, paths[fmt], out, f"'{layer_name}'", "Python code",
                                   "SavedModel")
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())
    msg = proc.stderr
    if kind == "lambda":
        assert "Lambda" in msg, msg
    else:
        assert "SquareLayer" in msg and "custom layer class" in msg, msg


def test_h5_without_model_config(convert_keras, tmp_path):
    import h5py

    path = tmp_path / "weights_only.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"dense"])
        f.create_group("dense").attrs["weight_names"] = np.array([b"dense/kernel:0"])
        f["dense/dense/kernel:0"] = np.zeros((3, 4), np.float32)
    expect_conversion_error(convert_keras, path, tmp_path / "out.onnx", "model_config")


def test_keras_zip_missing_member(convert_keras, keras_dir, tmp_path):
    _, paths = cached_model("user_mlp", build_user_mlp, keras_dir)
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(paths["keras"]) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            if item.filename != "model.weights.h5":
                dst.writestr(item, src.read(item.filename))
    expect_conversion_error(convert_keras, broken, tmp_path / "out.onnx", "model.weights.h5")


def test_truncated_keras_files(convert_keras, keras_dir, tmp_path):
    _, paths = cached_model("user_mlp", build_user_mlp, keras_dir)
    for fmt in ("h5", "keras"):
        data = paths[fmt].read_bytes()
        cut = tmp_path / f"cut.{fmt}"
        cut.write_bytes(data[: len(data) // 2])
        expect_conversion_error(convert_keras, cut, tmp_path / f"cut_{fmt}.onnx")
