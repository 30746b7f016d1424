#include "converter/emit/graph_builder.h"

#include <functional>
#include <optional>

#include "absl/strings/str_cat.h"
#include "converter/emit/layout.h"
#include "converter/emit/runtime_kernel_gaps.h"

namespace onnxsmith::converter {

GraphBuilder::GraphBuilder(ir::Graph* graph, int opset)
    : graph_(graph), opset_(opset), used_names_(&own_names_), inferencer_(opset) {}

GraphBuilder::GraphBuilder(ir::Graph* body, GraphBuilder* outer)
    : graph_(body),
      opset_(outer->opset_),
      outer_(outer),
      used_names_(outer->used_names_),
      inferencer_(outer->opset_) {}

void GraphBuilder::ImportOuter(const std::string& value) {
  if (outer_ == nullptr || value.empty()) return;
  if (inferencer_.TypeOf(value).dtype != ir::DataType::kUndefined) return;
  if (graph_->FindInitializer(value) != nullptr) return;
  if (const ir::Tensor* t = outer_->FindConst(value)) {
    inferencer_.SetConstant(value, *t);
    return;
  }
  ir::ValueType t = outer_->TypeOf(value);
  if (t.dtype != ir::DataType::kUndefined) inferencer_.SetType(value, t);
}

std::string GraphBuilder::UniqueName(const std::string& hint) {
  std::string base = hint.empty() ? "v" : hint;
  if (used_names_->insert(base).second) return base;
  for (int k = 1;; ++k) {
    std::string candidate = absl::StrCat(base, "__", k);
    if (used_names_->insert(candidate).second) return candidate;
  }
}

std::vector<std::string> GraphBuilder::AddNode(const std::string& name_hint,
                                               const std::string& op_type,
                                               const std::string& domain,
                                               std::vector<std::string> inputs, int num_outputs,
                                               std::vector<ir::Attribute> attrs) {
  // A node ONNX Runtime has no kernel for at its input type is computed in
  // one it has, between Casts (runtime_kernel_gaps.h). The recursive calls see the
  // cast types, which no rule lacks.
  const size_t typed = op_type == "Where" ? 1 : 0;  // the input that decides the kernel
  if (domain.empty() && inputs.size() > typed) {
    const ir::DataType t = TypeOf(inputs[typed]).dtype;
    if (const RuntimeKernelGap* rule = FindRuntimeKernelGap(op_type, t)) {
      for (std::string& in : inputs) {
        if (!in.empty() && TypeOf(in).dtype == t) {
          in = AddNode(absl::StrCat(name_hint, "_in"), "Cast", "", {in}, 1,
                       {ir::Attribute::Int("to", static_cast<int64_t>(rule->compute))})[0];
        }
      }
      std::vector<std::string> outs =
          AddNode(name_hint, op_type, domain, std::move(inputs), num_outputs, std::move(attrs));
      if (!rule->restore) return outs;
      for (std::string& out : outs) {
        out = AddNode(absl::StrCat(name_hint, "_out"), "Cast", "", {out}, 1,
                      {ir::Attribute::Int("to", static_cast<int64_t>(t))})[0];
      }
      return outs;
    }
  }
  ir::Node node;
  // Node names and value names are separate namespaces in ONNX; a single
  // output takes its node's name.
  node.name = UniqueName(name_hint);
  node.op_type = op_type;
  node.domain = domain;
  node.inputs = std::move(inputs);
  node.attributes = std::move(attrs);
  for (const std::string& in : node.inputs) ImportOuter(in);
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
  used_names_->insert(name);
  inferencer_.SetType(name, type);
  graph_->inputs.push_back({name, std::move(type)});
}

const ir::Tensor* GraphBuilder::FindConst(const std::string& value) const {
  const ir::Tensor* t = graph_->FindInitializer(value);
  if (t == nullptr && outer_ != nullptr) return outer_->FindConst(value);
  return t;
}

ir::ValueType GraphBuilder::TypeOf(const std::string& value) const {
  ir::ValueType t = inferencer_.TypeOf(value);
  if (t.dtype == ir::DataType::kUndefined && outer_ != nullptr) return outer_->TypeOf(value);
  return t;
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

absl::StatusOr<std::string> GraphBuilder::TransposeToNchw(const std::string& value,
                                                          const std::string& name) {
  auto rank = TypeOf(value).rank();
  if (!rank || *rank < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("--outputs-as-nchw: output '", name, "' needs a known rank >= 3"));
  }
  return AddNode(name + "/to_nchw", "Transpose", "", {value}, 1,
                 {ir::Attribute::Ints("perm", ChannelsLastToFirstPerm(*rank))})[0];
}

void GraphBuilder::AddGraphOutput(const std::string& value, const std::string& name,
                                  const std::string& node_hint) {
  std::string v = value;
  const bool produced_by_node = !graph_->IsInitializer(v) && !graph_->IsGraphInput(v);
  if (produced_by_node && !output_renames_.count(v) && v != name) {
    output_renames_[v] = name;
  } else if (v != name) {
    v = AddNode(node_hint, "Identity", "", {v}, 1, {})[0];
    output_renames_[v] = name;
  }
  graph_->outputs.push_back({name, TypeOf(v)});
}

void GraphBuilder::FinishOutputs() {
  ir::Graph& g = *graph_;
  auto final_name = [&](const std::string& value) -> const std::string& {
    auto it = output_renames_.find(value);
    return it == output_renames_.end() ? value : it->second;
  };
  for (const auto& node : g.nodes) {
    for (const std::string& o : node->outputs) {
      ir::ValueType t = TypeOf(o);
      if (t.dtype != ir::DataType::kUndefined) g.value_types[final_name(o)] = std::move(t);
    }
  }
  for (auto& node : g.nodes) {
    for (auto& in : node->inputs) in = std::string(final_name(in));
    for (auto& o : node->outputs) o = std::string(final_name(o));
  }
  // Bodies (If/Loop) read renamed values by their outer names too.
  std::function<void(ir::Graph&)> rename_reads = [&](ir::Graph& body) {
    for (auto& node : body.nodes) {
      for (auto& in : node->inputs) in = std::string(final_name(in));
      for (ir::Attribute& a : node->attributes) {
        if (a.g) rename_reads(*a.g);
      }
    }
  };
  for (auto& node : g.nodes) {
    for (ir::Attribute& a : node->attributes) {
      if (a.g) rename_reads(*a.g);
    }
  }
  // An output whose value had no type yet takes what is known under its name.
  for (ir::ValueInfo& out : g.outputs) {
    if (out.type.dtype != ir::DataType::kUndefined) continue;
    auto it = g.value_types.find(out.name);
    if (it != g.value_types.end()) out.type = it->second;
  }
}

}  // namespace onnxsmith::converter
