"""The profiles' layout (NCHW) is enforced (docs/targets.md), checked against ONNX Runtime.

- keras.applications models (channels-last in Keras) converted with --target come out computing
  channels-first: no Transpose round trip (NCHW -> NHWC -> NCHW) is left in the graph, the only
  layout Transposes read a model input or feed a model output (or a Flatten/Reshape), `inspect
  --target` finds them compliant, and ONNX Runtime matches Keras;
- with --inputs-as-nchw/--outputs-as-nchw the boundary Transposes fold into the model's I/O;
- a hand-built graph with ops left channels-last between two Convs is flagged by `inspect --target`
  (both Transposes "unsupported", exit 1; --allow-fallback accepts it), and `optimize --target`
  removes the round trip, numerically equal in ONNX Runtime.
"""

import json

import numpy as np
import pytest

import oracle_lib
from keras_lib import _keras, cached_model, keras_dir  # noqa: F401  (fixtures)
from oracle_lib import check_onnx, describe, run_cli, run_onnx

onnx = pytest.importorskip("onnx")
helper = onnx.helper

TO_NHWC, TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]

APPS = {  # the same names (and cached models) as test_fp16.py
    "fp16_mobilenet_v2": lambda A: A.MobileNetV2(weights=None, input_shape=(64, 64, 3),
                                                 classifier_activation=None),
    "fp16_resnet50": lambda A: A.ResNet50(weights=None, input_shape=(64, 64, 3),
                                          classifier_activation=None),
}


def _perm(node):
    return list(next(a.ints for a in node.attribute if a.name == "perm"))


def _layout_transposes(model):
    return [n for n in model.graph.node if n.op_type == "Transpose" and _perm(n) in (TO_NHWC, TO_NCHW)]


def _inspect(binary, path, target, *extra):
    return run_cli(binary, ["inspect", "--target", target, path, "--json", *extra])


@pytest.mark.parametrize("name", sorted(APPS))
def test_keras_application_converts_to_nchw_compute(name, keras_dir, onnxsmith_bin, tmp_path):  # noqa: F811
    model, paths = cached_model(name, lambda: APPS[name](_keras().applications), keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--keras", paths["keras"], "--output", out,
                                   "--target", "tensorrt"], timeout=600)
    assert proc.returncode == 0, describe(proc)
    m = check_onnx(out)
    graph_inputs = {i.name for i in m.graph.input}
    transposes = _layout_transposes(m)
    # One NHWC -> NCHW Transpose at the input; the classifier's GlobalAveragePool drops the
    # spatial dims, so nothing goes back to channels-last.
    assert len(transposes) == 1 and transposes[0].input[0] in graph_inputs, \
        [(n.name, _perm(n), list(n.input)) for n in transposes]
    proc = _inspect(onnxsmith_bin, out, "tensorrt")
    assert proc.returncode == 0, describe(proc)
    report = json.loads(proc.stdout)
    assert not [n for n in report["nodes"] if n["detail"].startswith("layout")], report["nodes"]
    x = oracle_lib.rng_for(f"layout:{name}").standard_normal((1, 64, 64, 3)).astype(np.float32)
    want = np.asarray(model(x, training=False))
    got = list(run_onnx(out, {m.graph.input[0].name: x}).values())[0]
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * max(1.0, float(np.abs(want).max())))


def test_io_layout_folds_boundary_transposes(tf, onnxsmith_bin, tmp_path):
    k = tf.keras
    inp = k.Input((16, 16, 3), batch_size=1, name="image")
    x = k.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = k.layers.DepthwiseConv2D(3, padding="same")(x)
    out = k.layers.AveragePooling2D(2)(x)
    model = k.Model(inp, out)
    keras_path = tmp_path / "cnn.keras"
    model.save(keras_path)
    plain = tmp_path / "plain.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--keras", keras_path, "--output", plain])
    assert proc.returncode == 0, describe(proc)
    out_name = onnx.load(str(plain)).graph.output[0].name
    dst = tmp_path / "nchw.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--keras", keras_path, "--output", dst, "--target", "qnn",
                                   "--inputs-as-nchw", "image", "--outputs-as-nchw", out_name])
    assert proc.returncode == 0, describe(proc)
    m = check_onnx(dst)
    assert not _layout_transposes(m), [n.name for n in _layout_transposes(m)]
    x = oracle_lib.rng_for("layout:io").standard_normal((1, 16, 16, 3)).astype(np.float32)
    want = np.asarray(model(x)).transpose(0, 3, 1, 2)
    got = list(run_onnx(dst, {m.graph.input[0].name: x.transpose(0, 3, 1, 2)}).values())[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def _round_trip_graph(path):
    """X (NCHW) -> Conv -> Transpose to NHWC -> Add (NHWC bias) -> Relu -> Transpose back -> Conv."""
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((5, 4, 1, 1)).astype(np.float32)
    bias = rng.standard_normal((1, 1, 1, 4)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Transpose", ["c1"], ["t1"], name="to_nhwc", perm=TO_NHWC),
        helper.make_node("Add", ["t1", "bias"], ["a"], name="add_nhwc"),
        helper.make_node("Relu", ["a"], ["r"], name="relu_nhwc"),
        helper.make_node("Transpose", ["r"], ["t2"], name="to_nchw", perm=TO_NCHW),
        helper.make_node("Conv", ["t2", "w2"], ["y"], name="conv2"),
    ]
    graph = helper.make_graph(
        nodes, "round_trip",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 5, 8, 8])],
        [onnx.numpy_helper.from_array(w1, "w1"), onnx.numpy_helper.from_array(w2, "w2"),
         onnx.numpy_helper.from_array(bias, "bias")])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def test_round_trip_flagged_then_removed(onnxsmith_bin, tmp_path):
    src = tmp_path / "round_trip.onnx"
    _round_trip_graph(src)
    proc = _inspect(onnxsmith_bin, src, "openvino")
    assert proc.returncode == 1, describe(proc)
    report = json.loads(proc.stdout)
    flagged = {n["node"]: n for n in report["nodes"] if n["status"] == "unsupported"}
    assert set(flagged) == {"to_nhwc", "to_nchw"}, report["nodes"]
    assert "relu_nhwc" in flagged["to_nhwc"]["detail"] and "layout" in flagged["to_nchw"]["detail"]
    assert _inspect(onnxsmith_bin, src, "openvino", "--allow-fallback").returncode == 0
    # A profile of layout "any" does not look.
    text = (oracle_lib.REPO_ROOT / "targets" / "profiles" / "openvino.json").read_text()
    assert '"layout": "NCHW"' in text
    any_layout = tmp_path / "any-layout.json"
    any_layout.write_text(text.replace('"layout": "NCHW"', '"layout": "any"').replace(
        '"name": "openvino"', '"name": "any-layout"'))
    assert _inspect(onnxsmith_bin, src, any_layout).returncode == 0
    dst, report_path = tmp_path / "nchw.onnx", tmp_path / "r.json"
    proc = run_cli(onnxsmith_bin, ["optimize", src, dst, "--target", "openvino", "--report", report_path])
    assert proc.returncode == 0, describe(proc)
    m = check_onnx(dst)
    assert not _layout_transposes(m), [n.name for n in m.graph.node]
    assert json.loads(report_path.read_text())["target"]["compliant"]
    x = oracle_lib.rng_for("layout:rt").standard_normal((1, 3, 8, 8)).astype(np.float32)
    want = run_onnx(src, {"x": x})["y"]
    np.testing.assert_allclose(run_onnx(dst, {"x": x})["y"], want, rtol=1e-5, atol=1e-5)
