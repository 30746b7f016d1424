#include "converter/checkpoint/snappy.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace onnxsmith::checkpoint {
namespace {

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("corrupt snappy data: ", what));
}

}  // namespace

absl::StatusOr<std::string> SnappyUncompress(absl::string_view in, size_t max_output) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = p + in.size();

  // Preamble: the uncompressed length as a varint of at most 32 bits.
  uint64_t declared = 0;
  for (int shift = 0;; shift += 7) {
    if (p == end) return Corrupt("truncated length preamble");
    if (shift > 28) return Corrupt("length preamble longer than 5 bytes");
    const unsigned char b = *p++;
    declared |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  if (declared > 0xffffffffu) return Corrupt("declared length over 4 GiB");
  // A 3-byte copy element expands to at most 64 bytes, so no valid stream
  // grows by more than 22x: anything larger is corruption, not data.
  const uint64_t remaining = static_cast<uint64_t>(end - p);
  if (declared > remaining * 22 + 64) {
    return Corrupt(absl::StrCat("declared length ", declared, " cannot come from ",
                                in.size(), " compressed bytes"));
  }
  if (declared > max_output) {
    return Corrupt(absl::StrCat("declared length ", declared, " is over the limit of ",
                                max_output, " bytes"));
  }

  std::string out;
  out.reserve(static_cast<size_t>(declared));
  while (p < end) {
    const unsigned char tag = *p++;
    const int kind = tag & 3;
    if (kind == 0) {  // literal
      uint64_t len = tag >> 2;
      if (len >= 60) {
        const int nbytes = static_cast<int>(len) - 59;  // 1..4 little-endian bytes
        if (end - p < nbytes) return Corrupt("truncated literal length");
        len = 0;
        for (int i = 0; i < nbytes; ++i) len |= static_cast<uint64_t>(p[i]) << (8 * i);
        p += nbytes;
      }
      len += 1;
      if (static_cast<uint64_t>(end - p) < len) return Corrupt("literal runs past the input");
      if (len > declared - out.size()) return Corrupt("output longer than declared");
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
      p += len;
      continue;
    }
    uint64_t len = 0;
    uint64_t offset = 0;
    if (kind == 1) {  // copy, 11-bit offset, length 4..11
      if (end - p < 1) return Corrupt("truncated copy");
      len = 4 + ((tag >> 2) & 7);
      offset = (static_cast<uint64_t>(tag >> 5) << 8) | p[0];
      p += 1;
    } else if (kind == 2) {  // copy, 16-bit offset, length 1..64
      if (end - p < 2) return Corrupt("truncated copy");
      len = 1 + (tag >> 2);
      offset = static_cast<uint64_t>(p[0]) | (static_cast<uint64_t>(p[1]) << 8);
      p += 2;
    } else {  // copy, 32-bit offset, length 1..64
      if (end - p < 4) return Corrupt("truncated copy");
      len = 1 + (tag >> 2);
      offset = static_cast<uint64_t>(p[0]) | (static_cast<uint64_t>(p[1]) << 8) |
               (static_cast<uint64_t>(p[2]) << 16) | (static_cast<uint64_t>(p[3]) << 24);
      p += 4;
    }
    if (offset == 0 || offset > out.size()) {
      return Corrupt(absl::StrCat("copy from offset ", offset, " with only ", out.size(),
                                  " bytes produced"));
    }
    if (len > declared - out.size()) return Corrupt("output longer than declared");
    // Copies may overlap their own output (offset < len repeats a pattern),
    // so go byte by byte.
    size_t from = out.size() - static_cast<size_t>(offset);
    for (uint64_t i = 0; i < len; ++i) out.push_back(out[from + i]);
  }
  if (out.size() != declared) {
    return Corrupt(absl::StrCat("produced ", out.size(), " bytes, the preamble declares ",
                                declared));
  }
  return out;
}

}  // namespace onnxsmith::checkpoint
