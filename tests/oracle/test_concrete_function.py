"""`convert --saved-model DIR --concrete_function N` (issue 3): a tf.Module saved without
signatures is converted through one of its object graph's concrete functions, chosen by name,
index or object path; without the flag the error lists the functions; a bad choice is a clear
error. Outputs are compared with the function run by TensorFlow itself (fp32, 1e-4 of scale).
"""

import numpy as np
import pytest

from oracle_lib import check_onnx, describe, get_tf, rng_for, run_onnx
from saved_model_lib import (  # noqa: F401  (fixtures)
    assert_clean_failure, saved_models, sm_convert)


class _Unsigned:
    """Two tf.functions with variables, saved with signatures={} (no SignatureDef at all)."""

    @staticmethod
    def build(path):
        tf = get_tf()

        class Unsigned(tf.Module):
            def __init__(self):
                rng = rng_for("concrete_function_module")
                self.w = tf.Variable(rng.standard_normal((6, 4)).astype(np.float32), name="w")
                self.b = tf.Variable(rng.standard_normal((4,)).astype(np.float32), name="b")

            @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="x")])
            def affine(self, x):
                return {"y": tf.nn.relu(tf.matmul(x, self.w) + self.b), "z": tf.reduce_sum(x * 2.0, axis=1)}

            @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="h")])
            def squash(self, h):
                return tf.tanh(h * self.b)

        tf.saved_model.save(Unsigned(), str(path), signatures={})


@pytest.fixture(scope="module")
def unsigned(saved_models):
    return saved_models.get("unsigned_module", _Unsigned.build)


def _function_names(sm_dir):
    tf = get_tf()
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((sm_dir / "saved_model.pb").read_bytes())
    return list(sm.meta_graphs[0].object_graph_def.concrete_functions.keys()), tf


def test_no_signature_lists_concrete_functions(unsigned, sm_convert, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = sm_convert(unsigned, out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, "serving_default", "concrete functions:", "affine", "squash",
                         "--concrete_function")


@pytest.mark.parametrize("how", ["path", "name"])
def test_affine_by_path_or_name(how, unsigned, sm_convert, tmp_path):
    names, tf = _function_names(unsigned)
    selector = "affine" if how == "path" else next(n for n in names if "affine" in n)
    out = tmp_path / "affine.onnx"
    proc = sm_convert(unsigned, out, "--concrete_function", selector)
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    # Named after the function's argument and its output dict's keys (":0" allowed).
    (in_name,) = [i.name for i in model.graph.input]
    assert in_name in ("x", "x:0"), in_name
    out_names = {o.name.split(":")[0]: o.name for o in model.graph.output}
    assert sorted(out_names) == ["y", "z"], out_names
    loaded = tf.saved_model.load(str(unsigned))
    for batch in (1, 3):
        x = rng_for(f"cf:{batch}").standard_normal((batch, 6)).astype(np.float32)
        expected = {k: np.asarray(v) for k, v in loaded.affine(x).items()}
        got = run_onnx(out, {in_name: x})
        for k, e in expected.items():
            err = float(np.abs(got[out_names[k]] - e).max())
            assert err <= 1e-4 * max(1.0, float(np.abs(e).max())), (k, err)


def test_squash_by_index(unsigned, sm_convert, tmp_path):
    """The index is the position in the error's list; find it there rather than guess it."""
    out_dir = tmp_path / "o"
    out_dir.mkdir()
    listing = sm_convert(unsigned, out_dir / "m.onnx").stderr
    entry = next(part for part in listing.split(";") if "squash" in part)
    index = entry.strip().split(":")[0].split()[-1]
    out = tmp_path / "squash.onnx"
    proc = sm_convert(unsigned, out, "--concrete_function", index)
    assert proc.returncode == 0, describe(proc)
    tf = get_tf()
    h = rng_for("cf:squash").standard_normal((2, 4)).astype(np.float32)
    loaded = tf.saved_model.load(str(unsigned))  # kept alive: squash reads its variables
    expected = np.asarray(loaded.squash(h))
    (in_name,) = [i.name for i in check_onnx(out).graph.input]
    (got,) = run_onnx(out, {in_name: h}).values()
    assert float(np.abs(got - expected).max()) <= 1e-4


@pytest.mark.parametrize("selector", ["no_such_function", "99"])
def test_bad_selector_is_a_clear_error(selector, unsigned, sm_convert, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = sm_convert(unsigned, out_dir / "m.onnx", "--concrete_function", selector)
    assert_clean_failure(proc, out_dir, selector, "concrete functions:", "affine")
