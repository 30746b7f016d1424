"""Keras recurrent layers beyond one cell per layer: ConvLSTM1D/2D/3D (an ONNX Scan over time), RNN over a
StackedRNNCells (one ONNX LSTM/GRU/RNN op per cell), and Bidirectional with a backward_layer of another
kind or size, every merge_mode and return_state.

Each model is built with Keras 3 (fixed seed, random biases), saved as .h5 and .keras, converted with
`onnxsmith convert --keras` and compared in ONNX Runtime with model(x, training=False) (fp32, 1e-4
relative to the output scale). Masked models get masks with zeros at the start, in the middle and at
the end of rows (and one fully masked row).
"""

import numpy as np
import pytest

from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras,
    _report,
    cached_model,
    compare_with_keras,
    convert_keras,
    convert_ok,
    expect_conversion_error,
    keras_dir,
    op_types,
)
# _mask_steps/_zero_ids: steps masked at the start, middle and end of rows
from test_keras_recurrent import _layers, _mask_steps, _zero_ids


# --- ConvLSTM ---

def build_conv_lstm2d():
    L, keras = _layers(), _keras()
    x = keras.Input((4, 7, 6, 2), name="clip")
    a = L.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(x)
    b = L.ConvLSTM2D(2, (3, 2), strides=(2, 1), padding="valid", recurrent_activation="hard_sigmoid",
                     go_backwards=True)(a)
    c, h, s = L.ConvLSTM2D(2, 2, dilation_rate=2, padding="same", use_bias=False, activation="relu",
                           return_state=True)(x)
    return keras.Model(x, [a, b, c, h, s])


def build_conv_lstm1d():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 9, 3), name="seq")
    a = L.ConvLSTM1D(4, 3, strides=2, padding="same", return_sequences=True, go_backwards=True)(x)
    b, h, c = L.ConvLSTM1D(2, 2, dilation_rate=3, return_state=True, activation="softsign")(x)
    d = L.ConvLSTM1D(2, 4, return_sequences=True)(x, initial_state=[h * 0.5, c])
    return keras.Model(x, [a, b, d])


def build_conv_lstm3d():
    L, keras = _layers(), _keras()
    x = keras.Input((3, 4, 5, 4, 2), name="vol")
    y = L.ConvLSTM3D(2, 3, padding="same", return_sequences=True)(x)
    z = L.ConvLSTM3D(2, 2, strides=(1, 2, 1))(x)
    return keras.Model(x, [y, z])


def build_conv_lstm2d_channels_first():
    L, keras = _layers(), _keras()
    x = keras.Input((3, 2, 6, 5), name="clip")
    y = L.ConvLSTM2D(3, 3, padding="same", data_format="channels_first", return_sequences=True)(x)
    z = L.ConvLSTM2D(2, 2, data_format="channels_first", return_state=True)(y)
    return keras.Model(x, [y, *z])


def build_conv_lstm_masked():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 6, 2), name="seq")
    m = keras.Input((5,), dtype="bool", name="steps")
    a = L.ConvLSTM1D(3, 3, padding="same", return_sequences=True)(x, mask=m)
    b, h, c = L.ConvLSTM1D(2, 2, go_backwards=True, return_state=True)(x, mask=m)
    d = L.ConvLSTM1D(2, 3, return_sequences=True, zero_output_for_mask=True)(x, mask=m)
    return keras.Model([x, m], [a, b, h, c, d])


def _mask_rows(feeds):
    """Steps masked at the start, in the middle, at the end, and a row with no step."""
    m = feeds.get("steps")
    if m is None:
        return
    m[:] = True
    m[0, :2] = False
    if m.shape[0] > 1:
        m[1, 2] = False
        m[1, -1] = False
    if m.shape[0] > 2:
        m[2, :] = False


# --- RNN over StackedRNNCells ---

def build_stacked_cells():
    L, keras = _layers(), _keras()
    x = keras.Input((6, 4), name="seq")
    cells = [L.LSTMCell(5), L.GRUCell(4, reset_after=False), L.SimpleRNNCell(3, activation="relu")]
    y, (h1, c1), h2, h3 = L.RNN(L.StackedRNNCells(cells), return_sequences=True, return_state=True)(x)
    z = L.RNN(L.StackedRNNCells([L.GRUCell(3), L.LSTMCell(2, recurrent_activation="hard_sigmoid")]),
              go_backwards=True)(x)
    w = L.RNN(L.SimpleRNNCell(3), return_state=True)(x)
    return keras.Model(x, [y, h1, c1, h2, h3, z, *w])


def build_stacked_initial_state():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 3), name="seq")
    _, (h1, c1), h2 = L.RNN(L.StackedRNNCells([L.LSTMCell(4), L.GRUCell(2)]), return_state=True)(x)
    y = L.RNN(L.StackedRNNCells([L.LSTMCell(4), L.GRUCell(2)]), return_sequences=True)(
        x, initial_state=[[c1, h1], h2])
    return keras.Model(x, y)


# --- Bidirectional with a backward_layer of another kind ---

def build_bidirectional_mixed():
    L, keras = _layers(), _keras()
    x = keras.Input((6, 4), name="seq")
    outs = []
    for mode in ["concat", "sum", "mul", "ave", None]:
        y = L.Bidirectional(L.LSTM(4, return_sequences=True),
                            backward_layer=L.GRU(4, return_sequences=True, go_backwards=True),
                            merge_mode=mode)(x)
        outs.extend(y if isinstance(y, (list, tuple)) else [y])
    r = L.Bidirectional(L.GRU(3, return_state=True),
                        backward_layer=L.SimpleRNN(5, return_state=True, go_backwards=True))(x)
    outs.extend(r)
    s = L.Bidirectional(L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)]), return_sequences=True),
                        backward_layer=L.LSTM(6, return_sequences=True, go_backwards=True))(x)
    outs.append(s)
    return keras.Model(x, outs)


def build_masked_mixed():
    L, keras = _layers(), _keras()
    x = keras.Input((7, 3), name="seq")
    m = L.Masking(0.0)(x)
    a = L.Bidirectional(L.LSTM(4, return_sequences=True),
                        backward_layer=L.GRU(3, return_sequences=True, go_backwards=True))(m)
    b = L.Bidirectional(L.SimpleRNN(3), backward_layer=L.LSTM(3, go_backwards=True), merge_mode="sum")(m)
    c, h1, (h2, c2) = L.RNN(L.StackedRNNCells([L.GRUCell(4), L.LSTMCell(3)]), return_sequences=True,
                            return_state=True)(m)
    # (Keras sizes the output of a Bidirectional as twice the forward layer's: no layer after `a`.)
    d = L.RNN(L.StackedRNNCells([L.LSTMCell(4), L.SimpleRNNCell(2)]), go_backwards=True)(m)
    return keras.Model(x, [a, b, c, h1, h2, c2, d])


def build_embedding_mask_mixed():
    L, keras = _layers(), _keras()
    ids = keras.Input((7,), dtype="int32", name="ids")
    e = L.Embedding(12, 4, mask_zero=True)(ids)
    y = L.RNN(L.StackedRNNCells([L.LSTMCell(5), L.GRUCell(3)]), return_sequences=True)(e)
    y = L.Bidirectional(L.GRU(3, return_sequences=True),
                        backward_layer=L.LSTM(3, return_sequences=True, go_backwards=True))(y)
    z = L.Bidirectional(L.LSTM(3), backward_layer=L.SimpleRNN(3, go_backwards=True), merge_mode="ave")(y)
    return keras.Model(ids, [y, z])


CASES = {
    "conv_lstm2d": (build_conv_lstm2d, {"Scan", "Conv"}, None, None),
    "conv_lstm1d": (build_conv_lstm1d, {"Scan", "Conv"}, None, None),
    "conv_lstm3d": (build_conv_lstm3d, {"Scan", "Conv"}, None, None),
    "conv_lstm_masked": (build_conv_lstm_masked, {"Scan"}, _mask_rows, {"steps": (0, 2)}),
    "rnn_stacked_cells": (build_stacked_cells, {"LSTM", "GRU", "RNN"}, None, None),
    "rnn_stacked_initial_state": (build_stacked_initial_state, {"LSTM", "GRU"}, None, None),
    "rnn_bidirectional_mixed": (build_bidirectional_mixed, {"LSTM", "GRU", "RNN"}, None, None),
    "rnn_masked_mixed": (build_masked_mixed, {"LSTM", "GRU", "RNN"}, _mask_steps, None),
    "rnn_embedding_mask_mixed": (build_embedding_mask_mixed, {"LSTM", "GRU", "RNN"}, _zero_ids,
                                 {"ids": (1, 12)}),
}


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("name", list(CASES))
def test_recurrent2(name, fmt, convert_keras, keras_dir, tmp_path):
    build, expect_ops, hook, integer_inputs = CASES[name]
    model, paths = cached_model(name, build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    onnx_model = compare_with_keras(model, out, name, fmt, proc.seconds, batches=(3,),
                                    integer_inputs=integer_inputs, feed_hook=hook)
    ops = op_types(onnx_model)
    assert expect_ops <= ops, f"expected {expect_ops} in {sorted(ops)}"


def test_conv_lstm_mask_is_refused(convert_keras, tmp_path):
    keras, L = _keras(), _layers()
    x = keras.Input((4, 5, 2))
    model = keras.Model(x, L.ConvLSTM1D(2, 2)(L.Masking(0.0)(x)))
    path = tmp_path / "masked_conv_lstm.keras"
    model.save(str(path))
    expect_conversion_error(convert_keras, path, tmp_path / "out.onnx", "ConvLSTM1D", "mask")


def test_conv_lstm_channels_first(convert_keras, keras_dir, tmp_path):
    """data_format="channels_first" (TF runs it on GPUs only): the converted channels-first model must
    give the channels-last Keras model's outputs, with the same weights, on transposed inputs."""
    import onnxruntime as ort

    from oracle_lib import rng_for

    keras, L = _keras(), _layers()

    def build(fmt):
        x = keras.Input((3, 2, 6, 5) if fmt == "channels_first" else (3, 6, 5, 2), name="clip")
        y = L.ConvLSTM2D(3, 3, padding="same", data_format=fmt, return_sequences=True, name="a")(x)
        z = L.ConvLSTM2D(2, 2, strides=(2, 1), data_format=fmt, return_state=True, name="b")(y)
        return keras.Model(x, [y, *z])

    last, _ = cached_model("conv_lstm2d_channels_last", lambda: build("channels_last"), keras_dir)
    first = build("channels_first")
    first.set_weights(last.get_weights())
    path = tmp_path / "conv_lstm_cf.keras"
    first.save(str(path))
    out = tmp_path / "conv_lstm_cf.onnx"
    convert_ok(convert_keras, path, out)
    x = rng_for("conv_lstm_cf").standard_normal((2, 3, 6, 5, 2)).astype(np.float32)
    expected = [np.asarray(e) for e in last(x, training=False)]
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x.transpose(0, 1, 4, 2, 3)})
    to_last = [(0, 1, 3, 4, 2), (0, 2, 3, 1), (0, 2, 3, 1), (0, 2, 3, 1)]
    for g, e, perm in zip(got, expected, to_last):
        np.testing.assert_allclose(g.transpose(perm), e, atol=1e-4 * max(1.0, float(np.abs(e).max())))
