"""TF's fused RNN ops as one ONNX LSTM/GRU (issue 13, RNN rewriters).

BlockLSTM/BlockLSTMV2 (a whole sequence in one op) convert to one ONNX LSTM when only h is
read and the cell state is not clipped (TF clips the state, ONNX LSTM's `clip` clips the gate
inputs: not the same). A TF1 while loop whose step is one LSTMBlockCell/GRUBlockCell (what
contrib's LSTMBlockCell/GRUBlockCell under dynamic_rnn froze to) is fused into one LSTM/GRU
with no Loop left. Each graph is frozen, converted, run in ONNX Runtime and compared to
TensorFlow. Where the ONNX op cannot express TF's math (gate outputs read, a clipped state)
the graph must still convert and match.
"""

import numpy as np
import pytest

from oracle_lib import assert_close, check_onnx, describe, get_tf, run_onnx

B, T, F, U = 3, 5, 3, 4


def _weights(seed, rows, cols):
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.6, 0.6, size=(rows, cols)).astype(np.float32)


def _freeze(path, build, feed_shape, seed=2):
    """Builds `build(x)` -> outputs in a TF1 graph over placeholder x; frozen to `path`.
    Returns (feed, TF's outputs, output names)."""
    tf = get_tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, feed_shape, name="x")
        outs = [tf.identity(o, name=f"y{k}") for k, o in enumerate(build(tf, x))]
        feed = np.random.default_rng(seed).normal(size=feed_shape).astype(np.float32)
        with v1.Session(graph=g) as s:
            want = s.run(outs, {x: feed})
    path.write_bytes(g.as_graph_def().SerializeToString())
    return feed, want, [f"y{k}:0" for k in range(len(outs))]


def _block_lstm(v2, peephole=False, forget_bias=1.0, cell_clip=-1.0, seq_len=T, read=(6,)):
    def build(tf, x):
        c0 = tf.constant(_weights(5, B, U) * 0.5)
        h0 = tf.constant(_weights(6, B, U) * 0.5)
        w = tf.constant(_weights(7, F + U, 4 * U))
        b = tf.constant(_weights(8, 1, 4 * U)[0])
        wci, wcf, wco = (tf.constant(_weights(9 + k, 1, U)[0]) for k in range(3))
        args = dict(seq_len_max=tf.constant(seq_len, tf.int64), x=x, cs_prev=c0, h_prev=h0, w=w,
                    wci=wci, wcf=wcf, wco=wco, b=b, cell_clip=cell_clip, use_peephole=peephole)
        if v2:
            outs = tf.raw_ops.BlockLSTMV2(**args)
        else:
            outs = tf.raw_ops.BlockLSTM(forget_bias=forget_bias, **args)
        return [outs[k] for k in read]

    return build


# name -> (builder, fused to one LSTM)
BLOCK_CASES = {
    "v1": (_block_lstm(False), True),
    "v1_forget_bias": (_block_lstm(False, forget_bias=2.5), True),
    "v1_peephole": (_block_lstm(False, peephole=True, forget_bias=0.5), True),
    "v2": (_block_lstm(True), True),
    "v2_peephole": (_block_lstm(True, peephole=True), True),
    # TF zeroes the steps from seq_len_max on: sequence_lens.
    "v1_short": (_block_lstm(False, seq_len=3), True),
    # The clipped cell state has no ONNX LSTM equivalent: unrolled.
    "v1_clipped": (_block_lstm(False, cell_clip=0.3), False),
    # Gate outputs read: unrolled.
    "v1_gates_read": (_block_lstm(False, read=(0, 1, 6)), False),
}


@pytest.mark.parametrize("name", sorted(BLOCK_CASES))
def test_block_lstm(convert, tmp_path, name):
    build, fused = BLOCK_CASES[name]
    pb = tmp_path / f"{name}.pb"
    feed, want, outputs = _freeze(pb, build, [T, B, F])
    out = tmp_path / f"{name}.onnx"
    proc = convert(pb, out, *[a for o in outputs for a in ("--outputs", o)])
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    ops = [n.op_type for n in model.graph.node]
    if fused:
        assert ops.count("LSTM") == 1 and "Sigmoid" not in ops, sorted(set(ops))
    else:
        assert "LSTM" not in ops, sorted(set(ops))
    got = list(run_onnx(out, {model.graph.input[0].name: feed}).values())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w, atol=1e-5, rtol=1e-4)


def _block_cell_loop(cell, peephole=False, cell_clip=-1.0, forget_bias=1.0, sequence=True):
    """A dynamic_rnn as contrib froze it: a TF1 while loop over the time steps whose body is one
    LSTMBlockCell/GRUBlockCell, outputs written to a TensorArray."""

    def build(tf, x):
        v1 = tf.compat.v1
        xs = tf.transpose(x, [1, 0, 2])  # time major
        steps = tf.shape(xs)[0]
        inputs = tf.TensorArray(tf.float32, size=steps).unstack(xs)
        h0 = tf.zeros([B, U])
        if cell == "lstm":
            w = tf.constant(_weights(7, F + U, 4 * U))
            b = tf.constant(_weights(8, 1, 4 * U)[0])
            wci, wcf, wco = (tf.constant(_weights(9 + k, 1, U)[0]) for k in range(3))

            def step(xt, state):
                c, h = state
                _, c2, _, _, _, _, h2 = tf.raw_ops.LSTMBlockCell(
                    x=xt, cs_prev=c, h_prev=h, w=w, wci=wci, wcf=wcf, wco=wco, b=b,
                    forget_bias=forget_bias, cell_clip=cell_clip, use_peephole=peephole)
                return h2, (c2, h2)

            state0 = (tf.zeros([B, U]), h0)
        else:
            w_ru = tf.constant(_weights(7, F + U, 2 * U))
            w_c = tf.constant(_weights(8, F + U, U))
            b_ru = tf.constant(_weights(9, 1, 2 * U)[0])
            b_c = tf.constant(_weights(10, 1, U)[0])

            def step(xt, state):
                _, _, _, h2 = tf.raw_ops.GRUBlockCell(x=xt, h_prev=state[0], w_ru=w_ru, w_c=w_c,
                                                      b_ru=b_ru, b_c=b_c)
                return h2, (h2,)

            state0 = (h0,)

        def body(t, ta, *state):
            out, new_state = step(inputs.read(t), state)
            return (t + 1, ta.write(t, out), *new_state)

        _, ta, *final = v1.while_loop(lambda t, *_: t < steps, body,
                                      (tf.constant(0), tf.TensorArray(tf.float32, size=steps),
                                       *state0))
        return [tf.transpose(ta.stack(), [1, 0, 2])] * sequence + [final[-1]]

    return build


LOOP_CASES = {
    "lstm_block_cell": (_block_cell_loop("lstm"), "LSTM"),
    "lstm_block_cell_forget_bias": (_block_cell_loop("lstm", forget_bias=2.0), "LSTM"),
    "lstm_block_cell_peephole": (_block_cell_loop("lstm", peephole=True), "LSTM"),
    "gru_block_cell": (_block_cell_loop("gru"), "GRU"),
    # A clipped cell state: no ONNX LSTM equivalent, stays a Loop (the final state only: the
    # unfused TF1 TensorArray stack of this loop has no inferred shape yet).
    "lstm_block_cell_clipped": (_block_cell_loop("lstm", cell_clip=0.3, sequence=False), None),
}


@pytest.mark.parametrize("name", sorted(LOOP_CASES))
def test_block_cell_loop(convert, tmp_path, name):
    tf = get_tf()
    build, op = LOOP_CASES[name]
    pb = tmp_path / f"{name}.pb"
    tf.compat.v1.disable_control_flow_v2()  # Enter/Exit frames, as TF1 froze them
    try:
        feed, want, outputs = _freeze(pb, build, [B, T, F])
    finally:
        tf.compat.v1.enable_control_flow_v2()
    out = tmp_path / f"{name}.onnx"
    # The shapes, for the loops that stay Loops (ONNX infers no Loop output shapes).
    shapes = [f"[{B},{T},{U}]", f"[{B},{U}]"][-len(outputs):]
    proc = convert(pb, out, *[a for o, s in zip(outputs, shapes) for a in ("--outputs", o + s)])
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    ops = {n.op_type for n in model.graph.node}
    if op:
        assert op in ops and "Loop" not in ops, sorted(ops)
    else:
        assert "Loop" in ops, sorted(ops)
    got = list(run_onnx(out, {model.graph.input[0].name: feed}).values())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w, atol=1e-5, rtol=1e-4)
