#include "converter/keras/image_resize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter::keras {

namespace {

constexpr int kTableSize = 1024;  // TF's bicubic coefficient table resolution
constexpr float kA = -0.5f;       // Keys' cubic, as TF with half-pixel centers

// TF's table: entry [2i] is the weight of a tap at distance i/kTableSize,
// entry [2i+1] at distance 1 + i/kTableSize.
const std::vector<float>& CoefficientTable() {
  static const auto* table = [] {
    auto* t = new std::vector<float>(2 * (kTableSize + 1));
    for (int i = 0; i <= kTableSize; ++i) {
      float x = static_cast<float>(i) / kTableSize;
      (*t)[2 * i] = ((kA + 2) * x - (kA + 3)) * x * x + 1;
      x += 1.0f;
      (*t)[2 * i + 1] = ((kA * x - 5 * kA) * x + 8 * kA) * x - 4 * kA;
    }
    return t;
  }();
  return *table;
}

}  // namespace

std::vector<float> TfBicubicMatrix(int64_t in_size, int64_t out_size) {
  const std::vector<float>& table = CoefficientTable();
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  std::vector<float> m(out_size * in_size, 0.0f);
  for (int64_t o = 0; o < out_size; ++o) {
    const float in = (static_cast<float>(o) + 0.5f) * scale - 0.5f;
    const int64_t loc = static_cast<int64_t>(std::floor(in));
    const int offset = static_cast<int>(std::lrintf((in - static_cast<float>(loc)) * kTableSize));
    float w[4] = {table[offset * 2 + 1], table[offset * 2], table[(kTableSize - offset) * 2],
                  table[(kTableSize - offset) * 2 + 1]};
    float total = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const int64_t idx = loc - 1 + k;
      if (idx < 0 || idx >= in_size) w[k] = 0.0f;
      total += w[k];
    }
    for (int k = 0; k < 4; ++k) {
      const int64_t idx = loc - 1 + k;
      if (idx < 0 || idx >= in_size) continue;
      m[o * in_size + idx] += std::fabs(total) >= 1000.0f * FLT_MIN ? w[k] / total : w[k];
    }
  }
  return m;
}

std::string EmitTfBicubicResize(LayerContext& ctx, const std::string& x, bool channels_first,
                                int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w) {
  const std::string rows = ctx.ConstFloats({out_h, in_h}, TfBicubicMatrix(in_h, out_h), "rows");
  const std::string cols = ctx.ConstFloats({out_w, in_w}, TfBicubicMatrix(in_w, out_w), "cols");
  auto einsum = [&](const std::string& m, const std::string& v, const char* eq) {
    return ctx.AddNode("Einsum", {m, v}, {ir::Attribute::String("equation", eq)});
  };
  if (channels_first) {
    return einsum(cols, einsum(rows, x, "ih,nchw->nciw"), "jw,nciw->ncij");
  }
  return einsum(cols, einsum(rows, x, "ih,nhwc->niwc"), "jw,niwc->nijc");
}

}  // namespace onnxsmith::converter::keras
