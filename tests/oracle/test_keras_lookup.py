"""IntegerLookup and StringLookup (issue 17) with the vocabulary in the file: adapted on data made
here (.keras keeps the vocabulary as an asset; .h5 does not, and the converter says so), or given
as vocabulary=[...] (in the config, so .h5 converts too). Every output_mode, mask_token,
num_oov_indices 0/1/3, invert=True; compared exactly with model(x, training=False). Also the
refusal of string OOV hashing (FarmHash64) and keras.ops.bitwise_* at opsets 13, 17 and 21.
"""

import numpy as np
import pytest

from oracle_lib import check_onnx, get_tf, run_onnx
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras, _report, cached_model, convert_keras, convert_ok, expect_conversion_error,
    keras_dir, keras_input_names)

get_tf()

INTS = np.array([[12, 1138, 42, 7], [42, 1000, 36, 12], [5, 5, 5, 1138]], np.int64)
FEED_INTS = np.array([[12, 99, 42, 0], [-7, 1000, 36, 12], [6, 5, 1138, 1138]], np.int64)
WORDS = np.array([["a", "b", "c", "d"], ["d", "a", "x", "b"], ["b", "b", "e", "a"]])
FEED_WORDS = np.array([["a", "zz", "", "d"], ["x", "a", "x", "q"], ["b", "", "e", "a"]])
INDICES = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 2, 0]], np.int64)


def _adapted(layer, data):
    layer.adapt(data)
    return layer


def build_int_lookups():
    keras = _keras()
    L = keras.layers.IntegerLookup
    x = keras.Input((4,), dtype="int64", name="x")
    i = keras.Input((4,), dtype="int64", name="i")
    return keras.Model([x, i], [
        _adapted(L(), INTS)(x),
        _adapted(L(num_oov_indices=3), INTS)(x),
        _adapted(L(mask_token=0), INTS)(x),
        _adapted(L(mask_token=0, num_oov_indices=2), INTS)(x),
        _adapted(L(output_mode="multi_hot"), INTS)(x),
        _adapted(L(output_mode="multi_hot", mask_token=0), INTS)(x),
        _adapted(L(output_mode="count", num_oov_indices=2), INTS)(x),
        _adapted(L(output_mode="tf_idf"), INTS)(x),
        _adapted(L(output_mode="one_hot"), INTS)(x[:, :1]),
        _adapted(L(invert=True), INTS)(i),
        _adapted(L(invert=True, mask_token=0), INTS)(i),
    ])


def build_string_lookups():
    keras = _keras()
    L = keras.layers.StringLookup
    x = keras.Input((4,), dtype="string", name="x")
    i = keras.Input((4,), dtype="int64", name="i")
    return keras.Model([x, i], [
        _adapted(L(), WORDS)(x),
        _adapted(L(mask_token=""), WORDS)(x),
        _adapted(L(num_oov_indices=0), WORDS)(x[:, :1]),
        _adapted(L(output_mode="multi_hot", mask_token=""), WORDS)(x),
        _adapted(L(output_mode="count"), WORDS)(x),
        _adapted(L(output_mode="tf_idf", max_tokens=9, pad_to_max_tokens=True), WORDS)(x),
        _adapted(L(output_mode="one_hot"), WORDS)(x[:, 1]),
        _adapted(L(invert=True), WORDS)(i),
        _adapted(L(invert=True, mask_token="[M]"), WORDS)(i),
    ])


def build_given_vocabulary():
    """vocabulary= in the constructor: in the config, so .h5 holds it too."""
    keras = _keras()
    x = keras.Input((4,), dtype="int64", name="x")
    s = keras.Input((4,), dtype="string", name="s")
    return keras.Model([x, s], [
        keras.layers.IntegerLookup(vocabulary=[42, 12, 1138])(x),
        keras.layers.IntegerLookup(vocabulary=[42, 12, 1138], output_mode="tf_idf",
                                   idf_weights=[0.5, 1.5, 2.0])(x),
        keras.layers.IntegerLookup(vocabulary=[-1, 42, 12], output_mode="count")(x),
        keras.layers.StringLookup(vocabulary=["a", "b", "x"], mask_token="")(s),
        keras.layers.StringLookup(vocabulary=["a", "b", "x"], output_mode="tf_idf",
                                  idf_weights=[0.25, 1.0, 3.0])(s),
    ])


FEEDS = {
    "int_lookups": {"x": FEED_INTS, "i": INDICES},
    "string_lookups": {"x": FEED_WORDS.astype(object), "i": INDICES},
    "given_vocabulary": {"x": FEED_INTS, "s": FEED_WORDS.astype(object)},
}
MODELS = {"int_lookups": build_int_lookups, "string_lookups": build_string_lookups,
          "given_vocabulary": build_given_vocabulary}


def _compare(model, onnx_path, feeds):
    check_onnx(onnx_path)
    names = keras_input_names(model)
    expected = model([np.asarray(feeds[n]).astype(str) if feeds[n].dtype == object else feeds[n]
                      for n in names], training=False)
    got = list(run_onnx(onnx_path, feeds).values())
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        e = np.asarray(e)
        assert g.shape == e.shape, f"output {k}: shape {g.shape}, Keras {e.shape}"
        if e.dtype.kind in "OS":
            assert g.astype(str).tolist() == np.char.decode(e.astype(bytes)).tolist(), f"output {k}"
        elif e.dtype.kind == "f":
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=f"output {k}")
        else:
            assert g.dtype == e.dtype, f"output {k}: {g.dtype}, Keras {e.dtype}"
            np.testing.assert_array_equal(g, e, err_msg=f"output {k}")


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_lookup(name, fmt, convert_keras, keras_dir, tmp_path):
    model, paths = cached_model(f"lookup_{name}", MODELS[name], keras_dir)
    out = tmp_path / f"{name}.onnx"
    if fmt == "h5" and name != "given_vocabulary":
        expect_conversion_error(convert_keras, paths[fmt], out, "not in this file",
                                "save the model as .keras")
        return
    convert_ok(convert_keras, paths[fmt], out)
    _compare(model, out, FEEDS[name])


def test_string_oov_buckets_are_refused(convert_keras, keras_dir, tmp_path):
    keras = _keras()

    def build():
        x = keras.Input((4,), dtype="string", name="x")
        return keras.Model(x, _adapted(keras.layers.StringLookup(num_oov_indices=2), WORDS)(x))

    _, paths = cached_model("lookup_string_oov2", build, keras_dir)
    expect_conversion_error(convert_keras, paths["keras"], tmp_path / "oov.onnx", "StringLookup",
                            "num_oov_indices > 1", "FarmHash64", "--custom-ops")


def build_bitwise():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((5,), dtype="int32", name="x")
    y = keras.Input((5,), dtype="int32", name="y")
    return keras.Model([x, y], [
        ops.bitwise_and(x, y), ops.bitwise_or(x, y), ops.bitwise_xor(x, y), ops.bitwise_not(x),
        ops.bitwise_invert(y), ops.left_shift(x, 3), ops.right_shift(x, 2),
        ops.bitwise_right_shift(y, ops.bitwise_and(x, ops.ones_like(x) * 15)),
    ])


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_keras_bitwise_ops(opset, convert_keras, keras_dir, tmp_path):
    model, paths = cached_model("lookup_bitwise", build_bitwise, keras_dir)
    out = tmp_path / f"bitwise{opset}.onnx"
    convert_ok(convert_keras, paths["keras"], out, opset=opset)
    info = np.iinfo(np.int32)
    x = np.array([[info.min, info.max, -1, 0, 12345], [-77, 5, -2, 1 << 20, -(1 << 30)]], np.int32)
    y = np.array([[-1, 0, info.min, 77, -12345], [3, -9, info.max, 255, 31]], np.int32)
    _compare(model, out, {"x": x, "y": y})
