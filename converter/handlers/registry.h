// The table of TF op handlers. Each TF op (or op family) registers one
// conversion function per ONNX opset at which its emitted ONNX changes, with
// the number of data inputs it takes; the converter checks that arity, then
// calls the newest version not above the target opset. The support table in
// docs/support_status.md is generated from this registry.
//
// Every op family lives in its own file and registers its ops from one
// Register*Ops function declared below; HandlerFamilies() (families.cc, in
// //converter, which links every family) lists them all, and Build() runs
// the list. This header, the registry class and NodeContext are the target
// //converter:handler_api, which family libraries outside //converter (such
// as //converter/control_flow) depend on. A list rather than static registrars:
// the order is fixed, nothing depends on static initialization order or on
// the linker keeping an otherwise unreferenced object file, and a test can
// build a registry from one family.
#ifndef ONNXSMITH_CONVERTER_HANDLERS_REGISTRY_H_
#define ONNXSMITH_CONVERTER_HANDLERS_REGISTRY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "converter/input_arity.h"
#include "converter/registry_families.h"

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
  InputArity inputs;  // data inputs (control inputs are dropped)
  ConvertFn fn;
};

class HandlerRegistry;
using HandlerFamily = RegistryFamily<HandlerRegistry>;

class HandlerRegistry {
 public:
  // The registry of every family in HandlerFamilies() (defined with it in
  // //converter's families.cc). A duplicate
  // registration (a programming error) keeps the first and is reported by
  // status(); //tests/unit:converter_test requires it OK.
  static const HandlerRegistry& Global();
  // A registry of `families`; an error on a duplicate registration.
  static absl::StatusOr<HandlerRegistry> Build(absl::Span<const HandlerFamily> families) {
    return BuildRegistry(families);
  }

  // Registers `fn` for each op in `tf_ops` from `since_opset` on. An op
  // registered twice at the same opset is a duplicate: the first stays.
  void Register(const std::vector<std::string>& tf_ops, int since_opset, InputArity inputs,
                ConvertFn fn);
  // The first duplicate registration, or OK.
  const absl::Status& status() const { return status_; }

  // The handler of `tf_op` at `opset`, or nullptr.
  const HandlerVersion* Lookup(const std::string& tf_op, int opset) const;
  ConvertFn Find(const std::string& tf_op, int opset) const {
    const HandlerVersion* v = Lookup(tf_op, opset);
    return v ? v->fn : nullptr;
  }
  bool Has(const std::string& tf_op) const { return table_.count(tf_op) > 0; }

  // Opsets in [kMinOpset, kMaxOpset] at which `tf_op` converts.
  std::vector<int> SupportedOpsets(const std::string& tf_op) const;
  std::vector<std::string> Ops() const;

 private:
  std::map<std::string, std::vector<HandlerVersion>> table_;  // sorted by since_opset
  absl::Status status_;
};

// The op families, one per file (handlers/<family>_ops.cc).
void RegisterGraphOps(HandlerRegistry& r);      // Placeholder, Const, Identity, NoOp
void RegisterMathOps(HandlerRegistry& r);       // elementwise, comparisons, logic, MatMul
void RegisterReduceOps(HandlerRegistry& r);     // reductions, ArgMax/ArgMin
void RegisterNnOps(HandlerRegistry& r);         // BN, BiasAdd, activations, Softmax, LRN
void RegisterConvOps(HandlerRegistry& r);       // Conv, ConvTranspose, pooling
void RegisterShapeOps(HandlerRegistry& r);      // Shape, Reshape, Squeeze, ExpandDims, Transpose
void RegisterJoinSplitOps(HandlerRegistry& r);  // Pack, Concat, Split, Unpack
void RegisterSliceOps(HandlerRegistry& r);      // StridedSlice, Slice, Reverse
void RegisterPadOps(HandlerRegistry& r);        // Pad, MirrorPad
void RegisterFillOps(HandlerRegistry& r);       // Fill, ZerosLike, Range, Tile, BroadcastTo
void RegisterIndexOps(HandlerRegistry& r);      // Gather, OneHot, Cumsum, TopK
void RegisterImageOps(HandlerRegistry& r);      // SpaceToDepth, DepthToSpace, Resize*
void RegisterEinsumOps(HandlerRegistry& r);     // Einsum (MatMul lowering or ONNX Einsum)
void RegisterFakeQuantOps(HandlerRegistry& r);  // QAT: FakeQuant*, QuantizeAndDequantize* -> Q/DQ
void RegisterBitwiseOps(HandlerRegistry& r);    // BitwiseAnd/Or/Xor, Invert, shifts
void RegisterMathSpecialOps(HandlerRegistry& r);  // Atan2, IsFinite, Xlogy, ClipByValue, L2Loss
void RegisterSpaceBatchOps(HandlerRegistry& r);   // SpaceToBatchND, BatchToSpaceND
void RegisterScatterOps(HandlerRegistry& r);      // ScatterNd, TensorScatter*, segment reductions
void RegisterReorderOps(HandlerRegistry& r);      // Roll, ReverseSequence, InvertPermutation, band
void RegisterRandomOps(HandlerRegistry& r);       // RandomUniform(Int), RandomStandardNormal, Multinomial
void RegisterSelectionOps(HandlerRegistry& r);    // Unique, Bucketize, NonMaxSuppression*
void RegisterSparseOps(HandlerRegistry& r);       // SparseToDense, DynamicPartition/Stitch, Bincount
void RegisterStringOps(HandlerRegistry& r);       // StringLower/Upper, StringToNumber, StringJoin
void RegisterRaggedOps(HandlerRegistry& r);       // RaggedRange/Gather, RaggedTensorToTensor/Sparse
void RegisterLookupOps(HandlerRegistry& r);       // HashTableV2, LookupTableFind/SizeV2
// The control-flow families are declared in control_flow/control_flow_ops.h.

// Every family, in registration order (families.cc).
absl::Span<const HandlerFamily> HandlerFamilies();

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_HANDLERS_REGISTRY_H_
