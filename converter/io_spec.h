// Parsing the --inputs/--outputs tensor lists: "x:0", "x" (output 0),
// "x:0[1,224,224,3]" with an optional shape override (-1 or ? = unknown).
#ifndef ONNXSMITH_CONVERTER_IO_SPEC_H_
#define ONNXSMITH_CONVERTER_IO_SPEC_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onnxsmith::converter {

struct TensorSpec {
  std::string node;    // TF node name
  int output = 0;      // output index
  std::optional<std::vector<int64_t>> shape;
  std::string tensor_name() const { return node + ":" + std::to_string(output); }
};

// Largest rank and dimension accepted in a shape override.
inline constexpr int kMaxSpecRank = 32;
inline constexpr int64_t kMaxSpecDim = int64_t{1} << 32;

absl::StatusOr<TensorSpec> ParseTensorSpec(const std::string& text);
// A comma-separated list; commas inside [...] belong to the shape.
absl::StatusOr<std::vector<TensorSpec>> ParseTensorSpecList(const std::string& text);
// Splits a comma-separated list at the top level (outside brackets).
std::vector<std::string> SplitTopLevel(const std::string& text);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_IO_SPEC_H_
