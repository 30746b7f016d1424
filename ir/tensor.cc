#include "ir/tensor.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/transpose_copy.h"

namespace onnxsmith::ir {

int ElementSize(DataType t) {
  switch (t) {
    case DataType::kBool:
    case DataType::kInt8:
    case DataType::kUint8: return 1;
    case DataType::kInt16:
    case DataType::kUint16:
    case DataType::kFloat16:
    case DataType::kBfloat16: return 2;
    case DataType::kInt32:
    case DataType::kUint32:
    case DataType::kFloat: return 4;
    case DataType::kInt64:
    case DataType::kUint64:
    case DataType::kDouble:
    case DataType::kComplex64: return 8;
    case DataType::kComplex128: return 16;
    case DataType::kString:
    case DataType::kUndefined: return 0;
  }
  return 0;
}

const char* DataTypeName(DataType t) {
  switch (t) {
    case DataType::kUndefined: return "undefined";
    case DataType::kFloat: return "float32";
    case DataType::kUint8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUint16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kDouble: return "float64";
    case DataType::kUint32: return "uint32";
    case DataType::kUint64: return "uint64";
    case DataType::kComplex64: return "complex64";
    case DataType::kComplex128: return "complex128";
    case DataType::kBfloat16: return "bfloat16";
  }
  return "?";
}

bool IsFloating(DataType t) {
  return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16 ||
         t == DataType::kBfloat16;
}

bool IsInteger(DataType t) {
  switch (t) {
    case DataType::kInt8:
    case DataType::kUint8:
    case DataType::kInt16:
    case DataType::kUint16:
    case DataType::kInt32:
    case DataType::kUint32:
    case DataType::kInt64:
    case DataType::kUint64: return true;
    default: return false;
  }
}

namespace {

absl::StatusOr<int64_t> CountElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("negative dimension ", d));
    if (d != 0 && n > (int64_t{1} << 40) / d) {
      return absl::InvalidArgumentError("tensor has more than 2^40 elements");
    }
    n *= d;
  }
  return n;
}

// Half/bfloat16 to float for the widening accessors.
float HalfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? NAN : INFINITY;
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

template <typename T>
void WidenTo(absl::string_view raw, std::vector<double>* out) {
  const T* p = reinterpret_cast<const T*>(raw.data());
  size_t n = raw.size() / sizeof(T);
  out->reserve(n);
  for (size_t i = 0; i < n; ++i) out->push_back(static_cast<double>(p[i]));
}

template <typename T>
std::string NarrowFrom(const std::vector<double>& values) {
  std::string raw(values.size() * sizeof(T), '\0');
  T* p = reinterpret_cast<T*>(raw.data());
  for (size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_same_v<T, bool>) {
      p[i] = values[i] != 0;
    } else {
      p[i] = static_cast<T>(values[i]);
    }
  }
  return raw;
}


// A buffer for a tensor written once (a transposed filter): not zero-filled
// (a std::string would be, then overwritten at once), and past a few MB its
// own mapping with transparent huge pages, so that filling it takes one page
// fault per 2 MB rather than per 4 KB. Only whole 2 MB pages inside the
// buffer become huge: the resident size is not rounded up.
std::pair<std::shared_ptr<const void>, char*> NewWriteOnceBuffer(size_t size) {
  constexpr size_t kHugePage = size_t{2} << 20;
  if (size >= 2 * kHugePage) {
    const size_t length = size + kHugePage;  // slack to start on a 2 MB boundary, never touched
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base != MAP_FAILED) {
      char* start = reinterpret_cast<char*>(
          (reinterpret_cast<uintptr_t>(base) + kHugePage - 1) & ~uintptr_t{kHugePage - 1});
      madvise(start, size, MADV_HUGEPAGE);  // advice: 4 KB pages when refused
      std::shared_ptr<const void> owner(base, [length](const void* p) {
        munmap(const_cast<void*>(p), length);
      });
      return {std::move(owner), start};
    }
  }
  std::shared_ptr<char[]> owned(new char[std::max<size_t>(size, 1)]);
  char* data = owned.get();
  return {std::move(owned), data};
}

}  // namespace

absl::StatusOr<Tensor> Tensor::FromRaw(DataType dtype, std::vector<int64_t> dims,
                                       std::string raw) {
  auto n = CountElements(dims);
  if (!n.ok()) return n.status();
  int size = ElementSize(dtype);
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no raw layout for element type ", DataTypeName(dtype)));
  }
  if (static_cast<int64_t>(raw.size()) != *n * size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor of shape [", absl::StrJoin(dims, ","), "] and type ", DataTypeName(dtype),
        " needs ", *n * size, " bytes, has ", raw.size()));
  }
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.Own(std::move(raw));
  return t;
}

absl::StatusOr<Tensor> Tensor::FromShared(DataType dtype, std::vector<int64_t> dims,
                                          std::shared_ptr<const void> owner,
                                          absl::string_view bytes) {
  auto n = CountElements(dims);
  if (!n.ok()) return n.status();
  const int size = ElementSize(dtype);
  if (size == 0 || static_cast<int64_t>(bytes.size()) != *n * size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor of shape [", absl::StrJoin(dims, ","), "] and type ", DataTypeName(dtype),
        " needs ", *n * size, " bytes, has ", bytes.size()));
  }
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.owner_ = std::move(owner);
  t.raw_ = bytes;
  return t;
}

void Tensor::Own(std::string bytes) {
  auto owned = std::make_shared<const std::string>(std::move(bytes));
  raw_ = *owned;
  owner_ = std::move(owned);
}

Tensor Tensor::FromStrings(std::vector<int64_t> dims, std::vector<std::string> values) {
  Tensor t;
  t.dtype_ = DataType::kString;
  t.dims_ = std::move(dims);
  t.strings_ = std::make_shared<const std::vector<std::string>>(std::move(values));
  return t;
}

int64_t Tensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

const std::vector<std::string>& Tensor::strings() const {
  static const std::vector<std::string>* empty = new std::vector<std::string>();
  return strings_ ? *strings_ : *empty;
}

absl::StatusOr<std::vector<int64_t>> Tensor::ToInt64s() const {
  std::vector<int64_t> out;
  const absl::string_view r = raw();
  auto widen = [&](auto tag) {
    using T = decltype(tag);
    const T* p = reinterpret_cast<const T*>(r.data());
    for (size_t i = 0; i < r.size() / sizeof(T); ++i) out.push_back(static_cast<int64_t>(p[i]));
  };
  switch (dtype_) {
    case DataType::kInt8: widen(int8_t{}); break;
    case DataType::kUint8: widen(uint8_t{}); break;
    case DataType::kBool: widen(uint8_t{}); break;
    case DataType::kInt16: widen(int16_t{}); break;
    case DataType::kUint16: widen(uint16_t{}); break;
    case DataType::kInt32: widen(int32_t{}); break;
    case DataType::kUint32: widen(uint32_t{}); break;
    case DataType::kInt64: widen(int64_t{}); break;
    case DataType::kUint64: widen(uint64_t{}); break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("expected an integer tensor, got ", DataTypeName(dtype_)));
  }
  return out;
}

absl::StatusOr<std::vector<double>> Tensor::ToDoubles() const {
  std::vector<double> out;
  const absl::string_view r = raw();
  switch (dtype_) {
    case DataType::kFloat: WidenTo<float>(r, &out); break;
    case DataType::kDouble: WidenTo<double>(r, &out); break;
    case DataType::kFloat16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(r.data());
      for (size_t i = 0; i < r.size() / 2; ++i) out.push_back(HalfToFloat(p[i]));
      break;
    }
    case DataType::kBfloat16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(r.data());
      for (size_t i = 0; i < r.size() / 2; ++i) {
        uint32_t bits = static_cast<uint32_t>(p[i]) << 16;
        float f;
        std::memcpy(&f, &bits, 4);
        out.push_back(f);
      }
      break;
    }
    default: {
      auto ints = ToInt64s();
      if (!ints.ok()) return ints.status();
      out.assign(ints->begin(), ints->end());
    }
  }
  return out;
}

absl::StatusOr<Tensor> Tensor::Reshaped(std::vector<int64_t> dims) const {
  auto n = CountElements(dims);
  if (!n.ok()) return n.status();
  if (*n != num_elements()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot reshape ", num_elements(),
                                                   " elements to [", absl::StrJoin(dims, ","),
                                                   "]"));
  }
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

absl::StatusOr<Tensor> Tensor::CastTo(DataType to) const {
  if (to == dtype_) return *this;
  auto values = ToDoubles();
  if (!values.ok()) return values.status();
  std::string raw;
  switch (to) {
    case DataType::kFloat: raw = NarrowFrom<float>(*values); break;
    case DataType::kDouble: raw = NarrowFrom<double>(*values); break;
    case DataType::kInt8: raw = NarrowFrom<int8_t>(*values); break;
    case DataType::kUint8: raw = NarrowFrom<uint8_t>(*values); break;
    case DataType::kInt16: raw = NarrowFrom<int16_t>(*values); break;
    case DataType::kUint16: raw = NarrowFrom<uint16_t>(*values); break;
    case DataType::kInt32: raw = NarrowFrom<int32_t>(*values); break;
    case DataType::kUint32: raw = NarrowFrom<uint32_t>(*values); break;
    case DataType::kInt64: {
      // Through double would lose precision past 2^53.
      if (IsInteger(dtype_) || dtype_ == DataType::kBool) {
        auto ints = ToInt64s();
        if (!ints.ok()) return ints.status();
        return FromRaw(to, dims_,
                       std::string(reinterpret_cast<const char*>(ints->data()),
                                   ints->size() * sizeof(int64_t)));
      }
      raw = NarrowFrom<int64_t>(*values);
      break;
    }
    case DataType::kUint64: raw = NarrowFrom<uint64_t>(*values); break;
    case DataType::kBool: raw = NarrowFrom<bool>(*values); break;
    default:
      return absl::UnimplementedError(absl::StrCat("cannot cast a constant from ",
                                                   DataTypeName(dtype_), " to ",
                                                   DataTypeName(to)));
  }
  return FromRaw(to, dims_, std::move(raw));
}

absl::StatusOr<Tensor> Tensor::Transposed(const std::vector<int64_t>& perm) const {
  const int r = rank();
  if (static_cast<int>(perm.size()) != r) {
    return absl::InvalidArgumentError(
        absl::StrCat("permutation of rank ", perm.size(), " for a tensor of rank ", r));
  }
  std::vector<int64_t> out_dims(r);
  std::vector<bool> seen(r, false);
  for (int i = 0; i < r; ++i) {
    if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) {
      return absl::InvalidArgumentError("invalid permutation");
    }
    seen[perm[i]] = true;
    out_dims[i] = dims_[perm[i]];
  }
  const int esize = ElementSize(dtype_);
  if (esize == 0) return absl::UnimplementedError("cannot transpose a string constant");
  const size_t bytes = static_cast<size_t>(num_elements() * esize);
  auto [owner, out] = NewWriteOnceBuffer(bytes);
  TransposeCopy(raw().data(), out, esize, dims_, perm);
  return FromShared(dtype_, std::move(out_dims), std::move(owner), absl::string_view(out, bytes));
}

}  // namespace onnxsmith::ir
