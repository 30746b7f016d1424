// Keras 3 operations that index, combine or reshape arrays, recorded in
// functional models: GetItem (x[...] with slices, steps, ints, ellipsis and
// newaxis), Stack, Unstack, Split, Where, Clip, Cumsum, Argmax/Argmin, Take,
// OneHot, Pad, Tile, Flip, Moveaxis/Swapaxes, Std/Var, Logsumexp.
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

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

const std::string* ClassOf(const Json& v) {
  const Json* c = Find(v, "class_name");
  return c && c->is_string() ? &c->get_ref<const std::string&>() : nullptr;
}

int64_t OptInt(const Json& cfg, const char* key, int64_t fallback) {
  const Json* v = Find(cfg, key);
  return v && v->is_number_integer() ? v->get<int64_t>() : fallback;
}

// x[key]: slices (with steps), integers, Ellipsis and None (newaxis).
absl::Status ConvertGetItem(LayerContext& ctx) {
  const Json& args = ctx.call_args();
  if (!args.is_array() || args.size() != 2) return ctx.Error("expects (x, key) arguments");
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  std::vector<Json> key;
  if (args[1].is_array()) {
    for (const Json& k : args[1]) key.push_back(k);
  } else {
    key.push_back(args[1]);
  }
  int consumed = 0;
  for (const Json& k : key) {
    const std::string* cls = ClassOf(k);
    if (k.is_number_integer() || (cls && *cls == "__slice__")) ++consumed;
  }
  std::vector<int64_t> starts, ends, axes, steps, squeeze, unsqueeze;
  int a = 0, o = 0;
  for (const Json& k : key) {
    const std::string* cls = ClassOf(k);
    if (k.is_null()) {
      unsqueeze.push_back(o++);
    } else if (cls && *cls == "__ellipsis__") {
      const int skip = rank - consumed - a;
      a += skip;
      o += skip;
    } else if (k.is_number_integer()) {
      const int64_t i = k.get<int64_t>();
      starts.push_back(i);
      ends.push_back(i == -1 ? kMax : i + 1);
      steps.push_back(1);
      axes.push_back(a);
      squeeze.push_back(a++);
    } else if (cls && *cls == "__slice__") {
      const Json* cfg = Find(k, "config");
      if (!cfg) return ctx.Error("a slice without config");
      const int64_t step = OptInt(*cfg, "step", 1);
      if (step == 0) return ctx.Error("slice step 0");
      starts.push_back(OptInt(*cfg, "start", step > 0 ? 0 : -1));
      ends.push_back(OptInt(*cfg, "stop", step > 0 ? kMax : kMin));
      steps.push_back(step);
      axes.push_back(a++);
      ++o;
      for (const char* f : {"start", "stop", "step"}) {
        const Json* v = Find(*cfg, f);
        if (v && !v->is_null() && !v->is_number_integer()) {
          return ctx.Unsupported(absl::StrCat("a slice ", f, " that is not a constant integer"));
        }
      }
    } else {
      return ctx.Unsupported(absl::StrCat("indexing with ", DumpJson(k),
                                          " (slices, integers, ..., None convert; not tensors)"));
    }
  }
  if (a > rank) return ctx.Error("too many indices for the tensor's rank");
  std::string y = ctx.input(0);
  if (!axes.empty()) {
    y = ctx.AddNode("Slice", {y, ctx.ConstInt64s(starts, "starts"), ctx.ConstInt64s(ends, "ends"),
                              ctx.ConstInt64s(axes, "axes"), ctx.ConstInt64s(steps, "steps")});
  }
  if (!squeeze.empty()) y = ctx.Squeeze(y, squeeze);
  if (!unsqueeze.empty()) y = ctx.Unsqueeze(y, unsqueeze);
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

absl::Status ConvertStack(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(int64_t axis, OpAxis(ctx, ctx.Int("axis", 0), rank + 1));
  std::vector<std::string> parts;
  for (int i = 0; i < ctx.num_inputs(); ++i) parts.push_back(ctx.Unsqueeze(ctx.input(i), {axis}));
  ctx.SetOutput(0, ctx.AddNode("Concat", parts, {Attribute::Int("axis", axis)}));
  return absl::OkStatus();
}

// Unstack / Split into equal sections: one output per piece.
absl::Status ConvertSplit(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(int64_t axis, OpAxis(ctx, ctx.Int("axis", 0), rank));
  auto dims = ctx.input_dims(0);
  const int64_t size = dims ? (*dims)[axis] : -1;
  const bool unstack = ctx.class_name() == "Unstack";
  int64_t pieces = unstack ? size : -1;
  if (!unstack) {
    const Json* s = ctx.cfg("indices_or_sections");
    if (!s || !s->is_number_integer()) return ctx.Unsupported("split at explicit indices");
    pieces = s->get<int64_t>();
  }
  if (size < 0 || pieces <= 0 || size % pieces != 0) {
    return ctx.Unsupported("a split axis of unknown size or not divisible into the sections");
  }
  const std::vector<int64_t> sizes(pieces, size / pieces);
  const auto outs = ctx.AddNodeMulti("Split", {ctx.input(0), ctx.ConstInt64s(sizes, "split")},
                                     static_cast<int>(pieces), {Attribute::Int("axis", axis)});
  for (int64_t k = 0; k < pieces; ++k) {
    ctx.SetOutput(static_cast<int>(k), unstack ? ctx.Squeeze(outs[k], {axis}) : outs[k]);
  }
  return absl::OkStatus();
}

absl::Status ConvertWhere(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx, /*first_typed=*/1));
  if (xs.size() != 3 || xs[1].empty() || xs[2].empty()) {
    return ctx.Unsupported("where(condition) without x and y (its output shape depends on the data)");
  }
  ctx.SetOutput(0, ctx.AddNode("Where", {ctx.Cast(xs[0], DataType::kBool), xs[1], xs[2]}));
  return absl::OkStatus();
}

absl::Status ConvertClip(LayerContext& ctx) {
  const DataType t = ctx.input_dtype(0);
  std::string y = ctx.input(0);
  if (ctx.has("x_min")) y = ctx.AddNode("Max", {y, ctx.ConstScalar(t, ctx.Float("x_min", 0), "min")});
  if (ctx.has("x_max")) y = ctx.AddNode("Min", {y, ctx.ConstScalar(t, ctx.Float("x_max", 0), "max")});
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// The input flattened when the op's axis is null (numpy semantics).
std::string FlattenIfNoAxis(LayerContext& ctx, const std::string& x) {
  return ctx.has("axis") ? x : ctx.Reshape(x, {-1});
}

absl::Status ConvertCumsum(LayerContext& ctx) {
  const std::string x = FlattenIfNoAxis(ctx, ctx.input(0));
  ctx.SetOutput(0, ctx.AddNode("CumSum", {x, ctx.ConstInt64s({ctx.Int("axis", 0)}, "axis")}));
  return absl::OkStatus();
}

absl::Status ConvertArgmax(LayerContext& ctx) {
  const std::string x = FlattenIfNoAxis(ctx, ctx.input(0));
  const std::string y = ctx.AddNode(ctx.class_name() == "Argmax" ? "ArgMax" : "ArgMin", {x},
                                    {Attribute::Int("axis", ctx.Int("axis", 0)),
                                     Attribute::Int("keepdims", ctx.Bool("keepdims", false) ? 1 : 0)});
  ctx.SetOutput(0, ctx.Cast(y, DataType::kInt32));  // Keras returns int32
  return absl::OkStatus();
}

absl::Status ConvertTake(LayerContext& ctx) {
  if (ctx.num_inputs() != 2) return ctx.Unsupported("constant indices (a tensor of indices converts)");
  const std::string x = FlattenIfNoAxis(ctx, ctx.input(0));
  ctx.SetOutput(0, ctx.AddNode("Gather", {x, ctx.Cast(ctx.input(1), DataType::kInt64)},
                               {Attribute::Int("axis", ctx.Int("axis", 0))}));
  return absl::OkStatus();
}

DataType NamedType(const std::string& name) {
  if (name == "int32") return DataType::kInt32;
  if (name == "int64") return DataType::kInt64;
  if (name == "float64") return DataType::kDouble;
  if (name == "float16") return DataType::kFloat16;
  return DataType::kFloat;
}

absl::Status ConvertOneHot(LayerContext& ctx) {
  if (ctx.Bool("sparse", false)) return ctx.Unsupported("sparse=True");
  ASSIGN_OR_RETURN(int64_t n, ctx.RequiredInt("num_classes"));
  auto values = ir::Tensor::FromVector<float>({2}, {0.0f, 1.0f}).CastTo(NamedType(ctx.String("dtype", "float32")));
  if (!values.ok()) return ctx.Error(std::string(values.status().message()));
  ctx.SetOutput(0, ctx.AddNode("OneHot", {ctx.Cast(ctx.input(0), DataType::kInt64),
                                          ctx.ConstInt64s({n}, "depth"), ctx.AddConst(*values, "values")},
                               {Attribute::Int("axis", ctx.Int("axis", -1))}));
  return absl::OkStatus();
}

absl::Status ConvertPad(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  const Json* pw = ctx.cfg("pad_width");
  if (!pw || !pw->is_array() || pw->size() != static_cast<size_t>(rank)) {
    return ctx.Unsupported("pad_width other than one [before, after] pair per axis");
  }
  std::vector<int64_t> pads(2 * rank);
  for (int a = 0; a < rank; ++a) {
    const Json& p = (*pw)[a];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer()) {
      return ctx.Unsupported("pad_width other than one [before, after] pair per axis");
    }
    pads[a] = p[0].get<int64_t>();
    pads[a + rank] = p[1].get<int64_t>();
  }
  const std::string mode = ctx.String("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    return ctx.Unsupported(absl::StrCat("mode '", mode, "' (constant, reflect and edge convert)"));
  }
  std::vector<std::string> in = {ctx.input(0), ctx.ConstInt64s(pads, "pads")};
  const Json& kw = ctx.call_kwargs();
  const Json* cv = Find(kw, "constant_values");
  if (cv && cv->is_number()) in.push_back(ctx.ConstScalar(ctx.input_dtype(0), cv->get<double>(), "value"));
  ctx.SetOutput(0, ctx.AddNode("Pad", in, {Attribute::String("mode", mode)}));
  return absl::OkStatus();
}

absl::Status ConvertTile(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> reps, ctx.Ints("repeats", 0));
  std::string x = ctx.input(0);
  if (static_cast<int>(reps.size()) > rank) {
    std::vector<int64_t> lead;
    for (size_t k = 0; k < reps.size() - rank; ++k) lead.push_back(static_cast<int64_t>(k));
    x = ctx.Unsqueeze(x, lead);
  }
  while (static_cast<int>(reps.size()) < rank) reps.insert(reps.begin(), 1);
  ctx.SetOutput(0, ctx.AddNode("Tile", {x, ctx.ConstInt64s(reps, "repeats")}));
  return absl::OkStatus();
}

absl::Status ConvertFlip(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesOrAll(ctx));
  const size_t n = axes.size();
  ctx.SetOutput(0, ctx.AddNode("Slice", {ctx.input(0), ctx.ConstInt64s(std::vector<int64_t>(n, -1), "starts"),
                                         ctx.ConstInt64s(std::vector<int64_t>(n, kMin), "ends"),
                                         ctx.ConstInt64s(axes, "axes"),
                                         ctx.ConstInt64s(std::vector<int64_t>(n, -1), "steps")}));
  return absl::OkStatus();
}

absl::Status ConvertMoveaxis(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  std::vector<int64_t> perm;
  if (ctx.class_name() == "Swapaxes") {
    ASSIGN_OR_RETURN(int64_t a, OpAxis(ctx, ctx.Int("axis1", 0), rank));
    ASSIGN_OR_RETURN(int64_t b, OpAxis(ctx, ctx.Int("axis2", 0), rank));
    for (int k = 0; k < rank; ++k) perm.push_back(k == a ? b : k == b ? a : k);
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> src, ctx.Ints("source", 0));
    ASSIGN_OR_RETURN(std::vector<int64_t> dst, ctx.Ints("destination", 0));
    if (src.size() != dst.size()) return ctx.Error("source and destination differ in length");
    std::vector<int64_t> order(rank, -1);
    std::vector<bool> used(rank, false);
    for (size_t k = 0; k < src.size(); ++k) {
      ASSIGN_OR_RETURN(int64_t s, OpAxis(ctx, src[k], rank));
      ASSIGN_OR_RETURN(int64_t d, OpAxis(ctx, dst[k], rank));
      order[d] = s;
      used[s] = true;
    }
    int next = 0;
    for (int k = 0; k < rank; ++k) {
      if (order[k] >= 0) continue;
      while (used[next]) ++next;
      order[k] = next++;
    }
    perm = order;
  }
  ctx.SetOutput(0, ctx.Transpose(ctx.input(0), perm));
  return absl::OkStatus();
}

// Std, Var (population: ddof 0) and Logsumexp over `axis` (all axes when null).
absl::Status ConvertStatistic(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, AxesOrAll(ctx));
  const bool keepdims = ctx.Bool("keepdims", false);
  const std::string x = ctx.input(0);
  if (ctx.class_name() == "Logsumexp") {
    ctx.SetOutput(0, ctx.Reduce("ReduceLogSumExp", x, axes, keepdims));
    return absl::OkStatus();
  }
  const std::string d = ctx.AddNode("Sub", {x, ctx.Reduce("ReduceMean", x, axes, true)});
  std::string y = ctx.Reduce("ReduceMean", ctx.AddNode("Mul", {d, d}), axes, keepdims);
  if (ctx.class_name() == "Std") y = ctx.AddNode("Sqrt", {y});
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasArrayOps(LayerRegistry& r) {
  r.Register(Prefixed({"GetItem"}), Inputs(1), ConvertGetItem,
             "Keras 3 operation x[...]: slices with steps, integers, ..., None; not tensor indices");
  r.Register(Prefixed({"Stack"}), InputsAtLeast(1), ConvertStack, "Keras 3 operation");
  r.Register(Prefixed({"Split", "Unstack"}), Inputs(1), ConvertSplit,
             "Keras 3 operation; equal sections of an axis of static size");
  r.Register(Prefixed({"Where"}), InputsAtLeast(1), ConvertWhere,
             "Keras 3 operation; where(condition, x, y) (tensor or number branches)");
  r.Register(Prefixed({"Clip"}), Inputs(1), ConvertClip, "Keras 3 operation");
  r.Register(Prefixed({"Cumsum"}), Inputs(1), ConvertCumsum, "Keras 3 operation");
  r.Register(Prefixed({"Argmax", "Argmin"}), Inputs(1), ConvertArgmax, "Keras 3 operation; int32 result");
  r.Register(Prefixed({"Take"}), Inputs(2), ConvertTake, "Keras 3 operation; tensor indices");
  r.Register(Prefixed({"OneHot"}), Inputs(1), ConvertOneHot, "Keras 3 operation; dense output");
  r.Register(Prefixed({"Pad"}), Inputs(1), ConvertPad,
             "Keras 3 operation; mode constant, reflect or edge (not symmetric)");
  r.Register(Prefixed({"Tile"}), Inputs(1), ConvertTile, "Keras 3 operation");
  r.Register(Prefixed({"Flip"}), Inputs(1), ConvertFlip, "Keras 3 operation");
  r.Register(Prefixed({"Moveaxis", "Swapaxes"}), Inputs(1), ConvertMoveaxis, "Keras 3 operation");
  r.Register(Prefixed({"Std", "Var", "Logsumexp"}), Inputs(1), ConvertStatistic,
             "Keras 3 operation; population statistics");
}

}  // namespace onnxsmith::converter::keras
