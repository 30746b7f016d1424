// Parsing the --inputs/--outputs tensor lists: "x:0", "x" (output 0),
// "x:0[1,224,224,3]" with an optional shape override (-1 or ? = unknown);
// checking the --inputs-as-nchw / --outputs-as-nchw lists against the graph.
#ifndef ONNXSMITH_CONVERTER_IO_SPEC_H_
#define ONNXSMITH_CONVERTER_IO_SPEC_H_

#include <functional>
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

// Every entry of an --inputs-as-nchw / --outputs-as-nchw list (`flag`) must
// name one of the graph's inputs / outputs (`what`: "input" / "output"): a
// typo would otherwise silently change nothing. `names` are the graph's
// input / output names, listed in the error; `matches(entry, i)` tells whether
// `entry` names the i-th.
absl::Status CheckNchwList(const std::vector<std::string>& list, const char* flag,
                           const char* what, const std::vector<std::string>& names,
                           const std::function<bool(const std::string&, size_t)>& matches);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_IO_SPEC_H_
