// The (op, element type) pairs ONNX Runtime's CPU kernels lack although the
// ONNX schemas allow them, and the type such a node is computed in instead.
// GraphBuilder::AddNode applies them to every node it emits; the support
// table (docs/support_status.md) lists them from here.
#ifndef ONNXSMITH_CONVERTER_EMIT_RUNTIME_KERNEL_GAPS_H_
#define ONNXSMITH_CONVERTER_EMIT_RUNTIME_KERNEL_GAPS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

struct RuntimeKernelGap {
  std::vector<std::string> ops;
  std::vector<ir::DataType> lacking;  // input element types without a kernel
  ir::DataType compute;               // inputs of a lacking type are cast to this
  bool restore;                       // outputs are cast back (false: not of the input type)
};

absl::Span<const RuntimeKernelGap> RuntimeKernelGaps();

// The gap a default-domain `op_type` node falls in when its deciding input is
// of `input_type`; nullptr when the runtime takes it as it is.
const RuntimeKernelGap* FindRuntimeKernelGap(const std::string& op_type, ir::DataType input_type);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_RUNTIME_KERNEL_GAPS_H_
