// Helpers of optimize_transposes; see transpose_util.h.
#include "optimizer/transpose_util.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

const std::vector<std::string>& UnaryOpList() {
  static const auto* list = new std::vector<std::string>{
      "Relu", "LeakyRelu",  "Sigmoid",  "Tanh",        "Elu",       "Selu",
      "Celu", "Clip",       "Abs",      "Neg",         "Exp",       "Log",
      "Sqrt", "Reciprocal", "Floor",    "Ceil",        "Round",     "Sign",
      "Erf",  "Softplus",   "Softsign", "HardSigmoid", "HardSwish", "ThresholdedRelu",
      "Mish", "Gelu",       "Cast",     "Not",         "IsNaN",     "IsInf",
      "Sin",  "Cos",        "Tan",      "Asin",        "Acos",      "Atan",
      "Sinh", "Cosh",       "Asinh",    "Acosh",       "Atanh",     "BitwiseNot"};
  return *list;
}

bool IsUnaryElementwise(const std::string& op) {
  static const auto* ops =
      new absl::flat_hash_set<std::string>(UnaryOpList().begin(), UnaryOpList().end());
  return ops->count(op) > 0;
}

const std::vector<std::string>& BroadcastOpList() {
  static const auto* list = new std::vector<std::string>{
      "Add",         "Sub",        "Mul",       "Div",       "Pow",
      "Max",         "Min",        "Sum",       "Mean",      "PRelu",
      "Where",       "Equal",      "Greater",   "Less",      "GreaterOrEqual",
      "LessOrEqual", "And",        "Or",        "Xor",       "Mod",
      "BitShift",    "BitwiseAnd", "BitwiseOr", "BitwiseXor"};
  return *list;
}

const std::vector<std::string>& ReduceOpList() {
  static const auto* list = new std::vector<std::string>{
      "ReduceSum", "ReduceMean", "ReduceMax",    "ReduceMin",       "ReduceProd",
      "ReduceL1",  "ReduceL2",   "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  return *list;
}

const ir::Node* ExclusiveTranspose(const GraphEditor& ed, const ir::Node& consumer,
                                   const std::string& value) {
  if (value.empty()) return nullptr;
  const ir::Node* p = ed.Producer(value);
  if (!p || p->op_type != "Transpose" || !IsOnnxDomain(*p) || p->inputs.empty()) return nullptr;
  if (!ed.OnlyUsedBy(value, &consumer)) return nullptr;
  if (!TransposePerm(ed, *p)) return nullptr;
  return p;
}

void TransposeOutput(GraphEditor& ed, ir::Node& n, const std::vector<int64_t>& perm,
                     size_t index) {
  const std::string y = n.outputs[index];
  const std::string y2 = ed.NewValueName(absl::StrCat(y, "__untransposed"));
  auto type = ed.TypeOf(y);
  ed.SetOutput(&n, index, y2);
  if (auto t = PermuteType(type, InversePerm(perm))) ed.SetType(y2, *t);
  ir::Node t;
  t.name = ed.NewNodeName(absl::StrCat(n.name, "/transpose_out"));
  t.op_type = "Transpose";
  t.inputs = {y2};
  t.outputs = {y};
  t.attributes.push_back(ir::Attribute::Ints("perm", perm));
  ed.AddNode(std::move(t));
}

bool ConstantUsable(GraphEditor& ed, const std::string& v) {
  if (ed.DataTypeOf(v) == ir::DataType::kString) return false;
  return ConstantDims(ed, v).has_value();
}

// Constant operand `v` of a broadcasting op whose transposed operands are
// replaced by their untransposed inputs: returns the operand to use in the
// untransposed layout ("" on failure).
std::string UntransposeBroadcastConstant(GraphEditor& ed, const std::string& v,
                                         const std::vector<int64_t>& perm) {
  auto dims = ConstantDims(ed, v);
  if (!dims) return "";
  const size_t rank = perm.size();
  if (dims->size() > rank) return "";
  if (std::all_of(dims->begin(), dims->end(), [](int64_t d) { return d == 1; })) return v;
  std::vector<int64_t> padded(rank - dims->size(), 1);
  padded.insert(padded.end(), dims->begin(), dims->end());
  const std::vector<int64_t> inv = InversePerm(perm);
  std::vector<int64_t> target = PermuteDims(padded, inv);
  // Does any non-1 dim change its relative order? If not, a reshape will do.
  std::vector<int64_t> order;
  for (size_t i = 0; i < rank; ++i) {
    if (target[i] != 1) order.push_back(inv[i]);
  }
  const std::string base = absl::StrCat(v, "__untransposed");
  if (std::is_sorted(order.begin(), order.end())) {
    size_t lead = 0;
    while (lead + 1 < target.size() && target[lead] == 1) ++lead;
    std::vector<int64_t> stripped(target.begin() + lead, target.end());
    return ReshapedConstant(ed, v, stripped, base);
  }
  std::string p = ReshapedConstant(ed, v, padded, base);
  if (p.empty()) return "";
  return TransposedConstant(ed, p, inv, base);
}

}  // namespace onnxsmith::optimizer
