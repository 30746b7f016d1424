// Keras model file (.h5 / .keras) -> ONNX model: read the file, build the
// layer graph, check every layer class has a handler, convert layer calls in
// topological order (nested models inlined), and name the ONNX inputs and
// outputs after the Keras input and output layers.
#ifndef ONNXSMITH_CONVERTER_KERAS_KERAS_CONVERTER_H_
#define ONNXSMITH_CONVERTER_KERAS_KERAS_CONVERTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "converter/keras/keras_file.h"
#include "converter/tf_converter.h"

namespace onnxsmith::converter {

// Reads and converts `path`. Of `options`: opset; inputs (by input layer
// name, e.g. "input_1" or "input_1:0", to override shapes: "input_1[1,224,224,3]");
// outputs (by layer name, to pick outputs other than the model's);
// inputs_as_nchw / outputs_as_nchw; source. custom_ops does not apply.
// ConversionStats count Keras layer calls: tf_nodes = layers in the config
// (nested included), tf_nodes_used = layer calls converted, tf_ops = calls per class.
absl::StatusOr<ConversionResult> ConvertKeras(const std::string& path,
                                              const ConvertOptions& options);

// The same for a file already read.
absl::StatusOr<ConversionResult> ConvertKerasModel(const keras::KerasModelFile& file,
                                                   const ConvertOptions& options);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_KERAS_KERAS_CONVERTER_H_
