"""Regenerates the bundled example models (needs the test venv's TensorFlow).

The product never runs this: the frozen .pb files it writes are committed so
that the quick-start converts a real TensorFlow graph on a machine without
Python. Reference inputs/outputs (.npy) come from TensorFlow itself.

    python examples/make_examples.py
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.framework.convert_to_constants import (  # noqa: E402
    convert_variables_to_constants_v2,
)

HERE = os.path.dirname(os.path.abspath(__file__))


def small_cnn():
    """A digit-classifier-shaped CNN: conv, depthwise conv, BN, pools, dense."""
    tf.keras.utils.set_random_seed(7)
    inp = tf.keras.Input((28, 28, 3), name="image")
    x = tf.keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = tf.keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.ReLU(6.0)(x)
    x = tf.keras.layers.MaxPool2D(2)(x)
    x = tf.keras.layers.Conv2D(16, 3, strides=2, padding="valid", activation="relu")(x)
    x = tf.keras.layers.AveragePooling2D(2)(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(10, activation="softmax", name="probs")(x)
    model = tf.keras.Model(inp, x)
    bn = model.layers[3]
    rng = np.random.default_rng(7)
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights([
        rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
        rng.normal(0, 0.1, beta.shape).astype(np.float32),
        rng.normal(0, 0.1, mean.shape).astype(np.float32),
        rng.uniform(0.5, 1.5, var.shape).astype(np.float32),
    ])
    return model


def freeze(model, path, batch=None):
    spec = tf.TensorSpec((batch,) + tuple(model.input_shape[1:]), tf.float32, name="image")
    fn = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    frozen = convert_variables_to_constants_v2(fn)
    graph_def = frozen.graph.as_graph_def()
    with open(path, "wb") as f:
        f.write(graph_def.SerializeToString())
    return [t.name for t in frozen.inputs], [t.name for t in frozen.outputs]


def tiny_models(repo_models):
    """Models of examples/model_repo besides small_cnn: a Keras 3 .keras file
    and a TF2 SavedModel (model.export), with inputs and Keras's outputs."""
    tf.keras.utils.set_random_seed(11)
    inp = tf.keras.Input((16,), name="features")
    x = tf.keras.layers.Dense(32, activation="relu")(inp)
    x = tf.keras.layers.LayerNormalization()(x)
    x = tf.keras.layers.Dense(4, activation="softmax", name="scores")(x)
    mlp = tf.keras.Model(inp, x)
    out_dir = os.path.join(repo_models, "tiny_mlp")
    os.makedirs(out_dir, exist_ok=True)
    mlp.save(os.path.join(out_dir, "model.keras"))
    x = np.random.default_rng(2).random((3, 16), dtype=np.float32)
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "expected.npy"), mlp(x, training=False).numpy())

    tf.keras.utils.set_random_seed(12)
    inp = tf.keras.Input((12, 12, 2), name="image")
    y = tf.keras.layers.Conv2D(4, 3, activation="relu")(inp)
    y = tf.keras.layers.GlobalAveragePooling2D()(y)
    y = tf.keras.layers.Dense(3)(y)
    cnn = tf.keras.Model(inp, y)
    out_dir = os.path.join(repo_models, "tiny_savedmodel")
    cnn.export(os.path.join(out_dir, "saved_model"), verbose=False)
    x = np.random.default_rng(3).random((2, 12, 12, 2), dtype=np.float32)
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "input_nchw.npy"), x.transpose(0, 3, 1, 2))
    np.save(os.path.join(out_dir, "expected.npy"), cnn(x, training=False).numpy())


def main():
    tiny_models(os.path.join(HERE, "model_repo", "models"))
    model = small_cnn()
    out_dir = os.path.join(HERE, "small_cnn")
    os.makedirs(out_dir, exist_ok=True)
    inputs, outputs = freeze(model, os.path.join(out_dir, "model.pb"))
    x = np.random.default_rng(1).random((2, 28, 28, 3), dtype=np.float32)
    np.save(os.path.join(out_dir, "input.npy"), x)
    np.save(os.path.join(out_dir, "expected.npy"), model(x, training=False).numpy())
    print("inputs", inputs, "outputs", outputs)
    calibration(os.path.join(HERE, "model_repo", "models", "small_cnn"))


def calibration(out_dir):
    """Calibration samples of small_cnn_int8 (model_repo): 16 images like input.npy's, keyed by the
    ONNX input name."""
    x = np.random.default_rng(4).random((16, 28, 28, 3), dtype=np.float32)
    np.savez(os.path.join(out_dir, "calib.npz"), **{"image:0": x})


if __name__ == "__main__":
    main()
