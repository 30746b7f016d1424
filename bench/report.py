"""Writes docs/benchmarks.md from run_bench.py's result (also usable alone:
`python bench/report.py bench/results/X.json docs/benchmarks.md`)."""
import glob
import json
import os
import sys

import doc_sections

BASELINE = "onnxsmith"
# The rows of the main tables, in order; the "(1 core)" runs go to the threads table.
ROWS = ["onnxsmith", "onnxsmith -O0", "onnxsmith (.h5)", "tf2onnx", "tf2onnx+onnxsim",
        "tf2onnx+onnxoptimizer", "tf2onnx+onnxsmith optimize"]
# metric, column title, format; lower is better for all of them.
METRICS = [
    ("nodes", "nodes", "{:.0f}"),
    ("transposes", "Transpose", "{:.0f}"),
    ("file_mb", "file MB", "{:.2f}"),
    ("wall_s", "tool s", "{:.2f}"),
    ("peak_rss_mb", "peak RSS MB", "{:.0f}"),
    ("ort_ms_1t", "ORT 1T ms", "{:.2f}"),
    ("ort_ms_2t", "ORT 2T ms", "{:.2f}"),
    ("max_abs_err", "max abs err", "{:.1e}"),
]


def _by_tool(model):
    return {r["tool"]: r for r in model["results"]}


def _baseline(tools):
    """onnxsmith from the SavedModel; its .h5 path when that failed and this one did not."""
    for name in (BASELINE, "onnxsmith (.h5)"):
        r = tools.get(name)
        if r is not None and r.get("status") == "ok":
            return r
    return tools.get(BASELINE)


def _cell(rec, base, key, fmt):
    if rec is None or rec.get("status") != "ok" or rec.get(key) is None:
        return "–"
    v = rec[key]
    s = fmt.format(v)
    if rec is base or base is None or base.get("status") != "ok":
        return s
    b = base.get(key)
    if b is None:
        return s
    if b == 0:
        return s if v == 0 else f"{s} (∞)"
    return f"{s} ({v / b:.2f}×)"


def _status(rec):
    if rec.get("status") == "ok":
        return "ok"
    msg = " / ".join(rec.get("error", []))[:500].replace("|", "/")
    return f"**{rec['status']}**: `{msg}`"


def model_table(model):
    tools = _by_tool(model)
    base = _baseline(tools)
    # The optimizers' own time and memory are compared with `onnxsmith optimize` on the same
    # input, not with onnxsmith's conversion.
    opt_base = tools.get("tf2onnx+onnxsmith optimize")
    out = ["| tool | " + " | ".join(t for _, t, _ in METRICS) + " |",
           "|---|" + "---:|" * len(METRICS)]
    failures = []
    for name in ROWS:
        rec = tools.get(name)
        if rec is None:
            continue
        if rec.get("status") != "ok":
            failures.append(f"- {name}: {_status(rec)}")
        elif rec.get("warnings"):
            failures.append(f"- {name} (exit 0, but): `" + " / ".join(rec["warnings"])[-300:] + "`")
        cells = []
        for k, _, f in METRICS:
            b = opt_base if k in ("wall_s", "peak_rss_mb") and name in (
                "tf2onnx+onnxsim", "tf2onnx+onnxoptimizer") else base
            cells.append(_cell(rec, b, k, f))
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    ops = []
    for name in ROWS:
        rec = tools.get(name)
        if rec and rec.get("status") == "ok" and rec.get("ops"):
            top = ", ".join(f"{o} {c}" for o, c in list(rec["ops"].items())[:8])
            ops.append(f"- {name}: {top}")
    return out, failures, ops


def threads_table(models):
    """Best-of-N times: the 1- and 2-core runs alternate, and the best run is the one
    least disturbed by the other work on the machine."""
    out = ["| model | convert 2 cores s | 1 core s | speed-up | optimize phase 2c / 1c ms "
           "| `onnxsmith optimize` on tf2onnx's output 2c / 1c s | speed-up | its optimize phase 2c / 1c ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    ok = lambda r: r is not None and r.get("status") == "ok"  # noqa: E731
    best = lambda r, k: r.get(k + "_min_s", r.get(k + "_s"))  # noqa: E731

    def pair(a, b):
        if not (ok(a) and ok(b)):
            return ["–", "–", "–", "–"]
        wa, wb = best(a, "wall"), best(b, "wall")
        ca, cb = best(a, "core"), best(b, "core")
        ph = "–" if ca is None or cb is None else f"{ca * 1e3:.0f} / {cb * 1e3:.0f}"
        return [f"{wa:.2f}", f"{wb:.2f}", f"{wb / wa:.2f}×", ph]

    for m in models:
        t = _by_tool(m)
        c = pair(t.get("onnxsmith"), t.get("onnxsmith (1 core)"))
        o = pair(t.get("tf2onnx+onnxsmith optimize"), t.get("tf2onnx+onnxsmith optimize (1 core)"))
        out.append(f"| {m['model']} | {c[0]} | {c[1]} | {c[2]} | {c[3]} | {o[0]} / {o[1]} | {o[2]} | {o[3]} |")
    return out


def optimize_time_table(models):
    out = ["| model | onnxsmith optimize s (process) | work only s | onnxsim s (process) | work only s "
           "| onnxoptimizer s (process) | work only s |", "|---|---:|---:|---:|---:|---:|---:|"]
    for m in models:
        t = _by_tool(m)
        cells = []
        for name in ("tf2onnx+onnxsmith optimize", "tf2onnx+onnxsim", "tf2onnx+onnxoptimizer"):
            r = t.get(name)
            if r is None or r.get("status") != "ok":
                cells += ["–", "–"]
            else:
                core = r.get("core_s")
                cells += [f"{r['wall_s']:.2f}", "–" if core is None else f"{core:.3f}"]
        out.append(f"| {m['model']} | " + " | ".join(cells) + " |")
    return out


def phases_table(models):
    """Where onnxsmith's own time goes (its report's phase times, last run)."""
    names = ["load", "prune", "convert", "optimize", "check", "write", "total"]
    out = ["| model | run | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    for m in models:
        t = _by_tool(m)
        for tool, label in (("onnxsmith", "convert"), ("tf2onnx+onnxsmith optimize", "optimize")):
            r = t.get(tool)
            if r is None or r.get("status") != "ok" or not r.get("phases_s"):
                continue
            ph = r["phases_s"]
            cells = ["–" if ph.get(n) is None else f"{ph[n] * 1e3:.0f}" for n in names]
            out.append(f"| {m['model']} | {label} | " + " | ".join(cells) + " |")
    return out


def summary_table(models):
    peers = ["tf2onnx", "tf2onnx+onnxsim", "tf2onnx+onnxoptimizer", "tf2onnx+onnxsmith optimize"]
    out = ["| model | metric | onnxsmith | " + " | ".join(peers) + " |",
           "|---|---|---:|" + "---:|" * len(peers)]
    for m in models:
        t = _by_tool(m)
        base = _baseline(t)
        for key, title, fmt in (("nodes", "nodes", "{:.0f}"), ("transposes", "Transpose", "{:.0f}"),
                                ("ort_ms_1t", "ORT 1T ms", "{:.2f}"),
                                ("ort_ms_2t", "ORT 2T ms", "{:.2f}")):
            row = [_cell(base, None, key, fmt) if base else "–"]
            row += [_cell(t.get(p), base, key, fmt) for p in peers]
            out.append(f"| {m['model']} | {title} | " + " | ".join(row) + " |")
    return out


def shortfalls(models, margin=0.05, latency_margin=0.10):
    """Every metric where some peer's output beats onnxsmith's by more than `margin`
    (`latency_margin` for latencies, which are noisier)."""
    notes = []
    for m in models:
        t = _by_tool(m)
        base = _baseline(t)
        if base is None or base.get("status") != "ok":
            notes.append(f"- {m['model']}: onnxsmith failed: {_status(base) if base else 'not run'}")
            continue
        for key, title, fmt in METRICS:
            if key in ("wall_s", "peak_rss_mb") or base.get(key) is None:
                continue  # tool time/RSS compare different work (see the tables)
            for name in ("tf2onnx", "tf2onnx+onnxsim", "tf2onnx+onnxoptimizer",
                         "tf2onnx+onnxsmith optimize"):
                r = t.get(name)
                if r is None or r.get("status") != "ok" or r.get(key) is None:
                    continue
                b, v = base[key], r[key]
                if key == "max_abs_err":
                    worse = b > max(v * 2, 1e-6)  # errors: only a real gap counts
                elif key.startswith("ort_ms"):
                    worse = v < b * (1 - latency_margin)
                else:
                    worse = v < b * (1 - margin) and (b - v) >= (1 if key in ("nodes", "transposes") else 0)
                if worse:
                    notes.append(f"- {m['model']}: {title} {fmt.format(b)} vs {name} {fmt.format(v)}")
    return notes or ["- none beyond the 5% margin"]


def parallel_speedup_section():
    """The latest bench/parallel_speedup.sh report (onnxsmith alone, before/after binaries)."""
    results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
    reports = sorted(glob.glob(os.path.join(results, "parallel-speedup-*.md")))
    if not reports:
        return []
    with open(reports[-1]) as f:
        body = f.read().strip()
    return ["", "#### onnxsmith alone, before and after the parallel work", "",
            "From `bench/parallel_speedup.sh` ([`bench/results/" + os.path.basename(reports[-1]) +
            "`](../bench/results/" + os.path.basename(reports[-1]) + ")): wall time of the whole"
            " process, `taskset -c 0` (1 core) vs `taskset -c 0,1` (2 cores), before = the binary"
            " before the parallel work, after = with it. Convert reads the SavedModel; optimize"
            " runs on tf2onnx's output (transformer_tanh's for the transformer).", "", body]


def write_markdown(res, path, json_rel):
    env, mach, ver, st = res["env"], res["env"]["machine"], res["env"]["versions"], res["settings"]
    L = [
        "## Conversion and optimization: onnxsmith vs tf2onnx, onnxsim, onnxoptimizer",
        "",
        "Generated by `bench/run.sh` (bench/run_bench.py); see [bench/README.md](../bench/README.md)"
        " for the method. Raw data: [`" + json_rel + "`](../" + json_rel + ").",
        "",
        f"- Date: {res['date']}; command `{res['command']}`; whole run {res['total_s'] / 60:.1f} min"
        f" (of which building the models with TF {res['build_models_s']:.0f} s).",
        f"- Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory']}, Linux {mach['kernel']};"
        f" load average {mach['loadavg_start'][0]:.1f} at the start, {mach['loadavg_end'][0]:.1f} at"
        " the end. **The machine was shared with other work (builds, tests) during the run: times"
        " are noisy; compare ratios, and re-run on a quiet machine for absolute numbers. The"
        " 2-thread ORT latencies suffer most (2 ORT threads compete with that load; 2T slower than"
        " 1T means exactly that), and outputs that are the same graph in effect differ by up to"
        " ~15% there.**",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in ver.items()) + ".",
        f"- onnxsmith binary: {env.get('onnxsmith_build', 'build mode not recorded')}; `--version`:"
        f" `{env.get('onnxsmith_version', 'not recorded')}`.",
        f"- Settings: opset {st['opset']}; tool times are the median of {st['tool_runs']} runs"
        f" (wall time of the whole process, Python start-up included for the Python tools);"
        f" ONNX Runtime latency is the median of {st['ort_runs']} runs after {st['ort_warmup']}"
        " warm-up runs, CPU provider, default graph optimizations, intra_op_num_threads 1 (1T) and"
        " 2 (2T), batch 1. Errors are max |ONNX Runtime − TensorFlow| on one fixed input.",
        "- Ratios in parentheses are to onnxsmith's row (`onnxsmith convert --saved-model`,"
        " default optimization): above 1× the peer is bigger/slower/less accurate. The tool time"
        " and RSS of onnxsim and onnxoptimizer (which run on tf2onnx's output) are to"
        " `onnxsmith optimize` on the same file.",
        "",
        "### Summary",
        "",
    ]
    L += ["The onnxsmith column is `onnxsmith convert --saved-model` (its `.h5` path where only that"
          " one converts); \"–\" is a failure, listed under the model's own table.", ""]
    L += summary_table(res["models"])
    L += ["", "Where a peer did better than onnxsmith (nodes, Transposes, size by more than 5%; latency"
          " by more than 10%; error by more than 2×):", ""]
    L += shortfalls(res["models"])
    L += ["", "### Optimize time on tf2onnx's output", "",
          "The same input (tf2onnx's output) through each optimizer. \"Process\" is the wall time of"
          " the command; \"work only\" leaves out start-up, imports and file I/O (onnxsmith's"
          " `optimize` phase from its report; onnxsim.simplify / onnxoptimizer.optimize calls).", ""]
    L += optimize_time_table(res["models"])
    L += ["", "### Parallel speed-up (2 cores vs 1)", "",
          "The 1-core runs pin the whole process to one core with `taskset -c 0`, which TBB's"
          " default concurrency follows (as does `--threads 1`). Best of the runs (1- and"
          " 2-core runs alternate); the optimize phase is the one onnxsmith's report prints.", ""]
    L += threads_table(res["models"])
    L += ["", "Where onnxsmith's time goes (ms, from its report; the process's wall time above also"
          " has start-up and exit):", ""]
    L += phases_table(res["models"])
    L += parallel_speedup_section()
    for m in res["models"]:
        i = m["info"]
        L += ["", f"### {m['model']}", "",
              f"{i['params']:,} parameters, input {i['input_shape']}, output {i['output_shape']}"
              f" (max |y| {i['output_abs_max']:.3g}); {i['norm_layers_randomized']} normalization"
              f" layers with random statistics; SavedModel vs Keras {i['savedmodel_vs_keras_max_abs']:.1e}.", ""]
        table, failures, ops = model_table(m)
        L += table
        if failures:
            L += ["", "Failures:", ""] + failures
        L += ["", "Top ops:", ""] + (ops or ["- none: no tool produced a model that ONNX Runtime loads"])
    doc_sections.write_section(path, "conversion", L, "bench/run_bench.py (bench/report.py)")


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        r = json.load(f)
    write_markdown(r, sys.argv[2], os.path.relpath(sys.argv[1], os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
