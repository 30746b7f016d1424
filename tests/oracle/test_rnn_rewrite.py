"""RNN loops rewritten to ONNX LSTM/GRU/RNN (issue 13, part 3: the fuse_rnn_loops pass).

Keras recurrent models are exported as SavedModels and as frozen graphs (While + TensorLists
kept), TF1 dynamic_rnn cells are frozen from a Session; each converts, runs in ONNX Runtime
and matches TensorFlow. Where the cell is one ONNX has, the graph must hold LSTM/GRU/RNN nodes
and no Loop. Loops the rewriter leaves alone (an LSTM projection from a non-zero initial state,
test_rnn_tf1.py) must still convert correctly as Loops. Models are built once per module and
shared by the parametrized cases; shapes are tiny.
"""

import numpy as np
import onnx
import pytest

from oracle_lib import assert_close, check_onnx, describe, get_tf, run_cli, run_onnx

B, T, F, U = 2, 5, 3, 4
RNN_OPS = {"LSTM", "GRU", "RNN"}


def _keras_models():
    """name -> (model, input array, rewritten to RNN ops with no Loop left)."""
    import keras

    keras.utils.set_random_seed(7)
    L = keras.layers
    x = np.random.default_rng(1).normal(size=(B, T, F)).astype(np.float32)
    tokens = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2]], np.int32)
    seq = lambda *layers: keras.Sequential([keras.Input((T, F)), *layers])  # noqa: E731
    inp = keras.Input((T, F))
    lstm_out, h, c = L.LSTM(U, return_state=True)(inp)
    models = {
        "lstm": (seq(L.LSTM(U)), x, True),
        "lstm_sequences": (seq(L.LSTM(U, return_sequences=True)), x, True),
        "gru": (seq(L.GRU(U)), x, True),
        "gru_before_reset": (seq(L.GRU(U, reset_after=False, return_sequences=True)), x, True),
        "simple_rnn": (seq(L.SimpleRNN(U)), x, True),
        "bidirectional_lstm": (seq(L.Bidirectional(L.LSTM(U, return_sequences=True))), x, True),
        "stacked": (seq(L.LSTM(U, return_sequences=True), L.GRU(U)), x, True),
        "go_backwards": (seq(L.LSTM(U, go_backwards=True, return_sequences=True)), x, True),
        "return_state": (keras.Model(inp, [lstm_out, h, c]), x, True),
        # Time steps unknown until run time: the loop bound is computed from the input's shape.
        "dynamic_length": (keras.Sequential([keras.Input((None, F)), L.LSTM(U, return_sequences=True),
                                             L.GRU(U)]), x, True),
        # The masked body selects between new and old state per step: compacted steps and
        # sequence_lens (more masks in test_rnn_masked.py).
        "masked": (keras.Sequential([keras.Input((T,), dtype="int32"),
                                     L.Embedding(10, F, mask_zero=True), L.LSTM(U)]), tokens, True),
    }
    return models


@pytest.fixture(scope="module")
def keras_exports(tmp_path_factory):
    """name -> (saved model dir, frozen graph path, input, Keras outputs, fused)."""
    tf = get_tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    root = tmp_path_factory.mktemp("keras_rnn")
    out = {}
    for name, (model, x, fused) in _keras_models().items():
        want = model(x)
        want = [np.asarray(w) for w in (want if isinstance(want, (list, tuple)) else [want])]
        sm = root / f"{name}_sm"
        tf.saved_model.save(model, str(sm))
        fn = tf.function(lambda t, m=model: m(t))
        shape = (None, None) + x.shape[2:] if name == "dynamic_length" else (None,) + x.shape[1:]
        concrete = fn.get_concrete_function(tf.TensorSpec(shape, x.dtype, name="x"))
        frozen = convert_variables_to_constants_v2(concrete, lower_control_flow=False)
        pb = root / f"{name}.pb"
        pb.write_bytes(frozen.graph.as_graph_def().SerializeToString())
        outputs = [t.name for t in frozen.outputs]
        out[name] = (sm, pb, outputs, x, want, fused)
    return out


def convert_export(onnxsmith_bin, fmt, sm, pb, outputs, out):
    """Converts a Keras export (fmt "saved_model" or "frozen") to `out`; the checked ModelProto."""
    if fmt == "saved_model":
        args = ["convert", "--saved-model", str(sm), "--output", str(out)]
    else:
        args = ["convert", "--graphdef", str(pb), "--output", str(out)]
        for o in outputs:
            args += ["--outputs", o]
    proc = run_cli(onnxsmith_bin, args)
    assert proc.returncode == 0, describe(proc)
    return check_onnx(out)


def _check_ops(model, fused):
    ops = {n.op_type for n in model.graph.node}
    if fused:
        assert ops & RNN_OPS and "Loop" not in ops, sorted(ops)
    else:
        assert "Loop" in ops, sorted(ops)


@pytest.mark.parametrize("fmt", ["saved_model", "frozen"])
@pytest.mark.parametrize("name", ["lstm", "lstm_sequences", "gru", "gru_before_reset", "simple_rnn",
                                  "bidirectional_lstm", "stacked", "go_backwards", "return_state",
                                  "dynamic_length", "masked"])
def test_keras_rnn(keras_exports, onnxsmith_bin, tmp_path, name, fmt):
    sm, pb, outputs, x, want, fused = keras_exports[name]
    out = tmp_path / f"{name}.onnx"
    model = convert_export(onnxsmith_bin, fmt, sm, pb, outputs, out)
    _check_ops(model, fused)
    got = list(run_onnx(out, {model.graph.input[0].name: x}).values())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w, atol=1e-5)


def _tf1_rnn(path, cell_name, bidirectional=False, **cell_args):
    tf = get_tf()
    v1 = tf.compat.v1
    from tensorflow.python.ops import rnn, rnn_cell_impl

    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [B, T, F], name="x")
        with v1.variable_scope("rnn", initializer=v1.random_uniform_initializer(-0.5, 0.5, seed=1)):
            make = lambda: getattr(rnn_cell_impl, cell_name)(U, **cell_args)  # noqa: E731
            if bidirectional:
                (fw, bw), _ = rnn.bidirectional_dynamic_rnn(make(), make(), x, dtype=tf.float32)
                out = tf.concat([fw, bw], axis=-1)
            else:
                out, _ = rnn.dynamic_rnn(make(), x, dtype=tf.float32)
        y = tf.identity(out, name="y")
        feed = np.random.default_rng(2).normal(size=(B, T, F)).astype(np.float32)
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            want = s.run(y, {x: feed})
            gd = v1.graph_util.convert_variables_to_constants(s, g.as_graph_def(), ["y"])
    path.write_bytes(gd.SerializeToString())
    return feed, want


TF1_CASES = {
    "lstm": ("LSTMCell", {}, False, True),
    "lstm_forget_bias": ("BasicLSTMCell", {"forget_bias": 2.0}, False, True),
    "gru": ("GRUCell", {}, False, True),
    "basic_rnn": ("BasicRNNCell", {}, False, True),
    "bidirectional_lstm": ("LSTMCell", {}, True, True),
    # ONNX LSTM has no projection: it runs on the unprojected h (R' = P R), then MatMul P.
    "lstm_projection": ("LSTMCell", {"num_proj": 3}, False, True),
}


@pytest.mark.parametrize("name", sorted(TF1_CASES))
def test_tf1_dynamic_rnn(convert, tmp_path, name):
    cell, args, bidirectional, fused = TF1_CASES[name]
    pb = tmp_path / f"{name}.pb"
    feed, want = _tf1_rnn(pb, cell, bidirectional, **args)
    out = tmp_path / f"{name}.onnx"
    proc = convert(pb, out)
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    _check_ops(model, fused)
    got = list(run_onnx(out, {model.graph.input[0].name: feed}).values())
    assert_close(got[0], want, atol=1e-5)


def test_skipping_the_pass_keeps_the_loop(keras_exports, onnxsmith_bin, tmp_path):
    _, pb, outputs, x, want, _ = keras_exports["gru"]
    out = tmp_path / "gru_loop.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", str(pb), "--outputs", outputs[0],
                                   "--output", str(out), "--skip", "fuse_rnn_loops"])
    assert proc.returncode == 0, describe(proc)
    model = onnx.load(str(out))
    assert "Loop" in {n.op_type for n in model.graph.node}
    got = list(run_onnx(out, {model.graph.input[0].name: x}).values())
    assert_close(got[0], want[0], atol=1e-5)
