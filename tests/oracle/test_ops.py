"""Op coverage of the first handler set (issue 2): one small tf.function per op (variant), frozen,
converted at opsets 13 and 17 (21 for the ops whose ONNX form changed in later opsets),
checked with the PyPI onnx checker, run in ONNX Runtime and compared with TensorFlow.

Each case is its own test (id = op name + variant), so a failure names the handler.
"""

import numpy as np

from oracle_lib import CaseList, bools, case_tests, get_tf, ints, named, nonzero, normal, pos, rng_for, ties

tf = get_tf()

F32 = np.float32

CASES = CaseList()
case = CASES.case


# ---------------------------------------------------------------- elementwise binary
BCAST = named(a=normal(2, 3, 4), b=normal(3, 1))
case("Add", lambda a, b: tf.raw_ops.Add(x=a, y=b), BCAST)
case("AddV2", lambda a, b: tf.raw_ops.AddV2(x=a, y=b), BCAST)
case("AddV2_int32", lambda a, b: tf.raw_ops.AddV2(x=a, y=b), named(a=ints(2, 3), b=ints(3)))
case("Sub", lambda a, b: tf.raw_ops.Sub(x=a, y=b), named(a=normal(2, 3, 4), b=normal(4)))
case("Mul", lambda a, b: tf.raw_ops.Mul(x=a, y=b), BCAST)
case("Mul_int32", lambda a, b: tf.raw_ops.Mul(x=a, y=b), named(a=ints(2, 3), b=ints(2, 1)))
case("RealDiv", lambda a, b: tf.raw_ops.RealDiv(x=a, y=b), named(a=normal(2, 3, 4), b=nonzero(3, 4)))
case("Maximum", lambda a, b: tf.raw_ops.Maximum(x=a, y=b), BCAST)
case("Minimum", lambda a, b: tf.raw_ops.Minimum(x=a, y=b), BCAST)
case("Pow", lambda a, b: tf.raw_ops.Pow(x=a, y=b),
     named(a=pos(2, 3, 4), b=lambda r: r.uniform(-2, 2, (4,)).astype(F32)))
case("Add_scalar_const", lambda a: tf.raw_ops.AddV2(x=a, y=tf.constant(1.5)), named(a=normal(2, 3)),
     ops=("AddV2",))
case("BiasAdd", lambda a, b: tf.nn.bias_add(a, b), named(a=normal(2, 5, 5, 3), b=normal(3)))
case("BiasAdd_2d", lambda a, b: tf.nn.bias_add(a, b), named(a=normal(4, 6), b=normal(6)))
case("BiasAdd_NCHW", lambda a, b: tf.raw_ops.BiasAdd(value=a, bias=b, data_format="NCHW"),
     named(a=normal(2, 3, 5, 5), b=normal(3)))

# ---------------------------------------------------------------- elementwise unary
case("Square", tf.math.square, named(x=normal(3, 4)))
case("Sqrt", tf.math.sqrt, named(x=pos(3, 4, lo=0.01, hi=9.0)))
case("Rsqrt", tf.math.rsqrt, named(x=pos(3, 4, lo=0.01, hi=9.0)))
case("Exp", tf.math.exp, named(x=normal(3, 4)))
case("Log", tf.math.log, named(x=pos(3, 4, lo=0.01, hi=9.0)))
case("Neg", tf.math.negative, named(x=normal(3, 4)))
case("Neg_int32", tf.math.negative, named(x=ints(3, 4)))
case("Abs", tf.math.abs, named(x=normal(3, 4)))
case("Abs_int32", tf.math.abs, named(x=ints(3, 4)))

# ---------------------------------------------------------------- comparisons, logical, select
for _op in ("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"):
    case(_op, lambda a, b, _op=_op: getattr(tf.raw_ops, _op)(x=a, y=b),
         named(a=ties(3, 4), b=ties(4)))
case("Equal_int32", lambda a, b: tf.raw_ops.Equal(x=a, y=b), named(a=ints(3, 4, lo=-2, hi=3), b=ints(3, 4, lo=-2, hi=3)))
case("Less_int32", lambda a, b: tf.raw_ops.Less(x=a, y=b), named(a=ints(3, 4, lo=-2, hi=3), b=ints(1, 4, lo=-2, hi=3)))
case("LogicalAnd", tf.math.logical_and, named(a=bools(3, 4), b=bools(4)))
case("LogicalOr", tf.math.logical_or, named(a=bools(3, 4), b=bools(3, 1)))
case("LogicalNot", tf.math.logical_not, named(a=bools(3, 4)))
case("Logical_combined", lambda a, b: tf.math.logical_not(tf.math.logical_and(tf.less(a, b), tf.greater(b, 0.0))),
     named(a=ties(3, 4), b=ties(3, 4)), ops=("LogicalNot", "LogicalAnd", "Less", "Greater"))
case("Select", lambda c, x, y: tf.raw_ops.Select(condition=c, x=x, y=y),
     named(c=bools(3, 4), x=normal(3, 4), y=normal(3, 4)))
case("Select_vector_cond", lambda c, x, y: tf.raw_ops.Select(condition=c, x=x, y=y),
     named(c=bools(4), x=normal(4, 3), y=normal(4, 3)), ops=("Select",))
case("SelectV2", lambda c, x, y: tf.raw_ops.SelectV2(condition=c, t=x, e=y),
     named(c=bools(1, 4), x=normal(3, 4), y=normal(3, 1)))
case("SelectV2_scalar", lambda c, x: tf.raw_ops.SelectV2(condition=c, t=x, e=tf.constant(0.0)),
     named(c=bools(2, 3), x=normal(2, 3)), ops=("SelectV2",))
case("Where", lambda c: tf.where(c), named(c=bools(3, 4)), opset21=True)
case("Where_from_compare", lambda x: tf.where(x > 0.0), named(x=normal(2, 3, 4)), ops=("Where", "Greater"))


# ---------------------------------------------------------------- reductions
def _reductions(op, keep):
    def fn(x):
        f = getattr(tf.raw_ops, op)
        axes = ([1], [-1], [0, 2], [-3, -1], [0, 1, 2])
        outs = [f(input=x, axis=tf.constant(a, tf.int32), keep_dims=keep) for a in axes]
        outs.append(f(input=x, axis=tf.constant(-2, tf.int32), keep_dims=keep))  # scalar axis
        return outs

    return fn


for _op in ("Mean", "Sum", "Max", "Min", "Prod"):
    for _keep in (True, False):
        gen = pos(2, 3, 4, lo=0.6, hi=1.4) if _op == "Prod" else normal(2, 3, 4)
        case(f"{_op}_keepdims{_keep}", _reductions(_op, _keep), named(x=gen), opset21=True)
case("Sum_int32", lambda x: tf.reduce_sum(x, axis=[0, -1]), named(x=ints(3, 4, 5)), ops=("Sum",))
case("Max_int32", lambda x: tf.reduce_max(x, axis=1, keepdims=True), named(x=ints(3, 4)), ops=("Max",))
case("Mean_dynamic_batch", lambda x: tf.reduce_mean(x, axis=[1, 2]), named(x=normal(3, 5, 5, 2)),
     ops=("Mean",), dynamic={"x": [None, 5, 5, 2]})

# ---------------------------------------------------------------- ArgMax / ArgMin
for _op in ("ArgMax", "ArgMin"):
    for _axis in (0, 1, -1):
        case(f"{_op}_axis{_axis}", lambda x, _op=_op, _axis=_axis: getattr(tf.raw_ops, _op)(
            input=x, dimension=tf.constant(_axis), output_type=tf.int64), named(x=normal(3, 4, 5)),
             opset21=(_axis == -1))
    case(f"{_op}_int32_out", lambda x, _op=_op: getattr(tf.raw_ops, _op)(
        input=x, dimension=tf.constant(1), output_type=tf.int32), named(x=normal(3, 4)))

# ---------------------------------------------------------------- MatMul / BatchMatMul
for _ta in (False, True):
    for _tb in (False, True):
        sa = (5, 3) if _ta else (3, 5)
        sb = (4, 5) if _tb else (5, 4)
        case(f"MatMul_ta{int(_ta)}_tb{int(_tb)}",
             lambda a, b, _ta=_ta, _tb=_tb: tf.raw_ops.MatMul(a=a, b=b, transpose_a=_ta, transpose_b=_tb),
             named(a=normal(*sa), b=normal(*sb)), opset21=(_ta and _tb))
case("MatMul_dynamic_batch", lambda a: tf.matmul(a, tf.constant(rng_for("mmw").standard_normal((5, 4)).astype(F32))),
     named(a=normal(3, 5)), ops=("MatMul",), dynamic={"a": [None, 5]})
case("BatchMatMulV2_broadcast", lambda a, b: tf.raw_ops.BatchMatMulV2(x=a, y=b),
     named(a=normal(2, 1, 3, 4), b=normal(5, 4, 6)))
case("BatchMatMulV2_adj", lambda a, b: tf.raw_ops.BatchMatMulV2(x=a, y=b, adj_x=True, adj_y=True),
     named(a=normal(2, 4, 3), b=normal(2, 6, 4)), opset21=True)
case("BatchMatMulV2_rank2_rhs", lambda a, b: tf.raw_ops.BatchMatMulV2(x=a, y=b),
     named(a=normal(2, 3, 4), b=normal(4, 5)))
case("BatchMatMul", lambda a, b: tf.raw_ops.BatchMatMul(x=a, y=b, adj_y=True),
     named(a=normal(2, 3, 4), b=normal(2, 5, 4)))
case("BatchMatMulV3", lambda a, b: tf.raw_ops.BatchMatMulV3(x=a, y=b, Tout=tf.float32, adj_x=True),
     named(a=normal(2, 4, 3), b=normal(1, 4, 5)))

# ---------------------------------------------------------------- shape manipulation
case("Reshape", lambda x: tf.reshape(x, [-1, 4]), named(x=normal(2, 3, 4)), opset21=True)
case("Reshape_dynamic", lambda x: tf.reshape(x, tf.stack([tf.shape(x)[0], -1])), named(x=normal(3, 2, 4)),
     ops=("Reshape", "Shape", "StridedSlice", "Pack"), dynamic={"x": [None, 2, 4]}, opset21=True)
case("Shape", lambda x: tf.shape(x, out_type=tf.int32), named(x=normal(3, 2, 4)), dynamic={"x": [None, 2, None]},
     opset21=True)
case("Shape_int64", lambda x: tf.shape(x, out_type=tf.int64), named(x=normal(3, 2, 4)), ops=("Shape",),
     dynamic={"x": [None, 2, 4]})
SS = named(x=normal(4, 5, 6))
case("StridedSlice_basic", lambda x: x[1:3, :, 2:], SS, opset21=True)
case("StridedSlice_shrink", lambda x: x[1, :, -1], SS)
case("StridedSlice_newaxis", lambda x: x[:, tf.newaxis, 1:3], SS)
case("StridedSlice_ellipsis", lambda x: x[..., 1], SS)
case("StridedSlice_ellipsis_mid", lambda x: x[1:, ..., :2], SS)
case("StridedSlice_negative_strides", lambda x: x[::-1, :, 5:0:-2], SS, opset21=True)
case("StridedSlice_negative_index", lambda x: x[-2:, :-1, -4:-1], SS)
case("StridedSlice_reverse_to_start", lambda x: x[2::-1, 3::-2], SS)
case("StridedSlice_newaxis_ellipsis_step", lambda x: x[tf.newaxis, ..., ::2], SS)
case("StridedSlice_out_of_range", lambda x: x[1:100, -100:3], SS)
case("StridedSlice_dynamic_batch", lambda x: x[:, 1:, 0], named(x=normal(3, 4, 5)), ops=("StridedSlice",),
     dynamic={"x": [None, 4, 5]})
case("Slice", lambda x: tf.slice(x, [0, 1, 2], [-1, 2, 3]), SS, opset21=True)
case("Pack", lambda a, b: tf.stack([a, b], axis=0), named(a=normal(2, 3), b=normal(2, 3)))
case("Pack_axis_neg", lambda a, b, c: tf.stack([a, b, c], axis=-1), named(a=normal(2, 3), b=normal(2, 3), c=normal(2, 3)),
     ops=("Pack",))
case("Pack_scalars", lambda a: tf.stack([a[0, 0], a[1, 2], tf.constant(3.0)]), named(a=normal(2, 3)), ops=("Pack",))
case("Unpack", lambda x: tf.unstack(x, axis=1), named(x=normal(2, 3, 4)))
case("Unpack_axis0", lambda x: tf.unstack(x, axis=0), named(x=normal(2, 3, 4)), ops=("Unpack",))
case("ConcatV2", lambda a, b, c: tf.concat([a, b, c], axis=-1), named(a=normal(2, 3), b=normal(2, 1), c=normal(2, 4)))
case("ConcatV2_axis0", lambda a, b: tf.concat([a, b], axis=0), named(a=normal(2, 3), b=normal(1, 3)), ops=("ConcatV2",))
case("ConcatV2_int32", lambda a, b: tf.concat([a, b], axis=1), named(a=ints(2, 3), b=ints(2, 2)), ops=("ConcatV2",))
case("Squeeze", lambda x: tf.squeeze(x, axis=[1]), named(x=normal(2, 1, 3, 1)), opset21=True)
case("Squeeze_all", lambda x: tf.squeeze(x), named(x=normal(2, 1, 3, 1)), ops=("Squeeze",))
case("Squeeze_negative_axis", lambda x: tf.squeeze(x, axis=[-1]), named(x=normal(2, 1, 3, 1)), ops=("Squeeze",))
case("ExpandDims", lambda x: tf.expand_dims(x, 0), named(x=normal(2, 3)), opset21=True)
case("ExpandDims_negative_axis", lambda x: tf.expand_dims(x, -1), named(x=normal(2, 3)), ops=("ExpandDims",))
case("Transpose", lambda x: tf.transpose(x, [2, 0, 1]), named(x=normal(2, 3, 4)), opset21=True)
case("Transpose_4d", lambda x: tf.transpose(x, [0, 3, 1, 2]), named(x=normal(2, 3, 4, 5)), ops=("Transpose",))
PADS = [[1, 0], [0, 2], [1, 1]]
case("Pad", lambda x: tf.raw_ops.Pad(input=x, paddings=tf.constant(PADS)), named(x=normal(2, 3, 4)), opset21=True)
case("PadV2", lambda x: tf.raw_ops.PadV2(input=x, paddings=tf.constant(PADS), constant_values=tf.constant(1.5)),
     named(x=normal(2, 3, 4)), opset21=True)
case("MirrorPad_REFLECT", lambda x: tf.raw_ops.MirrorPad(input=x, paddings=tf.constant([[1, 1], [2, 0], [0, 3]]),
                                                         mode="REFLECT"), named(x=normal(3, 4, 5)), opset21=True)
case("Pad_int32", lambda x: tf.pad(x, [[0, 1], [2, 0]]), named(x=ints(2, 3)), ops=("Pad",))
case("Cast_float_to_int32", lambda x: tf.cast(x, tf.int32), named(x=lambda r: r.uniform(-5, 5, (3, 4)).astype(F32)),
     ops=("Cast",), opset21=True)
case("Cast_int32_to_float", lambda x: tf.cast(x, tf.float32), named(x=ints(3, 4)), ops=("Cast",))
case("Cast_bool_to_float", lambda x: tf.cast(x, tf.float32), named(x=bools(3, 4)), ops=("Cast",))
case("Cast_float_to_bool", lambda x: tf.cast(x, tf.bool), named(x=ties(3, 4)), ops=("Cast",))
case("Cast_int64_to_int32", lambda x: tf.cast(x, tf.int32), named(x=ints(3, 4, dtype=np.int64)), ops=("Cast",))
case("Cast_float_to_int64", lambda x: tf.cast(x, tf.int64), named(x=lambda r: r.uniform(-5, 5, (3, 4)).astype(F32)),
     ops=("Cast",))
case("Fill", lambda v: tf.fill([2, 3], v), named(v=lambda r: np.array(1.5, F32)), opset21=True)
case("Fill_dynamic_dims", lambda x: tf.fill(tf.shape(x), 2.0), named(x=normal(3, 4)), ops=("Fill", "Shape"),
     dynamic={"x": [None, 4]})
case("Fill_const", lambda x: x + tf.raw_ops.Fill(dims=tf.constant([2, 3]), value=tf.constant(0.5)),
     named(x=normal(2, 3)), ops=("Fill",))
case("Range", lambda: tf.raw_ops.Range(start=tf.constant(0), limit=tf.constant(10), delta=tf.constant(3)),
     named(), opset21=True)
case("Range_float", lambda: tf.range(1.0, 3.0, 0.25), named())
case("Range_dynamic", lambda n: tf.range(n), named(n=lambda r: np.array(7, np.int32)), ops=("Range",))
case("Range_negative_delta", lambda s: tf.range(s, -4.0, -1.5), named(s=lambda r: np.array(3.0, F32)), ops=("Range",))
case("Tile", lambda x: tf.tile(x, [2, 1, 3]), named(x=normal(2, 3, 4)), opset21=True)
case("Tile_dynamic_multiples", lambda x, m: tf.tile(x, m), named(x=normal(2, 3), m=lambda r: np.array([2, 2], np.int32)),
     ops=("Tile",))
case("GatherV2_axis0", lambda x, i: tf.gather(x, i, axis=0), named(x=normal(5, 3), i=lambda r: np.array([4, 0, 2, 2], np.int32)),
     ops=("GatherV2",), opset21=True)
case("GatherV2_axis1_2d_indices", lambda x, i: tf.gather(x, i, axis=1),
     named(x=normal(2, 5, 3), i=lambda r: np.array([[1, 4], [0, 0], [3, 2]], np.int64)), ops=("GatherV2",))
case("GatherV2_axis_neg", lambda x: tf.gather(x, tf.constant([2, 0]), axis=-1), named(x=normal(2, 3, 4)),
     ops=("GatherV2",))
case("GatherV2_scalar_index", lambda x: tf.gather(x, tf.constant(1), axis=1), named(x=normal(2, 3, 4)),
     ops=("GatherV2",))
case("Identity", lambda x: tf.identity(x) * 2.0, named(x=normal(2, 3)))
case("PlaceholderWithDefault",
     lambda x: x + tf.raw_ops.PlaceholderWithDefault(input=tf.constant([[1.0, 2.0, 3.0]]), shape=[1, 3]),
     named(x=normal(2, 3)))

# ---------------------------------------------------------------- activations
case("Relu", tf.nn.relu, named(x=normal(3, 4)))
case("Relu6", tf.nn.relu6, named(x=lambda r: r.uniform(-8, 8, (3, 4)).astype(F32)))
case("Elu", tf.nn.elu, named(x=normal(3, 4)))
case("Selu", tf.nn.selu, named(x=normal(3, 4)))
case("LeakyRelu", lambda x: tf.nn.leaky_relu(x, alpha=0.2), named(x=normal(3, 4)))
case("Sigmoid", tf.math.sigmoid, named(x=lambda r: r.uniform(-10, 10, (3, 4)).astype(F32)))
case("Tanh", tf.math.tanh, named(x=lambda r: r.uniform(-5, 5, (3, 4)).astype(F32)))
case("Softplus", tf.math.softplus, named(x=lambda r: r.uniform(-30, 30, (3, 4)).astype(F32)))
case("Softmax", tf.nn.softmax, named(x=normal(3, 4)), opset21=True)
case("Softmax_rank3", tf.nn.softmax, named(x=normal(2, 3, 4)), ops=("Softmax",))
case("LogSoftmax", tf.nn.log_softmax, named(x=normal(3, 4)), opset21=True)
case("LogSoftmax_rank3", tf.nn.log_softmax, named(x=normal(2, 3, 4)), ops=("LogSoftmax",))

# ---------------------------------------------------------------- NHWC nn ops
_CONV_W = rng_for("conv_w").standard_normal((3, 3, 3, 4)).astype(F32)
_DW_W = rng_for("dw_w").standard_normal((3, 3, 3, 2)).astype(F32)
IMG = named(x=normal(2, 9, 10, 3))
case("Conv2D_valid", lambda x: tf.nn.conv2d(x, _CONV_W, strides=1, padding="VALID"), IMG, ops=("Conv2D",), opset21=True)
case("Conv2D_same_stride2", lambda x: tf.nn.conv2d(x, _CONV_W, strides=2, padding="SAME"), IMG, ops=("Conv2D",))
case("Conv2D_dilated", lambda x: tf.nn.conv2d(x, _CONV_W, strides=1, padding="SAME", dilations=2), IMG, ops=("Conv2D",))
case("Conv2D_explicit_pad", lambda x: tf.nn.conv2d(x, _CONV_W, strides=1, padding=[[0, 0], [1, 2], [0, 1], [0, 0]]),
     IMG, ops=("Conv2D",))
case("Conv2D_dynamic_batch", lambda x: tf.nn.conv2d(x, _CONV_W, strides=[1, 2, 1, 1], padding="SAME"), IMG,
     ops=("Conv2D",), dynamic={"x": [None, 9, 10, 3]})
case("DepthwiseConv2dNative", lambda x: tf.nn.depthwise_conv2d(x, _DW_W, strides=[1, 1, 1, 1], padding="VALID"),
     IMG, opset21=True)
case("DepthwiseConv2dNative_same_stride2",
     lambda x: tf.nn.depthwise_conv2d(x, _DW_W, strides=[1, 2, 2, 1], padding="SAME"), IMG, ops=("DepthwiseConv2dNative",))
case("MaxPool_valid", lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), IMG, ops=("MaxPool",), opset21=True)
case("MaxPool_same_3x3s2", lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), IMG, ops=("MaxPool",))
case("AvgPool_valid", lambda x: tf.nn.avg_pool2d(x, 2, 2, "VALID"), IMG, ops=("AvgPool",), opset21=True)
case("AvgPool_same_3x3s2", lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), IMG, ops=("AvgPool",))


def _fused_bn(version):
    r = rng_for("fused_bn")
    scale, offset = r.uniform(0.5, 1.5, 3).astype(F32), r.uniform(-0.5, 0.5, 3).astype(F32)
    mean, var = r.uniform(-0.3, 0.3, 3).astype(F32), r.uniform(0.5, 2.0, 3).astype(F32)

    def fn(x):
        f = getattr(tf.raw_ops, version)
        return f(x=x, scale=scale, offset=offset, mean=mean, variance=var, epsilon=1e-3,
                 data_format="NHWC", is_training=False)[0]

    return fn


case("FusedBatchNorm", _fused_bn("FusedBatchNorm"), IMG)
case("FusedBatchNormV2", _fused_bn("FusedBatchNormV2"), IMG)
case("FusedBatchNormV3", _fused_bn("FusedBatchNormV3"), IMG, opset21=True)


# ---------------------------------------------------------------- bitwise (ONNX 18+), shifts
I32, U8 = np.int32, np.uint8
BITS = named(a=ints(3, 4, lo=-100, hi=100), b=ints(4, lo=-100, hi=100))
for _op in ("BitwiseAnd", "BitwiseOr", "BitwiseXor"):
    case(_op, lambda a, b, _op=_op: getattr(tf.raw_ops, _op)(x=a, y=b), BITS, opsets=(18, 21))
case("Invert", lambda a: tf.raw_ops.Invert(x=a), named(a=ints(3, 4, lo=-100, hi=100)), opsets=(18, 21))
case("Invert_uint8", lambda a: tf.raw_ops.Invert(x=a), named(a=ints(3, 4, lo=0, hi=255, dtype=U8)),
     ops=("Invert",), opsets=(18,))
SHIFT = named(a=ints(3, 4, lo=-1000, hi=1000), b=ints(3, 4, lo=0, hi=20))
case("LeftShift", lambda a, b: tf.raw_ops.LeftShift(x=a, y=b), SHIFT, opsets=(13, 18))
case("RightShift", lambda a, b: tf.raw_ops.RightShift(x=a, y=b), SHIFT, opsets=(18, 21))
case("RightShift_uint8", lambda a, b: tf.raw_ops.RightShift(x=a, y=b),
     named(a=ints(3, 4, lo=0, hi=255, dtype=U8), b=ints(3, 4, lo=0, hi=8, dtype=U8)), ops=("RightShift",))

# ---------------------------------------------------------------- special elementwise
case("Atan2", lambda y, x: tf.math.atan2(y, x), named(y=normal(4, 5), x=normal(4, 5)), opset21=True)
case("Atan2_axes", lambda y, x: tf.math.atan2(y, x),
     lambda r: {"y": np.array([0, 1, -1, 0, 0, 2], F32), "x": np.array([0, 0, 0, 1, -1, -3], F32)},
     ops=("Atan2",))
case("Atan2_signed_zeros", lambda y, x: tf.math.atan2(y, x),
     lambda r: {"y": np.array([0, -0.0, 0, -0.0, 0, -0.0, 1, -1, -0.0], F32),
                "x": np.array([-1, -1, 0, 0, -0.0, -0.0, -0.0, -0.0, 2], F32)},
     ops=("Atan2",))
case("IsFinite", lambda x: tf.math.is_finite(x),
     lambda r: {"x": np.array([1.0, np.inf, -np.inf, np.nan, 0.0, -2.5], F32)})
case("Xlogy", lambda x, y: tf.math.xlogy(x, y),
     lambda r: {"x": np.array([[0, 1, 2.5], [0, -1, 3]], F32), "y": pos(3)(r)})
case("Xdivy", lambda x, y: tf.math.xdivy(x, y),
     lambda r: {"x": np.array([[0, 1, 2.5], [0, -1, 3]], F32), "y": np.array([0, 2, -4], F32)})
case("ClipByValue", lambda x: tf.raw_ops.ClipByValue(t=x, clip_value_min=-0.5, clip_value_max=0.7),
     named(x=normal(3, 4)))
case("ClipByValue_tensor_bounds", lambda x, lo: tf.raw_ops.ClipByValue(t=x, clip_value_min=lo,
                                                                        clip_value_max=lo + 1.0),
     named(x=normal(3, 4), lo=normal(3, 4)), ops=("ClipByValue",))
case("L2Loss", lambda x: tf.nn.l2_loss(x), named(x=normal(3, 4, 5)))

# ---------------------------------------------------------------- space/batch
case("SpaceToBatchND", lambda x: tf.space_to_batch_nd(x, [2, 3], [[1, 1], [2, 1]]),
     named(x=normal(2, 4, 6, 3)), opset21=True)
case("SpaceToBatchND_dynamic", lambda x: tf.space_to_batch_nd(x, [2, 2], [[0, 0], [0, 0]]),
     named(x=normal(3, 4, 6, 2)), ops=("SpaceToBatchND",), dynamic={"x": (None, None, None, 2)})
case("BatchToSpaceND", lambda x: tf.batch_to_space(x, [2, 3], [[1, 0], [2, 1]]),
     named(x=normal(12, 3, 2, 4)), opset21=True)
case("BatchToSpaceND_1d", lambda x: tf.batch_to_space(x, [2], [[0, 1]]),
     named(x=normal(4, 5, 3)), ops=("BatchToSpaceND",))


def _dilated(x):
    """The atrous pattern TF1-era graphs carry: SpaceToBatchND -> Conv2D -> BatchToSpaceND."""
    w = tf.constant(np.linspace(-1, 1, 3 * 3 * 2 * 4, dtype=F32).reshape(3, 3, 2, 4))
    y = tf.space_to_batch_nd(x, [2, 2], [[2, 2], [2, 2]])
    y = tf.nn.conv2d(y, w, 1, "VALID")
    return tf.batch_to_space(y, [2, 2], [[0, 0], [0, 0]])


case("SpaceToBatchND_atrous_conv", _dilated, named(x=normal(1, 8, 8, 2)),
     ops=("SpaceToBatchND", "Conv2D", "BatchToSpaceND"))

# ---------------------------------------------------------------- scatter, segments
def _idx(*rows):
    return np.array(rows, np.int32)


case("ScatterNd", lambda u: tf.scatter_nd(_idx([1, 0], [2, 2], [1, 0]), u, [3, 4]),
     named(u=normal(3)), opsets=(16, 17, 21))
case("ScatterNd_slices", lambda u: tf.scatter_nd(_idx([2], [0]), u, [4, 3]),
     named(u=normal(2, 3)), ops=("ScatterNd",), opsets=(16, 17))
case("TensorScatterUpdate", lambda t, u: tf.tensor_scatter_nd_update(t, _idx([0], [2]), u),
     named(t=normal(4, 3), u=normal(2, 3)))
case("TensorScatterAdd", lambda t, u: tf.tensor_scatter_nd_add(t, _idx([0], [2], [0]), u),
     named(t=normal(4, 3), u=normal(3, 3)), opsets=(16, 17))
case("TensorScatterSub", lambda t, u: tf.tensor_scatter_nd_sub(t, _idx([1, 1], [3, 0]), u),
     named(t=normal(4, 3), u=normal(2)), opsets=(16, 17))
case("TensorScatterMax", lambda t, u: tf.tensor_scatter_nd_max(t, _idx([1], [1]), u),
     named(t=normal(4, 3), u=normal(2, 3)), opsets=(18, 21))
case("TensorScatterMin", lambda t, u: tf.tensor_scatter_nd_min(t, _idx([1], [3]), u),
     named(t=normal(4, 3), u=normal(2, 3)), opsets=(18,))
SEG_IDS = np.array([0, 0, 2, 2, 2, 3], np.int32)
for _op, _fn in (("UnsortedSegmentSum", tf.math.unsorted_segment_sum),
                 ("UnsortedSegmentProd", tf.math.unsorted_segment_prod),
                 ("UnsortedSegmentMax", tf.math.unsorted_segment_max),
                 ("UnsortedSegmentMin", tf.math.unsorted_segment_min)):
    case(_op, lambda d, _fn=_fn: _fn(d, tf.constant([3, 0, 3, 1, 0, 3]), 5),
         named(d=normal(6, 2)), opsets=(18,) if _op[-3:] in ("Max", "Min") else (16, 17))
for _op, _fn in (("SegmentSum", tf.math.segment_sum), ("SegmentProd", tf.math.segment_prod),
                 ("SegmentMax", tf.math.segment_max), ("SegmentMin", tf.math.segment_min)):
    case(_op, lambda d, _fn=_fn: _fn(d, tf.constant(SEG_IDS)), named(d=normal(6, 3)),
         opsets=(18,) if _op[-3:] in ("Max", "Min") else (16, 17))
case("UnsortedSegmentSum_runtime_ids", lambda d, i: tf.math.unsorted_segment_sum(d, i, 4),
     named(d=normal(5, 3), i=ints(5, lo=0, hi=4)), ops=("UnsortedSegmentSum",), opsets=(16,))

# ---------------------------------------------------------------- reordering
case("Roll", lambda x: tf.roll(x, shift=[2, -1], axis=[0, 2]), named(x=normal(5, 3, 4)), opset21=True)
case("Roll_same_axis", lambda x: tf.roll(x, shift=[3, 4], axis=[1, 1]), named(x=normal(2, 5)),
     ops=("Roll",), dynamic={"x": (None, None)})
case("ReverseSequence", lambda x, n: tf.reverse_sequence(x, n, seq_axis=1, batch_axis=0),
     named(x=normal(3, 5, 2), n=lambda r: np.array([5, 2, 0], np.int64)))
case("ReverseSequence_axes", lambda x, n: tf.reverse_sequence(x, n, seq_axis=2, batch_axis=1),
     named(x=normal(2, 3, 4), n=lambda r: np.array([4, 1, 3], np.int32)), ops=("ReverseSequence",))
case("InvertPermutation", lambda p: tf.math.invert_permutation(p),
     lambda r: {"p": r.permutation(7).astype(np.int32)})
case("MatrixBandPart", lambda x: tf.linalg.band_part(x, 1, 2), named(x=normal(2, 5, 6)),
     opsets=(14, 17, 21))
case("MatrixBandPart_lower", lambda x: tf.linalg.band_part(x, -1, 0), named(x=normal(4, 4)),
     ops=("MatrixBandPart",), opsets=(14, 17))


# ---------------------------------------------------------------- selection
case("Unique", lambda x: tf.unique(x), lambda r: {"x": r.integers(-3, 4, 12).astype(np.int32)})
case("Unique_float_int64_idx", lambda x: tf.unique(x, out_idx=tf.int64),
     lambda r: {"x": r.integers(-3, 4, 9).astype(F32)}, ops=("Unique",))
case("UniqueWithCounts", lambda x: tf.unique_with_counts(x),
     lambda r: {"x": r.integers(0, 5, 15).astype(np.int64)})
case("Bucketize", lambda x: tf.raw_ops.Bucketize(input=x, boundaries=[-1.0, 0.0, 0.5, 2.0]),
     lambda r: {"x": np.concatenate([normal(10)(r), np.array([-1, 0, 0.5, 2], F32)])})
case("Bucketize_int", lambda x: tf.raw_ops.Bucketize(input=x, boundaries=[0.0, 3.0]),
     named(x=ints(3, 4)), ops=("Bucketize",))


def _boxes(r, n=40):
    corner = r.uniform(0, 10, (n, 2))
    size = r.uniform(0.5, 4, (n, 2))
    return np.concatenate([corner, corner + size], axis=1).astype(F32)


NMS_IN = lambda r: {"b": _boxes(r), "s": r.uniform(0, 1, 40).astype(F32)}
case("NonMaxSuppressionV2", lambda b, s: tf.raw_ops.NonMaxSuppressionV2(
    boxes=b, scores=s, max_output_size=10, iou_threshold=0.3), NMS_IN)
case("NonMaxSuppressionV3", lambda b, s: tf.image.non_max_suppression(b, s, 15, 0.4, 0.2), NMS_IN,
     opset21=True)
case("NonMaxSuppressionV4_padded", lambda b, s: tf.raw_ops.NonMaxSuppressionV4(
    boxes=b, scores=s, max_output_size=30, iou_threshold=0.5, score_threshold=0.3,
    pad_to_max_output_size=True), NMS_IN, ops=("NonMaxSuppressionV4",))
case("NonMaxSuppressionV5", lambda b, s: tf.raw_ops.NonMaxSuppressionV5(
    boxes=b, scores=s, max_output_size=12, iou_threshold=0.5, score_threshold=0.1,
    soft_nms_sigma=0.0, pad_to_max_output_size=True), NMS_IN)


test_case_freezes_to_op, test_op = case_tests(CASES, "op")
