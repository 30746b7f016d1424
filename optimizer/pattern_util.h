// Small matching helpers shared by the pattern fusions (norm_fusion.cc,
// gelu_fusion.cc): producers/consumers of a given op, scalar constants, and
// the check that a matched subgraph's intermediates are read by it alone.
#ifndef ONNXSMITH_OPTIMIZER_PATTERN_UTIL_H_
#define ONNXSMITH_OPTIMIZER_PATTERN_UTIL_H_

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer::pattern {

// float, double, float16, bfloat16: the types LayerNormalization/Gelu take.
bool IsNormFloat(ir::DataType t);
// Relative tolerance for recognizing a constant such as 1/sqrt(2): the
// constant's own rounding in the model's float type, with headroom.
double ConstTolerance(ir::DataType t);
bool Near(double v, double want, double rel);
// Producer of `v` when it is an ai.onnx `op` with one output.
ir::Node* ProducerOp(const GraphEditor& ed, const std::string& v, const std::string& op);
// Value of a one-element constant (initializer) of a float type.
std::optional<double> ScalarConst(const GraphEditor& ed, const std::string& v);
// The operand of binary `n` that is not `v` ("" when `v` is not an operand).
std::string OtherOperand(const ir::Node& n, const std::string& v);
// The reader of `v` that is an ai.onnx binary `op` with `v` as an operand
// (and, when `other` is given, that one as the other operand).
ir::Node* ConsumerOp(const GraphEditor& ed, const std::string& v, const std::string& op,
                     const std::string& other = "");
// Every output of `nodes` but `result` is read only by `nodes` (and is no
// graph output or subgraph read), and no node appears twice.
bool SelfContained(const GraphEditor& ed, const std::vector<ir::Node*>& nodes,
                   const std::string& result);

}  // namespace onnxsmith::optimizer::pattern

#endif  // ONNXSMITH_OPTIMIZER_PATTERN_UTIL_H_
