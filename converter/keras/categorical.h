// Keras' encode_categorical_inputs, shared by CategoryEncoding, Discretization
// and the lookup layers (preprocessing_layers.cc).
#ifndef ONNXSMITH_CONVERTER_KERAS_CATEGORICAL_H_
#define ONNXSMITH_CONVERTER_KERAS_CATEGORICAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/keras/layer_context.h"
#include "ir/tensor.h"

namespace onnxsmith::converter::keras {

// Encodes int64 ids in [0, depth) as output_mode `mode` says: int (a cast to
// dtype), one_hot (a trailing size-1 axis dropped first), multi_hot and count
// of the ids of each row of a rank-2 input. Ids outside [0, depth) encode as
// zeros (ONNX OneHot; negative ids would wrap, callers keep them out).
absl::StatusOr<std::string> EncodeCategorical(LayerContext& ctx, std::string ids, int rank,
                                              const std::string& mode, int64_t depth,
                                              ir::DataType dtype);

// A lookup layer's vocabulary as saved, special tokens included when Keras
// wrote them: the config's `vocabulary` list, else the .keras asset
// vocabulary.txt (lookup_layers.cc; TextVectorization reads it too).
absl::StatusOr<std::vector<std::string>> SavedVocabulary(const LayerContext& ctx);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_CATEGORICAL_H_
