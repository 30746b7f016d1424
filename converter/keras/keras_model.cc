#include "converter/keras/keras_model.h"

#include "absl/strings/str_cat.h"
#include "converter/keras/keras_file.h"

namespace onnxsmith::converter::keras {

namespace {

const Json& EmptyObject() {
  static const Json* empty = new Json(Json::object());
  return *empty;
}

absl::Status Bad(const std::string& msg) {
  return absl::InvalidArgumentError(absl::StrCat("Keras model config: ", msg));
}

std::string LayerName(const Json& entry) {
  if (const Json* cfg = Find(entry, "config")) {
    if (const Json* n = Find(*cfg, "name"); n && n->is_string()) return n->get<std::string>();
  }
  if (const Json* n = Find(entry, "name"); n && n->is_string()) return n->get<std::string>();
  return "";
}

// [name, node_index, tensor_index(, kwargs)] as written by Keras 2.
std::optional<KerasTensorRef> Keras2Ref(const Json& v) {
  if (!v.is_array() || v.size() < 3 || v.size() > 4 || !v[0].is_string()) return std::nullopt;
  auto node = AsInt(v[1]);
  auto tensor = AsInt(v[2]);
  if (!node || !tensor || *node < 0 || *tensor < 0 || *node > (1 << 20) || *tensor > (1 << 20)) {
    return std::nullopt;
  }
  return KerasTensorRef{v[0].get<std::string>(), static_cast<int>(*node),
                        static_cast<int>(*tensor)};
}

// {"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}.
std::optional<KerasTensorRef> Keras3Ref(const Json& v) {
  const Json* cls = Find(v, "class_name");
  if (!cls || !cls->is_string() || cls->get_ref<const std::string&>() != "__keras_tensor__") {
    return std::nullopt;
  }
  const Json* cfg = Find(v, "config");
  const Json* history = cfg ? Find(*cfg, "keras_history") : nullptr;
  if (!history) return std::nullopt;
  return Keras2Ref(*history);
}

// Appends every Keras 3 tensor reference inside `v` (lists/dicts walked in order).
absl::Status CollectKeras3Refs(const Json& v, std::vector<KerasTensorRef>* out, int depth) {
  if (depth > 64) return Bad("call arguments nested too deeply");
  if (v.is_object()) {
    if (const Json* cls = Find(v, "class_name");
        cls && cls->is_string() && cls->get_ref<const std::string&>() == "__keras_tensor__") {
      auto ref = Keras3Ref(v);
      if (!ref) return Bad(absl::StrCat("bad __keras_tensor__ reference ", DumpJson(v)));
      out->push_back(*ref);
      return absl::OkStatus();
    }
    for (const auto& item : v.items()) {
      if (auto s = CollectKeras3Refs(item.value(), out, depth + 1); !s.ok()) return s;
    }
  } else if (v.is_array()) {
    for (const Json& e : v) {
      if (auto s = CollectKeras3Refs(e, out, depth + 1); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// Keras 2 keyword tensors: [name, i, j] or lists of them.
void CollectKeras2KwargRefs(const Json& v, std::vector<KerasTensorRef>* out, int depth) {
  if (depth > 16) return;
  if (auto ref = Keras2Ref(v); ref && (v.size() == 3 || (v.size() == 4 && v[3].is_object()))) {
    out->push_back(*ref);
    return;
  }
  if (v.is_array()) {
    for (const Json& e : v) CollectKeras2KwargRefs(e, out, depth + 1);
  }
}

absl::StatusOr<InboundNode> ParseInboundNode(const Json& node, const std::string& layer) {
  InboundNode out;
  if (node.is_object()) {  // Keras 3
    if (const Json* args = Find(node, "args")) {
      if (auto s = CollectKeras3Refs(*args, &out.args, 0); !s.ok()) return s;
      out.args_json = *args;
    }
    if (const Json* kwargs = Find(node, "kwargs"); kwargs && kwargs->is_object()) {
      out.kwargs = *kwargs;
      for (const auto& item : kwargs->items()) {
        std::vector<KerasTensorRef> refs;
        if (auto s = CollectKeras3Refs(item.value(), &refs, 0); !s.ok()) return s;
        for (auto& r : refs) out.kwarg_tensors.emplace_back(item.key(), std::move(r));
      }
    }
    return out;
  }
  if (!node.is_array()) {
    return Bad(absl::StrCat("layer '", layer, "': bad inbound node ", DumpJson(node)));
  }
  for (const Json& entry : node) {  // Keras 2
    auto ref = Keras2Ref(entry);
    if (!ref) return Bad(absl::StrCat("layer '", layer, "': bad inbound entry ", DumpJson(entry)));
    out.args.push_back(*ref);
    if (entry.size() == 4 && entry[3].is_object()) {
      for (const auto& item : entry[3].items()) {
        out.kwargs[item.key()] = item.value();
        std::vector<KerasTensorRef> refs;
        CollectKeras2KwargRefs(item.value(), &refs, 0);
        for (auto& r : refs) out.kwarg_tensors.emplace_back(item.key(), std::move(r));
      }
    }
  }
  return out;
}

// input_layers / output_layers: [[n, i, j], ...], a single [n, i, j], or a dict of them.
absl::StatusOr<std::vector<KerasTensorRef>> ParseEndpoints(const Json* v, const char* what) {
  std::vector<KerasTensorRef> out;
  if (v == nullptr || v->is_null()) return out;
  if (auto single = Keras2Ref(*v)) {
    out.push_back(*single);
    return out;
  }
  if (v->is_array() || v->is_object()) {
    for (const auto& item : v->items()) {
      auto ref = Keras2Ref(item.value());
      if (!ref) {
        // Keras 3 may nest one more level (a list holding the list).
        if (item.value().is_array()) {
          auto inner = ParseEndpoints(&item.value(), what);
          if (!inner.ok()) return inner.status();
          for (auto& r : *inner) out.push_back(std::move(r));
          continue;
        }
        return Bad(absl::StrCat("bad ", what, " entry ", DumpJson(item.value())));
      }
      out.push_back(*ref);
    }
    return out;
  }
  return Bad(absl::StrCat("bad ", what, " ", DumpJson(*v)));
}

std::string PolicyDtype(const Json* dtype) {
  if (dtype == nullptr) return "float32";
  if (dtype->is_string()) {
    const std::string& s = dtype->get_ref<const std::string&>();
    return s.rfind("mixed_", 0) == 0 ? "float32" : s;
  }
  if (const Json* cfg = Find(*dtype, "config")) {
    if (const Json* n = Find(*cfg, "name"); n && n->is_string()) {
      return PolicyDtype(n);
    }
  }
  return "float32";
}

absl::Status AddLayer(KerasModelSpec* spec, KerasLayerSpec layer) {
  if (layer.name.empty()) return Bad(absl::StrCat("a ", layer.class_name, " layer has no name"));
  if (spec->index.count(layer.name)) {
    return Bad(absl::StrCat("two layers named '", layer.name, "' in model '", spec->name, "'"));
  }
  spec->index[layer.name] = static_cast<int>(spec->layers.size());
  spec->layers.push_back(std::move(layer));
  return absl::OkStatus();
}

absl::StatusOr<KerasLayerSpec> BasicLayer(const ConfigLayer& cl, int depth, int max_depth) {
  KerasLayerSpec layer;
  layer.name = cl.name;
  layer.class_name = cl.class_name;
  layer.entry = cl.entry;
  const Json* cfg = Find(*cl.entry, "config");
  layer.config = cfg && cfg->is_object() ? cfg : &EmptyObject();
  if (const Json* m = Find(*cl.entry, "module"); m && m->is_string()) layer.module = m->get<std::string>();
  if (const Json* r = Find(*cl.entry, "registered_name"); r && r->is_string()) {
    layer.registered_name = r->get<std::string>();
  }
  if (IsModelClass(cl.class_name)) {
    auto nested = ParseModelSpec(*cl.entry, depth + 1, max_depth);
    if (!nested.ok()) return nested.status();
    layer.model = *std::move(nested);
  }
  return layer;
}

absl::StatusOr<std::shared_ptr<KerasModelSpec>> ParseSequential(const Json& model,
                                                                std::vector<ConfigLayer> layers,
                                                                int depth, int max_depth) {
  auto spec = std::make_shared<KerasModelSpec>();
  spec->class_name = "Sequential";
  const Json* cfg = Find(model, "config");
  if (cfg && cfg->is_object()) {
    if (const Json* n = Find(*cfg, "name"); n && n->is_string()) spec->name = n->get<std::string>();
  }
  if (spec->name.empty()) spec->name = "sequential";
  if (layers.empty()) return Bad(absl::StrCat("Sequential model '", spec->name, "' has no layers"));

  size_t first = 0;
  std::string prev;
  if (layers[0].class_name == "InputLayer") {
    auto input = BasicLayer(layers[0], depth, max_depth);
    if (!input.ok()) return input.status();
    prev = input->name;
    if (auto s = AddLayer(spec.get(), *std::move(input)); !s.ok()) return s;
    first = 1;
  } else {
    // Keras 2 puts batch_input_shape on the first layer; Keras 3 a built
    // Sequential without InputLayer keeps build_input_shape.
    const Json* first_cfg = Find(*layers[0].entry, "config");
    std::optional<std::vector<int64_t>> shape;
    if (first_cfg) shape = InputLayerShape(*first_cfg);
    if (!shape && cfg && cfg->is_object()) {
      if (const Json* b = FindNonNull(*cfg, "build_input_shape")) {
        Json wrapper = {{"batch_shape", *b}};
        shape = InputLayerShape(wrapper);
      }
    }
    if (!shape) {
      return Bad(absl::StrCat("Sequential model '", spec->name,
                              "' declares no input shape (no InputLayer, batch_input_shape or "
                              "build_input_shape); it was never built"));
    }
    Json shape_json = Json::array();
    for (int64_t d : *shape) shape_json.push_back(d < 0 ? Json(nullptr) : Json(d));
    spec->synthesized_input = std::make_unique<Json>(Json{
        {"class_name", "InputLayer"},
        {"config",
         {{"name", layers[0].name + "_input"},
          {"batch_input_shape", shape_json},
          {"dtype", PolicyDtype(first_cfg ? Find(*first_cfg, "dtype") : nullptr)}}}});
    ConfigLayer synth{layers[0].name + "_input", "InputLayer", spec->synthesized_input.get()};
    auto input = BasicLayer(synth, depth, max_depth);
    if (!input.ok()) return input.status();
    prev = input->name;
    if (auto s = AddLayer(spec.get(), *std::move(input)); !s.ok()) return s;
  }
  spec->inputs.push_back({prev, 0, 0});
  for (size_t i = first; i < layers.size(); ++i) {
    if (layers[i].class_name == "InputLayer") {
      return Bad(absl::StrCat("Sequential model '", spec->name, "' has an InputLayer ('",
                              layers[i].name, "') after its first layer"));
    }
    auto layer = BasicLayer(layers[i], depth, max_depth);
    if (!layer.ok()) return layer.status();
    InboundNode node;
    node.args.push_back({prev, 0, 0});
    layer->inbound.push_back(std::move(node));
    prev = layer->name;
    if (auto s = AddLayer(spec.get(), *std::move(layer)); !s.ok()) return s;
  }
  spec->outputs.push_back({prev, 0, 0});
  return spec;
}

absl::StatusOr<std::shared_ptr<KerasModelSpec>> ParseFunctional(const Json& model,
                                                                std::vector<ConfigLayer> layers,
                                                                const std::string& class_name,
                                                                int depth, int max_depth) {
  auto spec = std::make_shared<KerasModelSpec>();
  spec->class_name = class_name;
  const Json& cfg = *Find(model, "config");
  if (const Json* n = Find(cfg, "name"); n && n->is_string()) spec->name = n->get<std::string>();
  if (spec->name.empty()) spec->name = "model";
  for (const ConfigLayer& cl : layers) {
    auto layer = BasicLayer(cl, depth, max_depth);
    if (!layer.ok()) return layer.status();
    if (const Json* nodes = FindNonNull(*cl.entry, "inbound_nodes")) {
      if (!nodes->is_array()) {
        return Bad(absl::StrCat("layer '", cl.name, "': inbound_nodes is not a list"));
      }
      for (const Json& node : *nodes) {
        auto parsed = ParseInboundNode(node, cl.name);
        if (!parsed.ok()) return parsed.status();
        layer->inbound.push_back(*std::move(parsed));
      }
    }
    if (auto s = AddLayer(spec.get(), *std::move(layer)); !s.ok()) return s;
  }
  auto inputs = ParseEndpoints(Find(cfg, "input_layers"), "input_layers");
  if (!inputs.ok()) return inputs.status();
  auto outputs = ParseEndpoints(Find(cfg, "output_layers"), "output_layers");
  if (!outputs.ok()) return outputs.status();
  spec->inputs = *std::move(inputs);
  spec->outputs = *std::move(outputs);
  if (spec->outputs.empty()) return Bad(absl::StrCat("model '", spec->name, "' has no outputs"));
  for (const auto* list : {&spec->inputs, &spec->outputs}) {
    for (const KerasTensorRef& ref : *list) {
      if (spec->Find(ref.layer) == nullptr) {
        return Bad(absl::StrCat("model '", spec->name, "' names input/output layer '", ref.layer,
                                "', which it does not contain"));
      }
    }
  }
  return spec;
}

}  // namespace

bool IsModelClass(const std::string& class_name) {
  return class_name == "Sequential" || class_name == "Functional" || class_name == "Model";
}

absl::StatusOr<std::vector<ConfigLayer>> ConfigLayers(const Json& model) {
  const Json* cls = Find(model, "class_name");
  const Json* cfg = Find(model, "config");
  if (!cls || !cls->is_string() || !cfg) {
    return Bad("expected an object with class_name and config");
  }
  const Json* list = nullptr;
  if (cfg->is_array()) {
    list = cfg;  // Keras <= 2.1 Sequential
  } else if (const Json* l = Find(*cfg, "layers"); l && l->is_array()) {
    list = l;
  }
  if (list == nullptr) {
    return Bad(absl::StrCat("model of class '", cls->get<std::string>(), "' has no layer list"));
  }
  std::vector<ConfigLayer> out;
  for (const Json& entry : *list) {
    const Json* c = Find(entry, "class_name");
    if (!c || !c->is_string()) return Bad(absl::StrCat("layer without class_name: ", DumpJson(entry)));
    out.push_back({LayerName(entry), c->get<std::string>(), &entry});
  }
  return out;
}

absl::StatusOr<std::shared_ptr<KerasModelSpec>> ParseModelSpec(const Json& model, int depth,
                                                               int max_depth) {
  if (depth > max_depth) {
    return Bad(absl::StrCat("models nested deeper than ", max_depth, " levels"));
  }
  auto layers = ConfigLayers(model);
  if (!layers.ok()) return layers.status();
  const std::string cls = Find(model, "class_name")->get<std::string>();
  if (cls == "Sequential") return ParseSequential(model, *std::move(layers), depth, max_depth);
  if (cls == "Functional" || cls == "Model") {
    if (!Find(model, "config")->is_object()) return Bad("Functional config is not an object");
    return ParseFunctional(model, *std::move(layers), cls, depth, max_depth);
  }
  return absl::UnimplementedError(absl::StrCat(
      "the model is of class '", cls,
      "', a subclassed Keras model whose call() is Python code that the file does not hold; "
      "export it as a TensorFlow SavedModel (model.export(dir) in Keras 3, "
      "tf.saved_model.save in Keras 2) and convert that with --saved-model"));
}

std::optional<std::vector<int64_t>> InputLayerShape(const Json& config) {
  auto dims_of = [](const Json& v, bool prepend_batch) -> std::optional<std::vector<int64_t>> {
    if (!v.is_array() || v.size() > 32) return std::nullopt;
    std::vector<int64_t> dims;
    if (prepend_batch) dims.push_back(-1);
    for (const Json& d : v) {
      if (d.is_null()) {
        dims.push_back(-1);
      } else if (auto i = AsInt(d); i && *i >= 0) {
        dims.push_back(*i);
      } else {
        return std::nullopt;
      }
    }
    return dims;
  };
  if (const Json* v = FindNonNull(config, "batch_shape")) return dims_of(*v, false);
  if (const Json* v = FindNonNull(config, "batch_input_shape")) return dims_of(*v, false);
  if (const Json* v = FindNonNull(config, "input_shape")) return dims_of(*v, true);
  if (const Json* v = FindNonNull(config, "shape")) return dims_of(*v, true);
  return std::nullopt;
}

}  // namespace onnxsmith::converter::keras
