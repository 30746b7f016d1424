#include "converter/saved_model/variable_freezer.h"

#include <deque>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/progress.h"
#include "common/status_macros.h"
#include "converter/tf/function_inliner.h"
#include "converter/saved_model/tensor_proto_util.h"
#include "converter/tf/proto/trackable_object_graph.pb.h"
#include "converter/tf/tensor_convert.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::converter::saved_model {
namespace {

constexpr char kObjectGraphKey[] = "_CHECKPOINTABLE_OBJECT_GRAPH";

// Values at least this large (weights) go to the ConstValues side table;
// smaller ones (scalars, shapes, biases) stay in their Consts, where graph
// rewrites and tests read them, and cost little to copy.
constexpr int64_t kSideTableBytes = int64_t{64} << 10;

// A variable node of the graph and its checkpoint entry, read on a worker.
struct PendingRead {
  tf::NodeDef* node;
  std::string key;
  tf::DataType stored;
  absl::Status read_status;
  std::vector<int64_t> dims;
  int64_t bytes = 0;
  absl::Status proto_status;
  tf::TensorProto proto;
  std::optional<ir::Tensor> value;  // for the side table: `proto` has no content
};

std::vector<std::string> DataInputs(const tf::NodeDef& node) {
  std::vector<std::string> out;
  for (const std::string& in : node.input()) {
    if (!in.empty() && in[0] != '^') out.push_back(in);
  }
  return out;
}

tf::DataType BaseType(tf::DataType t) {
  int v = static_cast<int>(t);
  return static_cast<tf::DataType>(v > 100 ? v - 100 : v);
}

std::string StripTensorSuffix(std::string name) {
  if (!name.empty() && name[0] == '^') name.erase(0, 1);
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos) name.erase(colon);
  return name;
}

// Object-graph node ids of the SavedModel -> ids in the checkpoint's object
// graph, by walking both from the root through children of equal names. Ids
// the walk does not reach fall back to the same number (TF writes both graphs
// from one list of objects).
std::vector<int> MatchObjectGraphs(const tf::SavedObjectGraph& saved,
                                   const tf::TrackableObjectGraph& ckpt) {
  std::vector<int> map(saved.nodes_size(), -1);
  if (saved.nodes_size() == 0 || ckpt.nodes_size() == 0) return map;
  map[0] = 0;
  std::deque<int> queue{0};
  while (!queue.empty()) {
    const int s = queue.front();
    queue.pop_front();
    const auto& t_node = ckpt.nodes(map[s]);
    for (const auto& child : saved.nodes(s).children()) {
      if (child.node_id() < 0 || child.node_id() >= saved.nodes_size() ||
          map[child.node_id()] >= 0) {
        continue;
      }
      for (const auto& t_child : t_node.children()) {
        if (t_child.local_name() == child.local_name() && t_child.node_id() >= 0 &&
            t_child.node_id() < ckpt.nodes_size()) {
          map[child.node_id()] = t_child.node_id();
          queue.push_back(child.node_id());
          break;
        }
      }
    }
  }
  for (int i = 0; i < static_cast<int>(map.size()); ++i) {
    if (map[i] < 0 && i < ckpt.nodes_size()) map[i] = i;
  }
  return map;
}

std::string VariableValueKey(const tf::TrackableObjectGraph::TrackableObject& node) {
  for (const auto& attr : node.attributes()) {
    if (attr.name() == "VARIABLE_VALUE") return attr.checkpoint_key();
  }
  return "";
}

// The checkpoint's own object graph, or the note saying why there is none.
absl::StatusOr<tf::TrackableObjectGraph> ReadCheckpointObjectGraph(
    const tf::MetaGraphDef& meta_graph, const checkpoint::TensorBundleReader& reader) {
  if (meta_graph.object_graph_def().nodes_size() == 0) {
    return absl::NotFoundError("the MetaGraph has no object graph (a TF1 SavedModel)");
  }
  if (!reader.Contains(kObjectGraphKey)) {
    return absl::NotFoundError(absl::StrCat("the checkpoint has no ", kObjectGraphKey, " entry"));
  }
  auto tensor = reader.Read(kObjectGraphKey);
  if (!tensor.ok() || tensor->dtype() != ir::DataType::kString || tensor->strings().size() != 1) {
    return absl::DataLossError(absl::StrCat(
        "the checkpoint's ", kObjectGraphKey, " entry is unreadable",
        tensor.ok() ? "" : absl::StrCat(": ", tensor.status().message())));
  }
  tf::TrackableObjectGraph ckpt;
  if (!ckpt.ParseFromString(tensor->strings()[0])) {
    return absl::DataLossError(absl::StrCat("the checkpoint's ", kObjectGraphKey,
                                            " entry is not a TrackableObjectGraph"));
  }
  return ckpt;
}

}  // namespace

bool IsVariableOp(const std::string& op) {
  return op == "VariableV2" || op == "Variable" || op == "VarHandleOp";
}

std::vector<std::pair<std::string, std::string>> VariableNames(
    const tf::MetaGraphDef& meta_graph, const checkpoint::TensorBundleReader& reader) {
  std::vector<std::pair<std::string, std::string>> names;
  auto ckpt = ReadCheckpointObjectGraph(meta_graph, reader);
  if (!ckpt.ok()) return names;
  const tf::SavedObjectGraph& saved = meta_graph.object_graph_def();
  const std::vector<int> to_ckpt = MatchObjectGraphs(saved, *ckpt);
  for (int i = 0; i < saved.nodes_size(); ++i) {
    if (!saved.nodes(i).has_variable() || to_ckpt[i] < 0) continue;
    const std::string key = VariableValueKey(ckpt->nodes(to_ckpt[i]));
    if (!key.empty() && !saved.nodes(i).variable().name().empty()) {
      names.emplace_back(key, saved.nodes(i).variable().name());
    }
  }
  return names;
}

void AddObjectGraphKeys(const tf::MetaGraphDef& meta_graph,
                        const checkpoint::TensorBundleReader& reader, VariableKeys* keys) {
  auto read = ReadCheckpointObjectGraph(meta_graph, reader);
  if (!read.ok()) {
    keys->notes.push_back(std::string(read.status().message()));
    return;
  }
  const tf::TrackableObjectGraph& ckpt = *read;
  const tf::SavedObjectGraph& saved = meta_graph.object_graph_def();
  const std::vector<int> to_ckpt = MatchObjectGraphs(saved, ckpt);
  const tf::GraphDef& graph = meta_graph.graph_def();
  const auto by_name = IndexByName(graph);
  int found = 0;
  for (const auto& node : graph.node()) {
    const std::string target = OpCatalog::CallTarget(node);
    if (target.empty()) continue;
    auto cf = saved.concrete_functions().find(target);
    if (cf == saved.concrete_functions().end()) continue;
    const auto& bound = cf->second.bound_inputs();
    const std::vector<std::string> inputs = DataInputs(node);
    if (bound.size() > static_cast<int>(inputs.size())) continue;
    const size_t first = inputs.size() - bound.size();
    for (int j = 0; j < bound.size(); ++j) {
      const tf::NodeDef* var = TraceThroughIdentity(by_name, inputs[first + j]);
      if (var == nullptr || !IsVariableOp(var->op()) || keys->key.count(var->name())) continue;
      const int id = bound[j];
      if (id < 0 || id >= static_cast<int>(to_ckpt.size()) || to_ckpt[id] < 0) continue;
      const std::string key = VariableValueKey(ckpt.nodes(to_ckpt[id]));
      if (key.empty()) continue;
      keys->key[var->name()] = key;
      keys->how[var->name()] = "object graph";
      ++found;
    }
  }
  if (found == 0) keys->notes.push_back("no signature call captures a variable of the object graph");
}

void AddRestoreOpKeys(const tf::MetaGraphDef& meta_graph, const OpCatalog& catalog,
                      VariableKeys* keys) {
  const std::string restore = StripTensorSuffix(meta_graph.saver_def().restore_op_name());
  InlineOptions options;
  // Inline only the restore call (a TF2 restore function); TF1 restores in
  // the graph itself.
  options.select = [&restore](const tf::NodeDef& node) { return node.name() == restore; };
  auto flat = InlineFunctionCalls(meta_graph.graph_def(), catalog, options);
  if (!flat.ok()) {
    keys->notes.push_back(
        absl::StrCat("the restore function cannot be read: ", flat.status().message()));
    return;
  }
  const auto by_name = IndexByName(*flat);
  int found = 0;
  for (const auto& node : flat->node()) {
    if (node.op() != "Assign" && node.op() != "AssignVariableOp") continue;
    const std::vector<std::string> inputs = DataInputs(node);
    if (inputs.size() < 2) continue;
    int k = 0;
    const tf::NodeDef* restore_node = TraceThroughIdentity(by_name, inputs[1], &k);
    if (restore_node == nullptr || restore_node->op() != "RestoreV2") continue;
    const std::vector<std::string> restore_inputs = DataInputs(*restore_node);
    if (restore_inputs.size() < 3) continue;
    const tf::NodeDef* names = TraceThroughIdentity(by_name, restore_inputs[1]);
    const tf::NodeDef* slices = TraceThroughIdentity(by_name, restore_inputs[2]);
    if (names == nullptr || names->op() != "Const") continue;
    auto value = names->attr().find("value");
    if (value == names->attr().end() || value->second.tensor().string_val_size() <= k) continue;
    if (slices != nullptr && slices->op() == "Const") {
      auto sv = slices->attr().find("value");
      if (sv != slices->attr().end() && sv->second.tensor().string_val_size() > k &&
          !sv->second.tensor().string_val(k).empty()) {
        continue;  // a slice of a partitioned variable
      }
    }
    const tf::NodeDef* var = TraceThroughIdentity(by_name, inputs[0]);
    if (var == nullptr || !IsVariableOp(var->op()) || keys->key.count(var->name())) continue;
    keys->key[var->name()] = value->second.tensor().string_val(k);
    keys->how[var->name()] = "restore op";
    ++found;
  }
  if (found == 0) keys->notes.push_back("the restore op assigns no variable from the checkpoint");
}

absl::Status FreezeVariables(tf::GraphDef* graph, const VariableKeys& keys,
                             const checkpoint::TensorBundleReader* reader,
                             const std::string& where, FreezeStats* stats,
                             ConstValues* values) {
  // Three steps, so the reads (file I/O, CRC, copies: most of a SavedModel's
  // load time) run on TBB workers: find every variable's key (stopping at
  // the first error), read them in parallel, then check and freeze them in
  // graph order, so errors are the ones a serial loop would report first.
  std::vector<PendingRead> pending;
  absl::Status lookup_error;
  for (tf::NodeDef& node : *graph->mutable_node()) {
    if (!IsVariableOp(node.op())) continue;
    if (reader == nullptr) {
      lookup_error = absl::FailedPreconditionError(absl::StrCat(
          where, ": variable '", node.name(), "' is needed by the signature's outputs, but the "
          "SavedModel has no variables/ directory (variables/variables.index)"));
      break;
    }
    std::string key;
    if (auto it = keys.key.find(node.name()); it != keys.key.end()) {
      key = it->second;
    } else {
      std::vector<std::string> candidates{node.name()};
      if (auto sn = node.attr().find("shared_name");
          sn != node.attr().end() && !sn->second.s().empty()) {
        candidates.push_back(sn->second.s());
      }
      for (const std::string& c : candidates) {
        if (reader->Contains(c)) {
          key = c;
          break;
        }
      }
      if (key.empty()) {
        lookup_error = absl::NotFoundError(absl::StrCat(
            where, ": no checkpoint key found for variable '", node.name(), "' (", node.op(),
            "): not in the object graph, not assigned by the restore op, and no checkpoint entry "
            "has its name",
            keys.notes.empty() ? "" : absl::StrCat(" (", absl::StrJoin(keys.notes, "; "), ")")));
        break;
      }
    }
    if (!reader->Contains(key)) {
      lookup_error = absl::NotFoundError(absl::StrCat(where, ": variable '", node.name(),
                                              "': checkpoint key '", key, "' is not in ",
                                              reader->index_path()));
      break;
    }
    auto entry = reader->Entry(key);
    if (!entry.ok()) {
      lookup_error = entry.status();
      break;
    }
    const tf::DataType stored = (*entry)->dtype();
    tf::DataType declared = tf::DT_INVALID;
    if (auto dt = node.attr().find("dtype"); dt != node.attr().end()) {
      declared = BaseType(dt->second.type());
    }
    if (declared != tf::DT_INVALID && declared != BaseType(stored)) {
      lookup_error = absl::InvalidArgumentError(absl::StrCat(
          where, ": variable '", node.name(), "' is ", TfTypeName(declared), " but checkpoint key '",
          key, "' holds ", TfTypeName(stored)));
      break;
    }
    pending.push_back({&node, key, stored});
  }

  // Step 2: the reads, each into its own slot.
  progress::Phase phase("reading variables", static_cast<int64_t>(pending.size()));
  tbb::parallel_for(size_t{0}, pending.size(), [&](size_t i) {
    PendingRead& p = pending[i];
    auto value = reader->Read(p.key);
    phase.Advance();
    if (!value.ok()) {
      p.read_status = value.status();
      return;
    }
    p.dims = value->dims();
    p.bytes = static_cast<int64_t>(value->raw().size());
    const bool side = values != nullptr && value->dtype() != ir::DataType::kString &&
                      p.bytes >= kSideTableBytes;
    auto proto = ToTensorProto(*value, p.stored, /*with_content=*/!side);
    if (proto.ok()) {
      p.proto = *std::move(proto);
      if (side) p.value = *std::move(value);
    } else {
      p.proto_status = proto.status();
    }
  });

  // Step 3: in graph order, as the serial loop did.
  absl::flat_hash_map<std::string, tf::DataType> frozen;  // variable -> dtype
  for (PendingRead& p : pending) {
    tf::NodeDef& node = *p.node;
    const std::string& key = p.key;
    const tf::DataType stored = p.stored;
    if (!p.read_status.ok()) {
      // The reader names the checkpoint key; say which graph variable it is.
      std::string message(p.read_status.message());
      const std::string reader_prefix = absl::StrCat("variable '", absl::CHexEscape(key), "': ");
      if (absl::StartsWith(message, reader_prefix)) message.erase(0, reader_prefix.size());
      return absl::Status(p.read_status.code(),
                          absl::StrCat(where, ": variable '", node.name(), "' (checkpoint key '",
                                       key, "'): ", message));
    }
    if (auto sh = node.attr().find("shape"); sh != node.attr().end() && sh->second.has_shape()) {
      auto dims = ToDims(sh->second.shape());
      bool known = dims.has_value();
      if (known) {
        for (int64_t d : *dims) known &= d >= 0;
      }
      if (known && *dims != p.dims) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": variable '", node.name(), "' has shape [", absl::StrJoin(*dims, ","),
            "] but checkpoint key '", key, "' holds [", absl::StrJoin(p.dims, ","), "]"));
      }
    }
    RETURN_IF_ERROR(p.proto_status);
    if (stats != nullptr) {
      ++stats->variables;
      stats->bytes += p.bytes;
    }
    frozen[node.name()] = BaseType(stored);
    node.set_op("Const");
    node.clear_input();
    node.mutable_attr()->clear();
    (*node.mutable_attr())["dtype"].set_type(BaseType(stored));
    *(*node.mutable_attr())["value"].mutable_tensor() = std::move(p.proto);
    if (p.value) {
      (*node.mutable_attr())[kConstValueAttr].set_b(true);
      (*values)[node.name()] = *std::move(p.value);
    }
  }
  RETURN_IF_ERROR(lookup_error);
  if (frozen.empty()) return absl::OkStatus();

  // Reads of the frozen variables. Tracing goes through Identity chains
  // (resource handles forwarded by inlined calls).
  const auto by_name = IndexByName(*graph);
  auto frozen_source = [&](const std::string& input) -> const tf::DataType* {
    const tf::NodeDef* src = TraceThroughIdentity(by_name, input);
    if (src == nullptr) return nullptr;
    auto it = frozen.find(src->name());
    return it == frozen.end() ? nullptr : &it->second;
  };
  std::vector<tf::NodeDef> extra;
  for (tf::NodeDef& node : *graph->mutable_node()) {
    const std::vector<std::string> inputs = DataInputs(node);
    auto& attr = *node.mutable_attr();
    if (node.op() == "Identity" || node.op() == "Snapshot") {
      auto t = attr.find("T");
      if (inputs.size() == 1 && t != attr.end() && t->second.type() == tf::DT_RESOURCE) {
        if (const tf::DataType* dt = frozen_source(inputs[0])) {
          t->second.set_type(*dt);
          attr.erase("_output_shapes");
        }
      }
    } else if (node.op() == "IdentityN") {
      auto t = attr.find("T");
      if (t == attr.end()) continue;
      auto* types = t->second.mutable_list()->mutable_type();
      for (int k = 0; k < types->size() && k < static_cast<int>(inputs.size()); ++k) {
        if (types->Get(k) != tf::DT_RESOURCE) continue;
        if (const tf::DataType* dt = frozen_source(inputs[k])) {
          types->Set(k, *dt);
          attr.erase("_output_shapes");
        }
      }
    } else if (node.op() == "ReadVariableOp" && inputs.size() == 1) {
      if (const tf::DataType* dt = frozen_source(inputs[0])) {
        node.set_op("Identity");
        attr.erase("dtype");
        attr["T"].set_type(*dt);
      }
    } else if (node.op() == "ResourceGather" && inputs.size() == 2) {
      if (const tf::DataType* dt = frozen_source(inputs[0])) {
        node.set_op("GatherV2");
        attr.erase("dtype");
        attr.erase("validate_indices");
        attr["Tparams"].set_type(*dt);
        attr["Taxis"].set_type(tf::DT_INT32);
        if (!attr.count("batch_dims")) attr["batch_dims"].set_i(0);
        tf::NodeDef axis;
        axis.set_name(absl::StrCat(node.name(), "/frozen_axis"));
        axis.set_op("Const");
        (*axis.mutable_attr())["dtype"].set_type(tf::DT_INT32);
        auto* tensor = (*axis.mutable_attr())["value"].mutable_tensor();
        tensor->set_dtype(tf::DT_INT32);
        tensor->add_int_val(0);
        node.add_input(axis.name());
        extra.push_back(std::move(axis));
      }
    } else if (node.op() == "ResourceGatherNd" && inputs.size() == 2) {
      if (const tf::DataType* dt = frozen_source(inputs[0])) {
        node.set_op("GatherNd");
        attr.erase("dtype");
        attr["Tparams"].set_type(*dt);
      }
    } else if (node.op() == "VariableShape" && inputs.size() == 1) {
      if (const tf::DataType* dt = frozen_source(inputs[0])) {
        node.set_op("Shape");
        attr["T"].set_type(*dt);
        if (!attr.count("out_type")) attr["out_type"].set_type(tf::DT_INT32);
      }
    }
  }
  for (tf::NodeDef& n : extra) *graph->add_node() = std::move(n);
  return absl::OkStatus();
}

}  // namespace onnxsmith::converter::saved_model
