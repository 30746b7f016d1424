#!/usr/bin/env bash
# Fails when docs/support_status.md is not what the registry generates.
set -euo pipefail
gen="$1"
doc="$2"
if ! diff -u "$doc" <("$gen"); then
  echo "docs/support_status.md is stale: run" >&2
  echo "  bazel run //tools/support_status:gen > docs/support_status.md" >&2
  exit 1
fi
