"""Keras recurrent layers, the option combinations: Bidirectional whose forward layer runs backwards
(every go_backwards pairing Keras allows), Bidirectional around ConvLSTM1D/2D/3D, stateful layers at a
fixed batch (one call from the zero state), unroll, dropout (identity at inference), and the cell
activations ONNX's recurrent ops lack (the converter then scans the cell's own math).

Each model is built with Keras 3 (fixed seed, random biases), saved as .h5 and .keras, converted with
`onnxsmith convert --keras` and compared in ONNX Runtime with model(x, training=False) (fp32, 1e-4
relative to the output scale). Masked models get steps masked at the start, in the middle and at the
end of rows, and one fully masked row.
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
    keras_dir,
    op_types,
)
# _mask_steps: steps masked at the start, middle and end of rows
from test_keras_recurrent import _layers, _mask_steps


# --- Bidirectional: any go_backwards pairing ---

def build_bidir_forward_backwards():
    """The forward layer runs backwards and the backward layer forwards (Keras flips the latter's
    sequence all the same)."""
    L, keras = _layers(), _keras()
    x = keras.Input((6, 3), name="seq")
    outs = []
    for mode in ["concat", "sum", None]:
        y = L.Bidirectional(L.LSTM(4, return_sequences=True, go_backwards=True),
                            backward_layer=L.GRU(4, return_sequences=True), merge_mode=mode)(x)
        outs.extend(y if isinstance(y, (list, tuple)) else [y])
    r = L.Bidirectional(L.SimpleRNN(3, go_backwards=True, return_state=True),
                        backward_layer=L.LSTM(2, return_state=True))(x)
    outs.extend(r)
    return keras.Model(x, outs)


def build_bidir_forward_backwards_masked():
    L, keras = _layers(), _keras()
    x = keras.Input((6, 3), name="seq")
    m = L.Masking(0.0)(x)
    a = L.Bidirectional(L.GRU(3, return_sequences=True, go_backwards=True),
                        backward_layer=L.SimpleRNN(3, return_sequences=True), merge_mode="mul")(m)
    b = L.Bidirectional(L.LSTM(3, go_backwards=True), backward_layer=L.GRU(2))(m)
    return keras.Model(x, [a, b])


# --- Bidirectional around ConvLSTM ---

def build_bidir_conv_lstm():
    L, keras = _layers(), _keras()
    x1 = keras.Input((4, 6, 2), name="seq")
    x2 = keras.Input((3, 5, 4, 2), name="clip")
    a = L.Bidirectional(L.ConvLSTM1D(2, 3, padding="same", return_sequences=True))(x1)
    b = L.Bidirectional(L.ConvLSTM1D(3, 2, return_state=True), merge_mode="sum")(x1)
    c = L.Bidirectional(L.ConvLSTM2D(2, 2, padding="same", return_sequences=True), merge_mode=None)(x2)
    d = L.Bidirectional(L.ConvLSTM2D(2, 3, go_backwards=True),
                        backward_layer=L.ConvLSTM2D(2, 3), merge_mode="ave")(x2)
    return keras.Model([x1, x2], [a, *b, *c, d])


def build_bidir_conv_lstm3d():
    L, keras = _layers(), _keras()
    x = keras.Input((3, 4, 3, 3, 2), name="vol")
    y = L.Bidirectional(L.ConvLSTM3D(2, 2, padding="same", return_sequences=True), merge_mode="mul")(x)
    return keras.Model(x, y)


# --- options ---

def build_options():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 3), name="seq")
    a = L.LSTM(4, unroll=True, return_sequences=True, dropout=0.3, recurrent_dropout=0.2)(x)
    b = L.GRU(3, unroll=True, reset_after=False, use_bias=False, dropout=0.5)(x)
    c = L.SimpleRNN(3, unroll=True, go_backwards=True, recurrent_dropout=0.4, return_state=True)(x)
    d = L.LSTM(3, unit_forget_bias=False, use_bias=False, return_state=True)(x)
    e = L.RNN(L.LSTMCell(3, dropout=0.2, recurrent_dropout=0.3), unroll=True)(x)
    return keras.Model(x, [a, b, *c, *d, e])


def build_stateful():
    """stateful=True at a fixed batch: a fresh model's call starts from zero states."""
    L, keras = _layers(), _keras()
    x = keras.Input(batch_shape=(3, 5, 3), name="seq")
    a = L.LSTM(4, stateful=True, return_sequences=True)(x)
    b = L.GRU(3, stateful=True, return_state=True)(a)
    c = L.RNN(L.SimpleRNNCell(3), stateful=True)(x)
    return keras.Model(x, [a, *b, c])


ACTIVATIONS = ["gelu", "silu", "selu", "relu6", "mish", "hard_silu", "hard_tanh",
               "log_sigmoid", "tanh_shrink", "soft_shrink", "squareplus"]


def build_activations_scanned():
    """Activations ONNX's LSTM/GRU/RNN lack, as activation and as recurrent_activation."""
    L, keras = _layers(), _keras()
    x = keras.Input((4, 3), name="seq")
    outs = []
    for k, act in enumerate(ACTIVATIONS):
        gate = ACTIVATIONS[(k + 3) % len(ACTIVATIONS)]
        outs.append(L.LSTM(3, activation=act, recurrent_activation=gate, return_sequences=k % 2 == 0)(x))
        outs.append(L.GRU(2, activation=act, reset_after=k % 2 == 0)(x))
        outs.append(L.SimpleRNN(2, activation=act)(x))
    return keras.Model(x, outs)


CASES = {
    "bidir_forward_backwards": (build_bidir_forward_backwards, {"LSTM", "GRU", "RNN"}, None),
    "bidir_forward_backwards_masked": (build_bidir_forward_backwards_masked, {"LSTM", "GRU", "RNN"},
                                       _mask_steps),
    "bidir_conv_lstm": (build_bidir_conv_lstm, {"Scan", "Conv"}, None),
    "bidir_conv_lstm3d": (build_bidir_conv_lstm3d, {"Scan", "Conv"}, None),
    "rnn_options": (build_options, {"LSTM", "GRU", "RNN"}, None),
    "rnn_stateful": (build_stateful, {"LSTM", "GRU", "RNN"}, None),
    "rnn_activations_scanned": (build_activations_scanned, set(), None),
}


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("name", list(CASES))
def test_recurrent3(name, fmt, convert_keras, keras_dir, tmp_path):
    build, expect_ops, hook = CASES[name]
    model, paths = cached_model(name, build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    for layer in model.layers:  # stateful layers: each comparison starts from zero states
        if getattr(layer, "stateful", False):
            layer.reset_state()
    onnx_model = compare_with_keras(model, out, name, fmt, proc.seconds, batches=(3,), feed_hook=hook)
    ops = op_types(onnx_model)
    assert expect_ops <= ops, f"expected {expect_ops} in {sorted(ops)}"


# --- time_major=True (Keras 2 only: the .h5 is Keras 3's with time_major written into its config) ---

def build_time_major_reference():
    L, keras = _layers(), _keras()
    x = keras.Input((6, 3), name="seq")
    m = L.Masking(0.0)(x)
    a = L.LSTM(4, return_sequences=True)(m)
    b = L.GRU(3, go_backwards=True, return_sequences=True)(a)
    c = L.SimpleRNN(2, go_backwards=True)(m)
    d = L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="sum")(m)
    e = L.GRU(3, activation="gelu", go_backwards=True, return_sequences=True)(m)  # scanned
    f = L.LSTM(3, go_backwards=True, return_sequences=True)(x)  # no mask
    return keras.Model(x, [a, b, c, d, e, f])


def _make_time_major(path):
    """Rewrites the saved config as tf.keras 2 time-major layers: [steps, batch, features] input."""
    import json

    import h5py

    with h5py.File(path, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        for layer in cfg["config"]["layers"]:
            c = layer["config"]
            if layer["class_name"] == "InputLayer":
                shape = c["batch_shape"]
                c["batch_shape"] = [shape[1], shape[0], *shape[2:]]
            inner = c.get("layer", {}).get("config") if layer["class_name"] == "Bidirectional" else c
            if layer["class_name"] in ("LSTM", "GRU", "SimpleRNN", "Bidirectional"):
                inner["time_major"] = True
            if layer["class_name"] == "Bidirectional" and "backward_layer" in c:
                c["backward_layer"]["config"]["time_major"] = True
        f.attrs["model_config"] = json.dumps(cfg)


def test_time_major_masked(convert_keras, keras_dir, tmp_path):
    """Keras 2's time_major=True with a mask, go_backwards and Bidirectional: the outputs are the
    batch-major model's, transposed (the same weights run on the same steps)."""
    import shutil

    from oracle_lib import check_onnx, rng_for, run_onnx

    model, paths = cached_model("time_major_reference", build_time_major_reference, keras_dir)
    path = tmp_path / "time_major.h5"
    shutil.copy(paths["h5"], path)
    _make_time_major(path)
    out = tmp_path / "time_major.onnx"
    convert_ok(convert_keras, path, out)
    check_onnx(out)
    x = rng_for("time_major").standard_normal((3, 6, 3)).astype(np.float32)
    _mask_steps({"seq": x})
    expected = [np.asarray(e) for e in model(x, training=False)]
    got = list(run_onnx(out, {"seq": np.ascontiguousarray(x.transpose(1, 0, 2))}).values())
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        if e.ndim == 3:
            e = e.transpose(1, 0, 2)
        assert g.shape == e.shape, f"output {k}: {g.shape} vs {e.shape}"
        np.testing.assert_allclose(g, e, atol=1e-4 * max(1.0, float(np.abs(e).max())), err_msg=f"output {k}")
