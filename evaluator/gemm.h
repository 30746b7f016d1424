// Row-major GEMM on Eigen (float, double) with a plain loop for integers:
//   C[M,N] = alpha * op(A) * op(B) + beta * C
// op(A) is A[M,K] (lda >= K) or A^T with A[K,M] (lda >= M); likewise B.
// beta == 0 never reads C. `parallel` splits the rows (or columns) of C
// across TBB workers when the product is large.
#ifndef ONNXSMITH_EVALUATOR_GEMM_H_
#define ONNXSMITH_EVALUATOR_GEMM_H_

#include <cstdint>

namespace onnxsmith::evaluator {

template <typename T>
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc, bool parallel);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_GEMM_H_
