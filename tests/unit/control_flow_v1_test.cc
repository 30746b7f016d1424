// TF1 control flow raised to functional form: frame discovery, the While/If
// and TensorList nodes built, and the errors for malformed frames.
#include <algorithm>
#include <string>

#include "converter/control_flow/graph_edit.h"
#include "converter/control_flow/op_outputs.h"
#include "converter/control_flow/raise_control_flow.h"
#include "converter/control_flow/v1_frames.h"
#include "converter/handlers/registry.h"
#include "converter/tf_converter.h"
#include "converter/tf/proto_parse.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace onnxsmith::converter::control_flow {
namespace {

using ::testing::HasSubstr;

std::string Node(const std::string& name, const std::string& op,
                 const std::vector<std::string>& inputs, const std::string& attrs = "") {
  std::string text = "node { name: '" + name + "' op: '" + op + "'";
  for (const std::string& in : inputs) text += " input: '" + in + "'";
  return text + " " + attrs + " }\n";
}

std::string TypeT(const char* t = "DT_FLOAT") {
  return std::string("attr { key: 'T' value { type: ") + t + " } }";
}

std::string EnterAttrs(const std::string& frame, bool constant = false) {
  return TypeT() + " attr { key: 'frame_name' value { s: '" + frame + "' } }" +
         " attr { key: 'is_constant' value { b: " + (constant ? "true" : "false") + " } }";
}

std::string FloatConst(const std::string& name, float v, const std::vector<std::string>& ctrl = {}) {
  return Node(name, "Const", ctrl,
              "attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' value { "
              "tensor { dtype: DT_FLOAT tensor_shape {} float_val: " +
                  std::to_string(v) + " } } }");
}

// while (y < limit) y = y + step, with limit a loop invariant; `prefix`
// names the frame, `x` the initial value.
std::string Loop(const std::string& p, const std::string& x, const std::string& limit) {
  std::string f = p + "/ctx";
  return Node(p + "/Enter", "Enter", {x}, EnterAttrs(f)) +
         Node(p + "/limit", "Enter", {limit}, EnterAttrs(f, true)) +
         Node(p + "/Merge", "Merge", {p + "/Enter", p + "/NextIteration"},
              TypeT() + " attr { key: 'N' value { i: 2 } }") +
         Node(p + "/Less", "Less", {p + "/Merge", p + "/limit"}, TypeT()) +
         Node(p + "/LoopCond", "LoopCond", {p + "/Less"}) +
         Node(p + "/Switch", "Switch", {p + "/Merge", p + "/LoopCond"}, TypeT()) +
         Node(p + "/Identity", "Identity", {p + "/Switch:1"}, TypeT()) +
         FloatConst(p + "/step", 1.5f, {"^" + p + "/Identity"}) +
         Node(p + "/add", "AddV2", {p + "/Identity", p + "/step"}, TypeT()) +
         Node(p + "/NextIteration", "NextIteration", {p + "/add"}, TypeT()) +
         Node(p + "/Exit", "Exit", {p + "/Switch"}, TypeT());
}

std::string Placeholder(const std::string& name) {
  return Node(name, "Placeholder", {}, "attr { key: 'dtype' value { type: DT_FLOAT } }");
}

tf::GraphDef Parse(const std::string& text) {
  tf::GraphDef graph;
  absl::Status s = ParseTextProto(text, 100, &graph);
  EXPECT_TRUE(s.ok()) << s;
  return graph;
}

const tf::NodeDef* FindNode(const tf::GraphDef& g, const std::string& name) {
  for (const auto& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

int CountOp(const tf::GraphDef& g, const std::string& op) {
  return std::count_if(g.node().begin(), g.node().end(),
                       [&](const tf::NodeDef& n) { return n.op() == op; });
}

TEST(FrameAnalysis, SimpleLoop) {
  tf::GraphDef g = Parse(Placeholder("x") + Placeholder("lim") + Loop("w", "x", "lim") +
                         Node("out", "Identity", {"w/Exit"}, TypeT()));
  auto index = GraphIndex::Build(g);
  ASSERT_TRUE(index.ok()) << index.status();
  auto fa = AnalyzeFrames(*index);
  ASSERT_TRUE(fa.ok()) << fa.status();
  ASSERT_EQ(fa->frames.size(), 1u);
  const Frame& f = fa->frames.at("w/ctx");
  EXPECT_EQ(f.parent, "");
  EXPECT_EQ(f.depth, 1);
  EXPECT_EQ(f.enters.size(), 2u);
  EXPECT_EQ(fa->node_frame[index->IndexOf("w/Enter")], "");
  EXPECT_EQ(fa->node_frame[index->IndexOf("w/Merge")], "w/ctx");
  EXPECT_EQ(fa->node_frame[index->IndexOf("w/step")], "w/ctx");  // via its control input
  EXPECT_EQ(fa->node_frame[index->IndexOf("w/Exit")], "w/ctx");
  EXPECT_EQ(fa->node_frame[index->IndexOf("out")], "");
}

TEST(FrameAnalysis, NestedFramesAndFreeConsts) {
  // The inner loop starts from the outer body's value; a free Const (no
  // inputs) is read inside both frames without binding them to the root.
  std::string outer = Loop("o", "x", "lim");
  std::string inner = Loop("o/i", "o/Identity", "o/Identity");
  std::string text = Placeholder("x") + Placeholder("lim") + FloatConst("two", 2.0f) + outer + inner;
  // The outer body adds the inner loop's result, the inner body a free Const.
  tf::GraphDef g = Parse(text);
  for (auto& n : *g.mutable_node()) {
    if (n.name() == "o/add") n.set_input(1, "o/i/Exit");
    if (n.name() == "o/i/add") n.set_input(1, "two");
  }
  auto index = GraphIndex::Build(g);
  ASSERT_TRUE(index.ok()) << index.status();
  auto fa = AnalyzeFrames(*index);
  ASSERT_TRUE(fa.ok()) << fa.status();
  ASSERT_EQ(fa->frames.size(), 2u);
  EXPECT_EQ(fa->frames.at("o/i/ctx").parent, "o/ctx");
  EXPECT_EQ(fa->frames.at("o/i/ctx").depth, 2);
  EXPECT_TRUE(fa->frames.at("o/ctx").has_children);
  EXPECT_EQ(fa->node_frame[index->IndexOf("o/i/add")], "o/i/ctx");
  EXPECT_EQ(fa->node_frame[index->IndexOf("o/i/Exit")], "o/i/ctx");
  EXPECT_EQ(fa->node_frame[index->IndexOf("o/add")], "o/ctx");

  ASSERT_TRUE(RaiseV1ControlFlow(&g).ok());
  EXPECT_EQ(CountOp(g, "While"), 1);  // the inner While is in the outer body
  ASSERT_EQ(g.library().function_size(), 4);
  bool nested = false;
  for (const auto& f : g.library().function()) {
    for (const auto& n : f.node_def()) nested |= n.op() == "While";
  }
  EXPECT_TRUE(nested);
}

TEST(RaiseWhile, BuildsWhileWithInvariants) {
  tf::GraphDef g = Parse(Placeholder("x") + Placeholder("lim") + Loop("w", "x", "lim") +
                         Node("out", "Identity", {"w/Exit"}, TypeT()));
  RaiseStats stats;
  absl::Status s = RaiseV1ControlFlow(&g, &stats);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(stats.loops, 1);
  const tf::NodeDef* loop = FindNode(g, "w/ctx/While");
  ASSERT_NE(loop, nullptr);
  ASSERT_EQ(loop->input_size(), 2);
  EXPECT_EQ(loop->input(0), "x");
  EXPECT_EQ(loop->input(1), "lim");
  EXPECT_EQ(loop->attr().at("T").list().type_size(), 2);
  const tf::NodeDef* exit = FindNode(g, "w/Exit");
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(exit->op(), "Identity");
  EXPECT_EQ(exit->input(0), "w/ctx/While:0");
  EXPECT_EQ(FindNode(g, "w/Merge"), nullptr);
  const std::string body = loop->attr().at("body").func().name();
  const std::string cond = loop->attr().at("cond").func().name();
  for (const auto& f : g.library().function()) {
    const auto& sig = f.signature();
    ASSERT_EQ(sig.input_arg_size(), 2);
    if (sig.name() == body) {
      ASSERT_EQ(sig.output_arg_size(), 2);
      EXPECT_EQ(f.ret().at(sig.output_arg(0).name()), "w/add:z:0");
      EXPECT_EQ(f.ret().at(sig.output_arg(1).name()), sig.input_arg(1).name());  // invariant
    } else {
      EXPECT_EQ(sig.name(), cond);
      ASSERT_EQ(sig.output_arg_size(), 1);
      EXPECT_EQ(sig.output_arg(0).type(), tf::DT_BOOL);
      EXPECT_EQ(f.ret().at(sig.output_arg(0).name()), "w/Less:z:0");
    }
  }
}

TEST(RaiseCond, SwitchMergeBecomesIf) {
  std::string text = Placeholder("x") + Node("p", "Placeholder", {}, "attr { key: 'dtype' value { type: DT_BOOL } }") +
                     Node("s", "Switch", {"x", "p"}, TypeT()) +
                     Node("t", "Neg", {"s:1"}, TypeT()) + Node("f", "Abs", {"s:0"}, TypeT()) +
                     Node("m", "Merge", {"f", "t"}, TypeT() + " attr { key: 'N' value { i: 2 } }");
  tf::GraphDef g = Parse(text);
  RaiseStats stats;
  ASSERT_TRUE(RaiseV1ControlFlow(&g, &stats).ok());
  EXPECT_EQ(stats.conds, 1);
  const tf::NodeDef* m = FindNode(g, "m");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->op(), "Identity");
  const tf::NodeDef* node = FindNode(g, "m/If");
  ASSERT_NE(node, nullptr) << g.DebugString();
  EXPECT_EQ(node->input(0), "p:0");
  EXPECT_EQ(node->input(1), "x:0");
  EXPECT_EQ(node->attr().at("Tin").list().type(0), tf::DT_FLOAT);
  EXPECT_EQ(node->attr().at("Tout").list().type(0), tf::DT_FLOAT);
  for (const auto& f : g.library().function()) {
    const bool then = f.signature().name() == node->attr().at("then_branch").func().name();
    ASSERT_EQ(f.node_def_size(), 1);
    EXPECT_EQ(f.node_def(0).op(), then ? "Neg" : "Abs");
  }
  EXPECT_EQ(CountOp(g, "Switch"), 0);
}

TEST(RaiseTensorArray, BecomesTensorListWithVariantFlow) {
  std::string ta_attrs =
      "attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'element_shape' value { shape "
      "{ dim { size: 3 } } } } attr { key: 'dynamic_size' value { b: true } }";
  std::string text =
      Placeholder("v") + Node("size", "Const", {}, "attr { key: 'dtype' value { type: DT_INT32 } } "
                                                   "attr { key: 'value' value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 2 } } }") +
      Node("ta", "TensorArrayV3", {"size"}, ta_attrs) +
      Node("w", "TensorArrayWriteV3", {"ta", "size", "v", "ta:1"}, TypeT()) +
      Node("id", "Identity", {"w"}, TypeT()) +
      Node("r", "TensorArrayReadV3", {"ta", "size", "id"},
           "attr { key: 'dtype' value { type: DT_FLOAT } }");
  tf::GraphDef g = Parse(text);
  ASSERT_TRUE(RaiseV1ControlFlow(&g).ok());
  EXPECT_EQ(FindNode(g, "ta")->op(), "TensorListReserve");
  EXPECT_EQ(FindNode(g, "w")->op(), "TensorListSetItem");
  EXPECT_EQ(FindNode(g, "w")->input(0), "ta");
  EXPECT_TRUE(FindNode(g, "w")->attr().at("resize_if_index_out_of_bounds").b());
  EXPECT_EQ(FindNode(g, "r")->op(), "TensorListGetItem");
  EXPECT_EQ(FindNode(g, "id")->attr().at("T").type(), tf::DT_VARIANT);
}

// Malformed frames: clear errors naming the nodes, the graph unchanged.
void ExpectError(const std::string& text, const std::string& named) {
  tf::GraphDef g = Parse(text);
  const std::string before = g.SerializeAsString();
  absl::Status s = RaiseV1ControlFlow(&g);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(named));
  EXPECT_EQ(g.SerializeAsString(), before);
}

TEST(MalformedFrames, ExitWithoutEnter) {
  ExpectError(Placeholder("x") + Node("e", "Exit", {"x"}, TypeT()), "node 'e' (Exit) is outside every while loop");
}

TEST(MalformedFrames, NextIterationCycleDoesNotClose) {
  std::string text = Placeholder("x") + Placeholder("lim") + Loop("w", "x", "lim");
  tf::GraphDef g = Parse(text);
  for (auto& n : *g.mutable_node()) {
    if (n.name() == "w/Merge") n.set_input(1, "w/Enter");
  }
  std::string changed;
  google::protobuf::TextFormat::PrintToString(g, &changed);
  ExpectError(changed, "w/NextIteration");
}

TEST(MalformedFrames, CycleWithoutEnter) {
  // Merge and NextIteration feed each other, and nothing enters the loop.
  ExpectError(Node("m", "Merge", {"n", "n"}, TypeT()) + Node("n", "NextIteration", {"m"}, TypeT()),
              "reachable only from a cycle");
}

TEST(MalformedFrames, MergeWithMissingInput) {
  std::string text = Placeholder("x") + Placeholder("lim") + Loop("w", "x", "lim");
  text.replace(text.find("input: 'w/NextIteration'"), 24, "input: 'w/gone'");
  ExpectError(text, "node 'w/Merge' (Merge) reads 'w/gone'");
}

TEST(MalformedFrames, LoopWithoutLoopCond) {
  std::string text = Placeholder("x") + Placeholder("lim") + Loop("w", "x", "lim");
  tf::GraphDef g = Parse(text);
  for (auto& n : *g.mutable_node()) {
    if (n.name() == "w/LoopCond") n.set_op("Identity");
  }
  std::string changed;
  google::protobuf::TextFormat::PrintToString(g, &changed);
  ExpectError(changed, "while frame 'w/ctx' has no LoopCond");
}

TEST(MalformedFrames, OpsMissingInputs) {
  ExpectError(Node("s", "Switch", {"^x"}) + Placeholder("x"), "node 's' (Switch) needs 2 data inputs");
  ExpectError(Node("c", "LoopCond", {}), "node 'c' (LoopCond) needs 1 data input");
}

TEST(MalformedFrames, UnneededBrokenLoopDoesNotStopConversion) {
  tf::GraphDef g = Parse(Node("x", "Placeholder", {},
                              "attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'shape' "
                              "value { shape { dim { size: 2 } } } }") +
                         Node("y", "Neg", {"x"}, TypeT()) + Node("e", "Exit", {"x"}, TypeT()));
  ConvertOptions options;
  options.outputs = {TensorSpec{"y", 0, {}}};
  auto converted = ConvertGraphDef(g, options);
  EXPECT_TRUE(converted.ok()) << converted.status();
  options.outputs = {TensorSpec{"e", 0, {}}};
  converted = ConvertGraphDef(g, options);
  ASSERT_FALSE(converted.ok());
  EXPECT_THAT(std::string(converted.status().message()), HasSubstr("node 'e' (Exit) is outside"));
}

TEST(OpOutputs, EveryHandlerOpIsKnown) {
  // A handler op missing here cannot sit in a loop body: regenerate the table
  // with tools/op_outputs/gen_op_outputs.py.
  std::vector<std::string> missing;
  for (const std::string& op : HandlerRegistry::Global().Ops()) {
    if (FindOutputArgs(op) == nullptr) missing.push_back(op);
  }
  EXPECT_TRUE(missing.empty()) << "not in tf_op_outputs.inc: " << missing.size() << " ops, e.g. "
                               << (missing.empty() ? "" : missing[0]);
}

TEST(OpOutputs, ListOutputs) {
  tf::NodeDef split;
  split.set_name("s");
  split.set_op("Split");
  (*split.mutable_attr())["num_split"].set_i(3);
  EXPECT_EQ(*FunctionOutputRef(split, 2), "s:output:2");
  EXPECT_FALSE(FunctionOutputRef(split, 3).ok());
  EXPECT_EQ(*FlatOutputIndex(split, "output", 1), 1);
  tf::NodeDef odd;
  odd.set_name("o");
  odd.set_op("NoSuchOp");
  EXPECT_THAT(std::string(FunctionOutputRef(odd, 0).status().message()), HasSubstr("'o' (NoSuchOp)"));
}

}  // namespace
}  // namespace onnxsmith::converter::control_flow
