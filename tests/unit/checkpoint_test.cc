// TensorBundle (TF V2 checkpoint) reader: the committed test bundles
// (tests/testdata/checkpoint, made by make_testdata.py with TensorFlow) and the
// SavedModel variables of the shared corpus (skipped when absent).

#include "tests/unit/checkpoint_test_util.h"

namespace onnxsmith::checkpoint {
namespace {

using ::testing::HasSubstr;

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


}  // namespace
}  // namespace onnxsmith::checkpoint
