// Shape and data-movement kernels: Shape Size Reshape Flatten Transpose
// Squeeze Unsqueeze Concat Split Slice Gather GatherElements GatherND
// ScatterND ScatterElements Expand Tile Pad ConstantOfShape Range Identity
// Constant NonZero OneHot CumSum TopK Trilu EyeLike Dropout.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/strings/str_join.h"
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
  if (in.empty()) return ctx.Error("needs at least one input");
  if (!ctx.HasAttr("axis")) return ctx.Error("attribute 'axis' is required");
  const int r = in[0]->rank();
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 0), r));
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
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, in[0]->dtype(), out_dims));
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

// Slice parameters for one axis after ONNX's clamping.
struct SliceAxis {
  int64_t start = 0, step = 1, count = 0;
};

SliceAxis ClampSlice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  SliceAxis s;
  s.step = step;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    s.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    s.count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  s.start = start;
  return s;
}

absl::Status SliceKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  const int r = x.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    starts = ctx.GetInts("starts");
    ends = ctx.GetInts("ends");
    axes = ctx.GetInts("axes");
  } else {
    RETURN_IF_ERROR(ctx.RequireInputs(3));
    ASSIGN_OR_RETURN(starts, ctx.InputInts(1));
    ASSIGN_OR_RETURN(ends, ctx.InputInts(2));
    if (ctx.has_input(3)) {
    ASSIGN_OR_RETURN(axes, ctx.InputInts(3));
  }
    if (ctx.has_input(4)) {
    ASSIGN_OR_RETURN(steps, ctx.InputInts(4));
  }
  }
  if (starts.size() != ends.size()) return ctx.Error("starts and ends differ in length");
  if (axes.empty()) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    return ctx.Error("starts, ends, axes and steps differ in length");
  }
  std::vector<SliceAxis> sl(r);
  for (int i = 0; i < r; ++i) sl[i].count = x.dims()[i];
  std::vector<bool> seen(r, false);
  for (size_t k = 0; k < axes.size(); ++k) {
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(axes[k], r));
    if (seen[ax]) return ctx.Error("axis ", axes[k], " is repeated");
    seen[ax] = true;
    if (steps[k] == 0) return ctx.Error("step cannot be 0");
    sl[ax] = ClampSlice(starts[k], ends[k], steps[k], x.dims()[ax]);
  }
  Dims out_dims(r), src_strides(r);
  const Dims istr = Strides(x.dims());
  int64_t base = 0;
  for (int i = 0; i < r; ++i) {
    out_dims[i] = sl[i].count;
    src_strides[i] = istr[i] * sl[i].step;
    if (sl[i].count > 0) base += sl[i].start * istr[i];
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  if (out->size() == 0) return absl::OkStatus();
  StridedCopy(out->mutable_raw(), Strides(out_dims), x.data<char>() + base * x.element_size(),
              src_strides, out_dims, x.element_size(), ctx.parallel());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> CheckedIndices(KernelContext& ctx, int input,
                                                    int64_t dim) {
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ctx.InputInts(input));
  for (int64_t& i : idx) {
    if (i < -dim || i >= dim) {
      return ctx.Error("index ", i, " is out of range for an axis of size ", dim);
    }
    if (i < 0) i += dim;
  }
  return idx;
}

absl::Status GatherKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& ind = ctx.input(1);
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 0), x.rank()));
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, CheckedIndices(ctx, 1, x.dims()[axis]));
  Dims out_dims(x.dims().begin(), x.dims().begin() + axis);
  out_dims.insert(out_dims.end(), ind.dims().begin(), ind.dims().end());
  out_dims.insert(out_dims.end(), x.dims().begin() + axis + 1, x.dims().end());
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  const int64_t outer = NumElements(Dims(x.dims().begin(), x.dims().begin() + axis));
  const int64_t inner = NumElements(Dims(x.dims().begin() + axis + 1, x.dims().end()));
  const int64_t bytes = inner * x.element_size();
  const int64_t n = static_cast<int64_t>(idx.size());
  const char* src = x.data<char>();
  char* dst = out->mutable_data<char>();
  ParallelFor(outer * n, static_cast<double>(inner), ctx.parallel(), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / n, j = t % n;
      std::memcpy(dst + t * bytes, src + (o * x.dims()[axis] + idx[j]) * bytes, bytes);
    }
  });
  return absl::OkStatus();
}

absl::Status GatherElementsKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& ind = ctx.input(1);
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 0), x.rank()));
  if (ind.rank() != x.rank()) return ctx.Error("indices must have the rank of data");
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, CheckedIndices(ctx, 1, x.dims()[axis]));
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), ind.dims()));
  const Dims xs = Strides(x.dims());
  const int es = x.element_size();
  const int r = x.rank();
  std::vector<int64_t> pos(r, 0);
  for (int64_t i = 0; i < ind.size(); ++i) {
    int64_t off = 0;
    for (int d = 0; d < r; ++d) {
      if (d != axis && pos[d] >= x.dims()[d]) {
        return ctx.Error("indices shape ", DimsToString(ind.dims()), " exceeds data shape ",
                         DimsToString(x.dims()));
      }
      off += (d == axis ? idx[i] : pos[d]) * xs[d];
    }
    std::memcpy(out->mutable_data<char>() + i * es, x.data<char>() + off * es, es);
    for (int d = r - 1; d >= 0; --d) {
      if (++pos[d] < ind.dims()[d]) break;
      pos[d] = 0;
    }
  }
  return absl::OkStatus();
}

absl::Status GatherNDKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& ind = ctx.input(1);
  const int64_t b = ctx.GetInt("batch_dims", 0);
  if (ind.rank() < 1) return ctx.Error("indices must have rank >= 1");
  const int64_t k = ind.dims().back();
  if (b < 0 || b >= std::min<int64_t>(x.rank(), ind.rank()) || b + k > x.rank()) {
    return ctx.Error("indices of shape ", DimsToString(ind.dims()), " with batch_dims ", b,
                     " do not fit data of shape ", DimsToString(x.dims()));
  }
  for (int64_t i = 0; i < b; ++i) {
    if (x.dims()[i] != ind.dims()[i]) return ctx.Error("batch dims of data and indices differ");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ctx.InputInts(1));
  Dims out_dims(ind.dims().begin(), ind.dims().end() - 1);
  out_dims.insert(out_dims.end(), x.dims().begin() + b + k, x.dims().end());
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  const int64_t batch = NumElements(Dims(x.dims().begin(), x.dims().begin() + b));
  const int64_t per_batch = NumElements(Dims(ind.dims().begin() + b, ind.dims().end() - 1));
  const int64_t slice = NumElements(Dims(x.dims().begin() + b + k, x.dims().end()));
  const int64_t x_batch = NumElements(Dims(x.dims().begin() + b, x.dims().end()));
  const Dims xs = Strides(x.dims());
  const int es = x.element_size();
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t j = 0; j < per_batch; ++j) {
      const int64_t* t = idx.data() + (bi * per_batch + j) * k;
      int64_t off = bi * x_batch;
      for (int64_t q = 0; q < k; ++q) {
        const int64_t dim = x.dims()[b + q];
        int64_t v = t[q];
        if (v < -dim || v >= dim) return ctx.Error("index ", v, " out of range for size ", dim);
        if (v < 0) v += dim;
        off += v * xs[b + q];
      }
      std::memcpy(out->mutable_data<char>() + (bi * per_batch + j) * slice * es,
                  x.data<char>() + off * es, slice * es);
    }
  }
  return absl::OkStatus();
}

template <typename T>
void Reduce(T& dst, T v, const std::string& reduction) {
  if (reduction == "add") {
    dst = static_cast<T>(dst + v);
  } else if (reduction == "mul") {
    dst = static_cast<T>(dst * v);
  } else if (reduction == "max") {
    dst = std::max(dst, v);
  } else if (reduction == "min") {
    dst = std::min(dst, v);
  } else {
    dst = v;
  }
}

absl::Status ScatterNDKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  const Array& x = ctx.input(0);
  const Array& ind = ctx.input(1);
  const Array& upd = ctx.input(2);
  const std::string reduction = ctx.GetString("reduction", "none");
  if (upd.dtype() != x.dtype()) return ctx.Error("updates must have the type of data");
  if (ind.rank() < 1) return ctx.Error("indices must have rank >= 1");
  const int64_t k = ind.dims().back();
  if (k > x.rank()) return ctx.Error("index tuples longer than the data rank");
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ctx.InputInts(1));
  Dims want(ind.dims().begin(), ind.dims().end() - 1);
  want.insert(want.end(), x.dims().begin() + k, x.dims().end());
  if (want != upd.dims()) {
    return ctx.Error("updates must have shape ", DimsToString(want), ", have ",
                     DimsToString(upd.dims()));
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
  CopyElements(out->mutable_raw(), x.raw(), x.size(), x.element_size());
  const int64_t n = NumElements(Dims(ind.dims().begin(), ind.dims().end() - 1));
  const int64_t slice = NumElements(Dims(x.dims().begin() + k, x.dims().end()));
  const Dims xs = Strides(x.dims());
  return Dispatch<kAllTypes>(x.dtype(), "ScatterND", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    T* y = out->mutable_data<T>();
    const T* u = upd.data<T>();
    for (int64_t j = 0; j < n; ++j) {
      int64_t off = 0;
      for (int64_t q = 0; q < k; ++q) {
        const int64_t dim = x.dims()[q];
        int64_t v = idx[j * k + q];
        if (v < -dim || v >= dim) return ctx.Error("index ", v, " out of range for size ", dim);
        if (v < 0) v += dim;
        off += v * xs[q];
      }
      for (int64_t s = 0; s < slice; ++s) Reduce(y[off + s], u[j * slice + s], reduction);
    }
    return absl::OkStatus();
  });
}

absl::Status ScatterElementsKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  const Array& x = ctx.input(0);
  const Array& ind = ctx.input(1);
  const Array& upd = ctx.input(2);
  const std::string reduction = ctx.GetString("reduction", "none");
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 0), x.rank()));
  if (ind.dims() != upd.dims()) return ctx.Error("indices and updates shapes differ");
  if (ind.rank() != x.rank()) return ctx.Error("indices must have the rank of data");
  if (upd.dtype() != x.dtype()) return ctx.Error("updates must have the type of data");
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, CheckedIndices(ctx, 1, x.dims()[axis]));
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
  CopyElements(out->mutable_raw(), x.raw(), x.size(), x.element_size());
  const Dims xs = Strides(x.dims());
  const int r = x.rank();
  return Dispatch<kAllTypes>(x.dtype(), "ScatterElements", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    T* y = out->mutable_data<T>();
    const T* u = upd.data<T>();
    std::vector<int64_t> pos(r, 0);
    for (int64_t i = 0; i < ind.size(); ++i) {
      int64_t off = 0;
      for (int d = 0; d < r; ++d) {
        if (d != axis && pos[d] >= x.dims()[d]) return ctx.Error("indices exceed data shape");
        off += (d == axis ? idx[i] : pos[d]) * xs[d];
      }
      Reduce(y[off], u[i], reduction);
      for (int d = r - 1; d >= 0; --d) {
        if (++pos[d] < ind.dims()[d]) break;
        pos[d] = 0;
      }
    }
    return absl::OkStatus();
  });
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

absl::Status PadKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  const int r = x.rank();
  std::string mode = ctx.GetString("mode", "constant");
  std::vector<int64_t> pads;
  double value = 0;
  bool have_value_array = false;
  if (ctx.opset() < 11) {
    pads = ctx.GetInts(ctx.opset() < 2 ? "paddings" : "pads");
    value = ctx.GetFloat("value", 0.0f);
  } else {
    ASSIGN_OR_RETURN(pads, ctx.InputInts(1));
    if (ctx.has_input(2)) {
      if (ctx.input(2).size() != 1) return ctx.Error("constant_value must be a scalar");
      if (ctx.input(2).dtype() != x.dtype()) return ctx.Error("constant_value type differs");
      have_value_array = true;
    }
  }
  // Opset 18: axes.
  std::vector<int64_t> axes;
  if (ctx.opset() >= 18 && ctx.has_input(3)) {
    ASSIGN_OR_RETURN(axes, ctx.InputInts(3));
  }
  std::vector<int64_t> full(2 * r, 0);
  if (!axes.empty()) {
    if (pads.size() != 2 * axes.size()) return ctx.Error("pads must have 2 entries per axis");
    for (size_t k = 0; k < axes.size(); ++k) {
      ASSIGN_OR_RETURN(int ax, NormalizeAxis(axes[k], r));
      full[ax] = pads[k];
      full[ax + r] = pads[k + axes.size()];
    }
  } else {
    if (static_cast<int>(pads.size()) != 2 * r) {
      return ctx.Error("pads has ", pads.size(), " entries for rank ", r);
    }
    full = pads;
  }
  Dims out_dims(r);
  for (int i = 0; i < r; ++i) {
    out_dims[i] = x.dims()[i] + full[i] + full[i + r];
    if (out_dims[i] < 0) return ctx.Error("pads make axis ", i, " negative");
    if (mode != "constant" && x.dims()[i] == 0 && out_dims[i] > 0) {
      return ctx.Error(mode, " padding of an empty axis");
    }
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  const int es = x.element_size();
  if (out->size() == 0) return absl::OkStatus();
  if (mode == "constant") {
    // Fill, then copy the (cropped) input into the interior.
    std::vector<char> v(es, 0);
    if (have_value_array) {
      std::memcpy(v.data(), ctx.input(2).raw(), es);
    } else if (value != 0) {
      RETURN_IF_ERROR(Dispatch<kNumericTypes>(x.dtype(), "Pad", [&](auto tag) -> absl::Status {
        using T = typename decltype(tag)::type;
        const T t = static_cast<T>(value);
        std::memcpy(v.data(), &t, es);
        return absl::OkStatus();
      }));
    }
    FillElements(out->mutable_raw(), v.data(), out->size(), es);
    Dims copy_dims(r);
    const Dims xs = Strides(x.dims());
    const Dims os = Strides(out_dims);
    int64_t src_off = 0, dst_off = 0;
    for (int i = 0; i < r; ++i) {
      const int64_t lo = full[i], hi = full[i + r];
      const int64_t skip_lo = lo < 0 ? -lo : 0;
      const int64_t skip_hi = hi < 0 ? -hi : 0;
      copy_dims[i] = std::max<int64_t>(0, x.dims()[i] - skip_lo - skip_hi);
      src_off += skip_lo * xs[i];
      dst_off += std::max<int64_t>(lo, 0) * os[i];
    }
    if (NumElements(copy_dims) > 0) {
      StridedCopy(out->mutable_data<char>() + dst_off * es, os, x.data<char>() + src_off * es,
                  xs, copy_dims, es, ctx.parallel());
    }
    return absl::OkStatus();
  }
  if (mode != "reflect" && mode != "edge" && mode != "wrap") {
    return ctx.Error("unknown pad mode '", mode, "'");
  }
  // Per-axis source index of every output index.
  std::vector<std::vector<int64_t>> map(r);
  for (int i = 0; i < r; ++i) {
    const int64_t d = x.dims()[i];
    map[i].resize(out_dims[i]);
    for (int64_t o = 0; o < out_dims[i]; ++o) {
      int64_t s = o - full[i];
      if (mode == "edge") {
        s = std::clamp<int64_t>(s, 0, d - 1);
      } else if (mode == "wrap") {
        s = ((s % d) + d) % d;
      } else if (d == 1) {
        s = 0;
      } else {
        const int64_t period = 2 * (d - 1);
        s = ((s % period) + period) % period;
        if (s >= d) s = period - s;
      }
      map[i][o] = s;
    }
  }
  const Dims xs = Strides(x.dims());
  const char* src = x.data<char>();
  char* dst = out->mutable_data<char>();
  std::vector<int64_t> pos(r, 0);
  const int64_t inner = out_dims[r - 1];
  const int64_t rows = out->size() / inner;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t base = 0;
    for (int i = 0; i < r - 1; ++i) base += map[i][pos[i]] * xs[i];
    for (int64_t o = 0; o < inner; ++o) {
      std::memcpy(dst + (row * inner + o) * es, src + (base + map[r - 1][o] * xs[r - 1]) * es, es);
    }
    for (int i = r - 2; i >= 0; --i) {
      if (++pos[i] < out_dims[i]) break;
      pos[i] = 0;
    }
  }
  return absl::OkStatus();
}

absl::Status ConstantOfShapeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.InputInts(0));
  for (int64_t d : shape) {
    if (d < 0) return ctx.Error("negative dimension in shape ", DimsToString(shape));
  }
  DataType dtype = DataType::kFloat;
  std::vector<char> value(4, 0);
  if (const ir::Attribute* a = ctx.attr("value")) {
    if (a->kind != ir::Attribute::Kind::kTensor || a->t.num_elements() != 1) {
      return ctx.Error("'value' must be a one-element tensor");
    }
    dtype = a->t.dtype();
    const int es = ir::ElementSize(dtype);
    if (es == 0 || static_cast<int>(a->t.raw().size()) != es) {
      return ctx.Unsupported("value of type ", ir::DataTypeName(dtype));
    }
    value.assign(a->t.raw().begin(), a->t.raw().end());
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, dtype, shape));
  FillElements(out->mutable_raw(), value.data(), out->size(), ir::ElementSize(dtype));
  return absl::OkStatus();
}

absl::Status RangeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  const DataType t = ctx.input(0).dtype();
  for (int i = 0; i < 3; ++i) {
    if (ctx.input(i).size() != 1) return ctx.Error("start, limit and delta must be scalars");
    if (ctx.input(i).dtype() != t) return ctx.Error("start, limit and delta types differ");
  }
  return Dispatch<kFloatTypes | kSignedInts>(t, "Range", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    const T start = ctx.input(0).data<T>()[0];
    const T limit = ctx.input(1).data<T>()[0];
    const T delta = ctx.input(2).data<T>()[0];
    if (delta == T(0)) return ctx.Error("delta cannot be 0");
    const double n = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) /
                               static_cast<double>(delta));
    const int64_t count = n > 0 ? static_cast<int64_t>(n) : 0;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, t, {count}));
    T v = start;
    T* y = out->mutable_data<T>();
    for (int64_t i = 0; i < count; ++i) {
      y[i] = v;
      v = static_cast<T>(v + delta);
    }
    return absl::OkStatus();
  });
}

absl::Status ConstantKernel(KernelContext& ctx) {
  if (const ir::Attribute* a = ctx.attr("value")) {
    if (a->kind != ir::Attribute::Kind::kTensor) return ctx.Error("'value' must be a tensor");
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(a->t));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_float")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Scalar<float>(a->f)));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_floats")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Vector1D<float>(a->floats)));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_int")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Scalar<int64_t>(a->i)));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_ints")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Vector1D<int64_t>(a->ints)));
    return ctx.SetOutput(0, v);
  }
  return ctx.Unsupported("Constant without a numeric value attribute");
}

absl::Status NonZeroKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  std::vector<int64_t> hits;
  RETURN_IF_ERROR(Dispatch<kAllTypes>(x.dtype(), "NonZero", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    const T* p = x.data<T>();
    for (int64_t i = 0; i < x.size(); ++i) {
      if (p[i] != T(0)) hits.push_back(i);
    }
    return absl::OkStatus();
  }));
  const int r = x.rank();
  const int64_t n = static_cast<int64_t>(hits.size());
  // A scalar is treated as a 1-D tensor of one element (as ONNX Runtime does).
  const int out_r = std::max(r, 1);
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, DataType::kInt64, {out_r, n}));
  int64_t* y = out->mutable_data<int64_t>();
  const Dims xs = Strides(x.dims());
  for (int64_t j = 0; j < n; ++j) {
    int64_t rem = hits[j];
    if (r == 0) {
      y[j] = 0;
      continue;
    }
    for (int d = 0; d < r; ++d) {
      y[d * n + j] = rem / xs[d];
      rem %= xs[d];
    }
  }
  return absl::OkStatus();
}

absl::Status OneHotKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  const Array& ind = ctx.input(0);
  const Array& values = ctx.input(2);
  ASSIGN_OR_RETURN(double depth_d, ctx.InputScalar(1));
  const int64_t depth = static_cast<int64_t>(depth_d);
  if (depth <= 0) return ctx.Error("depth must be positive, got ", depth_d);
  if (values.size() != 2) return ctx.Error("values must have two elements [off, on]");
  ASSIGN_OR_RETURN(std::vector<double> idx, ToDoubleVector(ind));
  const int out_rank = ind.rank() + 1;
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", -1), out_rank));
  Dims out_dims = ind.dims();
  out_dims.insert(out_dims.begin() + axis, depth);
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, values.dtype(), out_dims));
  const int es = values.element_size();
  const char* off = values.data<char>();
  const char* on = off + es;
  FillElements(out->mutable_raw(), off, out->size(), es);
  const int64_t outer = NumElements(Dims(ind.dims().begin(), ind.dims().begin() + axis));
  const int64_t inner = NumElements(Dims(ind.dims().begin() + axis, ind.dims().end()));
  char* y = out->mutable_data<char>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      int64_t v = static_cast<int64_t>(idx[o * inner + i]);
      if (v < 0) v += depth;
      if (v < 0 || v >= depth) continue;
      std::memcpy(y + ((o * depth + v) * inner + i) * es, on, es);
    }
  }
  return absl::OkStatus();
}

absl::Status CumSumKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  ASSIGN_OR_RETURN(double axis_d, ctx.InputScalar(1));
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(static_cast<int64_t>(axis_d), x.rank()));
  const bool exclusive = ctx.GetInt("exclusive", 0) != 0;
  const bool reverse = ctx.GetInt("reverse", 0) != 0;
  return Dispatch<kNumericTypes>(x.dtype(), "CumSum", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
    const int64_t n = x.dims()[axis];
    const int64_t outer = NumElements(Dims(x.dims().begin(), x.dims().begin() + axis));
    const int64_t inner = NumElements(Dims(x.dims().begin() + axis + 1, x.dims().end()));
    const T* src = x.data<T>();
    T* dst = out->mutable_data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        T acc = T(0);
        for (int64_t k = 0; k < n; ++k) {
          const int64_t j = reverse ? n - 1 - k : k;
          const int64_t at = (o * n + j) * inner + i;
          if (exclusive) {
            dst[at] = acc;
            acc = static_cast<T>(acc + src[at]);
          } else {
            acc = static_cast<T>(acc + src[at]);
            dst[at] = acc;
          }
        }
      }
    }
    return absl::OkStatus();
  });
}

absl::Status TopKKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  int64_t k;
  if (ctx.opset() < 10) {
    k = ctx.GetInt("k", -1);
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> kv, ctx.InputInts(1));
    if (kv.size() != 1) return ctx.Error("K must hold one value");
    k = kv[0];
  }
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", -1), x.rank()));
  const int64_t n = x.dims()[axis];
  if (k < 0 || k > n) return ctx.Error("K = ", k, " is out of range for an axis of size ", n);
  const bool largest = ctx.GetInt("largest", 1) != 0;
  Dims out_dims = x.dims();
  out_dims[axis] = k;
  return Dispatch<kNumericTypes>(x.dtype(), "TopK", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * vals, ctx.Allocate(0, x.dtype(), out_dims));
    Array* inds = nullptr;
    if (ctx.num_outputs() > 1) {
      ASSIGN_OR_RETURN(inds, ctx.Allocate(1, DataType::kInt64, out_dims));
    }
    const int64_t outer = NumElements(Dims(x.dims().begin(), x.dims().begin() + axis));
    const int64_t inner = NumElements(Dims(x.dims().begin() + axis + 1, x.dims().end()));
    const T* src = x.data<T>();
    std::vector<int64_t> order(n);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        auto at = [&](int64_t j) { return src[(o * n + j) * inner + i]; };
        std::iota(order.begin(), order.end(), 0);
        auto cmp = [&](int64_t a, int64_t b) {
          const T va = at(a), vb = at(b);
          if (va != vb) return largest ? va > vb : va < vb;
          return a < b;
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t dst = (o * k + j) * inner + i;
          vals->mutable_data<T>()[dst] = at(order[j]);
          if (inds) inds->mutable_data<int64_t>()[dst] = order[j];
        }
      }
    }
    return absl::OkStatus();
  });
}

absl::Status TriluKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.rank() < 2) return ctx.Error("input must have rank >= 2");
  int64_t k = 0;
  if (ctx.has_input(1)) {
    ASSIGN_OR_RETURN(double kd, ctx.InputScalar(1));
    k = static_cast<int64_t>(kd);
  }
  const bool upper = ctx.GetInt("upper", 1) != 0;
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
  const int64_t rows = x.dims()[x.rank() - 2], cols = x.dims()[x.rank() - 1];
  const int64_t mats = rows * cols == 0 ? 0 : x.size() / (rows * cols);
  const int es = x.element_size();
  std::vector<char> zero(es, 0);
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        const bool keep = upper ? (j - i >= k) : (j - i <= k);
        const int64_t at = (m * rows + i) * cols + j;
        std::memcpy(out->mutable_data<char>() + at * es,
                    keep ? x.data<char>() + at * es : zero.data(), es);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status EyeLikeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.rank() != 2) return ctx.Error("input must be 2-D");
  const DataType dtype =
      ctx.HasAttr("dtype") ? static_cast<DataType>(ctx.GetInt("dtype", 1)) : x.dtype();
  const int64_t k = ctx.GetInt("k", 0);
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, dtype, x.dims()));
  return Dispatch<kAllTypes>(dtype, "EyeLike", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    T* y = out->mutable_data<T>();
    for (int64_t i = 0; i < x.dims()[0]; ++i) {
      for (int64_t j = 0; j < x.dims()[1]; ++j) y[i * x.dims()[1] + j] = (j - i == k) ? T(1) : T(0);
    }
    return absl::OkStatus();
  });
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
  r.Register("Slice", SliceKernel);
  r.Register("Gather", GatherKernel);
  r.Register("GatherElements", GatherElementsKernel);
  r.Register("GatherND", GatherNDKernel);
  r.Register("ScatterND", ScatterNDKernel);
  r.Register("ScatterElements", ScatterElementsKernel);
  r.Register("Expand", ExpandKernel);
  r.Register("Tile", TileKernel);
  r.Register("Pad", PadKernel);
  r.Register("ConstantOfShape", ConstantOfShapeKernel);
  r.Register("Range", RangeKernel);
  r.Register("Constant", ConstantKernel);
  r.Register("NonZero", NonZeroKernel);
  r.Register("OneHot", OneHotKernel);
  r.Register("CumSum", CumSumKernel);
  r.Register("TopK", TopKKernel);
  r.Register("Trilu", TriluKernel);
  r.Register("EyeLike", EyeLikeKernel);
  r.Register("Dropout", DropoutKernel);
}

}  // namespace onnxsmith::evaluator
