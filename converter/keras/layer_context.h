// What a Keras layer handler sees of the layer call it converts: the layer's
// config, its weights, its input tensors as ONNX values (Keras layout:
// channels last), keyword tensors, masks, and an emitter of ONNX nodes
// (emit/onnx_emitter.h), as TF's NodeContext (handlers/node_context.h).
#ifndef ONNXSMITH_CONVERTER_KERAS_LAYER_CONTEXT_H_
#define ONNXSMITH_CONVERTER_KERAS_LAYER_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "converter/emit/graph_builder.h"
#include "converter/emit/layout.h"
#include "converter/emit/onnx_emitter.h"
#include "converter/emit/op_context.h"
#include "converter/keras/json_util.h"
#include "converter/keras/keras_file.h"
#include "converter/keras/keras_model.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter::keras {

// A Keras mask travelling with a tensor: which timesteps count. Set by
// Masking and by Embedding(mask_zero=True); handlers that honour masks (RNNs,
// GlobalAveragePooling1D) read it, the rest ignore it as Keras does.
struct KerasMask {
  enum class Kind {
    kNotAllEqual,  // step t counts if any feature of source[:, t, ...] != value (Masking)
    kNonZero,      // step t counts if source[:, t] != 0 (Embedding ids, mask_zero=True)
  };
  Kind kind = Kind::kNotAllEqual;
  std::string source;  // ONNX value the mask is computed from
  double value = 0;
};

// Shared by all layer calls of one conversion.
struct ConversionEnv {
  GraphBuilder* builder = nullptr;
  int opset = 17;
  int keras_major = 2;
  std::string keras_version;
  const KerasModelFile* file = nullptr;  // assets (.keras)
  // (layer path + key) -> initializer, so shared layers and repeated nested
  // models reuse their weights.
  absl::flat_hash_map<std::string, std::string> const_cache;
};

// A Keras layer call's emitter (names start with the layer's path) plus what
// is Keras's own: config, weights, keyword tensors, masks.
class LayerContext : public OpContext {
 public:
  LayerContext(const KerasLayerSpec& layer, const InboundNode& node, int node_index,
               std::string path, std::vector<std::string> inputs,
               std::vector<std::optional<KerasMask>> input_masks,
               std::vector<std::pair<std::string, std::string>> kwarg_inputs,
               const std::vector<KerasWeight>* weights, ConversionEnv* env);

  // --- the layer ---
  // Its path from the top model ("dense", "inner/in_d"), used in names and errors.
  const std::string& name() const { return path_; }
  const std::string& class_name() const { return layer_.class_name; }
  const KerasLayerSpec& layer() const { return layer_; }
  const Json& config() const { return *layer_.config; }
  int node_index() const { return node_index_; }  // which call of a shared layer
  const InboundNode& node() const { return node_; }
  int keras_major() const { return env_->keras_major; }
  const std::string& keras_version() const { return env_->keras_version; }

  // --- inputs: positional tensors of the call, nested lists flattened; the
  // converter has checked their count against the arity the layer registered ---
  // The rank of input i, or an error naming the layer.
  absl::StatusOr<int> InputRank(int i) const;
  // Tensors passed by keyword, e.g. "value" (MultiHeadAttention), "initial_state".
  std::vector<std::string> kwarg_inputs(const std::string& key) const;
  // The call's keyword arguments as saved (non-tensor values included).
  const Json& call_kwargs() const { return node_.kwargs; }
  // Keras 3: the positional arguments as saved, constants included (null for Keras 2).
  const Json& call_args() const { return node_.args_json; }
  // The mask travelling with input i implicitly (Sequential models, Keras 2).
  const std::optional<KerasMask>& input_mask(int i) const;
  // A bool [batch, steps] tensor from `mask`.
  std::string MaskTensor(const KerasMask& mask);
  // The mask of input i as a bool [batch, steps] tensor: the call's explicit
  // mask= tensor (Keras 3 functional models record mask computations as
  // operations), else the implicit mask; nullopt if the input has none.
  std::optional<std::string> InputMaskTensor(int i);

  // --- config ---
  const Json* cfg(const char* key) const { return FindNonNull(config(), key); }
  bool has(const char* key) const { return cfg(key) != nullptr; }
  int64_t Int(const char* key, int64_t default_value) const;
  double Float(const char* key, double default_value) const;
  bool Bool(const char* key, bool default_value) const;
  std::string String(const char* key, const std::string& default_value) const;
  // An int or a list of ints, expanded to n entries (n = 0: as given).
  absl::StatusOr<std::vector<int64_t>> Ints(const char* key, size_t n) const;
  absl::StatusOr<std::vector<int64_t>> Ints(const char* key, size_t n,
                                            const std::vector<int64_t>& default_value) const;
  // A required int.
  absl::StatusOr<int64_t> RequiredInt(const char* key) const;
  // "channels_last" (default) or "channels_first".
  absl::StatusOr<bool> ChannelsFirst() const;

  // --- weights (Keras's layer.weights order) ---
  int num_weights() const { return weights_ ? static_cast<int>(weights_->size()) : 0; }
  const std::vector<KerasWeight>& weights() const;
  // Weight i as float32, or an error naming the layer and `what` ("kernel").
  absl::StatusOr<ir::Tensor> FloatWeight(int i, const std::string& what) const;
  // The weight whose name ends with "/<suffix>" or "/<suffix>:0" (h5 names), or nullptr.
  const KerasWeight* FindWeight(const std::string& suffix) const;
  // The layer's asset file `name` (.keras: assets/<layer dir>/<name>), or nullptr.
  const std::string* Asset(const std::string& name) const;
  // An initializer made once per layer and `key` (shared layers reuse it).
  absl::StatusOr<std::string> CachedConst(const std::string& key,
                                          const std::function<absl::StatusOr<ir::Tensor>()>& make);
  // Weight i (float32) as an initializer, cached.
  absl::StatusOr<std::string> WeightConst(int i, const std::string& what);

  // --- emission: OnnxEmitter's, plus ---
  // Applies a Keras activation (a name such as "relu", or its serialized
  // form); "linear"/null returns x unchanged.
  absl::StatusOr<std::string> Activation(const std::string& x, const Json* activation);
  absl::StatusOr<std::string> ActivationFromConfig(const std::string& x, const char* key = "activation") {
    return Activation(x, cfg(key));
  }

  // --- outputs ---
  void SetOutput(int k, const std::string& value);
  void SetOutputMask(int k, KerasMask mask);
  // Output 0 carries input 0's mask (layers that keep the time axis as is).
  void PropagateMask();
  const std::vector<std::string>& outputs() const { return outputs_; }
  const std::vector<std::optional<KerasMask>>& output_masks() const { return output_masks_; }

  ConversionEnv& env() { return *env_; }

 private:
  const KerasLayerSpec& layer_;
  const InboundNode& node_;
  int node_index_;
  std::string path_;
  std::vector<std::optional<KerasMask>> input_masks_;
  std::vector<std::pair<std::string, std::string>> kwarg_inputs_;
  const std::vector<KerasWeight>* weights_;
  ConversionEnv* env_;
  std::vector<std::string> outputs_;
  std::vector<std::optional<KerasMask>> output_masks_;
};

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_LAYER_CONTEXT_H_
