// The sequence ops: a sequence is an Array holding a shared, immutable list
// of tensor Arrays (array.h), so inserting or erasing copies only the list.
#include <algorithm>
#include <set>

#include "common/status_macros.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

absl::StatusOr<const Array*> SequenceInput(KernelContext& ctx, int i) {
  RETURN_IF_ERROR(ctx.RequireInputs(i + 1));
  if (!ctx.input(i).is_sequence()) return ctx.Error("input ", i, " must be a sequence");
  return &ctx.input(i);
}

absl::StatusOr<const Array*> TensorInput(KernelContext& ctx, int i) {
  RETURN_IF_ERROR(ctx.RequireInputs(i + 1));
  if (ctx.input(i).is_sequence()) return ctx.Error("input ", i, " must be a tensor");
  return &ctx.input(i);
}

// The position input `i` (default `fallback` when absent), normalized to
// [0, size] (`allow_end`) or [0, size).
absl::StatusOr<int64_t> Position(KernelContext& ctx, int i, int64_t size, int64_t fallback,
                                 bool allow_end) {
  if (!ctx.has_input(i)) return fallback;
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ctx.InputInts(i));
  if (v.size() != 1) return ctx.Error("position must hold one value");
  const int64_t pos = v[0] < 0 ? v[0] + size : v[0];
  if (pos < 0 || pos > size || (!allow_end && pos == size)) {
    return ctx.Error("position ", v[0], " is out of range for a sequence of ", size);
  }
  return pos;
}

absl::Status SequenceEmptyKernel(KernelContext& ctx) {
  const auto dtype = static_cast<ir::DataType>(ctx.GetInt("dtype", 1));
  return ctx.SetOutput(0, Array::Sequence(dtype, {}));
}

absl::Status SequenceConstructKernel(KernelContext& ctx) {
  std::vector<Array> elements;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Array* t, TensorInput(ctx, i));
    if (t->dtype() != ctx.input(0).dtype()) return ctx.Error("inputs have different types");
    elements.push_back(*t);
  }
  if (elements.empty()) return ctx.Error("needs at least one input");
  const ir::DataType dtype = elements[0].dtype();
  return ctx.SetOutput(0, Array::Sequence(dtype, std::move(elements)));
}

absl::Status SequenceInsertKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Array* seq, SequenceInput(ctx, 0));
  ASSIGN_OR_RETURN(const Array* t, TensorInput(ctx, 1));
  if (t->dtype() != seq->dtype()) {
    return ctx.Error("inserting a ", ir::DataTypeName(t->dtype()), " tensor into a sequence of ",
                     ir::DataTypeName(seq->dtype()));
  }
  const int64_t size = static_cast<int64_t>(seq->elements().size());
  ASSIGN_OR_RETURN(int64_t pos, Position(ctx, 2, size, size, true));
  std::vector<Array> elements = seq->elements();
  elements.insert(elements.begin() + pos, *t);
  return ctx.SetOutput(0, Array::Sequence(seq->dtype(), std::move(elements)));
}

absl::Status SequenceAtKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Array* seq, SequenceInput(ctx, 0));
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const int64_t size = static_cast<int64_t>(seq->elements().size());
  ASSIGN_OR_RETURN(int64_t pos, Position(ctx, 1, size, 0, false));
  return ctx.SetOutput(0, seq->elements()[pos]);
}

absl::Status SequenceEraseKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Array* seq, SequenceInput(ctx, 0));
  const int64_t size = static_cast<int64_t>(seq->elements().size());
  if (size == 0) return ctx.Error("erasing from an empty sequence");
  ASSIGN_OR_RETURN(int64_t pos, Position(ctx, 1, size, size - 1, false));
  std::vector<Array> elements = seq->elements();
  elements.erase(elements.begin() + pos);
  return ctx.SetOutput(0, Array::Sequence(seq->dtype(), std::move(elements)));
}

absl::Status SequenceLengthKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Array* seq, SequenceInput(ctx, 0));
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, ir::DataType::kInt64, {}));
  *out->mutable_data<int64_t>() = static_cast<int64_t>(seq->elements().size());
  return absl::OkStatus();
}

absl::Status ConcatFromSequenceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Array* seq, SequenceInput(ctx, 0));
  if (!ctx.HasAttr("axis")) return ctx.Error("attribute 'axis' is required");
  if (seq->elements().empty()) return ctx.Error("the sequence is empty");
  const int64_t axis = ctx.GetInt("axis", 0);
  std::vector<Array> views;
  if (ctx.GetInt("new_axis", 0) != 0) {
    for (const Array& e : seq->elements()) {
      ASSIGN_OR_RETURN(int ax, NormalizeAxis(axis, e.rank() + 1));
      Dims dims = e.dims();
      dims.insert(dims.begin() + ax, 1);
      ASSIGN_OR_RETURN(Array v, e.Reshaped(dims));
      views.push_back(std::move(v));
    }
  } else {
    views = seq->elements();
  }
  std::vector<const Array*> ptrs;
  for (const Array& v : views) ptrs.push_back(&v);
  return ConcatToOutput(ctx, 0, ptrs, axis);
}

// Without `split`: pieces of 1 (squeezed unless keepdims); a scalar split:
// pieces of that size (the last may be shorter); a 1-D split: those sizes.
absl::Status SplitToSequenceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Array* x, TensorInput(ctx, 0));
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 0), x->rank()));
  const int64_t dim = x->dim(axis);
  std::vector<int64_t> sizes;
  bool squeeze = false;
  if (!ctx.has_input(1)) {
    sizes.assign(dim, 1);
    squeeze = ctx.GetInt("keepdims", 1) == 0;
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> split, ctx.InputInts(1));
    if (ctx.input(1).rank() == 0) {
      if (split[0] <= 0) return ctx.Error("split size must be positive, got ", split[0]);
      for (int64_t at = 0; at < dim; at += split[0]) sizes.push_back(std::min(split[0], dim - at));
    } else {
      int64_t total = 0;
      for (int64_t s : split) {
        if (s < 0) return ctx.Error("negative split size ", s);
        total += s;
      }
      if (total != dim) {
        return ctx.Error("split sizes add up to ", total, ", axis ", axis, " has ", dim);
      }
      sizes = split;
    }
  }
  std::vector<Array> pieces;
  int64_t at = 0;
  for (int64_t s : sizes) {
    ASSIGN_OR_RETURN(Array piece, SliceAlongAxis(*x, axis, at, s, ctx));
    if (squeeze) {
      Dims dims = piece.dims();
      dims.erase(dims.begin() + axis);
      ASSIGN_OR_RETURN(piece, piece.Reshaped(dims));
    }
    pieces.push_back(std::move(piece));
    at += s;
  }
  return ctx.SetOutput(0, Array::Sequence(x->dtype(), std::move(pieces)));
}

}  // namespace

bool AcceptsSequenceInputs(const std::string& op_type) {
  static const std::set<std::string>* const kOps = new std::set<std::string>{
      "SequenceInsert", "SequenceAt", "SequenceErase", "SequenceLength", "ConcatFromSequence",
      "Identity",       "If",         "Loop",          "Scan"};
  return kOps->count(op_type) > 0;
}

void RegisterSequenceKernels(KernelRegistry& r) {
  r.Register("SequenceEmpty", SequenceEmptyKernel);
  r.Register("SequenceConstruct", SequenceConstructKernel);
  r.Register("SequenceInsert", SequenceInsertKernel);
  r.Register("SequenceAt", SequenceAtKernel);
  r.Register("SequenceErase", SequenceEraseKernel);
  r.Register("SequenceLength", SequenceLengthKernel);
  r.Register("ConcatFromSequence", ConcatFromSequenceKernel);
  r.Register("SplitToSequence", SplitToSequenceKernel);
}

}  // namespace onnxsmith::evaluator
