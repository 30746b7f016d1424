// Matching helpers shared by the pattern fusions (see pattern_util.h).
#include "optimizer/pattern_util.h"

#include <cmath>

#include "absl/container/flat_hash_set.h"

namespace onnxsmith::optimizer::pattern {

bool IsNormFloat(ir::DataType t) {
  return t == ir::DataType::kFloat || t == ir::DataType::kDouble || t == ir::DataType::kFloat16 ||
         t == ir::DataType::kBfloat16;
}

// Relative tolerance for recognizing a constant such as 1/sqrt(2): the
// constant's own rounding in the model's float type, with headroom.
double ConstTolerance(ir::DataType t) {
  if (t == ir::DataType::kFloat16) return 2e-3;
  if (t == ir::DataType::kBfloat16) return 8e-3;
  return 1e-5;
}

bool Near(double v, double want, double rel) { return std::fabs(v - want) <= rel * std::fabs(want); }

// Producer of `v` when it is an ai.onnx `op` with one output.
ir::Node* ProducerOp(const GraphEditor& ed, const std::string& v, const std::string& op) {
  ir::Node* p = ed.Producer(v);
  if (!p || p->op_type != op || !IsOnnxDomain(*p) || p->outputs.size() != 1) return nullptr;
  return p;
}

// Value of a one-element constant (initializer) of a float type.
std::optional<double> ScalarConst(const GraphEditor& ed, const std::string& v) {
  const ir::Tensor* t = ed.Constant(v);
  if (!t || t->num_elements() != 1 || !ir::IsFloating(t->dtype())) return std::nullopt;
  auto d = t->ToDoubles();
  if (!d.ok() || d->size() != 1) return std::nullopt;
  return (*d)[0];
}

// The operand of binary `n` that is not `v` ("" when `v` is not an operand).
std::string OtherOperand(const ir::Node& n, const std::string& v) {
  if (n.inputs.size() != 2) return "";
  if (n.inputs[0] == v) return n.inputs[1];
  if (n.inputs[1] == v) return n.inputs[0];
  return "";
}

// The reader of `v` that is an ai.onnx binary `op` with `v` as an operand
// (and, when `other` is given, that one as the other operand).
ir::Node* ConsumerOp(const GraphEditor& ed, const std::string& v, const std::string& op,
                     const std::string& other) {
  for (ir::Node* c : ed.Consumers(v)) {
    if (c->op_type != op || !IsOnnxDomain(*c) || c->outputs.size() != 1) continue;
    if (!other.empty() && OtherOperand(*c, v) != other) continue;
    return c;
  }
  return nullptr;
}

// Every output of `nodes` but `result` is read only by `nodes` (and is no
// graph output or subgraph read), and no node appears twice.
bool SelfContained(const GraphEditor& ed, const std::vector<ir::Node*>& nodes,
                   const std::string& result) {
  absl::flat_hash_set<const ir::Node*> set(nodes.begin(), nodes.end());
  if (set.size() != nodes.size()) return false;
  for (const ir::Node* n : nodes) {
    if (ed.IsRemoved(n)) return false;
    for (const std::string& out : n->outputs) {
      if (out.empty() || out == result) continue;
      if (ed.IsGraphOutput(out) || ed.HasImplicitUses(out)) return false;
      const auto& readers = ed.Consumers(out);
      for (const ir::Node* r : readers) {
        if (!set.count(r)) return false;
      }
      if (ed.NumUses(out) != readers.size()) return false;
    }
  }
  return true;
}

}  // namespace onnxsmith::optimizer::pattern
