#!/usr/bin/env bash
# Fails when a checked-in generated doc is not what its generator prints.
#   check_generated_doc.sh GENERATOR DOC GENERATOR_TARGET
set -euo pipefail
gen="$1"
doc="$2"
target="$3"
if ! diff -u "$doc" <("$gen"); then
  echo "$(basename "$doc") is stale: run" >&2
  echo "  bazel run $target > docs/$(basename "$doc")" >&2
  exit 1
fi
