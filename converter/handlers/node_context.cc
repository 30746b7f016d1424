#include "converter/handlers/node_context.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::converter {

NodeContext::NodeContext(const tf::NodeDef& node, std::vector<std::string> inputs, int opset,
                         GraphBuilder* builder)
    : OnnxEmitter(builder, node.name(), opset), node_(node), inputs_(std::move(inputs)) {}

const std::string& NodeContext::input(int i) const {
  static const std::string* const kNone = new std::string();
  return i < 0 || i >= num_inputs() ? *kNone : inputs_[i];
}

ir::ValueType NodeContext::input_type(int i) const {
  if (i < 0 || i >= num_inputs()) return {};
  return TypeOf(inputs_[i]);
}

std::optional<std::vector<int64_t>> NodeContext::input_dims(int i) const {
  if (i < 0 || i >= num_inputs()) return std::nullopt;
  return StaticDims(inputs_[i]);
}

const ir::Tensor* NodeContext::const_input(int i) const {
  if (i < 0 || i >= num_inputs()) return nullptr;
  return FindConst(inputs_[i]);
}

ir::DataType NodeContext::element_type() const {
  if (has_attr("T")) {
    auto t = attr_type("T");
    if (t.ok()) return *t;
  }
  return input_dtype(0);
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

void NodeContext::SetOutput(int k, const std::string& value) {
  builder().BindTfOutput(absl::StrCat(node_.name(), ":", k), value);
}

absl::Status NodeContext::Error(const std::string& message) const {
  return absl::InvalidArgumentError(
      absl::StrCat("node '", node_.name(), "' (", node_.op(), "): ", message));
}

absl::Status NodeContext::Unsupported(const std::string& what) const {
  return absl::UnimplementedError(
      absl::StrCat("node '", node_.name(), "' (", node_.op(), "): unsupported: ", what));
}

}  // namespace onnxsmith::converter
