"""Matrix ops (issue 14): the diagonal family, determinants, MatrixInverse, MatrixSolve, Cholesky and
MatrixTriangularSolve, one
small tf.function per op variant converted at opsets 13, 17 and 21 and compared with TensorFlow
in ONNX Runtime (oracle_lib's case machinery)."""

import numpy as np

from oracle_lib import CaseList, case_tests, get_tf, ints, named, normal

tf = get_tf()
raw = tf.raw_ops
F32 = np.float32
ALL = (13, 17, 21)

CASES = CaseList()
case = CASES.case


def well_conditioned(*shape, dtype=F32):
    """Random square matrices plus n*I: far from singular."""
    n = shape[-1]
    return lambda r: (r.standard_normal(shape) + n * np.eye(n)).astype(dtype)


# ---------------------------------------------------------------- diagonal parts
for _align in ("RIGHT_LEFT", "LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"):
    case(f"MatrixDiagPartV3_{_align}", lambda x, _a=_align: raw.MatrixDiagPartV3(
        input=x, k=[-1, 2], padding_value=9.0, align=_a), named(x=normal(2, 4, 5)), opsets=ALL)
case("MatrixDiagPartV3_single_k", lambda x: raw.MatrixDiagPartV3(input=x, k=-2, padding_value=0),
     named(x=ints(3, 5, 4)), opsets=ALL)
case("MatrixDiagPartV3_wide_bool", lambda x: raw.MatrixDiagPartV3(
    input=x, k=[0, 3], padding_value=False), lambda r: {"x": r.integers(0, 2, (3, 6)).astype(bool)},
     opsets=ALL)
case("MatrixDiagPartV3_dynamic_batch", lambda x: tf.linalg.diag_part(x, k=(-1, 1)),
     named(x=normal(2, 3, 3, 3)), dynamic={"x": [None, None, 3, 3]}, opsets=ALL,
     ops=("MatrixDiagPartV3",))
case("MatrixDiagPartV3_empty_batch", lambda x: tf.linalg.diag_part(x),
     named(x=normal(0, 3, 4)), opsets=ALL, ops=("MatrixDiagPartV3",))
case("MatrixDiagPartV2", lambda x: raw.MatrixDiagPartV2(input=x, k=[-2, 0], padding_value=-1.0),
     named(x=normal(4, 3)), opsets=ALL)
case("MatrixDiagPart", lambda x: raw.MatrixDiagPart(input=x), named(x=normal(2, 3, 5)), opsets=ALL)

# ---------------------------------------------------------------- matrices from diagonals
case("MatrixDiagV3_band", lambda d: raw.MatrixDiagV3(
    diagonal=d, k=[-1, 1], num_rows=-1, num_cols=-1, padding_value=0.5, align="RIGHT_LEFT"),
     named(d=normal(2, 3, 4)), opsets=ALL)
case("MatrixDiagV3_rect", lambda d: raw.MatrixDiagV3(
    diagonal=d, k=[0, 2], num_rows=3, num_cols=-1, padding_value=0.0, align="LEFT_RIGHT"),
     named(d=normal(3, 3)), opsets=ALL)
case("MatrixDiagV3_single_k_int", lambda d: raw.MatrixDiagV3(
    diagonal=d, k=1, num_rows=-1, num_cols=-1, padding_value=7, align="RIGHT_LEFT"),
     named(d=ints(2, 3)), opsets=ALL)
case("MatrixDiagV3_num_cols", lambda d: raw.MatrixDiagV3(
    diagonal=d, k=-1, num_rows=-1, num_cols=5, padding_value=0.0, align="RIGHT_LEFT"),
     named(d=normal(4)), opsets=ALL)
case("MatrixDiagV3_dynamic_batch", lambda d: tf.linalg.diag(d, k=(-1, 0)),
     named(d=normal(3, 2, 4)), dynamic={"d": [None, 2, 4]}, opsets=ALL, ops=("MatrixDiagV3",))
case("MatrixDiagV2", lambda d: raw.MatrixDiagV2(diagonal=d, k=[-1, 0], num_rows=-1, num_cols=-1,
                                                padding_value=1.0), named(d=normal(2, 3)), opsets=ALL)
case("MatrixDiag", lambda d: raw.MatrixDiag(diagonal=d), named(d=normal(2, 4)), opsets=ALL)

# ---------------------------------------------------------------- set diagonals
case("MatrixSetDiagV3_band", lambda x, d: raw.MatrixSetDiagV3(input=x, diagonal=d, k=[-1, 1],
                                                             align="RIGHT_LEFT"),
     named(x=normal(2, 4, 5), d=normal(2, 3, 4)), opsets=ALL)
case("MatrixSetDiagV3_left", lambda x, d: raw.MatrixSetDiagV3(input=x, diagonal=d, k=[-2, 0],
                                                             align="LEFT_LEFT"),
     named(x=ints(5, 3), d=ints(3, 3)), opsets=ALL)
case("MatrixSetDiagV3_dynamic_batch", lambda x, d: tf.linalg.set_diag(x, d),
     named(x=normal(3, 4, 4), d=normal(3, 4)), dynamic={"x": [None, 4, 4], "d": [None, 4]},
     opsets=ALL, ops=("MatrixSetDiagV3",))
case("MatrixSetDiagV2", lambda x, d: raw.MatrixSetDiagV2(input=x, diagonal=d, k=1),
     named(x=normal(3, 4), d=normal(3)), opsets=ALL)
case("MatrixSetDiag", lambda x, d: raw.MatrixSetDiag(input=x, diagonal=d),
     named(x=normal(2, 3, 3), d=normal(2, 3)), opsets=ALL)

# ---------------------------------------------------------------- Diag, DiagPart
case("Diag", lambda d: raw.Diag(diagonal=d), named(d=normal(4)), opsets=ALL)
case("Diag_rank2_int", lambda d: raw.Diag(diagonal=d), named(d=ints(2, 3)), opsets=ALL)
case("DiagPart", lambda x: raw.DiagPart(input=x), named(x=normal(5, 5)), opsets=ALL)
case("DiagPart_rank4", lambda x: raw.DiagPart(input=x), named(x=ints(2, 3, 2, 3)), opsets=ALL)

# ---------------------------------------------------------------- determinants, inverse, solve
case("MatrixDeterminant", lambda x: raw.MatrixDeterminant(input=x), named(x=normal(3, 4, 4)),
     opsets=ALL, atol=1e-4)
case("MatrixDeterminant_dynamic", lambda x: tf.linalg.det(x), named(x=normal(2, 3, 3)),
     dynamic={"x": [None, 3, 3]}, opsets=ALL, atol=1e-4, ops=("MatrixDeterminant",))
case("LogMatrixDeterminant", lambda x: raw.LogMatrixDeterminant(input=x), named(x=normal(3, 3, 3)),
     opsets=ALL, atol=1e-4)
for _n in (1, 2, 3, 5):
    case(f"MatrixInverse_n{_n}", lambda x: raw.MatrixInverse(input=x), named(x=well_conditioned(2, _n, _n)),
         opsets=ALL, atol=1e-4)
case("MatrixInverse_adjoint", lambda x: raw.MatrixInverse(input=x, adjoint=True),
     named(x=well_conditioned(4, 4)), opsets=ALL, atol=1e-4)
case("MatrixInverse_dynamic_batch", lambda x: tf.linalg.inv(x), named(x=well_conditioned(3, 2, 3, 3)),
     dynamic={"x": [None, None, 3, 3]}, opsets=ALL, atol=1e-4, ops=("MatrixInverse",))
case("MatrixInverse_empty_batch", lambda x: tf.linalg.inv(x), named(x=well_conditioned(0, 3, 3)),
     opsets=ALL, ops=("MatrixInverse",))
case("MatrixSolve", lambda a, b: raw.MatrixSolve(matrix=a, rhs=b),
     named(a=well_conditioned(2, 3, 3), b=normal(2, 3, 2)), opsets=ALL, atol=1e-4)
case("MatrixSolve_adjoint", lambda a, b: raw.MatrixSolve(matrix=a, rhs=b, adjoint=True),
     named(a=well_conditioned(4, 4), b=normal(4, 3)), opsets=ALL, atol=1e-4)



def spd(*shape):
    """Symmetric positive definite matrices."""
    n = shape[-1]

    def gen(r):
        a = r.standard_normal(shape)
        return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(F32)
    return gen


case("Cholesky", lambda x: raw.Cholesky(input=x), named(x=spd(2, 4, 4)), opsets=ALL, atol=1e-4)
case("Cholesky_dynamic_batch", lambda x: tf.linalg.cholesky(x), named(x=spd(3, 1, 1)),
     dynamic={"x": [None, 1, 1]}, opsets=ALL, atol=1e-4, ops=("Cholesky",))
for _lower in (True, False):
    for _adj in (False, True):
        case(f"MatrixTriangularSolve_lower{int(_lower)}_adj{int(_adj)}", lambda a, b, _l=_lower, _a=_adj:
             raw.MatrixTriangularSolve(matrix=a, rhs=b, lower=_l, adjoint=_a),
             named(a=well_conditioned(2, 4, 4), b=normal(2, 4, 3)), opsets=ALL, atol=1e-4)
case("MatrixTriangularSolve_broadcast_dynamic", lambda a, b: tf.linalg.triangular_solve(a, b),
     named(a=well_conditioned(3, 3), b=normal(2, 3, 2)), dynamic={"b": [None, 3, None]}, opsets=ALL,
     atol=1e-4, ops=("MatrixTriangularSolve",))

test_case_freezes_to_op, test_op = case_tests(CASES, "matrix")
