"""`onnxsmith quantize --format qoperator` (QLinearConv / QLinearMatMul) against ONNX Runtime:
integer outputs exact, float outputs close to the QDQ model's.
"""

import numpy as np
import pytest

from oracle_lib import describe, run_cli
from quantize_lib import (  # noqa: F401  (helper_model is a fixture)
    helper, helper_model, onnx, ort_session, quantize_ok, run_all, sqnr)


# --------------------------------------------------------------------------------------------
# --format qoperator: QLinearConv / QLinearMatMul
# --------------------------------------------------------------------------------------------


def integer_outputs(src, dst):
    """A copy of the model whose graph outputs also expose every 8-bit tensor made by an integer op
    (QLinear* and the data-moving ops running on quantized values)."""
    model = onnx.load(str(src))
    inits = {t.name: t.data_type for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}

    def int_type(name):
        n = producers.get(name)
        if n is None or n.op_type == "DequantizeLinear":
            return None
        if n.op_type.startswith("QLinear"):
            return inits[n.input[7]]
        if n.op_type == "QuantizeLinear":
            return inits[n.input[2]]
        return int_type(n.input[0]) if n.input else None

    names = []
    for n in model.graph.node:
        dtype = int_type(n.output[0]) if n.op_type != "QuantizeLinear" else None
        if dtype is not None:
            names.append(n.output[0])
            model.graph.output.append(helper.make_tensor_value_info(n.output[0], dtype, None))
    onnx.save(model, str(dst))
    return names


@pytest.mark.parametrize("flags", [[], ["--per-tensor"], ["--activations", "int8"]],
                         ids=lambda f: " ".join(f) or "default")
def test_qoperator_exact_and_close_to_qdq(flags, helper_model, onnxsmith_bin, tmp_path):
    """QLinearConv/QLinearMatMul files: standard ONNX ops only; our evaluator and ONNX Runtime agree
    bit for bit on every integer op's output; the SQNR against fp32 is that of the QDQ file."""
    d, xs = helper_model
    held = xs[100:]
    qop, qdq = tmp_path / "qop.onnx", tmp_path / "qdq.onnx"
    report, _ = quantize_ok(onnxsmith_bin, d / "fp32.onnx", qop, d / "calib.npz", "--format", "qoperator",
                            "--eval-samples", 0, *flags)
    quantize_ok(onnxsmith_bin, d / "fp32.onnx", qdq, d / "calib.npz", "--eval-samples", 0, *flags)
    model = onnx.load(str(qop))
    ops = [n.op_type for n in model.graph.node]
    assert all(n.domain in ("", "ai.onnx") for n in model.graph.node), ops
    assert ops.count("QLinearConv") == 4 and ops.count("QLinearMatMul") == 1, ops
    assert "Conv" not in ops and "MatMul" not in ops and "MaxPool" in ops, ops
    assert report["format"] == "qoperator"
    conv = [n for n in report["nodes"] if n["op_type"] == "Conv"]
    assert all("QLinearConv" in n["reason"] for n in conv), conv

    # Exact: the integer tensors as extra outputs, ORT without graph rewrites vs `onnxsmith run`.
    probe = tmp_path / "probe.onnx"
    names = integer_outputs(qop, probe)
    x = held[:2]
    np.save(tmp_path / "x.npy", x)
    theirs = dict(zip([o.name for o in ort_session(probe, optimize=False).get_outputs()],
                      ort_session(probe, optimize=False).run(None, {"x": x})))
    proc = run_cli(onnxsmith_bin, ["run", probe, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", tmp_path])
    assert proc.returncode == 0, describe(proc)
    for name in names:
        ours = np.load(tmp_path / f"{name}.npy")
        assert ours.dtype == theirs[name].dtype and ours.dtype in (np.uint8, np.int8), name
        np.testing.assert_array_equal(ours, theirs[name], err_msg=name)

    ref = run_all(d / "fp32.onnx", "x", held)
    qop_db, qdq_db = sqnr(ref, run_all(qop, "x", held)), sqnr(ref, run_all(qdq, "x", held))
    print(f"\n[qoperator {' '.join(flags)}] SQNR {qop_db:.2f} dB, QDQ {qdq_db:.2f} dB, {len(names)} integer tensors exact")
    assert qop_db > 15 and abs(qop_db - qdq_db) < 1.5, (qop_db, qdq_db)
