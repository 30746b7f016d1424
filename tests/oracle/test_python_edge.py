"""The Python API's target= and precision= options (the CLI's --target and --precision fp16):
the report holds the compliance table ("target") and the float16 conversion with its numeric check
("precision") together, and the models match Keras / the fp32 model in ONNX Runtime."""

import numpy as np
import pytest

from oracle_lib import check_onnx, rng_for, run_onnx

onnx = pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def cnn(tf):
    k = tf.keras
    tf.random.set_seed(3)
    inp = k.Input((16, 16, 3), name="image")
    x = k.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = k.layers.MaxPooling2D()(x)
    x = k.layers.GlobalAveragePooling2D()(x)
    out = k.layers.Dense(5)(x)
    return k.Model(inp, out)


def _x(key, n=2):
    return rng_for(key).standard_normal((n, 16, 16, 3)).astype(np.float32)


def test_from_keras_target_and_fp16(onnxsmith, cnn, tmp_path):  # noqa: F811
    path = tmp_path / "m.onnx"
    model, report = onnxsmith.from_keras(cnn, output_path=str(path), target="tensorrt", precision="fp16")
    check_onnx(path)
    assert report["target"]["target"] == "tensorrt" and report["target"]["compliant"], report["target"]
    prec = report["precision"]
    assert prec["nodes_fp16"] > 0 and prec["check"]["outputs"][0]["sqnr_db"] > 30, prec
    x = _x("edge:keras")
    want = np.asarray(cnn(x))
    (got,) = run_onnx(path, {"image": x}).values()
    assert float(np.abs(got - want).max()) <= 1e-2 * max(1.0, float(np.abs(want).max()))


def test_optimize_and_quantize_with_target(onnxsmith, cnn, tmp_path):  # noqa: F811
    fp32 = tmp_path / "fp32.onnx"
    onnxsmith.from_keras(cnn, output_path=str(fp32))
    half = tmp_path / "half.onnx"
    _, report = onnxsmith.optimize(str(fp32), str(half), target="openvino", batch=1, precision="fp16",
                                   keep_fp32_ops=["MaxPool"], calibration={"image": _x("edge:cal", 4)})
    assert report["target"]["compliant"] and report["target"]["notes"], report["target"]
    assert report["precision"]["kept_fp32_by_op"].get("MaxPool") == 1, report["precision"]
    assert report["precision"]["check"]["samples"] == 4, report["precision"]
    x = _x("edge:opt", 1)
    (want,) = run_onnx(fp32, {"image": x}).values()
    (got,) = run_onnx(half, {"image": x}).values()
    assert float(np.abs(got - want).max()) <= 1e-2 * max(1.0, float(np.abs(want).max()))
    q = tmp_path / "q.onnx"
    _, report = onnxsmith.quantize(str(fp32), {"image": _x("edge:q", 8)}, str(q), target="tensorrt")
    assert report["target"]["compliant"], report["target"]
    zero_points = [t for t in check_onnx(q).graph.initializer if "zero_point" in t.name]
    assert zero_points and all(not onnx.numpy_helper.to_array(t).any() for t in zero_points)
    with pytest.raises(onnxsmith.ConversionError, match="--fix-shape"):
        onnxsmith.optimize(str(fp32), str(tmp_path / "bad.onnx"), target="openvino", fix_shape="nope:1x2")
