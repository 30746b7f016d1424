// Elementwise kernels: broadcasting binary arithmetic, comparison and logic
// ops, variadic Sum/Mean/Max/Min, Where, unary math and activations, Clip.
// Cast/CastLike are in cast.cc.
#include <cmath>
#include <limits>
#include <type_traits>

#include "common/status_macros.h"
#include "evaluator/broadcast.h"
#include "evaluator/int_arith.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

template <typename T>
constexpr bool kIsFloat = std::is_floating_point_v<T>;

// ---- Binary ------------------------------------------------------------------

// Output of the same type as the inputs (kSame) or bool (kBoolOut).
enum class OutKind { kSame, kBool };

template <OutKind kOut, unsigned kTypes, typename Fn>
absl::Status Binary(KernelContext& ctx, const char* op, Fn fn) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& a = ctx.input(0);
  const Array& b = ctx.input(1);
  if (a.dtype() != b.dtype()) {
    return ctx.Error("operand types differ: ", ir::DataTypeName(a.dtype()), " and ",
                     ir::DataTypeName(b.dtype()));
  }
  ASSIGN_OR_RETURN(BroadcastPlan plan, MakeBroadcastPlan({a.dims(), b.dims()}));
  return Dispatch<kTypes>(a.dtype(), op, [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    if constexpr (kOut == OutKind::kBool) {
      ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, DataType::kBool, plan.out_dims));
      BinaryLoop(plan, a.data<T>(), b.data<T>(), out->mutable_data<bool>(), ctx.parallel(),
                 [&](T x, T y) -> bool { return fn(x, y); });
    } else {
      ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, a.dtype(), plan.out_dims));
      BinaryLoop(plan, a.data<T>(), b.data<T>(), out->mutable_data<T>(), ctx.parallel(),
                 [&](T x, T y) -> T { return static_cast<T>(fn(x, y)); });
    }
    return absl::OkStatus();
  });
}

template <typename T>
bool AnyZero(const Array& a) {
  const T* p = a.data<T>();
  for (int64_t i = 0; i < a.size(); ++i) {
    if (p[i] == T(0)) return true;
  }
  return false;
}

absl::Status CheckIntegerDivisor(KernelContext& ctx) {
  const Array& b = ctx.input(1);
  if (ir::IsInteger(b.dtype())) {
    bool zero = false;
    RETURN_IF_ERROR(Dispatch<kIntTypes>(b.dtype(), "divisor", [&](auto tag) -> absl::Status {
      zero = AnyZero<typename decltype(tag)::type>(b);
      return absl::OkStatus();
    }));
    if (zero) return ctx.Error("integer division by zero");
  }
  return absl::OkStatus();
}

template <typename T>
T IntDiv(T x, T y) {
  if constexpr (std::is_signed_v<T>) {
    if (y == T(-1)) return static_cast<T>(0 - static_cast<std::make_unsigned_t<T>>(x));
  }
  return static_cast<T>(x / y);
}

template <typename T>
T Remainder(T x, T y, bool fmod) {
  if constexpr (kIsFloat<T>) {
    T r = std::fmod(x, y);
    if (!fmod && r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
  } else {
    if constexpr (std::is_signed_v<T>) {
      if (y == T(-1)) return 0;
    }
    T r = static_cast<T>(x % y);
    if constexpr (std::is_signed_v<T>) {
      if (!fmod && r != 0 && ((r < 0) != (y < 0))) r = static_cast<T>(r + y);
    }
    return r;
  }
}

template <typename T, typename U>
T PowValue(T x, U y) {
  if constexpr (std::is_same_v<T, U> && kIsFloat<T>) {
    return std::pow(x, y);
  } else if constexpr (kIsFloat<T>) {
    return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
  } else if constexpr (kIsFloat<U>) {
    return FloatToInt<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
  } else {
    return WrapPow(x, y);
  }
}

absl::Status PowKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& a = ctx.input(0);
  const Array& b = ctx.input(1);
  ASSIGN_OR_RETURN(BroadcastPlan plan, MakeBroadcastPlan({a.dims(), b.dims()}));
  return Dispatch<kFloatTypes | kSignedInts>(a.dtype(), "Pow", [&](auto ta) -> absl::Status {
    using T = typename decltype(ta)::type;
    return Dispatch<kFloatTypes | kSignedInts | kUnsignedInts>(b.dtype(), "Pow exponent",
                    [&](auto tb) -> absl::Status {
                      using U = typename decltype(tb)::type;
                      ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, a.dtype(), plan.out_dims));
                      BinaryLoop(plan, a.data<T>(), b.data<U>(), out->mutable_data<T>(),
                                 ctx.parallel(), [](T x, U y) { return PowValue<T, U>(x, y); });
                      return absl::OkStatus();
                    });
  });
}

absl::Status BitShiftKernel(KernelContext& ctx) {
  const bool left = ctx.GetString("direction", "") == "LEFT";
  if (!left && ctx.GetString("direction", "") != "RIGHT") {
    return ctx.Error("direction must be LEFT or RIGHT");
  }
  return Binary<OutKind::kSame, kUnsignedInts>(ctx, "BitShift", [left](auto x, auto y) {
    using T = decltype(x);
    if (y >= static_cast<T>(sizeof(T) * 8)) return T(0);
    return static_cast<T>(left ? x << y : x >> y);
  });
}

absl::Status PReluKernel(KernelContext& ctx) {
  RETURN_IF_ERROR((Binary<OutKind::kSame, kFloatTypes | kSignedInts>(ctx, "PRelu",
                                         [](auto x, auto s) { return x < 0 ? WrapMul(s, x) : x; })));
  if (ctx.outputs()[0].dims() != ctx.input(0).dims()) {
    return ctx.Error("slope of shape ", DimsToString(ctx.input(1).dims()),
                     " does not broadcast to X of shape ", DimsToString(ctx.input(0).dims()));
  }
  return absl::OkStatus();
}

// Variadic ops fold pairwise with broadcasting.
enum class Variadic { kSum, kMean, kMax, kMin };

absl::Status VariadicKernel(KernelContext& ctx, Variadic kind) {
  int n = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) n += ctx.has_input(i);
  if (n == 0 || !ctx.has_input(0)) return ctx.Error("needs at least one input");
  const Array& first = ctx.input(0);
  if (n == 1 && kind != Variadic::kMean) return ctx.SetOutput(0, first);
  return Dispatch<kNumericTypes>(first.dtype(), "variadic op", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    Array acc = first;
    for (int i = 1; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) continue;
      const Array& b = ctx.input(i);
      if (b.dtype() != first.dtype()) return ctx.Error("input ", i, " has another type");
      ASSIGN_OR_RETURN(BroadcastPlan plan, MakeBroadcastPlan({acc.dims(), b.dims()}));
      ASSIGN_OR_RETURN(Array next, ctx.Scratch(first.dtype(), plan.out_dims));
      auto run = [&](auto f) {
        BinaryLoop(plan, acc.data<T>(), b.data<T>(), next.mutable_data<T>(), ctx.parallel(), f);
      };
      switch (kind) {
        case Variadic::kSum:
        case Variadic::kMean: run([](T x, T y) -> T { return WrapAdd(x, y); }); break;
        case Variadic::kMax: run([](T x, T y) -> T { return x < y ? y : x; }); break;
        case Variadic::kMin: run([](T x, T y) -> T { return y < x ? y : x; }); break;
      }
      acc = std::move(next);
    }
    if (kind == Variadic::kMean) {
      ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, first.dtype(), acc.dims()));
      const T inv = static_cast<T>(n);
      const T* x = acc.data<T>();
      T* y = out->mutable_data<T>();
      for (int64_t i = 0; i < acc.size(); ++i) y[i] = x[i] / inv;
      return absl::OkStatus();
    }
    return ctx.SetOutput(0, acc);
  });
}

absl::Status WhereKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  const Array& c = ctx.input(0);
  const Array& x = ctx.input(1);
  const Array& y = ctx.input(2);
  if (c.dtype() != DataType::kBool) return ctx.Error("condition must be bool");
  if (x.dtype() != y.dtype()) return ctx.Error("X and Y types differ");
  ASSIGN_OR_RETURN(BroadcastPlan plan, MakeBroadcastPlan({c.dims(), x.dims(), y.dims()}));
  const int es = x.element_size();
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), plan.out_dims));
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool* cp = c.data<bool>();
    const T* xp = x.data<T>();
    const T* yp = y.data<T>();
    T* op = out->mutable_data<T>();
    ParallelFor(plan.size, 1, ctx.parallel(), [&](int64_t b, int64_t e) {
      ForEachSpan<3>(plan, b, e,
                     [&](int64_t o, const std::array<int64_t, 3>& in, int64_t len,
                         const std::array<int64_t, 3>& st) {
                       for (int64_t i = 0; i < len; ++i) {
                         op[o + i] = cp[in[0] + i * st[0]] ? xp[in[1] + i * st[1]]
                                                           : yp[in[2] + i * st[2]];
                       }
                     });
    });
  };
  switch (es) {
    case 1: run(TypeTag<uint8_t>{}); break;
    case 2: run(TypeTag<uint16_t>{}); break;
    case 4: run(TypeTag<uint32_t>{}); break;
    case 8: run(TypeTag<uint64_t>{}); break;
    default: return ctx.Unsupported("Where on ", ir::DataTypeName(x.dtype()));
  }
  return absl::OkStatus();
}

// ---- Unary -------------------------------------------------------------------

template <unsigned kTypes, typename Fn>
absl::Status Unary(KernelContext& ctx, const char* op, Fn fn) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& a = ctx.input(0);
  return Dispatch<kTypes>(a.dtype(), op, [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, a.dtype(), a.dims()));
    const T* x = a.data<T>();
    T* y = out->mutable_data<T>();
    ParallelFor(a.size(), 4, ctx.parallel(), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) y[i] = static_cast<T>(fn(x[i]));
    });
    return absl::OkStatus();
  });
}

template <unsigned kTypes, typename Fn>
absl::Status UnaryToBool(KernelContext& ctx, const char* op, Fn fn) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& a = ctx.input(0);
  return Dispatch<kTypes>(a.dtype(), op, [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, DataType::kBool, a.dims()));
    const T* x = a.data<T>();
    bool* y = out->mutable_data<bool>();
    for (int64_t i = 0; i < a.size(); ++i) y[i] = fn(x[i]);
    return absl::OkStatus();
  });
}

// Float-only unary op from a function of (T x) -> T.
#define FLOAT_UNARY(NAME, EXPR)                                                  \
  r.Register(NAME, [](KernelContext& ctx) {                                      \
    return Unary<kFloatTypes>(ctx, NAME, [&](auto x) -> decltype(x) {            \
      using T = decltype(x);                                                     \
      (void)sizeof(T);                                                           \
      return EXPR;                                                               \
    });                                                                          \
  })

template <typename T>
T Sigmoid(T x) {
  if (x >= 0) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

template <typename T>
T Softplus(T x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

absl::Status ClipKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& a = ctx.input(0);
  if (ctx.opset() < 11) {
    const float lo = ctx.GetFloat("min", -std::numeric_limits<float>::max());
    const float hi = ctx.GetFloat("max", std::numeric_limits<float>::max());
    return Unary<kFloatTypes>(ctx, "Clip", [lo, hi](auto x) {
      using T = decltype(x);
      return std::min(std::max(x, static_cast<T>(lo)), static_cast<T>(hi));
    });
  }
  return Dispatch<kNumericTypes>(a.dtype(), "Clip", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    T lo = std::numeric_limits<T>::lowest();
    T hi = std::numeric_limits<T>::max();
    for (int k = 1; k <= 2; ++k) {
      if (!ctx.has_input(k)) continue;
      const Array& b = ctx.input(k);
      if (b.dtype() != a.dtype()) return ctx.Error("min/max must have the type of the input");
      if (b.size() != 1) return ctx.Error(k == 1 ? "min" : "max", " must be a scalar");
      (k == 1 ? lo : hi) = b.data<T>()[0];
    }
    return Unary<kNumericTypes>(ctx, "Clip", [lo, hi](T x) -> T {
      // ORT: min(max(x, lo), hi).
      return std::min(std::max(x, lo), hi);
    });
  });
}

}  // namespace

void RegisterElementwiseKernels(KernelRegistry& r) {
  // Arithmetic.
  r.Register("Add", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kNumericTypes>(ctx, "Add", [](auto x, auto y) { return WrapAdd(x, y); });
  });
  r.Register("Sub", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kNumericTypes>(ctx, "Sub", [](auto x, auto y) { return WrapSub(x, y); });
  });
  r.Register("Mul", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kNumericTypes>(ctx, "Mul", [](auto x, auto y) { return WrapMul(x, y); });
  });
  r.Register("Div", [](KernelContext& ctx) -> absl::Status {
    RETURN_IF_ERROR(ctx.RequireInputs(2));
    RETURN_IF_ERROR(CheckIntegerDivisor(ctx));
    return Binary<OutKind::kSame, kNumericTypes>(ctx, "Div", [](auto x, auto y) {
      using T = decltype(x);
      if constexpr (kIsFloat<T>) {
        return x / y;
      } else {
        return IntDiv<T>(x, y);
      }
    });
  });
  r.Register("Mod", [](KernelContext& ctx) -> absl::Status {
    RETURN_IF_ERROR(ctx.RequireInputs(2));
    RETURN_IF_ERROR(CheckIntegerDivisor(ctx));
    const bool fmod = ctx.GetInt("fmod", 0) != 0;
    return Binary<OutKind::kSame, kNumericTypes>(ctx, "Mod",
                                  [fmod](auto x, auto y) { return Remainder(x, y, fmod); });
  });
  r.Register("Pow", PowKernel);
  r.Register("PRelu", PReluKernel);
  r.Register("BitShift", BitShiftKernel);
  r.Register("BitwiseAnd", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kIntTypes>(ctx, "BitwiseAnd",
                                  [](auto x, auto y) { return x & y; });
  });
  r.Register("BitwiseOr", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kIntTypes>(ctx, "BitwiseOr", [](auto x, auto y) { return x | y; });
  });
  r.Register("BitwiseXor", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kIntTypes>(ctx, "BitwiseXor",
                                  [](auto x, auto y) { return x ^ y; });
  });
  r.Register("BitwiseNot", [](KernelContext& ctx) {
    return Unary<kIntTypes>(ctx, "BitwiseNot", [](auto x) { return ~x; });
  });

  // Variadic.
  r.Register("Sum", [](KernelContext& ctx) { return VariadicKernel(ctx, Variadic::kSum); });
  r.Register("Mean", [](KernelContext& ctx) { return VariadicKernel(ctx, Variadic::kMean); });
  r.Register("Max", [](KernelContext& ctx) { return VariadicKernel(ctx, Variadic::kMax); });
  r.Register("Min", [](KernelContext& ctx) { return VariadicKernel(ctx, Variadic::kMin); });

  // Comparison and logic.
  r.Register("Equal", [](KernelContext& ctx) {
    return Binary<OutKind::kBool, kAllTypes>(ctx, "Equal", [](auto x, auto y) { return x == y; });
  });
  r.Register("Less", [](KernelContext& ctx) {
    return Binary<OutKind::kBool, kNumericTypes>(ctx, "Less", [](auto x, auto y) { return x < y; });
  });
  r.Register("Greater", [](KernelContext& ctx) {
    return Binary<OutKind::kBool, kNumericTypes>(ctx, "Greater",
                                  [](auto x, auto y) { return x > y; });
  });
  r.Register("LessOrEqual", [](KernelContext& ctx) {
    return Binary<OutKind::kBool, kNumericTypes>(ctx, "LessOrEqual",
                                  [](auto x, auto y) { return x <= y; });
  });
  r.Register("GreaterOrEqual", [](KernelContext& ctx) {
    return Binary<OutKind::kBool, kNumericTypes>(ctx, "GreaterOrEqual",
                                  [](auto x, auto y) { return x >= y; });
  });
  r.Register("And", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kBoolType>(ctx, "And", [](bool x, bool y) { return x && y; });
  });
  r.Register("Or", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kBoolType>(ctx, "Or", [](bool x, bool y) { return x || y; });
  });
  r.Register("Xor", [](KernelContext& ctx) {
    return Binary<OutKind::kSame, kBoolType>(ctx, "Xor", [](bool x, bool y) { return x != y; });
  });
  r.Register("Not", [](KernelContext& ctx) {
    return Unary<kBoolType>(ctx, "Not", [](bool x) { return !x; });
  });
  r.Register("Where", WhereKernel);

  // Unary math.
  r.Register("Neg", [](KernelContext& ctx) {
    return Unary<kSignedNumeric>(ctx, "Neg", [](auto x) { return WrapNeg(x); });
  });
  r.Register("Abs", [](KernelContext& ctx) {
    return Unary<kNumericTypes>(ctx, "Abs", [](auto x) {
      using T = decltype(x);
      if constexpr (std::is_unsigned_v<T>) {
        return x;
      } else {
        return x < 0 ? WrapNeg(x) : x;
      }
    });
  });
  r.Register("Sign", [](KernelContext& ctx) {
    return Unary<kNumericTypes>(ctx, "Sign", [](auto x) {
      using T = decltype(x);
      return static_cast<T>(x > T(0) ? 1 : (x < T(0) ? -1 : 0));
    });
  });
  r.Register("Relu", [](KernelContext& ctx) {
    return Unary<kSignedNumeric>(ctx, "Relu", [](auto x) {
      using T = decltype(x);
      return x > T(0) ? x : T(0);
    });
  });
  FLOAT_UNARY("Exp", std::exp(x));
  FLOAT_UNARY("Log", std::log(x));
  FLOAT_UNARY("Sqrt", std::sqrt(x));
  FLOAT_UNARY("Reciprocal", T(1) / x);
  FLOAT_UNARY("Floor", std::floor(x));
  FLOAT_UNARY("Ceil", std::ceil(x));
  FLOAT_UNARY("Round", std::nearbyint(x));
  FLOAT_UNARY("Erf", std::erf(x));
  FLOAT_UNARY("Sin", std::sin(x));
  FLOAT_UNARY("Cos", std::cos(x));
  FLOAT_UNARY("Tan", std::tan(x));
  FLOAT_UNARY("Asin", std::asin(x));
  FLOAT_UNARY("Acos", std::acos(x));
  FLOAT_UNARY("Atan", std::atan(x));
  FLOAT_UNARY("Sinh", std::sinh(x));
  FLOAT_UNARY("Cosh", std::cosh(x));
  FLOAT_UNARY("Asinh", std::asinh(x));
  FLOAT_UNARY("Acosh", std::acosh(x));
  FLOAT_UNARY("Atanh", std::atanh(x));
  FLOAT_UNARY("Tanh", std::tanh(x));
  FLOAT_UNARY("Sigmoid", Sigmoid(x));
  FLOAT_UNARY("Softplus", Softplus(x));
  FLOAT_UNARY("Softsign", x / (T(1) + std::abs(x)));
  FLOAT_UNARY("Mish", x * std::tanh(Softplus(x)));
  FLOAT_UNARY("HardSwish", x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5))));
  r.Register("IsNaN", [](KernelContext& ctx) {
    return UnaryToBool<kFloatTypes>(ctx, "IsNaN", [](auto x) { return std::isnan(x); });
  });
  r.Register("IsInf", [](KernelContext& ctx) {
    const bool neg = ctx.GetInt("detect_negative", 1) != 0;
    const bool pos = ctx.GetInt("detect_positive", 1) != 0;
    return UnaryToBool<kFloatTypes>(ctx, "IsInf", [neg, pos](auto x) {
      return std::isinf(x) && ((x > 0 && pos) || (x < 0 && neg));
    });
  });

  // Parameterized activations.
  r.Register("LeakyRelu", [](KernelContext& ctx) {
    const float alpha = ctx.GetFloat("alpha", 0.01f);
    return Unary<kFloatTypes>(ctx, "LeakyRelu", [alpha](auto x) {
      using T = decltype(x);
      return x >= T(0) ? x : static_cast<T>(alpha) * x;
    });
  });
  r.Register("Elu", [](KernelContext& ctx) {
    const float alpha = ctx.GetFloat("alpha", 1.0f);
    return Unary<kFloatTypes>(ctx, "Elu", [alpha](auto x) {
      using T = decltype(x);
      return x >= T(0) ? x : static_cast<T>(alpha) * (std::exp(x) - T(1));
    });
  });
  r.Register("Celu", [](KernelContext& ctx) {
    const float alpha = ctx.GetFloat("alpha", 1.0f);
    return Unary<kFloatTypes>(ctx, "Celu", [alpha](auto x) {
      using T = decltype(x);
      const T a = static_cast<T>(alpha);
      return std::max(T(0), x) + std::min(T(0), a * (std::exp(x / a) - T(1)));
    });
  });
  r.Register("Selu", [](KernelContext& ctx) {
    const float alpha = ctx.GetFloat("alpha", 1.67326319217681884765625f);
    const float gamma = ctx.GetFloat("gamma", 1.05070102214813232421875f);
    return Unary<kFloatTypes>(ctx, "Selu", [alpha, gamma](auto x) {
      using T = decltype(x);
      const T g = static_cast<T>(gamma);
      const T a = static_cast<T>(alpha);
      return x > T(0) ? g * x : g * (a * std::exp(x) - a);
    });
  });
  r.Register("HardSigmoid", [](KernelContext& ctx) {
    const float alpha = ctx.GetFloat("alpha", 0.2f);
    const float beta = ctx.GetFloat("beta", 0.5f);
    return Unary<kFloatTypes>(ctx, "HardSigmoid", [alpha, beta](auto x) {
      using T = decltype(x);
      return std::max(T(0), std::min(T(1), static_cast<T>(alpha) * x + static_cast<T>(beta)));
    });
  });
  r.Register("ThresholdedRelu", [](KernelContext& ctx) {
    const float alpha = ctx.GetFloat("alpha", 1.0f);
    return Unary<kFloatTypes>(ctx, "ThresholdedRelu", [alpha](auto x) {
      using T = decltype(x);
      return x > static_cast<T>(alpha) ? x : T(0);
    });
  });
  r.Register("Shrink", [](KernelContext& ctx) {
    const float bias = ctx.GetFloat("bias", 0.0f);
    const float lambd = ctx.GetFloat("lambd", 0.5f);
    return Unary<kSignedNumeric>(ctx, "Shrink", [bias, lambd](auto x) {
      using T = decltype(x);
      const double v = static_cast<double>(x);
      if (v < -lambd) return static_cast<T>(v + bias);
      if (v > lambd) return static_cast<T>(v - bias);
      return T(0);
    });
  });
  r.Register("Gelu", [](KernelContext& ctx) -> absl::Status {
    const std::string approx = ctx.GetString("approximate", "none");
    if (approx == "tanh") {
      return Unary<kFloatTypes>(ctx, "Gelu", [](auto x) {
        using T = decltype(x);
        const T k = static_cast<T>(0.7978845608028654);  // sqrt(2/pi)
        return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
      });
    }
    if (approx != "none") return ctx.Error("approximate must be none or tanh");
    return Unary<kFloatTypes>(ctx, "Gelu", [](auto x) {
      using T = decltype(x);
      return T(0.5) * x * (T(1) + std::erf(x * static_cast<T>(M_SQRT1_2)));
    });
  });
  r.Register("Clip", ClipKernel);
}

}  // namespace onnxsmith::evaluator
