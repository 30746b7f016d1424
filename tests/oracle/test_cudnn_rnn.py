"""CudnnRNN, CudnnRNNV2 and CudnnRNNV3 (issue 14) against Keras's own recurrent layers.

TF has no CPU kernel for the cuDNN RNN ops, so the TF oracle is the equivalent computation: each
layer and direction of the flat params buffer (cuDNN's layout, sliced here as the op defines it)
loaded into a Keras LSTM / GRU(reset_after=True) / SimpleRNN and run with the same initial states
and (V3) sequence lengths as a mask; layers stacked, the backward direction run with go_backwards.
The frozen graph holds the cuDNN op with its params as a constant; the ONNX runs in ONNX Runtime.
"""

import numpy as np
import pytest

from oracle_lib import assert_close, freeze, get_tf, rng_for, run_onnx

tf = get_tf()
import keras  # noqa: E402  (after get_tf: seeded, single-threaded TF)

F32 = np.float32
T, B, I, H = 4, 3, 5, 4
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def param_blocks(mode, layers, dirs, params):
    """Per (layer, direction): the gates' input matrices [H, in], recurrent ones [H, H], input
    biases [H] and recurrent biases [H], in cuDNN's gate order, sliced off `params`."""
    g, off, blocks = GATES[mode], 0, []

    def take(n, shape):
        nonlocal off
        out = params[off:off + n].reshape(shape)
        off += n
        return out

    for layer in range(layers):
        fan_in = I if layer == 0 else dirs * H
        for _ in range(dirs):
            blocks.append((take(g * H * fan_in, (g, H, fan_in)), take(g * H * H, (g, H, H)),
                           take(g * H, (g, H)), take(g * H, (g, H))))
    assert off == params.size
    return blocks


def keras_layer(mode, w, r, bw, br, backwards):
    kw = dict(return_sequences=True, return_state=True, go_backwards=backwards)
    if mode == "lstm":  # cuDNN and Keras gates: i, f, c, o
        layer = keras.layers.LSTM(H, unit_forget_bias=False, **kw)
        weights = [np.concatenate(list(w), 0).T, np.concatenate(list(r), 0).T, (bw + br).reshape(-1)]
    elif mode == "gru":  # cuDNN r, z, h; Keras z, r, h
        order = [1, 0, 2]
        layer = keras.layers.GRU(H, reset_after=True, **kw)
        weights = [np.concatenate(list(w[order]), 0).T, np.concatenate(list(r[order]), 0).T,
                   np.stack([bw[order].reshape(-1), br[order].reshape(-1)])]
    else:
        layer = keras.layers.SimpleRNN(H, activation=mode[4:], **kw)
        weights = [w[0].T, r[0].T, (bw + br).reshape(-1)]
    return layer, weights


def reference(mode, layers, dirs, params, x, h0, c0, seq_lens):
    """TF (Keras) outputs of a cuDNN RNN: output [T, B, dirs*H], output_h, output_c."""
    blocks = param_blocks(mode, layers, dirs, params)
    mask = None if seq_lens is None else np.arange(T)[None, :] < seq_lens[:, None]  # [B, T]
    seq = np.transpose(x, (1, 0, 2))  # Keras is batch-major
    out_h, out_c = [], []
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            rnn, weights = keras_layer(mode, *blocks[k], backwards=d == 1)
            state = [h0[k], c0[k]] if mode == "lstm" else [h0[k]]
            rnn(seq, initial_state=state)  # builds the weights
            rnn.set_weights(weights)
            res = rnn(seq, initial_state=state, mask=mask)
            y = np.asarray(res[0])
            if d == 1:
                y = y[:, ::-1]
            if mask is not None:  # cuDNN writes zeros past each sequence's length
                y = y * mask[:, :, None]
            outs.append(y)
            out_h.append(np.asarray(res[1]))
            if mode == "lstm":
                out_c.append(np.asarray(res[2]))
        seq = np.concatenate(outs, axis=-1).astype(F32)
    return [np.transpose(seq, (1, 0, 2)), np.stack(out_h), np.stack(out_c) if out_c else c0]


def param_count(mode, layers, dirs):
    g = GATES[mode]
    return sum(dirs * g * H * ((I if layer == 0 else dirs * H) + H + 2) for layer in range(layers))


CASES = [
    # (op, rnn_mode, layers, bidirectional, time_major, sequence lengths)
    ("CudnnRNN", "lstm", 1, False, True, None),
    ("CudnnRNN", "gru", 1, False, True, None),
    ("CudnnRNN", "rnn_tanh", 1, True, True, None),
    ("CudnnRNNV2", "rnn_relu", 2, False, True, None),
    ("CudnnRNNV2", "lstm", 2, True, True, None),
    ("CudnnRNNV2", "gru", 2, True, True, None),
    ("CudnnRNNV3", "lstm", 1, True, False, [4, 2, 1]),
    ("CudnnRNNV3", "gru", 2, False, True, [3, 4, 2]),
    ("CudnnRNNV3", "rnn_tanh", 1, False, False, [4, 4, 4]),
]


def case_id(c):
    op, mode, layers, bi, tm, lens = c
    return (f"{op}-{mode}-{layers}l-{'bi' if bi else 'uni'}-{'tm' if tm else 'bm'}"
            f"{'-lens' if lens else ''}")


@pytest.fixture(scope="module")
def frozen_cases(frozen_cache):
    def build(c):
        op, mode, layers, bi, tm, lens = c
        dirs = 2 if bi else 1
        r = rng_for(case_id(c))
        params = (0.4 * r.standard_normal(param_count(mode, layers, dirs))).astype(F32)
        arrays = {
            "x": r.standard_normal((T, B, I) if tm else (B, T, I)).astype(F32),
            "h": (0.5 * r.standard_normal((layers * dirs, B, H))).astype(F32),
            "c": (0.5 * r.standard_normal((layers * dirs, B, H))).astype(F32),
        }

        def fn(x, h, c):
            kw = dict(input=x, input_h=h, input_c=c, params=tf.constant(params), rnn_mode=mode,
                      direction="bidirectional" if bi else "unidirectional", is_training=False)
            if op == "CudnnRNNV3":
                kw.update(sequence_lengths=tf.constant(lens, tf.int32), time_major=tm)
            out = getattr(tf.raw_ops, op)(**kw)
            return out[0], out[1], out[2]

        # Batch dynamic: the handler needs only the feature, layer and unit counts.
        batch_axis = {"x": 1 if tm else 0, "h": 1, "c": 1}
        specs = [tf.TensorSpec([None if k == batch_axis[name] else d for k, d in enumerate(v.shape)],
                               tf.float32, name=name) for name, v in arrays.items()]
        frozen = frozen_cache.get(f"cudnn_{case_id(c)}",
                                  lambda path: freeze(tf.function(fn), specs, path))
        x_tm = arrays["x"] if tm else np.transpose(arrays["x"], (1, 0, 2))
        exp = reference(mode, layers, dirs, params, x_tm, arrays["h"], arrays["c"],
                        None if lens is None else np.array(lens))
        if not tm:
            exp[0] = np.transpose(exp[0], (1, 0, 2))
        return frozen, arrays, exp

    cache = {}

    def get(c):
        if case_id(c) not in cache:
            cache[case_id(c)] = build(c)
        return cache[case_id(c)]

    return get


@pytest.mark.parametrize("opset", [13, 17, 21])
@pytest.mark.parametrize("c", CASES, ids=case_id)
def test_cudnn_rnn(c, opset, frozen_cases, convert_ok, tmp_path):
    frozen, arrays, expected = frozen_cases(c)
    assert c[0] in frozen.op_types
    out = tmp_path / "m.onnx"
    convert_ok(frozen.path, out, "--opset", opset, "--outputs", ",".join(frozen.outputs))
    got = run_onnx(out, dict(zip(frozen.inputs, arrays.values())))
    for name, exp in zip(frozen.outputs, expected):
        assert_close(got[name], exp, atol=1e-5, rtol=1e-4, what=f"{case_id(c)} {name}")


def test_cudnn_rnn_runtime_params(frozen_cache, convert_ok, tmp_path):
    """A params buffer fed at run time: the same slicing, in the graph."""
    mode, n = "gru", param_count("gru", 1, 1)
    r = rng_for("cudnn_runtime_params")
    arrays = {"x": r.standard_normal((T, B, I)).astype(F32),
              "h": r.standard_normal((1, B, H)).astype(F32),
              "p": (0.4 * r.standard_normal(n)).astype(F32)}

    def fn(x, h, p):
        out = tf.raw_ops.CudnnRNN(input=x, input_h=h, input_c=tf.zeros([1, 1, 1]), params=p,
                                  rnn_mode=mode, is_training=False)
        return out[0], out[1]

    specs = [tf.TensorSpec(v.shape, tf.float32, name=k) for k, v in arrays.items()]
    frozen = frozen_cache.get("cudnn_runtime_params",
                              lambda path: freeze(tf.function(fn), specs, path))
    out = tmp_path / "m.onnx"
    convert_ok(frozen.path, out, "--outputs", ",".join(frozen.outputs))
    got = run_onnx(out, dict(zip(frozen.inputs, arrays.values())))
    exp = reference(mode, 1, 1, arrays["p"], arrays["x"], arrays["h"], None, None)
    for name, e in zip(frozen.outputs, exp[:2]):
        assert_close(got[name], e, atol=1e-5, rtol=1e-4, what=name)


def test_cudnn_rnn_bad_params_size(frozen_cache, convert, tmp_path):
    """A params buffer of the wrong size: a clear error naming the node, no output."""
    def fn(x, h, c):
        out = tf.raw_ops.CudnnRNN(input=x, input_h=h, input_c=c, params=tf.zeros([7]),
                                  rnn_mode="lstm", is_training=False)
        return out[0]

    specs = [tf.TensorSpec(s, tf.float32, name=k)
             for k, s in (("x", (T, B, I)), ("h", (1, B, H)), ("c", (1, B, H)))]
    frozen = frozen_cache.get("cudnn_bad_params", lambda path: freeze(tf.function(fn), specs, path))
    out = tmp_path / "m.onnx"
    proc = convert(frozen.path, out)
    assert proc.returncode != 0
    assert "CudnnRNN" in proc.stderr and "params holds 7 values" in proc.stderr, proc.stderr
    assert not out.exists()
