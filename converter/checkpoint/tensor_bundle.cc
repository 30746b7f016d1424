#include "converter/checkpoint/tensor_bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/base/config.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/mapped_file.h"
#include "converter/checkpoint/crc32c.h"
#include "converter/checkpoint/table_reader.h"
#include "converter/tf/dtype.h"
#include "converter/tf/rank_limit.h"

namespace onnxsmith::checkpoint {
namespace {

// The bundle format version this reader implements (TensorFlow's
// kTensorBundleVersion); a writer may demand a newer consumer.
constexpr int kBundleVersion = 1;
// Same element cap as ir::Tensor.
constexpr int64_t kMaxElements = int64_t{1} << 40;

// Keys of the per-slice entries of partitioned variables start with the
// ordered-code encoding of 0, a NUL byte; variable names never do.
bool IsSliceKey(const std::string& key) { return !key.empty() && key[0] == '\0'; }

std::string Quote(const std::string& key) { return absl::StrCat("'", absl::CHexEscape(key), "'"); }

// Tensors this large are mapped from the shard rather than read into a copy
// (when their offset keeps the elements aligned): the converter's weights
// then live in the page cache once, and a mapping is released as soon as the
// converted tensor replaces it.
constexpr int64_t kMapBytes = int64_t{64} << 10;

// The bytes [offset, offset + size) of `path`, after checking the range
// against the file's real size (so a corrupt size never allocates past the
// file): mapped if `map`, else read into `*copy` (the view then points there).
absl::StatusOr<std::shared_ptr<const MappedRegion>> ReadRange(const std::string& path,
                                                               int64_t offset, int64_t size,
                                                               const std::string& key, bool map,
                                                               std::string* copy) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string why = std::strerror(err);
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat("variable ", Quote(key), ": data shard ", path,
                                              " is missing (", why, ")"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("variable ", Quote(key), ": cannot open data shard ", path, ": ", why));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("variable ", Quote(key), ": data shard ", path, " is not a regular file"));
  }
  const int64_t file_size = st.st_size;
  if (offset > file_size || size > file_size - offset) {
    close(fd);
    return absl::DataLossError(absl::StrCat(
        "variable ", Quote(key), ": data shard ", path, " is ", file_size,
        " bytes but the variable is stored at bytes [", offset, ", ",
        absl::StrCat(static_cast<uint64_t>(offset) + static_cast<uint64_t>(size)),
        ") (truncated shard, or a corrupt index entry)"));
  }
  if (map) {
    auto region = MapOpenFile(fd, offset, size);
    close(fd);
    if (!region.ok()) {
      return absl::Status(region.status().code(),
                          absl::StrCat("variable ", Quote(key), ": data shard ", path, ": ",
                                       region.status().message()));
    }
    return region;
  }
  std::string& out = *copy;
  out.assign(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = pread(fd, out.data() + done, out.size() - done,
                            static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "unexpected end of file";
      close(fd);
      return absl::DataLossError(absl::StrCat("variable ", Quote(key), ": reading data shard ",
                                              path, " failed: ", why));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return nullptr;
}

// Decodes a string tensor: n varint64 lengths, the masked CRC-32C of the
// lengths (each as a little-endian uint32, or uint64 when over 4 GiB), then
// the bytes.  *crc receives the checksum of the whole record as the writer
// computes it (lengths as integers, the length checksum, the bytes).
absl::Status DecodeStrings(absl::string_view data, int64_t n, std::vector<std::string>* values,
                           uint32_t* crc) {
  absl::string_view in = data;
  std::vector<uint64_t> lengths;
  lengths.reserve(static_cast<size_t>(n));  // n <= data.size(), checked by the caller
  uint32_t c = 0;
  uint64_t total = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t len = 0;
    if (!GetVarint64(&in, &len)) {
      return absl::DataLossError(absl::StrCat("length of string ", i, " does not decode"));
    }
    if (len > in.size() || total + len > in.size()) {
      return absl::DataLossError(absl::StrCat("string ", i, " claims ", len,
                                              " bytes, more than the entry holds"));
    }
    total += len;
    unsigned char le[8];
    const int width = len <= 0xffffffffu ? 4 : 8;
    for (int b = 0; b < width; ++b) le[b] = static_cast<unsigned char>(len >> (8 * b));
    c = Crc32cExtend(c, reinterpret_cast<const char*>(le), width);
    lengths.push_back(len);
  }
  absl::string_view raw_checksum = in.substr(0, 4);
  uint32_t stored = 0;
  if (!GetFixed32(&in, &stored)) {
    return absl::DataLossError("entry ends before the checksum of the string lengths");
  }
  if (ChecksumMismatch(UnmaskCrc32c(stored), c)) {
    return absl::DataLossError(absl::StrCat(
        "checksum of the string lengths does not match (stored 0x",
        absl::Hex(UnmaskCrc32c(stored), absl::kZeroPad8), ", computed 0x",
        absl::Hex(c, absl::kZeroPad8), ")"));
  }
  c = Crc32cExtend(c, raw_checksum.data(), raw_checksum.size());
  if (in.size() != total) {
    return absl::DataLossError(absl::StrCat("string bytes take ", in.size(),
                                            " bytes, the lengths add up to ", total));
  }
  c = Crc32cExtend(c, in.data(), in.size());
  values->clear();
  values->reserve(lengths.size());
  for (uint64_t len : lengths) {
    values->emplace_back(in.substr(0, static_cast<size_t>(len)));
    in.remove_prefix(static_cast<size_t>(len));
  }
  *crc = c;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TensorBundleReader> TensorBundleReader::Open(const std::string& prefix) {
  TensorBundleReader r;
  r.prefix_ = prefix;
  r.index_path_ = prefix + ".index";
  auto table = TableReader::Open(r.index_path_);
  if (!table.ok()) {
    return absl::Status(table.status().code(), absl::StrCat("cannot read checkpoint index: ",
                                                            table.status().message()));
  }
  const auto& entries = table->entries();
  if (entries.empty() || !entries.front().first.empty()) {
    return absl::DataLossError(absl::StrCat(
        r.index_path_, ": no header entry (empty key) in the checkpoint index"));
  }
  if (!r.header_.ParseFromString(entries.front().second)) {
    return absl::DataLossError(
        absl::StrCat(r.index_path_, ": the header entry does not parse as a BundleHeaderProto"));
  }
  if (r.header_.endianness() != tf::BundleHeaderProto::LITTLE) {
    return absl::UnimplementedError(absl::StrCat(
        r.index_path_, ": checkpoint was written on a big-endian machine; only little-endian "
                       "checkpoints are supported (re-save it on x86 or ARM)"));
  }
#if defined(ABSL_IS_BIG_ENDIAN)
  return absl::UnimplementedError("reading checkpoints on a big-endian host is not supported");
#endif
  const auto& v = r.header_.version();
  if (v.min_consumer() > kBundleVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        r.index_path_, ": checkpoint format needs a reader of version ", v.min_consumer(),
        " or newer; this one implements version ", kBundleVersion));
  }
  for (int bad : v.bad_consumers()) {
    if (bad == kBundleVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          r.index_path_, ": checkpoint format version excludes readers of version ",
          kBundleVersion));
    }
  }
  if (r.header_.num_shards() < 0) {
    return absl::DataLossError(absl::StrCat(r.index_path_, ": header declares ",
                                            r.header_.num_shards(), " data shards"));
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    tf::BundleEntryProto entry;
    if (!entry.ParseFromString(entries[i].second)) {
      return absl::DataLossError(absl::StrCat(r.index_path_, ": the entry for variable ",
                                              Quote(entries[i].first),
                                              " does not parse as a BundleEntryProto"));
    }
    r.entries_.emplace(entries[i].first, std::move(entry));
  }
  return r;
}

std::vector<std::string> TensorBundleReader::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) {
    if (!IsSliceKey(key)) keys.push_back(key);
  }
  return keys;
}

bool TensorBundleReader::Contains(const std::string& key) const {
  return entries_.count(key) > 0;
}

std::string TensorBundleReader::ShardPath(int shard_id) const {
  return absl::StrFormat("%s.data-%05d-of-%05d", prefix_, shard_id, header_.num_shards());
}

absl::StatusOr<const tf::BundleEntryProto*> TensorBundleReader::Entry(
    const std::string& key) const {
  auto it = entries_.find(key);
  if (it != entries_.end()) return &it->second;
  std::vector<std::string> keys = Keys();
  const size_t total = keys.size();
  if (keys.size() > 20) keys.resize(20);
  return absl::NotFoundError(absl::StrCat(
      "variable ", Quote(key), " is not in checkpoint ", index_path_, " (it holds ", total,
      " variables", total == 0 ? "" : ": ", absl::StrJoin(keys, ", "),
      total > keys.size() ? ", ..." : "", ")"));
}

absl::StatusOr<ir::Tensor> TensorBundleReader::Read(const std::string& key) const {
  auto found = Entry(key);
  if (!found.ok()) return found.status();
  const tf::BundleEntryProto& e = **found;
  const std::string where = absl::StrCat("variable ", Quote(key), " in ", index_path_);
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(where, ": ", what));
  };

  if (e.slices_size() > 0) {
    return absl::UnimplementedError(absl::StrCat(
        where, " is a partitioned variable saved as ", e.slices_size(),
        " slices; reading partitioned variables is not supported"));
  }
  auto dtype = converter::ToOnnxType(e.dtype());
  if (!dtype.ok()) {
    return absl::Status(dtype.status().code(), absl::StrCat(where, ": ", dtype.status().message()));
  }
  if (e.shape().unknown_rank()) return corrupt("stored shape has unknown rank");
  if (absl::Status s = converter::CheckTfRank(e.shape().dim_size(), "stored shape"); !s.ok()) {
    return corrupt(s.message());
  }
  std::vector<int64_t> dims;
  int64_t n = 1;
  for (const auto& d : e.shape().dim()) {
    if (d.size() < 0) return corrupt(absl::StrCat("stored shape has dimension ", d.size()));
    if (d.size() != 0 && n > kMaxElements / d.size()) {
      return corrupt(absl::StrCat("stored shape has more than 2^40 elements"));
    }
    n *= d.size();
    dims.push_back(d.size());
  }
  if (e.shard_id() < 0 || e.shard_id() >= header_.num_shards()) {
    return corrupt(absl::StrCat("shard id ", e.shard_id(), " is outside the ",
                                header_.num_shards(), " shards the header declares"));
  }
  if (e.offset() < 0 || e.size() < 0) {
    return corrupt(absl::StrCat("negative offset ", e.offset(), " or size ", e.size()));
  }
  const bool is_string = *dtype == ir::DataType::kString;
  if (!is_string) {
    const int64_t want = n * ir::ElementSize(*dtype);
    if (e.size() != want) {
      return corrupt(absl::StrCat("entry says ", e.size(), " bytes, but ",
                                  ir::DataTypeName(*dtype), " of shape [",
                                  absl::StrJoin(dims, ","), "] needs ", want));
    }
  } else if (e.size() < n) {  // each string needs at least one length byte
    return corrupt(absl::StrCat("entry says ", e.size(), " bytes, too few for ", n, " strings"));
  }

  const std::string shard = ShardPath(e.shard_id());
  std::string copy;
  std::shared_ptr<const MappedRegion> mapped;
  const bool map = !is_string && e.size() >= kMapBytes &&
                   e.offset() % std::max(1, ir::ElementSize(*dtype)) == 0;
  if (e.size() > 0) {
    auto read = ReadRange(shard, e.offset(), e.size(), key, map, &copy);
    if (!read.ok()) return read.status();
    mapped = *std::move(read);
  }
  const absl::string_view bytes = mapped ? mapped->bytes() : absl::string_view(copy);

  uint32_t actual = 0;
  std::vector<std::string> strings;
  if (is_string) {
    if (!bytes.empty() || n > 0) {
      if (auto s = DecodeStrings(bytes, n, &strings, &actual); !s.ok()) {
        return absl::DataLossError(absl::StrCat("variable ", Quote(key), " in data shard ", shard,
                                                ": ", s.message()));
      }
    }
  } else {
    actual = Crc32c(bytes);
    // Checked; the converter reads the bytes again when it needs them.
    if (mapped) ReleaseMappedPages(bytes);
  }
  if (ChecksumMismatch(UnmaskCrc32c(e.crc32c()), actual)) {
    return absl::DataLossError(absl::StrCat(
        "variable ", Quote(key), ": checksum mismatch in data shard ", shard, " bytes [",
        e.offset(), ", ", static_cast<uint64_t>(e.offset()) + static_cast<uint64_t>(e.size()),
        ") (stored 0x",
        absl::Hex(UnmaskCrc32c(e.crc32c()), absl::kZeroPad8), ", computed 0x",
        absl::Hex(actual, absl::kZeroPad8), "): the shard or the index is corrupt"));
  }

  if (is_string) return ir::Tensor::FromStrings(std::move(dims), std::move(strings));
  auto t = mapped ? ir::Tensor::FromShared(*dtype, std::move(dims), std::move(mapped), bytes)
                  : ir::Tensor::FromRaw(*dtype, std::move(dims), std::move(copy));
  if (!t.ok()) return absl::Status(t.status().code(), absl::StrCat(where, ": ", t.status().message()));
  return t;
}

}  // namespace onnxsmith::checkpoint
