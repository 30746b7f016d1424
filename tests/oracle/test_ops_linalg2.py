"""Issue 14 breadth, linear algebra: Cross, TridiagonalMatMul, and ScatterNdNonAliasingAdd (the
functional scatter-add of tf.tensor_scatter_nd_add's older spelling). Each case converts at opsets
13 (16 for the scatter: ScatterND's reduction), 17 and 21, is checked with the PyPI onnx checker,
run in ONNX Runtime and compared with TF: several dtypes, empty tensors and dynamic dims."""

import numpy as np

from oracle_lib import Case, case_tests, fixed, get_tf, ints, named, normal

tf = get_tf()
raw = tf.raw_ops
CASES = []


def case(name, fn, inputs, ops, opsets=(13, 17, 21), **kw):
    CASES.append(Case(f"la2_{name}", fn, inputs, tuple(ops), opsets=opsets, **kw))


def cross(a, b):
    return raw.Cross(a=a, b=b)


case("Cross_f32", cross, named(a=normal(4, 3), b=normal(4, 3)), ["Cross"])
case("Cross_f64_batch", cross, named(a=normal(2, 3, 3, dtype=np.float64),
                                     b=normal(2, 3, 3, dtype=np.float64)), ["Cross"])
case("Cross_int32_vector", cross, named(a=ints(3), b=ints(3)), ["Cross"])
case("Cross_int64_dynamic", cross, named(a=ints(5, 3, dtype=np.int64), b=ints(5, 3, dtype=np.int64)),
     ["Cross"], dynamic={"a": (None, 3), "b": (None, None)})
case("Cross_empty", cross, named(a=normal(0, 3), b=normal(0, 3)), ["Cross"])


def tridiagonal(sup, main, sub, rhs):
    return raw.TridiagonalMatMul(superdiag=sup, maindiag=main, subdiag=sub, rhs=rhs)


def tri_inputs(batch, m, n, dtype=np.float32):
    return named(sup=normal(*batch, 1, m, dtype=dtype), main=normal(*batch, 1, m, dtype=dtype),
                 sub=normal(*batch, 1, m, dtype=dtype), rhs=normal(*batch, m, n, dtype=dtype))


case("TridiagonalMatMul_f32", tridiagonal, tri_inputs((), 5, 3), ["TridiagonalMatMul"])
case("TridiagonalMatMul_f64_batch", tridiagonal, tri_inputs((2,), 4, 2, np.float64),
     ["TridiagonalMatMul"])
case("TridiagonalMatMul_one_row", tridiagonal, tri_inputs((), 1, 4), ["TridiagonalMatMul"])
case("TridiagonalMatMul_dynamic", tridiagonal, tri_inputs((3,), 6, 2), ["TridiagonalMatMul"],
     dynamic={"sup": (None, 1, None), "main": (None, 1, None), "sub": (None, 1, None),
              "rhs": (None, None, None)})
case("TridiagonalMatMul_empty_rhs", tridiagonal, tri_inputs((), 3, 0), ["TridiagonalMatMul"])


def scatter_add(x, i, u):
    return raw.ScatterNdNonAliasingAdd(input=x, indices=i, updates=u)


SCATTER_OPSETS = (16, 17, 21)
case("ScatterNdNonAliasingAdd_rows_duplicates", scatter_add,
     named(x=normal(5, 3), i=fixed([[1], [3], [1]]), u=normal(3, 3)), ["ScatterNdNonAliasingAdd"],
     opsets=SCATTER_OPSETS)
case("ScatterNdNonAliasingAdd_int_elements", scatter_add,
     named(x=ints(4, 4), i=fixed([[0, 1], [3, 3]], np.int64), u=ints(2)), ["ScatterNdNonAliasingAdd"],
     opsets=SCATTER_OPSETS)
case("ScatterNdNonAliasingAdd_dynamic", scatter_add,
     named(x=normal(4, 2), i=fixed([[2], [0]]), u=normal(2, 2)), ["ScatterNdNonAliasingAdd"],
     opsets=SCATTER_OPSETS, dynamic={"x": (None, 2), "i": (None, 1), "u": (None, 2)})
case("ScatterNdNonAliasingAdd_no_updates", scatter_add,
     named(x=normal(3, 2), i=lambda r: np.zeros((0, 1), np.int32), u=normal(0, 2)),
     ["ScatterNdNonAliasingAdd"], opsets=SCATTER_OPSETS)

test_case_freezes_to_op, test_op = case_tests(CASES, prefix="la2")
