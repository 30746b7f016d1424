#include "converter/checkpoint/table_reader.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "converter/checkpoint/crc32c.h"
#include "converter/checkpoint/snappy.h"

namespace onnxsmith::checkpoint {

bool GetVarint64(absl::string_view* in, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (in->empty()) return false;
    const auto b = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;  // more than 10 bytes
}

bool GetVarint32(absl::string_view* in, uint32_t* value) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (in->empty()) return false;
    const auto b = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;  // more than 5 bytes
}

bool GetFixed32(absl::string_view* in, uint32_t* value) {
  if (in->size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in->data());
  *value = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
           (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
  in->remove_prefix(4);
  return true;
}

bool GetFixed64(absl::string_view* in, uint64_t* value) {
  uint32_t lo = 0, hi = 0;
  if (in->size() < 8) return false;
  GetFixed32(in, &lo);
  GetFixed32(in, &hi);
  *value = (static_cast<uint64_t>(hi) << 32) | lo;
  return true;
}

namespace {

// Parses and checks one table; `name_` prefixes every error.
class TableParser {
 public:
  TableParser(const std::string& name, absl::string_view file) : name_(name), file_(file) {}

  absl::Status Run(std::vector<TableReader::Entry>* entries) {
    if (file_.size() < kTableFooterSize) {
      return Corrupt(absl::StrCat("file is ", file_.size(), " bytes, shorter than the ",
                                  kTableFooterSize,
                                  "-byte table footer (truncated, or not a table)"));
    }
    absl::string_view footer = file_.substr(file_.size() - kTableFooterSize);
    absl::string_view magic_bytes = footer.substr(kTableFooterSize - 8);
    uint64_t magic = 0;
    GetFixed64(&magic_bytes, &magic);
    if (magic != kTableMagic) {
      return Corrupt(absl::StrCat("bad magic number 0x", absl::Hex(magic, absl::kZeroPad16),
                                  " at the end of the file (truncated, or not a table)"));
    }
    absl::string_view handles = footer.substr(0, kTableFooterSize - 8);
    BlockHandle metaindex, index;
    if (!GetVarint64(&handles, &metaindex.offset) || !GetVarint64(&handles, &metaindex.size) ||
        !GetVarint64(&handles, &index.offset) || !GetVarint64(&handles, &index.size)) {
      return Corrupt("footer block handles do not decode");
    }
    // Blocks live before the footer.
    data_end_ = file_.size() - kTableFooterSize;

    // The metaindex (filters; TensorFlow writes it empty) is not used, but a
    // broken one is still a sign of a broken file.
    std::string scratch;
    absl::string_view unused;
    if (auto s = ReadBlock(metaindex, "metaindex block", &scratch, &unused); !s.ok()) return s;

    std::string index_storage;
    absl::string_view index_contents;
    if (auto s = ReadBlock(index, "index block", &index_storage, &index_contents); !s.ok()) {
      return s;
    }
    std::vector<TableReader::Entry> index_entries;
    if (auto s = ParseBlock(index_contents, "index block", &index_entries); !s.ok()) return s;

    entries->clear();
    for (size_t i = 0; i < index_entries.size(); ++i) {
      absl::string_view hv = index_entries[i].second;
      BlockHandle h;
      if (!GetVarint64(&hv, &h.offset) || !GetVarint64(&hv, &h.size)) {
        return Corrupt(absl::StrCat("index entry ", i, " does not hold a block handle"));
      }
      const std::string what = absl::StrCat("data block ", i);
      std::string storage;
      absl::string_view contents;
      if (auto s = ReadBlock(h, what, &storage, &contents); !s.ok()) return s;
      const size_t first = entries->size();
      if (auto s = ParseBlock(contents, what, entries); !s.ok()) return s;
      // Keys must be strictly increasing, across blocks too.
      for (size_t k = std::max<size_t>(first, 1); k < entries->size(); ++k) {
        if (!((*entries)[k - 1].first < (*entries)[k].first)) {
          return Corrupt(absl::StrCat(what, ": keys out of order at entry ", k));
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat(name_, ": corrupt table: ", what));
  }

  // Checks the handle against the file, verifies the trailer's checksum and
  // decompresses if needed.  *contents points into the file or into *storage.
  absl::Status ReadBlock(const BlockHandle& h, absl::string_view what, std::string* storage,
                         absl::string_view* contents) {
    if (h.offset > data_end_ || h.size > data_end_ - h.offset ||
        kBlockTrailerSize > data_end_ - h.offset - h.size) {
      return Corrupt(absl::StrCat(what, " at offset ", h.offset, " with ", h.size,
                                  " bytes (+", kBlockTrailerSize,
                                  "-byte trailer) lies outside the ", data_end_,
                                  " bytes before the footer (truncated file?)"));
    }
    const size_t n = static_cast<size_t>(h.size);
    absl::string_view raw = file_.substr(static_cast<size_t>(h.offset), n + kBlockTrailerSize);
    const auto type = static_cast<unsigned char>(raw[n]);
    absl::string_view crc_bytes = raw.substr(n + 1);
    uint32_t stored = 0;
    GetFixed32(&crc_bytes, &stored);
    const uint32_t actual = Crc32c(raw.substr(0, n + 1));  // contents + type byte
    if (ChecksumMismatch(UnmaskCrc32c(stored), actual)) {
      return Corrupt(absl::StrCat(what, " at offset ", h.offset, ": checksum mismatch (stored 0x",
                                  absl::Hex(UnmaskCrc32c(stored), absl::kZeroPad8),
                                  ", computed 0x", absl::Hex(actual, absl::kZeroPad8), ")"));
    }
    switch (type) {
      case 0:
        *contents = raw.substr(0, n);
        return absl::OkStatus();
      case 1: {
        auto out = SnappyUncompress(raw.substr(0, n), /*max_output=*/size_t{1} << 30);
        if (!out.ok()) {
          return Corrupt(absl::StrCat(what, " at offset ", h.offset, ": ", out.status().message()));
        }
        *storage = std::move(out).value();
        *contents = *storage;
        return absl::OkStatus();
      }
      default:
        return absl::UnimplementedError(absl::StrCat(
            name_, ": ", what, " at offset ", h.offset, " uses compression type ",
            static_cast<int>(type), "; only 0 (none) and 1 (snappy) exist in this format"));
    }
  }

  // Appends the block's entries (full keys, values) to *out.
  absl::Status ParseBlock(absl::string_view block, absl::string_view what,
                          std::vector<TableReader::Entry>* out) {
    if (block.size() < 4) {
      return Corrupt(absl::StrCat(what, " is ", block.size(),
                                  " bytes, too short for its restart count"));
    }
    absl::string_view count_bytes = block.substr(block.size() - 4);
    uint32_t num_restarts = 0;
    GetFixed32(&count_bytes, &num_restarts);
    const size_t max_restarts = (block.size() - 4) / 4;
    if (num_restarts > max_restarts) {
      return Corrupt(absl::StrCat(what, " claims ", num_restarts, " restart points, room for ",
                                  max_restarts));
    }
    const size_t limit = block.size() - 4 - 4 * static_cast<size_t>(num_restarts);
    absl::string_view restarts = block.substr(limit, 4 * static_cast<size_t>(num_restarts));
    for (uint32_t i = 0; i < num_restarts; ++i) {
      uint32_t r = 0;
      GetFixed32(&restarts, &r);
      if (r > limit || (limit > 0 && r == limit)) {
        return Corrupt(absl::StrCat(what, ": restart point ", i, " (", r,
                                    ") is past the entries (", limit, " bytes)"));
      }
    }
    if (limit > 0 && num_restarts == 0) {
      return Corrupt(absl::StrCat(what, " has entries but no restart points"));
    }

    absl::string_view rest = block.substr(0, limit);
    std::string key;
    size_t index = 0;
    while (!rest.empty()) {
      uint32_t shared = 0, non_shared = 0, value_size = 0;
      if (!GetVarint32(&rest, &shared) || !GetVarint32(&rest, &non_shared) ||
          !GetVarint32(&rest, &value_size)) {
        return Corrupt(absl::StrCat(what, ": entry ", index, " has a truncated header"));
      }
      if (shared > key.size()) {
        return Corrupt(absl::StrCat(what, ": entry ", index, " shares ", shared,
                                    " key bytes with a previous key of ", key.size()));
      }
      if (non_shared > rest.size() || value_size > rest.size() - non_shared) {
        return Corrupt(absl::StrCat(what, ": entry ", index, " (key ", non_shared,
                                    " bytes, value ", value_size, " bytes) runs past the block"));
      }
      key.resize(shared);
      key.append(rest.data(), non_shared);
      out->emplace_back(key, std::string(rest.substr(non_shared, value_size)));
      rest.remove_prefix(static_cast<size_t>(non_shared) + value_size);
      ++index;
    }
    return absl::OkStatus();
  }

  const std::string& name_;
  absl::string_view file_;
  uint64_t data_end_ = 0;
};

}  // namespace

absl::StatusOr<TableReader> TableReader::Parse(const std::string& name,
                                               absl::string_view contents) {
  TableReader reader;
  reader.name_ = name;
  TableParser parser(name, contents);
  if (auto s = parser.Run(&reader.entries_); !s.ok()) return s;
  return reader;
}

absl::StatusOr<TableReader> TableReader::Open(const std::string& path) {
  auto contents = ReadFile(path);
  if (!contents.ok()) return contents.status();
  return Parse(path, *contents);
}

const std::string* TableReader::Find(absl::string_view key) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                             [](const Entry& e, absl::string_view k) { return e.first < k; });
  if (it == entries_.end() || it->first != key) return nullptr;
  return &it->second;
}

}  // namespace onnxsmith::checkpoint
