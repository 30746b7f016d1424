// The evaluator's tensor: a dtype, dims and a buffer that is either borrowed
// (an ir::Tensor's shared, immutable bytes) or owned (a 64-byte aligned block
// from a BufferPool, returned to the pool when the last Array using it goes).
// Arrays are cheap to copy: copies share the buffer (Reshape, Identity,
// Squeeze... are views).
//
// An Array may instead hold an ONNX sequence: an immutable list of tensor
// Arrays of one element type (dtype() is that type, dims() is empty). Only
// the ops AcceptsSequenceInputs names (kernel.h) read sequences.
#ifndef ONNXSMITH_EVALUATOR_ARRAY_H_
#define ONNXSMITH_EVALUATOR_ARRAY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/tensor.h"

namespace onnxsmith::evaluator {

using Dims = std::vector<int64_t>;

// Element count of `dims` (1 for a scalar); an error on negative dims or
// more than 2^40 elements.
absl::StatusOr<int64_t> CheckedNumElements(const Dims& dims);
inline int64_t NumElements(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}
std::string DimsToString(const Dims& dims);

// Buffer statistics, for tests and reports.
struct PoolStats {
  int64_t live_bytes = 0;       // held by Arrays right now
  int64_t peak_live_bytes = 0;  // high-water mark of live_bytes
  int64_t cached_bytes = 0;     // free blocks kept for reuse
  int64_t allocations = 0;      // Allocate calls
  int64_t reuses = 0;           // served from the cache
};

// Aligned blocks with a size-keyed cache of freed ones. Thread-safe.
class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  static std::shared_ptr<BufferPool> Create(int64_t max_cached_bytes = int64_t{1} << 30);
  ~BufferPool();

  // A block of at least `bytes` bytes (contents unspecified); the deleter
  // gives it back to the pool.
  std::shared_ptr<char> Allocate(int64_t bytes);
  PoolStats stats() const;
  void ResetPeak();
  // Frees every cached block.
  void Trim();

 private:
  explicit BufferPool(int64_t max_cached_bytes) : max_cached_bytes_(max_cached_bytes) {}
  void Release(char* p, int64_t capacity);

  const int64_t max_cached_bytes_;
  mutable std::mutex mu_;
  std::multimap<int64_t, char*> free_;  // capacity -> block
  PoolStats stats_;
};

class Array {
 public:
  Array() = default;

  // Borrows the tensor's buffer (no copy). String tensors are not supported.
  static absl::StatusOr<Array> FromTensor(const ir::Tensor& tensor);
  // A new owned buffer of dtype/dims from `pool` (or the heap when null).
  static absl::StatusOr<Array> Allocate(ir::DataType dtype, Dims dims, BufferPool* pool);
  // Copies into a new ir::Tensor (not for sequences).
  ir::Tensor ToTensor() const;
  // A sequence of `elements` (tensors of `elem_dtype`).
  static Array Sequence(ir::DataType elem_dtype, std::vector<Array> elements);
  bool is_sequence() const { return elements_ != nullptr; }
  // The elements of a sequence; empty for a tensor.
  const std::vector<Array>& elements() const;

  bool defined() const { return dtype_ != ir::DataType::kUndefined; }
  ir::DataType dtype() const { return dtype_; }
  const Dims& dims() const { return dims_; }
  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  int64_t size() const { return size_; }
  int element_size() const { return ir::ElementSize(dtype_); }
  int64_t bytes() const { return size_ * element_size(); }
  bool is_scalar_like() const { return size_ == 1; }

  const void* raw() const { return data_; }
  // Only for owned buffers this kernel allocated.
  void* mutable_raw() const { return data_; }
  bool owned() const { return owned_; }
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(data_);
  }
  template <typename T>
  T* mutable_data() const {
    return reinterpret_cast<T*>(data_);
  }

  // Same buffer, other dims (element count must match).
  absl::StatusOr<Array> Reshaped(Dims dims) const;
  // How many Arrays share the buffer (for in-place reuse decisions).
  long use_count() const { return holder_.use_count(); }

 private:
  ir::DataType dtype_ = ir::DataType::kUndefined;
  Dims dims_;
  int64_t size_ = 0;
  std::shared_ptr<const void> holder_;
  char* data_ = nullptr;
  bool owned_ = false;
  std::shared_ptr<const std::vector<Array>> elements_;  // set for sequences
};

// Values of an integer (or bool) array widened to int64.
absl::StatusOr<std::vector<int64_t>> ToInt64Vector(const Array& a);
// Values of a numeric array as doubles.
absl::StatusOr<std::vector<double>> ToDoubleVector(const Array& a);

// float16 / bfloat16 conversions (round to nearest even).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float BfloatToFloat(uint16_t b);
uint16_t FloatToBfloat(float f);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_ARRAY_H_
