"""`onnxsmith inspect` (issue 16): readable by default, complete with --json.

Each format is inspected and checked against what TensorFlow / Keras / onnx themselves say about
the same file:
- SavedModels (a 64-layer Keras MLP saved with tf.saved_model.save and model.export, and
  keras.applications ResNet50 with weights=None): signatures as saved_model_cli shows them, the
  init-op signature without "DT_INVALID", variables from the checkpoint index (compared with
  tf.train.list_variables), lists capped at 20 ("... and N more"), --max-items N and 0, --json in
  full; ResNet50's default text is under 4,000 characters (it was ~30,000 on one line).
- GraphDefs: op histogram, placeholders with dtype/shape, sinks, function library.
- Keras .keras / .h5: class, layers, weights (Keras's count_params), output shapes.
- ONNX: ir_version, opsets, producer, inputs/outputs, node and initializer counts, and external
  data (onnx.save_model with save_as_external_data).
"""

import json
import pathlib
import re

import numpy as np
import pytest

from oracle_lib import describe, freeze, get_tf, run_cli

MORE = "\u2026 and {} more"
DEFAULT_CAP = 20


def inspect(binary, path, *flags):
    proc = run_cli(binary, ["inspect", str(path), *map(str, flags)])
    assert proc.returncode == 0, describe(proc)
    return proc.stdout


def inspect_json(binary, path):
    return json.loads(inspect(binary, path, "--json"))


def dtype_name(enum):
    """TF's own name of a DataType enum value ("DT_FLOAT")."""
    get_tf()
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Name(enum)


def checkpoint_variables(sm_dir):
    """{key: (dtype name, shape)} from TensorFlow's own checkpoint reader."""
    tf = get_tf()
    reader = tf.train.load_checkpoint(str(pathlib.Path(sm_dir) / "variables" / "variables"))
    dtypes = reader.get_variable_to_dtype_map()
    shapes = reader.get_variable_to_shape_map()
    return {k: (dtype_name(dtypes[k].as_datatype_enum), list(shapes[k]))
            for k in shapes if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def saved_model_proto(sm_dir):
    get_tf()
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((pathlib.Path(sm_dir) / "saved_model.pb").read_bytes())
    return sm


def tf_shape(shape_proto):
    return None if shape_proto.unknown_rank else [d.size for d in shape_proto.dim]


def deep_keras_model(layers=64):
    tf = get_tf()
    inputs = tf.keras.Input(shape=(16,), name="features")
    x = inputs
    for i in range(layers):
        x = tf.keras.layers.Dense(16, activation="relu", name=f"dense_{i}")(x)
    outputs = tf.keras.layers.Dense(3, activation="softmax", name="probs")(x)
    return tf.keras.Model(inputs, outputs, name="deep_mlp")


@pytest.fixture(scope="module")
def deep_saved_models(tmp_path_factory):
    """The same 65-Dense model saved both ways (130 variables each)."""
    tf = get_tf()
    model = deep_keras_model()
    root = tmp_path_factory.mktemp("inspect_sm")
    saved = root / "saved"
    tf.saved_model.save(model, str(saved))
    exported = root / "exported"
    model.export(str(exported), verbose=False)
    return {"saved": saved, "exported": exported}


@pytest.fixture(scope="module")
def resnet50_saved_model(tmp_path_factory):
    tf = get_tf()
    model = tf.keras.applications.ResNet50(weights=None)
    path = tmp_path_factory.mktemp("inspect_resnet") / "resnet50"
    tf.saved_model.save(model, str(path))
    return path


# ------------------------------------------------------------------------------- SavedModel


@pytest.mark.parametrize("how", ["saved", "exported"])
def test_saved_model_json_matches_tensorflow(onnxsmith_bin, deep_saved_models, how):
    sm_dir = deep_saved_models[how]
    doc = inspect_json(onnxsmith_bin, sm_dir)
    assert doc["format"] == "saved_model"
    sm = saved_model_proto(sm_dir)
    assert [sorted(m["tags"]) for m in doc["meta_graphs"]] == [sorted(m.meta_info_def.tags) for m in sm.meta_graphs]
    for mg_doc, mg in zip(doc["meta_graphs"], sm.meta_graphs):
        sigs = {s["key"]: s for s in mg_doc["signatures"]}
        assert set(sigs) == set(mg.signature_def)
        for key, sig in mg.signature_def.items():
            got = sigs[key]
            assert got["method_name"] == sig.method_name
            for side in ("inputs", "outputs"):
                want = {k: (v.name, v.dtype, tf_shape(v.tensor_shape)) for k, v in getattr(sig, side).items()}
                have = {t["key"]: t for t in got[side]}
                assert set(have) == set(want), (key, side)
                for k, (name, dtype, shape) in want.items():
                    assert have[k]["name"] == name
                    assert have[k]["shape"] == shape, (key, k)
                    assert have[k]["dtype"] == (None if dtype == 0 else dtype_name(dtype)), (key, k)
        if "__saved_model_init_op" in sigs:
            assert sigs["__saved_model_init_op"].get("init_op") is True
        assert mg_doc["graph"]["nodes"] == len(mg.graph_def.node)
        assert mg_doc["graph"]["function_library"] == [f.signature.name for f in mg.graph_def.library.function]
    want_vars = checkpoint_variables(sm_dir)
    variables = doc["variables"]
    assert variables["count"] == len(want_vars) >= 130
    assert {v["key"] for v in variables["variables"]} == set(want_vars)
    params = 0
    for v in variables["variables"]:
        dtype, shape = want_vars[v["key"]]
        assert v["shape"] == shape, v
        assert v["dtype"] == dtype, v
        params += int(np.prod(shape))
    assert variables["params"] == params
    # The object graph names every Keras variable.
    names = [v.get("name") for v in variables["variables"] if "dense_7" in v.get("name", "")]
    assert names, "variables should carry their Keras names from the object graph"


@pytest.mark.parametrize("how", ["saved", "exported"])
def test_saved_model_text_is_capped(onnxsmith_bin, deep_saved_models, how):
    sm_dir = deep_saved_models[how]
    text = inspect(onnxsmith_bin, sm_dir)
    count = len(checkpoint_variables(sm_dir))
    assert "signature_def['serving_default']" in text, text
    assert "DT_FLOAT (-1, 16)" in text, text
    assert "DT_INVALID" not in text, text
    assert f"variables: {count} (" in text, text
    assert MORE.format(count - DEFAULT_CAP) in text, text
    assert max(len(line) for line in text.splitlines()) < 200, text
    if how == "saved":
        assert "signature_def['__saved_model_init_op']: initialization" in text, text

    five = inspect(onnxsmith_bin, sm_dir, "--max-items", "5")
    assert MORE.format(count - 5) in five, five
    everything = inspect(onnxsmith_bin, sm_dir, "--max-items", "0")
    assert "\u2026 and" not in everything, everything
    # One line a variable (by name when the object graph gives one, else by key).
    var_lines = everything.split("\nvariables: ", 1)[1].splitlines()[1:]
    assert len(var_lines) == count, everything


def test_resnet50_saved_model_is_short(onnxsmith_bin, resnet50_saved_model):
    text = inspect(onnxsmith_bin, resnet50_saved_model)
    print(text)
    assert len(text) < 4000, f"{len(text)} characters:\n{text}"
    assert "signature_def['serving_default']" in text
    assert "(-1, 224, 224, 3)" in text and "(-1, 1000)" in text, text
    assert "ReadVariableOp" not in text, "the raw graph's sinks are not outputs"
    assert "DT_INVALID" not in text
    doc = inspect_json(onnxsmith_bin, resnet50_saved_model)
    want = checkpoint_variables(resnet50_saved_model)
    assert doc["variables"]["count"] == len(want)
    assert doc["variables"]["params"] == sum(int(np.prod(s)) for _, s in want.values())


# ------------------------------------------------------------------------------- GraphDef


def test_graphdef(onnxsmith_bin, tmp_path):
    tf = get_tf()
    model = deep_keras_model(layers=3)
    frozen = freeze(model, [tf.TensorSpec([None, 16], tf.float32, name="features")], tmp_path / "mlp.pb")
    doc = inspect_json(onnxsmith_bin, frozen.path)
    assert doc["format"] == "graphdef" and doc["encoding"] == "binary"
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(frozen.path.read_bytes())
    hist = {}
    for n in graph_def.node:
        hist[n.op] = hist.get(n.op, 0) + 1
    assert doc["nodes"] == len(graph_def.node)
    assert doc["ops"] == hist
    assert list(doc["ops"].values()) == sorted(hist.values(), reverse=True)
    assert doc["placeholders"] == [{"name": "features:0", "dtype": "DT_FLOAT", "shape": [-1, 16]}]
    assert [s["name"] for s in doc["sinks"]] == frozen.outputs
    assert doc["function_library"] == [] and doc["control_flow_ops"] == []
    text = inspect(onnxsmith_bin, frozen.path, "--max-items", "2")
    assert "features:0  DT_FLOAT (-1, 16)" in text, text
    assert MORE.format(len(hist) - 2) in text, text
    assert frozen.outputs[0] in text, text


# ------------------------------------------------------------------------------- Keras


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras(onnxsmith_bin, tmp_path, suffix):
    model = deep_keras_model(layers=30)
    path = tmp_path / f"mlp{suffix}"
    model.save(str(path))
    doc = inspect_json(onnxsmith_bin, path)
    assert doc["class_name"] == "Functional" and doc["name"] == "deep_mlp"
    assert doc["weights"]["params"] == model.count_params()
    assert doc["weights"]["tensors"] == len(model.weights)
    names = [l["name"] for l in doc["layers"]]
    assert names == [l.name for l in model.layers]
    assert doc["inputs"] == [{"layer": "features", "shape": [-1, 16]}]
    assert [o["shape"] for o in doc["outputs"]] == [[-1 if d is None else d for d in model.output_shape]]
    text = inspect(onnxsmith_bin, path)
    assert f"layers:  {len(model.layers)}" in text, text
    assert MORE.format(len(model.layers) - DEFAULT_CAP) in text, text
    assert "probs  float32 (-1, 3)" in text, text


# ------------------------------------------------------------------------------- ONNX


def test_onnx_and_external_data(onnxsmith_bin, tmp_path):
    import onnx

    tf = get_tf()
    model = deep_keras_model(layers=25)
    frozen = freeze(model, [tf.TensorSpec([None, 16], tf.float32, name="features")], tmp_path / "mlp.pb")
    out = tmp_path / "mlp.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", frozen.path, "--output", out])
    assert proc.returncode == 0, describe(proc)
    proto = onnx.load(str(out))
    doc = inspect_json(onnxsmith_bin, out)
    assert doc["ir_version"] == proto.ir_version
    assert doc["opset_imports"] == [{"domain": o.domain or "ai.onnx", "version": o.version} for o in proto.opset_import]
    assert doc["producer_name"] == proto.producer_name
    assert doc["nodes"] == len(proto.graph.node)
    assert doc["initializers"]["count"] == len(proto.graph.initializer)
    raw = sum(len(t.raw_data) for t in proto.graph.initializer)
    assert doc["initializers"]["bytes"] == raw
    assert doc["external_data"] == {"tensors": 0, "bytes": 0}
    assert [i["name"] for i in doc["inputs"]] == [i.name for i in proto.graph.input]
    text = inspect(onnxsmith_bin, out)
    assert "external data: none" in text, text

    ext = tmp_path / "ext" / "mlp.onnx"
    ext.parent.mkdir()
    onnx.save_model(proto, str(ext), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    doc = inspect_json(onnxsmith_bin, ext)
    assert doc["external_data"] == {"tensors": len(proto.graph.initializer), "bytes": raw}
    text = inspect(onnxsmith_bin, ext)
    assert re.search(r"external data: \d+ tensors", text), text


def test_bad_max_items(onnxsmith_bin, tmp_path):
    path = tmp_path / "empty.pb"
    path.write_bytes(b"")
    proc = run_cli(onnxsmith_bin, ["inspect", str(path), "--max-items", "-1"])
    assert proc.returncode == 1 and "error" in proc.stderr, describe(proc)
