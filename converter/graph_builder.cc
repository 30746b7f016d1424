#include "converter/graph_builder.h"

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

GraphBuilder::GraphBuilder(ir::Graph* graph, int opset)
    : graph_(graph), opset_(opset), inferencer_(opset) {}

std::string GraphBuilder::UniqueName(const std::string& hint) {
  std::string base = hint.empty() ? "v" : hint;
  if (used_names_.insert(base).second) return base;
  for (int k = 1;; ++k) {
    std::string candidate = absl::StrCat(base, "__", k);
    if (used_names_.insert(candidate).second) return candidate;
  }
}

std::vector<std::string> GraphBuilder::AddNode(const std::string& name_hint,
                                               const std::string& op_type,
                                               const std::string& domain,
                                               std::vector<std::string> inputs, int num_outputs,
                                               std::vector<ir::Attribute> attrs) {
  ir::Node node;
  // Node names and value names are separate namespaces in ONNX; a single
  // output takes its node's name.
  node.name = UniqueName(name_hint);
  node.op_type = op_type;
  node.domain = domain;
  node.inputs = std::move(inputs);
  node.attributes = std::move(attrs);
  if (num_outputs == 1) {
    node.outputs.push_back(node.name);
  } else {
    for (int k = 0; k < num_outputs; ++k) {
      node.outputs.push_back(UniqueName(absl::StrCat(node.name, ":", k)));
    }
  }
  const ir::Node* added = graph_->AddNode(std::move(node));
  inferencer_.InferNode(*added);
  return added->outputs;
}

std::string GraphBuilder::AddConst(ir::Tensor value, const std::string& hint) {
  std::string name = UniqueName(hint);
  inferencer_.SetConstant(name, value);
  graph_->initializers[name] = std::move(value);
  return name;
}

void GraphBuilder::AddGraphInput(const std::string& name, ir::ValueType type) {
  used_names_.insert(name);
  inferencer_.SetType(name, type);
  graph_->inputs.push_back({name, std::move(type)});
}

const ir::Tensor* GraphBuilder::FindConst(const std::string& value) const {
  return graph_->FindInitializer(value);
}

ir::ValueType GraphBuilder::TypeOf(const std::string& value) const {
  return inferencer_.TypeOf(value);
}

void GraphBuilder::SetType(const std::string& value, ir::ValueType type) {
  inferencer_.SetType(value, type);
}

void GraphBuilder::BindTfOutput(const std::string& tf_tensor, const std::string& value) {
  tf_outputs_[tf_tensor] = value;
}

const std::string* GraphBuilder::FindTfOutput(const std::string& tf_tensor) const {
  auto it = tf_outputs_.find(tf_tensor);
  return it == tf_outputs_.end() ? nullptr : &it->second;
}

}  // namespace onnxsmith::converter
