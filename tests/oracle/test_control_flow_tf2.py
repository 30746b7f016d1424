"""TF2 functional control flow (issue 13, part 2), checked against TensorFlow in ONNX Runtime.

tf.functions with while loops (data-dependent trip count, nested, several carried tensors of
changing shape), tf.cond, tf.switch_case, tf.map_fn, tf.scan, tf.foldl, a cond inside a loop,
a loop inside a cond, a TensorArray loop and a TensorList concat (with element lengths) are frozen with
convert_variables_to_constants_v2(lower_control_flow=False), so the GraphDef keeps
While/If/Case with their bodies in its function library and TensorList ops. onnxsmith turns
them into ONNX Loop / If / sequence ops; the outputs must match TF's at opsets 13 and 17, with
and without the optimizer. Keras LSTM/GRU SavedModels convert as Loops (the RNN rewriters come
later). A frozen graph that keeps its StatefulPartitionedCall nodes is inlined from its own
library. Bad input: a While whose body is missing from the library, or whose arity is wrong.
"""

import pathlib

import numpy as np
import pytest

from oracle_lib import assert_close, check_onnx, describe, get_tf, run_cli, run_onnx

OPSETS = (13, 17)
TENSOR_LIST_CASES = {"map_fn", "scan", "foldl", "tensor_array", "dynamic_array", "list_concat"}


def _freeze(fn, specs, path, keep_calls=False):
    tf = get_tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    concrete = fn.get_concrete_function(*specs)
    frozen = convert_variables_to_constants_v2(concrete, lower_control_flow=False,
                                               aggressive_inlining=False)
    gd = frozen.graph.as_graph_def()
    if keep_calls:  # a call node over the whole function, as some exporters leave
        gd = concrete.graph.as_graph_def()
    path.write_bytes(gd.SerializeToString())
    ops = {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    return [t.name for t in frozen.inputs if t.dtype != tf.resource], [t.name for t in frozen.outputs], ops


def _models():
    """name -> (tf.function, [TensorSpec], [feeds], ops the frozen graph must hold)."""
    tf = get_tf()
    f32 = tf.float32
    m = {}

    @tf.function
    def while_dynamic(x):
        i = tf.constant(0)
        s = x
        while tf.reduce_sum(s) < 100.0:
            s = s * 2.0 + 1.0
            i += 1
        return s, i

    m["while_dynamic"] = (while_dynamic, [tf.TensorSpec([3], f32, name="x")],
                          [np.array([1, 2, 3], np.float32)], "While")

    @tf.function
    def nested(n):
        acc = tf.constant(0.0)
        i = tf.constant(0)
        while i < n:
            j = tf.constant(0)
            while j < i:
                acc += tf.cast(i * j, tf.float32)
                j += 1
            i += 1
        return acc

    m["nested"] = (nested, [tf.TensorSpec([], tf.int32, name="n")],
                   [np.array(5, np.int32)], "While")

    @tf.function
    def changing_shape(x, n):
        s = x
        r = tf.zeros([0, 2])
        i = tf.constant(0)
        while i < n:
            tf.autograph.experimental.set_loop_options(
                shape_invariants=[(s, tf.TensorShape([None])), (r, tf.TensorShape([None, 2]))])
            s = tf.concat([s, s[-1:] * 2.0], 0)
            r = tf.concat([r, tf.fill([1, 2], tf.cast(i, tf.float32))], 0)
            i += 1
        return s, r, i

    m["changing_shape"] = (changing_shape, [tf.TensorSpec([2], f32, name="x"), tf.TensorSpec([], tf.int32, name="n")],
                           [np.array([1, 2], np.float32), np.array(4, np.int32)], "While")

    @tf.function
    def cond(x):
        return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: tf.reduce_max(x) - x)

    m["cond"] = (cond, [tf.TensorSpec([3], f32, name="x")],
                 [np.array([-1, -2, 0.5], np.float32)], "If")

    @tf.function
    def switch(i, x):
        return tf.switch_case(i, [lambda: x + 1.0, lambda: x * 3.0, lambda: -x])

    # TF 2.20 lowers switch_case to _SwitchN/Merge when tracing (converted as an ONNX Case chain)
    m["switch_case"] = (switch, [tf.TensorSpec([], tf.int32, name="i"), tf.TensorSpec([2], f32, name="x")],
                        [np.array(1, np.int32), np.array([1, 2], np.float32)], "_SwitchN")

    @tf.function
    def map_fn(x):
        return tf.map_fn(lambda r: tf.reduce_sum(r) * r, x)

    m["map_fn"] = (map_fn, [tf.TensorSpec([4, 3], f32, name="x")],
                   [np.arange(12, dtype=np.float32).reshape(4, 3)], "TensorListStack")

    @tf.function
    def scan(x):
        return tf.scan(lambda a, r: a * 0.5 + r, x)

    m["scan"] = (scan, [tf.TensorSpec([None, 3], f32, name="x")],
                 [np.arange(15, dtype=np.float32).reshape(5, 3)], "TensorListFromTensor")

    @tf.function
    def foldl(x):
        return tf.foldl(lambda a, r: a * 2.0 + r, x)

    m["foldl"] = (foldl, [tf.TensorSpec([5], f32, name="x")], [np.arange(5, dtype=np.float32)], "While")

    @tf.function
    def cond_in_loop(x):
        i = tf.constant(0)
        s = x
        while i < 6:
            s = tf.cond(i % 2 == 0, lambda: s + 1.0, lambda: s * 2.0)
            i += 1
        return s

    m["cond_in_loop"] = (cond_in_loop, [tf.TensorSpec([2], f32, name="x")], [np.array([1, 2], np.float32)], "If")

    @tf.function
    def loop_in_cond(x, n):
        def looped():
            s = x
            for _ in tf.range(n):
                s = s * 1.5
            return s
        return tf.cond(n > 0, looped, lambda: -x)

    m["loop_in_cond"] = (loop_in_cond, [tf.TensorSpec([2], f32, name="x"), tf.TensorSpec([], tf.int32, name="n")],
                         [np.array([1, 2], np.float32), np.array(3, np.int32)], "While")

    @tf.function
    def tensor_array(x):
        ta = tf.TensorArray(tf.float32, size=tf.shape(x)[0])
        for i in tf.range(tf.shape(x)[0]):
            ta = ta.write(i, x[i] * tf.cast(i, tf.float32))
        return ta.stack()

    m["tensor_array"] = (tensor_array, [tf.TensorSpec([None, 2], f32, name="x")],
                         [np.arange(8, dtype=np.float32).reshape(4, 2)], "TensorListSetItem")

    @tf.function
    def dynamic_array(x):
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        s = tf.constant(1.0)
        i = tf.constant(0)
        while s < x:
            ta = ta.write(i, s)
            s = s * 3.0
            i += 1
        return ta.stack(), ta.size()

    m["dynamic_array"] = (dynamic_array, [tf.TensorSpec([], f32, name="x")], [np.array(100.0, np.float32)],
                          "TensorListSetItem")

    @tf.function
    def list_concat(x):
        # Elements of different lengths; TensorListConcatV2 also returns each one's length.
        from tensorflow.python.ops import list_ops

        lst = list_ops.empty_tensor_list(element_shape=[None, 2], element_dtype=tf.float32)
        for i in tf.range(tf.shape(x)[0]):
            lst = list_ops.tensor_list_push_back(lst, x[: i + 1] * tf.cast(i + 1, tf.float32))
        values, lengths = tf.raw_ops.TensorListConcatV2(
            input_handle=lst, element_shape=tf.constant([-1, 2], tf.int64),
            leading_dims=tf.zeros([0], tf.int64), element_dtype=tf.float32)
        return values, lengths

    m["list_concat"] = (list_concat, [tf.TensorSpec([None, 2], f32, name="x")],
                        [np.arange(6, dtype=np.float32).reshape(3, 2)], "TensorListConcatV2")
    return m


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    d = tmp_path_factory.mktemp("cf_tf2")
    out = {}
    for name, (fn, specs, feeds, must) in _models().items():
        path = d / f"{name}.pb"
        inputs, outputs, ops = _freeze(fn, specs, path)
        assert any(must in op for op in ops), f"{name}: TF lowered its control flow ({sorted(ops)})"
        expected = [np.asarray(t) for t in get_tf().nest.flatten(fn(*[get_tf().constant(a) for a in feeds]))]
        out[name] = (path, inputs, outputs, feeds, expected)
    return out


def _check(model_path, inputs, outputs, feeds, expected):
    check_onnx(model_path)
    got = run_onnx(model_path, dict(zip(inputs, feeds)))
    for name, want in zip(outputs, expected):
        assert_close(got[name], want, what=name)


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("name", [
    "while_dynamic", "nested", "changing_shape", "cond", "switch_case", "map_fn", "scan", "foldl",
    "cond_in_loop", "loop_in_cond", "tensor_array", "dynamic_array", "list_concat"])
def test_control_flow(frozen, convert, tmp_path, name, opset):
    path, inputs, outputs, feeds, expected = frozen[name]
    out = tmp_path / f"{name}.onnx"
    flags = ["--opset", opset] + (["--no-optimize"] if opset == 13 else [])
    proc = convert(path, out, *flags)
    if opset < 14 and name in TENSOR_LIST_CASES:
        # TensorLists are ONNX sequences, which a body passes on from Identity-14.
        assert proc.returncode == 1 and "TensorList" in proc.stderr and "opset 13" in proc.stderr, \
            describe(proc)
        assert not out.exists()
        return
    assert proc.returncode == 0, describe(proc)
    _check(out, inputs, outputs, feeds, expected)


def test_partitioned_call_inlined_from_frozen_library(convert, tmp_path):
    """A GraphDef that keeps PartitionedCall nodes: the calls are inlined from its library."""
    tf = get_tf()

    @tf.function
    def inner(x):
        return tf.nn.relu(x) * 2.0

    @tf.function
    def outer(x):
        return inner(x) + 1.0

    path = tmp_path / "calls.pb"
    inputs, outputs, ops = _freeze(outer, [tf.TensorSpec([3], tf.float32, name="x")], path, keep_calls=True)
    assert "PartitionedCall" in ops
    x = np.array([-1, 0.5, 2], np.float32)
    out = tmp_path / "calls.onnx"
    proc = convert(path, out)
    assert proc.returncode == 0, describe(proc)
    _check(out, inputs, outputs, [x], [outer(tf.constant(x)).numpy()])


@pytest.fixture(scope="module")
def keras_rnn(tmp_path_factory):
    """A Keras LSTM + GRU model saved with tf.saved_model.save, its input and Keras's output."""
    tf = get_tf()
    import keras

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_sequences=True),
                              keras.layers.GRU(2)])
    d = tmp_path_factory.mktemp("rnn") / "sm"
    tf.saved_model.save(model, str(d))
    x = np.random.default_rng(0).random((2, 5, 3), dtype=np.float32)
    return d, x, np.asarray(model(x))


# Keras's RNN bodies reduce over computed axes (ReduceMax takes axes as an input from opset 18).
@pytest.mark.parametrize("opset", (18, 21))
def test_keras_rnn_saved_model_as_loop(keras_rnn, onnxsmith_bin, tmp_path, opset):
    d, x, want = keras_rnn
    out = tmp_path / "rnn.onnx"
    # fuse_rnn_loops would turn both loops into LSTM/GRU (test_rnn_rewrite.py): keep the Loops.
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", str(d), "--output", str(out), "--opset", str(opset),
                                   "--skip", "fuse_rnn_loops"])
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    assert "Loop" in {n.op_type for n in model.graph.node}
    got = run_onnx(out, {model.graph.input[0].name: x})
    assert_close(list(got.values())[0], want, atol=1e-5)
