#include "common/build_info.h"

namespace onnxsmith {

const char* GitCommit() {
  // A string literal written by the :git_commit genrule.
  static const char kCommit[] =
#include "common/git_commit.inc"
      ;
  return kCommit;
}

}  // namespace onnxsmith
