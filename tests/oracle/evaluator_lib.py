"""Shared by the evaluator oracle tests (test_evaluator*.py): the `onnxsmith run` runner, ONNX
Runtime with graph optimizations off, and one-node cases built with onnx.helper.

A test file makes its own case list (`CASES = CaseList(); case = CASES.case`) and checks every case
with `check_case`; test_evaluator.py asserts that the lists together cover every evaluator kernel.
"""

import dataclasses
import pathlib
import re
import subprocess
from typing import Dict, List, Sequence

import numpy as np
import pytest

import oracle_lib
from oracle_lib import assert_close, describe

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import helper, numpy_helper  # noqa: E402

RTOL = 1e-5
ATOL = 1e-6

# The runner
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def runner() -> List[str]:
    return [str(oracle_lib.binary_or_skip()), "run"]


def run_evaluator(runner, model_path, feeds: Dict[str, np.ndarray], out_dir: pathlib.Path,
                  names: Sequence[str], extra: Sequence[str] = ()):
    args = list(runner) + [str(model_path), "--output_dir", str(out_dir), *extra]
    for i, (name, value) in enumerate(feeds.items()):
        path = out_dir / f"in{i}.npy"
        np.save(path, value)
        args += ["--input", f"{name}={path}"]
    proc = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=300)
    assert proc.returncode == 0, "onnxsmith run failed\n" + describe(proc)
    outs = {}
    for n in names:
        fname = re.sub(r"[^A-Za-z0-9._-]", "_", n) or "output"
        outs[n] = np.load(out_dir / f"{fname}.npy")
    return outs, proc


def run_ort(model_path, feeds, threads: int = 1):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(model_path), sess_options=so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    id: str
    op: str
    inputs: list  # ("x", array) fed | ("k", array) initializer | None omitted
    attrs: dict
    opset: int = 17
    outputs: int = 1
    rtol: float = RTOL
    atol: float = ATOL



class CaseList(list):
    """Cases of one test file, in the order they were made."""

    def case(self, op, inputs, opset=17, outputs=1, id=None, rtol=RTOL, atol=ATOL, **attrs):
        cid = id or f"{op}-{opset}-{len(self)}"
        self.append(Case(cid, op, inputs, attrs, opset, outputs, rtol, atol))


def X(a):
    return ("x", np.asarray(a))


def K(a):
    return ("k", np.asarray(a))


R = np.random.default_rng(20240601)


def f32(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, size=shape).astype(np.float32)


def i64(*v):
    return np.array(v, dtype=np.int64)


def _build_model(c: Case, path: pathlib.Path):
    nodes_inputs, graph_inputs, inits, feeds = [], [], [], {}
    for i, spec in enumerate(c.inputs):
        if spec is None:
            nodes_inputs.append("")
            continue
        kind, arr = spec
        name = f"in{i}"
        nodes_inputs.append(name)
        if kind == "x":
            graph_inputs.append(helper.make_tensor_value_info(
                name, helper.np_dtype_to_tensor_dtype(arr.dtype), list(arr.shape)))
            feeds[name] = arr
        else:
            inits.append(numpy_helper.from_array(arr, name))
    outputs = [f"out{i}" for i in range(c.outputs)]
    node = helper.make_node(c.op, nodes_inputs, outputs, name=f"{c.op}_node", **c.attrs)
    graph = helper.make_graph([node], c.id.replace("-", "_"), graph_inputs,
                              [helper.make_empty_tensor_value_info(o) for o in outputs], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", c.opset)])
    model.ir_version = 8 if c.opset <= 17 else (9 if c.opset <= 20 else 10)
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.save(model, str(path))
    return feeds, outputs


def check_case(c: Case, runner, tmp_path):
    model_path = tmp_path / "model.onnx"
    feeds, outputs = _build_model(c, model_path)
    expected = run_ort(model_path, feeds)
    actual, _ = run_evaluator(runner, model_path, feeds, tmp_path, outputs)
    for name in outputs:
        e, a = expected[name], actual[name]
        if name == "out0" and c.op == "DynamicQuantizeLinear":
            # Rounding of x/scale may differ by one step at exact halves.
            assert a.shape == e.shape and a.dtype == e.dtype
            assert np.max(np.abs(a.astype(np.int32) - e.astype(np.int32))) <= 1
            continue
        assert_close(a, e, atol=c.atol, rtol=c.rtol, what=f"{c.id} {name}")
