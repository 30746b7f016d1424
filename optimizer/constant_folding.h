// constant_folding: nodes whose inputs are all constants (initializers that
// no graph input can override, Constant nodes, outputs folded before them)
// are evaluated with the reference evaluator and replaced by initializers of
// the same names; Shape / Size of values whose shape is fully known become
// constants, and Gather / Slice of a partly known Shape become constants
// when the dims they pick are known.
//
// Size-bounded: an output of more than `max_output_elements` elements is
// materialized only when it is no larger than the node's constant inputs
// together (a Transpose or Cast of a weight, not a Tile or Expand of one).
// Never folded: ops with random outputs, DequantizeLinear (QDQ models keep
// their quantized weights), ops in other domains, Scan, Loops of more than
// 1024 iterations (or without a constant trip count), If/Loop whose
// subgraphs read non-constant outer values, and anything the evaluator does
// not implement or fails on (a sequence output, for instance).
#ifndef ONNXSMITH_OPTIMIZER_CONSTANT_FOLDING_H_
#define ONNXSMITH_OPTIMIZER_CONSTANT_FOLDING_H_

#include <cstdint>
#include <memory>

#include "optimizer/pass.h"

namespace onnxsmith::optimizer {

struct ConstantFoldingOptions {
  int64_t max_output_elements = int64_t{1} << 20;
  bool fold_shapes = true;
  bool keep_dequantize = true;
};

// "constant_folding" with the default options (the registry's factory).
std::unique_ptr<Pass> CreateConstantFoldingPass();
std::unique_ptr<Pass> CreateConstantFoldingPassWithOptions(const ConstantFoldingOptions& options);

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_CONSTANT_FOLDING_H_
