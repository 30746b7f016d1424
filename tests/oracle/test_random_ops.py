"""Random TF ops (issue 14): values cannot match TF's generator, so the converted model is
checked on what can: output shape (also computed at run time), dtype and distribution
statistics over many samples, and that constant folding leaves the random nodes in place."""

import numpy as np
import onnx
import pytest

from oracle_lib import freeze, get_tf, run_onnx

tf = get_tf()


def convert_run(convert_ok, fn, specs, feeds, tmp_path, opset=17):
    frozen = freeze(tf.function(fn), specs, tmp_path / "m.pb")
    out = tmp_path / "m.onnx"
    convert_ok(frozen.path, out, "--opset", str(opset))
    got = run_onnx(out, dict(zip(frozen.inputs, feeds)))
    return frozen, [got[n] for n in frozen.outputs], onnx.load(str(out))


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_random_uniform_and_normal(opset, convert_ok, tmp_path):
    def fn(n):
        shape = tf.stack([n, 3000])
        return tf.random.uniform(shape), tf.random.normal(shape, dtype=tf.float64)

    frozen, (u, g), model = convert_run(
        convert_ok, fn, [tf.TensorSpec((), tf.int32)], [np.int32(4)], tmp_path, opset)
    assert {"RandomUniform", "RandomStandardNormal"} <= set(frozen.op_types)
    assert u.shape == (4, 3000) and u.dtype == np.float32
    assert g.shape == (4, 3000) and g.dtype == np.float64
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02 and abs(u.var() - 1 / 12) < 0.01
    assert abs(g.mean()) < 0.03 and abs(g.std() - 1) < 0.03
    assert any(n.op_type.startswith("Random") for n in model.graph.node), "random op folded away"


def test_random_uniform_int(convert_ok, tmp_path):
    fn = lambda x: tf.random.uniform([5000], minval=-3, maxval=4, dtype=tf.int32) + x
    frozen, (v,), _ = convert_run(convert_ok, fn, [tf.TensorSpec((), tf.int32)], [np.int32(0)], tmp_path)
    assert "RandomUniformInt" in frozen.op_types
    assert v.dtype == np.int32 and v.min() == -3 and v.max() == 3
    counts = np.bincount(v + 3)
    assert counts.min() > 5000 / 7 * 0.8


def test_multinomial(convert_ok, tmp_path):
    fn = lambda logits: tf.random.categorical(logits, 4000)
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32))
    frozen, (v,), _ = convert_run(convert_ok, fn, [tf.TensorSpec((2, 3), tf.float32)], [logits], tmp_path)
    assert "Multinomial" in frozen.op_types
    assert v.shape == (2, 4000) and v.dtype == np.int64
    freq = np.stack([np.bincount(row, minlength=3) / 4000 for row in v])
    np.testing.assert_allclose(freq, np.exp(logits), atol=0.04)
