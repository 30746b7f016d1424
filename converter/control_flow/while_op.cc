// While / StatelessWhile -> ONNX Loop. The cond function runs once before
// the loop (the Loop's initial condition) and again at the end of each body
// iteration, on the new loop-carried values. Loop variables the body passes
// through unchanged (TF2 passes captured tensors as loop variables) are not
// Loop state: the body reads them from the enclosing scope by name. TF2 keeps
// `maximum_iterations` in the loop variables (the cond checks it), so the
// Loop's trip count stays empty; `parallel_iterations` has no meaning in ONNX.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/control_flow/control_flow_ops.h"
#include "converter/control_flow/function_body.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {

std::string ToBoolScalar(GraphBuilder* builder, const std::string& value,
                         const std::string& hint) {
  std::string v = value;
  if (builder->TypeOf(v).dtype != ir::DataType::kBool) {
    v = builder->AddNode(hint + "/to_bool", "Cast", "", {v}, 1,
                         {ir::Attribute::Int("to", static_cast<int64_t>(ir::DataType::kBool))})[0];
  }
  return v;
}

namespace {

absl::Status ConvertWhile(NodeContext& ctx) {
  const int n = ctx.num_inputs();
  ASSIGN_OR_RETURN(FlatFunction cond, FlattenFunction(ctx, "cond", -1, n, 1));
  ASSIGN_OR_RETURN(FlatFunction body, FlattenFunction(ctx, "body", -1, n, n));
  GraphBuilder& outer = ctx.builder();
  std::vector<std::string> inputs;
  for (int i = 0; i < n; ++i) inputs.push_back(ctx.input(i));
  ASSIGN_OR_RETURN(std::vector<std::string> first, ConvertFunctionInto(ctx, cond, inputs, &outer));
  const std::string cond0 = ToBoolScalar(&outer, first[0], ctx.name() + "/cond");

  auto graph = std::make_shared<ir::Graph>();
  graph->name = ctx.name() + "/body";
  GraphBuilder b(graph.get(), &outer);
  const std::string iter = b.UniqueName(ctx.name() + "/iter");
  b.AddGraphInput(iter, ir::MakeType(ir::DataType::kInt64, {}));
  const std::string cond_in = b.UniqueName(ctx.name() + "/cond_in");
  b.AddGraphInput(cond_in, ir::MakeType(ir::DataType::kBool, {}));
  std::vector<std::string> args = inputs;
  std::vector<int> state;  // loop variables the body changes
  std::vector<ir::ValueType> types(n);
  for (int i = 0; i < n; ++i) {
    if (body.PassesThrough(i)) continue;
    types[i] = DeclaredType(ctx, i, ctx.input_type(i), "T");
    // TF1 loops raised to While declare unknown-rank shapes; ONNX graph
    // outputs need a rank, so keep the initial value's rank with free dims.
    const ir::ValueType initial = ctx.input_type(i);
    if (!types[i].shape && !types[i].sequence && initial.shape) {
      types[i].shape = std::vector<ir::Dim>(initial.shape->size());
    }
    if (types[i].dtype == ir::DataType::kUndefined) {
      return ctx.Error(absl::StrCat("the type of loop variable ", i, " is unknown"));
    }
    args[i] = b.UniqueName(absl::StrCat(ctx.name(), "/var", i));
    b.AddGraphInput(args[i], types[i]);
    state.push_back(i);
  }
  ASSIGN_OR_RETURN(std::vector<std::string> next, ConvertFunctionInto(ctx, body, args, &b));
  for (int i = 0; i < n; ++i) {
    if (body.PassesThrough(i)) next[i] = args[i];
  }
  ASSIGN_OR_RETURN(std::vector<std::string> again, ConvertFunctionInto(ctx, cond, next, &b));
  AddBodyOutput(&b, ToBoolScalar(&b, again[0], ctx.name() + "/cond_next"),
                ctx.name() + "/cond_out", ir::MakeType(ir::DataType::kBool, {}));
  for (int i : state) {
    AddBodyOutput(&b, next[i], absl::StrCat(ctx.name(), "/var", i, "_out"), types[i]);
  }
  b.FinishOutputs();

  std::vector<std::string> loop_inputs = {"", cond0};
  for (int i : state) loop_inputs.push_back(inputs[i]);
  std::vector<std::string> outs =
      outer.AddNode(ctx.name(), "Loop", "", std::move(loop_inputs), static_cast<int>(state.size()),
                    {ir::Attribute::GraphValue("body", graph)});
  for (int i = 0; i < n; ++i) ctx.SetOutput(i, inputs[i]);
  for (size_t j = 0; j < state.size(); ++j) {
    outer.SetType(outs[j], types[state[j]]);
    ctx.SetOutput(state[j], outs[j]);
  }
  return absl::OkStatus();
}

// A frozen variable read inside a body: the handle already is the value.
absl::Status ConvertReadVariable(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.input(0));
  return absl::OkStatus();
}

}  // namespace

void RegisterControlFlowOps(HandlerRegistry& r) {
  r.Register({"While", "StatelessWhile"}, kMinOpset, InputsAtLeast(0), ConvertWhile);
  r.Register({"ReadVariableOp"}, kMinOpset, Inputs(1), ConvertReadVariable);
  RegisterIfCaseOps(r);
}

}  // namespace onnxsmith::converter
