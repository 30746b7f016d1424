#include "common/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace onnxsmith {

namespace {

// Live mappings by start address (ReleaseMappedPages acts only inside one).
struct Registry {
  absl::Mutex mu;
  std::map<uintptr_t, size_t> regions ABSL_GUARDED_BY(mu);
};

Registry& Mappings() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace

MappedRegion::~MappedRegion() {
  if (base_ == nullptr) return;
  Registry& r = Mappings();
  {
    absl::MutexLock lock(&r.mu);
    r.regions.erase(reinterpret_cast<uintptr_t>(base_));
  }
  munmap(base_, map_length_);
}

void ReleaseMappedPages(absl::string_view bytes) {
  if (bytes.empty()) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(bytes.data());
  const uintptr_t end = begin + bytes.size();
  // Whole pages only: a page shared with a neighbouring tensor stays.
  const uintptr_t first = (begin + page - 1) / page * page;
  const uintptr_t last = end / page * page;
  if (first >= last) return;
  Registry& r = Mappings();
  absl::MutexLock lock(&r.mu);
  auto it = r.regions.upper_bound(begin);
  if (it == r.regions.begin()) return;
  --it;
  if (end > it->first + it->second) return;
  madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
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
  {
    Registry& r = Mappings();
    absl::MutexLock lock(&r.mu);
    r.regions[reinterpret_cast<uintptr_t>(base)] = map_length;
  }
  const char* data = static_cast<const char*>(base) + (offset - start);
  return std::make_shared<const MappedRegion>(base, map_length,
                                              absl::string_view(data, static_cast<size_t>(length)));
}

}  // namespace onnxsmith
