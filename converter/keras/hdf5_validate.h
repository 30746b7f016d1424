// What is checked in an HDF5 file's raw bytes before libhdf5 reads it:
// libhdf5 1.10 trusts some structures it reads (a damaged global heap makes it
// loop forever, a bad heap ID crashes it), so the superblock's sizes, every
// global heap collection and the heap IDs of variable-length string
// attributes are validated here first. Used by hdf5_util.cc.
#ifndef ONNXSMITH_CONVERTER_KERAS_HDF5_VALIDATE_H_
#define ONNXSMITH_CONVERTER_KERAS_HDF5_VALIDATE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace onnxsmith::converter::keras::h5 {

// The format signature at the start of every HDF5 file (8 bytes).
inline constexpr char kHdf5Signature[] = "\x89HDF\r\n\x1a\n";

// The raw bytes of a file (mapped) or of an image (borrowed), and what was
// learnt from them before libhdf5 saw the file: the sizes of addresses and
// lengths, and every global heap collection with its objects.
class RawBytes {
 public:
  RawBytes() = default;
  ~RawBytes();  // unmaps a mapped file
  RawBytes(const RawBytes&) = delete;
  RawBytes& operator=(const RawBytes&) = delete;

  const unsigned char* data = nullptr;
  size_t size = 0;
  bool mapped = false;
  int offset_size = 8;
  int length_size = 8;
  uint64_t base = 0;  // base address (file addresses are relative to it)
  // collection address (relative) -> object index -> object size
  std::map<uint64_t, std::map<uint32_t, uint64_t>> heaps;
};

// The file at `path` (`size` bytes) mapped read-only; nullptr if it cannot be.
std::shared_ptr<RawBytes> MapRawBytes(const std::string& path, int64_t size);

// Reads the superblock (sizes of offsets and lengths, base address) and
// indexes every global heap collection; an error naming `what` if one is
// inconsistent.
absl::Status ValidateRawBytes(RawBytes* raw, const std::string& what);

// Checks the heap IDs of the variable-length string attribute `name` of the
// object whose header is at `addr` (relative) against the index. Attributes
// kept outside the header (dense storage) cannot be checked here and pass.
absl::Status CheckVlenAttribute(const RawBytes& raw, uint64_t addr, const std::string& name,
                                const std::string& what);

}  // namespace onnxsmith::converter::keras::h5

#endif  // ONNXSMITH_CONVERTER_KERAS_HDF5_VALIDATE_H_
