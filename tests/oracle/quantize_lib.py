"""Helpers shared by the quantization oracle tests (test_quantize*.py).

ONNX Runtime sessions, SQNR and top-1 agreement, the `onnxsmith quantize` CLI, ONNX Runtime's own
quantize_static on the same data, and a CNN built with onnx.helper (not made by onnxsmith) with
smooth calibration images, as the module fixture `helper_model`.
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
