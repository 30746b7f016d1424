// Keras 3 layers that convert through other layers' handlers:
//   Pipeline: its config's layers applied in order (keras.layers.Pipeline,
//     a preprocessing chain); layers holding weights are not supported.
//   ReversibleEmbedding: an Embedding, or called with reverse=True the logits
//     x @ embeddings^T (tie_weights) or x @ reverse_embeddings, optionally
//     soft-capped: tanh(logits / cap) * cap.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

absl::Status ConvertPipeline(LayerContext& ctx) {
  const Json* layers = ctx.cfg("layers");
  if (layers == nullptr || !layers->is_array()) return ctx.Error("config has no 'layers' list");
  if (ctx.num_weights() > 0) {
    return ctx.Unsupported("a Pipeline whose layers hold weights (weightless layers convert)");
  }
  static const std::vector<KerasWeight> kNoWeights;
  std::string x = ctx.input(0);
  std::optional<KerasMask> mask = ctx.input_mask(0);
  int i = 0;
  for (const Json& entry : *layers) {
    KerasLayerSpec spec;
    const Json* cls = Find(entry, "class_name");
    const Json* cfg = Find(entry, "config");
    if (!cls || !cls->is_string() || !cfg || !cfg->is_object()) {
      return ctx.Error(absl::StrCat("layers[", i, "] is not a serialized layer"));
    }
    spec.class_name = cls->get<std::string>();
    spec.entry = &entry;
    spec.config = cfg;
    spec.name = absl::StrCat("layer_", i);
    if (const Json* n = Find(*cfg, "name"); n && n->is_string()) spec.name = n->get<std::string>();
    if (const Json* m = Find(entry, "module"); m && m->is_string()) spec.module = m->get<std::string>();
    const LayerHandler* handler = LayerRegistry::Global().Find(spec.class_name);
    if (handler == nullptr) {
      return ctx.Unsupported(absl::StrCat("a ", spec.class_name, " layer ('", spec.name,
                                          "') in the pipeline"));
    }
    InboundNode node;
    LayerContext inner(spec, node, 0, ctx.name() + "/" + spec.name, {x}, {mask}, {}, &kNoWeights,
                       &ctx.env());
    RETURN_IF_ERROR(RunLayerHandler(*handler, inner));
    if (inner.outputs().empty() || inner.outputs()[0].empty()) {
      return ctx.Error(absl::StrCat("layer '", spec.name, "' produced no output"));
    }
    x = inner.outputs()[0];
    mask = inner.output_masks()[0];
    ++i;
  }
  ctx.SetOutput(0, x);
  if (mask) ctx.SetOutputMask(0, *mask);
  return absl::OkStatus();
}

// reverse=True as a keyword or as the second positional argument (Keras 3).
bool Reverse(const LayerContext& ctx) {
  if (const Json* r = Find(ctx.call_kwargs(), "reverse"); r && r->is_boolean()) return r->get<bool>();
  const Json& args = ctx.call_args();
  return args.is_array() && args.size() > 1 && args[1].is_boolean() && args[1].get<bool>();
}

absl::Status ConvertReversibleEmbedding(LayerContext& ctx) {
  if (!Reverse(ctx)) {
    const LayerHandler* embedding = LayerRegistry::Global().Find("Embedding");
    if (embedding == nullptr) return ctx.Error("no Embedding handler");
    return RunLayerHandler(*embedding, ctx);
  }
  if (ctx.has("reverse_dtype")) {
    return ctx.Unsupported("reverse_dtype");
  }
  std::string kernel;
  if (ctx.Bool("tie_weights", true)) {
    ASSIGN_OR_RETURN(std::string table, ctx.WeightConst(0, "embeddings"));
    kernel = ctx.Transpose(table, {1, 0});
  } else {
    ASSIGN_OR_RETURN(kernel, ctx.WeightConst(1, "reverse_embeddings"));
  }
  std::string x = ctx.input(0);
  if (ctx.input_dtype(0) != ir::DataType::kFloat) x = ctx.Cast(x, ir::DataType::kFloat);
  std::string logits = ctx.AddNode("MatMul", {x, kernel});
  if (ctx.has("logit_soft_cap")) {
    const std::string cap = ctx.ConstFloat(static_cast<float>(ctx.Float("logit_soft_cap", 1.0)), "cap");
    logits = ctx.AddNode("Mul", {ctx.AddNode("Tanh", {ctx.AddNode("Div", {logits, cap})}), cap});
  }
  ctx.SetOutput(0, logits);
  return absl::OkStatus();
}

}  // namespace

void RegisterCompositeLayers(LayerRegistry& r) {
  r.Register({"Pipeline"}, Inputs(1), ConvertPipeline,
             "its layers in order (any registered layer without weights)");
  r.Register({"ReversibleEmbedding"}, Inputs(1), ConvertReversibleEmbedding,
             "an Embedding; reverse=True: logits against the (tied or reverse) embeddings, "
             "logit_soft_cap; no reverse_dtype");
}

}  // namespace onnxsmith::converter::keras
