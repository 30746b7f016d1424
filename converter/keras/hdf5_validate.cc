#include "converter/keras/hdf5_validate.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace onnxsmith::converter::keras::h5 {
namespace {

uint64_t LittleEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Sizes of offsets and lengths and the base address, from a superblock at 0.
// A superblock cut short, or with sizes h5py never writes, is refused here:
// libhdf5 1.10 grows a buffer to 2 GB on a 34-byte one (found by fuzzing,
// tests/bad_inputs/keras/hdf5_truncated_superblock.h5).
absl::Status ReadSuperblock(RawBytes* raw, const std::string& what) {
  const unsigned char* p = raw->data;
  if (raw->size < 8 || std::memcmp(p, kHdf5Signature, 8) != 0) return absl::OkStatus();
  const int version = raw->size > 8 ? p[8] : -1;
  const size_t sizes_at = version <= 1 ? 13 : 9;
  if (version < 0 || version > 3 || raw->size < sizes_at + 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": damaged HDF5 file (superblock version ", version, " in ", raw->size, " bytes)"));
  }
  const int offsets = p[sizes_at];
  const int lengths = p[sizes_at + 1];
  if ((offsets != 2 && offsets != 4 && offsets != 8) ||
      (lengths != 2 && lengths != 4 && lengths != 8)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": damaged HDF5 file (superblock sizes of ",
                                                   offsets, "-byte addresses and ", lengths,
                                                   "-byte lengths)"));
  }
  raw->offset_size = offsets;
  raw->length_size = lengths;
  // Fixed fields, 4 addresses, and for versions 0/1 the root group's symbol
  // table entry (2 addresses + 24 bytes); for 2/3 a root address + checksum.
  const size_t needed = version == 0   ? 48 + 6 * static_cast<size_t>(offsets)
                        : version == 1 ? 52 + 6 * static_cast<size_t>(offsets)
                                       : 16 + 4 * static_cast<size_t>(offsets);
  if (raw->size < needed) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": damaged HDF5 file (truncated superblock: ", raw->size, " of ", needed, " bytes)"));
  }
  const size_t base_at = version == 0 ? 24 : version == 1 ? 28 : 12;
  raw->base = LittleEndian(p + base_at, raw->offset_size);
  if (raw->base > raw->size) raw->base = 0;
  return absl::OkStatus();
}

// libhdf5 1.10 loops forever on some damaged global heap collections (the
// heap of variable-length strings, e.g. Keras 3's weight_names): walk every
// collection as libhdf5 does, refuse the file if one is inconsistent, and
// index the objects so heap IDs can be checked before libhdf5 follows them.
absl::Status IndexGlobalHeaps(RawBytes* raw, const std::string& what) {
  const int len = raw->length_size;
  const unsigned char* base = raw->data;
  const size_t size = raw->size;
  const absl::string_view bytes(reinterpret_cast<const char*>(base), size);
  const size_t coll_header = 8 + len;
  const size_t obj_header = 8 + len;
  size_t from = 0;
  while (true) {
    const size_t at = bytes.find("GCOL", from);
    if (at == absl::string_view::npos) break;
    from = at + 4;
    if (at + coll_header > size || base[at + 4] != 1) continue;  // not a collection
    const uint64_t coll_size = LittleEndian(base + at + 8, len);
    if (coll_size < coll_header + obj_header || coll_size > size - at) continue;
    const size_t end = at + coll_size;
    size_t p = at + coll_header;
    bool ok = true;
    std::map<uint32_t, uint64_t> objects;
    while (p < end) {
      if (p + obj_header > end) {  // a tail too small for a header: free space
        p = end;
        break;
      }
      const uint32_t idx = static_cast<uint32_t>(LittleEndian(base + p, 2));
      const uint64_t obj_size = LittleEndian(base + p + 8, len);
      uint64_t need;
      if (idx > 0) {
        if (obj_size > end - p) {
          ok = false;
          break;
        }
        need = obj_header + ((obj_size + 7) / 8) * 8;
        objects[idx] = obj_size;
      } else {
        need = obj_size;
      }
      if (need < obj_header || need > end - p) {
        ok = false;
        break;
      }
      p += need;
    }
    if (!ok || p != end) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": damaged HDF5 file (inconsistent global heap at byte ", at, ")"));
    }
    if (at >= raw->base) raw->heaps[at - raw->base] = std::move(objects);
  }
  return absl::OkStatus();
}

// --- object headers, to find an attribute's raw data ---

struct Range {
  size_t begin;
  size_t end;
};

// Calls fn(type, data, size) for each message of the object header at
// `addr` (relative), following continuation blocks. False if the header
// cannot be parsed.
template <typename Fn>
bool ForEachHeaderMessage(const RawBytes& raw, uint64_t addr, Fn fn) {
  const unsigned char* d = raw.data;
  const size_t n = raw.size;
  if (addr > n - raw.base) return false;
  const size_t at = static_cast<size_t>(addr + raw.base);
  std::vector<Range> blocks;
  bool v2 = false;
  bool creation_order = false;
  if (at + 16 <= n && d[at] == 1) {
    const uint32_t header_size = static_cast<uint32_t>(LittleEndian(d + at + 8, 4));
    if (header_size > n - (at + 16)) return false;
    blocks.push_back({at + 16, at + 16 + header_size});
  } else if (at + 8 <= n && std::memcmp(d + at, "OHDR", 4) == 0 && d[at + 4] == 2) {
    v2 = true;
    const unsigned flags = d[at + 5];
    creation_order = flags & 0x04;
    size_t p = at + 6;
    if (flags & 0x20) p += 16;
    if (flags & 0x10) p += 4;
    const int width = 1 << (flags & 3);
    if (p + width > n) return false;
    const uint64_t chunk = LittleEndian(d + p, width);
    p += width;
    if (chunk > n - p) return false;
    blocks.push_back({p, static_cast<size_t>(p + chunk)});
  } else {
    return false;
  }
  int messages = 0;
  for (size_t b = 0; b < blocks.size(); ++b) {
    if (b > 1000) return false;
    size_t p = blocks[b].begin;
    const size_t end = blocks[b].end;
    const size_t mh = v2 ? (creation_order ? 6 : 4) : 8;
    while (p + mh <= end) {
      if (++messages > 100000) return false;
      unsigned type;
      size_t size;
      if (v2) {
        type = d[p];
        size = static_cast<size_t>(LittleEndian(d + p + 1, 2));
      } else {
        type = static_cast<unsigned>(LittleEndian(d + p, 2));
        size = static_cast<size_t>(LittleEndian(d + p + 2, 2));
      }
      const size_t data = p + mh;
      if (size > end - data) return false;
      if (type == 0x10) {  // continuation: address, length
        if (size < static_cast<size_t>(raw.offset_size + raw.length_size)) return false;
        const uint64_t c_addr = LittleEndian(d + data, raw.offset_size);
        const uint64_t c_len = LittleEndian(d + data + raw.offset_size, raw.length_size);
        if (c_addr > n - raw.base || c_len > n - (c_addr + raw.base)) return false;
        size_t c_begin = static_cast<size_t>(c_addr + raw.base);
        size_t c_end = c_begin + static_cast<size_t>(c_len);
        if (v2) {  // "OCHK" ... checksum
          if (c_len < 8 || std::memcmp(d + c_begin, "OCHK", 4) != 0) return false;
          c_begin += 4;
          c_end -= 4;
        }
        blocks.push_back({c_begin, c_end});
      } else {
        fn(type, d + data, size);
      }
      p = data + size;
    }
  }
  return true;
}

size_t Pad8(size_t x) { return (x + 7) / 8 * 8; }

}  // namespace

RawBytes::~RawBytes() {
  if (mapped && data != nullptr) munmap(const_cast<unsigned char*>(data), size);
}

std::shared_ptr<RawBytes> MapRawBytes(const std::string& path, int64_t size) {
  auto raw = std::make_shared<RawBytes>();
  if (size <= 0) return raw;
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return nullptr;
  void* map = mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return nullptr;
  raw->data = static_cast<const unsigned char*>(map);
  raw->size = static_cast<size_t>(size);
  raw->mapped = true;
  return raw;
}

absl::Status ValidateRawBytes(RawBytes* raw, const std::string& what) {
  if (absl::Status s = ReadSuperblock(raw, what); !s.ok()) return s;
  return IndexGlobalHeaps(raw, what);
}

absl::Status CheckVlenAttribute(const RawBytes& raw, uint64_t addr, const std::string& name,
                                const std::string& what) {
  absl::Status status;
  bool parsed = ForEachHeaderMessage(raw, addr, [&](unsigned type, const unsigned char* m,
                                                    size_t size) {
    if (type != 0x0C || !status.ok() || size < 8) return;
    const int version = m[0];
    const unsigned flags = m[1];
    const size_t name_size = static_cast<size_t>(LittleEndian(m + 2, 2));
    const size_t dt_size = static_cast<size_t>(LittleEndian(m + 4, 2));
    const size_t ds_size = static_cast<size_t>(LittleEndian(m + 6, 2));
    size_t p = version == 3 ? 9 : 8;
    auto advance = [&](size_t k) { return version == 1 ? Pad8(k) : k; };
    if (p + name_size > size || name_size == 0) return;
    const std::string attr_name(reinterpret_cast<const char*>(m + p),
                                strnlen(reinterpret_cast<const char*>(m + p), name_size));
    if (attr_name != name) return;
    auto bad = [&](const char* why) {
      status = absl::InvalidArgumentError(
          absl::StrCat(what, ": damaged HDF5 file (attribute '", name, "': ", why, ")"));
    };
    if (version < 1 || version > 3) return bad("unknown attribute message version");
    if (version >= 2 && (flags & 0x03)) return;  // shared datatype/dataspace: not checked
    p += advance(name_size);
    if (p + dt_size > size || dt_size < 8) return bad("truncated datatype");
    const unsigned char* dt = m + p;
    p += advance(dt_size);
    if (p + ds_size > size || ds_size < 4) return bad("truncated dataspace");
    const unsigned char* ds = m + p;
    p += advance(ds_size);
    if ((dt[0] & 0x0F) != 9) return;  // not variable-length: no heap IDs
    // Dataspace: element count.
    const int ds_version = ds[0];
    const int rank = ds[1];
    uint64_t elements = 1;
    size_t dims_at = ds_version == 1 ? 8 : 4;
    if (ds_version == 2 && ds[3] == 2) elements = 0;  // null dataspace
    if (rank > 32 || dims_at + static_cast<size_t>(rank) * raw.length_size > ds_size) {
      return bad("bad dataspace");
    }
    for (int r = 0; r < rank; ++r) {
      const uint64_t dim = LittleEndian(ds + dims_at + r * raw.length_size, raw.length_size);
      if (dim != 0 && elements > (uint64_t{1} << 32) / dim) return bad("too many elements");
      elements *= dim;
    }
    const size_t element = 4 + raw.offset_size + 4;
    if (elements > (size - p) / element) return bad("data shorter than its dataspace");
    for (uint64_t e = 0; e < elements; ++e) {
      const unsigned char* id = m + p + e * element;
      const uint64_t length = LittleEndian(id, 4);
      const uint64_t heap = LittleEndian(id + 4, raw.offset_size);
      const uint32_t index = static_cast<uint32_t>(LittleEndian(id + 4 + raw.offset_size, 4));
      if (length == 0 && heap == 0) continue;  // empty / null string
      auto c = raw.heaps.find(heap);
      if (c == raw.heaps.end()) return bad("string in no global heap collection");
      auto o = c->second.find(index);
      if (o == c->second.end()) return bad("string refers to a missing heap object");
      if (length > o->second) return bad("string longer than its heap object");
    }
  });
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": damaged HDF5 file (unreadable object header)"));
  }
  return status;
}

}  // namespace onnxsmith::converter::keras::h5
