// keras.ops.bitwise_* and the shifts on integer tensors, through the emitter
// shared with TF's bitwise ops (emit/bitwise.h: native at opset 18, a
// decomposition below).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/bitwise.h"
#include "converter/keras/keras_ops.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {
namespace {

using ir::DataType;

absl::Status BitwiseOp(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  for (const std::string& x : xs) {
    if (x.empty()) return ctx.Error("a missing operand");
  }
  const std::string& cls = ctx.class_name();
  const std::string op = cls.substr(cls.find('.') + 1);
  const bool unary = op == "BitwiseNot" || op == "BitwiseInvert";
  if (xs.size() != (unary ? 1u : 2u)) return ctx.Error(absl::StrCat("expects ", unary ? 1 : 2, " operands"));
  const DataType t = ctx.TypeOf(xs[0]).dtype;
  if (t == DataType::kUndefined) return ctx.Error("the element type of the operand is unknown");
  absl::StatusOr<std::string> y;
  if (op == "BitwiseLeftShift" || op == "LeftShift" || op == "BitwiseRightShift" ||
      op == "RightShift") {
    y = EmitShift(ctx, op.find("Left") != std::string::npos, xs[0], xs[1], t);
  } else {
    y = EmitBitwise(ctx, unary ? "BitwiseNot" : op, xs, t);
  }
  if (!y.ok()) return ctx.Unsupported(std::string(y.status().message()));
  ctx.SetOutput(0, *y);
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasBitwiseOps(LayerRegistry& r) {
  r.Register(Prefixed({"BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "BitwiseInvert",
                       "BitwiseLeftShift", "BitwiseRightShift", "LeftShift", "RightShift"}),
             InputsAtLeast(1), BitwiseOp,
             "Keras 3 operation; integer operands; below opset 18 decomposed into bits "
             "(BitShift, Mod, MatMul)");
}

}  // namespace onnxsmith::converter::keras
