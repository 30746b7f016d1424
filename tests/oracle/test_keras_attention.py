"""Keras attention layers (issue 3): MultiHeadAttention and EinsumDense, converted natively.

Models are built with Keras 3 (fixed seed, random biases), saved as .h5 and .keras (and the
Transformer block also as a SavedModel through model.export(), converted with
`convert --saved-model`), converted, checked with the onnx checker, run in ONNX Runtime and
compared with Keras: max |onnx - keras| <= 1e-4 * max(1, max |keras|).

- MultiHeadAttention alone: self-attention, cross-attention (key defaulting to value, and an
  explicit key), a boolean attention_mask (every query keeps at least one key: Keras 3.15 zeroes
  fully masked rows, which the converter does not reproduce), use_causal_mask, attention scores
  returned, value_dim != key_dim and output_shape.
- A Transformer encoder block: MultiHeadAttention + residual + LayerNormalization +
  Dense(gelu) feed-forward + residual + LayerNormalization.
- EinsumDense with a bias and an activation.
- Attention (dot, concat with scale, causal with scores) and AdditiveAttention, without masks.
- attention_axes other than the default: a clear error.
"""

import pathlib

import pytest

import oracle_lib
from oracle_lib import describe, get_tf, rng_for, run_cli, seed_everything
from keras_lib import (  # noqa: F401  (fixtures re-used: built models and binaries are shared)
    RESULTS, _report, compare_with_keras, convert_keras, convert_ok, keras_dir, op_types, randomize,
    save_both)

get_tf()


def _keras():
    import keras

    return keras


# ------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------


def build_self_attention():
    keras = _keras()
    x = keras.Input((6, 16), name="x")
    y = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8, name="mha")(x, x)
    return keras.Model(x, y)


def build_cross_attention():
    keras = _keras()
    q = keras.Input((5, 12), name="q")
    v = keras.Input((7, 10), name="v")
    k = keras.Input((7, 9), name="k")
    a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=6, value_dim=4, name="mha_kv")(q, v)
    b = keras.layers.MultiHeadAttention(num_heads=3, key_dim=5, output_shape=8, name="mha_qkv")(q, v, k)
    return keras.Model([q, v, k], [a, b])


def build_masked_attention():
    keras = _keras()
    q = keras.Input((5, 12), name="q")
    v = keras.Input((7, 10), name="v")
    m = keras.Input((5, 7), dtype="bool", name="m")
    out, scores = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha_mask")(
        q, v, attention_mask=m, return_attention_scores=True)
    return keras.Model([q, v, m], [out, scores])


def build_causal_attention():
    keras = _keras()
    x = keras.Input((6, 8), name="x")
    m = keras.Input((6, 6), dtype="bool", name="m")
    a = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="causal")(x, x, use_causal_mask=True)
    b = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="causal_masked")(
        x, x, attention_mask=m, use_causal_mask=True)
    return keras.Model([x, m], [a, b])


def build_encoder_block():
    keras = _keras()
    L = keras.layers
    x_in = keras.Input((10, 32), name="tokens")
    h = L.MultiHeadAttention(num_heads=4, key_dim=8, dropout=0.1, name="self_attention")(x_in, x_in)
    h = L.Dropout(0.1)(h)
    x = L.LayerNormalization(epsilon=1e-6, name="ln1")(L.Add()([x_in, h]))
    f = L.Dense(64, activation="gelu", name="ffn1")(x)
    f = L.Dense(32, name="ffn2")(f)
    y = L.LayerNormalization(epsilon=1e-6, name="ln2")(L.Add()([x, f]))
    return keras.Model(x_in, y)


def build_einsum_dense():
    keras = _keras()
    x = keras.Input((4, 6), name="x")
    y = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 3, 5), bias_axes="de",
                                 activation="relu")(x)
    return keras.Model(x, y)


def build_dot_attention():
    keras = _keras()
    L = keras.layers
    q = keras.Input((5, 6), name="q")
    v = keras.Input((7, 6), name="v")
    k = keras.Input((7, 6), name="k")
    a = L.Attention(name="dot")([q, v])
    b = L.Attention(use_scale=True, score_mode="concat", name="concat")([q, v, k])
    c = L.AdditiveAttention(name="additive")([q, v])
    d, scores = L.Attention(use_scale=True, name="causal")([q, q], use_causal_mask=True,
                                                         return_attention_scores=True)
    return keras.Model([q, v, k], [a, b, c, d, scores])


def _mask_feeds(feeds):
    """A random boolean mask in which every query step keeps its first key (no fully masked row)."""
    if "m" in feeds:
        rng = rng_for("attention_mask")
        m = rng.random(feeds["m"].shape) > 0.4
        m[..., 0] = True
        feeds["m"] = m


_CACHE = {}


def cached(name, build, keras_dir):
    if name not in _CACHE:
        seed_everything()
        _keras().utils.set_random_seed(oracle_lib.SEED)
        model = randomize(build(), name)
        _CACHE[name] = (model, save_both(model, keras_dir, name))
    return _CACHE[name]


# ------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------

MODELS = [
    ("self_attention", build_self_attention),
    ("cross_attention", build_cross_attention),
    ("masked_attention", build_masked_attention),
    ("causal_attention", build_causal_attention),
    ("encoder_block", build_encoder_block),
    ("einsum_dense", build_einsum_dense),
    ("dot_attention", build_dot_attention),
]


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("name,build", MODELS, ids=[m[0] for m in MODELS])
def test_attention_models(name, build, fmt, convert_keras, keras_dir, tmp_path):
    model, paths = cached(name, build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    onnx_model = compare_with_keras(model, out, name, fmt, proc.seconds, batches=(1, 3),
                                    feed_hook=_mask_feeds)
    ops = op_types(onnx_model)
    if name not in ("einsum_dense", "dot_attention"):
        # Plain ONNX: no contrib Attention op, no Einsum.
        assert "Softmax" in ops and ("MatMul" in ops or "Gemm" in ops), sorted(ops)
        assert all(n.domain in ("", "ai.onnx") for n in onnx_model.graph.node), sorted(ops)
        assert "Einsum" not in ops, sorted(ops)


def test_encoder_block_saved_model(keras_dir, tmp_path, onnxsmith_bin):
    """The same encoder block exported as a SavedModel (model.export), converted from TF's graph."""
    model, _ = cached("encoder_block", build_encoder_block, keras_dir)
    sm_dir = keras_dir / "encoder_block_export"
    if not sm_dir.exists():
        model.export(str(sm_dir), verbose=False)
    out = tmp_path / "encoder_block_sm.onnx"
    import time

    start = time.perf_counter()
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", str(sm_dir), "--output", str(out)])
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, "conversion failed\n" + describe(proc)
    compare_with_keras(model, out, "encoder_block", "saved_model", seconds, batches=(1, 3))


def test_attention_axes_other_than_default_is_refused(convert_keras, keras_dir, tmp_path):
    keras = _keras()
    x = keras.Input((4, 5, 8), name="x")
    y = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=(2,), name="mha_axes")(x, x)
    paths = save_both(keras.Model(x, y), keras_dir, "mha_axes")
    out = tmp_path / "axes.onnx"
    proc = convert_keras(paths["keras"], out)
    assert proc.returncode == 1, describe(proc)
    assert "attention_axes" in proc.stderr and "mha_axes" in proc.stderr, describe(proc)
    assert not pathlib.Path(out).exists()


def test_rank4_default_axes(convert_keras, keras_dir, tmp_path):
    """Default attention_axes on a rank-4 input: attention over both middle axes."""
    keras = _keras()

    def build():
        x = keras.Input((3, 4, 8), name="x")
        return keras.Model(x, keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x))

    model, paths = cached("mha_rank4", build, keras_dir)
    out = tmp_path / "rank4.onnx"
    proc = convert_ok(convert_keras, paths["keras"], out)
    compare_with_keras(model, out, "mha_rank4", "keras", proc.seconds, batches=(2,))
