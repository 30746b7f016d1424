// Shared by the TensorBundle reader tests: runfile and corpus locations,
// scratch files, and a test-only writer of LevelDB tables and bundles (to
// reach shapes and corruptions the committed files do not have).
#ifndef ONNXSMITH_TESTS_UNIT_CHECKPOINT_TEST_UTIL_H_
#define ONNXSMITH_TESTS_UNIT_CHECKPOINT_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "converter/checkpoint/crc32c.h"
#include "converter/checkpoint/snappy.h"
#include "converter/checkpoint/table_reader.h"
#include "converter/checkpoint/tensor_bundle.h"
#include "converter/tf/proto/tensor_bundle.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/file_test_util.h"

namespace onnxsmith::checkpoint {

namespace fs = std::filesystem;


inline std::string Runfile(const std::string& rel) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return rel;  // run by hand from the workspace root
  return absl::StrCat(srcdir, "/", ws ? ws : "onnxsmith", "/", rel);
}

inline std::string TestdataPrefix(const std::string& name) {
  return Runfile("tests/testdata/checkpoint/" + name);
}

// $ONNXSMITH_CORPUS, else <repo>/../shared/corpus (as the oracle tests do),
// where <repo> is found by following a runfile back to the source tree.
inline std::string CorpusDir() {
  std::error_code ec;
  if (const char* env = std::getenv("ONNXSMITH_CORPUS"); env && *env) {
    return fs::is_directory(env, ec) ? env : "";
  }
  const fs::path real = fs::canonical(TestdataPrefix("mixed.index"), ec);
  if (ec) return "";
  const fs::path repo = real.parent_path().parent_path().parent_path().parent_path();
  const fs::path corpus = repo.parent_path() / "shared" / "corpus";
  return fs::is_directory(corpus, ec) ? corpus.string() : "";
}

using test_files::ReadAll;
using test_files::ScratchDir;
using test_files::WriteAll;

// Copies PREFIX.index and PREFIX.data-* into `dir`; returns the new prefix.
inline std::string CopyBundle(const std::string& prefix, const std::string& dir) {
  const fs::path src(prefix);
  const std::string stem = src.filename().string();
  for (const auto& f : fs::directory_iterator(src.parent_path())) {
    const std::string name = f.path().filename().string();
    if (absl::StartsWith(name, stem + ".")) {
      WriteAll((fs::path(dir) / name).string(), ReadAll(f.path().string()));
    }
  }
  return (fs::path(dir) / stem).string();
}

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Writes a table in the LevelDB layout (a test-only writer, to reach shapes
// the committed files do not have: many blocks, restarts, bad fields).
struct TableOptions {
  int restart_interval = 16;
  int entries_per_block = 1000;
  char compression = 0;  // stored as given, contents left uncompressed
};

inline std::string BuildBlock(const std::vector<std::pair<std::string, std::string>>& entries,
                       int restart_interval) {
  std::string out;
  std::vector<uint32_t> restarts;
  std::string prev;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [key, value] = entries[i];
    size_t shared = 0;
    if (i % restart_interval == 0) {
      restarts.push_back(static_cast<uint32_t>(out.size()));
    } else {
      while (shared < prev.size() && shared < key.size() && prev[shared] == key[shared]) ++shared;
    }
    PutVarint(&out, shared);
    PutVarint(&out, key.size() - shared);
    PutVarint(&out, value.size());
    out += key.substr(shared);
    out += value;
    prev = key;
  }
  if (restarts.empty()) restarts.push_back(0);
  for (uint32_t r : restarts) PutFixed32(&out, r);
  PutFixed32(&out, static_cast<uint32_t>(restarts.size()));
  return out;
}

// Appends block + trailer; returns the handle encoding.
inline std::string AppendBlock(std::string* file, const std::string& block, char compression) {
  std::string handle;
  PutVarint(&handle, file->size());
  PutVarint(&handle, block.size());
  std::string with_type = block + std::string(1, compression);
  *file += with_type;
  PutFixed32(file, MaskCrc32c(Crc32c(with_type)));
  return handle;
}

inline std::string BuildTable(const std::vector<std::pair<std::string, std::string>>& entries,
                       const TableOptions& opt = {}) {
  std::string file;
  std::vector<std::pair<std::string, std::string>> index;
  for (size_t start = 0; start < entries.size(); start += opt.entries_per_block) {
    std::vector<std::pair<std::string, std::string>> chunk(
        entries.begin() + start,
        entries.begin() + std::min(entries.size(), start + opt.entries_per_block));
    std::string handle =
        AppendBlock(&file, BuildBlock(chunk, opt.restart_interval), opt.compression);
    index.emplace_back(chunk.back().first, handle);
  }
  std::string meta = AppendBlock(&file, BuildBlock({}, 1), 0);
  std::string idx = AppendBlock(&file, BuildBlock(index, 1), 0);
  std::string footer = meta + idx;
  footer.resize(40, '\0');
  PutFixed32(&footer, static_cast<uint32_t>(kTableMagic));
  PutFixed32(&footer, static_cast<uint32_t>(kTableMagic >> 32));
  return file + footer;
}

inline tf::BundleHeaderProto Header(int num_shards = 1) {
  tf::BundleHeaderProto h;
  h.set_num_shards(num_shards);
  h.mutable_version()->set_producer(1);
  return h;
}

inline tf::BundleEntryProto FloatEntry(std::vector<int64_t> dims, int64_t offset, int64_t size,
                                uint32_t crc) {
  tf::BundleEntryProto e;
  e.set_dtype(tf::DT_FLOAT);
  for (int64_t d : dims) e.mutable_shape()->add_dim()->set_size(d);
  e.set_offset(offset);
  e.set_size(size);
  e.set_crc32c(MaskCrc32c(crc));
  return e;
}

// Writes a bundle with the given header and entries (data in one shard).
inline std::string WriteBundle(const std::string& dir, const tf::BundleHeaderProto& header,
                        const std::map<std::string, tf::BundleEntryProto>& entries,
                        const std::string& data) {
  std::vector<std::pair<std::string, std::string>> kv;
  kv.emplace_back("", header.SerializeAsString());
  for (const auto& [k, e] : entries) kv.emplace_back(k, e.SerializeAsString());
  const std::string prefix = dir + "/variables";
  WriteAll(prefix + ".index", BuildTable(kv));
  WriteAll(absl::StrCat(prefix, ".data-00000-of-0000", header.num_shards() > 0 ? header.num_shards() : 1),
           data);
  return prefix;
}

inline std::string FloatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

template <typename T>
inline std::vector<T> Values(const ir::Tensor& t) {
  auto s = t.data<T>();
  return std::vector<T>(s.begin(), s.end());
}

// Reads every variable; a map from key to (ok, value bytes or message).
inline std::map<std::string, std::string> ReadEverything(const TensorBundleReader& r,
                                                  std::vector<std::string>* errors) {
  std::map<std::string, std::string> out;
  for (const auto& k : r.Keys()) {
    auto t = r.Read(k);
    if (!t.ok()) {
      errors->push_back(absl::StrCat(k, ": ", t.status().ToString()));
      continue;
    }
    std::string v(t->raw());
    for (const auto& s : t->strings()) absl::StrAppend(&v, s.size(), ":", s, ";");
    out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------- CRC-32C

}  // namespace onnxsmith::checkpoint

#endif  // ONNXSMITH_TESTS_UNIT_CHECKPOINT_TEST_UTIL_H_
