"""Issue 14: inputs TF ops read as values, computed at run time (fed as graph inputs here):
ExpandDims axis, Transpose perm, SplitV sizes, StridedSlice strides, MirrorPad paddings,
Conv*BackpropInput input_sizes, and GatherV2 with batch_dims below axis. Each converts at opsets
13, 17 and 21, checked with the PyPI onnx checker, run in ONNX Runtime and compared with TF.
"""

import numpy as np

from oracle_lib import Case, case_tests, fixed, get_tf, ints, named, normal

tf = get_tf()
raw = tf.raw_ops
CASES = []


def case(name, fn, inputs, ops, **kw):
    CASES.append(Case(f"rt_{name}", fn, inputs, tuple(ops), opsets=(13, 17, 21), **kw))


# ExpandDims: the axis is an input (negative counts from the end of the result).
for _axis in (0, 1, -1, -3):
    case(f"ExpandDims_axis{_axis}", lambda x, a: raw.ExpandDims(input=x, axis=a),
         named(x=normal(2, 3), a=fixed(_axis)), ["ExpandDims"])
case("ExpandDims_int64_dynamic", lambda x, a: raw.ExpandDims(input=x, axis=a),
     named(x=ints(2, 3, dtype=np.int64), a=fixed([2], np.int64)), ["ExpandDims"],
     dynamic={"x": (None, None)})

# Transpose: the permutation is an input.
for _perm in ([2, 0, 1], [0, 2, 1], [0, 1, 2]):
    case(f"Transpose_{''.join(map(str, _perm))}", lambda x, p: raw.Transpose(x=x, perm=p),
         named(x=normal(2, 3, 4), p=fixed(_perm)), ["Transpose"])
case("Transpose_int32_4d_int64perm", lambda x, p: raw.Transpose(x=x, perm=p),
     named(x=ints(2, 1, 3, 2), p=fixed([3, 1, 0, 2], np.int64)), ["Transpose"])
case("Transpose_empty", lambda x, p: raw.Transpose(x=x, perm=p),
     named(x=normal(0, 3, 2), p=fixed([1, 2, 0])), ["Transpose"])
case("Transpose_dynamic", lambda x, p: raw.Transpose(x=x, perm=p),
     named(x=normal(3, 5), p=fixed([1, 0])), ["Transpose"], dynamic={"x": (None, None)})

# SplitV: the sizes are an input (one may be -1).
case("SplitV_infer", lambda x, s: raw.SplitV(value=x, size_splits=s, axis=0, num_split=3),
     named(x=normal(6, 4), s=fixed([1, -1, 2])), ["SplitV"])
case("SplitV_axis1_int64", lambda x, s: raw.SplitV(value=x, size_splits=s, axis=-1, num_split=2),
     named(x=ints(3, 5, dtype=np.int64), s=fixed([2, 3], np.int64)), ["SplitV"])
case("SplitV_dynamic_empty_piece",
     lambda x, s: raw.SplitV(value=x, size_splits=s, axis=1, num_split=3),
     named(x=normal(2, 5), s=fixed([0, -1, 1])), ["SplitV"], dynamic={"x": (None, None)})


# StridedSlice: the strides (and begin/end) are inputs.
def _ss(**masks):
    return lambda x, b, e, s: raw.StridedSlice(input=x, begin=b, end=e, strides=s, **masks)


case("StridedSlice_strides", _ss(), named(x=normal(5, 6), b=fixed([0, 1]), e=fixed([5, 6]),
                                          s=fixed([2, 3])), ["StridedSlice"])
case("StridedSlice_negative_masked", _ss(begin_mask=1, end_mask=3),
     named(x=normal(5, 6), b=fixed([0, 4]), e=fixed([0, 0]), s=fixed([-1, -2])), ["StridedSlice"])
case("StridedSlice_shrink_ellipsis", _ss(shrink_axis_mask=4, ellipsis_mask=1),
     named(x=ints(2, 3, 4), b=fixed([0, 1, 2]), e=fixed([0, -1, 3]), s=fixed([1, 2, 1])),
     ["StridedSlice"])
case("StridedSlice_dynamic", _ss(end_mask=2),
     named(x=normal(4, 5), b=fixed([3, 0], np.int64), e=fixed([0, 0], np.int64),
           s=fixed([-1, 2], np.int64)), ["StridedSlice"], dynamic={"x": (None, None)})

# MirrorPad: the paddings are an input.
for _mode in ("SYMMETRIC", "REFLECT"):
    case(f"MirrorPad_{_mode}", lambda x, p, m=_mode: raw.MirrorPad(input=x, paddings=p, mode=m),
         named(x=normal(3, 4), p=fixed([[1, 2], [0, 3]])), ["MirrorPad"])
case("MirrorPad_SYMMETRIC_int32_3d", lambda x, p: raw.MirrorPad(input=x, paddings=p, mode="SYMMETRIC"),
     named(x=ints(2, 3, 4), p=fixed([[2, 2], [0, 0], [4, 1]], np.int64)), ["MirrorPad"])
case("MirrorPad_SYMMETRIC_zero_dynamic",
     lambda x, p: raw.MirrorPad(input=x, paddings=p, mode="SYMMETRIC"),
     named(x=normal(3, 2), p=fixed([[0, 0], [2, 1]])), ["MirrorPad"], dynamic={"x": (None, None)})


# GatherV2 with 0 < batch_dims < axis.
def _gather(axis, batch_dims):
    return lambda p, i: raw.GatherV2(params=p, indices=i, axis=axis, batch_dims=batch_dims)


case("GatherV2_b1_axis2", _gather(2, 1), named(p=normal(2, 3, 4, 5), i=ints(2, 6, lo=0, hi=4)),
     ["GatherV2"])
case("GatherV2_b1_axis3_int64", _gather(3, 1),
     named(p=ints(2, 3, 4, 5), i=ints(2, 2, 3, lo=0, hi=5, dtype=np.int64)), ["GatherV2"])
case("GatherV2_b2_axis3", _gather(-1, 2), named(p=normal(2, 3, 2, 4), i=ints(2, 3, lo=0, hi=4)),
     ["GatherV2"])
case("GatherV2_b1_axis2_empty", _gather(2, 1), named(p=normal(2, 3, 4), i=ints(2, 0, lo=0, hi=4)),
     ["GatherV2"])

# Conv*BackpropInput: input_sizes is an input.
_W2 = np.random.default_rng(7).standard_normal((3, 3, 2, 4)).astype(np.float32)
_W3 = np.random.default_rng(8).standard_normal((2, 3, 2, 2, 3)).astype(np.float32)


def _deconv2d(strides, padding):
    return lambda s, g: raw.Conv2DBackpropInput(input_sizes=s, filter=tf.constant(_W2),
                                                out_backprop=g, strides=strides, padding=padding)


case("Conv2DBackpropInput_same", _deconv2d([1, 2, 2, 1], "SAME"),
     named(s=fixed([1, 7, 7, 2]), g=normal(1, 4, 4, 4)), ["Conv2DBackpropInput"], atol=1e-4)
case("Conv2DBackpropInput_valid_remainder", _deconv2d([1, 2, 2, 1], "VALID"),
     named(s=fixed([2, 8, 7, 2]), g=normal(2, 3, 3, 4)), ["Conv2DBackpropInput"], atol=1e-4)
case("Conv2DBackpropInput_same_spatial_sizes", _deconv2d([1, 1, 3, 1], "SAME"),
     named(s=fixed([5, 8]), g=normal(1, 5, 3, 4)), ["Conv2DBackpropInput"], atol=1e-4)
case("Conv3DBackpropInputV2_same",
     lambda s, g: raw.Conv3DBackpropInputV2(input_sizes=s, filter=tf.constant(_W3), out_backprop=g,
                                            strides=[1, 2, 1, 2, 1], padding="SAME"),
     named(s=fixed([1, 4, 3, 5, 2], np.int64), g=normal(1, 2, 3, 3, 3)), ["Conv3DBackpropInputV2"],
     atol=1e-4)


test_case_freezes_to_op, test_op = case_tests(CASES, "rt")
