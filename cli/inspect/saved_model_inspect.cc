// inspect for SavedModels, shown the way `saved_model_cli show --all` does:
// tag sets, signatures (inputs/outputs with dtype and shape, method name),
// functions, and the variables of the checkpoint. The raw graph is only
// counted: its sinks are the variable reads of every function, not outputs.
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/inspect/inspect_doc.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "converter/checkpoint/tensor_bundle.h"
#include "converter/saved_model/variable_freezer.h"
#include "converter/tf/dtype.h"
#include "converter/tf/proto/saved_model.pb.h"

namespace onnxsmith::cli::inspect {
namespace {

constexpr char kObjectGraphKey[] = "_CHECKPOINTABLE_OBJECT_GRAPH";
constexpr char kDefaultSignature[] = "serving_default";
constexpr char kInitOpSignature[] = "__saved_model_init_op";
constexpr char kVariableSuffix[] = "/.ATTRIBUTES/VARIABLE_VALUE";

Doc TensorInfos(const google::protobuf::Map<std::string, tf::TensorInfo>& infos) {
  std::map<std::string, const tf::TensorInfo*> sorted;
  for (const auto& [key, info] : infos) sorted[key] = &info;
  Doc out = Doc::array();
  for (const auto& [key, info] : sorted) {
    Doc t;
    t["key"] = key;
    t["name"] = info->name();
    // DT_INVALID: no tensor (the init op's NoOp).
    t["dtype"] = info->dtype() == tf::DT_INVALID ? Doc(nullptr) : Doc(converter::TfTypeName(info->dtype()));
    t["shape"] = info->has_tensor_shape() ? TfShape(info->tensor_shape()) : Doc(nullptr);
    if (info->has_composite_tensor()) t["composite"] = true;
    out.push_back(std::move(t));
  }
  return out;
}

// The signature that only names the op run when the model is loaded: no
// inputs, outputs without a dtype.
bool IsInitOpSignature(const Doc& sig) {
  if (!sig["inputs"].empty() || sig["outputs"].empty()) return false;
  for (const Doc& o : sig["outputs"]) {
    if (!o["dtype"].is_null()) return false;
  }
  return true;
}

// Functions saved on objects, by their path from the root object
// ("serve", "signatures/serving_default"), with their concrete functions.
Doc SavedFunctions(const tf::SavedObjectGraph& graph) {
  Doc out = Doc::array();
  if (graph.nodes_size() == 0) return out;
  std::vector<std::string> path(graph.nodes_size());
  std::vector<bool> seen(graph.nodes_size(), false);
  std::deque<int> queue{0};
  seen[0] = true;
  while (!queue.empty()) {
    const int id = queue.front();
    queue.pop_front();
    const tf::SavedObject& node = graph.nodes(id);
    Doc concrete = Doc::array();
    if (node.has_function()) {
      for (const std::string& f : node.function().concrete_functions()) concrete.push_back(f);
    } else if (node.has_bare_concrete_function()) {
      concrete.push_back(node.bare_concrete_function().concrete_function_name());
    }
    if (id != 0 && !concrete.empty()) {
      out.push_back({{"path", path[id]}, {"concrete_functions", std::move(concrete)}});
    }
    for (const auto& child : node.children()) {
      const int c = child.node_id();
      if (c <= 0 || c >= graph.nodes_size() || seen[c]) continue;
      seen[c] = true;
      path[c] = path[id].empty() ? child.local_name() : absl::StrCat(path[id], "/", child.local_name());
      queue.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<Doc> VariablesDoc(const std::string& dir, const tf::MetaGraphDef* meta_graph) {
  const std::string prefix = dir + "/variables/variables";
  if (!PathExists(prefix + ".index")) return Doc(nullptr);
  ASSIGN_OR_RETURN(auto reader, checkpoint::TensorBundleReader::Open(prefix));
  // Named variables in the order the model made them, then the rest
  // (optimizer slots, TF1 variables) in key order.
  std::vector<std::pair<std::string, std::string>> order;
  if (meta_graph != nullptr) order = converter::saved_model::VariableNames(*meta_graph, reader);
  absl::flat_hash_set<std::string> listed;
  for (const auto& [key, name] : order) listed.insert(key);
  for (const std::string& key : reader.Keys()) {
    if (!listed.count(key)) order.emplace_back(key, "");
  }
  listed.clear();
  Doc list = Doc::array();
  int64_t params = 0, bytes = 0;
  for (const auto& [key, name] : order) {
    // The object graph is metadata, not a variable; a key twice is listed once.
    if (key == kObjectGraphKey || !reader.Contains(key) || !listed.insert(key).second) continue;
    ASSIGN_OR_RETURN(const tf::BundleEntryProto* entry, reader.Entry(key));
    Doc v;
    if (!name.empty()) v["name"] = name;
    v["key"] = key;
    v["dtype"] = converter::TfTypeName(entry->dtype());
    v["shape"] = TfShape(entry->shape());
    int64_t n = 1;
    for (const auto& d : entry->shape().dim()) n *= d.size() < 0 ? 0 : d.size();
    v["bytes"] = entry->size();
    params += n;
    bytes += entry->size();
    list.push_back(std::move(v));
  }
  Doc doc;
  doc["index"] = reader.index_path();
  doc["shards"] = reader.header().num_shards();
  doc["count"] = list.size();
  doc["params"] = params;
  doc["bytes"] = bytes;
  doc["variables"] = std::move(list);
  return doc;
}

void PrintTensors(const Doc& tensors, TextView& view) {
  std::vector<std::string> items;
  for (const Doc& t : tensors) {
    items.push_back(absl::StrCat(
        t["key"].get<std::string>(), ": ",
        t["dtype"].is_null() ? "no dtype" : t["dtype"].get<std::string>(), " ",
        ShapeText(t["shape"]), "  (", t["name"].get<std::string>(), ")"));
  }
  view.List(6, items);
}

}  // namespace

absl::StatusOr<Doc> SavedModelDoc(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::string pb = dir + "/saved_model.pb";
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(pb));
  tf::SavedModel saved;
  if (!saved.ParseFromString(bytes) || saved.meta_graphs_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(pb, ": not a SavedModel (truncated or corrupt protobuf)"));
  }
  Doc doc;
  doc["path"] = dir;
  doc["format"] = "saved_model";
  doc["saved_model_schema_version"] = saved.saved_model_schema_version();
  Doc metas = Doc::array();
  for (const auto& mg : saved.meta_graphs()) {
    Doc m;
    m["tags"] = std::vector<std::string>(mg.meta_info_def().tags().begin(),
                                         mg.meta_info_def().tags().end());
    m["tensorflow_version"] = mg.meta_info_def().tensorflow_version();
    // serving_default first (what convert uses by default), the init op last.
    std::map<std::pair<int, std::string>, const tf::SignatureDef*> sorted;
    for (const auto& [key, sig] : mg.signature_def()) {
      sorted[{key == kDefaultSignature ? 0 : key == kInitOpSignature ? 2 : 1, key}] = &sig;
    }
    Doc sigs = Doc::array();
    for (const auto& [rank_key, sig] : sorted) {
      Doc s;
      s["key"] = rank_key.second;
      s["method_name"] = sig->method_name();
      s["inputs"] = TensorInfos(sig->inputs());
      s["outputs"] = TensorInfos(sig->outputs());
      if (IsInitOpSignature(s)) s["init_op"] = true;
      sigs.push_back(std::move(s));
    }
    m["signatures"] = std::move(sigs);
    m["saved_functions"] = SavedFunctions(mg.object_graph_def());
    // The raw graph, summarized: no sinks (see the file comment).
    m["graph"] = GraphDefDoc(mg.graph_def(), Doc::object(), /*with_sinks=*/false);
    metas.push_back(std::move(m));
  }
  doc["meta_graphs"] = std::move(metas);
  // One checkpoint for every MetaGraph; names come from the first's object graph.
  auto variables = VariablesDoc(dir, &saved.meta_graphs(0));
  if (variables.ok()) {
    doc["variables"] = *std::move(variables);
  } else {
    doc["variables"] = nullptr;
    doc["variables_error"] = std::string(variables.status().message());
  }
  return doc;
}

void PrintSavedModel(const Doc& doc, TextView& view) {
  const Doc& metas = doc["meta_graphs"];
  view.Line(0, absl::StrCat(doc["path"].get<std::string>(), ": TensorFlow SavedModel, ",
                            metas.size(), " MetaGraphDef", metas.size() == 1 ? "" : "s"));
  for (const Doc& m : metas) {
    const std::vector<std::string> tags = Strings(m["tags"]);
    const Doc& sigs = m["signatures"];
    view.Line(0, "");
    view.Line(0, absl::StrCat("MetaGraphDef with tag-set: '", absl::StrJoin(tags, ", "),
                              "' (TF ", m["tensorflow_version"].get<std::string>(), "), ",
                              sigs.size(), " SignatureDef", sigs.size() == 1 ? "" : "s", ":"));
    const size_t shown = view.Shown(sigs.size());
    for (size_t i = 0; i < shown; ++i) {
      const Doc& s = sigs[i];
      const std::string key = s["key"].get<std::string>();
      if (s.contains("init_op")) {
        std::vector<std::string> ops;
        for (const Doc& o : s["outputs"]) ops.push_back(o["name"].get<std::string>());
        view.Line(2, absl::StrCat("signature_def['", key, "']: initialization, runs ",
                                  absl::StrJoin(ops, ", "),
                                  " when the model is loaded (no inputs or outputs)"));
        continue;
      }
      const std::string method = s["method_name"].get<std::string>();
      view.Line(2, absl::StrCat("signature_def['", key, "']",
                                method.empty() ? "" : absl::StrCat(" (method ", method, ")"), ":"));
      view.Line(4, absl::StrCat("inputs:", s["inputs"].empty() ? " none" : ""));
      PrintTensors(s["inputs"], view);
      view.Line(4, absl::StrCat("outputs:", s["outputs"].empty() ? " none" : ""));
      PrintTensors(s["outputs"], view);
    }
    if (shown < sigs.size()) view.Line(2, MoreText(sigs.size() - shown));
    std::vector<std::string> functions;
    for (const Doc& f : m["saved_functions"]) {
      functions.push_back(absl::StrCat(f["path"].get<std::string>(), " (",
                                       f["concrete_functions"].size(), " concrete)"));
    }
    const Doc& graph = m["graph"];
    view.Line(2, absl::StrCat("functions: ", functions.size(), " saved, ",
                              graph["function_library"].size(), " in the graph's library",
                              functions.empty() ? "" : ":"));
    view.List(4, functions);
    view.Line(2, absl::StrCat("graph: ", Thousands(graph["nodes"].get<int64_t>()),
                              " nodes before inlining and freezing",
                              Strings(graph["control_flow_ops"]).empty() ? "" : ", with control flow"));
  }
  view.Line(0, "");
  const Doc& vars = doc["variables"];
  if (vars.is_null()) {
    view.Line(0, doc.contains("variables_error")
                     ? absl::StrCat("variables: unreadable: ", doc["variables_error"].get<std::string>())
                     : "variables: none (no variables/variables.index)");
    return;
  }
  view.Line(0, absl::StrCat("variables: ", Thousands(vars["count"].get<int64_t>()), " (",
                            Thousands(vars["params"].get<int64_t>()), " parameters, ",
                            BytesText(vars["bytes"].get<int64_t>()), ") in ",
                            vars["index"].get<std::string>(), ", ", vars["shards"].dump(),
                            " data shard", vars["shards"].get<int>() == 1 ? "" : "s"));
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Doc& v : vars["variables"]) {
    std::string name = v.contains("name") ? v["name"].get<std::string>() : v["key"].get<std::string>();
    if (!v.contains("name") && absl::EndsWith(name, kVariableSuffix)) {
      name.resize(name.size() - sizeof(kVariableSuffix) + 1);
    }
    rows.emplace_back(name, absl::StrCat(v["dtype"].get<std::string>(), " ", ShapeText(v["shape"])));
  }
  view.Pairs(2, rows);
}

}  // namespace onnxsmith::cli::inspect
