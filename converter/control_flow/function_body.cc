#include "converter/control_flow/function_body.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/node_context.h"
#include "converter/tf/function_inliner.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::converter {
namespace {

// The name in attribute `attr` (element `index` of a list when >= 0).
std::string FunctionName(const tf::NodeDef& node, const std::string& attr, int index) {
  auto it = node.attr().find(attr);
  if (it == node.attr().end()) return "";
  if (index < 0) return it->second.has_func() ? it->second.func().name() : "";
  const auto& funcs = it->second.list().func();
  return index < funcs.size() ? funcs[index].name() : "";
}

std::string Role(const std::string& attr, int index) {
  return index < 0 ? attr : absl::StrCat(attr, index);
}

}  // namespace

bool FlatFunction::PassesThrough(int k) const {
  absl::flat_hash_map<std::string, const tf::NodeDef*> by_name;
  for (const tf::NodeDef& n : graph.node()) by_name[n.name()] = &n;
  TensorRef ref = outputs[k];
  for (int hops = 0; hops <= graph.node_size(); ++hops) {
    if (ref.node == arg_nodes[k]) return ref.output == 0;
    auto it = by_name.find(ref.node);
    if (it == by_name.end() || it->second->op() != "Identity" || ref.output != 0) return false;
    std::optional<TensorRef> in;
    for (const std::string& s : it->second->input()) {
      if ((in = ParseTensorRef(s))) break;
    }
    if (!in) return false;
    ref = *in;
  }
  return false;
}

absl::StatusOr<FlatFunction> FlattenFunction(const NodeContext& ctx, const std::string& attr,
                                             int index, int num_inputs, int num_outputs) {
  const std::string role = Role(attr, index);
  const std::string fname = FunctionName(ctx.node(), attr, index);
  if (fname.empty()) return ctx.Error(absl::StrCat("has no function in attribute '", role, "'"));
  const FunctionEnv* env = ctx.functions();
  const tf::FunctionDef* f =
      env == nullptr || env->catalog == nullptr ? nullptr : env->catalog->FindFunction(fname);
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrCat("node '", ctx.name(), "' (", ctx.op_type(), "): its ",
                                            role, " function '", fname,
                                            "' is not in the graph's function library"));
  }
  const auto& sig = f->signature();
  if (sig.input_arg_size() != num_inputs || sig.output_arg_size() != num_outputs) {
    return ctx.Error(absl::StrCat("its ", role, " function '", fname, "' takes ",
                                  sig.input_arg_size(), " inputs and returns ",
                                  sig.output_arg_size(), " values; the node needs ", num_inputs,
                                  " and ", num_outputs));
  }
  if (env->depth >= kMaxBodyNesting) {
    return ctx.Error(absl::StrCat("control flow nests deeper than ", kMaxBodyNesting, " bodies"));
  }

  FlatFunction flat;
  flat.name = f->signature().name();
  tf::GraphDef call_graph;
  tf::NodeDef call;
  call.set_name(absl::StrCat(ctx.name(), "/", role));
  call.set_op("PartitionedCall");
  (*call.mutable_attr())["f"].mutable_func()->set_name(fname);
  for (int i = 0; i < num_inputs; ++i) {
    tf::NodeDef* arg = call_graph.add_node();
    // Named after the call: a nested While converts its cond into the same
    // builder, whose TF-name bindings must not collide with these.
    arg->set_name(absl::StrCat(call.name(), "__arg", i));
    arg->set_op("Placeholder");
    (*arg->mutable_attr())["dtype"].set_type(sig.input_arg(i).type());
    call.add_input(arg->name());
    flat.arg_nodes.push_back(arg->name());
  }
  for (const auto& out : sig.output_arg()) {
    (*call.mutable_attr())["Tout"].mutable_list()->add_type(out.type());
  }
  *call_graph.add_node() = call;
  InlineOptions options;
  options.library_name = "the graph's function library";
  auto inlined = InlineFunctionCalls(call_graph, *env->catalog, options);
  if (!inlined.ok()) {
    return absl::Status(inlined.status().code(),
                        absl::StrCat("node '", ctx.name(), "' (", ctx.op_type(), "), ", role,
                                     " function '", fname, "': ", inlined.status().message()));
  }
  flat.graph = *std::move(inlined);
  for (const tf::NodeDef& n : flat.graph.node()) {
    if (n.name() != call.name()) continue;
    for (const std::string& in : n.input()) {
      if (auto ref = ParseTensorRef(in)) flat.outputs.push_back(*ref);
    }
  }
  if (static_cast<int>(flat.outputs.size()) != num_outputs) {
    return ctx.Error(absl::StrCat("its ", role, " function '", fname, "' returns ",
                                  flat.outputs.size(), " values; the node needs ", num_outputs));
  }
  return flat;
}

absl::StatusOr<std::vector<std::string>> ConvertFunctionInto(const NodeContext& ctx,
                                                             const FlatFunction& f,
                                                             const std::vector<std::string>& args,
                                                             GraphBuilder* builder) {
  auto in_function = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("in function '", f.name, "' (of node '", ctx.name(),
                                               "'): ", s.message()));
  };
  auto graph = TfGraph::Build(f.graph);
  if (!graph.ok()) return in_function(graph.status());
  absl::flat_hash_set<std::string> cut;
  absl::flat_hash_set<std::string> arg_names(f.arg_nodes.begin(), f.arg_nodes.end());
  for (size_t i = 0; i < f.arg_nodes.size(); ++i) {
    const std::string tensor = absl::StrCat(f.arg_nodes[i], ":0");
    cut.insert(tensor);
    builder->BindTfOutput(tensor, args[i]);
  }
  std::vector<const tf::NodeDef*> needed;
  for (const tf::NodeDef* n : graph->Needed(f.outputs, cut)) {
    if (!arg_names.count(n->name())) needed.push_back(n);
  }
  auto order = graph->TopologicalOrder(needed, cut);
  if (!order.ok()) return in_function(order.status());
  const FunctionEnv* outer_env = ctx.functions();
  FunctionEnv env{outer_env->catalog, outer_env->depth + 1, outer_env->convert_node};
  for (const tf::NodeDef* n : *order) {
    std::vector<std::string> inputs;
    for (const TensorRef& in : graph->DataInputs(n)) {
      const std::string* value = builder->FindTfOutput(in.name());
      if (value == nullptr) {
        return in_function(absl::InvalidArgumentError(absl::StrCat(
            "node '", n->name(), "' (", n->op(), ") reads '", in.name(),
            "', which its producer does not output")));
      }
      inputs.push_back(*value);
    }
    absl::Status s = env.convert_node(*n, std::move(inputs), ctx.opset(), builder, &env, nullptr);
    if (!s.ok()) return in_function(s);
  }
  std::vector<std::string> outputs;
  for (const TensorRef& out : f.outputs) {
    const std::string* value = builder->FindTfOutput(out.name());
    if (value == nullptr) {
      return in_function(absl::InvalidArgumentError(
          absl::StrCat("returns '", out.name(), "', which its producer does not output")));
    }
    outputs.push_back(*value);
  }
  return outputs;
}

void AddBodyOutput(GraphBuilder* builder, const std::string& value, const std::string& name_hint,
                   const ir::ValueType& type) {
  std::string v = builder->AddNode(name_hint, "Identity", "", {value}, 1, {})[0];
  ir::ValueType t = type.dtype == ir::DataType::kUndefined ? builder->TypeOf(v) : type;
  if (t.dtype != ir::DataType::kUndefined) builder->SetType(v, t);
  builder->graph().outputs.push_back({v, t});
}

ir::ValueType DeclaredType(const NodeContext& ctx, int k, const ir::ValueType& known,
                           const std::string& type_list_attr) {
  ir::ValueType t;
  t.dtype = known.dtype;
  if (known.sequence) {
    t.sequence = true;  // element shapes may differ
    return t;
  }
  if (t.dtype == ir::DataType::kUndefined) {
    auto it = ctx.node().attr().find(type_list_attr);
    if (it != ctx.node().attr().end() && it->second.list().type_size() > k) {
      auto dtype = ToOnnxType(it->second.list().type(k));
      if (dtype.ok()) t.dtype = *dtype;
    }
  }
  for (const char* attr : {"output_shapes", "_output_shapes"}) {
    auto it = ctx.node().attr().find(attr);
    if (it == ctx.node().attr().end() || it->second.list().shape_size() <= k) continue;
    t.shape = ToValueType(t.dtype, ToDims(it->second.list().shape(k))).shape;
    break;
  }
  return t;
}

}  // namespace onnxsmith::converter
