// Layer classes that keras.applications defines for its own architectures
// (module keras.src.applications.*): they are part of Keras, saved by class
// name like any built-in layer, so they convert as known layers rather than
// as custom code.
//   ConvNeXt:          LayerScale (x * gamma), StochasticDepth (identity at inference)
//   InceptionResNetV2: CustomScaleLayer (inputs[0] + inputs[1] * scale)
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

absl::Status ConvertLayerScale(LayerContext& ctx) {
  if (ctx.num_weights() != 1) return ctx.Error("expects one weight (gamma)");
  ASSIGN_OR_RETURN(std::string gamma, ctx.WeightConst(0, "gamma"));
  ctx.SetOutput(0, ctx.AddNode("Mul", {ctx.input(0), gamma}));
  ctx.PropagateMask();
  return absl::OkStatus();
}

absl::Status ConvertStochasticDepth(LayerContext& ctx) {
  ctx.SetOutput(0, ctx.input(0));
  ctx.PropagateMask();
  return absl::OkStatus();
}

absl::Status ConvertCustomScaleLayer(LayerContext& ctx) {
  if (!ctx.has("scale")) return ctx.Error("config has no 'scale'");
  ir::DataType dtype = ctx.input_dtype(1);
  if (dtype == ir::DataType::kUndefined) dtype = ir::DataType::kFloat;
  const std::string scaled =
      ctx.AddNode("Mul", {ctx.input(1), ctx.ConstScalar(dtype, ctx.Float("scale", 1.0), "scale")});
  ctx.SetOutput(0, ctx.AddNode("Add", {ctx.input(0), scaled}));
  return absl::OkStatus();
}

}  // namespace

void RegisterApplicationsLayers(LayerRegistry& r) {
  r.Register({"LayerScale"}, Inputs(1), ConvertLayerScale,
             "keras.applications ConvNeXt: x * gamma");
  r.Register({"StochasticDepth"}, Inputs(1), ConvertStochasticDepth,
             "keras.applications ConvNeXt: identity at inference");
  r.Register({"CustomScaleLayer"}, Inputs(2), ConvertCustomScaleLayer,
             "keras.applications InceptionResNetV2: inputs[0] + inputs[1] * scale");
}

}  // namespace onnxsmith::converter::keras
