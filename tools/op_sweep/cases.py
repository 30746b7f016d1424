"""The sweep's cases: tf.math, tf.dtypes, tf.bitwise (this file), array ops, tf.nn, tf.image,
tf.linalg, tf.signal, tf.strings, tf.sparse and tf.random (cases_more.py)."""

import dataclasses
from typing import Callable, Dict, Optional, Sequence

import numpy as np

from oracle_lib import get_tf

tf = get_tf()

F16, F32, F64 = np.float16, np.float32, np.float64
I8, I16, I32, I64, U8, U16 = np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16
BOOL = np.bool_


@dataclasses.dataclass
class Case:
    name: str
    op: str  # the public API function it exercises
    fn: Callable
    inputs: Callable  # rng -> {name: array}
    dynamic: Dict[str, Sequence[Optional[int]]] = dataclasses.field(default_factory=dict)
    opsets: Optional[tuple] = None
    check: str = "values"  # or "shape" (random ops)
    value_range: Optional[tuple] = None
    atol: float = 1e-5
    rtol: float = 1e-4
    saved_model: bool = False


ALL_CASES = []


def add(name, op, fn, inputs, **kw):
    assert all(c.name != name for c in ALL_CASES), name
    ALL_CASES.append(Case(name, op, fn, inputs, **kw))


# ---------------------------------------------------------------- input generators
def arr(shape, dtype=F32, lo=-3.0, hi=3.0):
    def gen(r):
        if np.dtype(dtype) == BOOL:
            return r.integers(0, 2, shape).astype(BOOL)
        if np.dtype(dtype).kind in "iu":
            info = np.iinfo(dtype)
            return r.integers(max(int(lo), info.min), min(int(hi), info.max) + 1, shape).astype(dtype)
        return r.uniform(lo, hi, shape).astype(dtype)
    return gen


def ins(**gens):
    return lambda r: {k: g(r) for k, g in gens.items()}


def dname(dtype):
    return np.dtype(dtype).name


# ---------------------------------------------------------------- tf.math unary
UNARY = {
    # name: (fn, lo, hi, dtypes)
    "abs": (tf.math.abs, -3, 3, (F32, F16, F64, I8, I16, I32, I64)),
    "acos": (tf.math.acos, -0.9, 0.9, (F32, F64)),
    "acosh": (tf.math.acosh, 1.1, 4, (F32,)),
    "asin": (tf.math.asin, -0.9, 0.9, (F32,)),
    "asinh": (tf.math.asinh, -3, 3, (F32,)),
    "atan": (tf.math.atan, -3, 3, (F32,)),
    "atanh": (tf.math.atanh, -0.9, 0.9, (F32,)),
    "ceil": (tf.math.ceil, -3, 3, (F32, F16, F64)),
    "cos": (tf.math.cos, -3, 3, (F32, F16, F64)),
    "cosh": (tf.math.cosh, -3, 3, (F32,)),
    "erf": (tf.math.erf, -3, 3, (F32, F64)),
    "erfc": (tf.math.erfc, -2, 2, (F32,)),
    "erfinv": (tf.math.erfinv, -0.9, 0.9, (F32,)),
    "exp": (tf.math.exp, -3, 3, (F32, F16, F64)),
    "expm1": (tf.math.expm1, -3, 3, (F32,)),
    "floor": (tf.math.floor, -3, 3, (F32, F16, F64)),
    "is_finite": (tf.math.is_finite, -3, 3, (F32, F16, F64)),
    "is_inf": (tf.math.is_inf, -3, 3, (F32,)),
    "is_nan": (tf.math.is_nan, -3, 3, (F32, F64)),
    "log": (tf.math.log, 0.1, 4, (F32, F16, F64)),
    "log1p": (tf.math.log1p, -0.5, 3, (F32,)),
    "log_sigmoid": (tf.math.log_sigmoid, -3, 3, (F32,)),
    "negative": (tf.math.negative, -3, 3, (F32, F16, F64, I8, I16, I32, I64)),
    "reciprocal": (tf.math.reciprocal, 0.5, 3, (F32, F64)),
    "reciprocal_no_nan": (tf.math.reciprocal_no_nan, -3, 3, (F32,)),
    "rint": (tf.math.rint, -3, 3, (F32, F64)),
    "round": (tf.math.round, -3, 3, (F32, F64, I32)),
    "rsqrt": (tf.math.rsqrt, 0.1, 4, (F32, F16, F64)),
    "sigmoid": (tf.math.sigmoid, -3, 3, (F32, F16, F64)),
    "sign": (tf.math.sign, -3, 3, (F32, F64, I32, I64, I8)),
    "sin": (tf.math.sin, -3, 3, (F32, F64)),
    "sinh": (tf.math.sinh, -3, 3, (F32,)),
    "softplus": (tf.math.softplus, -3, 3, (F32, F64)),
    "softsign": (tf.math.softsign, -3, 3, (F32,)),
    "sqrt": (tf.math.sqrt, 0.1, 4, (F32, F16, F64)),
    "square": (tf.math.square, -3, 3, (F32, F16, F64, I32, I64, I8)),
    "tan": (tf.math.tan, -1, 1, (F32,)),
    "tanh": (tf.math.tanh, -3, 3, (F32, F16, F64)),
    "bessel_i0e": (tf.math.bessel_i0e, -3, 3, (F32,)),
    "bessel_i1e": (tf.math.bessel_i1e, -3, 3, (F32,)),
    "digamma": (tf.math.digamma, 0.5, 4, (F32,)),
    "ndtri": (tf.math.ndtri, 0.05, 0.95, (F32,)),
    "zero_fraction": (tf.math.zero_fraction, -1, 1, (F32,)),
    "logical_not": (tf.math.logical_not, 0, 1, (BOOL,)),
    "invert_permutation": (tf.math.invert_permutation, 0, 0, ()),
}
for _n, (_f, _lo, _hi, _dts) in UNARY.items():
    for _dt in _dts:
        add(f"math.{_n}_{dname(_dt)}", f"tf.math.{_n}", lambda x, _f=_f: _f(x),
            ins(x=arr((2, 3), _dt, _lo, _hi)), saved_model=_dt == F32)
    if _dts and _dts[0] != BOOL:
        add(f"math.{_n}_dyn_empty", f"tf.math.{_n}", lambda x, _f=_f: _f(x),
            ins(x=arr((0, 3), _dts[0], _lo, _hi)), dynamic={"x": [None, 3]})
add("math.invert_permutation", "tf.math.invert_permutation", tf.math.invert_permutation,
    lambda r: {"x": r.permutation(6).astype(I32)})

# ---------------------------------------------------------------- tf.math binary
BINARY = {
    "add": (tf.math.add, (F32, F16, F64, I8, I16, I32, I64, U8)),
    "subtract": (tf.math.subtract, (F32, F16, F64, I8, I32, I64, U8)),
    "multiply": (tf.math.multiply, (F32, F16, F64, I8, I16, I32, I64, U8)),
    "divide": (tf.math.divide, (F32, F64, I32)),
    "truediv": (tf.math.truediv, (F32, I64)),
    "floordiv": (tf.math.floordiv, (F32, F64, I32, I64, I8)),
    "floormod": (tf.math.floormod, (F32, F64, I32, I64)),
    "truncatediv": (tf.truncatediv, (I32, I64, F32)),
    "truncatemod": (tf.truncatemod, (I32, F32)),
    "maximum": (tf.math.maximum, (F32, F16, F64, I8, I16, I32, I64, U8)),
    "minimum": (tf.math.minimum, (F32, F16, F64, I8, I32, I64, U8)),
    "pow": (tf.math.pow, (F32, F64, I32, I64)),
    "squared_difference": (tf.math.squared_difference, (F32, F64, I32, I64)),
    "divide_no_nan": (tf.math.divide_no_nan, (F32, F64)),
    "multiply_no_nan": (tf.math.multiply_no_nan, (F32,)),
    "xdivy": (tf.math.xdivy, (F32,)),
    "xlogy": (tf.math.xlogy, (F32,)),
    "atan2": (tf.math.atan2, (F32, F64)),
    "equal": (tf.math.equal, (F32, F16, I32, I64, BOOL, U8, I8)),
    "not_equal": (tf.math.not_equal, (F32, I32, BOOL, I64)),
    "less": (tf.math.less, (F32, F16, F64, I32, I64, U8, I8)),
    "less_equal": (tf.math.less_equal, (F32, I32, I64, U8)),
    "greater": (tf.math.greater, (F32, F64, I32, I64, U8, I16)),
    "greater_equal": (tf.math.greater_equal, (F32, I32, I64)),
    "logical_and": (tf.math.logical_and, (BOOL,)),
    "logical_or": (tf.math.logical_or, (BOOL,)),
    "logical_xor": (tf.math.logical_xor, (BOOL,)),
    "nextafter": (tf.math.nextafter, (F32, F64)),
    "igamma": (tf.math.igamma, (F32,)),
    "zeta": (tf.math.zeta, (F32,)),
}


def _bin_inputs(name, dt, shape_a=(2, 3), shape_b=(2, 3)):
    if name in ("divide", "truediv", "floordiv", "floormod", "truncatediv", "truncatemod"):
        def gen(r):
            a = arr(shape_a, dt, -9, 9)(r)
            b = arr(shape_b, dt, 1, 4)(r)
            if np.dtype(dt).kind != "u":
                b = (b * r.choice([-1, 1], shape_b)).astype(dt)
            return {"a": a, "b": b}
        return gen
    if name == "pow":
        return ins(a=arr(shape_a, dt, 1, 3) if np.dtype(dt).kind in "iu" else arr(shape_a, dt, 0.5, 2),
                   b=arr(shape_b, dt, 0, 3))
    if name in ("igamma", "zeta"):
        return ins(a=arr(shape_a, dt, 1.5, 3), b=arr(shape_b, dt, 0.5, 2))
    if name in ("xlogy", "xdivy"):
        return ins(a=arr(shape_a, dt, -2, 2), b=arr(shape_b, dt, 0.5, 2))
    if np.dtype(dt).kind in "iu":
        return ins(a=arr(shape_a, dt, -3 if np.dtype(dt).kind == "i" else 0, 4),
                   b=arr(shape_b, dt, -3 if np.dtype(dt).kind == "i" else 0, 4))
    return ins(a=arr(shape_a, dt), b=arr(shape_b, dt))


for _n, (_f, _dts) in BINARY.items():
    for _dt in _dts:
        add(f"math.{_n}_{dname(_dt)}", f"tf.math.{_n}", lambda a, b, _f=_f: _f(a, b),
            _bin_inputs(_n, _dt), saved_model=_dt == F32)
    add(f"math.{_n}_bcast_dyn", f"tf.math.{_n}", lambda a, b, _f=_f: _f(a, b),
        _bin_inputs(_n, _dts[0], (2, 1, 3), (4, 1)), dynamic={"a": [None, 1, 3], "b": [None, 1]})
    add(f"math.{_n}_empty", f"tf.math.{_n}", lambda a, b, _f=_f: _f(a, b),
        _bin_inputs(_n, _dts[0], (0, 3), (1, 3)))

add("math.add_n", "tf.math.add_n", lambda a, b, c: tf.math.add_n([a, b, c]),
    ins(a=arr((2, 3)), b=arr((2, 3)), c=arr((2, 3))))
add("math.add_n_int", "tf.math.add_n", lambda a, b: tf.math.add_n([a, b]),
    ins(a=arr((2, 3), I32), b=arr((2, 3), I32)))
add("math.scalar_mul", "tf.math.scalar_mul", lambda x: tf.math.scalar_mul(2.5, x), ins(x=arr((2, 3))))
add("math.polyval", "tf.math.polyval", lambda x: tf.math.polyval([1.0, -2.0, 0.5], x), ins(x=arr((2, 3))))
add("math.lbeta", "tf.math.lbeta", tf.math.lbeta, ins(x=arr((2, 3), F32, 0.5, 3)))
add("math.betainc", "tf.math.betainc", tf.math.betainc,
    ins(a=arr((4,), F32, 0.5, 2), b=arr((4,), F32, 0.5, 2), x=arr((4,), F32, 0.1, 0.9)))
add("math.clip_by_value", "tf.clip_by_value", lambda x: tf.clip_by_value(x, -1.0, 1.5), ins(x=arr((2, 3))))
add("math.clip_by_value_int", "tf.clip_by_value", lambda x: tf.clip_by_value(x, -1, 2), ins(x=arr((2, 3), I32)))
add("math.clip_by_value_tensor", "tf.clip_by_value", lambda x, lo, hi: tf.clip_by_value(x, lo, hi),
    ins(x=arr((2, 3)), lo=arr((2, 3), F32, -2, -1), hi=arr((2, 3), F32, 0, 1)))
add("math.clip_by_norm", "tf.clip_by_norm", lambda x: tf.clip_by_norm(x, 1.0), ins(x=arr((2, 3))))
add("math.clip_by_norm_axes", "tf.clip_by_norm", lambda x: tf.clip_by_norm(x, 1.0, axes=[1]), ins(x=arr((2, 3))))
add("math.clip_by_global_norm", "tf.clip_by_global_norm",
    lambda a, b: tf.clip_by_global_norm([a, b], 1.0)[0], ins(a=arr((2, 3)), b=arr((3,))))

# ---------------------------------------------------------------- reductions
REDUCE = {
    "reduce_sum": (tf.math.reduce_sum, (F32, F16, F64, I32, I64)),
    "reduce_mean": (tf.math.reduce_mean, (F32, F16, F64, I32)),
    "reduce_max": (tf.math.reduce_max, (F32, F16, I32, I64, U8, I8)),
    "reduce_min": (tf.math.reduce_min, (F32, F64, I32, I64, U8)),
    "reduce_prod": (tf.math.reduce_prod, (F32, I32, I64)),
    "reduce_all": (tf.math.reduce_all, (BOOL,)),
    "reduce_any": (tf.math.reduce_any, (BOOL,)),
    "reduce_logsumexp": (tf.math.reduce_logsumexp, (F32, F64)),
    "reduce_euclidean_norm": (tf.math.reduce_euclidean_norm, (F32, F64, I32)),
    "reduce_std": (tf.math.reduce_std, (F32,)),
    "reduce_variance": (tf.math.reduce_variance, (F32, F64)),
    "count_nonzero": (tf.math.count_nonzero, (F32, I32, BOOL)),
}
for _n, (_f, _dts) in REDUCE.items():
    for _dt in _dts:
        add(f"math.{_n}_{dname(_dt)}", f"tf.math.{_n}", lambda x, _f=_f: _f(x, axis=1),
            ins(x=arr((2, 3, 4), _dt, -3 if np.dtype(_dt).kind != "u" else 0, 3)))
    for _ax, _kd in (((0, 2), True), (None, False), (-1, True), ((), False)):
        add(f"math.{_n}_ax{_ax}_kd{int(_kd)}", f"tf.math.{_n}",
            lambda x, _f=_f, _ax=_ax, _kd=_kd: _f(x, axis=_ax, keepdims=_kd),
            ins(x=arr((2, 3, 4), _dts[0])))
    add(f"math.{_n}_dyn", f"tf.math.{_n}", lambda x, _f=_f: _f(x, axis=[1], keepdims=True),
        ins(x=arr((2, 3, 4), _dts[0])), dynamic={"x": [None, None, 4]})
    add(f"math.{_n}_empty_axis", f"tf.math.{_n}", lambda x, _f=_f: _f(x, axis=1),
        ins(x=arr((2, 0, 4), _dts[0])))
add("math.reduce_sum_runtime_axis", "tf.math.reduce_sum", lambda x, a: tf.math.reduce_sum(x, axis=a),
    lambda r: {"x": arr((2, 3, 4))(r), "a": np.array([0, 2], I32)})
add("math.reduce_max_runtime_axis_kd", "tf.math.reduce_max",
    lambda x, a: tf.math.reduce_max(x, axis=a, keepdims=True),
    lambda r: {"x": arr((2, 3, 4))(r), "a": np.array(1, I64)})

for _f, _n in ((tf.math.argmax, "argmax"), (tf.math.argmin, "argmin")):
    for _dt in (F32, I32, U8, F16, I64):
        for _ot in (tf.int64, tf.int32):
            add(f"math.{_n}_{dname(_dt)}_{_ot.name}", f"tf.math.{_n}",
                lambda x, _f=_f, _ot=_ot: _f(x, axis=1, output_type=_ot), ins(x=arr((2, 5, 3), _dt, 0, 100)))
    add(f"math.{_n}_ties", f"tf.math.{_n}", lambda x, _f=_f: _f(x, axis=-1), lambda r: {"x": r.integers(0, 2, (3, 6)).astype(F32)})
    add(f"math.{_n}_dyn", f"tf.math.{_n}", lambda x, _f=_f: _f(x, axis=0), ins(x=arr((4, 3))),
        dynamic={"x": [None, None]})

for _f, _n, _dts in ((tf.math.cumsum, "cumsum", (F32, F64, I32, I64, F16)),
                     (tf.math.cumprod, "cumprod", (F32, I32, F64))):
    for _dt in _dts:
        add(f"math.{_n}_{dname(_dt)}", f"tf.math.{_n}", lambda x, _f=_f: _f(x, axis=1),
            ins(x=arr((2, 4, 3), _dt, -2, 3)))
    for _ex in (False, True):
        for _rev in (False, True):
            add(f"math.{_n}_ex{int(_ex)}_rev{int(_rev)}", f"tf.math.{_n}",
                lambda x, _f=_f, _ex=_ex, _rev=_rev: _f(x, axis=-1, exclusive=_ex, reverse=_rev),
                ins(x=arr((2, 5))), dynamic={"x": [None, 5]})
    add(f"math.{_n}_runtime_axis", f"tf.math.{_n}", lambda x, a, _f=_f: _f(x, axis=a),
        lambda r: {"x": arr((2, 4))(r), "a": np.array(0, I32)})
add("math.cumulative_logsumexp", "tf.math.cumulative_logsumexp",
    lambda x: tf.math.cumulative_logsumexp(x, axis=1), ins(x=arr((2, 5))))
add("math.cumulative_logsumexp_ex_rev", "tf.math.cumulative_logsumexp",
    lambda x: tf.math.cumulative_logsumexp(x, axis=0, exclusive=True, reverse=True), ins(x=arr((3, 2))))

for _k, _sorted in ((2, True), (3, False), (1, True)):
    for _dt in (F32, I32, F64):
        add(f"math.top_k_k{_k}_s{int(_sorted)}_{dname(_dt)}", "tf.math.top_k",
            # sorted=False leaves TF's order unspecified: compare the values sorted.
            lambda x, _k=_k, _s=_sorted: tf.math.top_k(x, k=_k) if _s else tf.sort(tf.math.top_k(x, k=_k, sorted=False).values),
            lambda r, _dt=_dt: {"x": (r.permutation(24).reshape(2, 3, 4) - 8).astype(_dt)})
add("math.top_k_runtime_k", "tf.math.top_k", lambda x, k: tf.math.top_k(x, k=k),
    lambda r: {"x": r.permutation(12).reshape(2, 6).astype(F32), "k": np.array(3, I32)})
add("math.top_k_dyn", "tf.math.top_k", lambda x: tf.math.top_k(x, k=2),
    lambda r: {"x": r.permutation(12).reshape(3, 4).astype(F32)}, dynamic={"x": [None, 4]})
add("math.in_top_k", "tf.math.in_top_k", lambda t, p: tf.math.in_top_k(t, p, k=2),
    lambda r: {"t": r.integers(0, 5, (4,)).astype(I32), "p": r.permutation(20).reshape(4, 5).astype(F32)})

# segments
for _n in ("segment_sum", "segment_mean", "segment_max", "segment_min", "segment_prod"):
    _f = getattr(tf.math, _n)
    add(f"math.{_n}", f"tf.math.{_n}", lambda x, s, _f=_f: _f(x, s),
        lambda r: {"x": arr((6, 3))(r), "s": np.array([0, 0, 1, 2, 2, 2], I32)})
    add(f"math.{_n}_int", f"tf.math.{_n}", lambda x, s, _f=_f: _f(x, s),
        lambda r: {"x": arr((5,), I32, -5, 5)(r), "s": np.array([0, 1, 1, 3, 3], I64)})
for _n in ("unsorted_segment_sum", "unsorted_segment_mean", "unsorted_segment_max",
           "unsorted_segment_min", "unsorted_segment_prod", "unsorted_segment_sqrt_n"):
    _f = getattr(tf.math, _n)
    add(f"math.{_n}", f"tf.math.{_n}", lambda x, s, _f=_f: _f(x, s, num_segments=4),
        lambda r: {"x": arr((6, 3))(r), "s": np.array([3, 0, 1, 0, 3, 1], I32)})
    add(f"math.{_n}_2d_ids", f"tf.math.{_n}", lambda x, s, _f=_f: _f(x, s, num_segments=3),
        lambda r: {"x": arr((2, 3, 2))(r), "s": np.array([[0, 2, 1], [1, 1, 0]], I32)})
add("math.unsorted_segment_sum_neg_ids", "tf.math.unsorted_segment_sum",
    lambda x, s: tf.math.unsorted_segment_sum(x, s, num_segments=3),
    lambda r: {"x": arr((5, 2))(r), "s": np.array([0, -1, 2, 2, -1], I32)})
add("math.bincount", "tf.math.bincount", lambda x: tf.math.bincount(x, minlength=6, maxlength=6),
    lambda r: {"x": r.integers(0, 6, (10,)).astype(I32)})
add("math.bincount_weights", "tf.math.bincount",
    lambda x, w: tf.math.bincount(x, weights=w, minlength=5, maxlength=5),
    lambda r: {"x": r.integers(0, 5, (8,)).astype(I32), "w": arr((8,))(r)})
add("math.confusion_matrix", "tf.math.confusion_matrix",
    lambda a, b: tf.math.confusion_matrix(a, b, num_classes=4),
    lambda r: {"a": r.integers(0, 4, (10,)).astype(I32), "b": r.integers(0, 4, (10,)).astype(I32)})

# ---------------------------------------------------------------- casts
CAST_DTS = (F32, F16, F64, I8, I16, I32, I64, U8, U16, BOOL)
for _src in CAST_DTS:
    for _dst in CAST_DTS:
        if _src == _dst:
            continue
        _lo, _hi = (0, 200) if np.dtype(_src).kind == "u" else (-100, 100)
        if np.dtype(_dst).kind in "iu" and np.dtype(_src).kind == "f":
            _lo, _hi = (0, 120) if np.dtype(_dst).kind == "u" else (-100, 100)
        add(f"cast.{dname(_src)}_to_{dname(_dst)}", "tf.cast",
            lambda x, _d=_dst: tf.cast(x, tf.as_dtype(_d)), ins(x=arr((2, 5), _src, _lo, _hi)))
add("cast.dyn_empty", "tf.cast", lambda x: tf.cast(x, tf.int32), ins(x=arr((0, 2))), dynamic={"x": [None, 2]})
add("dtypes.saturate_cast_f_u8", "tf.dtypes.saturate_cast", lambda x: tf.dtypes.saturate_cast(x, tf.uint8),
    ins(x=arr((2, 5), F32, -300, 300)))
add("dtypes.saturate_cast_i32_i8", "tf.dtypes.saturate_cast", lambda x: tf.dtypes.saturate_cast(x, tf.int8),
    ins(x=arr((2, 5), I32, -300, 300)))
add("bitcast.f32_i32", "tf.bitcast", lambda x: tf.bitcast(x, tf.int32), ins(x=arr((2, 3))))
add("bitcast.i32_f32", "tf.bitcast", lambda x: tf.bitcast(x, tf.float32), ins(x=arr((2, 3), I32, 0, 1000)))

# ---------------------------------------------------------------- tf.bitwise (opset 18+)
for _n in ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"):
    _f = getattr(tf.bitwise, _n)
    for _dt in (I32, U8, I64, I8):
        add(f"bitwise.{_n}_{dname(_dt)}", f"tf.bitwise.{_n}", lambda a, b, _f=_f: _f(a, b),
            ins(a=arr((2, 4), _dt, 0, 100), b=arr((2, 4), _dt, 0, 5)), opsets=(18, 21))
for _dt in (I32, U8, I16):
    add(f"bitwise.invert_{dname(_dt)}", "tf.bitwise.invert", tf.bitwise.invert,
        ins(x=arr((2, 4), _dt, 0, 100)), opsets=(18, 21))

import cases_more  # noqa: E402,F401  (appends the other families)
