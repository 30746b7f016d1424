"""onnxsmith quantize vs ONNX Runtime's quantizer (quant_pre_process + quantize_static, QDQ,
per-channel, MinMax) on the same fp32 models and calibration data.

Per model: quantize time and peak RSS of each tool (each in its own process), file sizes,
SQNR of the INT8 outputs against fp32 on held-out inputs (all run in ONNX Runtime), and ONNX
Runtime latency at 1 thread (fp32, ours, ORT's). Prints a Markdown table for docs/benchmarks.md.

    $VENV/bin/python bench/quantize_bench.py [--models mobilenetv2,resnet50] [--calib 32]
        [--bin bazel-bin/onnxsmith] [--work /tmp/qbench]
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent

ORT_QUANTIZE = r"""
import sys, time, numpy as np
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process
src, pre, dst, calib, name, rr = sys.argv[1:7]
xs = np.load(calib)[name]
class Reader(CalibrationDataReader):
    def __init__(self): self.it = iter([{name: xs[i:i + 1]} for i in range(len(xs))])
    def get_next(self): return next(self.it, None)
quant_pre_process(src, pre)
quantize_static(pre, dst, Reader(), quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=rr == "1",
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
"""


def timed(cmd):
    """(seconds, peak RSS bytes) of a child process. /usr/bin/time measures the RSS: a child
    forked from this (TensorFlow-sized) process would inherit its high-water mark."""
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, cmd)], capture_output=True, text=True,
                       errors="replace")
    secs = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stdout}\n{p.stderr}")
    return secs, int(p.stderr.strip().splitlines()[-1]) * 1024


def build(name, work, binary):
    import keras
    d = work / name
    d.mkdir(parents=True, exist_ok=True)
    fp32 = d / "fp32.onnx"
    if not fp32.exists():
        keras.utils.set_random_seed(0)
        app = {"mobilenetv2": keras.applications.MobileNetV2, "resnet50": keras.applications.ResNet50}[name]
        model = app(weights=None, input_shape=(224, 224, 3), classifier_activation=None)
        model.save(str(d / "model.keras"))
        subprocess.run([str(binary), "convert", "--keras", str(d / "model.keras"), "--output", str(fp32)], check=True,
                       capture_output=True)
    return d, fp32


def images(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 228, 228, 3)).astype(np.float32)
    k = np.ones(5, np.float32) / 5
    x = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 1, x)
    x = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 2, x)
    return (x * 2).astype(np.float32)


def session(path, threads=1):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def outputs(path, name, xs):
    s = session(path)
    return np.concatenate([s.run(None, {name: xs[i:i + 1]})[0] for i in range(len(xs))])


def latencies_ms(paths, name, x, rounds=10, runs=5):
    """Median latency per model, the models measured in alternation (a loaded machine's drift
    then hits all alike)."""
    sessions = [session(p) for p in paths]
    for s in sessions:
        s.run(None, {name: x})
    times = [[] for _ in paths]
    for _ in range(rounds):
        for i, s in enumerate(sessions):
            for _ in range(runs):
                t = time.perf_counter()
                s.run(None, {name: x})
                times[i].append(time.perf_counter() - t)
    return [1000 * float(np.median(t)) for t in times]


def sqnr(ref, got):
    e = ref.astype(np.float64) - got
    return 10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / max(np.sum(e * e), 1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mobilenetv2,resnet50")
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--held", type=int, default=8)
    ap.add_argument("--bin", default=str(REPO / "bazel-bin" / "onnxsmith"))
    ap.add_argument("--work", default="/tmp/onnxsmith_qbench")
    a = ap.parse_args()
    import onnx
    work = pathlib.Path(a.work)
    rows = []
    for name in a.models.split(","):
        d, fp32 = build(name, work, a.bin)
        inp = onnx.load(str(fp32), load_external_data=False).graph.input[0].name
        xs = images(a.calib + a.held, 7)
        calib = d / "calib.npz"
        np.savez(calib, **{inp: xs[:a.calib]})
        held = xs[a.calib:]
        ours = d / "ours.onnx"
        t_ours, m_ours = timed([a.bin, "quantize", str(fp32), str(ours), "--calibration", str(calib),
                                "--eval-samples", "0"])
        theirs = d / "ort.onnx"
        t_ort, m_ort = timed([sys.executable, "-c", ORT_QUANTIZE, str(fp32), str(d / "pre.onnx"), str(theirs),
                              str(calib), inp, "0"])
        # ORT with 7-bit weights too (what onnxsmith picks on x86 without VNNI).
        theirs_rr = d / "ort_rr.onnx"
        timed([sys.executable, "-c", ORT_QUANTIZE, str(fp32), str(d / "pre.onnx"), str(theirs_rr), str(calib), inp,
               "1"])
        ref = outputs(fp32, inp, held)
        lat = latencies_ms([fp32, ours, theirs], inp, held[:1])
        rows.append(dict(
            model=name, fp32_mb=fp32.stat().st_size / 1e6,
            ours_mb=ours.stat().st_size / 1e6, ort_mb=theirs.stat().st_size / 1e6,
            ours_s=t_ours, ort_s=t_ort, ours_rss=m_ours / 1e6, ort_rss=m_ort / 1e6,
            ours_db=sqnr(ref, outputs(ours, inp, held)), ort_db=sqnr(ref, outputs(theirs, inp, held)),
            ort_rr_db=sqnr(ref, outputs(theirs_rr, inp, held)),
            lat_fp32=lat[0], lat_ours=lat[1], lat_ort=lat[2]))
        print(rows[-1], flush=True)
    print("\n| model | file fp32 / ours / ORT (MB) | quantize s ours / ORT | peak RSS MB ours / ORT "
          "| SQNR dB ours / ORT / ORT reduce_range | ORT latency ms 1 thread fp32 / ours / ORT's |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['fp32_mb']:.1f} / {r['ours_mb']:.1f} / {r['ort_mb']:.1f} "
              f"| {r['ours_s']:.1f} / {r['ort_s']:.1f} | {r['ours_rss']:.0f} / {r['ort_rss']:.0f} "
              f"| {r['ours_db']:.2f} / {r['ort_db']:.2f} / {r['ort_rr_db']:.2f} | {r['lat_fp32']:.1f} / {r['lat_ours']:.1f} / "
              f"{r['lat_ort']:.1f} |")


if __name__ == "__main__":
    main()
