// The table of TF op handlers. Each TF op (or op family) registers one
// conversion function per ONNX opset at which its emitted ONNX changes; the
// converter picks the newest version not above the target opset. The support
// table in docs/support_status.md is generated from this registry.
#ifndef ONNXSMITH_CONVERTER_HANDLERS_REGISTRY_H_
#define ONNXSMITH_CONVERTER_HANDLERS_REGISTRY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace onnxsmith::converter {

class NodeContext;

// Opsets onnxsmith emits (inclusive). libonnx 1.12 checks up to 17.
inline constexpr int kMinOpset = 13;
inline constexpr int kMaxOpset = 21;
inline constexpr int kDefaultOpset = 17;
inline constexpr int kMaxCheckedOpset = 17;

using ConvertFn = absl::Status (*)(NodeContext& ctx);

struct HandlerVersion {
  int since_opset;
  ConvertFn fn;
};

class HandlerRegistry {
 public:
  // The registry with every built-in handler.
  static const HandlerRegistry& Global();

  // Registers `fn` for each op in `tf_ops` from `since_opset` on.
  void Register(const std::vector<std::string>& tf_ops, int since_opset, ConvertFn fn);

  // The handler for `tf_op` at `opset`, or nullptr.
  ConvertFn Find(const std::string& tf_op, int opset) const;
  bool Has(const std::string& tf_op) const { return table_.count(tf_op) > 0; }

  // Opsets in [kMinOpset, kMaxOpset] at which `tf_op` converts.
  std::vector<int> SupportedOpsets(const std::string& tf_op) const;
  std::vector<std::string> Ops() const;

 private:
  std::map<std::string, std::vector<HandlerVersion>> table_;  // sorted by since_opset
};

// One registration function per op-family file.
void RegisterGraphOps(HandlerRegistry& r);    // Placeholder, Const, Identity, NoOp
void RegisterMathOps(HandlerRegistry& r);     // elementwise, comparisons, logic, reductions, MatMul
void RegisterNnOps(HandlerRegistry& r);       // Conv, pooling, BN, activations, Softmax
void RegisterArrayOps(HandlerRegistry& r);    // shape ops, slicing, gather, concat, pad, ...
void RegisterEinsumOps(HandlerRegistry& r);   // Einsum (MatMul lowering or ONNX Einsum)
void RegisterFakeQuantOps(HandlerRegistry& r);  // QAT: FakeQuant*, QuantizeAndDequantize* -> Q/DQ
void RegisterBitwiseOps(HandlerRegistry& r);    // BitwiseAnd/Or/Xor, Invert, shifts
void RegisterMathSpecialOps(HandlerRegistry& r);  // Atan2, IsFinite, Xlogy, ClipByValue, L2Loss
void RegisterSpaceBatchOps(HandlerRegistry& r);   // SpaceToBatchND, BatchToSpaceND
void RegisterScatterOps(HandlerRegistry& r);      // ScatterNd, TensorScatter*, segment reductions
void RegisterReorderOps(HandlerRegistry& r);      // Roll, ReverseSequence, InvertPermutation, band
void RegisterRandomOps(HandlerRegistry& r);       // RandomUniform(Int), RandomStandardNormal, Multinomial
void RegisterSelectionOps(HandlerRegistry& r);    // Unique, Bucketize, NonMaxSuppression*

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_HANDLERS_REGISTRY_H_
