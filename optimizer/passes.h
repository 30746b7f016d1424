// The built-in passes. Each factory returns a fresh pass; the registry
// (optimizer/registry.h) lists them by name with their optimization level.
#ifndef ONNXSMITH_OPTIMIZER_PASSES_H_
#define ONNXSMITH_OPTIMIZER_PASSES_H_

#include <memory>
#include <string>
#include <vector>

#include "optimizer/graph_editor.h"
#include "optimizer/pass.h"
#include "optimizer/rewrite.h"

namespace onnxsmith::optimizer {

// eliminate_dead_code: nodes no graph output depends on, initializers
// nothing reads (unless a graph input of the same name can override them),
// and value_info of values that no longer exist.
std::unique_ptr<Pass> CreateDeadCodeEliminationPass();

// eliminate_identity: Identity; Dropout in inference (mask unused, no
// training_mode); Cast to the type its input already has; Reshape to the
// shape its input already has; Transpose with the identity permutation.
std::vector<RewriteRule> IdentityEliminationRules();
std::unique_ptr<Pass> CreateIdentityEliminationPass();

// simplify_algebra: Mul/Div by, Pow to a constant 1, Add/Sub of a constant 0
// and Neg(Neg(x)) bypassed when the constant does not widen the output.
std::vector<RewriteRule> AlgebraicSimplificationRules();
std::unique_ptr<Pass> CreateAlgebraicSimplificationPass();

// optimize_transposes: Transpose(Transpose(x)) merged or cancelled, and
// Transposes pushed down through elementwise unary ops, broadcasting
// elementwise ops whose other operands are constants or carry the same
// Transpose, Concat, and reductions, so that opposite Transposes meet and
// cancel.
std::vector<RewriteRule> TransposeRules();
std::unique_ptr<Pass> CreateTransposeOptimizationPass();

// transpose_to_reshape: a Transpose that moves only size-1 dims (the other
// dims keep their order) becomes a Reshape.
std::unique_ptr<Pass> CreateTransposeToReshapePass();

// fuse_reshapes: Reshape over Reshape/Flatten/Squeeze/Unsqueeze collapsed
// into one Reshape; Squeeze/Unsqueeze pairs over the same axes cancelled.
std::vector<RewriteRule> ReshapeFusionRules();
std::unique_ptr<Pass> CreateReshapeFusionPass();

// fuse_reduce_keepdims: Reduce*(keepdims=0) + Reshape/Unsqueeze restoring the
// reduced dims -> keepdims=1.
std::vector<RewriteRule> ReduceRules();
std::unique_ptr<Pass> CreateReduceKeepDimsPass();

// fuse_conv_scale_bias: Mul/Div by and Add/Sub of a constant that
// broadcasts per output channel, right after a Conv, folded into the Conv's
// weight and bias (this absorbs BatchNormalization lowered to Mul+Add).
std::vector<RewriteRule> ConvScaleBiasRules();
std::unique_ptr<Pass> CreateConvScaleBiasFusionPass();

// fuse_matmul_add_into_gemm: MatMul of rank-2 operands followed by Add of a
// constant bias that broadcasts to the product -> Gemm.
std::vector<RewriteRule> GemmFusionRules();
std::unique_ptr<Pass> CreateMatMulAddToGemmPass();

// eliminate_common_subexpressions: nodes with the same op, inputs and
// attributes (deterministic ai.onnx ops without subgraphs) merged into the
// first one; a graph output's name is kept.
std::unique_ptr<Pass> CreateCsePass();

// deduplicate_initializers: initializers of equal dtype, shape and bytes
// (hashed first, large ones hashed and compared in parallel) merged.
std::unique_ptr<Pass> CreateInitializerDedupPass();

// fuse_batchnorm: inference BatchNormalization folded into the Conv,
// ConvTranspose or Gemm before it (numerically, on initializers).
std::unique_ptr<Pass> CreateBatchNormFusionPass();

// fuse_pad: zero constant Pad of spatial dims folded into the pads of the
// Conv / AveragePool(count_include_pad=1) reading it.
std::unique_ptr<Pass> CreatePadFusionPass();

// fold_shape_computations: run-time shape chains feeding Reshape replaced
// by a constant shape (0 for copied dims, -1 for the one inferred dim).
std::unique_ptr<Pass> CreateShapeFoldingPass();

// Runs per-node shape inference over `graph` (not its subgraphs) and records
// a type for every node output the graph has none for (graph outputs keep
// theirs). For models loaded without value_info. Returns how many it added.
int64_t InferMissingTypes(ir::Graph& graph, int64_t opset);
// infer_shapes: InferMissingTypes as a pass (values whose shape only
// becomes known after folding, e.g. a Reshape's shape input).
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
