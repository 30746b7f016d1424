"""Fixes from the per-op sweep (tools/op_sweep), second round: ScaleAndTranslate (tf.image.resize
with lanczos3/5, gaussian, mitchellcubic and antialiased bilinear/bicubic: per-axis weight
matrices built at conversion) at upscales, downscales and odd sizes, and the special functions
built from elementwise ops (Erfinv, Ndtri, Bessel I0/I1 plain and scaled, Digamma, Zeta,
NextAfter), including their edge values. TF's own outputs are the reference."""

import numpy as np

from oracle_lib import CaseList, case_tests, fixed, get_tf, named

tf = get_tf()
raw = tf.raw_ops
F32, F64 = np.float32, np.float64
OPSETS = (13, 17)

CASES = CaseList()
case = CASES.case


def uni(*shape, lo=-3.0, hi=3.0, dtype=F32):
    return lambda r: r.uniform(lo, hi, shape).astype(dtype)


# ---------------------------------------------------------------- ScaleAndTranslate
_IMG = named(x=uni(1, 7, 9, 2, lo=0, hi=1))
for _method, _aa in (("lanczos3", False), ("lanczos5", True), ("gaussian", True), ("mitchellcubic", False),
                     ("bilinear", True), ("bicubic", True)):
    for _size in ((13, 4), (3, 11), (5, 5)):
        case(f"ScaleAndTranslate_{_method}_aa{int(_aa)}_{_size[0]}x{_size[1]}",
             lambda x, _m=_method, _s=_size, _aa=_aa: tf.image.resize(x, _s, method=_m, antialias=_aa),
             _IMG, opsets=OPSETS, atol=1e-5)
for _kernel in ("box", "triangle", "keyscubic", "lanczos1"):
    case(f"ScaleAndTranslate_{_kernel}_translated",
         lambda x, _k=_kernel: raw.ScaleAndTranslate(images=x, size=[6, 5], scale=[0.8, 0.6],
                                                     translation=[0.7, -1.3], kernel_type=_k, antialias=True),
         _IMG, opsets=OPSETS, atol=1e-5)
case("ScaleAndTranslate_uint8_no_aa",
     lambda x: raw.ScaleAndTranslate(images=x, size=[4, 12], scale=[4 / 7, 12 / 9], translation=[0.0, 0.0],
                                     kernel_type="lanczos3", antialias=False),
     named(x=lambda r: r.integers(0, 255, (2, 7, 9, 1)).astype(np.uint8)), opsets=OPSETS, atol=1e-3)

# ---------------------------------------------------------------- special functions
_EDGE_UNIT = [-1.0, 1.0, 1.5, -2.0, 0.0, 0.99, -0.995, np.nan]
_EDGE_PROB = [0.0, 1.0, 1.5, -0.5, 0.5, 1e-30, 1e-8, 0.99999994, 3e-7, np.nan]
for _dt in (F32, F64):
    _n = np.dtype(_dt).name
    case(f"Erfinv_{_n}", tf.math.erfinv, named(x=uni(4, 25, lo=-1, hi=1, dtype=_dt)), opsets=OPSETS,
         atol=1e-6, rtol=1e-5)
    case(f"Ndtri_{_n}", tf.math.ndtri, named(x=uni(4, 25, lo=0, hi=1, dtype=_dt)), opsets=OPSETS,
         atol=1e-6, rtol=1e-5)
    case(f"Digamma_{_n}", tf.math.digamma, named(x=uni(4, 25, lo=-6, hi=30, dtype=_dt)), opsets=OPSETS,
         atol=1e-5, rtol=1e-5)
    for _op, _f in (("BesselI0e", tf.math.bessel_i0e), ("BesselI1e", tf.math.bessel_i1e),
                    ("BesselI0", tf.math.special.bessel_i0), ("BesselI1", tf.math.special.bessel_i1)):
        case(f"{_op}_{_n}", _f, named(x=uni(4, 25, lo=-40, hi=40, dtype=_dt)), opsets=OPSETS,
             atol=1e-6, rtol=2e-6)
    case(f"NextAfter_{_n}", tf.math.nextafter,
         named(a=fixed([0.0, 1.0, 1.0, -1.0, -1.0, 2.0, 3.0, 1e-30, -0.0, np.inf, -np.inf, 5.0, np.nan, 1e-45,
                        6e38 if _dt == F64 else 3.4028235e38, 0.1], _dt),
               b=fixed([1.0, 0.0, 2.0, 0.0, -2.0, 0.0, 3.0, 0.0, -1.0, 0.0, 0.0, np.inf, 1.0, 1.0,
                        np.inf, -0.2], _dt)),
         opsets=OPSETS, atol=0, rtol=0)
case("Erfinv_edges", tf.math.erfinv, named(x=fixed(_EDGE_UNIT, F32)), opsets=OPSETS, atol=1e-6, rtol=1e-5)
case("Ndtri_edges", tf.math.ndtri, named(x=fixed(_EDGE_PROB, F32)), opsets=OPSETS, atol=1e-6, rtol=1e-5)
case("Digamma_edges", tf.math.digamma,
     named(x=fixed([0.0, -1.0, -2.5, 1e-30, 1.4616321, np.inf, -np.inf, np.nan, 1e6, -0.5], F32)),
     opsets=OPSETS, atol=1e-6, rtol=1e-5)
case("BesselI0e_edges", tf.math.bessel_i0e, named(x=fixed([0.0, np.inf, -np.inf, 12.0, -11.99, 1e4, np.nan], F32)),
     opsets=OPSETS, atol=1e-7, rtol=1e-6)
case("BesselI1e_edges", tf.math.bessel_i1e, named(x=fixed([0.0, np.inf, -np.inf, 12.0, -12.01, -1e4, np.nan], F32)),
     opsets=OPSETS, atol=1e-7, rtol=1e-6)
case("Zeta", tf.math.zeta, named(x=uni(4, 10, lo=1.01, hi=8), q=uni(4, 10, lo=0.05, hi=20)), opsets=OPSETS,
     atol=1e-6, rtol=1e-5)
case("Zeta_edges", tf.math.zeta,
     named(x=fixed([1.0, 0.5, 2.0, 2.0, 2.0, 3.0, 1.5, 4.0], F32), q=fixed([1.0, 1.0, 0.0, -1.0, -1.5, -1.5, 1e-3, 100.0], F32)),
     opsets=OPSETS, atol=1e-6, rtol=1e-5)

test_case_freezes_to_op, test_op = case_tests(CASES, prefix="sweep_rs")
