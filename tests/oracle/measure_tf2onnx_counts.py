"""Node counts of tf2onnx's output for the models of test_optimizer_apps.py (not a test).

tf2onnx is not in the test venv (it pins protobuf 3 and numpy 1); it was run from a side venv
that reuses the test venv's TensorFlow 2.20 / onnx 1.19 / numpy 2 and adds tf2onnx --no-deps:

    python3 -m venv /root/.cache/onnxsmith/venv-bench
    echo <test venv site-packages> > venv-bench/lib/python3.11/site-packages/testvenv.pth
    venv-bench/bin/pip install --no-deps tf2onnx
    cd tests/oracle && ../../venv-bench/bin/python measure_tf2onnx_counts.py OUT_DIR

Each model is built exactly as test_optimizer_apps.py builds it (same constructor, seed and
96x96 input), exported as a SavedModel (model.export) and converted with
`python -m tf2onnx.convert --saved-model DIR --opset 17` (tf2onnx's default optimizers on).
Prints a dict to paste into TF2ONNX_NODE_COUNTS.
"""

import collections
import pathlib
import subprocess
import sys

import onnx

import test_optimizer_apps as apps


def main(out_dir):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    import tf2onnx

    counts = {}
    for name in apps.APPS:
        model = apps.build_app(name)
        sm = out_dir / f"{name}_sm"
        model.export(str(sm))
        out = out_dir / f"{name}_tf2onnx.onnx"
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--saved-model", str(sm), "--opset",
                        "17", "--output", str(out)], check=True, capture_output=True)
        m = onnx.load(str(out))
        ops = collections.Counter(n.op_type for n in m.graph.node)
        counts[name] = len(m.graph.node)
        print(name, len(m.graph.node), dict(ops.most_common()), file=sys.stderr)
    print(f"# tf2onnx {tf2onnx.__version__}, opset 17")
    print(counts)


if __name__ == "__main__":
    main(sys.argv[1])
