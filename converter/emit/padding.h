// Padding of ONNX's windowed ops (Conv, the pools) for TF's and Keras's
// padding modes: one computation, so both frontends emit the same attributes.
#ifndef ONNXSMITH_CONVERTER_EMIT_PADDING_H_
#define ONNXSMITH_CONVERTER_EMIT_PADDING_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "ir/graph.h"

namespace onnxsmith::converter {

// A window over the spatial dims, one entry per dim. `in` and `kernel` may
// hold -1 for sizes unknown at conversion.
struct Window {
  std::vector<int64_t> in;
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
};

struct WindowPadding {
  enum class Mode {
    kValid,     // no padding
    kSame,      // TF's SAME: ceil(in / stride) outputs, the odd pad at the end
    kExplicit,  // `pads`: (before, after) per spatial dim (TF EXPLICIT, Keras causal)
  };
  Mode mode = Mode::kValid;
  std::vector<std::pair<int64_t, int64_t>> pads;
};

// The total SAME padding of one spatial dim of size `in` (known).
int64_t SamePadTotal(int64_t in, int64_t kernel, int64_t stride, int64_t dilation);

// ONNX's padding attribute for `window`: "pads" wherever they can be
// computed, i.e. always for VALID and explicit padding and, for SAME, when
// every dim's total is known (known input size and kernel, or stride 1,
// where the total is (kernel-1)*dilation whatever the input size); else
// auto_pad=SAME_UPPER, which is TF's SAME rule evaluated at run time.
// Explicit pads keep the graph independent of the runtime's auto_pad support
// and let the optimizer fold a Pad into the window.
std::vector<ir::Attribute> WindowPaddingAttrs(const WindowPadding& padding, const Window& window);

// ONNX "pads" order: every dim's `before`, then every dim's `after`.
std::vector<int64_t> OnnxPads(const std::vector<std::pair<int64_t, int64_t>>& pairs);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_PADDING_H_
