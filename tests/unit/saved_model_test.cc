// SavedModel loader: the corpus SavedModels (TF1 and TF2, skipped when the
// corpus is absent) load, freeze and convert with the expected inputs and
// outputs; hand-written SavedModels (text format) cover function inlining
// (nested, multi-output ops, direct calls, recursion) and the error paths;
// corrupted copies of a corpus model cover the file errors.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "converter/tf/function_inliner.h"
#include "converter/tf/graph_util.h"
#include "converter/saved_model/saved_model_loader.h"
#include "converter/saved_model/tensor_proto_util.h"
#include "converter/tf/tensor_convert.h"
#include "converter/tf_converter.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace onnxsmith::converter {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// $ONNXSMITH_CORPUS, else /work/shared/corpus; "" when neither exists.
std::string CorpusDir() {
  const char* env = std::getenv("ONNXSMITH_CORPUS");
  std::string dir = (env && *env) ? env : "/work/shared/corpus";
  std::error_code ec;
  return fs::is_directory(fs::path(dir) / "savedmodel", ec) ? dir : "";
}

std::string SavedModelDir(const std::string& name) {
  return absl::StrCat(CorpusDir(), "/savedmodel/", name);
}

#define SKIP_WITHOUT_CORPUS()                                                  \
  do {                                                                         \
    if (CorpusDir().empty()) GTEST_SKIP() << "model corpus not found (set ONNXSMITH_CORPUS)"; \
  } while (0)

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ScratchDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / "saved_model_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// A writable copy of a corpus SavedModel.
std::string CopyCorpusModel(const std::string& name) {
  const std::string dst = ScratchDir(name);
  fs::copy(SavedModelDir(name), dst, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const auto& entry : fs::recursive_directory_iterator(dst)) {
    fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add);
  }
  return dst;
}

std::vector<std::string> Names(const std::vector<ir::ValueInfo>& values) {
  std::vector<std::string> names;
  for (const auto& v : values) names.push_back(v.name);
  return names;
}

absl::StatusOr<ConversionResult> Convert(const FrozenGraph& frozen) {
  ConvertOptions options;
  options.inputs = frozen.inputs;
  options.outputs = frozen.outputs;
  return ConvertGraphDef(frozen.graph, options);
}

bool HasOp(const tf::GraphDef& graph, const std::string& op) {
  for (const auto& n : graph.node()) {
    if (n.op() == op) return true;
  }
  return false;
}

const tf::NodeDef* FindNode(const tf::GraphDef& graph, const std::string& name) {
  for (const auto& n : graph.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// The float value of a scalar Const in the frozen graph.
float ConstScalar(const tf::GraphDef& graph, const std::string& name) {
  const tf::NodeDef* node = FindNode(graph, name);
  if (node == nullptr || node->op() != "Const") return -1e30f;
  auto tensor = ToIrTensor(node->attr().at("value").tensor());
  if (!tensor.ok() || tensor->num_elements() != 1) return -1e30f;
  return static_cast<float>((*tensor->ToDoubles())[0]);
}

void ExpectNoVariableOps(const tf::GraphDef& graph) {
  for (const auto& n : graph.node()) {
    EXPECT_FALSE(n.op() == "VarHandleOp" || n.op() == "VariableV2" || n.op() == "ReadVariableOp" ||
                 n.op() == "RestoreV2" || n.op() == "SaveV2" || n.op() == "AssignVariableOp" ||
                 n.op() == "StatefulPartitionedCall" || n.op() == "PartitionedCall")
        << n.name() << " (" << n.op() << ") survived freezing";
  }
}

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

// ---------------------------------------------------------- hand-written

TEST(SavedModelErrors, NotADirectory) {
  const std::string dir = ScratchDir("not_a_dir");
  WriteAll(dir + "/file.pb", "x");
  auto a = LoadSavedModel(dir + "/file.pb");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("not a SavedModel directory"));
  auto b = LoadSavedModel(dir);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("no saved_model.pb or saved_model.pbtxt"));
  auto c = LoadSavedModel(dir + "/missing");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("no such SavedModel directory"));
}

TEST(SavedModelErrors, GraphDefIsNotASavedModel) {
  const std::string dir = ScratchDir("graphdef_as_saved_model");
  tf::GraphDef g;
  auto* n = g.add_node();
  n->set_name("x");
  n->set_op("Placeholder");
  WriteAll(dir + "/saved_model.pb", g.SerializeAsString());
  auto frozen = LoadSavedModel(dir);
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("saved_model.pb"));
}

// x [-1,4] -> PartitionedCall(outer_fn) -> (a, b)
//   outer_fn(x): s = Split(dim, x, num_split=2); inner = inner_fn(s:output:1) (direct call)
//                a = s:output:0 ; b = inner:y:0
//   inner_fn(v): r = Relu(v); y = r:activations:0
// The op list is empty: Split's layout comes from the built-in table, Relu's
// from the one-output-arg rule.
constexpr char kNestedSavedModel[] = R"pb(
  meta_graphs {
    meta_info_def { tags: "serve" tensorflow_version: "hand-written" }
    graph_def {
      node {
        name: "x"
        op: "Placeholder"
        attr { key: "dtype" value { type: DT_FLOAT } }
        attr { key: "shape" value { shape { dim { size: -1 } dim { size: 4 } } } }
      }
      node {
        name: "call"
        op: "PartitionedCall"
        input: "x"
        attr { key: "f" value { func { name: "outer_fn" } } }
        attr { key: "Tin" value { list { type: DT_FLOAT } } }
        attr { key: "Tout" value { list { type: DT_FLOAT type: DT_FLOAT } } }
      }
      node { name: "unused_train_op" op: "NoOp" input: "^call" }
      library {
        function {
          signature {
            name: "outer_fn"
            input_arg { name: "x" type: DT_FLOAT }
            output_arg { name: "a" type: DT_FLOAT }
            output_arg { name: "b" type: DT_FLOAT }
          }
          node_def {
            name: "dim"
            op: "Const"
            attr { key: "dtype" value { type: DT_INT32 } }
            attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } }
          }
          node_def {
            name: "s"
            op: "Split"
            input: "dim:output:0"
            input: "x"
            attr { key: "T" value { type: DT_FLOAT } }
            attr { key: "num_split" value { i: 2 } }
          }
          node_def { name: "inner" op: "inner_fn" input: "s:output:1" }
          node_def { name: "ctrl" op: "NoOp" input: "^inner" }
          ret { key: "a" value: "s:output:0" }
          ret { key: "b" value: "inner:y:0" }
        }
        function {
          signature {
            name: "inner_fn"
            input_arg { name: "v" type: DT_FLOAT }
            output_arg { name: "y" type: DT_FLOAT }
          }
          node_def {
            name: "r"
            op: "Relu"
            input: "v"
            attr { key: "T" value { type: DT_FLOAT } }
          }
          ret { key: "y" value: "r:activations:0" }
        }
      }
    }
    signature_def {
      key: "serving_default"
      value {
        inputs {
          key: "x"
          value { name: "x:0" dtype: DT_FLOAT tensor_shape { dim { size: -1 } dim { size: 4 } } }
        }
        outputs { key: "b" value { name: "call:1" dtype: DT_FLOAT } }
        outputs { key: "a" value { name: "call:0" dtype: DT_FLOAT } }
      }
    }
  }
)pb";

std::string WriteTextSavedModel(const std::string& name, const std::string& text) {
  const std::string dir = ScratchDir(name);
  WriteAll(dir + "/saved_model.pbtxt", text);
  return dir;
}

TEST(SavedModelInlining, NestedCallsAndMultiOutputOps) {
  const std::string dir = WriteTextSavedModel("nested", kNestedSavedModel);
  auto frozen = LoadSavedModel(dir);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  EXPECT_THAT(frozen->output_names, ElementsAre("a", "b"));  // sorted by key
  EXPECT_EQ(frozen->outputs[0].tensor_name(), "call:0");
  EXPECT_EQ(frozen->outputs[1].tensor_name(), "call:1");
  EXPECT_EQ(frozen->stats.calls_inlined, 2);
  const tf::NodeDef* call = FindNode(frozen->graph, "call");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->op(), "IdentityN");
  EXPECT_THAT(call->input(), ElementsAre("call/s:0", "call/inner:0"));
  const tf::NodeDef* split = FindNode(frozen->graph, "call/s");
  ASSERT_NE(split, nullptr);
  EXPECT_THAT(split->input(), ElementsAre("call/dim:0", "x"));
  const tf::NodeDef* inner = FindNode(frozen->graph, "call/inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->op(), "Identity");
  EXPECT_THAT(inner->input(), ElementsAre("call/inner/r:0"));
  EXPECT_THAT(FindNode(frozen->graph, "call/inner/r")->input(), ElementsAre("call/s:1"));
  EXPECT_EQ(FindNode(frozen->graph, "call/ctrl"), nullptr);  // control-only: pruned
  EXPECT_EQ(FindNode(frozen->graph, "unused_train_op"), nullptr);
  auto converted = Convert(*frozen);
  ASSERT_TRUE(converted.ok()) << converted.status();
  EXPECT_THAT(Names(converted->model.graph.outputs), ElementsAre("call:0", "call:1"));
}

TEST(SavedModelInlining, RecursionIsAnError) {
  std::string text = kNestedSavedModel;
  // inner_fn calls itself.
  const std::string from = R"(op: "Relu")";
  text.replace(text.find(from), from.size(), R"(op: "inner_fn")");
  const std::string dir = WriteTextSavedModel("recursive", text);
  auto frozen = LoadSavedModel(dir);
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("'inner_fn' calls itself"));
  EXPECT_THAT(frozen.status().message(), HasSubstr("outer_fn -> inner_fn -> inner_fn"));
}

TEST(SavedModelInlining, MissingFunctionIsAnError) {
  std::string text = kNestedSavedModel;
  const std::string from = R"(func { name: "outer_fn" })";
  text.replace(text.find(from), from.size(), R"(func { name: "gone_fn" })");
  auto frozen = LoadSavedModel(WriteTextSavedModel("missing_fn", text));
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("'gone_fn', which is not in the SavedModel's function library"));
}

TEST(SavedModelInlining, UnknownMultiOutputOpIsAnError) {
  std::string text = kNestedSavedModel;
  // An op without an OpDef read through two output-arg names.
  const std::string from = R"(ret { key: "a" value: "s:output:0" })";
  text.replace(text.find(from), from.size(), R"(ret { key: "a" value: "inner2:other:0" })");
  const std::string node_from = R"(node_def { name: "ctrl")";
  text.replace(text.find(node_from), node_from.size(),
               R"(node_def { name: "inner2" op: "MysteryOp" input: "x" }
                  node_def { name: "use2" op: "Relu" input: "inner2:first:0" }
                  node_def { name: "ctrl")");
  // b reads use2 so both arg names of MysteryOp are used.
  const std::string ret_from = R"(ret { key: "b" value: "inner:y:0" })";
  text.replace(text.find(ret_from), ret_from.size(), R"(ret { key: "b" value: "use2:activations:0" })");
  auto frozen = LoadSavedModel(WriteTextSavedModel("mystery", text));
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("MysteryOp"));
  EXPECT_THAT(frozen.status().message(), HasSubstr("several output args"));
}

TEST(SavedModelInlining, DepthLimit) {
  // f0 -> f1 -> ... -> f9, with a limit of 5.
  tf::GraphDef graph;
  auto* x = graph.add_node();
  x->set_name("x");
  x->set_op("Placeholder");
  auto* call = graph.add_node();
  call->set_name("call");
  call->set_op("f0");
  call->add_input("x");
  tf::FunctionDefLibrary library;
  for (int i = 0; i < 10; ++i) {
    auto* f = library.add_function();
    f->mutable_signature()->set_name(absl::StrCat("f", i));
    f->mutable_signature()->add_input_arg()->set_name("in");
    f->mutable_signature()->add_output_arg()->set_name("out");
    auto* n = f->add_node_def();
    n->set_name("n");
    n->set_op(i < 9 ? absl::StrCat("f", i + 1) : "Neg");
    n->add_input("in");
    (*f->mutable_ret())["out"] = i < 9 ? "n:out:0" : "n:y:0";
  }
  OpCatalog catalog(nullptr, &library);
  InlineOptions options;
  options.max_depth = 5;
  auto limited = InlineFunctionCalls(graph, catalog, options);
  ASSERT_FALSE(limited.ok());
  EXPECT_THAT(limited.status().message(), HasSubstr("deeper than 5 levels"));
  InlineStats stats;
  auto inlined = InlineFunctionCalls(graph, catalog, InlineOptions{}, &stats);
  ASSERT_TRUE(inlined.ok()) << inlined.status();
  EXPECT_EQ(stats.calls_inlined, 10);
  EXPECT_EQ(stats.max_depth, 10);
  EXPECT_NE(FindNode(*inlined, "call/n/n/n/n/n/n/n/n/n/n"), nullptr);
}

TEST(SavedModelVariables, VariableWithoutCheckpointIsAnError) {
  constexpr char kText[] = R"pb(
    meta_graphs {
      meta_info_def { tags: "serve" }
      graph_def {
        node {
          name: "x"
          op: "Placeholder"
          attr { key: "dtype" value { type: DT_FLOAT } }
          attr { key: "shape" value { shape { dim { size: 2 } } } }
        }
        node {
          name: "w"
          op: "VarHandleOp"
          attr { key: "dtype" value { type: DT_FLOAT } }
          attr { key: "shape" value { shape { dim { size: 2 } } } }
          attr { key: "shared_name" value { s: "w" } }
        }
        node {
          name: "read"
          op: "ReadVariableOp"
          input: "w"
          attr { key: "dtype" value { type: DT_FLOAT } }
        }
        node {
          name: "y"
          op: "Mul"
          input: "x"
          input: "read"
          attr { key: "T" value { type: DT_FLOAT } }
        }
      }
      signature_def {
        key: "serving_default"
        value {
          inputs { key: "x" value { name: "x:0" dtype: DT_FLOAT } }
          outputs { key: "y" value { name: "y:0" dtype: DT_FLOAT } }
        }
      }
    }
  )pb";
  auto frozen = LoadSavedModel(WriteTextSavedModel("no_checkpoint", kText));
  ASSERT_FALSE(frozen.ok());
  EXPECT_THAT(frozen.status().message(), HasSubstr("variable 'w'"));
  EXPECT_THAT(frozen.status().message(), HasSubstr("no variables/ directory"));
}

TEST(SavedModelOverrides, UnknownNameListsInputs) {
  FrozenGraph frozen;
  frozen.inputs.push_back(TensorSpec{"serving_default_x", 0, std::nullopt});
  frozen.input_names.push_back("x");
  auto by_key = ParseTensorSpecList("x[1,3]");
  ASSERT_TRUE(by_key.ok());
  ASSERT_TRUE(ApplyInputOverrides(*by_key, &frozen).ok());
  ASSERT_TRUE(frozen.inputs[0].shape.has_value());
  EXPECT_THAT(*frozen.inputs[0].shape, ElementsAre(1, 3));
  auto wrong = ParseTensorSpecList("z:0[1]");
  ASSERT_TRUE(wrong.ok());
  absl::Status s = ApplyInputOverrides(*wrong, &frozen);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("x (serving_default_x:0)"));
}

TEST(SavedModelTensors, IrTensorRoundTrip) {
  ir::Tensor t = ir::Tensor::FromVector<int64_t>({2, 2}, {1, -2, 3, 1LL << 40});
  auto proto = saved_model::ToTensorProto(t, tf::DT_INT64);
  ASSERT_TRUE(proto.ok()) << proto.status();
  EXPECT_EQ(proto->dtype(), tf::DT_INT64);
  auto back = ToIrTensor(*proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(back->dims(), ElementsAre(2, 2));
  EXPECT_THAT(*back->ToInt64s(), ElementsAre(1, -2, 3, 1LL << 40));
  ir::Tensor s = ir::Tensor::FromStrings({2}, {"a", "bc"});
  auto sp = saved_model::ToTensorProto(s);
  ASSERT_TRUE(sp.ok());
  EXPECT_THAT(sp->string_val(), ElementsAre("a", "bc"));
  EXPECT_FALSE(saved_model::ToTensorProto(t, tf::DT_FLOAT).ok());
}

}  // namespace
}  // namespace onnxsmith::converter
