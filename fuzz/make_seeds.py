#!/usr/bin/env python3
"""Regenerates fuzz/seeds/<target>/ from the repo's test models, the shared
corpus (if present, ../shared/corpus or $ONNXSMITH_CORPUS) and a few models made
here with TF/onnx (run it with the test venv's python). Only small files are
kept (the fuzzers run with -max_len 64 KiB). The seeds are checked in; the repo
does not need the corpus or this script to build or test.

    $VENV/bin/python fuzz/make_seeds.py
"""
import os
import pathlib
import struct
import sys
import tempfile
import zipfile

repo = pathlib.Path(__file__).resolve().parent.parent
seeds = repo / "fuzz" / "seeds"
corpus = pathlib.Path(os.environ.get("ONNXSMITH_CORPUS", repo.parent / "shared" / "corpus"))
MAX = 48 * 1024


def put(target, name, data):
    if len(data) > MAX:
        print(f"skip {target}/{name}: {len(data)} bytes", file=sys.stderr)
        return
    d = seeds / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def parts(*blobs):
    return b"".join(struct.pack("<I", len(b)) + b for b in blobs)


def main():
    # GraphDef, binary and text.
    if corpus.is_dir():
        for p in sorted((corpus / "graphdef").glob("*/*.pb")) + sorted(corpus.glob("*/*/*.pbtxt")):
            put("graphdef", f"{p.parent.name}_{p.name}", p.read_bytes())
        # SavedModels: saved_model.pb + variables index + one data shard.
        for d in sorted((corpus / "savedmodel").iterdir()):
            pb = d / "saved_model.pb"
            idx = d / "variables" / "variables.index"
            data = d / "variables" / "variables.data-00000-of-00001"
            blobs = [pb.read_bytes(), idx.read_bytes() if idx.exists() else b"",
                     data.read_bytes() if data.exists() else b""]
            put("saved_model", d.name, parts(*blobs))
            if idx.exists():
                put("tensor_bundle", d.name, parts(blobs[1], blobs[2]))
        for p in sorted(corpus.glob("keras_h5/*/*")) + sorted(corpus.glob("keras_v3/*/*")):
            data = p.read_bytes()
            if data[:4] == b"PK\x03\x04":
                put("keras_zip", f"{p.parent.name}.keras", data)
                with zipfile.ZipFile(p) as z:
                    put("keras_json", f"{p.parent.name}.json", z.read("config.json"))
            else:
                put("keras_h5", f"{p.parent.name}_{p.name}", data)
    ck = repo / "tests" / "testdata" / "checkpoint"
    for name in ("mixed", "sharded"):
        put("tensor_bundle", f"testdata_{name}",
            parts((ck / f"{name}.index").read_bytes(),
                  (ck / f"{name}.data-00000-of-0000{1 if name == 'mixed' else 2}").read_bytes()))

    make_keras_models()
    make_onnx_models()

    cli = {
        "plain": "x:0\ny:0\n\n2",
        "shape": "x:0[1,4]\ny:0\nx:0\nextended",
        "unknown_dims": "x:0[?,4],z:0[2,3,5]\ny:0,w:0\n\n0",
        "names": "x\ny:0\n\nall",
        "negative": "x:0[-1,4]\ny\n\nbasic",
    }
    for name, text in cli.items():
        put("cli_args", name, text.encode())


def make_keras_models():
    try:
        import numpy as np
        import tensorflow as tf
    except ImportError:
        print("no TensorFlow: Keras seeds from the corpus only", file=sys.stderr)
        return
    keras = tf.keras
    with tempfile.TemporaryDirectory() as tmp:
        inp = keras.Input((8, 8, 3), name="image")
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(5, activation="softmax")(x)
        cnn = keras.Model(inp, x)
        mlp = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="tanh"),
                                keras.layers.Dropout(0.1), keras.layers.Dense(2)])
        a = keras.Input((4,), name="a")
        b = keras.Input((4,), name="b")
        branch = keras.layers.Add()([keras.layers.Dense(4)(a), b])
        two = keras.Model([a, b], [branch, keras.layers.Activation("sigmoid")(branch)])
        for name, m in (("cnn", cnn), ("mlp", mlp), ("two_inputs", two)):
            k = pathlib.Path(tmp) / f"{name}.keras"
            m.save(k)
            put("keras_zip", f"{name}.keras", k.read_bytes())
            with zipfile.ZipFile(k) as z:
                put("keras_json", f"{name}.json", z.read("config.json"))
            h = pathlib.Path(tmp) / f"{name}.h5"
            try:
                m.save(h)
                put("keras_h5", f"{name}.h5", h.read_bytes())
            except Exception as e:  # noqa: BLE001 - legacy h5 saving may be unavailable
                print(f"no .h5 for {name}: {e}", file=sys.stderr)


def make_onnx_models():
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        import numpy as np
    except ImportError:
        print("no onnx: ONNX seeds skipped", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3), "w")
    b = numpy_helper.from_array(np.ones(3, np.float32), "b")
    shape = numpy_helper.from_array(np.array([-1, 3], np.int64), "shape")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["a"]),
         helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Reshape", ["r", "shape"], ["y"])],
        "mlp", [helper.make_tensor_value_info("x", f, ["N", 4])],
        [helper.make_tensor_value_info("y", f, ["N", 3])], [w, b, shape])
    put("onnx_model", "mlp.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    k = numpy_helper.from_array(np.ones((2, 3, 3, 3), np.float32), "k")
    scale = numpy_helper.from_array(np.full(2, 0.5, np.float32), "s")
    zero = numpy_helper.from_array(np.zeros(2, np.float32), "z")
    g = helper.make_graph(
        [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
         helper.make_node("Conv", ["t", "k"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c", "s", "z", "z", "s"], ["bn"]),
         helper.make_node("Transpose", ["bn"], ["t2"], perm=[0, 2, 3, 1]),
         helper.make_node("Transpose", ["t2"], ["t3"], perm=[0, 3, 1, 2]),
         helper.make_node("GlobalAveragePool", ["t3"], ["p"]),
         helper.make_node("Flatten", ["p"], ["y"])],
        "cnn", [helper.make_tensor_value_info("x", f, [1, 5, 5, 3])],
        [helper.make_tensor_value_info("y", f, [1, 2])], [k, scale, zero])
    put("onnx_model", "cnn.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    c = numpy_helper.from_array(np.array([2.0, 3.0], np.float32), "c")
    g = helper.make_graph(
        [helper.make_node("Mul", ["c", "c"], ["cc"]), helper.make_node("Shape", ["x"], ["sh"]),
         helper.make_node("Cast", ["sh"], ["shf"], to=f), helper.make_node("Concat", ["cc", "shf"], ["cat"], axis=0),
         helper.make_node("Add", ["x", "cat"], ["y"])],
        "fold", [helper.make_tensor_value_info("x", f, [3])],
        [helper.make_tensor_value_info("y", f, [3])], [c])
    put("onnx_model", "fold.onnx", helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)]).SerializeToString())


if __name__ == "__main__":
    main()
