// Helpers shared by the array op families (shape, join_split, pad, fill,
// index, image): TF's int32 shape vectors as ONNX int64, constant scalar
// inputs, and types for values ONNX inference skips.
#ifndef ONNXSMITH_CONVERTER_HANDLERS_ARRAY_UTIL_H_
#define ONNXSMITH_CONVERTER_HANDLERS_ARRAY_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/handlers/node_context.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

// The dtype of input `i`: inferred if known, else the node's type attribute.
ir::DataType InputDType(const NodeContext& ctx, int i, const std::string& type_attr = "T");

// Input `i` as an int64 ONNX value (shape vectors, repeats, split sizes are
// int64-only in ONNX; TF mostly uses int32). Constants are cast here.
std::string Int64Input(NodeContext& ctx, int i);

// A constant scalar input as one integer (TF axes arrive as 0-D or 1-element 1-D).
absl::StatusOr<int64_t> ConstScalarInt(const NodeContext& ctx, int i, const char* what);

// Element `index` of the 1-D value `vec`, as a scalar (Gather at a constant index).
std::string ElementAt(NodeContext& ctx, const std::string& vec, int64_t index);

// Dim `axis` of `x` at run time, an int64 scalar.
std::string RuntimeDim(NodeContext& ctx, const std::string& x, int64_t axis);

// The row-major strides ([rank] int64: stride[k] = prod(shape[k+1:])) of a
// 1-D int64 `shape` of static length `rank` >= 1.
std::string RowMajorStrides(NodeContext& ctx, const std::string& shape, int rank);

// Normalizes `axis` into [0, rank); an error if out of range.
absl::StatusOr<int64_t> NormalizeAxis(const NodeContext& ctx, int64_t axis, int rank);

// Records a type for a value whose op ONNX inference skips (libonnx knows
// schemas up to opset 17; Split, Pad and Resize changed after it), so later
// handlers still see its dtype and rank.
void RecordType(NodeContext& ctx, const std::string& value, ir::DataType dtype,
                const std::optional<std::vector<int64_t>>& dims);

// Records a type for `value` when inference left its rank unknown (an
// output shaped by run-time values: Unsqueeze of computed axes, a gather
// standing in for a Transpose), at any opset.
void EnsureType(NodeContext& ctx, const std::string& value, ir::DataType dtype,
                const std::optional<std::vector<int64_t>>& dims);

// Types ConstantOfShape can fill (bfloat16 joined at opset 20; never strings).
bool ConstantOfShapeSupports(ir::DataType t, int opset);

// A one-element tensor of `dtype` holding 0 or 1 (ConstantOfShape's 'value').
absl::StatusOr<ir::Tensor> ZeroOrOneTensor(ir::DataType dtype, bool one);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_HANDLERS_ARRAY_UTIL_H_
