// Attention layers: MultiHeadAttention, EinsumDense, Attention, AdditiveAttention.
//
// MultiHeadAttention becomes plain ONNX (MatMul / Reshape / Transpose /
// Softmax / Where), not the contrib Attention op, so any runtime runs it and
// the optimizer sees ordinary MatMul + bias pairs:
//   q = (query @ Wq + bq) / sqrt(key_dim)   [B, T, H*K] -> [B, H, T, K]
//   k =  key   @ Wk + bk                    [B, S, H*K] -> [B, H, K, S]
//   v =  value @ Wv + bv                    [B, S, H*V] -> [B, H, S, V]
//   p = softmax(where(mask, q @ k, -1e9))   [B, H, T, S]
//   y = (p @ v -> [B, T, H*V]) @ Wo + bo
// The 1/sqrt(key_dim) scale is folded into Wq and bq at conversion time.
// Keras 3.15's masked softmax also zeroes fully masked rows; we do not (a row
// with no allowed key is a degenerate input either way).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

// A MultiHeadAttention sub-layer's weight: .h5 names it "<layer>/query/kernel"
// (Keras 2: "query/kernel:0"), .keras "query_dense/vars/0". idx 0 = kernel, 1 = bias.
absl::StatusOr<ir::Tensor> MhaWeight(const LayerContext& ctx, const std::string& h5_part,
                                     const std::string& keras3_part, int idx) {
  const KerasWeight* w =
      ctx.FindWeight(absl::StrCat(h5_part, idx == 0 ? "/kernel" : "/bias"));
  if (w == nullptr) w = ctx.FindWeight(absl::StrCat(keras3_part, "/vars/", idx));
  // GroupedQueryAttention's sub-layers are "_query_dense", ... in .keras.
  if (w == nullptr) w = ctx.FindWeight(absl::StrCat("_", keras3_part, "/vars/", idx));
  if (w == nullptr) {
    std::vector<std::string> names;
    for (const KerasWeight& k : ctx.weights()) names.push_back(k.name);
    return ctx.Error(absl::StrCat("no ", h5_part, idx == 0 ? " kernel" : " bias",
                                  " among the layer's weights [", absl::StrJoin(names, ", "), "]"));
  }
  if (w->value.dtype() == DataType::kFloat) return w->value;
  if (!ir::IsFloating(w->value.dtype())) {
    return ctx.Unsupported("a quantized kernel (Keras int8/int4 quantization)");
  }
  return w->value.CastTo(DataType::kFloat);
}

// `t` reshaped to `dims` and multiplied by `scale`, as float32.
absl::StatusOr<ir::Tensor> ScaledReshape(const ir::Tensor& t, std::vector<int64_t> dims, float scale) {
  ASSIGN_OR_RETURN(ir::Tensor r, t.Reshaped(std::move(dims)));
  if (scale == 1.0f) return r;
  std::vector<float> v(r.data<float>().begin(), r.data<float>().end());
  for (float& x : v) x *= scale;
  return ir::Tensor::FromVector<float>(r.dims(), v);
}

std::string FloatValue(LayerContext& ctx, const std::string& x) {
  const DataType t = ctx.builder().TypeOf(x).dtype;
  if (t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16) return x;
  return ctx.Cast(x, DataType::kFloat);
}

// x [B, N, D] @ kernel (D, heads, dim) + bias (heads, dim), split into heads:
// [B, heads, N, dim]. `scale` is folded into kernel and bias.
absl::StatusOr<std::string> ProjectHeads(LayerContext& ctx, const std::string& x, const char* h5_part,
                                         const char* keras3_part, bool use_bias, float scale,
                                         int64_t* heads_out, int64_t* dim_out) {
  ASSIGN_OR_RETURN(ir::Tensor kernel, MhaWeight(ctx, h5_part, keras3_part, 0));
  if (kernel.rank() != 3) {
    return ctx.Error(absl::StrCat(h5_part, " kernel has rank ", kernel.rank(),
                                  ", expected [input_dim, num_heads, head_dim]"));
  }
  const int64_t d = kernel.dims()[0], heads = kernel.dims()[1], dim = kernel.dims()[2];
  ASSIGN_OR_RETURN(std::string w,
                   ctx.CachedConst(absl::StrCat(h5_part, "/kernel"),
                                   [&]() { return ScaledReshape(kernel, {d, heads * dim}, scale); }));
  std::string y = ctx.AddNode("MatMul", {x, w});
  if (use_bias) {
    ASSIGN_OR_RETURN(ir::Tensor bias, MhaWeight(ctx, h5_part, keras3_part, 1));
    ASSIGN_OR_RETURN(std::string b,
                     ctx.CachedConst(absl::StrCat(h5_part, "/bias"),
                                     [&]() { return ScaledReshape(bias, {heads * dim}, scale); }));
    y = ctx.AddNode("Add", {y, b});
  }
  *heads_out = heads;
  *dim_out = dim;
  return ctx.Transpose(ctx.Reshape(y, {0, 0, heads, dim}), {0, 2, 1, 3});
}

// The size of axis `axis` of x, as an int64 scalar.
std::string DimOf(LayerContext& ctx, const std::string& x, int64_t axis) {
  std::string shape = ctx.AddNode("Shape", {x});
  return ctx.AddNode("Gather", {shape, ctx.AddConst(ir::Tensor::Scalar<int64_t>(axis), "axis")},
                     {Attribute::Int("axis", 0)});
}

// Keras's causal mask: [T, S] with query step t allowed to see key steps s <= t.
std::string CausalMask(LayerContext& ctx, const std::string& query, const std::string& value) {
  std::string zero = ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "zero");
  std::string one = ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one");
  std::string rows = ctx.AddNode("Range", {zero, DimOf(ctx, query, 1), one});
  std::string cols = ctx.AddNode("Range", {zero, DimOf(ctx, value, 1), one});
  return ctx.AddNode("GreaterOrEqual", {ctx.Unsqueeze(rows, {1}), ctx.Unsqueeze(cols, {0})});
}

std::string AndMasks(LayerContext& ctx, const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return ctx.AddNode("And", {a, b});
}

bool CallFlag(const LayerContext& ctx, const char* key) {
  const Json& kw = ctx.call_kwargs();
  if (!kw.is_object()) return false;
  const Json* v = FindNonNull(kw, key);
  return v != nullptr && AsBool(*v).value_or(false);
}

absl::Status ConvertMultiHeadAttention(LayerContext& ctx) {
  // query, value[, key] positionally or by keyword.
  const std::string query_in = ctx.input(0);
  std::string value_in, key_in;
  int value_index = -1, key_index = -1;
  if (ctx.num_inputs() >= 2) {
    value_in = ctx.input(1);
    value_index = 1;
  } else if (auto v = ctx.kwarg_inputs("value"); !v.empty()) {
    value_in = v[0];
  } else {
    return ctx.Error("expects query and value tensors");
  }
  if (ctx.num_inputs() >= 3) {
    key_in = ctx.input(2);
    key_index = 2;
  } else if (auto k = ctx.kwarg_inputs("key"); !k.empty()) {
    key_in = k[0];
  } else {
    key_in = value_in;
    key_index = value_index;
  }
  if (ctx.num_inputs() > 3) {
    return ctx.Unsupported("masks passed positionally (pass attention_mask= by keyword)");
  }
  if (ctx.Bool("use_gate", false)) return ctx.Unsupported("use_gate=True");
  if (ctx.has("sliding_window")) return ctx.Unsupported("sliding_window");

  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank < 3) return ctx.Error(absl::StrCat("query has rank ", rank, ", expected at least 3"));
  // Only the default attention_axes: every axis between batch and features.
  if (const Json* axes = ctx.cfg("attention_axes")) {
    ASSIGN_OR_RETURN(std::vector<int64_t> a, ctx.Ints("attention_axes", 0));
    std::vector<int64_t> want;
    for (int i = 1; i < rank - 1; ++i) want.push_back(i);
    for (int64_t& x : a) x = x < 0 ? x + rank : x;
    if (a != want) {
      return ctx.Unsupported(absl::StrCat("attention_axes=", DumpJson(*axes), " (only the default, ",
                                          "every axis between batch and features, is converted)"));
    }
  }
  const bool use_bias = ctx.Bool("use_bias", true);
  // GroupedQueryAttention: head_dim, and key/value heads shared by groups of query heads.
  const bool grouped = ctx.class_name() != "MultiHeadAttention";
  const float key_dim = static_cast<float>(ctx.Int(grouped ? "head_dim" : "key_dim", 0));
  if (key_dim <= 0) return ctx.Error("config has no positive key_dim");

  // Rank > 3: flatten the attention axes into one, restored at the end.
  std::string query = FloatValue(ctx, query_in), value = FloatValue(ctx, value_in),
              key = FloatValue(ctx, key_in);
  std::string query_shape;
  if (rank > 3) {
    query_shape = ctx.AddNode("Shape", {query});
    auto flat = [&](const std::string& x) {
      std::string last = ctx.AddNode("Slice", {ctx.AddNode("Shape", {x}), ctx.ConstInt64s({-1}),
                                               ctx.ConstInt64s({rank})});
      return ctx.AddNode("Reshape", {x, ctx.AddNode("Concat", {ctx.ConstInt64s({0, -1}), last},
                                                    {Attribute::Int("axis", 0)})});
    };
    query = flat(query);
    value = flat(value);
    key = key_in == value_in ? value : flat(key);
  }

  int64_t heads = 0, kd = 0, heads_k = 0, kd_k = 0, heads_v = 0, vd = 0;
  ASSIGN_OR_RETURN(std::string q, ProjectHeads(ctx, query, "query", "query_dense", use_bias,
                                               1.0f / std::sqrt(key_dim), &heads, &kd));
  ASSIGN_OR_RETURN(std::string k, ProjectHeads(ctx, key, "key", "key_dense", use_bias, 1.0f,
                                               &heads_k, &kd_k));
  ASSIGN_OR_RETURN(std::string v, ProjectHeads(ctx, value, "value", "value_dense", use_bias, 1.0f,
                                               &heads_v, &vd));
  if (grouped && heads_k == heads_v && heads_k > 0 && heads % heads_k == 0 && heads_k != heads) {
    // Each key/value head serves heads / heads_k consecutive query heads (Keras's ops.repeat).
    const int64_t r = heads / heads_k;
    auto repeat = [&](const std::string& x, int64_t dim) {
      std::string t = ctx.AddNode("Tile", {ctx.Unsqueeze(x, {2}), ctx.ConstInt64s({1, 1, r, 1, 1}, "repeats")});
      return ctx.Reshape(t, {0, heads, -1, dim});
    };
    k = repeat(k, kd_k);
    v = repeat(v, vd);
    heads_k = heads_v = heads;
  }
  if (heads_k != heads || heads_v != heads || kd_k != kd) {
    return ctx.Error("query, key and value kernels disagree on num_heads or key_dim");
  }

  // Scores [B, H, T, S].
  std::string scores = ctx.AddNode("MatMul", {q, ctx.Transpose(k, {0, 1, 3, 2})});

  // Mask [B|1, T, S]: attention_mask & query/value/key Keras masks & causal.
  std::string mask;
  if (auto m = ctx.kwarg_inputs("attention_mask"); !m.empty()) {
    if (rank > 3) return ctx.Unsupported("attention_mask with inputs of rank > 3");
    mask = ctx.Cast(m[0], DataType::kBool);
  }
  if (rank == 3) {
    if (ctx.input_mask(0)) mask = AndMasks(ctx, mask, ctx.Unsqueeze(ctx.MaskTensor(*ctx.input_mask(0)), {2}));
    if (value_index >= 0 && ctx.input_mask(value_index)) {
      mask = AndMasks(ctx, mask, ctx.Unsqueeze(ctx.MaskTensor(*ctx.input_mask(value_index)), {1}));
    }
    if (key_index >= 0 && key_index != value_index && ctx.input_mask(key_index)) {
      mask = AndMasks(ctx, mask, ctx.Unsqueeze(ctx.MaskTensor(*ctx.input_mask(key_index)), {1}));
    }
  }
  const bool causal_only = mask.empty() && CallFlag(ctx, "use_causal_mask");
  if (CallFlag(ctx, "use_causal_mask")) {
    mask = AndMasks(ctx, mask, CausalMask(ctx, query, value));
  }
  if (!mask.empty()) {
    // Rank 2 (causal only) broadcasts as is; [B, T, S] gets a heads axis.
    if (!causal_only) mask = ctx.Unsqueeze(mask, {1});
    scores = ctx.AddNode("Where", {mask, scores, ctx.ConstFloat(-1e9f, "large_negative")});
  }
  std::string probs = ctx.AddNode("Softmax", {scores}, {Attribute::Int("axis", -1)});

  // Context [B, H, T, V] -> [B, T, H*V] -> output projection.
  std::string context =
      ctx.Reshape(ctx.Transpose(ctx.AddNode("MatMul", {probs, v}), {0, 2, 1, 3}), {0, 0, heads * vd});
  ASSIGN_OR_RETURN(ir::Tensor wo, MhaWeight(ctx, "attention_output", "output_dense", 0));
  if (wo.rank() < 3 || wo.dims()[0] != heads || wo.dims()[1] != vd) {
    return ctx.Unsupported("an output projection other than [num_heads, value_dim, features]");
  }
  std::vector<int64_t> out_dims(wo.dims().begin() + 2, wo.dims().end());
  int64_t out_size = 1;
  for (int64_t d : out_dims) out_size *= d;
  ASSIGN_OR_RETURN(std::string w, ctx.CachedConst("attention_output/kernel", [&]() {
    return ScaledReshape(wo, {heads * vd, out_size}, 1.0f);
  }));
  std::string y = ctx.AddNode("MatMul", {context, w});
  if (use_bias) {
    ASSIGN_OR_RETURN(ir::Tensor bo, MhaWeight(ctx, "attention_output", "output_dense", 1));
    ASSIGN_OR_RETURN(std::string b, ctx.CachedConst("attention_output/bias", [&]() {
      return ScaledReshape(bo, {out_size}, 1.0f);
    }));
    y = ctx.AddNode("Add", {y, b});
  }
  if (rank > 3 || out_dims.size() > 1) {
    // [B, T, out...] or the query's own attention axes back.
    std::string lead = rank > 3 ? ctx.AddNode("Slice", {query_shape, ctx.ConstInt64s({0}),
                                                        ctx.ConstInt64s({rank - 1})})
                                : ctx.ConstInt64s({0, 0});
    y = ctx.AddNode("Reshape", {y, ctx.AddNode("Concat", {lead, ctx.ConstInt64s(out_dims)},
                                               {Attribute::Int("axis", 0)})});
  }
  ctx.SetOutput(0, y);
  if (ctx.input_mask(0)) ctx.SetOutputMask(0, *ctx.input_mask(0));
  if (CallFlag(ctx, "return_attention_scores")) {
    if (rank > 3) return ctx.Unsupported("return_attention_scores with inputs of rank > 3");
    ctx.SetOutput(1, probs);
  }
  return absl::OkStatus();
}

// EinsumDense: ONNX Einsum with Keras's own equation, then the bias (stored in
// the shape that broadcasts against the output's trailing axes) and the activation.
absl::Status ConvertEinsumDense(LayerContext& ctx) {
  const std::string equation = ctx.String("equation", "");
  if (equation.empty()) return ctx.Error("config has no equation");
  if (ctx.num_weights() > 0 && !ir::IsFloating(ctx.weights()[0].value.dtype())) {
    return ctx.Unsupported("a quantized kernel (Keras int8/int4 quantization)");
  }
  ASSIGN_OR_RETURN(auto kernel, ctx.WeightConst(0, "kernel"));
  std::string y = ctx.AddNode("Einsum", {FloatValue(ctx, ctx.input(0)), kernel},
                              {Attribute::String("equation", equation)});
  if (ctx.has("bias_axes") && ctx.num_weights() > 1) {
    ASSIGN_OR_RETURN(auto bias, ctx.WeightConst(1, "bias"));
    y = ctx.AddNode("Add", {y, bias});
  }
  ASSIGN_OR_RETURN(auto out, ctx.ActivationFromConfig(y));
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

// The Keras masks of an Attention call: mask=[query_mask, value_mask(, key_mask)]
// as saved (Keras 3 records the list, with nulls), else (Keras 2) the masks
// travelling with the query and value inputs. "" where none.
absl::StatusOr<std::pair<std::string, std::string>> AttentionMasks(LayerContext& ctx) {
  std::pair<std::string, std::string> out;
  const std::vector<std::string> tensors = ctx.kwarg_inputs("mask");
  const Json& kw = ctx.call_kwargs();
  const Json* m = kw.is_object() ? FindNonNull(kw, "mask") : nullptr;
  if (m != nullptr && m->is_array()) {
    size_t next = 0;
    for (size_t i = 0; i < m->size(); ++i) {
      if ((*m)[i].is_null()) continue;
      if (next >= tensors.size()) return ctx.Error("more mask entries than mask tensors");
      const std::string t = ctx.Cast(tensors[next++], DataType::kBool);
      if (i == 0) out.first = t;
      if (i == 1) out.second = t;
    }
    return out;
  }
  if (!tensors.empty()) return ctx.Unsupported("a mask that is not a list [query_mask, value_mask]");
  // Keras 3 passes no implicit masks to a layer called on a list (its query and
  // value masks are dropped, Embedding's included); Keras 2 passed them.
  if (ctx.keras_major() >= 3) return out;
  if (ctx.input_mask(0)) out.first = ctx.MaskTensor(*ctx.input_mask(0));
  if (ctx.input_mask(1)) out.second = ctx.MaskTensor(*ctx.input_mask(1));
  return out;
}

// Attention (Luong, score_mode "dot" or "concat") and AdditiveAttention
// (Bahdanau): inputs [query, value(, key)], scores [B, Tq, Tv], softmax over
// Tv, weights @ value. Keras masks: scores of masked value steps (and, with
// use_causal_mask, of later steps) lose 1e9; outputs at masked query steps are 0.
absl::Status ConvertDotAttention(LayerContext& ctx) {
  const bool additive = ctx.class_name() == "AdditiveAttention";
  ASSIGN_OR_RETURN(auto masks, AttentionMasks(ctx));
  const std::string q = FloatValue(ctx, ctx.input(0));
  const std::string v = FloatValue(ctx, ctx.input(1));
  const std::string k = ctx.num_inputs() > 2 ? FloatValue(ctx, ctx.input(2)) : v;
  const std::string mode = additive ? "concat" : ctx.String("score_mode", "dot");
  const bool use_scale = ctx.Bool("use_scale", additive);
  int next_weight = 0;
  std::string scale;
  if (use_scale) {
    ASSIGN_OR_RETURN(scale, ctx.WeightConst(next_weight++, "scale"));
  }
  std::string scores;
  if (mode == "dot") {
    scores = ctx.AddNode("MatMul", {q, ctx.Transpose(k, {0, 2, 1})});
    if (use_scale) scores = ctx.AddNode("Mul", {scores, scale});
  } else if (mode == "concat") {
    // sum(tanh(scale * (q[:, :, None] + k[:, None])), -1), scaled after the
    // tanh for AdditiveAttention (scale has shape [dim] there).
    std::string sum = ctx.AddNode("Add", {ctx.Unsqueeze(q, {2}), ctx.Unsqueeze(k, {1})});
    if (use_scale && !additive) sum = ctx.AddNode("Mul", {sum, scale});
    std::string t = ctx.AddNode("Tanh", {sum});
    if (use_scale && additive) t = ctx.AddNode("Mul", {t, scale});
    scores = ctx.Reduce("ReduceSum", t, {-1}, false);
    if (!additive) {
      ASSIGN_OR_RETURN(auto w, ctx.WeightConst(next_weight++, "concat_score_weight"));
      scores = ctx.AddNode("Mul", {scores, w});
    }
  } else {
    return ctx.Unsupported(absl::StrCat("score_mode '", mode, "'"));
  }
  // [B, 1, Tv] value mask and [Tq, Tv] causal mask.
  std::string allowed = masks.second.empty() ? "" : ctx.Unsqueeze(masks.second, {1});
  if (CallFlag(ctx, "use_causal_mask") || ctx.Bool("causal", false)) {
    allowed = AndMasks(ctx, allowed, CausalMask(ctx, q, k));
  }
  if (!allowed.empty()) {
    // Keras subtracts 1e9 where masked (not a replacement as in MultiHeadAttention).
    std::string masked = ctx.AddNode("Not", {allowed});
    std::string penalty = ctx.AddNode("Mul", {ctx.Cast(masked, DataType::kFloat), ctx.ConstFloat(1e9f)});
    scores = ctx.AddNode("Sub", {scores, penalty});
  }
  std::string weights = ctx.AddNode("Softmax", {scores}, {Attribute::Int("axis", -1)});
  std::string y = ctx.AddNode("MatMul", {weights, v});
  if (!masks.first.empty()) {
    y = ctx.AddNode("Where", {ctx.Unsqueeze(masks.first, {2}), y, ctx.ConstFloat(0.0f, "zero")});
  }
  ctx.SetOutput(0, y);
  if (ctx.keras_major() < 3 && ctx.input_mask(0)) ctx.SetOutputMask(0, *ctx.input_mask(0));
  if (CallFlag(ctx, "return_attention_scores")) ctx.SetOutput(1, weights);
  return absl::OkStatus();
}

}  // namespace

void RegisterAttentionLayers(LayerRegistry& r) {
  // MultiHeadAttention: query, value[, key] positionally or by keyword.
  r.Register({"MultiHeadAttention"}, InputsAtLeast(1), ConvertMultiHeadAttention,
             "default attention_axes; attention_mask by keyword (inputs of rank 3); "
             "no use_gate, sliding_window or quantized kernels");
  r.Register({"GroupedQueryAttention", "GroupQueryAttention"}, InputsAtLeast(1), ConvertMultiHeadAttention,
             "as MultiHeadAttention, key/value heads repeated; no use_gate, sliding_window or "
             "quantized kernels");
  r.Register({"EinsumDense"}, Inputs(1), ConvertEinsumDense, "no quantized kernels");
  r.Register({"Attention", "AdditiveAttention"}, Inputs(2, 3), ConvertDotAttention,
             "Keras masks (mask=[query_mask, value_mask]), use_causal_mask");
}

}  // namespace onnxsmith::converter::keras
