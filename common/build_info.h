// What `onnxsmith --version` prints besides the release number: the git
// commit the binary was built from, stamped at build time (common/BUILD).
#ifndef ONNXSMITH_COMMON_BUILD_INFO_H_
#define ONNXSMITH_COMMON_BUILD_INFO_H_

namespace onnxsmith {

// The full commit hash ("-dirty" when the tree had uncommitted changes), or
// "unknown" when not built with --stamp or not from a git checkout.
const char* GitCommit();

}  // namespace onnxsmith

#endif  // ONNXSMITH_COMMON_BUILD_INFO_H_
