"""Fixes from the per-op sweep (tools/op_sweep): ops whose ONNX form is valid but that ONNX Runtime
has no CPU kernel for at the TF type (float64 trigonometry, erf, softplus, elu, selu, conv;
int8/uint8/int16 maximum, minimum and where; OneHot with int32 values or uint8 indices; float16
IsInf), float16 constants in decompositions (gelu's Erfc), reductions over an empty axis, and array ops the sweep found refused (LinSpace,
BroadcastArgs, searchsorted, InTopKV2, HistogramFixedWidth, GuaranteeConst). Each at opsets 13, 17
and 21 through oracle_lib's case machinery (TF's own outputs are the reference)."""

import numpy as np

from oracle_lib import CaseList, case_tests, fixed, get_tf, named

tf = get_tf()
raw = tf.raw_ops
F16, F32, F64 = np.float16, np.float32, np.float64
I8, I16, I32, I64, U8 = np.int8, np.int16, np.int32, np.int64, np.uint8
ALL = (13, 17, 21)

CASES = CaseList()
case = CASES.case


def uni(*shape, lo=-3.0, hi=3.0, dtype=F64):
    return lambda r: r.uniform(lo, hi, shape).astype(dtype)


def rints(*shape, lo=-100, hi=100, dtype=I8):
    return lambda r: r.integers(lo, hi, shape).astype(dtype)


# ---------------------------------------------------------------- float64 through float32
for _op, _lo, _hi in (("Acos", -0.9, 0.9), ("Asin", -0.9, 0.9), ("Atan", -3, 3), ("Cos", -3, 3),
                      ("Tan", -1, 1), ("Sinh", -2, 2), ("Cosh", -2, 2), ("Asinh", -3, 3),
                      ("Acosh", 1.1, 4), ("Atanh", -0.9, 0.9), ("Erf", -2, 2), ("Softplus", -3, 3),
                      ("Softsign", -3, 3), ("Elu", -3, 3), ("Selu", -3, 3)):
    case(f"{_op}_float64", lambda x, _op=_op: getattr(raw, _op)(features=x) if _op in (
        "Softplus", "Softsign", "Elu", "Selu") else getattr(raw, _op)(x=x),
         named(x=uni(2, 5, lo=_lo, hi=_hi)), opsets=ALL, atol=1e-6, rtol=1e-5)
case("Atan2_float64", lambda y, x: tf.math.atan2(y, x), named(y=uni(2, 5), x=uni(2, 5)), opsets=ALL,
     atol=1e-6, rtol=1e-5)
case("Erfc_float64_gelu", lambda x: tf.nn.gelu(x, approximate=False), named(x=uni(2, 5)),
     ops=("Erfc",), opsets=ALL, atol=1e-6, rtol=1e-5)
case("Conv2D_float64", lambda x: tf.nn.conv2d(x, tf.constant(np.linspace(-1, 1, 36).reshape(3, 3, 2, 2)),
                                              1, "SAME"),
     named(x=uni(1, 5, 5, 2)), opsets=ALL, atol=1e-5, rtol=1e-5)
case("Conv2DBackpropInput_float64", lambda x: tf.nn.conv2d_transpose(
    x, tf.constant(np.linspace(-1, 1, 36).reshape(3, 3, 2, 2)), [1, 10, 10, 2], 2, "SAME"),
     named(x=uni(1, 5, 5, 2)), opsets=ALL, atol=1e-5, rtol=1e-5)
case("AvgPool_float64", lambda x: tf.nn.avg_pool2d(x, 2, 2, "VALID"), named(x=uni(1, 4, 4, 2)),
     opsets=ALL, atol=1e-6)

# float16 scalars in decompositions (a float constant cast; ir tensors hold no halves)
case("Erfc_float16_gelu", lambda x: tf.nn.gelu(x, approximate=False), named(x=uni(2, 5, dtype=F16)),
     ops=("Erfc",), opsets=ALL, atol=2e-3, rtol=2e-3)
case("Expm1_float16", tf.math.expm1, named(x=uni(2, 5, lo=-2, hi=2, dtype=F16)), opsets=ALL,
     atol=2e-3, rtol=2e-3)
case("Log1p_float16", tf.math.log1p, named(x=uni(2, 5, lo=-0.5, hi=2, dtype=F16)), opsets=ALL,
     atol=2e-3, rtol=2e-3)

# ---------------------------------------------------------------- narrow integers through int32
for _dt in (I8, U8, I16):
    _n = np.dtype(_dt).name
    case(f"Maximum_{_n}", tf.math.maximum, named(a=rints(2, 5, lo=0, dtype=_dt), b=rints(2, 5, lo=0, dtype=_dt)),
         opsets=ALL)
    case(f"Minimum_{_n}", tf.math.minimum, named(a=rints(2, 5, lo=0, dtype=_dt), b=rints(1, 5, lo=0, dtype=_dt)),
         opsets=ALL)
    case(f"SelectV2_{_n}", lambda c, a, b: tf.where(c, a, b),
         named(c=lambda r: r.integers(0, 2, (2, 5)).astype(bool), a=rints(2, 5, lo=0, dtype=_dt),
               b=rints(2, 5, lo=0, dtype=_dt)), opsets=ALL)
case("Relu_int16", tf.nn.relu, named(x=rints(2, 5, dtype=I16)), opsets=ALL)
case("ClipByValue_uint8", lambda x: tf.clip_by_value(x, np.uint8(10), np.uint8(90)),
     named(x=rints(2, 5, lo=0, hi=200, dtype=U8)), ops=("Maximum", "Minimum"), opsets=ALL)
case("RightShift_int8", tf.bitwise.right_shift,
     named(a=rints(2, 5, lo=0, dtype=I8), b=rints(2, 5, lo=0, hi=5, dtype=I8)), opsets=(18, 21))

# ---------------------------------------------------------------- OneHot kernel types
case("OneHot_int32_values", lambda i: tf.one_hot(i, 4, on_value=3, off_value=-1, axis=0),
     named(i=fixed([[0, 3, 5], [-1, 2, 1]])), opsets=ALL)
case("OneHot_uint8_indices", lambda i: tf.one_hot(i, 5), named(i=fixed([0, 4, 2, 7], U8)), opsets=ALL)
case("OneHot_bool_values", lambda i: tf.one_hot(i, 3, on_value=True, off_value=False),
     named(i=fixed([0, 2, -1], I64)), opsets=ALL)
case("OneHot_float64", lambda i: tf.one_hot(i, 3, dtype=tf.float64), named(i=fixed([1, 0])), opsets=ALL)

# ---------------------------------------------------------------- float16 IsInf, empty reductions
case("IsFinite_float16", tf.math.is_finite,
     named(x=lambda r: np.array([1.0, np.inf, -np.inf, np.nan, 0.0], F16)), opsets=ALL)
case("IsInf_float16", tf.math.is_inf, named(x=lambda r: np.array([1.0, np.inf, -np.inf, np.nan], F16)),
     opsets=ALL)
case("Mean_empty_axis", lambda x: tf.reduce_mean(x, axis=1), named(x=uni(2, 0, 4, dtype=F32)), opsets=ALL)
case("Mean_empty_axis_keepdims", lambda x: tf.reduce_mean(x, axis=[0, 1], keepdims=True),
     named(x=uni(2, 0, 4, dtype=F32)), opsets=ALL)
case("Any_empty_axis", lambda x: tf.reduce_any(x, axis=1),
     named(x=lambda r: np.zeros((2, 0, 4), bool)), opsets=ALL)
case("Any_values", lambda x: tf.reduce_any(x, axis=[0, 2]),
     named(x=lambda r: r.integers(0, 2, (2, 3, 4)).astype(bool) & (r.uniform(size=(2, 3, 4)) > 0.7)),
     opsets=ALL)
case("Any_runtime_axis", lambda x, a: tf.reduce_any(x, axis=a),
     named(x=lambda r: r.integers(0, 2, (3, 4)).astype(bool), a=fixed(1)), opsets=ALL)

# ---------------------------------------------------------------- array ops
# raw LinSpace (TF 2's tf.linspace is built of other ops, with a ConcatV2 on a computed axis).
case("LinSpace", lambda a, b: raw.LinSpace(start=a, stop=b, num=7),
     named(a=fixed(-1.0, F32), b=fixed(2.5, F32)), opsets=ALL)
case("LinSpace_num1", lambda a, b: raw.LinSpace(start=a, stop=b, num=1),
     named(a=fixed(3.0, F64), b=fixed(4.0, F64)), opsets=ALL)
case("LinSpace_runtime_num", lambda a, n: raw.LinSpace(start=a, stop=a * 3.0, num=n),
     named(a=fixed(0.5, F32), n=fixed(5, I64)), opsets=ALL)
case("BroadcastArgs", lambda a, b: tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b)),
     named(a=uni(2, 1, 3, dtype=F32), b=uni(4, 1, dtype=F32)), opsets=ALL,
     dynamic={"a": [None, 1, None], "b": [None, None]})
case("LowerBound", lambda s, v: tf.searchsorted(s, v),
     named(s=fixed([[1.0, 2.0, 2.0, 5.0], [0.0, 0.5, 1.0, 9.0]], F32),
           v=fixed([[2.0, 6.0, 0.0], [0.5, 3.0, -1.0]], F32)), opsets=ALL)
case("UpperBound_int64_out", lambda s, v: tf.searchsorted(s, v, side="right", out_type=tf.int64),
     named(s=fixed([[1, 2, 2, 5]]), v=fixed([[2, 6, 0, 1]])), opsets=ALL)
case("LowerBound_1d", lambda s, v: tf.searchsorted(s, v), named(s=fixed([0.0, 1.0, 4.0], F32),
                                                                 v=fixed([4.0, -1.0, 0.5], F32)),
     opsets=ALL)
case("InTopKV2", lambda t, p: tf.math.in_top_k(t, p, k=2),
     named(t=fixed([0, 3, 1, 2]), p=fixed([[0.1, 0.5, 0.2, 0.3], [0.4, 0.4, 0.1, 0.4],
                                           [0.3, 0.1, 0.2, np.nan], [0.1, 0.2, np.inf, 0.0]], F32)),
     opsets=ALL)
case("HistogramFixedWidth", lambda x: tf.histogram_fixed_width(x, [0.0, 5.0], nbins=5),
     named(x=lambda r: np.array([-1.0, 0.0, 0.9, 1.0, 2.5, 4.99, 5.0, 7.0, 3.2], F32)), opsets=ALL)
case("HistogramFixedWidth_int64", lambda x: tf.histogram_fixed_width(x, [0, 10], nbins=4, dtype=tf.int64),
     named(x=rints(12, lo=-2, hi=13, dtype=I32)), opsets=ALL)
case("GuaranteeConst", lambda x: tf.guarantee_const(x) * 2.0, named(x=uni(3, dtype=F32)), opsets=ALL)

test_case_freezes_to_op, test_op = case_tests(CASES, prefix="sweep_rt")
