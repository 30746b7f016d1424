// The table of Keras layer handlers: config class_name -> conversion
// function, with the number of positional input tensors it takes and notes
// on its limits (both declared at registration; docs/keras_support.md is
// generated from them). The converter checks the arity before calling.
//
// Each layer family lives in its own file and registers its classes from one
// Register*Layers function declared below; LayerFamilies() (layer_registry.cc)
// lists them all, as HandlerFamilies() does for TF ops (see
// converter/handlers/registry.h for why a list rather than static registrars).
#ifndef ONNXSMITH_CONVERTER_KERAS_LAYER_REGISTRY_H_
#define ONNXSMITH_CONVERTER_KERAS_LAYER_REGISTRY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "converter/input_arity.h"
#include "converter/registry_families.h"

namespace onnxsmith::converter::keras {

class LayerContext;

// Converts one call of a layer: reads ctx's inputs, config and weights, emits
// ONNX nodes, and sets every output the model reads (ctx.SetOutput).
using LayerFn = absl::Status (*)(LayerContext& ctx);

struct LayerHandler {
  LayerFn fn = nullptr;
  InputArity inputs;  // positional input tensors of a call
  std::string notes;  // limits and particulars, for docs/keras_support.md
};

class LayerRegistry;
using LayerFamily = RegistryFamily<LayerRegistry>;

class LayerRegistry {
 public:
  // The registry of every family in LayerFamilies(). A duplicate
  // registration (a programming error) keeps the first and is reported by
  // status(); //tests/unit:keras_converter_test requires it OK.
  static const LayerRegistry& Global();
  // A registry of `families`; an error on a duplicate registration.
  static absl::StatusOr<LayerRegistry> Build(absl::Span<const LayerFamily> families) {
    return BuildRegistry(families);
  }

  // Registers `fn` for each class name; a class registered twice is a
  // duplicate: the first stays.
  void Register(const std::vector<std::string>& class_names, InputArity inputs, LayerFn fn,
                const std::string& notes = "");
  const absl::Status& status() const { return status_; }

  // The handler of `class_name`, or nullptr.
  const LayerHandler* Find(const std::string& class_name) const;
  std::vector<std::string> Classes() const;

 private:
  std::map<std::string, LayerHandler> table_;
  absl::Status status_;
};

// Checks ctx's inputs against `handler`'s arity, then runs it.
absl::Status RunLayerHandler(const LayerHandler& handler, LayerContext& ctx);

// The layer families, one per file.
void RegisterCoreLayers(LayerRegistry& r);           // core_layers.cc: InputLayer, Dense, activations,
                                                     // reshaping, merging, Embedding, Masking, dropout...
void RegisterConvLayers(LayerRegistry& r);           // conv_layers.cc: Conv*, pooling, padding, cropping, upsampling
void RegisterNormalizationLayers(LayerRegistry& r);  // normalization_layers.cc: BatchNormalization, LayerNormalization, ...
void RegisterRecurrentLayers(LayerRegistry& r);      // recurrent_layers.cc: LSTM, GRU, SimpleRNN, RNN, Bidirectional
void RegisterConvLstmLayers(LayerRegistry& r);      // conv_lstm.cc: ConvLSTM1D/2D/3D (ONNX Scan)
void RegisterAttentionLayers(LayerRegistry& r);      // attention_layers.cc: MultiHeadAttention, EinsumDense, Attention
void RegisterAdaptivePoolingLayers(LayerRegistry& r);  // adaptive_pooling_layers.cc: Adaptive{Average,Max}Pooling1-3D
void RegisterApplicationsLayers(LayerRegistry& r);   // applications_layers.cc: keras.applications' own classes
void RegisterLookupLayers(LayerRegistry& r);         // lookup_layers.cc: IntegerLookup, StringLookup
void RegisterPreprocessingLayers(LayerRegistry& r);  // preprocessing_layers.cc: Resizing, CenterCrop, lookups...
void RegisterImagePreprocessingLayers(LayerRegistry& r), RegisterAudioLayers(LayerRegistry& r), RegisterCompositeLayers(LayerRegistry& r), RegisterTextLayers(LayerRegistry& r);  // image_preprocessing_layers.cc (AutoContrast, ...), audio_layers.cc (STFT/MelSpectrogram), composite_layers.cc (Pipeline, ReversibleEmbedding), text_vectorization.cc
// keras_ops.cc: Keras 3 operations recorded in functional models (module
// keras.src.ops.*), registered as "ops.<Class>" (e.g. "ops.Add", "ops.Mean").
void RegisterKerasOps(LayerRegistry& r);
void RegisterKerasBitwiseOps(LayerRegistry& r);
void RegisterKerasQuantileOps(LayerRegistry& r);     // keras_quantile_ops.cc: quantile, percentile, median      // keras_bitwise_ops.cc: bitwise_*, shifts
// keras_array_ops.cc: Keras 3 operations that index, combine or reshape arrays (GetItem, Stack, ...).
void RegisterKerasArrayOps(LayerRegistry& r);
// keras_math_ops.cc: sorting, contractions, Cumprod, elementwise functions, NaN-aware reductions, ...
void RegisterKerasMathOps(LayerRegistry& r);
// keras_shape_ops.cc: BroadcastTo, Rot90, Diagonal/Trace, DepthToSpace, Select, Average, Moments, ...
void RegisterKerasShapeOps(LayerRegistry& r);

void RegisterKerasIndexOps(LayerRegistry& r);     // keras_index_ops.cc: Slice, Scatter, Segment*, ArraySplit...
void RegisterKerasCreationOps(LayerRegistry& r);  // keras_creation_ops.cc: Full, Linspace, Diag, Kron, Cross...
void RegisterKerasImageOps(LayerRegistry& r);     // keras_image_ops.cc: keras.ops.image and keras.ops.nn forms

// Keras classes that exist but do not convert: class -> reason (unconverted_classes.cc).
const std::map<std::string, std::string>& UnconvertedKerasClasses();
// Keras 3 operations (keras.ops classes, without "ops.") that do not convert: class -> reason.
const std::map<std::string, std::string>& UnconvertedKerasOps();

// Every family above, in registration order.
absl::Span<const LayerFamily> LayerFamilies();

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_LAYER_REGISTRY_H_
