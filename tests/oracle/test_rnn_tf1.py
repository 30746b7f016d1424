"""TF1 recurrent graphs with per-row lengths become one ONNX LSTM/GRU/RNN per direction
(issue 13; fuse_rnn_loops with optimizer/rnn_seqlen.h).

`dynamic_rnn(..., sequence_length=L)` selects, per step, the old state for rows past their
length and writes zeros to their outputs; `bidirectional_dynamic_rnn` reverses each row within
its length (ReverseSequence). ONNX's sequence_lens has exactly these semantics, so the graphs
must hold LSTM/GRU/RNN nodes and no Loop, and match TensorFlow, including a row of length 0
(its final state is the initial one) and a non-zero initial state. Graphs are frozen from a
Session (one case also saved as a TF1 SavedModel); each is built once per module, shapes tiny.
"""

import numpy as np
import pytest

from oracle_lib import assert_close, check_onnx, describe, get_tf, run_cli, run_onnx

B, T, F, U = 3, 5, 3, 4
LENGTHS = np.array([5, 2, 0], np.int32)  # full, partial, empty
RNN_OPS = {"LSTM", "GRU", "RNN"}

# name -> (cell class, cell kwargs, mode, with sequence_length, non-zero initial state)
CASES = {
    "lstm_len": ("LSTMCell", {}, "dynamic", True, False),
    "lstm_len_initial_state": ("LSTMCell", {}, "dynamic", True, True),
    "basic_lstm_len": ("BasicLSTMCell", {"forget_bias": 2.0}, "dynamic", True, False),
    "gru_len": ("GRUCell", {}, "dynamic", True, False),
    "gru_len_initial_state": ("GRUCell", {}, "dynamic", True, True),
    "basic_rnn_len": ("BasicRNNCell", {}, "dynamic", True, False),
    "bidirectional_lstm_len": ("LSTMCell", {}, "bidirectional", True, False),
    "bidirectional_gru_len": ("GRUCell", {}, "bidirectional", True, False),
    "bidirectional_gru": ("GRUCell", {}, "bidirectional", False, False),
    # A projection h = (o * tanh(c)) P: ONNX LSTM runs on the unprojected h with R' = P R, then
    # MatMul P; exact only from a zero initial h, so a non-zero one stays a (correct) Loop.
    "lstm_projection": ("LSTMCell", {"num_proj": 3}, "dynamic", False, False),
    "lstm_projection_len": ("LSTMCell", {"num_proj": 3}, "dynamic", True, False),
    "lstm_projection_initial_state": ("LSTMCell", {"num_proj": 3}, "dynamic", True, True),
}
LOOPS_KEPT = {"lstm_projection_initial_state"}


def _build(root, name):
    """Freezes case `name`; returns (pb, saved model dir, feeds by input name, [y, final state])."""
    tf = get_tf()
    v1 = tf.compat.v1
    from tensorflow.python.ops import rnn, rnn_cell_impl

    cell_name, cell_args, mode, with_len, initial = CASES[name]
    rng = np.random.default_rng(3)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [B, T, F], name="x")
        lengths = v1.placeholder(tf.int32, [B], name="lengths") if with_len else None
        with v1.variable_scope("rnn", initializer=v1.random_uniform_initializer(-0.5, 0.5, seed=1)):
            make = lambda: getattr(rnn_cell_impl, cell_name)(U, **cell_args)  # noqa: E731
            if mode == "bidirectional":
                (fw, bw), state = rnn.bidirectional_dynamic_rnn(make(), make(), x, sequence_length=lengths,
                                                                dtype=tf.float32)
                out = tf.concat([fw, bw], axis=-1)
            else:
                cell = make()
                init = None
                if initial:
                    init = tf.nest.map_structure(
                        lambda s: tf.constant(rng.normal(size=(B, s)).astype(np.float32)), cell.state_size)
                out, state = rnn.dynamic_rnn(cell, x, sequence_length=lengths, initial_state=init,
                                             dtype=tf.float32)
        y = tf.identity(out, name="y")
        s = tf.identity(tf.concat(tf.nest.flatten(state), axis=-1), name="state")
        feeds = {"x:0": rng.normal(size=(B, T, F)).astype(np.float32)}
        if with_len:
            feeds["lengths:0"] = LENGTHS
        with v1.Session(graph=g) as sess:
            sess.run(v1.global_variables_initializer())
            want = sess.run([y, s], feeds)
            gd = v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y", "state"])
            sm = None
            if name == "lstm_len":
                sm = root / f"{name}_sm"
                inputs = {"x": x, "lengths": lengths}
                v1.saved_model.simple_save(sess, str(sm), inputs, {"y": y, "state": s})
    pb = root / f"{name}.pb"
    pb.write_bytes(gd.SerializeToString())
    return pb, sm, feeds, want


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tf1_rnn")
    return {name: _build(root, name) for name in CASES}


def _check(model_path, feeds, want, fused=True):
    model = check_onnx(model_path)
    ops = [n.op_type for n in model.graph.node]
    if fused:
        assert RNN_OPS & set(ops) and "Loop" not in ops, sorted(set(ops))
    else:
        assert "Loop" in ops, sorted(set(ops))
    by_name = {i.name: i.name for i in model.graph.input}
    run_feeds = {}
    for k, v in feeds.items():
        key = k if k in by_name else k.split(":")[0]
        assert key in by_name, (k, sorted(by_name))
        run_feeds[key] = v
    got = list(run_onnx(model_path, run_feeds).values())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w, atol=1e-5)
    return ops


@pytest.mark.parametrize("name", sorted(CASES))
def test_tf1_rnn_with_lengths(graphs, convert, tmp_path, name):
    pb, _, feeds, want = graphs[name]
    out = tmp_path / f"{name}.onnx"
    proc = convert(pb, out, "--outputs", "y:0", "--outputs", "state:0")
    assert proc.returncode == 0, describe(proc)
    ops = _check(out, feeds, want, fused=name not in LOOPS_KEPT)
    if name in LOOPS_KEPT:
        return
    directions = 2 if CASES[name][2] == "bidirectional" else 1
    assert sum(op in RNN_OPS for op in ops) == directions, ops


def test_tf1_saved_model_with_lengths(graphs, onnxsmith_bin, tmp_path):
    _, sm, feeds, want = graphs["lstm_len"]
    out = tmp_path / "lstm_len_sm.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", str(sm), "--output", str(out)])
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    # The signature's outputs are sorted by key: state, y.
    names = [o.name for o in model.graph.output]
    want_by_key = {"y": want[0], "state": want[1]}
    ordered = [want_by_key[n.split(":")[0]] for n in names]
    _check(out, {"x": feeds["x:0"], "lengths": feeds["lengths:0"]}, ordered)
