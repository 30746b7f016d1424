"""TF1 control flow (issue 13, part 1): v1 while frames, Switch/Merge conditionals and
TensorArrays raised to TF2's functional While/If/TensorList form.

Graphs are built with tf.compat.v1 under control flow v1, frozen, rewritten by
//tools/raise_control_flow (the same code `onnxsmith convert` runs on a frozen GraphDef or a
TF1 SavedModel) and run in TensorFlow itself: the rewrite must give the original graph's
outputs. That proves the rewrite independently of ONNX. The ONNX end-to-end checks need the
While/If/TensorList handlers; until those are in the binary they skip, saying so.

Environment: ONNXSMITH_RAISE_BIN (default <repo>/bazel-bin/tools/raise_control_flow/
raise_control_flow), besides conftest.py's ONNXSMITH_BIN and ONNXSMITH_CORPUS.
"""

import contextlib
import os
import pathlib
import re
import subprocess

import numpy as np
import pytest

from oracle_lib import (REPO_ROOT, assert_close, check_onnx, describe, get_tf, leftovers, rng_for, run_cli,
                        run_onnx)

V1_OPS = {"Enter", "Exit", "Merge", "Switch", "NextIteration", "LoopCond"}
FUNCTIONAL_OPS = ("While", "If", "TensorList")


def raise_bin() -> pathlib.Path:
    env = os.environ.get("ONNXSMITH_RAISE_BIN")
    path = pathlib.Path(env) if env else REPO_ROOT / "bazel-bin/tools/raise_control_flow/raise_control_flow"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"{path} not built (bazel build //tools/raise_control_flow)")
    return path


def run_raise(src: pathlib.Path, dst: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(raise_bin()), str(src), str(dst)], capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def control_flow_v1():
    tf = get_tf()
    tf.compat.v1.disable_control_flow_v2()
    try:
        yield tf.compat.v1
    finally:
        tf.compat.v1.enable_control_flow_v2()


def load_graph_def(path: pathlib.Path):
    from test_corpus import load_graph_def as load

    return load(path)


def run_tf(graph_def, feeds, fetches):
    from test_corpus import run_tf_graph

    return [np.asarray(v) for v in run_tf_graph(graph_def, feeds, fetches)]


# ------------------------------------------------------------------------------------------
# The graphs: each builder runs inside a v1 graph and returns (feeds, fetch tensors)
# ------------------------------------------------------------------------------------------


def build_while_data_dependent(v1, rng):
    tf = get_tf()
    x = v1.placeholder(tf.float32, [3], name="x")
    limit = v1.placeholder(tf.float32, [], name="limit")
    i, y = v1.while_loop(lambda i, y: tf.reduce_sum(y) < limit,
                         lambda i, y: (i + 1, y * 2.0 + 1.0), [tf.constant(0), x])
    return {"x:0": rng.uniform(0.1, 1, 3).astype(np.float32), "limit:0": np.float32(300)}, [i, y]


def build_nested_loops(v1, rng):
    tf = get_tf()
    n = v1.placeholder(tf.int32, [], name="n")
    x = v1.placeholder(tf.float32, [2], name="x")

    def outer_body(i, acc):
        _, inner = v1.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a + x * tf.cast(j, tf.float32)),
                                 [tf.constant(0), acc])
        return i + 1, inner

    i, acc = v1.while_loop(lambda i, acc: i < n, outer_body, [tf.constant(0), tf.zeros([2])])
    return {"n:0": np.int32(5), "x:0": rng.normal(size=2).astype(np.float32)}, [i, acc]


def build_changing_shapes(v1, rng):
    tf = get_tf()
    x = v1.placeholder(tf.float32, [None, 2], name="x")
    steps = v1.placeholder(tf.int32, [], name="steps")

    def body(i, rows, flat):
        rows = tf.concat([rows, rows[-1:] * 2.0], axis=0)
        flat = tf.concat([flat, tf.reshape(rows[-1:], [-1])], axis=0)
        return i + 1, rows, flat

    _, rows, flat = v1.while_loop(lambda i, r, f: i < steps, body, [tf.constant(0), x, tf.zeros([0])],
                                  shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 2]),
                                                    tf.TensorShape([None])])
    return {"x:0": rng.normal(size=(2, 2)).astype(np.float32), "steps:0": np.int32(3)}, [rows, flat]


def build_cond(v1, rng):
    tf = get_tf()
    x = v1.placeholder(tf.float32, [4], name="x")
    a, b = v1.cond(tf.reduce_sum(x) > 0, lambda: (x * 2.0, tf.reduce_max(x)),
                   lambda: (x - 1.0, tf.constant(7.0)))
    c = v1.cond(tf.reduce_sum(x) > 0, lambda: tf.constant([1.0, 2.0]), lambda: tf.constant([3.0, 4.0]))
    return {"x:0": rng.normal(size=4).astype(np.float32)}, [a, b, c]


def build_cond_in_loop(v1, rng):
    tf = get_tf()
    x = v1.placeholder(tf.float32, [3], name="x")

    def body(i, y):
        y = v1.cond(tf.equal(i % 2, 0), lambda: y + 1.0, lambda: y * 2.0)
        return i + 1, y

    _, y = v1.while_loop(lambda i, y: i < 5, body, [tf.constant(0), x])
    return {"x:0": rng.normal(size=3).astype(np.float32)}, [y]


def build_loop_in_cond(v1, rng):
    tf = get_tf()
    x = v1.placeholder(tf.float32, [3], name="x")
    p = v1.placeholder(tf.bool, [], name="p")

    def looped():
        _, y = v1.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, y * 1.5), [tf.constant(0), x])
        return y

    y = v1.cond(p, looped, lambda: x - 1.0)
    return {"x:0": rng.normal(size=3).astype(np.float32), "p:0": np.bool_(True)}, [y]


def build_tensor_array_loop(v1, rng):
    tf = get_tf()
    x = v1.placeholder(tf.float32, [None, 3], name="x")
    n = tf.shape(x)[0]
    inputs = v1.TensorArray(tf.float32, size=n).unstack(x)
    outputs = v1.TensorArray(tf.float32, size=n, clear_after_read=False)
    grown = v1.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[3])

    def body(i, acc, out, grown):
        acc = acc + inputs.read(i)
        return i + 1, acc, out.write(i, acc * 2.0), grown.write(i, acc)

    _, acc, out, grown = v1.while_loop(lambda i, *_: i < n, body,
                                       [tf.constant(0), tf.zeros([3]), outputs, grown])
    return {"x:0": rng.normal(size=(4, 3)).astype(np.float32)}, [acc, out.stack(), grown.concat(),
                                                                  out.size(), out.gather([2, 0])]


def _dynamic_rnn(v1, rng, cell_name):
    tf = get_tf()
    from tensorflow.python.ops import rnn, rnn_cell_impl

    x = v1.placeholder(tf.float32, [2, 5, 3], name="x")
    with v1.variable_scope("rnn", initializer=v1.random_uniform_initializer(-0.5, 0.5, seed=1)):
        cell = getattr(rnn_cell_impl, cell_name)(4)
        out, state = rnn.dynamic_rnn(cell, x, dtype=tf.float32)
    state = tf.concat(list(state), axis=-1) if isinstance(state, tuple) else state
    return {"x:0": rng.normal(size=(2, 5, 3)).astype(np.float32)}, [out, state]


def build_dynamic_rnn_lstm(v1, rng):
    return _dynamic_rnn(v1, rng, "LSTMCell")


def build_dynamic_rnn_gru(v1, rng):
    return _dynamic_rnn(v1, rng, "GRUCell")


CASES = {
    "while_data_dependent": build_while_data_dependent,
    "nested_loops": build_nested_loops,
    "changing_shapes": build_changing_shapes,
    "cond": build_cond,
    "cond_in_loop": build_cond_in_loop,
    "loop_in_cond": build_loop_in_cond,
    "tensor_array_loop": build_tensor_array_loop,
    "dynamic_rnn_lstm": build_dynamic_rnn_lstm,
    "dynamic_rnn_gru": build_dynamic_rnn_gru,
}


class Case:
    def __init__(self, path, graph_def, feeds, fetches):
        self.path, self.graph_def, self.feeds, self.fetches = path, graph_def, feeds, fetches


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Each graph built, frozen and written once per module."""
    built = {}
    tf = get_tf()

    def get(name):
        if name in built:
            return built[name]
        graph = tf.Graph()
        with graph.as_default(), control_flow_v1() as v1:
            feeds, fetch_tensors = CASES[name](v1, rng_for(name))
            outputs = [tf.identity(t, name=f"out{k}") for k, t in enumerate(fetch_tensors)]
            with v1.Session(graph=graph) as sess:
                sess.run(v1.global_variables_initializer())
                gd = v1.graph_util.convert_variables_to_constants(
                    sess, graph.as_graph_def(), [o.op.name for o in outputs])
        assert {n.op for n in gd.node} & V1_OPS, f"{name}: no v1 control flow was built"
        path = tmp_path_factory.mktemp("cf_tf1") / f"{name}.pb"
        path.write_bytes(gd.SerializeToString())
        built[name] = Case(path, gd, feeds, [o.name for o in outputs])
        return built[name]

    return get


def raised(case_path: pathlib.Path, tmp_path: pathlib.Path):
    out = tmp_path / "raised.pb"
    proc = run_raise(case_path, out)
    assert proc.returncode == 0, describe(proc)
    gd = load_graph_def(out)
    left = sorted({n.op for n in gd.node if n.op in V1_OPS or n.op.startswith("TensorArray")})
    assert not left, f"v1 ops left after the rewrite: {left}"
    return gd


@pytest.mark.parametrize("name", sorted(CASES))
def test_rewrite_runs_in_tf(name, cases, tmp_path):
    case = cases(name)
    gd = raised(case.path, tmp_path)
    ops = {n.op for n in gd.node}
    assert ops & {"While", "If"}, f"no functional control flow in the rewrite: {sorted(ops)}"
    want = run_tf(case.graph_def, case.feeds, case.fetches)
    got = run_tf(gd, case.feeds, case.fetches)
    for tname, w, g in zip(case.fetches, want, got):
        assert_close(g, w, atol=1e-6, rtol=1e-6, what=f"{name} {tname}, rewrite vs original in TF")


def _skip_if_handlers_missing(proc):
    """The functional ops convert once the While/If/TensorList handlers (issue 13) are in."""
    if proc.returncode != 0 and "unsupported TensorFlow op type" in proc.stderr:
        ops = set(re.findall(r"^\s+(\w+) x\d+", proc.stderr, re.M))
        if ops and all(op.startswith(FUNCTIONAL_OPS) for op in ops):
            pytest.skip(f"needs the functional control-flow handlers, not in this binary: {sorted(ops)}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_onnx_matches_tf(name, cases, convert, tmp_path):
    case = cases(name)
    out = tmp_path / f"{name}.onnx"
    proc = convert(case.path, out, "--outputs", ",".join(case.fetches))
    _skip_if_handlers_missing(proc)
    assert proc.returncode == 0, describe(proc)
    check_onnx(out)
    want = run_tf(case.graph_def, case.feeds, case.fetches)
    got = run_onnx(out, case.feeds)
    for tname, w in zip(case.fetches, want):
        assert_close(got[tname], w, what=f"{name} {tname}, ONNX vs TF")


SAVED_MODEL_CASES = ["cond", "tensor_array_loop", "dynamic_rnn_lstm"]


@pytest.mark.parametrize("name", SAVED_MODEL_CASES)
def test_tf1_saved_model(name, onnxsmith_bin, tmp_path):
    """A TF1 SavedModel (variables in a checkpoint, the loader prunes control edges) is raised
    on the conversion path too; with the functional handlers it converts and matches TF."""
    tf = get_tf()
    graph = tf.Graph()
    export = tmp_path / "sm"
    with graph.as_default(), control_flow_v1() as v1:
        feeds, fetch_tensors = CASES[name](v1, rng_for(name))
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            inputs = {k.split(":")[0]: graph.get_tensor_by_name(k) for k in feeds}
            outputs = {f"out{k}": t for k, t in enumerate(fetch_tensors)}
            want = sess.run(fetch_tensors, feed_dict=feeds)
            v1.saved_model.simple_save(sess, str(export), inputs=inputs, outputs=outputs)
    out = tmp_path / f"{name}.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", str(export), "--output", str(out)])
    _skip_if_handlers_missing(proc)
    assert proc.returncode == 0, describe(proc)
    check_onnx(out)
    got = run_onnx(out, {k.split(":")[0]: v for k, v in feeds.items()})
    for k, w in enumerate(want):
        assert_close(got[f"out{k}"], w, what=f"{name} out{k}, ONNX vs TF")


# ------------------------------------------------------------------------------------------
# Shared corpus: the rewrite reproduces the shipped reference outputs in TF
# ------------------------------------------------------------------------------------------

CORPUS = ["dl4j_simplewhile_0", "dl4j_simpleif_0", "dl4j_dynamic_lstm"]


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_rewrite_matches_reference(name, corpus_dir, tmp_path):
    import test_corpus

    model_dir = corpus_dir / "graphdef" / name
    original = test_corpus.load_graph_def(model_dir / "frozen_model.pb")
    ref = test_corpus.dl4j_reference(model_dir, original)
    gd = raised(model_dir / "frozen_model.pb", tmp_path)
    got = run_tf(gd, ref.feeds, ref.expected)
    for (tname, exp), value in zip(ref.expected.items(), got):
        assert_close(value, exp, what=f"{name} {tname}, rewrite in TF vs reference")


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_onnx_matches_reference(name, corpus_dir, convert, tmp_path):
    import test_corpus

    model_dir = corpus_dir / "graphdef" / name
    original = test_corpus.load_graph_def(model_dir / "frozen_model.pb")
    ref = test_corpus.dl4j_reference(model_dir, original)
    out = tmp_path / f"{name}.onnx"
    proc = convert(model_dir / "frozen_model.pb", out, *ref.flags)
    _skip_if_handlers_missing(proc)
    assert proc.returncode == 0, describe(proc)
    check_onnx(out)
    got = run_onnx(out, ref.feeds)
    for tname, exp in ref.expected.items():
        assert_close(got[tname], exp, what=f"{name} {tname}, ONNX vs reference")


# ------------------------------------------------------------------------------------------
# Malformed frames: a clear error naming the nodes, exit 1, no output, no crash
# ------------------------------------------------------------------------------------------


def _simple_loop_graph():
    tf = get_tf()
    graph = tf.Graph()
    with graph.as_default(), control_flow_v1() as v1:
        x = v1.placeholder(tf.float32, [], name="x")
        v1.while_loop(lambda y: y < 10.0, lambda y: y + 1.0, [x], name="loop")
    return graph.as_graph_def()


def _drop_enter(gd):
    """The loop's Enter is gone: its Merge reads x directly, so the Exit has no frame."""
    enter = next(n for n in gd.node if n.op == "Enter")
    for n in gd.node:
        n.input[:] = [i if i.split(":")[0] != enter.name else "x" for i in n.input]
    gd.node.remove(enter)
    return "Exit"


def _open_cycle(gd):
    """The NextIteration feeds nothing: the loop's back edge does not close."""
    merge = next(n for n in gd.node if n.op == "Merge")
    nxt = next(n for n in gd.node if n.op == "NextIteration")
    enter = next(n for n in gd.node if n.op == "Enter")
    merge.input[:] = [enter.name, enter.name]
    return nxt.name


def _missing_merge_input(gd):
    merge = next(n for n in gd.node if n.op == "Merge")
    merge.input[1] = "loop/no_such_node"
    return "loop/no_such_node"


MALFORMED = {"exit_without_enter": _drop_enter, "next_iteration_open": _open_cycle,
             "merge_missing_input": _missing_merge_input}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_frame_refused(kind, tmp_path, convert):
    gd = _simple_loop_graph()
    named = MALFORMED[kind](gd)
    src = tmp_path / f"{kind}.pb"
    src.write_bytes(gd.SerializeToString())
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = run_raise(src, out_dir / "raised.pb")
    assert proc.returncode == 1, describe(proc)
    assert "raise_control_flow: error:" in proc.stderr and named in proc.stderr, describe(proc)
    proc = convert(src, out_dir / "m.onnx", "--outputs", "loop/Exit:0")
    assert proc.returncode == 1, describe(proc)
    assert "onnxsmith convert: error:" in proc.stderr and named in proc.stderr, describe(proc)
    assert leftovers(out_dir) == [], leftovers(out_dir)


def test_cheap_conds_become_where(convert, tmp_path):
    """A tf.cond whose branches are a few elementwise ops on the same tensor (dynamic batch), or
    constants, becomes Where (the optimizer's if_to_where); both branches still match TF."""
    tf = get_tf()
    graph = tf.Graph()
    with graph.as_default(), control_flow_v1() as v1:
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        p = tf.reduce_sum(x) > 0
        a = v1.cond(p, lambda: tf.nn.relu(x) * 2.0, lambda: tf.exp(-x) - 1.0)
        c = v1.cond(p, lambda: tf.constant([1.0, 2.0]), lambda: tf.constant([3.0, 4.0]))
        outs = [tf.identity(a, name="out0"), tf.identity(c, name="out1")]
    gd = graph.as_graph_def()
    path = tmp_path / "cheap_cond.pb"
    path.write_bytes(gd.SerializeToString())
    out = tmp_path / "cheap_cond.onnx"
    fetches = [o.name for o in outs]
    proc = convert(path, out, "--outputs", ",".join(fetches))
    assert proc.returncode == 0, describe(proc)
    ops = [n.op_type for n in check_onnx(out).graph.node]
    assert "If" not in ops and ops.count("Where") == 2, ops
    for sign in (1.0, -1.0):
        feeds = {"x:0": sign * np.abs(rng_for("cheap_cond").normal(size=(2, 3))).astype(np.float32)}
        want = run_tf(gd, feeds, fetches)
        got = run_onnx(out, feeds)
        for tname, w in zip(fetches, want):
            assert_close(got[tname], w, what=f"{tname} (sum sign {sign})")
