// How many inputs a handler takes, declared when it registers (TF ops and
// Keras layers alike): the converters check a node's or layer call's inputs
// against it before calling the handler, so handlers index their inputs
// without checks of their own.
#ifndef ONNXSMITH_CONVERTER_INPUT_ARITY_H_
#define ONNXSMITH_CONVERTER_INPUT_ARITY_H_

#include <limits>
#include <string>

#include "absl/status/status.h"

namespace onnxsmith::converter {

struct InputArity {
  static constexpr int kUnbounded = std::numeric_limits<int>::max();
  int min = 0;
  int max = 0;
};

constexpr InputArity Inputs(int n) { return {n, n}; }
constexpr InputArity Inputs(int min, int max) { return {min, max}; }
constexpr InputArity InputsAtLeast(int min) { return {min, InputArity::kUnbounded}; }

// "2", "2-3", "1 or more".
std::string DescribeArity(const InputArity& arity);

// OK when `num_inputs` fits; else InvalidArgument "<subject>: expects N
// <noun>s, got M" (subject names the node or layer and its op or class).
absl::Status CheckInputArity(const InputArity& arity, int num_inputs, const std::string& subject,
                             const std::string& noun = "input");

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_INPUT_ARITY_H_
