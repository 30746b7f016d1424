#!/usr/bin/env bash
# Bazel's --workspace_status_command (.bazelrc): prints the commit the binary
# is built from. STABLE_ keys go to bazel-out/stable-status.txt, which only
# stamped actions read (//common:build_info's genrule, under --stamp): a new
# commit re-runs that genrule and relinks what links it, nothing else.
# Outside a git checkout (a source tarball) it prints nothing and the version
# says "unknown".
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 0
commit="$(git rev-parse HEAD 2>/dev/null)" || exit 0
# Uncommitted changes to tracked files: the binary is not exactly that commit.
if ! git diff --quiet HEAD -- 2>/dev/null; then
  commit="${commit}-dirty"
fi
echo "STABLE_GIT_COMMIT ${commit}"
