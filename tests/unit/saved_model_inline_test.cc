// SavedModel loader on hand-written SavedModels (text format): function
// inlining (nested, multi-output ops, direct calls, recursion), variables,
// overrides, and the error paths that need no corpus.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/unit/saved_model_test_util.h"

namespace onnxsmith::converter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
