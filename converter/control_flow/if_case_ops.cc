// If / StatelessIf -> ONNX If; Case / StatelessCase -> a chain of Ifs
// (branch k when the index equals k, else the rest of the chain; an index
// out of range takes the last branch, as TF does). Branch functions become
// If subgraphs without inputs: their arguments are the node's inputs, read
// from the enclosing scope by name.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/control_flow/control_flow_ops.h"
#include "converter/control_flow/function_body.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

int NumOutputs(const NodeContext& ctx) {
  auto it = ctx.node().attr().find("Tout");
  return it == ctx.node().attr().end() ? 0 : it->second.list().type_size();
}

// Declared output types; a dtype TF leaves to the handle (a TensorList's
// variant) is learned from the first branch converted.
std::vector<ir::ValueType> OutputTypes(const NodeContext& ctx, int num_outputs) {
  std::vector<ir::ValueType> types;
  for (int k = 0; k < num_outputs; ++k) types.push_back(DeclaredType(ctx, k, {}, "Tout"));
  return types;
}

// Converts `f` into a new If branch graph nested in `outer`.
absl::StatusOr<std::shared_ptr<ir::Graph>> BuildBranch(const NodeContext& ctx,
                                                       const FlatFunction& f,
                                                       const std::vector<std::string>& args,
                                                       GraphBuilder* outer, const std::string& hint,
                                                       std::vector<ir::ValueType>* types) {
  auto graph = std::make_shared<ir::Graph>();
  graph->name = hint;
  GraphBuilder b(graph.get(), outer);
  ASSIGN_OR_RETURN(std::vector<std::string> outs, ConvertFunctionInto(ctx, f, args, &b));
  for (size_t k = 0; k < outs.size(); ++k) {
    ir::ValueType& t = (*types)[k];
    const ir::ValueType got = b.TypeOf(outs[k]);
    if (t.dtype == ir::DataType::kUndefined || got.sequence) t = DeclaredType(ctx, k, got, "Tout");
    // An unknown-rank declaration (TF1 conds raised to If) takes the branch's
    // rank with free dims: ONNX graph outputs need a rank.
    if (!t.shape && !t.sequence && got.shape) t.shape = std::vector<ir::Dim>(got.shape->size());
    AddBodyOutput(&b, outs[k], absl::StrCat(hint, "/out", k), t);
  }
  b.FinishOutputs();
  return graph;
}

std::vector<std::string> EmitIf(NodeContext& ctx, const std::string& cond,
                                std::shared_ptr<ir::Graph> then_graph,
                                std::shared_ptr<ir::Graph> else_graph,
                                const std::vector<ir::ValueType>& types, GraphBuilder* builder,
                                const std::string& hint) {
  std::vector<std::string> outs = builder->AddNode(
      hint, "If", "", {cond}, static_cast<int>(types.size()),
      {ir::Attribute::GraphValue("else_branch", std::move(else_graph)),
       ir::Attribute::GraphValue("then_branch", std::move(then_graph))});
  for (size_t k = 0; k < types.size(); ++k) builder->SetType(outs[k], types[k]);
  return outs;
}

absl::Status ConvertIf(NodeContext& ctx) {
  const int n = ctx.num_inputs() - 1;
  const int num_outputs = NumOutputs(ctx);
  ASSIGN_OR_RETURN(FlatFunction then_f, FlattenFunction(ctx, "then_branch", -1, n, num_outputs));
  ASSIGN_OR_RETURN(FlatFunction else_f, FlattenFunction(ctx, "else_branch", -1, n, num_outputs));
  std::vector<std::string> args;
  for (int i = 1; i <= n; ++i) args.push_back(ctx.input(i));
  std::vector<ir::ValueType> types = OutputTypes(ctx, num_outputs);
  GraphBuilder* builder = &ctx.builder();
  ASSIGN_OR_RETURN(auto then_g, BuildBranch(ctx, then_f, args, builder, ctx.name() + "/then", &types));
  ASSIGN_OR_RETURN(auto else_g, BuildBranch(ctx, else_f, args, builder, ctx.name() + "/else", &types));
  const std::string cond = ToBoolScalar(builder, ctx.input(0), ctx.name() + "/cond");
  std::vector<std::string> outs = EmitIf(ctx, cond, then_g, else_g, types, builder, ctx.name());
  for (int k = 0; k < num_outputs; ++k) ctx.SetOutput(k, outs[k]);
  return absl::OkStatus();
}

// Branches k.. of a Case, converted into `builder`'s graph.
absl::StatusOr<std::vector<std::string>> CaseChain(NodeContext& ctx,
                                                   const std::vector<FlatFunction>& branches,
                                                   size_t k, const std::vector<std::string>& args,
                                                   const std::vector<std::string>& is_branch,
                                                   std::vector<ir::ValueType>* types,
                                                   GraphBuilder* builder) {
  if (k + 1 == branches.size()) return ConvertFunctionInto(ctx, branches[k], args, builder);
  const std::string hint = absl::StrCat(ctx.name(), "/branch", k);
  ASSIGN_OR_RETURN(auto then_g, BuildBranch(ctx, branches[k], args, builder, hint, types));
  auto else_g = std::make_shared<ir::Graph>();
  else_g->name = absl::StrCat(ctx.name(), "/not_branch", k);
  {
    GraphBuilder b(else_g.get(), builder);
    ASSIGN_OR_RETURN(std::vector<std::string> outs,
                     CaseChain(ctx, branches, k + 1, args, is_branch, types, &b));
    for (size_t j = 0; j < outs.size(); ++j) {
      AddBodyOutput(&b, outs[j], absl::StrCat(else_g->name, "/out", j), (*types)[j]);
    }
    b.FinishOutputs();
  }
  return EmitIf(ctx, is_branch[k], then_g, else_g, *types, builder, hint);
}

absl::Status ConvertCase(NodeContext& ctx) {
  const int n = ctx.num_inputs() - 1;
  const int num_outputs = NumOutputs(ctx);
  auto it = ctx.node().attr().find("branches");
  const int num_branches = it == ctx.node().attr().end() ? 0 : it->second.list().func_size();
  if (num_branches == 0) return ctx.Error("has no branches");
  std::vector<FlatFunction> branches;
  for (int k = 0; k < num_branches; ++k) {
    ASSIGN_OR_RETURN(FlatFunction f, FlattenFunction(ctx, "branches", k, n, num_outputs));
    branches.push_back(std::move(f));
  }
  std::vector<std::string> args;
  for (int i = 1; i <= n; ++i) args.push_back(ctx.input(i));
  std::vector<std::string> is_branch;
  const std::string index = ctx.Cast(ctx.input(0), ir::DataType::kInt32);
  for (int k = 0; k + 1 < num_branches; ++k) {
    is_branch.push_back(ctx.AddNode("Equal", {index, ctx.ConstScalar(ir::DataType::kInt32, k)}));
  }
  std::vector<ir::ValueType> types = OutputTypes(ctx, num_outputs);
  ASSIGN_OR_RETURN(std::vector<std::string> outs,
                   CaseChain(ctx, branches, 0, args, is_branch, &types, &ctx.builder()));
  for (int k = 0; k < num_outputs; ++k) ctx.SetOutput(k, outs[k]);
  return absl::OkStatus();
}

}  // namespace

void RegisterIfCaseOps(HandlerRegistry& r) {
  r.Register({"If", "StatelessIf"}, kMinOpset, InputsAtLeast(1), ConvertIf);
  r.Register({"Case", "StatelessCase"}, kMinOpset, InputsAtLeast(1), ConvertCase);
}

}  // namespace onnxsmith::converter
