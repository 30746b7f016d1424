#!/usr/bin/env bash
# Parallel speed-up of onnxsmith on 1 core vs 2 cores (taskset), for one or two
# binaries (e.g. before/after a change), on the models bench/run.sh built.
#   bench/parallel_speedup.sh [--before BIN] [--after BIN] [--runs N] [--models a,b]
#                             [--work DIR] [--out FILE]
# Needs a previous bench/run.sh (or --reuse-models) run: it reads
# WORK/MODEL/saved_model (convert) and WORK/MODEL/out/tf2onnx.onnx (optimize;
# transformer_tanh's for the transformer, since tf2onnx leaves TF's Erfc in the
# exact-gelu one and the checker refuses it). Prints a markdown table: wall
# time of the whole process, best of N (the machine may be shared: the load
# average is printed too), runs of the configurations interleaved. Also checks
# that --threads 1 and --threads 2 write the same bytes. The report also goes to
# bench/results/parallel-speedup-DATE.md (--out), which bench/report.py includes in
# docs/benchmarks.md ("Parallel speed-up" section).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$HOME/.cache/onnxsmith/bench-work"
runs=3
models="mobilenetv2,resnet50,efficientnetb0,transformer"
before=""
after="$repo/bazel-bin/onnxsmith"
out="$repo/bench/results/parallel-speedup-$(date -u +%Y%m%d-%H%M).md"
command="bench/parallel_speedup.sh $*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --before) before="$2"; shift 2 ;;
    --after) after="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ "$(nproc)" -lt 2 ]]; then echo "needs 2 cores" >&2; exit 1; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Wall time of one run in ms (output discarded; a failure stops the script).
time_ms() {
  local start end
  start=$(date +%s%N)
  "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; echo "failed: $*" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}

# The command line of MODEL's COMMAND (convert|optimize) for binary BIN.
command_for() {
  local bin="$1" model="$2" cmd="$3"
  if [[ "$cmd" == convert ]]; then
    echo "$bin convert --saved-model $work/$model/saved_model --output $tmp/out.onnx --opset 17"
  else
    local src="$model"
    [[ "$model" == transformer ]] && src=transformer_tanh
    echo "$bin optimize $work/$src/out/tf2onnx.onnx $tmp/out.onnx"
  fi
}

bins=()
names=()
if [[ -n "$before" ]]; then bins+=("$before"); names+=("before"); fi
bins+=("$after"); names+=("after")

exec > >(tee "$out")
echo "- Date: $(date -u '+%Y-%m-%d %H:%M') UTC; command \`$command\`; best of $runs runs per cell."
echo "- Machine: $(nproc) cores, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg) at the start."
header="| model | command |"
rule="|---|---|"
for name in "${names[@]}"; do
  header+=" $name 1 core (ms) | $name 2 cores (ms) | $name speed-up |"
  rule+="---:|---:|---:|"
done
echo
echo "$header"
echo "$rule"
IFS=',' read -r -a model_list <<<"$models"
for model in "${model_list[@]}"; do
  for cmd in convert optimize; do
    declare -A best=()
    for ((r = 0; r < runs; ++r)); do
      for i in "${!bins[@]}"; do
        line="$(command_for "${bins[$i]}" "$model" "$cmd")"
        for cores in 0 0,1; do
          # shellcheck disable=SC2086
          ms=$(time_ms taskset -c "$cores" $line)
          key="$i/$cores"
          if [[ -z "${best[$key]:-}" || "$ms" -lt "${best[$key]}" ]]; then best[$key]=$ms; fi
        done
      done
    done
    row="| $model | $cmd |"
    for i in "${!bins[@]}"; do
      one=${best[$i/0]}
      two=${best[$i/0,1]}
      row+=" $one | $two | $(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2fx", a / b }') |"
    done
    echo "$row"
    unset best
  done
done
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo

# Deterministic output: the same bytes with 1 and 2 threads.
for model in "${model_list[@]}"; do
  for cmd in convert optimize; do
    line="$(command_for "$after" "$model" "$cmd")"
    # shellcheck disable=SC2086
    $line --threads 1 >/dev/null 2>&1 && cp "$tmp/out.onnx" "$tmp/t1.onnx"
    # shellcheck disable=SC2086
    $line --threads 2 >/dev/null 2>&1
    if cmp -s "$tmp/t1.onnx" "$tmp/out.onnx"; then
      echo "- $model $cmd: \`--threads 1\` and \`--threads 2\` write identical bytes."
    else
      echo "$model $cmd: OUTPUT DIFFERS between --threads 1 and 2" >&2
      exit 1
    fi
  done
done
