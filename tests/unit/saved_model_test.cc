// SavedModel loader on the corpus SavedModels (TF1 and TF2, skipped when the
// corpus is absent): they load, freeze and convert with the expected inputs
// and outputs; corrupted copies cover the file errors. Hand-written
// SavedModels are in saved_model_inline_test.cc.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/saved_model_test_util.h"

namespace onnxsmith::converter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ------------------------------------------------------------------ corpus

TEST(SavedModelCorpus, HalfPlusTwoTf1) {
  SKIP_WITHOUT_CORPUS();
  auto frozen = LoadSavedModel(SavedModelDir("half_plus_two_cpu"));
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_THAT(frozen->input_names, ElementsAre("x"));
  EXPECT_THAT(frozen->output_names, ElementsAre("y"));
  ASSERT_EQ(frozen->inputs.size(), 1u);
  EXPECT_EQ(frozen->inputs[0].tensor_name(), "x:0");
  EXPECT_EQ(frozen->outputs[0].tensor_name(), "y:0");
  // x was Identity(ParseExample): it is now the input itself.
  EXPECT_EQ(FindNode(frozen->graph, "x")->op(), "Placeholder");
  EXPECT_FALSE(HasOp(frozen->graph, "ParseExample"));
  EXPECT_FLOAT_EQ(ConstScalar(frozen->graph, "a"), 0.5f);
  EXPECT_FLOAT_EQ(ConstScalar(frozen->graph, "b"), 2.0f);
  EXPECT_EQ(frozen->stats.variables_frozen, 2);
  ExpectNoVariableOps(frozen->graph);
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.inputs), ElementsAre("x:0"));
  EXPECT_THAT(Names(converted->model.graph.outputs), ElementsAre("y:0"));
}

TEST(SavedModelCorpus, HalfPlusTwoTf1OtherSignature) {
  SKIP_WITHOUT_CORPUS();
  SavedModelOptions options;
  options.signature = "regress_x2_to_y3";
  auto frozen = LoadSavedModel(SavedModelDir("half_plus_two_cpu"), options);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_THAT(frozen->input_names, ElementsAre("inputs"));
  EXPECT_EQ(frozen->inputs[0].tensor_name(), "x2:0");
  EXPECT_FLOAT_EQ(ConstScalar(frozen->graph, "a2"), 0.5f);
  EXPECT_FLOAT_EQ(ConstScalar(frozen->graph, "c2"), 3.0f);
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.outputs), ElementsAre("y3:0"));
}

TEST(SavedModelCorpus, HalfPlusTwoTf2) {
  SKIP_WITHOUT_CORPUS();
  auto frozen = LoadSavedModel(SavedModelDir("half_plus_two_tf2_cpu"));
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(frozen->stats.tensorflow_version, "2.14.0");
  EXPECT_EQ(frozen->inputs[0].tensor_name(), "serving_default_x:0");
  EXPECT_EQ(frozen->outputs[0].tensor_name(), "StatefulPartitionedCall_5:0");
  EXPECT_EQ(frozen->stats.calls_inlined, 2);  // signature wrapper -> predict
  EXPECT_EQ(frozen->stats.variables_frozen, 2);
  EXPECT_FLOAT_EQ(ConstScalar(frozen->graph, "a"), 0.5f);
  EXPECT_FLOAT_EQ(ConstScalar(frozen->graph, "b"), 2.0f);
  ExpectNoVariableOps(frozen->graph);
  EXPECT_FALSE(HasOp(frozen->graph, "ParseExampleV2"));
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.inputs), ElementsAre("serving_default_x:0"));
  EXPECT_THAT(Names(converted->model.graph.outputs), ElementsAre("StatefulPartitionedCall_5:0"));
}

TEST(SavedModelCorpus, MatrixHalfPlusTwoWithoutVariablesDir) {
  SKIP_WITHOUT_CORPUS();
  auto frozen = LoadSavedModel(SavedModelDir("matrix_half_plus_two"));
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(frozen->stats.variables_frozen, 0);
  ASSERT_TRUE(frozen->inputs[0].shape.has_value());
  EXPECT_THAT(*frozen->inputs[0].shape, ElementsAre(-1, 3, 3));
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.inputs), ElementsAre("x:0"));
  EXPECT_THAT(Names(converted->model.graph.outputs), ElementsAre("y:0"));
}

TEST(SavedModelCorpus, Tf2onnxRegressionDropsTrainingSubgraph) {
  SKIP_WITHOUT_CORPUS();
  auto frozen = LoadSavedModel(SavedModelDir("tf2onnx_regression"));
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_GT(frozen->stats.graph_nodes, 50);
  EXPECT_LT(frozen->stats.frozen_nodes, 10);
  for (const auto& n : frozen->graph.node()) {
    EXPECT_FALSE(absl::StrContains(n.name(), "GradientDescent")) << n.name();
    EXPECT_FALSE(absl::StartsWith(n.name(), "save/")) << n.name();
    EXPECT_FALSE(absl::StrContains(n.name(), "gradients")) << n.name();
  }
  ExpectNoVariableOps(frozen->graph);
  // X has unknown rank: the converter needs a shape, given as an override.
  auto unknown = Convert(*frozen);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown rank"));
  auto specs = ParseTensorSpecList("X:0[-1]");
  ASSERT_TRUE(specs.ok());
  ASSERT_TRUE(ApplyInputOverrides(*specs, &*frozen).ok());
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.inputs), ElementsAre("X:0"));
  EXPECT_THAT(Names(converted->model.graph.outputs), ElementsAre("pred:0"));
}

TEST(SavedModelCorpus, TfjsInt64Multiply) {
  SKIP_WITHOUT_CORPUS();
  auto frozen = LoadSavedModel(SavedModelDir("tfjs_int64_multiply"));
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_EQ(frozen->stats.variables_frozen, 2);
  const tf::NodeDef* v1 = FindNode(frozen->graph, "Variable");
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->attr().at("dtype").type(), tf::DT_INT64);
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.inputs), ElementsAre("serving_default_x:0"));
  EXPECT_THAT(Names(converted->model.graph.outputs), ElementsAre("StatefulPartitionedCall:0"));
  EXPECT_EQ(converted->model.graph.outputs[0].type.dtype, ir::DataType::kInt64);
}

TEST(SavedModelCorpus, TfjsMultiOutput) {
  SKIP_WITHOUT_CORPUS();
  auto frozen = LoadSavedModel(SavedModelDir("tfjs_model_multi_output"));
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_THAT(frozen->input_names, ElementsAre("x", "y"));
  EXPECT_THAT(frozen->output_names, ElementsAre("output_0", "output_1"));
  // Two outputs of one inlined call: an IdentityN keeps "call:k".
  EXPECT_EQ(FindNode(frozen->graph, "StatefulPartitionedCall")->op(), "IdentityN");
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.inputs),
              ElementsAre("serving_default_x:0", "serving_default_y:0"));
  EXPECT_THAT(Names(converted->model.graph.outputs),
              ElementsAre("StatefulPartitionedCall:0", "StatefulPartitionedCall:1"));
}

// ------------------------------------------------------------ corpus errors

TEST(SavedModelErrors, TruncatedSavedModelPb) {
  SKIP_WITHOUT_CORPUS();
  const std::string dir = CopyCorpusModel("half_plus_two_tf2_cpu");
  const std::string pb = dir + "/saved_model.pb";
  const std::string data = ReadAll(pb);
  for (double frac : {0.1, 0.5, 0.9}) {
    WriteAll(pb, data.substr(0, static_cast<size_t>(data.size() * frac)));
    auto frozen = LoadSavedModel(dir);
    ASSERT_FALSE(frozen.ok()) << frac;
    EXPECT_THAT(frozen.status().message(), HasSubstr("saved_model.pb"));
    EXPECT_THAT(frozen.status().message(), HasSubstr("truncated or corrupt"));
  }
  WriteAll(pb, "");
  auto empty = LoadSavedModel(dir);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("empty file"));
}

TEST(SavedModelErrors, MissingShard) {
  SKIP_WITHOUT_CORPUS();
  const std::string dir = CopyCorpusModel("half_plus_two_tf2_cpu");
  fs::remove(dir + "/variables/variables.data-00000-of-00001");
  auto frozen = LoadSavedModel(dir);
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("variables.data-00000-of-00001 is missing"));
  EXPECT_THAT(frozen.status().message(), HasSubstr("(checkpoint key '"));
}

TEST(SavedModelErrors, CorruptShard) {
  SKIP_WITHOUT_CORPUS();
  const std::string dir = CopyCorpusModel("half_plus_two_tf2_cpu");
  const std::string shard = dir + "/variables/variables.data-00000-of-00001";
  std::string data = ReadAll(shard);
  for (char& c : data) c ^= 0x5A;
  WriteAll(shard, data);
  auto frozen = LoadSavedModel(dir);
  ASSERT_FALSE(frozen.ok());
  // The message names the graph's variable and its checkpoint entry.
  EXPECT_THAT(std::string(frozen.status().message()),
              ::testing::ContainsRegex("variable '[ab]' \\(checkpoint key '[ab]/.ATTRIBUTES/VARIABLE_VALUE'\\)"));
  EXPECT_THAT(frozen.status().message(), HasSubstr("checksum mismatch"));
}

TEST(SavedModelErrors, MissingVariablesDirectory) {
  SKIP_WITHOUT_CORPUS();
  const std::string dir = CopyCorpusModel("half_plus_two_cpu");
  fs::remove_all(dir + "/variables");
  auto frozen = LoadSavedModel(dir);
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("no variables/ directory"));
}

TEST(SavedModelErrors, WrongSignatureListsAvailable) {
  SKIP_WITHOUT_CORPUS();
  SavedModelOptions options;
  options.signature = "predict_me";
  auto frozen = LoadSavedModel(SavedModelDir("half_plus_two_tf2_cpu"), options);
  ASSERT_FALSE(frozen.ok());
  const std::string message(frozen.status().message());
  EXPECT_THAT(message, HasSubstr("no signature 'predict_me'"));
  EXPECT_THAT(message, HasSubstr("classify_x2_to_y3, classify_x_to_y, regress_x2_to_y3, "
                                 "regress_x_to_y, regress_x_to_y2, serving_default"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("__saved_model_init_op")));
}

TEST(SavedModelErrors, WrongTagListsAvailable) {
  SKIP_WITHOUT_CORPUS();
  SavedModelOptions options;
  options.tag = "serve,gpu";
  auto frozen = LoadSavedModel(SavedModelDir("half_plus_two_cpu"), options);
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("no MetaGraph with tag set [gpu, serve]"));
  EXPECT_THAT(frozen.status().message(), HasSubstr("available tag sets: [serve]"));
}

TEST(SavedModelErrors, ParseExampleSignatureIsUnsupported) {
  SKIP_WITHOUT_CORPUS();
  SavedModelOptions options;
  options.signature = "classify_x_to_y";
  auto frozen = LoadSavedModel(SavedModelDir("half_plus_two_tf2_cpu"), options);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  auto converted = Convert(*frozen);
  ASSERT_FALSE(converted.ok());
  EXPECT_THAT(converted.status().message(), HasSubstr("ParseExampleV2"));
}

// Random byte flips and cuts of real saved_model.pb files: every outcome is a
// clean error or a loaded (and then converted or refused) graph, never a
// crash (run under ASan/UBSan in CI).
TEST(SavedModelErrors, CorruptedFilesNeverCrash) {
  SKIP_WITHOUT_CORPUS();
  int loaded = 0, failed = 0;
  for (const char* name : {"half_plus_two_cpu", "half_plus_two_tf2_cpu", "tfjs_model_multi_output"}) {
    const std::string dir = CopyCorpusModel(name);
    const std::string pb = dir + "/saved_model.pb";
    const std::string data = ReadAll(pb);
    uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&state]() {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return state;
    };
    for (int i = 0; i < 150; ++i) {
      std::string bad = data;
      if (i % 3 == 0) {
        bad.resize(next() % bad.size());
      } else {
        for (int flips = 1 + static_cast<int>(next() % 3); flips > 0; --flips) {
          bad[next() % bad.size()] ^= static_cast<char>(1 + next() % 255);
        }
      }
      WriteAll(pb, bad);
      auto frozen = LoadSavedModel(dir);
      if (!frozen.ok()) {
        ++failed;
        EXPECT_FALSE(frozen.status().message().empty());
        continue;
      }
      ++loaded;
      auto converted = Convert(*frozen);
      if (!converted.ok()) EXPECT_FALSE(converted.status().message().empty());
    }
  }
  EXPECT_GT(failed, 0);
  EXPECT_GT(loaded + failed, 400);
}

}  // namespace
}  // namespace onnxsmith::converter
