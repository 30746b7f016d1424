"""Transposes pushed through Slice and Split (issue 4): NHWC<->NCHW pairs
around a Slice or Split cancel, and the numbers stay those of ONNX Runtime on
the unoptimized model."""
import subprocess

import numpy as np
import pytest

from oracle_lib import assert_close, check_onnx, describe, run_onnx

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

TO_NHWC, TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]


def _model(nodes, outputs, inits, opset):
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4, 5])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return onnx.shape_inference.infer_shapes(m)


def _slice(opset, with_axes):
    inits = {"starts": np.array([1, 0], np.int64), "ends": np.array([4, 2], np.int64)}
    ins = ["t", "starts", "ends"]
    if with_axes:
        inits["axes"] = np.array([-2, 3], np.int64)  # W and C of the NHWC view
        inits["steps"] = np.array([2, 1], np.int64)
        ins += ["axes", "steps"]
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=TO_NHWC),
             helper.make_node("Slice", ins, ["s"]),
             helper.make_node("Relu", ["s"], ["r"]),
             helper.make_node("Transpose", ["r"], ["y"], perm=TO_NCHW)]
    return _model(nodes, ["y"], inits, opset)


def _split(opset):
    inits = {}
    if opset >= 13:
        inits["sizes"] = np.array([1, 2], np.int64)
        split = helper.make_node("Split", ["t", "sizes"], ["a", "b"], axis=3)
    else:
        split = helper.make_node("Split", ["t"], ["a", "b"], axis=3, split=[1, 2])
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=TO_NHWC), split,
             helper.make_node("Transpose", ["a"], ["ya"], perm=TO_NCHW),
             helper.make_node("Sigmoid", ["b"], ["sb"]),
             helper.make_node("Transpose", ["sb"], ["yb"], perm=TO_NCHW)]
    return _model(nodes, ["ya", "yb"], inits, opset)


CASES = {
    "slice-default-axes-13": lambda: _slice(13, False),
    "slice-axes-steps-17": lambda: _slice(17, True),
    "split-13": lambda: _split(13),
    "split-11": lambda: _split(11),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_transposes_cancel_through_slice_and_split(name, onnxsmith_bin, tmp_path):
    src, out = tmp_path / "in.onnx", tmp_path / "out.onnx"
    onnx.save(CASES[name](), str(src))
    proc = subprocess.run([str(onnxsmith_bin), "optimize", str(src), str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    assert [n.op_type for n in model.graph.node].count("Transpose") == 0, \
        [n.op_type for n in model.graph.node]
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5)).astype(np.float32)
    want, got = run_onnx(src, {"x": x}), run_onnx(out, {"x": x})
    for k in want:
        assert_close(got[k], want[k], what=k)
