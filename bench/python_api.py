"""onnxsmith.from_keras against tf2onnx.convert.from_keras on the same in-memory Keras model.

Run with the bench venv's Python (it has TensorFlow and tf2onnx; bench/setup_venv.sh) after
`bazel build //python:_native.so`:

    $BENCH_VENV/bin/python bench/python_api.py [--model mobilenet_v2] [--repeat 3]

The package is staged from python/ with the built extension (ONNXSMITH_NATIVE overrides the
path). Each tool converts the same model `--repeat` times (opset 13, each writing a file); the
table gives the best and median wall time per call, and both outputs are compared in ONNX
Runtime with Keras' own output.
"""

import argparse
import importlib.util
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]

MODELS = {
    "mobilenet_v2": lambda A: A.MobileNetV2(weights=None, input_shape=(224, 224, 3),
                                            classifier_activation=None),
    "resnet50": lambda A: A.ResNet50(weights=None, input_shape=(224, 224, 3),
                                     classifier_activation=None),
}


def import_onnxsmith(stage: pathlib.Path):
    spec = importlib.util.spec_from_file_location("build_backend", REPO / "python" / "build_backend.py")
    backend = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backend)
    import os

    native = pathlib.Path(os.environ.get("ONNXSMITH_NATIVE") or REPO / "bazel-bin/python/_native.so")
    backend.stage_package(stage, native)
    sys.path.insert(0, str(stage))
    import onnxsmith

    return onnxsmith


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def max_error(path, model, x):
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    return float(np.abs(got - np.asarray(model(x, training=False))).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mobilenet_v2", choices=sorted(MODELS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import keras
    import tensorflow as tf
    import tf2onnx

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        onnxsmith = import_onnxsmith(tmp / "pkg")
        model = MODELS[args.model](keras.applications)
        x = np.random.default_rng(0).standard_normal((1, 224, 224, 3)).astype(np.float32)
        spec = (tf.TensorSpec((None, 224, 224, 3), tf.float32, name="input"),)
        rows = []

        out = tmp / "onnxsmith.onnx"
        native_ms = []

        def convert():
            native_ms.append(onnxsmith.from_keras(model, opset=13, output_path=str(out))[1]["times_ms"]["total"])

        best, med = timed(convert, args.repeat)
        rows.append(("onnxsmith.from_keras", best, med, max_error(out, model, x)))
        rows.append(("  of which native (load+convert+opt+write)", min(native_ms) / 1e3,
                     statistics.median(native_ms) / 1e3, float("nan")))

        out = tmp / "tf2onnx.onnx"
        try:
            best, med = timed(lambda: tf2onnx.convert.from_keras(
                model, input_signature=spec, opset=13, output_path=str(out)), args.repeat)
            rows.append((f"tf2onnx {tf2onnx.__version__} convert.from_keras", best, med,
                         max_error(out, model, x)))
        except Exception as e:  # tf2onnx and Keras 3 do not always agree
            rows.append((f"tf2onnx {tf2onnx.__version__}: failed: {type(e).__name__}: "
                         f"{str(e).splitlines()[0][:80]}", float("nan"), float("nan"), float("nan")))

    print(f"{args.model} (224x224, opset 13), {args.repeat} calls each, TF {tf.__version__}, "
          f"Keras {keras.__version__}")
    print(f"{'tool':44} {'best s':>8} {'median s':>9} {'max |err| vs Keras':>19}")
    for name, best, med, err in rows:
        print(f"{name:44} {best:8.2f} {med:9.2f} {err:19.2e}")


if __name__ == "__main__":
    main()
