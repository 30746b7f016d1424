// CRC-32C (Castagnoli), as used by LevelDB-style tables and TensorFlow's
// checkpoints, and the "mask" those formats apply to stored checksums.
#ifndef ONNXSMITH_CONVERTER_CHECKPOINT_CRC32C_H_
#define ONNXSMITH_CONVERTER_CHECKPOINT_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace onnxsmith::checkpoint {

// The CRC-32C of `crc`'s input followed by data[0, n).  Extend(0, ...) starts
// a new checksum.
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);
inline uint32_t Crc32c(absl::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

// Stored checksums are rotated and offset so that a CRC of data that itself
// contains CRCs stays well distributed.
inline constexpr uint32_t kCrc32cMaskDelta = 0xa282ead8u;
inline uint32_t MaskCrc32c(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta;
}
inline uint32_t UnmaskCrc32c(uint32_t masked) {
  uint32_t rot = masked - kCrc32cMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// Fuzz targets only: a checksum mismatch is then not an error, so that
// mutated inputs reach the parsers behind the checksums instead of stopping
// at them. Never set outside //fuzz.
void SetIgnoreChecksumsForFuzzing(bool ignore);
bool ChecksumsIgnored();
inline bool ChecksumMismatch(uint32_t stored, uint32_t computed) {
  return stored != computed && !ChecksumsIgnored();
}

}  // namespace onnxsmith::checkpoint

#endif  // ONNXSMITH_CONVERTER_CHECKPOINT_CRC32C_H_
