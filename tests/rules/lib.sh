# Shared by the tests/rules/*_test.sh scripts (sourced, not run).
# They drive Bazel in examples/model_repo, a separate workspace that uses
# onnxsmith through local_repository, so they run outside `bazel test`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
example="$repo/examples/model_repo"
name="$(basename "$0" .sh)"

# bazel in the example workspace (its own server and output base; same
# --disk_cache as the main repo, from its .bazelrc).
example_bazel() {
  (cd "$example" && bazel "$@")
}

fail() {
  echo "FAIL $name: $*" >&2
  exit 1
}

pass() {
  echo "PASS $name ($SECONDS s)"
}

# Number of spawns with mnemonic $2 in the JSON execution log $1.
count_spawns() {
  local n
  n="$(grep -c "\"mnemonic\": \"$2\"" "$1" || true)"
  echo "${n:-0}"
}
