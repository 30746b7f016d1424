#include "converter/tf/rank_limit.h"

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

absl::Status CheckTfRank(int64_t rank, absl::string_view what) {
  if (rank <= kMaxTfRank) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": rank ", rank, " above the limit of ", kMaxTfRank));
}

}  // namespace onnxsmith::converter
