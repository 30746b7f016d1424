"""Shared by the SavedModel oracle tests (test_saved_model*.py): signature I/O, running a converted
model against TensorFlow's own signature, error checks, the convert fixtures, and SavedModels built
once per session.
"""

import pathlib
import time
from typing import Dict, Tuple

import numpy as np
import pytest

import oracle_lib
from oracle_lib import assert_close, check_onnx, describe, get_tf, leftovers, max_errors, run_cli, run_onnx

ERROR_MARK = "error:"
REL_ATOL = 1e-4  # fp32: atol = 1e-4 * max |expected|
RTOL = 1e-4

# (model, convert seconds, max abs err, max rel err), printed at the end by a session fixture.
RESULTS = []

# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def signature_io(sm_dir, signature="serving_default", tags=("serve",)) -> Tuple[Dict[str, str], Dict[str, str]]:
    """({input key: tensor name}, {output key: tensor name}) read from saved_model.pb."""
    get_tf()
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((pathlib.Path(sm_dir) / "saved_model.pb").read_bytes())
    for mg in sm.meta_graphs:
        if set(mg.meta_info_def.tags) == set(tags):
            sig = mg.signature_def[signature]
            return ({k: v.name for k, v in sig.inputs.items()}, {k: v.name for k, v in sig.outputs.items()})
    raise KeyError(tags)


def _onnx_name_for(names, key, tensor):
    for cand in (tensor, key, tensor.rsplit(":", 1)[0]):
        if cand in names:
            return cand
    raise AssertionError(f"ONNX names {sorted(names)} hold neither signature key {key!r} nor tensor {tensor!r}")


def run_signature(onnx_path, model, sm_dir, feeds_by_key, signature="serving_default"):
    """Runs the ONNX model with inputs given by signature key; returns {output key: array}."""
    ins, outs = signature_io(sm_dir, signature)
    onnx_inputs = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    onnx_outputs = [o.name for o in model.graph.output]
    assert len(onnx_inputs) == len(ins), f"ONNX inputs {onnx_inputs}, signature inputs {ins}"
    assert len(onnx_outputs) == len(outs), f"ONNX outputs {onnx_outputs}, signature outputs {outs}"
    feeds = {_onnx_name_for(onnx_inputs, k, t): feeds_by_key[k] for k, t in ins.items()}
    got = run_onnx(onnx_path, feeds)
    return {k: got[_onnx_name_for(onnx_outputs, k, t)] for k, t in outs.items()}


def tf_signature_outputs(sm_dir, feeds_by_key, signature="serving_default"):
    """The SavedModel's own answer: TF loads it and runs the signature."""
    tf = get_tf()
    loaded = tf.saved_model.load(str(sm_dir))
    fn = loaded.signatures[signature]
    res = fn(**{k: tf.constant(v) for k, v in feeds_by_key.items()})
    return {k: np.asarray(v) for k, v in res.items()}


def compare(got: Dict[str, np.ndarray], expected: Dict[str, np.ndarray], what: str):
    assert sorted(got) == sorted(expected), (sorted(got), sorted(expected))
    worst_abs = worst_rel = 0.0
    for key in sorted(expected):
        e = np.asarray(expected[key])
        g = np.asarray(got[key])
        if e.dtype.kind == "f":
            scale = float(np.max(np.abs(e))) if e.size else 1.0
            assert_close(g, e, atol=REL_ATOL * max(scale, 1e-12), rtol=RTOL, what=f"{what} {key}")
        else:
            assert_close(g, e, what=f"{what} {key}")
        a, r = max_errors(g, e)
        worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
    return worst_abs, worst_rel


def assert_clean_failure(proc, out_dir: pathlib.Path, *must_mention):
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}\n" + describe(proc)
    assert proc.returncode == 1, "expected exit code 1\n" + describe(proc)
    assert ERROR_MARK in proc.stderr, "stderr should say error\n" + describe(proc)
    assert leftovers(out_dir) == [], f"files left in the output dir: {leftovers(out_dir)}\n" + describe(proc)
    for text in must_mention:
        assert str(text) in proc.stderr, f"message should mention {text!r}\n" + describe(proc)


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sm_convert(onnxsmith_bin):
    """sm_convert(saved_model_dir, out, *flags) -> CompletedProcess of `convert --saved-model`."""

    def _convert(sm_dir, out, *flags, timeout: float = 600):
        args = ["convert", "--saved-model", str(sm_dir), "--output", str(out), *map(str, flags)]
        return run_cli(onnxsmith_bin, args, timeout=timeout)

    return _convert


@pytest.fixture(scope="session")
def sm_convert_ok(sm_convert):
    """Converts, asserts success and a PyPI-checker-clean output; returns (ModelProto, seconds)."""

    def _ok(sm_dir, out, *flags):
        start = time.monotonic()
        proc = sm_convert(sm_dir, out, *flags)
        seconds = time.monotonic() - start
        assert proc.returncode == 0, "conversion failed\n" + describe(proc)
        assert pathlib.Path(out).is_file(), "exit 0 but no output file\n" + describe(proc)
        return check_onnx(out), seconds

    return _ok


class SavedModels:
    """Builds each SavedModel once per session."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self.dirs: Dict[str, pathlib.Path] = {}

    def get(self, name: str, build) -> pathlib.Path:
        if name not in self.dirs:
            get_tf()
            oracle_lib.seed_everything()
            path = self.directory / name
            build(path)
            assert (path / "saved_model.pb").is_file(), f"{name}: TF wrote no saved_model.pb"
            self.dirs[name] = path
        return self.dirs[name]


@pytest.fixture(scope="session")
def saved_models(tmp_path_factory) -> SavedModels:
    return SavedModels(tmp_path_factory.mktemp("saved_models"))


# ------------------------------------------------------------------------------------------
