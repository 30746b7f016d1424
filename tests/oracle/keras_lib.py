"""Shared by the Keras oracle tests (test_keras*.py): the converter runner and its fixtures,
weight randomization, saving as .h5 and .keras, the comparison with Keras' own outputs, and the
per-session model cache.

Conversion goes through `onnxsmith convert --keras FILE --output OUT`.

A test module uses the fixtures by importing them (`from keras_lib import convert_keras,
keras_dir, _report`); `_report` prints the matched models when the module ends.
"""

import pathlib
import shutil
import subprocess
import time

import numpy as np
import pytest

import oracle_lib
from oracle_lib import check_onnx, describe, get_tf, rng_for, run_onnx, seed_everything

# max |onnx - keras| <= REL_TOL * max(1, max |keras|)
REL_TOL = 1e-4
# For chaotic models: how many times Keras's own rounding noise an error may be.
CHAOS_FACTOR = 20
# (model, format, seconds to convert, max abs err, output scale)
RESULTS = []


# ------------------------------------------------------------------------------------------
# Converting
# ------------------------------------------------------------------------------------------


class KerasConverter:
    """Runs `onnxsmith convert --keras` from a snapshot of the binary."""

    def __init__(self, tmp_dir: pathlib.Path):
        cli = oracle_lib.binary_or_skip()
        # A snapshot: a rebuild during the run must not swap the binary.
        self.cli = tmp_dir / "onnxsmith"
        shutil.copy2(cli, self.cli)

    def __call__(self, model_path, out, opset=None, timeout=600):
        args = [str(self.cli), "convert", "--keras", str(model_path), "--output", str(out)]
        if opset is not None:
            args += ["--opset", str(opset)]
        start = time.perf_counter()
        proc = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=timeout)
        proc.seconds = time.perf_counter() - start
        return proc


@pytest.fixture(scope="session")
def convert_keras(tmp_path_factory):
    return KerasConverter(tmp_path_factory.mktemp("keras_bin"))


@pytest.fixture(scope="session")
def keras_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("keras_models")


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    if not RESULTS:
        return
    tr = request.config.pluginmanager.getplugin("terminalreporter")
    capman = request.config.pluginmanager.getplugin("capturemanager")
    if tr is None or capman is None:
        return
    with capman.global_and_fixture_disabled():
        tr.write_line("")
        tr.write_line("Keras models converted and matched (max abs err vs Keras; output scale):")
        for name, fmt, secs, err, scale in RESULTS:
            tr.write_line(f"  {name:34s} {fmt:6s} convert {secs * 1000:8.1f} ms   "
                          f"max abs err {err:.3g}   scale {scale:.3g}")


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def _keras():
    get_tf()
    import keras

    return keras


def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _all_layers(layer)
        else:
            yield layer


def randomize(model, key):
    """Random biases and BatchNormalization statistics, so that no layer is an identity."""
    rng = rng_for(f"weights:{key}")
    for layer in _all_layers(model):
        weights = layer.weights
        if not weights:
            continue
        values = layer.get_weights()
        new = []
        for w, v in zip(weights, values):
            short = w.name.split("/")[-1].split(":")[0]
            if v.dtype.kind != "f":
                new.append(v)
            elif short == "gamma":
                new.append(rng.uniform(0.5, 1.5, v.shape).astype(v.dtype))
            elif short in ("beta", "moving_mean"):
                new.append(rng.normal(0.0, 0.2, v.shape).astype(v.dtype))
            elif short == "moving_variance":
                new.append(rng.uniform(0.5, 2.0, v.shape).astype(v.dtype))
            elif short == "bias":
                new.append(rng.normal(0.0, 0.1, v.shape).astype(v.dtype))
            elif short == "alpha":  # PReLU
                new.append(rng.uniform(0.05, 0.5, v.shape).astype(v.dtype))
            else:
                new.append(v)
        layer.set_weights(new)
    return model


def save_both(model, directory: pathlib.Path, name: str):
    """{'h5': path, 'keras': path}."""
    paths = {"h5": directory / f"{name}.h5", "keras": directory / f"{name}.keras"}
    if not paths["h5"].exists():
        model.save(str(paths["h5"]))
    if not paths["keras"].exists():
        model.save(str(paths["keras"]))
    return paths


def _feeds_for(model, onnx_path, batch, key, integer_inputs=None):
    import onnx

    m = onnx.load(str(onnx_path))
    inits = {i.name for i in m.graph.initializer}
    rng = rng_for(key)
    feeds = {}
    for vi, kin in zip([i for i in m.graph.input if i.name not in inits], model.inputs):
        dims = [d.dim_value if d.HasField("dim_value") else batch for d in vi.type.tensor_type.shape.dim]
        if integer_inputs and vi.name in integer_inputs:
            lo, hi = integer_inputs[vi.name]
            feeds[vi.name] = rng.integers(lo, hi, dims).astype(np.dtype(kin.dtype))
        else:
            feeds[vi.name] = rng.standard_normal(dims).astype(np.float32)
    return feeds


def _keras_rounding_noise(model, args, expected):
    """How far Keras's own outputs move when the same rows run one at a time (other kernels,
    other rounding): the floor under which a chaotic model's outputs mean nothing."""
    rows = []
    for i in range(args[0].shape[0]):
        one = model([a[i:i + 1] for a in args] if len(args) > 1 else args[0][i:i + 1], training=False)
        rows.append([np.asarray(o) for o in (one if isinstance(one, (list, tuple)) else [one])])
    return max(float(np.abs(np.concatenate([r[k] for r in rows]).astype(np.float64) - e).max())
               for k, e in enumerate(expected))


def compare_with_keras(model, onnx_path, name, fmt, seconds, batches=(1, 3), integer_inputs=None,
                       input_names=None, output_names=None, feed_hook=None, chaotic=False):
    """chaotic: the model amplifies float32 rounding (e.g. deep random BatchNormalization
    statistics), so the tolerance is also at least CHAOS_FACTOR times Keras's own rounding noise."""
    onnx_model = check_onnx(onnx_path)
    in_names = [i.name for i in onnx_model.graph.input]
    if input_names is not None:
        assert in_names == input_names, f"ONNX inputs {in_names}, expected {input_names}"
    if output_names is not None:
        outs = [o.name for o in onnx_model.graph.output]
        assert outs == output_names, f"ONNX outputs {outs}, expected {output_names}"
    worst, scale_seen = 0.0, 0.0
    for batch in batches:
        feeds = _feeds_for(model, onnx_path, batch, f"{name}:{fmt}:{batch}", integer_inputs)
        if feed_hook is not None:
            feed_hook(feeds)
        args = [feeds[n] for n in in_names]
        expected = model(args if len(args) > 1 else args[0], training=False)
        if isinstance(expected, dict):
            expected = list(expected.values())
        if not isinstance(expected, (list, tuple)):
            expected = [expected]
        expected = [np.asarray(e) for e in expected]
        noise = _keras_rounding_noise(model, args, expected) if chaotic else 0.0
        got = list(run_onnx(onnx_path, feeds).values())
        assert len(got) == len(expected)
        for k, (g, e) in enumerate(zip(got, expected)):
            assert g.shape == e.shape, f"output {k}: shape {g.shape}, Keras {e.shape}"
            scale = max(1.0, float(np.abs(e).max()) if e.size else 1.0)
            err = float(np.abs(g.astype(np.float64) - e.astype(np.float64)).max()) if e.size else 0.0
            worst = max(worst, err)
            scale_seen = max(scale_seen, float(np.abs(e).max()) if e.size else 0.0)
            assert err <= max(REL_TOL * scale, CHAOS_FACTOR * noise), (
                f"{name} ({fmt}) batch {batch} output {k}: max abs err {err:.3g} > "
                f"{REL_TOL} * {scale:.3g} (Keras's own rounding noise {noise:.3g})")
    RESULTS.append((name, fmt, seconds, worst, scale_seen))
    return onnx_model


def keras_input_names(model):
    """Names of the model's input layers (what the ONNX inputs are called)."""
    cfg = model.get_config()
    layers = cfg.get("input_layers")
    if layers is None:  # Sequential: its first layer is the InputLayer
        return [cfg["layers"][0]["config"]["name"]]
    if layers and isinstance(layers[0], str):
        layers = [layers]
    return [entry[0] for entry in layers]


def _mask_some_steps(feeds):
    """Zero whole steps of a sequence input named "seq" (so that Masking has work to do)."""
    if "seq" in feeds and feeds["seq"].ndim == 3 and feeds["seq"].shape[1] >= 4:
        feeds["seq"][:, 1, :] = 0
        feeds["seq"][0, 3, :] = 0


def convert_ok(convert_keras, model_path, out, opset=None):
    proc = convert_keras(model_path, out, opset=opset)
    assert proc.returncode == 0, "conversion failed\n" + describe(proc)
    assert pathlib.Path(out).is_file(), "exit 0 but no output file\n" + describe(proc)
    return proc


def op_types(onnx_model):
    return {n.op_type for n in onnx_model.graph.node}


def build_user_mlp():
    """The user's example (test_keras.py, and a valid file to break in test_keras_errors.py)."""
    keras = _keras()
    return keras.Sequential([
        keras.Input(shape=(10,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


_MODEL_CACHE = {}


def cached_model(name, build, keras_dir):
    """(model, {'h5': path, 'keras': path}), built, randomized and saved once per session."""
    if name not in _MODEL_CACHE:
        get_tf()
        seed_everything()
        model = randomize(build(), name)
        _MODEL_CACHE[name] = (model, save_both(model, keras_dir, name))
    return _MODEL_CACHE[name]



def expect_conversion_error(convert_keras, model_path, out, *texts):
    """Converts `model_path`, which must fail with exit 1, a message holding every one of
    `texts`, and no output file; returns the process."""
    proc = convert_keras(model_path, out)
    assert proc.returncode == 1, describe(proc)
    for text in texts:
        assert text in proc.stderr, proc.stderr
    assert not pathlib.Path(out).exists(), "an output file was written"
    return proc
