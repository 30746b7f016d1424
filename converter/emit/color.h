// RGB <-> HSV on images split into their three channels, with TF's kernel
// formulas; shared by TF's RGBToHSV/HSVToRGB/AdjustHue/AdjustSaturation and
// keras.ops.image.rgb_to_hsv/hsv_to_rgb (whose TF backend calls the same ops).
#ifndef ONNXSMITH_CONVERTER_EMIT_COLOR_H_
#define ONNXSMITH_CONVERTER_EMIT_COLOR_H_

#include <string>

#include "converter/emit/onnx_emitter.h"

namespace onnxsmith::converter {

// Three float channels of the same shape: r, g, b or h, s, v.
struct ColorChannels {
  std::string a, b, c;
};

// x [..., 3] (float) as its channels, and back.
ColorChannels SplitColorChannels(OnnxEmitter& e, const std::string& x);
std::string JoinColorChannels(OnnxEmitter& e, const ColorChannels& ch);

// V = max, S = (max - min) / V (0 at V = 0), H by the channel holding the max, in [0, 1).
ColorChannels RgbToHsv(OnnxEmitter& e, const ColorChannels& rgb);
// Per channel a clamped triangle of 6h, mixed by s, scaled by v.
ColorChannels HsvToRgb(OnnxEmitter& e, const ColorChannels& hsv);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_COLOR_H_
