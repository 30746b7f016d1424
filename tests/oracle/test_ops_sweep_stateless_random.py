"""tf.random.stateless_* (found refused by the per-op sweep, tools/op_sweep). ONNX has no
counter-based generator, so values cannot match TF's; the converted model is checked on shape
(also computed at run time), dtype, range and distribution statistics, at opsets 13, 17 and 21."""

import numpy as np
import onnx
import pytest

from oracle_lib import freeze, get_tf, run_onnx

tf = get_tf()
OPSETS = [13, 17, 21]
SEED = np.array([3, 7], np.int32)


def convert_run(convert_ok, fn, specs, feeds, tmp_path, opset):
    frozen = freeze(tf.function(fn), specs, tmp_path / "m.pb")
    out = tmp_path / "m.onnx"
    convert_ok(frozen.path, out, "--opset", str(opset))
    got = run_onnx(out, dict(zip(frozen.inputs, feeds)))
    return frozen, [got[n] for n in frozen.outputs], onnx.load(str(out))


@pytest.mark.parametrize("opset", OPSETS)
def test_stateless_uniform_normal(opset, convert_ok, tmp_path):
    def fn(n, seed):
        shape = tf.stack([n, 2000])
        return (tf.random.stateless_uniform(shape, seed),
                tf.random.stateless_normal(shape, seed, dtype=tf.float64),
                tf.random.stateless_uniform([3], seed, minval=-3.0, maxval=-1.0, dtype=tf.float16))

    frozen, (u, g, h), model = convert_run(
        convert_ok, fn, [tf.TensorSpec((), tf.int32), tf.TensorSpec((2,), tf.int32)],
        [np.int32(4), SEED], tmp_path, opset)
    assert {"StatelessRandomUniformV2", "StatelessRandomNormalV2",
            "StatelessRandomGetKeyCounter"} <= set(frozen.op_types)
    assert u.shape == (4, 2000) and u.dtype == np.float32
    assert g.shape == (4, 2000) and g.dtype == np.float64
    assert h.shape == (3,) and h.dtype == np.float16 and h.min() >= -3 and h.max() <= -1
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    assert abs(g.mean()) < 0.03 and abs(g.std() - 1) < 0.03
    assert any(n.op_type.startswith("Random") for n in model.graph.node), "random op folded away"


@pytest.mark.parametrize("opset", OPSETS)
def test_stateless_truncated_normal(opset, convert_ok, tmp_path):
    fn = lambda seed: tf.random.stateless_truncated_normal([50, 200], seed, stddev=2.0)
    frozen, (v,), _ = convert_run(convert_ok, fn, [tf.TensorSpec((2,), tf.int32)], [SEED], tmp_path, opset)
    assert "StatelessTruncatedNormalV2" in frozen.op_types
    assert v.shape == (50, 200) and v.dtype == np.float32
    assert np.abs(v).max() <= 4.0 and abs(v.mean()) < 0.05
    # Truncated at 2 sigma: variance 0.774 of the untruncated one.
    assert abs(v.std() / 2.0 - 0.88) < 0.03


@pytest.mark.parametrize("opset", OPSETS)
def test_stateless_uniform_int(opset, convert_ok, tmp_path):
    fn = lambda seed: tf.random.stateless_uniform([6000], seed, minval=-3, maxval=4, dtype=tf.int64)
    frozen, (v,), _ = convert_run(convert_ok, fn, [tf.TensorSpec((2,), tf.int64)],
                                  [SEED.astype(np.int64)], tmp_path, opset)
    assert "StatelessRandomUniformIntV2" in frozen.op_types
    assert v.dtype == np.int64 and v.min() == -3 and v.max() == 3
    assert np.bincount(v + 3).min() > 6000 / 7 * 0.8


@pytest.mark.parametrize("opset", OPSETS)
def test_stateless_v1_ops(opset, convert_ok, tmp_path):
    raw = tf.raw_ops

    def fn(seed):
        return (raw.StatelessRandomUniform(shape=[1000], seed=seed),
                raw.StatelessRandomNormal(shape=[2, 500], seed=seed, dtype=tf.float64),
                raw.StatelessTruncatedNormal(shape=[1000], seed=seed),
                raw.StatelessRandomUniformInt(shape=[1000], seed=seed, minval=2, maxval=5))

    frozen, (u, g, t, i), _ = convert_run(convert_ok, fn, [tf.TensorSpec((2,), tf.int32)], [SEED],
                                          tmp_path, opset)
    assert u.shape == (1000,) and u.dtype == np.float32 and 0 <= u.min() and u.max() < 1
    assert g.shape == (2, 500) and g.dtype == np.float64 and abs(g.std() - 1) < 0.1
    assert t.shape == (1000,) and np.abs(t).max() <= 2
    assert i.dtype == np.int32 and set(np.unique(i)) == {2, 3, 4}


@pytest.mark.parametrize("opset", OPSETS)
def test_stateless_categorical(opset, convert_ok, tmp_path):
    fn = lambda logits, seed: tf.random.stateless_categorical(logits, 4000, seed)
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32))
    frozen, (v,), _ = convert_run(convert_ok, fn, [tf.TensorSpec((2, 3), tf.float32),
                                                   tf.TensorSpec((2,), tf.int32)],
                                  [logits, SEED], tmp_path, opset)
    assert "StatelessMultinomial" in frozen.op_types
    assert v.shape == (2, 4000) and v.dtype == np.int64
    freq = np.stack([np.bincount(row, minlength=3) / 4000 for row in v])
    np.testing.assert_allclose(freq, np.exp(logits), atol=0.04)
