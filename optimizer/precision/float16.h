// --precision fp16: converts a float32 model's weights and compute to
// float16, keeping in float32 the ops that overflow or lose accuracy there
// (Softmax, Exp, large reductions, normalization statistics, ...), the ops
// whose ONNX schema does not take float16 at the model's opset (Range,
// Resize's scales, ...) and shape arithmetic done in float. Casts go only
// where a float16 value meets a float32 reader or the reverse, one per value
// and precision (shared by every reader); two float16 ops never have a Cast
// between them. Model inputs and outputs stay float32 unless fp16_io.
//
// If/Loop/Scan nodes stay float32 at their boundary: a body is converted
// like a model of its own with float32 inputs and outputs, reading values of
// the enclosing scope in whatever precision they now have (a Cast inside the
// body where it needs the other one).
#ifndef ONNXSMITH_OPTIMIZER_PRECISION_FLOAT16_H_
#define ONNXSMITH_OPTIMIZER_PRECISION_FLOAT16_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace onnxsmith::optimizer::precision {

// Op types kept in float32 by default: overflow (Exp, Pow, sums of squares,
// Softmax's exp-sum), normalization statistics, and ops whose float inputs
// are coordinates or sizes (Range, Resize, Upsample).
const std::set<std::string>& DefaultKeepFp32Ops();

// --keep-fp32-ops items: an op type adds to the defaults, "-Op" removes one,
// "none" clears them first. Unknown op types (not an ONNX op) are errors.
absl::StatusOr<std::set<std::string>> ParseKeepFp32Ops(const std::vector<std::string>& items);

struct Float16Options {
  std::set<std::string> keep_fp32_ops = DefaultKeepFp32Ops();
  // Model inputs and outputs become float16 too (else they stay float32).
  bool fp16_io = false;
  // ReduceSum/ReduceMean/GlobalAveragePool (...) over more elements than this,
  // or over an unknown count, stay float32: a float16 sum overflows at 65504.
  int64_t max_fp16_reduction = 4096;
};

struct Float16Report {
  int64_t nodes_fp16 = 0;  // nodes now computing in float16 (subgraphs too)
  int64_t nodes_kept_fp32 = 0;  // nodes with float32 data left in float32
  std::map<std::string, int64_t> kept_by_op;  // op type -> nodes kept float32
  int64_t casts_inserted = 0;
  int64_t initializers_converted = 0;  // float32 initializers now float16
  int64_t initializers_duplicated = 0;  // read in both precisions: a float16 copy added
  int64_t float_bytes_before = 0;  // bytes of float32 initializers before
  int64_t float_bytes_after = 0;   // bytes of those (and their copies) after
};

// Converts `model` in place. Runs type inference first (values without a
// known type are left as they are, with their readers).
absl::StatusOr<Float16Report> ConvertToFloat16(ir::Model& model, const Float16Options& options);

// "FP16: 120 nodes float16, 3 kept float32 (Softmax 1, ...), 4 Casts, ..."
std::string FormatFloat16Report(const Float16Report& report);

// float32 -> float16, round to nearest even; finite values past float16's
// range saturate at +-65504 (weights, not activations).
ir::Tensor Float32ToFloat16(const ir::Tensor& t);

// ---- op_support.cc -----------------------------------------------------------

// An ONNX op type (any opset the schemas or the evaluator know).
bool IsKnownOpType(const std::string& op_type);
// Every input and output slot of `node` whose dtype is float32 in `dtypes`
// (slot order; kUndefined where unknown) may be float16 by the op's schema
// at `opset`.
bool SchemaAllowsFloat16(const ir::Node& node, int64_t opset,
                         const std::vector<ir::DataType>& input_types,
                         const std::vector<ir::DataType>& output_types);
// Reductions and global pools whose float16 sum may overflow.
bool IsSummingReduction(const std::string& op_type);

}  // namespace onnxsmith::optimizer::precision

#endif  // ONNXSMITH_OPTIMIZER_PRECISION_FLOAT16_H_
