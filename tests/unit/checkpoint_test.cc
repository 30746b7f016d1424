// TensorBundle (TF V2 checkpoint) reader: CRC-32C, Snappy, the table format,
// the committed test bundles (tests/testdata/checkpoint, made by
// make_testdata.py with TensorFlow), the SavedModel variables of the shared
// corpus (skipped when absent), and corrupt inputs of every kind.
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

namespace onnxsmith::checkpoint {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// ---------------------------------------------------------------- helpers

std::string Runfile(const std::string& rel) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return rel;  // run by hand from the workspace root
  return absl::StrCat(srcdir, "/", ws ? ws : "onnxsmith", "/", rel);
}

std::string TestdataPrefix(const std::string& name) {
  return Runfile("tests/testdata/checkpoint/" + name);
}

// $ONNXSMITH_CORPUS, else <repo>/../shared/corpus (as the oracle tests do),
// where <repo> is found by following a runfile back to the source tree.
std::string CorpusDir() {
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

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A fresh directory under the test's temp dir.
std::string ScratchDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// Copies PREFIX.index and PREFIX.data-* into `dir`; returns the new prefix.
std::string CopyBundle(const std::string& prefix, const std::string& dir) {
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

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Writes a table in the LevelDB layout (a test-only writer, to reach shapes
// the committed files do not have: many blocks, restarts, bad fields).
struct TableOptions {
  int restart_interval = 16;
  int entries_per_block = 1000;
  char compression = 0;  // stored as given, contents left uncompressed
};

std::string BuildBlock(const std::vector<std::pair<std::string, std::string>>& entries,
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
std::string AppendBlock(std::string* file, const std::string& block, char compression) {
  std::string handle;
  PutVarint(&handle, file->size());
  PutVarint(&handle, block.size());
  std::string with_type = block + std::string(1, compression);
  *file += with_type;
  PutFixed32(file, MaskCrc32c(Crc32c(with_type)));
  return handle;
}

std::string BuildTable(const std::vector<std::pair<std::string, std::string>>& entries,
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

tf::BundleHeaderProto Header(int num_shards = 1) {
  tf::BundleHeaderProto h;
  h.set_num_shards(num_shards);
  h.mutable_version()->set_producer(1);
  return h;
}

tf::BundleEntryProto FloatEntry(std::vector<int64_t> dims, int64_t offset, int64_t size,
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
std::string WriteBundle(const std::string& dir, const tf::BundleHeaderProto& header,
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

std::string FloatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

template <typename T>
std::vector<T> Values(const ir::Tensor& t) {
  auto s = t.data<T>();
  return std::vector<T>(s.begin(), s.end());
}

// Reads every variable; a map from key to (ok, value bytes or message).
std::map<std::string, std::string> ReadEverything(const TensorBundleReader& r,
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

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
  std::string inc;
  for (int i = 0; i < 32; ++i) inc.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(inc), 0x46dd794eu);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, ExtendMatchesWholeAtEverySplit) {
  std::string data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t c = Crc32cExtend(0, data.data(), split);
    c = Crc32cExtend(c, data.data() + split, data.size() - split);
    EXPECT_EQ(c, whole) << split;
  }
}

TEST(Crc32cTest, MaskRoundTrips) {
  for (uint32_t v : {0u, 1u, 0xe3069283u, 0xffffffffu, 0x80000000u}) {
    EXPECT_NE(MaskCrc32c(v), v);
    EXPECT_EQ(UnmaskCrc32c(MaskCrc32c(v)), v);
  }
  EXPECT_EQ(MaskCrc32c(0), kCrc32cMaskDelta);
}

// ---------------------------------------------------------------- Snappy

TEST(SnappyTest, LiteralsAndOverlappingCopies) {
  // 11 bytes: literal "ab", then copy 9 bytes from 2 back (overlapping).
  auto out = SnappyUncompress(std::string("\x0b\x04" "ab" "\x15\x02", 6));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "abababababa");
  // 2-byte-offset copy (tag 2): length 3 from 4 back.
  out = SnappyUncompress(std::string("\x07\x0c" "wxyz" "\x0a\x04\x00", 9));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "wxyzwxy");
  // Long literal: tag 60 << 2, one length byte (len - 1 = 69).
  std::string lit(70, 'q');
  out = SnappyUncompress(std::string("\x46\xf0\x45", 3) + lit);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, lit);
  out = SnappyUncompress(std::string("\x00", 1));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "");
}

TEST(SnappyTest, RejectsCorruptStreams) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "preamble"},
      {std::string("\xff\xff\xff\xff\xff\xff", 6), "preamble"},
      {std::string("\xff\xff\xff\x0f\x00", 5), "cannot come from"},  // ~4 GiB from 1 byte
      {std::string("\x05\x10" "ab", 4), "past the input"},           // literal of 5, 2 given
      {std::string("\x04\x04" "ab" "\x05\x00", 6), "offset 0"},         // copy offset 0
      {std::string("\x08\x04" "ab" "\x05\x07", 6), "offset 7"},         // copy before start
      {std::string("\x03\x04" "ab", 4), "declares 3"},                 // short output
      {std::string("\x01\x04" "ab", 4), "longer than declared"},
      {std::string("\x05\x04" "ab" "\x02\x01", 6), "truncated copy"},
      {std::string("\x05\xf4\x01", 3), "truncated literal length"},
  };
  for (const auto& [in, why] : bad) {
    auto out = SnappyUncompress(in);
    ASSERT_FALSE(out.ok()) << absl::CHexEscape(in);
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(why)) << absl::CHexEscape(in);
  }
  // The declared size is capped before anything is allocated.
  auto big = SnappyUncompress(std::string("\x80\x80\x40", 3) + std::string(60000, '\0'), 1000);
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(std::string(big.status().message()), HasSubstr("over the limit"));
}

// ---------------------------------------------------------------- table

TEST(TableReaderTest, ManyBlocksRestartsAndSharedPrefixes) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < 500; ++i) {
    kv.emplace_back(absl::StrCat("layer_", 1000 + i, "/kernel/.ATTRIBUTES/VARIABLE_VALUE"),
                    std::string(static_cast<size_t>(i % 7), static_cast<char>('a' + i % 26)));
  }
  for (int restart : {1, 3, 16}) {
    for (int per_block : {1, 7, 1000}) {
      const std::string bytes = BuildTable(kv, {restart, per_block, 0});
      auto t = TableReader::Parse("mem.index", bytes);
      ASSERT_TRUE(t.ok()) << t.status();
      EXPECT_EQ(t->entries(), kv);
      ASSERT_NE(t->Find(kv[123].first), nullptr);
      EXPECT_EQ(*t->Find(kv[123].first), kv[123].second);
      EXPECT_EQ(t->Find("layer_"), nullptr);
    }
  }
}

TEST(TableReaderTest, EmptyTable) {
  auto t = TableReader::Parse("empty.index", BuildTable({}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->entries().empty());
}

TEST(TableReaderTest, CorruptTablesAreErrorsNamingTheFile) {
  const std::vector<std::pair<std::string, std::string>> kv = {
      {"", "header"}, {"alpha", "1"}, {"beta", "22"}, {"gamma", "333"}};
  const std::string good = BuildTable(kv, {1, 2, 0});
  auto expect_error = [](const std::string& bytes, const std::string& why) {
    auto t = TableReader::Parse("bad.index", bytes);
    ASSERT_FALSE(t.ok()) << why;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("bad.index"));
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(why));
  };
  expect_error("", "shorter than the 48-byte table footer");
  expect_error(good.substr(0, good.size() - 1), "bad magic");
  expect_error(good.substr(1), "");  // shifted: handles point at the wrong bytes

  std::string bad = good;
  bad[good.size() - 1] ^= 1;
  expect_error(bad, "bad magic");

  bad = good;
  bad[2] ^= 0x40;  // inside the first data block
  expect_error(bad, "checksum mismatch");

  // Footer handle far past the end of the file.
  bad = good;
  std::string far;
  PutVarint(&far, uint64_t{1} << 62);
  PutVarint(&far, 10);
  bad.replace(good.size() - 48, far.size(), far);
  expect_error(bad, "outside");

  // Footer handle whose varint never ends.
  bad = good;
  for (size_t i = good.size() - 48; i < good.size() - 8; ++i) bad[i] = '\xff';
  expect_error(bad, "do not decode");

  // Unknown compression type with a valid checksum.
  auto t = TableReader::Parse("bad.index", BuildTable(kv, {1, 2, 7}));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("compression type 7"));

  // Snappy flag on bytes that are not snappy: a clear error, not a crash.
  t = TableReader::Parse("bad.index", BuildTable(kv, {1, 2, 1}));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("snappy"));

  // Keys out of order.
  t = TableReader::Parse("bad.index", BuildTable({{"b", ""}, {"a", ""}}, {1, 1, 0}));
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("out of order"));

  // A block whose restart count claims more than it holds, and an entry that
  // runs past its block (both with valid checksums).
  for (const std::string& block :
       {std::string("\x00\x00\x00\x00\xff\xff\x00\x00", 8),
        std::string("\x00\x05\x01" "ab", 5) + std::string("\x00\x00\x00\x00\x01\x00\x00\x00", 8),
        std::string("\x03\x01\x00" "a", 4) + std::string("\x00\x00\x00\x00\x01\x00\x00\x00", 8)}) {
    std::string file;
    std::string data_handle = AppendBlock(&file, block, 0);
    std::string meta = AppendBlock(&file, BuildBlock({}, 1), 0);
    std::string idx = AppendBlock(&file, BuildBlock({{"z", data_handle}}, 1), 0);
    std::string footer = meta + idx;
    footer.resize(40, '\0');
    PutFixed32(&footer, static_cast<uint32_t>(kTableMagic));
    PutFixed32(&footer, static_cast<uint32_t>(kTableMagic >> 32));
    t = TableReader::Parse("bad.index", file + footer);
    ASSERT_FALSE(t.ok()) << absl::CHexEscape(block);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("data block 0"));
  }
}

TEST(TableReaderTest, MissingFile) {
  auto t = TableReader::Open("/nonexistent/dir/variables.index");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("/nonexistent/dir/variables.index"));
}

// ---------------------------------------------------------------- bundles written by TF

TEST(TensorBundleTest, ReadsEveryDtype) {
  auto r = TensorBundleReader::Open(TestdataPrefix("mixed"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->header().num_shards(), 1);
  EXPECT_EQ(r->Keys(), (std::vector<std::string>{"bf16", "dense/kernel", "empty", "f64", "flags",
                                                 "global_step", "half", "i16", "i32", "i64", "i8",
                                                 "u8", "words"}));

  auto kernel = r->Read("dense/kernel");
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  EXPECT_EQ(kernel->dtype(), ir::DataType::kFloat);
  EXPECT_EQ(kernel->dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>(*kernel), (std::vector<float>{1.5f, -2.0f, 3.25f, 0.0f, 4.0f, -0.5f}));

  auto f64 = r->Read("f64");
  ASSERT_TRUE(f64.ok()) << f64.status();
  EXPECT_EQ(f64->dtype(), ir::DataType::kDouble);
  EXPECT_TRUE(f64->dims().empty());
  EXPECT_EQ(Values<double>(*f64), std::vector<double>{2.718281828459045});

  auto i32 = r->Read("i32");
  ASSERT_TRUE(i32.ok());
  EXPECT_EQ(Values<int32_t>(*i32), (std::vector<int32_t>{7, -8, 9}));
  auto i64 = r->Read("i64");
  ASSERT_TRUE(i64.ok());
  EXPECT_EQ(Values<int64_t>(*i64), (std::vector<int64_t>{int64_t{1} << 40, -3}));
  auto step = r->Read("global_step");
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->dtype(), ir::DataType::kInt64);
  EXPECT_EQ(Values<int64_t>(*step), std::vector<int64_t>{42});
  auto u8 = r->Read("u8");
  ASSERT_TRUE(u8.ok());
  EXPECT_EQ(Values<uint8_t>(*u8), (std::vector<uint8_t>{0, 255}));
  auto i8 = r->Read("i8");
  ASSERT_TRUE(i8.ok());
  EXPECT_EQ(Values<int8_t>(*i8), (std::vector<int8_t>{-128, 127}));
  auto i16 = r->Read("i16");
  ASSERT_TRUE(i16.ok());
  EXPECT_EQ(Values<int16_t>(*i16), (std::vector<int16_t>{-300, 300}));
  auto flags = r->Read("flags");
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->dtype(), ir::DataType::kBool);
  EXPECT_EQ(flags->raw(), std::string("\x01\x00\x01", 3));
  auto half = r->Read("half");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->dtype(), ir::DataType::kFloat16);
  EXPECT_EQ(Values<uint16_t>(*half), (std::vector<uint16_t>{0x3c00, 0xc100}));
  auto bf16 = r->Read("bf16");
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(bf16->dtype(), ir::DataType::kBfloat16);
  EXPECT_EQ(Values<uint16_t>(*bf16), (std::vector<uint16_t>{0x3f80, 0xc020}));

  auto empty = r->Read("empty");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->dims(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(empty->num_elements(), 0);

  auto words = r->Read("words");
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_EQ(words->dtype(), ir::DataType::kString);
  EXPECT_EQ(words->strings(), (std::vector<std::string>{"hello", "", "checkpoint"}));

  auto entry = r->Entry("dense/kernel");
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ((*entry)->dtype(), tf::DT_FLOAT);

  auto missing = r->Read("dense/bias");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("'dense/bias'"));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("mixed.index"));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("dense/kernel"));
}

TEST(TensorBundleTest, ReadsTwoShards) {
  auto r = TensorBundleReader::Open(TestdataPrefix("sharded"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->header().num_shards(), 2);
  auto alpha = r->Read("alpha");
  ASSERT_TRUE(alpha.ok()) << alpha.status();
  EXPECT_EQ(Values<float>(*alpha), (std::vector<float>{1.0f, 2.0f}));
  auto beta = r->Read("beta");
  ASSERT_TRUE(beta.ok()) << beta.status();
  EXPECT_EQ(Values<int32_t>(*beta), (std::vector<int32_t>{3, 4, 5}));
  EXPECT_NE((*r->Entry("alpha"))->shard_id(), (*r->Entry("beta"))->shard_id());
}

TEST(TensorBundleTest, RefusesPartitionedVariables) {
  auto r = TensorBundleReader::Open(TestdataPrefix("sliced"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Keys(), std::vector<std::string>{"part"});
  auto part = r->Read("part");
  ASSERT_FALSE(part.ok());
  EXPECT_EQ(part.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(part.status().message()), HasSubstr("'part'"));
  EXPECT_THAT(std::string(part.status().message()), HasSubstr("partitioned"));
}

// ---------------------------------------------------------------- the shared corpus

class CorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    corpus_ = CorpusDir();
    if (corpus_.empty()) GTEST_SKIP() << "model corpus not found (set ONNXSMITH_CORPUS)";
  }
  absl::StatusOr<TensorBundleReader> Open(const std::string& model) {
    return TensorBundleReader::Open(corpus_ + "/savedmodel/" + model + "/variables/variables");
  }
  float ReadFloat(const TensorBundleReader& r, const std::string& key) {
    auto t = r.Read(key);
    EXPECT_TRUE(t.ok()) << t.status();
    if (!t.ok()) return -1;
    EXPECT_EQ(t->dtype(), ir::DataType::kFloat) << key;
    EXPECT_TRUE(t->dims().empty()) << key;
    return t->data<float>()[0];
  }
  std::string corpus_;
};

TEST_F(CorpusTest, EveryBundleReadsCompletely) {
  int bundles = 0;
  for (const auto& model : fs::directory_iterator(corpus_ + "/savedmodel")) {
    const fs::path index = model.path() / "variables" / "variables.index";
    if (!fs::exists(index)) continue;
    ++bundles;
    auto r = TensorBundleReader::Open((model.path() / "variables" / "variables").string());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->Keys().empty()) << model.path();
    for (const auto& key : r->Keys()) {
      auto t = r->Read(key);
      EXPECT_TRUE(t.ok()) << model.path() << " " << key << ": " << t.status();
    }
  }
  EXPECT_GE(bundles, 5);
}

TEST_F(CorpusTest, HalfPlusTwoTf1) {
  // Written by TF 1.0: its index blocks are Snappy-compressed.
  auto r = Open("half_plus_two_cpu");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Keys(), (std::vector<std::string>{"a", "a2", "b", "c", "c2"}));
  EXPECT_EQ(ReadFloat(*r, "a"), 0.5f);
  EXPECT_EQ(ReadFloat(*r, "b"), 2.0f);
  EXPECT_EQ(ReadFloat(*r, "c"), 3.0f);
}

TEST_F(CorpusTest, HalfPlusTwoTf2) {
  auto r = Open("half_plus_two_tf2_cpu");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ReadFloat(*r, "a/.ATTRIBUTES/VARIABLE_VALUE"), 0.5f);
  EXPECT_EQ(ReadFloat(*r, "b/.ATTRIBUTES/VARIABLE_VALUE"), 2.0f);
  EXPECT_EQ(ReadFloat(*r, "c/.ATTRIBUTES/VARIABLE_VALUE"), 3.0f);
  // The object graph is a serialized proto in a scalar string tensor.
  auto graph = r->Read("_CHECKPOINTABLE_OBJECT_GRAPH");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->strings().size(), 1u);
  EXPECT_THAT(graph->strings()[0], HasSubstr("a/.ATTRIBUTES/VARIABLE_VALUE"));
}

TEST_F(CorpusTest, TfjsInt64Multiply) {
  auto r = Open("tfjs_int64_multiply");
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& [key, want] : std::vector<std::pair<std::string, int64_t>>{
           {"v1/.ATTRIBUTES/VARIABLE_VALUE", 3}, {"v2/.ATTRIBUTES/VARIABLE_VALUE", 2}}) {
    auto t = r->Read(key);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->dtype(), ir::DataType::kInt64);
    EXPECT_EQ(Values<int64_t>(*t), std::vector<int64_t>{want});
  }
}

TEST_F(CorpusTest, TfjsMultiOutput) {
  auto r = Open("tfjs_model_multi_output");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ReadFloat(*r, "v/.ATTRIBUTES/VARIABLE_VALUE"), 3.0f);
  auto two = r->Read("two/.ATTRIBUTES/VARIABLE_VALUE");
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->dtype(), ir::DataType::kInt32);
  EXPECT_EQ(Values<int32_t>(*two), std::vector<int32_t>{2});
}

TEST_F(CorpusTest, Tf2onnxRegression) {
  auto r = Open("tf2onnx_regression");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(ReadFloat(*r, "W"), 0.21396178f, 1e-7);
  EXPECT_NEAR(ReadFloat(*r, "b"), 1.0495254f, 1e-7);
}

// ---------------------------------------------------------------- corruption

TEST(TensorBundleCorruptionTest, MissingIndex) {
  const std::string dir = ScratchDir("missing_index");
  auto r = TensorBundleReader::Open(dir + "/variables");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(dir + "/variables.index"));
}

TEST(TensorBundleCorruptionTest, EveryTruncationOfTheIndexIsAnError) {
  const std::string dir = ScratchDir("truncated_index");
  const std::string prefix = CopyBundle(TestdataPrefix("mixed"), dir);
  const std::string index = ReadAll(prefix + ".index");
  ASSERT_GT(index.size(), 100u);
  for (size_t len = 0; len < index.size(); ++len) {
    WriteAll(prefix + ".index", index.substr(0, len));
    auto r = TensorBundleReader::Open(prefix);
    ASSERT_FALSE(r.ok()) << "truncated to " << len;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(prefix + ".index")) << len;
  }
}

TEST(TensorBundleCorruptionTest, FlippedIndexBytesNeverGiveWrongValues) {
  const std::string dir = ScratchDir("flipped_index");
  const std::string prefix = CopyBundle(TestdataPrefix("mixed"), dir);
  const std::string index = ReadAll(prefix + ".index");
  auto good = TensorBundleReader::Open(prefix);
  ASSERT_TRUE(good.ok());
  std::vector<std::string> errors;
  const auto want = ReadEverything(*good, &errors);
  ASSERT_TRUE(errors.empty());
  int rejected = 0;
  for (size_t pos = 0; pos < index.size(); ++pos) {
    for (char bit : {'\x01', '\x80'}) {
      std::string bad = index;
      bad[pos] ^= bit;
      WriteAll(prefix + ".index", bad);
      auto r = TensorBundleReader::Open(prefix);
      if (!r.ok()) {
        ++rejected;
        EXPECT_THAT(std::string(r.status().message()), HasSubstr(prefix + ".index")) << pos;
        continue;
      }
      // Only bytes no checksum covers can be accepted (the footer's zero
      // padding); then every value must still be the right one.
      std::vector<std::string> errs;
      EXPECT_EQ(ReadEverything(*r, &errs), want) << "byte " << pos;
      EXPECT_TRUE(errs.empty()) << pos;
    }
  }
  // Everything but the footer's padding is covered by a checksum or the magic.
  EXPECT_GT(rejected, static_cast<int>(2 * (index.size() - 40)));
}

TEST(TensorBundleCorruptionTest, FlippedDataBytesFailTheirVariable) {
  const std::string dir = ScratchDir("flipped_data");
  const std::string prefix = CopyBundle(TestdataPrefix("mixed"), dir);
  const std::string shard = prefix + ".data-00000-of-00001";
  const std::string data = ReadAll(shard);
  auto r = TensorBundleReader::Open(prefix);
  ASSERT_TRUE(r.ok());
  for (size_t pos = 0; pos < data.size(); ++pos) {
    std::string bad = data;
    bad[pos] ^= 0x10;
    WriteAll(shard, bad);
    int failed = 0;
    for (const auto& key : r->Keys()) {
      const auto* e = *r->Entry(key);
      auto t = r->Read(key);
      const bool covers = static_cast<int64_t>(pos) >= e->offset() &&
                          static_cast<int64_t>(pos) < e->offset() + e->size();
      EXPECT_EQ(t.ok(), !covers) << key << " byte " << pos;
      if (!t.ok()) {
        ++failed;
        EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss);
        EXPECT_THAT(std::string(t.status().message()), HasSubstr("'" + key + "'"));
        EXPECT_THAT(std::string(t.status().message()), HasSubstr(shard));
      }
    }
    EXPECT_EQ(failed, 1) << "byte " << pos;
  }
}

TEST(TensorBundleCorruptionTest, TruncatedAndMissingShards) {
  const std::string dir = ScratchDir("short_data");
  const std::string prefix = CopyBundle(TestdataPrefix("mixed"), dir);
  const std::string shard = prefix + ".data-00000-of-00001";
  const std::string data = ReadAll(shard);
  auto r = TensorBundleReader::Open(prefix);
  ASSERT_TRUE(r.ok());
  for (size_t len : {size_t{0}, size_t{1}, data.size() / 2, data.size() - 1}) {
    WriteAll(shard, data.substr(0, len));
    for (const auto& key : r->Keys()) {
      const auto* e = *r->Entry(key);
      auto t = r->Read(key);
      if (e->size() == 0 || e->offset() + e->size() <= static_cast<int64_t>(len)) {
        EXPECT_TRUE(t.ok()) << key << " " << t.status();
        continue;
      }
      ASSERT_FALSE(t.ok()) << key << " with the shard cut to " << len;
      EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss);
      EXPECT_THAT(std::string(t.status().message()), HasSubstr("'" + key + "'"));
      EXPECT_THAT(std::string(t.status().message()), HasSubstr(shard));
      EXPECT_THAT(std::string(t.status().message()), HasSubstr("truncated"));
    }
  }
  fs::remove(shard);
  auto t = r->Read("dense/kernel");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("'dense/kernel'"));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(shard));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("missing"));
  // A size-0 tensor needs no bytes from the shard.
  EXPECT_TRUE(r->Read("empty").ok());
}

// ---------------------------------------------------------------- hand-made bad entries

TEST(TensorBundleEntryTest, GoodHandMadeBundle) {
  const std::string dir = ScratchDir("handmade_good");
  const std::string data = FloatBytes({1, 2, 3});
  const std::string prefix =
      WriteBundle(dir, Header(), {{"w", FloatEntry({3}, 0, 12, Crc32c(data))}}, data);
  auto r = TensorBundleReader::Open(prefix);
  ASSERT_TRUE(r.ok()) << r.status();
  auto w = r->Read("w");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(Values<float>(*w), (std::vector<float>{1, 2, 3}));
}

TEST(TensorBundleEntryTest, BadHeaders) {
  const std::string data = FloatBytes({1});
  std::map<std::string, tf::BundleEntryProto> one = {{"w", FloatEntry({}, 0, 4, Crc32c(data))}};

  tf::BundleHeaderProto big = Header();
  big.set_endianness(tf::BundleHeaderProto::BIG);
  auto r = TensorBundleReader::Open(WriteBundle(ScratchDir("big_endian"), big, one, data));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("big-endian"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("variables.index"));

  tf::BundleHeaderProto newer = Header();
  newer.mutable_version()->set_min_consumer(7);
  r = TensorBundleReader::Open(WriteBundle(ScratchDir("newer"), newer, one, data));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("version 7"));

  // No header entry at all.
  const std::string dir = ScratchDir("no_header");
  WriteAll(dir + "/variables.index", BuildTable({{"w", one["w"].SerializeAsString()}}));
  r = TensorBundleReader::Open(dir + "/variables");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no header entry"));

  // Header and entry bytes that are not protos.
  const std::string dir2 = ScratchDir("garbage_protos");
  WriteAll(dir2 + "/variables.index", BuildTable({{"", "\xff\xff\xff"}}));
  r = TensorBundleReader::Open(dir2 + "/variables");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("BundleHeaderProto"));
  WriteAll(dir2 + "/variables.index",
           BuildTable({{"", Header().SerializeAsString()}, {"w", "\x0a\xff\xff"}}));
  r = TensorBundleReader::Open(dir2 + "/variables");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("'w'"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("BundleEntryProto"));
}

TEST(TensorBundleEntryTest, BadEntriesNameTheVariable) {
  const std::string data = FloatBytes({1, 2, 3, 4});
  const uint32_t crc = Crc32c(data);
  struct Case {
    std::string name;
    tf::BundleEntryProto entry;
    std::string why;
    absl::StatusCode code = absl::StatusCode::kDataLoss;
  };
  std::vector<Case> cases;
  cases.push_back({"wrong_size", FloatEntry({3}, 0, 16, crc), "needs 12"});
  cases.push_back({"huge_size", FloatEntry({int64_t{1} << 36}, 0, int64_t{1} << 38, crc),
                   "is 16 bytes"});
  cases.push_back({"huge_offset", FloatEntry({4}, int64_t{1} << 62, 16, crc), "is 16 bytes"});
  cases.push_back({"negative_offset", FloatEntry({4}, -4, 16, crc), "negative offset"});
  cases.push_back({"negative_dim", FloatEntry({-1, 4}, 0, 16, crc), "dimension -1"});
  cases.push_back({"overflow_dims",
                   FloatEntry({int64_t{1} << 30, int64_t{1} << 30, int64_t{1} << 30}, 0, 16, crc),
                   "2^40"});
  cases.push_back({"bad_crc", FloatEntry({4}, 0, 16, crc ^ 1), "checksum mismatch"});
  cases.push_back({"past_end", FloatEntry({4}, 4, 16, crc), "truncated"});
  {
    auto e = FloatEntry({4}, 0, 16, crc);
    e.set_shard_id(3);
    cases.push_back({"bad_shard", e, "shard id 3"});
  }
  {
    auto e = FloatEntry({4}, 0, 16, crc);
    e.mutable_shape()->set_unknown_rank(true);
    cases.push_back({"unknown_rank", e, "unknown rank"});
  }
  {
    auto e = FloatEntry({4}, 0, 16, crc);
    e.set_dtype(tf::DT_RESOURCE);
    cases.push_back({"resource", e, "DT_RESOURCE", absl::StatusCode::kUnimplemented});
  }
  {
    auto e = FloatEntry({4}, 0, 16, crc);
    e.set_dtype(tf::DT_VARIANT);
    cases.push_back({"variant", e, "DT_VARIANT", absl::StatusCode::kUnimplemented});
  }
  {
    auto e = FloatEntry({int64_t{1} << 39}, 0, 16, crc);
    e.set_dtype(tf::DT_STRING);
    cases.push_back({"many_strings", e, "too few"});
  }
  {
    // 4 strings whose lengths claim more than the 16 bytes hold.
    auto e = FloatEntry({4}, 0, 16, crc);
    e.set_dtype(tf::DT_STRING);
    cases.push_back({"string_lengths", e, "more than the entry holds"});
  }
  for (const auto& c : cases) {
    const std::string dir = ScratchDir("entry_" + c.name);
    const std::string prefix = WriteBundle(dir, Header(), {{"layer/w", c.entry}}, data);
    auto r = TensorBundleReader::Open(prefix);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status();
    auto t = r->Read("layer/w");
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.status().code(), c.code) << c.name << ": " << t.status();
    const std::string msg(t.status().message());
    EXPECT_THAT(msg, HasSubstr("'layer/w'")) << c.name;
    EXPECT_THAT(msg, HasSubstr(dir)) << c.name;
    EXPECT_THAT(msg, HasSubstr(c.why)) << c.name;
  }
}

TEST(TensorBundleEntryTest, StringTensorChecksums) {
  // Two strings "ab", "c": varint lengths, masked CRC of the lengths as
  // uint32s, then the bytes; the entry CRC covers lengths, length CRC, bytes.
  std::string lengths_le;
  PutFixed32(&lengths_le, 2);
  PutFixed32(&lengths_le, 1);
  const uint32_t len_crc = Crc32c(lengths_le);
  std::string data("\x02\x01", 2);
  std::string masked;
  PutFixed32(&masked, MaskCrc32c(len_crc));
  data += masked + "abc";
  uint32_t crc = Crc32cExtend(len_crc, masked.data(), 4);
  crc = Crc32cExtend(crc, "abc", 3);

  tf::BundleEntryProto e;
  e.set_dtype(tf::DT_STRING);
  e.mutable_shape()->add_dim()->set_size(2);
  e.set_size(static_cast<int64_t>(data.size()));
  e.set_crc32c(MaskCrc32c(crc));
  const std::string dir = ScratchDir("strings");
  auto r = TensorBundleReader::Open(WriteBundle(dir, Header(), {{"s", e}}, data));
  ASSERT_TRUE(r.ok()) << r.status();
  auto s = r->Read("s");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->strings(), (std::vector<std::string>{"ab", "c"}));

  // A bad length checksum is reported as such.
  std::string bad = data;
  bad[2] ^= 1;
  WriteAll(dir + "/variables.data-00000-of-00001", bad);
  s = r->Read("s");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("string lengths"));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("'s'"));
}

}  // namespace
}  // namespace onnxsmith::checkpoint
