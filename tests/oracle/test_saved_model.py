"""SavedModel conversion (issue 3, SavedModel half), checked against TensorFlow.

`onnxsmith convert --saved-model DIR [--tag serve] [--signature_def serving_default]` reads the
SavedModel natively (MetaGraph by tag set, SignatureDef by key, function library inlined,
variables frozen from the TensorBundle checkpoint) and converts the frozen graph.

- The user's examples of issue 2 (Dense MLP; custom layer with tf.math.square; its Lambda
  variant), a small CNN, a tf.Module with nested tf.functions and several outputs, and
  keras.applications MobileNetV2 (weights=None, fixed seed, 96x96), each saved with
  `model.export()` (Keras 3's ExportArchive) and/or `tf.saved_model.save()`, converted, run in
  ONNX Runtime and compared with the SavedModel run by TensorFlow itself
  (`tf.saved_model.load(dir).signatures[...]`): fp32 atol 1e-4 relative to the output's scale.
- The corpus SavedModels against their documented values (../shared/corpus/MANIFEST.tsv).
- Bad input: truncated saved_model.pb, a missing or corrupt variables shard, a wrong signature
  or tag: exit 1, a clear message, no output file.

ONNX inputs/outputs may be named after the signature's tensors ("serving_default_x:0") or its
keys ("x"); the tests accept either, matching by name.

Set ONNXSMITH_BIN to test another onnxsmith binary.
"""

import pathlib
import shutil
import time
from typing import Dict, Tuple

import numpy as np
import pytest

import oracle_lib
from oracle_lib import assert_close, check_onnx, describe, get_tf, leftovers, max_errors, rng_for, run_cli, run_onnx

ERROR_MARK = "error:"
REL_ATOL = 1e-4  # fp32: atol = 1e-4 * max |expected|
RTOL = 1e-4

# (model, convert seconds, max abs err, max rel err), printed at the end by a session fixture.
RESULTS = []

# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def signature_io(sm_dir, signature="serving_default", tags=("serve",)) -> Tuple[Dict[str, str], Dict[str, str]]:
    """({input key: tensor name}, {output key: tensor name}) read from saved_model.pb."""
    get_tf()
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((pathlib.Path(sm_dir) / "saved_model.pb").read_bytes())
    for mg in sm.meta_graphs:
        if set(mg.meta_info_def.tags) == set(tags):
            sig = mg.signature_def[signature]
            return ({k: v.name for k, v in sig.inputs.items()}, {k: v.name for k, v in sig.outputs.items()})
    raise KeyError(tags)


def _onnx_name_for(names, key, tensor):
    for cand in (tensor, key, tensor.rsplit(":", 1)[0]):
        if cand in names:
            return cand
    raise AssertionError(f"ONNX names {sorted(names)} hold neither signature key {key!r} nor tensor {tensor!r}")


def run_signature(onnx_path, model, sm_dir, feeds_by_key, signature="serving_default"):
    """Runs the ONNX model with inputs given by signature key; returns {output key: array}."""
    ins, outs = signature_io(sm_dir, signature)
    onnx_inputs = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    onnx_outputs = [o.name for o in model.graph.output]
    assert len(onnx_inputs) == len(ins), f"ONNX inputs {onnx_inputs}, signature inputs {ins}"
    assert len(onnx_outputs) == len(outs), f"ONNX outputs {onnx_outputs}, signature outputs {outs}"
    feeds = {_onnx_name_for(onnx_inputs, k, t): feeds_by_key[k] for k, t in ins.items()}
    got = run_onnx(onnx_path, feeds)
    return {k: got[_onnx_name_for(onnx_outputs, k, t)] for k, t in outs.items()}


def tf_signature_outputs(sm_dir, feeds_by_key, signature="serving_default"):
    """The SavedModel's own answer: TF loads it and runs the signature."""
    tf = get_tf()
    loaded = tf.saved_model.load(str(sm_dir))
    fn = loaded.signatures[signature]
    res = fn(**{k: tf.constant(v) for k, v in feeds_by_key.items()})
    return {k: np.asarray(v) for k, v in res.items()}


def compare(got: Dict[str, np.ndarray], expected: Dict[str, np.ndarray], what: str):
    assert sorted(got) == sorted(expected), (sorted(got), sorted(expected))
    worst_abs = worst_rel = 0.0
    for key in sorted(expected):
        e = np.asarray(expected[key])
        g = np.asarray(got[key])
        if e.dtype.kind == "f":
            scale = float(np.max(np.abs(e))) if e.size else 1.0
            assert_close(g, e, atol=REL_ATOL * max(scale, 1e-12), rtol=RTOL, what=f"{what} {key}")
        else:
            assert_close(g, e, what=f"{what} {key}")
        a, r = max_errors(g, e)
        worst_abs, worst_rel = max(worst_abs, a), max(worst_rel, r)
    return worst_abs, worst_rel


def assert_clean_failure(proc, out_dir: pathlib.Path, *must_mention):
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}\n" + describe(proc)
    assert proc.returncode == 1, "expected exit code 1\n" + describe(proc)
    assert ERROR_MARK in proc.stderr, "stderr should say error\n" + describe(proc)
    assert leftovers(out_dir) == [], f"files left in the output dir: {leftovers(out_dir)}\n" + describe(proc)
    for text in must_mention:
        assert str(text) in proc.stderr, f"message should mention {text!r}\n" + describe(proc)


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sm_convert(onnxsmith_bin):
    """sm_convert(saved_model_dir, out, *flags) -> CompletedProcess of `convert --saved-model`."""

    def _convert(sm_dir, out, *flags, timeout: float = 600):
        args = ["convert", "--saved-model", str(sm_dir), "--output", str(out), *map(str, flags)]
        return run_cli(onnxsmith_bin, args, timeout=timeout)

    return _convert


@pytest.fixture(scope="session")
def sm_convert_ok(sm_convert):
    """Converts, asserts success and a PyPI-checker-clean output; returns (ModelProto, seconds)."""

    def _ok(sm_dir, out, *flags):
        start = time.monotonic()
        proc = sm_convert(sm_dir, out, *flags)
        seconds = time.monotonic() - start
        assert proc.returncode == 0, "conversion failed\n" + describe(proc)
        assert pathlib.Path(out).is_file(), "exit 0 but no output file\n" + describe(proc)
        return check_onnx(out), seconds

    return _ok


@pytest.fixture(scope="session", autouse=True)
def _print_results():
    yield
    if RESULTS:
        print("\nSavedModel conversions (convert time, max abs / rel error against TF):")
        for name, secs, a, r in RESULTS:
            print(f"  {name:40s} {secs:7.2f} s  max abs err {a:.3g}  max rel err {r:.3g}")


class SavedModels:
    """Builds each SavedModel once per session."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self.dirs: Dict[str, pathlib.Path] = {}

    def get(self, name: str, build) -> pathlib.Path:
        if name not in self.dirs:
            get_tf()
            oracle_lib.seed_everything()
            path = self.directory / name
            build(path)
            assert (path / "saved_model.pb").is_file(), f"{name}: TF wrote no saved_model.pb"
            self.dirs[name] = path
        return self.dirs[name]


@pytest.fixture(scope="session")
def saved_models(tmp_path_factory) -> SavedModels:
    return SavedModels(tmp_path_factory.mktemp("saved_models"))


# ------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------


def _mlp():
    import keras

    return keras.Sequential(
        [keras.Input(shape=(10,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="softmax")]
    )


def _square(kind):
    tf = get_tf()
    import keras

    class SquareLayer(keras.layers.Layer):
        def call(self, inputs):
            return tf.math.square(inputs)

    square = SquareLayer() if kind == "custom" else keras.layers.Lambda(tf.math.square)
    return keras.Sequential([keras.Input(shape=(10,)), square, keras.layers.Dense(10)])


def _cnn():
    import keras

    inp = keras.Input(shape=(28, 28, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(12, 3, strides=2, padding="same")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.AveragePooling2D(2, strides=2, padding="same")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    out = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inp, out)
    rng = rng_for("sm_cnn_bn")
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, n).astype(np.float32),
                    rng.uniform(-0.5, 0.5, n).astype(np.float32),
                    rng.uniform(-0.3, 0.3, n).astype(np.float32),
                    rng.uniform(0.5, 2.0, n).astype(np.float32),
                ]
            )
    return model


def _mobilenet_v2():
    import keras

    keras.utils.set_random_seed(oracle_lib.SEED)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))
    # Untrained, the activations die out through the blocks (logits ~1e-11, a uniform softmax
    # that would prove nothing): give every BatchNormalization statistics that keep them alive.
    rng = rng_for("sm_mobilenet_bn")
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, n).astype(np.float32),
                    rng.uniform(-0.2, 0.2, n).astype(np.float32),
                    rng.uniform(-0.1, 0.1, n).astype(np.float32),
                    rng.uniform(0.05, 0.2, n).astype(np.float32),
                ]
            )
    return model


KERAS_BUILDERS = {
    "mlp": (_mlp, (10,)),
    "square_custom_layer": (lambda: _square("custom"), (10,)),
    "square_lambda": (lambda: _square("lambda"), (10,)),
    "cnn": (_cnn, (28, 28, 3)),
    "mobilenet_v2_96": (_mobilenet_v2, (96, 96, 3)),
}


def _save_keras(name: str, how: str, path: pathlib.Path):
    tf = get_tf()
    build, _ = KERAS_BUILDERS[name]
    model = build()
    if how == "export":
        model.export(str(path), verbose=False)
    else:
        tf.saved_model.save(model, str(path))


class _NestedModule:
    """A tf.Module (no Keras): variables of two dtypes, a nested tf.function called twice,
    tf.split (a multi-output op inside a function body) and a dict of two outputs."""

    @staticmethod
    def build(path: pathlib.Path):
        tf = get_tf()

        class Nested(tf.Module):
            def __init__(self):
                rng = rng_for("nested_module")
                self.w = tf.Variable(rng.standard_normal((6, 4)).astype(np.float32), name="w")
                self.b = tf.Variable(rng.standard_normal((4,)).astype(np.float32), name="b")
                self.scale = tf.Variable(np.int32(3), name="scale")

            @tf.function
            def affine(self, x):
                return tf.matmul(x, self.w) + self.b

            @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="x")])
            def __call__(self, x):
                h = tf.nn.relu(self.affine(x))
                left, right = tf.split(h, 2, axis=1)
                s = tf.cast(self.scale, tf.float32)
                return {"sum": left * s + right, "act": tf.tanh(self.affine(x * 0.5))}

        m = Nested()
        tf.saved_model.save(m, str(path), signatures={"serving_default": m.__call__})


# ------------------------------------------------------------------------------------------
# Keras and tf.Module SavedModels against TensorFlow
# ------------------------------------------------------------------------------------------

KERAS_CASES = [
    ("mlp", "export"),
    ("mlp", "tf_saved_model_save"),
    ("square_custom_layer", "export"),
    ("square_custom_layer", "tf_saved_model_save"),
    ("square_lambda", "export"),
    ("square_lambda", "tf_saved_model_save"),
    ("cnn", "export"),
    ("mobilenet_v2_96", "export"),
]


@pytest.mark.parametrize("name,how", KERAS_CASES, ids=[f"{n}-{h}" for n, h in KERAS_CASES])
def test_keras_saved_model_matches_tf(name, how, saved_models, sm_convert_ok, tmp_path):
    sm_dir = saved_models.get(f"{name}_{how}", lambda p: _save_keras(name, how, p))
    out = tmp_path / f"{name}_{how}.onnx"
    model, seconds = sm_convert_ok(sm_dir, out)
    ins, _ = signature_io(sm_dir)
    assert len(ins) == 1, ins
    key = next(iter(ins))
    _, shape = KERAS_BUILDERS[name]
    worst = (0.0, 0.0)
    for batch in (1, 3):
        x = rng_for(f"sm:{name}:{batch}").uniform(-1, 1, (batch, *shape)).astype(np.float32)
        expected = tf_signature_outputs(sm_dir, {key: x})
        for k, e in expected.items():
            assert np.std(e) > 1e-3 * np.max(np.abs(e)), f"{name}: TF output {k} is constant; the test would prove nothing"
        got = run_signature(out, model, sm_dir, {key: x})
        errs = compare(got, expected, f"{name} ({how}) batch {batch}")
        worst = (max(worst[0], errs[0]), max(worst[1], errs[1]))
    RESULTS.append((f"{name} ({how})", seconds, *worst))


def test_saved_model_has_no_training_or_variable_ops(saved_models, sm_convert_ok, tmp_path):
    """What reaches ONNX is inference only: no variable, saver or call op survives."""
    sm_dir = saved_models.get("cnn_export", lambda p: _save_keras("cnn", "export", p))
    model, _ = sm_convert_ok(sm_dir, tmp_path / "cnn.onnx")
    ops = {n.op_type for n in model.graph.node}
    assert ops, "empty graph"
    assert not {o for o in ops if o.startswith(("Var", "Read", "Restore", "Save", "Assign"))}, ops
    assert "Conv" in ops, ops


def test_nested_functions_and_multiple_outputs(saved_models, sm_convert_ok, tmp_path):
    sm_dir = saved_models.get("nested_module", _NestedModule.build)
    out = tmp_path / "nested.onnx"
    model, seconds = sm_convert_ok(sm_dir, out)
    x = rng_for("nested_x").standard_normal((5, 6)).astype(np.float32)
    expected = tf_signature_outputs(sm_dir, {"x": x})
    got = run_signature(out, model, sm_dir, {"x": x})
    RESULTS.append(("tf.Module nested functions", seconds, *compare(got, expected, "nested module")))


def test_export_serve_signature(saved_models, sm_convert_ok, tmp_path):
    """Keras 3 exports write a 'serve' signature next to serving_default; --signature_def picks it."""
    sm_dir = saved_models.get("mlp_export", lambda p: _save_keras("mlp", "export", p))
    out = tmp_path / "mlp_serve.onnx"
    model, _ = sm_convert_ok(sm_dir, out, "--signature_def", "serve")
    ins, _ = signature_io(sm_dir, "serve")
    key = next(iter(ins))
    x = rng_for("serve_sig").uniform(-1, 1, (2, 10)).astype(np.float32)
    expected = tf_signature_outputs(sm_dir, {key: x}, "serve")
    compare(run_signature(out, model, sm_dir, {key: x}, "serve"), expected, "serve signature")


def _embedding_export(path: pathlib.Path):
    """Keras Embedding: its lookup of a variable is a ResourceGather in the traced graph."""
    import keras

    model = keras.Sequential(
        [keras.Input((7,), dtype="int32"), keras.layers.Embedding(20, 8), keras.layers.GlobalAveragePooling1D(),
         keras.layers.Dense(3)]
    )
    model.export(str(path), verbose=False)


def test_embedding_resource_gather(saved_models, sm_convert_ok, tmp_path):
    sm_dir = saved_models.get("embedding_export", _embedding_export)
    out = tmp_path / "embedding.onnx"
    model, seconds = sm_convert_ok(sm_dir, out)
    ins, _ = signature_io(sm_dir)
    key = next(iter(ins))
    ids = rng_for("embedding_ids").integers(0, 20, (4, 7)).astype(np.int32)
    expected = tf_signature_outputs(sm_dir, {key: ids})
    got = run_signature(out, model, sm_dir, {key: ids})
    RESULTS.append(("keras Embedding (export)", seconds, *compare(got, expected, "embedding")))


def _resource_ops_module(path: pathlib.Path):
    """tf.gather on a variable traces to ResourceGather; VariableShape reads a variable's shape."""
    tf = get_tf()

    class Table(tf.Module):
        def __init__(self):
            self.table = tf.Variable(rng_for("resource_table").standard_normal((12, 5)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="ids")])
        def __call__(self, ids):
            rows = tf.cast(tf.raw_ops.VariableShape(input=self.table.handle)[0], tf.float32)
            return {"rows": tf.gather(self.table, ids) + rows}

    m = Table()
    tf.saved_model.save(m, str(path), signatures=m.__call__)


def test_resource_gather_and_variable_shape(saved_models, sm_convert_ok, tmp_path):
    sm_dir = saved_models.get("resource_ops_module", _resource_ops_module)
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((sm_dir / "saved_model.pb").read_bytes())
    ops = {n.op for f in sm.meta_graphs[0].graph_def.library.function for n in f.node_def}
    assert {"ResourceGather", "VariableShape"} <= ops, ops
    out = tmp_path / "resource_ops.onnx"
    model, seconds = sm_convert_ok(sm_dir, out)
    ids = np.array([3, 0, 11, 3], np.int32)
    expected = tf_signature_outputs(sm_dir, {"ids": ids})
    got = run_signature(out, model, sm_dir, {"ids": ids})
    RESULTS.append(("ResourceGather/VariableShape module", seconds, *compare(got, expected, "resource ops")))


def _tf1_simple_save(path: pathlib.Path, use_resource: bool):
    """A TF1-style graph (placeholders, get_variable, Session) saved with simple_save; the
    variables are changed after initialization so only the checkpoint has their values."""
    tf = get_tf()
    rng = rng_for(f"tf1_{use_resource}")
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 3], name="x")
        w = tf.compat.v1.get_variable("w", initializer=rng.standard_normal((3, 2)).astype(np.float32),
                                      use_resource=use_resource)
        b = tf.compat.v1.get_variable("b", initializer=rng.standard_normal(2).astype(np.float32),
                                      use_resource=use_resource)
        y = tf.identity(tf.nn.relu(tf.matmul(x, w) + b), name="y")
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run([w.assign(w * 2.0), b.assign(b - 0.25)])
            tf.compat.v1.saved_model.simple_save(sess, str(path), {"x": x}, {"y": y})


@pytest.mark.parametrize("use_resource", [False, True], ids=["VariableV2", "resource"])
def test_tf1_simple_save(use_resource, saved_models, sm_convert_ok, tmp_path):
    sm_dir = saved_models.get(f"tf1_{use_resource}", lambda p: _tf1_simple_save(p, use_resource))
    out = tmp_path / "tf1.onnx"
    model, seconds = sm_convert_ok(sm_dir, out)
    x = rng_for("tf1_x").standard_normal((4, 3)).astype(np.float32)
    expected = tf_signature_outputs(sm_dir, {"x": x})
    got = run_signature(out, model, sm_dir, {"x": x})
    kind = "resource" if use_resource else "VariableV2"
    RESULTS.append((f"TF1 simple_save ({kind})", seconds, *compare(got, expected, "tf1")))


def _while_module(path: pathlib.Path):
    tf = get_tf()

    class Loop(tf.Module):
        def __init__(self):
            self.v = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([], tf.float32, name="x")])
        def __call__(self, x):
            return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * self.v), [tf.constant(0), x])[1]

    m = Loop()
    tf.saved_model.save(m, str(path), signatures=m.__call__)


def test_while_loop_with_variable_converts(saved_models, sm_convert_ok, tmp_path):
    """Functional control flow (a While whose body reads a variable) converts to an ONNX Loop."""
    sm_dir = saved_models.get("while_module", _while_module)
    out = tmp_path / "while.onnx"
    model, seconds = sm_convert_ok(sm_dir, out)
    assert "Loop" in {n.op_type for n in model.graph.node}
    feeds = {"x": np.array(1.5, np.float32)}
    got = run_signature(out, model, sm_dir, feeds)
    RESULTS.append(("While module", seconds, *compare(got, tf_signature_outputs(sm_dir, feeds), "while")))


# ------------------------------------------------------------------------------------------
# The corpus SavedModels against their documented values
# ------------------------------------------------------------------------------------------

# name -> (signature, {key: input}, {key: expected}, extra flags)
CORPUS = {
    "half_plus_two_cpu": (
        "serving_default",
        {"x": np.array([[1], [2], [5]], np.float32)},
        {"y": np.array([[2.5], [3], [4.5]], np.float32)},
        [],
    ),
    "half_plus_two_cpu:regress_x2_to_y3": (
        "regress_x2_to_y3",
        {"inputs": np.array([[1], [2], [5]], np.float32)},
        {"outputs": np.array([[3.5], [4], [5.5]], np.float32)},
        [],
    ),
    "half_plus_two_tf2_cpu": (
        "serving_default",
        {"x": np.array([5], np.float32)},
        {"y": np.array([4.5], np.float32)},
        [],
    ),
    "half_plus_two_tf2_cpu:regress_x2_to_y3": (
        "regress_x2_to_y3",
        {"inputs": np.array([1], np.float32)},
        {"outputs": np.array([3.5], np.float32)},
        [],
    ),
    "matrix_half_plus_two": (
        "serving_default",
        {"x": np.arange(18, dtype=np.float32).reshape(2, 3, 3)},
        {"y": np.arange(18, dtype=np.float32).reshape(2, 3, 3) * 0.5 + 2},
        [],
    ),
    # X has unknown rank in the graph: give it a dynamic 1-D shape, feed a ramp (as tf2onnx).
    "tf2onnx_regression": (
        "serving_default",
        {"X": np.arange(1, 6, dtype=np.float32)},
        {"pred": np.arange(1, 6, dtype=np.float32) * np.float32(0.21396178) + np.float32(1.0495254)},
        ["--inputs", "X:0[-1]"],
    ),
    "tfjs_int64_multiply": (
        "serving_default",
        {"x": np.array([3, 4], np.int64)},
        {"output_0": np.array([18, 24], np.int64)},
        [],
    ),
    # The signature declares scalars (tfjs-node feeds [1,2,3] without shape checks).
    "tfjs_model_multi_output": (
        "serving_default",
        {"x": np.array(3, np.int32), "y": np.array(7, np.int32)},
        {"output_0": np.array(6, np.int32), "output_1": np.array(7, np.int32)},
        [],
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_corpus_saved_model(case, corpus_dir, sm_convert_ok, tmp_path):
    name = case.split(":")[0]
    sm_dir = corpus_dir / "savedmodel" / name
    signature, feeds, expected, flags = CORPUS[case]
    out = tmp_path / f"{name}.onnx"
    model, seconds = sm_convert_ok(sm_dir, out, "--signature_def", signature, *flags)
    got = run_signature(out, model, sm_dir, feeds, signature)
    errs = compare(got, expected, case)
    RESULTS.append((f"corpus {case}", seconds, *errs))
    oracle_lib.CORPUS_RESULTS.append((case, f"savedmodel/{name}", *errs))


def test_corpus_parse_example_signature_is_refused(corpus_dir, sm_convert, tmp_path):
    """classify_x_to_y takes serialized tf.Example protos: ParseExample has no ONNX form, and the
    message says so by op type."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = sm_convert(corpus_dir / "savedmodel/half_plus_two_cpu", out_dir / "m.onnx",
                      "--signature_def", "classify_x_to_y")
    assert_clean_failure(proc, out_dir, "ParseExample")


# ------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


@pytest.fixture
def tf2_copy(corpus_dir, tmp_path):
    """A writable copy of half_plus_two_tf2_cpu."""
    dst = tmp_path / "half_plus_two_tf2"
    shutil.copytree(corpus_dir / "savedmodel/half_plus_two_tf2_cpu", dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def _saved_model_parses(data: bytes) -> bool:
    get_tf()
    from tensorflow.core.protobuf import saved_model_pb2

    try:
        saved_model_pb2.SavedModel().ParseFromString(data)
        return True
    except Exception:
        return False


def test_truncated_saved_model_pb(tf2_copy, sm_convert, tmp_path):
    pb = tf2_copy / "saved_model.pb"
    data = pb.read_bytes()
    tried = 0
    for frac in (0.05, 0.3, 0.6, 0.95):
        off = int(len(data) * frac)
        while off < len(data) and _saved_model_parses(data[:off]):
            off += 1
        pb.write_bytes(data[:off])
        out_dir = tmp_path / f"out_{off}"
        out_dir.mkdir()
        proc = sm_convert(tf2_copy, out_dir / "m.onnx")
        assert_clean_failure(proc, out_dir, "saved_model.pb")
        tried += 1
    assert tried == 4


def test_empty_saved_model_pb(tf2_copy, sm_convert, out_dir):
    (tf2_copy / "saved_model.pb").write_bytes(b"")
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, "saved_model.pb")


def test_missing_variables_shard(tf2_copy, sm_convert, out_dir):
    shard = tf2_copy / "variables/variables.data-00000-of-00001"
    shard.unlink()
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, shard.name)


def test_corrupt_variables_shard(tf2_copy, sm_convert, out_dir):
    """Flipping every byte of the shard breaks the checksum of every variable."""
    shard = tf2_copy / "variables/variables.data-00000-of-00001"
    shard.write_bytes(bytes(b ^ 0x5A for b in shard.read_bytes()))
    proc = sm_convert(tf2_copy, out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, "variable")
    assert "ATTRIBUTES/VARIABLE_VALUE" in proc.stderr or "'a'" in proc.stderr or "'b'" in proc.stderr, describe(proc)


def test_truncated_variables_shard(tf2_copy, sm_convert, out_dir):
    shard = tf2_copy / "variables/variables.data-00000-of-00001"
    shard.write_bytes(shard.read_bytes()[:5])
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, shard.name)


def test_missing_variables_dir_when_needed(tf2_copy, sm_convert, out_dir):
    shutil.rmtree(tf2_copy / "variables")
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, "variables")


def test_wrong_signature_lists_available(corpus_dir, sm_convert, out_dir):
    proc = sm_convert(corpus_dir / "savedmodel/half_plus_two_cpu", out_dir / "m.onnx",
                      "--signature_def", "no_such_signature")
    assert_clean_failure(proc, out_dir, "no_such_signature", "serving_default", "regress_x_to_y",
                         "classify_x_to_y")


def test_wrong_tag_lists_available(corpus_dir, sm_convert, out_dir):
    proc = sm_convert(corpus_dir / "savedmodel/half_plus_two_tf2_cpu", out_dir / "m.onnx",
                      "--tag", "train")
    assert_clean_failure(proc, out_dir, "train", "[serve]")


def test_not_a_saved_model_directory(tmp_path, sm_convert, out_dir):
    d = tmp_path / "empty_dir"
    d.mkdir()
    assert_clean_failure(sm_convert(d, out_dir / "m.onnx"), out_dir, "saved_model.pb")
