"""The Python package (issue 18): `onnxsmith.from_keras(model)` and friends on the native core.

The package is imported from a staging directory holding python/onnxsmith and the extension
built by Bazel (ONNXSMITH_NATIVE, default <repo>/bazel-bin/python/_native.so, the
//python:_native.so target); the tests skip when it is absent. One test installs the package
into a fresh venv offline with pip, which runs Bazel through python/build_backend.py.
"""

import os
import pathlib
import subprocess
import sys
import threading

import numpy as np
import pytest

from keras_lib import _keras, cached_model, compare_with_keras, keras_dir  # noqa: F401
from oracle_lib import REPO_ROOT, assert_close, check_onnx, freeze, get_tf, rng_for, run_cli, run_onnx
from test_user_examples import _build_mlp, _build_square


def _compare(model, onnx_model, path, key, batches=(1, 4)):
    """ONNX Runtime on the converted file against the Keras model itself."""
    (inp,) = onnx_model.graph.input
    for batch in batches:
        x = rng_for(f"{key}:{batch}").standard_normal((batch, 10)).astype(np.float32)
        (got,) = run_onnx(path, {inp.name: x}).values()
        assert_close(got, np.asarray(model(x, training=False)), what=f"{key} batch {batch}")


# ------------------------------------------------------------------ the user's three examples


@pytest.mark.parametrize("name,via", [("mlp", ".keras"), ("custom_layer", "model.export()"),
                                      ("lambda", "model.export()")])
def test_seed_examples(onnxsmith, name, via, tmp_path):
    import onnx

    get_tf()
    model = _build_mlp() if name == "mlp" else _build_square(name)
    out = tmp_path / "model.onnx"
    onnx_model, report = onnxsmith.from_keras(model, output_path=str(out))
    onnx.checker.check_model(onnx_model, full_check=True)
    check_onnx(out)
    assert isinstance(onnx_model, onnx.ModelProto)
    assert report["opset"] == 17 and report["output_path"] == str(out)
    assert report["keras_path"].startswith(via), report["keras_path"]
    if name != "mlp":
        assert "Square" in report["tf_ops"], report["tf_ops"]
    _compare(model, onnx_model, out, f"py:{name}")


def test_seed_example_opset13(onnxsmith, tmp_path):
    import onnx

    get_tf()
    model = _build_mlp()
    onnx_model, report = onnxsmith.from_keras(model, opset=13, output_path=str(tmp_path / "m.onnx"))
    onnx.checker.check_model(onnx_model, full_check=True)
    assert [o.version for o in onnx_model.opset_import if o.domain in ("", "ai.onnx")] == [13]
    _compare(model, onnx_model, tmp_path / "m.onnx", "py:opset13")


# ------------------------------------------------------------------ larger models, tf.function


def _mobilenet_v2(keras_dir):
    """(model, {"h5": path, "keras": path}), shared with test_keras_applications' cache."""
    keras = _keras()
    return cached_model(
        "mobilenet_v2",
        lambda: keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                               classifier_activation=None),
        keras_dir)


def test_mobilenet_v2(onnxsmith, keras_dir, tmp_path):
    model, _ = _mobilenet_v2(keras_dir)
    out = tmp_path / "mobilenet_v2.onnx"
    _, report = onnxsmith.from_keras(model, output_path=str(out))
    assert report["keras_path"] == ".keras"
    compare_with_keras(model, out, "mobilenet_v2", "python", report["times_ms"]["total"] / 1e3,
                       batches=(2,))


def test_from_function(onnxsmith, tmp_path):
    tf = get_tf()
    w = tf.Variable(rng_for("py:fn:w").standard_normal((6, 3)).astype(np.float32))

    @tf.function
    def f(x):
        return tf.nn.relu(tf.matmul(x, w)) * 2.0 + tf.reduce_mean(x, axis=1, keepdims=True)

    spec = [tf.TensorSpec([None, 6], tf.float32, name="x")]
    onnx_model, report = onnxsmith.from_function(f, input_signature=spec,
                                                 output_path=str(tmp_path / "f.onnx"))
    check_onnx(tmp_path / "f.onnx")
    x = rng_for("py:fn:x").standard_normal((5, 6)).astype(np.float32)
    (got,) = run_onnx(tmp_path / "f.onnx", {"x:0": x}).values()
    assert_close(got, f(x).numpy())
    # The same model on onnxsmith's reference evaluator, through run().
    (ref,) = onnxsmith.run(onnx_model, {"x:0": x}).values()
    assert_close(ref, f(x).numpy())


def test_from_function_while_loop(onnxsmith, tmp_path):
    tf = get_tf()

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def f(x):
        i = tf.constant(0)
        _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 1.5 + 1.0), [i, x])
        return y

    try:
        onnxsmith.from_function(f, output_path=str(tmp_path / "w.onnx"))
    except onnxsmith.ConversionError as e:
        if e.code == "UNIMPLEMENTED" and "While" in str(e):
            pytest.skip(f"control flow not converted yet: {str(e).splitlines()[0]}")
        raise
    x = rng_for("py:while").standard_normal((2, 4)).astype(np.float32)
    (got,) = run_onnx(tmp_path / "w.onnx", {"x:0": x}).values()
    assert_close(got, f(x).numpy())


# ------------------------------------------------------------------ optimize, quantize, run


def test_optimize_quantize_run(onnxsmith, tmp_path):
    get_tf()
    model = _build_mlp()
    raw, report = onnxsmith.from_keras(model, optimize=False)
    assert report["optimizer"] is None and report["output_path"] is None
    optimized, opt_report = onnxsmith.optimize(raw, tmp_path / "opt.onnx")
    assert opt_report["optimizer"]["nodes_after"] <= opt_report["optimizer"]["nodes_before"]
    (name,) = [i.name for i in optimized.graph.input]
    x = rng_for("py:oqr").standard_normal((64, 10)).astype(np.float32)
    (got,) = onnxsmith.run(tmp_path / "opt.onnx", {name: x}).values()
    assert_close(got, np.asarray(model(x, training=False)))

    quantized, q_report = onnxsmith.quantize(optimized, calibration={name: x},
                                             output_path=tmp_path / "q.onnx")
    check_onnx(tmp_path / "q.onnx")
    assert q_report["mode"] == "static" and q_report["nodes_quantized"] > 0, q_report
    assert "QuantizeLinear" in {n.op_type for n in quantized.graph.node}
    assert q_report["outputs"][0]["sqnr_db"] > 15, q_report["outputs"]
    # The same in one call from Keras.
    _, one_call = onnxsmith.from_keras(model, quantize="static", calibration={name: x})
    assert one_call["quantize"]["nodes_quantized"] == q_report["nodes_quantized"]


# ------------------------------------------------------------------ errors


@pytest.fixture(scope="module")
def unsupported_pb(onnxsmith, tmp_path_factory):
    """A frozen graph with an op onnxsmith has no handler for (Dawsn)."""
    tf = get_tf()
    path = tmp_path_factory.mktemp("unsupported") / "dawsn.pb"
    freeze(lambda x: tf.math.special.dawsn(x) + 1.0, [tf.TensorSpec([None, 4], tf.float32)], path)
    return path


def test_unsupported_op_error(onnxsmith, unsupported_pb, onnxsmith_bin, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "m.onnx"
    with pytest.raises(onnxsmith.ConversionError) as info:
        onnxsmith.from_graph_def(str(unsupported_pb), output_path=str(out))
    error = info.value
    assert "Dawsn" in str(error) and error.code == "UNIMPLEMENTED", str(error)
    assert list(out_dir.iterdir()) == [], "a file was left at or next to output_path"
    # The CLI prints the same message.
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", str(unsupported_pb), "--output", str(out)])
    assert proc.returncode == 1
    assert f"onnxsmith convert: error: {error}" in proc.stderr, proc.stderr


def test_unsupported_op_from_function(onnxsmith, tmp_path):
    tf = get_tf()
    f = tf.function(lambda x: tf.math.special.dawsn(x),
                    input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    with pytest.raises(onnxsmith.ConversionError, match="Dawsn"):
        onnxsmith.from_function(f, output_path=str(tmp_path / "m.onnx"))
    assert list(tmp_path.iterdir()) == []


def test_unknown_target(onnxsmith, tmp_path):
    """target= is the CLI's --target (tests/oracle/test_python_edge.py): a bad name fails clearly."""
    with pytest.raises(onnxsmith.ConversionError, match="no-such-target"):
        onnxsmith.from_graph_def(str(tmp_path / "missing.pb"), target="no-such-target")


# ------------------------------------------------------------------ GIL, packaging


def test_gil_released(onnxsmith, keras_dir):
    """Two threads convert at once: the extension counts calls inside native code (with the
    GIL released) and records the most at the same time. Holding the GIL would keep it at 1."""
    _, files = _mobilenet_v2(keras_dir)
    native = sys.modules["onnxsmith._native"]
    barrier = threading.Barrier(2)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(3):
                onnxsmith._core.convert_file("keras", files["keras"])
        except Exception as e:  # reported by the main thread
            errors.append(e)

    native.reset_native_stats()
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert native.native_stats()["max_active"] == 2, native.native_stats()


def test_import_without_tensorflow(onnxsmith, tmp_path):
    """`import onnxsmith` and the ONNX-file functions never import TensorFlow or Keras."""
    get_tf()
    onnx_model, _ = onnxsmith.from_keras(_build_mlp(), output_path=str(tmp_path / "m.onnx"))
    stage = pathlib.Path(onnxsmith.__file__).parent.parent
    code = (
        "import sys\n"
        "sys.modules['tensorflow'] = None; sys.modules['keras'] = None\n"
        "import numpy as np, onnxsmith\n"
        f"m, r = onnxsmith.optimize({str(tmp_path / 'm.onnx')!r})\n"
        f"out = onnxsmith.run(m, {{{onnx_model.graph.input[0].name!r}: np.ones((2, 10), np.float32)}})\n"
        "print(list(out.values())[0].shape)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(stage)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(2, 10)"


def test_import_after_tensorflow(onnxsmith):
    """TensorFlow (with its own protobuf), onnx and onnxruntime loaded before the extension: it
    must still use Debian's libprotobuf consistently (RTLD_DEEPBIND, see onnxsmith/_load.py;
    without it this segfaults in protobuf code)."""
    stage = pathlib.Path(onnxsmith.__file__).parent.parent
    code = (
        "import tensorflow, keras, onnx, onnxruntime\n"
        "import onnxsmith\n"
        "model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(4)])\n"
        "m, report = onnxsmith.from_keras(model)\n"
        "print(type(m).__name__, report['onnx_nodes'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(stage)},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[0] == "ModelProto", proc.stdout


def test_pip_install_fresh_venv(onnxsmith, tmp_path):
    """pip installs the package offline into a venv without system site packages; the
    backend runs Bazel (a cache hit after the build above) and needs no build requirements."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    env.pop("PYTHONPATH", None)
    env.pop("ONNXSMITH_NATIVE", None)  # the real thing: the backend runs Bazel
    proc = subprocess.run([*pip, "install", "-q", "--no-index", "--no-build-isolation",
                           str(REPO_ROOT / "python")], env=env, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code = ("import onnxsmith, sys\n"
            "assert 'tensorflow' not in sys.modules\n"
            "print(onnxsmith.__file__, onnxsmith.version())\n")
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", code], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert str(venv) in proc.stdout and "onnxsmith 0." in proc.stdout, proc.stdout
