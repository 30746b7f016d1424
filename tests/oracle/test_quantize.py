"""`onnxsmith quantize` against ONNX Runtime.

Every quantized model is checked with the PyPI onnx checker and run in ONNX Runtime (default graph
optimizations, so QDQ pairs fuse into integer kernels as in deployment); its outputs are compared
with the fp32 model's, also run in ONNX Runtime, on held-out samples: SQNR (dB), top-1 agreement,
and for the trained model the accuracy on labelled data. Where cheap, ONNX Runtime's own
quantize_static runs on the same calibration data and ours must reach at least its SQNR.

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

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

R = np.random.default_rng(20261206)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def ort_session(path, optimize=True, threads=1):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    if not optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def run_all(path, name, xs, batch=16):
    """Outputs (first graph output) for samples xs[i] run in batches of `batch`."""
    sess = ort_session(path)
    outs = []
    for i in range(0, len(xs), batch):
        outs.append(sess.run(None, {name: xs[i:i + batch]})[0])
    return np.concatenate(outs)


def sqnr(ref, got):
    ref = ref.astype(np.float64)
    err = ref - got.astype(np.float64)
    return 10 * np.log10(np.sum(ref * ref) / max(np.sum(err * err), 1e-30))


def top1(ref, got):
    return float(np.mean(np.argmax(ref, -1) == np.argmax(got, -1)))


def quantize_cli(binary, src, dst, calib, *flags, timeout=1200):
    args = ["quantize", str(src), str(dst), *map(str, flags)]
    if calib is not None:
        args += ["--calibration", str(calib)]
    return run_cli(binary, args, timeout=timeout)


def quantize_ok(binary, src, dst, calib, *flags, **kw):
    report = pathlib.Path(str(dst) + ".json")
    proc = quantize_cli(binary, src, dst, calib, "--report", report, *flags, **kw)
    assert proc.returncode == 0, "onnxsmith quantize failed\n" + describe(proc)
    oracle_lib.check_onnx(dst)
    return json.loads(report.read_text()), proc


def cpu_has_vnni():
    """As onnxsmith's default --reduce-range decides (x86 without VNNI: 7-bit weights)."""
    try:
        flags = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return True
    return " avx512_vnni" in flags or " avx_vnni" in flags or " avx2 " not in flags


def ort_quantize_static(src, dst, name, xs, per_channel=True, reduce_range=False):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{name: xs[i:i + 1]} for i in range(len(xs))])

        def get_next(self):
            return next(self.it, None)

    quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                    reduce_range=reduce_range, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)


def save_model(model, path, opset=13):
    model.opset_import[0].version = opset
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


# --------------------------------------------------------------------------------------------
# A CNN made with onnx.helper (not by onnxsmith)
# --------------------------------------------------------------------------------------------


def helper_cnn(path):
    def w(*shape, s=0.3):
        return R.normal(0, s, shape).astype(np.float32)

    inits = [numpy_helper.from_array(a, n) for n, a in [
        ("w1", w(8, 3, 3, 3)), ("b1", w(8, s=0.1)), ("w2", w(8, 1, 3, 3)), ("b2", w(8, s=0.1)),
        ("w3", w(16, 8, 1, 1)), ("b3", w(16, s=0.1)), ("w4", w(16, 16, 3, 3, s=0.1)), ("b4", w(16, s=0.1)),
        ("fc", w(16, 10)), ("fcb", w(10, s=0.1)), ("shape", np.array([0, -1], np.int64)),
        ("lo", np.array(0, np.float32)), ("hi", np.array(6, np.float32))]]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Clip", ["c1", "lo", "hi"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"]),
        helper.make_node("Relu", ["c3"], ["r3"]),
        helper.make_node("Conv", ["r3", "w4", "b4"], ["c4"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c4", "c3"], ["s"]),
        helper.make_node("Relu", ["s"], ["r4"]),
        helper.make_node("MaxPool", ["r4"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p"], ["g"]),
        helper.make_node("Reshape", ["g", "shape"], ["f"]),
        helper.make_node("MatMul", ["f", "fc"], ["m"]),
        helper.make_node("Add", ["m", "fcb"], ["logits"]),
    ]
    graph = helper.make_graph(nodes, "helper_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
                              initializer=inits)
    save_model(helper.make_model(graph), path)


def smooth_images(n, c, h, w):
    """Spatially correlated inputs (random images blurred), closer to real data than white noise."""
    x = R.normal(0, 1, (n, c, h + 4, w + 4)).astype(np.float32)
    k = np.ones(5, np.float32) / 5
    x = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 2, x)
    x = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 3, x)
    return (x * 2).astype(np.float32)


@pytest.fixture(scope="module")
def helper_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("helper_cnn")
    helper_cnn(d / "fp32.onnx")
    xs = smooth_images(120, 3, 32, 32)
    np.savez(d / "calib.npz", x=xs[:100])
    return d, xs


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
# A Keras CNN trained on scikit-learn's digits
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory, onnxsmith_bin):
    datasets = pytest.importorskip("sklearn.datasets")
    tf = oracle_lib.get_tf()
    import keras

    d = tmp_path_factory.mktemp("digits")
    data = datasets.load_digits()
    x = (data.images / 16.0).astype(np.float32)
    x = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)[..., None]  # 16x16x1
    y = data.target.astype(np.int64)
    idx = np.random.default_rng(0).permutation(len(x))
    x, y = x[idx], y[idx]
    train, test = slice(0, 1400), slice(1400, None)
    tf.random.set_seed(0)
    model = keras.Sequential([
        keras.Input((16, 16, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same"),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x[train], y[train], epochs=4, batch_size=32, verbose=0)
    model.save(str(d / "digits.keras"))
    onnx_path = d / "digits.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--keras", d / "digits.keras", "--output", onnx_path], timeout=600)
    assert proc.returncode == 0, describe(proc)
    name = onnx.load(str(onnx_path)).graph.input[0].name
    np.savez(d / "calib.npz", **{name: x[train][:200]})
    return d, onnx_path, name, x[test], y[test]


def test_digits_cnn_accuracy(digits_model, onnxsmith_bin):
    d, fp32, name, xt, yt = digits_model
    out = d / "int8.onnx"
    report, _ = quantize_ok(onnxsmith_bin, fp32, out, d / "calib.npz")
    ref = run_all(fp32, name, xt)
    got = run_all(out, name, xt)
    acc_fp32 = float(np.mean(np.argmax(ref, -1) == yt))
    acc_int8 = float(np.mean(np.argmax(got, -1) == yt))
    db = sqnr(ref, got)
    ort_out, ort_rr = d / "ort.onnx", d / "ort_rr.onnx"
    calib = np.load(d / "calib.npz")[name]
    ort_quantize_static(fp32, ort_out, name, calib)
    ort_quantize_static(fp32, ort_rr, name, calib, reduce_range=True)
    ort_got = run_all(ort_out, name, xt)
    ort_db = sqnr(ref, ort_got)
    ort_rr_db = sqnr(ref, run_all(ort_rr, name, xt))
    size = (fp32.stat().st_size, out.stat().st_size, ort_out.stat().st_size)
    print(f"\n[digits CNN] accuracy fp32 {acc_fp32:.4f} ours {acc_int8:.4f} ORT "
          f"{float(np.mean(np.argmax(ort_got, -1) == yt)):.4f}; SQNR ours {db:.2f} dB (reduce_range "
          f"{report['reduce_range']}), ORT {ort_db:.2f} dB, ORT reduce_range {ort_rr_db:.2f} dB; top-1 agreement "
          f"{top1(ref, got):.4f}; sizes fp32/ours/ORT {size}; report {report['outputs']}")
    assert acc_fp32 > 0.9
    assert acc_int8 >= acc_fp32 - 0.02
    assert db > 20 and db >= ort_db - 0.5
    assert top1(ref, got) > 0.97
    assert size[1] <= 0.35 * size[0]  # a 38k-parameter model: names and scales weigh


# --------------------------------------------------------------------------------------------
# MobileNetV2 (a big graph)
# --------------------------------------------------------------------------------------------


def test_mobilenet_v2(tmp_path_factory, onnxsmith_bin):
    oracle_lib.get_tf()
    import keras

    d = tmp_path_factory.mktemp("mnv2")
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), classifier_activation=None)
    model.save(str(d / "mnv2.keras"))
    fp32 = d / "mnv2.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--keras", d / "mnv2.keras", "--output", fp32], timeout=900)
    assert proc.returncode == 0, describe(proc)
    name = onnx.load(str(fp32)).graph.input[0].name
    xs = np.transpose(smooth_images(40, 3, 96, 96), (0, 2, 3, 1)).copy()
    np.savez(d / "calib.npz", **{name: xs[:32]})
    out = d / "int8.onnx"
    report, proc = quantize_ok(onnxsmith_bin, fp32, out, d / "calib.npz", "--eval-samples", 0)
    ref = run_all(fp32, name, xs[32:])
    got = run_all(out, name, xs[32:])
    db = sqnr(ref, got)
    ort_out = d / "ort.onnx"
    ort_quantize_static(fp32, ort_out, name, xs[:32], reduce_range=not cpu_has_vnni())
    ort_db = sqnr(ref, run_all(ort_out, name, xs[32:]))
    print(f"\n[MobileNetV2 96x96] SQNR ours {db:.2f} dB, ORT {ort_db:.2f} dB, top-1 agreement "
          f"{top1(ref, got):.3f}; {report['nodes_quantized']} quantized / {report['nodes_float']} float; "
          f"file {report['file_bytes_before']} -> {report['file_bytes_after']}; "
          f"calibration {report['calibration_seconds']:.1f} s")
    assert report["file_bytes_after"] <= 0.3 * report["file_bytes_before"]
    assert db >= ort_db - 1.0


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
