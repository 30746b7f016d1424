// fuse_rnn_loops on hand-built Loops: a tanh RNN cell over a sequence (as
// TF's TensorList loops convert) becomes one ONNX RNN with the same outputs;
// a body that is not an affine cell stays a Loop.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::GraphBuilder;
using testing::OptimizeAndCheck;
using testing::RandomFloatTensor;

constexpr int64_t kT = 3, kB = 2, kI = 3, kH = 4;

ir::ValueType Seq(std::vector<int64_t> dims) {
  ir::ValueType t = ir::MakeType(ir::DataType::kFloat, dims);
  t.sequence = true;
  return t;
}

// h' = tanh(x_t W + h R + b) (or tanh(p * p) when `squared`: not affine),
// every h' written to a sequence stacked after the loop.
ir::Graph RnnLoop(bool squared) {
  GraphBuilder body;
  body.graph().name = "body";
  body.graph().inputs = {{"iter", ir::MakeType(ir::DataType::kInt64, {})},
                         {"cond_in", ir::MakeType(ir::DataType::kBool, {})},
                         {"t", ir::MakeType(ir::DataType::kInt64, {})},
                         {"h", ir::MakeType(ir::DataType::kFloat, {kB, kH})},
                         {"seq", Seq({kB, kH})}};
  body.Init("one", ir::Tensor::Scalar<int64_t>(1)).Init("len", ir::Tensor::Scalar<int64_t>(kT));
  body.Add("SequenceAt", {"xs", "t"}, {"x_t"});
  body.Add("MatMul", {"x_t", "W"}, {"xw"});
  body.Add("MatMul", {"h", "R"}, {"hr"});
  body.Add("Add", {"xw", "hr"}, {"s"});
  body.Add("Add", {"s", "b"}, {"p"});
  std::string pre = "p";
  if (squared) {
    body.Add("Mul", {"p", "p"}, {"pp"});
    pre = "pp";
  }
  body.Add("Tanh", {pre}, {"h_out"});
  body.Add("SequenceErase", {"seq", "t"}, {"erased"});
  body.Add("SequenceInsert", {"erased", "h_out", "t"}, {"seq_out"});
  body.Add("Add", {"t", "one"}, {"t_out"});
  body.Add("Less", {"t_out", "len"}, {"cond_out"});
  for (const char* o : {"cond_out", "t_out", "h_out", "seq_out"}) body.Output(o);
  auto body_graph = std::make_shared<ir::Graph>(body.Take());
  body_graph->outputs[0].type = ir::MakeType(ir::DataType::kBool, {});
  body_graph->outputs[1].type = ir::MakeType(ir::DataType::kInt64, {});
  body_graph->outputs[2].type = ir::MakeType(ir::DataType::kFloat, {kB, kH});
  body_graph->outputs[3].type = Seq({kB, kH});

  GraphBuilder g;
  g.Input("x", {kT, kB, kI});
  g.Init("W", RandomFloatTensor({kI, kH}, 1))
      .Init("R", RandomFloatTensor({kH, kH}, 2))
      .Init("b", RandomFloatTensor({kH}, 3))
      .Init("h0", RandomFloatTensor({kB, kH}, 4))
      .Init("zeros", RandomFloatTensor({kT, kB, kH}, 5))
      .Init("t0", ir::Tensor::Scalar<int64_t>(0))
      .Init("go", ir::Tensor::Scalar<bool>(true));
  g.Add("SplitToSequence", {"x"}, {"xs"}, {ir::Attribute::Int("keepdims", 0)});
  g.Add("SplitToSequence", {"zeros"}, {"seq0"}, {ir::Attribute::Int("keepdims", 0)});
  g.Add("Loop", {"", "go", "t0", "h0", "seq0"}, {"t_final", "h_final", "seq_final"},
        {ir::Attribute::GraphValue("body", body_graph)});
  g.Add("ConcatFromSequence", {"seq_final"}, {"y"},
        {ir::Attribute::Int("axis", 0), ir::Attribute::Int("new_axis", 1)});
  g.Output("y").Output("h_final");
  g.graph().value_types["xs"] = Seq({kB, kI});
  g.graph().value_types["seq0"] = Seq({kB, kH});
  ir::Graph out = g.Take();
  out.outputs[0].type = ir::MakeType(ir::DataType::kFloat, {kT, kB, kH});
  out.outputs[1].type = ir::MakeType(ir::DataType::kFloat, {kB, kH});
  return out;
}

const std::vector<std::string> kPasses = {"fuse_rnn_loops", "eliminate_identity",
                                          "eliminate_dead_code"};

TEST(RnnFusionTest, TanhCellLoopBecomesOneRnn) {
  ir::Graph g = RnnLoop(false);
  absl::Status s = OptimizeAndCheck(g, kPasses);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountOp(g, "RNN"), 1);
  EXPECT_EQ(CountOp(g, "Loop"), 0);
}

TEST(RnnFusionTest, NonAffineCellStaysALoop) {
  ir::Graph g = RnnLoop(true);
  absl::Status s = OptimizeAndCheck(g, kPasses);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountOp(g, "RNN"), 0);
  EXPECT_EQ(CountOp(g, "Loop"), 1);
}

}  // namespace
}  // namespace onnxsmith::optimizer
