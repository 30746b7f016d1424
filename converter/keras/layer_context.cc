#include "converter/keras/layer_context.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "converter/graph_builder.h"

namespace onnxsmith::converter::keras {

LayerContext::LayerContext(const KerasLayerSpec& layer, const InboundNode& node, int node_index,
                           std::string path, std::vector<std::string> inputs,
                           std::vector<std::optional<KerasMask>> input_masks,
                           std::vector<std::pair<std::string, std::string>> kwarg_inputs,
                           const std::vector<KerasWeight>* weights, ConversionEnv* env)
    : layer_(layer),
      node_(node),
      node_index_(node_index),
      path_(std::move(path)),
      inputs_(std::move(inputs)),
      input_masks_(std::move(input_masks)),
      kwarg_inputs_(std::move(kwarg_inputs)),
      weights_(weights),
      env_(env) {
  input_masks_.resize(inputs_.size());
}

ir::ValueType LayerContext::input_type(int i) const {
  if (i < 0 || i >= num_inputs()) return {};
  return env_->builder->TypeOf(inputs_[i]);
}

std::optional<std::vector<int64_t>> LayerContext::input_dims(int i) const {
  ir::ValueType t = input_type(i);
  if (!t.shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const ir::Dim& d : *t.shape) dims.push_back(d.known() ? d.size : -1);
  return dims;
}

absl::StatusOr<int> LayerContext::InputRank(int i) const {
  if (i < 0 || i >= num_inputs()) return Error(absl::StrCat("has no input ", i));
  auto rank = input_rank(i);
  if (!rank) return Error(absl::StrCat("the rank of input ", i, " is unknown"));
  return *rank;
}

absl::Status LayerContext::ExpectInputs(int min, int max) const {
  if (num_inputs() >= min && num_inputs() <= max) return absl::OkStatus();
  if (min == max) {
    return Error(absl::StrCat("expects ", min, " input tensor", min == 1 ? "" : "s", ", got ",
                              num_inputs()));
  }
  return Error(absl::StrCat("expects ", min, " to ", max, " input tensors, got ", num_inputs()));
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
  const ir::ValueType type = env_->builder->TypeOf(mask.source);
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

namespace {

// Shape-preserving element-wise ops, and broadcasting ones: their output type
// is known from the inputs even where ONNX's schemas (libonnx knows opsets up
// to 17) cannot infer it, e.g. Mish-18 or Gelu-20.
const absl::flat_hash_set<std::string>& UnaryElementwise() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Mish", "Gelu", "HardSwish", "Relu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "LeakyRelu",
      "Softplus", "Softsign", "HardSigmoid", "Shrink", "Erf", "Exp", "Neg", "Abs", "Sqrt", "Clip",
      "Softmax", "LogSoftmax", "Identity", "ThresholdedRelu", "Sign", "Floor", "Ceil", "Log",
      "Sin", "Cos", "Reciprocal", "Not", "PRelu"};
  return *ops;
}

const absl::flat_hash_set<std::string>& BroadcastElementwise() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Where", "Equal", "Greater", "Less",
      "GreaterOrEqual", "LessOrEqual", "And", "Or"};
  return *ops;
}

std::optional<ir::ValueType> BroadcastType(const std::vector<ir::ValueType>& in, bool to_bool) {
  ir::ValueType out;
  out.dtype = to_bool ? ir::DataType::kBool : ir::DataType::kUndefined;
  std::vector<ir::Dim> dims;
  for (const ir::ValueType& t : in) {
    if (!t.shape) return std::nullopt;
    if (out.dtype == ir::DataType::kUndefined && t.dtype != ir::DataType::kBool) out.dtype = t.dtype;
    const std::vector<ir::Dim>& s = *t.shape;
    if (s.size() > dims.size()) dims.insert(dims.begin(), s.size() - dims.size(), ir::Dim{1, ""});
    for (size_t k = 0; k < s.size(); ++k) {
      ir::Dim& d = dims[dims.size() - s.size() + k];
      const ir::Dim& e = s[k];
      if (e.known() && e.size == 1) continue;
      if (d.known() && d.size == 1) {
        d = e;
      } else if (!d.known() && e.known()) {
        d = e;
      }
    }
  }
  if (out.dtype == ir::DataType::kUndefined) return std::nullopt;
  out.shape = std::move(dims);
  return out;
}

}  // namespace

std::vector<std::string> LayerContext::AddNodeMulti(const std::string& op_type,
                                                    std::vector<std::string> inputs,
                                                    int num_outputs,
                                                    std::vector<ir::Attribute> attrs,
                                                    const std::string& domain) {
  std::vector<std::string> in = inputs;
  std::vector<std::string> outs =
      env_->builder->AddNode(absl::StrCat(path_, "/", op_type), op_type, domain, std::move(inputs),
                             num_outputs, std::move(attrs));
  if (outs.size() == 1 && domain.empty() && !in.empty() &&
      env_->builder->TypeOf(outs[0]).dtype == ir::DataType::kUndefined) {
    if (UnaryElementwise().count(op_type)) {
      ir::ValueType t = env_->builder->TypeOf(in[0]);
      if (op_type == "Not") t.dtype = ir::DataType::kBool;
      if (t.dtype != ir::DataType::kUndefined) env_->builder->SetType(outs[0], t);
    } else if (BroadcastElementwise().count(op_type)) {
      std::vector<ir::ValueType> types;
      for (size_t k = op_type == "Where" ? 1 : 0; k < in.size(); ++k) {
        types.push_back(env_->builder->TypeOf(in[k]));
      }
      const bool to_bool = op_type == "Equal" || op_type == "Greater" || op_type == "Less" ||
                           op_type == "GreaterOrEqual" || op_type == "LessOrEqual" ||
                           op_type == "And" || op_type == "Or";
      if (auto t = BroadcastType(types, to_bool)) env_->builder->SetType(outs[0], *t);
    }
  }
  return outs;
}

std::string LayerContext::AddNode(const std::string& op_type, std::vector<std::string> inputs,
                                  std::vector<ir::Attribute> attrs) {
  return AddNodeMulti(op_type, std::move(inputs), 1, std::move(attrs))[0];
}

std::string LayerContext::AddConst(ir::Tensor value, const std::string& hint) {
  return env_->builder->AddConst(std::move(value), absl::StrCat(path_, "/", hint));
}

std::string LayerContext::ConstInt64s(const std::vector<int64_t>& values, const std::string& hint) {
  return AddConst(ir::Tensor::Vector1D<int64_t>(values), hint);
}

std::string LayerContext::ConstFloats(std::vector<int64_t> dims, const std::vector<float>& values,
                                      const std::string& hint) {
  return AddConst(ir::Tensor::FromVector<float>(std::move(dims), values), hint);
}

std::string LayerContext::Transpose(const std::string& x, const std::vector<int64_t>& perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity &= perm[i] == static_cast<int64_t>(i);
  if (identity) return x;
  return AddNode("Transpose", {x}, {ir::Attribute::Ints("perm", perm)});
}

std::string LayerContext::Unsqueeze(const std::string& x, const std::vector<int64_t>& axes) {
  return AddNode("Unsqueeze", {x, ConstInt64s(axes, "axes")});
}

std::string LayerContext::Squeeze(const std::string& x, const std::vector<int64_t>& axes) {
  if (axes.empty()) return AddNode("Squeeze", {x});
  return AddNode("Squeeze", {x, ConstInt64s(axes, "axes")});
}

std::string LayerContext::Reshape(const std::string& x, const std::vector<int64_t>& shape) {
  return AddNode("Reshape", {x, ConstInt64s(shape, "shape")});
}

std::string LayerContext::Cast(const std::string& x, ir::DataType to) {
  if (env_->builder->TypeOf(x).dtype == to) return x;
  return AddNode("Cast", {x}, {ir::Attribute::Int("to", static_cast<int64_t>(to))});
}

std::string LayerContext::Reduce(const std::string& op, const std::string& x,
                                 const std::vector<int64_t>& axes, bool keepdims) {
  std::vector<ir::Attribute> attrs = {ir::Attribute::Int("keepdims", keepdims ? 1 : 0)};
  if (op == "ReduceSum" || opset() >= 18) {
    return AddNode(op, {x, ConstInt64s(axes, "axes")}, std::move(attrs));
  }
  attrs.push_back(ir::Attribute::Ints("axes", axes));
  return AddNode(op, {x}, std::move(attrs));
}

std::string LayerContext::ToChannelsFirst(const std::string& x, int rank) {
  return Transpose(x, ChannelsLastToFirstPerm(rank));
}

std::string LayerContext::ToChannelsLast(const std::string& x, int rank) {
  return Transpose(x, ChannelsFirstToLastPerm(rank));
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

absl::Status LayerContext::Error(const std::string& message) const {
  return absl::InvalidArgumentError(
      absl::StrCat("layer '", path_, "' (", layer_.class_name, "): ", message));
}

absl::Status LayerContext::Unsupported(const std::string& what) const {
  return absl::UnimplementedError(
      absl::StrCat("layer '", path_, "' (", layer_.class_name, "): unsupported: ", what));
}

std::vector<int64_t> ChannelsLastToFirstPerm(int rank) {
  std::vector<int64_t> perm = {0, rank - 1};
  for (int i = 1; i < rank - 1; ++i) perm.push_back(i);
  return perm;
}

std::vector<int64_t> ChannelsFirstToLastPerm(int rank) {
  std::vector<int64_t> perm = {0};
  for (int i = 2; i < rank; ++i) perm.push_back(i);
  perm.push_back(1);
  return perm;
}

}  // namespace onnxsmith::converter::keras
