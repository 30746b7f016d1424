#include "common/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace onnxsmith {

MappedRegion::~MappedRegion() {
  if (base_ != nullptr) munmap(base_, map_length_);
}

absl::StatusOr<int64_t> FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  return static_cast<int64_t>(st.st_size);
}

absl::StatusOr<std::shared_ptr<const MappedRegion>> MapFileRange(const std::string& path,
                                                                 int64_t offset, int64_t length,
                                                                 const std::string& what) {
  if (offset < 0 || length < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": negative offset ", offset,
                                                   " or length ", length, " in ", path));
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat(what, ": cannot open ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, " is not a regular file"));
  }
  const int64_t file_size = st.st_size;
  if (offset > file_size || length > file_size - offset) {
    close(fd);
    return absl::OutOfRangeError(absl::StrCat(what, ": bytes [", offset, ", ", offset + length,
                                              ") lie past the end of ", path, " (", file_size,
                                              " bytes)"));
  }
  auto region = MapOpenFile(fd, offset, length);
  close(fd);
  if (!region.ok()) {
    return absl::Status(region.status().code(),
                        absl::StrCat(what, ": ", path, ": ", region.status().message()));
  }
  return region;
}

absl::StatusOr<std::shared_ptr<const MappedRegion>> MapOpenFile(int fd, int64_t offset,
                                                                int64_t length) {
  if (length == 0) return std::make_shared<const MappedRegion>(nullptr, 0, absl::string_view());
  const int64_t page = sysconf(_SC_PAGESIZE);
  const int64_t start = offset / page * page;
  const size_t map_length = static_cast<size_t>(offset + length - start);
  void* base = mmap(nullptr, map_length, PROT_READ, MAP_PRIVATE, fd, start);
  if (base == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot map ", length, " bytes: ", std::strerror(errno)));
  }
  const char* data = static_cast<const char*>(base) + (offset - start);
  return std::make_shared<const MappedRegion>(base, map_length,
                                              absl::string_view(data, static_cast<size_t>(length)));
}

}  // namespace onnxsmith
