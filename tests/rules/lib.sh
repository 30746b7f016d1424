# Shared by the tests/rules/*_test.sh scripts (sourced, not run).
# They drive Bazel in examples/model_repo, a separate workspace that uses
# onnxsmith through local_repository, so they run outside `bazel test`.
#
# The converter the example's rules run: by default the binary the main
# workspace has just built (ONNXSMITH_BIN, else bazel-bin/onnxsmith), given to
# the rules as a prebuilt repository through the flag
# --@onnxsmith//rules:onnxsmith, so that CI compiles onnxsmith once rather
# than a second time in the example's exec configuration. With
# ONNXSMITH_RULES_FROM_SOURCE=1 the example builds it from source, as a
# user's model repository does by default. A script that never builds the
# example sets uses_example=0 before sourcing this.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
example="$repo/examples/model_repo"
name="$(basename "$0" .sh)"

fail() {
  echo "FAIL $name: $*" >&2
  exit 1
}

pass() {
  echo "PASS $name ($SECONDS s)"
}

# Scratch space of the script, removed on exit (scripts add to the trap with
# on_exit, never replace it).
work="$(mktemp -d)"
_exit_actions=("rm -rf '$work'")
_run_exit_actions() {
  local i
  for (( i = ${#_exit_actions[@]} - 1; i >= 0; i-- )); do eval "${_exit_actions[i]}" || true; done
}
trap _run_exit_actions EXIT
on_exit() { _exit_actions+=("$1"); }

# Writes a repository holding a copy of binary $1 at $2, whose
# //:onnxsmith is what --@onnxsmith//rules:onnxsmith expects (an executable
# target; sh_binary makes a file one). A copy: a rebuild of the main
# workspace during the test must not swap it.
make_prebuilt_repo() {
  local bin="$1" dir="$2"
  mkdir -p "$dir/bin"
  cp "$bin" "$dir/bin/onnxsmith"
  chmod 755 "$dir/bin/onnxsmith"
  echo 'workspace(name = "onnxsmith_bin")' >"$dir/WORKSPACE"
  cat >"$dir/BUILD" <<'BUILD'
# A prebuilt onnxsmith for @onnxsmith//rules (tests/rules/lib.sh).
sh_binary(
    name = "onnxsmith",
    srcs = ["bin/onnxsmith"],
    visibility = ["//visibility:public"],
)
BUILD
}

# Flags that make a workspace's rules use the prebuilt repository at $1.
prebuilt_flags() {
  echo "--override_repository=onnxsmith_bin=$1"
  echo "--@onnxsmith//rules:onnxsmith=@onnxsmith_bin//:onnxsmith"
}

rule_flags=()
if [[ -z "${ONNXSMITH_RULES_FROM_SOURCE:-}" && "${uses_example:-1}" == 1 ]]; then
  prebuilt_bin="${ONNXSMITH_BIN:-$repo/bazel-bin/onnxsmith}"
  [[ -x "$prebuilt_bin" ]] ||
    fail "no onnxsmith binary at $prebuilt_bin: run 'bazel build //:onnxsmith' first, or set ONNXSMITH_BIN, or ONNXSMITH_RULES_FROM_SOURCE=1"
  make_prebuilt_repo "$prebuilt_bin" "$work/prebuilt"
  mapfile -t rule_flags < <(prebuilt_flags "$work/prebuilt")
fi

# bazel in the example workspace (its own server and output base; same
# --disk_cache as the main repo, from its .bazelrc), with rule_flags after
# the command for the commands that take build options.
example_bazel() {
  local cmd="$1"
  shift
  case "$cmd" in
    build | test | aquery | cquery | info | run)
      (cd "$example" && bazel "$cmd" ${rule_flags[@]+"${rule_flags[@]}"} "$@") ;;
    *) (cd "$example" && bazel "$cmd" "$@") ;;
  esac
}

# Number of spawns with mnemonic $2 in the JSON execution log $1.
count_spawns() {
  local n
  n="$(grep -c "\"mnemonic\": \"$2\"" "$1" || true)"
  echo "${n:-0}"
}
