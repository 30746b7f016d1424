"""tf.switch_case frozen with lowered control flow (issue 14): convert_variables_to_constants_v2
lowers the Case op to _SwitchN / Merge nodes, which onnxsmith rebuilds into a Case (an If chain in
ONNX). Branch indices in and out of range (TF takes the last branch for those), several outputs,
branches reading captured inputs or returning constants, a switch_case nested in a tf.cond, and a
TF1-style graph (tf.compat.v1 placeholders and variables) both lowered (through wrap_function) and
frozen from its session (StatelessCase kept). Compared with TF at opsets 13, 17 and 21."""

import numpy as np
import pytest

from oracle_lib import assert_close, freeze, get_tf, run_onnx

tf = get_tf()
F32 = np.float32
X = np.array([0.5, -1.0, 2.0], F32)
Y = np.array([[1.0, 2.0], [3.0, -4.0]], F32)
INDICES = (0, 1, 2, 7, -1)


def three_way(x, i):
    return tf.switch_case(i, [lambda: x * 2.0, lambda: tf.sin(x), lambda: x + 1.0])


def two_way(x, i):
    return tf.switch_case(i, [lambda: tf.exp(x), lambda: x - 3.0])


def multi_output(x, y, i):
    # Branch 1 reads only y, branch 2 returns constants.
    return tf.switch_case(i, [
        lambda: (x * 3.0, tf.reduce_sum(y)),
        lambda: (tf.reduce_max(y, axis=0)[:1] + x, tf.constant(1.5)),
        lambda: (tf.constant([7.0, 8.0, 9.0]), tf.constant(-2.0)),
    ])


def nested(x, i):
    def inner():
        return tf.switch_case(i, [lambda: x * x, lambda: -x, lambda: tf.abs(x)])
    return tf.cond(tf.reduce_sum(x) > 0, inner, lambda: x * 0.5)


MODELS = {
    "three_way": (three_way, ["x", "i"]),
    "two_way": (two_way, ["x", "i"]),
    "multi_output": (multi_output, ["x", "y", "i"]),
    "nested_in_cond": (nested, ["x", "i"]),
}
SPECS = {"x": tf.TensorSpec([3], tf.float32, name="x"), "y": tf.TensorSpec([2, 2], tf.float32, name="y"),
         "i": tf.TensorSpec([], tf.int32, name="i")}
FEEDS = {"x": X, "y": Y}


def tf1_model_fn():
    """A TF1-style body: placeholders in, a reference variable, switch_case."""
    v = tf.compat.v1.get_variable("v", [3], initializer=tf.compat.v1.constant_initializer([1.0, 2.0, 3.0]),
                                  use_resource=False)
    x = tf.compat.v1.placeholder(tf.float32, [3], name="x")
    i = tf.compat.v1.placeholder(tf.int32, [], name="i")
    y = tf.switch_case(i, [lambda: x * v, lambda: tf.sin(x) + v, lambda: x + 1.0])
    return x, i, tf.identity(y, name="out")


@pytest.fixture(scope="module")
def frozen_models(frozen_cache):
    out = {}
    for name, (fn, args) in MODELS.items():
        f = frozen_cache.get(f"switchn_{name}",
                             lambda path, fn=fn, args=args: freeze(tf.function(fn),
                                                                   [SPECS[a] for a in args], path))
        out[name] = (f, args, fn)
    return out


def _ops(path):
    from tensorflow.core.framework import graph_pb2

    g = graph_pb2.GraphDef()
    g.ParseFromString(path.read_bytes())
    return {n.op for n in g.node}


def _compare(onnx_path, inputs, outputs, args, index, expected):
    feeds = {t: (np.array(index, np.int32) if a == "i" else FEEDS[a]) for t, a in zip(inputs, args)}
    got = run_onnx(onnx_path, feeds)
    for name, e in zip(outputs, expected):
        assert_close(got[name], np.asarray(e), what=f"{name} at index {index}")


@pytest.mark.parametrize("opset", [13, 17, 21])
@pytest.mark.parametrize("name", list(MODELS))
def test_switch_case_lowered(name, opset, frozen_models, convert_ok, tmp_path):
    frozen, args, fn = frozen_models[name]
    assert "_SwitchN" in _ops(frozen.path), f"TF no longer lowers switch_case: {frozen.op_types}"
    out = tmp_path / f"{name}.onnx"
    convert_ok(frozen.path, out, "--opset", opset)
    for index in INDICES:
        expected = tf.nest.flatten(fn(*[tf.constant(index) if a == "i" else tf.constant(FEEDS[a])
                                        for a in args]))
        _compare(out, frozen.inputs, frozen.outputs, args, index, expected)


def _tf1_reference(index):
    g = tf.Graph()
    with g.as_default():
        x, i, y = tf1_model_fn()
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            return s.run(y, {x: X, i: index})


@pytest.fixture(scope="module")
def tf1_frozen(tmp_path_factory):
    """The TF1 graph frozen twice: lowered (wrap_function + convert_variables_to_constants_v2)
    and from its session (convert_variables_to_constants_from_session_graph)."""
    from tensorflow.python.framework import convert_to_constants as c

    d = tmp_path_factory.mktemp("switchn_tf1")
    paths = {}
    wrapped = tf.compat.v1.wrap_function(lambda: tf1_model_fn(), [])
    pruned = wrapped.prune(feeds=["x:0", "i:0"], fetches=["out:0"])
    lowered = c.convert_variables_to_constants_v2(pruned).graph.as_graph_def()
    paths["lowered"] = d / "lowered.pb"
    paths["lowered"].write_bytes(lowered.SerializeToString())
    g = tf.Graph()
    with g.as_default():
        tf1_model_fn()
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            gd = c.convert_variables_to_constants_from_session_graph(s, g.as_graph_def(), ["out"])
    paths["session"] = d / "session.pb"
    paths["session"].write_bytes(gd.SerializeToString())
    return paths


@pytest.mark.parametrize("opset", [13, 17, 21])
@pytest.mark.parametrize("how,op", [("lowered", "_SwitchN"), ("session", "StatelessCase")])
def test_switch_case_tf1_graph(how, op, opset, tf1_frozen, convert_ok, tmp_path):
    path = tf1_frozen[how]
    assert op in _ops(path)
    ops = _ops(path)
    out = tmp_path / "m.onnx"
    model = convert_ok(path, out, "--opset", opset)
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    assert len(outputs) == 1, (outputs, ops)
    args = ["x" if n.startswith("x") else "i" for n in inputs]
    for index in INDICES:
        _compare(out, inputs, outputs, args, index, [_tf1_reference(index)])
