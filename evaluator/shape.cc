// Shape and layout kernels: Identity Shape Size Reshape Flatten Transpose
// Squeeze Unsqueeze Concat Split Expand Tile Dropout. Slice and Pad are in
// slice_pad.cc, the gather/scatter family in gather_scatter.cc, generated
// tensors in generate.cc, CumSum and TopK with the reductions.
#include <algorithm>
#include <cstring>

#include "common/status_macros.h"
#include "evaluator/broadcast.h"
#include "evaluator/copy.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

absl::Status IdentityKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  return ctx.SetOutput(0, ctx.input(0));
}

absl::Status ShapeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Dims& d = ctx.input(0).dims();
  const int64_t r = static_cast<int64_t>(d.size());
  int64_t start = ctx.GetInt("start", 0);
  int64_t end = ctx.GetInt("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  const int64_t n = std::max<int64_t>(end - start, 0);
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, DataType::kInt64, {n}));
  for (int64_t i = 0; i < n; ++i) out->mutable_data<int64_t>()[i] = d[start + i];
  return absl::OkStatus();
}

absl::Status SizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, DataType::kInt64, {}));
  out->mutable_data<int64_t>()[0] = ctx.input(0).size();
  return absl::OkStatus();
}

absl::Status ReshapeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  std::vector<int64_t> shape;
  if (ctx.opset() < 5) {
    shape = ctx.GetInts("shape");
  } else {
    ASSIGN_OR_RETURN(shape, ctx.InputInts(1));
  }
  const bool allow_zero = ctx.GetInt("allowzero", 0) != 0;
  Dims out(shape.size());
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t s = shape[i];
    if (s == 0 && !allow_zero) {
      if (i >= x.dims().size()) {
        return ctx.Error("shape ", DimsToString(shape), " copies dim ", i, " of a rank-",
                         x.rank(), " input");
      }
      s = x.dims()[i];
    } else if (s == -1) {
      if (infer >= 0) return ctx.Error("shape ", DimsToString(shape), " has more than one -1");
      infer = static_cast<int>(i);
      continue;
    } else if (s < 0) {
      return ctx.Error("invalid dimension ", s, " in shape ", DimsToString(shape));
    }
    out[i] = s;
    known *= s;
  }
  if (infer >= 0) {
    if (known == 0 || x.size() % known != 0) {
      return ctx.Error("cannot reshape ", DimsToString(x.dims()), " to ", DimsToString(shape));
    }
    out[infer] = x.size() / known;
  }
  auto r = x.Reshaped(out);
  if (!r.ok()) return ctx.Error(r.status().message());
  return ctx.SetOutput(0, *std::move(r));
}

absl::Status FlattenKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  int64_t axis = ctx.GetInt("axis", 1);
  if (axis < 0) axis += x.rank();
  if (axis < 0 || axis > x.rank()) return ctx.Error("axis out of range for rank ", x.rank());
  int64_t a = 1, b = 1;
  for (int i = 0; i < x.rank(); ++i) (i < axis ? a : b) *= x.dims()[i];
  ASSIGN_OR_RETURN(Array y, x.Reshaped({a, b}));
  return ctx.SetOutput(0, y);
}

absl::Status TransposeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  const int r = x.rank();
  std::vector<int64_t> perm = ctx.GetInts("perm");
  if (perm.empty()) {
    perm.resize(r);
    for (int i = 0; i < r; ++i) perm[i] = r - 1 - i;
  }
  if (static_cast<int>(perm.size()) != r) {
    return ctx.Error("perm ", DimsToString(perm), " does not match rank ", r);
  }
  std::vector<bool> seen(r, false);
  Dims out_dims(r);
  for (int i = 0; i < r; ++i) {
    if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) {
      return ctx.Error("invalid perm ", DimsToString(perm));
    }
    seen[perm[i]] = true;
    out_dims[i] = x.dims()[perm[i]];
  }
  // A permutation that only moves unit dims is a reshape.
  std::vector<int64_t> moved;
  for (int i = 0; i < r; ++i) {
    if (x.dims()[perm[i]] != 1) moved.push_back(perm[i]);
  }
  if (std::is_sorted(moved.begin(), moved.end())) {
    ASSIGN_OR_RETURN(Array y, x.Reshaped(out_dims));
    return ctx.SetOutput(0, y);
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  TransposeCopy(out->mutable_raw(), x.raw(), x.dims(), perm, x.element_size(), ctx.parallel());
  return absl::OkStatus();
}

// Axes from the attribute (before `input_since`) or from input 1.
absl::StatusOr<std::vector<int64_t>> AxesArg(KernelContext& ctx, int input_since,
                                             bool* given) {
  *given = false;
  if (ctx.opset() < input_since) {
    *given = ctx.HasAttr("axes");
    return ctx.GetInts("axes");
  }
  if (!ctx.has_input(1)) return std::vector<int64_t>{};
  *given = true;
  return ctx.InputInts(1);
}

absl::Status SqueezeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  bool given = false;
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesArg(ctx, 13, &given));
  std::vector<bool> drop(x.rank(), false);
  if (axes.empty()) {
    for (int i = 0; i < x.rank(); ++i) drop[i] = x.dims()[i] == 1;
  } else {
    for (int64_t a : axes) {
      ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, x.rank()));
      if (x.dims()[ax] != 1) {
        return ctx.Error("cannot squeeze axis ", a, " of size ", x.dims()[ax], " (shape ",
                         DimsToString(x.dims()), ")");
      }
      drop[ax] = true;
    }
  }
  Dims out;
  for (int i = 0; i < x.rank(); ++i) {
    if (!drop[i]) out.push_back(x.dims()[i]);
  }
  ASSIGN_OR_RETURN(Array y, x.Reshaped(out));
  return ctx.SetOutput(0, y);
}

absl::Status UnsqueezeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  bool given = false;
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesArg(ctx, 13, &given));
  if (axes.empty()) return ctx.Error("axes are required");
  const int out_rank = x.rank() + static_cast<int>(axes.size());
  std::vector<bool> inserted(out_rank, false);
  for (int64_t a : axes) {
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, out_rank));
    if (inserted[ax]) return ctx.Error("axis ", a, " is repeated");
    inserted[ax] = true;
  }
  Dims out;
  int k = 0;
  for (int i = 0; i < out_rank; ++i) out.push_back(inserted[i] ? 1 : x.dims()[k++]);
  ASSIGN_OR_RETURN(Array y, x.Reshaped(out));
  return ctx.SetOutput(0, y);
}

absl::Status ConcatKernel(KernelContext& ctx) {
  std::vector<const Array*> in;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (ctx.has_input(i)) in.push_back(&ctx.input(i));
  }
  if (!ctx.HasAttr("axis")) return ctx.Error("attribute 'axis' is required");
  return ConcatToOutput(ctx, 0, in, ctx.GetInt("axis", 0));
}

absl::Status SplitKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 0), x.rank()));
  const int n_out = ctx.num_outputs();
  const int64_t dim = x.dims()[axis];
  std::vector<int64_t> split;
  if (ctx.opset() < 13) {
    split = ctx.GetInts("split");
  } else if (ctx.has_input(1)) {
    ASSIGN_OR_RETURN(split, ctx.InputInts(1));
  }
  if (split.empty()) {
    if (ctx.opset() >= 18 && ctx.HasAttr("num_outputs")) {
      const int64_t n = ctx.GetInt("num_outputs", n_out);
      if (n != n_out) return ctx.Error("num_outputs ", n, " but ", n_out, " outputs");
      const int64_t chunk = (dim + n - 1) / n;
      for (int64_t i = 0; i < n; ++i) split.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    } else {
      if (dim % n_out != 0) {
        return ctx.Error("axis of size ", dim, " does not split evenly into ", n_out);
      }
      split.assign(n_out, dim / n_out);
    }
  }
  if (static_cast<int>(split.size()) != n_out) {
    return ctx.Error("split has ", split.size(), " entries for ", n_out, " outputs");
  }
  int64_t total = 0;
  for (int64_t s : split) {
    if (s < 0) return ctx.Error("negative split size");
    total += s;
  }
  if (total != dim) return ctx.Error("split sizes sum to ", total, ", axis has ", dim);
  const Dims istr = Strides(x.dims());
  const int es = x.element_size();
  int64_t offset = 0;
  for (int i = 0; i < n_out; ++i) {
    Dims od = x.dims();
    od[axis] = split[i];
    if (ctx.has_output(i)) {
      ASSIGN_OR_RETURN(Array * out, ctx.Allocate(i, x.dtype(), od));
      StridedCopy(out->mutable_raw(), Strides(od), x.data<char>() + offset * istr[axis] * es,
                  istr, od, es, ctx.parallel());
    }
    offset += split[i];
  }
  return absl::OkStatus();
}


absl::Status ExpandKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.InputInts(1));
  ASSIGN_OR_RETURN(BroadcastPlan plan, MakeBroadcastPlan({x.dims(), shape}));
  if (plan.out_dims == x.dims()) return ctx.SetOutput(0, x);
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), plan.out_dims));
  StridedCopy(out->mutable_raw(), Strides(plan.dims), x.raw(), plan.strides[0], plan.dims,
              x.element_size(), ctx.parallel());
  return absl::OkStatus();
}

absl::Status TileKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  ASSIGN_OR_RETURN(std::vector<int64_t> reps, ctx.InputInts(1));
  if (static_cast<int>(reps.size()) != x.rank()) {
    return ctx.Error("repeats has ", reps.size(), " entries for rank ", x.rank());
  }
  Dims out_dims(x.rank()), view_dims, view_src;
  const Dims xs = Strides(x.dims());
  for (int i = 0; i < x.rank(); ++i) {
    if (reps[i] < 0) return ctx.Error("negative repeat ", reps[i]);
    out_dims[i] = x.dims()[i] * reps[i];
    view_dims.push_back(reps[i]);
    view_src.push_back(0);
    view_dims.push_back(x.dims()[i]);
    view_src.push_back(xs[i]);
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  StridedCopy(out->mutable_raw(), Strides(view_dims), x.raw(), view_src, view_dims,
              x.element_size(), ctx.parallel());
  return absl::OkStatus();
}


absl::Status DropoutKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  if (ctx.has_input(2)) {
    ASSIGN_OR_RETURN(double training, ctx.InputScalar(2));
    if (training != 0) return ctx.Unsupported("Dropout in training mode is random");
  }
  RETURN_IF_ERROR(ctx.SetOutput(0, ctx.input(0)));
  if (ctx.has_output(1)) {
    ASSIGN_OR_RETURN(Array * mask, ctx.Allocate(1, DataType::kBool, ctx.input(0).dims()));
    std::fill(mask->mutable_data<bool>(), mask->mutable_data<bool>() + mask->size(), true);
  }
  return absl::OkStatus();
}


}  // namespace

absl::Status ConcatToOutput(KernelContext& ctx, int out_index, const std::vector<const Array*>& in,
                            int64_t axis_attr) {
  if (in.empty()) return ctx.Error("needs at least one input");
  const int r = in[0]->rank();
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_attr, r));
  Dims out_dims = in[0]->dims();
  out_dims[axis] = 0;
  for (const Array* a : in) {
    if (a->dtype() != in[0]->dtype()) return ctx.Error("inputs have different types");
    if (a->rank() != r) return ctx.Error("inputs have different ranks");
    for (int d = 0; d < r; ++d) {
      if (d != axis && a->dims()[d] != in[0]->dims()[d]) {
        return ctx.Error("shapes ", DimsToString(in[0]->dims()), " and ",
                         DimsToString(a->dims()), " differ outside axis ", axis);
      }
    }
    out_dims[axis] += a->dims()[axis];
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(out_index, in[0]->dtype(), out_dims));
  const Dims ostr = Strides(out_dims);
  const int es = out->element_size();
  int64_t offset = 0;
  for (const Array* a : in) {
    StridedCopy(out->mutable_data<char>() + offset * ostr[axis] * es, ostr, a->raw(),
                Strides(a->dims()), a->dims(), es, ctx.parallel());
    offset += a->dims()[axis];
  }
  return absl::OkStatus();
}

absl::StatusOr<Array> SliceAlongAxis(const Array& a, int axis, int64_t start, int64_t length,
                                     const KernelContext& ctx) {
  Dims dims = a.dims();
  dims[axis] = length;
  ASSIGN_OR_RETURN(Array out, ctx.Scratch(a.dtype(), dims));
  const Dims in_strides = Strides(a.dims());
  const int es = a.element_size();
  StridedCopy(out.mutable_raw(), Strides(dims), a.data<char>() + start * in_strides[axis] * es,
              in_strides, dims, es, ctx.parallel());
  return out;
}

void RegisterShapeKernels(KernelRegistry& r) {
  r.Register("Identity", IdentityKernel);
  r.Register("Shape", ShapeKernel);
  r.Register("Size", SizeKernel);
  r.Register("Reshape", ReshapeKernel);
  r.Register("Flatten", FlattenKernel);
  r.Register("Transpose", TransposeKernel);
  r.Register("Squeeze", SqueezeKernel);
  r.Register("Unsqueeze", UnsqueezeKernel);
  r.Register("Concat", ConcatKernel);
  r.Register("Split", SplitKernel);
  r.Register("Expand", ExpandKernel);
  r.Register("Tile", TileKernel);
  r.Register("Dropout", DropoutKernel);
}

}  // namespace onnxsmith::evaluator
