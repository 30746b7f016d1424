// onnxsmith's release number, written into every ONNX file as
// producer_version (ir/model_writer.cc) and printed by `onnxsmith version`.
// The git commit is in common/build_info.h (stamped, linked only by the CLI).
#ifndef ONNXSMITH_COMMON_VERSION_H_
#define ONNXSMITH_COMMON_VERSION_H_

namespace onnxsmith {

extern const char kVersion[];       // "0.5.0"
extern const char kProducerName[];  // "onnxsmith", ModelProto.producer_name

// The compilation mode: "opt", "dbg" or "fastbuild" (Bazel's -c), from
// ONNXSMITH_COMPILATION_MODE (common/BUILD) or else NDEBUG.
const char* BuildMode();

}  // namespace onnxsmith

#endif  // ONNXSMITH_COMMON_VERSION_H_
