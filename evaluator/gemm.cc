#include "evaluator/gemm.h"

#include <algorithm>
#include <type_traits>

#include "Eigen/Core"
#include "evaluator/int_arith.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {

namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using MutMap = Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>>;

template <typename T, typename EA, typename EB>
void Product(const EA& ea, const EB& eb, T alpha, T beta, MutMap<T>& ec) {
  if (beta == T(0)) {
    if (alpha == T(1)) {
      ec.noalias() = ea * eb;
    } else {
      ec.noalias() = alpha * (ea * eb);
    }
  } else {
    if (beta != T(1)) ec *= beta;
    if (alpha == T(1)) {
      ec.noalias() += ea * eb;
    } else {
      ec.noalias() += alpha * (ea * eb);
    }
  }
}

// One block: rows [r0, r1) and columns [c0, c1) of C.
template <typename T>
void GemmBlock(bool ta, bool tb, int64_t r0, int64_t r1, int64_t c0, int64_t c1, int64_t k,
               T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
               int64_t ldc) {
  const int64_t m = r1 - r0, n = c1 - c0;
  if (m <= 0 || n <= 0) return;
  if constexpr (!std::is_floating_point_v<T>) {
    // Integers wrap around on overflow, as in ONNX Runtime's MatMul.
    for (int64_t i = 0; i < m; ++i) {
      T* crow = c + (r0 + i) * ldc + c0;
      for (int64_t j = 0; j < n; ++j) crow[j] = beta == T(0) ? T(0) : WrapMul(beta, crow[j]);
      for (int64_t p = 0; p < k; ++p) {
        const T av = ta ? a[p * lda + r0 + i] : a[(r0 + i) * lda + p];
        const T s = WrapMul(alpha, av);
        if (s == T(0)) continue;
        for (int64_t j = 0; j < n; ++j) {
          const T bv = tb ? b[(c0 + j) * ldb + p] : b[p * ldb + c0 + j];
          crow[j] = WrapAdd(crow[j], WrapMul(s, bv));
        }
      }
    }
  } else {
    MutMap<T> ec(c + r0 * ldc + c0, m, n, Eigen::OuterStride<>(ldc));
    if (k == 0) {
      if (beta == T(0)) {
        ec.setZero();
      } else {
        ec *= beta;
      }
      return;
    }
    // op(A) rows r0..r1: A[r0.., :] or A^T -> columns r0.. of A[K,M].
    if (!ta && !tb) {
      ConstMap<T> ea(a + r0 * lda, m, k, Eigen::OuterStride<>(lda));
      ConstMap<T> eb(b + c0, k, n, Eigen::OuterStride<>(ldb));
      Product<T>(ea, eb, alpha, beta, ec);
    } else if (!ta && tb) {
      ConstMap<T> ea(a + r0 * lda, m, k, Eigen::OuterStride<>(lda));
      ConstMap<T> eb(b + c0 * ldb, n, k, Eigen::OuterStride<>(ldb));
      Product<T>(ea, eb.transpose(), alpha, beta, ec);
    } else if (ta && !tb) {
      ConstMap<T> ea(a + r0, k, m, Eigen::OuterStride<>(lda));
      ConstMap<T> eb(b + c0, k, n, Eigen::OuterStride<>(ldb));
      Product<T>(ea.transpose(), eb, alpha, beta, ec);
    } else {
      ConstMap<T> ea(a + r0, k, m, Eigen::OuterStride<>(lda));
      ConstMap<T> eb(b + c0 * ldb, n, k, Eigen::OuterStride<>(ldb));
      Product<T>(ea.transpose(), eb.transpose(), alpha, beta, ec);
    }
  }
}

}  // namespace

template <typename T>
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc, bool parallel) {
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (!parallel || flops < 4e6) {
    GemmBlock<T>(trans_a, trans_b, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Split the larger dimension of C into panels.
  constexpr int64_t kPanels = 8;
  if (m >= n) {
    const int64_t step = std::max<int64_t>(16, (m + kPanels - 1) / kPanels);
    const int64_t parts = (m + step - 1) / step;
    ParallelFor(parts, flops / parts, true, [&](int64_t b0, int64_t b1) {
      for (int64_t p = b0; p < b1; ++p) {
        GemmBlock<T>(trans_a, trans_b, p * step, std::min(m, (p + 1) * step), 0, n, k, alpha, a,
                     lda, b, ldb, beta, c, ldc);
      }
    });
  } else {
    const int64_t step = std::max<int64_t>(16, (n + kPanels - 1) / kPanels);
    const int64_t parts = (n + step - 1) / step;
    ParallelFor(parts, flops / parts, true, [&](int64_t b0, int64_t b1) {
      for (int64_t p = b0; p < b1; ++p) {
        GemmBlock<T>(trans_a, trans_b, 0, m, p * step, std::min(n, (p + 1) * step), k, alpha, a,
                     lda, b, ldb, beta, c, ldc);
      }
    });
  }
}

template void Gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t, bool);
template void Gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t, bool);
template void Gemm<int32_t>(bool, bool, int64_t, int64_t, int64_t, int32_t, const int32_t*,
                            int64_t, const int32_t*, int64_t, int32_t, int32_t*, int64_t, bool);
template void Gemm<int64_t>(bool, bool, int64_t, int64_t, int64_t, int64_t, const int64_t*,
                            int64_t, const int64_t*, int64_t, int64_t, int64_t*, int64_t, bool);
template void Gemm<uint32_t>(bool, bool, int64_t, int64_t, int64_t, uint32_t, const uint32_t*,
                             int64_t, const uint32_t*, int64_t, uint32_t, uint32_t*, int64_t, bool);
template void Gemm<uint64_t>(bool, bool, int64_t, int64_t, int64_t, uint64_t, const uint64_t*,
                             int64_t, const uint64_t*, int64_t, uint64_t, uint64_t*, int64_t, bool);

}  // namespace onnxsmith::evaluator
