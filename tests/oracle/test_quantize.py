"""`onnxsmith quantize` against ONNX Runtime.

Every quantized model is checked with the PyPI onnx checker and run in ONNX Runtime (default graph
optimizations, so QDQ pairs fuse into integer kernels as in deployment); its outputs are compared
with the fp32 model's, also run in ONNX Runtime, on held-out samples: SQNR (dB), top-1 agreement,
and for the trained model the accuracy on labelled data. Where cheap, ONNX Runtime's own
quantize_static runs on the same calibration data and ours must reach at least its SQNR.

The tests are split by theme: this file (a CNN made with onnx.helper, options, convert
--quantize, bad calibration data), test_quantize_qoperator.py, test_quantize_models.py (trained
digits CNN, MobileNetV2) and test_quantize_dynamic.py; shared helpers are in quantize_lib.py.

Models: a CNN built with onnx.helper (not made by onnxsmith), a small Keras CNN trained here on
scikit-learn's bundled digits (upsampled to 16x16), keras.applications MobileNetV2 (weights=None),
and a transformer encoder block (dynamic mode). Bad calibration data must fail with exit 1 naming
the input, and write nothing.
"""

import json
import pathlib

import numpy as np
import pytest

import oracle_lib
from oracle_lib import describe, run_cli
from quantize_lib import (  # noqa: F401  (helper_model is a fixture)
    R, cpu_has_vnni, helper_model, numpy_helper, onnx, ort_quantize_static, quantize_cli, quantize_ok,
    run_all, sqnr, top1)


@pytest.mark.parametrize("method", ["minmax", "percentile", "entropy"])
def test_helper_cnn_static_vs_ort(method, helper_model, onnxsmith_bin):
    d, xs = helper_model
    held = xs[100:]
    out = d / f"ours_{method}.onnx"
    report, proc = quantize_ok(onnxsmith_bin, d / "fp32.onnx", out, d / "calib.npz", "--method", method,
                               "--eval-samples", 0)
    ref = run_all(d / "fp32.onnx", "x", held)
    ours = run_all(out, "x", held)
    ours_db = sqnr(ref, ours)
    ort_out = d / "ort.onnx"
    if not ort_out.exists():
        # The same weight range as ours (7-bit on x86 without VNNI).
        ort_quantize_static(d / "fp32.onnx", ort_out, "x", xs[:100], reduce_range=not cpu_has_vnni())
    ort_db = sqnr(ref, run_all(ort_out, "x", held))
    assert report["reduce_range"] == (not cpu_has_vnni())
    print(f"\n[helper CNN {method}] SQNR ours {ours_db:.2f} dB, ORT quantize_static (minmax) {ort_db:.2f} dB; "
          f"top-1 ours {top1(ref, ours):.3f}; {report['nodes_quantized']} nodes quantized, "
          f"file {report['file_bytes_before']} -> {report['file_bytes_after']} bytes")
    assert report["calibration_samples"] == 100
    assert ours_db > 20
    if method == "minmax":
        assert ours_db >= ort_db - 0.5, (ours_db, ort_db)
    # Nodes the scheme quantizes, and why the rest stay float.
    by_name = {n["op_type"]: n for n in report["nodes"]}
    assert by_name["Conv"]["quantized"] and by_name["MaxPool"]["quantized"]


def test_helper_cnn_report_sqnr_matches_ort(helper_model, onnxsmith_bin):
    """The report's held-out SQNR (reference evaluator) agrees with ONNX Runtime's run of the files."""
    d, xs = helper_model
    np.savez(d / "calib_all.npz", x=xs)
    out = d / "ours_split.onnx"
    report, _ = quantize_ok(onnxsmith_bin, d / "fp32.onnx", out, d / "calib_all.npz", "--eval-samples", 20)
    assert report["calibration_samples"] == 100 and report["eval_samples"] == 20
    held = xs[100:]
    ref = run_all(d / "fp32.onnx", "x", held)
    ort_db = sqnr(ref, run_all(out, "x", held))
    ours_db = report["outputs"][0]["sqnr_db"]
    print(f"\n[report] SQNR by the evaluator {ours_db:.2f} dB, by ORT {ort_db:.2f} dB")
    assert abs(ours_db - ort_db) < 3.0


def test_options_per_tensor_int8_reduce_range_exclude(helper_model, onnxsmith_bin):
    d, xs = helper_model
    held = xs[100:]
    ref = run_all(d / "fp32.onnx", "x", held)
    out = d / "opts.onnx"
    report, _ = quantize_ok(onnxsmith_bin, d / "fp32.onnx", out, d / "calib.npz", "--per-tensor",
                            "--activations", "int8", "--symmetric-activations", "--reduce-range",
                            "--exclude-op-types", "MatMul", "--eval-samples", 0)
    model = onnx.load(str(out))
    assert all(n.op_type != "MatMul" or not n.input[1].endswith("_dequantized") for n in model.graph.node)
    zps = [numpy_helper.to_array(t) for t in model.graph.initializer if t.name.endswith("_zero_point")]
    assert zps and all(z.dtype == np.int8 for z in zps)
    mm = [n for n in report["nodes"] if n["op_type"] == "MatMul"][0]
    assert not mm["quantized"] and "exclude" in mm["reason"]
    assert sqnr(ref, run_all(out, "x", held)) > 15


# --------------------------------------------------------------------------------------------
# convert --quantize int8
# --------------------------------------------------------------------------------------------

SMALL_CNN = pathlib.Path(__file__).resolve().parents[2] / "examples" / "small_cnn" / "model.pb"


def test_convert_quantize_matches_convert_then_quantize(onnxsmith_bin, tmp_path):
    """`convert --quantize int8` = `convert` then `quantize` with the same flags."""
    xs = np.random.default_rng(4).random((20, 28, 28, 3), dtype=np.float32)
    np.savez(tmp_path / "calib.npz", **{"image:0": xs[:16]})
    src = ["convert", "--graphdef", SMALL_CNN, "--inputs", "image:0", "--outputs", "Identity:0"]
    flags = ["--calibration", tmp_path / "calib.npz", "--method", "entropy", "--format", "qoperator"]
    proc = run_cli(onnxsmith_bin, [*src, "--output", tmp_path / "one.onnx", "--quantize", "int8", *flags,
                                   "--report", tmp_path / "one.json"])
    assert proc.returncode == 0, describe(proc)
    assert "INT8 quantization" in proc.stdout
    oracle_lib.check_onnx(tmp_path / "one.onnx")
    report = json.loads((tmp_path / "one.json").read_text())
    assert report["method"] == "entropy" and report["format"] == "qoperator" and report["nodes_quantized"] > 0
    proc = run_cli(onnxsmith_bin, [*src, "--output", tmp_path / "fp32.onnx"])
    assert proc.returncode == 0, describe(proc)
    quantize_ok(onnxsmith_bin, tmp_path / "fp32.onnx", tmp_path / "two.onnx", None, *flags)
    ops = [n.op_type for n in onnx.load(str(tmp_path / "one.onnx")).graph.node]
    assert "QLinearConv" in ops
    assert ops == [n.op_type for n in onnx.load(str(tmp_path / "two.onnx")).graph.node]
    one, two = run_all(tmp_path / "one.onnx", "image:0", xs[16:]), run_all(tmp_path / "two.onnx", "image:0", xs[16:])
    np.testing.assert_array_equal(one, two)
    assert sqnr(run_all(tmp_path / "fp32.onnx", "image:0", xs[16:]), one) > 20


@pytest.mark.parametrize("extra,mentions", [
    (["--calibration", "c.npz"], "need --quantize int8"),
    (["--method", "entropy"], "need --quantize int8"),
    (["--quantize", "int4"], "--quantize: 'int4' is not int8"),
    (["--quantize", "int8"], "needs --calibration"),
    (["--quantize", "int8", "--mode", "dynamic", "--method", "kl"], "--method: 'kl'"),
])
def test_convert_quantize_usage_errors(extra, mentions, onnxsmith_bin, tmp_path):
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", SMALL_CNN, "--output", tmp_path / "x.onnx", *extra])
    assert proc.returncode == 2, describe(proc)
    assert "onnxsmith convert: error:" in proc.stderr and mentions in proc.stderr, proc.stderr
    assert not (tmp_path / "x.onnx").exists()


# --------------------------------------------------------------------------------------------
# Bad calibration data
# --------------------------------------------------------------------------------------------


def _bad_cases():
    good = R.normal(0, 1, (4, 3, 32, 32)).astype(np.float32)
    nan = good.copy()
    nan[2, 0, 0, 0] = np.nan
    return {
        "wrong_name": ({"y": good}, "'y' is not a model input"),
        "missing_input": ({}, None),
        "wrong_shape": ({"x": R.normal(0, 1, (4, 3, 16, 32)).astype(np.float32)}, "input 'x'"),
        "wrong_dtype": ({"x": good.astype(np.float64)}, "input 'x'"),
        "nan": ({"x": nan}, "sample 2"),
        "empty": ({"x": np.zeros((0, 3, 32, 32), np.float32)}, "input 'x'"),
    }


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_bad_calibration_data(case, helper_model, onnxsmith_bin, tmp_path):
    d, _ = helper_model
    arrays, expected = _bad_cases()[case]
    path = tmp_path / "bad.npz"
    if arrays:
        np.savez(path, **arrays)
    else:
        path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
        expected = "input 'x'"
    out = tmp_path / "out.onnx"
    proc = quantize_cli(onnxsmith_bin, d / "fp32.onnx", out, path)
    assert proc.returncode == 1, describe(proc)
    assert expected in proc.stderr, describe(proc)
    assert not out.exists()


def test_truncated_and_garbage_calibration_files(helper_model, onnxsmith_bin, tmp_path):
    d, xs = helper_model
    full = tmp_path / "full.npz"
    np.savez(full, x=xs[:4])
    blob = full.read_bytes()
    for name, data in [("trunc.npz", blob[: len(blob) // 2]), ("garbage.npz", b"not a zip at all" * 10)]:
        p = tmp_path / name
        p.write_bytes(data)
        out = tmp_path / "out.onnx"
        proc = quantize_cli(onnxsmith_bin, d / "fp32.onnx", out, p)
        assert proc.returncode == 1, describe(proc)
        assert name in proc.stderr and not out.exists()
