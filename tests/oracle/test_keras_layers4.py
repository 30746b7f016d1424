"""Keras 3 layers added for issue 17 (second round): AutoContrast (applied at inference),
Solarization and Equalization (identity at inference), STFTSpectrogram and MelSpectrogram
(strided Conv over the DFT basis), Pipeline and ReversibleEmbedding.

One small functional model per group, saved as .h5 and .keras, converted, checked with the
onnx checker, run in ONNX Runtime and compared with model(x, training=False):
max |onnx - keras| <= 1e-4 * max(1, max |keras|).
"""

import numpy as np
import pytest

from oracle_lib import get_tf
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras, _report, cached_model, compare_with_keras, convert_keras, convert_ok, keras_dir)

get_tf()


def _model(shape, layers, dtype="float32", name="x"):
    keras = _keras()
    x = keras.Input(shape, dtype=dtype, name=name)
    return keras.Model(x, [layer(x) for layer in layers])


def build_image_preprocessing():
    L = _keras().layers
    return _model((5, 6, 3), [
        L.AutoContrast(name="auto_contrast"),
        L.AutoContrast(value_range=(-2, 2), name="auto_contrast_range"),
    ], name="img")


def _flat_channel(feeds):
    """One channel of one image constant (AutoContrast keeps it), the rest on a 0..255 grid."""
    img = feeds["img"]
    img[...] = np.round((img - img.min()) / (np.ptp(img) + 1e-6) * 255.0)
    img[0, :, :, 1] = 7.0


def build_stft():
    keras = _keras()
    L = keras.layers
    x = keras.Input((64, 2), name="audio")
    layers = [L.STFTSpectrogram(mode=m, frame_length=16, frame_step=4, fft_length=16, name=m)
              for m in ("log", "magnitude", "psd", "real", "imag", "stft", "angle")]
    layers += [
        L.STFTSpectrogram(mode="magnitude", frame_length=12, frame_step=5, window="hamming",
                          padding="same", scaling="spectrum", name="same_hamming"),
        L.STFTSpectrogram(mode="log", frame_length=16, frame_step=8, expand_dims=True,
                          periodic=True, name="expand_dims"),
    ]
    # data_format="channels_first" is left out: TensorFlow's CPU Conv2D cannot run it, so
    # Keras has no output to compare with.
    return keras.Model(x, [layer(x) for layer in layers])


def build_mel():
    L = _keras().layers
    return _model((400,), [
        L.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=10, sampling_rate=8000,
                         name="mel_db"),
        L.MelSpectrogram(fft_length=64, sequence_stride=20, sequence_length=48, window="hamming",
                         num_mel_bins=8, sampling_rate=8000, min_freq=100.0, max_freq=3000.0,
                         power_to_db=False, mag_exp=1.0, name="mel_hamming"),
        L.MelSpectrogram(fft_length=32, sequence_stride=16, window=None, num_mel_bins=6,
                         sampling_rate=4000, top_db=30.0, ref_power=2.0, name="mel_no_window"),
    ], name="wave")


def build_pipeline():
    L = _keras().layers
    return _model((8, 7, 3), [
        L.Pipeline([L.Rescaling(0.5, offset=0.1), L.CenterCrop(4, 5), L.AutoContrast(value_range=(-1, 1))],
                   name="pipeline"),
    ], name="img")


def build_reversible_embedding():
    keras = _keras()
    L = keras.layers
    ids = keras.Input((5,), dtype="int32", name="ids")
    tied = L.ReversibleEmbedding(11, 6, name="tied")
    untied = L.ReversibleEmbedding(11, 6, tie_weights=False, logit_soft_cap=3.0, name="untied")
    h = tied(ids)
    return keras.Model(ids, [h, tied(h, reverse=True), untied(untied(ids), reverse=True)])


def _reversible_weights(model):
    rng = np.random.default_rng(17)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(0, 1, w.shape).astype(np.float32) for w in layer.weights])
    return model


MODELS = {
    "image_preprocessing": (build_image_preprocessing, None, _flat_channel),
    "stft": (build_stft, None, None),
    "mel": (build_mel, None, None),
    "pipeline": (build_pipeline, None, None),
    "reversible_embedding": (lambda: _reversible_weights(build_reversible_embedding()),
                             {"ids": (0, 11)}, None),
}


@pytest.mark.parametrize("fmt", ["keras", "h5"])
@pytest.mark.parametrize("name", list(MODELS))
def test_layers4(name, fmt, convert_keras, keras_dir, tmp_path):
    build, integer_inputs, feed_hook = MODELS[name]
    model, paths = cached_model(f"layers4_{name}", build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    compare_with_keras(model, out, name, fmt, proc.seconds, integer_inputs=integer_inputs,
                       feed_hook=feed_hook)


# --- TextVectorization (opset 20: StringSplit) ---------------------------------------------

_CORPUS = ["The cat sat", "the dog ran far away", "A cat\tand a dog", "Dogs and CATS"]
_TEXTS = np.array(["the Cat  sat", "zzz dog", "a  b\tc cat DOG ran the far", "", "  Dogs  "],
                  dtype=object)


def build_text_vectorization():
    keras = _keras()
    L = keras.layers
    lower = L.TextVectorization(standardize="lower", output_sequence_length=6, name="lower_padded")
    lower.adapt(_CORPUS)
    raw = L.TextVectorization(standardize=None, name="raw_longest")
    raw.adapt(_CORPUS)
    text = keras.Input((), dtype="string", name="text")
    return keras.Model(text, [lower(text), raw(text)])


def build_text_vectorization_given():
    """A vocabulary in the config: the .h5 form holds it too (an adapted one is only in .keras)."""
    keras = _keras()
    L = keras.layers
    tv = L.TextVectorization(standardize="lower", output_sequence_length=4,
                             vocabulary=["cat", "dog", "the", "ran"], name="given")
    whole = L.TextVectorization(standardize="lower", split=None, output_sequence_length=2,
                                vocabulary=["the cat sat", "zzz dog"], name="whole_strings")
    text = keras.Input((1,), dtype="string", name="text")
    return keras.Model(text, [tv(text), whole(text)])


@pytest.mark.parametrize("name,fmt", [("adapted", "keras"), ("given", "keras"), ("given", "h5")])
def test_text_vectorization(name, fmt, convert_keras, keras_dir, tmp_path):
    from oracle_lib import check_onnx, run_onnx
    build = build_text_vectorization if name == "adapted" else build_text_vectorization_given
    model, paths = cached_model(f"layers4_text_{name}", build, keras_dir)
    out = tmp_path / f"text_{name}.onnx"
    convert_ok(convert_keras, paths[fmt], out, opset=20)
    check_onnx(out)
    texts = _TEXTS if name == "adapted" else _TEXTS.reshape(-1, 1)
    expected = model(texts, training=False)
    expected = [np.asarray(e) for e in (expected if isinstance(expected, (list, tuple)) else [expected])]
    got = list(run_onnx(out, {"text": texts}).values())
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_text_vectorization_errors(convert_keras, keras_dir, tmp_path):
    """The default standardize (punctuation stripping) and opsets below 20 are refused by name."""
    from keras_lib import expect_conversion_error
    keras = _keras()
    tv = keras.layers.TextVectorization(vocabulary=["cat", "dog"], name="default_tv")
    text = keras.Input((), dtype="string", name="text")
    path = keras_dir / "layers4_text_default.keras"
    keras.Model(text, tv(text)).save(str(path))
    expect_conversion_error(convert_keras, path, tmp_path / "a.onnx", "default_tv",
                            "lower_and_strip_punctuation", "regular-expression")
    _, paths = cached_model("layers4_text_given", build_text_vectorization_given, keras_dir)
    expect_conversion_error(convert_keras, paths["keras"], tmp_path / "b.onnx", "opset 20")


# --- layers Keras 3.15 cannot save ---------------------------------------------------------
# Solarization cannot be pickled and Equalization makes a cycle in any functional model (its
# symbolic output is its input), yet files from other Keras versions hold them. The test saves
# placeholder Rescaling(1.0) layers and rewrites their config entries into these classes.


def _inference_only_layers():
    L = _keras().layers
    return {"solarization": L.Solarization(addition_factor=0.3, threshold_factor=0.2,
                                           name="solarization"),
            "equalization": L.Equalization(name="equalization"),
            "max_boxes": L.MaxNumBoundingBoxes(max_number=3, name="max_boxes")}


def _rewrite_config(config, layers):
    for entry in config["config"]["layers"]:
        layer = layers.get(entry["config"]["name"])
        if layer is not None:
            entry["class_name"] = type(layer).__name__
            entry["module"] = "keras.layers"
            entry["registered_name"] = None
            entry["config"] = layer.get_config()
    return config


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_inference_only_image_layers(fmt, convert_keras, keras_dir, tmp_path):
    import json
    import zipfile

    from oracle_lib import run_onnx
    keras = _keras()
    layers = _inference_only_layers()
    x = keras.Input((5, 6, 3), name="img")
    model = keras.Model(x, [keras.layers.Rescaling(1.0, name=n)(x) for n in layers])
    plain = tmp_path / f"plain.{fmt}"
    model.save(str(plain))
    path = tmp_path / f"patched.{fmt}"
    if fmt == "keras":
        with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.namelist():
                data = src.read(item)
                if item == "config.json":
                    data = json.dumps(_rewrite_config(json.loads(data), layers)).encode()
                dst.writestr(item, data)
    else:
        import h5py
        import shutil
        shutil.copy(plain, path)
        with h5py.File(path, "r+") as f:
            f.attrs["model_config"] = json.dumps(_rewrite_config(json.loads(f.attrs["model_config"]),
                                                                 layers))
    out = tmp_path / "patched.onnx"
    convert_ok(convert_keras, path, out)
    images = np.random.default_rng(4).uniform(0, 255, (2, 5, 6, 3)).astype(np.float32)
    got = list(run_onnx(out, {"img": images}).values())
    for g, layer in zip(got, layers.values()):
        np.testing.assert_array_equal(g, np.asarray(layer(images, training=False)))
