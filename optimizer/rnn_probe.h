// Reads an RNN cell's weights off a Loop body by running parts of it on the
// reference evaluator: a gate's pre-activation is an affine function of the
// step input and the state, so evaluating it at zero and at each unit vector
// (all probes in one batch) gives its bias and weight rows, and one random
// point checks that it really is affine. This makes the RNN rewrite
// independent of how the cell spelled its math (gate order and split, fused
// or separate kernels, forget_bias added after the split, Keras or TF1).
#ifndef ONNXSMITH_OPTIMIZER_RNN_PROBE_H_
#define ONNXSMITH_OPTIMIZER_RNN_PROBE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace onnxsmith::optimizer {

// target = bias + sum_j input_j . coef[j]; coef[j] is [width_j][n], row-major.
struct AffineMap {
  int64_t n = 0;
  std::vector<float> bias;
  std::vector<std::vector<float>> coef;
};

class CellProbe {
 public:
  // `body` is the Loop body, `outer` the graph holding the Loop (its
  // initializers are the constants the body may read).
  CellProbe(const ir::Graph& body, const ir::Graph& outer, int64_t opset)
      : body_(body), outer_(outer), opset_(opset) {}

  // `target` as an affine function of the cut `inputs` (value, width), each
  // [batch, width]; nullopt when it reads anything else of the body (another
  // state, the counter) or is not affine.
  std::optional<AffineMap> Affine(const std::vector<std::pair<std::string, int64_t>>& inputs,
                                   const std::string& target) const;

 private:
  // The body nodes computing `targets` from `inputs`, as a graph.
  std::optional<ir::Graph> Cut(const std::vector<std::pair<std::string, int64_t>>& inputs,
                               const std::vector<std::string>& targets) const;

  const ir::Graph& body_;
  const ir::Graph& outer_;
  int64_t opset_;
};

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_RNN_PROBE_H_
