// The built-in passes' factories (and the rule sets of the RewritePass-based
// ones). Each factory returns a fresh pass. What each pass does, its name and
// level are stated once, in the registry (optimizer/registry.cc), from which
// docs/passes.md is generated.
#ifndef ONNXSMITH_OPTIMIZER_PASSES_H_
#define ONNXSMITH_OPTIMIZER_PASSES_H_

#include <memory>
#include <string>
#include <vector>

#include "optimizer/graph_editor.h"
#include "optimizer/pass.h"
#include "optimizer/rewrite.h"

namespace onnxsmith::optimizer {

std::unique_ptr<Pass> CreateDeadCodeEliminationPass();

std::vector<RewriteRule> IdentityEliminationRules();
std::unique_ptr<Pass> CreateIdentityEliminationPass();

std::vector<RewriteRule> AlgebraicSimplificationRules();
std::unique_ptr<Pass> CreateAlgebraicSimplificationPass();

std::vector<RewriteRule> TransposeRules();
std::unique_ptr<Pass> CreateTransposeOptimizationPass();

std::unique_ptr<Pass> CreateTransposeToReshapePass();
// gather_to_transpose: Gather(Reshape(x, [-1]), constant permuted index) -> Transpose (gather_transpose.cc).
std::unique_ptr<Pass> CreateGatherToTransposePass();

std::vector<RewriteRule> ReshapeFusionRules();
std::unique_ptr<Pass> CreateReshapeFusionPass();

std::vector<RewriteRule> ReduceRules();
std::unique_ptr<Pass> CreateReduceKeepDimsPass();

std::vector<RewriteRule> ConvScaleBiasRules();
std::unique_ptr<Pass> CreateConvScaleBiasFusionPass();

std::vector<RewriteRule> GemmFusionRules();
std::unique_ptr<Pass> CreateMatMulAddToGemmPass();

std::unique_ptr<Pass> CreateCsePass();

std::unique_ptr<Pass> CreateInitializerDedupPass();

std::unique_ptr<Pass> CreateBatchNormFusionPass();

std::unique_ptr<Pass> CreatePadFusionPass();

std::unique_ptr<Pass> CreateShapeFoldingPass();

// Runs per-node shape inference over `graph` (not its subgraphs) and records
// a type for every node output the graph has none for (graph outputs keep
// theirs). For models loaded without value_info. Returns how many it added.
int64_t InferMissingTypes(ir::Graph& graph, int64_t opset);
std::unique_ptr<Pass> CreateInferShapesPass();

// ---- Constant helpers shared by the passes ---------------------------------

// A value equal to `value` reshaped to `dims`. An initializer gives a new
// initializer sharing its buffer; a constant expression gets a Reshape node
// (which constant folding later turns into an initializer). Returns "" when
// `value` is neither.
std::string ReshapedConstant(GraphEditor& ed, const std::string& value,
                             const std::vector<int64_t>& dims, const std::string& base);
// Likewise for Transpose(value, perm).
std::string TransposedConstant(GraphEditor& ed, const std::string& value,
                               const std::vector<int64_t>& perm, const std::string& base);
// Dims of a constant operand: the initializer's, or the static shape known
// for a constant expression.
std::optional<std::vector<int64_t>> ConstantDims(GraphEditor& ed, const std::string& value);

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_PASSES_H_
