// Small linear-algebra ops past the matrix family: Cross (the 3-vector cross
// product over the last axis) and TridiagonalMatMul (a tridiagonal matrix,
// given by its three diagonals, times a dense one), as elementwise ONNX.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/vector_math.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;

// Cross(a, b), both [..., 3]: a.yzx * b.zxy - a.zxy * b.yzx.
absl::Status ConvertCross(NodeContext& ctx) {
  for (int i = 0; i < 2; ++i) {
    const auto dims = ctx.input_dims(i);
    if (dims && (dims->empty() || (dims->back() >= 0 && dims->back() != 3))) {
      return ctx.Error(absl::StrCat("input ", i, " must have an inner dimension of 3"));
    }
  }
  ctx.SetOutput(0, EmitCross3(ctx, ctx.input(0), ctx.input(1)));
  return absl::OkStatus();
}

// TridiagonalMatMul(superdiag, maindiag, subdiag [..., 1, M], rhs [..., M, N]):
// y[i] = super[i] x[i+1] + main[i] x[i] + sub[i] x[i-1] (rows of x = rhs; the
// last super and first sub entries are unused), with x's rows shifted by a
// Slice and a zero Pad.
absl::Status ConvertTridiagonalMatMul(NodeContext& ctx) {
  const auto rank = ctx.input_rank(3);
  if (!rank || *rank < 2) return ctx.Unsupported("a right-hand side of unknown rank");
  const int r = *rank;
  std::vector<int64_t> perm;
  for (int k = 0; k < r - 2; ++k) perm.push_back(k);
  perm.push_back(r - 1);
  perm.push_back(r - 2);
  const auto column = [&](int i) { return ctx.Transpose(ctx.input(i), perm); };  // [..., M, 1]
  const std::string& x = ctx.input(3);
  const auto shifted = [&](bool next) {
    const std::string rows =
        next ? ctx.AddNode("Slice", {x, ctx.ConstInt64s({1}, "begin"),
                                     ctx.ConstInt64s({INT64_MAX}, "end"),
                                     ctx.ConstInt64s({-2}, "axis")})
             : ctx.AddNode("Slice", {x, ctx.ConstInt64s({0}, "begin"), ctx.ConstInt64s({-1}, "end"),
                                     ctx.ConstInt64s({-2}, "axis")});
    std::vector<int64_t> pads(2 * r, 0);
    pads[next ? 2 * r - 2 : r - 2] = 1;  // one zero row after (next) or before (previous)
    return ctx.AddNode("Pad", {rows, ctx.ConstInt64s(pads, "pads")});
  };
  const std::string main = ctx.AddNode("Mul", {column(1), x});
  const std::string above = ctx.AddNode("Mul", {column(0), shifted(true)});
  const std::string below = ctx.AddNode("Mul", {column(2), shifted(false)});
  ctx.SetOutput(0, ctx.AddNode("Add", {ctx.AddNode("Add", {main, above}), below}));
  return absl::OkStatus();
}

}  // namespace

void RegisterLinalgOps(HandlerRegistry& r) {
  r.Register({"Cross"}, kMinOpset, Inputs(2), ConvertCross);
  r.Register({"TridiagonalMatMul"}, kMinOpset, Inputs(4), ConvertTridiagonalMatMul);
}

}  // namespace onnxsmith::converter
