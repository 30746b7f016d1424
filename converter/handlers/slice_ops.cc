// Slicing: StridedSlice (with all five masks), Slice, Reverse/ReverseV2.
// Everything lowers to one ONNX Slice plus Squeeze/Unsqueeze for the axes
// TF removes or adds.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// ONNX Slice clamps bounds to the dim, so these mean "from the very start /
// to the very end" in the direction of the step.
constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();
constexpr int64_t kToStart = std::numeric_limits<int64_t>::min();

// Where one Slice start or end comes from.
struct Bound {
  enum class Source {
    kConst,         // `value`
    kBegin,         // begin[sparse_index]
    kEnd,           // end[sparse_index]
    kBeginPlusOne,  // the end of a single-element (shrunk) range at begin[sparse_index]
    kStride,        // strides[sparse_index]
    kWholeStart,    // a masked begin: 0, or the end for a negative strides[sparse_index]
    kWholeEnd,      // a masked end: the end, or the start for a negative strides[sparse_index]
  };
  Source source = Source::kConst;
  int64_t value = 0;
  int sparse_index = 0;
};

Bound ConstBound(int64_t value, int sparse_index) {
  return {Bound::Source::kConst, value, sparse_index};
}
Bound InputBound(Bound::Source source, int sparse_index) { return {source, 0, sparse_index}; }

// The end of [b, b+1): b+1 would be 0 for b = -1, which ONNX reads as the start.
int64_t EndAfter(int64_t b) { return b == -1 ? kToEnd : b + 1; }

// The ONNX Slice parameters under construction.
struct SliceParams {
  std::vector<int64_t> axes;
  std::vector<Bound> starts;
  std::vector<Bound> ends;
  std::vector<Bound> steps;
};

// A masked start/end for a step of sign `positive`.
int64_t WholeBound(Bound::Source source, bool positive) {
  if (source == Bound::Source::kWholeStart) return positive ? 0 : kToEnd;
  return positive ? kToEnd : kToStart;
}

// Builds the int64 vector of `bounds`. Bounds read from a constant
// begin/end/strides are folded here; the rest are gathered from the run-time
// begin/end/strides (inputs 1, 2, 3) and merged over the constant part with Where.
class BoundsBuilder {
 public:
  BoundsBuilder(NodeContext& ctx, const std::optional<std::vector<int64_t>>& begin,
                const std::optional<std::vector<int64_t>>& end,
                const std::optional<std::vector<int64_t>>& strides)
      : ctx_(ctx), begin_(begin), end_(end), strides_(strides) {}

  std::string Build(std::vector<Bound> bounds, const std::string& hint) {
    std::vector<int64_t> folded;
    bool all_const = true;
    for (Bound& b : bounds) {
      Fold(b);
      all_const &= b.source == Bound::Source::kConst;
      folded.push_back(b.source == Bound::Source::kConst ? b.value : 0);
    }
    std::string result = ctx_.ConstInt64s(folded, hint);
    if (all_const) return result;

    std::vector<int64_t> gather_at;
    for (const Bound& b : bounds) gather_at.push_back(b.sparse_index);
    for (Bound::Source source :
         {Bound::Source::kBegin, Bound::Source::kEnd, Bound::Source::kBeginPlusOne,
          Bound::Source::kStride, Bound::Source::kWholeStart, Bound::Source::kWholeEnd}) {
      std::vector<bool> mask;
      bool any = false;
      for (const Bound& b : bounds) {
        mask.push_back(b.source == source);
        any |= b.source == source;
      }
      if (!any) continue;
      const int input = source == Bound::Source::kEnd      ? 2
                        : source == Bound::Source::kBegin ||
                                  source == Bound::Source::kBeginPlusOne
                            ? 1
                            : 3;
      std::string gathered =
          ctx_.AddNode("Gather", {Input64(input), ctx_.ConstInt64s(gather_at, "gather_at")},
                       {Attribute::Int("axis", 0)});
      if (source == Bound::Source::kBeginPlusOne) {
        std::string is_last =
            ctx_.AddNode("Equal", {gathered, ctx_.ConstInt64s({-1}, "minus_one")});
        std::string next = ctx_.AddNode("Add", {gathered, ctx_.ConstInt64s({1}, "one")});
        gathered = ctx_.AddNode("Where", {is_last, ctx_.ConstInt64s({kToEnd}, "to_end"), next});
      }
      if (source == Bound::Source::kWholeStart || source == Bound::Source::kWholeEnd) {
        std::string positive =
            ctx_.AddNode("Greater", {gathered, ctx_.ConstInt64s({0}, "zero")});
        gathered = ctx_.AddNode("Where", {positive,
                                          ctx_.ConstInt64s({WholeBound(source, true)}, "pos"),
                                          ctx_.ConstInt64s({WholeBound(source, false)}, "neg")});
      }
      result = ctx_.AddNode(
          "Where", {ctx_.AddConst(ir::Tensor::Vector1D<bool>(mask), "mask"), gathered, result});
    }
    return result;
  }

 private:
  void Fold(Bound& b) const {
    const int i = b.sparse_index;
    if (b.source == Bound::Source::kBegin && begin_) b = ConstBound((*begin_)[i], i);
    if (b.source == Bound::Source::kEnd && end_) b = ConstBound((*end_)[i], i);
    if (b.source == Bound::Source::kBeginPlusOne && begin_) {
      b = ConstBound(EndAfter((*begin_)[i]), i);
    }
    if (b.source == Bound::Source::kStride && strides_) b = ConstBound((*strides_)[i], i);
    if ((b.source == Bound::Source::kWholeStart || b.source == Bound::Source::kWholeEnd) &&
        strides_) {
      b = ConstBound(WholeBound(b.source, (*strides_)[i] > 0), i);
    }
  }

  const std::string& Input64(int input) {
    std::string& cached = input == 1 ? begin64_ : input == 2 ? end64_ : strides64_;
    if (cached.empty()) cached = ctx_.Cast(ctx_.input(input), DataType::kInt64);
    return cached;
  }

  NodeContext& ctx_;
  const std::optional<std::vector<int64_t>>& begin_;
  const std::optional<std::vector<int64_t>>& end_;
  const std::optional<std::vector<int64_t>>& strides_;
  std::string begin64_, end64_, strides64_;
};

// ONNX infers nothing for a Slice whose bounds are computed at run time;
// recording the input's type with the sliced dims unknown keeps the rank
// visible to later nodes.
void RecordRunTimeSliceType(NodeContext& ctx, const std::string& sliced,
                            const std::vector<int64_t>& axes) {
  ir::ValueType type = ctx.input_type(0);
  if (type.dtype == DataType::kUndefined || !type.shape) return;
  const int64_t rank = static_cast<int64_t>(type.shape->size());
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return;
    (*type.shape)[a < 0 ? a + rank : a] = ir::Dim{};
  }
  ctx.SetType(sliced, std::move(type));
}

// Input `i` as constant ints, nullopt if computed at run time, or an error.
absl::StatusOr<std::optional<std::vector<int64_t>>> OptionalConstInts(const NodeContext& ctx,
                                                                      int i) {
  if (ctx.const_input(i) == nullptr) return std::optional<std::vector<int64_t>>();
  auto values = ctx.const_ints(i);
  if (!values.ok()) return values.status();
  return std::optional<std::vector<int64_t>>(*std::move(values));
}

// One entry of TF's sparse slice spec other than the ellipsis.
struct SpecEntry {
  int sparse_index;
  bool new_axis;  // adds a size-1 dim; consumes no input dim
  bool shrink;    // takes one element and drops the dim
};

// TF's StridedSlice spec is "sparse": entries before an ellipsis index input
// dims from the front, entries after it from the back, new-axis entries add
// output dims, shrink entries remove them. Axes after the ellipsis are
// expressed as negative ONNX axes, which makes the input rank unnecessary;
// when it is known they are made positive.
absl::Status ConvertStridedSlice(NodeContext& ctx) {
  // Strides computed at run time (the spec length is their static size): the
  // steps and the masked bounds, whose meaning depends on a step's sign, are
  // read at run time too.
  auto strides = OptionalConstInts(ctx, 3);
  if (!strides.ok()) return strides.status();
  int n = 0;
  if (*strides) {
    n = static_cast<int>((*strides)->size());
  } else if (auto sd = ctx.input_dims(3); sd && sd->size() == 1 && (*sd)[0] >= 0) {
    n = static_cast<int>((*sd)[0]);
  } else {
    return ctx.Unsupported("strides computed at run time, of unknown length");
  }
  auto begin = OptionalConstInts(ctx, 1);
  if (!begin.ok()) return begin.status();
  auto end = OptionalConstInts(ctx, 2);
  if (!end.ok()) return end.status();
  if ((*begin && static_cast<int>((*begin)->size()) != n) ||
      (*end && static_cast<int>((*end)->size()) != n)) {
    return ctx.Error("begin, end and strides must have the same length");
  }
  if (n > 63) return ctx.Unsupported(absl::StrCat("a slice spec of ", n, " entries"));

  const int64_t begin_mask = ctx.attr_int("begin_mask", 0);
  const int64_t end_mask = ctx.attr_int("end_mask", 0);
  const int64_t ellipsis_mask = ctx.attr_int("ellipsis_mask", 0);
  const int64_t new_axis_mask = ctx.attr_int("new_axis_mask", 0);
  const int64_t shrink_mask = ctx.attr_int("shrink_axis_mask", 0);
  if ((ellipsis_mask & (ellipsis_mask - 1)) != 0) {
    return ctx.Error("more than one ellipsis in the slice spec");
  }

  // Split the spec at the ellipsis. Without one, TF implies it at the end.
  std::vector<SpecEntry> head, tail;
  bool after_ellipsis = false;
  for (int i = 0; i < n; ++i) {
    const int64_t bit = int64_t{1} << i;
    if (ellipsis_mask & bit) {
      after_ellipsis = true;
      continue;
    }
    // new_axis wins over shrink, as in TF.
    const bool new_axis = (new_axis_mask & bit) != 0;
    SpecEntry e{i, new_axis, !new_axis && (shrink_mask & bit) != 0};
    (after_ellipsis ? tail : head).push_back(e);
  }

  SliceParams slice;
  std::vector<int64_t> shrink_axes;  // input axes
  std::vector<int64_t> new_axes;     // output positions
  auto add_dim = [&](const SpecEntry& e, int64_t axis) -> absl::Status {
    const int i = e.sparse_index;
    const int64_t bit = int64_t{1} << i;
    // 0 stands for a step known only at run time.
    const int64_t step = *strides ? (**strides)[i] : 0;
    if (*strides && step == 0) return ctx.Error(absl::StrCat("stride ", i, " is zero"));
    if (e.shrink) {
      // TF ignores the masks here and takes element begin[i].
      if (step < 0) return ctx.Error("a shrunk axis needs a positive stride");
      slice.axes.push_back(axis);
      slice.starts.push_back(InputBound(Bound::Source::kBegin, i));
      slice.ends.push_back(InputBound(Bound::Source::kBeginPlusOne, i));
      slice.steps.push_back(ConstBound(1, i));
      shrink_axes.push_back(axis);
      return absl::OkStatus();
    }
    const bool whole_start = (begin_mask & bit) != 0;
    const bool whole_end = (end_mask & bit) != 0;
    if (whole_start && whole_end && step == 1) return absl::OkStatus();  // the whole dim
    slice.axes.push_back(axis);
    slice.starts.push_back(InputBound(whole_start ? Bound::Source::kWholeStart
                                                  : Bound::Source::kBegin, i));
    slice.ends.push_back(InputBound(whole_end ? Bound::Source::kWholeEnd : Bound::Source::kEnd, i));
    slice.steps.push_back(InputBound(Bound::Source::kStride, i));
    return absl::OkStatus();
  };

  int64_t in_axis = 0, out_axis = 0;
  for (const SpecEntry& e : head) {
    if (e.new_axis) {
      new_axes.push_back(out_axis++);
      continue;
    }
    if (absl::Status s = add_dim(e, in_axis++); !s.ok()) return s;
    if (!e.shrink) ++out_axis;
  }
  int64_t tail_in = 0, tail_out = 0;
  for (const SpecEntry& e : tail) {
    tail_in += e.new_axis ? 0 : 1;
    tail_out += e.shrink ? 0 : 1;
  }
  const int64_t used_dims = in_axis + tail_in;
  for (const SpecEntry& e : tail) {
    if (e.new_axis) {
      new_axes.push_back(-tail_out--);
      continue;
    }
    if (absl::Status s = add_dim(e, -tail_in--); !s.ok()) return s;
    if (!e.shrink) --tail_out;
  }

  // With a known rank, check the spec fits and make every axis positive.
  if (std::optional<int> rank = ctx.input_rank(0)) {
    if (used_dims > *rank) {
      return ctx.Error(
          absl::StrCat("the slice spec indexes ", used_dims, " dims of a rank-", *rank, " input"));
    }
    const int64_t out_rank =
        *rank - static_cast<int64_t>(shrink_axes.size()) + static_cast<int64_t>(new_axes.size());
    for (int64_t& a : slice.axes) a += a < 0 ? *rank : 0;
    for (int64_t& a : shrink_axes) a += a < 0 ? *rank : 0;
    for (int64_t& a : new_axes) a += a < 0 ? out_rank : 0;
  }

  std::string x = ctx.input(0);
  if (!slice.axes.empty()) {
    BoundsBuilder bounds(ctx, *begin, *end, *strides);
    x = ctx.AddNode("Slice",
                    {x, bounds.Build(slice.starts, "starts"), bounds.Build(slice.ends, "ends"),
                     ctx.ConstInt64s(slice.axes, "axes"), bounds.Build(slice.steps, "steps")});
    if (!*begin || !*end || !*strides) RecordRunTimeSliceType(ctx, x, slice.axes);
  }
  if (!shrink_axes.empty()) x = ctx.Squeeze(x, shrink_axes);
  if (!new_axes.empty()) x = ctx.Unsqueeze(x, new_axes);
  ctx.SetOutputAlias(0, x);
  return absl::OkStatus();
}

// TF Slice: begin (non-negative) and size per dim, size -1 meaning "to the end".
absl::Status ConvertSlice(NodeContext& ctx) {
  auto begin = OptionalConstInts(ctx, 1);
  if (!begin.ok()) return begin.status();
  auto size = OptionalConstInts(ctx, 2);
  if (!size.ok()) return size.status();

  if (*begin && *size) {
    const std::vector<int64_t>& b = **begin;
    const std::vector<int64_t>& s = **size;
    if (b.size() != s.size()) return ctx.Error("begin and size must have the same length");
    std::vector<int64_t> starts, ends, axes;
    for (size_t i = 0; i < b.size(); ++i) {
      if (b[i] < 0 || s[i] < -1) {
        return ctx.Error(absl::StrCat("invalid begin ", b[i], " / size ", s[i], " at dim ", i));
      }
      if (b[i] == 0 && s[i] == -1) continue;  // the whole dim
      starts.push_back(b[i]);
      ends.push_back(s[i] == -1 ? kToEnd : b[i] + s[i]);
      axes.push_back(static_cast<int64_t>(i));
    }
    if (axes.empty()) {
      ctx.SetOutputAlias(0, ctx.input(0));
      return absl::OkStatus();
    }
    ctx.SetOutput(
        0, ctx.AddNode("Slice", {ctx.input(0), ctx.ConstInt64s(starts, "starts"),
                                 ctx.ConstInt64s(ends, "ends"), ctx.ConstInt64s(axes, "axes")}));
    return absl::OkStatus();
  }

  // Run-time bounds: ends = begin + size, or "to the end" where size is -1.
  // Without axes, ONNX Slice covers dims 0..len(starts)-1, like TF.
  std::string starts =
      *begin ? ctx.ConstInt64s(**begin, "starts") : ctx.Cast(ctx.input(1), DataType::kInt64);
  std::string sizes =
      *size ? ctx.ConstInt64s(**size, "sizes") : ctx.Cast(ctx.input(2), DataType::kInt64);
  std::string ends = ctx.AddNode("Add", {starts, sizes});
  bool may_have_to_end = true;
  if (*size) {
    may_have_to_end = false;
    for (int64_t s : **size) may_have_to_end |= s == -1;
  }
  if (may_have_to_end) {
    std::string to_end = ctx.AddNode("Equal", {sizes, ctx.ConstInt64s({-1}, "minus_one")});
    ends = ctx.AddNode("Where", {to_end, ctx.ConstInt64s({kToEnd}, "to_end"), ends});
  }
  std::string sliced = ctx.AddNode("Slice", {ctx.input(0), starts, ends});
  if (std::optional<int> rank = ctx.input_rank(0)) {
    std::vector<int64_t> all_axes(*rank);
    for (int i = 0; i < *rank; ++i) all_axes[i] = i;
    RecordRunTimeSliceType(ctx, sliced, all_axes);
  }
  ctx.SetOutput(0, sliced);
  return absl::OkStatus();
}

// Reversal is a Slice with step -1 from the last element past the first.
absl::Status EmitReverse(NodeContext& ctx, const std::vector<int64_t>& axes) {
  if (axes.empty()) {
    ctx.SetOutputAlias(0, ctx.input(0));
    return absl::OkStatus();
  }
  const std::vector<int64_t> starts(axes.size(), -1);
  const std::vector<int64_t> ends(axes.size(), kToStart);
  const std::vector<int64_t> steps(axes.size(), -1);
  ctx.SetOutput(0,
                ctx.AddNode("Slice", {ctx.input(0), ctx.ConstInt64s(starts, "starts"),
                                      ctx.ConstInt64s(ends, "ends"), ctx.ConstInt64s(axes, "axes"),
                                      ctx.ConstInt64s(steps, "steps")}));
  return absl::OkStatus();
}

absl::Status ConvertReverseV2(NodeContext& ctx) {  // tensor, axis (list)
  auto axes = ctx.const_ints(1);
  if (!axes.ok()) return axes.status();
  return EmitReverse(ctx, *axes);
}

absl::Status ConvertReverse(NodeContext& ctx) {  // tensor, dims (bool per dim)
  auto dims = ctx.const_ints(1);
  if (!dims.ok()) return dims.status();
  std::vector<int64_t> axes;
  for (size_t i = 0; i < dims->size(); ++i) {
    if ((*dims)[i] != 0) axes.push_back(static_cast<int64_t>(i));
  }
  return EmitReverse(ctx, axes);
}

}  // namespace

void RegisterSliceOps(HandlerRegistry& r) {
  r.Register({"StridedSlice"}, kMinOpset, Inputs(4), ConvertStridedSlice);
  r.Register({"Slice"}, kMinOpset, Inputs(3), ConvertSlice);
  r.Register({"ReverseV2"}, kMinOpset, Inputs(2), ConvertReverseV2);
  r.Register({"Reverse"}, kMinOpset, Inputs(2), ConvertReverse);
}

}  // namespace onnxsmith::converter
