#include "converter/keras/recurrent_scan.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

// Keras's step (kernels in Keras's layout, gate blocks in Keras's order):
//   LSTM  z = xw_t + h U;  i, f, g, o = blocks;  c' = ra(f) c + ra(i) a(g);  h' = ra(o) a(c')
//   GRU   (reset_after)  xz, xr, xh = xw_t;  rz, rr, rh = h U + b_rec
//                        z = ra(xz + rz);  r = ra(xr + rr);  hh = a(xh + r rh)
//         (reset_before) z, r as above from h U[:, :2H];  hh = a(xh + (r h) U[:, 2H:])
//         h' = z h + (1 - z) hh
//   RNN   h' = a(xw_t + h U)
// xw = x W + b (the input bias) is computed for all steps before the Scan.
struct StepValues {
  std::string recurrent;       // U [H, G * H]
  std::string recurrent_bias;  // GRU reset_after: [G * H] ("" if none)
};

class StepBuilder {
 public:
  StepBuilder(LayerContext& step, const CellSpec& cell) : step_(step), cell_(cell) {}

  // Block g of [B, G * H].
  std::string Block(const std::string& x, int g) {
    const int64_t H = cell_.units;
    return step_.AddNode("Slice", {x, step_.ConstInt64s({g * H}, "start"), step_.ConstInt64s({(g + 1) * H}, "end"),
                                   step_.ConstInt64s({1}, "axes")});
  }
  absl::StatusOr<std::string> Act(const std::string& x, const std::string& name) {
    const Json j = name;
    return step_.Activation(x, &j);
  }

  // The next states (h, and c for an LSTM).
  absl::StatusOr<std::vector<std::string>> Next(const StepValues& v, const std::vector<std::string>& states,
                                                const std::string& xw) {
    const std::string& h = states[0];
    const std::string& rec = cell_.recurrent_activation;
    if (cell_.kind == CellKind::kRnn) {
      ASSIGN_OR_RETURN(std::string h2, Act(step_.AddNode("Add", {xw, step_.AddNode("MatMul", {h, v.recurrent})}),
                                           cell_.activation));
      return std::vector<std::string>{h2};
    }
    if (cell_.kind == CellKind::kLstm) {
      const std::string z = step_.AddNode("Add", {xw, step_.AddNode("MatMul", {h, v.recurrent})});
      ASSIGN_OR_RETURN(std::string i, Act(Block(z, 0), rec));
      ASSIGN_OR_RETURN(std::string f, Act(Block(z, 1), rec));
      ASSIGN_OR_RETURN(std::string g, Act(Block(z, 2), cell_.activation));
      ASSIGN_OR_RETURN(std::string o, Act(Block(z, 3), rec));
      const std::string c2 =
          step_.AddNode("Add", {step_.AddNode("Mul", {f, states[1]}), step_.AddNode("Mul", {i, g})});
      ASSIGN_OR_RETURN(std::string ac, Act(c2, cell_.activation));
      return std::vector<std::string>{step_.AddNode("Mul", {o, ac}), c2};
    }
    const int64_t H = cell_.units;
    std::string hu = step_.AddNode("MatMul", {h, v.recurrent});
    if (!v.recurrent_bias.empty()) hu = step_.AddNode("Add", {hu, v.recurrent_bias});
    ASSIGN_OR_RETURN(std::string z, Act(step_.AddNode("Add", {Block(xw, 0), Block(hu, 0)}), rec));
    ASSIGN_OR_RETURN(std::string r, Act(step_.AddNode("Add", {Block(xw, 1), Block(hu, 1)}), rec));
    std::string inner;
    if (cell_.reset_after) {
      inner = step_.AddNode("Mul", {r, Block(hu, 2)});
    } else {
      const std::string u_h = step_.AddNode("Slice", {v.recurrent, step_.ConstInt64s({2 * H}, "start"),
                                                      step_.ConstInt64s({3 * H}, "end"),
                                                      step_.ConstInt64s({1}, "axes")});
      inner = step_.AddNode("MatMul", {step_.AddNode("Mul", {r, h}), u_h});
    }
    ASSIGN_OR_RETURN(std::string hh, Act(step_.AddNode("Add", {Block(xw, 2), inner}), cell_.activation));
    const std::string one_minus_z = step_.AddNode("Sub", {step_.ConstFloat(1.0f, "one"), z});
    return std::vector<std::string>{
        step_.AddNode("Add", {step_.AddNode("Mul", {z, h}), step_.AddNode("Mul", {one_minus_z, hh})})};
  }

 private:
  LayerContext& step_;
  const CellSpec& cell_;
};

// The Scan body: (states..., [prev_out], xw_t, [m_t]) -> (states'..., [out'], y_t).
absl::StatusOr<std::shared_ptr<ir::Graph>> BuildBody(LayerContext& ctx, const CellSpec& cell, const StepValues& v,
                                                     bool masked, bool zero_output_for_mask) {
  auto graph = std::make_shared<ir::Graph>();
  graph->name = ctx.name() + "/step";
  GraphBuilder b(graph.get(), &ctx.builder());
  ConversionEnv env = ctx.env();
  env.builder = &b;
  LayerContext step(ctx.layer(), ctx.node(), ctx.node_index(), ctx.name() + "/step", {}, {}, {}, &ctx.weights(),
                    &env);
  const ir::ValueType state_type = ir::MakeType(DataType::kFloat, {-1, cell.units});
  std::vector<std::string> states;
  for (int s = 0; s < cell.NumStates(); ++s) {
    states.push_back(b.UniqueName(ctx.name() + (s == 0 ? "/h" : "/c")));
    b.AddGraphInput(states.back(), state_type);
  }
  const std::string prev_out = b.UniqueName(ctx.name() + "/out");
  const std::string xw = b.UniqueName(ctx.name() + "/xw");
  const std::string m = b.UniqueName(ctx.name() + "/mask");
  if (masked) b.AddGraphInput(prev_out, state_type);
  b.AddGraphInput(xw, ir::MakeType(DataType::kFloat, {-1, cell.NumGates() * cell.units}));
  if (masked) b.AddGraphInput(m, ir::MakeType(DataType::kBool, {-1}));

  StepBuilder sb(step, cell);
  ASSIGN_OR_RETURN(std::vector<std::string> next, sb.Next(v, states, xw));
  std::vector<std::string> outs = next;
  if (masked) {
    const std::string keep = step.Unsqueeze(m, {1});
    for (size_t s = 0; s < next.size(); ++s) outs[s] = step.AddNode("Where", {keep, next[s], states[s]});
    const std::string fallback = zero_output_for_mask ? step.ConstFloat(0.0f, "zero") : prev_out;
    outs.push_back(step.AddNode("Where", {keep, next[0], fallback}));
  }
  outs.push_back(masked ? outs.back() : next[0]);  // y_t
  for (const std::string& o : outs) {  // distinct names: an output may not repeat
    const std::string out = step.AddNode("Identity", {o});
    b.SetType(out, state_type);
    graph->outputs.push_back({out, state_type});
  }
  b.FinishOutputs();
  return graph;
}

}  // namespace

absl::StatusOr<ScannedCell> ScanCell(LayerContext& ctx, const CellSpec& cell, const DirectionWeights& w,
                                     const std::string& key, const std::string& seq,
                                     const std::optional<std::string>& mask, const std::vector<std::string>& init,
                                     bool zero_output_for_mask) {
  const int64_t H = cell.units, gh = cell.NumGates() * H;
  const std::optional<std::vector<int64_t>> dims = ctx.StaticDims(seq);
  const int64_t features = dims && dims->size() == 3 ? (*dims)[2] : -1;
  if (features < 0) return ctx.Unsupported("an input whose feature dimension is unknown");
  if (w.kernel.dims() != std::vector<int64_t>{features, gh} || w.recurrent.dims() != std::vector<int64_t>{H, gh}) {
    return ctx.Error(absl::StrCat("kernel / recurrent_kernel shapes do not fit ", cell.OnnxOp(), " units ", H,
                                  " on ", features, " input features"));
  }
  const bool two_biases = cell.kind == CellKind::kGru && cell.reset_after;
  if (w.has_bias && w.bias.num_elements() != (two_biases ? 2 * gh : gh)) {
    return ctx.Error(absl::StrCat("bias has ", w.bias.num_elements(), " values, expected ", two_biases ? 2 * gh : gh));
  }
  ASSIGN_OR_RETURN(std::string kernel,
                   ctx.CachedConst(key + "kernel", [&]() -> absl::StatusOr<ir::Tensor> { return w.kernel; }));
  StepValues v;
  ASSIGN_OR_RETURN(v.recurrent,
                   ctx.CachedConst(key + "recurrent_kernel", [&]() -> absl::StatusOr<ir::Tensor> { return w.recurrent; }));
  std::string xw = ctx.AddNode("MatMul", {seq, kernel});  // [T, B, G * H]
  if (w.has_bias) {
    const auto b = w.bias.data<float>();
    ASSIGN_OR_RETURN(std::string input_bias, ctx.CachedConst(key + "bias", [&]() -> absl::StatusOr<ir::Tensor> {
      return ir::Tensor::FromVector<float>({gh}, std::vector<float>(b.begin(), b.begin() + gh));
    }));
    xw = ctx.AddNode("Add", {xw, input_bias});
    if (two_biases) {
      ASSIGN_OR_RETURN(v.recurrent_bias, ctx.CachedConst(key + "recurrent_bias", [&]() -> absl::StatusOr<ir::Tensor> {
        return ir::Tensor::FromVector<float>({gh}, std::vector<float>(b.begin() + gh, b.end()));
      }));
    }
  }
  ctx.SetType(xw, ir::MakeType(DataType::kFloat, {-1, -1, gh}));

  std::vector<std::string> state0 = init;
  if (state0.empty()) {  // zeros [B, H]
    const std::string batch = ctx.AddNode("Slice", {ctx.AddNode("Shape", {seq}), ctx.ConstInt64s({1}, "start"),
                                                    ctx.ConstInt64s({2}, "end"), ctx.ConstInt64s({0}, "axes")});
    const std::string shape =
        ctx.AddNode("Concat", {batch, ctx.ConstInt64s({H}, "units")}, {Attribute::Int("axis", 0)});
    const std::string zeros = ctx.AddNode(
        "ConstantOfShape", {shape}, {Attribute::TensorValue("value", ir::Tensor::FromVector<float>({1}, {0.0f}))});
    state0.assign(cell.NumStates(), zeros);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<ir::Graph> body, BuildBody(ctx, cell, v, mask.has_value(), zero_output_for_mask));
  std::vector<std::string> inputs = state0;
  if (mask) inputs.push_back(ctx.AddNode("Mul", {state0[0], ctx.ConstFloat(0.0f, "zero")}));  // no output yet
  inputs.push_back(xw);
  if (mask) inputs.push_back(ctx.Cast(*mask, DataType::kBool));
  const int carried = cell.NumStates() + (mask ? 1 : 0);
  std::vector<std::string> y =
      ctx.AddNodeMulti("Scan", inputs, carried + 1,
                       {Attribute::GraphValue("body", body), Attribute::Int("num_scan_inputs", mask ? 2 : 1)});
  // ONNX inference skips ops with a graph attribute: the types are ours.
  for (int k = 0; k < carried; ++k) ctx.SetType(y[k], ir::MakeType(DataType::kFloat, {-1, H}));
  ctx.SetType(y.back(), ir::MakeType(DataType::kFloat, {-1, -1, H}));
  ScannedCell out;
  out.sequence = y.back();
  out.states.assign(y.begin(), y.begin() + cell.NumStates());
  out.last_output = mask ? y[cell.NumStates()] : y[0];
  return out;
}

}  // namespace onnxsmith::converter::keras
