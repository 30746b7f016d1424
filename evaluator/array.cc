#include "evaluator/array.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace onnxsmith::evaluator {

absl::StatusOr<int64_t> CheckedNumElements(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative dimension in shape ", DimsToString(dims)));
    }
    if (d != 0 && n > (int64_t{1} << 40) / d) {
      return absl::ResourceExhaustedError(
          absl::StrCat("shape ", DimsToString(dims), " has more than 2^40 elements"));
    }
    n *= d;
  }
  return n;
}

std::string DimsToString(const Dims& dims) { return absl::StrCat("[", absl::StrJoin(dims, ","), "]"); }

// ---- BufferPool -------------------------------------------------------------

namespace {
constexpr int64_t kAlign = 64;
int64_t RoundUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
}  // namespace

std::shared_ptr<BufferPool> BufferPool::Create(int64_t max_cached_bytes) {
  return std::shared_ptr<BufferPool>(new BufferPool(max_cached_bytes));
}

BufferPool::~BufferPool() { Trim(); }

std::shared_ptr<char> BufferPool::Allocate(int64_t bytes) {
  const int64_t want = RoundUp(std::max<int64_t>(bytes, 1));
  char* block = nullptr;
  int64_t capacity = want;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.allocations;
    // Smallest cached block that fits without wasting more than half of it.
    auto it = free_.lower_bound(want);
    if (it != free_.end() && it->first <= 2 * want + 4096) {
      block = it->second;
      capacity = it->first;
      free_.erase(it);
      stats_.cached_bytes -= capacity;
      ++stats_.reuses;
    }
    stats_.live_bytes += capacity;
    stats_.peak_live_bytes = std::max(stats_.peak_live_bytes, stats_.live_bytes);
  }
  if (!block) {
    block = static_cast<char*>(std::aligned_alloc(kAlign, static_cast<size_t>(capacity)));
    if (!block) {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.live_bytes -= capacity;
      return nullptr;
    }
  }
  std::shared_ptr<BufferPool> self = shared_from_this();
  return std::shared_ptr<char>(block, [self, capacity](char* p) { self->Release(p, capacity); });
}

void BufferPool::Release(char* p, int64_t capacity) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.live_bytes -= capacity;
  if (stats_.cached_bytes + capacity > max_cached_bytes_) {
    std::free(p);
    return;
  }
  free_.emplace(capacity, p);
  stats_.cached_bytes += capacity;
}

PoolStats BufferPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void BufferPool::ResetPeak() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak_live_bytes = stats_.live_bytes;
}

void BufferPool::Trim() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [cap, p] : free_) std::free(p);
  free_.clear();
  stats_.cached_bytes = 0;
}

// ---- Array ------------------------------------------------------------------

absl::StatusOr<Array> Array::FromTensor(const ir::Tensor& tensor) {
  if (tensor.dtype() == ir::DataType::kString) {
    return absl::UnimplementedError("string tensors are not supported by the evaluator");
  }
  const int esize = ir::ElementSize(tensor.dtype());
  if (esize == 0) {
    return absl::UnimplementedError(
        absl::StrCat("tensors of type ", ir::DataTypeName(tensor.dtype()),
                     " are not supported by the evaluator"));
  }
  auto n = CheckedNumElements(tensor.dims());
  if (!n.ok()) return n.status();
  if (static_cast<int64_t>(tensor.raw().size()) != *n * esize) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor of shape ", DimsToString(tensor.dims()), " and type ",
                     ir::DataTypeName(tensor.dtype()), " has ", tensor.raw().size(),
                     " bytes of data, expected ", *n * esize));
  }
  Array a;
  a.dtype_ = tensor.dtype();
  a.dims_ = tensor.dims();
  a.size_ = *n;
  // Keep the tensor (and so its shared buffer) alive.
  auto keep = std::make_shared<ir::Tensor>(tensor);
  a.data_ = const_cast<char*>(keep->raw().data());
  a.holder_ = std::move(keep);
  a.owned_ = false;
  return a;
}

Array Array::Sequence(ir::DataType elem_dtype, std::vector<Array> elements) {
  Array a;
  a.dtype_ = elem_dtype;
  a.elements_ = std::make_shared<const std::vector<Array>>(std::move(elements));
  return a;
}

const std::vector<Array>& Array::elements() const {
  static const std::vector<Array>* const kNone = new std::vector<Array>();
  return elements_ ? *elements_ : *kNone;
}

absl::StatusOr<Array> Array::Allocate(ir::DataType dtype, Dims dims, BufferPool* pool) {
  const int esize = ir::ElementSize(dtype);
  if (esize == 0 || dtype == ir::DataType::kString) {
    return absl::UnimplementedError(
        absl::StrCat("cannot allocate a tensor of type ", ir::DataTypeName(dtype)));
  }
  auto n = CheckedNumElements(dims);
  if (!n.ok()) return n.status();
  Array a;
  a.dtype_ = dtype;
  a.dims_ = std::move(dims);
  a.size_ = *n;
  const int64_t bytes = *n * esize;
  std::shared_ptr<char> block;
  if (pool) {
    block = pool->Allocate(bytes);
  } else {
    char* p = static_cast<char*>(std::aligned_alloc(kAlign, static_cast<size_t>(RoundUp(std::max<int64_t>(bytes, 1)))));
    if (p) block = std::shared_ptr<char>(p, [](char* q) { std::free(q); });
  }
  if (!block) {
    return absl::ResourceExhaustedError(
        absl::StrCat("out of memory allocating ", bytes, " bytes for a tensor of shape ",
                     DimsToString(a.dims_)));
  }
  a.data_ = block.get();
  a.holder_ = std::move(block);
  a.owned_ = true;
  return a;
}

ir::Tensor Array::ToTensor() const {
  std::string raw(static_cast<size_t>(bytes()), '\0');
  if (bytes() > 0) std::memcpy(raw.data(), data_, static_cast<size_t>(bytes()));
  auto t = ir::Tensor::FromRaw(dtype_, dims_, std::move(raw));
  return t.ok() ? *std::move(t) : ir::Tensor();
}

absl::StatusOr<Array> Array::Reshaped(Dims dims) const {
  auto n = CheckedNumElements(dims);
  if (!n.ok()) return n.status();
  if (*n != size_) {
    return absl::InvalidArgumentError(absl::StrCat("cannot reshape ", DimsToString(dims_),
                                                   " (", size_, " elements) to ",
                                                   DimsToString(dims)));
  }
  Array a = *this;
  a.dims_ = std::move(dims);
  return a;
}

// ---- Conversions ------------------------------------------------------------

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {
      // Subnormal: normalize.
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      mant &= 0x3ff;
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or nan
    return static_cast<uint16_t>(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00);  // overflow -> inf
  if (abs < 0x38800000u) {                                                // subnormal or zero
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t e = abs >> 23;
    const uint32_t m = (abs & 0x7fffff) | 0x800000;
    const int shift = 126 - static_cast<int>(e);  // 14..24
    uint32_t half = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t v = abs - 0x38000000u;  // rebias exponent
  const uint32_t rem = v & 0x1fff;
  v >>= 13;
  if (rem > 0x1000 || (rem == 0x1000 && (v & 1))) ++v;
  return static_cast<uint16_t>(sign | v);
}

float BfloatToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToBfloat(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40);
  const uint32_t rounding = 0x7fff + ((x >> 16) & 1);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

namespace {
template <typename T, typename Out>
void Widen(const Array& a, std::vector<Out>* out) {
  const T* p = a.data<T>();
  out->resize(static_cast<size_t>(a.size()));
  for (int64_t i = 0; i < a.size(); ++i) (*out)[i] = static_cast<Out>(p[i]);
}
}  // namespace

absl::StatusOr<std::vector<int64_t>> ToInt64Vector(const Array& a) {
  std::vector<int64_t> out;
  switch (a.dtype()) {
    case ir::DataType::kInt64: Widen<int64_t>(a, &out); break;
    case ir::DataType::kInt32: Widen<int32_t>(a, &out); break;
    case ir::DataType::kInt16: Widen<int16_t>(a, &out); break;
    case ir::DataType::kInt8: Widen<int8_t>(a, &out); break;
    case ir::DataType::kUint8: Widen<uint8_t>(a, &out); break;
    case ir::DataType::kUint16: Widen<uint16_t>(a, &out); break;
    case ir::DataType::kUint32: Widen<uint32_t>(a, &out); break;
    case ir::DataType::kUint64: Widen<uint64_t>(a, &out); break;
    case ir::DataType::kBool: Widen<uint8_t>(a, &out); break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("expected an integer tensor, got ", ir::DataTypeName(a.dtype())));
  }
  return out;
}

absl::StatusOr<std::vector<double>> ToDoubleVector(const Array& a) {
  std::vector<double> out;
  switch (a.dtype()) {
    case ir::DataType::kFloat: Widen<float>(a, &out); break;
    case ir::DataType::kDouble: Widen<double>(a, &out); break;
    case ir::DataType::kFloat16: {
      out.resize(a.size());
      for (int64_t i = 0; i < a.size(); ++i) out[i] = HalfToFloat(a.data<uint16_t>()[i]);
      break;
    }
    case ir::DataType::kBfloat16: {
      out.resize(a.size());
      for (int64_t i = 0; i < a.size(); ++i) out[i] = BfloatToFloat(a.data<uint16_t>()[i]);
      break;
    }
    default: {
      auto ints = ToInt64Vector(a);
      if (!ints.ok()) return ints.status();
      out.assign(ints->begin(), ints->end());
    }
  }
  return out;
}

}  // namespace onnxsmith::evaluator
