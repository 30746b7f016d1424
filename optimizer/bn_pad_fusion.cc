// fuse_batchnorm and fuse_pad.
//
// A lone BatchNormalization (no Conv/ConvTranspose/Gemm right before it
// whose output only it reads) is left alone rather than rewritten as Mul+Add:
// one node is smaller, runtimes have a fast kernel for it, and the only pass
// that would absorb the Mul+Add (fuse_conv_scale_bias) looks for a Conv
// producer, the case folded here directly.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::optimizer {

namespace {

void SetFloatAttr(ir::Node& n, const std::string& name, float v) {
  if (ir::Attribute* a = MutableAttr(n, name)) {
    a->kind = ir::Attribute::Kind::kFloat;
    a->f = v;
  } else {
    n.attributes.push_back(ir::Attribute::Float(name, v));
  }
}

// ---- BatchNormalization into Conv / ConvTranspose / Gemm ---------------------

struct BnMatch {
  ir::Node* producer = nullptr;
  int64_t channels = 0;
};

std::optional<BnMatch> MatchBatchNorm(GraphEditor& ed, const ir::Node& bn) {
  // Inference form only: one output, no training_mode, spatial (opset < 9).
  if (bn.inputs.size() != 5 || bn.outputs.empty() || bn.outputs[0].empty()) return std::nullopt;
  for (size_t k = 1; k < bn.outputs.size(); ++k) {
    if (!bn.outputs[k].empty() && ed.NumUses(bn.outputs[k]) > 0) return std::nullopt;
  }
  if (bn.GetInt("training_mode", 0) != 0 || bn.GetInt("spatial", 1) != 1) return std::nullopt;
  if (ed.opset() > 0 && ed.opset() < 7) return std::nullopt;  // is_test / consumed_inputs era
  ir::Node* p = ed.Producer(bn.inputs[0]);
  if (!p || !IsOnnxDomain(*p) || p->outputs.size() != 1 || p->inputs.size() < 2) {
    return std::nullopt;
  }
  if (p->op_type != "Conv" && p->op_type != "ConvTranspose" && p->op_type != "Gemm") {
    return std::nullopt;
  }
  if (!ed.OnlyUsedBy(bn.inputs[0], &bn)) return std::nullopt;
  const ir::Tensor* w = ed.Constant(p->inputs[1]);
  if (!w) return std::nullopt;
  const ir::DataType dtype = w->dtype();
  if (dtype != ir::DataType::kFloat && dtype != ir::DataType::kDouble) return std::nullopt;
  int64_t m = 0;
  if (p->op_type == "Conv") {
    if (w->rank() < 3) return std::nullopt;
    m = w->dims()[0];
  } else if (p->op_type == "ConvTranspose") {
    if (w->rank() < 3) return std::nullopt;
    m = w->dims()[1] * p->GetInt("group", 1);
  } else {
    if (w->rank() != 2) return std::nullopt;
    m = p->GetInt("transB", 0) ? w->dims()[0] : w->dims()[1];
    if (auto r = ed.RankOf(bn.inputs[0]); r && *r != 2) return std::nullopt;
  }
  for (size_t k = 1; k < 5; ++k) {
    const ir::Tensor* t = ed.Constant(bn.inputs[k]);
    if (!t || t->dtype() != dtype || t->dims() != std::vector<int64_t>{m}) return std::nullopt;
  }
  if (p->inputs.size() > 2 && !p->inputs[2].empty()) {
    const ir::Tensor* b = ed.Constant(p->inputs[2]);
    if (!b || b->dtype() != dtype) return std::nullopt;
    if (p->op_type == "Gemm") {
      // C must broadcast along rows only: scalar, [N] or [1, N].
      const auto& d = b->dims();
      const bool ok = b->num_elements() == 1 || d == std::vector<int64_t>{m} ||
                      d == std::vector<int64_t>{1, m};
      if (!ok) return std::nullopt;
    } else if (b->dims() != std::vector<int64_t>{m}) {
      return std::nullopt;
    }
  }
  return BnMatch{p, m};
}

template <typename T>
absl::StatusOr<bool> FoldBatchNorm(GraphEditor& ed, ir::Node& bn, const BnMatch& mt) {
  ir::Node* p = mt.producer;
  const int64_t m = mt.channels;
  const ir::Tensor& w = *ed.Constant(p->inputs[1]);
  auto gamma = ed.Constant(bn.inputs[1])->data<T>();
  auto beta = ed.Constant(bn.inputs[2])->data<T>();
  auto mean = ed.Constant(bn.inputs[3])->data<T>();
  auto var = ed.Constant(bn.inputs[4])->data<T>();
  const ir::Attribute* eps_attr = bn.FindAttr("epsilon");
  const double eps = eps_attr ? eps_attr->f : 1e-5;
  // y = s * (x - mean) + beta with s = gamma / sqrt(var + eps), in double.
  std::vector<double> s(m), shift(m);
  for (int64_t c = 0; c < m; ++c) {
    s[c] = static_cast<double>(gamma[c]) / std::sqrt(static_cast<double>(var[c]) + eps);
    shift[c] = static_cast<double>(beta[c]) - static_cast<double>(mean[c]) * s[c];
  }
  // Old bias (per channel, times beta for Gemm) -> new bias.
  double alpha_bias = 1.0;
  if (p->op_type == "Gemm") {
    const ir::Attribute* b = p->FindAttr("beta");
    alpha_bias = b ? b->f : 1.0;
  }
  std::vector<T> bias(m);
  const ir::Tensor* old_b =
      p->inputs.size() > 2 && !p->inputs[2].empty() ? ed.Constant(p->inputs[2]) : nullptr;
  for (int64_t c = 0; c < m; ++c) {
    double b0 = 0;
    if (old_b) {
      auto bd = old_b->data<T>();
      b0 = alpha_bias * static_cast<double>(bd.size() == 1 ? bd[0] : bd[c]);
    }
    bias[c] = static_cast<T>(b0 * s[c] + shift[c]);
  }
  // Weight scaled along the output-channel axis; TBB over the outer axis.
  auto wd = w.data<T>();
  std::vector<T> nw(wd.size());
  const std::vector<int64_t>& dims = w.dims();
  int64_t inner = 1;
  for (size_t k = 2; k < dims.size(); ++k) inner *= dims[k];
  const int64_t d0 = dims[0], d1 = dims.size() > 1 ? dims[1] : 1;
  const std::string& op = p->op_type;
  const bool trans_b = op == "Gemm" && p->GetInt("transB", 0);
  const int64_t in_per_group = op == "ConvTranspose" ? d0 / std::max<int64_t>(1, p->GetInt("group", 1)) : 1;
  // Output channel of weight element [i, j, ...].
  auto channel = [&](int64_t i, int64_t j) -> int64_t {
    if (op == "Conv" || trans_b) return i;
    if (op == "Gemm") return j;
    return (i / in_per_group) * d1 + j;  // ConvTranspose: [C, M/group, k...]
  };
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, d0, 8), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t i = r.begin(); i < r.end(); ++i) {
      for (int64_t j = 0; j < d1; ++j) {
        const double f = s[channel(i, j)];
        const int64_t base = (i * d1 + j) * inner;
        for (int64_t k = 0; k < inner; ++k) {
          nw[base + k] = static_cast<T>(static_cast<double>(wd[base + k]) * f);
        }
      }
    }
  });
  const std::string new_w =
      ed.AddInitializer(absl::StrCat(p->inputs[1], "_bn"), ir::Tensor::FromVector<T>(dims, nw));
  const std::string new_b =
      ed.AddInitializer(absl::StrCat(p->name, "_bias_bn"), ir::Tensor::FromVector<T>({m}, bias));
  ed.SetInput(p, 1, new_w);
  ed.SetInput(p, 2, new_b);
  if (op == "Gemm") {
    SetFloatAttr(*p, "beta", 1.0f);
  }
  ed.AbsorbConsumer(p, &bn);
  return true;
}

RewriteRule BatchNormRule() {
  RewriteRule r;
  r.name = "fold_batchnorm";
  r.op_types = {"BatchNormalization"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return MatchBatchNorm(ed, n).has_value();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const BnMatch mt = *MatchBatchNorm(ed, n);
    if (ed.Constant(mt.producer->inputs[1])->dtype() == ir::DataType::kFloat) {
      return FoldBatchNorm<float>(ed, n, mt);
    }
    return FoldBatchNorm<double>(ed, n, mt);
  };
  return r;
}

// ---- Pad into Conv / AveragePool / MaxPool ---------------------------------

// The pads of a Pad node over all its dims ([begin..., end...]), when it is a
// zero, constant-mode, non-negative pad of rank >= 3.
std::optional<std::vector<int64_t>> ZeroPads(GraphEditor& ed, const ir::Node& pad) {
  if (pad.outputs.size() != 1 || pad.inputs.empty()) return std::nullopt;
  const ir::Attribute* mode = pad.FindAttr("mode");
  if (mode && mode->s != "constant") return std::nullopt;
  std::optional<int> rank = ed.RankOf(pad.inputs[0]);
  std::vector<int64_t> pads;
  double value = 0;
  if (ed.opset() > 0 && ed.opset() < 11) {
    const ir::Attribute* a = pad.FindAttr("pads");
    if (!a) return std::nullopt;
    pads = a->ints;
    if (const ir::Attribute* v = pad.FindAttr("value")) value = v->f;
  } else {
    if (pad.inputs.size() < 2 || pad.inputs[1].empty()) return std::nullopt;
    const ir::Tensor* p = ed.Constant(pad.inputs[1]);
    if (!p) return std::nullopt;
    auto v = p->ToInt64s();
    if (!v.ok()) return std::nullopt;
    pads = *v;
    if (pad.inputs.size() > 2 && !pad.inputs[2].empty()) {
      const ir::Tensor* c = ed.Constant(pad.inputs[2]);
      if (!c || c->num_elements() != 1) return std::nullopt;
      auto d = c->ToDoubles();
      if (!d.ok()) return std::nullopt;
      value = (*d)[0];
    }
    if (pad.inputs.size() > 3 && !pad.inputs[3].empty()) {
      // axes (opset 18): scatter into full-rank pads.
      const ir::Tensor* ax = ed.Constant(pad.inputs[3]);
      if (!ax) return std::nullopt;
      auto axes = ax->ToInt64s();
      if (!rank || !axes.ok() || pads.size() != 2 * axes->size()) return std::nullopt;
      std::vector<int64_t> full(2 * *rank, 0);
      const size_t na = axes->size();
      for (size_t k = 0; k < na; ++k) {
        int64_t a = (*axes)[k] < 0 ? (*axes)[k] + *rank : (*axes)[k];
        if (a < 0 || a >= *rank) return std::nullopt;
        full[a] = pads[k];
        full[a + *rank] = pads[k + na];
      }
      pads = std::move(full);
    }
  }
  // Without axes, pads covers every dim: it gives the rank when no type does.
  if (!rank) rank = static_cast<int>(pads.size() / 2);
  if (*rank < 3 || value != 0 || pads.size() != 2 * static_cast<size_t>(*rank)) {
    return std::nullopt;
  }
  if (std::any_of(pads.begin(), pads.end(), [](int64_t v) { return v < 0; })) return std::nullopt;
  return pads;
}

// The spatial part ([begin..., end...] over dims 2..) of `pads` seen through
// a Transpose(perm) (empty: none), when it pads no batch or channel dim.
std::optional<std::vector<int64_t>> SpatialPads(const std::vector<int64_t>& pads,
                                                const std::vector<int64_t>& perm) {
  const size_t rank = pads.size() / 2;
  if (!perm.empty() && perm.size() != rank) return std::nullopt;
  std::vector<int64_t> spatial;
  for (size_t side = 0; side < 2; ++side) {
    for (size_t d = 0; d < rank; ++d) {
      const int64_t v = pads[side * rank + (perm.empty() ? d : perm[d])];
      if (d < 2 && v != 0) return std::nullopt;
      if (d >= 2) spatial.push_back(v);
    }
  }
  return spatial;
}

bool CanTakePads(const ir::Node& n) {
  const ir::Attribute* ap = n.FindAttr("auto_pad");
  if (ap && ap->s != "NOTSET" && !ap->s.empty()) return false;
  if (n.op_type == "Conv") return true;
  // Padding counted in the average only with count_include_pad; ceil_mode
  // windows that run past the pads would be averaged differently.
  if (n.op_type == "AveragePool") {
    return n.GetInt("count_include_pad", 0) == 1 && n.GetInt("ceil_mode", 0) == 0;
  }
  // MaxPool pads with -inf. A zero pad gives the same maxima when the input is
  // never negative and every window keeps a real element (MatchPadInto checks
  // both): so with unit dilations, floor mode and no Indices output.
  if (n.op_type == "MaxPool") {
    const ir::Attribute* dil = n.FindAttr("dilations");
    const bool unit_dilations =
        !dil || std::all_of(dil->ints.begin(), dil->ints.end(), [](int64_t d) { return d == 1; });
    return unit_dilations && n.GetInt("ceil_mode", 0) == 0 &&
           (n.outputs.size() < 2 || n.outputs[1].empty());
  }
  return false;
}

// Whether `value` is never negative: a Relu's output, or a Clip's with a
// constant min >= 0 (Relu6).
bool NeverNegative(GraphEditor& ed, const std::string& value) {
  const ir::Node* p = ed.Producer(value);
  if (!p || !IsOnnxDomain(*p)) return false;
  if (p->op_type == "Relu") return true;
  if (p->op_type != "Clip") return false;
  if (ed.opset() > 0 && ed.opset() < 11) {
    const ir::Attribute* min = p->FindAttr("min");
    return min && min->f >= 0;
  }
  if (p->inputs.size() < 2 || p->inputs[1].empty()) return false;
  const ir::Tensor* min = ed.Constant(p->inputs[1]);
  if (!min || min->num_elements() != 1) return false;
  auto v = min->ToDoubles();
  return v.ok() && (*v)[0] >= 0;
}

// MaxPool's windows each keep a real element when every pad (the Pad's plus
// the node's own) is below the kernel size along its axis.
bool PadsBelowKernel(const ir::Node& pool, const std::vector<int64_t>& spatial) {
  const ir::Attribute* kernel = pool.FindAttr("kernel_shape");
  const size_t nsp = spatial.size() / 2;
  if (!kernel || kernel->ints.size() != nsp) return false;
  const ir::Attribute* own = pool.FindAttr("pads");
  for (size_t k = 0; k < spatial.size(); ++k) {
    const int64_t total = spatial[k] + (own ? own->ints[k] : 0);
    if (total >= kernel->ints[k % nsp]) return false;
  }
  return true;
}

// A zero Pad feeding `n`, directly or through a Transpose (a TF graph's
// NHWC ZeroPadding2D before the NCHW Conv: Pad -> Transpose -> Conv), that
// `n` can absorb: its spatial pads in `n`'s layout go to *spatial and the
// Transpose, if any, to *transpose.
ir::Node* MatchPadInto(GraphEditor& ed, const ir::Node& n, std::vector<int64_t>* spatial,
                       ir::Node** transpose = nullptr) {
  if (n.inputs.empty() || n.inputs[0].empty() || !CanTakePads(n)) return nullptr;
  // Pad's output must not be read by another slot of `n` (e.g. as weight).
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    if (n.inputs[k] == n.inputs[0]) return nullptr;
  }
  if (!ed.OnlyUsedBy(n.inputs[0], &n)) return nullptr;
  ir::Node* pad = ed.Producer(n.inputs[0]);
  ir::Node* between = nullptr;
  std::vector<int64_t> perm;
  if (pad && pad->op_type == "Transpose" && IsOnnxDomain(*pad) && !pad->inputs.empty()) {
    auto p = TransposePerm(ed, *pad);
    if (!p || !ed.OnlyUsedBy(pad->inputs[0], pad)) return nullptr;
    between = pad;
    perm = *p;
    pad = ed.Producer(between->inputs[0]);
  }
  if (!pad || pad->op_type != "Pad" || !IsOnnxDomain(*pad)) return nullptr;
  // The Transpose's output type is recomputed from the Pad's input.
  if (between && !ed.TypeOf(pad->inputs[0])) return nullptr;
  auto full = ZeroPads(ed, *pad);
  if (!full) return nullptr;
  auto s = SpatialPads(*full, perm);
  if (!s) return nullptr;
  const size_t nsp = s->size() / 2;
  const ir::Attribute* existing = n.FindAttr("pads");
  if (existing && existing->ints.size() != 2 * nsp) return nullptr;
  if (n.op_type == "MaxPool" && (!NeverNegative(ed, pad->inputs[0]) || !PadsBelowKernel(n, *s))) {
    return nullptr;
  }
  if (spatial) *spatial = *s;
  if (transpose) *transpose = between;
  return pad;
}

RewriteRule PadRule() {
  RewriteRule r;
  r.name = "fold_pad";
  r.op_types = {"Conv", "AveragePool", "MaxPool"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return MatchPadInto(ed, n, nullptr) != nullptr;
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    std::vector<int64_t> spatial;
    ir::Node* transpose = nullptr;
    ir::Node* pad = MatchPadInto(ed, n, &spatial, &transpose);
    std::vector<int64_t> pads(spatial.size(), 0);
    if (const ir::Attribute* a = n.FindAttr("pads")) pads = a->ints;
    for (size_t k = 0; k < pads.size(); ++k) pads[k] += spatial[k];
    SetIntsAttr(n, "pads", pads);
    if (transpose) {
      // The Transpose now reads the unpadded tensor: its output shrinks.
      ed.SetInput(transpose, 0, pad->inputs[0]);
      auto perm = TransposePerm(ed, *transpose);
      ed.SetType(transpose->outputs[0], *PermuteType(ed.TypeOf(pad->inputs[0]), *perm));
    } else {
      ed.SetInput(&n, 0, pad->inputs[0]);
    }
    ed.RemoveNode(pad);
    return true;
  };
  return r;
}

}  // namespace

std::unique_ptr<Pass> CreateBatchNormFusionPass() {
  return std::make_unique<RewritePass>("fuse_batchnorm", std::vector<RewriteRule>{BatchNormRule()});
}

std::unique_ptr<Pass> CreatePadFusionPass() {
  return std::make_unique<RewritePass>("fuse_pad", std::vector<RewriteRule>{PadRule()});
}

}  // namespace onnxsmith::optimizer
