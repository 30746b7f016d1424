#include "converter/emit/vector_math.h"

#include <string>
#include <vector>

namespace onnxsmith::converter {
namespace {

// `x` with its last axis permuted by `order` (a Gather of 3 indices).
std::string Rotate(OnnxEmitter& e, const std::string& x, const std::vector<int64_t>& order) {
  return e.AddNode("Gather", {x, e.ConstInt64s(order, "order")}, {ir::Attribute::Int("axis", -1)});
}

}  // namespace

std::string EmitCross3(OnnxEmitter& e, const std::string& a, const std::string& b) {
  const std::string lhs = e.AddNode("Mul", {Rotate(e, a, {1, 2, 0}), Rotate(e, b, {2, 0, 1})});
  const std::string rhs = e.AddNode("Mul", {Rotate(e, a, {2, 0, 1}), Rotate(e, b, {1, 2, 0})});
  return e.AddNode("Sub", {lhs, rhs});
}

std::string EmitCountBelow(OnnxEmitter& e, const std::string& sorted, const std::string& values,
                           int64_t axis, bool upper) {
  const std::string below = e.AddNode(upper ? "LessOrEqual" : "Less", {sorted, values});
  return e.Reduce("ReduceSum", e.Cast(below, ir::DataType::kInt64), {axis}, false);
}

}  // namespace onnxsmith::converter
