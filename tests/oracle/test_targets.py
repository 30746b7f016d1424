"""`--target NAME` (docs/targets.md) against ONNX Runtime.

For every shipped profile a small Keras CNN (random weights: two branches joined by a Concat, a
depthwise conv, pooling, a Dense layer and a Softmax) is converted and quantized with
`convert --target NAME --quantize int8`; the result must satisfy its own profile (re-checked by
`inspect --target NAME`), pass the onnx checker, run in ONNX Runtime and match the fp32 model there
within the profile's stated SQNR. Bad input: unknown targets, profiles that contradict flags,
--fix-shape on an unknown input and malformed profile files fail clearly and write nothing.
"""

import json
import pathlib
import re

import numpy as np
import pytest

import oracle_lib
from oracle_lib import describe, run_cli

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

PROFILES = oracle_lib.REPO_ROOT / "targets" / "profiles"
TARGETS = sorted(p.stem for p in PROFILES.glob("*.json"))
SAMPLES = 24  # 16 calibrate, 8 held out by the quantizer; the test measures on fresh ones


def load_profile(name):
    text = re.sub(r"^\s*//.*$", "", (PROFILES / f"{name}.json").read_text(), flags=re.M)
    return json.loads(text)


@pytest.fixture(scope="module")
def cnn(tf, tmp_path_factory):
    """(keras file, fp32 onnx, input name, calibration npz, test inputs)."""
    k = tf.keras
    tf.random.set_seed(7)
    inp = k.Input((32, 32, 3), name="image")
    x = k.layers.Conv2D(8, 3, padding="same")(inp)
    x = k.layers.BatchNormalization()(x)
    x = k.layers.ReLU()(x)
    a = k.layers.Conv2D(8, 1)(x)
    b = k.layers.DepthwiseConv2D(3, padding="same")(x)
    x = k.layers.Concatenate()([a, b])
    x = k.layers.MaxPooling2D()(x)
    x = k.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = k.layers.GlobalAveragePooling2D()(x)
    x = k.layers.Dense(10)(x)
    out = k.layers.Softmax()(x)
    model = k.Model(inp, out)
    d = tmp_path_factory.mktemp("targets")
    keras_path = d / "cnn.keras"
    model.save(keras_path)
    return d, keras_path


@pytest.fixture(scope="module")
def fp32(cnn, onnxsmith_bin):
    d, keras_path = cnn
    path = d / "fp32.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--keras", keras_path, "--output", path])
    assert proc.returncode == 0, describe(proc)
    name = onnx.load(str(path)).graph.input[0].name
    rng = np.random.default_rng(15)
    calib = d / "calib.npz"
    np.savez(calib, **{name: rng.uniform(-1, 1, (SAMPLES, 32, 32, 3)).astype(np.float32)})
    test = rng.uniform(-1, 1, (16, 1, 32, 32, 3)).astype(np.float32)
    return path, name, calib, test


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def outputs(path, name, xs):
    s = session(path)
    return np.concatenate([s.run(None, {name: x})[0] for x in xs])


def sqnr(ref, got):
    ref = ref.astype(np.float64)
    err = ref - got.astype(np.float64)
    return 10 * np.log10(np.sum(ref * ref) / max(np.sum(err * err), 1e-30))


@pytest.mark.parametrize("target", TARGETS)
def test_target_profile_satisfied_and_accurate(target, cnn, fp32, onnxsmith_bin, tmp_path):
    d, keras_path = cnn
    fp32_path, name, calib, test = fp32
    profile = load_profile(target)
    out = tmp_path / f"{target}.onnx"
    report = tmp_path / f"{target}.json"
    args = ["convert", "--keras", keras_path, "--output", out, "--target", target, "--quantize", "int8",
            "--calibration", calib, "--report", report]
    if profile.get("shapes") == "static":
        args += ["--fix-shape", f"{name}:1x32x32x3"]
    proc = run_cli(onnxsmith_bin, args, timeout=600)
    assert proc.returncode == 0, describe(proc)
    assert f"target {target}" in proc.stdout and "-> compliant" in proc.stdout, proc.stdout
    oracle_lib.check_onnx(out)
    model = onnx.load(str(out))
    assert oracle_lib.onnx_opset(model) == profile["opset"].get("default", profile["opset"]["max"])
    j = json.loads(report.read_text())
    assert j["target"]["compliant"] is True
    assert j["target"]["counts"]["unsupported"] == 0
    assert j["target"]["counts"]["rewritten"] > 0
    # The file satisfies its own profile when checked from scratch.
    check = run_cli(onnxsmith_bin, ["inspect", "--target", target, out])
    assert check.returncode == 0, describe(check)
    assert "-> compliant" in check.stdout
    q = profile["quantization"]
    zero_points = {}
    for init in model.graph.initializer:
        zero_points[init.name] = onnx.numpy_helper.to_array(init)
    qtypes = set()
    for node in model.graph.node:
        if node.op_type == "QuantizeLinear" and len(node.input) > 2 and node.input[0] not in zero_points:
            zp = zero_points[node.input[2]]
            qtypes.add(str(zp.dtype))
            if q.get("symmetric_activations") and zp.dtype.kind == "i":
                assert np.all(zp == 0), node.name
    assert qtypes == {q["activations"]}, qtypes
    if profile.get("shapes") == "static":
        dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        assert dims == [1, 32, 32, 3]
    ref = outputs(fp32_path, name, test)
    got = outputs(out, name, test)
    db = sqnr(ref, got)
    assert db >= q["min_sqnr_db"], f"{target}: SQNR {db:.1f} dB < {q['min_sqnr_db']} dB"


def test_inspect_target_flags_foreign_scheme(fp32, onnxsmith_bin, tmp_path):
    """A model quantized for the x86 CPU (uint8, asymmetric, int32 bias) is refused by tensorrt."""
    fp32_path, name, calib, _ = fp32
    out = tmp_path / "vnni.onnx"
    proc = run_cli(onnxsmith_bin, ["quantize", fp32_path, out, "--calibration", calib, "--target", "cpu-x86-vnni"])
    assert proc.returncode == 0, describe(proc)
    report = tmp_path / "trt.json"
    check = run_cli(onnxsmith_bin, ["inspect", "--target", "tensorrt", out, "--report", report])
    assert check.returncode == 1, describe(check)
    assert "uint8 activation; the target wants int8" in check.stdout
    assert "int32 bias; the target keeps biases float" in check.stdout
    j = json.loads(report.read_text())
    assert j["compliant"] is False and j["counts"]["unsupported"] > 0
    ok = run_cli(onnxsmith_bin, ["inspect", "--target", "tensorrt", "--allow-fallback", out])
    assert ok.returncode == 0, describe(ok)


def test_optimize_target_fixes_shape(fp32, onnxsmith_bin, tmp_path):
    fp32_path, name, _, _ = fp32
    out = tmp_path / "qnn_fp32.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", fp32_path, out, "--target", "qnn", "--batch", "1",
                                   "--report", tmp_path / "r.json"])
    assert proc.returncode == 0, describe(proc)
    dims = [d.dim_value for d in onnx.load(str(out)).graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 32, 32, 3]
    assert json.loads((tmp_path / "r.json").read_text())["target"]["compliant"] is True
    # Without a static shape the qnn profile is not met: exit 1, nothing written.
    bad = tmp_path / "dynamic.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", fp32_path, bad, "--target", "qnn"])
    assert proc.returncode == 1, describe(proc)
    assert "dynamic shape" in proc.stderr and "--fix-shape" in proc.stderr
    assert not bad.exists()


@pytest.mark.parametrize("case", ["unknown_target", "contradiction", "opset", "fix_shape", "malformed"])
def test_bad_target_input(case, cnn, fp32, onnxsmith_bin, tmp_path):
    d, keras_path = cnn
    fp32_path, name, calib, _ = fp32
    out = tmp_path / "out.onnx"
    if case == "unknown_target":
        proc = run_cli(onnxsmith_bin, ["quantize", fp32_path, out, "--calibration", calib, "--target", "tpu9000"])
        assert proc.returncode == 2, describe(proc)
        assert "unknown target 'tpu9000'" in proc.stderr and "tensorrt" in proc.stderr and "edge-int8" in proc.stderr
    elif case == "contradiction":
        proc = run_cli(onnxsmith_bin, ["quantize", fp32_path, out, "--calibration", calib, "--target", "tensorrt",
                                       "--activations", "uint8"])
        assert proc.returncode == 2, describe(proc)
        assert "--target tensorrt contradicts --activations uint8" in proc.stderr
    elif case == "opset":
        proc = run_cli(onnxsmith_bin, ["convert", "--keras", keras_path, "--output", out, "--target", "qnn-a16w8",
                                       "--opset", "17"])
        assert proc.returncode == 2, describe(proc)
        assert "--target qnn-a16w8 contradicts --opset 17" in proc.stderr
    elif case == "fix_shape":
        proc = run_cli(onnxsmith_bin, ["optimize", fp32_path, out, "--target", "qnn", "--fix-shape", "pixels:1x32x32x3"])
        assert proc.returncode == 1, describe(proc)
        assert f"no input 'pixels' (its inputs: {name})" in proc.stderr
    else:
        profile = tmp_path / "mine.json"
        profile.write_text(json.dumps({"name": "mine", "description": "d", "opset": {"min": 13, "max": 17},
                                       "ops": ["*"], "quantization": {"activations": "uint8", "bias": "int64"}}))
        proc = run_cli(onnxsmith_bin, ["quantize", fp32_path, out, "--calibration", calib, "--target", profile])
        assert proc.returncode == 2, describe(proc)
        assert f"{profile}: field 'quantization.bias': 'int64' is not one of int32, float" in proc.stderr
    assert not out.exists()
