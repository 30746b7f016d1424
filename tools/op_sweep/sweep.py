"""Per-op sweep: small one-op graphs built from the public TF API, converted with onnxsmith, run
in ONNX Runtime and compared with TensorFlow.

Run (from the repository root, after `bazel build --jobs=2 //:onnxsmith`):

  VENV=/root/.cache/onnxsmith/venv-...   # the oracle venv (tools/make_venv.sh)
  $VENV/bin/python tools/op_sweep/sweep.py [--opsets 17] [--saved-model] [-k SUBSTR] [--json out.json]

Each case is one tf.function with placeholders for its inputs (dynamic dims where the case says),
frozen with convert_variables_to_constants_v2 (and, with --saved-model, also saved as a SavedModel
and converted from there). Outcomes per case and opset:
  ok       converted, checker-clean, matches TF
  refused  onnxsmith exited non-zero with an error message
  crashed  onnxsmith died on a signal / timed out, or the ONNX is checker-invalid, or ONNX Runtime
           rejects or fails on it
  wrong    ran but the outputs differ from TF (shape, dtype or values)
  tf_error TensorFlow itself cannot build or run the case on this machine (not counted)
The table at the end lists every non-ok case with the first line of its message.
"""

import argparse
import collections
import json
import os
import pathlib
import sys
import tempfile
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "oracle"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import oracle_lib  # noqa: E402
from oracle_lib import assert_close, check_onnx, get_tf, rng_for, run_cli, run_onnx  # noqa: E402


def tf_outputs(case, arrays):
    tf = get_tf()
    res = case.fn(*[tf.constant(a) for a in arrays.values()])
    return [np.asarray(t) for t in tf.nest.flatten(res)]


def compare(case, got, expected):
    if len(got) != len(expected):
        raise AssertionError(f"{len(got)} outputs, TF has {len(expected)}")
    for i, (g, e) in enumerate(zip(got, expected)):
        if e.dtype.kind in "OS":
            g = np.asarray(g).astype(object)
            e = np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v,
                             otypes=[object])(e) if e.size else e.astype(object)
            assert_close(g, e, check_dtype=False, what=f"output {i}")
            continue
        if np.iscomplexobj(e):
            e = np.stack([e.real, e.imag], axis=-1)
        if case.check == "shape":  # random ops: shape, dtype and the value range
            assert g.shape == e.shape, f"output {i}: shape {g.shape}, expected {e.shape}"
            assert g.dtype == e.dtype, f"output {i}: dtype {g.dtype}, expected {e.dtype}"
            if case.value_range is not None and g.size:
                lo, hi = case.value_range
                assert g.min() >= lo and g.max() <= hi, f"output {i}: values outside [{lo}, {hi}]"
            continue
        atol, rtol = case.atol, case.rtol
        if e.dtype == np.float16:
            atol, rtol = max(atol, 2e-3), max(rtol, 2e-3)
        assert_close(g, e, atol=atol, rtol=rtol, what=f"output {i}")


def save_model(case, specs, directory):
    tf = get_tf()
    module = tf.Module()
    # Positional only: the cases' lambdas carry defaults (_f=...) a signature must not see.
    module.f = tf.function(lambda *args: case.fn(*args), input_signature=specs)

    def serve(*args):
        res = tf.nest.flatten(module.f(*args))
        return {f"output_{i}": t for i, t in enumerate(res)}

    sig = tf.function(serve, input_signature=specs)
    tf.saved_model.save(module, str(directory), signatures=sig.get_concrete_function())


def run_case(case, opsets, binary, work, saved_model):
    """[(variant, opset, outcome, message)] of one case."""
    tf = get_tf()
    oracle_lib.seed_everything()
    try:
        arrays = case.inputs(rng_for(f"sweep:{case.name}"))
        specs = [tf.TensorSpec(case.dynamic.get(k, v.shape), tf.as_dtype(v.dtype), name=k)
                 for k, v in arrays.items()]
        expected = tf_outputs(case, arrays)
        frozen = oracle_lib.freeze(tf.function(case.fn), specs, work / f"{case.name}.pb")
    except Exception as e:  # noqa: BLE001
        return [("graphdef", 0, "tf_error", f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")]
    results = []
    feeds = {k: oracle_lib._ort_value(v) for k, v in zip(frozen.inputs, arrays.values())}
    sources = [("graphdef", ["--graphdef", frozen.path], frozen.outputs)]
    if saved_model and case.saved_model:
        sm_dir = work / f"{case.name}_sm"
        try:
            save_model(case, specs, sm_dir)
            sources.append(("saved_model", ["--saved-model", sm_dir], None))
        except Exception as e:  # noqa: BLE001
            results.append(("saved_model", 0, "tf_error", f"{type(e).__name__}: {e}"[:200]))
    for variant, src, outputs in sources:
        for opset in (case.opsets or opsets):
            out = work / f"{case.name}_{variant}_{opset}.onnx"
            args = ["convert", *src, "--output", out, "--opset", opset]
            if outputs:
                args += ["--outputs", ",".join(outputs)]
            try:
                proc = run_cli(binary, args, timeout=120)
            except Exception as e:  # noqa: BLE001  (timeout)
                results.append((variant, opset, "crashed", f"timeout: {e}"))
                continue
            if proc.returncode < 0 or proc.returncode > 128:
                results.append((variant, opset, "crashed", f"exit {proc.returncode}: {proc.stderr[-300:]}"))
                continue
            if proc.returncode != 0:
                lines = proc.stderr.splitlines()
                at = next((i for i, l in enumerate(lines) if "error" in l.lower()), 0)
                msg = " ".join(l.strip() for l in lines[at:at + 2]) if lines else ""
                msg = msg.split(".pb: ", 1)[-1]  # the temporary path says nothing
                results.append((variant, opset, "refused", msg[:300]))
                continue
            try:
                model = check_onnx(out)
                if variant == "graphdef":
                    got = run_onnx(out, feeds)
                    got = [got[n] for n in frozen.outputs]
                else:
                    names = [i.name for i in model.graph.input
                             if i.name not in {t.name for t in model.graph.initializer}]
                    by_key = dict(zip(arrays.keys(), feeds.values()))
                    sm_feeds = {}
                    for n in names:
                        key = n.split(":")[0].replace("serving_default_", "")
                        sm_feeds[n] = by_key.get(key, by_key.get(n))
                    if any(v is None for v in sm_feeds.values()):
                        sm_feeds = dict(zip(names, feeds.values()))
                    got = run_onnx(out, sm_feeds)
                    got = [got[k] for k in sorted(got, key=lambda s: int(s.rsplit("_", 1)[-1].split(":")[0])
                                                  if s.rsplit("_", 1)[-1].split(":")[0].isdigit() else 0)]
            except Exception as e:  # noqa: BLE001
                results.append((variant, opset, "crashed", f"{type(e).__name__}: {str(e)[:300]}"))
                continue
            try:
                compare(case, got, expected)
                results.append((variant, opset, "ok", ""))
            except AssertionError as e:
                results.append((variant, opset, "wrong", str(e).splitlines()[0][:300]))
            except Exception as e:  # noqa: BLE001
                results.append((variant, opset, "wrong", f"{type(e).__name__}: {str(e)[:300]}"))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--opsets", default="17", help="comma-separated opsets (default 17)")
    ap.add_argument("--saved-model", action="store_true", help="also convert the SavedModel subset")
    ap.add_argument("-k", default="", help="only cases whose name contains one of these (comma-separated)")
    ap.add_argument("--json", help="write all results here")
    ap.add_argument("--all", action="store_true", help="list ok cases too")
    args = ap.parse_args()
    binary = oracle_lib.find_binary()
    if binary is None:
        sys.exit("onnxsmith binary not found: bazel build //:onnxsmith or set ONNXSMITH_BIN")
    get_tf()
    import cases  # noqa: E402  (tools/op_sweep/cases.py; imports TF)

    selected = [c for c in cases.ALL_CASES
                if not args.k or any(s in c.name for s in args.k.split(","))]
    opsets = [int(o) for o in args.opsets.split(",")]
    counts = collections.Counter()
    rows = []
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="op_sweep_") as tmp:
        work = pathlib.Path(tmp)
        for case in selected:
            try:
                res = run_case(case, opsets, binary, work, args.saved_model)
            except Exception:  # noqa: BLE001
                res = [("graphdef", 0, "tf_error", traceback.format_exc().splitlines()[-1])]
            for variant, opset, outcome, msg in res:
                counts[outcome] += 1
                rows.append(dict(case=case.name, op=case.op, variant=variant, opset=opset,
                                 outcome=outcome, message=msg))
                if outcome != "ok" or args.all:
                    print(f"{outcome:8s} {case.name:45s} {variant:11s} {opset:3d} {msg}", flush=True)
    ops = {c.op for c in selected}
    print(f"\n{len(selected)} graphs, {len(ops)} API functions, {len(rows)} conversions "
          f"in {time.time() - t0:.0f}s")
    for k in ("ok", "refused", "wrong", "crashed", "tf_error"):
        print(f"  {k:8s} {counts[k]}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
