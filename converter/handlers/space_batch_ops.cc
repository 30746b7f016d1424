// SpaceToBatchND and BatchToSpaceND as Pad/Slice + Reshape/Transpose/Reshape.
// Block shapes, paddings and crops must be constants (they are in the dilated
// convolutions TF emits this pattern for); the data's dims may be unknown: the
// reshape targets are computed from its Shape, and constant folding removes
// that arithmetic when the dims are known.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;

struct BlockSpec {
  std::vector<int64_t> block;  // M block sizes
  std::vector<int64_t> pairs;  // M x 2 paddings or crops, row-major
  int rank = 0;
};

absl::StatusOr<BlockSpec> ReadBlockSpec(const NodeContext& ctx, const char* pairs_name) {
  BlockSpec s;
  // SpaceToBatch/BatchToSpace (TF1, 4-D): block_size an attribute for both
  // spatial dims, the pairs input 1.
  const bool nd = absl::EndsWith(ctx.op_type(), "ND");
  auto block = nd ? ctx.const_ints(1)
                  : absl::StatusOr<std::vector<int64_t>>(
                        std::vector<int64_t>(2, ctx.attr_int("block_size", 0)));
  if (!block.ok()) return block.status();
  auto pairs = ctx.const_ints(nd ? 2 : 1);
  if (!pairs.ok()) return pairs.status();
  s.block = *std::move(block);
  s.pairs = *std::move(pairs);
  const size_t m = s.block.size();
  if (m == 0 || s.pairs.size() != 2 * m) {
    return ctx.Error(absl::StrCat("block_shape has ", m, " values and ", pairs_name, " ",
                                  s.pairs.size(), " (expected ", 2 * m, ")"));
  }
  for (int64_t b : s.block) {
    if (b < 1) return ctx.Error(absl::StrCat("block_shape holds ", b, " (must be >= 1)"));
  }
  for (int64_t p : s.pairs) {
    if (p < 0) return ctx.Error(absl::StrCat(pairs_name, " holds ", p, " (must be >= 0)"));
  }
  const std::optional<int> rank = ctx.input_rank(0);
  if (!rank.has_value()) return ctx.Error("the input's rank is unknown");
  if (*rank < static_cast<int>(m) + 1) {
    return ctx.Error(absl::StrCat("input of rank ", *rank, " for ", m, " block dims"));
  }
  s.rank = *rank;
  return s;
}

// dims[from, to) of `shape` (a 1-D int64 value).
std::string ShapeSlice(NodeContext& ctx, const std::string& shape, int64_t from, int64_t to) {
  return ctx.AddNode("Slice", {shape, ctx.ConstInt64s({from}, "from"), ctx.ConstInt64s({to}, "to")});
}

std::string Concat(NodeContext& ctx, std::vector<std::string> parts) {
  return ctx.AddNode("Concat", std::move(parts), {Attribute::Int("axis", 0)});
}

absl::Status ConvertSpaceToBatch(NodeContext& ctx) {
  auto spec = ReadBlockSpec(ctx, "paddings");
  if (!spec.ok()) return spec.status();
  const int64_t m = static_cast<int64_t>(spec->block.size());
  const int64_t rank = spec->rank;
  std::vector<int64_t> pads(2 * rank, 0);
  bool padded = false;
  for (int64_t i = 0; i < m; ++i) {
    pads[1 + i] = spec->pairs[2 * i];
    pads[rank + 1 + i] = spec->pairs[2 * i + 1];
    padded |= spec->pairs[2 * i] != 0 || spec->pairs[2 * i + 1] != 0;
  }
  std::string x = ctx.input(0);
  if (padded) x = ctx.AddNode("Pad", {x, ctx.ConstInt64s(pads, "pads")});
  const std::string shape = ctx.AddNode("Shape", {x});
  const std::string block = ctx.ConstInt64s(spec->block, "block");
  // [B, s1/b1, b1, ..., sM/bM, bM, rest...]
  const std::string spatial = ShapeSlice(ctx, shape, 1, 1 + m);
  const std::string reduced = ctx.AddNode("Div", {spatial, block});
  const std::string interleaved = ctx.AddNode(
      "Reshape", {ctx.AddNode("Concat", {ctx.Unsqueeze(reduced, {1}), ctx.Unsqueeze(block, {1})},
                              {Attribute::Int("axis", 1)}),
                  ctx.ConstInt64s({2 * m}, "flat")});
  const std::string batch = ShapeSlice(ctx, shape, 0, 1);
  const std::string rest = ShapeSlice(ctx, shape, 1 + m, rank);
  const std::string split = ctx.AddNode("Reshape", {x, Concat(ctx, {batch, interleaved, rest})});
  // Block axes first, then the batch, then the reduced spatial axes.
  std::vector<int64_t> perm;
  for (int64_t i = 0; i < m; ++i) perm.push_back(2 + 2 * i);
  perm.push_back(0);
  for (int64_t i = 0; i < m; ++i) perm.push_back(1 + 2 * i);
  for (int64_t k = 1 + 2 * m; k < rank + m; ++k) perm.push_back(k);
  const std::string moved = ctx.Transpose(split, perm);
  int64_t block_volume = 1;
  for (int64_t b : spec->block) block_volume *= b;
  const std::string new_batch = ctx.AddNode("Mul", {batch, ctx.ConstInt64s({block_volume}, "volume")});
  ctx.SetOutput(0, ctx.AddNode("Reshape", {moved, Concat(ctx, {new_batch, reduced, rest})}));
  return absl::OkStatus();
}

absl::Status ConvertBatchToSpace(NodeContext& ctx) {
  auto spec = ReadBlockSpec(ctx, "crops");
  if (!spec.ok()) return spec.status();
  const int64_t m = static_cast<int64_t>(spec->block.size());
  const int64_t rank = spec->rank;
  const std::string x = ctx.input(0);
  const std::string shape = ctx.AddNode("Shape", {x});
  int64_t block_volume = 1;
  for (int64_t b : spec->block) block_volume *= b;
  const std::string block = ctx.ConstInt64s(spec->block, "block");
  const std::string batch =
      ctx.AddNode("Div", {ShapeSlice(ctx, shape, 0, 1), ctx.ConstInt64s({block_volume}, "volume")});
  const std::string spatial = ShapeSlice(ctx, shape, 1, 1 + m);
  const std::string rest = ShapeSlice(ctx, shape, 1 + m, rank);
  // [b1, ..., bM, B, s1, ..., sM, rest...]
  const std::string split = ctx.AddNode("Reshape", {x, Concat(ctx, {block, batch, spatial, rest})});
  std::vector<int64_t> perm = {m};
  for (int64_t i = 0; i < m; ++i) {
    perm.push_back(m + 1 + i);
    perm.push_back(i);
  }
  for (int64_t k = 1 + 2 * m; k < rank + m; ++k) perm.push_back(k);
  const std::string moved = ctx.Transpose(split, perm);
  const std::string grown = ctx.AddNode("Mul", {spatial, block});
  std::string y = ctx.AddNode("Reshape", {moved, Concat(ctx, {batch, grown, rest})});
  std::vector<int64_t> starts, ends, axes;
  for (int64_t i = 0; i < m; ++i) {
    const int64_t begin = spec->pairs[2 * i];
    const int64_t end = spec->pairs[2 * i + 1];
    if (begin == 0 && end == 0) continue;
    starts.push_back(begin);
    ends.push_back(end == 0 ? std::numeric_limits<int64_t>::max() : -end);
    axes.push_back(1 + i);
  }
  if (!axes.empty()) {
    y = ctx.AddNode("Slice", {y, ctx.ConstInt64s(starts, "starts"), ctx.ConstInt64s(ends, "ends"),
                              ctx.ConstInt64s(axes, "axes")});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

void RegisterSpaceBatchOps(HandlerRegistry& r) {
  r.Register({"SpaceToBatchND"}, kMinOpset, Inputs(3), ConvertSpaceToBatch);
  r.Register({"BatchToSpaceND"}, kMinOpset, Inputs(3), ConvertBatchToSpace);
  r.Register({"SpaceToBatch"}, kMinOpset, Inputs(2), ConvertSpaceToBatch);
  r.Register({"BatchToSpace"}, kMinOpset, Inputs(2), ConvertBatchToSpace);
}

}  // namespace onnxsmith::converter
