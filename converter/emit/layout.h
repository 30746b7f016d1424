// Layout permutations between channels-last (TF's NHWC/NDHWC, Keras's default)
// and channels-first (ONNX's NCHW/NCDHW), for a tensor of any rank.
#ifndef ONNXSMITH_CONVERTER_EMIT_LAYOUT_H_
#define ONNXSMITH_CONVERTER_EMIT_LAYOUT_H_

#include <cstdint>
#include <vector>

namespace onnxsmith::converter {

// [0, rank-1, 1, ..., rank-2]: NHWC -> NCHW.
std::vector<int64_t> ChannelsLastToFirstPerm(int rank);
// [0, 2, ..., rank-1, 1]: NCHW -> NHWC.
std::vector<int64_t> ChannelsFirstToLastPerm(int rank);
bool IsIdentityPerm(const std::vector<int64_t>& perm);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_LAYOUT_H_
