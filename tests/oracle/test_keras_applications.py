"""keras.applications architectures (weights=None, fixed seed, small inputs) as .h5 and .keras
files, and three of them as SavedModels, compared with Keras' own outputs (see
keras_lib.randomize for how).

CI runs a representative subset: one model per family, covering keras.applications' own layer
classes (ConvNeXt's LayerScale and StochasticDepth, InceptionResNetV2's CustomScaleLayer). The
other (bigger) sizes of each family run with ONNXSMITH_ALL_KERAS_APPS=1.
"""

import os
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


def _app(cls, size):
    return lambda A: getattr(A, cls)(weights=None, input_shape=(size, size, 3), classifier_activation=None)


# One per family (CI), then the rest (ONNXSMITH_ALL_KERAS_APPS=1): small inputs where allowed
# (InceptionV3 / InceptionResNetV2 need >= 75, Xception >= 71; NASNet with its top needs 224/331).
REPRESENTATIVE = {
    "mobilenet": ("MobileNet", 64), "mobilenet_v3_small": ("MobileNetV3Small", 64),
    "efficientnet_v2_b0": ("EfficientNetV2B0", 64), "convnext_tiny": ("ConvNeXtTiny", 64),
    "inception_resnet_v2": ("InceptionResNetV2", 75), "resnet50_v2": ("ResNet50V2", 64),
    "inception_v3": ("InceptionV3", 75), "xception": ("Xception", 71), "vgg16": ("VGG16", 64),
}
SLOW = {
    "mobilenet_v3_large": ("MobileNetV3Large", 64), "nasnet_mobile": ("NASNetMobile", 224),
    "vgg19": ("VGG19", 64), "densenet169": ("DenseNet169", 64), "densenet201": ("DenseNet201", 64),
    "resnet101": ("ResNet101", 64), "resnet152": ("ResNet152", 64),
    "resnet101_v2": ("ResNet101V2", 64), "resnet152_v2": ("ResNet152V2", 64),
    **{f"efficientnet_b{k}": (f"EfficientNetB{k}", 64) for k in range(1, 8)},
    # EfficientNetV2M and V2L convert too, but with randomized BatchNormalization statistics they
    # are chaotic (outputs ~1e5-1e7; Keras itself moves by half its output for a 1e-6 change of
    # the input), so no comparison with Keras means anything there. V2B3 and V2S are milder
    # (CHAOTIC below): Keras moves by 0.03 / 0.25 (outputs ~280 / ~400) between running two rows
    # together and one at a time.
    **{f"efficientnet_v2_{k.lower()}": (f"EfficientNetV2{k}", 64) for k in ("B1", "B2", "B3", "S")},
    **{f"convnext_{k.lower()}": (f"ConvNeXt{k}", 64) for k in ("Small", "Base", "Large", "XLarge")},
    "nasnet_large": ("NASNetLarge", 331),
}
APPLICATIONS.update({name: _app(*spec) for name, spec in REPRESENTATIVE.items()})
APPLICATIONS.update({name: _app(*spec) for name, spec in SLOW.items()})
CHAOTIC = {"efficientnet_v2_b3", "efficientnet_v2_s"}
_ALL = os.environ.get("ONNXSMITH_ALL_KERAS_APPS") == "1"
_PARAMS = [pytest.param(name, marks=pytest.mark.skipif(
    name in SLOW and not _ALL, reason="big architecture: ONNXSMITH_ALL_KERAS_APPS=1 runs it"))
    for name in APPLICATIONS]


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("app", _PARAMS)
def test_applications(app, fmt, convert_keras, keras_dir, tmp_path):
    keras = _keras()
    model, paths = cached_model(app, lambda: APPLICATIONS[app](keras.applications), keras_dir)
    out = tmp_path / f"{app}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    compare_with_keras(model, out, app, fmt, proc.seconds, batches=(2,), chaotic=app in CHAOTIC)


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

