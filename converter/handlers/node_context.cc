#include "converter/handlers/node_context.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::converter {

NodeContext::NodeContext(const tf::NodeDef& node, std::vector<std::string> inputs, int opset,
                         GraphBuilder* builder)
    : OpContext(builder, node.name(), opset, absl::StrCat("node '", node.name(), "' (", node.op(), ")"),
                std::move(inputs)),
      node_(node) {}

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
    return Unsupported(absl::StrCat("input ", i, " ('", input(i),
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

}  // namespace onnxsmith::converter
