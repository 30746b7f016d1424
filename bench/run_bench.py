#!/usr/bin/env python3
"""onnxsmith against tf2onnx, onnxsim and onnxoptimizer on the same models, in one run.

    bench/run.sh [--models mobilenetv2,resnet50] [--quick]     (makes the venv, builds onnxsmith)
    BENCH_VENV/bin/python bench/run_bench.py --onnxsmith bazel-bin/onnxsmith [...]

Steps: build the models with TensorFlow (build_models.py, own process); convert each with
onnxsmith (SavedModel, and .h5) and tf2onnx (SavedModel); optimize tf2onnx's output with
onnxsim, onnxoptimizer and `onnxsmith optimize`; measure every output (nodes, ops, size,
ONNX Runtime latency at 1 and 2 threads, error vs TensorFlow); write bench/results/DATE.json
and docs/benchmarks.md. See bench/README.md.
"""
import argparse
import collections
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

import doc_sections

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ALL_MODELS = ["mobilenetv2", "resnet50", "efficientnetb0", "transformer", "transformer_tanh"]
OPSET = 17
WORK_DIR = [None]  # set by main(), for shortening paths in error messages


# ---------------------------------------------------------------- running tools

def run_child(cmd, log_path, cpus=None, timeout=1800):
    """Runs cmd, returns wall time, its peak RSS and exit code. cpus="0" pins it (and so
    TBB's default thread count) to one core. The RSS comes from GNU time, a small parent:
    wait4 from this process would report at least this process's own RSS, which a
    vfork/exec child inherits as its high-water mark."""
    rss_path = log_path + ".rss"
    if cpus is not None:
        cmd = ["taskset", "-c", cpus] + cmd
    cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_path] + cmd
    with open(log_path, "w") as log:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        wall = time.perf_counter() - t0
    rss_kb = 0.0
    try:
        with open(rss_path) as f:
            rss_kb = float(f.read().split()[-1])  # "Command exited with non-zero status N" first
    except (OSError, ValueError, IndexError):
        pass
    return {"wall_s": wall, "peak_rss_mb": rss_kb / 1024.0, "rc": rc}


def error_summary(path, work=None):
    """A few lines that say why a tool failed. onnxsmith's error is its first lines (per-op
    lines cut to 'Op xN'; node names stay in the log); Python tools' are their error lines.
    The work directory is shortened to WORK."""
    with open(path, errors="replace") as f:
        lines = [l.rstrip() for l in f if l.strip()]
    keep = []
    logged = any(re.match(r"^[0-9-]+ [0-9:,]+ - ", l) for l in lines)
    for l in lines:
        m = re.match(r"^\s+(\w+ x\d+) \(", l)
        if m:
            keep.append(m.group(1))
        elif not logged or (re.search(r"error|unsupported|not supported", l, re.I)
                            and "is not supported" not in l):
            keep.append(re.sub(r"^[0-9-]+ [0-9:,]+ - ", "", l.strip())[:240])
    keep = (keep or lines[-4:])[:6]
    if work:
        keep = [k.replace(work.rstrip("/"), "WORK") for k in keep]
    return keep


def tool_warnings(path):
    """Lines where a tool that exited 0 says it left something unconverted."""
    with open(path, errors="replace") as f:
        return [re.sub(r"^[0-9-]+ [0-9:,]+ - ", "", l.strip())[:300] for l in f
                if re.search(r"Unsupported ops|ERROR", l)][-3:]


def run_tools(specs, log_dir, runs, quick=False):
    """Runs each (name, cmd, out_path, cpus) `runs` times, round-robin, so that load changes
    on this shared machine hit all of them alike (the 1-core/2-core pairs in particular).
    At least 7 rounds when a first run takes under 2 s, since load noise swamps sub-second
    runs. Keeps per tool the median and best wall time, the largest RSS and the tool's own
    core time per run (see parse_core_time). A tool that fails is not run again."""
    recs, state = [], []
    for name, cmd, out_path, cpus in specs:
        recs.append({"tool": name, "cmd": " ".join(cmd), "cpus": cpus or "all",
                     "output": out_path, "status": "ok"})
        state.append({"walls": [], "rss": [], "cores": [],
                      "log": os.path.join(log_dir, name.replace(" ", "_") + ".log")})
    rnd = 0
    while rnd < runs:
        for (name, cmd, out_path, cpus), rec, st in zip(specs, recs, state):
            if rec["status"] != "ok":
                continue
            if os.path.exists(out_path):
                os.remove(out_path)
            r = run_child(cmd, st["log"], cpus)
            if r["rc"] != 0 or not os.path.exists(out_path):
                rec.update(status="failed", rc=r["rc"], error=error_summary(st["log"], WORK_DIR[0]),
                           log=st["log"], wall_s=r["wall_s"], peak_rss_mb=r["peak_rss_mb"])
                print(f"    {name}: FAILED (exit {r['rc']}): {' | '.join(rec['error'][-2:])}",
                      flush=True)
                continue
            st["walls"].append(r["wall_s"])
            st["rss"].append(r["peak_rss_mb"])
            core = parse_core_time(name, st["log"])
            if core is not None:
                st["cores"].append(core)
            if rnd == 0 and r["wall_s"] < 2.0 and not quick:
                runs = max(runs, 7)
        rnd += 1
    for (name, _, _, _), rec, st in zip(specs, recs, state):
        if rec["status"] != "ok":
            continue
        w = st["walls"]
        rec.update(wall_s=statistics.median(w), wall_min_s=min(w), wall_all_s=w,
                   peak_rss_mb=max(st["rss"]), log=st["log"])
        if st["cores"]:
            c = st["cores"]
            rec.update(core_s=statistics.median(c), core_min_s=min(c), core_all_s=c)
        warnings = tool_warnings(st["log"])
        if warnings:
            rec["warnings"] = warnings
        if "onnxsmith" in name:
            with open(st["log"], errors="replace") as f:
                rec["phases_s"] = onnxsmith_phase_times([l.strip() for l in f])
        print(f"    {name}: {rec['wall_s']:.2f} s (best {rec['wall_min_s']:.2f}, {len(w)} runs),"
              f" {rec['peak_rss_mb']:.0f} MB", flush=True)
    return recs


def parse_core_time(name, log_path):
    """The tool's own time for the work, without process start-up: the last JSON line
    of peer_tool.py, or the phase times at the end of onnxsmith's report."""
    with open(log_path, errors="replace") as f:
        lines = [l.strip() for l in f if l.strip()]
    if ("onnxsim" in name or "onnxoptimizer" in name) and lines:
        try:
            return json.loads(lines[-1])["core_s"]
        except (ValueError, KeyError):
            return None
    if "onnxsmith" in name:
        return onnxsmith_phase_times(lines).get("optimize")
    return None


def onnxsmith_phase_times(lines):
    """Phase times from onnxsmith's report: 'time:  load 15.0 ms, convert 40.3 ms, ...; total 74.1 ms'."""
    phases = {}
    for l in lines:
        if l.lower().startswith(("time", "times")):
            for name, val, unit in re.findall(r"([A-Za-z_ -]+?)\s+([0-9.]+)\s*(ms|s)\b", l.split(":", 1)[-1]):
                phases[name.strip(" ,").lower()] = float(val) / (1000.0 if unit == "ms" else 1.0)
    return phases


# ---------------------------------------------------------------- measuring outputs

def graph_stats(path):
    m = onnx.load(path, load_external_data=False)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    size = os.path.getsize(path)
    d = os.path.dirname(path)
    for t in m.graph.initializer:  # external data, if a tool wrote any
        for e in t.external_data:
            if e.key == "location":
                size += os.path.getsize(os.path.join(d, e.value))
    return {"nodes": sum(ops.values()), "ops": dict(ops.most_common()),
            "transposes": ops.get("Transpose", 0), "file_mb": size / 1e6,
            "opset": max((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), default=0),
            "domains": sorted({n.domain for n in m.graph.node if n.domain not in ("", "ai.onnx")})}


def ort_session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def measure_outputs(recs, x, y_ref, args):
    """Graph statistics and error of every output, then ONNX Runtime latency. The timed
    runs go round-robin over all outputs of the model, so that a load change on this shared
    machine hits every tool alike instead of whichever was being timed then."""
    live = []
    for rec in recs:
        if rec["status"] != "ok" or not rec.get("measure", True):
            continue
        try:
            rec.update(graph_stats(rec["output"]))
            sess = ort_session(rec["output"], 1)
            y = sess.run(None, {sess.get_inputs()[0].name: x})[0]
            rec["max_abs_err"] = (float(np.abs(y.reshape(y_ref.shape) - y_ref).max())
                                  if y.size == y_ref.size else float("nan"))
            rec["rel_err"] = rec["max_abs_err"] / max(float(np.abs(y_ref).max()), 1e-12)
            live.append(rec)
        except Exception as e:  # an output ORT cannot load is a result, not a crash
            rec["status"] = "ort_failed"
            rec["error"] = [f"{type(e).__name__}: {str(e)[:400]}".replace(args.work.rstrip("/"), "WORK")]
            print(f"    {rec['tool']}: ONNX Runtime failed: {rec['error'][0][:200]}", flush=True)
    for threads in (1, 2):
        sessions = [(rec, ort_session(rec["output"], threads)) for rec in live]
        feeds = [{s.get_inputs()[0].name: x} for _, s in sessions]
        for (_, s), feed in zip(sessions, feeds):
            for _ in range(args.ort_warmup):
                s.run(None, feed)
        times = [[] for _ in sessions]
        for _ in range(args.ort_runs):
            for i, ((_, s), feed) in enumerate(zip(sessions, feeds)):
                t0 = time.perf_counter()
                s.run(None, feed)
                times[i].append(time.perf_counter() - t0)
        for (rec, _), t in zip(sessions, times):
            rec[f"ort_ms_{threads}t"] = statistics.median(t) * 1e3
        del sessions


# ---------------------------------------------------------------- one model

def bench_model(name, args, bin_path):
    d = os.path.join(args.work, name)
    out = os.path.join(d, "out")
    logs = os.path.join(d, "logs")
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(logs, ignore_errors=True)
    os.makedirs(out)
    os.makedirs(logs)
    sm, h5 = os.path.join(d, "saved_model"), os.path.join(d, "model.h5")
    x, y_ref = np.load(os.path.join(d, "input.npy")), np.load(os.path.join(d, "tf_output.npy"))
    py = sys.executable
    o = lambda f: os.path.join(out, f)  # noqa: E731
    run = lambda specs, n=args.tool_runs: run_tools(specs, logs, n, args.quick)  # noqa: E731
    op = ["--opset", str(OPSET)]
    recs = []
    print(f"== {name}", flush=True)

    conv = lambda f, *extra: [bin_path, "convert", "--saved-model", sm, "--output", o(f)] + op + list(extra)  # noqa: E731,E501
    # The default conversion, and the same pinned to one core: the pipeline's parallel
    # speed-up (taskset bounds the whole process; TBB follows the affinity mask).
    recs += run([("onnxsmith", conv("onnxsmith.onnx"), o("onnxsmith.onnx"), None),
                 ("onnxsmith (1 core)", conv("onnxsmith_1core.onnx"), o("onnxsmith_1core.onnx"), "0")])
    recs += run([("onnxsmith -O0", conv("onnxsmith_O0.onnx", "--no-optimize"), o("onnxsmith_O0.onnx"), None),
                 ("onnxsmith (.h5)", [bin_path, "convert", "--keras", h5, "--output", o("onnxsmith_h5.onnx")] + op,
                  o("onnxsmith_h5.onnx"), None)], 1)
    t2o = o("tf2onnx.onnx")
    recs += run([("tf2onnx", [py, "-m", "tf2onnx.convert", "--saved-model", sm, "--output", t2o] + op,
                  t2o, None)])
    if recs[-1]["status"] == "ok":
        peer = os.path.join(HERE, "peer_tool.py")
        recs += run([
            ("tf2onnx+onnxsim", [py, peer, "onnxsim", t2o, o("t2o_onnxsim.onnx")], o("t2o_onnxsim.onnx"), None),
            ("tf2onnx+onnxoptimizer", [py, peer, "onnxoptimizer", t2o, o("t2o_onnxoptimizer.onnx")],
             o("t2o_onnxoptimizer.onnx"), None),
            ("tf2onnx+onnxsmith optimize", [bin_path, "optimize", t2o, o("t2o_onnxsmith.onnx")],
             o("t2o_onnxsmith.onnx"), None),
            ("tf2onnx+onnxsmith optimize (1 core)", [bin_path, "optimize", t2o, o("t2o_onnxsmith_1core.onnx")],
             o("t2o_onnxsmith_1core.onnx"), "0")])
    for r in recs:  # the 1-core runs write the same graphs: timed only
        r["measure"] = "(1 core)" not in r["tool"]
    print("    ONNX Runtime ...", flush=True)
    measure_outputs(recs, x, y_ref, args)
    with open(os.path.join(d, "model_info.json")) as f:
        info = json.load(f)
    return {"model": name, "info": info, "results": recs}


# ---------------------------------------------------------------- environment

def versions(bin_path):
    import importlib.metadata as md
    v = {"python": platform.python_version()}
    for p in ("tensorflow-cpu", "keras", "tf2onnx", "onnxsim", "onnxoptimizer", "onnxruntime",
              "onnx", "numpy", "protobuf"):
        try:
            v[p] = md.version(p)
        except md.PackageNotFoundError:
            v[p] = None
    git = lambda *a: subprocess.run(["git", "-C", REPO, *a], capture_output=True,  # noqa: E731
                                    text=True).stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no")
    with open(bin_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:12]
    v["onnxsmith"] = f"{git('rev-parse', '--short', 'HEAD')}{' + uncommitted changes' if dirty else ''}" \
                     f" (binary sha256 {sha})"
    return v



def machine():
    cpu = "unknown"
    try:
        for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if l.startswith("Model name:"):
                cpu = l.split(":", 1)[1].strip()
    except OSError:
        pass
    mem = ""
    with open("/proc/meminfo") as f:
        mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "kernel": platform.release(), "loadavg_start": os.getloadavg()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(ALL_MODELS),
                    help=f"comma-separated subset of {','.join(ALL_MODELS)}")
    ap.add_argument("--quick", action="store_true",
                    help="one run per tool and 10 ORT runs (a smoke test; numbers are noisy)")
    ap.add_argument("--onnxsmith", default=os.path.join(REPO, "bazel-bin", "onnxsmith"))
    ap.add_argument("--work", default=os.path.expanduser("~/.cache/onnxsmith/bench-work"))
    ap.add_argument("--reuse-models", action="store_true",
                    help="keep models already built in --work (same seed, so same models)")
    ap.add_argument("--tool-runs", type=int, default=None, help="runs per tool (median; default 3)")
    ap.add_argument("--ort-runs", type=int, default=None, help="timed ORT runs (default 50)")
    ap.add_argument("--ort-warmup", type=int, default=None, help="ORT warm-up runs (default 5)")
    ap.add_argument("--json", default=None, help="default bench/results/bench-DATE.json")
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "benchmarks.md"),
                    help="the Markdown report ('' for none)")
    args = ap.parse_args()
    args.tool_runs = args.tool_runs or (1 if args.quick else 3)
    args.ort_runs = args.ort_runs or (10 if args.quick else 50)
    args.ort_warmup = args.ort_warmup or (2 if args.quick else 5)
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in ALL_MODELS:
            ap.error(f"unknown model {m}")
    os.makedirs(args.work, exist_ok=True)
    WORK_DIR[0] = args.work

    # A private copy of the binary: other work may rebuild bazel-bin during the run.
    bin_path = os.path.join(args.work, "onnxsmith")
    shutil.copy2(args.onnxsmith, bin_path)

    t_start = time.perf_counter()
    started = datetime.datetime.now(datetime.timezone.utc)
    env = {"machine": machine(), "versions": versions(bin_path),
           "onnxsmith_build": doc_sections.build_mode(bin_path),
           "onnxsmith_version": doc_sections.version_line(bin_path)}
    print(f"machine: {env['machine']}\nversions: {env['versions']}", flush=True)

    todo = [m for m in models if not (args.reuse_models and
                                      os.path.exists(os.path.join(args.work, m, "tf_output.npy")))]
    if todo:
        print(f"building {','.join(todo)} with TensorFlow ...", flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "build_models.py"), args.work,
                        ",".join(todo)], check=True)
    t_built = time.perf_counter()

    runs = [bench_model(m, args, bin_path) for m in models]
    env["machine"]["loadavg_end"] = os.getloadavg()
    result = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": os.environ.get("BENCH_COMMAND") or " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
        "settings": {"opset": OPSET, "tool_runs": args.tool_runs, "ort_runs": args.ort_runs,
                     "ort_warmup": args.ort_warmup, "quick": args.quick},
        "env": env, "models": runs,
        "build_models_s": t_built - t_start, "total_s": time.perf_counter() - t_start,
    }
    json_path = args.json or os.path.join(HERE, "results",
                                          f"bench-{started.strftime('%Y%m%d-%H%M')}.json")
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(result, f, indent=1, default=float)
    print(f"wrote {json_path} (total {result['total_s']:.0f} s)")
    if args.doc:
        import report
        report.write_markdown(result, args.doc, os.path.relpath(json_path, REPO))
        print(f"wrote {args.doc}")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
