#include "evaluator/half.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"

namespace onnxsmith::evaluator {
namespace {

// Ops whose kernels handle float16 themselves (type-generic or converting).
bool TakesHalfAsIs(const KernelContext& ctx) {
  static const auto* ops = new std::set<std::string>{
      "Cast", "CastLike", "Shape", "Size", "Identity", "If", "Loop", "Scan", "SequenceEmpty",
      "SequenceConstruct", "SequenceInsert", "SequenceAt", "SequenceErase", "SequenceLength",
      "ConcatFromSequence", "SplitToSequence", "Optional", "OptionalGetElement",
      "OptionalHasElement"};
  return ops->count(ctx.node().op_type) > 0;
}

}  // namespace

absl::Status RunKernel(const KernelFn& fn, KernelContext& ctx) {
  bool has_half = false;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    has_half |= ctx.has_input(i) && !ctx.input(i).is_sequence() &&
                ctx.input(i).dtype() == ir::DataType::kFloat16;
  }
  if (!has_half || TakesHalfAsIs(ctx)) return fn(ctx);
  std::vector<Array> widened(ctx.num_inputs());
  std::vector<const Array*> inputs(ctx.num_inputs(), nullptr);
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const Array& in = ctx.input(i);
    inputs[i] = &in;
    if (in.is_sequence() || in.dtype() != ir::DataType::kFloat16) continue;
    ASSIGN_OR_RETURN(widened[i], ctx.Scratch(ir::DataType::kFloat, in.dims()));
    const uint16_t* src = in.data<uint16_t>();
    float* dst = widened[i].mutable_data<float>();
    for (int64_t k = 0; k < in.size(); ++k) dst[k] = HalfToFloat(src[k]);
    inputs[i] = &widened[i];
  }
  KernelContext inner(ctx.node(), ctx.opset(), std::move(inputs), ctx.pool(),
                      ctx.max_output_elements(), ctx.parallel());
  inner.set_subgraphs(ctx.subgraphs());
  RETURN_IF_ERROR(fn(inner));
  for (int k = 0; k < inner.num_outputs(); ++k) {
    Array& out = inner.outputs()[k];
    if (!out.defined()) continue;
    if (out.is_sequence() || out.dtype() != ir::DataType::kFloat) {
      RETURN_IF_ERROR(ctx.SetOutput(k, std::move(out)));
      continue;
    }
    ASSIGN_OR_RETURN(Array * half, ctx.Allocate(k, ir::DataType::kFloat16, out.dims()));
    const float* src = out.data<float>();
    uint16_t* dst = half->mutable_data<uint16_t>();
    for (int64_t e = 0; e < out.size(); ++e) dst[e] = FloatToHalf(src[e]);
  }
  return absl::OkStatus();
}

}  // namespace onnxsmith::evaluator
