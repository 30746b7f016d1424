"""The optimizer on converted keras.applications models and a Transformer encoder block (issue 4).

Applications (MobileNetV2, ResNet50, EfficientNetB0; weights=None, fixed seed, random biases and
BatchNormalization statistics via keras_lib.randomize, 96x96 input; each built and saved as .h5
once per session) are converted with `onnxsmith convert --keras` three ways: --no-optimize, the
default pipeline, and the default pipeline with --inputs-as-nchw. Checked:
  - every output passes the onnx checker; the optimized model matches the unoptimized one and
    Keras (fp32, max |err| <= 1e-4 * max(1, max |keras|));
  - no BatchNormalization and no Mul/Add by a constant right after a Conv (a BN left unfolded);
  - at most the one Transpose at the NHWC input, and none with --inputs-as-nchw;
  - node count <= tf2onnx's for the same model (TF2ONNX_NODE_COUNTS below; tf2onnx is not in the
    test venv, see measure_tf2onnx_counts.py for how the counts were produced).

Transformer block: two-head self-attention (Dense projections, matmul, Softmax; written out
because keras.layers.MultiHeadAttention's Einsum has no TF handler yet) + LayerNormalization +
Dense(gelu) exported as a
SavedModel (model.export) and converted with `convert --saved-model` (the TF graph path): at
opset 17 both LayerNormalizations are fused (no ReduceMean left), at opsets 20 and 21 the gelu too
(exact and tanh forms); outputs match Keras.
"""

import collections
import pathlib
import shutil

import numpy as np
import pytest

import oracle_lib
from oracle_lib import check_onnx, describe, get_tf, rng_for, run_cli, run_onnx, seed_everything

REL_TOL = 1e-4

APPS = ("mobilenet_v2", "resnet50", "efficientnet_b0")

# tf2onnx 1.17.0 (TF 2.20, onnx 1.19, numpy 2; side venv, see measure_tf2onnx_counts.py),
# `python -m tf2onnx.convert --saved-model <model.export()> --opset 17`, same models (96x96).
# Measured 2026-11-27 (ours at the time: see the test's printed line).
TF2ONNX_NODE_COUNTS = {"mobilenet_v2": 140, "resnet50": 231, "efficientnet_b0": 328}

_CACHE = {}


def build_app(name):
    """The application model, built and randomized exactly like test_keras_applications's."""
    import keras_lib
    import test_keras_applications

    get_tf()
    import keras

    seed_everything()
    return keras_lib.randomize(test_keras_applications.APPLICATIONS[name](keras.applications), name)


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("optimizer_apps")


@pytest.fixture(scope="module")
def cli(work_dir):
    binary = oracle_lib.binary_or_skip()
    snap = work_dir / "onnxsmith"  # a rebuild during the run must not swap the binary
    shutil.copy2(binary, snap)
    return snap


def _convert(cli, source_flag, source, out, *flags):
    proc = run_cli(cli, ["convert", source_flag, str(source), "--output", str(out), *map(str, flags)],
                   timeout=600)
    assert proc.returncode == 0, describe(proc)
    return check_onnx(out)


def _app(name, cli, work_dir):
    """(keras model, {variant: (onnx model, path)}) built and converted once per session."""
    if name not in _CACHE:
        import keras_lib
        import test_keras_applications

        get_tf()
        import keras

        # Shared with test_keras_applications when both run in one session (same build, seed
        # and file).
        model, paths = keras_lib.cached_model(
            name, lambda: test_keras_applications.APPLICATIONS[name](keras.applications), work_dir)
        h5 = paths["h5"]
        converted = {}
        for variant, flags in (("plain", ["--no-optimize"]), ("opt", [])):
            out = work_dir / f"{name}_{variant}.onnx"
            converted[variant] = (_convert(cli, "--keras", h5, out, *flags), out)
        (inp,) = [i.name for i in converted["opt"][0].graph.input]
        out = work_dir / f"{name}_nchw.onnx"
        converted["nchw"] = (_convert(cli, "--keras", h5, out, "--inputs-as-nchw", inp), out)
        _CACHE[name] = (model, converted)
    return _CACHE[name]


def _assert_close(actual, expected, what):
    scale = max(1.0, float(np.max(np.abs(expected))))
    err = float(np.max(np.abs(actual - expected)))
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    assert err <= REL_TOL * scale, f"{what}: max |err| {err:.3g} > {REL_TOL} * {scale:.3g}"
    return err


def _run_single(path, x):
    outs = run_onnx(path, {_input_name(path): x})
    (y,) = outs.values()
    return y


def _input_name(path):
    import onnx

    (i,) = onnx.load(str(path), load_external_data=False).graph.input
    return i.name


def _ops(model):
    return collections.Counter(n.op_type for n in model.graph.node)


def _unfolded_bn(model):
    """Mul/Add/Sub/Div nodes of a constant and a Conv output (through layout ops): a
    BatchNormalization or a bias left unfolded."""
    consts = {i.name for i in model.graph.initializer}
    consts |= {o for n in model.graph.node if n.op_type == "Constant" for o in n.output}
    producer = {o: n for n in model.graph.node for o in n.output}

    def from_conv(v):
        n = producer.get(v)
        while n is not None and n.op_type in ("Transpose", "Reshape", "Identity"):
            n = producer.get(n.input[0])
        return n is not None and n.op_type == "Conv"

    return [n.name for n in model.graph.node
            if n.op_type in ("Mul", "Add", "Sub", "Div")
            and any(from_conv(i) for i in n.input) and any(i in consts for i in n.input)]


@pytest.mark.parametrize("app", APPS)
def test_optimized_application(app, cli, work_dir):
    model, conv = _app(app, cli, work_dir)
    x = rng_for(f"input:{app}").uniform(-1, 1, (2, 96, 96, 3)).astype(np.float32)
    expected = np.asarray(model(x, training=False))
    plain = _run_single(conv["plain"][1], x)
    opt = _run_single(conv["opt"][1], x)
    _assert_close(plain, expected, f"{app} unoptimized vs keras")
    _assert_close(opt, plain, f"{app} optimized vs unoptimized")
    _assert_close(opt, expected, f"{app} optimized vs keras")
    nchw = _run_single(conv["nchw"][1], np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    _assert_close(nchw, expected, f"{app} --inputs-as-nchw vs keras")

    ops = _ops(conv["opt"][0])
    assert ops["BatchNormalization"] == 0, ops
    assert _unfolded_bn(conv["plain"][0]), "the check should see the unoptimized model's BNs"
    assert _unfolded_bn(conv["opt"][0]) == []
    assert ops["Transpose"] <= 1, ops  # the NHWC input's
    assert _ops(conv["nchw"][0])["Transpose"] == 0, _ops(conv["nchw"][0])

    ours = len(conv["opt"][0].graph.node)
    print(f"{app}: {ours} nodes optimized, {len(conv['plain'][0].graph.node)} unoptimized, "
          f"tf2onnx {TF2ONNX_NODE_COUNTS.get(app)}")
    if app in TF2ONNX_NODE_COUNTS:
        assert ours <= TF2ONNX_NODE_COUNTS[app], (ours, TF2ONNX_NODE_COUNTS[app], ops)


# ------------------------------------------------------------------------------------------
# Transformer encoder block through the TF graph
# ------------------------------------------------------------------------------------------


def _encoder_block(approximate):
    get_tf()
    import keras

    seed_everything()
    ops = keras.ops
    inp = keras.Input((16, 32), batch_size=2, name="tokens")

    def heads(t):  # [B, T, 32] -> [B, 2, T, 16]
        return keras.layers.Permute((2, 1, 3))(keras.layers.Reshape((16, 2, 16))(t))

    q, k, v = (heads(keras.layers.Dense(32, name=f"w{c}")(inp)) for c in "qkv")
    scores = keras.layers.Softmax(axis=-1)(ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * 0.25)
    ctx = keras.layers.Reshape((16, 32))(keras.layers.Permute((2, 1, 3))(ops.matmul(scores, v)))
    att = keras.layers.Dense(32, name="wo")(ctx)
    h = keras.layers.LayerNormalization(epsilon=1e-6, name="ln1")(inp + att)
    f = keras.layers.Dense(64, name="ff1")(h)
    f = keras.layers.Activation(lambda t: keras.activations.gelu(t, approximate=approximate),
                                name="gelu")(f)
    f = keras.layers.Dense(32, name="ff2")(f)
    out = keras.layers.LayerNormalization(epsilon=1e-6, name="ln2")(h + f)
    model = keras.Model(inp, out)
    rng = rng_for(f"encoder:{approximate}")
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32)
                               for w in layer.get_weights()])
    return model


@pytest.mark.parametrize("approximate", [False, True], ids=["erf", "tanh"])
@pytest.mark.parametrize("opset", [17, 20, 21])
def test_encoder_block_fusions(opset, approximate, cli, work_dir):
    key = f"encoder_{approximate}"
    if key not in _CACHE:
        model = _encoder_block(approximate)
        sm = work_dir / key
        model.export(str(sm), verbose=False)
        _CACHE[key] = (model, sm)
    model, sm = _CACHE[key]
    out = work_dir / f"{key}_{opset}.onnx"
    onnx_model = _convert(cli, "--saved-model", sm, out, "--opset", opset)
    ops = _ops(onnx_model)
    assert ops["LayerNormalization"] == 2, ops
    assert ops["ReduceMean"] == 0, ops
    if opset >= 20:
        assert ops["Gelu"] == 1, ops
        gelu = [n for n in onnx_model.graph.node if n.op_type == "Gelu"][0]
        approx = {a.name: a.s.decode() for a in gelu.attribute}.get("approximate", "none")
        assert approx == ("tanh" if approximate else "none")
        assert ops["Erf"] == 0 and ops["Tanh"] == 0, ops
    else:
        assert ops["Gelu"] == 0, ops
    x = rng_for("encoder:input").normal(0, 1, (2, 16, 32)).astype(np.float32)
    expected = np.asarray(model(x, training=False))
    _assert_close(_run_single(out, x), expected, f"encoder opset {opset}")


def test_output_bytes_do_not_depend_on_the_thread_count(cli, work_dir):
    """ResNet50 (96x96, 25M weights: big enough for every parallel path: parallel variable reads
    and HWIO->OIHW transposes, speculative rule matching, BN folding, initializer hashing and
    serialization overlapped with the check): `convert --saved-model`, `convert --keras` and
    `optimize` write the same bytes with --threads 1 and --threads 2."""
    model, converted = _app("resnet50", cli, work_dir)
    sm = work_dir / "resnet50_sm"
    if not sm.exists():
        model.export(str(sm), verbose=False)
    import keras_lib

    h5 = keras_lib.cached_model("resnet50", None, work_dir)[1]["h5"]
    plain = converted["plain"][1]
    jobs = {
        "convert --saved-model": ["convert", "--saved-model", str(sm)],
        "convert --keras": ["convert", "--keras", str(h5)],
        "optimize": ["optimize", str(plain)],
    }
    for what, args in jobs.items():
        outputs = []
        for threads in (1, 2):
            out = work_dir / f"threads_{threads}.onnx"
            argv = [*args, "--output", str(out)] if args[0] == "convert" else [*args, str(out)]
            proc = run_cli(cli, [*argv, "--threads", str(threads)], timeout=600)
            assert proc.returncode == 0, describe(proc)
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1], f"{what}: output differs between --threads 1 and 2"
