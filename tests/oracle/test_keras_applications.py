"""keras.applications MobileNetV2 / ResNet50 / DenseNet121 / EfficientNetB0 (weights=None,
fixed seed, 96x96) as .h5 and .keras files, and three of them as SavedModels, compared with
Keras' own outputs (see keras_lib.randomize for how)."""

import time

import pytest

import oracle_lib
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras,
    _report,
    cached_model,
    compare_with_keras,
    convert_keras,
    convert_ok,
    keras_dir,
)
from oracle_lib import describe

APPLICATIONS = {
    "mobilenet_v2": lambda A: A.MobileNetV2(weights=None, input_shape=(96, 96, 3), classifier_activation=None),
    "resnet50": lambda A: A.ResNet50(weights=None, input_shape=(96, 96, 3), classifier_activation=None),
    "densenet121": lambda A: A.DenseNet121(weights=None, input_shape=(96, 96, 3), classifier_activation=None),
    "efficientnet_b0": lambda A: A.EfficientNetB0(weights=None, input_shape=(96, 96, 3), classifier_activation=None),
}



@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("app", list(APPLICATIONS))
def test_applications(app, fmt, convert_keras, keras_dir, tmp_path):
    keras = _keras()
    model, paths = cached_model(app, lambda: APPLICATIONS[app](keras.applications), keras_dir)
    out = tmp_path / f"{app}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    compare_with_keras(model, out, app, fmt, proc.seconds, batches=(2,))


# MobileNetV2 as a SavedModel is in test_saved_model.py; these are the other three, exported
# from the same (cached) models the .h5/.keras tests use, converted with `convert --saved-model`.
@pytest.mark.parametrize("app", ["resnet50", "densenet121", "efficientnet_b0"])
def test_applications_saved_model(app, keras_dir):
    keras = _keras()
    model, _ = cached_model(app, lambda: APPLICATIONS[app](keras.applications), keras_dir)
    sm_dir = keras_dir / f"{app}_export"
    if not sm_dir.exists():
        model.export(str(sm_dir), verbose=False)
    cli = oracle_lib.binary_or_skip()
    out = keras_dir / f"{app}_sm.onnx"
    start = time.perf_counter()
    proc = oracle_lib.run_cli(cli, ["convert", "--saved-model", str(sm_dir), "--output", str(out)],
                              timeout=600)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, "conversion failed\n" + describe(proc)
    compare_with_keras(model, out, app, "sm", seconds, batches=(2,))

