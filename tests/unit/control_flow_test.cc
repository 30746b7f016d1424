// Loop, If, Scan and sequences: the reference evaluator runs them (outer-
// scope reads, scan outputs, sequences carried through a Loop), the
// optimizer's passes keep them correct and optimize inside their bodies
// (fold_constant_if, if_to_where, hoist_loop_invariants, Loop folding, DCE/CSE across
// scopes), and the ONNX reader/writer keeps subgraphs.
#include <memory>

#include "evaluator/evaluator.h"
#include "gtest/gtest.h"
#include "ir/onnx_proto.h"
#include "ir/verifier.h"
#include "optimizer/pass.h"
#include "optimizer/testing.h"

namespace onnxsmith {
namespace {

using ir::DataType;
using optimizer::testing::CountOp;
using optimizer::testing::GraphBuilder;

evaluator::EvaluatorOptions Opset17() {
  evaluator::EvaluatorOptions o;
  o.opset = 17;
  return o;
}

ir::Attribute Body(const std::string& attr, GraphBuilder& b, const std::string& name) {
  auto g = std::make_shared<ir::Graph>(b.Take());
  g->name = name;
  return ir::Attribute::GraphValue(attr, g);
}

// y = Loop(M, s0): s += x * w (x, w from the main graph), scan out s.
ir::Graph LoopGraph(bool constant_trip_count) {
  GraphBuilder body;
  body.Input("i", {}, DataType::kInt64).Input("c", {}, DataType::kBool).Input("s", {3});
  body.Add("Identity", {"c"}, {"c_out"});
  body.Add("Mul", {"x", "w"}, {"xw"});  // loop invariant
  body.Add("Relu", {"xw"}, {"xw_relu"});  // loop invariant, reads a hoisted value
  body.Add("Add", {"s", "xw_relu"}, {"s2"});
  body.Output("c_out").Output("s2").Output("s2_scan");
  body.Add("Identity", {"s2"}, {"s2_scan"});
  body.graph().outputs[0].type = ir::MakeType(DataType::kBool, {});
  GraphBuilder b;
  b.Input("x", {3}).Input("s0", {3});
  if (constant_trip_count) {
    b.Init("M", ir::Tensor::Scalar<int64_t>(4));
  } else {
    b.Input("M", {}, DataType::kInt64);
  }
  b.Init("w", optimizer::testing::RandomFloatTensor({3}, 7));
  b.Add("Loop", {"M", "", "s0"}, {"s", "scan"}, {Body("body", body, "loop_body")});
  b.Output("s").Output("scan");
  ir::Graph g = b.Take();
  g.outputs[0].type = ir::MakeType(DataType::kFloat, {3});
  g.outputs[1].type.shape = std::vector<ir::Dim>{{-1, "trips"}, {3, ""}};
  return g;
}

std::map<std::string, ir::Tensor> LoopFeeds() {
  return {{"x", ir::Tensor::Vector1D<float>({1, -2, 3})},
          {"s0", ir::Tensor::Vector1D<float>({0.5f, 0.5f, 0.5f})}};
}

TEST(ControlFlowEvaluatorTest, LoopReadsOuterScopeAndStacksScanOutputs) {
  ir::Graph g = LoopGraph(true);
  ASSERT_TRUE(ir::Verify(g).ok());
  auto ev = evaluator::Evaluator::Create(g, Opset17());
  ASSERT_TRUE(ev.ok()) << ev.status();
  auto out = ev->Run(LoopFeeds());
  ASSERT_TRUE(out.ok()) << out.status();
  auto w = g.initializers.at("w").data<float>();
  const float x[3] = {1, -2, 3};
  ASSERT_EQ((*out)[1].dims(), (std::vector<int64_t>{4, 3}));
  for (int k = 0; k < 3; ++k) {
    const float step = std::max(0.f, x[k] * w[k]);
    for (int it = 0; it < 4; ++it) {
      EXPECT_FLOAT_EQ((*out)[1].data<float>()[it * 3 + k], 0.5f + step * (it + 1));
    }
    EXPECT_FLOAT_EQ((*out)[0].data<float>()[k], 0.5f + 4 * step);
  }
}

TEST(ControlFlowEvaluatorTest, IfPicksBranchAndSequencesFlowThroughLoop) {
  // then: SequenceEmpty, Loop appending i (as float) 3 times, ConcatFromSequence.
  GraphBuilder body;
  body.Input("i", {}, DataType::kInt64).Input("c", {}, DataType::kBool);
  body.graph().inputs.push_back({"seq", ir::ValueType{}});  // a sequence: untyped in the IR
  body.Add("Identity", {"c"}, {"c_out"});
  body.Add("Cast", {"i"}, {"f"}, {ir::Attribute::Int("to", 1)});
  body.Add("Unsqueeze", {"f", "axes"}, {"f1"});
  body.Add("SequenceInsert", {"seq", "f1"}, {"seq2"});
  body.Output("c_out").Output("seq2");
  body.graph().outputs[0].type = ir::MakeType(DataType::kBool, {});
  body.graph().outputs[1].type = ir::ValueType{};
  GraphBuilder then_b;
  then_b.Add("SequenceEmpty", {}, {"empty"}, {ir::Attribute::Int("dtype", 1)});
  then_b.Add("Loop", {"three", "", "empty"}, {"seq_out"}, {Body("body", body, "body")});
  then_b.Add("ConcatFromSequence", {"seq_out"}, {"t"}, {ir::Attribute::Int("axis", 0)});
  then_b.Output("t");
  GraphBuilder else_b;
  else_b.Add("Neg", {"x"}, {"e"});
  else_b.Output("e");
  GraphBuilder b;
  b.Input("cond", {}, DataType::kBool).Input("x", {3});
  b.Init("three", ir::Tensor::Scalar<int64_t>(3));
  b.Init("axes", ir::Tensor::Vector1D<int64_t>({0}));
  b.Add("If", {"cond"}, {"y"},
        {Body("then_branch", then_b, "then"), Body("else_branch", else_b, "else")});
  b.Output("y");
  ir::Graph g = b.Take();
  ASSERT_TRUE(ir::Verify(g).ok()) << ir::Verify(g);
  auto ev = evaluator::Evaluator::Create(g, Opset17());
  ASSERT_TRUE(ev.ok()) << ev.status();
  auto x = ir::Tensor::Vector1D<float>({1, 2, 3});
  auto out = ev->Run({{"cond", ir::Tensor::Scalar<bool>(true)}, {"x", x}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(std::vector<float>((*out)[0].data<float>().begin(), (*out)[0].data<float>().end()),
            (std::vector<float>{0, 1, 2}));
  out = ev->Run({{"cond", ir::Tensor::Scalar<bool>(false)}, {"x", x}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[2], -3);
}

TEST(ControlFlowEvaluatorTest, SequenceGivenToATensorOpIsAnError) {
  GraphBuilder b;
  b.Input("x", {2, 2});
  b.Add("SplitToSequence", {"x"}, {"s"});
  b.Add("Relu", {"s"}, {"y"});
  b.Output("y");
  auto ev = evaluator::Evaluator::Create(b.graph(), Opset17());
  ASSERT_TRUE(ev.ok());
  auto out = ev->Run({{"x", optimizer::testing::RandomFloatTensor({2, 2}, 1)}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("is a sequence"), std::string::npos) << out.status();
}

TEST(ControlFlowOptimizerTest, HoistsLoopInvariantsOutOfTheBody) {
  ir::Graph g = LoopGraph(false);
  absl::Status s = optimizer::testing::OptimizeAndCheck(
      g, {"hoist_loop_invariants", "eliminate_dead_code"}, 17, 1e-6, {{"M", {}}});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountOp(g, "Mul"), 1);
  EXPECT_EQ(CountOp(g, "Relu"), 1);
  const ir::Graph& body = *g.nodes.back()->FindAttr("body")->g;
  EXPECT_EQ(CountOp(body, "Mul"), 0);
  EXPECT_EQ(CountOp(body, "Relu"), 0);
  EXPECT_EQ(CountOp(body, "Add"), 1);
}

TEST(ControlFlowOptimizerTest, FoldsSmallConstantLoop) {
  ir::Graph g = LoopGraph(true);
  // Make every read constant: x and s0 become initializers.
  g.inputs.clear();
  g.initializers["x"] = ir::Tensor::Vector1D<float>({1, -2, 3});
  g.initializers["s0"] = ir::Tensor::Vector1D<float>({0.5f, 0.5f, 0.5f});
  absl::Status s = optimizer::testing::OptimizeAndCheck(
      g, {"constant_folding", "eliminate_dead_code"}, 17, 1e-6);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(optimizer::CountNodes(g), 0);
}

TEST(ControlFlowOptimizerTest, FoldsIfWithConstantCondition) {
  GraphBuilder then_b;
  then_b.Init("k", ir::Tensor::Vector1D<float>({2, 2, 2}));
  then_b.Add("Mul", {"x", "k"}, {"t"});
  then_b.Output("t");
  GraphBuilder else_b;
  else_b.Add("Neg", {"x"}, {"e"});
  else_b.Output("e");
  GraphBuilder b;
  b.Input("x", {3});
  b.Init("cond", ir::Tensor::Scalar<bool>(true));
  b.Add("If", {"cond"}, {"y"},
        {Body("then_branch", then_b, "then"), Body("else_branch", else_b, "else")});
  b.Add("Relu", {"y"}, {"z"});
  b.Output("z").Output("y");
  ir::Graph g = b.Take();
  absl::Status s = optimizer::testing::OptimizeAndCheck(
      g, {"fold_constant_if", "eliminate_identity", "eliminate_dead_code"}, 17, 1e-6);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountOp(g, "If"), 0);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
  EXPECT_EQ(CountOp(g, "Neg"), 0);
}

TEST(ControlFlowOptimizerTest, CheapIfBecomesWhere) {
  // Both branches: elementwise ops on x (dynamic first dim) that cannot fail;
  // the condition is a one-element tensor, reshaped to a scalar for Where.
  GraphBuilder then_b;
  then_b.Init("k", ir::Tensor::Vector1D<float>({2, 2, 2}));
  then_b.Add("Mul", {"x", "k"}, {"t"});
  then_b.Output("t");
  GraphBuilder else_b;
  else_b.Add("Neg", {"x"}, {"n"});
  else_b.Add("Exp", {"n"}, {"e"});
  else_b.Output("e");
  GraphBuilder b;
  b.Input("x", {-1, 3}).Input("c", {1}, DataType::kBool);
  b.Add("If", {"c"}, {"y"},
        {Body("then_branch", then_b, "then"), Body("else_branch", else_b, "else")});
  b.Add("Relu", {"y"}, {"z"});
  b.Output("z");
  ir::Graph g = b.Take();
  absl::Status s =
      optimizer::testing::OptimizeAndCheck(g, {"if_to_where"}, 17, 1e-6, {{"x", {2, 3}}});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountOp(g, "If"), 0);
  EXPECT_EQ(CountOp(g, "Where"), 1);
  EXPECT_EQ(CountOp(g, "Reshape"), 1);
}

TEST(ControlFlowOptimizerTest, IfStaysWhenABranchCouldFailOrShapesDiffer) {
  auto make = [](bool integer_div) {
    GraphBuilder then_b;
    if (integer_div) {
      then_b.Add("Div", {"i", "d"}, {"t"});  // traps on d == 0 in the branch not taken
    } else {
      then_b.Init("k", ir::Tensor::Vector1D<int32_t>({1}));
      then_b.Add("Identity", {"k"}, {"t"});  // shape [1], not [3]
    }
    then_b.Output("t");
    GraphBuilder else_b;
    else_b.Add("Neg", {"i"}, {"e"});
    else_b.Output("e");
    GraphBuilder b;
    b.Input("i", {3}, DataType::kInt32).Input("d", {3}, DataType::kInt32);
    b.Input("c", {}, DataType::kBool);
    b.Add("If", {"c"}, {"y"},
          {Body("then_branch", then_b, "then"), Body("else_branch", else_b, "else")});
    b.Output("y");
    return b.Take();
  };
  for (bool integer_div : {true, false}) {
    ir::Graph g = make(integer_div);
    auto report = optimizer::testing::RunPasses(g, {"if_to_where"});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(CountOp(g, "If"), 1) << (integer_div ? "integer Div" : "shapes differ");
  }
}

TEST(ControlFlowOptimizerTest, DeadCodeAndCseRespectBodyReads) {
  // a and b compute the same thing; only the If's branches read b.
  GraphBuilder then_b;
  then_b.Add("Add", {"b", "x"}, {"t"});
  then_b.Output("t");
  GraphBuilder else_b;
  else_b.Add("Sub", {"b", "x"}, {"e"});
  else_b.Output("e");
  GraphBuilder b;
  b.Input("x", {3}).Input("cond", {}, DataType::kBool);
  b.Add("Exp", {"x"}, {"a"});
  b.Add("Exp", {"x"}, {"b"});
  b.Add("If", {"cond"}, {"y"},
        {Body("then_branch", then_b, "then"), Body("else_branch", else_b, "else")});
  b.Add("Mul", {"a", "y"}, {"z"});
  b.Output("z");
  ir::Graph g = b.Take();
  absl::Status s = optimizer::testing::OptimizeAndCheck(
      g, {"eliminate_common_subexpressions", "eliminate_dead_code", "hoist_loop_invariants",
          "eliminate_identity", "constant_folding"},
      17, 1e-6);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountOp(g, "Exp"), 1);
  EXPECT_EQ(CountOp(g, "If"), 1);
}

TEST(ControlFlowIrTest, SubgraphsRoundTripAndRun) {
  ir::Model m;
  m.opset_imports[""] = 17;
  GraphBuilder body;
  body.Input("i", {}, DataType::kInt64).Input("c", {}, DataType::kBool);
  body.graph().inputs.push_back({"seq", ir::ValueType{}});  // a sequence: untyped in the IR
  body.Add("Identity", {"c"}, {"c_out"});
  body.Add("Identity", {"seq"}, {"seq2"});
  body.Output("c_out").Output("seq2");
  body.graph().outputs[1].type = ir::ValueType{};
  GraphBuilder b;
  b.Input("n", {}, DataType::kInt64);
  b.Add("SequenceEmpty", {}, {"s0"});
  b.Add("Loop", {"n", "", "s0"}, {"s"}, {Body("body", body, "b")});
  b.Add("SequenceLength", {"s"}, {"len"});
  b.Output("len");
  m.graph = b.Take();
  auto back = ir::FromModelProto(ir::ToModelProto(m));
  ASSERT_TRUE(back.ok()) << back.status();
  const ir::Graph& rb = *back->graph.nodes[1]->FindAttr("body")->g;
  EXPECT_EQ(rb.name, "b");
  ASSERT_EQ(rb.inputs.size(), 3u);
  EXPECT_EQ(rb.inputs[0].type.dtype, DataType::kInt64);
  EXPECT_EQ(rb.outputs[1].name, "seq2");
  auto ev = evaluator::Evaluator::Create(back->graph, Opset17());
  ASSERT_TRUE(ev.ok()) << ev.status();
  auto out = ev->Run({{"n", ir::Tensor::Scalar<int64_t>(2)}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].data<int64_t>()[0], 0);
  ASSERT_TRUE(ir::Verify(back->graph).ok());
}

}  // namespace
}  // namespace onnxsmith
