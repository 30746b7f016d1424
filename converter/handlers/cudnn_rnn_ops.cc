// TF's cuDNN RNNs (CudnnRNN, CudnnRNNV2, CudnnRNNV3) as ONNX LSTM, GRU and RNN,
// one ONNX node per layer, stacked. The weights come as one flat params
// buffer in cuDNN's layout: per layer and direction (layer-major, forward
// first), the gates' input matrices ([units, in] each), then their recurrent
// matrices ([units, units]), then the gates' input biases, then their
// recurrent biases. Gate orders: LSTM i, f, c, o (ONNX: i, o, f, c); GRU
// r, z, h (ONNX: z, r, h), cuDNN's GRU applies the reset gate after the
// recurrent matmul (ONNX linear_before_reset=1). The buffer is sliced with
// ONNX ops (constant folding folds them when it is a constant). TF has no CPU
// kernel for these ops, and inference ignores is_training and dropout.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;

struct RnnMode {
  std::string onnx_op;
  int gates;
  std::vector<int64_t> gate_order;  // ONNX gate k is cuDNN gate gate_order[k]
  std::vector<Attribute> attrs;
};

absl::StatusOr<RnnMode> ReadMode(const NodeContext& ctx, int64_t dirs) {
  const std::string mode = ctx.attr_string("rnn_mode", "lstm");
  if (mode == "lstm") return RnnMode{"LSTM", 4, {0, 3, 1, 2}, {}};
  if (mode == "gru") return RnnMode{"GRU", 3, {1, 0, 2}, {Attribute::Int("linear_before_reset", 1)}};
  if (mode == "rnn_tanh") return RnnMode{"RNN", 1, {0}, {}};
  if (mode == "rnn_relu") {
    // One activation per direction.
    return RnnMode{"RNN", 1, {0}, {Attribute::Strings("activations", std::vector<std::string>(dirs, "Relu"))}};
  }
  return ctx.Error(absl::StrCat("unknown rnn_mode '", mode, "'"));
}

// The layer and direction whose block of the params buffer starts at
// `offset`, as ONNX W [1, gates*units, in], R [1, gates*units, units] and
// B [1, 2*gates*units], the gates in ONNX's order. Advances `offset`.
struct DirWeights {
  std::string w, r, b;
};

DirWeights SliceDirWeights(NodeContext& ctx, const std::string& params, const RnnMode& m,
                           int64_t units, int64_t in, int64_t& offset) {
  const auto take = [&](int64_t n, const std::vector<int64_t>& shape, int64_t gate_axis) {
    const std::string flat = ctx.AddNode(
        "Slice", {params, ctx.ConstInt64s({offset}, "begin"), ctx.ConstInt64s({offset + n}, "end")});
    offset += n;
    const std::string gates = ctx.AddNode(
        "Gather", {ctx.Reshape(flat, shape), ctx.ConstInt64s(m.gate_order, "gate_order")},
        {Attribute::Int("axis", gate_axis)});
    return gates;
  };
  const int64_t g = m.gates;
  DirWeights d;
  d.w = ctx.Reshape(take(g * units * in, {g, units, in}, 0), {1, g * units, in});
  d.r = ctx.Reshape(take(g * units * units, {g, units, units}, 0), {1, g * units, units});
  d.b = ctx.Reshape(take(2 * g * units, {2, g, units}, 1), {1, 2 * g * units});
  return d;
}

std::string JoinDirs(NodeContext& ctx, const std::vector<std::string>& parts) {
  return parts.size() == 1 ? parts[0]
                           : ctx.AddNode("Concat", parts, {Attribute::Int("axis", 0)});
}

// Rows [begin, end) of `x` along axis 0.
std::string Rows(NodeContext& ctx, const std::string& x, int64_t begin, int64_t end) {
  return ctx.AddNode("Slice", {x, ctx.ConstInt64s({begin}, "begin"), ctx.ConstInt64s({end}, "end")});
}

// CudnnRNN(V2)(input, input_h, input_c, params) and CudnnRNNV3(..., params,
// sequence_lengths) -> output, output_h, output_c (reserve_space and
// host_reserved are for the gradient and stay unbound).
absl::Status ConvertCudnnRnn(NodeContext& ctx) {
  const ir::DataType t = InputDType(ctx, 0);
  if (t != ir::DataType::kFloat && t != ir::DataType::kDouble && t != ir::DataType::kFloat16) {
    return ctx.Unsupported(absl::StrCat(ir::DataTypeName(t), " operands"));
  }
  const std::string input_mode = ctx.attr_string("input_mode", "linear_input");
  if (input_mode != "linear_input" && input_mode != "auto_select") {
    return ctx.Unsupported(absl::StrCat("input_mode '", input_mode, "' (only linear_input)"));
  }
  const std::string direction = ctx.attr_string("direction", "unidirectional");
  if (direction != "unidirectional" && direction != "bidirectional") {
    return ctx.Error(absl::StrCat("unknown direction '", direction, "'"));
  }
  if (ctx.attr_int("num_proj", 0) != 0) return ctx.Unsupported("num_proj (LSTM projection)");
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  ASSIGN_OR_RETURN(const RnnMode mode, ReadMode(ctx, dirs));
  const bool time_major = ctx.attr_bool("time_major", true);

  const auto x_dims = ctx.input_dims(0);
  const auto h_dims = ctx.input_dims(1);
  if (!x_dims || x_dims->size() != 3 || (*x_dims)[2] < 0) {
    return ctx.Unsupported("an input of unknown rank or feature size (the weights' shapes need it)");
  }
  if (!h_dims || h_dims->size() != 3 || (*h_dims)[0] < 0 || (*h_dims)[2] < 0) {
    return ctx.Unsupported("an input_h of unknown layer count or units (the weights' shapes need them)");
  }
  if ((*h_dims)[0] % dirs != 0 || (*h_dims)[0] == 0) {
    return ctx.Error(absl::StrCat("input_h dim 0 (", (*h_dims)[0], ") is not layers * directions"));
  }
  const int64_t layers = (*h_dims)[0] / dirs, units = (*h_dims)[2];
  const auto param_count = [&](int64_t in) {
    return mode.gates * units * (in + units + 2);
  };
  int64_t expected = 0;
  for (int64_t l = 0; l < layers; ++l) {
    expected += dirs * param_count(l == 0 ? (*x_dims)[2] : dirs * units);
  }
  const auto p_dims = ctx.input_dims(3);
  if (p_dims && p_dims->size() == 1 && (*p_dims)[0] >= 0 && (*p_dims)[0] != expected) {
    return ctx.Error(absl::StrCat("params holds ", (*p_dims)[0], " values; ", layers, " layer(s) of ",
                                  units, " units over ", (*x_dims)[2], " input features take ",
                                  expected));
  }

  std::string seq_lens;
  if (ctx.op_type() == "CudnnRNNV3") seq_lens = ctx.Cast(ctx.input(4), ir::DataType::kInt32);
  std::string x = time_major ? ctx.input(0) : ctx.Transpose(ctx.input(0), {1, 0, 2});
  const std::string params = ctx.Reshape(ctx.input(3), {-1});
  int64_t offset = 0;
  std::vector<std::string> out_h, out_c;
  for (int64_t l = 0; l < layers; ++l) {
    const int64_t in = l == 0 ? (*x_dims)[2] : dirs * units;
    std::vector<std::string> w, r, b;
    for (int64_t d = 0; d < dirs; ++d) {
      const DirWeights dw = SliceDirWeights(ctx, params, mode, units, in, offset);
      w.push_back(dw.w);
      r.push_back(dw.r);
      b.push_back(dw.b);
    }
    std::vector<std::string> inputs = {x,        JoinDirs(ctx, w), JoinDirs(ctx, r),
                                       JoinDirs(ctx, b), seq_lens,
                                       Rows(ctx, ctx.input(1), l * dirs, (l + 1) * dirs)};
    if (mode.onnx_op == "LSTM") inputs.push_back(Rows(ctx, ctx.input(2), l * dirs, (l + 1) * dirs));
    std::vector<Attribute> attrs = mode.attrs;
    attrs.push_back(Attribute::Int("hidden_size", units));
    attrs.push_back(
        Attribute::String("direction", dirs == 2 ? "bidirectional" : "forward"));
    const int n_out = mode.onnx_op == "LSTM" ? 3 : 2;
    const std::vector<std::string> y = ctx.AddNodeMulti(mode.onnx_op, inputs, n_out, attrs);
    // Y [time, dirs, batch, units] -> [time, batch, dirs * units].
    x = ctx.Reshape(ctx.Transpose(y[0], {0, 2, 1, 3}), {0, 0, dirs * units});
    out_h.push_back(y[1]);
    if (n_out == 3) out_c.push_back(y[2]);
  }
  ctx.SetOutput(0, time_major ? x : ctx.Transpose(x, {1, 0, 2}));
  ctx.SetOutput(1, JoinDirs(ctx, out_h));
  // GRU and RNN carry no cell state: TF passes input_c through untouched.
  ctx.SetOutput(2, out_c.empty() ? ctx.input(2) : JoinDirs(ctx, out_c));
  return absl::OkStatus();
}

}  // namespace

void RegisterCudnnRnnOps(HandlerRegistry& r) {
  r.Register({"CudnnRNN", "CudnnRNNV2"}, kMinOpset, Inputs(4), ConvertCudnnRnn);
  r.Register({"CudnnRNNV3"}, kMinOpset, Inputs(5), ConvertCudnnRnn);
}

}  // namespace onnxsmith::converter
