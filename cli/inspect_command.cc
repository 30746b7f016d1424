// `onnxsmith inspect FILE|DIR`: what a model file is and what it holds.
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/inspect_command.h"
#include "cli/report.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "converter/keras/keras_file.h"
#include "converter/keras/keras_model.h"
#include "converter/tf/graphdef_reader.h"
#include "converter/tf/proto/saved_model.pb.h"
#include "converter/tf/tensor_convert.h"
#include "converter/tf/tf_graph.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::cli {
namespace {


std::string TfTensorInfo(const tf::TensorInfo& info) {
  auto dims = converter::ToDims(info.tensor_shape());
  std::string shape = "?";
  if (dims) {
    std::vector<std::string> d;
    for (int64_t v : *dims) d.push_back(v < 0 ? "?" : absl::StrCat(v));
    shape = absl::StrCat("[", absl::StrJoin(d, ","), "]");
  }
  return absl::StrCat(info.name(), " ", converter::TfTypeName(info.dtype()), shape);
}

void PrintGraphDef(const tf::GraphDef& graph, const std::string& indent) {
  std::map<std::string, int> ops;
  std::vector<std::string> placeholders;
  for (const auto& n : graph.node()) {
    ++ops[n.op()];
    if (n.op() != "Placeholder") continue;
    std::string type = "?";
    auto it = n.attr().find("dtype");
    if (it != n.attr().end()) type = converter::TfTypeName(it->second.type());
    auto shape = n.attr().find("shape");
    std::string dims = "";
    if (shape != n.attr().end()) {
      auto d = converter::ToDims(shape->second.shape());
      if (d) {
        std::vector<std::string> parts;
        for (int64_t v : *d) parts.push_back(v < 0 ? "?" : absl::StrCat(v));
        dims = absl::StrCat("[", absl::StrJoin(parts, ","), "]");
      }
    }
    placeholders.push_back(absl::StrCat(n.name(), ":0 ", type, dims));
  }
  std::printf("%snodes:     %d, functions: %d\n", indent.c_str(), graph.node_size(),
              graph.library().function_size());
  std::printf("%sinputs:    %s\n", indent.c_str(),
              placeholders.empty() ? "none (no placeholders)" : absl::StrJoin(placeholders, ", ").c_str());
  auto view = converter::TfGraph::Build(graph);
  if (view.ok()) {
    std::vector<std::string> sinks;
    for (const auto* n : view->Sinks()) sinks.push_back(absl::StrCat(n->name(), ":0 (", n->op(), ")"));
    std::printf("%soutputs:   %s\n", indent.c_str(), absl::StrJoin(sinks, ", ").c_str());
  } else {
    std::printf("%soutputs:   unknown: %s\n", indent.c_str(),
                std::string(view.status().message()).c_str());
  }
  std::printf("%sops:       %s\n", indent.c_str(), FormatHistogram(ops, 40).c_str());
}

void PrintOnnx(const onnx::ModelProto& proto, const ir::Model& model) {
  std::vector<std::string> opsets;
  for (const auto& [domain, version] : model.opset_imports) {
    opsets.push_back(absl::StrCat(domain.empty() ? "ai.onnx" : domain, " ", version));
  }
  std::printf("  ir_version: %lld, opsets: %s, producer: %s %s\n",
              static_cast<long long>(model.ir_version), absl::StrJoin(opsets, ", ").c_str(),
              proto.producer_name().c_str(), proto.producer_version().c_str());
  std::vector<std::string> ins, outs;
  for (const auto& v : model.graph.inputs) ins.push_back(v.name + " " + FormatType(v.type));
  for (const auto& v : model.graph.outputs) outs.push_back(v.name + " " + FormatType(v.type));
  std::printf("  inputs:     %s\n", absl::StrJoin(ins, ", ").c_str());
  std::printf("  outputs:    %s\n", absl::StrJoin(outs, ", ").c_str());
  std::printf("  nodes:      %zu, initializers: %zu (%s)\n", model.graph.nodes.size(),
              model.graph.initializers.size(), FormatBytes(InitializerBytes(model.graph)).c_str());
  std::printf("  ops:        %s\n", FormatHistogram(OpHistogram(model.graph), 40).c_str());
}

absl::Status InspectSavedModel(const std::string& dir) {
  const std::string pb = dir + "/saved_model.pb";
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(pb));
  tf::SavedModel saved;
  if (!saved.ParseFromString(bytes) || saved.meta_graphs_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(pb, ": not a SavedModel (truncated or corrupt protobuf)"));
  }
  std::printf("%s: TensorFlow SavedModel, %d meta graph(s), variables/: %s\n", dir.c_str(),
              saved.meta_graphs_size(), PathExists(dir + "/variables") ? "yes" : "no");
  for (const auto& mg : saved.meta_graphs()) {
    std::printf("  meta graph tags [%s], TF %s\n",
                absl::StrJoin(mg.meta_info_def().tags(), ",").c_str(),
                mg.meta_info_def().tensorflow_version().c_str());
    std::map<std::string, const tf::SignatureDef*> sigs;
    for (const auto& [key, sig] : mg.signature_def()) sigs[key] = &sig;
    for (const auto& [key, sig] : sigs) {
      std::map<std::string, std::string> ins, outs;
      for (const auto& [k, v] : sig->inputs()) ins[k] = TfTensorInfo(v);
      for (const auto& [k, v] : sig->outputs()) outs[k] = TfTensorInfo(v);
      std::vector<std::string> in_s, out_s;
      for (const auto& [k, v] : ins) in_s.push_back(absl::StrCat(k, "=", v));
      for (const auto& [k, v] : outs) out_s.push_back(absl::StrCat(k, "=", v));
      std::printf("    signature %s: (%s) -> (%s)\n", key.c_str(), absl::StrJoin(in_s, ", ").c_str(),
                  absl::StrJoin(out_s, ", ").c_str());
    }
    PrintGraphDef(mg.graph_def(), "    ");
  }
  return absl::OkStatus();
}

// Keras file: the model's class, layer classes and weights (what the
// converter will meet), without converting.
absl::Status InspectKeras(const std::string& path, const std::string& size) {
  namespace keras = converter::keras;
  ASSIGN_OR_RETURN(keras::KerasModelFile file, keras::ReadKeras(path));
  ASSIGN_OR_RETURN(std::vector<keras::ConfigLayer> layers, keras::ConfigLayers(file.config));
  std::map<std::string, int> classes;
  for (const keras::ConfigLayer& l : layers) ++classes[l.class_name];
  std::vector<std::string> hist;
  for (const auto& [c, n] : classes) hist.push_back(absl::StrCat(c, " x", n));
  std::string cls = "?";
  if (file.config.is_object()) {
    auto it = file.config.find("class_name");
    if (it != file.config.end() && it->is_string()) cls = it->get<std::string>();
  }
  std::printf("%s: %s, %s, Keras %s\n", path.c_str(), file.format_name(), size.c_str(),
              file.keras_version.empty() ? "?" : file.keras_version.c_str());
  std::printf("  model:   %s, %zu layers, %zu with weights (%s)\n",
              cls.c_str(), layers.size(),
              file.weights.size(), FormatBytes(file.weight_bytes).c_str());
  std::printf("  layers:  %s\n", absl::StrJoin(hist, ", ").c_str());
  return absl::OkStatus();
}

}  // namespace

absl::Status RunInspect(const InspectOptions& o) {
  const std::string& path = o.path;
  if (!PathExists(path)) return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
  if (IsDirectory(path)) {
    if (SniffFormat(path, "") != FileFormat::kSavedModelDir) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": a directory without saved_model.pb, not a SavedModel"));
    }
    return InspectSavedModel(path);
  }
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  const FileFormat format = SniffFormat(path, bytes);
  const std::string size = FormatBytes(static_cast<int64_t>(bytes.size()));
  switch (format) {
    case FileFormat::kHdf5:
    case FileFormat::kZip:
      return InspectKeras(path, size);
    case FileFormat::kUnknown:
      return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
    default: break;
  }
  if (format == FileFormat::kBinaryProto) {
    onnx::ModelProto proto;
    if (proto.ParseFromString(bytes) && proto.has_graph() && proto.ir_version() > 0) {
      auto model = ir::FromModelProto(proto);
      if (!model.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ONNX model: ", model.status().message()));
      }
      std::printf("%s: ONNX model, %s\n", path.c_str(), size.c_str());
      PrintOnnx(proto, *model);
      return absl::OkStatus();
    }
    tf::SavedModel saved;
    if (saved.ParseFromString(bytes) && saved.meta_graphs_size() > 0 &&
        saved.meta_graphs(0).has_graph_def() && saved.meta_graphs(0).graph_def().node_size() > 0) {
      const size_t slash = path.rfind('/');
      return InspectSavedModel(slash == std::string::npos ? "." : path.substr(0, slash));
    }
  }
  auto graph = converter::ParseGraphDef(bytes, path);
  if (!graph.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a model onnxsmith reads (ONNX, TF GraphDef, SavedModel, Keras): ",
        graph.status().message()));
  }
  std::printf("%s: TensorFlow GraphDef (%s), %s, producer %d\n", path.c_str(),
              format == FileFormat::kTextProto ? "text" : "binary", size.c_str(),
              graph->versions().producer());
  PrintGraphDef(*graph, "  ");
  return absl::OkStatus();
}

}  // namespace onnxsmith::cli
