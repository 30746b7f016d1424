// Reading Keras model files without Python: Keras 2 / tf.keras HDF5 (.h5,
// and .keras files that are HDF5 inside) and Keras 3 archives (.keras: a zip
// of config.json, metadata.json and model.weights.h5; also an unzipped
// directory holding the same files). The format is sniffed from the content.
//
// Everything read is bounded: zip members by their declared and actual
// decompressed sizes, JSON by nesting depth, HDF5 datasets by the file size.
#ifndef ONNXSMITH_CONVERTER_KERAS_KERAS_FILE_H_
#define ONNXSMITH_CONVERTER_KERAS_KERAS_FILE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/keras/json_util.h"
#include "ir/tensor.h"

namespace onnxsmith::converter::keras {

// One variable of a layer. `name` is what the file calls it: the weight name
// in .h5 ("dense/kernel:0", "lstm/lstm_cell/recurrent_kernel:0") and, in
// .keras, the path below the layer's group ("vars/0", "cell/vars/1",
// "_query_dense/vars/0").
struct KerasWeight {
  std::string name;
  ir::Tensor value;
};

struct KerasModelFile {
  enum class Format { kHdf5, kKerasV3 };
  Format format = Format::kHdf5;
  std::string path;
  std::string keras_version;  // "2.4.0", "2.2.4-tf", "3.8.0"; empty if the file does not say
  std::string backend;        // .h5 only ("tensorflow")
  // The model: {"class_name": "Sequential" | "Functional" | "Model", "config": {...}}.
  Json config;
  // Variables per layer, in Keras's layer.weights order (trainable, then
  // non-trainable; in .keras, a layer's own vars then its sub-objects' in
  // name order). Keyed by the layer's path of names from the top model:
  // "dense", and "inner/in_d" for layer in_d of the nested model inner.
  std::map<std::string, std::vector<KerasWeight>> weights;
  int64_t weight_bytes = 0;
  // .keras only: the files below assets/ by their path there
  // ("layers/string_lookup/vocabulary.txt"; lookup layers' vocabularies), and
  // each layer's directory in model.weights.h5 and assets/ by layer path
  // ("lookup" -> "layers/string_lookup").
  std::map<std::string, std::string> assets;
  std::map<std::string, std::string> layer_dirs;

  // 2 or 3 (from keras_version; 2 when unknown).
  int keras_major() const;
  const char* format_name() const {
    return format == Format::kHdf5 ? "Keras HDF5" : "Keras 3 archive";
  }
};

struct KerasReadOptions {
  // Largest decompressed size of config.json / metadata.json.
  int64_t max_json_bytes = int64_t{256} << 20;
  // Largest decompressed size of all zip members together.
  int64_t max_total_bytes = int64_t{4} << 30;
  int max_json_depth = kMaxJsonDepth;
  // Nested models deeper than this are refused.
  int max_model_depth = 32;
};

absl::StatusOr<KerasModelFile> ReadKeras(const std::string& path,
                                         const KerasReadOptions& options = {});

// Keras' naming.to_snake_case, which names a layer's group in model.weights.h5
// ("Conv2D" -> "conv2d", "BatchNormalization" -> "batch_normalization").
std::string KerasSnakeCase(const std::string& class_name);

// True for the config class names of models (Sequential, Functional, Model).
bool IsModelClass(const std::string& class_name);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_KERAS_FILE_H_
