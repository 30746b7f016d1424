#!/usr/bin/env python3
"""Per model and format: onnxsmith's convert wall time and the largest error against Keras.

  ONNXSMITH_BIN=bazel-bin/onnxsmith <venv>/bin/python tools/measure_loaders.py [--size 96]
      [--models mobilenet_v2,resnet50,...] [--formats sm,h5,keras] [--keep DIR]

Builds keras.applications MobileNetV2, ResNet50, DenseNet121, EfficientNetB0 (weights=None,
fixed seed, random biases and BatchNormalization statistics, as tests/oracle/keras_lib.py (randomize)
does), saves each as a SavedModel (model.export), .h5 and .keras, converts each with
`onnxsmith convert`, runs the ONNX model in ONNX Runtime on a batch of 2 and prints a
Markdown table: convert wall time, max |onnx - keras|, and the output's scale (max |keras|).
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "oracle"))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import oracle_lib  # noqa: E402

APPS = {
    "mobilenet_v2": "MobileNetV2",
    "resnet50": "ResNet50",
    "densenet121": "DenseNet121",
    "efficientnet_b0": "EfficientNetB0",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=96, help="input height and width (default 96)")
    ap.add_argument("--models", default=",".join(APPS), help="comma-separated, from: " + ", ".join(APPS))
    ap.add_argument("--formats", default="sm,h5,keras", help="comma-separated: sm, h5, keras")
    ap.add_argument("--keep", help="save models and ONNX files here (default: a temp dir)")
    args = ap.parse_args()

    binary = oracle_lib.find_binary()
    if binary is None:
        print("no onnxsmith binary: bazel build //:onnxsmith (or set ONNXSMITH_BIN)", file=sys.stderr)
        return 2
    oracle_lib.get_tf()
    import keras
    import onnxruntime as ort
    from test_keras import randomize

    work = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="measure_loaders_"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.models.split(","):
        oracle_lib.seed_everything()
        build = getattr(keras.applications, APPS[name])
        model = randomize(build(weights=None, input_shape=(args.size, args.size, 3),
                                classifier_activation=None), name)
        x = oracle_lib.rng_for(f"measure:{name}").standard_normal((2, args.size, args.size, 3)).astype(np.float32)
        expected = np.asarray(model(x, training=False))
        for fmt in args.formats.split(","):
            path = work / {"sm": name, "h5": f"{name}.h5", "keras": f"{name}.keras"}[fmt]
            if not path.exists():
                if fmt == "sm":
                    model.export(str(path), verbose=False)
                else:
                    model.save(str(path))
            out = work / f"{name}_{fmt}.onnx"
            flag = "--saved-model" if fmt == "sm" else "--keras"
            start = time.perf_counter()
            proc = subprocess.run([str(binary), "convert", flag, str(path), "--output", str(out)],
                                  capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if proc.returncode != 0:
                rows.append((name, fmt, seconds, None, proc.stderr.strip().splitlines()[-1:]))
                continue
            sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
            got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
            err = float(np.abs(got.astype(np.float64) - expected).max())
            rows.append((name, fmt, seconds, err, float(np.abs(expected).max())))
            print(f"{name} {fmt}: {seconds:.2f} s, max abs err {err:.3g}", file=sys.stderr)

    print(f"\n| model ({args.size}x{args.size}) | format | convert (s) | max abs err vs Keras | output scale |")
    print("|---|---|---|---|---|")
    for name, fmt, seconds, err, scale in rows:
        fmt_name = {"sm": "SavedModel", "h5": ".h5", "keras": ".keras"}[fmt]
        if err is None:
            print(f"| {name} | {fmt_name} | {seconds:.2f} | FAILED: {' '.join(scale)} | |")
        else:
            print(f"| {name} | {fmt_name} | {seconds:.2f} | {err:.2e} | {scale:.3g} |")
    return 0 if all(r[3] is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
