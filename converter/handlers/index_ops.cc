// Index ops: Gather/GatherV2/GatherNd, OneHot, Cumsum, TopKV2.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// ---------------------------------------------------------------------------
// Gathering

absl::Status EmitGather(NodeContext& ctx, int64_t axis, int64_t batch_dims) {
  if (batch_dims < 0) {
    std::optional<int> indices_rank = ctx.input_rank(1);
    if (!indices_rank) return ctx.Unsupported("negative batch_dims with indices of unknown rank");
    batch_dims += *indices_rank;
  }
  if (batch_dims == 0) {
    ctx.SetOutput(
        0, ctx.AddNode("Gather", {ctx.input(0), ctx.input(1)}, {Attribute::Int("axis", axis)}));
    return absl::OkStatus();
  }
  // With the gather axis right after the batch dims, GatherV2 is GatherND
  // over one-element index tuples.
  if (axis < 0) {
    std::optional<int> params_rank = ctx.input_rank(0);
    if (!params_rank) return ctx.Unsupported("negative axis with params of unknown rank");
    axis += *params_rank;
  }
  if (axis < batch_dims) {
    return ctx.Error(absl::StrCat("axis ", axis, " is below batch_dims ", batch_dims));
  }
  std::string tuples = ctx.Unsqueeze(Int64Input(ctx, 1), {-1});
  if (axis == batch_dims) {
    ctx.SetOutput(0, ctx.AddNode("GatherND", {ctx.input(0), tuples},
                                 {Attribute::Int("batch_dims", batch_dims)}));
    return absl::OkStatus();
  }
  // axis > batch_dims: params [B, P, A, Q] -> [B, A, Q, P] puts the gather
  // axis right after the batch dims; GatherND then yields [B, I, Q, P],
  // transposed back to TF's [B, P, I, Q]. Needs both ranks.
  std::optional<int> p_rank = ctx.input_rank(0), i_rank = ctx.input_rank(1);
  if (!p_rank || !i_rank) {
    return ctx.Unsupported("batch_dims below axis with params or indices of unknown rank");
  }
  const int64_t b = batch_dims, p = *p_rank, r = *i_rank;
  std::vector<int64_t> in_perm, out_perm;
  for (int64_t k = 0; k < b; ++k) in_perm.push_back(k);
  for (int64_t k = axis; k < p; ++k) in_perm.push_back(k);
  for (int64_t k = b; k < axis; ++k) in_perm.push_back(k);
  const int64_t n_p = axis - b, n_i = r - b, n_q = p - axis - 1;
  for (int64_t k = 0; k < b; ++k) out_perm.push_back(k);
  for (int64_t k = 0; k < n_p; ++k) out_perm.push_back(b + n_i + n_q + k);
  for (int64_t k = 0; k < n_i; ++k) out_perm.push_back(b + k);
  for (int64_t k = 0; k < n_q; ++k) out_perm.push_back(b + n_i + k);
  std::string gathered =
      ctx.AddNode("GatherND", {ctx.Transpose(ctx.input(0), in_perm), tuples},
                  {Attribute::Int("batch_dims", batch_dims)});
  ctx.SetOutput(0, ctx.Transpose(gathered, out_perm));
  return absl::OkStatus();
}

absl::Status ConvertGatherV2(NodeContext& ctx) {  // params, indices, axis
  auto axis = ConstScalarInt(ctx, 2, "axis");
  if (!axis.ok()) return axis.status();
  return EmitGather(ctx, *axis, ctx.attr_int("batch_dims", 0));
}

absl::Status ConvertGather(NodeContext& ctx) { return EmitGather(ctx, 0, 0); }

absl::Status ConvertGatherNd(NodeContext& ctx) {
  // ONNX GatherND indices are int64 only.
  ctx.SetOutput(0, ctx.AddNode("GatherND", {ctx.input(0), Int64Input(ctx, 1)}));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// OneHot, Cumsum, TopK

bool IsSignedInteger(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}

absl::Status ConvertOneHot(NodeContext& ctx) {  // indices, depth, on_value, off_value
  std::string indices = ctx.input(0);
  const DataType index_type = InputDType(ctx, 0, "TI");
  // ONNX counts negative indices from the end; TF makes their rows all
  // off_value. Moving them to `depth` (out of range) gives TF's result.
  if (IsSignedInteger(index_type)) {
    bool may_be_negative = true;
    if (const ir::Tensor* t = ctx.const_input(0)) {
      auto values = t->ToInt64s();
      may_be_negative = !values.ok();
      if (values.ok()) {
        for (int64_t v : *values) may_be_negative |= v < 0;
      }
    }
    if (may_be_negative) {
      std::string negative = ctx.AddNode("Less", {indices, ctx.ConstScalar(index_type, 0, "zero")});
      indices = ctx.AddNode("Where", {negative, ctx.Cast(ctx.input(1), index_type), indices});
    }
  }
  std::string values;
  const ir::Tensor* on = ctx.const_input(2);
  const ir::Tensor* off = ctx.const_input(3);
  if (on != nullptr && off != nullptr && on->num_elements() == 1 && off->num_elements() == 1 &&
      on->dtype() == off->dtype() && on->dtype() != DataType::kString) {
    auto pair = ir::Tensor::FromRaw(on->dtype(), {2}, absl::StrCat(off->raw(), on->raw()));
    if (!pair.ok()) return ctx.Error(std::string(pair.status().message()));
    values = ctx.AddConst(*std::move(pair), "off_on");
  } else {
    values =
        ctx.AddNode("Concat", {ctx.Unsqueeze(ctx.input(3), {0}), ctx.Unsqueeze(ctx.input(2), {0})},
                    {Attribute::Int("axis", 0)});
  }
  // ONNX Runtime's OneHot kernels take int64 indices and depth and float,
  // float16, int64 or string values; other value types go through int64 or
  // float and back.
  const DataType value_type = InputDType(ctx, 2, "T");
  DataType compute = value_type;
  if (value_type != DataType::kFloat && value_type != DataType::kFloat16 &&
      value_type != DataType::kInt64 && value_type != DataType::kString &&
      value_type != DataType::kUndefined) {
    compute = ir::IsFloating(value_type) ? DataType::kFloat : DataType::kInt64;
    values = ctx.Cast(values, compute);
  }
  std::string out = ctx.AddNode(
      "OneHot",
      {ctx.Cast(indices, DataType::kInt64), ctx.Cast(ctx.input(1), DataType::kInt64), values},
      {Attribute::Int("axis", ctx.attr_int("axis", -1))});
  ctx.SetOutput(0, compute == value_type ? out : ctx.Cast(out, value_type));
  return absl::OkStatus();
}

absl::Status ConvertCumsum(NodeContext& ctx) {  // x, axis
  ctx.SetOutput(0, ctx.AddNode("CumSum", {ctx.input(0), ctx.input(1)},
                               {Attribute::Int("exclusive", ctx.attr_bool("exclusive", false)),
                                Attribute::Int("reverse", ctx.attr_bool("reverse", false))}));
  return absl::OkStatus();
}

absl::Status ConvertTopKV2(NodeContext& ctx) {  // input, k
  // ONNX K is a one-element 1-D int64 tensor.
  std::string k;
  if (ctx.const_input(1) != nullptr) {
    auto value = ConstScalarInt(ctx, 1, "k");
    if (!value.ok()) return value.status();
    k = ctx.ConstInt64s({*value}, "k");
  } else {
    k = ctx.AddNode("Reshape", {Int64Input(ctx, 1), ctx.ConstInt64s({1}, "one")});
  }
  // TF's sorted=false allows any order, so ONNX's sorted output is valid too.
  std::vector<std::string> outs = ctx.AddNodeMulti(
      "TopK", {ctx.input(0), k}, 2,
      {Attribute::Int("axis", -1), Attribute::Int("largest", 1), Attribute::Int("sorted", 1)});
  auto index_type = ctx.attr_type("index_type");
  ctx.SetOutput(0, outs[0]);
  ctx.SetOutput(1, ctx.Cast(outs[1], index_type.ok() ? *index_type : DataType::kInt32));
  return absl::OkStatus();
}

}  // namespace

void RegisterIndexOps(HandlerRegistry& r) {
  r.Register({"GatherV2"}, kMinOpset, Inputs(3), ConvertGatherV2);
  r.Register({"Gather"}, kMinOpset, Inputs(2), ConvertGather);
  r.Register({"GatherNd"}, kMinOpset, Inputs(2), ConvertGatherNd);
  r.Register({"OneHot"}, kMinOpset, Inputs(4), ConvertOneHot);
  r.Register({"Cumsum"}, kMinOpset, Inputs(2), ConvertCumsum);
  r.Register({"TopKV2"}, kMinOpset, Inputs(2), ConvertTopKV2);
}

}  // namespace onnxsmith::converter
