// Keras 3 operations on a tensor's layout and diagonals: BroadcastTo, Rot90,
// Diagonal/Trace, DepthToSpace/SpaceToDepth, RGBToGrayscale, Det; choices and
// statistics: Select, Average, Moments, Nancumsum, Nanvar/Nanstd, Isreal.
#include <algorithm>
#include <cstdint>
#include <limits>
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

std::string Flip(LayerContext &ctx, const std::string &x, int64_t axis) {
  return ctx.AddNode(
      "Slice",
      {x, ctx.ConstInt64s({-1}, "starts"),
       ctx.ConstInt64s({std::numeric_limits<int64_t>::min()}, "ends"),
       ctx.ConstInt64s({axis}, "axes"), ctx.ConstInt64s({-1}, "steps")});
}

std::vector<int64_t> Swap(int rank, int64_t a, int64_t b) {
  std::vector<int64_t> perm;
  for (int k = 0; k < rank; ++k)
    perm.push_back(k == a ? b : k == b ? a : k);
  return perm;
}

absl::Status ConvertLayout(LayerContext &ctx) {
  const std::string &op = ctx.class_name();
  const std::string x = ctx.input(0);
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (op == "BroadcastTo") {
    ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.Ints("shape", 0));
    if (std::any_of(shape.begin(), shape.end(),
                    [](int64_t d) { return d < 0; })) {
      return ctx.Unsupported("a shape with unknown sizes");
    }
    ctx.SetOutput(0,
                  ctx.AddNode("Expand", {x, ctx.ConstInt64s(shape, "shape")}));
  } else if (op == "Rot90") {
    // numpy: k = 1 flips axes[1] then swaps; k = 2 flips both; k = 3 swaps then
    // flips axes[1].
    std::vector<int64_t> axes = {0, 1};
    if (ctx.has("axes")) {
      ASSIGN_OR_RETURN(axes, ctx.Ints("axes", 0));
    }
    if (axes.size() != 2)
      return ctx.Error("axes must name two axes");
    ASSIGN_OR_RETURN(int64_t a, OpAxis(ctx, axes[0], rank));
    ASSIGN_OR_RETURN(int64_t b, OpAxis(ctx, axes[1], rank));
    const int64_t k = ((ctx.Int("k", 1) % 4) + 4) % 4;
    std::string y = x;
    if (k == 1)
      y = ctx.Transpose(Flip(ctx, x, b), Swap(rank, a, b));
    if (k == 2)
      y = Flip(ctx, Flip(ctx, x, a), b);
    if (k == 3)
      y = Flip(ctx, ctx.Transpose(x, Swap(rank, a, b)), b);
    ctx.SetOutput(0, y);
  } else if (op == "DepthToSpace" || op == "SpaceToDepth") {
    // TF's channels-last form is ONNX's DCR order on NCHW.
    if (rank != 4)
      return ctx.Error("expects a 4-D input");
    const bool last =
        ctx.String("data_format", "channels_last") == "channels_last";
    const std::string in = last ? ctx.Transpose(x, {0, 3, 1, 2}) : x;
    std::vector<Attribute> attrs = {
        Attribute::Int("blocksize", ctx.Int("block_size", 2))};
    if (op == "DepthToSpace")
      attrs.push_back(Attribute::String("mode", "DCR"));
    const std::string y = ctx.AddNode(op, {in}, attrs);
    ctx.SetOutput(0, last ? ctx.Transpose(y, {0, 2, 3, 1}) : y);
  } else if (op == "RGBToGrayscale") {
    const bool last =
        ctx.String("data_format", "channels_last") != "channels_first";
    const int64_t c = last ? rank - 1 : rank - 3;
    auto dims = ctx.input_dims(0);
    if (!dims || c < 0 || ((*dims)[c] != 1 && (*dims)[c] != 3))
      return ctx.Unsupported("a channel axis other than 1 or 3");
    if ((*dims)[c] == 1) {
      ctx.SetOutput(0, x);
      return absl::OkStatus();
    }
    std::vector<int64_t> wdims(rank - c, 1);
    wdims[0] = 3;
    auto w = ir::Tensor::FromVector<float>(wdims, {0.2989f, 0.5870f, 0.1140f})
                 .CastTo(ctx.input_dtype(0));
    if (!w.ok())
      return ctx.Unsupported("a non-float image");
    ctx.SetOutput(
        0, ctx.Reduce("ReduceSum",
                      ctx.AddNode("Mul", {x, ctx.AddConst(*w, "rgb_weights")}),
                      {c}, true));
  } else if (op == "Det") {
    ctx.SetOutput(0, ctx.AddNode("Det", {x}));
  } else { // Diagonal, Trace: axis1 and axis2 moved last, flattened, the
           // diagonal gathered.
    ASSIGN_OR_RETURN(int64_t a, OpAxis(ctx, ctx.Int("axis1", 0), rank));
    ASSIGN_OR_RETURN(int64_t b, OpAxis(ctx, ctx.Int("axis2", 1), rank));
    auto dims = ctx.input_dims(0);
    if (!dims || (*dims)[a] < 0 || (*dims)[b] < 0)
      return ctx.Unsupported("axes of unknown size");
    const int64_t n = (*dims)[a], m = (*dims)[b], offset = ctx.Int("offset", 0);
    std::vector<int64_t> perm;
    for (int k = 0; k < rank; ++k) {
      if (k != a && k != b)
        perm.push_back(k);
    }
    perm.push_back(a);
    perm.push_back(b);
    std::vector<int64_t> shape(rank - 2, 0);
    shape.push_back(n * m);
    const std::string flat = ctx.Reshape(ctx.Transpose(x, perm), shape);
    std::vector<int64_t> idx;
    for (int64_t i = std::max<int64_t>(0, -offset); i < n && i + offset < m;
         ++i)
      idx.push_back(i * m + i + offset);
    if (idx.empty())
      return ctx.Unsupported("an offset outside the matrix");
    std::string y =
        ctx.AddNode("Gather", {flat, ctx.ConstInt64s(idx, "diagonal")},
                    {Attribute::Int("axis", rank - 2)});
    if (op == "Trace")
      y = ctx.Reduce("ReduceSum", y, {-1}, false);
    ctx.SetOutput(0, y);
  }
  return absl::OkStatus();
}

absl::Status ConvertStatistics(LayerContext &ctx) {
  const std::string &op = ctx.class_name();
  if (op == "Select") {
    // select(condlist, choicelist, default): the first true condition's choice.
    const Json &args = ctx.call_args();
    if (!args.is_array() || args.empty() || !args[0].is_array())
      return ctx.Error("expects (condlist, choicelist, default)");
    const size_t n = args[0].size();
    ASSIGN_OR_RETURN(std::vector<std::string> xs,
                     Operands(ctx, static_cast<int>(n)));
    if (xs.size() < 2 * n)
      return ctx.Error("expects as many choices as conditions");
    std::string y =
        xs.size() > 2 * n && !xs[2 * n].empty()
            ? xs[2 * n]
            : ctx.ConstScalar(ctx.TypeOf(xs[n]).dtype, 0, "default");
    for (size_t i = n; i-- > 0;)
      y = ctx.AddNode("Where",
                      {ctx.Cast(xs[i], DataType::kBool), xs[n + i], y});
    ctx.SetOutput(0, y);
    return absl::OkStatus();
  }
  const std::string x = ctx.input(0);
  const DataType t = ctx.input_dtype(0);
  if (op == "Isreal") {
    ctx.SetOutput(
        0, ctx.AddNode("Expand",
                       {ctx.AddConst(ir::Tensor::Scalar<bool>(true), "true"),
                        ctx.AddNode("Shape", {x})}));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesOrAll(ctx, op == "Moments" ? "axes" : "axis"));
  const bool keep = ctx.Bool("keepdims", false);
  if (!ir::IsFloating(t))
    return ctx.Unsupported("a non-float input");
  const std::string valid = ctx.AddNode("Not", {ctx.AddNode("IsNaN", {x})});
  const std::string clean =
      ctx.AddNode("Where", {valid, x, ctx.ConstScalar(t, 0, "zero")});
  if (op == "Nancumsum") {
    const std::string in = ctx.has("axis") ? clean : ctx.Reshape(clean, {-1});
    ctx.SetOutput(
        0, ctx.AddNode("CumSum",
                       {in, ctx.ConstInt64s({ctx.Int("axis", 0)}, "axis")}));
    return absl::OkStatus();
  }
  if (op == "Average") {
    std::vector<std::string> w = ctx.kwarg_inputs("weights");
    if (ctx.num_inputs() > 1)
      w.push_back(ctx.input(1));
    const Json &kw = ctx.call_kwargs();
    const Json *wj = kw.is_object() ? FindNonNull(kw, "weights") : nullptr;
    if (wj && !IsKerasTensor(*wj))
      return ctx.Unsupported("constant weights (a tensor converts)");
    if (w.empty()) {
      ctx.SetOutput(0, ctx.Reduce("ReduceMean", x, axes, false));
      return absl::OkStatus();
    }
    // 1-D weights apply along the single axis; other weights broadcast with x.
    std::string wt = w[0];
    if (ctx.TypeOf(wt).rank() == 1 && rank > 1) {
      if (axes.size() != 1)
        return ctx.Unsupported("1-D weights without a single axis");
      ASSIGN_OR_RETURN(int64_t a, OpAxis(ctx, axes[0], rank));
      std::vector<int64_t> tail;
      for (int k = static_cast<int>(a) + 1; k < rank; ++k)
        tail.push_back(k - a);
      if (!tail.empty())
        wt = ctx.Unsqueeze(wt, tail);
    }
    const std::string num =
        ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {x, wt}), axes, false);
    const std::string den = ctx.Reduce(
        "ReduceSum",
        ctx.AddNode(
            "Add",
            {ctx.AddNode("Mul", {x, ctx.ConstScalar(t, 0, "zero")}), wt}),
        axes, false);
    ctx.SetOutput(0, ctx.AddNode("Div", {num, den}));
    return absl::OkStatus();
  }
  // Moments (mean, population variance), Nanvar, Nanstd over the valid entries.
  const bool nan = op != "Moments";
  if (op == "Moments" && ctx.Bool("synchronized", false))
    return ctx.Unsupported("synchronized=True");
  const std::string v = nan ? clean : x;
  const std::string count =
      nan ? ctx.Reduce("ReduceSum", ctx.Cast(valid, t), axes, true) : "";
  auto mean_of = [&](const std::string &s, bool keepdims) {
    return nan ? ctx.AddNode("Div",
                             {ctx.Reduce("ReduceSum", s, axes, true), count})
               : ctx.Reduce("ReduceMean", s, axes, keepdims);
  };
  const std::string mean = mean_of(v, true);
  std::string d = ctx.AddNode("Sub", {x, mean});
  if (nan)
    d = ctx.AddNode("Where", {valid, d, ctx.ConstScalar(t, 0, "zero")});
  std::string var = mean_of(ctx.AddNode("Mul", {d, d}), true);
  auto squeezed = [&](const std::string &s) {
    return keep ? s : ctx.Squeeze(s, axes);
  };
  if (op == "Moments") {
    ctx.SetOutput(0, squeezed(mean));
    ctx.SetOutput(1, squeezed(var));
    return absl::OkStatus();
  }
  if (op == "Nanstd")
    var = ctx.AddNode("Sqrt", {var});
  ctx.SetOutput(0, squeezed(var));
  return absl::OkStatus();
}

} // namespace

void RegisterKerasShapeOps(LayerRegistry &r) {
  r.Register(Prefixed({"BroadcastTo", "Rot90", "DepthToSpace", "SpaceToDepth",
                       "RGBToGrayscale", "Det", "Diagonal", "Trace"}),
             Inputs(1), ConvertLayout,
             "Keras 3 operation; BroadcastTo to a static shape; Diagonal/Trace "
             "over axes of static size");
  r.Register(Prefixed({"Select", "Average", "Moments", "Nancumsum", "Nanvar",
                       "Nanstd", "Isreal"}),
             InputsAtLeast(1), ConvertStatistics,
             "Keras 3 operation; Average with tensor weights or none; "
             "population variances");
}

} // namespace onnxsmith::converter::keras
