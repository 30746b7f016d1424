// Constant tensors of the IR. Buffers are immutable and shared: passes and
// the exporter hand out references, never copies of weights. A buffer is an
// owned string or a view into something kept alive with it (a read-only
// mapping of a checkpoint shard or an external-data file).
#ifndef ONNXSMITH_IR_TENSOR_H_
#define ONNXSMITH_IR_TENSOR_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace onnxsmith::ir {

// Numbers are ONNX's TensorProto.DataType values.
enum class DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
};

// Bytes per element; 0 for strings and undefined.
int ElementSize(DataType t);
const char* DataTypeName(DataType t);
bool IsFloating(DataType t);
bool IsInteger(DataType t);

template <typename T>
constexpr DataType DataTypeOf();
template <> constexpr DataType DataTypeOf<float>() { return DataType::kFloat; }
template <> constexpr DataType DataTypeOf<double>() { return DataType::kDouble; }
template <> constexpr DataType DataTypeOf<int8_t>() { return DataType::kInt8; }
template <> constexpr DataType DataTypeOf<uint8_t>() { return DataType::kUint8; }
template <> constexpr DataType DataTypeOf<int16_t>() { return DataType::kInt16; }
template <> constexpr DataType DataTypeOf<uint16_t>() { return DataType::kUint16; }
template <> constexpr DataType DataTypeOf<int32_t>() { return DataType::kInt32; }
template <> constexpr DataType DataTypeOf<uint32_t>() { return DataType::kUint32; }
template <> constexpr DataType DataTypeOf<int64_t>() { return DataType::kInt64; }
template <> constexpr DataType DataTypeOf<uint64_t>() { return DataType::kUint64; }
template <> constexpr DataType DataTypeOf<bool>() { return DataType::kBool; }

class Tensor {
 public:
  Tensor() = default;
  // `raw` holds num_elements * ElementSize(dtype) little-endian bytes.
  static absl::StatusOr<Tensor> FromRaw(DataType dtype, std::vector<int64_t> dims,
                                        std::string raw);
  // A view of `bytes`, which stay valid while `owner` lives (no copy).
  static absl::StatusOr<Tensor> FromShared(DataType dtype, std::vector<int64_t> dims,
                                           std::shared_ptr<const void> owner,
                                           absl::string_view bytes);
  static Tensor FromStrings(std::vector<int64_t> dims, std::vector<std::string> values);

  template <typename T>
  static Tensor FromVector(std::vector<int64_t> dims, const std::vector<T>& values) {
    Tensor t;
    t.dtype_ = DataTypeOf<T>();
    t.dims_ = std::move(dims);
    std::string raw(values.size() * sizeof(T), '\0');
    if constexpr (std::is_same_v<T, bool>) {
      for (size_t i = 0; i < values.size(); ++i) raw[i] = values[i] ? 1 : 0;
    } else if (!values.empty()) {
      std::memcpy(raw.data(), values.data(), raw.size());
    }
    t.Own(std::move(raw));
    return t;
  }
  template <typename T>
  static Tensor Scalar(T v) { return FromVector<T>({}, std::vector<T>{v}); }
  template <typename T>
  static Tensor Vector1D(const std::vector<T>& v) {
    return FromVector<T>({static_cast<int64_t>(v.size())}, v);
  }

  DataType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t num_elements() const;
  // Empty for string tensors.
  absl::string_view raw() const { return raw_; }
  const std::vector<std::string>& strings() const;

  template <typename T>
  absl::Span<const T> data() const {
    const absl::string_view r = raw();
    return absl::Span<const T>(reinterpret_cast<const T*>(r.data()), r.size() / sizeof(T));
  }

  // Integer contents widened to int64 (any integer or bool dtype).
  absl::StatusOr<std::vector<int64_t>> ToInt64s() const;
  // Floating contents widened to double (any float or integer dtype).
  absl::StatusOr<std::vector<double>> ToDoubles() const;

  // Same buffer, other dims (element count must match).
  absl::StatusOr<Tensor> Reshaped(std::vector<int64_t> dims) const;
  // Element-type conversion for numeric types.
  absl::StatusOr<Tensor> CastTo(DataType to) const;
  // General permutation (used to turn HWIO filters into OIHW at conversion).
  absl::StatusOr<Tensor> Transposed(const std::vector<int64_t>& perm) const;

 private:
  DataType dtype_ = DataType::kUndefined;
  std::vector<int64_t> dims_;
  void Own(std::string bytes);

  std::shared_ptr<const void> owner_;  // keeps raw_'s bytes alive
  absl::string_view raw_;
  std::shared_ptr<const std::vector<std::string>> strings_;
};

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_TENSOR_H_
