#include "converter/emit/onnx_emitter.h"

#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "converter/emit/layout.h"

namespace onnxsmith::converter {

namespace {

// Ops whose output has their first input's type.
const absl::flat_hash_set<std::string>& UnaryElementwise() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Mish", "Gelu", "HardSwish", "Relu", "Sigmoid", "Tanh", "Elu", "Selu", "Celu", "LeakyRelu",
      "Softplus", "Softsign", "HardSigmoid", "Shrink", "Erf", "Exp", "Neg", "Abs", "Sqrt", "Clip",
      "Softmax", "LogSoftmax", "Identity", "ThresholdedRelu", "Sign", "Floor", "Ceil", "Log",
      "Sin", "Cos", "Reciprocal", "Not", "PRelu"};
  return *ops;
}

// Ops whose output has their inputs' broadcast shape (Where: of inputs 1 and 2).
const absl::flat_hash_set<std::string>& BroadcastElementwise() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Where", "Equal", "Greater", "Less",
      "GreaterOrEqual", "LessOrEqual", "And", "Or"};
  return *ops;
}

bool ReturnsBool(const std::string& op) {
  return op == "Equal" || op == "Greater" || op == "Less" || op == "GreaterOrEqual" ||
         op == "LessOrEqual" || op == "And" || op == "Or" || op == "Not";
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
      if ((d.known() && d.size == 1) || (!d.known() && e.known())) d = e;
    }
  }
  if (out.dtype == ir::DataType::kUndefined) return std::nullopt;
  out.shape = std::move(dims);
  return out;
}

}  // namespace

OnnxEmitter::OnnxEmitter(GraphBuilder* builder, std::string scope, int opset)
    : builder_(builder), scope_(std::move(scope)), opset_(opset) {}

void OnnxEmitter::SetType(const std::string& value, ir::ValueType type) {
  builder_->SetType(value, std::move(type));
}

std::optional<std::vector<int64_t>> OnnxEmitter::StaticDims(const std::string& value) const {
  ir::ValueType t = TypeOf(value);
  if (!t.shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const ir::Dim& d : *t.shape) dims.push_back(d.known() ? d.size : -1);
  return dims;
}

std::vector<std::string> OnnxEmitter::AddNodeMulti(const std::string& op_type,
                                                   std::vector<std::string> inputs,
                                                   int num_outputs,
                                                   std::vector<ir::Attribute> attrs,
                                                   const std::string& domain) {
  std::vector<std::string> in;
  if (elementwise_type_fallback_) in = inputs;
  std::vector<std::string> outs =
      builder_->AddNode(absl::StrCat(scope_, "/", op_type), op_type, domain, std::move(inputs),
                        num_outputs, std::move(attrs));
  if (elementwise_type_fallback_ && outs.size() == 1 && domain.empty() && !in.empty()) {
    TypeElementwiseOutput(op_type, in, outs[0]);
  }
  return outs;
}

void OnnxEmitter::TypeElementwiseOutput(const std::string& op_type,
                                        const std::vector<std::string>& inputs,
                                        const std::string& output) {
  if (builder_->TypeOf(output).dtype != ir::DataType::kUndefined) return;
  if (UnaryElementwise().count(op_type)) {
    ir::ValueType t = builder_->TypeOf(inputs[0]);
    if (op_type == "Not") t.dtype = ir::DataType::kBool;
    if (t.dtype != ir::DataType::kUndefined) builder_->SetType(output, t);
  } else if (BroadcastElementwise().count(op_type)) {
    std::vector<ir::ValueType> types;
    for (size_t k = op_type == "Where" ? 1 : 0; k < inputs.size(); ++k) {
      types.push_back(builder_->TypeOf(inputs[k]));
    }
    if (auto t = BroadcastType(types, ReturnsBool(op_type))) builder_->SetType(output, *t);
  }
}

std::string OnnxEmitter::AddNode(const std::string& op_type, std::vector<std::string> inputs,
                                 std::vector<ir::Attribute> attrs) {
  return AddNodeMulti(op_type, std::move(inputs), 1, std::move(attrs))[0];
}

std::string OnnxEmitter::AddConst(ir::Tensor value, const std::string& hint) {
  return builder_->AddConst(std::move(value), absl::StrCat(scope_, "/", hint));
}

std::string OnnxEmitter::ConstInt64s(const std::vector<int64_t>& values, const std::string& hint) {
  return AddConst(ir::Tensor::Vector1D<int64_t>(values), hint);
}

std::string OnnxEmitter::ConstScalar(ir::DataType dtype, double value, const std::string& hint) {
  auto t = ir::Tensor::Scalar<double>(value).CastTo(dtype);
  if (t.ok()) return AddConst(*t, hint);
  const std::string f = AddConst(ir::Tensor::Scalar<float>(static_cast<float>(value)), hint);
  // Tensors hold no half floats: a float constant cast (constant folding
  // keeps it a constant). Fall back to float for the rest.
  if (dtype == ir::DataType::kFloat16 || dtype == ir::DataType::kBfloat16) return Cast(f, dtype);
  return f;
}

std::string OnnxEmitter::ConstFloats(std::vector<int64_t> dims, const std::vector<float>& values,
                                     const std::string& hint) {
  return AddConst(ir::Tensor::FromVector<float>(std::move(dims), values), hint);
}

std::string OnnxEmitter::Transpose(const std::string& x, const std::vector<int64_t>& perm) {
  if (IsIdentityPerm(perm)) return x;
  return AddNode("Transpose", {x}, {ir::Attribute::Ints("perm", perm)});
}

std::string OnnxEmitter::ToChannelsFirst(const std::string& x, int rank) {
  return Transpose(x, ChannelsLastToFirstPerm(rank));
}

std::string OnnxEmitter::ToChannelsLast(const std::string& x, int rank) {
  return Transpose(x, ChannelsFirstToLastPerm(rank));
}

std::string OnnxEmitter::Unsqueeze(const std::string& x, const std::vector<int64_t>& axes) {
  return AddNode("Unsqueeze", {x, ConstInt64s(axes, "axes")});
}

std::string OnnxEmitter::Squeeze(const std::string& x, const std::vector<int64_t>& axes) {
  if (axes.empty()) return AddNode("Squeeze", {x});
  return AddNode("Squeeze", {x, ConstInt64s(axes, "axes")});
}

std::string OnnxEmitter::Reshape(const std::string& x, const std::vector<int64_t>& shape) {
  return AddNode("Reshape", {x, ConstInt64s(shape, "shape")});
}

std::string OnnxEmitter::Cast(const std::string& x, ir::DataType to) {
  if (builder_->TypeOf(x).dtype == to) return x;
  return AddNode("Cast", {x}, {ir::Attribute::Int("to", static_cast<int64_t>(to))});
}

std::string OnnxEmitter::Reduce(const std::string& op, const std::string& x,
                                const std::vector<int64_t>& axes, bool keepdims) {
  std::vector<ir::Attribute> attrs = {ir::Attribute::Int("keepdims", keepdims ? 1 : 0)};
  if (op == "ReduceSum" || opset_ >= 18) {
    return AddNode(op, {x, ConstInt64s(axes, "axes")}, std::move(attrs));
  }
  attrs.push_back(ir::Attribute::Ints("axes", axes));
  return AddNode(op, {x}, std::move(attrs));
}

}  // namespace onnxsmith::converter
