// Decoder for Snappy's raw block format (no framing), which TensorFlow wrote
// into checkpoint index tables before release 1.2 (newer releases write
// uncompressed blocks).  Written from the published format description.
#ifndef ONNXSMITH_CONVERTER_CHECKPOINT_SNAPPY_H_
#define ONNXSMITH_CONVERTER_CHECKPOINT_SNAPPY_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onnxsmith::checkpoint {

// Decompresses `in`.  The declared length is trusted only up to what `in`
// could possibly expand to and up to `max_output` bytes; every literal and
// copy is bounds-checked.  Errors are DataLoss with a short reason (callers
// add the file name).
absl::StatusOr<std::string> SnappyUncompress(absl::string_view in,
                                             size_t max_output = size_t{1} << 30);

}  // namespace onnxsmith::checkpoint

#endif  // ONNXSMITH_CONVERTER_CHECKPOINT_SNAPPY_H_
