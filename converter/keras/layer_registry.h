// The table of Keras layer handlers: config class_name -> conversion function.
// Each layer family lives in its own file and registers its classes from one
// Register*Layers function; Global() calls them all.
//
// To add a family (e.g. converter/keras/recurrent_layers.cc): define the
// Register function declared below in the new file (BUILD globs *.cc) and add
// its one call to LayerRegistry::Global() in layer_registry.cc.
#ifndef ONNXSMITH_CONVERTER_KERAS_LAYER_REGISTRY_H_
#define ONNXSMITH_CONVERTER_KERAS_LAYER_REGISTRY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace onnxsmith::converter::keras {

class LayerContext;

// Converts one call of a layer: reads ctx's inputs, config and weights, emits
// ONNX nodes, and sets every output the model reads (ctx.SetOutput).
using LayerFn = absl::Status (*)(LayerContext& ctx);

class LayerRegistry {
 public:
  // The registry with every built-in handler.
  static const LayerRegistry& Global();

  // Registers `fn` for each class name (a later registration replaces an earlier one).
  void Register(const std::vector<std::string>& class_names, LayerFn fn);
  // The handler of `class_name`, or nullptr.
  LayerFn Find(const std::string& class_name) const;
  std::vector<std::string> Classes() const;

 private:
  std::map<std::string, LayerFn> table_;
};

// One registration function per layer-family file.
void RegisterCoreLayers(LayerRegistry& r);           // core_layers.cc: InputLayer, Dense, activations,
                                                     // reshaping, merging, Embedding, Masking, dropout...
void RegisterConvLayers(LayerRegistry& r);           // conv_layers.cc: Conv*, pooling, padding, cropping, upsampling
void RegisterNormalizationLayers(LayerRegistry& r);  // normalization_layers.cc: BatchNormalization, LayerNormalization, ...
// keras_ops.cc: Keras 3 operations recorded in functional models (module
// keras.src.ops.*), registered as "ops.<Class>" (e.g. "ops.Add", "ops.Mean").
void RegisterKerasOps(LayerRegistry& r);

// Reserved for the recurrent and attention families: define them in
// recurrent_layers.cc (LSTM, GRU, SimpleRNN, Bidirectional) and
// attention_layers.cc (MultiHeadAttention, ...), then call them from
// LayerRegistry::Global().
void RegisterRecurrentLayers(LayerRegistry& r);
void RegisterAttentionLayers(LayerRegistry& r);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_LAYER_REGISTRY_H_
