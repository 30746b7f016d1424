// Strided copies: the data movement under Transpose, Slice, Concat, Split,
// Expand, Tile and Pad. Dims and strides are in elements.
#ifndef ONNXSMITH_EVALUATOR_COPY_H_
#define ONNXSMITH_EVALUATOR_COPY_H_

#include <cstdint>
#include <vector>

#include "evaluator/array.h"

namespace onnxsmith::evaluator {

// dst[sum i_k * dst_strides[k]] = src[sum i_k * src_strides[k]] for every
// index i in `dims`. Adjacent dims that are contiguous in both are merged;
// the inner loop is a memcpy when both inner strides are 1.
void StridedCopy(void* dst, const Dims& dst_strides, const void* src, const Dims& src_strides,
                 const Dims& dims, int element_size, bool parallel);

// out = input transposed by `perm` (out dim i = in dim perm[i]); blocked for
// cache when the innermost axis moves.
void TransposeCopy(void* dst, const void* src, const Dims& in_dims, const Dims& perm,
                   int element_size, bool parallel);

// dst[o_0, ..., o_r-1] = src[map[0][o_0], ..., map[r-1][o_r-1]] for every
// index o in `out_dims`: a gather with one source index per output index and
// axis (Pad's edge/reflect/wrap modes, nearest-neighbour Resize).
void GatherByAxisMaps(void* dst, const void* src, const Dims& src_dims, const Dims& out_dims,
                      const std::vector<std::vector<int64_t>>& map, int element_size);

// Fills `count` elements of `element_size` bytes with the bytes at `value`.
void FillElements(void* dst, const void* value, int64_t count, int element_size);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_COPY_H_
