// tf.image.resize(method="bicubic") as ONNX (shared by Resizing and
// UpSampling2D). ONNX Resize's cubic mode differs from TF's by ~1e-3: TF
// quantizes each tap position to 1/1024 through a coefficient table. With
// static sizes the resize is linear in x along each axis, so it is emitted as
// two Einsums with constant interpolation matrices built exactly as TF does.
#ifndef ONNXSMITH_CONVERTER_KERAS_IMAGE_RESIZE_H_
#define ONNXSMITH_CONVERTER_KERAS_IMAGE_RESIZE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/keras/layer_context.h"

namespace onnxsmith::converter::keras {

// The [out_size, in_size] matrix of TF's ResizeBicubic along one axis
// (half-pixel centers, Keys' cubic a = -0.5, taps outside dropped and the
// rest renormalized).
std::vector<float> TfBicubicMatrix(int64_t in_size, int64_t out_size);

// Resizes rank-4 float images x (channels last unless `channels_first`) of
// static spatial size in_h x in_w to out_h x out_w.
std::string EmitTfBicubicResize(LayerContext& ctx, const std::string& x, bool channels_first,
                                int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_IMAGE_RESIZE_H_
