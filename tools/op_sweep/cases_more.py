"""Sweep cases: array ops, tf.nn, tf.image, tf.linalg, tf.signal, tf.strings, tf.sparse,
stateless tf.random."""

import numpy as np

from cases import BOOL, F16, F32, F64, I8, I16, I32, I64, U8, add, arr, dname, ins, tf


def fixed(v, dt=I32):
    return lambda r: np.array(v, dt)


def with_(**gens):
    return lambda r: {k: g(r) for k, g in gens.items()}


# ---------------------------------------------------------------- gather / scatter / where
for _dt in (F32, I32, I64, U8, BOOL, F16):
    add(f"array.gather_{dname(_dt)}", "tf.gather", lambda x, i: tf.gather(x, i, axis=1),
        with_(x=arr((3, 4, 2), _dt, 0, 9), i=fixed([[0, 3], [2, 2]])), saved_model=_dt == F32)
add("array.gather_neg_idx", "tf.gather", lambda x, i: tf.gather(x, i), with_(x=arr((4, 3)), i=fixed([-1, 0, -4])))
add("array.gather_i64_idx_dyn", "tf.gather", lambda x, i: tf.gather(x, i, axis=0),
    with_(x=arr((4, 3)), i=fixed([3, 1], I64)), dynamic={"x": [None, 3], "i": [None]})
add("array.gather_empty_idx", "tf.gather", lambda x, i: tf.gather(x, i, axis=0),
    with_(x=arr((4, 3)), i=lambda r: np.zeros((0,), I32)))
for _bd, _ax in ((1, 1), (1, 2), (2, 2), (-1, -1)):
    add(f"array.gather_bd{_bd}_ax{_ax}", "tf.gather", lambda x, i, _bd=_bd, _ax=_ax: tf.gather(x, i, axis=_ax, batch_dims=_bd),
        with_(x=arr((2, 3, 4)), i=lambda r: r.integers(0, 3, (2, 3, 2)).astype(I32)))
add("array.gather_nd", "tf.gather_nd", lambda x, i: tf.gather_nd(x, i),
    with_(x=arr((3, 4, 2)), i=fixed([[0, 1], [2, 3]])))
add("array.gather_nd_full", "tf.gather_nd", lambda x, i: tf.gather_nd(x, i),
    with_(x=arr((3, 4), I64), i=fixed([[[0, 1]], [[2, 3]]], I64)))
add("array.gather_nd_bd1", "tf.gather_nd", lambda x, i: tf.gather_nd(x, i, batch_dims=1),
    with_(x=arr((2, 3, 4)), i=fixed([[[1], [0]], [[2], [2]]])))
add("array.gather_nd_neg", "tf.gather_nd", lambda x, i: tf.gather_nd(x, i),
    with_(x=arr((3, 4)), i=fixed([[0], [2]])), dynamic={"i": [None, 1]})
add("array.scatter_nd", "tf.scatter_nd", lambda i, u: tf.scatter_nd(i, u, [5, 3]),
    with_(i=fixed([[1], [3], [1]]), u=arr((3, 3))))
add("array.scatter_nd_int", "tf.scatter_nd", lambda i, u: tf.scatter_nd(i, u, [4, 4]),
    with_(i=fixed([[1, 2], [3, 0]], I64), u=arr((2,), I32, 0, 9)))
add("array.scatter_nd_runtime_shape", "tf.scatter_nd", lambda i, u, s: tf.scatter_nd(i, u, s),
    with_(i=fixed([[0], [2]]), u=arr((2, 3)), s=fixed([4, 3])))
for _n in ("tensor_scatter_nd_update", "tensor_scatter_nd_add", "tensor_scatter_nd_sub",
           "tensor_scatter_nd_max", "tensor_scatter_nd_min"):
    _f = getattr(tf, _n)
    add(f"array.{_n}", f"tf.{_n}", lambda x, i, u, _f=_f: _f(x, i, u),
        with_(x=arr((5, 3)), i=fixed([[1], [3]]), u=arr((2, 3))))
    add(f"array.{_n}_elem_int", f"tf.{_n}", lambda x, i, u, _f=_f: _f(x, i, u),
        with_(x=arr((4, 4), I32, -9, 9), i=fixed([[1, 2], [3, 0]]), u=arr((2,), I32, -9, 9)))
add("array.tensor_scatter_nd_add_dup", "tf.tensor_scatter_nd_add", lambda x, i, u: tf.tensor_scatter_nd_add(x, i, u),
    with_(x=arr((5, 3)), i=fixed([[1], [1], [4]]), u=arr((3, 3))))
add("array.where1", "tf.where", lambda c: tf.where(c), with_(c=arr((3, 4), BOOL)))
add("array.where1_float", "tf.where", lambda c: tf.where(c), with_(c=lambda r: r.integers(0, 2, (2, 3, 2)).astype(F32)))
add("array.where1_empty", "tf.where", lambda c: tf.where(c), with_(c=lambda r: np.zeros((3,), BOOL)))
add("array.where3", "tf.where", lambda c, x, y: tf.where(c, x, y), with_(c=arr((2, 3), BOOL), x=arr((2, 3)), y=arr((2, 3))))
add("array.where3_bcast", "tf.where", lambda c, x, y: tf.where(c, x, y),
    with_(c=arr((3, 1), BOOL), x=arr((1, 4), I32), y=arr((3, 4), I32)), dynamic={"c": [None, 1]})
add("array.where3_scalar_y", "tf.where", lambda c, x: tf.where(c, x, 0.0), with_(c=arr((2, 3), BOOL), x=arr((2, 3))))
add("array.boolean_mask", "tf.boolean_mask", lambda x, m: tf.boolean_mask(x, m), with_(x=arr((4, 2)), m=arr((4,), BOOL)))
add("array.boolean_mask_axis1", "tf.boolean_mask", lambda x, m: tf.boolean_mask(x, m, axis=1),
    with_(x=arr((2, 4, 3)), m=arr((4,), BOOL)))

# ---------------------------------------------------------------- tile / pad / reverse / roll / ...
for _dt in (F32, I32, BOOL, U8, F16):
    add(f"array.tile_{dname(_dt)}", "tf.tile", lambda x: tf.tile(x, [2, 1, 3]), with_(x=arr((2, 3, 1), _dt)))
add("array.tile_runtime", "tf.tile", lambda x, m: tf.tile(x, m), with_(x=arr((2, 3)), m=fixed([2, 2], I64)),
    dynamic={"x": [None, 3]})
add("array.tile_empty", "tf.tile", lambda x: tf.tile(x, [0, 2]), with_(x=arr((2, 3))))
for _mode in ("CONSTANT", "REFLECT", "SYMMETRIC"):
    for _dt in (F32, I32, U8):
        add(f"array.pad_{_mode}_{dname(_dt)}", "tf.pad", lambda x, _m=_mode: tf.pad(x, [[1, 2], [2, 1]], mode=_m),
            with_(x=arr((3, 4), _dt, 0, 9)))
    add(f"array.pad_{_mode}_runtime", "tf.pad", lambda x, p, _m=_mode: tf.pad(x, p, mode=_m),
        with_(x=arr((3, 4)), p=fixed([[1, 0], [0, 2]])), dynamic={"x": [None, None]})
add("array.pad_const_value", "tf.pad", lambda x: tf.pad(x, [[1, 1], [0, 2]], constant_values=-7.5), with_(x=arr((2, 2))))
add("array.pad_4d_nhwc", "tf.pad", lambda x: tf.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]], mode="REFLECT"),
    with_(x=arr((1, 4, 5, 2))))
add("array.pad_empty", "tf.pad", lambda x: tf.pad(x, [[1, 1], [0, 0]]), with_(x=arr((0, 3))))
for _ax in ([0], [1], [-1], [0, 2]):
    add(f"array.reverse_{_ax}", "tf.reverse", lambda x, _ax=_ax: tf.reverse(x, _ax), with_(x=arr((2, 3, 4), I32)))
add("array.reverse_dyn", "tf.reverse", lambda x: tf.reverse(x, [1]), with_(x=arr((2, 3))), dynamic={"x": [None, None]})
for _sh, _ax in ((1, 0), (-2, 1), ([1, 2], [0, 1]), (5, 1), (3, -1)):
    add(f"array.roll_{_sh}_{_ax}", "tf.roll", lambda x, _s=_sh, _a=_ax: tf.roll(x, _s, _a), with_(x=arr((3, 4))))
add("array.roll_runtime", "tf.roll", lambda x, s: tf.roll(x, s, axis=1), with_(x=arr((3, 4)), s=fixed(3)),
    dynamic={"x": [None, None]})
add("array.reverse_sequence", "tf.reverse_sequence", lambda x, l: tf.reverse_sequence(x, l, seq_axis=1, batch_axis=0),
    with_(x=arr((3, 5, 2)), l=fixed([2, 5, 0], I64)))
add("array.reverse_sequence_t", "tf.reverse_sequence", lambda x, l: tf.reverse_sequence(x, l, seq_axis=0, batch_axis=1),
    with_(x=arr((4, 3)), l=fixed([1, 3, 4], I32)))
add("array.concat", "tf.concat", lambda a, b: tf.concat([a, b], -1), with_(a=arr((2, 3)), b=arr((2, 1))))
add("array.concat_empty", "tf.concat", lambda a, b: tf.concat([a, b], 0), with_(a=arr((0, 3), I32), b=arr((2, 3), I32)))
add("array.stack", "tf.stack", lambda a, b: tf.stack([a, b], axis=1), with_(a=arr((2, 3), BOOL), b=arr((2, 3), BOOL)))
add("array.unstack", "tf.unstack", lambda a: tf.unstack(a, axis=1), with_(a=arr((2, 3, 2))))
add("array.split_num", "tf.split", lambda a: tf.split(a, 3, axis=1), with_(a=arr((2, 6))), dynamic={"a": [None, 6]})
add("array.split_sizes", "tf.split", lambda a: tf.split(a, [1, -1, 2], axis=0), with_(a=arr((6, 2), I64)))
add("array.slice", "tf.slice", lambda a: tf.slice(a, [1, 0], [-1, 2]), with_(a=arr((3, 4))))
add("array.slice_runtime", "tf.slice", lambda a, b, s: tf.slice(a, b, s), with_(a=arr((3, 4)), b=fixed([1, 1]), s=fixed([2, -1])))
add("array.strided_slice_masks", "tf.strided_slice", lambda a: a[1:, ..., None, ::-2, 0],
    with_(a=arr((3, 4, 5, 2))))
add("array.strided_slice_shrink", "tf.strided_slice", lambda a: a[-1, 1:3], with_(a=arr((3, 4))), dynamic={"a": [None, None]})
add("array.strided_slice_neg_stride", "tf.strided_slice", lambda a: a[::-1, 3:0:-2], with_(a=arr((3, 5))))
add("array.strided_slice_runtime_begin", "tf.strided_slice", lambda a, b: a[b:, :b + 1],
    with_(a=arr((4, 4)), b=fixed(1)))
for _ax, _dt in ((-1, F32), (0, I32), (1, F16)):
    add(f"array.one_hot_ax{_ax}_{dname(_dt)}", "tf.one_hot",
        lambda i, _ax=_ax, _dt=_dt: tf.one_hot(i, 4, on_value=np.array(3, _dt), off_value=np.array(-1, _dt), axis=_ax),
        with_(i=fixed([[0, 3, 5], [-1, 2, 1]])))
add("array.one_hot_u8_idx", "tf.one_hot", lambda i: tf.one_hot(i, 5), with_(i=fixed([0, 4, 2], U8)))
add("array.fill", "tf.fill", lambda d: tf.fill(d, 2.5), with_(d=fixed([2, 3])))
add("array.zeros_like", "tf.zeros_like", tf.zeros_like, with_(x=arr((2, 3), I32)), dynamic={"x": [None, 3]})
add("array.ones_like_bool", "tf.ones_like", tf.ones_like, with_(x=arr((2, 3), BOOL)))
add("array.zeros_dyn", "tf.zeros", lambda x: tf.zeros(tf.shape(x), tf.int64), with_(x=arr((2, 3))), dynamic={"x": [None, 3]})
add("array.range", "tf.range", lambda n: tf.range(n), with_(n=fixed(5)))
add("array.range_float", "tf.range", lambda a, b: tf.range(a, b, 0.5), with_(a=fixed(1.0, F32), b=fixed(3.2, F32)))
add("array.range_neg_delta", "tf.range", lambda n: tf.range(n, 0, -2, dtype=tf.int64), with_(n=fixed(7, I64)))
add("array.linspace", "tf.linspace", lambda a, b: tf.linspace(a, b, 5), with_(a=fixed(0.0, F32), b=fixed(2.0, F32)))
add("array.linspace_vec", "tf.linspace", lambda a, b: tf.linspace(a, b, 4, axis=1),
    with_(a=fixed([0.0, 1.0], F32), b=fixed([1.0, 3.0], F32)))
add("array.meshgrid", "tf.meshgrid", lambda a, b: tf.meshgrid(a, b), with_(a=arr((3,)), b=arr((2,))))
add("array.meshgrid_ij", "tf.meshgrid", lambda a, b: tf.meshgrid(a, b, indexing="ij"), with_(a=arr((3,)), b=arr((2,))))
add("array.broadcast_to", "tf.broadcast_to", lambda x: tf.broadcast_to(x, [2, 3, 4]), with_(x=arr((3, 1))))
add("array.broadcast_to_runtime", "tf.broadcast_to", lambda x, s: tf.broadcast_to(x, s), with_(x=arr((1, 4), I32), s=fixed([3, 4])))
add("array.broadcast_dynamic_shape", "tf.broadcast_dynamic_shape",
    lambda a, b: tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b)), with_(a=arr((2, 1)), b=arr((1, 3))),
    dynamic={"a": [None, 1], "b": [1, None]})
add("array.expand_dims_runtime", "tf.expand_dims", lambda x, a: tf.expand_dims(x, a), with_(x=arr((2, 3)), a=fixed(-1)))
add("array.squeeze", "tf.squeeze", lambda x: tf.squeeze(x, [1]), with_(x=arr((2, 1, 3, 1))))
add("array.squeeze_all", "tf.squeeze", tf.squeeze, with_(x=arr((1, 3, 1))))
add("array.reshape_dyn", "tf.reshape", lambda x: tf.reshape(x, [-1, 2]), with_(x=arr((3, 4))), dynamic={"x": [None, 4]})
add("array.reshape_empty", "tf.reshape", lambda x: tf.reshape(x, [0, 5]), with_(x=arr((0, 3))))
add("array.transpose", "tf.transpose", lambda x: tf.transpose(x, [2, 0, 1]), with_(x=arr((2, 3, 4), U8)))
add("array.transpose_default", "tf.transpose", tf.transpose, with_(x=arr((2, 3, 4))))
add("array.transpose_runtime", "tf.transpose", lambda x, p: tf.transpose(x, p), with_(x=arr((2, 3, 4)), p=fixed([1, 2, 0])))
add("array.size", "tf.size", lambda x: tf.size(x, out_type=tf.int64), with_(x=arr((2, 3))), dynamic={"x": [None, 3]})
add("array.rank", "tf.rank", tf.rank, with_(x=arr((2, 3))))
add("array.shape_i64", "tf.shape", lambda x: tf.shape(x, out_type=tf.int64), with_(x=arr((2, 3))), dynamic={"x": [None, None]})
add("array.shape_n", "tf.shape_n", lambda a, b: tf.shape_n([a, b]), with_(a=arr((2, 3)), b=arr((4,))), dynamic={"a": [None, 3]})
add("array.identity_n", "tf.identity_n", lambda a, b: tf.identity_n([a, b]), with_(a=arr((2,)), b=arr((3,), I32)))
add("array.stop_gradient", "tf.stop_gradient", tf.stop_gradient, with_(x=arr((2,))))
add("array.ensure_shape", "tf.ensure_shape", lambda x: tf.ensure_shape(x, [None, 3]), with_(x=arr((2, 3))), dynamic={"x": [None, 3]})
add("array.searchsorted_left", "tf.searchsorted", lambda s, v: tf.searchsorted(s, v),
    with_(s=fixed([[1.0, 2.0, 2.0, 5.0], [0.0, 0.5, 1.0, 9.0]], F32), v=fixed([[2.0, 6.0, 0.0], [0.5, 3.0, -1.0]], F32)))
add("array.searchsorted_right_i64", "tf.searchsorted", lambda s, v: tf.searchsorted(s, v, side="right", out_type=tf.int64),
    with_(s=fixed([[1, 2, 2, 5]]), v=fixed([[2, 6, 0]])))
add("array.unique", "tf.unique", tf.unique, with_(x=fixed([3, 1, 3, 2, 1, 7])))
add("array.unique_f", "tf.unique", lambda x: tf.unique(x, out_idx=tf.int64), with_(x=fixed([0.5, 1.0, 0.5], F32)))
add("array.unique_with_counts", "tf.unique_with_counts", tf.unique_with_counts, with_(x=fixed([3, 1, 3, 2, 1, 7], I64)))
for _dir in ("ASCENDING", "DESCENDING"):
    for _dt in (F32, I32):
        add(f"array.sort_{_dir}_{dname(_dt)}", "tf.sort", lambda x, _d=_dir: tf.sort(x, direction=_d),
            lambda r, _dt=_dt: {"x": r.permutation(12).reshape(3, 4).astype(_dt)})
        add(f"array.argsort_{_dir}_{dname(_dt)}", "tf.argsort", lambda x, _d=_dir: tf.argsort(x, direction=_d, stable=True),
            lambda r, _dt=_dt: {"x": r.permutation(12).reshape(3, 4).astype(_dt)})
add("array.sort_axis0", "tf.sort", lambda x: tf.sort(x, axis=0), lambda r: {"x": r.permutation(12).reshape(4, 3).astype(F32)})
add("array.sort_dyn", "tf.sort", tf.sort, lambda r: {"x": r.permutation(12).reshape(3, 4).astype(F32)}, dynamic={"x": [None, None]})
add("array.histogram_fixed_width", "tf.histogram_fixed_width", lambda x: tf.histogram_fixed_width(x, [0.0, 5.0], nbins=5),
    with_(x=arr((10,), F32, -1, 6)))
add("array.sequence_mask", "tf.sequence_mask", lambda l: tf.sequence_mask(l, 5), with_(l=fixed([1, 3, 0, 5])))
add("array.sequence_mask_dyn", "tf.sequence_mask", lambda l: tf.sequence_mask(l, dtype=tf.float32), with_(l=fixed([[1, 3], [2, 0]])))
add("array.repeat", "tf.repeat", lambda x: tf.repeat(x, 2, axis=1), with_(x=arr((2, 3))))
add("array.repeat_vec", "tf.repeat", lambda x: tf.repeat(x, [1, 0, 3], axis=0), with_(x=arr((3, 2))))
add("array.repeat_runtime", "tf.repeat", lambda x, r: tf.repeat(x, r, axis=0), with_(x=arr((3, 2)), r=fixed([2, 1, 0])))
add("array.dynamic_partition", "tf.dynamic_partition", lambda x, p: tf.dynamic_partition(x, p, 3),
    with_(x=arr((5, 2)), p=fixed([0, 2, 1, 0, 2])))
add("array.dynamic_stitch", "tf.dynamic_stitch", lambda a, b, i, j: tf.dynamic_stitch([i, j], [a, b]),
    with_(a=arr((2, 3)), b=arr((3, 3)), i=fixed([0, 4]), j=fixed([1, 3, 2])))
add("array.matrix_band_part", "tf.linalg.band_part", lambda x: tf.linalg.band_part(x, 1, -1), with_(x=arr((2, 4, 4))))
add("array.einsum_bij_bjk", "tf.einsum", lambda a, b: tf.einsum("bij,bjk->bik", a, b), with_(a=arr((2, 3, 4)), b=arr((2, 4, 5))))
add("array.einsum_trace", "tf.einsum", lambda a: tf.einsum("ii->", a), with_(a=arr((3, 3))))
add("array.tensordot", "tf.tensordot", lambda a, b: tf.tensordot(a, b, axes=[[1], [0]]), with_(a=arr((2, 3)), b=arr((3, 4))))
add("array.tensordot_2", "tf.tensordot", lambda a, b: tf.tensordot(a, b, axes=2), with_(a=arr((2, 3, 4)), b=arr((3, 4, 2))))
add("array.guarantee_const", "tf.guarantee_const", lambda x: tf.guarantee_const(x) * 2.0, with_(x=arr((2,))))
add("array.extract_volume_patches", "tf.extract_volume_patches",
    lambda x: tf.extract_volume_patches(x, [1, 2, 2, 2, 1], [1, 1, 2, 2, 1], "VALID"), with_(x=arr((1, 3, 4, 4, 2))))
add("array.space_to_batch_nd", "tf.space_to_batch_nd", lambda x: tf.space_to_batch_nd(x, [2, 2], [[0, 0], [1, 1]]),
    with_(x=arr((1, 4, 2, 3))))
add("array.batch_to_space", "tf.batch_to_space", lambda x: tf.batch_to_space(x, [2, 2], [[0, 0], [1, 1]]),
    with_(x=arr((4, 2, 2, 3))))
add("array.quantize_dequantize", "tf.quantization.quantize_and_dequantize_v2",
    lambda x: tf.quantization.quantize_and_dequantize_v2(x, -1.0, 1.0, range_given=True), with_(x=arr((2, 4))))
add("array.fake_quant", "tf.quantization.fake_quant_with_min_max_args",
    lambda x: tf.quantization.fake_quant_with_min_max_args(x, -2.0, 2.0, num_bits=8), with_(x=arr((2, 4))))
add("array.setdiff1d", "tf.compat.v1.setdiff1d", lambda a, b: tf.compat.v1.setdiff1d(a, b),
    with_(a=fixed([1, 5, 2, 7, 5]), b=fixed([5, 3])))
add("array.parallel_stack", "tf.parallel_stack", lambda a, b: tf.parallel_stack([a, b]), with_(a=arr((2,)), b=arr((2,))))

import cases_nn  # noqa: E402,F401
