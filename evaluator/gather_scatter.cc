// Index kernels: Gather GatherElements GatherND ScatterND ScatterElements
// (reductions add/mul/max/min) OneHot NonZero.
#include <algorithm>
#include <cstring>

#include "common/status_macros.h"
#include "evaluator/copy.h"
#include "evaluator/int_arith.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

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
    dst = WrapAdd(dst, v);
  } else if (reduction == "mul") {
    if constexpr (std::is_same_v<T, bool>) {
      dst = dst && v;  // (bool * bool warns in C++)
    } else {
      dst = WrapMul(dst, v);
    }
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


}  // namespace

void RegisterGatherScatterKernels(KernelRegistry& r) {
  r.Register("Gather", GatherKernel);
  r.Register("GatherElements", GatherElementsKernel);
  r.Register("GatherND", GatherNDKernel);
  r.Register("ScatterND", ScatterNDKernel);
  r.Register("ScatterElements", ScatterElementsKernel);
  r.Register("NonZero", NonZeroKernel);
  r.Register("OneHot", OneHotKernel);
}

}  // namespace onnxsmith::evaluator
