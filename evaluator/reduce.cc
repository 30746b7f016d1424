// Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp
// (axes as attribute up to opset 17 -- ReduceSum up to 12 -- and as an
// input after), keepdims, noop_with_empty_axes; ArgMax/ArgMin; and the
// other kernels along one axis: CumSum, TopK.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "common/status_macros.h"
#include "evaluator/int_arith.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

enum class RKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// Accumulator: double for floating types, the type itself for integers,
// wrapping around on overflow as ONNX Runtime does (its ReduceL2 and
// ReduceLogSum on int32 also sum in int32, then take sqrt / log).
template <typename T>
using AccOf = std::conditional_t<std::is_floating_point_v<T>, double, T>;

// A double result as T: integers without undefined behaviour (see FloatToInt).
template <typename T>
T FromDouble(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    return FloatToInt<T>(v);
  }
}

template <RKind K, typename T>
struct Reducer {
  using Acc = std::conditional_t<K == RKind::kLogSumExp, double, AccOf<T>>;
  static Acc Init() {
    if constexpr (K == RKind::kProd) return Acc(1);
    if constexpr (K == RKind::kMax) {
      if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<Acc>::infinity();
      return static_cast<Acc>(std::numeric_limits<T>::lowest());
    }
    if constexpr (K == RKind::kMin) {
      if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<Acc>::infinity();
      return static_cast<Acc>(std::numeric_limits<T>::max());
    }
    return Acc(0);
  }
  static void Add(Acc& a, T x) {
    if constexpr (K == RKind::kSum || K == RKind::kMean || K == RKind::kLogSum) {
      a = WrapAdd(a, static_cast<Acc>(x));
    } else if constexpr (K == RKind::kMax) {
      if (static_cast<Acc>(x) > a || std::isnan(static_cast<double>(x))) a = static_cast<Acc>(x);
    } else if constexpr (K == RKind::kMin) {
      if (static_cast<Acc>(x) < a || std::isnan(static_cast<double>(x))) a = static_cast<Acc>(x);
    } else if constexpr (K == RKind::kProd) {
      a = WrapMul(a, static_cast<Acc>(x));
    } else if constexpr (K == RKind::kL1) {
      const Acc v = static_cast<Acc>(x);
      a = WrapAdd(a, v < Acc(0) ? WrapNeg(v) : v);
    } else if constexpr (K == RKind::kL2 || K == RKind::kSumSquare) {
      const Acc v = static_cast<Acc>(x);
      a = WrapAdd(a, WrapMul(v, v));
    }
  }
  static T Finish(Acc a, int64_t count) {
    if constexpr (K == RKind::kMean) {
      if (count == 0) return std::is_floating_point_v<T> ? static_cast<T>(NAN) : T(0);
      if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(a / static_cast<Acc>(count));
      } else {
        // In 64 bits: the count does not fit a narrow T.
        using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
        return static_cast<T>(static_cast<Wide>(a) / static_cast<Wide>(count));
      }
    } else if constexpr (K == RKind::kL2) {
      return FromDouble<T>(std::sqrt(static_cast<double>(a)));
    } else if constexpr (K == RKind::kLogSum) {
      return FromDouble<T>(std::log(static_cast<double>(a)));
    } else {
      return static_cast<T>(a);
    }
  }
};

struct Layout {
  Dims out_dims;          // with keepdims applied
  int64_t out_count = 1;  // kept elements
  int64_t red_count = 1;  // reduced elements per output
  // Coalesced groups: (size, input stride, reduced?).
  struct Group {
    int64_t size;
    int64_t stride;
    bool reduced;
  };
  std::vector<Group> groups;
};

Layout MakeLayout(const Dims& dims, const std::vector<bool>& reduce, bool keepdims) {
  Layout l;
  const Dims st = Strides(dims);
  for (size_t i = 0; i < dims.size(); ++i) {
    if (reduce[i]) {
      l.red_count *= dims[i];
      if (keepdims) l.out_dims.push_back(1);
    } else {
      l.out_count *= dims[i];
      l.out_dims.push_back(dims[i]);
    }
    if (dims[i] == 1) continue;
    if (!l.groups.empty() && l.groups.back().reduced == reduce[i]) {
      l.groups.back().size *= dims[i];
      l.groups.back().stride = st[i];
    } else {
      l.groups.push_back({dims[i], st[i], static_cast<bool>(reduce[i])});
    }
  }
  return l;
}

// Offsets (in elements) of the reduced / kept positions, in row-major order.
std::vector<int64_t> Offsets(const Layout& l, bool reduced) {
  std::vector<int64_t> offs{0};
  for (const auto& g : l.groups) {
    if (g.reduced != reduced) continue;
    std::vector<int64_t> next;
    next.reserve(offs.size() * g.size);
    for (int64_t o : offs) {
      for (int64_t i = 0; i < g.size; ++i) next.push_back(o + i * g.stride);
    }
    offs.swap(next);
  }
  return offs;
}

template <RKind K, typename T>
void RunReduce(const Layout& l, const T* x, T* y, bool parallel) {
  using R = Reducer<K, T>;
  using Acc = typename R::Acc;
  const int64_t n = l.red_count;
  // Fast path: [outer kept, reduced, inner kept] with a contiguous inner block.
  const auto& g = l.groups;
  if (g.size() >= 2 && !g.back().reduced && g[g.size() - 2].reduced &&
      (g.size() == 2 || (g.size() == 3 && !g[0].reduced)) && K != RKind::kLogSumExp) {
    const int64_t inner = g.back().size;
    const int64_t red = g[g.size() - 2].size;
    const int64_t outer = g.size() == 3 ? g[0].size : 1;
    ParallelFor(outer, static_cast<double>(red * inner), parallel, [&](int64_t b, int64_t e) {
      std::vector<Acc> acc(inner);
      for (int64_t o = b; o < e; ++o) {
        std::fill(acc.begin(), acc.end(), R::Init());
        const T* base = x + o * red * inner;
        for (int64_t r = 0; r < red; ++r) {
          const T* row = base + r * inner;
          for (int64_t i = 0; i < inner; ++i) R::Add(acc[i], row[i]);
        }
        for (int64_t i = 0; i < inner; ++i) y[o * inner + i] = R::Finish(acc[i], n);
      }
    });
    return;
  }
  const std::vector<int64_t> red_off = Offsets(l, true);
  const std::vector<int64_t> out_off = Offsets(l, false);
  ParallelFor(l.out_count, static_cast<double>(n), parallel, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const T* base = x + out_off[o];
      if constexpr (K == RKind::kLogSumExp) {
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t r : red_off) m = std::max(m, static_cast<double>(base[r]));
        double s = 0;
        if (std::isinf(m)) {
          y[o] = FromDouble<T>(m);
          continue;
        }
        for (int64_t r : red_off) s += std::exp(static_cast<double>(base[r]) - m);
        y[o] = FromDouble<T>(std::log(s) + m);
      } else {
        Acc a = R::Init();
        for (int64_t r : red_off) R::Add(a, base[r]);
        y[o] = R::Finish(a, n);
      }
    }
  });
}

absl::Status ReduceKernel(KernelContext& ctx, RKind kind, bool axes_as_input) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  const int r = x.rank();
  const bool keepdims = ctx.GetInt("keepdims", 1) != 0;
  std::vector<int64_t> axes;
  bool noop = false;
  if (axes_as_input) {
    if (ctx.has_input(1)) {
    ASSIGN_OR_RETURN(axes, ctx.InputInts(1));
  }
    noop = axes.empty() && ctx.GetInt("noop_with_empty_axes", 0) != 0;
  } else {
    axes = ctx.GetInts("axes");
  }
  if (noop) return ctx.SetOutput(0, x);
  std::vector<bool> reduce(r, axes.empty());
  for (int64_t a : axes) {
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, r));
    reduce[ax] = true;
  }
  const Layout l = MakeLayout(x.dims(), reduce, keepdims);
  return Dispatch<kNumericTypes>(x.dtype(), ctx.node().op_type.c_str(),
                                 [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), l.out_dims));
    const T* xp = x.data<T>();
    T* yp = out->mutable_data<T>();
    const bool par = ctx.parallel();
    switch (kind) {
      case RKind::kSum: RunReduce<RKind::kSum>(l, xp, yp, par); break;
      case RKind::kMean: RunReduce<RKind::kMean>(l, xp, yp, par); break;
      case RKind::kMax: RunReduce<RKind::kMax>(l, xp, yp, par); break;
      case RKind::kMin: RunReduce<RKind::kMin>(l, xp, yp, par); break;
      case RKind::kProd: RunReduce<RKind::kProd>(l, xp, yp, par); break;
      case RKind::kL1: RunReduce<RKind::kL1>(l, xp, yp, par); break;
      case RKind::kL2: RunReduce<RKind::kL2>(l, xp, yp, par); break;
      case RKind::kSumSquare: RunReduce<RKind::kSumSquare>(l, xp, yp, par); break;
      case RKind::kLogSum: RunReduce<RKind::kLogSum>(l, xp, yp, par); break;
      case RKind::kLogSumExp: RunReduce<RKind::kLogSumExp>(l, xp, yp, par); break;
    }
    return absl::OkStatus();
  });
}

absl::Status ArgKernel(KernelContext& ctx, bool is_max) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 0), x.rank()));
  const bool keepdims = ctx.GetInt("keepdims", 1) != 0;
  const bool last = ctx.GetInt("select_last_index", 0) != 0;
  Dims out_dims;
  for (int i = 0; i < x.rank(); ++i) {
    if (i != axis) {
      out_dims.push_back(x.dims()[i]);
    } else if (keepdims) {
      out_dims.push_back(1);
    }
  }
  const int64_t n = x.dims()[axis];
  if (n == 0) return ctx.Error("cannot take ", is_max ? "ArgMax" : "ArgMin", " over an empty axis");
  const int64_t outer = NumElements(Dims(x.dims().begin(), x.dims().begin() + axis));
  const int64_t inner = NumElements(Dims(x.dims().begin() + axis + 1, x.dims().end()));
  return Dispatch<kNumericTypes>(x.dtype(), "ArgMax/ArgMin", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, DataType::kInt64, out_dims));
    const T* xp = x.data<T>();
    int64_t* yp = out->mutable_data<int64_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = xp + o * n * inner + i;
        int64_t best = 0;
        T bv = p[0];
        for (int64_t k = 1; k < n; ++k) {
          const T v = p[k * inner];
          const bool better = is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
          if (better) {
            bv = v;
            best = k;
          }
        }
        yp[o * inner + i] = best;
      }
    }
    return absl::OkStatus();
  });
}

// ---- Along one axis: CumSum, TopK -------------------------------------------

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
            acc = WrapAdd(acc, src[at]);
          } else {
            acc = WrapAdd(acc, src[at]);
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

}  // namespace

void RegisterReduceKernels(KernelRegistry& r) {
  struct Op {
    const char* name;
    RKind kind;
  };
  const Op ops[] = {{"ReduceSum", RKind::kSum},       {"ReduceMean", RKind::kMean},
                    {"ReduceMax", RKind::kMax},       {"ReduceMin", RKind::kMin},
                    {"ReduceProd", RKind::kProd},     {"ReduceL1", RKind::kL1},
                    {"ReduceL2", RKind::kL2},         {"ReduceSumSquare", RKind::kSumSquare},
                    {"ReduceLogSum", RKind::kLogSum}, {"ReduceLogSumExp", RKind::kLogSumExp}};
  for (const Op& op : ops) {
    // Axes moved from an attribute to an input at opset 13 for ReduceSum and
    // at opset 18 for the others.
    const int input_since = op.kind == RKind::kSum ? 13 : 18;
    const RKind kind = op.kind;
    r.Register(op.name, 1, input_since - 1,
               [kind](KernelContext& ctx) { return ReduceKernel(ctx, kind, false); });
    r.Register(op.name, input_since, std::numeric_limits<int>::max(),
               [kind](KernelContext& ctx) { return ReduceKernel(ctx, kind, true); });
  }
  r.Register("ArgMax", [](KernelContext& ctx) { return ArgKernel(ctx, true); });
  r.Register("ArgMin", [](KernelContext& ctx) { return ArgKernel(ctx, false); });
  r.Register("CumSum", CumSumKernel);
  r.Register("TopK", TopKKernel);
}

}  // namespace onnxsmith::evaluator
