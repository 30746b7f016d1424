#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace onnxsmith {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected a file"));
  }
  // >=: protobuf takes sizes as int, and 2 GiB itself does not fit.
  if (st.st_size >= kMaxInputFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", st.st_size,
                                                   " bytes is over the 2 GiB input limit"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open"));
  std::string data(static_cast<size_t>(st.st_size), '\0');
  in.read(data.data(), st.st_size);
  if (in.gcount() != st.st_size) {
    return absl::DataLossError(absl::StrCat(path, ": short read"));
  }
  return data;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  return WriteFileAtomically(path, std::vector<absl::string_view>{contents});
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::vector<absl::string_view>& pieces) {
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  // Written back to disk as it goes (a start, not a wait): the fsync at the
  // end then waits for the last few MB instead of the whole file.
  constexpr off_t kWritebackBytes = off_t{8} << 20;
  off_t written = 0, flushed = 0;
  for (absl::string_view contents : pieces) {
    const char* p = contents.data();
    size_t left = contents.size();
    while (left > 0) {
#ifdef SYNC_FILE_RANGE_WRITE
      if (written - flushed >= kWritebackBytes) {
        sync_file_range(fd, flushed, written - flushed, SYNC_FILE_RANGE_WRITE);
        flushed = written;
      }
#endif
      // At most kWritebackBytes a call, for the writeback above to start.
      ssize_t n = write(fd, p, std::min<size_t>(left, kWritebackBytes));
      if (n < 0) {
        if (errno == EINTR) continue;
        std::string err = std::strerror(errno);
        close(fd);
        unlink(tmp.c_str());
        return absl::DataLossError(absl::StrCat("writing ", path, " failed: ", err));
      }
      p += n;
      left -= static_cast<size_t>(n);
      written += n;
    }
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    std::string err = std::strerror(errno);
    unlink(tmp.c_str());
    return absl::DataLossError(absl::StrCat("writing ", path, " failed: ", err));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    unlink(tmp.c_str());
    return absl::DataLossError(absl::StrCat("cannot move output into ", path, ": ", err));
  }
  return absl::OkStatus();
}

namespace {

bool LooksLikeText(absl::string_view head) {
  if (head.empty()) return false;
  for (unsigned char c : head) {
    if (c == '\n' || c == '\r' || c == '\t') continue;
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

FileFormat SniffFormat(const std::string& path, absl::string_view head) {
  if (IsDirectory(path)) {
    return PathExists(path + "/saved_model.pb") || PathExists(path + "/saved_model.pbtxt")
               ? FileFormat::kSavedModelDir
               : FileFormat::kUnknown;
  }
  if (absl::StartsWith(head, "\x89HDF\r\n\x1a\n")) return FileFormat::kHdf5;
  if (absl::StartsWith(head, "PK\x03\x04")) return FileFormat::kZip;
  if (LooksLikeText(head.substr(0, 256))) return FileFormat::kTextProto;
  if (!head.empty()) return FileFormat::kBinaryProto;
  return FileFormat::kUnknown;
}

const char* FileFormatName(FileFormat f) {
  switch (f) {
    case FileFormat::kHdf5: return "HDF5 (Keras .h5)";
    case FileFormat::kZip: return "zip (Keras 3 .keras)";
    case FileFormat::kTextProto: return "text protobuf";
    case FileFormat::kBinaryProto: return "binary protobuf";
    case FileFormat::kSavedModelDir: return "SavedModel directory";
    case FileFormat::kUnknown: break;
  }
  return "unknown";
}

}  // namespace onnxsmith
