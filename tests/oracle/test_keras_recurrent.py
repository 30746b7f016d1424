"""Keras recurrent layers (LSTM, GRU, SimpleRNN, Bidirectional, RNN(cell)) as ONNX LSTM/GRU/RNN ops.

Each model is built with Keras 3 (fixed seed, random biases), saved as .h5 and .keras, converted
with `onnxsmith convert --keras`, checked for its ONNX op types (LSTM / GRU / RNN present, no
Loop / Scan) and compared in ONNX Runtime with model(x) (fp32, 1e-4 relative to the output scale).
Masked models get inputs with masked steps at the start, in the middle and at the end of rows
(and one fully masked row), since the converter maps any mask exactly.
"""

import numpy as np
import pytest

from oracle_lib import rng_for
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


def _layers():
    return _keras().layers


def build_lstm_stacked():
    L, keras = _layers(), _keras()
    x = keras.Input((6, 4), name="seq")
    y = L.LSTM(8, return_sequences=True)(x)
    y = L.LSTM(5, recurrent_activation="hard_sigmoid", unit_forget_bias=False)(y)
    return keras.Model(x, L.Dense(3)(y))


def build_gru_both():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 3), name="seq")
    y = L.GRU(6, return_sequences=True, reset_after=False)(x)
    y = L.GRU(4, reset_after=True, go_backwards=True, return_sequences=True)(y)
    y = L.GRU(3, use_bias=False)(y)
    return keras.Model(x, y)


def build_simple_rnn():
    L, keras = _layers(), _keras()
    x = keras.Input((7, 3), name="seq")
    y = L.SimpleRNN(6, activation="relu", return_sequences=True)(x)
    y = L.SimpleRNN(5, activation="softsign", go_backwards=True)(y)
    return keras.Model(x, y)


def build_bidirectional():
    L, keras = _layers(), _keras()
    x = keras.Input((6, 4), name="seq")
    y = L.Bidirectional(L.LSTM(5, return_sequences=True))(x)           # concat
    y = L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode="sum")(y)
    a, b = L.Bidirectional(L.SimpleRNN(3), merge_mode=None)(y)
    z = L.Bidirectional(L.LSTM(3), merge_mode="ave")(y)
    return keras.Model(x, [a, b, z])


def build_states():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 3), name="seq")
    x2 = keras.Input((4, 2), name="seq2")
    _, h, c = L.LSTM(6, return_state=True)(x)
    seq, h2 = L.GRU(6, return_sequences=True, return_state=True)(x2, initial_state=[h])
    y2, fh, fc, bh, bc = L.Bidirectional(L.LSTM(6, return_state=True))(x, initial_state=[h, c, c, h])
    return keras.Model([x, x2], [seq, h2, c, y2, fh, bc])


def build_activations():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 3), name="seq")
    a = L.LSTM(4, activation="relu", recurrent_activation="hard_sigmoid")(x)
    b = L.GRU(4, activation="linear", recurrent_activation="sigmoid")(x)
    c = L.SimpleRNN(4, activation="elu")(x)
    d = L.RNN(L.LSTMCell(3, activation="softplus"), return_sequences=True)(x)
    e = L.RNN(L.GRUCell(3, activation="softsign", recurrent_activation="hard_sigmoid"))(x)
    return keras.Model(x, [a, b, c, d, e])


def build_masked():
    L, keras = _layers(), _keras()
    x = keras.Input((6, 3), name="seq")
    m = L.Masking(0.0)(x)
    y = L.LSTM(5, return_sequences=True)(m)
    y2 = L.Bidirectional(L.LSTM(4, return_sequences=True))(y)
    y3 = L.GRU(4, go_backwards=True)(y2)
    z = L.SimpleRNN(3, return_sequences=True, zero_output_for_mask=True)(m)
    return keras.Model(x, [y, y2, y3, z])


def build_embedding_mask():
    L, keras = _layers(), _keras()
    ids = keras.Input((7,), dtype="int32", name="ids")
    e = L.Embedding(12, 4, mask_zero=True)(ids)
    y = L.LSTM(5, return_sequences=True)(e)
    y = L.Bidirectional(L.GRU(3))(y)
    return keras.Model(ids, y)


def _mask_steps(feeds):
    """Zero whole steps: leading, middle, trailing, and one row entirely."""
    x = feeds.get("seq")
    if x is None or x.ndim != 3:
        return
    b, t = x.shape[:2]
    x[0, :2] = 0
    if b > 1:
        x[1, t - 2:] = 0
        x[1, 2] = 0
    if b > 2:
        x[2, :] = 0


def _zero_ids(feeds):
    ids = feeds.get("ids")
    if ids is None:
        return
    ids[0, -3:] = 0
    if ids.shape[0] > 1:
        ids[1, :2] = 0
        ids[1, 4] = 0
    if ids.shape[0] > 2:
        ids[2, :] = 0


CASES = {
    "rnn_lstm_stacked": (build_lstm_stacked, {"LSTM"}, None, None),
    "rnn_gru_reset_after": (build_gru_both, {"GRU"}, None, None),
    "rnn_simple": (build_simple_rnn, {"RNN"}, None, None),
    "rnn_bidirectional": (build_bidirectional, {"LSTM", "GRU", "RNN"}, None, None),
    "rnn_states": (build_states, {"LSTM", "GRU"}, None, None),
    "rnn_activations": (build_activations, {"LSTM", "GRU", "RNN"}, None, None),
    "rnn_masked": (build_masked, {"LSTM", "GRU", "RNN"}, _mask_steps, None),
    "rnn_embedding_mask": (build_embedding_mask, {"LSTM", "GRU"}, _zero_ids, {"ids": (1, 12)}),
}


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("name", list(CASES))
def test_recurrent(name, fmt, convert_keras, keras_dir, tmp_path):
    build, expect_ops, hook, integer_inputs = CASES[name]
    model, paths = cached_model(name, build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    onnx_model = compare_with_keras(model, out, name, fmt, proc.seconds, batches=(3,),
                                    integer_inputs=integer_inputs, feed_hook=hook)
    ops = op_types(onnx_model)
    assert expect_ops <= ops, f"expected {expect_ops} in {sorted(ops)}"
    assert not ops & {"Loop", "Scan"}, sorted(ops)


# gelu cells and stateful=True convert now: test_keras_recurrent3.py.


def build_cudnn_twins():
    L, keras = _layers(), _keras()
    x = keras.Input((5, 3), name="seq")
    a = L.LSTM(4, return_sequences=True)(x)
    b = L.GRU(3, reset_after=True)(a)
    return keras.Model(x, b)


def test_cudnn_layers(convert_keras, keras_dir, tmp_path):
    """Keras 2's CuDNNLSTM / CuDNNGRU (.h5 only; Keras 3 has no such classes): an LSTM and a
    reset_after GRU rewritten as their cuDNN twins, biases split into input and recurrent halves
    (cuDNN adds both), must give the original model's outputs."""
    import json
    import shutil

    import h5py

    model, paths = cached_model("rnn_cudnn_twins", build_cudnn_twins, keras_dir)
    path = tmp_path / "cudnn.h5"
    shutil.copy(paths["h5"], path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] in ("LSTM", "GRU"):
                layer["class_name"] = "CuDNN" + layer["class_name"]
        f.attrs["model_config"] = json.dumps(config)
        biases = []
        f["model_weights"].visititems(lambda n, o: biases.append(n) if n.endswith("bias") else None)
        for name in biases:
            b = np.asarray(f["model_weights"][name]).reshape(-1)
            if b.size == 2 * 9:  # GRU reset_after: [input; recurrent] already
                split = b
            else:
                split = np.concatenate([0.3 * b, 0.7 * b]).astype(b.dtype)
            del f["model_weights"][name]
            f["model_weights"].create_dataset(name, data=split)
    out = tmp_path / "cudnn.onnx"
    proc = convert_ok(convert_keras, path, out)
    onnx_model = compare_with_keras(model, out, "rnn_cudnn_twins", "h5", proc.seconds, batches=(2,))
    assert {"LSTM", "GRU"} <= op_types(onnx_model)
