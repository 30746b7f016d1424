// More Keras 3 operations, one handler per family: sorting (Sort, Argsort,
// TopK), contractions (Einsum, Tensordot, Dot, Inner, Outer, Vdot), scans
// (Cumprod), elementwise functions without a single ONNX op (Arctan2, Erfc,
// Cbrt, Sinc, Heaviside, ...), triangles (Tril, Triu), rearrangements (Repeat,
// Roll, Diff, Fliplr/Flipud, stacking), NaN-aware reductions and norms.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
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

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

bool IsFloat(DataType t) { return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16; }

// The static size of `axis` (normalized) of input i, or an error naming what needs it.
absl::StatusOr<int64_t> StaticDim(LayerContext& ctx, int i, int64_t axis, const char* why) {
  auto dims = ctx.input_dims(i);
  if (!dims || axis >= static_cast<int64_t>(dims->size()) || (*dims)[axis] < 0) {
    return ctx.Unsupported(absl::StrCat(why, " along an axis of unknown size"));
  }
  return (*dims)[axis];
}

std::string SliceAxis(LayerContext& ctx, const std::string& x, int64_t axis, int64_t start, int64_t end) {
  return ctx.AddNode("Slice", {x, ctx.ConstInt64s({start}, "starts"), ctx.ConstInt64s({end}, "ends"),
                               ctx.ConstInt64s({axis}, "axes")});
}

// Sort and Argsort (ascending along `axis`), TopK (largest k along the last
// axis): ONNX TopK, which breaks ties by the lower index as numpy's stable sort.
absl::Status ConvertSort(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  const bool topk = op == "TopK";
  ASSIGN_OR_RETURN(int64_t axis, OpAxis(ctx, topk ? -1 : ctx.Int("axis", -1), rank));
  int64_t k = 0;
  if (topk) {
    ASSIGN_OR_RETURN(k, ctx.RequiredInt("k"));
    if (!ctx.Bool("sorted", true)) return ctx.Unsupported("sorted=False (the order is unspecified)");
  } else {
    ASSIGN_OR_RETURN(k, StaticDim(ctx, 0, axis, "sorting"));
  }
  const auto outs = ctx.AddNodeMulti(
      "TopK", {ctx.input(0), ctx.ConstInt64s({k}, "k")}, 2,
      {Attribute::Int("axis", axis), Attribute::Int("largest", topk ? 1 : 0), Attribute::Int("sorted", 1)});
  if (op == "Sort") {
    ctx.SetOutput(0, outs[0]);
  } else if (op == "Argsort") {
    ctx.SetOutput(0, ctx.Cast(outs[1], DataType::kInt32));
  } else {
    ctx.SetOutput(0, outs[0]);
    ctx.SetOutput(1, ctx.Cast(outs[1], DataType::kInt32));
  }
  return absl::OkStatus();
}

std::string Letters(int from, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('a' + from + i);
  return s;
}

// Einsum with Keras's subscripts; Tensordot, Dot, Inner, Outer and Vdot as an
// Einsum equation built from the operand ranks.
absl::Status ConvertContraction(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  for (const std::string& x : xs) {
    if (x.empty()) return ctx.Error("a null operand");
  }
  if (op == "Einsum") {
    ctx.SetOutput(0, ctx.AddNode("Einsum", xs, {Attribute::String("equation", ctx.String("subscripts", ""))}));
    return absl::OkStatus();
  }
  if (xs.size() != 2) return ctx.Error("expects two operands");
  std::string a = xs[0], b = xs[1];
  if (op == "Vdot") {
    a = ctx.Reshape(a, {-1});
    b = ctx.Reshape(b, {-1});
  }
  const std::optional<int> ra = ctx.TypeOf(a).rank(), rb = ctx.TypeOf(b).rank();
  if (!ra || !rb) return ctx.Unsupported("operands of unknown rank");
  const int n = static_cast<int>(*ra), m = static_cast<int>(*rb);
  std::string ea = Letters(0, n), eb = Letters(n, m);
  std::vector<std::pair<int, int>> pairs;  // contracted (axis of a, axis of b)
  if (op == "Outer") {
    a = ctx.Reshape(a, {-1});
    b = ctx.Reshape(b, {-1});
    ea = "a";
    eb = "b";
  } else if (op == "Inner" || op == "Vdot") {
    if (n > 0 && m > 0) pairs.push_back({n - 1, m - 1});
  } else if (op == "Dot") {
    if (n > 0 && m > 0) pairs.push_back({n - 1, m >= 2 ? m - 2 : 0});
  } else {  // Tensordot
    const Json* axes = ctx.cfg("axes");
    if (axes && axes->is_number_integer()) {
      const int k = axes->get<int>();
      if (k > n || k > m) return ctx.Error("axes exceeds an operand's rank");
      for (int i = 0; i < k; ++i) pairs.push_back({n - k + i, i});
    } else if (axes && axes->is_array() && axes->size() == 2) {
      auto side = [&](const Json& v) {
        std::vector<int64_t> out;
        if (v.is_number_integer()) out.push_back(v.get<int64_t>());
        if (v.is_array()) {
          for (const Json& e : v) out.push_back(e.is_number_integer() ? e.get<int64_t>() : kMax);
        }
        return out;
      };
      const auto l = side((*axes)[0]), r = side((*axes)[1]);
      if (l.size() != r.size()) return ctx.Error("axes lists differ in length");
      for (size_t i = 0; i < l.size(); ++i) {
        ASSIGN_OR_RETURN(int64_t x, OpAxis(ctx, l[i], n));
        ASSIGN_OR_RETURN(int64_t y, OpAxis(ctx, r[i], m));
        pairs.push_back({static_cast<int>(x), static_cast<int>(y)});
      }
    } else {
      return ctx.Unsupported(absl::StrCat("axes=", axes ? DumpJson(*axes) : "null"));
    }
  }
  for (const auto& [i, j] : pairs) eb[j] = ea[i];
  std::string out;
  for (char c : ea + eb) {
    bool contracted = false;
    for (const auto& [i, j] : pairs) contracted |= c == ea[i];
    if (!contracted) out += c;
  }
  ctx.SetOutput(0, ctx.AddNode("Einsum", {a, b}, {Attribute::String("equation", absl::StrCat(ea, ",", eb, "->", out))}));
  return absl::OkStatus();
}

// Cumprod along an axis of static size n: y_k = prod_{j <= k} x_j as a ReduceProd
// over [.., n(k), n(j), ..] with x_j for j <= k and 1 elsewhere (ONNX has no CumProd).
absl::Status ConvertCumprod(LayerContext& ctx) {
  const Json* dtype = ctx.cfg("dtype");
  if (dtype && !dtype->is_null()) return ctx.Unsupported("dtype");
  std::string x = ctx.input(0);
  int rank = 1;
  int64_t axis = 0, n = 0;
  if (ctx.has("axis")) {
    ASSIGN_OR_RETURN(rank, ctx.InputRank(0));
    ASSIGN_OR_RETURN(axis, OpAxis(ctx, ctx.Int("axis", 0), rank));
    ASSIGN_OR_RETURN(n, StaticDim(ctx, 0, axis, "cumprod"));
  } else {
    auto dims = ctx.input_dims(0);
    n = 1;
    for (int64_t d : dims ? *dims : std::vector<int64_t>{-1}) n = d < 0 || n < 0 ? -1 : n * d;
    if (n < 0) return ctx.Unsupported("cumprod of the flattened input of unknown size");
    x = ctx.Reshape(x, {-1});
  }
  if (n > 4096) return ctx.Unsupported("cumprod along an axis longer than 4096 (an n x n expansion)");
  std::vector<int64_t> dims = {n, n};
  for (int a = static_cast<int>(axis) + 1; a < rank; ++a) dims.push_back(1);
  std::vector<bool> keep(n * n);
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < n; ++j) keep[k * n + j] = j <= k;
  }
  auto mask = ir::Tensor::FromVector<bool>(dims, keep);
  const std::string spread = ctx.Unsqueeze(x, {axis});  // [.., 1, n(j), ..]
  const std::string terms = ctx.AddNode("Where", {ctx.AddConst(mask, "lower"), spread,
                                                  ctx.ConstScalar(ctx.input_dtype(0), 1.0, "one")});
  ctx.SetOutput(0, ctx.Reduce("ReduceProd", terms, {axis + 1}, false));
  return absl::OkStatus();
}

// Elementwise functions of one or two operands written with several ONNX ops.
absl::Status ConvertElementwise(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  if (xs.empty() || xs[0].empty()) return ctx.Error("expects a tensor operand");
  const std::string x = xs[0];
  const DataType t = ctx.TypeOf(x).dtype;
  auto c = [&](double v, const char* hint) { return ctx.ConstScalar(t, v, hint); };
  auto node = [&](const char* type, std::vector<std::string> in) { return ctx.AddNode(type, std::move(in)); };
  const std::string y = xs.size() > 1 ? xs[1] : "";
  if ((op == "Arctan2" || op == "Heaviside" || op == "Logaddexp2" || op == "Fmod" || op == "Ldexp" ||
       op == "DivideNoNan" || op == "Isclose") && y.empty()) {
    return ctx.Error("expects two operands");
  }
  std::string r;
  if (op == "Arctan2") {
    // atan(x1 / x2), plus +-pi (the sign of x1) where x2 is negative; 1/v tells -0
    // from +0 as numpy does (atan2(+-0, -0) = +-pi); 0/0 is settled separately.
    auto negative = [&](const std::string& v) { return node("Less", {node("Reciprocal", {v}), c(0, "zero")}); };
    const std::string base = node("Atan", {node("Div", {x, y})});
    const std::string pi = ctx.AddNode("Where", {negative(x), c(-M_PI, "minus_pi"), c(M_PI, "pi")});
    const std::string y_neg = negative(y);
    const std::string fixed = ctx.AddNode("Where", {y_neg, node("Add", {base, pi}), base});
    const std::string both_zero = node("And", {node("Equal", {x, c(0, "zero")}), node("Equal", {y, c(0, "zero")})});
    r = ctx.AddNode("Where", {both_zero, ctx.AddNode("Where", {y_neg, pi, x}), fixed});
  } else if (op == "Heaviside") {
    r = ctx.AddNode("Where", {node("Less", {x, c(0, "zero")}), c(0, "zero"),
                              ctx.AddNode("Where", {node("Equal", {x, c(0, "zero")}), y, c(1, "one")})});
  } else if (op == "Logaddexp2") {
    // log2(2^x + 2^y) = max + log2(1 + 2^-|x - y|)
    const std::string d = node("Neg", {node("Abs", {node("Sub", {x, y})})});
    const std::string l = node("Log", {node("Add", {c(1, "one"), node("Pow", {c(2, "two"), d})})});
    r = node("Add", {node("Max", {x, y}), node("Div", {l, c(std::log(2.0), "ln2")})});
  } else if (op == "Fmod") {
    r = ctx.AddNode("Mod", {x, y}, {Attribute::Int("fmod", IsFloat(t) ? 1 : 0)});
  } else if (op == "Ldexp") {
    r = node("Mul", {x, node("Pow", {c(2, "two"), ctx.Cast(y, t)})});
  } else if (op == "DivideNoNan") {
    r = ctx.AddNode("Where", {node("Equal", {y, c(0, "zero")}), c(0, "zero"), node("Div", {x, y})});
  } else if (op == "Isclose") {
    // |x - y| <= atol + rtol * |y|, rtol and atol saved as call arguments.
    if (ctx.Bool("equal_nan", false)) return ctx.Unsupported("equal_nan=True");
    const std::string rtol = xs.size() > 2 && !xs[2].empty() ? xs[2] : c(1e-5, "rtol");
    const std::string atol = xs.size() > 3 && !xs[3].empty() ? xs[3] : c(1e-8, "atol");
    r = node("LessOrEqual", {node("Abs", {node("Sub", {x, y})}),
                             node("Add", {atol, node("Mul", {rtol, node("Abs", {y})})})});
  } else if (op == "Erfc") {
    r = node("Sub", {c(1, "one"), node("Erf", {x})});
  } else if (op == "Cbrt") {
    r = node("Mul", {node("Sign", {x}), node("Pow", {node("Abs", {x}), c(1.0 / 3.0, "third")})});
  } else if (op == "Sinc") {
    const std::string px = node("Mul", {x, c(M_PI, "pi")});
    const std::string zero = node("Equal", {x, c(0, "zero")});
    const std::string safe = ctx.AddNode("Where", {zero, c(1, "one"), px});
    r = ctx.AddNode("Where", {zero, c(1, "one"), node("Div", {node("Sin", {safe}), safe})});
  } else if (op == "Isneginf" || op == "Isposinf") {
    if (!IsFloat(t)) {
      r = ctx.Cast(node("Mul", {x, ctx.ConstScalar(t, 0, "zero")}), DataType::kBool);
    } else {
      r = ctx.AddNode("IsInf", {x}, {Attribute::Int("detect_negative", op == "Isneginf" ? 1 : 0),
                                     Attribute::Int("detect_positive", op == "Isposinf" ? 1 : 0)});
    }
  } else if (op == "Signbit") {
    // 1/x keeps the sign of zeros: signbit(-0.0) is true.
    r = IsFloat(t) ? node("Less", {node("Reciprocal", {x}), c(0, "zero")}) : node("Less", {x, c(0, "zero")});
  } else if (op == "Threshold") {
    r = ctx.AddNode("Where", {node("Greater", {x, c(ctx.Float("threshold", 0), "threshold")}), x,
                              c(ctx.Float("default_value", 0), "default")});
  } else if (op == "NanToNum") {
    if (!IsFloat(t)) {
      r = x;
    } else {
      const double big = t == DataType::kDouble ? std::numeric_limits<double>::max()
                         : t == DataType::kFloat16 ? 65504.0 : std::numeric_limits<float>::max();
      auto opt = [&](const char* key, double fallback) {
        const Json* v = ctx.cfg(key);
        return v && v->is_number() ? v->get<double>() : fallback;
      };
      r = ctx.AddNode("Where", {node("IsNaN", {x}), c(opt("nan", 0.0), "nan"), x});
      r = ctx.AddNode("Where", {ctx.AddNode("IsInf", {x}, {Attribute::Int("detect_negative", 0)}),
                                c(opt("posinf", big), "posinf"), r});
      r = ctx.AddNode("Where", {ctx.AddNode("IsInf", {x}, {Attribute::Int("detect_positive", 0)}),
                                c(opt("neginf", -big), "neginf"), r});
    }
  } else if (op == "Ravel") {
    r = ctx.Reshape(x, {-1});
  } else if (op == "FullLike") {
    if (y.empty()) return ctx.Error("expects a fill value");
    const Json* dtype = ctx.cfg("dtype");
    if (dtype && !dtype->is_null()) return ctx.Unsupported("dtype");
    r = ctx.AddNode("Expand", {ctx.Cast(y, t), ctx.AddNode("Shape", {x})});
  } else {
    return ctx.Unsupported("this operation");
  }
  ctx.SetOutput(0, r);
  return absl::OkStatus();
}

// Tril / Triu: ONNX Trilu (opset 14) on the last two axes.
absl::Status ConvertTriangle(LayerContext& ctx) {
  if (ctx.opset() < 14) return ctx.Unsupported("below opset 14 (ONNX Trilu)");
  ctx.SetOutput(0, ctx.AddNode("Trilu", {ctx.input(0), ctx.ConstInt64s({ctx.Int("k", 0)}, "k")},
                               {Attribute::Int("upper", ctx.class_name() == "Triu" ? 1 : 0)}));
  return absl::OkStatus();
}

// Repeat (each element `repeats` times along an axis), Roll, Diff, Fliplr, Flipud.
absl::Status ConvertRearrange(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  std::string x = ctx.input(0);
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (op == "Fliplr" || op == "Flipud") {
    const int64_t axis = op == "Fliplr" ? 1 : 0;
    if (axis >= rank) return ctx.Error("the input has too few axes");
    ctx.SetOutput(0, ctx.AddNode("Slice", {x, ctx.ConstInt64s({-1}, "starts"),
                                           ctx.ConstInt64s({std::numeric_limits<int64_t>::min()}, "ends"),
                                           ctx.ConstInt64s({axis}, "axes"), ctx.ConstInt64s({-1}, "steps")}));
    return absl::OkStatus();
  }
  if (op == "Diff") {
    ASSIGN_OR_RETURN(int64_t axis, OpAxis(ctx, ctx.Int("axis", -1), rank));
    for (int64_t i = 0; i < ctx.Int("n", 1); ++i) {
      x = ctx.AddNode("Sub", {SliceAxis(ctx, x, axis, 1, kMax), SliceAxis(ctx, x, axis, 0, -1)});
    }
    ctx.SetOutput(0, x);
    return absl::OkStatus();
  }
  auto dims = ctx.input_dims(0);
  const bool flat = !ctx.has("axis");
  if (flat) {
    x = ctx.Reshape(x, {-1});
    dims.reset();
  }
  if (op == "Repeat") {
    const Json* reps = ctx.cfg("repeats");
    if (!reps || !reps->is_number_integer()) return ctx.Unsupported("repeats other than one integer");
    const int64_t r = reps->get<int64_t>();
    ASSIGN_OR_RETURN(int64_t axis, OpAxis(ctx, flat ? 0 : ctx.Int("axis", 0), flat ? 1 : rank));
    // x[.., n, rest] -> [.., n, 1, rest] -> tiled [.., n, r, rest] -> [.., n * r, rest].
    std::vector<int64_t> tiles(flat ? 2 : rank + 1, 1);
    tiles[axis + 1] = r;
    std::vector<int64_t> shape(axis, 0);
    shape.push_back(-1);
    for (int a = static_cast<int>(axis) + 1; a < (flat ? 1 : rank); ++a) {
      if (!dims || (*dims)[a] < 0) return ctx.Unsupported("repeat before an axis of unknown size");
      shape.push_back((*dims)[a]);
    }
    const std::string tiled = ctx.AddNode("Tile", {ctx.Unsqueeze(x, {axis + 1}), ctx.ConstInt64s(tiles, "repeats")});
    ctx.SetOutput(0, ctx.Reshape(tiled, shape));
    return absl::OkStatus();
  }
  // Roll: the last `shift` elements first, per axis.
  std::vector<int64_t> shifts, axes;
  ASSIGN_OR_RETURN(shifts, ctx.Ints("shift", 0));
  if (flat) {
    axes = {0};
  } else {
    ASSIGN_OR_RETURN(axes, ctx.Ints("axis", 0));
  }
  if (shifts.size() == 1 && axes.size() > 1) shifts.assign(axes.size(), shifts[0]);
  if (shifts.size() != axes.size()) return ctx.Error("shift and axis differ in length");
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t n = -1, axis = 0;
    if (flat) {
      auto in = ctx.input_dims(0);
      n = 1;
      for (int64_t d : *in) n = d < 0 || n < 0 ? -1 : n * d;
      if (n < 0) return ctx.Unsupported("roll of the flattened input of unknown size");
    } else {
      ASSIGN_OR_RETURN(axis, OpAxis(ctx, axes[i], rank));
      ASSIGN_OR_RETURN(n, StaticDim(ctx, 0, axis, "roll"));
    }
    if (n == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    x = ctx.AddNode("Concat", {SliceAxis(ctx, x, axis, n - s, n), SliceAxis(ctx, x, axis, 0, n - s)},
                    {Attribute::Int("axis", axis)});
  }
  if (flat) x = ctx.AddNode("Reshape", {x, ctx.AddNode("Shape", {ctx.input(0)})});
  ctx.SetOutput(0, x);
  return absl::OkStatus();
}

// Hstack, Vstack, Dstack, Append: Concat on numpy's axis.
absl::Status ConvertJoin(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  int64_t axis = 0;
  if (op == "Append") {
    if (!ctx.has("axis")) {
      for (std::string& x : xs) x = ctx.Reshape(x, {-1});
    } else {
      ASSIGN_OR_RETURN(axis, OpAxis(ctx, ctx.Int("axis", 0), rank));
    }
  } else {
    axis = op == "Hstack" ? (rank == 1 ? 0 : 1) : op == "Vstack" ? 0 : 2;
    if ((op == "Vstack" && rank < 2) || (op == "Dstack" && rank < 3)) {
      return ctx.Unsupported(absl::StrCat("inputs of rank ", rank, " (numpy adds axes)"));
    }
  }
  ctx.SetOutput(0, ctx.AddNode("Concat", xs, {Attribute::Int("axis", axis)}));
  return absl::OkStatus();
}

// Nansum/Nanmean/Nanmax/Nanmin/Nanprod (NaNs replaced by the reduction's
// identity), Ptp, CountNonzero, Norm (vector norms), RMSNorm, Normalize.
absl::Status ConvertReduce(LayerContext& ctx) {
  const std::string& op = ctx.class_name();
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesOrAll(ctx));
  const bool keep = ctx.Bool("keepdims", false);
  const std::string x = ctx.input(0);
  const DataType t = ctx.input_dtype(0);
  auto c = [&](double v, const char* hint) { return ctx.ConstScalar(t, v, hint); };
  auto without_nan = [&](double v) {
    return IsFloat(t) ? ctx.AddNode("Where", {ctx.AddNode("IsNaN", {x}), c(v, "identity"), x}) : x;
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::string r;
  if (op == "Nansum" || op == "Nanprod") {
    r = ctx.Reduce(op == "Nansum" ? "ReduceSum" : "ReduceProd", without_nan(op == "Nansum" ? 0 : 1), axes, keep);
  } else if (op == "Nanmax" || op == "Nanmin") {
    r = ctx.Reduce(op == "Nanmax" ? "ReduceMax" : "ReduceMin", without_nan(op == "Nanmax" ? -inf : inf), axes, keep);
  } else if (op == "Nanmean") {
    const std::string valid = IsFloat(t) ? ctx.Cast(ctx.AddNode("Not", {ctx.AddNode("IsNaN", {x})}), t)
                                         : ctx.AddNode("Add", {ctx.AddNode("Mul", {x, c(0, "zero")}), c(1, "one")});
    r = ctx.AddNode("Div", {ctx.Reduce("ReduceSum", without_nan(0), axes, keep), ctx.Reduce("ReduceSum", valid, axes, keep)});
  } else if (op == "Ptp") {
    r = ctx.AddNode("Sub", {ctx.Reduce("ReduceMax", x, axes, keep), ctx.Reduce("ReduceMin", x, axes, keep)});
  } else if (op == "CountNonzero") {
    const std::string nz = ctx.Cast(ctx.AddNode("Not", {ctx.AddNode("Equal", {x, c(0, "zero")})}), DataType::kInt64);
    r = ctx.Cast(ctx.Reduce("ReduceSum", nz, axes, false), DataType::kInt32);
  } else if (op == "Norm") {
    const Json* ord = ctx.cfg("ord");
    const std::string o = !ord || ord->is_null() ? "2" : ord->is_string() ? ord->get<std::string>() : DumpJson(*ord);
    if (axes.size() == 2 && o != "fro" && o != "2" && !(ord == nullptr || ord->is_null())) {
      return ctx.Unsupported(absl::StrCat("matrix norm ord=", o, " (Frobenius converts)"));
    }
    if (axes.size() > 2 && ctx.has("axis")) return ctx.Unsupported("more than two axes");
    if (axes.size() == 2 && o == "2" && ord && !ord->is_null()) {
      return ctx.Unsupported("the matrix 2-norm (largest singular value)");
    }
    const std::string ax = ctx.AddNode("Abs", {x});
    if (o == "2" || o == "fro") {
      r = ctx.AddNode("Sqrt", {ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {x, x}), axes, keep)});
    } else if (o == "1" && axes.size() == 1) {
      r = ctx.Reduce("ReduceSum", ax, axes, keep);
    } else if ((o == "\"inf\"" || o == "inf" || o == "Infinity") && axes.size() == 1) {
      r = ctx.Reduce("ReduceMax", ax, axes, keep);
    } else {
      return ctx.Unsupported(absl::StrCat("ord=", o));
    }
  } else if (op == "RMSNorm" || op == "Normalize") {
    const Json* eps_json = ctx.cfg("epsilon");
    const double eps = eps_json && eps_json->is_number() ? eps_json->get<double>() : 1e-7;  // backend.epsilon()
    if (op == "RMSNorm") {
      if (!ctx.kwarg_inputs("scale").empty()) return ctx.Unsupported("a scale tensor");
      const std::string ms = ctx.Reduce("ReduceMean", ctx.AddNode("Mul", {x, x}), axes, true);
      r = ctx.AddNode("Mul", {x, ctx.AddNode("Reciprocal", {ctx.AddNode("Sqrt", {ctx.AddNode("Add", {ms, c(eps, "epsilon")})})})});
    } else {
      const int64_t order = ctx.Int("order", 2);
      if (order != 2 && order != 1) return ctx.Unsupported(absl::StrCat("order=", order));
      if (order == 2) {
        // x * min(rsqrt(sum(x^2)), 1/epsilon), as Keras.
        const std::string ss = ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {x, x}), axes, true);
        const std::string inv = ctx.AddNode("Min", {ctx.AddNode("Reciprocal", {ctx.AddNode("Sqrt", {ss})}), c(1.0 / eps, "inv_eps")});
        r = ctx.AddNode("Mul", {x, inv});
      } else {
        const std::string n1 = ctx.Reduce("ReduceSum", ctx.AddNode("Abs", {x}), axes, true);
        r = ctx.AddNode("Div", {x, ctx.AddNode("Max", {n1, c(eps, "epsilon")})});
      }
    }
  }
  ctx.SetOutput(0, r);
  return absl::OkStatus();
}

// TakeAlongAxis: GatherElements (indices of the input's shape; axis null flattens both).
absl::Status ConvertTakeAlongAxis(LayerContext& ctx) {
  std::string x = ctx.input(0), idx = ctx.Cast(ctx.input(1), DataType::kInt64);
  int64_t axis = 0;
  if (!ctx.has("axis")) {
    x = ctx.Reshape(x, {-1});
    idx = ctx.Reshape(idx, {-1});
  } else {
    ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
    ASSIGN_OR_RETURN(axis, OpAxis(ctx, ctx.Int("axis", 0), rank));
    auto a = ctx.input_dims(0), b = ctx.input_dims(1);
    if (!a || !b || a->size() != b->size()) return ctx.Unsupported("indices of another rank than the input");
    for (size_t i = 0; i < a->size(); ++i) {
      if (static_cast<int64_t>(i) != axis && (*a)[i] != (*b)[i]) {
        return ctx.Unsupported("indices broadcast against the input");
      }
    }
  }
  ctx.SetOutput(0, ctx.AddNode("GatherElements", {x, idx}, {Attribute::Int("axis", axis)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasMathOps(LayerRegistry& r) {
  r.Register(Prefixed({"Sort", "Argsort"}), Inputs(1), ConvertSort,
             "Keras 3 operation; ONNX TopK over an axis of static size (stable order)");
  r.Register(Prefixed({"TopK"}), Inputs(1), ConvertSort, "Keras 3 operation; sorted=True");
  r.Register(Prefixed({"Einsum", "Tensordot", "Dot", "Inner", "Outer", "Vdot"}), InputsAtLeast(1),
             ConvertContraction, "Keras 3 operation; ONNX Einsum");
  r.Register(Prefixed({"Cumprod"}), Inputs(1), ConvertCumprod,
             "Keras 3 operation; an axis of static size <= 4096, no dtype");
  r.Register(Prefixed({"Arctan2", "Heaviside", "Logaddexp2", "Fmod", "Ldexp", "DivideNoNan",
                       "Isclose", "Erfc", "Cbrt", "Sinc", "Isneginf", "Isposinf", "Signbit",
                       "Threshold", "NanToNum", "Ravel", "FullLike"}),
             InputsAtLeast(1), ConvertElementwise,
             "Keras 3 operation; Isclose without equal_nan, FullLike without dtype");
  r.Register(Prefixed({"Tril", "Triu"}), Inputs(1), ConvertTriangle, "Keras 3 operation; opset 14+");
  r.Register(Prefixed({"Repeat", "Roll", "Diff", "Fliplr", "Flipud"}), Inputs(1), ConvertRearrange,
             "Keras 3 operation; Repeat: one integer count; Roll: axes of static size");
  r.Register(Prefixed({"Hstack", "Vstack", "Dstack", "Append"}), InputsAtLeast(1), ConvertJoin,
             "Keras 3 operation");
  r.Register(Prefixed({"Nansum", "Nanmean", "Nanmax", "Nanmin", "Nanprod", "Ptp", "CountNonzero",
                       "Norm", "RMSNorm", "Normalize"}),
             Inputs(1), ConvertReduce,
             "Keras 3 operation; Norm: vector 1, 2, inf and Frobenius; RMSNorm without scale; "
             "Normalize order 1 or 2");
  r.Register(Prefixed({"TakeAlongAxis"}), Inputs(2), ConvertTakeAlongAxis,
             "Keras 3 operation; indices of the input's shape");
}

}  // namespace onnxsmith::converter::keras
