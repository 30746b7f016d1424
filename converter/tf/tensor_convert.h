// TensorFlow dtypes, shapes and TensorProtos in terms of the IR.
#ifndef ONNXSMITH_CONVERTER_TF_TENSOR_CONVERT_H_
#define ONNXSMITH_CONVERTER_TF_TENSOR_CONVERT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "converter/tf/dtype.h"  // ToOnnxType, TfTypeName
#include "converter/tf/proto/node_def.pb.h"
#include "converter/tf/proto/tensor.pb.h"
#include "converter/tf/proto/tensor_shape.pb.h"
#include "converter/tf/rank_limit.h"  // kMaxTfRank, CheckTfRank
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

// Largest constant we materialize (elements); guards against a declared
// shape far larger than the data behind it.
inline constexpr int64_t kMaxConstElements = int64_t{1} << 31;

// Dims of a TF shape: -1 for unknown dims; nullopt for unknown rank.
std::optional<std::vector<int64_t>> ToDims(const tf::TensorShapeProto& shape);
// Every shape a node carries (shape and tensor attributes, lists of them:
// Placeholder `shape`, `_output_shapes`, Const `value`, ...) within
// kMaxTfRank; the error names the node and the attribute.
absl::Status CheckNodeRanks(const tf::NodeDef& node);
ir::ValueType ToValueType(ir::DataType dtype, const std::optional<std::vector<int64_t>>& dims);

absl::StatusOr<ir::Tensor> ToIrTensor(const tf::TensorProto& proto);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_TENSOR_CONVERT_H_
