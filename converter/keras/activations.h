// Keras's built-in activation functions as ONNX (used by Activation, Dense,
// Conv*, ... through LayerContext::Activation).
#ifndef ONNXSMITH_CONVERTER_KERAS_ACTIVATIONS_H_
#define ONNXSMITH_CONVERTER_KERAS_ACTIVATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/keras/layer_context.h"

namespace onnxsmith::converter::keras {

// Applies the built-in activation `name` ("relu", "gelu", ...) to x.
absl::StatusOr<std::string> EmitNamedActivation(LayerContext& ctx, const std::string& x,
                                                const std::string& name);
// GELU, exact (erf) or with the tanh approximation.
std::string EmitGelu(LayerContext& ctx, const std::string& x, bool approximate);

// Sparsemax along the last axis (Keras' formula).
std::string EmitSparsemax(LayerContext& ctx, const std::string& x);

// The activation names EmitNamedActivation knows.
std::vector<std::string> KnownActivations();

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_ACTIVATIONS_H_
