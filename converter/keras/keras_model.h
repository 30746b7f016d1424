// The layer graph of a Keras model config: Sequential (every Keras version's
// form) and Functional models, with Keras 2's inbound_nodes
// ([[name, node_index, tensor_index, kwargs], ...]) and Keras 3's
// ({"args": [...], "kwargs": {...}} holding "__keras_tensor__" references),
// nested models, shared layers (several inbound nodes) and several
// inputs/outputs. Sequential models are given the same shape as Functional
// ones (an input layer and one inbound node per layer).
#ifndef ONNXSMITH_CONVERTER_KERAS_KERAS_MODEL_H_
#define ONNXSMITH_CONVERTER_KERAS_KERAS_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "converter/keras/json_util.h"

namespace onnxsmith::converter::keras {

// A tensor of a Keras graph: output `tensor` of call `node` of layer `layer`.
struct KerasTensorRef {
  std::string layer;
  int node = 0;
  int tensor = 0;
  bool operator==(const KerasTensorRef& o) const {
    return layer == o.layer && node == o.node && tensor == o.tensor;
  }
};

// One call of a layer.
struct InboundNode {
  std::vector<KerasTensorRef> args;  // positional tensors, nested lists flattened in order
  // Tensors passed by keyword (e.g. MultiHeadAttention's value=, RNN initial_state=).
  std::vector<std::pair<std::string, KerasTensorRef>> kwarg_tensors;
  Json kwargs = Json::object();  // the call's keyword arguments as saved
  // Keras 3: the positional arguments as saved, constants included (e.g. the
  // 1.0 of `x + 1.0` recorded as an Add operation); null for Keras 2.
  Json args_json;
};

struct KerasModelSpec;

struct KerasLayerSpec {
  std::string name;
  std::string class_name;
  std::string module;           // Keras 3 only ("keras.layers", or the user's module)
  std::string registered_name;  // Keras 3 only (custom objects: "package>Name")
  const Json* entry = nullptr;  // the whole layer entry of the config
  const Json* config = nullptr; // its "config" object (never null: an empty object if absent)
  std::vector<InboundNode> inbound;
  // Set for a nested model (a Sequential/Functional used as a layer).
  std::shared_ptr<KerasModelSpec> model;
};

struct KerasModelSpec {
  std::string name;
  std::string class_name;  // "Sequential", "Functional", "Model"
  std::vector<KerasLayerSpec> layers;
  absl::flat_hash_map<std::string, int> index;  // layer name -> position in `layers`
  std::vector<KerasTensorRef> inputs;
  std::vector<KerasTensorRef> outputs;
  // Sequential without an input layer in its config: the synthesized one.
  std::unique_ptr<Json> synthesized_input;

  const KerasLayerSpec* Find(const std::string& layer) const {
    auto it = index.find(layer);
    return it == index.end() ? nullptr : &layers[it->second];
  }
};

// The layer entries of a model config ({"class_name", "config"}), in order,
// as (name, class_name, entry). Shared by the file readers, which need the
// order to find each layer's weights.
struct ConfigLayer {
  std::string name;
  std::string class_name;
  const Json* entry = nullptr;
};
absl::StatusOr<std::vector<ConfigLayer>> ConfigLayers(const Json& model);

// Builds the layer graph of `model` (which must outlive the result).
// `depth` counts nesting, bounded by `max_depth`.
absl::StatusOr<std::shared_ptr<KerasModelSpec>> ParseModelSpec(const Json& model, int depth = 0,
                                                               int max_depth = 32);

// The batch shape of an input layer config (batch_shape / batch_input_shape /
// input_shape / shape), -1 for unknown dims; nullopt if none is given.
std::optional<std::vector<int64_t>> InputLayerShape(const Json& config);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_KERAS_MODEL_H_
