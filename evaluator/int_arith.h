// Integer arithmetic as ONNX Runtime and TensorFlow do it: two's-complement
// wrap-around on overflow. In C++ signed overflow is undefined (and small
// unsigned types promote to int, which can overflow too), so integers are
// computed in an unsigned type at least as wide as unsigned int; other types
// (floats, half types) use the plain operators.
#ifndef ONNXSMITH_EVALUATOR_INT_ARITH_H_
#define ONNXSMITH_EVALUATOR_INT_ARITH_H_

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

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_INT_ARITH_H_
