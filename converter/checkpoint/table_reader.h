// Reader for the immutable sorted key/value table format of LevelDB, which
// TensorFlow reuses for checkpoint .index files:
//
//   [data block 0][trailer] ... [data block N][trailer]
//   [metaindex block][trailer] [index block][trailer] [footer: 48 bytes]
//
// A block is a run of prefix-compressed entries followed by an array of
// fixed32 restart offsets and their count; its 5-byte trailer holds the
// compression type (0 none, 1 snappy) and the masked CRC-32C of block +
// type byte.  The index block maps a separator key per data block to that
// block's handle (varint64 offset, varint64 size).  The footer holds the
// metaindex and index handles, zero padding to 40 bytes, and the fixed64
// little-endian magic 0xdb4775248b80fb57.
//
// The whole table is parsed and checked up front: every handle, length and
// offset read from the file is bounds-checked, every block checksum is
// verified, and keys must be strictly increasing.  A malformed file is a
// DataLoss status naming the file and what is wrong.
#ifndef ONNXSMITH_CONVERTER_CHECKPOINT_TABLE_READER_H_
#define ONNXSMITH_CONVERTER_CHECKPOINT_TABLE_READER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onnxsmith::checkpoint {

inline constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
inline constexpr size_t kTableFooterSize = 48;
inline constexpr size_t kBlockTrailerSize = 5;

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;
};

class TableReader {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Reads the table file at `path`.
  static absl::StatusOr<TableReader> Open(const std::string& path);
  // Parses table bytes already in memory; `name` is used in error messages.
  static absl::StatusOr<TableReader> Parse(const std::string& name, absl::string_view contents);

  const std::string& name() const { return name_; }
  // All entries, in key order.
  const std::vector<Entry>& entries() const { return entries_; }
  // The value stored under `key`, or nullptr.
  const std::string* Find(absl::string_view key) const;

 private:
  std::string name_;
  std::vector<Entry> entries_;
};

// Little-endian and varint decoding over a bounded cursor (exposed for the
// bundle reader and tests).  Each returns false, leaving *in unspecified, when
// the input ends early or the varint is too long.
bool GetVarint32(absl::string_view* in, uint32_t* value);
bool GetVarint64(absl::string_view* in, uint64_t* value);
bool GetFixed32(absl::string_view* in, uint32_t* value);
bool GetFixed64(absl::string_view* in, uint64_t* value);

}  // namespace onnxsmith::checkpoint

#endif  // ONNXSMITH_CONVERTER_CHECKPOINT_TABLE_READER_H_
