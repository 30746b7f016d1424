// Padding: Pad, PadV2, MirrorPad (REFLECT, and SYMMETRIC spelled out).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <limits>
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// ---------------------------------------------------------------------------
// Padding

// TF paddings [rank, 2] -> ONNX pads [begin..., end...] as an int64 value.
std::string OnnxPads(NodeContext& ctx, const std::vector<int64_t>& paddings) {
  const size_t rank = paddings.size() / 2;
  std::vector<int64_t> pads(2 * rank);
  for (size_t i = 0; i < rank; ++i) {
    pads[i] = paddings[2 * i];
    pads[rank + i] = paddings[2 * i + 1];
  }
  return ctx.ConstInt64s(pads, "pads");
}

// Run-time paddings: transpose to [2, rank] and flatten.
std::string DynamicOnnxPads(NodeContext& ctx, int paddings_input) {
  std::string by_side = ctx.Transpose(ctx.input(paddings_input), {1, 0});
  std::string flat = ctx.AddNode("Reshape", {by_side, ctx.ConstInt64s({-1}, "flat")});
  return ctx.Cast(flat, DataType::kInt64);
}

// The padded dims when both the input dims and the paddings are known.
std::optional<std::vector<int64_t>> PaddedDims(const NodeContext& ctx,
                                               const std::vector<int64_t>* paddings) {
  auto dims = ctx.input_dims(0);
  if (!dims) return std::nullopt;
  if (paddings == nullptr || paddings->size() != 2 * dims->size()) {
    for (int64_t& d : *dims) d = -1;
    return dims;
  }
  for (size_t i = 0; i < dims->size(); ++i) {
    if ((*dims)[i] >= 0) (*dims)[i] += (*paddings)[2 * i] + (*paddings)[2 * i + 1];
  }
  return dims;
}

absl::Status EmitPad(NodeContext& ctx, const std::string& mode) {
  std::optional<std::vector<int64_t>> paddings;
  std::string pads;
  if (ctx.const_input(1) != nullptr) {
    auto values = ctx.const_ints(1);
    if (!values.ok()) return values.status();
    if (values->size() % 2 != 0) return ctx.Error("paddings must have shape [rank, 2]");
    paddings = *values;
    bool all_zero = true;
    for (int64_t p : *paddings) {
      if (p < 0) return ctx.Error("negative paddings are invalid");
      all_zero &= p == 0;
    }
    if (all_zero) {
      ctx.SetOutputAlias(0, ctx.input(0));
      return absl::OkStatus();
    }
    pads = OnnxPads(ctx, *paddings);
  } else {
    pads = DynamicOnnxPads(ctx, 1);
  }
  std::vector<std::string> inputs = {ctx.input(0), pads};
  if (mode == "constant" && ctx.num_inputs() > 2) inputs.push_back(ctx.input(2));  // PadV2
  std::string out = ctx.AddNode("Pad", inputs, {Attribute::String("mode", mode)});
  RecordType(ctx, out, ctx.input_dtype(0), PaddedDims(ctx, paddings ? &*paddings : nullptr));
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

absl::Status ConvertPad(NodeContext& ctx) { return EmitPad(ctx, "constant"); }

// SYMMETRIC mirrors including the edge; ONNX has no such mode, so each padded
// axis becomes concat(reversed head, x, reversed tail).
absl::Status EmitSymmetricPad(NodeContext& ctx, const std::vector<int64_t>& paddings) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  std::string x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(paddings.size() / 2);
  for (int64_t axis = 0; axis < rank; ++axis) {
    const int64_t before = paddings[2 * axis], after = paddings[2 * axis + 1];
    if (before == 0 && after == 0) continue;
    std::vector<std::string> parts;
    const std::string axes = ctx.ConstInt64s({axis}, "axes");
    const std::string step = ctx.ConstInt64s({-1}, "steps");
    if (before > 0) {  // x[before-1], ..., x[0]
      parts.push_back(ctx.AddNode("Slice", {x, ctx.ConstInt64s({before - 1}, "starts"),
                                            ctx.ConstInt64s({kMin}, "ends"), axes, step}));
    }
    parts.push_back(x);
    if (after > 0) {  // x[n-1], ..., x[n-after]
      parts.push_back(ctx.AddNode("Slice", {x, ctx.ConstInt64s({-1}, "starts"),
                                            ctx.ConstInt64s({-1 - after}, "ends"), axes, step}));
    }
    x = ctx.AddNode("Concat", parts, {Attribute::Int("axis", axis)});
  }
  ctx.SetOutput(0, x);
  return absl::OkStatus();
}

// SYMMETRIC with paddings computed at run time: per axis, a Gather at
// [before-1 .. 0] ++ [0 .. n-1] ++ [n-1 .. n-after] (Ranges, empty when a
// padding is 0). Needs the rank.
absl::Status EmitRuntimeSymmetricPad(NodeContext& ctx) {
  std::optional<int> rank = ctx.input_rank(0);
  if (!rank) {
    if (auto pd = ctx.input_dims(1); pd && !pd->empty() && (*pd)[0] >= 0) {
      rank = static_cast<int>((*pd)[0]);
    }
  }
  if (!rank) {
    return ctx.Unsupported("SYMMETRIC MirrorPad with run-time paddings of an input of unknown rank");
  }
  const std::string flat = ctx.AddNode("Reshape", {Int64Input(ctx, 1), ctx.ConstInt64s({-1}, "flat")});
  const std::string zero = ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "zero");
  const std::string one = ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one");
  const std::string minus_one = ctx.AddConst(ir::Tensor::Scalar<int64_t>(-1), "minus_one");
  std::string x = ctx.input(0);
  for (int axis = 0; axis < *rank; ++axis) {
    const std::string before = ElementAt(ctx, flat, 2 * axis);
    const std::string after = ElementAt(ctx, flat, 2 * axis + 1);
    const std::string n = RuntimeDim(ctx, x, axis);
    const std::string last = ctx.AddNode("Sub", {n, one});
    const std::string head =
        ctx.AddNode("Range", {ctx.AddNode("Sub", {before, one}), minus_one, minus_one});
    const std::string body = ctx.AddNode("Range", {zero, n, one});
    const std::string tail =
        ctx.AddNode("Range", {last, ctx.AddNode("Sub", {last, after}), minus_one});
    const std::string index =
        ctx.AddNode("Concat", {head, body, tail}, {Attribute::Int("axis", 0)});
    x = ctx.AddNode("Gather", {x, index}, {Attribute::Int("axis", axis)});
  }
  ctx.SetOutput(0, x);
  return absl::OkStatus();
}

absl::Status ConvertMirrorPad(NodeContext& ctx) {
  const std::string mode = ctx.attr_string("mode", "REFLECT");
  if (mode == "REFLECT") return EmitPad(ctx, "reflect");
  if (mode != "SYMMETRIC") return ctx.Error(absl::StrCat("unknown mode '", mode, "'"));
  if (ctx.const_input(1) == nullptr) return EmitRuntimeSymmetricPad(ctx);
  auto paddings = ctx.const_ints(1);
  if (!paddings.ok()) return paddings.status();
  if (paddings->size() % 2 != 0) return ctx.Error("paddings must have shape [rank, 2]");
  for (int64_t p : *paddings) {
    if (p < 0) return ctx.Error("negative paddings are invalid");
  }
  return EmitSymmetricPad(ctx, *paddings);
}

}  // namespace

void RegisterPadOps(HandlerRegistry& r) {
  r.Register({"Pad"}, kMinOpset, Inputs(2), ConvertPad);
  r.Register({"PadV2"}, kMinOpset, Inputs(3), ConvertPad);  // constant_values
  r.Register({"MirrorPad"}, kMinOpset, Inputs(2), ConvertMirrorPad);
}

}  // namespace onnxsmith::converter
