"""Masked Keras RNNs exported as SavedModels and frozen graphs become one ONNX LSTM/GRU/RNN per
layer and direction, with no Loop left (issue 13; fuse_rnn_loops, optimizer/rnn_mask.h).

Keras carries the state through masked steps and outputs the previous output there (or zeros with
zero_output_for_mask); the rewrite must match that for any mask, so the masks here have zeros at
the start, in the middle and at the end, and one row is masked entirely. Compared against Keras
itself. Models are built once per module; shapes are tiny.
"""

import numpy as np
import pytest

from oracle_lib import assert_close, check_onnx, describe, get_tf, run_cli, run_onnx
from test_rnn_rewrite import convert_export

T, F, U = 6, 3, 4
RNN_OPS = {"LSTM", "GRU", "RNN"}
TOKENS = np.array([[0, 3, 0, 4, 1, 0],   # masked at the start, middle and end
                   [2, 7, 1, 8, 2, 8],   # no mask
                   [0, 0, 0, 0, 0, 0],   # all masked
                   [5, 0, 0, 9, 0, 6]], np.int32)


def _models():
    """name -> (model, input)."""
    import keras

    keras.utils.set_random_seed(11)
    L = keras.layers
    emb = lambda *layers: keras.Sequential([keras.Input((T,), dtype="int32"),  # noqa: E731
                                            L.Embedding(10, F, mask_zero=True), *layers])
    floats = np.random.default_rng(5).normal(size=(TOKENS.shape[0], T, F)).astype(np.float32)
    floats[TOKENS == 0] = 0.0  # the Masking layer masks these steps
    tok = keras.Input((T,), dtype="int32")
    gru_seq, gru_h = L.GRU(U, return_sequences=True, return_state=True)(L.Embedding(10, F, mask_zero=True)(tok))
    return {
        "lstm": (emb(L.LSTM(U)), TOKENS),
        "lstm_sequences": (emb(L.LSTM(U, return_sequences=True)), TOKENS),
        "lstm_zero_output": (emb(L.LSTM(U, return_sequences=True, zero_output_for_mask=True)), TOKENS),
        "gru_state": (keras.Model(tok, [gru_seq, gru_h]), TOKENS),
        "simple_rnn": (emb(L.SimpleRNN(U, return_sequences=True)), TOKENS),
        "go_backwards": (emb(L.GRU(U, go_backwards=True, return_sequences=True)), TOKENS),
        "bidirectional": (emb(L.Bidirectional(L.LSTM(U, return_sequences=True))), TOKENS),
        "masking_layer": (keras.Sequential([keras.Input((T, F)), L.Masking(0.0),
                                            L.LSTM(U, return_sequences=True), L.GRU(U)]), floats),
    }


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    tf = get_tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    root = tmp_path_factory.mktemp("masked_rnn")
    out = {}
    for name, (model, x) in _models().items():
        want = model(x)
        want = [np.asarray(w) for w in (want if isinstance(want, (list, tuple)) else [want])]
        sm = root / f"{name}_sm"
        tf.saved_model.save(model, str(sm))
        concrete = tf.function(lambda t, m=model: m(t)).get_concrete_function(
            tf.TensorSpec((None,) + x.shape[1:], x.dtype, name="x"))
        frozen = convert_variables_to_constants_v2(concrete, lower_control_flow=False)
        pb = root / f"{name}.pb"
        pb.write_bytes(frozen.graph.as_graph_def().SerializeToString())
        out[name] = (sm, pb, [t.name for t in frozen.outputs], x, want)
    return out


@pytest.mark.parametrize("fmt", ["saved_model", "frozen"])
@pytest.mark.parametrize("name", ["lstm", "lstm_sequences", "lstm_zero_output", "gru_state", "simple_rnn",
                                  "go_backwards", "bidirectional", "masking_layer"])
def test_masked_keras_rnn(exports, onnxsmith_bin, tmp_path, name, fmt):
    sm, pb, outputs, x, want = exports[name]
    out = tmp_path / f"{name}.onnx"
    model = convert_export(onnxsmith_bin, fmt, sm, pb, outputs, out)
    ops = {n.op_type for n in model.graph.node}
    assert ops & RNN_OPS and "Loop" not in ops, sorted(ops)
    got = list(run_onnx(out, {model.graph.input[0].name: x}).values())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert_close(g, w, atol=1e-5)


def test_masked_loop_kept_without_the_pass(exports, onnxsmith_bin, tmp_path):
    """The Loop form (--skip fuse_rnn_loops) is correct too, for the same masks."""
    sm, _, _, x, want = exports["lstm_sequences"]
    out = tmp_path / "loop.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", str(sm), "--output", str(out),
                                   "--skip", "fuse_rnn_loops"])
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    assert "Loop" in {n.op_type for n in model.graph.node}
    got = list(run_onnx(out, {model.graph.input[0].name: x}).values())
    assert_close(got[0], want[0], atol=1e-5)
