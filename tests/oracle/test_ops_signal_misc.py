"""Signal ops on ONNX DFT (opset 17 on) with complex values as [..., 2], and ops of no wider
family (Cumprod, ListDiff, ParallelConcat, CTCGreedyDecoder, softmax cross-entropy, training-mode
FusedBatchNorm), compared with TensorFlow in ONNX Runtime (issue 14)."""

import numpy as np
import pytest

from oracle_lib import CaseList, case_tests, get_tf, ints, named, normal, freeze

tf = get_tf()
raw = tf.raw_ops
F32 = np.float32
ALL = (13, 17, 21)
DFT_OPSETS = (17, 20, 21)

CASES = CaseList()
case = CASES.case


def cplx(*shape):
    """A complex value built in the graph from two real inputs (graph inputs are real)."""
    return named(re=normal(*shape), im=normal(*shape))


# ---------------------------------------------------------------- FFT family
case("RFFT", lambda x: raw.RFFT(input=x, fft_length=[8]), named(x=normal(3, 8)), opsets=DFT_OPSETS,
     atol=1e-4)
case("RFFT_crop", lambda x: (raw.RFFT(input=x, fft_length=[6]), raw.RFFT(input=x, fft_length=[5])),
     named(x=normal(2, 2, 7)), opsets=DFT_OPSETS, atol=1e-4, ops=("RFFT",))
case("RFFT_dynamic_batch_float64", lambda x: tf.signal.rfft(x), lambda r: {"x": r.standard_normal((4, 6))},
     dynamic={"x": [None, 6]}, opsets=DFT_OPSETS, ops=("RFFT",))
case("IRFFT", lambda re, im: raw.IRFFT(input=tf.complex(re, im), fft_length=[8]), cplx(3, 5),
     opsets=DFT_OPSETS, atol=1e-5, ops=("IRFFT", "Complex"))
case("IRFFT_odd_crop", lambda re, im: (raw.IRFFT(input=tf.complex(re, im), fft_length=[7]),
                                       raw.IRFFT(input=tf.complex(re, im), fft_length=[4])),
     cplx(2, 4), opsets=DFT_OPSETS, atol=1e-5, ops=("IRFFT",))
case("RFFT2D", lambda x: raw.RFFT2D(input=x, fft_length=[4, 6]), named(x=normal(2, 4, 6)),
     opsets=DFT_OPSETS, atol=1e-4)
case("IRFFT2D", lambda re, im: raw.IRFFT2D(input=tf.complex(re, im), fft_length=[4, 6]), cplx(2, 4, 4),
     opsets=DFT_OPSETS, atol=1e-5, ops=("IRFFT2D",))
case("RFFT3D_IRFFT3D", lambda x: raw.IRFFT3D(input=raw.RFFT3D(input=x, fft_length=[2, 3, 4]),
                                            fft_length=[2, 3, 4]), named(x=normal(2, 3, 4)),
     opsets=DFT_OPSETS, atol=1e-5, ops=("RFFT3D", "IRFFT3D"))
case("FFT", lambda re, im: raw.FFT(input=tf.complex(re, im)), cplx(3, 8), opsets=DFT_OPSETS, atol=1e-4)
case("IFFT", lambda re, im: raw.IFFT(input=tf.complex(re, im)), cplx(2, 5), opsets=DFT_OPSETS, atol=1e-5)
case("FFT2D", lambda re, im: raw.FFT2D(input=tf.complex(re, im)), cplx(2, 3, 4), opsets=DFT_OPSETS,
     atol=1e-4)
case("IFFT2D", lambda re, im: raw.IFFT2D(input=tf.complex(re, im)), cplx(3, 4), opsets=DFT_OPSETS,
     atol=1e-5)
case("FFT3D_IFFT3D", lambda re, im: raw.IFFT3D(input=raw.FFT3D(input=tf.complex(re, im))), cplx(2, 2, 3),
     opsets=DFT_OPSETS, atol=1e-5, ops=("FFT3D", "IFFT3D"))
case("ComplexAbs_spectrum", lambda x: tf.abs(tf.signal.rfft(x)), named(x=normal(2, 16)),
     opsets=DFT_OPSETS, atol=1e-4, ops=("ComplexAbs", "RFFT"))
case("ComplexAbs", lambda re, im: raw.ComplexAbs(x=tf.complex(re, im)), cplx(3, 4), opsets=ALL)
case("Real_Imag", lambda re, im: (tf.math.real(tf.complex(re, im)), tf.math.imag(tf.complex(re, im))),
     cplx(2, 3), opsets=ALL,
     ops=("Real", "Imag"))
case("Complex_broadcast", lambda re, im: tf.math.real(raw.Conj(input=tf.complex(re, im[:1]))) +
     tf.math.imag(raw.Conj(input=tf.complex(re, im[:1]))), cplx(3, 4), opsets=ALL, ops=("Complex", "Conj"))

case("Angle", lambda re, im: raw.Angle(input=tf.complex(re, im * [[1.0, 0.5, -1.0, 2.0]])), cplx(3, 4),
     opsets=ALL)

# ---------------------------------------------------------------- bfloat16 constants and casts
case("Cast_bfloat16", lambda x: (
    tf.cast(tf.cast(x, tf.bfloat16), tf.float32) +
    tf.cast(tf.constant(np.linspace(-2, 2, 6).reshape(2, 3), tf.bfloat16), tf.float32),
    tf.cast(tf.cast(x, tf.bfloat16), tf.float64)), named(x=normal(2, 3)), opsets=ALL, ops=("Cast",))

# ---------------------------------------------------------------- Cumprod
for _ex in (False, True):
    for _rev in (False, True):
        case(f"Cumprod_ex{int(_ex)}_rev{int(_rev)}", lambda x, _ex=_ex, _rev=_rev: raw.Cumprod(
            x=x, axis=1, exclusive=_ex, reverse=_rev),
             lambda r: {"x": (r.uniform(0.5, 1.5, (3, 7, 2)) * r.choice([-1, 0, 1, 1, 1], (3, 7, 2))).astype(F32)},
             opsets=ALL)
case("Cumprod_int_dynamic_batch", lambda x: tf.math.cumprod(x, axis=-1), named(x=ints(4, 5, lo=-3, hi=4)),
     dynamic={"x": [None, 5]}, opsets=ALL, ops=("Cumprod",))
case("Cumprod_empty", lambda x: tf.math.cumprod(x, axis=0), named(x=normal(0, 3)), opsets=ALL,
     ops=("Cumprod",))

# ---------------------------------------------------------------- set difference, ParallelConcat
case("ListDiff", lambda x, y: tf.raw_ops.ListDiff(x=x, y=y, out_idx=tf.int32),
     named(x=ints(12, lo=0, hi=6), y=ints(3, lo=0, hi=6)), opsets=ALL)
case("ListDiff_float_int64_empty_y", lambda x, y: tf.raw_ops.ListDiff(x=x, y=y, out_idx=tf.int64),
     named(x=normal(5), y=normal(0)), opsets=ALL, ops=("ListDiff",))
case("ListDiff_dynamic", lambda x, y: tf.raw_ops.ListDiff(x=x, y=y),
     named(x=ints(9, lo=0, hi=4, dtype=np.int64), y=ints(2, lo=0, hi=4, dtype=np.int64)),
     dynamic={"x": [None], "y": [None]}, opsets=ALL, ops=("ListDiff",))
case("ParallelConcat", lambda a, b: raw.ParallelConcat(values=[a, b, a], shape=[3, 2]),
     named(a=normal(1, 2), b=normal(1, 2)), opsets=ALL)

# ---------------------------------------------------------------- losses
case("SoftmaxCrossEntropyWithLogits", lambda f, l: raw.SoftmaxCrossEntropyWithLogits(
    features=f, labels=tf.nn.softmax(l)), named(f=normal(4, 5), l=normal(4, 5)), opsets=ALL)
case("SoftmaxCrossEntropyWithLogits_dynamic", lambda f, l: raw.SoftmaxCrossEntropyWithLogits(
    features=f, labels=l), named(f=normal(3, 4), l=normal(3, 4)), dynamic={"f": [None, 4], "l": [None, 4]},
     opsets=ALL, ops=("SoftmaxCrossEntropyWithLogits",))
case("SparseSoftmaxCrossEntropyWithLogits", lambda f, l: raw.SparseSoftmaxCrossEntropyWithLogits(
    features=f, labels=l), named(f=normal(6, 5), l=ints(6, lo=0, hi=5)), opsets=ALL)
case("SparseSoftmaxCrossEntropyWithLogits_int64", lambda f, l: raw.SparseSoftmaxCrossEntropyWithLogits(
    features=f, labels=l), named(f=normal(3, 7), l=ints(3, lo=0, hi=7, dtype=np.int64)),
     dynamic={"f": [None, None], "l": [None]}, opsets=ALL, ops=("SparseSoftmaxCrossEntropyWithLogits",))

# ---------------------------------------------------------------- CTCGreedyDecoder
def _ctc_inputs(r):
    x = r.standard_normal((6, 3, 4)).astype(F32)
    best = r.integers(0, 4, (6, 3))
    best[1:3, 0] = 2  # repeats
    best[2, 1] = 3  # a blank
    x[np.arange(6)[:, None], np.arange(3)[None], best] += 3.0
    return {"x": x, "n": np.array([6, 4, 0], np.int32)}


for _merge in (False, True):
    case(f"CTCGreedyDecoder_merge{int(_merge)}", lambda x, n, _merge=_merge: raw.CTCGreedyDecoder(
        inputs=x, sequence_length=n, merge_repeated=_merge), _ctc_inputs, opsets=ALL)
case("CTCGreedyDecoder_blank0_dynamic", lambda x, n: raw.CTCGreedyDecoder(
    inputs=x, sequence_length=n, merge_repeated=True, blank_index=0), _ctc_inputs,
     dynamic={"x": [None, None, 4], "n": [None]}, opsets=ALL, ops=("CTCGreedyDecoder",))

# ---------------------------------------------------------------- FusedBatchNorm, training mode
def _bn(x, s, o, m, v, factor, fmt="NHWC", op="FusedBatchNormV3"):
    y = getattr(raw, op)(x=x, scale=s, offset=o, mean=m, variance=v, epsilon=0.01, data_format=fmt,
                         is_training=True, **({"exponential_avg_factor": factor} if op != "FusedBatchNorm" else {}))
    return y[0], y[1], y[2]


BN_IN = named(x=normal(2, 3, 4, 5), s=normal(5), o=normal(5), m=normal(5),
              v=lambda r: r.uniform(0.5, 2, 5).astype(F32))
case("FusedBatchNormV3_training", lambda x, s, o, m, v: _bn(x, s, o, m, v, 1.0), BN_IN, opsets=ALL,
     atol=1e-4, ops=("FusedBatchNormV3",))
case("FusedBatchNormV3_training_avg", lambda x, s, o, m, v: _bn(x, s, o, m, v, 0.3), BN_IN, opsets=ALL,
     atol=1e-4, ops=("FusedBatchNormV3",), dynamic={"x": [None, None, None, 5]})
case("FusedBatchNorm_training_nchw", lambda x, s, o, m, v: _bn(
    tf.transpose(x, [0, 3, 1, 2]), s, o, m, v, 1.0, "NCHW", "FusedBatchNorm"), BN_IN, opsets=ALL,
     atol=1e-4, ops=("FusedBatchNorm",))

test_case_freezes_to_op, test_op = case_tests(CASES, "sigmisc")


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("what", ["complex_input", "complex_mul"])
def test_complex_refused_clearly(what, convert, tmp_path):
    if what == "complex_input":
        fn, spec = (lambda z: tf.signal.fft(z)), [tf.TensorSpec((4,), tf.complex64, name="z")]
    else:
        fn = lambda x: tf.math.real(tf.signal.rfft(x) * tf.signal.rfft(x))
        spec = [tf.TensorSpec((8,), tf.float32, name="x")]
    frozen = freeze(tf.function(fn), spec, tmp_path / "m.pb")
    proc = convert(frozen.path, tmp_path / "m.onnx", "--opset", "17")
    assert proc.returncode != 0
    assert "complex" in proc.stderr and not (tmp_path / "m.onnx").exists()


def test_dft_needs_opset17(convert, tmp_path):
    frozen = freeze(tf.function(lambda x: tf.abs(tf.signal.rfft(x))),
                    [tf.TensorSpec((8,), tf.float32, name="x")], tmp_path / "m.pb")
    proc = convert(frozen.path, tmp_path / "m.onnx", "--opset", "13")
    assert proc.returncode != 0 and "RFFT" in proc.stderr
