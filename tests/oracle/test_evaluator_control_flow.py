"""Control flow and sequences in the reference evaluator and the optimizer, against ONNX Runtime.

Hand-built ONNX models (onnx.helper, opset 17) with Loop (trip count and/or condition, loop-carried
values whose shape changes, scan outputs, outer-scope reads two levels up, nested Loops), If (inside a
Loop, and reading values of both enclosing scopes), Scan (axes and directions) and every sequence op
(also carried through a Loop) run in ONNX Runtime and with `onnxsmith run`; the same models go through
`onnxsmith optimize --check`, and the optimized model runs in ONNX Runtime too and must match.
"""

import pathlib
from typing import Dict, List

import numpy as np
import pytest

import oracle_lib
from oracle_lib import assert_close, describe, run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from evaluator_lib import run_evaluator, run_ort  # noqa: E402

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
# Ops the cases below exercise (test_evaluator's coverage check counts them).
CONTROL_FLOW_OPS = {"If", "Loop", "Scan", "SequenceEmpty", "SequenceConstruct", "SequenceInsert",
                    "SequenceAt", "SequenceErase", "SequenceLength", "ConcatFromSequence",
                    "SplitToSequence"}


def vi(name, elem=F, shape=None):
    return helper.make_tensor_value_info(name, elem, shape)


def seq_vi(name, elem=F):
    return helper.make_tensor_sequence_value_info(name, elem, None)


def const(name, value):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value), name))


def loop_body(name, nodes, carried_in, outputs, extra_inputs=()):
    """A Loop body: inputs (i, cond_in, *carried_in), outputs (cond_out, ...)."""
    inputs = [vi(f"{name}_i", I64, []), vi(f"{name}_cond_in", B, [])] + list(carried_in) + list(extra_inputs)
    return helper.make_graph(nodes, name, inputs, outputs)


def model(nodes, inputs, outputs, initializers=()):
    g = helper.make_graph(nodes, "main", inputs, outputs, initializer=list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def rng(seed):
    return np.random.default_rng(seed)


# ---- Models -------------------------------------------------------------------------------------

def loop_scan_changing_state():
    """M iterations: s += x (outer scope), acc grows by one element per iteration, scan out s * i."""
    body = loop_body("b", [
        helper.make_node("Identity", ["b_cond_in"], ["b_cond_out"]),
        helper.make_node("Add", ["b_s", "x"], ["b_s2"]),
        helper.make_node("Cast", ["b_i"], ["b_if"], to=F),
        helper.make_node("Unsqueeze", ["b_if", "axes0"], ["b_if1"]),
        helper.make_node("Concat", ["b_acc", "b_if1"], ["b_acc2"], axis=0),
        helper.make_node("Mul", ["b_s2", "b_if"], ["b_scan"]),
    ], [vi("b_s", F, [2, 3]), vi("b_acc", F, ["K"])],
        [vi("b_cond_out", B, []), vi("b_s2", F, [2, 3]), vi("b_acc2", F, ["K2"]), vi("b_scan", F, [2, 3])])
    nodes = [helper.make_node("Loop", ["M", "cond", "s0", "acc0"], ["s", "acc", "scan"], body=body)]
    inits = [numpy_helper.from_array(np.array(True), "cond"),
             numpy_helper.from_array(np.zeros([1], np.float32), "acc0"),
             numpy_helper.from_array(np.array([0], np.int64), "axes0")]
    m = model(nodes, [vi("M", I64, []), vi("x", F, [2, 3]), vi("s0", F, [2, 3])],
              [vi("s", F, [2, 3]), vi("acc", F, ["K"]), vi("scan", F, ["T", 2, 3])], inits)
    r = rng(1)
    return m, {"M": np.array(4, np.int64), "x": r.standard_normal((2, 3)).astype(np.float32),
               "s0": r.standard_normal((2, 3)).astype(np.float32)}


def nested_loops():
    """Outer loop i < M; inner loop j < i + 1 adds x * j (x read two scopes up)."""
    inner = loop_body("in", [
        helper.make_node("Identity", ["in_cond_in"], ["in_cond_out"]),
        helper.make_node("Cast", ["in_i"], ["in_jf"], to=F),
        helper.make_node("Mul", ["x", "in_jf"], ["in_xj"]),
        helper.make_node("Add", ["in_t", "in_xj"], ["in_t2"]),
    ], [vi("in_t", F, [3])], [vi("in_cond_out", B, []), vi("in_t2", F, [3])])
    outer = loop_body("out", [
        helper.make_node("Identity", ["out_cond_in"], ["out_cond_out"]),
        helper.make_node("Add", ["out_i", "one"], ["out_n"]),
        helper.make_node("Loop", ["out_n", "", "out_t"], ["out_t2"], body=inner),
        helper.make_node("ReduceSum", ["out_t2"], ["out_sum"], keepdims=1),
    ], [vi("out_t", F, [3])], [vi("out_cond_out", B, []), vi("out_t2", F, [3]), vi("out_sum", F, [1])])
    nodes = [const("one", np.array(1, np.int64)),
             helper.make_node("Loop", ["M", "", "t0"], ["t", "sums"], body=outer)]
    m = model(nodes, [vi("M", I64, []), vi("x", F, [3]), vi("t0", F, [3])], [vi("t", F, [3]), vi("sums", F, ["T", 1])])
    r = rng(2)
    return m, {"M": np.array(3, np.int64), "x": r.standard_normal(3).astype(np.float32),
               "t0": r.standard_normal(3).astype(np.float32)}


def if_inside_loop():
    """Even iterations add x (main scope), odd ones halve acc (body scope) in an If."""
    then_g = helper.make_graph([helper.make_node("Add", ["l_acc", "x"], ["th"])], "then", [], [vi("th", F, [4])])
    else_g = helper.make_graph([helper.make_node("Mul", ["l_acc", "half"], ["el"])], "else", [], [vi("el", F, [4])])
    body = loop_body("l", [
        helper.make_node("Identity", ["l_cond_in"], ["l_cond_out"]),
        helper.make_node("Mod", ["l_i", "two"], ["l_m"]),
        helper.make_node("Equal", ["l_m", "zero"], ["l_even"]),
        helper.make_node("If", ["l_even"], ["l_acc2"], then_branch=then_g, else_branch=else_g),
    ], [vi("l_acc", F, [4])], [vi("l_cond_out", B, []), vi("l_acc2", F, [4])])
    inits = [numpy_helper.from_array(np.array(2, np.int64), "two"),
             numpy_helper.from_array(np.array(0, np.int64), "zero"),
             numpy_helper.from_array(np.array(0.5, np.float32), "half")]
    nodes = [helper.make_node("Loop", ["M", "", "a0"], ["a"], body=body)]
    m = model(nodes, [vi("M", I64, []), vi("x", F, [4]), vi("a0", F, [4])], [vi("a", F, [4])], inits)
    r = rng(3)
    return m, {"M": np.array(5, np.int64), "x": r.standard_normal(4).astype(np.float32),
               "a0": r.standard_normal(4).astype(np.float32)}


def while_condition():
    """No trip count: doubles v while sum(v) < limit (a data-dependent number of iterations)."""
    body = loop_body("w", [
        helper.make_node("Mul", ["w_v", "two"], ["w_v2"]),
        helper.make_node("ReduceSum", ["w_v2"], ["w_s"], keepdims=0),
        helper.make_node("Less", ["w_s", "limit"], ["w_cond_out"]),
        helper.make_node("Identity", ["w_i"], ["w_it"]),
    ], [vi("w_v", F, [3])], [vi("w_cond_out", B, []), vi("w_v2", F, [3]), vi("w_it", I64, [])])
    nodes = [helper.make_node("Loop", ["", "c0", "v0"], ["v", "iters"], body=body)]
    inits = [numpy_helper.from_array(np.array(2.0, np.float32), "two")]
    m = model(nodes, [vi("c0", B, []), vi("v0", F, [3]), vi("limit", F, [])], [vi("v", F, [3]), vi("iters", I64, ["T"])],
              inits)
    return m, {"c0": np.array(True), "v0": np.array([0.5, 1.0, 0.25], np.float32), "limit": np.array(100.0, np.float32)}


def if_top_level():
    then_g = helper.make_graph([helper.make_node("Mul", ["x", "x"], ["t1"]),
                                helper.make_node("Shape", ["x"], ["t2"])],
                               "then", [], [vi("t1", F, [2, 2]), vi("t2", I64, [2])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e1"]),
                                helper.make_node("Shape", ["x"], ["e2"])],
                               "else", [], [vi("e1", F, [2, 2]), vi("e2", I64, [2])])
    nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
             helper.make_node("Greater", ["s", "zero"], ["c"]),
             helper.make_node("If", ["c"], ["y", "shape"], then_branch=then_g, else_branch=else_g)]
    m = model(nodes, [vi("x", F, [2, 2])], [vi("y", F, [2, 2]), vi("shape", I64, [2])],
              [numpy_helper.from_array(np.array(0.0, np.float32), "zero")])
    return m, {"x": rng(4).standard_normal((2, 2)).astype(np.float32)}


def scan_axes_directions():
    """Running sum of rows of a (axis 1) and of b reversed (axis 0), outputs stacked on axis 1 / reversed."""
    body = helper.make_graph([
        helper.make_node("Add", ["st", "ai"], ["st1"]),
        helper.make_node("Add", ["st1", "bi"], ["st2"]),
        helper.make_node("Mul", ["st2", "ai"], ["o1"]),
        helper.make_node("Identity", ["st2"], ["o2"]),
    ], "scan_body", [vi("st", F, [3]), vi("ai", F, [3]), vi("bi", F, [3])],
        [vi("st2", F, [3]), vi("o1", F, [3]), vi("o2", F, [3])])
    nodes = [helper.make_node("Scan", ["s0", "a", "b"], ["s", "y1", "y2"], body=body, num_scan_inputs=2,
                              scan_input_axes=[1, 0], scan_input_directions=[0, 1],
                              scan_output_axes=[1, 0], scan_output_directions=[0, 1])]
    m = model(nodes, [vi("s0", F, [3]), vi("a", F, [3, 5]), vi("b", F, [5, 3])],
              [vi("s", F, [3]), vi("y1", F, [3, 5]), vi("y2", F, [5, 3])])
    r = rng(5)
    return m, {"s0": r.standard_normal(3).astype(np.float32), "a": r.standard_normal((3, 5)).astype(np.float32),
               "b": r.standard_normal((5, 3)).astype(np.float32)}


def sequence_ops():
    """Every sequence op on one chain: split, insert, erase, at, length, construct, concat."""
    nodes = [
        helper.make_node("SplitToSequence", ["x"], ["parts"], axis=1, keepdims=0),    # 4 x [2]
        helper.make_node("SplitToSequence", ["x", "sizes"], ["chunks"], axis=1),      # [2,1],[2,3]
        helper.make_node("SplitToSequence", ["x", "three"], ["tiles"], axis=1),       # [2,3],[2,1]
        helper.make_node("SequenceAt", ["parts", "minus1"], ["last"]),
        helper.make_node("SequenceInsert", ["parts", "y"], ["parts2"]),
        helper.make_node("SequenceInsert", ["parts2", "y", "one"], ["parts3"]),
        helper.make_node("SequenceErase", ["parts3", "zero"], ["parts4"]),
        helper.make_node("SequenceErase", ["parts4"], ["parts5"]),
        helper.make_node("SequenceLength", ["parts5"], ["n"]),
        helper.make_node("ConcatFromSequence", ["parts5"], ["stacked"], axis=-1, new_axis=1),
        helper.make_node("ConcatFromSequence", ["chunks"], ["rejoined"], axis=1),
        helper.make_node("SequenceAt", ["tiles", "one"], ["tail"]),
        helper.make_node("SequenceConstruct", ["y", "last", "y"], ["built"]),
        helper.make_node("ConcatFromSequence", ["built"], ["cat"], axis=0),
        helper.make_node("SequenceEmpty", [], ["empty"], dtype=F),
        helper.make_node("SequenceInsert", ["empty", "last"], ["single"]),
        helper.make_node("SequenceLength", ["single"], ["n1"]),
    ]
    inits = [numpy_helper.from_array(np.array([1, 3], np.int64), "sizes"),
             numpy_helper.from_array(np.array(3, np.int64), "three"),
             numpy_helper.from_array(np.array(-1, np.int64), "minus1"),
             numpy_helper.from_array(np.array(1, np.int64), "one"),
             numpy_helper.from_array(np.array(0, np.int64), "zero")]
    m = model(nodes, [vi("x", F, [2, 4]), vi("y", F, [2])],
              [vi("last", F, [2]), vi("n", I64, []), vi("stacked", F, [2, "S"]), vi("rejoined", F, [2, 4]),
               vi("tail", F, [2, 1]), vi("cat", F, [6]), vi("n1", I64, [])], inits)
    r = rng(6)
    return m, {"x": r.standard_normal((2, 4)).astype(np.float32), "y": r.standard_normal(2).astype(np.float32)}


def sequence_through_loop():
    """A TensorList-style loop: a sequence carried through a Loop gets x * i appended, then stacked."""
    body = loop_body("q", [
        helper.make_node("Identity", ["q_cond_in"], ["q_cond_out"]),
        helper.make_node("Cast", ["q_i"], ["q_if"], to=F),
        helper.make_node("Mul", ["x", "q_if"], ["q_xi"]),
        helper.make_node("SequenceInsert", ["q_seq", "q_xi"], ["q_seq2"]),
    ], [seq_vi("q_seq")], [vi("q_cond_out", B, []), seq_vi("q_seq2")])
    nodes = [helper.make_node("SequenceEmpty", [], ["s0"], dtype=F),
             helper.make_node("Loop", ["M", "", "s0"], ["s"], body=body),
             helper.make_node("ConcatFromSequence", ["s"], ["y"], axis=0, new_axis=1),
             helper.make_node("SequenceLength", ["s"], ["n"])]
    m = model(nodes, [vi("M", I64, []), vi("x", F, [2, 3])], [vi("y", F, ["T", 2, 3]), vi("n", I64, [])])
    return m, {"M": np.array(4, np.int64), "x": rng(7).standard_normal((2, 3)).astype(np.float32)}


MODELS = {f.__name__: f for f in [loop_scan_changing_state, nested_loops, if_inside_loop, while_condition,
                                  if_top_level, scan_axes_directions, sequence_ops, sequence_through_loop]}


@pytest.fixture(scope="session")
def runner() -> List[str]:
    return [str(oracle_lib.binary_or_skip()), "run"]


def _compare(actual: Dict[str, np.ndarray], expected: Dict[str, np.ndarray], what: str):
    for name, e in expected.items():
        assert_close(actual[name], e, atol=1e-5, rtol=1e-5, what=f"{what} {name}")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_run_matches_onnxruntime(name, runner, tmp_path):
    m, feeds = MODELS[name]()
    path = tmp_path / "m.onnx"
    onnx.save(m, str(path))
    expected = run_ort(path, feeds)
    actual, _ = run_evaluator(runner, path, feeds, tmp_path, list(expected))
    _compare(actual, expected, name)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_optimize_check_matches_onnxruntime(name, tmp_path):
    binary = oracle_lib.binary_or_skip()
    m, feeds = MODELS[name]()
    src, out = tmp_path / "m.onnx", tmp_path / "o.onnx"
    onnx.save(m, str(src))
    proc = run_cli(binary, ["optimize", src, out, "--check", "--verify"])
    assert proc.returncode == 0, describe(proc)
    assert "--check: outputs match" in proc.stdout, describe(proc)
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    _compare(run_ort(out, feeds), run_ort(src, feeds), f"{name} optimized")


# ---- quantize and inspect on models with subgraphs ----------------------------------------------

def matmul_loop_model():
    """x @ w1 in the main graph, then a Loop whose body multiplies by w2 (an outer-scope weight)."""
    r = rng(8)
    body = loop_body("mb", [
        helper.make_node("Identity", ["mb_cond_in"], ["mb_cond_out"]),
        helper.make_node("MatMul", ["mb_h", "w2"], ["mb_p"]),
        helper.make_node("Tanh", ["mb_p"], ["mb_h2"]),
    ], [vi("mb_h", F, [4, 8])], [vi("mb_cond_out", B, []), vi("mb_h2", F, [4, 8])])
    inits = [numpy_helper.from_array(r.standard_normal((8, 8)).astype(np.float32) * 0.5, "w1"),
             numpy_helper.from_array(r.standard_normal((8, 8)).astype(np.float32) * 0.5, "w2"),
             numpy_helper.from_array(np.array(3, np.int64), "M")]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]),
             helper.make_node("Relu", ["h"], ["hr"]),
             helper.make_node("Loop", ["M", "", "hr"], ["y"], body=body)]
    return model(nodes, [vi("x", F, [4, 8])], [vi("y", F, [4, 8])], inits)


def test_quantize_keeps_loop_bodies_float(tmp_path):
    binary = oracle_lib.binary_or_skip()
    src, dst = tmp_path / "m.onnx", tmp_path / "q.onnx"
    onnx.save(matmul_loop_model(), str(src))
    xs = rng(9).standard_normal((16, 4, 8)).astype(np.float32)
    np.savez(tmp_path / "calib.npz", x=xs)
    proc = run_cli(binary, ["quantize", src, dst, "--calibration", tmp_path / "calib.npz"])
    assert proc.returncode == 0, describe(proc)
    q = onnx.load(str(dst))
    onnx.checker.check_model(q, full_check=True)
    loop = next(n for n in q.graph.node if n.op_type == "Loop")
    body_ops = [n.op_type for n in loop.attribute[0].g.node]
    assert "MatMul" in body_ops and "QuantizeLinear" not in body_ops, body_ops
    ref = run_ort(src, {"x": xs[0]})["y"]
    got = run_ort(dst, {"x": xs[0]})["y"]
    assert np.max(np.abs(ref - got)) < 0.2 * max(1.0, float(np.max(np.abs(ref))))


def test_inspect_counts_body_nodes(tmp_path):
    binary = oracle_lib.binary_or_skip()
    path = tmp_path / "m.onnx"
    m, _ = sequence_through_loop()
    onnx.save(m, str(path))
    for flags in ([], ["--json"]):
        proc = run_cli(binary, ["inspect", path, *flags])
        assert proc.returncode == 0, describe(proc)
    import json
    doc = json.loads(proc.stdout)
    # 4 in the main graph, 4 in the body.
    assert doc["nodes"] == 8, doc
