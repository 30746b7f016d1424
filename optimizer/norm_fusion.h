// fuse_layer_normalization and fuse_gelu: decomposed LayerNormalization and
// Gelu subgraphs (as TF/Keras graphs, our own Keras converter below the
// fused ops' opsets, and PyTorch exports emit them) collapsed into the
// standard ONNX ops, LayerNormalization from opset 17 and Gelu from 20.
#ifndef ONNXSMITH_OPTIMIZER_NORM_FUSION_H_
#define ONNXSMITH_OPTIMIZER_NORM_FUSION_H_

#include <memory>
#include <vector>

#include "optimizer/pass.h"
#include "optimizer/rewrite.h"

namespace onnxsmith::optimizer {

// Anchored on the mean's ReduceMean. Recognized, over trailing axes:
//   d = x - mean(x); var = mean(d*d | d^2); s = sqrt(var + eps), then
//   d / s, d * (1/s), or the folded form x*(g/s) + (beta - mean*(g/s))
//   (TF's batch_normalization, which Keras 3 uses), followed by an optional
//   Mul by gamma and Add of beta (constants broadcasting over the normalized
//   axes only).
std::vector<RewriteRule> LayerNormFusionRules();
std::unique_ptr<Pass> CreateLayerNormFusionPass();

// Anchored on the final Mul: 0.5 * x * (1 + erf(x / sqrt(2))) (also
// 1 - erf(-x / sqrt(2)), i.e. TF's erfc form once Erfc is lowered) and
// 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))), products in any
// association.
std::vector<RewriteRule> GeluFusionRules();
std::unique_ptr<Pass> CreateGeluFusionPass();

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_NORM_FUSION_H_
