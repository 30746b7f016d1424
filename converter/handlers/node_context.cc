#include "converter/handlers/node_context.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "converter/graph_builder.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::converter {

NodeContext::NodeContext(const tf::NodeDef& node, std::vector<std::string> inputs, int opset,
                         GraphBuilder* builder)
    : node_(node), inputs_(std::move(inputs)), opset_(opset), builder_(builder) {}

const std::string& NodeContext::input(int i) const {
  static const std::string* const kNone = new std::string();
  if (i < 0 || i >= num_inputs()) {
    missing_inputs_ = std::max(missing_inputs_, i + 1 - num_inputs());
    return *kNone;
  }
  return inputs_[i];
}

ir::ValueType NodeContext::input_type(int i) const {
  if (i < 0 || i >= num_inputs()) return {};
  return builder_->TypeOf(inputs_[i]);
}

std::optional<std::vector<int64_t>> NodeContext::input_dims(int i) const {
  ir::ValueType t = input_type(i);
  if (!t.shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const ir::Dim& d : *t.shape) dims.push_back(d.known() ? d.size : -1);
  return dims;
}

const ir::Tensor* NodeContext::const_input(int i) const {
  if (i < 0 || i >= num_inputs()) return nullptr;
  return builder_->FindConst(inputs_[i]);
}

absl::StatusOr<std::vector<int64_t>> NodeContext::const_ints(int i) const {
  if (i >= num_inputs()) return Error(absl::StrCat("expects at least ", i + 1, " inputs"));
  const ir::Tensor* t = const_input(i);
  if (t == nullptr) {
    return Unsupported(absl::StrCat("input ", i, " ('", inputs_[i],
                                    "') is computed at run time; only a constant is supported"));
  }
  auto ints = t->ToInt64s();
  if (!ints.ok()) return Error(absl::StrCat("input ", i, ": ", ints.status().message()));
  return ints;
}

bool NodeContext::has_attr(const std::string& name) const { return node_.attr().count(name) > 0; }

absl::StatusOr<int64_t> NodeContext::attr_int(const std::string& name) const {
  auto it = node_.attr().find(name);
  if (it == node_.attr().end() || it->second.value_case() != tf::AttrValue::kI) {
    return Error(absl::StrCat("missing integer attribute '", name, "'"));
  }
  return it->second.i();
}

int64_t NodeContext::attr_int(const std::string& name, int64_t default_value) const {
  auto it = node_.attr().find(name);
  return it != node_.attr().end() && it->second.value_case() == tf::AttrValue::kI
             ? it->second.i()
             : default_value;
}

float NodeContext::attr_float(const std::string& name, float default_value) const {
  auto it = node_.attr().find(name);
  return it != node_.attr().end() && it->second.value_case() == tf::AttrValue::kF
             ? it->second.f()
             : default_value;
}

bool NodeContext::attr_bool(const std::string& name, bool default_value) const {
  auto it = node_.attr().find(name);
  return it != node_.attr().end() && it->second.value_case() == tf::AttrValue::kB
             ? it->second.b()
             : default_value;
}

std::string NodeContext::attr_string(const std::string& name,
                                     const std::string& default_value) const {
  auto it = node_.attr().find(name);
  return it != node_.attr().end() && it->second.value_case() == tf::AttrValue::kS
             ? it->second.s()
             : default_value;
}

std::vector<int64_t> NodeContext::attr_ints(const std::string& name) const {
  auto it = node_.attr().find(name);
  if (it == node_.attr().end() || !it->second.has_list()) return {};
  return {it->second.list().i().begin(), it->second.list().i().end()};
}

absl::StatusOr<ir::DataType> NodeContext::attr_type(const std::string& name) const {
  auto it = node_.attr().find(name);
  if (it == node_.attr().end() || it->second.value_case() != tf::AttrValue::kType) {
    return Error(absl::StrCat("missing type attribute '", name, "'"));
  }
  auto t = ToOnnxType(it->second.type());
  if (!t.ok()) return Unsupported(std::string(t.status().message()));
  return t;
}

std::vector<std::string> NodeContext::AddNodeMulti(const std::string& op_type,
                                                   std::vector<std::string> inputs,
                                                   int num_outputs,
                                                   std::vector<ir::Attribute> attrs,
                                                   const std::string& domain) {
  return builder_->AddNode(absl::StrCat(node_.name(), "/", op_type), op_type, domain,
                           std::move(inputs), num_outputs, std::move(attrs));
}

std::string NodeContext::AddNode(const std::string& op_type, std::vector<std::string> inputs,
                                 std::vector<ir::Attribute> attrs) {
  return AddNodeMulti(op_type, std::move(inputs), 1, std::move(attrs))[0];
}

std::string NodeContext::AddConst(ir::Tensor value, const std::string& hint) {
  return builder_->AddConst(std::move(value), absl::StrCat(node_.name(), "/", hint));
}

std::string NodeContext::ConstInt64s(const std::vector<int64_t>& values, const std::string& hint) {
  return AddConst(ir::Tensor::Vector1D<int64_t>(values), hint);
}

std::string NodeContext::ConstScalar(ir::DataType dtype, double value, const std::string& hint) {
  auto t = ir::Tensor::Scalar<double>(value).CastTo(dtype);
  // Every numeric type casts from double; fall back to float for the rest.
  return AddConst(t.ok() ? *t : ir::Tensor::Scalar<float>(static_cast<float>(value)), hint);
}

void NodeContext::SetOutput(int k, const std::string& value) {
  builder_->BindTfOutput(absl::StrCat(node_.name(), ":", k), value);
}

void NodeContext::SetType(const std::string& value, ir::ValueType type) {
  builder_->SetType(value, std::move(type));
}

absl::Status NodeContext::Error(const std::string& message) const {
  return absl::InvalidArgumentError(
      absl::StrCat("node '", node_.name(), "' (", node_.op(), "): ", message));
}

absl::Status NodeContext::Unsupported(const std::string& what) const {
  return absl::UnimplementedError(
      absl::StrCat("node '", node_.name(), "' (", node_.op(), "): unsupported: ", what));
}

std::string NodeContext::Transpose(const std::string& x, const std::vector<int64_t>& perm) {
  return AddNode("Transpose", {x}, {ir::Attribute::Ints("perm", perm)});
}

std::string NodeContext::Unsqueeze(const std::string& x, const std::vector<int64_t>& axes) {
  // Axes became an input at opset 13, which is our floor.
  return AddNode("Unsqueeze", {x, ConstInt64s(axes, "axes")});
}

std::string NodeContext::Squeeze(const std::string& x, const std::vector<int64_t>& axes) {
  if (axes.empty()) return AddNode("Squeeze", {x});
  return AddNode("Squeeze", {x, ConstInt64s(axes, "axes")});
}

std::string NodeContext::Cast(const std::string& x, ir::DataType to) {
  if (builder_->TypeOf(x).dtype == to) return x;
  return AddNode("Cast", {x}, {ir::Attribute::Int("to", static_cast<int64_t>(to))});
}

std::vector<int64_t> NhwcToNchwPerm(int rank) {
  std::vector<int64_t> perm = {0, rank - 1};
  for (int i = 1; i < rank - 1; ++i) perm.push_back(i);
  return perm;
}

std::vector<int64_t> NchwToNhwcPerm(int rank) {
  std::vector<int64_t> perm = {0};
  for (int i = 2; i < rank; ++i) perm.push_back(i);
  perm.push_back(1);
  return perm;
}

}  // namespace onnxsmith::converter
