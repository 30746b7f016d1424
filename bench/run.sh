#!/usr/bin/env bash
# One command for the whole benchmark: makes the bench venv (once), builds onnxsmith,
# runs every model and writes docs/benchmarks.md and bench/results/bench-DATE.json.
#   bench/run.sh                      full run (see bench/README.md for how long)
#   bench/run.sh --quick              one run per tool, 10 ORT runs: a smoke test
#   bench/run.sh --models resnet50    a subset; all flags: bench/run.sh --help
# ONNXSMITH_BIN=path/to/onnxsmith bench/run.sh ...   benchmarks that binary, no build.
# The binary is the release build users get (-c opt: -O2, no assertions; the
# report's header says which build it measured).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$("$repo/bench/setup_venv.sh")"
bin="${ONNXSMITH_BIN:-}"
if [[ -z "$bin" ]]; then
  (cd "$repo" && bazel build -c opt //:onnxsmith >&2)
  bin="$(cd "$repo" && bazel info -c opt bazel-bin 2>/dev/null)/onnxsmith"
fi
export BENCH_COMMAND="bench/run.sh $*"
exec "$venv/bin/python" "$repo/bench/run_bench.py" --onnxsmith "$bin" "$@"
