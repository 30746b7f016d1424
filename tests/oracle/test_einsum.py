"""Einsum and Erfc (issue: benchmark gaps), and a Keras Transformer encoder block that needs them.

Per-op cases in test_ops.py's style: a small tf.function, frozen, converted at opsets 13 and 17,
run in ONNX Runtime and compared with TensorFlow. The equations Keras's MultiHeadAttention emits
(and plain batched contractions) must lower to MatMul with no ONNX Einsum left; the rest
(diagonal, a label summed out of one operand, ellipsis) go through ONNX Einsum.

The encoder block: keras.layers.MultiHeadAttention (Einsum) + residual + LayerNormalization +
Dense FFN with gelu (exact: TF 2.20 emits Erfc; and tanh), exported with model.export() and
converted with `convert --saved-model`; outputs match Keras within 1e-4 of the output's scale.
"""

import numpy as np
import pytest

import onnx

from oracle_lib import assert_close, check_onnx, describe, freeze, get_tf, rng_for, run_cli, run_onnx, seed_everything

tf = get_tf()
F32 = np.float32

# name -> (equation, operand shapes (None = dynamic dim), constant second operand?, lowered?)
EINSUM_CASES = {
    "mha_projection": ("abc,cde->abde", [(None, 5, 8), (8, 2, 4)], True, True),
    "mha_output": ("abcd,cde->abe", [(None, 5, 2, 4), (2, 4, 8)], True, True),
    "mha_scores": ("aecd,abcd->acbe", [(None, 6, 2, 4), (None, 5, 2, 4)], False, True),
    "mha_context": ("acbe,aecd->abcd", [(None, 2, 5, 6), (None, 6, 2, 4)], False, True),
    "matmul": ("ij,jk->ik", [(3, 4), (4, 5)], False, True),
    "batch_matmul_transposed": ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)], False, True),
    "two_contracted": ("abcd,cdb->a", [(3, 2, 4, 5), (4, 5, 2)], False, True),
    "batched_dot": ("ij,ij->i", [(3, 4), (3, 4)], False, True),
    "outer": ("i,j->ij", [(3,), (4,)], False, True),
    "free_swapped": ("bij,bjk->bki", [(2, 3, 4), (2, 4, 5)], False, True),
    "multi_free_dynamic": ("abc,cd->bad", [(None, 3, 4), (4, 5)], False, True),
    "transpose": ("ijk->kij", [(2, 3, 4)], False, True),
    "sum_one_operand": ("ij,jk->k", [(3, 4), (4, 5)], False, False),
    "ellipsis": ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)], False, False),
}


def _einsum_fn(equation, n, const):
    if const is not None:
        return lambda a: tf.einsum(equation, a, const)
    if n == 1:
        return lambda a: tf.einsum(equation, a)
    return lambda a, b: tf.einsum(equation, a, b)


def _concrete(shape):
    return tuple(2 if d is None else d for d in shape)


@pytest.fixture(scope="module")
def frozen_einsum(frozen_cache):
    def get(name):
        equation, shapes, const, _ = EINSUM_CASES[name]
        r = rng_for(f"einsum:{name}")
        arrays = [r.standard_normal(_concrete(s)).astype(F32) for s in shapes]
        kernel = arrays.pop() if const else None
        fn = _einsum_fn(equation, len(shapes), kernel)
        specs = [tf.TensorSpec(s, tf.float32, name=f"x{i}") for i, s in enumerate(shapes[: len(arrays)])]
        frozen = frozen_cache.get(f"einsum_{name}", lambda p: freeze(tf.function(fn), specs, p))
        return frozen, arrays

    return get


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("name", list(EINSUM_CASES))
def test_einsum(name, opset, frozen_einsum, convert_ok, tmp_path):
    equation, _, _, lowered = EINSUM_CASES[name]
    frozen, arrays = frozen_einsum(name)
    assert "Einsum" in frozen.op_types, frozen.op_types
    expected = frozen.tf_outputs(*arrays)
    out = tmp_path / f"{name}.onnx"
    convert_ok(frozen.path, out, "--opset", opset, "--outputs", ",".join(frozen.outputs))
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    if lowered:
        assert "Einsum" not in ops, (equation, sorted(ops))
    got = run_onnx(out, dict(zip(frozen.inputs, arrays)))
    assert_close(got[frozen.outputs[0]], expected[0], atol=1e-5, rtol=1e-4, what=equation)


@pytest.mark.parametrize("opset", [13, 17])
def test_erfc(opset, frozen_cache, convert_ok, tmp_path):
    spec = tf.TensorSpec((None, 7), tf.float32, name="x")
    frozen = frozen_cache.get("op_Erfc", lambda p: freeze(tf.function(tf.math.erfc), [spec], p))
    assert "Erfc" in frozen.op_types, frozen.op_types
    # erfc's tail, where 1 - erf loses relative precision, is in absolute terms ~0: |x| <= 3.
    x = rng_for("op:Erfc").uniform(-3, 3, (4, 7)).astype(F32)
    out = tmp_path / "erfc.onnx"
    convert_ok(frozen.path, out, "--opset", opset)
    got = run_onnx(out, {frozen.inputs[0]: x})
    assert_close(got[frozen.outputs[0]], frozen.tf_outputs(x)[0], atol=1e-6, rtol=1e-4, what="erfc")


# ------------------------------------------------------------------------------------------
# Keras Transformer encoder block with MultiHeadAttention, through the SavedModel path
# ------------------------------------------------------------------------------------------


def _encoder(approximate):
    import keras

    seed_everything()
    inp = keras.Input((12, 32), name="tokens")
    att = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8, name="mha")(inp, inp)
    h = keras.layers.LayerNormalization(epsilon=1e-6, name="ln1")(inp + att)
    f = keras.layers.Dense(64, activation=None, name="ff1")(h)
    f = keras.layers.Activation(lambda t: keras.activations.gelu(t, approximate=approximate),
                                name="gelu")(f)
    f = keras.layers.Dense(32, name="ff2")(f)
    out = keras.layers.LayerNormalization(epsilon=1e-6, name="ln2")(h + f)
    model = keras.Model(inp, out)
    rng = rng_for(f"einsum_encoder:{approximate}")
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype(F32) for w in layer.get_weights()])
    return model


@pytest.mark.parametrize("approximate", [False, True], ids=["erf", "tanh"])
def test_mha_encoder_saved_model(approximate, onnxsmith_bin, tmp_path):
    model = _encoder(approximate)
    sm = tmp_path / "saved_model"
    model.export(str(sm), verbose=False)
    out = tmp_path / "encoder.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", str(sm), "--output", str(out)])
    assert proc.returncode == 0, describe(proc)
    onnx_model = check_onnx(out)
    ops = [n.op_type for n in onnx_model.graph.node]
    assert "Einsum" not in ops and "Erfc" not in ops, sorted(set(ops))
    assert ops.count("MatMul") == 8, sorted(ops)  # q, k, v, scores, context, output, 2 FFN
    x = rng_for("einsum_encoder:input").normal(0, 1, (3, 12, 32)).astype(F32)  # batch is dynamic
    expected = np.asarray(model(x, training=False))
    got = list(run_onnx(out, {onnx_model.graph.input[0].name: x}).values())[0]
    scale = max(1.0, float(np.abs(expected).max()))
    assert_close(got, expected, atol=1e-4 * scale, rtol=0, what=f"encoder gelu approximate={approximate}")
