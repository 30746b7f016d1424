"""Sweep cases: tf.image, tf.linalg, tf.signal, tf.strings, tf.sparse, stateless tf.random."""

import numpy as np

from cases import BOOL, F16, F32, F64, I8, I16, I32, I64, U8, add, arr, dname, tf


def fixed(v, dt=I32):
    return lambda r: np.array(v, dt)


def with_(**gens):
    return lambda r: {k: g(r) for k, g in gens.items()}


IMG = with_(x=arr((2, 6, 8, 3), F32, 0, 1))

# ---------------------------------------------------------------- resize
for _m in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"):
    for _size in ((12, 16), (4, 5), (3, 11)):
        for _aa in (False, True):
            if _aa and _size == (12, 16):
                continue
            add(f"image.resize_{_m}_{_size[0]}x{_size[1]}_aa{int(_aa)}", "tf.image.resize",
                lambda x, _m=_m, _s=_size, _aa=_aa: tf.image.resize(x, _s, method=_m, antialias=_aa), IMG,
                atol=1e-4, saved_model=_m == "bilinear" and not _aa)
    add(f"image.resize_{_m}_dyn", "tf.image.resize", lambda x, _m=_m: tf.image.resize(x, (9, 5), method=_m), IMG,
        dynamic={"x": [None, None, None, 3]}, atol=1e-4)
add("image.resize_runtime_size", "tf.image.resize", lambda x, s: tf.image.resize(x, s),
    lambda r: {"x": IMG(r)["x"], "s": np.array([9, 5], I32)})
add("image.resize_uint8", "tf.image.resize", lambda x: tf.image.resize(x, (9, 5)), with_(x=arr((1, 6, 8, 3), U8, 0, 255)), atol=1e-3)
add("image.resize_preserve", "tf.image.resize", lambda x: tf.image.resize(x, (9, 9), preserve_aspect_ratio=True), IMG)
for _ac, _hp in ((False, False), (True, False), (False, True)):
    add(f"image.v1_resize_bilinear_ac{int(_ac)}_hp{int(_hp)}", "tf.compat.v1.image.resize_bilinear",
        lambda x, _ac=_ac, _hp=_hp: tf.compat.v1.image.resize_bilinear(x, (9, 5), align_corners=_ac, half_pixel_centers=_hp), IMG, atol=1e-4)
    add(f"image.v1_resize_nearest_ac{int(_ac)}_hp{int(_hp)}", "tf.compat.v1.image.resize_nearest_neighbor",
        lambda x, _ac=_ac, _hp=_hp: tf.compat.v1.image.resize_nearest_neighbor(x, (11, 13), align_corners=_ac, half_pixel_centers=_hp), IMG)
    add(f"image.v1_resize_nearest_down_ac{int(_ac)}_hp{int(_hp)}", "tf.compat.v1.image.resize_nearest_neighbor",
        lambda x, _ac=_ac, _hp=_hp: tf.compat.v1.image.resize_nearest_neighbor(x, (4, 3), align_corners=_ac, half_pixel_centers=_hp), IMG)
    add(f"image.v1_resize_bicubic_ac{int(_ac)}_hp{int(_hp)}", "tf.compat.v1.image.resize_bicubic",
        lambda x, _ac=_ac, _hp=_hp: tf.compat.v1.image.resize_bicubic(x, (9, 5), align_corners=_ac, half_pixel_centers=_hp), IMG, atol=1e-4)
add("image.v1_resize_area", "tf.compat.v1.image.resize_area", lambda x: tf.compat.v1.image.resize_area(x, (3, 4)), IMG, atol=1e-4)
add("image.v1_resize_area_up", "tf.compat.v1.image.resize_area", lambda x: tf.compat.v1.image.resize_area(x, (7, 11)), IMG, atol=1e-4)
add("image.resize_with_pad", "tf.image.resize_with_pad", lambda x: tf.image.resize_with_pad(x, 8, 8), IMG, atol=1e-4)
add("image.resize_with_crop_or_pad", "tf.image.resize_with_crop_or_pad", lambda x: tf.image.resize_with_crop_or_pad(x, 4, 10), IMG)
add("image.central_crop", "tf.image.central_crop", lambda x: tf.image.central_crop(x, 0.5), IMG)
add("image.crop_to_bounding_box", "tf.image.crop_to_bounding_box", lambda x: tf.image.crop_to_bounding_box(x, 1, 2, 3, 4), IMG)
add("image.pad_to_bounding_box", "tf.image.pad_to_bounding_box", lambda x: tf.image.pad_to_bounding_box(x, 1, 2, 9, 11), IMG)
for _n in ("flip_left_right", "flip_up_down", "transpose", "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "rgb_to_yuv",
           "yuv_to_rgb", "rgb_to_yiq", "yiq_to_rgb", "per_image_standardization", "image_gradients", "sobel_edges",
           "total_variation"):
    _f = getattr(tf.image, _n)
    add(f"image.{_n}", f"tf.image.{_n}", lambda x, _f=_f: _f(x), IMG, atol=1e-4)
add("image.rgb_to_hsv_dyn", "tf.image.rgb_to_hsv", tf.image.rgb_to_hsv, IMG, dynamic={"x": [None, None, None, 3]}, atol=1e-4)
add("image.grayscale_to_rgb", "tf.image.grayscale_to_rgb", tf.image.grayscale_to_rgb, with_(x=arr((2, 4, 4, 1))))
add("image.flip_left_right_3d", "tf.image.flip_left_right", tf.image.flip_left_right, with_(x=arr((4, 5, 3))))
for _k in (1, 2, 3):
    add(f"image.rot90_k{_k}", "tf.image.rot90", lambda x, _k=_k: tf.image.rot90(x, _k), IMG)
add("image.adjust_brightness", "tf.image.adjust_brightness", lambda x: tf.image.adjust_brightness(x, 0.2), IMG)
add("image.adjust_contrast", "tf.image.adjust_contrast", lambda x: tf.image.adjust_contrast(x, 1.7), IMG, atol=1e-4)
add("image.adjust_contrast_u8", "tf.image.adjust_contrast", lambda x: tf.image.adjust_contrast(x, 1.7),
    with_(x=arr((1, 4, 4, 3), U8, 0, 255)))
add("image.adjust_gamma", "tf.image.adjust_gamma", lambda x: tf.image.adjust_gamma(x, 0.8, 1.1), IMG, atol=1e-4)
add("image.adjust_hue", "tf.image.adjust_hue", lambda x: tf.image.adjust_hue(x, 0.2), IMG, atol=1e-4)
add("image.adjust_saturation", "tf.image.adjust_saturation", lambda x: tf.image.adjust_saturation(x, 1.5), IMG, atol=1e-4)
add("image.convert_image_dtype_u8_f32", "tf.image.convert_image_dtype", lambda x: tf.image.convert_image_dtype(x, tf.float32),
    with_(x=arr((1, 4, 4, 3), U8, 0, 255)))
add("image.convert_image_dtype_f_u8", "tf.image.convert_image_dtype",
    lambda x: tf.image.convert_image_dtype(x, tf.uint8, saturate=True), IMG)
add("image.convert_image_dtype_u8_f16", "tf.image.convert_image_dtype", lambda x: tf.image.convert_image_dtype(x, tf.float16),
    with_(x=arr((1, 4, 4, 3), U8, 0, 255)))
add("image.extract_patches", "tf.image.extract_patches",
    lambda x: tf.image.extract_patches(x, [1, 2, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"), IMG)
add("image.extract_patches_same_rate", "tf.image.extract_patches",
    lambda x: tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 2, 1], [1, 2, 1, 1], "SAME"), IMG)
for _m in ("bilinear", "nearest"):
    add(f"image.crop_and_resize_{_m}", "tf.image.crop_and_resize",
        lambda x, b, i, _m=_m: tf.image.crop_and_resize(x, b, i, (3, 4), method=_m, extrapolation_value=-1.0),
        (lambda r: {"x": IMG(r)["x"], "b": np.array([[0.1, 0.2, 0.8, 0.9], [-0.2, 0.0, 0.5, 1.3], [0.6, 0.7, 0.2, 0.1]], F32),
                    "i": np.array([1, 0, 1], I32)}), atol=1e-4)


def _boxes(r, n=8):
    y, x = r.uniform(0, 0.7, (n,)), r.uniform(0, 0.7, (n,))
    h, ww = r.uniform(0.1, 0.4, (n,)), r.uniform(0.1, 0.4, (n,))
    return np.stack([y, x, y + h, x + ww], 1).astype(F32)


_NMS_IN = lambda r: {"b": _boxes(r), "s": r.permutation(8).astype(F32) / 8}  # noqa: E731
add("image.non_max_suppression", "tf.image.non_max_suppression",
    lambda b, s: tf.image.non_max_suppression(b, s, 5, 0.3), _NMS_IN)
add("image.non_max_suppression_score_thr", "tf.image.non_max_suppression",
    lambda b, s: tf.image.non_max_suppression(b, s, 6, 0.5, 0.3), _NMS_IN)
add("image.non_max_suppression_with_scores", "tf.image.non_max_suppression_with_scores",
    lambda b, s: tf.image.non_max_suppression_with_scores(b, s, 5, 0.4), _NMS_IN)
add("image.non_max_suppression_padded", "tf.image.non_max_suppression_padded",
    lambda b, s: tf.image.non_max_suppression_padded(b, s, 5, 0.4, pad_to_max_output_size=True), _NMS_IN)
add("image.non_max_suppression_overlaps", "tf.image.non_max_suppression_overlaps",
    lambda o, s: tf.image.non_max_suppression_overlaps(o, s, 3, 0.5),
    lambda r: {"o": r.uniform(0, 1, (5, 5)).astype(F32), "s": r.permutation(5).astype(F32)})
add("image.combined_non_max_suppression", "tf.image.combined_non_max_suppression",
    lambda b, s: tf.image.combined_non_max_suppression(b, s, 3, 4, 0.5, 0.1),
    lambda r: {"b": _boxes(r, 12).reshape(2, 6, 1, 4), "s": r.uniform(0, 1, (2, 6, 3)).astype(F32)})
add("image.psnr", "tf.image.psnr", lambda a, b: tf.image.psnr(a, b, 1.0),
    lambda r: {"a": IMG(r)["x"], "b": IMG(r)["x"]}, atol=1e-4)
add("image.draw_bounding_boxes", "tf.image.draw_bounding_boxes",
    lambda x, b: tf.image.draw_bounding_boxes(x, b, np.array([[1.0, 0.0, 0.0, 1.0]], F32)),
    lambda r: {"x": IMG(r)["x"], "b": np.array([[[0.1, 0.1, 0.6, 0.7]], [[0.2, 0.3, 0.9, 0.8]]], F32)})

# ---------------------------------------------------------------- linalg (non-factorization)
add("linalg.matmul", "tf.linalg.matmul", tf.linalg.matmul, with_(a=arr((2, 3)), b=arr((3, 4))), saved_model=True)
add("linalg.matmul_ta_tb", "tf.linalg.matmul", lambda a, b: tf.linalg.matmul(a, b, transpose_a=True, transpose_b=True),
    with_(a=arr((2, 3, 2)), b=arr((2, 4, 3))))
add("linalg.matmul_bcast", "tf.linalg.matmul", tf.linalg.matmul, with_(a=arr((2, 1, 3, 4)), b=arr((3, 4, 2))))
add("linalg.matmul_int32", "tf.linalg.matmul", tf.linalg.matmul, with_(a=arr((2, 3), I32), b=arr((3, 4), I32)))
add("linalg.matmul_f16", "tf.linalg.matmul", tf.linalg.matmul, with_(a=arr((2, 3), F16), b=arr((3, 4), F16)))
add("linalg.matmul_f64", "tf.linalg.matmul", tf.linalg.matmul, with_(a=arr((2, 3), F64), b=arr((3, 4), F64)))
add("linalg.matmul_dyn", "tf.linalg.matmul", tf.linalg.matmul, with_(a=arr((2, 2, 3)), b=arr((2, 3, 4))),
    dynamic={"a": [None, None, 3], "b": [None, 3, None]})
add("linalg.matmul_empty", "tf.linalg.matmul", tf.linalg.matmul, with_(a=arr((0, 3)), b=arr((3, 4))))
add("linalg.matvec", "tf.linalg.matvec", tf.linalg.matvec, with_(a=arr((2, 3, 4)), b=arr((2, 4))))
for _n in ("diag", "diag_part", "trace", "matrix_transpose", "adjoint", "det", "inv", "logdet", "slogdet", "pinv"):
    _f = getattr(tf.linalg, _n)
    _shape = (2, 4) if _n == "diag" else (2, 4, 4)
    add(f"linalg.{_n}", f"tf.linalg.{_n}", lambda x, _f=_f: _f(x),
        with_(x=(lambda r, _s=_shape: (r.uniform(-1, 1, _s) + (3 * np.eye(4) if len(_s) == 3 else 0)).astype(F32))),
        atol=1e-4, rtol=1e-3)
add("linalg.set_diag", "tf.linalg.set_diag", tf.linalg.set_diag, with_(x=arr((2, 3, 4)), d=arr((2, 3))))
add("linalg.diag_k", "tf.linalg.diag", lambda d: tf.linalg.diag(d, k=1, num_rows=4, num_cols=5, padding_value=-1), with_(d=arr((2, 4))))
add("linalg.diag_part_k", "tf.linalg.diag_part", lambda x: tf.linalg.diag_part(x, k=(-1, 1)), with_(x=arr((2, 4, 4))))
add("linalg.band_part_runtime", "tf.linalg.band_part", lambda x, l, u: tf.linalg.band_part(x, l, u),
    with_(x=arr((3, 5)), l=fixed(1, I64), u=fixed(0, I64)))
add("linalg.norm_fro", "tf.linalg.norm", lambda x: tf.linalg.norm(x), with_(x=arr((3, 4))))
add("linalg.norm_1_ax", "tf.linalg.norm", lambda x: tf.linalg.norm(x, ord=1, axis=-1, keepdims=True), with_(x=arr((3, 4))))
add("linalg.norm_inf", "tf.linalg.norm", lambda x: tf.linalg.norm(x, ord=np.inf, axis=1), with_(x=arr((3, 4))))
add("linalg.norm_mat_1", "tf.linalg.norm", lambda x: tf.linalg.norm(x, ord=1, axis=[-2, -1]), with_(x=arr((2, 3, 4))))
add("linalg.global_norm", "tf.linalg.global_norm", lambda a, b: tf.linalg.global_norm([a, b]), with_(a=arr((3, 4)), b=arr((2,))))
add("linalg.cross", "tf.linalg.cross", tf.linalg.cross, with_(a=arr((4, 3)), b=arr((4, 3))))
add("linalg.eye", "tf.eye", lambda x: tf.eye(3, 4, batch_shape=[2]) + x, with_(x=arr((2, 3, 4))))
add("linalg.eye_dyn", "tf.eye", lambda n: tf.eye(n), with_(n=fixed(3)))
add("linalg.tridiagonal_matmul", "tf.linalg.tridiagonal_matmul",
    lambda d, x: tf.linalg.tridiagonal_matmul(d, x, diagonals_format="compact"),
    with_(d=arr((3, 4)), x=arr((4, 2))))
add("linalg.expm", "tf.linalg.expm", tf.linalg.expm, with_(x=arr((2, 3, 3), F32, -0.5, 0.5)), atol=1e-4)

# ---------------------------------------------------------------- signal
add("signal.rfft", "tf.signal.rfft", tf.signal.rfft, with_(x=arr((2, 8))), atol=1e-4)
add("signal.rfft_len", "tf.signal.rfft", lambda x: tf.signal.rfft(x, [6]), with_(x=arr((2, 8))), atol=1e-4)
add("signal.irfft", "tf.signal.irfft", lambda x: tf.signal.irfft(tf.complex(x, x)), with_(x=arr((2, 5))), atol=1e-4)
add("signal.fft", "tf.signal.fft", lambda x, y: tf.signal.fft(tf.complex(x, y)), with_(x=arr((2, 8)), y=arr((2, 8))), atol=1e-4)
add("signal.ifft", "tf.signal.ifft", lambda x, y: tf.math.real(tf.signal.ifft(tf.complex(x, y))), with_(x=arr((2, 8)), y=arr((2, 8))), atol=1e-4)
add("signal.rfft2d", "tf.signal.rfft2d", tf.signal.rfft2d, with_(x=arr((2, 4, 6))), atol=1e-4)
add("signal.fft_abs", "tf.math.abs", lambda x: tf.abs(tf.signal.rfft(x)), with_(x=arr((2, 8))), atol=1e-4)
add("signal.stft", "tf.signal.stft", lambda x: tf.abs(tf.signal.stft(x, 16, 8, 16)), with_(x=arr((2, 64))), atol=1e-3)
add("signal.frame", "tf.signal.frame", lambda x: tf.signal.frame(x, 4, 2), with_(x=arr((2, 11))))
add("signal.frame_pad", "tf.signal.frame", lambda x: tf.signal.frame(x, 4, 3, pad_end=True, pad_value=-1.0, axis=0), with_(x=arr((10, 2))))
add("signal.hann_window", "tf.signal.hann_window", lambda x: x * tf.signal.hann_window(8), with_(x=arr((8,))))
add("signal.hamming_window", "tf.signal.hamming_window", lambda x: x * tf.signal.hamming_window(8, periodic=False), with_(x=arr((8,))))
add("signal.dct", "tf.signal.dct", lambda x: tf.signal.dct(x, type=2), with_(x=arr((2, 8))), atol=1e-4)
add("signal.dct_ortho", "tf.signal.dct", lambda x: tf.signal.dct(x, type=2, norm="ortho"), with_(x=arr((2, 8))), atol=1e-4)
add("signal.idct", "tf.signal.idct", lambda x: tf.signal.idct(x, type=2), with_(x=arr((2, 8))), atol=1e-4)
add("signal.overlap_and_add", "tf.signal.overlap_and_add", lambda x: tf.signal.overlap_and_add(x, 2), with_(x=arr((2, 5, 4))))
add("signal.mfccs", "tf.signal.mfccs_from_log_mel_spectrograms", tf.signal.mfccs_from_log_mel_spectrograms,
    with_(x=arr((2, 3, 8))), atol=1e-4)
add("signal.mel_matmul", "tf.signal.linear_to_mel_weight_matrix",
    lambda x: tf.matmul(x, tf.signal.linear_to_mel_weight_matrix(8, 33, 16000)), with_(x=arr((2, 33), F32, 0, 1)), atol=1e-4)

# ---------------------------------------------------------------- strings
STR = lambda r: {"s": np.array([b"Hello World", b"  tensorFlow ", b"", b"ABC abc 123"], object)}  # noqa: E731
for _n, _f in {"lower": tf.strings.lower, "upper": tf.strings.upper, "length": tf.strings.length,
               "strip": tf.strings.strip, "substr": lambda s: tf.strings.substr(s, 1, 3),
               "regex_full_match": lambda s: tf.strings.regex_full_match(s, "[A-Za-z ]+"),
               "regex_replace": lambda s: tf.strings.regex_replace(s, "[aeiou]", "_"),
               "join": lambda s: tf.strings.join([s, s], separator="-"),
               "reduce_join": lambda s: tf.strings.reduce_join(s, separator=","),
               "equal": lambda s: tf.equal(s, "ABC abc 123"),
               "to_hash_bucket_fast": lambda s: tf.strings.to_hash_bucket_fast(s, 10),
               "split_to_tensor": lambda s: tf.strings.split(s).to_tensor(""),
               "length_utf8": lambda s: tf.strings.length(s, unit="UTF8_CHAR")}.items():
    add(f"strings.{_n}", f"tf.strings.{_n}", _f, STR, opsets=(17, 21))
add("strings.to_number", "tf.strings.to_number", tf.strings.to_number,
    lambda r: {"s": np.array([b"1.5", b"-2", b"3e2"], object)})
add("strings.to_number_int", "tf.strings.to_number", lambda s: tf.strings.to_number(s, tf.int64),
    lambda r: {"s": np.array([b"15", b"-2", b"300"], object)})
add("strings.as_string_int", "tf.strings.as_string", tf.strings.as_string, with_(x=arr((3,), I32, -50, 50)))
add("strings.as_string_float", "tf.strings.as_string", lambda x: tf.strings.as_string(x, precision=2), with_(x=arr((3,))))

# ---------------------------------------------------------------- sparse (dense-producing)
_SP = lambda r: {"i": np.array([[0, 1], [1, 3], [2, 0]], I64), "v": r.uniform(-2, 2, (3,)).astype(F32)}  # noqa: E731
add("sparse.to_dense", "tf.sparse.to_dense", lambda i, v: tf.sparse.to_dense(tf.SparseTensor(i, v, [3, 4])), _SP)
add("sparse.to_dense_default", "tf.sparse.to_dense",
    lambda i, v: tf.sparse.to_dense(tf.SparseTensor(i, v, [3, 4]), default_value=9.0), _SP)
add("sparse.dense_matmul", "tf.sparse.sparse_dense_matmul",
    lambda i, v, d: tf.sparse.sparse_dense_matmul(tf.SparseTensor(i, v, [3, 4]), d),
    lambda r: {**_SP(r), "d": r.uniform(-1, 1, (4, 2)).astype(F32)})
add("sparse.reduce_sum", "tf.sparse.reduce_sum", lambda i, v: tf.sparse.reduce_sum(tf.SparseTensor(i, v, [3, 4]), axis=1), _SP)
add("sparse.reduce_max", "tf.sparse.reduce_max", lambda i, v: tf.sparse.reduce_max(tf.SparseTensor(i, v, [3, 4]), axis=0), _SP)
add("sparse.add_dense", "tf.sparse.add", lambda i, v, d: tf.sparse.add(tf.SparseTensor(i, v, [3, 4]), d),
    lambda r: {**_SP(r), "d": r.uniform(-1, 1, (3, 4)).astype(F32)})
add("sparse.reshape", "tf.sparse.reshape", lambda i, v: tf.sparse.to_dense(tf.sparse.reshape(tf.SparseTensor(i, v, [3, 4]), [2, 6])), _SP)
add("sparse.fill_empty_rows", "tf.sparse.fill_empty_rows",
    lambda i, v: tf.sparse.to_dense(tf.sparse.fill_empty_rows(tf.SparseTensor(i, v, [4, 4]), -1.0)[0]), _SP)
add("sparse.softmax", "tf.sparse.softmax", lambda i, v: tf.sparse.to_dense(tf.sparse.softmax(tf.SparseTensor(i, v, [3, 4]))), _SP)
add("sparse.from_dense", "tf.sparse.from_dense", lambda x: tf.sparse.to_dense(tf.sparse.from_dense(x)),
    with_(x=lambda r: (r.integers(0, 2, (3, 4)) * r.uniform(-1, 1, (3, 4))).astype(F32)))
add("sparse.maximum", "tf.sparse.maximum", lambda i, v: tf.sparse.to_dense(tf.sparse.maximum(tf.SparseTensor(i, v, [3, 4]), tf.SparseTensor(i, v * 0.5, [3, 4]))), _SP)
for _n in ("segment_sum", "segment_mean", "segment_sqrt_n"):
    _f = getattr(tf.sparse, _n)
    add(f"sparse.{_n}", f"tf.sparse.{_n}", lambda x, i, s, _f=_f: _f(x, i, s),
        with_(x=arr((5, 3)), i=fixed([0, 2, 4, 4]), s=fixed([0, 0, 1, 1])))
    add(f"sparse.{_n}_num", f"tf.sparse.{_n}", lambda x, i, s, _f=_f: _f(x, i, s, num_segments=4),
        with_(x=arr((5, 3)), i=fixed([0, 2, 4, 4]), s=fixed([0, 0, 1, 3])))

# ---------------------------------------------------------------- stateless random (shapes and ranges)
SEED = lambda r: np.array([3, 7], I32)  # noqa: E731
for _dt in (tf.float32, tf.float16, tf.float64):
    add(f"random.stateless_uniform_{_dt.name}", "tf.random.stateless_uniform",
        lambda s, _dt=_dt: tf.random.stateless_uniform([3, 4], s, dtype=_dt), with_(s=SEED), check="shape", value_range=(0, 1))
    add(f"random.stateless_normal_{_dt.name}", "tf.random.stateless_normal",
        lambda s, _dt=_dt: tf.random.stateless_normal([3, 4], s, dtype=_dt), with_(s=SEED), check="shape")
add("random.stateless_uniform_int", "tf.random.stateless_uniform",
    lambda s: tf.random.stateless_uniform([5], s, minval=2, maxval=9, dtype=tf.int32), with_(s=SEED), check="shape", value_range=(2, 8))
add("random.stateless_uniform_minmax", "tf.random.stateless_uniform",
    lambda s: tf.random.stateless_uniform([5, 2], s, minval=-3.0, maxval=-1.0), with_(s=SEED), check="shape", value_range=(-3, -1))
add("random.stateless_uniform_dyn_shape", "tf.random.stateless_uniform",
    lambda x, s: x + tf.random.stateless_uniform(tf.shape(x), s), with_(x=arr((2, 3), F32, 0, 0), s=SEED),
    dynamic={"x": [None, 3]}, check="shape", value_range=(0, 1))
add("random.stateless_truncated_normal", "tf.random.stateless_truncated_normal",
    lambda s: tf.random.stateless_truncated_normal([4, 4], s), with_(s=SEED), check="shape", value_range=(-2, 2))
add("random.stateless_categorical", "tf.random.stateless_categorical",
    lambda l, s: tf.random.stateless_categorical(l, 5, s), with_(l=arr((2, 3)), s=SEED), check="shape", value_range=(0, 2))
add("random.stateless_binomial", "tf.random.stateless_binomial",
    lambda s: tf.random.stateless_binomial([4], s, 10.0, 0.5), with_(s=SEED), check="shape", value_range=(0, 10))
add("random.stateless_poisson", "tf.random.stateless_poisson",
    lambda s: tf.random.stateless_poisson([4], s, 3.0), with_(s=SEED), check="shape", value_range=(0, 1e9))
add("random.stateless_uniform_i64seed", "tf.random.stateless_uniform",
    lambda s: tf.random.stateless_uniform([3], s), with_(s=lambda r: np.array([1, 2], I64)), check="shape", value_range=(0, 1))
add("random.uniform", "tf.random.uniform", lambda x: x + tf.random.uniform([2, 3], seed=1), with_(x=arr((2, 3), F32, 0, 0)),
    check="shape", value_range=(0, 1))
add("random.normal", "tf.random.normal", lambda x: x + tf.random.normal([2, 3], seed=1), with_(x=arr((2, 3), F32, 0, 0)), check="shape")
