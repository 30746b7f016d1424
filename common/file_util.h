// Reading inputs and writing outputs safely: bounded reads, format sniffing by
// content (never by suffix), and atomic writes (temp file + rename).
#ifndef ONNXSMITH_COMMON_FILE_UTIL_H_
#define ONNXSMITH_COMMON_FILE_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onnxsmith {

// Largest single file we read into memory (protobuf's own hard limit is 2 GiB).
inline constexpr int64_t kMaxInputFileBytes = int64_t{2} << 30;

absl::StatusOr<std::string> ReadFile(const std::string& path);
bool IsDirectory(const std::string& path);
bool PathExists(const std::string& path);

// Writes `contents` to a temporary file next to `path`, syncs it and renames it
// over `path`, so readers never see a partial file; on failure nothing is left.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);
// The same for a file made of `pieces` back to back (no joined copy in memory).
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::vector<absl::string_view>& pieces);

enum class FileFormat {
  kUnknown,
  kHdf5,          // Keras 2 .h5 (and .keras files that are really HDF5)
  kZip,           // Keras 3 .keras
  kTextProto,     // .pbtxt GraphDef (or other text protos)
  kBinaryProto,   // a protobuf wire-format file (GraphDef, ONNX, SavedModel)
  kSavedModelDir,
};

// Decides by the first bytes (and, for directories, saved_model.pb).
FileFormat SniffFormat(const std::string& path, absl::string_view head);
const char* FileFormatName(FileFormat f);

}  // namespace onnxsmith

#endif  // ONNXSMITH_COMMON_FILE_UTIL_H_
