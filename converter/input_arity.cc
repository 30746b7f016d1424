#include "converter/input_arity.h"

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

std::string DescribeArity(const InputArity& arity) {
  if (arity.max == InputArity::kUnbounded) return absl::StrCat(arity.min, " or more");
  if (arity.min == arity.max) return absl::StrCat(arity.min);
  return absl::StrCat(arity.min, "-", arity.max);
}

absl::Status CheckInputArity(const InputArity& arity, int num_inputs, const std::string& subject,
                             const std::string& noun) {
  if (num_inputs >= arity.min && num_inputs <= arity.max) return absl::OkStatus();
  const bool one = arity.min == 1 && arity.max == 1;
  return absl::InvalidArgumentError(absl::StrCat(subject, ": expects ", DescribeArity(arity), " ",
                                                 noun, one ? "" : "s", ", got ", num_inputs));
}

}  // namespace onnxsmith::converter
