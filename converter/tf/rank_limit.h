// TensorFlow's limit on tensor rank, shared by the GraphDef converter and the
// checkpoint reader (part of //converter:tf_dtype so both can use it).
// Without it a graph could declare a rank-5000 Placeholder and the converter
// would build shapes no TensorFlow runtime accepts.
#ifndef ONNXSMITH_CONVERTER_TF_RANK_LIMIT_H_
#define ONNXSMITH_CONVERTER_TF_RANK_LIMIT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace onnxsmith::converter {

// TensorShape::MaxDimensions() in TensorFlow.
inline constexpr int kMaxTfRank = 254;

// InvalidArgument "<what>: rank N above the limit of 254" past the limit.
absl::Status CheckTfRank(int64_t rank, absl::string_view what);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_RANK_LIMIT_H_
