#include "converter/keras/layer_registry.h"

#include "absl/strings/str_cat.h"
#include "converter/keras/layer_context.h"

namespace onnxsmith::converter::keras {

absl::Span<const LayerFamily> LayerFamilies() {
  static constexpr LayerFamily kFamilies[] = {
      {"core", RegisterCoreLayers},           {"conv", RegisterConvLayers},
      {"adaptive pooling", RegisterAdaptivePoolingLayers},
      {"normalization", RegisterNormalizationLayers}, {"ops", RegisterKerasOps},
      {"ops (arrays)", RegisterKerasArrayOps},
      {"ops (math)", RegisterKerasMathOps},
      {"ops (layout, statistics)", RegisterKerasShapeOps},
      {"recurrent", RegisterRecurrentLayers}, {"attention", RegisterAttentionLayers},
      {"convolutional recurrent", RegisterConvLstmLayers},
      {"lookup", RegisterLookupLayers}, {"ops (bitwise)", RegisterKerasBitwiseOps},
      {"ops (quantiles)", RegisterKerasQuantileOps},
      {"ops (indexing)", RegisterKerasIndexOps}, {"ops (creation)", RegisterKerasCreationOps}, {"ops (image, nn)", RegisterKerasImageOps},
      {"preprocessing", RegisterPreprocessingLayers}, {"applications", RegisterApplicationsLayers},
      {"image preprocessing", RegisterImagePreprocessingLayers}, {"audio", RegisterAudioLayers}, {"composite", RegisterCompositeLayers}, {"text", RegisterTextLayers},
  };
  return kFamilies;
}

const LayerRegistry& LayerRegistry::Global() {
  static const LayerRegistry* registry = new LayerRegistry(RegistryFromFamilies(LayerFamilies()));
  return *registry;
}

void LayerRegistry::Register(const std::vector<std::string>& class_names, InputArity inputs,
                             LayerFn fn, const std::string& notes) {
  for (const std::string& c : class_names) {
    if (!table_.emplace(c, LayerHandler{fn, inputs, notes}).second && status_.ok()) {
      status_ = absl::AlreadyExistsError(absl::StrCat("Keras class '", c, "' is registered twice"));
    }
  }
}

const LayerHandler* LayerRegistry::Find(const std::string& class_name) const {
  auto it = table_.find(class_name);
  return it == table_.end() ? nullptr : &it->second;
}

std::vector<std::string> LayerRegistry::Classes() const {
  std::vector<std::string> out;
  for (const auto& [name, handler] : table_) out.push_back(name);
  return out;
}

absl::Status RunLayerHandler(const LayerHandler& handler, LayerContext& ctx) {
  absl::Status arity =
      CheckInputArity(handler.inputs, ctx.num_inputs(),
                      absl::StrCat("layer '", ctx.name(), "' (", ctx.class_name(), ")"),
                      "input tensor");
  if (!arity.ok()) return arity;
  return handler.fn(ctx);
}

}  // namespace onnxsmith::converter::keras
