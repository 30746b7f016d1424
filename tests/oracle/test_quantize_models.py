"""`onnxsmith quantize` on real models: a Keras CNN trained here on scikit-learn's digits (accuracy,
not only agreement) and keras.applications MobileNetV2, against fp32 and ONNX Runtime's quantizer.
"""

import numpy as np
import pytest

import oracle_lib
from oracle_lib import describe, run_cli
from quantize_lib import (
    cpu_has_vnni, onnx, ort_quantize_static, quantize_ok, run_all, smooth_images, sqnr, top1)


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
