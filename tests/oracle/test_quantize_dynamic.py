"""`onnxsmith quantize --mode dynamic` (a transformer encoder block; LSTM/GRU weights) and static
quantization of models with dynamic dims, against ONNX Runtime.
"""

import numpy as np
import pytest

from quantize_lib import (
    R, TensorProto, helper, numpy_helper, onnx, ort_session, quantize_ok, save_model, sqnr)


# --------------------------------------------------------------------------------------------
# Dynamic mode on a transformer encoder block
# --------------------------------------------------------------------------------------------


def encoder_block(path, dim=32, ff=64):
    def w(*shape):
        return R.normal(0, 1 / np.sqrt(shape[0]), shape).astype(np.float32)

    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("wq", w(dim, dim)), ("wk", w(dim, dim)), ("wv", w(dim, dim)), ("wo", w(dim, dim)),
        ("w1", w(dim, ff)), ("b1", np.zeros(ff, np.float32) + 0.01), ("w2", w(ff, dim)),
        ("g", np.ones(dim, np.float32)), ("beta", np.zeros(dim, np.float32)),
        ("scale", np.array(1 / np.sqrt(dim), np.float32))]]
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"]),
        helper.make_node("MatMul", ["x", "wk"], ["k"]),
        helper.make_node("MatMul", ["x", "wv"], ["v"]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["qk"]),
        helper.make_node("Mul", ["qk", "scale"], ["qks"]),
        helper.make_node("Softmax", ["qks"], ["a"], axis=-1),
        helper.make_node("MatMul", ["a", "v"], ["av"]),
        helper.make_node("MatMul", ["av", "wo"], ["o"]),
        helper.make_node("Add", ["o", "x"], ["h"]),
        helper.make_node("LayerNormalization", ["h", "g", "beta"], ["hn"], axis=-1),
        helper.make_node("MatMul", ["hn", "w1"], ["f1"]),
        helper.make_node("Add", ["f1", "b1"], ["f1b"]),
        helper.make_node("Relu", ["f1b"], ["f1r"]),
        helper.make_node("MatMul", ["f1r", "w2"], ["f2"]),
        helper.make_node("Add", ["f2", "hn"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "encoder",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", dim])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", dim])],
                              initializer=inits)
    save_model(helper.make_model(graph), path, opset=17)


def test_dynamic_encoder(tmp_path, onnxsmith_bin):
    fp32 = tmp_path / "enc.onnx"
    encoder_block(fp32)
    # Samples of different sequence lengths (a directory of .npz chunks): dynamic dims.
    calib = tmp_path / "calib"
    calib.mkdir()
    xs = []
    for i, seq in enumerate([5, 9, 12]):
        x = R.normal(0, 1, (4, 1, seq, 32)).astype(np.float32)
        np.savez(calib / f"chunk{i}.npz", x=x)
        xs += list(x)
    out = tmp_path / "enc_int8.onnx"
    report, _ = quantize_ok(onnxsmith_bin, fp32, out, calib, "--mode", "dynamic")
    ops = [n.op_type for n in onnx.load(str(out)).graph.node]
    assert ops.count("MatMulInteger") == 6 and "DynamicQuantizeLinear" in ops
    assert report["eval_samples"] == 12
    dbs = []
    for x in xs:
        ref = ort_session(fp32).run(None, {"x": x})[0]
        got = ort_session(out).run(None, {"x": x})[0]
        dbs.append(sqnr(ref, got))
    print(f"\n[encoder dynamic] SQNR min {min(dbs):.2f} dB (report {report['outputs'][0]['sqnr_db']:.2f}); "
          f"file {report['file_bytes_before']} -> {report['file_bytes_after']}")
    assert min(dbs) > 25
    assert report["outputs"][0]["sqnr_db"] > 25


@pytest.mark.parametrize("op,gates", [("LSTM", 4), ("GRU", 3)])
def test_dynamic_recurrent_weights(op, gates, tmp_path, onnxsmith_bin):
    """LSTM/GRU in dynamic mode: W and R stored int8 behind DequantizeLinear (standard ops only: ONNX
    Runtime's DynamicQuantizeLSTM is com.microsoft), the recurrence itself in float."""
    hidden, feat, seq = 32, 16, 7
    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("W", R.normal(0, 0.3, (2, gates * hidden, feat)).astype(np.float32)),
        ("Rw", R.normal(0, 0.3, (2, gates * hidden, hidden)).astype(np.float32)),
        ("B", R.normal(0, 0.1, (2, 2 * gates * hidden)).astype(np.float32))]]
    nodes = [helper.make_node(op, ["x", "W", "Rw", "B"], ["y", "h"], hidden_size=hidden, direction="bidirectional")]
    graph = helper.make_graph(nodes, "rnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [seq, "b", feat])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [seq, 2, "b", hidden])],
                              initializer=inits)
    fp32 = tmp_path / "rnn.onnx"
    save_model(helper.make_model(graph), fp32, opset=17)
    xs = R.normal(0, 1, (10, seq, 1, feat)).astype(np.float32)
    np.savez(tmp_path / "data.npz", x=xs)
    out = tmp_path / "rnn_int8.onnx"
    report, _ = quantize_ok(onnxsmith_bin, fp32, out, tmp_path / "data.npz", "--mode", "dynamic")
    model = onnx.load(str(out))
    rnn = [n for n in model.graph.node if n.op_type == op][0]
    producers = {o: n for n in model.graph.node for o in n.output}
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for i in (1, 2):
        dq = producers[rnn.input[i]]
        assert dq.op_type == "DequantizeLinear" and inits[dq.input[0]].dtype == np.int8
        assert inits[dq.input[1]].shape == (gates * hidden,)  # per gate row
    assert all(n.domain in ("", "ai.onnx") for n in model.graph.node)
    assert report["nodes_quantized"] == 1 and "com.microsoft" in report["nodes"][0]["reason"]
    s_ref, s_got = ort_session(fp32), ort_session(out)
    db = sqnr(np.stack([s_ref.run(None, {"x": x})[0] for x in xs]), np.stack([s_got.run(None, {"x": x})[0] for x in xs]))
    print(f"\n[{op} dynamic] SQNR {db:.2f} dB (report {report['outputs'][0]['sqnr_db']:.2f}); "
          f"file {report['file_bytes_before']} -> {report['file_bytes_after']}")
    assert db > 30 and abs(report["outputs"][0]["sqnr_db"] - db) < 3
    assert report["file_bytes_after"] < 0.4 * report["file_bytes_before"]


def test_static_with_dynamic_dims(tmp_path, onnxsmith_bin):
    """Static calibration on samples of different shapes (symbolic seq dim)."""
    fp32 = tmp_path / "enc.onnx"
    encoder_block(fp32)
    calib = tmp_path / "calib"
    calib.mkdir()
    for i, seq in enumerate([3, 7]):
        np.savez(calib / f"c{i}.npz", x=R.normal(0, 1, (5, 1, seq, 32)).astype(np.float32))
    report, _ = quantize_ok(onnxsmith_bin, fp32, tmp_path / "q.onnx", calib)
    assert report["calibration_samples"] + report["eval_samples"] == 10
    assert report["outputs"][0]["sqnr_db"] > 15
