// Keras 3 operations applied to symbolic tensors in a functional model
// (`x + 1.0`, `keras.ops.mean(x, axis=-1)`, and the mask computations Keras
// records, e.g. NotEqual + Any after Masking). They are saved as graph nodes
// with module keras.src.ops.* and are registered here as "ops.<Class>".
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"
#include "converter/keras/activations.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/keras_ops.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

// The dims of a nested list of numbers (rectangular), or nullopt.
std::optional<std::vector<int64_t>> NestedDims(const Json& v) {
  if (v.is_number() || v.is_boolean()) return std::vector<int64_t>{};
  if (!v.is_array() || v.empty()) return std::nullopt;
  auto inner = NestedDims(v[0]);
  if (!inner) return std::nullopt;
  for (const Json& e : v) {
    if (NestedDims(e) != inner) return std::nullopt;
  }
  inner->insert(inner->begin(), static_cast<int64_t>(v.size()));
  return inner;
}

// A constant operand: a (nested) list of numbers, made `dtype`, or a saved
// NumPy array / tensor ({"class_name": "__numpy__", ...}) in its own dtype;
// nullopt for anything else.
std::optional<absl::StatusOr<ir::Tensor>> ConstOperand(const Json& a, DataType dtype) {
  const Json* cls = Find(a, "class_name");
  const bool wrapped = cls && cls->is_string() &&
                       (cls->get_ref<const std::string&>() == "__numpy__" ||
                        cls->get_ref<const std::string&>() == "__tensor__");
  const Json* cfg = wrapped ? Find(a, "config") : nullptr;
  const Json* value = cfg ? Find(*cfg, "value") : (a.is_array() ? &a : nullptr);
  if (value == nullptr || (!wrapped && !a.is_array())) return std::nullopt;
  auto dims = NestedDims(*value);
  auto flat = AsDoubleList(*value);
  if (!dims || !flat) return std::nullopt;
  if (wrapped) {
    const Json* dt = Find(*cfg, "dtype");
    const std::string name = dt && dt->is_string() ? dt->get<std::string>() : "float32";
    dtype = name == "float64" ? DataType::kDouble : name == "int32" ? DataType::kInt32
          : name == "int64" ? DataType::kInt64 : name == "bool" ? DataType::kBool
          : name == "float16" ? DataType::kFloat16 : DataType::kFloat;
  }
  return ir::Tensor::FromVector<double>(*dims, *flat).CastTo(dtype);
}

}  // namespace

bool IsKerasTensor(const Json& v) {
  const Json* cls = Find(v, "class_name");
  return cls && cls->is_string() && cls->get_ref<const std::string&>() == "__keras_tensor__";
}

absl::StatusOr<std::vector<std::string>> Operands(LayerContext& ctx, int first_typed) {
  const Json& args = ctx.call_args();
  std::vector<std::string> out;
  if (!args.is_array()) {
    for (int i = 0; i < ctx.num_inputs(); ++i) out.push_back(ctx.input(i));
    return out;
  }
  DataType dtype = DataType::kFloat;
  for (int i = std::min(first_typed, ctx.num_inputs() - 1); i < ctx.num_inputs(); ++i) {
    if (ctx.input_dtype(i) != DataType::kUndefined) {
      dtype = ctx.input_dtype(i);
      break;
    }
  }
  int next = 0;
  for (const Json& a : args) {
    if (IsKerasTensor(a)) {
      if (next >= ctx.num_inputs()) return ctx.Error("more tensor arguments than inputs");
      out.push_back(ctx.input(next++));
    } else if (a.is_number() || a.is_boolean()) {
      const double v = a.is_boolean() ? (a.get<bool>() ? 1.0 : 0.0) : a.get<double>();
      auto t = ir::Tensor::Scalar<double>(v).CastTo(dtype == DataType::kBool ? DataType::kBool : dtype);
      if (!t.ok()) return ctx.Error(absl::StrCat("constant operand: ", t.status().message()));
      out.push_back(ctx.AddConst(*std::move(t), "operand"));
    } else if (auto c = ConstOperand(a, dtype)) {
      if (!c->ok()) return ctx.Error(absl::StrCat("constant operand: ", c->status().message()));
      out.push_back(ctx.AddConst(**std::move(c), "operand"));
    } else if (a.is_array()) {
      for (const Json& e : a) {
        if (!IsKerasTensor(e)) return ctx.Unsupported(absl::StrCat("argument ", DumpJson(a)));
        if (next >= ctx.num_inputs()) return ctx.Error("more tensor arguments than inputs");
        out.push_back(ctx.input(next++));
      }
    } else if (a.is_null()) {
      out.push_back("");
    } else {
      return ctx.Unsupported(absl::StrCat("argument ", DumpJson(a)));
    }
  }
  return out;
}

std::vector<std::string> Prefixed(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back("ops." + n);
  return out;
}

absl::StatusOr<int64_t> OpAxis(const LayerContext& ctx, int64_t axis, int rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  return a;
}

absl::StatusOr<std::vector<int64_t>> AxesOrAll(LayerContext& ctx, const char* key) {
  if (ctx.has(key)) return ctx.Ints(key, 0);
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  std::vector<int64_t> axes;
  for (int a = 0; a < rank; ++a) axes.push_back(a);
  return axes;
}

namespace {

absl::Status Binary(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  if (xs.size() != 2 || xs[0].empty() || xs[1].empty()) return ctx.Error("expects two operands");
  const std::string op = ctx.class_name();
  static const std::map<std::string, std::string> kOps = {
      {"Add", "Add"}, {"Subtract", "Sub"}, {"Multiply", "Mul"}, {"Divide", "Div"},
      {"TrueDivide", "Div"}, {"Maximum", "Max"}, {"Minimum", "Min"}, {"Power", "Pow"},
      {"Equal", "Equal"}, {"Greater", "Greater"}, {"GreaterEqual", "GreaterOrEqual"},
      {"Less", "Less"}, {"LessEqual", "LessOrEqual"}, {"LogicalAnd", "And"},
      {"LogicalOr", "Or"}, {"Matmul", "MatMul"}, {"LogicalXor", "Xor"}, {"Fmax", "Max"},
      {"Fmin", "Min"}};
  if (op == "NotEqual") {
    ctx.SetOutput(0, ctx.AddNode("Not", {ctx.AddNode("Equal", {xs[0], xs[1]})}));
    return absl::OkStatus();
  }
  if (op == "FloorDivide" || op == "Mod") {
    // Python's floor division and modulo (the sign of the divisor) on any type.
    const DataType t = ctx.TypeOf(xs[0]).dtype;
    const bool is_float = t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16;
    std::string q;
    if (is_float) {
      q = ctx.AddNode("Floor", {ctx.AddNode("Div", {xs[0], xs[1]})});
    } else {
      const std::string fq =
          ctx.AddNode("Floor", {ctx.AddNode("Div", {ctx.Cast(xs[0], DataType::kDouble),
                                                    ctx.Cast(xs[1], DataType::kDouble)})});
      q = ctx.Cast(fq, t);
    }
    ctx.SetOutput(0, op == "FloorDivide"
                         ? q
                         : ctx.AddNode("Sub", {xs[0], ctx.AddNode("Mul", {q, xs[1]})}));
    return absl::OkStatus();
  }
  if (op == "Hypot") {
    ctx.SetOutput(0, ctx.AddNode("Sqrt", {ctx.AddNode("Add", {ctx.AddNode("Mul", {xs[0], xs[0]}),
                                                              ctx.AddNode("Mul", {xs[1], xs[1]})})}));
    return absl::OkStatus();
  }
  if (op == "Logaddexp") {
    // max(x, y) + log(1 + exp(-|x - y|))
    const std::string m = ctx.AddNode("Max", {xs[0], xs[1]});
    const std::string d = ctx.AddNode("Neg", {ctx.AddNode("Abs", {ctx.AddNode("Sub", {xs[0], xs[1]})})});
    const std::string one = ctx.ConstScalar(ctx.TypeOf(xs[0]).dtype, 1.0, "one");
    ctx.SetOutput(0, ctx.AddNode("Add", {m, ctx.AddNode("Log", {ctx.AddNode("Add", {one, ctx.AddNode("Exp", {d})})})}));
    return absl::OkStatus();
  }
  ctx.SetOutput(0, ctx.AddNode(kOps.at(op), {xs[0], xs[1]}));
  return absl::OkStatus();
}

absl::Status Unary(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  const std::string x = ctx.input(0);
  static const std::map<std::string, std::string> kOps = {
      {"Absolute", "Abs"}, {"Abs", "Abs"}, {"Negative", "Neg"}, {"Exp", "Exp"}, {"Log", "Log"},
      {"Sqrt", "Sqrt"}, {"Tanh", "Tanh"}, {"Sigmoid", "Sigmoid"}, {"Relu", "Relu"},
      {"LogicalNot", "Not"}, {"Sign", "Sign"}, {"Floor", "Floor"}, {"Ceil", "Ceil"},
      {"Erf", "Erf"}, {"Softplus", "Softplus"}, {"Softsign", "Softsign"}, {"Sin", "Sin"},
      {"Cos", "Cos"}, {"Tan", "Tan"}, {"Arcsin", "Asin"}, {"Arccos", "Acos"},
      {"Arctan", "Atan"}, {"Arcsinh", "Asinh"}, {"Arccosh", "Acosh"}, {"Arctanh", "Atanh"},
      {"Sinh", "Sinh"}, {"Cosh", "Cosh"}, {"Reciprocal", "Reciprocal"}, {"Round", "Round"},
      {"Isnan", "IsNaN"}, {"Isinf", "IsInf"}, {"StopGradient", "Identity"},
      {"Copy", "Identity"}, {"ConvertToTensor", "Identity"}, {"Real", "Identity"},
      {"Conjugate", "Identity"}, {"Conj", "Identity"}, {"Fabs", "Abs"}};
  // Keras 3 activations as operations, by their activation name.
  static const std::map<std::string, std::string> kActivations = {
      {"Elu", "elu"}, {"Selu", "selu"}, {"Celu", "celu"}, {"HardSigmoid", "hard_sigmoid"},
      {"HardSilu", "hard_silu"}, {"SparseSigmoid", "sparse_sigmoid"},
      {"SparsePlus", "sparse_plus"}, {"Squareplus", "squareplus"}, {"LogSigmoid", "log_sigmoid"},
      {"SoftShrink", "soft_shrink"}, {"HardShrink", "hard_shrink"}, {"TanhShrink", "tanh_shrink"},
      {"HardTanh", "hard_tanh"}, {"Glu", "glu"}, {"Sparsemax", "sparsemax"}};
  const DataType t = ctx.input_dtype(0);
  auto scalar = [&](double v, const char* hint) { return ctx.ConstScalar(t, v, hint); };
  if (auto it = kActivations.find(op); it != kActivations.end()) {
    // Only the defaults of the activation's parameters convert.
    for (const auto& [key, value] : std::vector<std::pair<const char*, double>>{
             {"alpha", 1.0}, {"threshold", 0.5}, {"b", 4.0}, {"axis", -1}}) {
      if (ctx.has(key) && ctx.cfg(key)->is_number() && ctx.Float(key, value) != value) {
        return ctx.Unsupported(absl::StrCat(key, "=", ctx.Float(key, value)));
      }
    }
    ASSIGN_OR_RETURN(std::string y, EmitNamedActivation(ctx, x, it->second));
    ctx.SetOutput(0, y);
    return absl::OkStatus();
  }
  if (op == "Log1p" || op == "Log2" || op == "Log10") {
    std::string y = op == "Log1p" ? ctx.AddNode("Log", {ctx.AddNode("Add", {x, scalar(1.0, "one")})})
                                  : ctx.AddNode("Log", {x});
    if (op != "Log1p") y = ctx.AddNode("Div", {y, scalar(std::log(op == "Log2" ? 2.0 : 10.0), "ln_base")});
    ctx.SetOutput(0, y);
    return absl::OkStatus();
  }
  if (op == "Expm1") {
    ctx.SetOutput(0, ctx.AddNode("Sub", {ctx.AddNode("Exp", {x}), scalar(1.0, "one")}));
    return absl::OkStatus();
  }
  if (op == "Exp2") {
    ctx.SetOutput(0, ctx.AddNode("Pow", {scalar(2.0, "two"), x}));
    return absl::OkStatus();
  }
  if (op == "Trunc") {
    ctx.SetOutput(0, ctx.AddNode("Mul", {ctx.AddNode("Sign", {x}), ctx.AddNode("Floor", {ctx.AddNode("Abs", {x})})}));
    return absl::OkStatus();
  }
  if (op == "Isfinite") {
    ctx.SetOutput(0, ctx.AddNode("Not", {ctx.AddNode("Or", {ctx.AddNode("IsNaN", {x}), ctx.AddNode("IsInf", {x})})}));
    return absl::OkStatus();
  }
  if (op == "Deg2rad" || op == "Rad2deg") {
    ctx.SetOutput(0, ctx.AddNode("Mul", {x, scalar(op == "Deg2rad" ? M_PI / 180.0 : 180.0 / M_PI, "factor")}));
    return absl::OkStatus();
  }
  if (op == "ZerosLike" || op == "OnesLike") {
    ctx.SetOutput(0, ctx.AddNode("Add", {ctx.AddNode("Mul", {x, scalar(0.0, "zero")}),
                                         scalar(op == "OnesLike" ? 1.0 : 0.0, "value")}));
    return absl::OkStatus();
  }
  if (op == "Square") {
    ctx.SetOutput(0, ctx.AddNode("Mul", {x, x}));
  } else if (op == "Rsqrt") {
    ctx.SetOutput(0, ctx.AddNode("Reciprocal", {ctx.AddNode("Sqrt", {x})}));
  } else if (op == "Silu" || op == "Swish") {
    ctx.SetOutput(0, ctx.AddNode("Mul", {x, ctx.AddNode("Sigmoid", {x})}));
  } else if (op == "Relu6") {
    ASSIGN_OR_RETURN(std::string y, EmitNamedActivation(ctx, x, "relu6"));
    ctx.SetOutput(0, y);
  } else if (op == "Gelu") {
    ctx.SetOutput(0, EmitGelu(ctx, x, ctx.Bool("approximate", true)));
  } else if (op == "LeakyRelu") {
    ctx.SetOutput(0, ctx.AddNode("LeakyRelu", {x}, {Attribute::Float(
                                     "alpha", static_cast<float>(ctx.Float("negative_slope", 0.2)))}));
  } else {
    ctx.SetOutput(0, ctx.AddNode(kOps.at(op), {x}));
  }
  return absl::OkStatus();
}

absl::Status SoftmaxOp(LayerContext& ctx) {
  const int64_t axis = ctx.Int("axis", -1);
  ctx.SetOutput(0, ctx.AddNode(ctx.class_name() == "LogSoftmax" ? "LogSoftmax" : "Softmax",
                               {ctx.input(0)}, {Attribute::Int("axis", axis)}));
  return absl::OkStatus();
}

absl::Status Reduction(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  const bool keepdims = ctx.Bool("keepdims", false);
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesOrAll(ctx));
  std::string x = ctx.input(0);
  if (op == "Any" || op == "All") {
    std::string f = ctx.Cast(x, DataType::kFloat);
    std::string r = ctx.Reduce(op == "Any" ? "ReduceMax" : "ReduceMin", f, axes, keepdims);
    ctx.SetOutput(0, ctx.Cast(r, DataType::kBool));
    return absl::OkStatus();
  }
  static const std::map<std::string, std::string> kOps = {
      {"Mean", "ReduceMean"}, {"Sum", "ReduceSum"}, {"Max", "ReduceMax"}, {"Amax", "ReduceMax"},
      {"Min", "ReduceMin"}, {"Amin", "ReduceMin"}, {"Prod", "ReduceProd"}};
  ctx.SetOutput(0, ctx.Reduce(kOps.at(op), x, axes, keepdims));
  return absl::OkStatus();
}

absl::Status ReshapeOp(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.Ints("newshape", 0));
  ctx.SetOutput(0, ctx.Reshape(ctx.input(0), shape));
  return absl::OkStatus();
}

absl::Status TransposeOp(LayerContext& ctx) {
  std::vector<int64_t> perm;
  if (ctx.has("axes")) {
    ASSIGN_OR_RETURN(perm, ctx.Ints("axes", 0));
  } else {
    ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
    for (int a = rank - 1; a >= 0; --a) perm.push_back(a);
  }
  ctx.SetOutput(0, ctx.Transpose(ctx.input(0), perm));
  return absl::OkStatus();
}

absl::Status SqueezeOp(LayerContext& ctx) {
  std::vector<int64_t> axes;
  if (ctx.has("axis")) {
    ASSIGN_OR_RETURN(axes, ctx.Ints("axis", 0));
  }
  ctx.SetOutput(0, ctx.Squeeze(ctx.input(0), axes));
  return absl::OkStatus();
}

absl::Status ExpandDimsOp(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.Ints("axis", 0));
  ctx.SetOutput(0, ctx.Unsqueeze(ctx.input(0), axes));
  return absl::OkStatus();
}

absl::Status ConcatenateOp(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  ctx.SetOutput(0, ctx.AddNode("Concat", xs, {Attribute::Int("axis", ctx.Int("axis", 0))}));
  return absl::OkStatus();
}

absl::Status CastOp(LayerContext& ctx) {
  static const std::map<std::string, DataType> kTypes = {
      {"float32", DataType::kFloat}, {"float16", DataType::kFloat16},
      {"float64", DataType::kDouble}, {"int32", DataType::kInt32}, {"int64", DataType::kInt64},
      {"int8", DataType::kInt8},      {"uint8", DataType::kUint8},  {"bool", DataType::kBool}};
  auto it = kTypes.find(ctx.String("dtype", ""));
  if (it == kTypes.end()) return ctx.Unsupported(absl::StrCat("cast to '", ctx.String("dtype", ""), "'"));
  ctx.SetOutput(0, ctx.Cast(ctx.input(0), it->second));
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasOps(LayerRegistry& r) {
  // Operands may be constants saved in the call's arguments: at least one is a tensor.
  r.Register(Prefixed({"Add", "Subtract", "Multiply", "Divide", "TrueDivide", "Maximum", "Minimum",
                       "Power", "Equal", "NotEqual", "Greater", "GreaterEqual", "Less",
                       "LessEqual", "LogicalAnd", "LogicalOr", "Matmul", "LogicalXor", "Fmax",
                       "Fmin", "FloorDivide", "Mod", "Hypot", "Logaddexp"}),
             InputsAtLeast(1), Binary, "Keras 3 operation; tensor or number operands");
  r.Register(Prefixed({"Absolute", "Abs", "Negative", "Exp", "Log", "Sqrt", "Tanh", "Sigmoid",
                       "Relu", "LogicalNot", "Sign", "Floor", "Ceil", "Erf", "Softplus",
                       "Softsign", "Sin", "Cos", "Square", "Rsqrt", "Silu", "Swish", "Relu6",
                       "Gelu", "LeakyRelu", "Tan", "Arcsin", "Arccos", "Arctan", "Arcsinh",
                       "Arccosh", "Arctanh", "Sinh", "Cosh", "Reciprocal", "Round", "Isnan",
                       "Isinf", "Isfinite", "StopGradient", "Copy", "ConvertToTensor", "Real",
                       "Conjugate", "Conj", "Fabs", "Log1p", "Log2", "Log10", "Expm1", "Exp2",
                       "Trunc", "Deg2rad", "Rad2deg", "ZerosLike", "OnesLike", "Elu", "Selu",
                       "Celu", "HardSigmoid", "HardSilu", "SparseSigmoid", "SparsePlus",
                       "Squareplus", "LogSigmoid", "SoftShrink", "HardShrink", "TanhShrink",
                       "HardTanh", "Glu", "Sparsemax"}),
             Inputs(1), Unary, "Keras 3 operation");
  r.Register(Prefixed({"Softmax", "LogSoftmax"}), Inputs(1), SoftmaxOp, "Keras 3 operation");
  r.Register(Prefixed({"Any", "All", "Mean", "Sum", "Max", "Amax", "Min", "Amin", "Prod"}),
             Inputs(1), Reduction, "Keras 3 operation");
  r.Register(Prefixed({"Reshape"}), Inputs(1), ReshapeOp, "Keras 3 operation");
  r.Register(Prefixed({"Transpose"}), Inputs(1), TransposeOp, "Keras 3 operation");
  r.Register(Prefixed({"Squeeze"}), Inputs(1), SqueezeOp, "Keras 3 operation");
  r.Register(Prefixed({"ExpandDims"}), Inputs(1), ExpandDimsOp, "Keras 3 operation");
  r.Register(Prefixed({"Concatenate"}), InputsAtLeast(1), ConcatenateOp, "Keras 3 operation");
  r.Register(Prefixed({"Cast"}), Inputs(1), CastOp, "Keras 3 operation");
}

}  // namespace onnxsmith::converter::keras
