"""--precision fp16 (issue 15, item 4): float16 weights and compute, checked against TensorFlow /
Keras and ONNX Runtime.

- keras.applications models (random weights, 64x64 inputs) converted with --precision fp16 stay
  within 1e-2 (relative to the output's scale) of Keras' float32 outputs in ONNX Runtime;
- an Exp whose result passes float16's range (65504) stays right because Exp is kept float32 by
  default (and overflows to inf when the default is removed with --keep-fp32-ops -Exp);
- --fp16-io gives float16 model inputs and outputs;
- no Cast sits between two float16 ops, and every float16 value read as float32 is cast once;
- the reference evaluator (`onnxsmith run`) runs the float16 model and matches ONNX Runtime;
- bad flags fail clearly and write nothing.

ONNX Runtime's CPU provider has float16 kernels for few ops; for the others it inserts Casts
around them itself (its InsertCastTransformer), so a float16 model runs but the CPU computes most
ops in float32 and rounds the results to float16 - the same thing the reference evaluator does.
"""

import json
import pathlib

import numpy as np
import pytest

import oracle_lib
from keras_lib import _keras, cached_model, keras_dir  # noqa: F401  (fixtures)
from oracle_lib import check_onnx, describe, freeze, get_tf, run_cli, run_onnx

REL_TOL = 1e-2

APPS = {
    "fp16_mobilenet_v2": lambda A: A.MobileNetV2(weights=None, input_shape=(64, 64, 3),
                                                 classifier_activation=None),
    "fp16_resnet50": lambda A: A.ResNet50(weights=None, input_shape=(64, 64, 3),
                                          classifier_activation=None),
}


def _convert(binary, source_flag, source, out, *extra):
    proc = run_cli(binary, ["convert", source_flag, source, "--output", out, *extra], timeout=600)
    assert proc.returncode == 0, describe(proc)
    return proc


def _elem_types(model):
    """{value name: elem_type} of inputs, outputs, value_info and initializers."""
    types = {}
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        types[vi.name] = vi.type.tensor_type.elem_type
    for t in model.graph.initializer:
        types[t.name] = t.data_type
    return types


def _assert_few_casts(model):
    """No Cast between two float16 ops, and at most one Cast per (value, target type)."""
    import onnx

    producers = {o: n for n in model.graph.node for o in n.output}
    seen = set()
    for n in model.graph.node:
        if n.op_type != "Cast":
            continue
        to = next(a.i for a in n.attribute if a.name == "to")
        key = (n.input[0], to)
        assert key not in seen, f"two Casts of {n.input[0]} to {to}"
        seen.add(key)
        src = producers.get(n.input[0])
        if to == onnx.TensorProto.FLOAT and src is not None and src.op_type == "Cast":
            src_to = next(a.i for a in src.attribute if a.name == "to")
            assert src_to != onnx.TensorProto.FLOAT16, f"Cast to float16 then back: {n.name}"


@pytest.fixture(scope="module")
def app_models(keras_dir, tmp_path_factory, onnxsmith_bin):  # noqa: F811
    """{name: (keras model, fp16 onnx path, report dict)}, converted once per module."""
    keras = _keras()
    out_dir = tmp_path_factory.mktemp("fp16")
    result = {}
    for name, build in APPS.items():
        model, paths = cached_model(name, lambda: build(keras.applications), keras_dir)
        onnx_path = out_dir / f"{name}.onnx"
        report = out_dir / f"{name}.json"
        _convert(onnxsmith_bin, "--keras", paths["keras"], onnx_path, "--precision", "fp16",
                 "--report", report)
        result[name] = (model, onnx_path, json.loads(report.read_text()))
    return result


@pytest.mark.parametrize("name", sorted(APPS))
def test_keras_application_fp16_matches_keras(app_models, name):
    import onnx

    model, onnx_path, report = app_models[name]
    m = check_onnx(onnx_path)
    x = oracle_lib.rng_for(f"fp16:{name}").standard_normal((2, 64, 64, 3)).astype(np.float32)
    want = np.asarray(model(x, training=False))
    got = list(run_onnx(onnx_path, {m.graph.input[0].name: x}).values())[0]
    assert got.dtype == np.float32  # model I/O stays float32 without --fp16-io
    scale = max(1.0, float(np.abs(want).max()))
    err = float(np.abs(got.astype(np.float64) - want).max())
    assert err <= REL_TOL * scale, f"{name}: max abs err {err:.3g} > {REL_TOL} * {scale:.3g}"
    # Weights are float16 (the file is about half the size) and compute is float16.
    f16 = [t for t in m.graph.initializer if t.data_type == onnx.TensorProto.FLOAT16]
    f32 = [t for t in m.graph.initializer if t.data_type == onnx.TensorProto.FLOAT and t.dims
           and np.prod(t.dims) > 16]
    assert f16 and not f32, f"float32 weights left: {[t.name for t in f32][:5]}"
    assert report["nodes_fp16"] > 50 and report["casts_inserted"] <= 4, report
    assert report["check"]["outputs"][0]["sqnr_db"] > 30, report
    _assert_few_casts(m)


def test_fp16_cast_placement(app_models):
    """Only the model's input and output meet a Cast (the whole CNN is float16)."""
    _, onnx_path, report = app_models["fp16_mobilenet_v2"]
    m = check_onnx(onnx_path)
    casts = [n for n in m.graph.node if n.op_type == "Cast"]
    assert len(casts) == 2, [(n.input[0], n.output[0]) for n in casts]
    assert casts[0].input[0] == m.graph.input[0].name
    assert casts[-1].output[0] == m.graph.output[0].name


def test_evaluator_runs_fp16_like_ort(app_models, onnxsmith_bin, tmp_path):
    """`onnxsmith run` on the float16 model matches ONNX Runtime (both compute in float32 and
    round each op's result to float16)."""
    _, onnx_path, _ = app_models["fp16_mobilenet_v2"]
    m = check_onnx(onnx_path)
    x = oracle_lib.rng_for("fp16:evaluator").standard_normal((1, 64, 64, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    proc = run_cli(onnxsmith_bin, ["run", onnx_path, "--input", f"{m.graph.input[0].name}="
                                   f"{tmp_path / 'x.npy'}", "--output-dir", tmp_path])
    assert proc.returncode == 0, describe(proc)
    want = list(run_onnx(onnx_path, {m.graph.input[0].name: x}).values())[0]
    outs = [p for p in tmp_path.glob("*.npy") if p.name != "x.npy"]
    assert len(outs) == 1
    got = np.load(outs[0])
    scale = max(1.0, float(np.abs(want).max()))
    assert np.abs(got - want).max() <= 2e-3 * scale


def _exp_graph(tmp_path):
    tf = get_tf()
    w = oracle_lib.rng_for("fp16:exp").uniform(-2, 2, (8, 4)).astype(np.float32)

    @tf.function
    def fn(x):
        z = tf.matmul(x, w) * 4.0  # |z| up to ~40: exp(z) far past float16's 65504
        return tf.exp(z), tf.nn.softmax(z)

    frozen = freeze(fn, [tf.TensorSpec([2, 8], tf.float32, name="x")], tmp_path / "exp.pb")
    return frozen


def test_exp_overflow_kept_fp32(onnxsmith_bin, tmp_path):
    frozen = _exp_graph(tmp_path)
    x = oracle_lib.rng_for("fp16:exp:x").uniform(-1, 1, (2, 8)).astype(np.float32)
    want = frozen.tf_outputs(x)
    assert np.abs(want[0]).max() > 65504  # the test means something
    out = tmp_path / "exp16.onnx"
    _convert(onnxsmith_bin, "--graphdef", frozen.path, out, "--precision", "fp16")
    check_onnx(out)
    got = list(run_onnx(out, {"x:0": x}).values())
    for g, w in zip(got, want):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, w, rtol=REL_TOL, atol=1e-3)
    # Without the default, exp's float16 result overflows: the default is what saves it. The
    # reference evaluator (the report's check) shows it; ONNX Runtime's CPU provider hides it,
    # since it computes Exp in float32 and drops the float32->float16->float32 Cast pair.
    bad, report = tmp_path / "exp16_bad.onnx", tmp_path / "bad.json"
    _convert(onnxsmith_bin, "--graphdef", frozen.path, bad, "--precision", "fp16",
             "--keep-fp32-ops=-Exp", "--report", report)
    r = json.loads(report.read_text())
    assert "Exp" not in r["kept_fp32_by_op"]
    assert r["check"]["outputs"][0]["sqnr_db"] < 0, r  # inf in the float16 output


def test_fp16_io(onnxsmith_bin, tmp_path):
    import onnx

    frozen = _exp_graph(tmp_path)
    out = tmp_path / "io16.onnx"
    _convert(onnxsmith_bin, "--graphdef", frozen.path, out, "--precision", "fp16", "--fp16-io")
    m = check_onnx(out)
    assert all(v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
               for v in list(m.graph.input) + list(m.graph.output))
    x = oracle_lib.rng_for("fp16:io").uniform(-0.3, 0.3, (2, 8)).astype(np.float16)
    got = list(run_onnx(out, {"x:0": x}).values())
    want = frozen.tf_outputs(x.astype(np.float32))
    for g, w in zip(got, want):
        assert g.dtype == np.float16
        np.testing.assert_allclose(g.astype(np.float32), w, rtol=REL_TOL, atol=1e-3)
    _assert_few_casts(m)
    # The reference evaluator reads and writes float16 .npy files.
    np.save(tmp_path / "x.npy", x)
    proc = run_cli(onnxsmith_bin, ["run", out, "--input", f"x:0={tmp_path / 'x.npy'}",
                                   "--output-dir", tmp_path / "run"])
    assert proc.returncode == 0, describe(proc)
    outs = sorted((tmp_path / "run").glob("*.npy"))
    assert outs and all(np.load(p).dtype == np.float16 for p in outs)


def test_optimize_precision_fp16_report(onnxsmith_bin, tmp_path):
    """The standalone path: `optimize --precision fp16` on an ONNX file, with --report."""
    frozen = _exp_graph(tmp_path)
    fp32 = tmp_path / "fp32.onnx"
    _convert(onnxsmith_bin, "--graphdef", frozen.path, fp32)
    out, report = tmp_path / "opt16.onnx", tmp_path / "r.json"
    proc = run_cli(onnxsmith_bin, ["optimize", fp32, out, "--precision", "fp16", "--report",
                                   report])
    assert proc.returncode == 0, describe(proc)
    assert "SQNR" in proc.stdout
    r = json.loads(report.read_text())
    assert r["kept_fp32_by_op"].get("Exp") == 1 and r["kept_fp32_by_op"].get("Softmax") == 1
    assert r["check"]["samples"] == 4 and len(r["check"]["outputs"]) == 2
    assert all(o["sqnr_db"] > 40 for o in r["check"]["outputs"]), r
    check_onnx(out)


@pytest.mark.parametrize("args,text", [
    (["--precision", "fp16", "--keep-fp32-ops", "Softmax,NotAnOp"], "NotAnOp"),
    (["--fp16-io"], "--precision fp16"),
    (["--keep-fp32-ops", "Exp"], "--precision fp16"),
    (["--precision", "fp8"], "--precision"),
    (["--precision", "fp16", "--quantize", "int8", "--mode", "dynamic"], "exclude"),
])
def test_bad_flags(onnxsmith_bin, tmp_path, args, text):
    frozen = _exp_graph(tmp_path)
    out = tmp_path / "bad.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", frozen.path, "--output", out, *args])
    assert proc.returncode != 0, describe(proc)
    assert text in proc.stderr, describe(proc)
    assert not pathlib.Path(out).exists()


def test_loop_body_converts(onnxsmith_bin, tmp_path):
    """A tf.while_loop (ONNX Loop): the body computes in float16 behind float32 boundaries."""
    import onnx

    tf = get_tf()
    w = oracle_lib.rng_for("fp16:loop").uniform(-0.5, 0.5, (4, 4)).astype(np.float32)

    @tf.function
    def fn(x):
        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, w) + x)

        _, h = tf.while_loop(lambda i, h: i < 5, body, [tf.constant(0), x])
        return tf.nn.relu(h) * 2.0

    frozen = freeze(fn, [tf.TensorSpec([2, 4], tf.float32, name="x")], tmp_path / "loop.pb")
    out = tmp_path / "loop16.onnx"
    _convert(onnxsmith_bin, "--graphdef", frozen.path, out, "--precision", "fp16")
    m = check_onnx(out)
    loop = next(n for n in m.graph.node if n.op_type == "Loop")
    body = next(a.g for a in loop.attribute if a.name == "body")
    matmul = next(n for n in body.node if n.op_type == "MatMul")
    body_types = {t.name: t.data_type for t in body.initializer}
    body_types.update({t.name: t.data_type for t in m.graph.initializer})
    assert body_types.get(matmul.input[1]) == onnx.TensorProto.FLOAT16
    x = oracle_lib.rng_for("fp16:loop:x").uniform(-1, 1, (2, 4)).astype(np.float32)
    got = list(run_onnx(out, {"x:0": x}).values())[0]
    np.testing.assert_allclose(got, frozen.tf_outputs(x)[0], rtol=REL_TOL, atol=1e-2)
