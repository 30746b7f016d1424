// Special functions of tf.math / tf.math.special as ONNX elementwise
// decompositions (special_functions.cc): Erfinv, Ndtri, BesselI0(e),
// BesselI1(e), Digamma, Zeta, NextAfter.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/emit/onnx_emitter.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"

namespace onnxsmith::converter {

// special_functions.cc
namespace special {

// The inverse of the standard normal CDF (TF's Ndtri): -inf at 0, +inf at 1,
// NaN outside [0, 1].
std::string Ndtri(OnnxEmitter& e, const std::string& p, ir::DataType t);
// The inverse error function: +-inf at +-1, NaN outside [-1, 1].
std::string Erfinv(OnnxEmitter& e, const std::string& x, ir::DataType t);
// Modified Bessel functions of the first kind, orders 0 and 1, plain or
// exponentially scaled (times exp(-|x|)).
std::string BesselI(OnnxEmitter& e, const std::string& x, ir::DataType t, int order,
                    bool scaled);
// psi(x) = d/dx ln Gamma(x); NaN at 0 and the negative integers.
std::string Digamma(OnnxEmitter& e, const std::string& x, ir::DataType t);
// The Hurwitz zeta function sum_k (q + k)^-x, for x > 1 and q > 0 (else as
// TF: inf at x = 1, NaN below).
std::string Zeta(OnnxEmitter& e, const std::string& x, const std::string& q, ir::DataType t);
// The next representable value of type t after x towards y (t float or double).
std::string NextAfter(OnnxEmitter& e, const std::string& x, const std::string& y,
                      ir::DataType t);

}  // namespace special

// math_special_ops.cc
absl::StatusOr<ir::DataType> FloatType(const NodeContext& ctx);

namespace {

using ir::DataType;

absl::Status ConvertSpecialUnary(NodeContext& ctx) {
  auto t = FloatType(ctx);
  if (!t.ok()) return t.status();
  const std::string& op = ctx.op_type();
  const std::string& x = ctx.input(0);
  std::string y;
  if (op == "Erfinv") {
    y = special::Erfinv(ctx, x, *t);
  } else if (op == "Ndtri") {
    y = special::Ndtri(ctx, x, *t);
  } else if (op == "Digamma") {
    y = special::Digamma(ctx, x, *t);
  } else {  // BesselI0, BesselI1, BesselI0e, BesselI1e
    y = special::BesselI(ctx, x, *t, op[7] == '1' ? 1 : 0, op.back() == 'e');
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

absl::Status ConvertZeta(NodeContext& ctx) {
  auto t = FloatType(ctx);
  if (!t.ok()) return t.status();
  ctx.SetOutput(0, special::Zeta(ctx, ctx.input(0), ctx.input(1), *t));
  return absl::OkStatus();
}

absl::Status ConvertNextAfter(NodeContext& ctx) {
  auto t = FloatType(ctx);
  if (!t.ok()) return t.status();
  if (*t == DataType::kFloat16) return ctx.Unsupported("float16 operands");
  ctx.SetOutput(0, special::NextAfter(ctx, ctx.input(0), ctx.input(1), *t));
  return absl::OkStatus();
}

}  // namespace

void RegisterSpecialMathOps(HandlerRegistry& r) {
  r.Register({"Erfinv", "Ndtri", "Digamma", "BesselI0", "BesselI1", "BesselI0e", "BesselI1e"},
             kMinOpset, Inputs(1), ConvertSpecialUnary);
  r.Register({"Zeta"}, kMinOpset, Inputs(2), ConvertZeta);
  r.Register({"NextAfter"}, kMinOpset, Inputs(2), ConvertNextAfter);
}

}  // namespace onnxsmith::converter
