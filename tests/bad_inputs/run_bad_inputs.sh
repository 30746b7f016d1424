#!/usr/bin/env bash
# Runs the onnxsmith CLI on every case of MANIFEST.tsv and checks that each
# fails cleanly: exit code 1 (not a signal, not a timeout), the expected text
# in the error, "error:" on stderr, and nothing written (the output directory
# stays empty: no output file, no temp file), within a time bound (timeout)
# and a memory bound (ulimit -v; skipped for ASan builds, which reserve
# terabytes of address space for shadow memory).
#
#   tests/bad_inputs/run_bad_inputs.sh [path/to/onnxsmith]   (default bazel-bin/onnxsmith)
#
# MANIFEST.tsv: FILE<TAB>COMMAND<TAB>EXPECTED, FILE relative to this folder,
# COMMAND the CLI arguments with IN (the file) and OUT (a path in an empty
# directory), EXPECTED a substring of stderr. Lines starting with # are comments.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:-bazel-bin/onnxsmith}"
[[ -x "$bin" ]] || { echo "no onnxsmith binary at $bin" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
time_limit="${BAD_INPUT_TIMEOUT:-60}"     # seconds per case
mem_limit_kb="${BAD_INPUT_MEM_KB:-3145728}"  # 3 GiB of address space per case
asan=0
grep -q __asan_init "$bin" 2>/dev/null && asan=1

work="${TEST_TMPDIR:-$(mktemp -d)}/bad_inputs"
mkdir -p "$work"
pass=0 fail=0 n=0
while IFS=$'\t' read -r file command expected; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  n=$((n + 1))
  out_dir="$work/case$n"
  rm -rf "$out_dir" && mkdir -p "$out_dir"
  in="$here/$file"
  if [[ ! -e "$in" ]]; then
    echo "FAIL $file: missing from tests/bad_inputs" >&2; fail=$((fail + 1)); continue
  fi
  read -r -a args <<<"$command"
  for i in "${!args[@]}"; do
    args[$i]="${args[$i]//IN/$in}"
    args[$i]="${args[$i]//OUT/$out_dir/out.onnx}"
  done
  start=$EPOCHREALTIME
  (
    (( asan )) || ulimit -v "$mem_limit_kb"
    exec timeout -s KILL "$time_limit" "$bin" "${args[@]}"
  ) >"$work/stdout" 2>"$work/stderr"
  rc=$?
  secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
  problems=()
  if (( rc == 137 )); then problems+=("killed: over the ${time_limit}s time bound")
  elif (( rc > 128 )); then problems+=("killed by signal $((rc - 128))")
  elif (( rc != 1 )); then problems+=("exit code $rc, expected 1")
  fi
  grep -q "error:" "$work/stderr" || problems+=("no 'error:' on stderr")
  grep -qF -- "$expected" "$work/stderr" || problems+=("stderr lacks '$expected'")
  left="$(ls -A "$out_dir")"
  [[ -z "$left" ]] && [[ "${args[*]}" != *"$out_dir"* || ! -e "$out_dir/out.onnx" ]] || problems+=("left files: $left")
  if (( ${#problems[@]} )); then
    fail=$((fail + 1))
    echo "FAIL $file (${secs}s): ${problems[*]}" >&2
    echo "  command: onnxsmith ${args[*]}" >&2
    sed 's/^/  stderr: /' "$work/stderr" | tail -5 >&2
  else
    pass=$((pass + 1))
    printf 'ok   %-55s %5.2fs\n' "$file" "$secs"
  fi
done <"$here/MANIFEST.tsv"
echo "$pass passed, $fail failed (of $n cases)"
(( n > 0 && fail == 0 ))
