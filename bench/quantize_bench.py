"""onnxsmith quantize vs ONNX Runtime's quantizer on the same fp32 models and calibration data.

Static (QDQ, per-channel, uint8 activations / int8 weights): `onnxsmith quantize --method M`
against ORT's quant_pre_process + quantize_static(calibrate_method=M) for M in minmax, entropy,
percentile, with the same weight range (7-bit where onnxsmith picks it: x86 without VNNI; ORT's
8-bit default is measured too). Dynamic: `onnxsmith quantize --mode dynamic` against ORT's
quantize_dynamic on a transformer encoder.

Per model and method: quantize wall time and peak RSS of each tool (own process, /usr/bin/time),
file sizes, SQNR of the INT8 outputs against fp32 and top-1 agreement on held-out inputs (all run
in ONNX Runtime; accuracy on labelled data for the trained digits CNN), and ONNX Runtime latency at
1 thread, batch 1 (fp32 / ours / ORT's, measured in alternation). Writes
bench/results/quantize-DATE.json and the "quantization" section of docs/benchmarks.md
(bench/doc_sections.py: other sections are left alone).

Needs TensorFlow, ONNX Runtime and scikit-learn (the digits data): the oracle test venv has them.

    $VENV/bin/python bench/quantize_bench.py [--models mobilenetv2,...] [--methods minmax,entropy]
        [--calib 32] [--held 16] [--bin bazel-bin/onnxsmith] [--work /tmp/qbench] [--doc '']
    $VENV/bin/python bench/quantize_bench.py --render bench/results/quantize-DATE.json
"""
import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

import doc_sections  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
STATIC = ["mobilenetv2", "resnet50", "efficientnetb0", "digits"]
DYNAMIC = ["transformer"]
METHODS = ["minmax", "entropy", "percentile"]

ORT_STATIC = r"""
import sys, numpy as np
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process
src, pre, dst, calib, name, rr, method = sys.argv[1:8]
xs = np.load(calib)[name]
class Reader(CalibrationDataReader):
    def __init__(self): self.it = iter([{name: xs[i:i + 1]} for i in range(len(xs))])
    def get_next(self): return next(self.it, None)
quant_pre_process(src, pre)
cm = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
      "percentile": CalibrationMethod.Percentile}[method]
quantize_static(pre, dst, Reader(), quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=rr == "1",
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=cm)
"""

ORT_DYNAMIC = r"""
import sys
from onnxruntime.quantization import QuantType, quantize_dynamic
src, dst, rr = sys.argv[1:4]
quantize_dynamic(src, dst, per_channel=True, reduce_range=rr == "1", weight_type=QuantType.QInt8)
"""


def timed(cmd, timeout):
    """(seconds, peak RSS bytes) of a child process, or (None, reason) when it fails. /usr/bin/time
    measures the RSS: a child forked from this (TensorFlow-sized) process would inherit its
    high-water mark."""
    start = time.perf_counter()
    try:
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, cmd)], capture_output=True, text=True,
                           errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout} s"
    secs = time.perf_counter() - start
    if p.returncode != 0:
        print(f"failed: {' '.join(map(str, cmd))}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}", flush=True)
        return None, f"failed (exit {p.returncode})"
    return secs, int(p.stderr.strip().splitlines()[-1]) * 1024


def cpu_has_vnni():
    flags = pathlib.Path("/proc/cpuinfo").read_text()
    return " avx512_vnni" in flags or " avx_vnni" in flags


def smooth_images(n, seed, size=224):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, size + 4, size + 4, 3)).astype(np.float32)
    k = np.ones(5, np.float32) / 5
    x = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 1, x)
    x = np.apply_along_axis(lambda v: np.convolve(v, k, "valid"), 2, x)
    return (x * 2).astype(np.float32)


def convert(binary, keras_model, d):
    path = d / "model.keras"
    keras_model.save(str(path))
    fp32 = d / "fp32.onnx"
    subprocess.run([str(binary), "convert", "--keras", str(path), "--output", str(fp32)], check=True,
                   capture_output=True)
    return fp32


def build(name, d, binary, n_calib, n_held):
    """fp32 model, calibration samples, held-out inputs (and labels for digits)."""
    import keras
    d.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    labels = None
    if name == "digits":
        from sklearn import datasets
        data = datasets.load_digits()
        x = np.repeat(np.repeat((data.images / 16.0).astype(np.float32), 2, axis=1), 2, axis=2)[..., None]
        y = data.target.astype(np.int64)
        idx = np.random.default_rng(0).permutation(len(x))
        x, y = x[idx], y[idx]
        if not (d / "fp32.onnx").exists():
            model = keras.Sequential([
                keras.Input((16, 16, 1)),
                keras.layers.Conv2D(16, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(),
                keras.layers.Conv2D(32, 3, padding="same"), keras.layers.BatchNormalization(),
                keras.layers.ReLU(), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
            model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            model.fit(x[:1400], y[:1400], epochs=4, batch_size=32, verbose=0)
            convert(binary, model, d)
        calib, held, labels = x[:n_calib], x[1400:], y[1400:]
    elif name == "transformer":
        if not (d / "fp32.onnx").exists():
            inp = keras.Input((128, 256), batch_size=1, name="tokens")
            h = inp
            for _ in range(2):
                a = keras.layers.MultiHeadAttention(8, 32)(h, h)
                h = keras.layers.LayerNormalization()(h + a)
                f = keras.layers.Dense(256)(keras.layers.Dense(1024, activation="gelu")(h))
                h = keras.layers.LayerNormalization()(h + f)
            convert(binary, keras.Model(inp, h), d)
        rng = np.random.default_rng(3)
        calib, held = None, rng.normal(0, 1, (n_held, 128, 256)).astype(np.float32)
    else:
        if not (d / "fp32.onnx").exists():
            app = {"mobilenetv2": keras.applications.MobileNetV2, "resnet50": keras.applications.ResNet50,
                   "efficientnetb0": keras.applications.EfficientNetB0}[name]
            convert(binary, app(weights=None, input_shape=(224, 224, 3), classifier_activation=None), d)
        xs = smooth_images(n_calib + n_held, 7)
        if name == "efficientnetb0":  # rescales [0, 255] itself
            xs = np.clip(xs * 40 + 128, 0, 255).astype(np.float32)
        calib, held = xs[:n_calib], xs[n_calib:]
    return d / "fp32.onnx", calib, held, labels


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
    """Median latency per model, measured in alternation (the machine's drift hits all alike)."""
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


def quality(ref, got, labels):
    r = ref.astype(np.float64)
    e = r - got
    q = {"sqnr_db": float(10 * np.log10(np.sum(r * r) / max(np.sum(e * e), 1e-30)))}
    if ref.ndim == 2:
        q["top1_agreement"] = float(np.mean(np.argmax(ref, -1) == np.argmax(got, -1)))
    if labels is not None:
        q["accuracy"] = float(np.mean(np.argmax(got, -1) == labels))
    return q


def bench_static(name, a, binary, rr):
    import onnx
    d = pathlib.Path(a.work) / name
    fp32, calib, held, labels = build(name, d, binary, a.calib if name != "digits" else 200, a.held)
    inp = onnx.load(str(fp32), load_external_data=False).graph.input[0].name
    np.savez(d / "calib.npz", **{inp: calib})
    ref = outputs(fp32, inp, held)
    row = {"model": name, "mode": "static", "fp32_mb": fp32.stat().st_size / 1e6, "calibration_samples": len(calib),
           "held_out": len(held), "methods": {}}
    if labels is not None:
        row["fp32_accuracy"] = float(np.mean(np.argmax(ref, -1) == labels))
    for m in a.methods.split(","):
        ours, theirs = d / f"ours_{m}.onnx", d / f"ort_{m}.onnx"
        t_ours, m_ours = timed([binary, "quantize", fp32, ours, "--calibration", d / "calib.npz", "--method", m,
                                "--eval-samples", "0", "--reduce-range" if rr else "--full-range"], a.timeout)
        t_ort, m_ort = timed([sys.executable, "-c", ORT_STATIC, fp32, d / "pre.onnx", theirs, d / "calib.npz", inp,
                              "1" if rr else "0", m], a.timeout)
        r = {"ours_s": t_ours, "ours_rss": m_ours, "ort_s": t_ort, "ort_rss": m_ort}
        if t_ours is not None:
            r["ours_mb"] = ours.stat().st_size / 1e6
            r["ours"] = quality(ref, outputs(ours, inp, held), labels)
        if t_ort is not None:
            r["ort_mb"] = theirs.stat().st_size / 1e6
            r["ort"] = quality(ref, outputs(theirs, inp, held), labels)
        row["methods"][m] = r
        print(name, m, r, flush=True)
    if rr:  # ORT's own default (8-bit weights), MinMax: what a user gets without reduce_range
        t, mem = timed([sys.executable, "-c", ORT_STATIC, fp32, d / "pre.onnx", d / "ort_8bit.onnx",
                        d / "calib.npz", inp, "0", "minmax"], a.timeout)
        if t is not None:
            row["ort_8bit"] = quality(ref, outputs(d / "ort_8bit.onnx", inp, held), labels)
    paths = [fp32, d / "ours_minmax.onnx", d / "ort_minmax.onnx"]
    if all(p.exists() for p in paths):
        row["latency_ms"] = dict(zip(["fp32", "ours", "ort"], latencies_ms(paths, inp, held[:1])))
    return row


def bench_dynamic(name, a, binary, rr):
    import onnx
    d = pathlib.Path(a.work) / name
    fp32, _, held, _ = build(name, d, binary, 0, a.held)
    inp = onnx.load(str(fp32), load_external_data=False).graph.input[0].name
    ref = outputs(fp32, inp, held)
    ours, theirs = d / "ours_dynamic.onnx", d / "ort_dynamic.onnx"
    t_ours, m_ours = timed([binary, "quantize", fp32, ours, "--mode", "dynamic",
                            "--reduce-range" if rr else "--full-range"], a.timeout)
    t_ort, m_ort = timed([sys.executable, "-c", ORT_DYNAMIC, fp32, theirs, "1" if rr else "0"], a.timeout)
    r = {"ours_s": t_ours, "ours_rss": m_ours, "ort_s": t_ort, "ort_rss": m_ort,
         "ours_mb": ours.stat().st_size / 1e6, "ort_mb": theirs.stat().st_size / 1e6,
         "ours": quality(ref, outputs(ours, inp, held), None), "ort": quality(ref, outputs(theirs, inp, held), None)}
    row = {"model": name, "mode": "dynamic", "fp32_mb": fp32.stat().st_size / 1e6, "held_out": len(held),
           "methods": {"dynamic": r}}
    row["latency_ms"] = dict(zip(["fp32", "ours", "ort"], latencies_ms([fp32, ours, theirs], inp, held[:1])))
    print(name, r, flush=True)
    return row


def _f(v, fmt):
    return "–" if v is None else format(v, fmt)


def render(res):
    env = res["env"]
    rr = res["reduce_range"]
    L = ["## INT8 quantization: onnxsmith quantize vs ONNX Runtime's quantizer", "",
         f"Generated by `bench/quantize_bench.py` ({res['command']}). Raw data: [`{res['json']}`](../{res['json']}).", "",
         f"- Date: {res['date']}; whole run {res['total_s'] / 60:.1f} min.",
         f"- Machine: {env['cpu']}, {env['cores']} cores, {'with' if env['vnni'] else 'without'} VNNI; load average"
         f" {env['loadavg_start'][0]:.1f} at the start, {env['loadavg_end'][0]:.1f} at the end. **Shared with other"
         " work (builds and tests of 8 sessions on 2 cores): absolute times are several times what a quiet machine"
         " gives and move by ±30% or more between runs; compare the ratios within a row (the tools ran one after"
         " the other, latencies in alternation).**",
         f"- onnxsmith binary: {env['build']}; `--version`: `{env['version']}`. ONNX Runtime {env['ort']}.",
         f"- Static: QDQ, per-channel int8 weights, uint8 activations, the same calibration samples for both"
         f" tools ({res['calib']} smoothed-noise images at 224x224 for the keras.applications models with"
         f" weights=None; 200 training images for the digits CNN); {'7-bit' if rr else '8-bit'} weights for both"
         " (`--reduce-range` / `reduce_range=True`: onnxsmith's default on a CPU without VNNI, where ORT's u8s8"
         " kernels saturate with 8-bit weights; the last column is ORT's 8-bit default for reference). ORT ="
         " quant_pre_process + quantize_static with calibrate_method MinMax / Entropy / Percentile (its defaults:"
         " 99.999th percentile), ours = `onnxsmith quantize --method minmax|entropy|percentile`.",
         f"- Quality: SQNR of the INT8 outputs against fp32 and top-1 agreement on {res['held']} held-out inputs"
         " (the digits CNN: accuracy on its 397 test images), all run in ONNX Runtime. Latency: ONNX Runtime CPU,"
         " 1 thread, batch 1, median of 50 runs, fp32 / ours / ORT's (MinMax models). Time and peak RSS: each"
         " quantizer in its own process (/usr/bin/time), ORT's including quant_pre_process.", "",
         "| model | method | quantize s ours / ORT | peak RSS MB ours / ORT | SQNR dB ours / ORT | top-1 agreement"
         " ours / ORT | file MB fp32 / ours / ORT |",
         "|---|---|---|---|---|---|---|"]
    for row in res["models"]:
        for m, r in row["methods"].items():
            o, t = r.get("ours", {}), r.get("ort", {})
            agree = "accuracy" if "accuracy" in o else "top1_agreement"
            fmt_agree = lambda q: _f(q.get(agree), ".3f") if q else "–"  # noqa: E731
            ort_s = _f(r["ort_s"], ".1f") if r["ort_s"] is not None else r["ort_rss"]
            ort_rss = _f(r["ort_rss"] / 1e6, ".0f") if r["ort_s"] is not None else "–"
            L.append(f"| {row['model']} | {m} | {_f(r['ours_s'], '.1f')} / {ort_s} | "
                     f"{_f(r['ours_rss'] / 1e6 if r['ours_s'] else None, '.0f')} / {ort_rss} | "
                     f"{_f(o.get('sqnr_db'), '.2f')} / {_f(t.get('sqnr_db'), '.2f')} | "
                     f"{fmt_agree(o)} / {fmt_agree(t)}{' (accuracy; fp32 %.3f)' % row['fp32_accuracy'] if agree == 'accuracy' else ''} | "
                     f"{row['fp32_mb']:.2f} / {_f(r.get('ours_mb'), '.2f')} / {_f(r.get('ort_mb'), '.2f')} |")
    L += ["", "ONNX Runtime latency (ms, 1 thread, batch 1) and ratios:", "",
          "| model | fp32 | ours | ORT's | ours / fp32 | ORT's / fp32 | ORT 8-bit default SQNR dB |", "|---|---:|---:|---:|---:|---:|---:|"]
    for row in res["models"]:
        lat = row.get("latency_ms")
        if not lat:
            continue
        e8 = row.get("ort_8bit", {}).get("sqnr_db")
        L.append(f"| {row['model']} | {lat['fp32']:.2f} | {lat['ours']:.2f} | {lat['ort']:.2f} | "
                 f"{lat['ours'] / lat['fp32']:.2f}x | {lat['ort'] / lat['fp32']:.2f}x | {_f(e8, '.2f')} |")
    L += ["", "Against the issue's goals (MinMax, or dynamic for the transformer; ratios from this run):", ""]
    for row in res["models"]:
        r = row["methods"].get("minmax") or row["methods"].get("dynamic")
        if not r or r.get("ours_s") is None:
            continue
        o, t, lat = r.get("ours", {}), r.get("ort", {}), row.get("latency_ms", {})
        parts = [f"size {r['ours_mb'] / row['fp32_mb']:.2f}x of fp32 (goal <= 0.27x)"]
        if t:
            parts.append(f"SQNR {o['sqnr_db']:.2f} vs ORT's {t['sqnr_db']:.2f} dB "
                         f"({'met' if o['sqnr_db'] >= t['sqnr_db'] else 'missed by %.2f dB' % (t['sqnr_db'] - o['sqnr_db'])})")
        if lat:
            parts.append(f"latency {lat['ours']:.2f} vs ORT's INT8 {lat['ort']:.2f} ms "
                         f"({'met' if lat['ours'] <= lat['ort'] else 'over by %.0f%%' % (100 * (lat['ours'] / lat['ort'] - 1))})")
        if r.get("ort_s"):
            parts.append(f"quantize time {r['ours_s'] / r['ort_s']:.2f}x and peak RSS "
                         f"{r['ours_rss'] / r['ort_rss']:.2f}x of ORT's (goal <= 0.5x)")
        L.append(f"- {row['model']}: " + "; ".join(parts) + ".")
    same = [row["model"] for row in res["models"]
            if row["methods"].get("entropy", {}).get("ort") and row["methods"].get("minmax", {}).get("ort")
            and row["methods"]["entropy"]["ort"]["sqnr_db"] == row["methods"]["minmax"]["ort"]["sqnr_db"]]
    if same:
        L += ["", f"ONNX Runtime's Entropy calibration gave exactly its MinMax result on {', '.join(same)} (same"
              " SQNR to the last digit; on the digits CNN the two files are byte-identical, and the activation"
              " scales equal its MinMax ones): in ONNX Runtime 1.23 with these settings Entropy does not"
              " narrow any range, while onnxsmith's entropy method does (KL threshold search)."]
    return L


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(STATIC + DYNAMIC))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--held", type=int, default=16)
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per quantizer run")
    ap.add_argument("--bin", default=str(REPO / "bazel-bin" / "onnxsmith"))
    ap.add_argument("--work", default="/tmp/onnxsmith_qbench")
    ap.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"), help="'' for none")
    ap.add_argument("--render", default=None, metavar="JSON",
                    help="only re-render the docs section from a results JSON of an earlier run")
    a = ap.parse_args()
    if a.render:
        doc_sections.rerender(a.render, render, a.doc, "quantization", "bench/quantize_bench.py")
        return
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    binary = doc_sections.private_binary(a.bin, a.work, "onnxsmith")
    rr = not cpu_has_vnni()
    env = dict(doc_sections.machine_env(binary), vnni=not rr)
    rows = []
    for name in a.models.split(","):
        rows.append(bench_dynamic(name, a, binary, rr) if name in DYNAMIC else bench_static(name, a, binary, rr))
    env["loadavg_end"] = os.getloadavg()
    json_rel = f"bench/results/quantize-{started.strftime('%Y%m%d-%H%M')}.json"
    res = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "command": "`bench/quantize_bench.py " + " ".join(sys.argv[1:]) + "`",
           "env": env, "reduce_range": rr, "calib": a.calib, "held": a.held, "models": rows,
           "total_s": time.perf_counter() - t0, "json": json_rel}
    doc_sections.publish(res, json_rel, render, a.doc, "quantization", "bench/quantize_bench.py")


if __name__ == "__main__":
    main()
