#!/usr/bin/env bash
# (c) Conversions are cached build actions: a second `bazel build //...` of the
# example with nothing changed runs no OnnxsmithConvert spawn, neither in the
# same Bazel server (in-memory graph) nor after a server restart (on-disk
# action cache). Checked with --execution_log_json_file, which lists every
# spawn Bazel executes or fetches from a cache.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The mnemonic must match real actions, or the check below proves nothing.
actions="$(example_bazel aquery 'mnemonic("OnnxsmithConvert", //...)' --output=text 2>/dev/null |
  grep -c '^action ' || true)"
[ "${actions:-0}" -ge 1 ] || fail "aquery finds no OnnxsmithConvert action in //..."

example_bazel build //... || fail "first build failed"

example_bazel build //... --execution_log_json_file="$work/second.json" 2>"$work/second.err" ||
  { cat "$work/second.err" >&2; fail "second build failed"; }
n="$(count_spawns "$work/second.json" OnnxsmithConvert)"
[ "$n" -eq 0 ] || fail "second build ran $n conversion spawn(s); expected none"
all="$(grep -c '"mnemonic"' "$work/second.json" || true)"
[ "${all:-0}" -eq 0 ] || fail "second build ran ${all} spawn(s); expected none"
grep -E '^INFO: [0-9]+ process' "$work/second.err" | sed 's/^/  same server: /'

example_bazel shutdown
example_bazel build //... --execution_log_json_file="$work/restart.json" 2>"$work/restart.err" ||
  { cat "$work/restart.err" >&2; fail "build after restart failed"; }
n="$(count_spawns "$work/restart.json" OnnxsmithConvert)"
[ "$n" -eq 0 ] || fail "build after a server restart ran $n conversion spawn(s); expected none"
grep -E '^INFO: [0-9]+ process' "$work/restart.err" | sed 's/^/  after restart: /'
echo "$name: $actions conversion action(s) in //..., none re-run"
pass
