"""Keras 3 breadth, continued (issue 17): Attention / AdditiveAttention / MultiHeadAttention
with Keras masks (mask=[query_mask, value_mask], use_causal_mask, and Embedding(mask_zero=True)
masks propagating into them), and the keras.ops families of converter/keras/keras_math_ops.cc.

Each model is saved as .keras and .h5, converted, checked with the onnx checker, run in ONNX
Runtime and compared with model(x, training=False): max |onnx - keras| <= 1e-4 * max(1, max |keras|).
"""

import pytest

from oracle_lib import get_tf
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras, _report, cached_model, compare_with_keras, convert_keras, convert_ok, keras_dir)

get_tf()


def _f(t):
    return _keras().ops.cast(t, "float32")


# ------------------------------------------------------------------------------------------
# Attention with masks
# ------------------------------------------------------------------------------------------


def build_attention_embedding_masks():
    """Embedding(mask_zero=True) masks: MultiHeadAttention reads them; Keras 3 drops them for
    Attention / AdditiveAttention (called on a list), and so does the converter."""
    keras = _keras()
    qi = keras.Input((5,), dtype="int32", name="qi")
    vi = keras.Input((7,), dtype="int32", name="vi")
    emb = keras.layers.Embedding(6, 8, mask_zero=True, name="emb")
    q, v = emb(qi), emb(vi)
    a = keras.layers.Attention(name="dot")([q, v])
    b = keras.layers.Attention(score_mode="concat", use_scale=True, name="concat")([q, v, v])
    c = keras.layers.AdditiveAttention(name="additive")([q, v], use_causal_mask=True)
    d = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(q, v)
    return keras.Model([qi, vi], [a, b, c, d])


def build_attention_explicit_masks():
    """mask=[query_mask, value_mask] given as tensors, one of them None, with causal masks."""
    keras = _keras()
    q = keras.Input((4, 6), name="q")
    v = keras.Input((4, 6), name="v")
    qm = keras.Input((4,), dtype="bool", name="qm")
    vm = keras.Input((4,), dtype="bool", name="vm")
    a = keras.layers.Attention(name="both")([q, v], mask=[qm, vm])
    b = keras.layers.Attention(use_scale=True, name="value_only")([q, v], mask=[None, vm],
                                                                 use_causal_mask=True)
    c = keras.layers.AdditiveAttention(name="query_only")([q, v], mask=[qm, None])
    return keras.Model([q, v, qm, vm], [a, b, c])


# ------------------------------------------------------------------------------------------
# keras.ops families (keras_math_ops.cc)
# ------------------------------------------------------------------------------------------


def build_sort_contract_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    y = keras.Input((4, 6), name="y")
    v = keras.Input((6,), name="v")
    vals, idx = ops.top_k(x, 3)
    return keras.Model([x, y, v], [
        ops.sort(x), ops.sort(x, axis=1), _f(ops.argsort(x, axis=1)), vals, _f(idx),
        ops.einsum("bij,bkj->bik", x, y), ops.tensordot(x, y, axes=[[1, 2], [1, 2]]),
        ops.tensordot(x, ops.transpose(y[0]), axes=1), ops.dot(x, ops.transpose(y[0])), ops.inner(x, y),
        ops.outer(v, v), ops.vdot(v, v), ops.take_along_axis(x, ops.argsort(x, axis=-1), axis=-1),
    ])


def build_math_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    y = keras.Input((4, 6), name="y")
    z = ops.round(x * 2.0) * 0.5  # exact zeros for heaviside, sinc, arctan2
    return keras.Model([x, y], [
        ops.cumprod(x, axis=1), ops.cumprod(x, axis=-1), ops.arctan2(x, y), ops.arctan2(z, ops.round(y)),
        ops.heaviside(z, y), ops.logaddexp2(x, y), ops.fmod(x, y + 3.0), ops.ldexp(x, ops.cast(ops.round(y), "int32")),
        ops.divide_no_nan(x, z), _f(ops.isclose(x, z, atol=0.2)), ops.erfc(x), ops.cbrt(x), ops.sinc(z),
        _f(ops.signbit(x)), ops.threshold(x, 0.1, 0.5), ops.nan_to_num(ops.log(x)), ops.ravel(x),
        ops.full_like(x, 2.0), ops.tril(x), ops.triu(x, k=1), ops.tril(x, k=-1),
    ])


def build_rearrange_ops():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    y = keras.Input((4, 6), name="y")
    nan_x = ops.where(x > 1.0, ops.log(x - 5.0), x)
    return keras.Model([x, y], [
        ops.repeat(x, 2, axis=1), ops.repeat(x, 3, axis=-1), ops.repeat(x[0], 2), ops.roll(x, 2, axis=1),
        ops.roll(x, -1, axis=-1), ops.diff(x), ops.diff(x, n=2, axis=1), ops.fliplr(x), ops.flipud(x),
        ops.hstack([x, y]), ops.vstack([x, y]), ops.dstack([x, y]), ops.append(x, y, axis=1),
        ops.nansum(nan_x, axis=1), ops.nanmean(nan_x, axis=-1), ops.nanmax(nan_x, axis=1),
        ops.nanmin(nan_x, axis=1, keepdims=True), ops.ptp(x, axis=1), _f(ops.count_nonzero(ops.round(x), axis=1)),
        ops.norm(x, axis=-1), ops.norm(x, ord=1, axis=1), ops.norm(x, axis=(1, 2)), ops.normalize(x),
        ops.normalize(x, order=1, axis=1), ops.rms_normalization(x),
    ])


def build_layout_ops():
    """rot90 with k=2 on a square plane: Keras 3.15's TF backend disagrees with numpy (which the
    converter follows) on non-square ones."""
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 6), name="x")
    img = keras.Input((4, 4, 8), name="img")
    rgb = keras.Input((3, 5, 3), name="rgb")
    w = keras.Input((4,), name="w")
    nan_x = ops.where(x > 1.0, ops.log(x - 5.0), x)
    mean, var = ops.moments(x, axes=[1])
    return keras.Model([x, img, rgb, w], [
        ops.broadcast_to(x[0][:, :1], (2, 4, 6)), ops.rot90(x, axes=(1, 2)), ops.rot90(x[:, :, :4], k=2, axes=(1, 2)),
        ops.rot90(x, k=3, axes=(1, 2)), ops.depth_to_space(img, 2), ops.space_to_depth(img, 2),
        ops.image.rgb_to_grayscale(rgb), ops.det(x[:, :, :4]), ops.diagonal(x, axis1=1, axis2=2),
        ops.diagonal(x, offset=1, axis1=1, axis2=2), ops.trace(x, offset=-1, axis1=1, axis2=2),
        ops.select([x > 0.5, x < -0.5], [x, x * 2.0], 0.25), ops.average(x, axis=1, weights=w[0]),
        ops.average(x, axis=-1), mean, var, ops.nancumsum(nan_x, axis=1), ops.nanvar(nan_x, axis=1),
        ops.nanstd(nan_x, axis=-1), _f(ops.isreal(x)),
    ])


def build_spectral_normalization():
    """Inference runs the wrapped layer with the stored kernel (a fit step rewrites it)."""
    keras = _keras()
    x = keras.Input((6, 6, 3), name="x")
    y = keras.layers.SpectralNormalization(keras.layers.Conv2D(4, 3, padding="same"), name="sn_conv")(x)
    y = keras.layers.Flatten()(y)
    y = keras.layers.SpectralNormalization(keras.layers.Dense(5, activation="tanh"), name="sn_dense")(y)
    model = keras.Model(x, y)
    model.compile(optimizer="sgd", loss="mse")
    import numpy as np
    model.fit(np.ones((2, 6, 6, 3), "float32"), np.zeros((2, 5), "float32"), epochs=1, verbose=0)
    return model


def build_grouped_query_attention():
    keras = _keras()
    q = keras.Input((5, 12), name="q")
    v = keras.Input((7, 12), name="v")
    a = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2,
                                         name="gqa")(q, v)
    b = keras.layers.GroupQueryAttention(head_dim=3, num_query_heads=3, num_key_value_heads=1,
                                         use_bias=False, name="gqa_causal")(q, q, use_causal_mask=True)
    c = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=2, num_key_value_heads=2,
                                         name="gqa_mha")(q, v, v)
    return keras.Model([q, v], [a, b, c])


MODELS = {
    "grouped_query_attention": (build_grouped_query_attention, None),
    "layout_ops": (build_layout_ops, None),
    "spectral_normalization": (build_spectral_normalization, None),
    "sort_contract_ops": (build_sort_contract_ops, None),
    "math_ops": (build_math_ops, None),
    "rearrange_ops": (build_rearrange_ops, None),
    "attention_embedding_masks": (build_attention_embedding_masks, {"qi": (0, 6), "vi": (0, 6)}),
    "attention_explicit_masks": (build_attention_explicit_masks, {"qm": (0, 2), "vm": (1, 2)}),
}


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_keras_more(name, fmt, convert_keras, keras_dir, tmp_path):
    build, integer_inputs = MODELS[name]
    model, paths = cached_model(f"more_{name}", build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    compare_with_keras(model, out, name, fmt, proc.seconds, integer_inputs=integer_inputs)
