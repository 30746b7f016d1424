"""More Keras 3 operations in functional models (issue 17): indexing, scatter, segment and split
ops (converter/keras/keras_index_ops.cc), array creation and vector ops (keras_creation_ops.cc),
keras.ops.image crops, pads and colour spaces (keras_image_ops.cc) and keras.ops.nn forms of the
layers. One model per family, saved as .keras and .h5, compared with model(x, training=False)
as test_keras_ops.py does.
"""

import numpy as np
import pytest

from oracle_lib import get_tf
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras, _report, cached_model, compare_with_keras, convert_keras, convert_ok, keras_dir)

get_tf()


def _f(t):
    return _keras().ops.cast(t, "float32")


def build_index_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    i = keras.Input((5,), dtype="int32", name="i")
    data = x[0, :, :3]  # [4, 3], segment ids: the first 4 of i[0] (0..3)
    ids = i[0, :4]
    return keras.Model([x, i], [
        ops.slice(x, [0, 1, 2], [1, 2, 3]), ops.slice_update(x, [0, 1, 2], x[:, :2, :3] * 2.0),
        ops.slice_update(x, [0, 3, 5], x[:, :2, :3] - 1.0),
        ops.scatter(ops.reshape(ids, (2, 2)), x[0, 0, :2], (5, 5)),
        ops.scatter_update(x[0], np.array([[1, 2], [3, 4]]), np.array([1.0, 2.0], "float32")),
        _f(ops.digitize(x, np.array([-1.0, 0.0, 0.5], "float32"))),
        ops.segment_sum(data, ids, num_segments=5), ops.segment_max(data, ids, num_segments=5),
        ops.segment_min(data, ids, num_segments=4), ops.segment_prod(data, ids, num_segments=4),
        *ops.array_split(x, 4, axis=2), *ops.hsplit(x, [1, 3]), *ops.dsplit(x, 3),
        *ops.vsplit(x, [1]),
    ])


def build_sorted_segments():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    ids = ops.convert_to_tensor(np.array([0, 0, 2, 3], "int32"))
    data = x[0]
    return keras.Model(x, [ops.segment_sum(data, ids, sorted=True),
                           ops.segment_max(data, ids, sorted=True)])


def build_creation_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    v = keras.Input((5,), name="v")
    pos = ops.abs(x) + 0.5
    return keras.Model([x, v], [
        x * _f(ops.size(x)), x[:, 0, :3] * _f(ops.ndim(x)), ops.array(x), ops.empty_like(x) + 1.0,
        ops.full((2, 3), x[0, 0, 0]),
        ops.linspace(x[:, 0, 0], x[:, 0, 1], num=5, axis=1),
        ops.linspace(x[:, 0], 2.0, num=4, endpoint=False),
        ops.logspace(x[:, 0, 0], x[:, 0, 1], num=3, axis=-1, base=2.0),
        ops.geomspace(pos[:, 0, 0], pos[:, 0, 1], num=4),
        *ops.meshgrid(x[0, 0], x[0, 1, :3]), *ops.meshgrid(x[0, 0], v[0, :3], indexing="ij"),
        ops.diag(x[0], k=1), ops.diag(x[0], k=-2), ops.diag(v[0]), ops.diag(v[0], k=-1),
        ops.diagflat(x[0, :2, :2], k=1),
        ops.kron(x[0], x[0, :2, :3] + 1.0), ops.kron(v[0, :2], x[0, 0]),
        ops.cross(x[:, :, :3], x[:, :, 3:]), ops.cross(x[:, :3, :2], x[:, 1:, 1:3], axis=1),
        ops.erfinv(ops.tanh(x) * 0.999),
        ops.vander(v[0]), ops.vander(v[0, :3], N=4, increasing=True),
        _f(ops.isin(ops.round(x * 2.0), np.array([0.0, 1.0, -1.0], "float32"))),
        _f(ops.isin(ops.round(x * 2.0), ops.round(v * 2.0), invert=True)),
        x * _f(ops.allclose(x, x + 1e-7)), x * _f(ops.allclose(x, x * 1.01)),
        ops.extract_sequences(x, 3, 2), ops.extract_sequences(v, 2, 1),
    ])


def build_image_ops():
    keras = _keras()
    ops = keras.ops
    img = keras.Input((8, 7, 3), name="img")
    u = ops.sigmoid(img)
    return keras.Model(img, [
        ops.image.crop_images(img, 1, 2, target_height=4, target_width=5),
        ops.image.crop_images(img, top_cropping=1, bottom_cropping=2, left_cropping=0,
                              right_cropping=3),
        ops.image.pad_images(img, 1, 2, target_height=12, target_width=11),
        ops.image.pad_images(img, bottom_padding=2, right_padding=1, top_padding=0, left_padding=3),
        ops.image.rgb_to_hsv(u), ops.image.hsv_to_rgb(u),
        ops.max_pool(img, 2), ops.average_pool(img, 3, strides=2, padding="same"),
        ops.conv(img, np.linspace(-1, 1, 3 * 3 * 3 * 4).reshape(3, 3, 3, 4).astype("float32"),
                 strides=2, padding="same"),
        ops.depthwise_conv(img, np.linspace(-1, 1, 2 * 2 * 3 * 2).reshape(2, 2, 3, 2).astype("float32"),
                           dilation_rate=2),
    ])


MODELS = {
    "index_ops": (build_index_ops, {"i": (0, 4)}),
    "sorted_segments": (build_sorted_segments, None),
    "creation_ops": (build_creation_ops, None),
    "image_ops": (build_image_ops, None),
}


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_keras_ops_more(name, fmt, convert_keras, keras_dir, tmp_path):
    build, integer_inputs = MODELS[name]
    model, paths = cached_model(f"ops_more_{name}", build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    compare_with_keras(model, out, name, fmt, proc.seconds, integer_inputs=integer_inputs)
