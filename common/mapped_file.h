// Read-only memory maps of file ranges: weights stay in the page cache and are
// shared by every tensor that views them, instead of being read into copies.
#ifndef ONNXSMITH_COMMON_MAPPED_FILE_H_
#define ONNXSMITH_COMMON_MAPPED_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onnxsmith {

// One mapping, unmapped when the last owner lets go.
class MappedRegion {
 public:
  MappedRegion(void* base, size_t map_length, absl::string_view bytes)
      : base_(base), map_length_(map_length), bytes_(bytes) {}
  ~MappedRegion();
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;

  absl::string_view bytes() const { return bytes_; }

 private:
  void* base_;
  size_t map_length_;
  absl::string_view bytes_;
};

// Drops the process's resident pages of `bytes` if they lie inside a live
// mapping made here, and does nothing otherwise: the mappings are read-only
// views of files, so the pages stay in the page cache and a later read
// faults them in again unchanged. For a mapped weight copied once into a new
// buffer (a filter transposed at conversion): the process then holds one
// copy of it, not two, while the view lives on.
void ReleaseMappedPages(absl::string_view bytes);

// Size of a regular file, or an error naming it.
absl::StatusOr<int64_t> FileSize(const std::string& path);

// Maps [offset, offset + length) of the open file `fd` read-only (the caller
// checked the range); the fd may be closed afterwards.
absl::StatusOr<std::shared_ptr<const MappedRegion>> MapOpenFile(int fd, int64_t offset,
                                                                int64_t length);

// Maps bytes [offset, offset + length) of `path` read-only. The range must lie
// inside the file (checked here, with an error naming `what` and the file).
// A zero length gives an empty region without mapping anything.
absl::StatusOr<std::shared_ptr<const MappedRegion>> MapFileRange(const std::string& path,
                                                                 int64_t offset, int64_t length,
                                                                 const std::string& what);

}  // namespace onnxsmith

#endif  // ONNXSMITH_COMMON_MAPPED_FILE_H_
