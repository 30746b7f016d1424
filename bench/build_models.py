"""Builds the benchmark models with TensorFlow and writes, per model, into WORK/NAME/:
saved_model/ (serving signature with a fixed batch-1 input), model.h5, input.npy and
tf_output.npy (TensorFlow's own output for input.npy, the reference for errors).

Run by run_bench.py in its own process, so the benchmark process never holds TF.
    python bench/build_models.py WORK mobilenetv2,resnet50,...
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

SEED = 1234


def _image_input():
    # Batch 1 is part of the model, so every tool sees the same static shapes.
    return keras.Input((224, 224, 3), batch_size=1, name="input")


def mobilenetv2():
    return keras.applications.MobileNetV2(
        input_tensor=_image_input(), weights=None, classifier_activation=None)


def resnet50():
    return keras.applications.ResNet50(
        input_tensor=_image_input(), weights=None, classifier_activation=None)


def efficientnetb0():
    return keras.applications.EfficientNetB0(
        input_tensor=_image_input(), weights=None, classifier_activation=None)


def transformer(approximate=False):
    """An encoder like BERT's, smaller: 4 post-norm blocks, d=256, 8 heads, FFN 1024 gelu.
    TF's exact gelu is built on Erfc, the tanh approximation is not: the "_tanh" variant
    keeps the comparison going with converters that lack Erfc."""
    seq, d, heads, ffn, blocks = 128, 256, 8, 1024, 4
    inp = keras.Input((seq, d), batch_size=1, name="input")
    x = inp
    for i in range(blocks):
        a = layers.MultiHeadAttention(num_heads=heads, key_dim=d // heads, name=f"mha{i}")(x, x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"ln_a{i}")(layers.Add()([x, a]))
        f = layers.Dense(ffn, name=f"ffn_in{i}")(x)
        if approximate:  # a Lambda: the .h5 holds Python bytecode, only SavedModel is fair
            f = layers.Lambda(lambda t: keras.activations.gelu(t, approximate=True),
                              name=f"gelu{i}")(f)
        else:
            f = layers.Activation("gelu", name=f"gelu{i}")(f)
        f = layers.Dense(d, name=f"ffn_out{i}")(f)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"ln_f{i}")(layers.Add()([x, f]))
    return keras.Model(inp, x, name="transformer_encoder")


MODELS = {
    "mobilenetv2": (mobilenetv2, (1, 224, 224, 3), (-1.0, 1.0)),
    "resnet50": (resnet50, (1, 224, 224, 3), (-1.0, 1.0)),
    # EfficientNet rescales 0..255 inputs itself.
    "efficientnetb0": (efficientnetb0, (1, 224, 224, 3), (0.0, 255.0)),
    "transformer": (transformer, (1, 128, 256), (-1.0, 1.0)),
    "transformer_tanh": (lambda: transformer(approximate=True), (1, 128, 256), (-1.0, 1.0)),
}


def _randomize_norm_stats(model, rng):
    """Fresh BN layers are identities (mean 0, var 1, gamma 1, beta 0): folding them
    would be untested. Random statistics make BN folding change the numbers."""
    count = 0
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                rng.normal(0.0, 0.1, beta.shape).astype(np.float32),
                rng.normal(0.0, 0.1, mean.shape).astype(np.float32),
                rng.uniform(0.5, 1.5, var.shape).astype(np.float32),
            ])
            count += 1
        elif isinstance(layer, layers.LayerNormalization):
            gamma, beta = layer.get_weights()
            layer.set_weights([
                rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                rng.normal(0.0, 0.1, beta.shape).astype(np.float32),
            ])
            count += 1
    return count


def build(name, work):
    make, shape, (lo, hi) = MODELS[name]
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    model = make()
    norms = _randomize_norm_stats(model, rng)
    out_dir = os.path.join(work, name)
    os.makedirs(out_dir, exist_ok=True)
    x = rng.uniform(lo, hi, shape).astype(np.float32)
    y = np.asarray(model(x, training=False))
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "tf_output.npy"), y)
    sm = os.path.join(out_dir, "saved_model")
    if os.path.exists(sm):
        import shutil
        shutil.rmtree(sm)
    model.export(sm, format="tf_saved_model", verbose=False,
                 input_signature=[tf.TensorSpec(shape, tf.float32, name="input")])
    model.save(os.path.join(out_dir, "model.h5"))
    # The SavedModel must reproduce the Keras output, or the reference is wrong.
    loaded = tf.saved_model.load(sm)
    y_sm = np.asarray(loaded.serve(tf.constant(x)))
    info = {
        "name": name, "params": int(model.count_params()), "layers": len(model.layers),
        "norm_layers_randomized": norms, "input_shape": list(shape),
        "output_shape": list(y.shape), "output_abs_max": float(np.abs(y).max()),
        "savedmodel_vs_keras_max_abs": float(np.abs(y_sm - y).max()),
        "build_s": round(time.perf_counter() - t0, 2),
    }
    with open(os.path.join(out_dir, "model_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info), flush=True)


def main():
    work, names = sys.argv[1], sys.argv[2].split(",")
    for n in names:
        build(n, work)


if __name__ == "__main__":
    main()
