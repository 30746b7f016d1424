// Kernels: one function per ONNX op (and opset range where the op's
// semantics differ), looked up by op type in the KernelRegistry. A kernel
// reads its inputs and attributes through a KernelContext and allocates its
// outputs through it (so that a size bound and the buffer pool apply).
#ifndef ONNXSMITH_EVALUATOR_KERNEL_H_
#define ONNXSMITH_EVALUATOR_KERNEL_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "evaluator/array.h"
#include "ir/graph.h"

namespace onnxsmith::evaluator {

// Runs the subgraphs of a control-flow node (If branches, Loop and Scan
// bodies): the evaluator binds the values a body reads from enclosing scopes
// itself, the kernel passes only the body's formal inputs.
class SubgraphRunner {
 public:
  virtual ~SubgraphRunner() = default;
  // Runs `body`, a subgraph held by the running node's attributes, with its
  // graph inputs bound in order to `inputs`; returns its graph outputs.
  virtual absl::StatusOr<std::vector<Array>> Run(const ir::Graph& body,
                                                 const std::vector<Array>& inputs) = 0;
};

class KernelContext {
 public:
  KernelContext(const ir::Node& node, int64_t opset, std::vector<const Array*> inputs,
                BufferPool* pool, int64_t max_output_elements, bool parallel);

  const ir::Node& node() const { return node_; }
  int64_t opset() const { return opset_; }

  // ---- Inputs -------------------------------------------------------------
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  // Present: slot exists and is not an omitted optional input ("").
  bool has_input(int i) const { return i < num_inputs() && inputs_[i] != nullptr; }
  const Array& input(int i) const { return *inputs_[i]; }
  // An error naming the input unless it is present.
  absl::Status RequireInputs(int min_count) const;
  // A present input's values as integers (shape/axes/pads inputs).
  absl::StatusOr<std::vector<int64_t>> InputInts(int i) const;
  // A scalar-like (one element) present input as double / int64.
  absl::StatusOr<double> InputScalar(int i) const;

  // ---- Outputs ------------------------------------------------------------
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // Requested: the node names a value for this output slot.
  bool has_output(int i) const {
    return i < static_cast<int>(node_.outputs.size()) && !node_.outputs[i].empty();
  }
  // Allocates output `i` (contents unspecified) and returns it.
  absl::StatusOr<Array*> Allocate(int i, ir::DataType dtype, Dims dims);
  // Output `i` is `value` (a view of an input, or a constant).
  absl::Status SetOutput(int i, Array value);
  std::vector<Array>& outputs() { return outputs_; }

  // ---- Attributes ---------------------------------------------------------
  const ir::Attribute* attr(const std::string& name) const { return node_.FindAttr(name); }
  bool HasAttr(const std::string& name) const { return attr(name) != nullptr; }
  int64_t GetInt(const std::string& name, int64_t default_value) const;
  float GetFloat(const std::string& name, float default_value) const;
  std::string GetString(const std::string& name, const std::string& default_value) const;
  std::vector<int64_t> GetInts(const std::string& name) const;
  std::vector<float> GetFloats(const std::string& name) const;

  // ---- Execution ----------------------------------------------------------
  bool parallel() const { return parallel_; }
  int64_t max_output_elements() const { return max_output_elements_; }
  BufferPool* pool() const { return pool_; }
  // Scratch memory for the kernel (from the pool).
  absl::StatusOr<Array> Scratch(ir::DataType dtype, Dims dims) const;
  // Runs the node's subgraphs (nullptr for nodes without any).
  SubgraphRunner* subgraphs() const { return subgraphs_; }
  void set_subgraphs(SubgraphRunner* runner) { subgraphs_ = runner; }

  // An InvalidArgument error whose message the evaluator prefixes with the node.
  template <typename... Args>
  static absl::Status Error(const Args&... args) {
    return absl::InvalidArgumentError(absl::StrCat(args...));
  }
  template <typename... Args>
  static absl::Status Unsupported(const Args&... args) {
    return absl::UnimplementedError(absl::StrCat(args...));
  }

 private:
  const ir::Node& node_;
  int64_t opset_;
  std::vector<const Array*> inputs_;
  std::vector<Array> outputs_;
  BufferPool* pool_;
  int64_t max_output_elements_;
  bool parallel_;
  SubgraphRunner* subgraphs_ = nullptr;
};

using KernelFn = std::function<absl::Status(KernelContext&)>;

class KernelRegistry {
 public:
  static const KernelRegistry& Global();

  // `op_type` in the ai.onnx domain, for opsets [since, until].
  void Register(const std::string& op_type, int since, int until, KernelFn fn);
  void Register(const std::string& op_type, KernelFn fn) {
    Register(op_type, 1, std::numeric_limits<int>::max(), std::move(fn));
  }
  // nullptr when no kernel covers (domain, op_type, opset).
  const KernelFn* Find(const std::string& domain, const std::string& op_type,
                       int64_t opset) const;
  // Op types with at least one kernel, sorted.
  std::vector<std::string> OpTypes() const;

 private:
  struct Entry {
    int since;
    int until;
    KernelFn fn;
  };
  std::map<std::string, std::vector<Entry>> kernels_;
};

// Per-family registration (one file each).
void RegisterElementwiseKernels(KernelRegistry& r);
void RegisterCastKernels(KernelRegistry& r);
void RegisterShapeKernels(KernelRegistry& r);
void RegisterSlicePadKernels(KernelRegistry& r);
void RegisterGatherScatterKernels(KernelRegistry& r);
void RegisterGenerateKernels(KernelRegistry& r);
void RegisterReduceKernels(KernelRegistry& r);
void RegisterMatMulKernels(KernelRegistry& r);  // MatMul, MatMulInteger, Gemm
void RegisterConvKernels(KernelRegistry& r);
void RegisterConvTransposeKernels(KernelRegistry& r);
void RegisterPoolKernels(KernelRegistry& r);
void RegisterNormKernels(KernelRegistry& r);
void RegisterResizeKernels(KernelRegistry& r);
void RegisterQuantKernels(KernelRegistry& r);
void RegisterRecurrentKernels(KernelRegistry& r);  // kernels_recurrent.cc: LSTM, GRU, RNN
void RegisterControlFlowKernels(KernelRegistry& r);  // control_flow.cc: If, Loop, Scan
void RegisterSequenceKernels(KernelRegistry& r);     // sequence.cc: Sequence*, ...FromSequence

// Ops whose inputs may be sequences; any other op given one is an error.
bool AcceptsSequenceInputs(const std::string& op_type);

// ---- Helpers shared by the kernels -----------------------------------------

// Runs f(begin, end) over [0, n), split across TBB workers when `parallel`
// and the total work (n * cost_per_item) is worth it.
void ParallelFor(int64_t n, double cost_per_item, bool parallel,
                 const std::function<void(int64_t, int64_t)>& f);

// Normalizes a possibly negative axis for `rank`; an error when out of range.
absl::StatusOr<int> NormalizeAxis(int64_t axis, int rank, const char* what = "axis");

// Row-major strides of `dims`.
Dims Strides(const Dims& dims);

// Type dispatch: calls f(TypeTag<T>{}) with T the C++ type of `dtype`, for
// the types in the set kSet (only those are instantiated); an Unimplemented
// error naming the type otherwise.
enum TypeSet : unsigned {
  kFloatTypes = 1u << 0,   // float, double
  kSignedInts = 1u << 1,   // int8, int16, int32, int64
  kUnsignedInts = 1u << 2, // uint8, uint16, uint32, uint64
  kBoolType = 1u << 3,
  kIntTypes = kSignedInts | kUnsignedInts,
  kNumericTypes = kFloatTypes | kIntTypes,
  kAllTypes = kNumericTypes | kBoolType,
  kSignedNumeric = kFloatTypes | kSignedInts,
};

template <typename T>
struct TypeTag {
  using type = T;
};

template <unsigned kSet, typename F>
absl::Status Dispatch(ir::DataType dtype, const char* what, F&& f) {
  using ir::DataType;
  switch (dtype) {
    case DataType::kFloat:
      if constexpr ((kSet & kFloatTypes) != 0) return f(TypeTag<float>{});
      break;
    case DataType::kDouble:
      if constexpr ((kSet & kFloatTypes) != 0) return f(TypeTag<double>{});
      break;
    case DataType::kInt8:
      if constexpr ((kSet & kSignedInts) != 0) return f(TypeTag<int8_t>{});
      break;
    case DataType::kInt16:
      if constexpr ((kSet & kSignedInts) != 0) return f(TypeTag<int16_t>{});
      break;
    case DataType::kInt32:
      if constexpr ((kSet & kSignedInts) != 0) return f(TypeTag<int32_t>{});
      break;
    case DataType::kInt64:
      if constexpr ((kSet & kSignedInts) != 0) return f(TypeTag<int64_t>{});
      break;
    case DataType::kUint8:
      if constexpr ((kSet & kUnsignedInts) != 0) return f(TypeTag<uint8_t>{});
      break;
    case DataType::kUint16:
      if constexpr ((kSet & kUnsignedInts) != 0) return f(TypeTag<uint16_t>{});
      break;
    case DataType::kUint32:
      if constexpr ((kSet & kUnsignedInts) != 0) return f(TypeTag<uint32_t>{});
      break;
    case DataType::kUint64:
      if constexpr ((kSet & kUnsignedInts) != 0) return f(TypeTag<uint64_t>{});
      break;
    case DataType::kBool:
      if constexpr ((kSet & kBoolType) != 0) return f(TypeTag<bool>{});
      break;
    default:
      break;
  }
  return absl::UnimplementedError(
      absl::StrCat(what, ": element type ", ir::DataTypeName(dtype), " is not supported"));
}

// Element-type conversion with ONNX Cast semantics (float -> int truncates,
// anything -> bool is != 0; float16/bfloat16 go through float32).
absl::Status CastArrayTo(const Array& in, ir::DataType to, Array* out, bool parallel);

// Output `out` = the tensors `in` (same dtype and rank, equal dims outside
// `axis`, at least one) concatenated along `axis` (may be negative).
absl::Status ConcatToOutput(KernelContext& ctx, int out, const std::vector<const Array*>& in,
                            int64_t axis);
// Elements [start, start + length) of `a` along `axis`, as a new array.
absl::StatusOr<Array> SliceAlongAxis(const Array& a, int axis, int64_t start, int64_t length,
                                     const KernelContext& ctx);

// Fixed-size element copy for data-movement kernels (any dtype).
void CopyElements(void* dst, const void* src, int64_t count, int element_size);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_KERNEL_H_
