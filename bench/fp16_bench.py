"""onnxsmith --precision fp16 against the float32 conversion of the same Keras models.

Per model (keras.applications, random weights, 224x224, batch 1): file size of the float32 and
float16 ONNX files, the float16 model's error against the float32 one in ONNX Runtime on random
inputs (SQNR over all outputs, max abs error relative to the output's scale), the SQNR that
onnxsmith's own check reports (reference evaluator), Casts inserted, and ONNX Runtime CPU latency
at 1 thread (median of rounds, measured in alternation). Writes the "fp16" section of
docs/benchmarks.md (bench/doc_sections.py: other sections are left alone) and the raw numbers to
bench/results/fp16-DATE.json.

    $VENV/bin/python bench/fp16_bench.py [--models mobilenetv2,resnet50] [--bin bazel-bin/onnxsmith]
        [--work /tmp/fp16bench] [--doc docs/benchmarks.md]
    $VENV/bin/python bench/fp16_bench.py --render bench/results/fp16-DATE.json
"""
import argparse
import datetime
import json
import os
import pathlib
import subprocess
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

import doc_sections  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
MODELS = {"mobilenetv2": "MobileNetV2", "resnet50": "ResNet50"}


def build(name, work):
    path = work / f"{name}.keras"
    if not path.exists():
        import keras

        keras.utils.set_random_seed(0)
        model = getattr(keras.applications, MODELS[name])(weights=None, input_shape=(224, 224, 3),
                                                       classifier_activation=None)
        model.save(str(path))
    return path


def session(path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def bench(name, binary, work):
    src = build(name, work)
    fp32, fp16, report = work / f"{name}.onnx", work / f"{name}.fp16.onnx", work / f"{name}.json"
    subprocess.run([binary, "convert", "--keras", src, "--output", fp32], check=True,
                   capture_output=True)
    subprocess.run([binary, "convert", "--keras", src, "--output", fp16, "--precision", "fp16",
                    "--report", report], check=True, capture_output=True)
    r = json.loads(report.read_text())
    s32, s16 = session(fp32), session(fp16)
    inp = s32.get_inputs()[0].name
    rng = np.random.default_rng(0)
    signal = noise = 0.0
    worst = 0.0
    for _ in range(8):
        x = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
        a = s32.run(None, {inp: x})[0].astype(np.float64)
        b = s16.run(None, {inp: x})[0].astype(np.float64)
        signal += float((a * a).sum())
        noise += float(((a - b) ** 2).sum())
        worst = max(worst, float(np.abs(a - b).max() / max(1e-12, np.abs(a).max())))
    x = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    times = {"fp32": [], "fp16": []}
    for _ in range(5):
        for key, s in (("fp32", s32), ("fp16", s16)):
            runs = []
            for _ in range(5):
                t = time.perf_counter()
                s.run(None, {inp: x})
                runs.append((time.perf_counter() - t) * 1000)
            times[key].append(min(runs))
    return {
        "model": name, "bytes_fp32": fp32.stat().st_size, "bytes_fp16": fp16.stat().st_size,
        "sqnr_ort": 10 * np.log10(signal / noise) if noise > 0 else 999.0, "max_rel_err": worst,
        "sqnr_check": r["check"]["outputs"][0]["sqnr_db"], "casts": r["casts_inserted"],
        "kept": r["nodes_kept_fp32"], "ms_fp32": float(np.median(times["fp32"])),
        "ms_fp16": float(np.median(times["fp16"])),
    }


def render(res):
    rows, env = res["models"], res["env"]
    lines = ["## FP16 (`--precision fp16`)", "",
             f"Binary: {env['version']}; {env['build']}. {res['date']}, {env['cpu']}, {env['cores']} cores, load "
             f"average {env['loadavg_start'][0]:.1f} (shared machine). Raw data: [`{res['json']}`](../{res['json']}). "
             "keras.applications with random weights, 224x224, batch 1, logits (no softmax); error of the float16 model "
             "against the float32 one in ONNX Runtime on 8 random inputs (SQNR; max abs error over "
             "the output's max); \"check\" is the SQNR onnxsmith's own report gives (reference "
             "evaluator, 4 random inputs); ORT CPU latency at 1 thread. ORT's CPU provider computes "
             "most float16 ops in float32 behind Casts it inserts, so float16 halves the file, not "
             "the CPU time. The reference evaluator rounds every op's result to float16, as float16 "
             "hardware does: untrained MobileNetV2's logits are ~1e-11, below float16's smallest "
             "subnormal (6e-8), so there its check gets zeros (SQNR 0 dB) where ORT, which keeps "
             "float32 between the ops it computes in float32, does not.", "",
             "| model | size fp32 | size fp16 | ratio | SQNR (ORT) | max rel err | SQNR (check) "
             "| Casts | kept fp32 | ORT ms fp32 | ORT ms fp16 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['bytes_fp32'] / 1e6:.1f} MB | {r['bytes_fp16'] / 1e6:.1f} MB | "
            f"{r['bytes_fp16'] / r['bytes_fp32']:.3f} | {r['sqnr_ort']:.1f} dB | "
            f"{r['max_rel_err']:.2e} | {r['sqnr_check']:.1f} dB | {r['casts']} | {r['kept']} | "
            f"{r['ms_fp32']:.1f} | {r['ms_fp16']:.1f} |")
    return lines


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--bin", default=str(REPO / "bazel-bin" / "onnxsmith"))
    p.add_argument("--work", default="/tmp/fp16bench")
    p.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"), help="'' for none")
    p.add_argument("--render", default=None, metavar="JSON")
    a = p.parse_args()
    if a.render:
        doc_sections.rerender(a.render, render, a.doc, "fp16", "bench/fp16_bench.py")
        return
    started = datetime.datetime.now(datetime.timezone.utc)
    work = pathlib.Path(a.work)
    binary = doc_sections.private_binary(a.bin, work, "onnxsmith_fp16")
    env = doc_sections.machine_env(binary)
    rows = [bench(m, binary, work) for m in a.models.split(",")]
    env["loadavg_end"] = os.getloadavg()
    json_rel = f"bench/results/fp16-{started.strftime('%Y%m%d-%H%M')}.json"
    res = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "env": env, "models": rows, "json": json_rel}
    doc_sections.publish(res, json_rel, render, a.doc, "fp16", "bench/fp16_bench.py")


if __name__ == "__main__":
    main()
