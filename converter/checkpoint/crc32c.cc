#include "converter/checkpoint/crc32c.h"

#include <array>
#include <cstring>

namespace onnxsmith::checkpoint {
namespace {

// Reflected Castagnoli polynomial.
constexpr uint32_t kPoly = 0x82f63b78u;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC
// contribution of byte b followed by k zero bytes, so eight bytes can be
// folded in per step ("slicing by 8").
struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t;
  Tables() {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t c = b;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][b] = c;
    }
    for (int k = 1; k < 8; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t prev = t[k - 1][b];
        t[k][b] = (prev >> 8) ^ t[0][prev & 0xff];
      }
    }
  }
};

const Tables& GetTables() {
  static const Tables* tables = new Tables();
  return *tables;
}

inline uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes this same polynomial, about five times
// as fast as the tables: checking a large checkpoint's every byte then costs
// little next to reading it.
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const char* data,
                                                          size_t n) {
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, data, 8);
    c = __builtin_ia32_crc32di(c, v);
    data += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++data) c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*data));
  return ~c32;
}

bool HasCrc32Instruction() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (HasCrc32Instruction()) return Crc32cHardware(crc, data, n);
#endif
  const auto& t = GetTables().t;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    c ^= LoadLe32(p);
    c = t[7][c & 0xff] ^ t[6][(c >> 8) & 0xff] ^ t[5][(c >> 16) & 0xff] ^ t[4][c >> 24] ^
        t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = t[0][(c ^ *p) & 0xff] ^ (c >> 8);
    ++p;
    --n;
  }
  return ~c;
}

namespace {
bool ignore_checksums = false;
}  // namespace

void SetIgnoreChecksumsForFuzzing(bool ignore) { ignore_checksums = ignore; }
bool ChecksumsIgnored() { return ignore_checksums; }

}  // namespace onnxsmith::checkpoint
