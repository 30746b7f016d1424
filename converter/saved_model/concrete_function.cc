#include "converter/saved_model/concrete_function.h"

#include <deque>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace onnxsmith::converter::saved_model {
namespace {

// The TensorSpecs of a structured value, in TensorFlow's flattening order
// (lists and tuples in order, dicts by sorted key).
void FlattenSpecs(const tf::StructuredValue& v, const std::string& key,
                  std::vector<std::pair<std::string, const tf::TensorSpecProto*>>* out) {
  switch (v.kind_case()) {
    case tf::StructuredValue::kTensorSpecValue:
      out->emplace_back(key, &v.tensor_spec_value());
      break;
    case tf::StructuredValue::kListValue:
      for (const auto& e : v.list_value().values()) FlattenSpecs(e, "", out);
      break;
    case tf::StructuredValue::kTupleValue:
      for (const auto& e : v.tuple_value().values()) FlattenSpecs(e, "", out);
      break;
    case tf::StructuredValue::kDictValue: {
      std::map<std::string, const tf::StructuredValue*> sorted;
      for (const auto& [k, e] : v.dict_value().fields()) sorted.emplace(k, &e);
      for (const auto& [k, e] : sorted) FlattenSpecs(*e, k, out);
      break;
    }
    case tf::StructuredValue::kNamedTupleValue:
      for (const auto& p : v.named_tuple_value().values()) FlattenSpecs(p.value(), p.key(), out);
      break;
    default:
      break;
  }
}

std::string UniqueName(const std::string& base, absl::flat_hash_set<std::string>* taken) {
  std::string name = base.empty() ? "input" : base;
  for (int i = 1; taken->count(name); ++i) name = absl::StrCat(base, "_", i);
  taken->insert(name);
  return name;
}

}  // namespace

std::vector<ConcreteFunctionEntry> ListConcreteFunctions(const tf::MetaGraphDef& mg) {
  const tf::SavedObjectGraph& g = mg.object_graph_def();
  std::vector<ConcreteFunctionEntry> out;
  if (g.nodes_size() == 0) return out;
  absl::flat_hash_set<std::string> listed;
  std::vector<bool> seen(g.nodes_size(), false);
  std::deque<std::pair<int, std::string>> queue = {{0, ""}};
  seen[0] = true;
  while (!queue.empty()) {
    // Not a structured binding: C++17 lambdas cannot capture those (clang
    // rejects it; gcc accepts).
    const int id = queue.front().first;
    const std::string path = queue.front().second;
    queue.pop_front();
    const tf::SavedObject& obj = g.nodes(id);
    auto add = [&](const std::string& name) {
      if (g.concrete_functions().count(name) && listed.insert(name).second) out.push_back({name, path});
    };
    if (obj.has_function()) {
      for (const std::string& name : obj.function().concrete_functions()) add(name);
    } else if (obj.has_bare_concrete_function()) {
      add(obj.bare_concrete_function().concrete_function_name());
    }
    for (const auto& child : obj.children()) {
      const int c = child.node_id();
      if (c < 0 || c >= g.nodes_size() || seen[c]) continue;
      seen[c] = true;
      queue.emplace_back(c, path.empty() ? child.local_name() : absl::StrCat(path, "/", child.local_name()));
    }
  }
  return out;
}

std::string DescribeConcreteFunctions(const tf::MetaGraphDef& mg, size_t limit) {
  const auto all = ListConcreteFunctions(mg);
  if (all.empty()) return "none";
  std::vector<std::string> lines;
  for (size_t i = 0; i < all.size() && i < limit; ++i) {
    lines.push_back(absl::StrCat(i, ": ", all[i].name, " (", all[i].path, ")"));
  }
  if (all.size() > limit) lines.push_back(absl::StrCat("... and ", all.size() - limit, " more"));
  return absl::StrJoin(lines, "; ");
}

absl::StatusOr<std::string> AddConcreteFunctionSignature(const std::string& selector,
                                                         tf::MetaGraphDef* mg,
                                                         const std::string& dir) {
  const tf::SavedObjectGraph& objects = mg->object_graph_def();
  const auto all = ListConcreteFunctions(*mg);
  auto not_found = [&](const std::string& why) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": --concrete_function '", selector, "': ", why, "; concrete functions: ",
        DescribeConcreteFunctions(*mg), " (give a name, an index or an object path)"));
  };
  if (objects.nodes_size() == 0) return not_found("the SavedModel has no object graph (TF1)");
  // By name, then index, then object path.
  std::string name;
  if (objects.concrete_functions().count(selector)) {
    name = selector;
  } else if (int index; absl::SimpleAtoi(selector, &index)) {
    if (index < 0 || index >= static_cast<int>(all.size())) return not_found("no such index");
    name = all[index].name;
  } else {
    std::vector<std::string> at_path;
    for (const auto& e : all) {
      if (e.path == selector) at_path.push_back(e.name);
    }
    if (at_path.empty()) return not_found("no function of that name or path");
    if (at_path.size() > 1) {
      return not_found(absl::StrCat("the object path holds ", at_path.size(),
                                    " concrete functions (", absl::StrJoin(at_path, ", "),
                                    "); choose one by name"));
    }
    name = at_path[0];
  }
  const tf::SavedConcreteFunction& cf = objects.concrete_functions().at(name);
  const tf::FunctionDef* fdef = nullptr;
  for (const auto& f : mg->graph_def().library().function()) {
    if (f.signature().name() == name) fdef = &f;
  }
  if (fdef == nullptr) {
    return absl::NotFoundError(absl::StrCat(dir, ": concrete function '", name,
                                            "' is not in the function library"));
  }
  const auto& args = fdef->signature().input_arg();
  const int num_bound = cf.bound_inputs_size();
  const int num_user = args.size() - num_bound;
  if (num_user < 0) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": concrete function '", name, "' captures ",
                                                   num_bound, " inputs but takes only ", args.size()));
  }
  if (fdef->signature().output_arg_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": concrete function '", name, "' has no outputs"));
  }
  std::vector<std::pair<std::string, const tf::TensorSpecProto*>> in_specs, out_specs;
  FlattenSpecs(cf.canonicalized_input_signature(), "", &in_specs);
  FlattenSpecs(cf.output_signature(), "", &out_specs);
  if (static_cast<int>(in_specs.size()) != num_user) in_specs.clear();
  if (static_cast<int>(out_specs.size()) != fdef->signature().output_arg_size()) out_specs.clear();

  absl::flat_hash_set<std::string> taken;
  for (const auto& node : mg->graph_def().node()) taken.insert(node.name());
  tf::GraphDef* graph = mg->mutable_graph_def();
  tf::SignatureDef sig;
  tf::NodeDef call;
  call.set_name(UniqueName("concrete_function_call", &taken));
  call.set_op("StatefulPartitionedCall");
  (*call.mutable_attr())["f"].mutable_func()->set_name(name);
  auto* tin = (*call.mutable_attr())["Tin"].mutable_list();
  auto* tout = (*call.mutable_attr())["Tout"].mutable_list();
  absl::flat_hash_set<std::string> keys;
  for (int i = 0; i < num_user; ++i) {
    const tf::OpDef::ArgDef& arg = args[i];
    std::string key = arg.name();
    if (!in_specs.empty() && !in_specs[i].second->name().empty()) key = in_specs[i].second->name();
    key = UniqueName(key, &keys);
    tf::NodeDef* ph = graph->add_node();
    ph->set_name(UniqueName(key, &taken));
    ph->set_op("Placeholder");
    (*ph->mutable_attr())["dtype"].set_type(arg.type());
    tf::TensorInfo info;
    info.set_name(absl::StrCat(ph->name(), ":0"));
    info.set_dtype(arg.type());
    if (!in_specs.empty()) {
      *(*ph->mutable_attr())["shape"].mutable_shape() = in_specs[i].second->shape();
      *info.mutable_tensor_shape() = in_specs[i].second->shape();
    } else {
      (*ph->mutable_attr())["shape"].mutable_shape()->set_unknown_rank(true);
    }
    (*sig.mutable_inputs())[key] = info;
    call.add_input(ph->name());
    tin->add_type(arg.type());
  }
  for (int j = 0; j < num_bound; ++j) {
    const int id = cf.bound_inputs(j);
    if (id < 0 || id >= objects.nodes_size()) {
      return absl::InvalidArgumentError(absl::StrCat(dir, ": concrete function '", name,
                                                     "' captures object ", id, ", which does not exist"));
    }
    const tf::SavedObject& obj = objects.nodes(id);
    if (obj.has_variable()) {
      tf::NodeDef* var = graph->add_node();
      var->set_name(UniqueName(absl::StrCat("captured_", obj.variable().name().empty() ? "variable" : obj.variable().name()), &taken));
      var->set_op("VarHandleOp");
      (*var->mutable_attr())["dtype"].set_type(obj.variable().dtype());
      *(*var->mutable_attr())["shape"].mutable_shape() = obj.variable().shape();
      (*var->mutable_attr())["shared_name"].set_s(var->name());
      (*var->mutable_attr())["container"].set_s("");
      call.add_input(var->name());
    } else if (obj.has_constant()) {
      call.add_input(obj.constant().operation());
    } else {
      return absl::UnimplementedError(absl::StrCat(
          dir, ": concrete function '", name, "' captures object ", id,
          " which is neither a variable nor a constant (an asset, table or other resource); "
          "onnxsmith does not convert it"));
    }
    tin->add_type(args[num_user + j].type());
  }
  for (int k = 0; k < fdef->signature().output_arg_size(); ++k) {
    const auto& arg = fdef->signature().output_arg(k);
    tout->add_type(arg.type());
    std::string key = !out_specs.empty() && !out_specs[k].first.empty() ? out_specs[k].first
                                                                        : absl::StrCat("output_", k);
    key = UniqueName(key, &keys);
    // An Identity named after the key, so the ONNX output is named after it too.
    tf::NodeDef* named = graph->add_node();
    named->set_name(UniqueName(key, &taken));
    named->set_op("Identity");
    named->add_input(absl::StrCat(call.name(), ":", k));
    (*named->mutable_attr())["T"].set_type(arg.type());
    tf::TensorInfo info;
    info.set_name(absl::StrCat(named->name(), ":0"));
    info.set_dtype(arg.type());
    (*sig.mutable_outputs())[key] = info;
  }
  *graph->add_node() = std::move(call);
  const std::string sig_key = absl::StrCat("concrete_function:", name);
  (*mg->mutable_signature_def())[sig_key] = std::move(sig);
  return sig_key;
}

}  // namespace onnxsmith::converter::saved_model
