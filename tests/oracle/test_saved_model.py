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
- The corpus SavedModels against their documented values, and bad input (truncated
  saved_model.pb, missing or corrupt variables shards, wrong signature or tag): in
  test_saved_model_corpus.py. Shared helpers and fixtures: saved_model_lib.py.

ONNX inputs/outputs may be named after the signature's tensors ("serving_default_x:0") or its
keys ("x"); the tests accept either, matching by name.

Set ONNXSMITH_BIN to test another onnxsmith binary.
"""

import pathlib

import numpy as np
import pytest

import oracle_lib
from oracle_lib import get_tf, rng_for
from saved_model_lib import (  # noqa: F401  (saved_models, sm_convert, sm_convert_ok are fixtures)
    RESULTS, compare, run_signature, saved_models, signature_io, sm_convert, sm_convert_ok, tf_signature_outputs)


@pytest.fixture(scope="session", autouse=True)
def _print_results():
    yield
    if RESULTS:
        print("\nSavedModel conversions (convert time, max abs / rel error against TF):")
        for name, secs, a, r in RESULTS:
            print(f"  {name:40s} {secs:7.2f} s  max abs err {a:.3g}  max rel err {r:.3g}")

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
    return oracle_lib.randomize_batchnorm(model, "sm_cnn_bn", beta=0.5, mean=0.3)


def _mobilenet_v2():
    import keras

    keras.utils.set_random_seed(oracle_lib.SEED)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))
    # Untrained, the activations die out through the blocks (logits ~1e-11, a uniform softmax
    # that would prove nothing): give every BatchNormalization statistics that keep them alive.
    return oracle_lib.randomize_batchnorm(model, "sm_mobilenet_bn", beta=0.2, mean=0.1, variance=(0.05, 0.2))


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


def _tf1_control_flow_large_variables(path: pathlib.Path):
    """TF1 while_loop and cond (Enter/Switch/Merge frames) reading 64 KiB variables: weights this
    large are frozen into the converter's side table, and raising the frames copies the Consts
    into the bodies, which must get their values back."""
    tf = get_tf()
    rng = rng_for("tf1_cf_large")
    tf.compat.v1.disable_control_flow_v2()
    try:
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [None, 128], name="x")
            w = tf.compat.v1.get_variable(
                "w", initializer=(0.05 * rng.standard_normal((128, 128))).astype(np.float32),
                use_resource=False)
            v = tf.compat.v1.get_variable(
                "v", initializer=(0.05 * rng.standard_normal((128, 128))).astype(np.float32),
                use_resource=False)
            _, h = tf.compat.v1.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w))),
                                           [tf.constant(0), x])
            y = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.matmul(h, v), lambda: h - tf.matmul(h, v))
            y = tf.identity(y, name="y")
            with tf.compat.v1.Session(graph=g) as sess:
                sess.run(tf.compat.v1.global_variables_initializer())
                tf.compat.v1.saved_model.simple_save(sess, str(path), {"x": x}, {"y": y})
    finally:
        tf.compat.v1.enable_control_flow_v2()


def test_tf1_control_flow_reads_large_variables(saved_models, sm_convert_ok, tmp_path):
    sm_dir = saved_models.get("tf1_cf_large", _tf1_control_flow_large_variables)
    out = tmp_path / "tf1_cf_large.onnx"
    model, seconds = sm_convert_ok(sm_dir, out)
    x = rng_for("tf1_cf_large_x").standard_normal((2, 128)).astype(np.float32)
    for sign in (1, -1):  # both branches of the cond
        feed = {"x": sign * np.abs(x)}
        expected = tf_signature_outputs(sm_dir, feed)
        got = run_signature(out, model, sm_dir, feed)
        RESULTS.append((f"TF1 while/cond, 64 KiB variables ({sign:+d})", seconds,
                        *compare(got, expected, "tf1 control flow")))


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
