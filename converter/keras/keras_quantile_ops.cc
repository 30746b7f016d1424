// keras.ops.quantile, percentile and median (Keras' TF backend, after
// tfp.stats.percentile): the reduced axes moved last and flattened, sorted
// with TopK, then the order statistics the method names gathered at indices
// known when converting (the reduced size and q are static), mixed with
// constant weights for linear and midpoint. NaN anywhere in a reduced slice
// makes its result NaN; a vector q becomes the leading output axis.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/keras_ops.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {
namespace {

using ir::Attribute;
using ir::DataType;

// q as saved in the call (a number or a list of numbers), scaled to [0, 1].
absl::StatusOr<std::vector<double>> QuantilesOf(LayerContext& ctx, bool* vector_q) {
  const std::string& full = ctx.class_name();
  const std::string cls = full.substr(full.rfind('.') + 1);  // "Median" or "ops.Median"
  *vector_q = false;
  if (cls == "Median") return std::vector<double>{0.5};
  const Json& args = ctx.call_args();
  const Json* q = args.is_array() && args.size() > 1 ? &args[1] : nullptr;
  if (q == nullptr && ctx.call_kwargs().is_object()) q = Find(ctx.call_kwargs(), "q");
  if (q == nullptr || q->is_null()) return ctx.Error("has no q");
  const double scale = cls == "Percentile" ? 100.0 : 1.0;
  std::vector<double> out;
  if (q->is_number()) {
    out.push_back(q->get<double>() / scale);
  } else if (q->is_array()) {
    *vector_q = true;
    for (const Json& v : *q) {
      if (!v.is_number()) return ctx.Unsupported(absl::StrCat("q = ", DumpJson(*q)));
      out.push_back(v.get<double>() / scale);
    }
  } else {
    return ctx.Unsupported("q computed at run time (a tensor); a number or a list of numbers converts");
  }
  for (double v : out) {
    if (!(v >= 0.0 && v <= 1.0)) return ctx.Error(absl::StrCat("q = ", v * scale, " is out of range"));
  }
  return out;
}

absl::Status QuantileOp(LayerContext& ctx) {
  bool vector_q = false;
  ASSIGN_OR_RETURN(const std::vector<double> qs, QuantilesOf(ctx, &vector_q));
  const std::string method = ctx.String("method", "linear");
  // TODO: lower/higher/nearest/midpoint are emitted below but disagreed with
  // Keras in tests/oracle/test_keras_quantile.py; refused until fixed.
  if (method != "linear") {
    return ctx.Unsupported(absl::StrCat("method '", method, "' (linear converts)"));
  }
  ASSIGN_OR_RETURN(const int rank, ctx.InputRank(0));
  auto dims = ctx.input_dims(0);
  if (!dims) return ctx.Unsupported("an input of unknown shape");
  std::vector<int64_t> axes;
  const bool all = !ctx.has("axis");
  ASSIGN_OR_RETURN(std::vector<int64_t> given, AxesOrAll(ctx));
  for (int64_t a : given) {
    ASSIGN_OR_RETURN(int64_t ax, OpAxis(ctx, a, rank));
    axes.push_back(ax);
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  int64_t n = 1;
  std::vector<int64_t> perm;
  for (int a = 0; a < rank; ++a) {
    if (!std::binary_search(axes.begin(), axes.end(), a)) perm.push_back(a);
  }
  const size_t kept = perm.size();
  for (int64_t a : axes) {
    if ((*dims)[a] < 0) {
      return ctx.Unsupported("reducing an axis of unknown size (e.g. the batch axis with axis=None)");
    }
    n *= (*dims)[a];
    perm.push_back(a);
  }
  if (n == 0) return ctx.Unsupported("the quantile of an empty tensor");
  std::string x = ctx.input(0);
  DataType t = ctx.input_dtype(0);
  if (t != DataType::kFloat && t != DataType::kDouble && t != DataType::kFloat16) {
    x = ctx.Cast(x, DataType::kFloat);
    t = DataType::kFloat;
  }
  std::vector<int64_t> flat(kept, 0);
  flat.push_back(n);
  const std::string y = ctx.Reshape(ctx.Transpose(x, perm), flat);
  const std::string sorted = ctx.AddNodeMulti(
      "TopK", {y, ctx.ConstInt64s({n}, "n")}, 2,
      {Attribute::Int("axis", -1), Attribute::Int("largest", 0), Attribute::Int("sorted", 1)})[0];
  // Indices and weights per q, as the TF backend computes them (float64 positions).
  auto index = [&](double v) { return std::clamp<int64_t>(static_cast<int64_t>(v), 0, n - 1); };
  std::vector<int64_t> lower, higher;
  std::vector<float> w_higher, w_lower;
  for (double q : qs) {
    const double exact = static_cast<double>(n - 1) * q;
    if (method == "linear") {
      int64_t hi = index(std::ceil(exact));
      const int64_t lo = std::max<int64_t>(hi - 1, 0);
      hi = std::min<int64_t>(lo + 1, n - 1);
      const float fraction = static_cast<float>(static_cast<double>(hi) - exact);
      lower.push_back(lo);
      higher.push_back(hi);
      w_higher.push_back(1.0f - fraction);
      w_lower.push_back(fraction);
    } else {
      lower.push_back(method == "nearest" ? index(std::nearbyint(exact))  // half to even
                      : method == "higher" ? index(std::ceil(exact))
                                           : index(std::floor(exact)));
      higher.push_back(index(std::ceil(exact)));
    }
  }
  const std::vector<int64_t> qdims =
      vector_q ? std::vector<int64_t>{static_cast<int64_t>(qs.size())} : std::vector<int64_t>{};
  auto gather = [&](const std::vector<int64_t>& idx, const char* hint) {
    return ctx.AddNode("Gather",
                       {sorted, ctx.AddConst(ir::Tensor::FromVector<int64_t>(qdims, idx), hint)},
                       {Attribute::Int("axis", -1)});
  };
  auto weights = [&](const std::vector<float>& w, const char* hint) {
    return ctx.AddConst(*ir::Tensor::FromVector<float>(qdims, w).CastTo(t), hint);
  };
  std::string out;
  if (method == "linear") {
    out = ctx.AddNode("Add", {ctx.AddNode("Mul", {gather(higher, "higher"), weights(w_higher, "w_higher")}),
                              ctx.AddNode("Mul", {gather(lower, "lower"), weights(w_lower, "w_lower")})});
  } else if (method == "midpoint") {
    out = ctx.AddNode("Mul", {ctx.AddNode("Add", {gather(lower, "lower"), gather(higher, "higher")}),
                              ctx.ConstScalar(t, 0.5, "half")});
  } else {
    out = gather(lower, "index");
  }
  // NaN propagation: any NaN in the slice.
  const std::string has_nan = ctx.Cast(
      ctx.Reduce("ReduceMax", ctx.Cast(ctx.AddNode("IsNaN", {y}), DataType::kFloat), {static_cast<int64_t>(kept)}, false),
      DataType::kBool);
  std::string nan_mask = has_nan;
  if (vector_q) nan_mask = ctx.Unsqueeze(has_nan, {-1});
  out = ctx.AddNode("Where", {nan_mask, ctx.ConstScalar(t, std::nan(""), "nan"), out});
  int out_rank = static_cast<int>(kept) + (vector_q ? 1 : 0);
  if (ctx.Bool("keepdims", false)) {
    if (all) {
      std::vector<int64_t> shape(rank, 1);
      if (vector_q) shape.push_back(static_cast<int64_t>(qs.size()));
      out = ctx.Reshape(out, shape);
      out_rank = static_cast<int>(shape.size());
    } else {
      out = ctx.Unsqueeze(out, axes);
      out_rank += static_cast<int>(axes.size());
    }
  }
  if (vector_q && out_rank >= 2) {  // q's axis first
    std::vector<int64_t> rotate = {out_rank - 1};
    for (int a = 0; a < out_rank - 1; ++a) rotate.push_back(a);
    out = ctx.Transpose(out, rotate);
  }
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasQuantileOps(LayerRegistry& r) {
  r.Register(Prefixed({"Quantile", "Percentile", "Median"}), InputsAtLeast(1), QuantileOp,
             "Keras 3 operation; q a number or a list (not a tensor); method linear only; the reduced "
             "axes of static size");
}

}  // namespace onnxsmith::converter::keras
