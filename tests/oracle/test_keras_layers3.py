"""Keras 3 layers added for issue 17: preprocessing layers that run at inference (Resizing,
CenterCrop, RandomCrop, the random augmentations, CategoryEncoding, Discretization after
adapt()), RMSNormalization, adaptive pooling, UpSampling2D(bicubic), sparsemax, and
keras.applications' own layer classes (LayerScale, StochasticDepth, CustomScaleLayer).

One small functional model per option group, saved as .h5 and .keras, converted, checked with
the onnx checker, run in ONNX Runtime and compared with model(x, training=False):
max |onnx - keras| <= 1e-4 * max(1, max |keras|).
"""

import numpy as np
import pytest

from oracle_lib import get_tf, rng_for
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras, _report, cached_model, compare_with_keras, convert_keras, convert_ok, keras_dir)

get_tf()


def _images(shape, *layers):
    keras = _keras()
    x = keras.Input(shape, name="img")
    return keras.Model(x, [layer(x) for layer in layers])


def build_resizing():
    L = _keras().layers
    return _images((9, 13, 3),
                   L.Resizing(6, 5, name="bilinear_down"),
                   L.Resizing(14, 20, interpolation="nearest", name="nearest_up"),
                   L.Resizing(7, 17, interpolation="nearest", name="nearest_mixed"),
                   L.Resizing(12, 8, interpolation="bicubic", name="bicubic"),
                   L.Resizing(8, 8, crop_to_aspect_ratio=True, name="crop_aspect"),
                   L.Resizing(6, 4, pad_to_aspect_ratio=True, fill_value=0.5, name="pad_aspect"))


def build_crops():
    L = _keras().layers
    return _images((10, 9, 2),
                   L.CenterCrop(4, 5, name="center"),
                   L.CenterCrop(12, 6, name="center_smart_resize"),
                   L.RandomCrop(6, 6, name="random_crop"),  # identity at inference in Keras 3
                   L.RandomCrop(10, 9, name="random_crop_same"))


def build_random_identity():
    L = _keras().layers
    keras = _keras()
    x = keras.Input((8, 8, 3), name="img")
    y = x
    # RandomSaturation, RandomSharpness, RandomColorDegeneration and RandomPosterization are left
    # out: Keras 3.15 cannot save them ("cannot pickle 'module' object").
    for layer in (L.RandomGrayscale(), L.RandomHue(0.2, value_range=(0, 1)), L.RandomShear(0.2),
                  L.RandomInvert(), L.RandomPerspective(), L.RandomErasing(),
                  L.RandomGaussianBlur(), L.RandomColorJitter(), L.RandomElasticTransform(),
                  L.MixUp(), L.CutMix(), L.AugMix(), L.RandAugment(), L.RandomFlip(),
                  L.RandomZoom(0.2)):
        y = layer(y)
    return keras.Model(x, y)


def build_upsampling_bicubic():
    L = _keras().layers
    return _images((5, 6, 3), L.UpSampling2D((2, 3), interpolation="bicubic", name="up_bicubic"))


def build_category_encoding():
    keras = _keras()
    L = keras.layers
    ids = keras.Input((4,), dtype="int32", name="ids")
    one = keras.Input((1,), dtype="int32", name="one")
    return keras.Model([ids, one], [
        L.CategoryEncoding(7, output_mode="multi_hot", name="multi_hot")(ids),
        L.CategoryEncoding(7, output_mode="count", name="count")(ids),
        L.CategoryEncoding(7, output_mode="one_hot", name="one_hot")(one),
    ])


def build_discretization():
    keras = _keras()
    L = keras.layers
    data = rng_for("discretization:adapt").standard_normal((200, 3)).astype(np.float32)
    adapted = L.Discretization(num_bins=5, name="adapted")
    adapted.adapt(data)
    x = keras.Input((3,), name="x")
    return keras.Model(x, [
        adapted(x),
        L.Discretization(bin_boundaries=[-1.0, 0.0, 0.5], output_mode="one_hot", name="one_hot")(
            keras.layers.Reshape((3, 1))(x)),
        L.Discretization(bin_boundaries=[-0.5, 0.5], output_mode="count", name="count")(x),
    ])


def build_rms_normalization():
    keras = _keras()
    x = keras.Input((4, 6), name="x")
    a = keras.layers.RMSNormalization(name="last")(x)
    b = keras.layers.RMSNormalization(axis=[1, 2], epsilon=1e-3, name="two_axes")(x)
    return keras.Model(x, [a, b])


def build_adaptive_pooling():
    keras = _keras()
    L = keras.layers
    x1 = keras.Input((7, 3), name="seq")
    x2 = keras.Input((7, 10, 2), name="img")
    x3 = keras.Input((5, 4, 6, 2), name="vol")
    return keras.Model([x1, x2, x3], [
        L.AdaptiveAveragePooling1D(3, name="avg1")(x1),
        L.AdaptiveMaxPooling1D(4, name="max1")(x1),
        L.AdaptiveAveragePooling2D((3, 4), name="avg2")(x2),
        L.AdaptiveMaxPooling2D((2, 3), name="max2")(x2),
        L.AdaptiveAveragePooling2D((3, 3), data_format="channels_first", name="avg2_cf")(x2),
        L.AdaptiveAveragePooling3D((2, 3, 4), name="avg3")(x3),
        L.AdaptiveMaxPooling3D((3, 2, 4), name="max3")(x3),
    ])


def build_sparsemax():
    keras = _keras()
    x = keras.Input((6,), name="x")
    y = keras.layers.Dense(5, activation="sparsemax", name="dense_sparsemax")(x)
    z = keras.layers.Activation("sparsemax", name="act_sparsemax")(keras.layers.Reshape((2, 3))(x))
    return keras.Model(x, [y, z])


def build_applications_layers():
    from keras.src.applications.convnext import LayerScale, StochasticDepth
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer
    keras = _keras()
    x = keras.Input((5, 8), name="x")
    scaled = LayerScale(0.3, 8, name="layer_scale")(x)
    scaled = StochasticDepth(0.2, name="stochastic_depth")(scaled)
    y = CustomScaleLayer(0.17, name="custom_scale")([x, scaled])
    model = keras.Model(x, y)
    model.get_layer("layer_scale").set_weights([rng_for("layer_scale").uniform(0.5, 1.5, (8,)).astype(np.float32)])
    return model


MODELS = {
    "resizing": (build_resizing, None),
    "crops": (build_crops, None),
    "random_identity": (build_random_identity, None),
    "upsampling_bicubic": (build_upsampling_bicubic, None),
    "category_encoding": (build_category_encoding, {"ids": (0, 7), "one": (0, 7)}),
    "discretization": (build_discretization, None),
    "rms_normalization": (build_rms_normalization, None),
    "adaptive_pooling": (build_adaptive_pooling, None),
    "sparsemax": (build_sparsemax, None),
    "applications_layers": (build_applications_layers, None),
}


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_layers3(name, fmt, convert_keras, keras_dir, tmp_path):
    build, integer_inputs = MODELS[name]
    model, paths = cached_model(f"layers3_{name}", build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    compare_with_keras(model, out, name, fmt, proc.seconds, integer_inputs=integer_inputs)
