// TensorBundle reader on corrupt and hand-made bundles: truncations, flipped
// bytes, missing shards, bad headers and entries; every error names the file
// or variable, and no corruption gives wrong values.

#include "tests/unit/checkpoint_test_util.h"

namespace onnxsmith::checkpoint {
namespace {

using ::testing::HasSubstr;

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
