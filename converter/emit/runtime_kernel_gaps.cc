#include "converter/emit/runtime_kernel_gaps.h"

#include <algorithm>

namespace onnxsmith::converter {

using ir::DataType;

// ONNX Runtime's CPU kernels cover fewer element types than the ONNX schemas:
// a model using one of these pairs is valid ONNX that the runtime everyone
// runs refuses to load, so the emitter computes such a node in a type the
// kernels take and handlers need not know. Measured with onnxruntime's CPU
// provider (the oracle venv's version) on one-node models, for the pairs TF
// models produce. float64 math goes through float32 (TF's own float32 kernels
// are no more exact); narrow integers through int32, where the values fit.
absl::Span<const RuntimeKernelGap> RuntimeKernelGaps() {
  static const auto* gaps = new std::vector<RuntimeKernelGap>{
      {{"Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf",
        "Softplus", "Softsign", "Elu", "Selu", "HardSigmoid", "Conv", "ConvTranspose",
        "AveragePool", "GlobalAveragePool", "LRN", "InstanceNormalization"},
       {DataType::kDouble},
       DataType::kFloat,
       true},
      {{"Max", "Min", "Pow", "Where"},
       {DataType::kInt8, DataType::kInt16, DataType::kUint8, DataType::kUint16},
       DataType::kInt32,
       true},
      {{"Relu"}, {DataType::kInt16}, DataType::kInt32, true},
      {{"IsInf"}, {DataType::kFloat16}, DataType::kFloat, false},
  };
  return *gaps;
}

const RuntimeKernelGap* FindRuntimeKernelGap(const std::string& op_type, DataType input_type) {
  for (const RuntimeKernelGap& gap : RuntimeKernelGaps()) {
    if (std::find(gap.ops.begin(), gap.ops.end(), op_type) != gap.ops.end() &&
        std::find(gap.lacking.begin(), gap.lacking.end(), input_type) != gap.lacking.end()) {
      return &gap;
    }
  }
  return nullptr;
}

}  // namespace onnxsmith::converter
