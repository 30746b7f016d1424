// Keras 3 operations that index into arrays, recorded in functional models:
// Slice/SliceUpdate (dynamic slices), Scatter/ScatterUpdate (ScatterND),
// SearchSorted/Digitize (counts of sorted entries below each value),
// Segment{Sum,Prod,Max,Min} and ArraySplit/Hsplit/Vsplit/Dsplit.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/vector_math.h"
#include "converter/keras/keras_ops.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {
namespace {

using ir::Attribute;
using ir::DataType;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

absl::StatusOr<std::vector<std::string>> NOperands(LayerContext& ctx, size_t n, int first_typed = 0) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx, first_typed));
  if (xs.size() != n) return ctx.Error(absl::StrCat("expects ", n, " operands, got ", xs.size()));
  for (const auto& x : xs) {
    if (x.empty()) return ctx.Error("a null operand");
  }
  return xs;
}

// Slice(x, start_indices) to the config's shape (-1: to the end), as tf.slice.
absl::Status ConvertSlice(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, NOperands(ctx, 2));
  ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.Ints("shape", 0));
  const std::string starts = ctx.Cast(xs[1], DataType::kInt64);
  std::vector<int64_t> sizes, axes;
  for (size_t a = 0; a < shape.size(); ++a) {
    sizes.push_back(shape[a] < 0 ? kMax / 2 : shape[a]);
    axes.push_back(static_cast<int64_t>(a));
  }
  const std::string ends = ctx.AddNode("Add", {starts, ctx.ConstInt64s(sizes, "sizes")});
  ctx.SetOutput(0, ctx.AddNode("Slice", {xs[0], starts, ends, ctx.ConstInt64s(axes, "axes")}));
  return absl::OkStatus();
}

// SliceUpdate(x, start_indices, updates): XLA's dynamic_update_slice, the
// start clamped so that the update fits; updates padded to x's shape and
// selected by a padded mask.
absl::Status ConvertSliceUpdate(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, NOperands(ctx, 3));
  const std::string& x = xs[0];
  const std::string upd = ctx.Cast(xs[2], ctx.TypeOf(x).dtype);
  const std::string xs_shape = ctx.AddNode("Shape", {x});
  const std::string us_shape = ctx.AddNode("Shape", {upd});
  const std::string room = ctx.AddNode("Sub", {xs_shape, us_shape});
  const std::string starts = ctx.AddNode(
      "Max", {ctx.AddNode("Min", {ctx.Cast(xs[1], DataType::kInt64), room}), ctx.ConstInt64s({0}, "zero")});
  const std::string pads =
      ctx.AddNode("Concat", {starts, ctx.AddNode("Sub", {room, starts})}, {Attribute::Int("axis", 0)});
  const std::string ones = ctx.AddNode("Expand", {ctx.ConstScalar(DataType::kFloat, 1, "one"), us_shape});
  const std::string inside = ctx.Cast(ctx.AddNode("Pad", {ones, pads}), DataType::kBool);
  ctx.SetOutput(0, ctx.AddNode("Where", {inside, ctx.AddNode("Pad", {upd, pads}), x}));
  return absl::OkStatus();
}

// Scatter(indices, values) into zeros of the config's shape, duplicates
// summed (tf.scatter_nd); ScatterUpdate(x, indices, updates, reduction).
absl::Status ConvertScatter(LayerContext& ctx) {
  const bool update = ctx.class_name() == "ScatterUpdate";
  ASSIGN_OR_RETURN(std::vector<std::string> xs, NOperands(ctx, update ? 3 : 2));
  std::string base, reduction;
  if (update) {
    base = xs[0];
    reduction = ctx.String("reduction", "none");
    if (reduction != "none" && reduction != "add" && reduction != "max" && reduction != "min") {
      return ctx.Unsupported(absl::StrCat("reduction '", reduction, "'"));
    }
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.Ints("shape", 0));
    base = ctx.AddNode("Expand", {ctx.ConstScalar(ctx.TypeOf(xs[1]).dtype, 0, "zero"),
                                  ctx.ConstInt64s(shape, "shape")});
    reduction = "add";
  }
  const int needed = reduction == "none" ? 13 : reduction == "add" ? 16 : 18;
  if (ctx.opset() < needed) {
    return ctx.Unsupported(absl::StrCat("reduction '", reduction, "' below opset ", needed));
  }
  const std::string& values = update ? xs[2] : xs[1];
  std::vector<Attribute> attrs;
  if (reduction != "none") attrs.push_back(Attribute::String("reduction", reduction));
  ctx.SetOutput(0, ctx.AddNode("ScatterND", {base, ctx.Cast(update ? xs[1] : xs[0], DataType::kInt64),
                                             ctx.Cast(values, ctx.TypeOf(base).dtype)},
                               std::move(attrs)));
  return absl::OkStatus();
}

// SearchSorted(sorted [N], values) and Digitize(x, bins): how many sorted
// entries are below each value (< for side 'left'; <= for 'right' and for
// Digitize, as tf's Bucketize); int32.
absl::Status ConvertSearchSorted(LayerContext& ctx) {
  if (ctx.class_name() == "Digitize") {
    const Json& args = ctx.call_args();
    auto bins = args.is_array() && args.size() == 2 ? AsDoubleList(args[1]) : std::nullopt;
    if (!bins) return ctx.Unsupported("bins that are not a list of numbers");
    DataType t = ctx.input_dtype(0);
    if (!ir::IsFloating(t)) t = DataType::kDouble;
    auto b = ir::Tensor::FromVector<double>({static_cast<int64_t>(bins->size())}, *bins).CastTo(t);
    if (!b.ok()) return ctx.Error(std::string(b.status().message()));
    const std::string count = EmitCountBelow(ctx, ctx.AddConst(*b, "bins"),
                                             ctx.Unsqueeze(ctx.Cast(ctx.input(0), t), {-1}), -1, true);
    ctx.SetOutput(0, ctx.Cast(count, DataType::kInt32));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::vector<std::string> xs, NOperands(ctx, 2));
  if (ctx.TypeOf(xs[0]).rank() != 1) return ctx.Error("expects a 1-D sorted sequence");
  const std::string side = ctx.String("side", "left");
  if (side != "left" && side != "right") return ctx.Error(absl::StrCat("side '", side, "'"));
  const std::string count =
      EmitCountBelow(ctx, xs[0], ctx.Unsqueeze(xs[1], {-1}), -1, side == "right");
  ctx.SetOutput(0, ctx.Cast(count, DataType::kInt32));
  return absl::OkStatus();
}

// Segment{Sum,Prod,Max,Min}(data [N, ...], segment_ids [N]): a [S, N] mask
// of ids against the segment numbers selects data (else the reduction's
// identity), reduced over N. S is num_segments (unsorted: ids outside [0, S)
// are dropped, an empty max/min segment gives the type's lowest/highest) or,
// sorted, the largest id + 1 (an empty segment gives 0), as the TF backend.
absl::Status ConvertSegment(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, NOperands(ctx, 2));
  const std::string& op = ctx.class_name();
  const std::string& data = xs[0];
  const DataType t = ctx.TypeOf(data).dtype;
  const auto rank = ctx.TypeOf(data).rank();
  if (!rank || ctx.TypeOf(xs[1]).rank() != 1) {
    return ctx.Unsupported("segment_ids other than 1-D, or data of unknown rank");
  }
  const bool sorted = ctx.Bool("sorted", false);
  const std::string ids = ctx.Cast(xs[1], DataType::kInt64);
  std::string count;
  if (sorted) {
    count = ctx.AddNode("Add", {ctx.Reduce("ReduceMax", ids, {0}, false),
                                ctx.ConstScalar(DataType::kInt64, 1, "one")});
  } else if (ctx.has("num_segments")) {
    count = ctx.ConstScalar(DataType::kInt64, ctx.Int("num_segments", 0), "num_segments");
  } else {
    return ctx.Unsupported("sorted=False without num_segments (the count of distinct ids)");
  }
  const std::string segments = ctx.AddNode(
      "Range", {ctx.ConstScalar(DataType::kInt64, 0, "zero"), count, ctx.ConstScalar(DataType::kInt64, 1, "one")});
  std::vector<int64_t> trailing = {1};
  for (int k = 1; k < *rank; ++k) trailing.push_back(k + 1);
  const std::string mask =
      ctx.Unsqueeze(ctx.AddNode("Equal", {ctx.Unsqueeze(segments, {1}), ctx.Unsqueeze(ids, {0})}),
                    std::vector<int64_t>(trailing.begin() + 1, trailing.end()));  // [S, N, 1...]
  const bool is_float = ir::IsFloating(t);
  double identity = 0;
  std::string reduce = "ReduceSum";
  if (op == "SegmentProd") {
    identity = 1;
    reduce = "ReduceProd";
  } else if (op == "SegmentMax") {
    identity = is_float ? -std::numeric_limits<float>::max()
                        : static_cast<double>(t == DataType::kInt64 ? std::numeric_limits<int64_t>::min()
                                                                    : std::numeric_limits<int32_t>::min());
    reduce = "ReduceMax";
  } else if (op == "SegmentMin") {
    identity = is_float ? std::numeric_limits<float>::max()
                        : static_cast<double>(t == DataType::kInt64 ? std::numeric_limits<int64_t>::max()
                                                                    : std::numeric_limits<int32_t>::max());
    reduce = "ReduceMin";
  }
  if (t == DataType::kDouble && (op == "SegmentMax" || op == "SegmentMin")) {
    identity = (op == "SegmentMax" ? -1 : 1) * std::numeric_limits<double>::max();
  }
  const std::string picked = ctx.AddNode(
      "Where", {mask, ctx.Unsqueeze(data, {0}), ctx.ConstScalar(t, identity, "identity")});
  std::string y = ctx.Reduce(reduce, picked, {1}, false);
  if (sorted && (op == "SegmentMax" || op == "SegmentMin")) {
    const std::string any = ctx.Cast(ctx.Reduce("ReduceMax", ctx.Cast(mask, DataType::kInt32), {1}, false),
                                     DataType::kBool);
    y = ctx.AddNode("Where", {any, y, ctx.ConstScalar(t, 0, "zero")});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// ArraySplit/Hsplit/Vsplit/Dsplit: numpy's pieces, each a Slice. A count of
// sections needs the axis's static size (the first size % n pieces one
// longer); explicit indices split any axis.
absl::Status ConvertArraySplit(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  int64_t axis = op == "Vsplit" ? 0 : op == "Dsplit" ? 2 : op == "Hsplit" ? (rank > 1 ? 1 : 0)
                                                                                       : ctx.Int("axis", 0);
  ASSIGN_OR_RETURN(axis, OpAxis(ctx, axis, rank));
  const Json* s = ctx.cfg("indices_or_sections");
  if (s == nullptr) return ctx.Error("has no indices_or_sections");
  std::vector<int64_t> bounds = {0};
  if (s->is_number_integer()) {
    const int64_t n = s->get<int64_t>();
    auto dims = ctx.input_dims(0);
    const int64_t size = dims ? (*dims)[axis] : -1;
    if (n <= 0) return ctx.Error("the number of sections must be positive");
    if (size < 0) return ctx.Unsupported("a number of sections of an axis of unknown size");
    if (op != "ArraySplit" && size % n != 0) return ctx.Error("the axis does not divide into equal sections");
    for (int64_t k = 0; k < n; ++k) bounds.push_back(bounds.back() + size / n + (k < size % n ? 1 : 0));
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> idx, ctx.Ints("indices_or_sections", 0));
    for (int64_t i : idx) bounds.push_back(i);
    bounds.push_back(kMax);
  }
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    const int64_t end = std::max(bounds[k], bounds[k + 1]);
    ctx.SetOutput(static_cast<int>(k),
                  ctx.AddNode("Slice", {ctx.input(0), ctx.ConstInt64s({bounds[k]}, "start"),
                                        ctx.ConstInt64s({end}, "end"), ctx.ConstInt64s({axis}, "axis")}));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasIndexOps(LayerRegistry& r) {
  r.Register(Prefixed({"Slice"}), InputsAtLeast(1), ConvertSlice, "Keras 3 operation");
  r.Register(Prefixed({"SliceUpdate"}), InputsAtLeast(1), ConvertSliceUpdate,
             "Keras 3 operation; the start clamped as dynamic_update_slice does");
  r.Register(Prefixed({"Scatter", "ScatterUpdate"}), InputsAtLeast(1), ConvertScatter,
             "Keras 3 operation; Scatter sums duplicates (opset >= 16); ScatterUpdate reduction "
             "none, add (opset >= 16), max, min (opset >= 18), not mul");
  r.Register(Prefixed({"SearchSorted", "Digitize"}), InputsAtLeast(1), ConvertSearchSorted,
             "Keras 3 operation; int32 result; Digitize with constant increasing bins");
  r.Register(Prefixed({"SegmentSum", "SegmentProd", "SegmentMax", "SegmentMin"}), InputsAtLeast(1),
             ConvertSegment,
             "Keras 3 operation; 1-D segment_ids; unsorted with num_segments, or sorted=True");
  r.Register(Prefixed({"ArraySplit", "Hsplit", "Vsplit", "Dsplit"}), Inputs(1), ConvertArraySplit,
             "Keras 3 operation; sections of an axis of static size, or indices on any axis");
}

}  // namespace onnxsmith::converter::keras
