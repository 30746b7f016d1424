#include "converter/keras/layer_context.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter::keras {

LayerContext::LayerContext(const KerasLayerSpec& layer, const InboundNode& node, int node_index,
                           std::string path, std::vector<std::string> inputs,
                           std::vector<std::optional<KerasMask>> input_masks,
                           std::vector<std::pair<std::string, std::string>> kwarg_inputs,
                           const std::vector<KerasWeight>* weights, ConversionEnv* env)
    : OpContext(env->builder, path, env->opset,
                absl::StrCat("layer '", path, "' (", layer.class_name, ")"), std::move(inputs)),
      layer_(layer),
      node_(node),
      node_index_(node_index),
      path_(std::move(path)),
      input_masks_(std::move(input_masks)),
      kwarg_inputs_(std::move(kwarg_inputs)),
      weights_(weights),
      env_(env) {
  input_masks_.resize(num_inputs());
  // Keras handlers rely on the types of elementwise outputs at opsets 18+.
  set_elementwise_type_fallback(true);
}

absl::StatusOr<int> LayerContext::InputRank(int i) const {
  if (i < 0 || i >= num_inputs()) return Error(absl::StrCat("has no input ", i));
  auto rank = input_rank(i);
  if (!rank) return Error(absl::StrCat("the rank of input ", i, " is unknown"));
  return *rank;
}

std::vector<std::string> LayerContext::kwarg_inputs(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : kwarg_inputs_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

const std::optional<KerasMask>& LayerContext::input_mask(int i) const {
  static const std::optional<KerasMask> kNone;
  if (i < 0 || i >= static_cast<int>(input_masks_.size())) return kNone;
  return input_masks_[i];
}

std::string LayerContext::MaskTensor(const KerasMask& mask) {
  const ir::ValueType type = TypeOf(mask.source);
  if (mask.kind == KerasMask::Kind::kNonZero) {
    auto zero = ir::Tensor::Scalar<double>(0).CastTo(
        type.dtype == ir::DataType::kUndefined ? ir::DataType::kInt64 : type.dtype);
    std::string z = AddConst(zero.ok() ? *zero : ir::Tensor::Scalar<int64_t>(0), "zero");
    return AddNode("Not", {AddNode("Equal", {mask.source, z})});
  }
  std::string v = ConstFloat(static_cast<float>(mask.value), "mask_value");
  std::string x = Cast(mask.source, ir::DataType::kFloat);
  std::string differs = AddNode("Not", {AddNode("Equal", {x, v})});
  const int rank = type.rank().value_or(3);
  if (rank <= 2) return differs;
  std::vector<int64_t> axes;
  for (int a = 2; a < rank; ++a) axes.push_back(a);
  std::string any = Reduce("ReduceMax", Cast(differs, ir::DataType::kFloat), axes, false);
  return Cast(any, ir::DataType::kBool);
}

std::optional<std::string> LayerContext::InputMaskTensor(int i) {
  std::vector<std::string> explicit_masks = kwarg_inputs("mask");
  if (!explicit_masks.empty()) {
    return explicit_masks[std::min<size_t>(static_cast<size_t>(std::max(i, 0)),
                                           explicit_masks.size() - 1)];
  }
  if (input_mask(i)) return MaskTensor(*input_mask(i));
  return std::nullopt;
}

int64_t LayerContext::Int(const char* key, int64_t default_value) const {
  const Json* v = cfg(key);
  if (v == nullptr) return default_value;
  auto i = AsInt(*v);
  if (!i && v->is_array() && v->size() == 1) i = AsInt((*v)[0]);
  return i.value_or(default_value);
}

double LayerContext::Float(const char* key, double default_value) const {
  const Json* v = cfg(key);
  if (v == nullptr) return default_value;
  if (auto d = AsDouble(*v)) return *d;
  auto list = AsDoubleList(*v);
  if (list && list->size() == 1) return (*list)[0];
  return default_value;
}

bool LayerContext::Bool(const char* key, bool default_value) const {
  const Json* v = cfg(key);
  if (v == nullptr) return default_value;
  return AsBool(*v).value_or(default_value);
}

std::string LayerContext::String(const char* key, const std::string& default_value) const {
  const Json* v = cfg(key);
  if (v == nullptr) return default_value;
  return AsString(*v).value_or(default_value);
}

absl::StatusOr<std::vector<int64_t>> LayerContext::Ints(const char* key, size_t n) const {
  const Json* v = cfg(key);
  if (v == nullptr) return Error(absl::StrCat("config has no '", key, "'"));
  std::vector<int64_t> out;
  if (auto i = AsInt(*v)) {
    out.assign(n == 0 ? 1 : n, *i);
    return out;
  }
  if (v->is_array()) {
    for (const Json& e : *v) {
      auto i = AsInt(e);
      if (!i) return Error(absl::StrCat("config '", key, "' is not a list of integers: ", DumpJson(*v)));
      out.push_back(*i);
    }
    if (n != 0 && out.size() == 1 && n > 1) out.assign(n, out[0]);
    if (n != 0 && out.size() != n) {
      return Error(absl::StrCat("config '", key, "' has ", out.size(), " entries, expected ", n));
    }
    return out;
  }
  return Error(absl::StrCat("config '", key, "' is not an integer or a list: ", DumpJson(*v)));
}

absl::StatusOr<std::vector<int64_t>> LayerContext::Ints(
    const char* key, size_t n, const std::vector<int64_t>& default_value) const {
  if (!has(key)) return default_value;
  return Ints(key, n);
}

absl::StatusOr<int64_t> LayerContext::RequiredInt(const char* key) const {
  const Json* v = cfg(key);
  auto i = v ? AsInt(*v) : std::nullopt;
  if (!i) return Error(absl::StrCat("config needs an integer '", key, "'"));
  return *i;
}

absl::StatusOr<bool> LayerContext::ChannelsFirst() const {
  const std::string format = String("data_format", "channels_last");
  if (format == "channels_last") return false;
  if (format == "channels_first") return true;
  return Unsupported(absl::StrCat("data_format '", format, "'"));
}

const std::vector<KerasWeight>& LayerContext::weights() const {
  static const std::vector<KerasWeight> kEmpty;
  return weights_ ? *weights_ : kEmpty;
}

absl::StatusOr<ir::Tensor> LayerContext::FloatWeight(int i, const std::string& what) const {
  if (i < 0 || i >= num_weights()) {
    return Error(absl::StrCat("the file holds no weight #", i, " (", what, ") for this layer; it has ",
                              num_weights(), " weight", num_weights() == 1 ? "" : "s"));
  }
  const ir::Tensor& t = (*weights_)[i].value;
  if (t.dtype() == ir::DataType::kFloat) return t;
  auto cast = t.CastTo(ir::DataType::kFloat);
  if (!cast.ok()) return Error(absl::StrCat("weight ", what, ": ", cast.status().message()));
  return cast;
}

const std::string* LayerContext::Asset(const std::string& name) const {
  if (env_->file == nullptr) return nullptr;
  auto dir = env_->file->layer_dirs.find(path_);
  if (dir == env_->file->layer_dirs.end()) return nullptr;
  auto it = env_->file->assets.find(dir->second + "/" + name);
  return it == env_->file->assets.end() ? nullptr : &it->second;
}

const KerasWeight* LayerContext::FindWeight(const std::string& suffix) const {
  for (const KerasWeight& w : weights()) {
    const std::string& n = w.name;
    for (const std::string& s : {suffix, suffix + ":0"}) {
      if (n == s || (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0 &&
                     n[n.size() - s.size() - 1] == '/')) {
        return &w;
      }
    }
  }
  return nullptr;
}

absl::StatusOr<std::string> LayerContext::CachedConst(
    const std::string& key, const std::function<absl::StatusOr<ir::Tensor>()>& make) {
  const std::string cache_key = absl::StrCat(path_, "#", key);
  auto it = env_->const_cache.find(cache_key);
  if (it != env_->const_cache.end()) return it->second;
  auto tensor = make();
  if (!tensor.ok()) return tensor.status();
  std::string name = AddConst(*std::move(tensor), key);
  env_->const_cache[cache_key] = name;
  return name;
}

absl::StatusOr<std::string> LayerContext::WeightConst(int i, const std::string& what) {
  return CachedConst(what, [&]() { return FloatWeight(i, what); });
}

void LayerContext::SetOutput(int k, const std::string& value) {
  if (k < 0) return;
  if (static_cast<int>(outputs_.size()) <= k) {
    outputs_.resize(k + 1);
    output_masks_.resize(k + 1);
  }
  outputs_[k] = value;
}

void LayerContext::SetOutputMask(int k, KerasMask mask) {
  if (k < 0) return;
  if (static_cast<int>(output_masks_.size()) <= k) {
    outputs_.resize(k + 1);
    output_masks_.resize(k + 1);
  }
  output_masks_[k] = std::move(mask);
}

void LayerContext::PropagateMask() {
  if (input_mask(0)) SetOutputMask(0, *input_mask(0));
}

}  // namespace onnxsmith::converter::keras
