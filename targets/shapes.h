// Static shapes for targets that need them: `--fix-shape name:1x224x224x3`
// and `--batch N` set the dims of graph inputs.
#ifndef ONNXSMITH_TARGETS_SHAPES_H_
#define ONNXSMITH_TARGETS_SHAPES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace onnxsmith::targets {

// "x:1x224x224x3" occurrences (each may be a comma list) -> name -> dims.
absl::StatusOr<std::map<std::string, std::vector<int64_t>>> ParseFixShapes(
    const std::vector<std::string>& specs);

// Sets the dims of the named graph inputs (an unknown name or a rank or
// known dim that disagrees is an error naming the input and the model's
// inputs), then dim 0 of every input to `batch` when batch > 0. Types of
// intermediate values with unknown dims are dropped, for shape inference to
// redo them. Returns what changed, for the report.
absl::StatusOr<std::vector<std::string>> FixShapes(ir::Model& model,
                                                   const std::map<std::string, std::vector<int64_t>>& shapes,
                                                   int64_t batch);

}  // namespace onnxsmith::targets

#endif  // ONNXSMITH_TARGETS_SHAPES_H_
