"""Keras files (.h5 and .keras) converted natively, checked against Keras' own outputs.

Models are built with Keras 3 (TensorFlow backend), given non-trivial weights (random biases,
random BatchNormalization statistics), saved both as legacy HDF5 (model.save("x.h5")) and as a
Keras 3 archive (model.save("x.keras")), converted with onnxsmith, checked with the PyPI onnx
checker, run in ONNX Runtime and compared with model(x, training=False):
max |onnx - keras| <= 1e-4 * max(1, max |keras|) (fp32 atol 1e-4 relative to the output scale).

Covered here: the user's example (Sequential Dense(64, relu, input 10) -> Dense(10, softmax)) at
several opsets; a small CNN with BatchNormalization; windowed-layer and activation zoos; a
functional model with two inputs/outputs, a shared layer and a nested model. Elsewhere:
keras.applications in test_keras_applications.py, the shared corpus in test_keras_corpus.py,
the errors in test_keras_errors.py, recurrent and attention layers in test_keras_recurrent.py
and test_keras_attention.py; the shared helpers and fixtures are in keras_lib.py.
"""

import numpy as np
import pytest

import oracle_lib
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras,
    _mask_some_steps,
    _report,
    build_user_mlp,
    cached_model,
    compare_with_keras,
    convert_keras,
    convert_ok,
    keras_dir,
    keras_input_names,
    op_types,
)
from oracle_lib import check_onnx, rng_for


# ------------------------------------------------------------------------------------------
# Model builders (each returns a built Keras model)
# ------------------------------------------------------------------------------------------


def build_cnn_bn():
    keras = _keras()
    L = keras.layers
    return keras.Sequential([
        keras.Input(shape=(20, 20, 3)),
        L.Conv2D(8, 3, padding="same", use_bias=False),
        L.BatchNormalization(),
        L.ReLU(),
        L.MaxPooling2D(),
        L.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
        L.BatchNormalization(),
        L.ReLU(max_value=6.0),
        L.SeparableConv2D(12, 3, strides=2, padding="same", activation="swish"),
        L.BatchNormalization(center=False),
        L.Conv2D(10, 1),
        L.GlobalAveragePooling2D(),
        L.Dropout(0.3),
        L.Dense(5),
    ])


def build_conv2d_zoo():
    keras = _keras()
    L = keras.layers
    x_in = keras.Input(shape=(17, 15, 4), name="image")
    x = L.ZeroPadding2D(((1, 2), (0, 1)))(x_in)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="elu")(x)
    x = L.Conv2D(8, 3, dilation_rate=2, padding="same", groups=2)(x)
    x = L.PReLU()(x)
    x = L.Conv2DTranspose(6, 3, strides=2, padding="same", activation="relu")(x)
    x = L.Conv2DTranspose(6, 2, strides=2, padding="valid")(x)
    x = L.Cropping2D(((1, 0), (2, 1)))(x)
    a = L.UpSampling2D(2)(x)
    b = L.UpSampling2D(2, interpolation="bilinear")(x)
    x = L.Concatenate()([a, b])
    x = L.AveragePooling2D(3, strides=2, padding="same")(x)
    x = L.LeakyReLU(negative_slope=0.1)(x)
    x = L.Conv2D(6, (1, 3), padding="valid", activation="hard_sigmoid")(x)
    x = L.MaxPooling2D((2, 3), strides=(1, 2), padding="same")(x)
    x = L.Permute((2, 1, 3))(x)
    x = L.ELU(alpha=0.5)(x)
    g = L.GlobalMaxPooling2D(keepdims=True)(x)
    x = L.Multiply()([x, g])
    x = L.Flatten()(x)
    out = L.Dense(7, activation="tanh")(x)
    return keras.Model(x_in, out)


def build_conv1d_3d_zoo():
    keras = _keras()
    L = keras.layers
    seq = keras.Input(shape=(24, 5), name="seq")
    s = L.ZeroPadding1D((2, 1))(seq)
    s = L.Conv1D(8, 3, padding="causal", dilation_rate=2, activation="relu")(s)
    s = L.Conv1D(8, 3, strides=2, padding="same")(s)
    s = L.MaxPooling1D(2)(s)
    s = L.UpSampling1D(3)(s)
    s = L.Cropping1D((1, 2))(s)
    s = L.AveragePooling1D(2, padding="same")(s)
    s = L.LayerNormalization()(s)
    s1 = L.GlobalAveragePooling1D()(s)
    s2 = L.GlobalMaxPooling1D()(s)
    vol = keras.Input(shape=(6, 6, 6, 2), name="vol")
    v = L.Conv3D(4, 3, padding="same", activation="relu")(vol)
    v = L.MaxPooling3D(2)(v)
    v = L.Conv3D(4, 2)(v)
    v = L.GlobalAveragePooling3D()(v)
    x = L.Concatenate()([s1, s2, v])
    x = L.RepeatVector(3)(x)
    x = L.Reshape((-1,))(x)
    out = L.Dense(4)(x)
    return keras.Model([seq, vol], out)


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "selu", "elu", "gelu",
               "swish", "silu", "hard_sigmoid", "linear", "exponential", "relu6", "leaky_relu",
               "mish", "hard_silu", "log_softmax", "celu", "hard_tanh", "tanh_shrink",
               "log_sigmoid", "soft_shrink", "hard_shrink", "sparse_sigmoid", "squareplus",
               "sparse_plus", "glu"]


def build_time_distributed():
    keras = _keras()
    L = keras.layers
    x = keras.Input(shape=(5, 8, 8, 2), name="frames")
    y = L.TimeDistributed(L.Conv2D(4, 3, activation="relu"))(x)
    y = L.TimeDistributed(L.BatchNormalization())(y)
    y = L.TimeDistributed(L.Flatten())(y)
    y = L.TimeDistributed(L.Dense(3))(y)
    return keras.Model(x, L.Dense(2)(y))


def build_transfer():
    """A keras.applications model nested in a Sequential (the transfer-learning pattern)."""
    keras = _keras()
    L = keras.layers
    base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(64, 64, 3),
                                          alpha=0.35)
    return keras.Sequential([keras.Input(shape=(64, 64, 3)), base, L.GlobalAveragePooling2D(),
                             L.Dropout(0.2), L.Dense(3)])


def build_activations():
    keras = _keras()
    L = keras.layers
    x_in = keras.Input(shape=(12,))
    h = L.Dense(16)(x_in)
    branches = [L.Activation(a, name=f"act_{a}")(h) for a in ACTIVATIONS]
    branches.append(L.Dense(6, activation="gelu", name="dense_gelu")(x_in))
    branches.append(L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2)(h))
    branches.append(L.ReLU(negative_slope=0.2)(h))
    branches.append(L.Softmax(axis=-1)(h))
    x = L.Concatenate()(branches)
    return keras.Model(x_in, x)


def build_functional_shared():
    keras = _keras()
    L = keras.layers
    a = keras.Input(shape=(8,), name="a")
    b = keras.Input(shape=(8,), name="b")
    shared = L.Dense(6, activation="tanh", name="shared")
    inner = keras.Sequential([keras.Input(shape=(6,)), L.Dense(5, name="in_d"), L.BatchNormalization(name="in_bn")],
                             name="inner")
    ha, hb = shared(a), shared(b)
    c = L.Concatenate(name="concat")([ha, hb])
    o1 = L.Dense(3, name="o1")(c)
    o2 = inner(L.Average(name="avg")([ha, hb]))
    o3 = L.Subtract(name="diff")([L.Maximum()([ha, hb]), L.Minimum()([ha, hb])])
    return keras.Model([a, b], [o1, o2, o3])


def build_preprocessing_embedding():
    keras = _keras()
    L = keras.layers
    img = keras.Input(shape=(8, 8, 3), name="img")
    norm = L.Normalization(axis=-1)
    rng = rng_for("adapt")
    norm.adapt(rng.normal(2.0, 3.0, (32, 8, 8, 3)).astype(np.float32))
    x = L.Rescaling(1.0 / 255, offset=-0.5)(img)
    x = norm(x)
    x = L.Normalization(mean=[0.1, 0.2, 0.3], variance=[1.0, 4.0, 0.25])(x)
    x = L.GlobalAveragePooling2D()(x)
    ids = keras.Input(shape=(7,), dtype="int32", name="ids")
    e = L.Embedding(20, 4)(ids)
    e = L.Flatten()(e)
    seq = keras.Input(shape=(5, 3), name="seq")
    m = L.Masking(mask_value=0.0)(seq)
    m = L.GlobalAveragePooling1D()(m)
    x = L.Concatenate()([x, e, m])
    return keras.Model([img, ids, seq], L.Dense(3)(x))


# Tests
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("opset", [None, 13, 21])
def test_user_mlp(fmt, opset, convert_keras, keras_dir, tmp_path):
    model, paths = cached_model("user_mlp", build_user_mlp, keras_dir)
    out = tmp_path / "mlp.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out, opset=opset)
    onnx_model = compare_with_keras(model, out, f"user_mlp opset {opset or 17}", fmt, proc.seconds,
                                     input_names=keras_input_names(model),
                                     output_names=[model.layers[-1].name])
    assert oracle_lib.onnx_opset(onnx_model) == (opset or 17)
    shape = oracle_lib.onnx_input_shapes(onnx_model)
    (dims,) = shape.values()
    assert len(dims) == 2 and dims[1] == 10, dims
    assert not isinstance(dims[0], int) or dims[0] <= 0, f"batch dim should be dynamic: {dims}"


@pytest.mark.parametrize("fmt", ["h5", "keras"])
@pytest.mark.parametrize("name,build,expect_ops", [
    ("cnn_bn", build_cnn_bn, {"Conv", "Mul", "Add", "MaxPool", "ReduceMean"}),
    # ZeroPadding2D's Pad folds into the Conv/MaxPool after it (fuse_pad).
    ("conv2d_zoo", build_conv2d_zoo, {"Conv", "ConvTranspose", "Resize", "Slice", "PRelu"}),
    ("conv1d_3d_zoo", build_conv1d_3d_zoo, {"Conv", "MaxPool", "AveragePool", "LayerNormalization"}),
    ("activations", build_activations, {"Relu", "Erf", "HardSigmoid", "Softmax"}),
    ("functional_shared", build_functional_shared, {"Concat", "MatMul"}),
    ("preprocessing_embedding", build_preprocessing_embedding, {"Gather", "Div"}),
    ("time_distributed", build_time_distributed, {"Conv", "Reshape"}),
    ("transfer", build_transfer, {"Conv", "Clip", "MatMul"}),
])
def test_layer_models(fmt, name, build, expect_ops, convert_keras, keras_dir, tmp_path):
    model, paths = cached_model(name, build, keras_dir)
    out = tmp_path / f"{name}.onnx"
    proc = convert_ok(convert_keras, paths[fmt], out)
    integer_inputs = {"ids": (0, 20)} if name == "preprocessing_embedding" else None
    onnx_model = compare_with_keras(model, out, name, fmt, proc.seconds, integer_inputs=integer_inputs,
                                    input_names=keras_input_names(model), feed_hook=_mask_some_steps)
    # The optimizer (on by default) fuses MatMul + bias into Gemm.
    found = op_types(onnx_model)
    if "Gemm" in found:
        found = found | {"MatMul"}
    missing = expect_ops - found
    assert not missing, f"expected ONNX ops {missing} in {sorted(op_types(onnx_model))}"


@pytest.mark.parametrize("opset", [13, 15, 18, 21])
@pytest.mark.parametrize("name,build", [
    ("activations", build_activations),
    ("conv1d_3d_zoo", build_conv1d_3d_zoo),
    ("conv2d_zoo", build_conv2d_zoo),
])
def test_layer_models_opsets(opset, name, build, convert_keras, keras_dir, tmp_path):
    """Opset-dependent emission: reductions (axes input from 18), Gelu (20), Mish (18),
    LayerNormalization (17, decomposed below)."""
    model, paths = cached_model(name, build, keras_dir)
    out = tmp_path / f"{name}_{opset}.onnx"
    proc = convert_ok(convert_keras, paths["keras"], out, opset=opset)
    onnx_model = compare_with_keras(model, out, f"{name} opset {opset}", "keras", proc.seconds,
                                    batches=(2,))
    assert oracle_lib.onnx_opset(onnx_model) == opset
    ops = op_types(onnx_model)
    if name == "conv1d_3d_zoo":
        assert ("LayerNormalization" in ops) == (opset >= 17), sorted(ops)
    if name == "activations":
        assert ("Gelu" in ops) == (opset >= 20), sorted(ops)


def test_functional_names(convert_keras, keras_dir, tmp_path):
    model, paths = cached_model("functional_shared", build_functional_shared, keras_dir)
    out = tmp_path / "f.onnx"
    convert_ok(convert_keras, paths["keras"], out)
    m = check_onnx(out)
    assert [i.name for i in m.graph.input] == ["a", "b"]
    assert [o.name for o in m.graph.output] == ["o1", "inner", "diff"]
    # The shared Dense is stored once.
    kernels = [i for i in m.graph.initializer if tuple(i.dims) == (8, 6)]
    assert len(kernels) == 1, [i.name for i in m.graph.initializer]
