#!/usr/bin/env bash
# (e) A team shares conversions through a Bazel remote cache: two clones of
# the example model repository in different folders, each built with a fresh
# output base and no disk cache against one HTTP cache (nginx on loopback,
# tests/rules/http_cache.sh). The first clone converts every model and uploads
# the results; the second must execute no conversion: every OnnxsmithConvert
# spawn in its execution log is a remote cache hit. This also proves the
# conversion's cache key holds no absolute path or other host state of the
# folder it was built in (docs/remote_cache.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/http_cache.sh"

start_http_cache "$work/cache" || fail "the HTTP cache did not start"
on_exit stop_http_cache

# The same model repository in two folders. Its WORKSPACE finds onnxsmith at
# ../..: from a copy, it is given with --override_repository instead.
for clone in a b; do
  mkdir -p "$work/$clone"
  cp -r "$example" "$work/$clone/model_repo"
  rm -f "$work/$clone"/model_repo/bazel-*
done

# $1: clone; the rest: bazel arguments after `build`. An output base of its
# own in the scratch folder (so nothing carries over between the two), no
# disk cache, and the one remote cache.
clone_bazel() {
  local clone="$1"
  shift
  (cd "$work/$clone/model_repo" &&
    bazel --output_base="$work/ob-$clone" build ${rule_flags[@]+"${rule_flags[@]}"} \
      --override_repository=onnxsmith="$repo" \
      --disk_cache= --remote_cache="$http_cache_url" --remote_upload_local_results \
      "$@")
}
on_exit "(cd '$work/a/model_repo' && bazel --output_base='$work/ob-a' shutdown) 2>/dev/null"
on_exit "(cd '$work/b/model_repo' && bazel --output_base='$work/ob-b' shutdown) 2>/dev/null"

# [executed, remote cache hits] of the OnnxsmithConvert spawns in log $1.
convert_spawns() {
  python3 - "$1" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
# The log is a stream of JSON objects, one per spawn.
decoder, pos, spawns = json.JSONDecoder(), 0, []
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    obj, pos = decoder.raw_decode(text, pos)
    spawns.append(obj)
conv = [s for s in spawns if s.get("mnemonic") == "OnnxsmithConvert"]
hits = sum(1 for s in conv if s.get("remoteCacheHit"))
print(len(conv) - hits, hits)
PY
}

expected="$(cd "$work/a/model_repo" && bazel --output_base="$work/ob-a" aquery ${rule_flags[@]+"${rule_flags[@]}"} \
  --override_repository=onnxsmith="$repo" 'mnemonic("OnnxsmithConvert", //...)' --output=text 2>/dev/null |
  grep -c '^action ' || true)"
[ "${expected:-0}" -ge 1 ] || fail "aquery finds no OnnxsmithConvert action in the clone"

clone_bazel a //... --execution_log_json_file="$work/a.json" 2>"$work/a.err" ||
  { cat "$work/a.err" >&2; fail "build of the first clone failed"; }
read -r executed hits <<<"$(convert_spawns "$work/a.json")"
[ "$executed" -eq "$expected" ] && [ "$hits" -eq 0 ] ||
  fail "first clone: $executed conversion(s) executed, $hits cache hit(s); expected $expected executed (empty cache)"
stored="$(find "$work/cache/store/ac" -type f 2>/dev/null | wc -l)"
[ "$stored" -ge "$expected" ] || fail "the cache holds $stored action result(s) after the first build; expected >= $expected"
grep -E '^INFO: [0-9]+ process' "$work/a.err" | sed 's/^/  first clone: /'

clone_bazel b //... --execution_log_json_file="$work/b.json" 2>"$work/b.err" ||
  { cat "$work/b.err" >&2; fail "build of the second clone failed"; }
read -r executed hits <<<"$(convert_spawns "$work/b.json")"
[ "$executed" -eq 0 ] ||
  fail "second clone executed $executed conversion(s) (cache hits: $hits): their cache keys differ between folders"
[ "$hits" -eq "$expected" ] || fail "second clone: $hits conversion cache hit(s); expected $expected"
grep -E '^INFO: [0-9]+ process' "$work/b.err" | sed 's/^/  second clone: /'
[ -n "$(find "$work/ob-b/execroot/model_repo/bazel-out" -name small_cnn.onnx -size +0)" ] ||
  fail "second clone: no small_cnn.onnx downloaded"
echo "$name: $expected conversion(s) run once in $work/a, all $hits taken from the remote cache in $work/b"
pass
