// inspect for Keras .h5 / .keras files: the model, its inputs and outputs,
// layers and weights. Output shapes come from converting the model in memory
// (Keras files do not store them); when that fails they are unknown.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/inspect/inspect_doc.h"
#include "common/status_macros.h"
#include "converter/keras/keras_converter.h"
#include "converter/keras/keras_file.h"
#include "converter/keras/keras_model.h"

namespace onnxsmith::cli::inspect {
namespace {

namespace keras = converter::keras;

Doc DimsDoc(const std::optional<std::vector<int64_t>>& dims) {
  if (!dims) return nullptr;
  Doc out = Doc::array();
  for (int64_t d : *dims) out.push_back(d < 0 ? -1 : d);
  return out;
}

Doc IrShape(const ir::ValueType& type) {
  if (!type.shape) return nullptr;
  Doc out = Doc::array();
  for (const ir::Dim& d : *type.shape) {
    if (d.known()) {
      out.push_back(d.size);
    } else if (!d.param.empty()) {
      out.push_back(d.param);
    } else {
      out.push_back(-1);
    }
  }
  return out;
}


}  // namespace

absl::StatusOr<Doc> KerasDoc(const std::string& path, int64_t file_bytes) {
  ASSIGN_OR_RETURN(keras::KerasModelFile file, keras::ReadKeras(path));
  ASSIGN_OR_RETURN(std::shared_ptr<keras::KerasModelSpec> spec, keras::ParseModelSpec(file.config));
  Doc doc;
  doc["path"] = path;
  doc["format"] = file.format == keras::KerasModelFile::Format::kHdf5 ? "keras_h5" : "keras_v3";
  doc["file_bytes"] = file_bytes;
  doc["keras_version"] = file.keras_version;
  if (!file.backend.empty()) doc["backend"] = file.backend;
  doc["class_name"] = spec->class_name;
  doc["name"] = spec->name;

  // Params per top-level layer (a nested model's weights are keyed "inner/...").
  std::map<std::string, int64_t> params;
  int64_t weight_tensors = 0, total_params = 0, layers_with_weights = 0;
  for (const auto& [layer, weights] : file.weights) {
    if (!weights.empty()) ++layers_with_weights;
    const std::string top = layer.substr(0, layer.find('/'));
    for (const keras::KerasWeight& w : weights) {
      params[top] += w.value.num_elements();
      total_params += w.value.num_elements();
      ++weight_tensors;
    }
  }
  Doc layers = Doc::array();
  std::map<std::string, Doc> input_shapes;
  for (const keras::KerasLayerSpec& l : spec->layers) {
    Doc d;
    d["name"] = l.name;
    d["class_name"] = l.class_name;
    if (l.class_name == "InputLayer") {
      input_shapes[l.name] = DimsDoc(keras::InputLayerShape(*l.config));
      d["output_shape"] = input_shapes[l.name];
    }
    if (l.model) d["layers"] = l.model->layers.size();
    if (auto it = params.find(l.name); it != params.end()) d["params"] = it->second;
    layers.push_back(std::move(d));
  }
  Doc inputs = Doc::array();
  for (const keras::KerasTensorRef& ref : spec->inputs) {
    auto it = input_shapes.find(ref.layer);
    inputs.push_back({{"layer", ref.layer},
                      {"shape", it == input_shapes.end() ? Doc(nullptr) : it->second}});
  }
  // Output shapes: what the converter infers. Its ONNX outputs follow the
  // model's outputs in order.
  Doc outputs = Doc::array();
  converter::ConvertOptions options;
  options.source = path;
  auto converted = converter::ConvertKerasModel(file, options);
  for (size_t i = 0; i < spec->outputs.size(); ++i) {
    Doc o;
    o["layer"] = spec->outputs[i].layer;
    o["shape"] = nullptr;
    if (converted.ok() && i < converted->model.graph.outputs.size()) {
      const ir::ValueInfo& v = converted->model.graph.outputs[i];
      o["dtype"] = ir::DataTypeName(v.type.dtype);
      o["shape"] = IrShape(v.type);
    }
    outputs.push_back(std::move(o));
  }
  if (!converted.ok()) doc["shapes_unknown_because"] = std::string(converted.status().message());
  doc["inputs"] = std::move(inputs);
  doc["outputs"] = std::move(outputs);
  doc["layer_count"] = layers.size();
  doc["layers"] = std::move(layers);
  doc["weights"] = {{"tensors", weight_tensors},
                    {"layers_with_weights", layers_with_weights},
                    {"params", total_params},
                    {"bytes", file.weight_bytes}};
  return doc;
}

void PrintKeras(const Doc& doc, TextView& view) {
  const std::string version = doc["keras_version"].get<std::string>();
  view.Line(0, absl::StrCat(doc["path"].get<std::string>(), ": ",
                            doc["format"] == "keras_h5" ? "Keras HDF5" : "Keras 3 archive", ", ",
                            BytesText(doc["file_bytes"].get<int64_t>()), ", Keras ",
                            version.empty() ? "?" : version,
                            doc.contains("backend")
                                ? absl::StrCat(" (", doc["backend"].get<std::string>(), ")")
                                : ""));
  view.Line(2, absl::StrCat("model:   ", doc["class_name"].get<std::string>(), " '",
                            doc["name"].get<std::string>(), "'"));
  std::vector<std::string> items;
  for (const Doc& i : doc["inputs"]) {
    items.push_back(absl::StrCat(i["layer"].get<std::string>(), "  ", ShapeText(i["shape"])));
  }
  view.Line(2, items.empty() ? "inputs:  none" : "inputs:");
  view.List(4, items);
  items.clear();
  for (const Doc& o : doc["outputs"]) {
    items.push_back(absl::StrCat(
        o["layer"].get<std::string>(), "  ",
        o.contains("dtype") ? absl::StrCat(o["dtype"].get<std::string>(), " ") : "",
        ShapeText(o["shape"])));
  }
  view.Line(2, items.empty() ? "outputs: none" : "outputs:");
  view.List(4, items);
  if (doc.contains("shapes_unknown_because")) {
    view.Line(4, absl::StrCat("(output shapes unknown: ",
                              doc["shapes_unknown_because"].get<std::string>(), ")"));
  }
  const Doc& w = doc["weights"];
  view.Line(2, absl::StrCat("weights: ", Thousands(w["tensors"].get<int64_t>()), " tensors in ",
                            w["layers_with_weights"].dump(), " layers, ",
                            Thousands(w["params"].get<int64_t>()), " parameters, ",
                            BytesText(w["bytes"].get<int64_t>())));
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Doc& l : doc["layers"]) {
    std::string item = l["class_name"].get<std::string>();
    if (l.contains("output_shape")) absl::StrAppend(&item, " ", ShapeText(l["output_shape"]));
    if (l.contains("layers")) absl::StrAppend(&item, " (", l["layers"].dump(), " layers)");
    if (l.contains("params")) absl::StrAppend(&item, ", ", Thousands(l["params"].get<int64_t>()), " params");
    rows.emplace_back(l["name"].get<std::string>(), std::move(item));
  }
  view.Line(2, absl::StrCat("layers:  ", doc["layer_count"].dump()));
  view.Pairs(4, rows);
}

}  // namespace onnxsmith::cli::inspect
