// Keras 3 operations that make arrays or combine vectors, recorded in
// functional models: Size, Ndim, Array, EmptyLike, Full, Linspace/Logspace/
// Geomspace, Meshgrid, Diag/Diagflat, Kron, Cross, Erfinv, Vander, IsIn,
// AllClose, ExtractSequences.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/special_functions.h"
#include "converter/emit/vector_math.h"
#include "converter/keras/keras_ops.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {
namespace {

using ir::Attribute;
using ir::DataType;

// The config's dtype ("float32", ...), or `fallback` when null.
absl::StatusOr<DataType> ConfigDType(LayerContext& ctx, DataType fallback) {
  if (!ctx.has("dtype")) return fallback;
  const std::string name = ctx.String("dtype", "");
  for (const auto& [n, t] : std::vector<std::pair<const char*, DataType>>{
           {"float32", DataType::kFloat}, {"float64", DataType::kDouble},
           {"float16", DataType::kFloat16}, {"int32", DataType::kInt32},
           {"int64", DataType::kInt64}, {"int8", DataType::kInt8}, {"uint8", DataType::kUint8},
           {"bool", DataType::kBool}}) {
    if (name == n) return t;
  }
  return ctx.Unsupported(absl::StrCat("dtype '", name, "'"));
}

// Size, Ndim, Array, EmptyLike, Full: a tensor's size or rank, a cast, or a fill.
absl::Status ConvertFill(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  const std::string x = ctx.input(0);
  if (op == "Size") {  // tf.size: int32
    ctx.SetOutput(0, ctx.Cast(ctx.Reduce("ReduceProd", ctx.AddNode("Shape", {x}), {0}, false),
                              DataType::kInt32));
  } else if (op == "Ndim") {
    ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
    ctx.SetOutput(0, ctx.AddNode("Identity", {ctx.ConstScalar(DataType::kInt32, rank, "rank")}));
  } else if (op == "Array") {
    ASSIGN_OR_RETURN(DataType t, ConfigDType(ctx, ctx.input_dtype(0)));
    ctx.SetOutput(0, ctx.Cast(x, t));
  } else if (op == "EmptyLike") {  // the TF backend gives zeros
    ASSIGN_OR_RETURN(DataType t, ConfigDType(ctx, ctx.input_dtype(0)));
    ctx.SetOutput(0, ctx.AddNode("Expand", {ctx.ConstScalar(t, 0, "zero"), ctx.AddNode("Shape", {x})}));
  } else {  // Full(fill_value) to the config's shape, floatx unless dtype is set
    ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.Ints("shape", 0));
    ASSIGN_OR_RETURN(DataType t, ConfigDType(ctx, DataType::kFloat));
    ctx.SetOutput(0, ctx.AddNode("Expand", {ctx.Cast(x, t), ctx.ConstInt64s(shape, "shape")}));
  }
  return absl::OkStatus();
}

// Linspace, Logspace, Geomspace(start, stop): `num` points along a new axis,
// start + t (stop - start) with constant t = k / (num - 1) (k / num without
// the endpoint), as the TF backend computes them.
absl::Status ConvertSpace(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  if (ctx.Bool("retstep", false)) return ctx.Unsupported("retstep=True");
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  if (xs.size() != 2 || xs[0].empty() || xs[1].empty()) return ctx.Error("expects (start, stop)");
  const int64_t num = ctx.Int("num", 50);
  if (num < 1) return ctx.Unsupported("num < 1");
  const bool endpoint = ctx.Bool("endpoint", true);
  ASSIGN_OR_RETURN(DataType t, ConfigDType(ctx, DataType::kFloat));
  if (!ir::IsFloating(t)) return ctx.Unsupported("an integer dtype");
  std::string start = ctx.Cast(xs[0], t), stop = ctx.Cast(xs[1], t);
  if (op == "Geomspace") {  // logspace of log10 |start|, |stop|, signed as start
    const std::string ln10 = ctx.ConstScalar(t, std::log(10.0), "ln10");
    start = ctx.AddNode("Div", {ctx.AddNode("Log", {ctx.AddNode("Abs", {start})}), ln10});
    stop = ctx.AddNode("Div", {ctx.AddNode("Log", {ctx.AddNode("Abs", {stop})}), ln10});
  }
  const int rank = std::max(ctx.TypeOf(start).rank().value_or(-1), ctx.TypeOf(stop).rank().value_or(-1));
  if (rank < 0) return ctx.Unsupported("start or stop of unknown rank");
  std::vector<float> steps;
  const double div = endpoint ? static_cast<double>(std::max<int64_t>(num - 1, 1)) : static_cast<double>(num);
  for (int64_t k = 0; k < num; ++k) steps.push_back(static_cast<float>(k / div));
  std::vector<int64_t> tdims(rank + 1, 1);
  tdims[0] = num;
  auto tconst = ir::Tensor::FromVector<float>(tdims, steps).CastTo(t);
  if (!tconst.ok()) return ctx.Error(std::string(tconst.status().message()));
  const std::string su = ctx.Unsqueeze(start, {0});
  std::string y = ctx.AddNode(
      "Add", {su, ctx.AddNode("Mul", {ctx.AddConst(*tconst, "t"),
                                      ctx.AddNode("Sub", {ctx.Unsqueeze(stop, {0}), su})})});
  if (op != "Linspace") {
    const double base = op == "Logspace" ? ctx.Float("base", 10.0) : 10.0;
    y = ctx.AddNode("Pow", {ctx.ConstScalar(t, base, "base"), y});
  }
  if (op == "Geomspace") {
    y = ctx.AddNode("Mul", {y, ctx.Unsqueeze(ctx.AddNode("Sign", {ctx.Cast(xs[0], t)}), {0})});
  }
  ASSIGN_OR_RETURN(int64_t axis, OpAxis(ctx, ctx.Int("axis", 0), rank + 1));
  std::vector<int64_t> perm;
  for (int k = 1; k <= rank; ++k) perm.push_back(k);
  perm.insert(perm.begin() + axis, 0);
  ctx.SetOutput(0, ctx.Transpose(y, perm));
  return absl::OkStatus();
}

// Meshgrid(*x): each input flattened, reshaped along its own axis ('xy'
// swaps the first two) and expanded to the grid of all their lengths.
absl::Status ConvertMeshgrid(LayerContext& ctx) {
  const int n = ctx.num_inputs();
  const bool xy = ctx.String("indexing", "xy") == "xy";
  std::vector<std::string> flat, lengths(n);
  auto position = [&](int i) { return xy && n >= 2 && i < 2 ? 1 - i : i; };
  for (int i = 0; i < n; ++i) {
    flat.push_back(ctx.Reshape(ctx.input(i), {-1}));
    lengths[position(i)] = ctx.AddNode("Shape", {flat.back()});
  }
  const std::string shape = ctx.AddNode("Concat", lengths, {Attribute::Int("axis", 0)});
  for (int i = 0; i < n; ++i) {
    std::vector<int64_t> dims(n, 1);
    dims[position(i)] = -1;
    ctx.SetOutput(i, ctx.AddNode("Expand", {ctx.Reshape(flat[i], dims), shape}));
  }
  return absl::OkStatus();
}

// Diag(x, k): a 1-D x as the k-th diagonal of a square matrix, or the k-th
// diagonal of a 2-D x; Diagflat: x flattened, then as a 1-D Diag. Static sizes.
absl::Status ConvertDiag(LayerContext& ctx) {
  const int64_t k = ctx.Int("k", 0);
  auto dims = ctx.input_dims(0);
  if (!dims) return ctx.Unsupported("an input of unknown rank");
  for (int64_t d : *dims) {
    if (d < 0) return ctx.Unsupported("an input of unknown size (e.g. with the batch axis)");
  }
  std::string x = ctx.input(0);
  int64_t size = 1;
  for (int64_t d : *dims) size *= d;
  if (ctx.class_name() == "Diagflat") {
    x = ctx.Reshape(x, {-1});
    dims = std::vector<int64_t>{size};
  }
  if (dims->size() == 2) {  // the diagonal: gathered from x flattened
    const int64_t rows = (*dims)[0], cols = (*dims)[1];
    std::vector<int64_t> idx;
    for (int64_t i = std::max<int64_t>(0, -k); i < rows && i + k < cols; ++i) idx.push_back(i * cols + i + k);
    if (idx.empty()) return ctx.Unsupported("an offset outside the matrix (an empty result)");
    ctx.SetOutput(0, ctx.AddNode("Gather", {ctx.Reshape(x, {-1}), ctx.ConstInt64s(idx, "diagonal")},
                                 {Attribute::Int("axis", 0)}));
    return absl::OkStatus();
  }
  if (dims->size() != 1) return ctx.Error("expects a 1-D or 2-D input");
  const int64_t n = (*dims)[0], m = n + std::abs(k);
  // out[r][c] = x[min(r, c)] where c - r == k, else 0: a gather and a mask.
  std::vector<int64_t> idx(m * m, 0);
  std::vector<float> mask(m * m, 0.0f);
  for (int64_t r = 0; r < m; ++r) {
    const int64_t c = r + k;
    if (c < 0 || c >= m) continue;
    idx[r * m + c] = std::min(r, c);
    mask[r * m + c] = 1.0f;
  }
  const std::string on = ctx.Cast(ctx.ConstFloats({m, m}, mask, "mask"), DataType::kBool);
  const std::string vals = ctx.AddNode(
      "Gather", {x, ctx.AddConst(ir::Tensor::FromVector<int64_t>({m, m}, idx), "index")},
      {Attribute::Int("axis", 0)});
  ctx.SetOutput(0, ctx.AddNode("Where", {on, vals, ctx.ConstScalar(ctx.input_dtype(0), 0, "zero")}));
  return absl::OkStatus();
}

// Kron(a, b): a's axes interleaved with b's ([a0, 1, a1, 1] * [1, b0, 1, b1]),
// the pairs merged (the shape a.shape * b.shape, computed at run time).
absl::Status ConvertKron(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  if (xs.size() != 2 || xs[0].empty() || xs[1].empty()) return ctx.Error("expects two operands");
  std::string a = xs[0], b = xs[1];
  const auto ra = ctx.TypeOf(a).rank(), rb = ctx.TypeOf(b).rank();
  if (!ra || !rb) return ctx.Unsupported("operands of unknown rank");
  const int r = std::max(*ra, *rb);
  auto lead = [&](std::string v, int have) {
    std::vector<int64_t> axes;
    for (int i = 0; i < r - have; ++i) axes.push_back(i);
    return axes.empty() ? v : ctx.Unsqueeze(v, axes);
  };
  a = lead(a, *ra);
  b = lead(b, *rb);
  std::vector<int64_t> odd, even;
  for (int i = 0; i < r; ++i) {
    odd.push_back(2 * i + 1);
    even.push_back(2 * i);
  }
  const std::string prod = ctx.AddNode("Mul", {ctx.Unsqueeze(a, odd), ctx.Unsqueeze(b, even)});
  const std::string shape =
      ctx.AddNode("Mul", {ctx.AddNode("Shape", {a}), ctx.AddNode("Shape", {b})});
  ctx.SetOutput(0, ctx.AddNode("Reshape", {prod, shape}));
  return absl::OkStatus();
}

// Cross(a, b) of 3-vectors along axisa/axisb (or `axis`), the result's along axisc.
absl::Status ConvertCross(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  if (xs.size() != 2 || xs[0].empty() || xs[1].empty()) return ctx.Error("expects two operands");
  const bool all = ctx.has("axis");
  auto last = [&](std::string v, const char* key) -> absl::StatusOr<std::string> {
    const auto rank = ctx.TypeOf(v).rank();
    auto dims = ctx.StaticDims(v);
    if (!rank || !dims) return ctx.Unsupported("operands of unknown rank");
    ASSIGN_OR_RETURN(int64_t a, OpAxis(ctx, all ? ctx.Int("axis", -1) : ctx.Int(key, -1), *rank));
    if ((*dims)[a] != 3) return ctx.Unsupported("vectors of other than 3 components");
    std::vector<int64_t> perm;
    for (int k = 0; k < *rank; ++k) if (k != a) perm.push_back(k);
    perm.push_back(a);
    return ctx.Transpose(v, perm);
  };
  ASSIGN_OR_RETURN(std::string a, last(xs[0], "axisa"));
  ASSIGN_OR_RETURN(std::string b, last(xs[1], "axisb"));
  std::string y = EmitCross3(ctx, a, b);
  const auto rank = ctx.TypeOf(y).rank();
  if (!rank) return ctx.Unsupported("operands of unknown rank");
  ASSIGN_OR_RETURN(int64_t c, OpAxis(ctx, all ? ctx.Int("axis", -1) : ctx.Int("axisc", -1), *rank));
  std::vector<int64_t> perm;
  for (int k = 0; k < *rank - 1; ++k) perm.push_back(k);
  perm.insert(perm.begin() + c, *rank - 1);
  ctx.SetOutput(0, ctx.Transpose(y, perm));
  return absl::OkStatus();
}

absl::Status ConvertErfinv(LayerContext& ctx) {
  const DataType t = ctx.input_dtype(0);
  if (!ir::IsFloating(t)) return ctx.Unsupported("a non-float input");
  ctx.SetOutput(0, EmitErfinv(ctx, ctx.input(0), t));
  return absl::OkStatus();
}

// Vander(x [n], N): powers of x (decreasing unless increasing=True) computed
// in float, cast back to x's type.
absl::Status ConvertVander(LayerContext& ctx) {
  auto dims = ctx.input_dims(0);
  if (!dims || dims->size() != 1) return ctx.Error("expects a 1-D input");
  const int64_t n = ctx.has("N") ? ctx.Int("N", 0) : (*dims)[0];
  if (n < 0) return ctx.Unsupported("N taken from an input of unknown length");
  const DataType t = ctx.input_dtype(0);
  const DataType ct = t == DataType::kDouble ? DataType::kDouble : DataType::kFloat;
  std::vector<float> powers;
  for (int64_t k = 0; k < n; ++k) powers.push_back(static_cast<float>(ctx.Bool("increasing", false) ? k : n - 1 - k));
  auto p = ir::Tensor::FromVector<float>({n}, powers).CastTo(ct);
  if (!p.ok()) return ctx.Error(std::string(p.status().message()));
  ctx.SetOutput(0, ctx.Cast(ctx.AddNode("Pow", {ctx.Unsqueeze(ctx.Cast(ctx.input(0), ct), {-1}),
                                                ctx.AddConst(*p, "powers")}),
                            t));
  return absl::OkStatus();
}

// IsIn(x1, x2): any element of x2 equal to each of x1 (a [size(x1), size(x2)]
// comparison); AllClose(x1, x2): |x1 - x2| <= atol + rtol |x2| where finite,
// or equal, everywhere.
absl::Status ConvertMembership(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  if (xs.size() != 2 || xs[0].empty() || xs[1].empty()) return ctx.Error("expects two operands");
  const DataType t = ctx.TypeOf(xs[0]).dtype;
  const std::string a = xs[0], b = ctx.Cast(xs[1], t);
  if (ctx.class_name() == "IsIn") {
    const std::string eq = ctx.AddNode("Equal", {ctx.Unsqueeze(ctx.Reshape(a, {-1}), {1}),
                                                 ctx.Unsqueeze(ctx.Reshape(b, {-1}), {0})});
    std::string y = ctx.Cast(ctx.Reduce("ReduceMax", ctx.Cast(eq, DataType::kInt32), {1}, false), DataType::kBool);
    if (ctx.Bool("invert", false)) y = ctx.AddNode("Not", {y});
    ctx.SetOutput(0, ctx.AddNode("Reshape", {y, ctx.AddNode("Shape", {a})}));
    return absl::OkStatus();
  }
  std::string ok = ctx.AddNode("Equal", {a, b});
  if (ir::IsFloating(t)) {
    auto finite = [&](const std::string& v) {
      return ctx.AddNode("Not", {ctx.AddNode("Or", {ctx.AddNode("IsNaN", {v}), ctx.AddNode("IsInf", {v})})});
    };
    const std::string tol = ctx.AddNode(
        "Add", {ctx.ConstScalar(t, ctx.Float("atol", 1e-8), "atol"),
                ctx.AddNode("Mul", {ctx.ConstScalar(t, ctx.Float("rtol", 1e-5), "rtol"), ctx.AddNode("Abs", {b})})});
    const std::string close = ctx.AddNode("LessOrEqual", {ctx.AddNode("Abs", {ctx.AddNode("Sub", {a, b})}), tol});
    ok = ctx.AddNode("Or", {ctx.AddNode("And", {ctx.AddNode("And", {finite(a), finite(b)}), close}), ok});
    if (ctx.Bool("equal_nan", false)) {
      ok = ctx.AddNode("Or", {ok, ctx.AddNode("And", {ctx.AddNode("IsNaN", {a}), ctx.AddNode("IsNaN", {b})})});
    }
  }
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  std::vector<int64_t> axes;
  for (int k = 0; k < std::max(rank, ctx.TypeOf(ok).rank().value_or(rank)); ++k) axes.push_back(k);
  ctx.SetOutput(0, ctx.Cast(ctx.Reduce("ReduceMin", ctx.Cast(ok, DataType::kInt32), axes, false), DataType::kBool));
  return absl::OkStatus();
}

// ExtractSequences(x, sequence_length, sequence_stride): tf.signal.frame of
// the last axis (static size), a Gather of a constant [frames, length] index.
absl::Status ConvertExtractSequences(LayerContext& ctx) {
  auto dims = ctx.input_dims(0);
  if (!dims || dims->empty() || dims->back() < 0) return ctx.Unsupported("a last axis of unknown size");
  ASSIGN_OR_RETURN(int64_t len, ctx.RequiredInt("sequence_length"));
  ASSIGN_OR_RETURN(int64_t stride, ctx.RequiredInt("sequence_stride"));
  const int64_t size = dims->back();
  if (len < 1 || stride < 1 || len > size) return ctx.Unsupported("a sequence longer than the axis");
  const int64_t frames = 1 + (size - len) / stride;
  std::vector<int64_t> idx;
  for (int64_t f = 0; f < frames; ++f) {
    for (int64_t k = 0; k < len; ++k) idx.push_back(f * stride + k);
  }
  ctx.SetOutput(0, ctx.AddNode("Gather", {ctx.input(0), ctx.AddConst(ir::Tensor::FromVector<int64_t>({frames, len}, idx), "frames")},
                               {Attribute::Int("axis", -1)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasCreationOps(LayerRegistry& r) {
  r.Register(Prefixed({"Size", "Ndim", "Array", "EmptyLike", "Full"}), Inputs(1), ConvertFill,
             "Keras 3 operation; Size int32; EmptyLike gives zeros (as the TF backend)");
  r.Register(Prefixed({"Linspace", "Logspace", "Geomspace"}), InputsAtLeast(1), ConvertSpace,
             "Keras 3 operation; tensor or number start/stop; not retstep=True");
  r.Register(Prefixed({"Meshgrid"}), InputsAtLeast(1), ConvertMeshgrid, "Keras 3 operation");
  r.Register(Prefixed({"Diag", "Diagflat"}), Inputs(1), ConvertDiag,
             "Keras 3 operation; inputs of static shape");
  r.Register(Prefixed({"Kron"}), InputsAtLeast(1), ConvertKron, "Keras 3 operation");
  r.Register(Prefixed({"Cross"}), InputsAtLeast(1), ConvertCross,
             "Keras 3 operation; 3-component vectors");
  r.Register(Prefixed({"Vander"}), Inputs(1), ConvertVander, "Keras 3 operation; 1-D input");
  r.Register(Prefixed({"IsIn", "AllClose"}), InputsAtLeast(1), ConvertMembership, "Keras 3 operation");
  r.Register(Prefixed({"ExtractSequences"}), Inputs(1), ConvertExtractSequences,
             "Keras 3 operation; a last axis of static size");
  r.Register(Prefixed({"Erfinv"}), Inputs(1), ConvertErfinv,
             "Keras 3 operation; Giles' float32 approximation (emit/special_functions.h)");
}

}  // namespace onnxsmith::converter::keras
