"""Time and peak memory of onnxsmith convert/optimize/quantize on everyday keras.applications models
(ResNet50, EfficientNetB0, MobileNetV2 SavedModels, ResNet50 as .h5, .keras and frozen .pb;
random weights)
and on a synthetic 2.2 GB ONNX model (three huge MatMul weights, external data), against
onnxsim on the same ONNX file where it runs, and against copying the input's files (`cp -r`,
warm page cache) as the floor.

Each step is its own process measured by /usr/bin/time (wall seconds, peak RSS); best of
--runs. Writes bench/results/memory-DATE.json and the "memory" section of docs/benchmarks.md
(bench/doc_sections.py: other sections are left alone). Needs TensorFlow, onnx and ONNX Runtime
(the oracle test venv); onnxsim runs in the bench venv (--peer-python). Needs ~8 GB of disk in
--work, deleted at the end unless --keep.

    $VENV/bin/python bench/memory_bench.py [--bin bazel-bin/onnxsmith] [--work /tmp/membench]
        [--runs 3] [--big-gb 2.2] [--no-big] [--doc docs/benchmarks.md] [--keep]
        [--apps ResNet50,EfficientNetB0,MobileNetV2] [--big-rows-from bench/results/memory-X.json]

--no-big with --big-rows-from keeps that file's rows of the big model (their date is noted), so
the everyday rows can be re-measured without the 8 GB / several-minute big run.
"""
import argparse
import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

import doc_sections  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
PEER_PYTHON = pathlib.Path.home() / ".cache/onnxsmith/bench-venv-9c1abb1c5c0606d1/bin/python"
TIME_FORMAT = "__time__ %e %M %U %S"


def measure(cmd, runs):
    """Best wall time and the peak RSS of that run, or the failure's last line."""
    best = None
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", TIME_FORMAT, *map(str, cmd)],
                           capture_output=True, text=True, errors="replace")
        line = [ln for ln in p.stderr.splitlines() if ln.startswith("__time__")][-1].split()
        if p.returncode != 0:
            err = [ln for ln in p.stderr.splitlines() if ln.strip() and not ln.startswith("__time__")]
            return {"error": (err[-1] if err else f"exit {p.returncode}")[:160]}
        # CPU seconds (user + system) too: on a loaded machine they move far less than wall time.
        r = {"seconds": float(line[1]), "peak_rss_mb": int(line[2]) / 1024,
             "cpu_seconds": float(line[3]) + float(line[4])}
        if best is None or r["seconds"] < best["seconds"]:
            best = r
    return best


def tree_bytes(path):
    path = pathlib.Path(path)
    if path.is_file():
        data = path.with_name(path.name + ".data")
        return path.stat().st_size + (data.stat().st_size if data.exists() else 0)
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def copy_seconds(src, work, runs):
    """cp of the input's files (a directory, or the .onnx with its data file): (wall, CPU) of the
    fastest run."""
    dst = work / "copy"
    srcs = [src] if pathlib.Path(src).is_dir() else [p for p in (src, pathlib.Path(f"{src}.data"))
                                                     if pathlib.Path(p).exists()]
    best = None
    for _ in range(runs):
        shutil.rmtree(dst, ignore_errors=True)
        dst.mkdir()
        r = measure(["cp", "-r", *srcs, dst], 1)
        best = r if best is None or r["seconds"] < best["seconds"] else best
    shutil.rmtree(dst, ignore_errors=True)
    return best["seconds"], best["cpu_seconds"]


def build_app(name, work):
    """keras.applications NAME (random weights) as WORK/NAME_sm (SavedModel), NAME.h5, NAME.keras."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(1234)
    model = getattr(tf.keras.applications, name)(weights=None)
    tf.saved_model.save(model, str(work / f"{name}_sm"))
    model.save(str(work / f"{name}.h5"))
    model.save(str(work / f"{name}.keras"))
    # The frozen GraphDef (weights in the Const nodes' tensor_content).
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    fn = tf.function(lambda x: model(x), autograph=False).get_concrete_function(
        tf.TensorSpec([1, *model.input_shape[1:]], tf.float32))
    graph = convert_variables_to_constants_v2(fn).graph.as_graph_def()
    (work / f"{name}.pb").write_bytes(graph.SerializeToString())


def build_big_onnx(path, gb):
    """x[1,n] -> (MatMul W[n,n] -> Relu) x 3, n chosen so the weights total `gb` GB."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n = int((gb * 1e9 / 3 / 4) ** 0.5)
    rng = np.random.default_rng(0)
    nodes, inits, prev = [], [], "x"
    for i in range(3):
        w = rng.standard_normal((n, n), dtype=np.float32)
        w *= np.float32(1 / np.sqrt(n))
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        del w
        nodes += [helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]),
                  helper.make_node("Relu", [f"m{i}"], [f"r{i}"])]
        prev = f"r{i}"
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, n])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path), save_as_external_data=True, location=path.name + ".data")


def bench_model(name, src, steps, work, runs):
    size = tree_bytes(src)
    copy, copy_cpu = copy_seconds(src, work, runs)
    rows = []
    for step, tool, cmd, out in steps:
        r = measure(cmd, runs)
        r.update(model=name, step=step, tool=tool, input_mb=size / 2**20, copy_seconds=copy,
                 copy_cpu_seconds=copy_cpu)
        if "seconds" in r:
            r["x_copy"] = r["seconds"] / copy if copy > 0 else None
            r["x_size"] = r["peak_rss_mb"] * 2**20 / size
        rows.append(r)
        print(json.dumps(r), flush=True)
    return rows


def run(args):
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    b = args.bin
    load = round(os.getloadavg()[0], 1)  # wall times mean little on a busy machine
    rows = []
    apps = [a for a in args.apps.split(",") if a]
    for app in apps:
        if not (work / f"{app}_sm").exists():
            subprocess.run([sys.executable, __file__, "--build-app", app, "--work", work], check=True)
    for app in apps:
        sm = work / f"{app}_sm"
        rows += bench_model(f"{app} SavedModel", sm, [
            ("convert", "onnxsmith", [b, "convert", "--saved-model", sm, "--output", work / "c.onnx"], None),
        ], work, args.runs)
    if "ResNet50" in apps:
        for ext in ("h5", "keras"):
            src = work / f"ResNet50.{ext}"
            rows += bench_model(f"ResNet50 .{ext}", src, [
                ("convert", "onnxsmith", [b, "convert", "--keras", src, "--output", work / "c.onnx"], None),
            ], work, args.runs)
        src = work / "ResNet50.pb"
        if src.exists():  # work directories built before the .pb was added lack it
            rows += bench_model("ResNet50 .pb (frozen)", src, [
                ("convert", "onnxsmith", [b, "convert", "--graphdef", src, "--output", work / "c.onnx"], None),
            ], work, args.runs)
    sm = work / "ResNet50_sm"
    if not sm.exists():
        subprocess.run([sys.executable, __file__, "--build-app", "ResNet50", "--work", work], check=True)
    r50 = work / "resnet50.onnx"
    subprocess.run([b, "convert", "--saved-model", sm, "--output", r50], check=True, capture_output=True)
    rows += bench_model("ResNet50 .onnx", r50, [
        ("optimize", "onnxsmith", [b, "optimize", r50, work / "o.onnx"], None),
        ("quantize (dynamic)", "onnxsmith", [b, "quantize", r50, work / "q.onnx", "--mode", "dynamic"], None),
        ("optimize", "onnxsim", [args.peer_python, "-m", "onnxsim", r50, work / "s.onnx"], None),
    ], work, args.runs)
    if args.no_big and args.big_rows_from:
        old = json.loads(pathlib.Path(args.big_rows_from).read_text())
        for r in old["rows"]:
            if "GB .onnx" in r["model"]:
                rows.append({**r, "measured": old["date"]})
    if not args.no_big:
        big = work / "big.onnx"
        if not big.exists():
            build_big_onnx(big, args.big_gb)
        rows += bench_model(f"{args.big_gb} GB .onnx (external data)", big, [
            ("optimize", "onnxsmith", [b, "optimize", big, work / "bo.onnx"], None),
            ("quantize (dynamic)", "onnxsmith", [b, "quantize", big, work / "bq.onnx", "--mode", "dynamic"], None),
            ("optimize", "onnxsim", [args.peer_python, "-m", "onnxsim", big, work / "bs.onnx",
                                     "--save-as-external-data"], None),
        ], work, 1)
    return {"date": datetime.date.today().isoformat(), "binary": doc_sections.version_line(b),
            "load": load,
            "build": doc_sections.build_mode(b), "runs": args.runs, "rows": rows}


def render(result):
    carried = sorted({r["measured"] for r in result["rows"] if "measured" in r})
    lines = [f"## Time and peak memory (external data, mapped weights)", "",
             f"`bench/memory_bench.py`, {result['date']}, binary: {result['binary']} ({result['build']});"
             f" best of {result['runs']} (1 for the big model), wall time and peak RSS from /usr/bin/time."
             " `x copy`: time over `cp -r` of the input (warm cache); `x size`: peak RSS over the input's"
             " size on disk; `CPU s`: user + system seconds of the tool (of `cp` in parentheses), which a"
             " busy machine disturbs far less than wall time. Goals for everyday models (issue 15):"
             " x copy <= 3, x size <= 1.5."
             + (f" Big-model rows from the run of {', '.join(carried)}." if carried else "")
             + (f" Machine load (1-min average) at the start: {result['load']}." if "load" in result else ""),
             "",
             "| input | size | step | tool | wall s | x copy | CPU s (cp's) | peak RSS MB | x size |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        head = f"| {r['model']} | {r['input_mb']:.0f} MB | {r['step']} | {r['tool']} |"
        if "error" in r:
            lines.append(f"{head} fails: {r['error'].replace('|', '/')} | | | | |")
        else:
            cpu = (f"{r['cpu_seconds']:.2f} ({r['copy_cpu_seconds']:.2f})" if "cpu_seconds" in r
                   else "")
            lines.append(f"{head} {r['seconds']:.2f} | {r['x_copy']:.1f} | {cpu} |"
                         f" {r['peak_rss_mb']:.0f} | {r['x_size']:.2f} |")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=str(REPO / "bazel-bin/onnxsmith"))
    p.add_argument("--work", default="/tmp/membench")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--big-gb", type=float, default=2.2)
    p.add_argument("--no-big", action="store_true")
    p.add_argument("--peer-python", default=str(PEER_PYTHON))
    p.add_argument("--doc", default=str(REPO / "docs/benchmarks.md"))
    p.add_argument("--keep", action="store_true")
    p.add_argument("--apps", default="ResNet50,EfficientNetB0,MobileNetV2",
                   help="keras.applications models whose SavedModel convert is measured")
    p.add_argument("--big-rows-from", help="with --no-big: keep the big-model rows of this JSON")
    p.add_argument("--build-app", help=argparse.SUPPRESS)
    p.add_argument("--render", help="re-render a results JSON into --doc")
    args = p.parse_args()
    if args.build_app:
        return build_app(args.build_app, pathlib.Path(args.work))
    if args.render:
        result = json.loads(pathlib.Path(args.render).read_text())
    else:
        result = run(args)
        out = REPO / f"bench/results/memory-{result['date']}.json"
        out.write_text(json.dumps(result, indent=1) + "\n")
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    if args.doc:
        doc_sections.write_section(args.doc, "memory", render(result), "bench/memory_bench.py")


if __name__ == "__main__":
    main()
