"""Per target profile (docs/targets.md): `convert --target T --quantize int8` on one model, and
what comes out: nodes, file size, the compliance counts, SQNR against the fp32 model on held-out
inputs, and ONNX Runtime CPU latency (1 thread, batch 1; median). All models run in ONNX Runtime's
CPU provider, which is the deployment runtime only for the cpu-* profiles: for tensorrt, qnn,
openvino and edge-int8 the latency says how the same file runs on this CPU, not on the target.

Writes bench/results/targets-DATE.json and the "targets" section of docs/benchmarks.md
(bench/doc_sections.py: other sections are left alone). Uses the oracle test venv (TF, ORT).

    $VENV/bin/python bench/targets_bench.py [--model mobilenetv2] [--calib 32] [--held 16]
        [--bin bazel-bin/onnxsmith] [--work /tmp/tbench] [--doc docs/benchmarks.md]
    $VENV/bin/python bench/targets_bench.py --render bench/results/targets-DATE.json
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
TARGETS = sorted(p.stem for p in (REPO / "targets" / "profiles").glob("*.json"))


def session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def latency_ms(sess, name, x, runs=30):
    for _ in range(3):
        sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def sqnr(ref, got):
    ref = ref.astype(np.float64)
    err = ref - got.astype(np.float64)
    return float(10 * np.log10(np.sum(ref * ref) / max(np.sum(err * err), 1e-30)))


def run(args):
    import onnx
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    model_dir = work / args.model
    if not (model_dir / "model.h5").exists():
        subprocess.run([sys.executable, str(REPO / "bench" / "build_models.py"), str(work), args.model], check=True)
    h5 = model_dir / "model.h5"
    fp32 = work / "fp32.onnx"
    subprocess.run([args.bin, "convert", "--keras", str(h5), "--output", str(fp32)], check=True,
                   capture_output=True)
    name = onnx.load(str(fp32)).graph.input[0].name
    shape = [d.dim_value or 1 for d in onnx.load(str(fp32)).graph.input[0].type.tensor_type.shape.dim]
    rng = np.random.default_rng(2026)
    calib = work / "calib.npz"
    np.savez(calib, **{name: rng.uniform(-1, 1, [args.calib, *shape[1:]]).astype(np.float32)})
    held = rng.uniform(-1, 1, [args.held, *shape]).astype(np.float32)
    ref_sess = session(fp32)
    ref = np.concatenate([ref_sess.run(None, {name: x})[0] for x in held])
    rows = [{"target": "fp32", "nodes": len(onnx.load(str(fp32)).graph.node),
             "bytes": fp32.stat().st_size, "latency_ms": latency_ms(ref_sess, name, held[0])}]
    for t in TARGETS:
        out = work / f"{t}.onnx"
        report = work / f"{t}.json"
        fix = ["--fix-shape", f"{name}:{'x'.join(map(str, shape))}"]
        start = time.perf_counter()
        p = subprocess.run([args.bin, "convert", "--keras", str(h5), "--output", str(out), "--target", t,
                            "--quantize", "int8", "--calibration", str(calib), "--report", str(report), *fix],
                           capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if p.returncode != 0:
            rows.append({"target": t, "error": p.stderr.strip().splitlines()[-1][:200]})
            continue
        j = json.loads(report.read_text())
        sess = session(out)
        got = np.concatenate([sess.run(None, {name: x})[0] for x in held])
        rows.append({"target": t, "nodes": len(onnx.load(str(out)).graph.node), "bytes": out.stat().st_size,
                     "counts": j["target"]["counts"], "compliant": j["target"]["compliant"],
                     "sqnr_db": sqnr(ref, got), "latency_ms": latency_ms(sess, name, held[0]),
                     "convert_s": round(seconds, 1)})
        print(json.dumps(rows[-1]), flush=True)
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    vnni = "avx512_vnni" in flags or "avx_vnni" in flags
    return {"model": args.model, "vnni": vnni, "calib": args.calib, "held": args.held, "date": str(datetime.date.today()),
            "binary": doc_sections.version_line(args.bin), "build": doc_sections.build_mode(args.bin), "rows": rows}


def render(res):
    lines = [f"## Target profiles ({res['model']})", "",
             f"`onnxsmith convert --target T --quantize int8` on keras.applications {res['model']} (random "
             f"weights, batch 1), {res['calib']} calibration samples; SQNR against the fp32 model on "
             f"{res['held']} other inputs, all in ONNX Runtime's CPU provider; latency at 1 thread, batch 1 "
             "(median of 30; on a 2-core machine shared with other jobs, so compare rows of one run only). The CPU provider is the deployment runtime only for the cpu-* and arm64 profiles: "
             "other rows say how the same file runs on this CPU, not on the accelerator. "
             f"Binary: {res['binary']}, {res['build']}; {res['date']}." +
             ("" if res.get("vnni", True) else
              " This CPU has no VNNI: ONNX Runtime's x86 int8 kernels add pairs of 8-bit products in int16 "
              "with saturation, so every profile with full 8-bit weights loses accuracy here; cpu-x86-avx2 "
              "(7-bit weights) is the profile for it."), "",
             "| target | nodes | file | supported / rewritten / left float / unsupported | SQNR (dB) | ORT CPU ms | convert+quantize s |",
             "|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        if "error" in r:
            lines.append(f"| {r['target']} | failed: {r['error']} | | | | | |")
            continue
        c = r.get("counts")
        counts = f"{c['supported']} / {c['rewritten']} / {c['left_float']} / {c['unsupported']}" if c else "-"
        lines.append(f"| {r['target']} | {r['nodes']} | {r['bytes'] / 1e6:.2f} MB | {counts} | "
                     f"{r.get('sqnr_db', float('nan')):.1f} | {r['latency_ms']:.2f} | {r.get('convert_s', '-')} |"
                     if "sqnr_db" in r else
                     f"| {r['target']} | {r['nodes']} | {r['bytes'] / 1e6:.2f} MB | - | - | {r['latency_ms']:.2f} | - |")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mobilenetv2")
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--held", type=int, default=16)
    ap.add_argument("--bin", default=str(REPO / "bazel-bin" / "onnxsmith"))
    ap.add_argument("--work", default="/tmp/tbench")
    ap.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"))
    ap.add_argument("--render")
    args = ap.parse_args()
    if args.render:
        res = json.loads(pathlib.Path(args.render).read_text())
    else:
        res = run(args)
        out = REPO / "bench" / "results" / f"targets-{res['date']}.json"
        out.write_text(json.dumps(res, indent=1) + "\n")
    if args.doc:
        doc_sections.write_section(args.doc, "targets", render(res), "bench/targets_bench.py")


if __name__ == "__main__":
    main()
