"""Runs one peer ONNX optimizer the way its CLI does, and prints on the last line a
JSON object with the time of its core call (without Python start-up and imports),
so optimize time can be compared both as a whole process and as the work itself.

    python bench/peer_tool.py onnxsim|onnxoptimizer IN.onnx OUT.onnx
"""
import json
import sys
import time

t_start = time.perf_counter()
import onnx  # noqa: E402


def main():
    tool, src, dst = sys.argv[1:4]
    if tool == "onnxsim":
        import onnxsim
    elif tool == "onnxoptimizer":
        import onnxoptimizer
    else:
        raise SystemExit(f"unknown tool {tool}")
    t_imported = time.perf_counter()
    model = onnx.load(src)
    t_loaded = time.perf_counter()
    if tool == "onnxsim":
        # As `onnxsim IN OUT`: default passes and constant folding, no check runs.
        model, ok = onnxsim.simplify(model)
        if not ok:
            raise SystemExit("onnxsim: check failed")
    else:
        # As `python -m onnxoptimizer IN OUT`: the fuse-and-elimination passes.
        model = onnxoptimizer.optimize(model)
    t_done = time.perf_counter()
    onnx.save(model, dst)
    t_saved = time.perf_counter()
    print(json.dumps({
        "import_s": t_imported - t_start, "load_s": t_loaded - t_imported,
        "core_s": t_done - t_loaded, "save_s": t_saved - t_done,
    }))


if __name__ == "__main__":
    main()
