#include "converter/keras/activations.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "converter/emit/graph_builder.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;

std::string Clip(LayerContext& ctx, const std::string& x, float lo, float hi) {
  return ctx.AddNode("Clip", {x, ctx.ConstFloat(lo, "min"), ctx.ConstFloat(hi, "max")});
}

std::string Mul(LayerContext& ctx, const std::string& a, const std::string& b) {
  return ctx.AddNode("Mul", {a, b});
}

std::string Scale(LayerContext& ctx, const std::string& x, float s) {
  return ctx.AddNode("Mul", {x, ctx.ConstFloat(s, "scale")});
}

std::string Softplus(LayerContext& ctx, const std::string& x) {
  return ctx.AddNode("Softplus", {x});
}

const std::vector<std::string>& Names() {
  static const auto* names = new std::vector<std::string>{
      "linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "softplus",
      "softsign", "selu", "elu", "celu", "gelu", "swish", "silu", "hard_sigmoid", "hard_silu",
      "hard_swish", "exponential", "leaky_relu", "mish", "hard_tanh", "tanh_shrink",
      "log_sigmoid", "soft_shrink", "hard_shrink", "sparse_sigmoid", "squareplus",
      "sparse_plus", "glu", "sparsemax"};
  return *names;
}

}  // namespace

std::vector<std::string> KnownActivations() { return Names(); }

std::string EmitGelu(LayerContext& ctx, const std::string& x, bool approximate) {
  if (ctx.opset() >= 20) {
    return ctx.AddNode("Gelu", {x}, {Attribute::String("approximate", approximate ? "tanh" : "none")});
  }
  std::string inner;
  if (approximate) {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    std::string x3 = Mul(ctx, Mul(ctx, x, x), x);
    std::string poly = ctx.AddNode("Add", {x, Scale(ctx, x3, 0.044715f)});
    inner = ctx.AddNode("Tanh", {Scale(ctx, poly, static_cast<float>(std::sqrt(2.0 / M_PI)))});
  } else {
    // 0.5 x (1 + erf(x / sqrt(2)))
    inner = ctx.AddNode("Erf", {Scale(ctx, x, static_cast<float>(M_SQRT1_2))});
  }
  std::string one_plus = ctx.AddNode("Add", {inner, ctx.ConstFloat(1.0f, "one")});
  return Mul(ctx, Scale(ctx, x, 0.5f), one_plus);
}

// Sparsemax on the last axis, as Keras computes it: z sorted descending,
// support = z_sorted - (cumsum - 1) / r > 0 (r = 1..n), k = |support|,
// tau = (sum of cumsum over the support - 1) / k, out = max(x - tau, 0).
std::string EmitSparsemax(LayerContext& ctx, const std::string& x) {
  const std::string n = ctx.AddNode("Gather", {ctx.AddNode("Shape", {x}), ctx.ConstInt64s({-1}, "last")});
  const std::string sorted =
      ctx.AddNodeMulti("TopK", {x, n}, 2, {Attribute::Int("axis", -1), Attribute::Int("largest", 1)})[0];
  const std::string cumsum = ctx.AddNode("CumSum", {sorted, ctx.ConstInt64s({-1}, "axis")});
  const std::string dtype_one = ctx.ConstScalar(ctx.TypeOf(x).dtype, 1.0, "one");
  const std::string r = ctx.AddNode(
      "Range", {dtype_one, ctx.AddNode("Add", {ctx.Cast(ctx.Squeeze(n, {0}), ctx.TypeOf(x).dtype), dtype_one}),
                dtype_one});
  const std::string support = ctx.AddNode(
      "Greater", {ctx.AddNode("Sub", {sorted, ctx.AddNode("Div", {ctx.AddNode("Sub", {cumsum, dtype_one}), r})}),
                  ctx.ConstScalar(ctx.TypeOf(x).dtype, 0.0, "zero")});
  const std::string k = ctx.Reduce("ReduceSum", ctx.Cast(support, ctx.TypeOf(x).dtype), {-1}, true);
  const std::string safe =
      ctx.AddNode("Where", {support, cumsum, ctx.ConstScalar(ctx.TypeOf(x).dtype, 0.0, "zero")});
  const std::string tau = ctx.AddNode(
      "Div", {ctx.AddNode("Sub", {ctx.Reduce("ReduceSum", safe, {-1}, true), dtype_one}), k});
  return ctx.AddNode("Max", {ctx.AddNode("Sub", {x, tau}), ctx.ConstScalar(ctx.TypeOf(x).dtype, 0.0, "zero")});
}

absl::StatusOr<std::string> EmitNamedActivation(LayerContext& ctx, const std::string& x,
                                                const std::string& name) {
  if (name == "linear") return x;
  if (name == "relu") return ctx.AddNode("Relu", {x});
  if (name == "relu6") return Clip(ctx, x, 0.0f, 6.0f);
  if (name == "sigmoid") return ctx.AddNode("Sigmoid", {x});
  if (name == "tanh") return ctx.AddNode("Tanh", {x});
  if (name == "softmax") return ctx.AddNode("Softmax", {x}, {Attribute::Int("axis", -1)});
  if (name == "log_softmax") return ctx.AddNode("LogSoftmax", {x}, {Attribute::Int("axis", -1)});
  if (name == "softplus") return Softplus(ctx, x);
  if (name == "softsign") return ctx.AddNode("Softsign", {x});
  if (name == "selu") {
    return ctx.AddNode("Selu", {x}, {Attribute::Float("alpha", 1.6732632423543772f),
                                     Attribute::Float("gamma", 1.0507009873554805f)});
  }
  if (name == "elu") return ctx.AddNode("Elu", {x}, {Attribute::Float("alpha", 1.0f)});
  if (name == "celu") return ctx.AddNode("Celu", {x}, {Attribute::Float("alpha", 1.0f)});
  if (name == "gelu") return EmitGelu(ctx, x, /*approximate=*/false);
  if (name == "swish" || name == "silu") return Mul(ctx, x, ctx.AddNode("Sigmoid", {x}));
  if (name == "hard_sigmoid") {
    // Keras 2: clip(0.2 x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6.
    const float alpha = ctx.keras_major() >= 3 ? 1.0f / 6.0f : 0.2f;
    return ctx.AddNode("HardSigmoid", {x}, {Attribute::Float("alpha", alpha),
                                            Attribute::Float("beta", 0.5f)});
  }
  if (name == "hard_silu" || name == "hard_swish") {
    if (ctx.opset() >= 14) return ctx.AddNode("HardSwish", {x});
    return Mul(ctx, x, ctx.AddNode("HardSigmoid", {x}, {Attribute::Float("alpha", 1.0f / 6.0f),
                                                        Attribute::Float("beta", 0.5f)}));
  }
  if (name == "exponential") return ctx.AddNode("Exp", {x});
  if (name == "leaky_relu") {
    return ctx.AddNode("LeakyRelu", {x}, {Attribute::Float("alpha", 0.2f)});
  }
  if (name == "mish") {
    if (ctx.opset() >= 18) return ctx.AddNode("Mish", {x});
    return Mul(ctx, x, ctx.AddNode("Tanh", {Softplus(ctx, x)}));
  }
  if (name == "hard_tanh") return Clip(ctx, x, -1.0f, 1.0f);
  if (name == "tanh_shrink") return ctx.AddNode("Sub", {x, ctx.AddNode("Tanh", {x})});
  if (name == "log_sigmoid") {
    return ctx.AddNode("Neg", {Softplus(ctx, ctx.AddNode("Neg", {x}))});
  }
  if (name == "soft_shrink") {
    return ctx.AddNode("Shrink", {x}, {Attribute::Float("bias", 0.5f), Attribute::Float("lambd", 0.5f)});
  }
  if (name == "hard_shrink") {
    return ctx.AddNode("Shrink", {x}, {Attribute::Float("bias", 0.0f), Attribute::Float("lambd", 0.5f)});
  }
  if (name == "sparse_sigmoid") {
    return ctx.AddNode("HardSigmoid", {x}, {Attribute::Float("alpha", 0.5f),
                                            Attribute::Float("beta", 0.5f)});
  }
  if (name == "squareplus") {
    // (x + sqrt(x^2 + 4)) / 2
    std::string root = ctx.AddNode(
        "Sqrt", {ctx.AddNode("Add", {Mul(ctx, x, x), ctx.ConstFloat(4.0f, "b")})});
    return Scale(ctx, ctx.AddNode("Add", {x, root}), 0.5f);
  }
  if (name == "sparse_plus") {
    // 0 for x <= -1, x for x >= 1, (x + 1)^2 / 4 between.
    std::string xp1 = ctx.AddNode("Add", {x, ctx.ConstFloat(1.0f, "one")});
    std::string quad = Scale(ctx, Mul(ctx, xp1, xp1), 0.25f);
    std::string upper = ctx.AddNode(
        "Where", {ctx.AddNode("GreaterOrEqual", {x, ctx.ConstFloat(1.0f, "one")}), x, quad});
    return ctx.AddNode("Where", {ctx.AddNode("LessOrEqual", {x, ctx.ConstFloat(-1.0f, "minus_one")}),
                                 ctx.ConstFloat(0.0f, "zero"), upper});
  }
  if (name == "glu") {
    // a * sigmoid(b), a and b the halves of the last axis.
    auto type = ctx.builder().TypeOf(x);
    if (!type.shape || type.shape->empty() || !type.shape->back().known() ||
        type.shape->back().size % 2 != 0) {
      return ctx.Unsupported("glu needs a known, even last dimension");
    }
    const int64_t half = type.shape->back().size / 2;
    auto slice = [&](int64_t start, int64_t end) {
      return ctx.AddNode("Slice", {x, ctx.ConstInt64s({start}, "start"), ctx.ConstInt64s({end}, "end"),
                                   ctx.ConstInt64s({-1}, "axes")});
    };
    std::vector<std::string> parts = {slice(0, half), slice(half, 2 * half)};
    return Mul(ctx, parts[0], ctx.AddNode("Sigmoid", {parts[1]}));
  }
  if (name == "sparsemax") return EmitSparsemax(ctx, x);
  return ctx.Unsupported(absl::StrCat(
      "activation '", name, "' is not a built-in Keras activation onnxsmith knows (",
      absl::StrJoin(Names(), ", "),
      "); a custom activation is Python code the file does not hold: export a SavedModel and "
      "use --saved-model"));
}

absl::StatusOr<std::string> LayerContext::Activation(const std::string& x, const Json* activation) {
  if (activation == nullptr || activation->is_null()) return x;
  if (activation->is_string()) {
    return EmitNamedActivation(*this, x, activation->get<std::string>());
  }
  if (activation->is_object()) {
    // Keras 3 serializes registered functions as
    // {"module": ..., "class_name": "function", "config": "<name>", ...}.
    const Json* cls = Find(*activation, "class_name");
    const Json* cfg = Find(*activation, "config");
    const Json* module = Find(*activation, "module");
    const std::string mod = module && module->is_string() ? module->get<std::string>() : "";
    if (cls && cls->is_string() && cls->get<std::string>() == "function" && cfg && cfg->is_string()) {
      if (mod.empty() || mod.rfind("keras", 0) == 0) {
        return EmitNamedActivation(*this, x, cfg->get<std::string>());
      }
      return Unsupported(absl::StrCat("the activation is the custom Python function '",
                                      cfg->get<std::string>(), "' (module '", mod,
                                      "'), which the file does not hold; export a SavedModel and "
                                      "use --saved-model"));
    }
  }
  return Unsupported(absl::StrCat("activation ", DumpJson(*activation)));
}

}  // namespace onnxsmith::converter::keras
