#include "converter/emit/padding.h"

namespace onnxsmith::converter {

int64_t SamePadTotal(int64_t in, int64_t kernel, int64_t stride, int64_t dilation) {
  const int64_t effective_kernel = (kernel - 1) * dilation + 1;
  const int64_t out = (in + stride - 1) / stride;
  const int64_t total = (out - 1) * stride + effective_kernel - in;
  return total > 0 ? total : 0;
}

std::vector<int64_t> OnnxPads(const std::vector<std::pair<int64_t, int64_t>>& pairs) {
  const size_t n = pairs.size();
  std::vector<int64_t> pads(2 * n, 0);
  for (size_t s = 0; s < n; ++s) {
    pads[s] = pairs[s].first;
    pads[n + s] = pairs[s].second;
  }
  return pads;
}

std::vector<ir::Attribute> WindowPaddingAttrs(const WindowPadding& padding, const Window& window) {
  const size_t n = window.strides.size();
  std::vector<std::pair<int64_t, int64_t>> pairs(n, {0, 0});
  switch (padding.mode) {
    case WindowPadding::Mode::kValid:
      break;
    case WindowPadding::Mode::kExplicit:
      pairs = padding.pads;
      break;
    case WindowPadding::Mode::kSame:
      for (size_t s = 0; s < n; ++s) {
        const int64_t kernel = window.kernel[s];
        const int64_t stride = window.strides[s];
        const int64_t in = s < window.in.size() ? window.in[s] : -1;
        if (kernel < 1 || (stride != 1 && in < 0)) {
          return {ir::Attribute::String("auto_pad", "SAME_UPPER")};
        }
        const int64_t total = stride == 1 ? (kernel - 1) * window.dilations[s]
                                          : SamePadTotal(in, kernel, stride, window.dilations[s]);
        pairs[s] = {total / 2, total - total / 2};
      }
      break;
  }
  return {ir::Attribute::Ints("pads", OnnxPads(pairs))};
}

}  // namespace onnxsmith::converter
