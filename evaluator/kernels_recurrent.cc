// Recurrent ops: LSTM, GRU, RNN (forward, reverse, bidirectional; layout 0
// and 1; sequence_lens; initial states; peepholes; clip; input_forget;
// GRU linear_before_reset; every activation the ONNX spec lists, with
// activation_alpha / activation_beta).
//
// Plain loops, accumulated in double: these kernels serve `onnxsmith run`
// and constant folding, not speed. Where the spec leaves room we follow ONNX
// Runtime: alpha and beta are consumed in order only by the activations that
// take them; steps past a row's sequence length output zeros (and a row of
// length 0 has zero final states); clip bounds the gates' pre-activations;
// input_forget sets f = 1 - i. ORT has no layout 1: that path is checked
// against layout 0 only by construction (same indexing helpers).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/status_macros.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

enum class CellOp { kLstm, kGru, kRnn };

struct Activation {
  enum Kind { kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh,
              kHardSigmoid, kElu, kSoftsign, kSoftplus };
  Kind kind = kTanh;
  double alpha = 0, beta = 0;

  double operator()(double x) const {
    switch (kind) {
      case kRelu: return std::max(x, 0.0);
      case kTanh: return std::tanh(x);
      case kSigmoid: return 1.0 / (1.0 + std::exp(-x));
      case kAffine: return alpha * x + beta;
      case kLeakyRelu: return x >= 0 ? x : alpha * x;
      case kThresholdedRelu: return x > alpha ? x : 0.0;
      case kScaledTanh: return alpha * std::tanh(beta * x);
      case kHardSigmoid: return std::min(1.0, std::max(0.0, alpha * x + beta));
      case kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1.0);
      case kSoftsign: return x / (1.0 + std::abs(x));
      case kSoftplus: return x > 30 ? x : std::log1p(std::exp(x));
    }
    return x;
  }
};

// `per_dir` activations for each direction: the attribute's list (N or N *
// dirs names), else the op's defaults.
absl::StatusOr<std::vector<Activation>> ParseActivations(KernelContext& ctx, int per_dir, int dirs,
                                                         const std::vector<std::string>& defaults) {
  std::vector<std::string> names;
  if (const ir::Attribute* a = ctx.attr("activations")) names = a->strings;
  if (names.empty()) names = defaults;
  if (static_cast<int>(names.size()) == per_dir && dirs == 2) {
    const std::vector<std::string> one = names;  // both directions
    names.insert(names.end(), one.begin(), one.end());
  }
  if (static_cast<int>(names.size()) != per_dir * dirs) {
    return ctx.Error("activations lists ", names.size(), " functions, expected ", per_dir * dirs);
  }
  const std::vector<float> alphas = ctx.GetFloats("activation_alpha");
  const std::vector<float> betas = ctx.GetFloats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<Activation> out;
  for (const std::string& n : names) {
    const std::string lower = absl::AsciiStrToLower(n);
    Activation f;
    // {kind, uses alpha, uses beta, default alpha, default beta} (defaults: the ONNX operators').
    struct Entry {
      const char* name;
      Activation::Kind kind;
      bool alpha, beta;
      double da, db;
    };
    static constexpr Entry kTable[] = {
        {"relu", Activation::kRelu, false, false, 0, 0},
        {"tanh", Activation::kTanh, false, false, 0, 0},
        {"sigmoid", Activation::kSigmoid, false, false, 0, 0},
        {"affine", Activation::kAffine, true, true, 1.0, 0.0},
        {"leakyrelu", Activation::kLeakyRelu, true, false, 0.01, 0},
        {"thresholdedrelu", Activation::kThresholdedRelu, true, false, 1.0, 0},
        {"scaledtanh", Activation::kScaledTanh, true, true, 1.0, 1.0},
        {"hardsigmoid", Activation::kHardSigmoid, true, true, 0.2, 0.5},
        {"elu", Activation::kElu, true, false, 1.0, 0},
        {"softsign", Activation::kSoftsign, false, false, 0, 0},
        {"softplus", Activation::kSoftplus, false, false, 0, 0},
    };
    const Entry* e = nullptr;
    for (const Entry& t : kTable) {
      if (lower == t.name) e = &t;
    }
    if (e == nullptr) return ctx.Unsupported("activation function '", n, "'");
    f.kind = e->kind;
    f.alpha = e->da;
    f.beta = e->db;
    if (e->alpha && ai < alphas.size()) f.alpha = alphas[ai++];
    if (e->beta && bi < betas.size()) f.beta = betas[bi++];
    out.push_back(f);
  }
  return out;
}

// Index helpers for layout 0 ([T, B, ...], Y [T, D, B, H]) and 1 ([B, T, ...], Y [B, T, D, H]).
struct Layout {
  bool batch_major;
  int64_t T, B, D, H, F;
  int64_t X(int64_t t, int64_t b) const { return (batch_major ? b * T + t : t * B + b) * F; }
  int64_t Y(int64_t t, int64_t d, int64_t b) const {
    return (batch_major ? ((b * T + t) * D + d) : ((t * D + d) * B + b)) * H;
  }
  int64_t State(int64_t d, int64_t b) const { return (batch_major ? b * D + d : d * B + b) * H; }
};

template <typename V>
absl::Status RunRecurrent(KernelContext& ctx, CellOp op) {
  const int gates = op == CellOp::kLstm ? 4 : op == CellOp::kGru ? 3 : 1;
  const Array& x = ctx.input(0);
  const Array& w = ctx.input(1);
  const Array& r = ctx.input(2);
  const std::string direction = ctx.GetString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    return ctx.Error("direction '", direction, "'");
  }
  const int64_t D = direction == "bidirectional" ? 2 : 1;
  const bool batch_major = ctx.GetInt("layout", 0) == 1;
  if (x.rank() != 3 || w.rank() != 3 || r.rank() != 3) return ctx.Error("X, W and R must have rank 3");
  const int64_t T = batch_major ? x.dim(1) : x.dim(0);
  const int64_t B = batch_major ? x.dim(0) : x.dim(1);
  const int64_t F = x.dim(2);
  const int64_t H = r.dim(2);
  if (ctx.HasAttr("hidden_size") && ctx.GetInt("hidden_size", H) != H) {
    return ctx.Error("hidden_size ", ctx.GetInt("hidden_size", H), " but R has ", H, " columns");
  }
  const int64_t G = gates * H;
  if (w.dim(0) != D || w.dim(1) != G || w.dim(2) != F || r.dim(0) != D || r.dim(1) != G) {
    return ctx.Error("W ", DimsToString(w.dims()), " / R ", DimsToString(r.dims()), " do not match ",
                     D, " direction(s), ", gates, " gates, hidden ", H, ", input ", F);
  }
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (i != 4 && ctx.has_input(i) && ctx.input(i).dtype() != x.dtype()) {
      return ctx.Error("input ", i, " has another type than X");
    }
  }
  const Layout L{batch_major, T, B, D, H, F};
  const V* bias = nullptr;
  if (ctx.has_input(3)) {
    if (ctx.input(3).size() != D * 2 * G) return ctx.Error("B must have ", D * 2 * G, " values");
    bias = ctx.input(3).data<V>();
  }
  std::vector<int64_t> lens(B, T);
  if (ctx.has_input(4)) {
    ASSIGN_OR_RETURN(lens, ToInt64Vector(ctx.input(4)));
    if (static_cast<int64_t>(lens.size()) != B) return ctx.Error("sequence_lens must have ", B, " values");
    for (int64_t l : lens) {
      if (l < 0 || l > T) return ctx.Error("sequence length ", l, " outside [0, ", T, "]");
    }
  }
  const int num_states = op == CellOp::kLstm ? 2 : 1;
  const V* init[2] = {nullptr, nullptr};
  for (int s = 0; s < num_states; ++s) {
    if (ctx.has_input(5 + s)) {
      if (ctx.input(5 + s).size() != D * B * H) return ctx.Error("initial state must have ", D * B * H, " values");
      init[s] = ctx.input(5 + s).template data<V>();
    }
  }
  const V* peep = nullptr;
  if (op == CellOp::kLstm && ctx.has_input(7)) {
    if (ctx.input(7).size() != D * 3 * H) return ctx.Error("P must have ", D * 3 * H, " values");
    peep = ctx.input(7).data<V>();
  }
  const int per_dir = op == CellOp::kLstm ? 3 : op == CellOp::kGru ? 2 : 1;
  const std::vector<std::string> defaults =
      op == CellOp::kLstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
      : op == CellOp::kGru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                           : std::vector<std::string>{"Tanh"};
  ASSIGN_OR_RETURN(std::vector<Activation> acts, ParseActivations(ctx, per_dir, static_cast<int>(D), defaults));
  const bool has_clip = ctx.HasAttr("clip");
  const double clip = ctx.GetFloat("clip", 0.0f);
  const bool lbr = ctx.GetInt("linear_before_reset", 0) != 0;
  const bool input_forget = ctx.GetInt("input_forget", 0) != 0;

  Array* y = nullptr;
  Array* y_state[2] = {nullptr, nullptr};
  if (ctx.has_output(0)) {
    ASSIGN_OR_RETURN(y, ctx.Allocate(0, x.dtype(), batch_major ? Dims{B, T, D, H} : Dims{T, D, B, H}));
    std::fill(y->mutable_data<V>(), y->mutable_data<V>() + y->size(), V(0));
  }
  for (int s = 0; s < num_states; ++s) {
    if (ctx.has_output(1 + s)) {
      ASSIGN_OR_RETURN(y_state[s], ctx.Allocate(1 + s, x.dtype(), batch_major ? Dims{B, D, H} : Dims{D, B, H}));
    }
  }
  const V* xp = x.data<V>();
  const V* wp = w.data<V>();
  const V* rp = r.data<V>();
  auto clipped = [&](double v) { return has_clip ? std::min(clip, std::max(-clip, v)) : v; };
  std::vector<double> h(H), c(H), hn(H), cn(H), gx(G), gh(G), zv(H), rv(H);
  for (int64_t d = 0; d < D; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    const V* W = wp + d * G * F;
    const V* R = rp + d * G * H;
    const V* wb = bias ? bias + d * 2 * G : nullptr;
    const V* rb = bias ? bias + d * 2 * G + G : nullptr;
    const Activation* f = &acts[d * per_dir];
    for (int64_t b = 0; b < B; ++b) {
      const int64_t state_off = L.State(d, b);
      // Initial states are laid out like the state outputs.
      for (int64_t j = 0; j < H; ++j) {
        h[j] = init[0] ? static_cast<double>(init[0][state_off + j]) : 0.0;
        c[j] = init[1] ? static_cast<double>(init[1][state_off + j]) : 0.0;
      }
      const int64_t len = lens[b];
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        const V* xt = xp + L.X(t, b);
        for (int64_t g = 0; g < G; ++g) {
          double ax = wb ? static_cast<double>(wb[g]) : 0.0, ah = rb ? static_cast<double>(rb[g]) : 0.0;
          for (int64_t i = 0; i < F; ++i) ax += static_cast<double>(W[g * F + i]) * xt[i];
          for (int64_t i = 0; i < H; ++i) ah += static_cast<double>(R[g * H + i]) * h[i];
          gx[g] = ax;
          gh[g] = ah;
        }
        if (op == CellOp::kGru) {  // gates z, r first: reset-before needs all of r
          for (int64_t j = 0; j < H; ++j) {
            zv[j] = f[0](clipped(gx[j] + gh[j]));
            rv[j] = f[0](clipped(gx[H + j] + gh[H + j]));
          }
        }
        for (int64_t j = 0; j < H; ++j) {
          if (op == CellOp::kRnn) {
            hn[j] = f[0](clipped(gx[j] + gh[j]));
          } else if (op == CellOp::kGru) {
            double pre;
            if (lbr) {
              pre = gx[2 * H + j] + rv[j] * gh[2 * H + j];
            } else {  // (r * h_prev) @ Rh + Rbh
              double acc = rb ? static_cast<double>(rb[2 * H + j]) : 0.0;
              for (int64_t i = 0; i < H; ++i) acc += static_cast<double>(R[(2 * H + j) * H + i]) * rv[i] * h[i];
              pre = gx[2 * H + j] + acc;
            }
            hn[j] = (1.0 - zv[j]) * f[1](clipped(pre)) + zv[j] * h[j];
          } else {  // gates i, o, f, c; peepholes i, o, f
            const double p_i = peep ? static_cast<double>(peep[d * 3 * H + j]) : 0.0;
            const double p_o = peep ? static_cast<double>(peep[d * 3 * H + H + j]) : 0.0;
            const double p_f = peep ? static_cast<double>(peep[d * 3 * H + 2 * H + j]) : 0.0;
            // input_forget couples the gates as ONNX Runtime does: f = 1 - i.
            const double ig = f[0](clipped(gx[j] + gh[j] + p_i * c[j]));
            const double fg = input_forget ? 1.0 - ig : f[0](clipped(gx[2 * H + j] + gh[2 * H + j] + p_f * c[j]));
            const double cand = f[1](clipped(gx[3 * H + j] + gh[3 * H + j]));
            cn[j] = fg * c[j] + ig * cand;
            const double og = f[0](clipped(gx[H + j] + gh[H + j] + p_o * cn[j]));
            hn[j] = og * f[2](cn[j]);
          }
        }
        h.swap(hn);
        if (op == CellOp::kLstm) c.swap(cn);
        if (y) {
          V* yt = y->mutable_data<V>() + L.Y(t, d, b);
          for (int64_t j = 0; j < H; ++j) yt[j] = static_cast<V>(h[j]);
        }
      }
      if (len == 0) {  // as ONNX Runtime: an empty sequence has zero final states
        std::fill(h.begin(), h.end(), 0.0);
        std::fill(c.begin(), c.end(), 0.0);
      }
      for (int s = 0; s < num_states; ++s) {
        if (!y_state[s]) continue;
        V* out = y_state[s]->mutable_data<V>() + state_off;
        const std::vector<double>& v = s == 0 ? h : c;
        for (int64_t j = 0; j < H; ++j) out[j] = static_cast<V>(v[j]);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status RecurrentKernel(KernelContext& ctx, CellOp op) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  return Dispatch<kFloatTypes>(ctx.input(0).dtype(), "recurrent op", [&](auto tag) -> absl::Status {
    return RunRecurrent<typename decltype(tag)::type>(ctx, op);
  });
}

}  // namespace

void RegisterRecurrentKernels(KernelRegistry& r) {
  r.Register("LSTM", [](KernelContext& ctx) { return RecurrentKernel(ctx, CellOp::kLstm); });
  r.Register("GRU", [](KernelContext& ctx) { return RecurrentKernel(ctx, CellOp::kGru); });
  r.Register("RNN", [](KernelContext& ctx) { return RecurrentKernel(ctx, CellOp::kRnn); });
}

}  // namespace onnxsmith::evaluator
