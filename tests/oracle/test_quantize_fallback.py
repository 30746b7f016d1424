"""Accuracy-driven fallback of `onnxsmith quantize` (--max-sqnr-drop, --min-sqnr, --min-agreement).

A CNN built with onnx.helper whose first Conv reads an input with a huge outlier channel (x1000,
which that Conv scales back down): quantizing the input per tensor wipes out the other channels, so
that Conv is by far the most sensitive node. The fallback must move it (and only a few others) to
float, the goal must hold when ONNX Runtime runs the result, and the report lists every step.
"""

import json
import pathlib

import numpy as np
import pytest

from oracle_lib import describe, run_cli
from quantize_lib import helper, numpy_helper, onnx, quantize_cli, quantize_ok, save_model, smooth_images
from quantize_lib import TensorProto, run_all, sqnr

CALIB, HELD = 48, 16


def outlier_cnn(path):
    rng = np.random.default_rng(15)

    def w(*shape, s=0.3):
        return rng.normal(0, s, shape).astype(np.float32)

    w1 = w(8, 4, 3, 3)
    w1[:, 0] *= 1e-3  # input channel 0 is x1000: this Conv scales it back
    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("w1", w1), ("b1", w(8, s=0.1)), ("w2", w(8, 8, 3, 3, s=0.2)), ("b2", w(8, s=0.1)),
        ("w3", w(8, 8, 1, 1)), ("b3", w(8, s=0.1)), ("fc", w(10, 8)), ("fcb", w(10, s=0.1))]]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="sensitive_conv"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="conv3"),
        helper.make_node("Add", ["c3", "r2"], ["s"], name="residual"),
        helper.make_node("GlobalAveragePool", ["s"], ["g"], name="pool"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["logits"], transB=1, name="classifier"),
    ]
    graph = helper.make_graph(nodes, "outlier_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 16, 16])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
                              initializer=inits)
    save_model(helper.make_model(graph), path)


@pytest.fixture(scope="module")
def outlier_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("fallback")
    outlier_cnn(d / "fp32.onnx")
    xs = smooth_images(CALIB + HELD, 4, 16, 16)
    xs[:, 0] *= 1000
    np.savez(d / "calib.npz", x=xs)
    return d, xs


def reference_sqnr(ref_calib, ref_held):
    """The held-out outputs rounded to uint8 over the calibration outputs' range (0 included)."""
    lo, hi = min(0.0, float(ref_calib.min())), max(0.0, float(ref_calib.max()))
    scale = (hi - lo) / 255
    zp = np.clip(np.round(-lo / scale), 0, 255)
    q = np.clip(np.round(ref_held / scale) + zp, 0, 255)
    return sqnr(ref_held, (q - zp) * scale)


def test_sensitive_layer_goes_back_to_float(outlier_model, onnxsmith_bin, tmp_path):
    d, xs = outlier_model
    ref = run_all(d / "fp32.onnx", "x", xs)
    # Plain quantization is far off (the baseline the fallback improves on).
    plain, _ = quantize_ok(onnxsmith_bin, d / "fp32.onnx", tmp_path / "plain.onnx", d / "calib.npz",
                           "--eval-samples", HELD)
    plain_sqnr = sqnr(ref[CALIB:], run_all(tmp_path / "plain.onnx", "x", xs[CALIB:]))
    drop = 10.0
    report, proc = quantize_ok(onnxsmith_bin, d / "fp32.onnx", tmp_path / "fb.onnx", d / "calib.npz",
                               "--eval-samples", HELD, "--max-sqnr-drop", drop)
    fb = report["fallback"]
    assert fb["goal_met"], describe(proc)
    assert fb["sensitivity"][0]["node"] == "sensitive_conv", fb["sensitivity"]
    kept = fb["steps"][fb["chosen_step"]]
    assert "sensitive_conv" in kept["float_nodes"]
    assert 1 <= len(kept["float_nodes"]) <= 2, kept
    # Every step is listed with its SQNR; the first is the plain quantization.
    assert fb["steps"][0]["float_nodes"] == [] and not fb["steps"][0]["goal_met"]
    assert all("sqnr_db" in s["outputs"][0] for s in fb["steps"])
    assert "step 0" in proc.stdout and "accuracy fallback" in proc.stdout
    float_nodes = {n["node"] for n in report["nodes"] if not n["quantized"]}
    assert "sensitive_conv" in float_nodes and "conv3" not in float_nodes
    # The goal holds in ONNX Runtime, against the output's own 8-bit rounding computed here.
    got = sqnr(ref[CALIB:], run_all(tmp_path / "fb.onnx", "x", xs[CALIB:]))
    target = reference_sqnr(ref[:CALIB], ref[CALIB:]) - drop
    assert got >= target - 0.3, (got, target, plain_sqnr)
    assert got > plain_sqnr + 6, (got, plain_sqnr)
    assert abs(fb["reference_sqnr_db"][0] - reference_sqnr(ref[:CALIB], ref[CALIB:])) < 0.5
    # The sensitive Conv reads the float input directly: no QuantizeLinear on x.
    m = onnx.load(str(tmp_path / "fb.onnx"))
    assert not any(n.op_type == "QuantizeLinear" and n.input[0] == "x" for n in m.graph.node)
    assert any(n.op_type == "QuantizeLinear" for n in m.graph.node)
    assert "fallback" not in plain


def test_min_agreement_and_min_sqnr(outlier_model, onnxsmith_bin, tmp_path):
    d, xs = outlier_model
    ref = run_all(d / "fp32.onnx", "x", xs)
    report, proc = quantize_ok(onnxsmith_bin, d / "fp32.onnx", tmp_path / "a.onnx", d / "calib.npz",
                               "--eval-samples", HELD, "--min-agreement", 87.5, "--min-sqnr", 25,
                               "--max-float-nodes", 3)
    fb = report["fallback"]
    assert fb["goal_met"], describe(proc)
    got = run_all(tmp_path / "a.onnx", "x", xs[CALIB:])
    # Near-ties in random logits may flip between runtimes: one sample of slack.
    assert np.mean(np.argmax(got, -1) == np.argmax(ref[CALIB:], -1)) >= 0.875 - 1 / HELD
    assert sqnr(ref[CALIB:], got) >= 25 - 0.3


def test_unreachable_goal_writes_best_model_and_fails(outlier_model, onnxsmith_bin, tmp_path):
    d, _ = outlier_model
    out, rep = tmp_path / "u.onnx", tmp_path / "u.json"
    proc = quantize_cli(onnxsmith_bin, d / "fp32.onnx", out, d / "calib.npz", "--eval-samples", HELD,
                        "--min-sqnr", 150, "--max-float-nodes", 1, "--report", rep)
    assert proc.returncode != 0, describe(proc)
    assert "cannot be met" in proc.stderr and "--max-float-nodes" in proc.stderr, describe(proc)
    assert out.exists() and rep.exists()
    fb = json.loads(rep.read_text())["fallback"]
    assert not fb["goal_met"] and len(fb["steps"]) == 2 and "cannot be met" in fb["message"]
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)


@pytest.mark.parametrize("flags,mentions", [
    (["--max-sqnr-drop", "-1"], "--max-sqnr-drop"),
    (["--min-agreement", "0"], "--min-agreement"),
    (["--min-agreement", "101"], "--min-agreement"),
    (["--min-sqnr", "inf"], "--min-sqnr"),
    (["--min-sqnr", "30", "--max-float-nodes", "-5"], "--max-float-nodes"),
    (["--min-sqnr", "30", "--eval-samples", "0"], "held-out"),
    (["--min-agreement", "90", "--mode", "dynamic"], "static"),
])
def test_bad_fallback_flags(flags, mentions, outlier_model, onnxsmith_bin, tmp_path):
    d, _ = outlier_model
    out = tmp_path / "bad.onnx"
    proc = quantize_cli(onnxsmith_bin, d / "fp32.onnx", out, d / "calib.npz", *flags)
    assert proc.returncode != 0, describe(proc)
    assert mentions in proc.stderr, describe(proc)
    assert "Traceback" not in proc.stderr and not out.exists()


def test_convert_goal_without_quantize_is_a_usage_error(outlier_model, onnxsmith_bin, tmp_path):
    small_cnn = pathlib.Path(__file__).resolve().parents[2] / "examples" / "small_cnn" / "model.pb"
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", small_cnn, "--output", tmp_path / "x.onnx",
                                   "--min-sqnr", "30"])
    assert proc.returncode == 2, describe(proc)
    assert "need --quantize int8" in proc.stderr, describe(proc)
