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


MODELS = {
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
