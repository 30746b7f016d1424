"""--precision fp16 on hand-built graphs, against ONNX Runtime on the float32 model:

- a Cast a Loop body needs of a value from outside the loop (loop-invariant) is made once before
  the Loop, not on every iteration inside the body;
- a MatMul whose weight holds a value past float16's range (65504) stays float32 (a saturated
  weight would be wrong by a third), while its neighbour with ordinary weights goes float16.
"""

import json

import numpy as np
import pytest

import oracle_lib
from oracle_lib import check_onnx, describe, run_cli, run_onnx

onnx = pytest.importorskip("onnx")
helper, TP = onnx.helper, onnx.TensorProto


def _save(graph, path):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def _fp16(binary, src, dst, tmp_path):
    report = tmp_path / "r.json"
    proc = run_cli(binary, ["optimize", src, dst, "--no-optimize", "--precision", "fp16", "--report", report])
    assert proc.returncode == 0, describe(proc)
    return check_onnx(dst), json.loads(report.read_text())


def _close(src, dst, feeds, rel=1e-2):
    (want,) = run_onnx(src, feeds).values()
    (got,) = run_onnx(dst, feeds).values()
    scale = max(1e-6, float(np.abs(want).max()))
    assert float(np.abs(got.astype(np.float64) - want).max()) <= rel * scale, (got, want)


def test_loop_invariant_cast_hoisted(onnxsmith_bin, tmp_path):
    body = helper.make_graph(
        [helper.make_node("Softmax", ["r"], ["s"], name="body_softmax", axis=-1),
         helper.make_node("Add", ["v", "s"], ["v2"], name="body_add"),
         helper.make_node("Identity", ["c"], ["c2"], name="body_cond")],
        "body",
        [helper.make_tensor_value_info("i", TP.INT64, []), helper.make_tensor_value_info("c", TP.BOOL, []),
         helper.make_tensor_value_info("v", TP.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("c2", TP.BOOL, []), helper.make_tensor_value_info("v2", TP.FLOAT, [2, 4])])
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("Loop", ["trips", "", "x"], ["y"], name="loop", body=body)],
        "loop_invariant",
        [helper.make_tensor_value_info("x", TP.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TP.FLOAT, [2, 4])],
        [onnx.numpy_helper.from_array(np.array(5, np.int64), "trips")])
    src, dst = tmp_path / "loop.onnx", tmp_path / "loop16.onnx"
    _save(graph, src)
    m, report = _fp16(onnxsmith_bin, src, dst, tmp_path)
    main_casts = {n.input[0] for n in m.graph.node if n.op_type == "Cast"}
    assert "r" in main_casts, [(n.op_type, list(n.input)) for n in m.graph.node]
    loop = next(n for n in m.graph.node if n.op_type == "Loop")
    body = next(a.g for a in loop.attribute if a.name == "body")
    body_casts = [list(n.input) for n in body.node if n.op_type == "Cast"]
    assert ["r"] not in body_casts, body_casts
    softmax = next(n for n in body.node if n.op_type == "Softmax")
    assert softmax.input[0] != "r", "Softmax (kept float32) must read the float32 Cast of r"
    x = oracle_lib.rng_for("fp16:loop").standard_normal((2, 4)).astype(np.float32)
    _close(src, dst, {"x": x})


def test_weight_past_float16_range_keeps_op_fp32(onnxsmith_bin, tmp_path):
    rng = np.random.default_rng(1)
    big = rng.standard_normal((8, 8)).astype(np.float32)
    big[3, 5] = 1.0e5  # past 65504: would saturate in float16
    small = rng.standard_normal((8, 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w_small"], ["h"], name="mm_small"),
         helper.make_node("MatMul", ["h", "w_big"], ["y"], name="mm_big")],
        "big_weight",
        [helper.make_tensor_value_info("x", TP.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TP.FLOAT, [2, 8])],
        [onnx.numpy_helper.from_array(big, "w_big"), onnx.numpy_helper.from_array(small, "w_small")])
    src, dst = tmp_path / "big.onnx", tmp_path / "big16.onnx"
    _save(graph, src)
    m, report = _fp16(onnxsmith_bin, src, dst, tmp_path)
    types = {t.name: t.data_type for t in m.graph.initializer}
    assert types["w_big"] == TP.FLOAT and types["w_small"] == TP.FLOAT16, types
    assert report["kept_fp32_by_op"] == {"MatMul": 1} and report["nodes_fp16"] >= 1, report
    x = oracle_lib.rng_for("fp16:big").standard_normal((2, 8)).astype(np.float32)
    _close(src, dst, {"x": x})
