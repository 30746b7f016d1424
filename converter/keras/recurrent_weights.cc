#include "converter/keras/recurrent_weights.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace onnxsmith::converter::keras {

namespace {

// A Keras activation as saved: a name, null (linear), or Keras 3's
// {"class_name": "function", "config": "<name>"}.
absl::StatusOr<std::string> ActivationName(const LayerContext& ctx, const Json* v, const char* key) {
  if (v == nullptr || v->is_null()) return std::string("linear");
  if (v->is_string()) return v->get<std::string>();
  if (v->is_object()) {
    const Json* cls = Find(*v, "class_name");
    const Json* cfg = Find(*v, "config");
    const Json* module = Find(*v, "module");
    const std::string mod = module && module->is_string() ? module->get<std::string>() : "";
    if (cls && cls->is_string() && cls->get<std::string>() == "function" && cfg && cfg->is_string() &&
        (mod.empty() || mod.rfind("keras", 0) == 0)) {
      return cfg->get<std::string>();
    }
  }
  return ctx.Unsupported(absl::StrCat(key, " ", DumpJson(*v),
                                      " (a custom function: the file does not hold its code)"));
}

// The last part of a weight name without ":0" ("lstm/lstm_cell/kernel:0" -> "kernel").
std::string ShortName(const std::string& name) {
  std::string s = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  if (absl::EndsWith(s, ":0")) s.resize(s.size() - 2);
  return s;
}

}  // namespace

int KerasGateOf(CellKind kind, int onnx_gate) {
  // ONNX LSTM i, o, f, c from Keras i, f, c, o; GRU and RNN keep their order.
  static constexpr int kLstm[4] = {0, 3, 1, 2};
  return kind == CellKind::kLstm ? kLstm[onnx_gate] : onnx_gate;
}

std::vector<float> KerasToOnnxGates(const float* keras, int64_t rows, int64_t units, CellKind kind) {
  const int gates = kind == CellKind::kLstm ? 4 : kind == CellKind::kGru ? 3 : 1;
  const int64_t cols = gates * units;
  std::vector<float> out(static_cast<size_t>(cols * rows));
  for (int g = 0; g < gates; ++g) {
    const int64_t src_col = KerasGateOf(kind, g) * units;
    for (int64_t j = 0; j < units; ++j) {
      for (int64_t i = 0; i < rows; ++i) out[(g * units + j) * rows + i] = keras[i * cols + src_col + j];
    }
  }
  return out;
}

absl::StatusOr<CellSpec> ReadCellSpec(const LayerContext& ctx, const std::string& class_name,
                                      const Json& cfg) {
  CellSpec c;
  if (class_name == "LSTM" || class_name == "LSTMV1" || class_name == "LSTMCell" || class_name == "CuDNNLSTM") {
    c.kind = CellKind::kLstm;
  } else if (class_name == "GRU" || class_name == "GRUV1" || class_name == "GRUCell" || class_name == "CuDNNGRU") {
    c.kind = CellKind::kGru;
  } else if (class_name == "SimpleRNN" || class_name == "SimpleRNNCell") {
    c.kind = CellKind::kRnn;
  } else {
    return ctx.Unsupported(absl::StrCat("a recurrent cell of class ", class_name,
                                        " (supported: LSTMCell, GRUCell, SimpleRNNCell)"));
  }
  const Json* units = FindNonNull(cfg, "units");
  std::optional<int64_t> u = units ? AsInt(*units) : std::nullopt;
  if (!u || *u <= 0) return ctx.Error("config has no positive 'units'");
  c.units = *u;
  c.cudnn = absl::StartsWith(class_name, "CuDNN");
  if (c.cudnn) {  // fixed: tanh, sigmoid, biases on both sides (GRU: reset after)
    c.reset_after = true;
    return c;
  }
  const Json* act = Find(cfg, "activation");
  if (act != nullptr) {
    ASSIGN_OR_RETURN(c.activation, ActivationName(ctx, act, "activation"));
  }
  const Json* rec = Find(cfg, "recurrent_activation");
  if (rec != nullptr && c.kind != CellKind::kRnn) {
    ASSIGN_OR_RETURN(c.recurrent_activation, ActivationName(ctx, rec, "recurrent_activation"));
  }
  const Json* bias = FindNonNull(cfg, "use_bias");
  c.use_bias = bias ? AsBool(*bias).value_or(true) : true;
  // Keras 2.0-2.1 GRUs predate reset_after and compute reset-before.
  const Json* ra = FindNonNull(cfg, "reset_after");
  c.reset_after = ra ? AsBool(*ra).value_or(false) : false;
  return c;
}

absl::StatusOr<DirectionWeights> CellWeights(const LayerContext& ctx, const CellSpec& cell, int dirs, int d,
                                             const std::string& cell_name) {
  const std::vector<KerasWeight>& all = ctx.weights();
  std::vector<int> group;
  // Keras 3 .h5 prefixes only the forward layer ("forward_lstm") when the
  // backward layer is the user's own.
  bool named_backward = false, named_forward = false;
  for (const KerasWeight& w : all) {
    named_backward |= absl::StrContains(w.name, "backward");
    named_forward |= absl::StrContains(w.name, "forward");
  }
  for (int i = 0; i < static_cast<int>(all.size()); ++i) {
    if (dirs == 2) {
      // Unnamed: Keras's layer.weights order, forward layer first.
      const bool backward = named_backward  ? absl::StrContains(all[i].name, "backward")
                            : named_forward ? !absl::StrContains(all[i].name, "forward")
                                            : i >= static_cast<int>(all.size()) / 2;
      if (backward != (d == 1)) continue;
    }
    if (!cell_name.empty() && !absl::StrContains(absl::StrCat("/", all[i].name), absl::StrCat("/", cell_name, "/"))) {
      continue;
    }
    group.push_back(i);
  }
  int kernel = -1, recurrent = -1, bias = -1;
  for (int i : group) {
    const std::string s = ShortName(all[i].name);
    if (s == "kernel") kernel = i;
    if (s == "recurrent_kernel") recurrent = i;
    if (s == "bias") bias = i;
  }
  if (kernel < 0 && recurrent < 0 && !group.empty()) {  // .keras: cell/vars/0..2
    kernel = group[0];
    if (group.size() > 1) recurrent = group[1];
    if (group.size() > 2) bias = group[2];
  }
  std::string what = dirs == 1 ? "" : d == 0 ? "forward " : "backward ";
  if (!cell_name.empty()) what = absl::StrCat(what, "cell '", cell_name, "' ");
  if (kernel < 0 || recurrent < 0) {
    return ctx.Error(absl::StrCat("the file holds no ", what, "kernel and recurrent_kernel for this layer (",
                                  group.size(), " weights)"));
  }
  DirectionWeights out;
  ASSIGN_OR_RETURN(out.kernel, ctx.FloatWeight(kernel, what + "kernel"));
  ASSIGN_OR_RETURN(out.recurrent, ctx.FloatWeight(recurrent, what + "recurrent_kernel"));
  if (cell.use_bias && bias >= 0) {
    ASSIGN_OR_RETURN(out.bias, ctx.FloatWeight(bias, what + "bias"));
    out.has_bias = true;
  } else if (cell.use_bias) {
    return ctx.Error(absl::StrCat("use_bias is set but the file holds no ", what, "bias"));
  }
  return out;
}

absl::StatusOr<OnnxRecurrentWeights> MakeOnnxWeights(const LayerContext& ctx,
                                                     const std::vector<CellSpec>& cells,
                                                     const std::vector<DirectionWeights>& weights,
                                                     int64_t features) {
  const int dirs = static_cast<int>(cells.size());
  const CellKind kind = cells[0].kind;
  const int64_t H = cells[0].units;
  const int64_t gh = cells[0].NumGates() * H;
  OnnxRecurrentWeights out;
  for (const DirectionWeights& w : weights) out.has_bias |= w.has_bias;
  std::vector<float> W, R, B(out.has_bias ? dirs * 2 * gh : 0, 0.0f);
  for (int d = 0; d < dirs; ++d) {
    const DirectionWeights& w = weights[d];
    auto expect = [&](const ir::Tensor& t, std::vector<int64_t> dims, const char* what) -> absl::Status {
      if (t.dims() != dims) {
        return ctx.Error(absl::StrCat(what, " has shape [", absl::StrJoin(t.dims(), ", "), "], expected [",
                                      absl::StrJoin(dims, ", "), "] (", cells[d].OnnxOp(), ", units ", H,
                                      ", ", features, " input features)"));
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(expect(w.kernel, {features, gh}, "kernel"));
    RETURN_IF_ERROR(expect(w.recurrent, {H, gh}, "recurrent_kernel"));
    std::vector<float> wd = KerasToOnnxGates(w.kernel.data<float>().data(), features, H, kind);
    std::vector<float> rd = KerasToOnnxGates(w.recurrent.data<float>().data(), H, H, kind);
    W.insert(W.end(), wd.begin(), wd.end());
    R.insert(R.end(), rd.begin(), rd.end());
    if (!w.has_bias) continue;
    // Input bias (and, for cuDNN layers and reset_after GRUs, a recurrent bias).
    const bool two = cells[d].cudnn || (kind == CellKind::kGru && cells[d].reset_after);
    const int64_t n = w.bias.num_elements();
    if (n != (two ? 2 * gh : gh)) {
      return ctx.Error(absl::StrCat("bias has ", n, " values, expected ", two ? 2 * gh : gh));
    }
    const float* b = w.bias.data<float>().data();
    std::vector<float> wb = KerasToOnnxGates(b, 1, H, kind);
    std::copy(wb.begin(), wb.end(), B.begin() + d * 2 * gh);
    if (two) {
      std::vector<float> rb = KerasToOnnxGates(b + gh, 1, H, kind);
      std::copy(rb.begin(), rb.end(), B.begin() + d * 2 * gh + gh);
    }
  }
  out.W = ir::Tensor::FromVector<float>({dirs, gh, features}, W);
  out.R = ir::Tensor::FromVector<float>({dirs, gh, H}, R);
  if (out.has_bias) out.B = ir::Tensor::FromVector<float>({dirs, 2 * gh}, B);
  return out;
}

absl::StatusOr<OnnxActivations> MakeOnnxActivations(const LayerContext& ctx,
                                                    const std::vector<CellSpec>& cells) {
  OnnxActivations out;
  auto add = [&](const std::string& keras, const char* key) -> absl::Status {
    const float hard_sigmoid_slope = ctx.keras_major() >= 3 ? 1.0f / 6.0f : 0.2f;
    struct Mapped {
      const char* onnx;
      int params;  // 0: none, 1: alpha, 2: alpha and beta
      float alpha, beta;
    };
    std::optional<Mapped> m;
    if (keras == "tanh") m = Mapped{"Tanh", 0, 0, 0};
    if (keras == "sigmoid") m = Mapped{"Sigmoid", 0, 0, 0};
    if (keras == "relu") m = Mapped{"Relu", 0, 0, 0};
    if (keras == "linear") m = Mapped{"Affine", 2, 1.0f, 0.0f};
    if (keras == "hard_sigmoid") m = Mapped{"HardSigmoid", 2, hard_sigmoid_slope, 0.5f};
    if (keras == "sparse_sigmoid") m = Mapped{"HardSigmoid", 2, 0.5f, 0.5f};
    if (keras == "softsign") m = Mapped{"Softsign", 0, 0, 0};
    if (keras == "softplus") m = Mapped{"Softplus", 0, 0, 0};
    if (keras == "elu") m = Mapped{"Elu", 1, 1.0f, 0};
    if (keras == "leaky_relu") m = Mapped{"LeakyRelu", 1, 0.2f, 0};
    if (!m) {
      return ctx.Unsupported(absl::StrCat(
          key, " '", keras, "': ONNX's recurrent ops take only tanh, sigmoid, relu, linear, hard_sigmoid, "
          "sparse_sigmoid, softsign, softplus, elu and leaky_relu"));
    }
    out.names.push_back(m->onnx);
    if (m->params >= 1) out.alphas.push_back(m->alpha);
    if (m->params >= 2) out.betas.push_back(m->beta);
    return absl::OkStatus();
  };
  for (const CellSpec& c : cells) {
    if (c.kind != CellKind::kRnn) RETURN_IF_ERROR(add(c.recurrent_activation, "recurrent_activation"));
    RETURN_IF_ERROR(add(c.activation, "activation"));
    if (c.kind == CellKind::kLstm) RETURN_IF_ERROR(add(c.activation, "activation"));
  }
  return out;
}

}  // namespace onnxsmith::converter::keras
