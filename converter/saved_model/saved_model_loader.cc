#include "converter/saved_model/saved_model_loader.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "converter/checkpoint/tensor_bundle.h"
#include "converter/saved_model/concrete_function.h"
#include "converter/tf/function_inliner.h"
#include "converter/tf/graph_util.h"
#include "converter/saved_model/variable_freezer.h"
#include "converter/tf/proto_parse.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::converter {
namespace {


constexpr char kInitOpSignature[] = "__saved_model_init_op";

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return absl::StrCat(dir, "/", name);
}

std::string TagSetText(const google::protobuf::RepeatedPtrField<std::string>& tags) {
  std::vector<std::string> sorted(tags.begin(), tags.end());
  std::sort(sorted.begin(), sorted.end());
  return absl::StrCat("[", absl::StrJoin(sorted, ", "), "]");
}

absl::StatusOr<const tf::MetaGraphDef*> SelectMetaGraph(const tf::SavedModel& saved,
                                                        const std::string& tag,
                                                        const std::string& dir) {
  std::set<std::string> wanted;
  for (absl::string_view t : absl::StrSplit(tag, ',', absl::SkipWhitespace())) {
    wanted.insert(std::string(absl::StripAsciiWhitespace(t)));
  }
  if (wanted.empty() && saved.meta_graphs_size() == 1) return &saved.meta_graphs(0);
  std::vector<std::string> available;
  for (const auto& mg : saved.meta_graphs()) {
    std::set<std::string> have(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
    if (have == wanted) return &mg;
    available.push_back(TagSetText(mg.meta_info_def().tags()));
  }
  std::vector<std::string> wanted_list(wanted.begin(), wanted.end());
  return absl::NotFoundError(absl::StrCat(
      dir, ": no MetaGraph with tag set [", absl::StrJoin(wanted_list, ", "),
      "]; available tag sets: ", absl::StrJoin(available, ", "),
      " (choose one with --tag, comma-separated)"));
}

absl::StatusOr<const tf::SignatureDef*> SelectSignature(const tf::MetaGraphDef& mg,
                                                        const std::string& key,
                                                        const std::string& dir) {
  auto it = mg.signature_def().find(key);
  if (it != mg.signature_def().end()) return &it->second;
  std::vector<std::string> available;
  for (const auto& [k, sig] : mg.signature_def()) {
    if (k != kInitOpSignature) available.push_back(k);
  }
  std::sort(available.begin(), available.end());
  // TF2 models also hold concrete functions, which --concrete_function converts.
  const std::string functions =
      saved_model::ListConcreteFunctions(mg).empty()
          ? ""
          : absl::StrCat("; concrete functions: ", saved_model::DescribeConcreteFunctions(mg),
                         " (choose one with --concrete_function NAME|INDEX)");
  if (available.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no signature '", key, "': the MetaGraph ",
                                            TagSetText(mg.meta_info_def().tags()),
                                            " has no signatures", functions));
  }
  return absl::NotFoundError(absl::StrCat(dir, ": no signature '", key, "' in MetaGraph ",
                                          TagSetText(mg.meta_info_def().tags()),
                                          "; available signatures: ",
                                          absl::StrJoin(available, ", "),
                                          " (choose one with --signature_def)", functions));
}

struct SignatureTensor {
  std::string key;
  std::string node;
  int output = 0;
  const tf::TensorInfo* info = nullptr;
};

absl::StatusOr<std::vector<SignatureTensor>> SignatureTensors(
    const google::protobuf::Map<std::string, tf::TensorInfo>& map, const char* what,
    const std::string& signature, const std::string& dir) {
  std::vector<SignatureTensor> out;
  for (const auto& [key, info] : map) {
    if (info.encoding_case() != tf::TensorInfo::kName) {
      return absl::UnimplementedError(absl::StrCat(
          dir, ": signature '", signature, "' ", what, " '", key,
          "' is a sparse or composite tensor, which onnxsmith does not convert"));
    }
    if (info.has_tensor_shape()) {
      RETURN_IF_ERROR(CheckTfRank(
          info.tensor_shape().dim_size(),
          absl::StrCat(dir, ": signature '", signature, "' ", what, " '", key, "'")));
    }
    SignatureTensor t;
    t.key = key;
    t.info = &info;
    if (!ParseGraphInput(info.name(), &t.node, &t.output) || t.node.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(dir, ": signature '", signature, "' ", what,
                                                     " '", key, "' names no tensor ('",
                                                     info.name(), "')"));
    }
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(),
            [](const SignatureTensor& a, const SignatureTensor& b) { return a.key < b.key; });
  return out;
}

std::optional<std::vector<int64_t>> SignatureShape(const tf::TensorInfo& info) {
  if (!info.has_tensor_shape()) return std::nullopt;
  return ToDims(info.tensor_shape());
}

// Copies the functions `graph`'s nodes still refer to (control flow bodies),
// and the functions those refer to, from `library`.
void CopyReferencedFunctions(const tf::FunctionDefLibrary& library, tf::GraphDef* graph) {
  absl::flat_hash_map<std::string, const tf::FunctionDef*> by_name;
  for (const auto& f : library.function()) by_name.emplace(f.signature().name(), &f);
  std::vector<std::string> queue;
  absl::flat_hash_set<std::string> seen;
  auto visit_node = [&](const tf::NodeDef& node) {
    auto add = [&](const std::string& name) {
      if (by_name.count(name) && seen.insert(name).second) queue.push_back(name);
    };
    add(node.op());
    for (const auto& [k, v] : node.attr()) {
      if (v.has_func()) add(v.func().name());
      for (const auto& f : v.list().func()) add(f.name());
    }
  };
  for (const auto& node : graph->node()) visit_node(node);
  while (!queue.empty()) {
    const std::string name = queue.back();
    queue.pop_back();
    for (const auto& node : by_name[name]->node_def()) visit_node(node);
  }
  for (const auto& f : library.function()) {
    if (seen.count(f.signature().name())) *graph->mutable_library()->add_function() = f;
  }
}

// TF strips attributes that have their default value from SavedModels
// (meta_info_def.stripped_default_attrs); the op list has the defaults.
void AddDefaultAttrs(const OpCatalog& catalog, tf::GraphDef* graph) {
  for (tf::NodeDef& node : *graph->mutable_node()) {
    const tf::OpDef* def = catalog.FindOp(node.op());
    if (def == nullptr) continue;
    for (const auto& attr : def->attr()) {
      if (!attr.has_default_value() || node.attr().count(attr.name())) continue;
      (*node.mutable_attr())[attr.name()] = attr.default_value();
    }
  }
}

}  // namespace

absl::Status ApplyInputOverrides(const std::vector<TensorSpec>& overrides, FrozenGraph* frozen) {
  for (const TensorSpec& o : overrides) {
    bool matched = false;
    for (size_t i = 0; i < frozen->inputs.size(); ++i) {
      TensorSpec& in = frozen->inputs[i];
      if (in.tensor_name() == o.tensor_name() ||
          (o.output == 0 && o.node == frozen->input_names[i])) {
        if (o.shape) in.shape = o.shape;
        matched = true;
        break;
      }
    }
    if (!matched) {
      std::vector<std::string> known;
      for (size_t i = 0; i < frozen->inputs.size(); ++i) {
        known.push_back(absl::StrCat(frozen->input_names[i], " (", frozen->inputs[i].tensor_name(), ")"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "--inputs: '", o.tensor_name(), "' is not an input of the signature; its inputs are: ",
          known.empty() ? "none" : absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<tf::SavedModel> ReadSavedModelProto(const std::string& dir) {
  if (!PathExists(dir)) {
    return absl::NotFoundError(absl::StrCat(dir, ": no such SavedModel directory"));
  }
  if (!IsDirectory(dir)) {
    return absl::InvalidArgumentError(absl::StrCat(
        dir, ": is a file, not a SavedModel directory (for a frozen GraphDef use --graphdef)"));
  }
  const std::string pb = JoinPath(dir, "saved_model.pb");
  const std::string pbtxt = JoinPath(dir, "saved_model.pbtxt");
  tf::SavedModel saved;
  std::string source;
  if (PathExists(pb)) {
    source = pb;
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(pb));
    if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(pb, ": empty file"));
    if (!ParseBinaryProto(bytes, kMaxSavedModelNesting, &saved)) {
      return absl::InvalidArgumentError(absl::StrCat(
          pb, ": not a SavedModel (truncated or corrupt protobuf, ", bytes.size(), " bytes)"));
    }
  } else if (PathExists(pbtxt)) {
    source = pbtxt;
    ASSIGN_OR_RETURN(std::string text, ReadFile(pbtxt));
    if (absl::Status s = ParseTextProto(text, kMaxSavedModelNesting, &saved); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(pbtxt, ": not a text SavedModel: ", s.message()));
    }
  } else {
    return absl::NotFoundError(absl::StrCat(
        dir, ": not a SavedModel directory (no saved_model.pb or saved_model.pbtxt)"));
  }
  if (saved.meta_graphs_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": holds no MetaGraph (not a SavedModel, or a corrupt one)"));
  }
  return saved;
}

absl::StatusOr<FrozenGraph> LoadSavedModel(const std::string& dir,
                                           const SavedModelOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(tf::SavedModel saved, ReadSavedModelProto(dir));
  ASSIGN_OR_RETURN(const tf::MetaGraphDef* mg, SelectMetaGraph(saved, options.tag, dir));
  std::string signature_key = options.signature.empty() ? "serving_default" : options.signature;
  // --concrete_function: a copy of the MetaGraph with a signature made for it.
  tf::MetaGraphDef with_function;
  if (!options.concrete_function.empty()) {
    with_function = *mg;
    ASSIGN_OR_RETURN(signature_key, saved_model::AddConcreteFunctionSignature(
                                        options.concrete_function, &with_function, dir));
    mg = &with_function;
  }
  ASSIGN_OR_RETURN(const tf::SignatureDef* sig, SelectSignature(*mg, signature_key, dir));
  ASSIGN_OR_RETURN(std::vector<SignatureTensor> ins,
                   SignatureTensors(sig->inputs(), "input", signature_key, dir));
  ASSIGN_OR_RETURN(std::vector<SignatureTensor> outs,
                   SignatureTensors(sig->outputs(), "output", signature_key, dir));
  if (outs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": signature '", signature_key, "' has no outputs"));
  }

  FrozenGraph result;
  SavedModelStats& stats = result.stats;
  stats.tensorflow_version = mg->meta_info_def().tensorflow_version();
  stats.graph_nodes = mg->graph_def().node_size();
  stats.library_functions = mg->graph_def().library().function_size();
  const OpCatalog catalog(&mg->meta_info_def().stripped_op_list(), &mg->graph_def().library());
  const std::string where = dir;

  // The outer graph, with the signature's inputs made Placeholders where
  // they are some other node's only used output (TF1 exports often name an
  // Identity after a ParseExample).
  tf::GraphDef outer;
  *outer.mutable_versions() = mg->graph_def().versions();
  for (const auto& node : mg->graph_def().node()) *outer.add_node() = node;
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < outer.node_size(); ++i) index.emplace(outer.node(i).name(), i);
  absl::flat_hash_map<std::string, int> max_output_read;
  for (const auto& node : outer.node()) {
    for (const std::string& in : node.input()) {
      std::string name;
      int k;
      if (ParseGraphInput(in, &name, &k)) {
        max_output_read[name] = std::max(max_output_read[name], k);
      }
    }
  }
  for (const auto& t : outs) {
    max_output_read[t.node] = std::max(max_output_read[t.node], t.output);
  }
  absl::flat_hash_set<std::string> leaves;
  for (const SignatureTensor& t : ins) {
    auto it = index.find(t.node);
    if (it == index.end()) {
      return absl::NotFoundError(absl::StrCat(dir, ": signature '", signature_key, "' input '",
                                              t.key, "' is tensor '", t.info->name(),
                                              "', but the graph has no node '", t.node, "'"));
    }
    tf::NodeDef& node = *outer.mutable_node(it->second);
    if (node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault") {
      leaves.insert(node.name());
    } else if (t.output == 0 && max_output_read[t.node] == 0) {
      tf::NodeDef placeholder;
      placeholder.set_name(node.name());
      placeholder.set_op("Placeholder");
      placeholder.set_device(node.device());
      (*placeholder.mutable_attr())["dtype"].set_type(t.info->dtype());
      if (t.info->has_tensor_shape()) {
        *(*placeholder.mutable_attr())["shape"].mutable_shape() = t.info->tensor_shape();
      } else {
        (*placeholder.mutable_attr())["shape"].mutable_shape()->set_unknown_rank(true);
      }
      node = std::move(placeholder);
      leaves.insert(node.name());
    }
    // Otherwise the converter cuts the graph at the tensor itself.
  }
  std::vector<std::string> output_nodes;
  for (const SignatureTensor& t : outs) {
    if (!index.count(t.node)) {
      return absl::NotFoundError(absl::StrCat(dir, ": signature '", signature_key, "' output '",
                                              t.key, "' is tensor '", t.info->name(),
                                              "', but the graph has no node '", t.node, "'"));
    }
    output_nodes.push_back(t.node);
  }
  // Inputs stay in the graph even when no output needs them: they are part
  // of the signature.
  for (const SignatureTensor& t : ins) output_nodes.push_back(t.node);
  auto prefix_error = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(dir, ": ", s.message()));
  };

  // Prune, inline what is left, prune again (bodies bring NoOps and
  // unused outputs along).
  auto pruned = PruneToOutputs(outer, output_nodes, leaves);
  if (!pruned.ok()) return prefix_error(pruned.status());
  InlineStats inline_stats;
  auto inlined =
      InlineFunctionCalls(*pruned, catalog, InlineOptions{}, &inline_stats);
  if (!inlined.ok()) return prefix_error(inlined.status());
  stats.calls_inlined = inline_stats.calls_inlined;
  auto graph = PruneToOutputs(*inlined, output_nodes, leaves);
  if (!graph.ok()) return prefix_error(graph.status());

  // Variables.
  bool has_variables = false;
  for (const auto& node : graph->node()) has_variables |= saved_model::IsVariableOp(node.op());
  if (has_variables) {
    const std::string prefix = JoinPath(JoinPath(dir, "variables"), "variables");
    std::optional<checkpoint::TensorBundleReader> reader;
    if (PathExists(prefix + ".index")) {
      auto opened = checkpoint::TensorBundleReader::Open(prefix);
      if (!opened.ok()) return prefix_error(opened.status());
      reader = std::move(*opened);
    }
    saved_model::VariableKeys keys;
    if (reader) saved_model::AddObjectGraphKeys(*mg, *reader, &keys);
    saved_model::AddRestoreOpKeys(*mg, catalog, &keys);
    saved_model::FreezeStats freeze_stats;
    result.const_values = std::make_shared<ConstValues>();
    RETURN_IF_ERROR(saved_model::FreezeVariables(&*graph, keys, reader ? &*reader : nullptr,
                                                 where, &freeze_stats, result.const_values.get()));
    stats.variables_frozen = freeze_stats.variables;
    stats.variable_bytes = freeze_stats.bytes;
  }
  AddDefaultAttrs(catalog, &*graph);
  auto final_graph = PruneToOutputs(std::move(*graph), output_nodes, leaves);
  if (!final_graph.ok()) return prefix_error(final_graph.status());
  CopyReferencedFunctions(mg->graph_def().library(), &*final_graph);
  if (result.const_values != nullptr) {
    // Values of variables the outputs do not need are released here.
    ConstValues kept;
    for (const tf::NodeDef& node : final_graph->node()) {
      auto it = result.const_values->find(node.name());
      if (it != result.const_values->end()) kept[node.name()] = std::move(it->second);
    }
    *result.const_values = std::move(kept);
  }
  result.graph = std::move(*final_graph);
  stats.frozen_nodes = result.graph.node_size();

  for (const SignatureTensor& t : ins) {
    TensorSpec spec{t.node, t.output, SignatureShape(*t.info)};
    result.inputs.push_back(std::move(spec));
    result.input_names.push_back(t.key);
  }
  for (const SignatureTensor& t : outs) {
    result.outputs.push_back(TensorSpec{t.node, t.output, std::nullopt});
    result.output_names.push_back(t.key);
  }
  stats.load_ms = MsSince(start);
  return result;
}

}  // namespace onnxsmith::converter
