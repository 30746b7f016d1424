// Integer arithmetic as ONNX Runtime and TensorFlow do it: two's-complement
// wrap-around on overflow. In C++ signed overflow is undefined (and small
// unsigned types promote to int, which can overflow too), so integers are
// computed in an unsigned type at least as wide as unsigned int; other types
// (floats, half types) use the plain operators.
#ifndef ONNXSMITH_EVALUATOR_INT_ARITH_H_
#define ONNXSMITH_EVALUATOR_INT_ARITH_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace onnxsmith::evaluator {

template <typename T>
constexpr bool kWrapsAround = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
using WrapType = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <typename T>
T WrapAdd(T x, T y) {
  if constexpr (kWrapsAround<T>) {
    return static_cast<T>(static_cast<WrapType<T>>(x) + static_cast<WrapType<T>>(y));
  } else {
    return x + y;
  }
}

template <typename T>
T WrapSub(T x, T y) {
  if constexpr (kWrapsAround<T>) {
    return static_cast<T>(static_cast<WrapType<T>>(x) - static_cast<WrapType<T>>(y));
  } else {
    return x - y;
  }
}

template <typename T>
T WrapMul(T x, T y) {
  if constexpr (kWrapsAround<T>) {
    return static_cast<T>(static_cast<WrapType<T>>(x) * static_cast<WrapType<T>>(y));
  } else {
    return x * y;
  }
}

template <typename T>
T WrapNeg(T x) {
  if constexpr (kWrapsAround<T>) {
    return static_cast<T>(WrapType<T>{0} - static_cast<WrapType<T>>(x));
  } else {
    return -x;
  }
}

// x^y for an integer x and an integer y by square-and-multiply, wrapping as
// TensorFlow's Pow does (ORT computes std::pow in double and casts, which
// gives the lowest value on overflow and loses exactness above 2^53).
// Negative y as ORT: 1 -> 1, -1 -> +-1 by parity, 0 -> lowest (the cast of
// +inf on x86-64), others -> 0 (the truncated fraction).
template <typename T, typename U>
T WrapPow(T x, U y) {
  static_assert(kWrapsAround<T> && std::is_integral_v<U>);
  if constexpr (std::is_signed_v<U>) {
    if (y < 0) {
      if (x == T(1)) return T(1);
      if constexpr (std::is_signed_v<T>) {
        if (x == T(-1)) return (y % 2 == 0) ? T(1) : T(-1);
      }
      if (x == T(0)) return std::numeric_limits<T>::lowest();
      return T(0);
    }
  }
  T result = T(1);
  T base = x;
  for (std::make_unsigned_t<U> e = static_cast<std::make_unsigned_t<U>>(y); e != 0; e >>= 1) {
    if (e & 1) result = WrapMul(result, base);
    base = WrapMul(base, base);
  }
  return result;
}

// double -> integer T without undefined behaviour, giving what the plain
// cast gives on x86-64 (and so ORT and TF there): truncation toward zero in
// range; NaN and out of range give the lowest value for 32/64-bit signed
// types; narrower types go through int32 and wrap, uint32 through int64.
template <typename T>
T FloatToInt(double v) {
  static_assert(std::is_integral_v<T>);
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, int32_t>) {
    // 2^(b-1) is exact in double. Values in (-2^(b-1) - 1, 2^(b-1)) truncate
    // into range (for int64 the lower bound rounds to -2^63, whose cast is
    // the lowest value anyway).
    constexpr double kLimit = -static_cast<double>(std::numeric_limits<T>::lowest());
    if (!(v > -kLimit - 1.0 && v < kLimit)) return std::numeric_limits<T>::lowest();
    return static_cast<T>(v);
  } else if constexpr (sizeof(T) < 4) {
    return static_cast<T>(static_cast<WrapType<T>>(FloatToInt<int32_t>(v)));
  } else if constexpr (std::is_same_v<T, uint32_t>) {
    return static_cast<T>(static_cast<uint64_t>(FloatToInt<int64_t>(v)));
  } else {  // uint64_t
    constexpr double kTwo63 = 9223372036854775808.0;
    if (v >= kTwo63 && v < 2 * kTwo63) return static_cast<T>(v);
    return static_cast<T>(FloatToInt<int64_t>(v));
  }
}

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_INT_ARITH_H_
