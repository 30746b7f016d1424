// Ops that shape the graph rather than compute: inputs, constants, aliases.
#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/tf/tensor_convert.h"
#include "converter/tf_converter.h"

namespace onnxsmith::converter {
namespace {

// Placeholders become graph inputs before handlers run (the converter owns
// input naming and shape overrides); a Placeholder reached here was not
// chosen as an input, which the converter reports before conversion.
absl::Status ConvertPlaceholder(NodeContext& ctx) {
  return ctx.Error("is not a graph input; list it in --inputs or feed a constant");
}

// PlaceholderWithDefault that is not a chosen input takes its default.
absl::Status ConvertPlaceholderWithDefault(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.input(0));
  return absl::OkStatus();
}

absl::Status ConvertConst(NodeContext& ctx) {
  auto it = ctx.node().attr().find("value");
  if (it == ctx.node().attr().end() || !it->second.has_tensor()) {
    return ctx.Error("has no 'value' tensor");
  }
  if (ctx.has_attr(kConstValueAttr)) {
    // Its value was kept beside the graph (a frozen variable), and the
    // caller did not pass ConvertOptions::const_values.
    return ctx.Error("holds no value: it is kept in a side table this conversion was not given");
  }
  auto tensor = ToIrTensor(it->second.tensor());
  if (!tensor.ok()) return ctx.Error(std::string(tensor.status().message()));
  ctx.SetOutput(0, ctx.AddConst(*std::move(tensor), "value"));
  return absl::OkStatus();
}

// Identity-like ops forward their inputs unchanged.
absl::Status ConvertIdentity(NodeContext& ctx) {
  for (int k = 0; k < ctx.num_inputs(); ++k) ctx.SetOutput(k, ctx.input(k));
  return absl::OkStatus();
}

absl::Status ConvertNoOp(NodeContext&) { return absl::OkStatus(); }

}  // namespace

void RegisterGraphOps(HandlerRegistry& r) {
  r.Register({"Placeholder", "PlaceholderV2"}, kMinOpset, Inputs(0), ConvertPlaceholder);
  r.Register({"PlaceholderWithDefault"}, kMinOpset, Inputs(1), ConvertPlaceholderWithDefault);
  r.Register({"Const"}, kMinOpset, Inputs(0), ConvertConst);
  r.Register({"Identity", "StopGradient", "PreventGradient", "Snapshot", "EnsureShape",
              "CheckNumerics"},
             kMinOpset, Inputs(1), ConvertIdentity);
  r.Register({"IdentityN"}, kMinOpset, InputsAtLeast(1), ConvertIdentity);
  r.Register({"NoOp"}, kMinOpset, Inputs(0), ConvertNoOp);
}

}  // namespace onnxsmith::converter
