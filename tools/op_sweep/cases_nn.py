"""Sweep cases: tf.nn, tf.image, tf.linalg, tf.signal, tf.strings, tf.sparse, stateless tf.random."""

import numpy as np

from cases import BOOL, F16, F32, F64, I8, I32, I64, U8, add, arr, dname, tf


def fixed(v, dt=I32):
    return lambda r: np.array(v, dt)


def with_(**gens):
    return lambda r: {k: g(r) for k, g in gens.items()}


def w(shape, seed=0):
    return tf.constant(np.random.default_rng(seed + len(shape)).uniform(-1, 1, shape).astype(F32))


# ---------------------------------------------------------------- activations
ACT = {
    "relu": tf.nn.relu, "relu6": tf.nn.relu6, "elu": tf.nn.elu, "selu": tf.nn.selu,
    "gelu_exact": lambda x: tf.nn.gelu(x, approximate=False), "gelu_tanh": lambda x: tf.nn.gelu(x, approximate=True),
    "leaky_relu": lambda x: tf.nn.leaky_relu(x, 0.1), "silu": tf.nn.silu, "swish_beta": lambda x: tf.nn.silu(x, beta=1.5),
    "softmax": tf.nn.softmax, "softmax_ax0": lambda x: tf.nn.softmax(x, axis=0), "log_softmax": tf.nn.log_softmax,
    "log_softmax_ax1": lambda x: tf.nn.log_softmax(x, axis=1),
    "l2_normalize": lambda x: tf.nn.l2_normalize(x, axis=-1), "l2_normalize_ax01": lambda x: tf.nn.l2_normalize(x, axis=[0, 1]),
    "crelu": tf.nn.crelu, "softsign": tf.nn.softsign, "softplus": tf.nn.softplus, "l2_loss": tf.nn.l2_loss,
    "moments": lambda x: tf.nn.moments(x, axes=[0, 1]), "moments_kd": lambda x: tf.nn.moments(x, axes=[2], keepdims=True),
    "sigmoid": tf.nn.sigmoid, "tanh": tf.nn.tanh,
    "local_response_normalization": lambda x: tf.nn.local_response_normalization(x, 2, 1.0, 0.5, 0.75),
}
for _n, _f in ACT.items():
    for _dt in (F32, F16, F64) if _n in ("relu", "elu", "softmax", "gelu_exact", "leaky_relu", "relu6", "selu") else (F32,):
        add(f"nn.{_n}_{dname(_dt)}", f"tf.nn.{_n}", lambda x, _f=_f: _f(x), with_(x=arr((2, 3, 4, 5), _dt)),
            saved_model=_dt == F32)
    add(f"nn.{_n}_dyn", f"tf.nn.{_n}", lambda x, _f=_f: _f(x), with_(x=arr((2, 3, 4, 5))), dynamic={"x": [None, None, None, 5]})
add("nn.bias_add_nhwc", "tf.nn.bias_add", lambda x, b: tf.nn.bias_add(x, b), with_(x=arr((2, 3, 4)), b=arr((4,))))
add("nn.bias_add_nchw", "tf.nn.bias_add", lambda x, b: tf.nn.bias_add(x, b, data_format="NCHW"),
    with_(x=arr((2, 3, 4, 5)), b=arr((3,))))
add("nn.batch_normalization", "tf.nn.batch_normalization",
    lambda x, m, v: tf.nn.batch_normalization(x, m, v, 0.1, 1.5, 1e-3), with_(x=arr((2, 4, 3)), m=arr((3,)), v=arr((3,), F32, 0.1, 2)))
add("nn.fused_batch_norm", "tf.compat.v1.nn.fused_batch_norm",
    lambda x: tf.compat.v1.nn.fused_batch_norm(x, w((3,)), w((3,), 1), w((3,), 2), tf.abs(w((3,), 3)), is_training=False)[0],
    with_(x=arr((1, 4, 4, 3))))
add("nn.fused_batch_norm_training", "tf.compat.v1.nn.fused_batch_norm",
    lambda x: tf.compat.v1.nn.fused_batch_norm(x, w((3,)), w((3,), 1), is_training=True)[0], with_(x=arr((2, 4, 4, 3))))
add("nn.normalize_moments", "tf.nn.normalize_moments",
    lambda c, m, v: tf.nn.normalize_moments(c, m, v, None), with_(c=fixed(4.0, F32), m=arr((3,)), v=arr((3,), F32, 5, 9)))

# ---------------------------------------------------------------- conv / pool
for _pad in ("SAME", "VALID", [[0, 0], [1, 2], [0, 1], [0, 0]]):
    for _s, _d in ((1, 1), (2, 1), (1, 2)):
        _pn = _pad if isinstance(_pad, str) else "EXPLICIT"
        add(f"nn.conv2d_{_pn}_s{_s}_d{_d}", "tf.nn.conv2d",
            lambda x, _p=_pad, _s=_s, _d=_d: tf.nn.conv2d(x, w((3, 3, 2, 4)), _s, _p, dilations=_d),
            with_(x=arr((1, 7, 8, 2))), saved_model=_s == 1 and _d == 1)
add("nn.conv2d_dyn", "tf.nn.conv2d", lambda x: tf.nn.conv2d(x, w((3, 3, 2, 4)), 2, "SAME"), with_(x=arr((1, 7, 8, 2))),
    dynamic={"x": [None, None, None, 2]})
add("nn.conv2d_f16", "tf.nn.conv2d", lambda x: tf.nn.conv2d(x, tf.cast(w((3, 3, 2, 4)), tf.float16), 1, "SAME"),
    with_(x=arr((1, 5, 5, 2), F16)))
add("nn.conv2d_f64", "tf.nn.conv2d", lambda x: tf.nn.conv2d(x, tf.cast(w((3, 3, 2, 4)), tf.float64), 1, "VALID"),
    with_(x=arr((1, 5, 5, 2), F64)))
add("nn.conv2d_grouped", "tf.nn.conv2d", lambda x: tf.nn.conv2d(x, w((3, 3, 2, 4)), 1, "SAME"), with_(x=arr((1, 5, 5, 4))))
add("nn.conv2d_strides_hw", "tf.nn.conv2d", lambda x: tf.nn.conv2d(x, w((2, 3, 2, 3)), [1, 2, 3, 1], "SAME"), with_(x=arr((2, 7, 8, 2))))
for _pad in ("SAME", "VALID"):
    add(f"nn.conv1d_{_pad}", "tf.nn.conv1d", lambda x, _p=_pad: tf.nn.conv1d(x, w((3, 2, 4)), 2, _p), with_(x=arr((2, 9, 2))))
    add(f"nn.conv1d_dil_{_pad}", "tf.nn.conv1d", lambda x, _p=_pad: tf.nn.conv1d(x, w((3, 2, 4)), 1, _p, dilations=2),
        with_(x=arr((2, 9, 2))))
    add(f"nn.conv3d_{_pad}", "tf.nn.conv3d", lambda x, _p=_pad: tf.nn.conv3d(x, w((2, 3, 3, 2, 3)), [1, 1, 2, 2, 1], _p),
        with_(x=arr((1, 4, 6, 6, 2))))
    add(f"nn.depthwise_conv2d_{_pad}", "tf.nn.depthwise_conv2d",
        lambda x, _p=_pad: tf.nn.depthwise_conv2d(x, w((3, 3, 3, 2)), [1, 1, 1, 1], _p), with_(x=arr((1, 6, 6, 3))))
    add(f"nn.depthwise_conv2d_s2_{_pad}", "tf.nn.depthwise_conv2d",
        lambda x, _p=_pad: tf.nn.depthwise_conv2d(x, w((3, 3, 3, 1)), [1, 2, 2, 1], _p), with_(x=arr((1, 7, 7, 3))))
    add(f"nn.depthwise_conv2d_dil_{_pad}", "tf.nn.depthwise_conv2d",
        lambda x, _p=_pad: tf.nn.depthwise_conv2d(x, w((3, 3, 3, 1)), [1, 1, 1, 1], _p, dilations=[2, 2]),
        with_(x=arr((1, 8, 8, 3))))
    add(f"nn.separable_conv2d_{_pad}", "tf.nn.separable_conv2d",
        lambda x, _p=_pad: tf.nn.separable_conv2d(x, w((3, 3, 3, 2)), w((1, 1, 6, 4)), [1, 1, 1, 1], _p),
        with_(x=arr((1, 6, 6, 3))))
    add(f"nn.atrous_conv2d_{_pad}", "tf.nn.atrous_conv2d", lambda x, _p=_pad: tf.nn.atrous_conv2d(x, w((3, 3, 2, 3)), 2, _p),
        with_(x=arr((1, 9, 9, 2))))
    for _s in (1, 2):
        add(f"nn.conv2d_transpose_{_pad}_s{_s}", "tf.nn.conv2d_transpose",
            lambda x, _p=_pad, _s=_s: tf.nn.conv2d_transpose(
                x, w((3, 3, 4, 2)), [1, 5 * _s if _p == "SAME" else 5 * _s + max(3 - _s, 0), 5 * _s if _p == "SAME" else 5 * _s + max(3 - _s, 0), 4], _s, _p),
            with_(x=arr((1, 5, 5, 2))))
    add(f"nn.conv1d_transpose_{_pad}", "tf.nn.conv1d_transpose",
        lambda x, _p=_pad: tf.nn.conv1d_transpose(x, w((3, 4, 2)), [2, 10 if _p == "SAME" else 11, 4], 2, _p), with_(x=arr((2, 5, 2))))
    add(f"nn.conv3d_transpose_{_pad}", "tf.nn.conv3d_transpose",
        lambda x, _p=_pad: tf.nn.conv3d_transpose(x, w((2, 2, 2, 3, 2)), [1, 6, 6, 6, 3], 2, _p), with_(x=arr((1, 3, 3, 3, 2))))
add("nn.conv2d_transpose_dyn_batch", "tf.nn.conv2d_transpose",
    lambda x: tf.nn.conv2d_transpose(x, w((3, 3, 4, 2)), tf.stack([tf.shape(x)[0], 10, 10, 4]), 2, "SAME"),
    with_(x=arr((2, 5, 5, 2))), dynamic={"x": [None, 5, 5, 2]})
for _pool in ("max_pool2d", "avg_pool2d"):
    _f = getattr(tf.nn, _pool)
    for _pad in ("SAME", "VALID"):
        for _k, _s in ((2, 2), (3, 2), (3, 1)):
            add(f"nn.{_pool}_{_pad}_k{_k}_s{_s}", f"tf.nn.{_pool}", lambda x, _f=_f, _k=_k, _s=_s, _p=_pad: _f(x, _k, _s, _p),
                with_(x=arr((1, 7, 6, 3))), saved_model=_k == 2)
    add(f"nn.{_pool}_f16", f"tf.nn.{_pool}", lambda x, _f=_f: _f(x, 2, 2, "SAME"), with_(x=arr((1, 5, 5, 2), F16)))
    add(f"nn.{_pool}_dyn", f"tf.nn.{_pool}", lambda x, _f=_f: _f(x, 3, 2, "SAME"), with_(x=arr((2, 7, 6, 3))),
        dynamic={"x": [None, None, None, 3]})
for _pool in ("max_pool1d", "avg_pool1d", "max_pool3d", "avg_pool3d"):
    _f = getattr(tf.nn, _pool)
    _shape = (2, 7, 3) if "1d" in _pool else (1, 5, 6, 6, 2)
    for _pad in ("SAME", "VALID"):
        add(f"nn.{_pool}_{_pad}", f"tf.nn.{_pool}", lambda x, _f=_f, _p=_pad: _f(x, 2, 2, _p), with_(x=arr(_shape)))
add("nn.max_pool2d_nchw", "tf.nn.max_pool2d", lambda x: tf.transpose(tf.nn.max_pool2d(tf.transpose(x, [0, 2, 3, 1]), 2, 2, "VALID"), [0, 3, 1, 2]),
    with_(x=arr((1, 3, 6, 6))))
add("nn.max_pool_int8", "tf.nn.max_pool2d", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), with_(x=arr((1, 4, 4, 2), I8, -100, 100)))
add("nn.max_pool_u8", "tf.nn.max_pool2d", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), with_(x=arr((1, 4, 4, 2), U8, 0, 200)))
add("nn.pool_avg_dil", "tf.nn.pool", lambda x: tf.nn.pool(x, [2, 2], "AVG", padding="VALID", dilations=[2, 2]), with_(x=arr((1, 7, 7, 2))))
add("nn.max_pool_with_argmax", "tf.nn.max_pool_with_argmax",
    lambda x: tf.nn.max_pool_with_argmax(x, 2, 2, "VALID"), with_(x=arr((1, 4, 4, 2))))
add("nn.max_pool_with_argmax_batch", "tf.nn.max_pool_with_argmax",
    lambda x: tf.nn.max_pool_with_argmax(x, 2, 2, "SAME", include_batch_in_index=True), with_(x=arr((2, 5, 5, 2))))
add("nn.depth_to_space", "tf.nn.depth_to_space", lambda x: tf.nn.depth_to_space(x, 2), with_(x=arr((1, 2, 3, 8))))
add("nn.space_to_depth", "tf.nn.space_to_depth", lambda x: tf.nn.space_to_depth(x, 2), with_(x=arr((1, 4, 6, 3))))
add("nn.dilation2d", "tf.nn.dilation2d",
    lambda x: tf.nn.dilation2d(x, w((2, 2, 3)), [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1]), with_(x=arr((1, 5, 5, 3))))
add("nn.erosion2d", "tf.nn.erosion2d",
    lambda x: tf.nn.erosion2d(x, w((2, 2, 3)), [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]), with_(x=arr((1, 5, 5, 3))))
add("nn.softmax_xent", "tf.nn.softmax_cross_entropy_with_logits",
    lambda l, x: tf.nn.softmax_cross_entropy_with_logits(tf.nn.softmax(l), x), with_(l=arr((3, 4)), x=arr((3, 4))))
add("nn.sparse_softmax_xent", "tf.nn.sparse_softmax_cross_entropy_with_logits",
    lambda l, x: tf.nn.sparse_softmax_cross_entropy_with_logits(l, x), with_(l=fixed([0, 3, 1]), x=arr((3, 4))))
add("nn.sigmoid_xent", "tf.nn.sigmoid_cross_entropy_with_logits",
    lambda l, x: tf.nn.sigmoid_cross_entropy_with_logits(l, x), with_(l=arr((3, 4), F32, 0, 1), x=arr((3, 4))))
add("nn.weighted_xent", "tf.nn.weighted_cross_entropy_with_logits",
    lambda l, x: tf.nn.weighted_cross_entropy_with_logits(l, x, 2.0), with_(l=arr((3, 4), F32, 0, 1), x=arr((3, 4))))
add("nn.log_poisson_loss", "tf.nn.log_poisson_loss", lambda t, x: tf.nn.log_poisson_loss(t, x),
    with_(t=arr((3, 4), F32, 0, 2), x=arr((3, 4))))
add("nn.embedding_lookup", "tf.nn.embedding_lookup", lambda i: tf.nn.embedding_lookup(w((10, 4)), i), with_(i=fixed([[1, 9], [0, 0]])))
add("nn.ctc_greedy_decoder", "tf.nn.ctc_greedy_decoder",
    lambda x, l: tf.sparse.to_dense(tf.nn.ctc_greedy_decoder(x, l)[0][0]), with_(x=arr((5, 2, 4)), l=fixed([5, 3])))
add("nn.in_top_k", "tf.nn.in_top_k", lambda t, p: tf.nn.in_top_k(t, p, 1),
    with_(t=fixed([0, 1]), p=fixed([[0.9, 0.1], [0.8, 0.2]], F32)))

import cases_image  # noqa: E402,F401
