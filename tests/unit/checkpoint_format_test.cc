// The layers under the TensorBundle reader: CRC-32C, Snappy and the LevelDB
// table format (many blocks, restarts, corrupt tables).

#include "tests/unit/checkpoint_test_util.h"

namespace onnxsmith::checkpoint {
namespace {

using ::testing::HasSubstr;

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


}  // namespace
}  // namespace onnxsmith::checkpoint
