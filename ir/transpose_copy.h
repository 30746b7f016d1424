// The byte mover behind Tensor::Transposed: cache-blocked, and split over
// TBB workers for big tensors (conv weights laid out HWIO -> OIHW at
// conversion are most of a CNN's bytes). Every output byte is written by
// exactly one task, so the result does not depend on the thread count.
#ifndef ONNXSMITH_IR_TRANSPOSE_COPY_H_
#define ONNXSMITH_IR_TRANSPOSE_COPY_H_

#include <cstdint>
#include <vector>

namespace onnxsmith::ir {

// dst[out index] = src[in index] with out dim i = in dim perm[i]; elements of
// `esize` bytes (1, 2, 4, 8 or 16); `perm` must be a valid permutation.
void TransposeCopy(const char* src, char* dst, int esize, const std::vector<int64_t>& in_dims,
                   const std::vector<int64_t>& perm);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_TRANSPOSE_COPY_H_
