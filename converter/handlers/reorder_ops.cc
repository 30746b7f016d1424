// Ops that move elements without computing on them: Roll, ReverseSequence,
// InvertPermutation, and MatrixBandPart (which zeroes outside a band).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// Roll: along each axis, output[i] = input[(i - shift) mod dim], a Gather
// whose indices constant folding computes when the dim is known. Axes given
// twice accumulate, as TF sums their shifts.
absl::Status ConvertRoll(NodeContext& ctx) {
  auto shifts = ctx.const_ints(1);
  if (!shifts.ok()) return shifts.status();
  auto axes = ctx.const_ints(2);
  if (!axes.ok()) return axes.status();
  if (shifts->size() != axes->size()) {
    return ctx.Error(absl::StrCat("shift has ", shifts->size(), " values and axis ",
                                  axes->size()));
  }
  const std::optional<int> rank = ctx.input_rank(0);
  if (!rank.has_value()) return ctx.Error("the input's rank is unknown");
  std::string y = ctx.input(0);
  for (size_t k = 0; k < axes->size(); ++k) {
    int64_t axis = (*axes)[k];
    if (axis < 0) axis += *rank;
    if (axis < 0 || axis >= *rank) {
      return ctx.Error(absl::StrCat("axis ", (*axes)[k], " is out of range"));
    }
    const std::string dim = ctx.AddNode(
        "Gather", {ctx.AddNode("Shape", {y}), ctx.ConstScalar(DataType::kInt64, axis, "axis")});
    const std::string positions =
        ctx.AddNode("Range", {ctx.ConstScalar(DataType::kInt64, 0, "zero"), dim,
                              ctx.ConstScalar(DataType::kInt64, 1, "one")});
    // Mod with a positive divisor is never negative (fmod=0 follows the divisor).
    const std::string source = ctx.AddNode(
        "Mod", {ctx.AddNode("Sub", {positions, ctx.ConstScalar(DataType::kInt64, (*shifts)[k],
                                                               "shift")}),
                dim});
    y = ctx.AddNode("Gather", {y, source}, {Attribute::Int("axis", axis)});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// ONNX's ReverseSequence takes batch and time axes among the first two; other
// axes are moved there and back.
absl::Status ConvertReverseSequence(NodeContext& ctx) {
  const std::optional<int> rank = ctx.input_rank(0);
  if (!rank.has_value()) return ctx.Error("the input's rank is unknown");
  int64_t seq = ctx.attr_int("seq_dim", 0);
  int64_t batch = ctx.attr_int("batch_dim", 0);
  if (seq < 0) seq += *rank;
  if (batch < 0) batch += *rank;
  if (seq < 0 || seq >= *rank || batch < 0 || batch >= *rank || seq == batch) {
    return ctx.Error(absl::StrCat("seq_dim ", seq, " and batch_dim ", batch,
                                  " must be distinct axes of the rank-", *rank, " input"));
  }
  // TF leaves a length-0 sequence as it is, like length 1; ORT's kernel does
  // not, so lengths are at least 1.
  const std::string lengths = ctx.AddNode(
      "Max", {ctx.Cast(ctx.input(1), DataType::kInt64), ctx.ConstScalar(DataType::kInt64, 1, "one")});
  if (seq <= 1 && batch <= 1) {
    ctx.SetOutput(0, ctx.AddNode("ReverseSequence", {ctx.input(0), lengths},
                                 {Attribute::Int("batch_axis", batch),
                                  Attribute::Int("time_axis", seq)}));
    return absl::OkStatus();
  }
  std::vector<int64_t> perm = {batch, seq};
  for (int64_t k = 0; k < *rank; ++k) {
    if (k != batch && k != seq) perm.push_back(k);
  }
  std::vector<int64_t> inverse(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) inverse[static_cast<size_t>(perm[k])] = static_cast<int64_t>(k);
  const std::string moved = ctx.Transpose(ctx.input(0), perm);
  const std::string reversed = ctx.AddNode(
      "ReverseSequence", {moved, lengths},
      {Attribute::Int("batch_axis", 0), Attribute::Int("time_axis", 1)});
  ctx.SetOutput(0, ctx.Transpose(reversed, inverse));
  return absl::OkStatus();
}

// y[x[i]] = i.
absl::Status ConvertInvertPermutation(NodeContext& ctx) {
  const std::string x = ctx.input(0);
  DataType t = ctx.input_dtype(0);
  if (t == DataType::kUndefined) t = DataType::kInt32;
  const std::string n = ctx.AddNode("Shape", {x});
  const std::string positions = ctx.Cast(
      ctx.AddNode("Range", {ctx.ConstScalar(DataType::kInt64, 0, "zero"),
                            ctx.Squeeze(n, {0}), ctx.ConstScalar(DataType::kInt64, 1, "one")}),
      t);
  ctx.SetOutput(0, ctx.AddNode("ScatterElements", {x, x, positions}, {Attribute::Int("axis", 0)}));
  return absl::OkStatus();
}

// Keeps i - j <= num_lower and j - i <= num_upper (a negative bound keeps the
// whole triangle): two Trilu nodes.
absl::Status ConvertMatrixBandPart(NodeContext& ctx) {
  auto lower = ctx.const_ints(1);
  if (!lower.ok()) return lower.status();
  auto upper = ctx.const_ints(2);
  if (!upper.ok()) return upper.status();
  if (lower->size() != 1 || upper->size() != 1) {
    return ctx.Error("num_lower and num_upper must be scalars");
  }
  std::string y = ctx.input(0);
  if ((*lower)[0] >= 0) {
    y = ctx.AddNode("Trilu", {y, ctx.ConstScalar(DataType::kInt64, -(*lower)[0], "k")},
                    {Attribute::Int("upper", 1)});
  }
  if ((*upper)[0] >= 0) {
    y = ctx.AddNode("Trilu", {y, ctx.ConstScalar(DataType::kInt64, (*upper)[0], "k")},
                    {Attribute::Int("upper", 0)});
  }
  if (y == ctx.input(0)) y = ctx.AddNode("Identity", {y});
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

void RegisterReorderOps(HandlerRegistry& r) {
  r.Register({"Roll"}, kMinOpset, Inputs(3), ConvertRoll);
  r.Register({"ReverseSequence"}, kMinOpset, Inputs(2), ConvertReverseSequence);
  r.Register({"InvertPermutation"}, kMinOpset, Inputs(1), ConvertInvertPermutation);
  r.Register({"MatrixBandPart", "BatchMatrixBandPart"}, 14, Inputs(3), ConvertMatrixBandPart);  // Trilu
}

}  // namespace onnxsmith::converter
