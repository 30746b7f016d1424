// fuse_conv_scale_bias and fuse_matmul_add_into_gemm.
#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::optimizer {

namespace {

bool IsFloatType(ir::DataType t) {
  return t == ir::DataType::kFloat || t == ir::DataType::kDouble || t == ir::DataType::kFloat16 ||
         t == ir::DataType::kBfloat16;
}

// ---- Conv followed by a per-output-channel Mul/Div/Add/Sub ------------------

struct ConvAffineMatch {
  ir::Node* conv = nullptr;
  std::string k;                // the constant operand
  int64_t k_elements = 0;       // 1 or M
  std::vector<int64_t> w_dims;  // [M, C/group, k...]
  bool has_bias = false;
};

std::optional<ConvAffineMatch> MatchConvAffine(GraphEditor& ed, const ir::Node& n) {
  if (n.inputs.size() != 2 || n.outputs.size() != 1) return std::nullopt;
  // Before opset 7 Mul/Add broadcast by a `broadcast`/`axis` attribute, not
  // numpy-style.
  if (ed.opset() > 0 && ed.opset() < 7) return std::nullopt;
  const bool commutative = n.op_type == "Mul" || n.op_type == "Add";
  for (int s = 0; s < 2; ++s) {
    if (s == 1 && !commutative) break;
    const std::string& c = n.inputs[s];
    const std::string& k = n.inputs[1 - s];
    if (c.empty() || k.empty() || c == k) continue;
    ir::Node* conv = ed.Producer(c);
    if (!conv || conv->op_type != "Conv" || !IsOnnxDomain(*conv) || conv->outputs.size() != 1 ||
        conv->inputs.size() < 2) {
      continue;
    }
    if (!ed.OnlyUsedBy(c, &n)) continue;
    const std::string& w = conv->inputs[1];
    if (w.empty() || !ed.IsConstantExpr(w) || !ed.IsConstantExpr(k)) continue;
    auto w_dims = ConstantDims(ed, w);
    auto k_dims = ConstantDims(ed, k);
    if (!w_dims || !k_dims || w_dims->size() < 3) continue;
    const ir::DataType dtype = ed.DataTypeOf(w);
    if (!IsFloatType(dtype) || ed.DataTypeOf(k) != dtype) continue;
    const int64_t m = (*w_dims)[0];
    const size_t rank = w_dims->size();
    if (k_dims->size() > rank) continue;
    // Right-aligned against [N, M, spatial...]: only the channel dim may be
    // other than 1, and then it must be M.
    std::vector<int64_t> padded(rank - k_dims->size(), 1);
    padded.insert(padded.end(), k_dims->begin(), k_dims->end());
    bool per_channel = padded[1] == 1 || padded[1] == m;
    for (size_t i = 0; i < rank; ++i) {
      if (i != 1 && padded[i] != 1) per_channel = false;
    }
    if (!per_channel) continue;
    if (auto c_rank = ed.RankOf(c); c_rank && *c_rank != static_cast<int>(rank)) continue;
    ConvAffineMatch match;
    match.conv = conv;
    match.k = k;
    match.k_elements = padded[1];
    match.w_dims = *w_dims;
    if (conv->inputs.size() > 2 && !conv->inputs[2].empty()) {
      auto b_dims = ConstantDims(ed, conv->inputs[2]);
      if (!b_dims || *b_dims != std::vector<int64_t>{m} ||
          ed.DataTypeOf(conv->inputs[2]) != dtype) {
        continue;
      }
      match.has_bias = true;
    }
    return match;
  }
  return std::nullopt;
}

template <typename T>
std::vector<T> PerChannel(const ir::Tensor& k, int64_t m) {
  auto data = k.data<T>();
  std::vector<T> out(m);
  for (int64_t i = 0; i < m; ++i) out[i] = data.size() == 1 ? data[0] : data[i];
  return out;
}

// W'[m] = W[m] (op) s[m] and B'[m] = B[m] (op) s[m] on the tensors.
template <typename T>
void FoldNumeric(const std::string& op, const ir::Tensor& w, const ir::Tensor* b,
                 const ir::Tensor& k, std::optional<ir::Tensor>& w_out, ir::Tensor& b_out) {
  const int64_t m = w.dims()[0];
  const std::vector<T> s = PerChannel<T>(k, m);
  std::vector<T> bias(m, T(0));
  if (b) {
    auto bd = b->data<T>();
    std::copy(bd.begin(), bd.end(), bias.begin());
  }
  const bool scale = op == "Mul" || op == "Div";
  if (scale) {
    const int64_t per = w.num_elements() / std::max<int64_t>(m, 1);
    auto wd = w.data<T>();
    // Written straight into the new tensor's buffer (no second copy, and no
    // zero-fill: new T[] leaves it uninitialized).
    std::shared_ptr<T[]> nw_buf(new T[std::max<size_t>(wd.size(), 1)]);
    T* nw = nw_buf.get();
    // Heavy per-channel work (large filters) runs on TBB.
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, m, 16),
                      [&](const tbb::blocked_range<int64_t>& r) {
                        for (int64_t c = r.begin(); c < r.end(); ++c) {
                          const T f = s[c];
                          const T* src = wd.data() + c * per;
                          T* dst = nw + c * per;
                          if (op == "Mul") {
                            for (int64_t i = 0; i < per; ++i) dst[i] = src[i] * f;
                          } else {
                            for (int64_t i = 0; i < per; ++i) dst[i] = src[i] / f;
                          }
                        }
                      });
    w_out = *ir::Tensor::FromShared(
        ir::DataTypeOf<T>(), w.dims(), std::move(nw_buf),
        absl::string_view(reinterpret_cast<const char*>(nw), wd.size() * sizeof(T)));
  }
  for (int64_t c = 0; c < m; ++c) {
    if (op == "Mul") bias[c] = bias[c] * s[c];
    if (op == "Div") bias[c] = bias[c] / s[c];
    if (op == "Add") bias[c] = bias[c] + s[c];
    if (op == "Sub") bias[c] = bias[c] - s[c];
  }
  b_out = ir::Tensor::FromVector<T>({m}, bias);
}

std::string AddBinaryNode(GraphEditor& ed, const std::string& op, const std::string& a,
                          const std::string& b, const std::string& base, ir::ValueType type) {
  ir::Node n;
  n.name = ed.NewNodeName(absl::StrCat(base, "_", op));
  n.op_type = op;
  n.inputs = {a, b};
  std::string out = ed.NewValueName(base);
  n.outputs = {out};
  ed.AddNode(std::move(n));
  ed.SetType(out, std::move(type));
  return out;
}

ir::Tensor Zeros(ir::DataType dtype, int64_t m) {
  std::string raw(static_cast<size_t>(m * ir::ElementSize(dtype)), '\0');
  return *ir::Tensor::FromRaw(dtype, {m}, std::move(raw));
}

absl::StatusOr<bool> FoldConvAffine(GraphEditor& ed, ir::Node& n) {
  const ConvAffineMatch mt = *MatchConvAffine(ed, n);
  ir::Node* conv = mt.conv;
  const std::string& op = n.op_type;
  const std::string w = conv->inputs[1];
  const std::string b = mt.has_bias ? conv->inputs[2] : "";
  const int64_t m = mt.w_dims[0];
  const ir::DataType dtype = ed.DataTypeOf(w);
  const bool scale = op == "Mul" || op == "Div";
  std::string new_w = w, new_b;
  const ir::Tensor* wt = ed.Constant(w);
  const ir::Tensor* kt = ed.Constant(mt.k);
  const ir::Tensor* bt = mt.has_bias ? ed.Constant(b) : nullptr;
  const bool numeric = wt && kt && (!mt.has_bias || bt) &&
                       (dtype == ir::DataType::kFloat || dtype == ir::DataType::kDouble) &&
                       kt->num_elements() == mt.k_elements;
  // Scaling a Conv without bias keeps it without bias (0 * s = 0).
  const bool bias_out = !scale || mt.has_bias;
  if (numeric) {
    std::optional<ir::Tensor> w_out;
    ir::Tensor b_out;
    if (dtype == ir::DataType::kFloat) {
      FoldNumeric<float>(op, *wt, bt, *kt, w_out, b_out);
    } else {
      FoldNumeric<double>(op, *wt, bt, *kt, w_out, b_out);
    }
    if (w_out) new_w = ed.AddInitializer(absl::StrCat(w, "_folded"), *std::move(w_out));
    if (bias_out) {
      new_b = ed.AddInitializer(absl::StrCat(conv->name, "_bias_folded"), std::move(b_out));
    }
  } else {
    // Symbolic: the arithmetic goes on the constant path, for constant
    // folding to finish.
    if (scale) {
      std::vector<int64_t> kw_dims(mt.w_dims.size(), 1);
      kw_dims[0] = mt.k_elements;
      const std::string kw = ReshapedConstant(ed, mt.k, kw_dims, absl::StrCat(mt.k, "_per_filter"));
      if (kw.empty()) return false;
      new_w = AddBinaryNode(ed, op, w, kw, absl::StrCat(w, "_folded"),
                            ir::MakeType(dtype, mt.w_dims));
    }
    if (bias_out) {
      const std::string kb =
          ReshapedConstant(ed, mt.k, {mt.k_elements}, absl::StrCat(mt.k, "_per_channel"));
      if (kb.empty()) return false;
      if (!mt.has_bias && op == "Add" && mt.k_elements == m) {
        new_b = kb;  // 0 + k
      } else {
        const std::string bias =
            mt.has_bias
                ? b
                : ed.AddInitializer(absl::StrCat(conv->name, "_zero_bias"), Zeros(dtype, m));
        new_b = AddBinaryNode(ed, op, bias, kb, absl::StrCat(conv->name, "_bias_folded"),
                              ir::MakeType(dtype, {m}));
      }
    }
  }
  ed.SetInput(conv, 1, new_w);
  // The old filter goes now rather than at the next dead-code pass: the
  // model's filters then live once, not twice, while this pass folds them.
  if (new_w != w && ed.NumUses(w) == 0 && !ed.IsGraphInput(w)) ed.graph().initializers.erase(w);
  if (!new_b.empty()) {
    ed.SetInput(conv, 2, new_b);
  }
  ed.AbsorbConsumer(conv, &n);
  return true;
}

RewriteRule ConvAffineRule() {
  RewriteRule r;
  r.name = "fold_conv_scale_bias";
  r.op_types = {"Mul", "Div", "Add", "Sub"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return MatchConvAffine(ed, n).has_value();
  };
  r.action = FoldConvAffine;
  return r;
}

// ---- MatMul + Add -> Gemm ----------------------------------------------------

struct GemmMatch {
  ir::Node* matmul = nullptr;
  std::string c;
};

std::optional<GemmMatch> MatchGemm(GraphEditor& ed, const ir::Node& n) {
  if (n.inputs.size() != 2 || n.outputs.size() != 1) return std::nullopt;
  if (ed.opset() > 0 && ed.opset() < 7) return std::nullopt;  // no broadcasting C
  for (int s = 0; s < 2; ++s) {
    const std::string& mm_out = n.inputs[s];
    const std::string& c = n.inputs[1 - s];
    if (mm_out.empty() || c.empty() || mm_out == c) continue;
    ir::Node* mm = ed.Producer(mm_out);
    if (!mm || mm->op_type != "MatMul" || !IsOnnxDomain(*mm) || mm->inputs.size() != 2 ||
        mm->outputs.size() != 1) {
      continue;
    }
    if (!ed.OnlyUsedBy(mm_out, &n)) continue;
    auto a_dims = ed.DimsOf(mm->inputs[0]);
    auto b_dims = ed.DimsOf(mm->inputs[1]);
    if (!a_dims || !b_dims || a_dims->size() != 2 || b_dims->size() != 2) continue;
    const ir::DataType dtype = ed.DataTypeOf(mm->inputs[0]);
    if (!IsFloatType(dtype) || ed.DataTypeOf(c) != dtype) continue;
    if (!ed.IsConstantExpr(c)) continue;
    auto c_dims = ConstantDims(ed, c);
    if (!c_dims || c_dims->size() > 2) continue;
    // C must broadcast to [M, N] without widening the result.
    std::vector<int64_t> padded(2 - c_dims->size(), 1);
    padded.insert(padded.end(), c_dims->begin(), c_dims->end());
    const int64_t rows = (*a_dims)[0], cols = (*b_dims)[1];
    if (padded[0] != 1 && padded[0] != rows) continue;
    if (padded[1] != 1 && padded[1] != cols) continue;
    return GemmMatch{mm, c};
  }
  return std::nullopt;
}

RewriteRule GemmRule() {
  RewriteRule r;
  r.name = "matmul_add_to_gemm";
  r.op_types = {"Add"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) { return MatchGemm(ed, n).has_value(); };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const GemmMatch mt = *MatchGemm(ed, n);
    ir::Node* mm = mt.matmul;
    mm->op_type = "Gemm";
    ed.AddInput(mm, mt.c);
    ed.AbsorbConsumer(mm, &n);
    return true;
  };
  return r;
}

}  // namespace

std::vector<RewriteRule> ConvScaleBiasRules() { return {ConvAffineRule()}; }

std::unique_ptr<Pass> CreateConvScaleBiasFusionPass() {
  return std::make_unique<RewritePass>("fuse_conv_scale_bias", ConvScaleBiasRules());
}

std::vector<RewriteRule> GemmFusionRules() { return {GemmRule()}; }

std::unique_ptr<Pass> CreateMatMulAddToGemmPass() {
  return std::make_unique<RewritePass>("fuse_matmul_add_into_gemm", GemmFusionRules());
}

}  // namespace onnxsmith::optimizer
