// optimize_transposes: cancellation, composition and push-down through
// elementwise ops, broadcasts with constants, Concat, reductions and Pad,
// with the cases where a push must not happen.
#include <set>

#include "gtest/gtest.h"
#include "optimizer/registry.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

testing::DiffOptions Opset(int64_t opset) {
  testing::DiffOptions o;
  o.opset = opset;
  return o;
}

using testing::CountOp;
using testing::FindOp;
using testing::GraphBuilder;

const std::vector<std::string> kPasses = {"optimize_transposes", "eliminate_identity",
                                          "eliminate_dead_code"};
const std::vector<int64_t> kToNchw = {0, 3, 1, 2};
const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};

ir::Attribute Perm(std::vector<int64_t> p) { return ir::Attribute::Ints("perm", std::move(p)); }

void Optimize(ir::Graph& g, int64_t opset = 17) {
  absl::Status s = testing::OptimizeAndCheck(g, kPasses, opset);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(TransposeTest, CheckerCatchesBrokenGraphs) {
  // Sanity check of the test helper itself.
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("c", testing::RandomFloatTensor({4}, 1));
  b.Add("Add", {"x", "c"}, {"y"});
  EXPECT_FALSE(testing::CheckWithOnnx(b.graph()).ok());
}

TEST(TransposeTest, InversePairCancels) {
  GraphBuilder b;
  b.Input("x", {1, 4, 5, 3}).Output("y");
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Transpose", {"r"}, {"a"}, {Perm(kToNchw)});
  b.Add("Transpose", {"a"}, {"c"}, {Perm(kToNhwc)});
  b.Add("Neg", {"c"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(TransposeTest, InversePairBeforeGraphOutputRenamesProducer) {
  GraphBuilder b;
  b.Input("x", {1, 4, 5, 3}).Output("y");
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Transpose", {"r"}, {"a"}, {Perm(kToNchw)});
  b.Add("Transpose", {"a"}, {"y"}, {Perm(kToNhwc)});
  ir::Graph g = b.Take();
  Optimize(g);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->op_type, "Relu");
  EXPECT_EQ(g.nodes[0]->outputs[0], "y");
}

TEST(TransposeTest, InversePairFromInputToOutputLeavesOneNoOp) {
  GraphBuilder b;
  b.Input("x", {1, 4, 5, 3}).Output("y");
  b.Add("Transpose", {"x"}, {"a"}, {Perm(kToNchw)});
  b.Add("Transpose", {"a"}, {"y"}, {Perm(kToNhwc)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(g.nodes.size(), 1u);
}

TEST(TransposeTest, ComposesIntoOne) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y");
  b.Add("Transpose", {"x"}, {"a"}, {Perm({1, 0, 2})});
  b.Add("Transpose", {"a"}, {"c"}, {Perm({0, 2, 1})});
  b.Add("Relu", {"c"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
}

TEST(TransposeTest, SharedFirstTransposeStillMerges) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y").Output("z");
  b.Add("Transpose", {"x"}, {"a"}, {Perm({1, 0, 2})});
  b.Add("Transpose", {"a"}, {"c"}, {Perm({1, 0, 2})});
  b.Add("Relu", {"c"}, {"y"});
  b.Add("Neg", {"a"}, {"z"});
  ir::Graph g = b.Take();
  Optimize(g);
  // The inner Transpose feeds Neg (pushed below it), the pair cancels.
  EXPECT_LE(CountOp(g, "Transpose"), 1);
  for (const auto& n : g.nodes) {
    if (n->op_type == "Relu") {
      EXPECT_EQ(n->inputs[0], "x");
    }
  }
}

// The converter's NHWC wrapping: Transpose -> Conv -> Transpose -> Add(bias)
// -> Relu -> Transpose -> Conv -> Transpose.
ir::Graph ConvChain() {
  GraphBuilder b;
  b.Input("x", {1, 6, 6, 3}).Output("y");
  b.Init("w1", testing::RandomFloatTensor({4, 3, 3, 3}, 1));
  b.Init("b1", testing::RandomFloatTensor({4}, 2));
  b.Init("w2", testing::RandomFloatTensor({5, 4, 1, 1}, 3));
  b.Init("lo", ir::Tensor::Scalar<float>(0.0f));
  b.Init("hi", ir::Tensor::Scalar<float>(6.0f));
  b.Add("Transpose", {"x"}, {"x_nchw"}, {Perm(kToNchw)});
  b.Add("Conv", {"x_nchw", "w1"}, {"c1"}, {ir::Attribute::Ints("pads", {1, 1, 1, 1})});
  b.Add("Transpose", {"c1"}, {"c1_nhwc"}, {Perm(kToNhwc)});
  b.Add("Add", {"c1_nhwc", "b1"}, {"biased"});
  b.Add("Clip", {"biased", "lo", "hi"}, {"act"});
  b.Add("Transpose", {"act"}, {"act_nchw"}, {Perm(kToNchw)});
  b.Add("Conv", {"act_nchw", "w2"}, {"c2"});
  b.Add("Transpose", {"c2"}, {"y"}, {Perm(kToNhwc)});
  b.Type("c1", {1, 4, 6, 6}).Type("c1_nhwc", {1, 6, 6, 4}).Type("biased", {1, 6, 6, 4});
  b.Type("act", {1, 6, 6, 4}).Type("act_nchw", {1, 4, 6, 6}).Type("c2", {1, 5, 6, 6});
  return b.Take();
}

TEST(TransposeTest, ConvChainCollapsesToNchw) {
  ir::Graph g = ConvChain();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 2);  // at the input and the output
  const ir::Node* add = FindOp(g, "Add");
  ASSERT_NE(add, nullptr);
  // The [C] bias became [C, 1, 1] for NCHW.
  const ir::Tensor* bias = g.FindInitializer(add->inputs[1]);
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->dims(), (std::vector<int64_t>{4, 1, 1}));
  // Clip's min/max stay scalars.
  const ir::Node* clip = FindOp(g, "Clip");
  EXPECT_EQ(clip->inputs[1], "lo");
  EXPECT_EQ(clip->inputs[2], "hi");
}

TEST(TransposeTest, ConstantNeedingRealTransposition) {
  // A [H, W, C] constant against NHWC: in NCHW it is [C, H, W], data moved.
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Output("y");
  b.Init("c", testing::RandomFloatTensor({4, 5, 3}, 7));
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});
  b.Add("Mul", {"t", "c"}, {"m"});
  b.Add("Transpose", {"m"}, {"y"}, {Perm(kToNchw)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
  const ir::Node* mul = FindOp(g, "Mul");
  EXPECT_EQ(g.FindInitializer(mul->inputs[1])->dims(), (std::vector<int64_t>{1, 3, 4, 5}));
}

TEST(TransposeTest, ConstantOperandFirstAndScalar) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Output("y");
  b.Init("c", testing::RandomFloatTensor({5, 1}, 7));  // against [.., W=5, C=3]
  b.Init("s", ir::Tensor::Scalar<float>(2.0f));
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});  // [2, 4, 5, 3]
  b.Add("Sub", {"c", "t"}, {"m"});
  b.Add("Div", {"m", "s"}, {"d"});
  b.Add("Transpose", {"d"}, {"y"}, {Perm(kToNchw)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
}

TEST(TransposeTest, BothOperandsWithSameTranspose) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Input("z", {2, 3, 1, 5}).Output("y");
  b.Add("Transpose", {"x"}, {"tx"}, {Perm(kToNhwc)});
  b.Add("Transpose", {"z"}, {"tz"}, {Perm(kToNhwc)});
  b.Add("Add", {"tx", "tz"}, {"a"});
  b.Add("Sigmoid", {"a"}, {"s"});
  b.Add("Transpose", {"s"}, {"y"}, {Perm(kToNchw)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
}

TEST(TransposeTest, SameTransposedValueTwice) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm({2, 0, 1})});
  b.Add("Mul", {"t", "t"}, {"m"});
  b.Add("Transpose", {"m"}, {"y"}, {Perm({1, 2, 0})});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
}

TEST(TransposeTest, NotPushedPastNonConstantOperand) {
  // z has no Transpose and is not constant: pushing would need a new one.
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Input("z", {5, 3}).Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});
  b.Add("Add", {"t", "z"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g);
  ASSERT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(g.nodes[0]->op_type, "Transpose");
}

TEST(TransposeTest, NotPushedWithDifferentPerms) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Input("z", {3, 4, 2}).Output("y");
  b.Add("Transpose", {"x"}, {"tx"}, {Perm({1, 0, 2})});  // [3, 2, 4]
  b.Add("Transpose", {"z"}, {"tz"}, {Perm({0, 2, 1})});  // [3, 2, 4]
  b.Add("Add", {"tx", "tz"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 2);
  EXPECT_EQ(FindOp(g, "Add")->inputs, (std::vector<std::string>{"tx", "tz"}));
}

TEST(TransposeTest, NotPushedThroughPreOpset7Broadcasts) {
  // Before opset 7, Add broadcasts by attribute, not numpy-style.
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("c", testing::RandomFloatTensor({2}, 3));
  b.Add("Transpose", {"x"}, {"t"}, {Perm({1, 0})});
  b.Add("Add", {"t", "c"}, {"y"}, {ir::Attribute::Int("broadcast", 1)});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kPasses, 6).ok());
  EXPECT_EQ(FindOp(g, "Add")->inputs[0], "t");
}

TEST(TransposeTest, NotPushedPastHigherRankConstant) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("c", testing::RandomFloatTensor({4, 3, 2}, 3));
  b.Add("Transpose", {"x"}, {"t"}, {Perm({1, 0})});
  b.Add("Add", {"t", "c"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(FindOp(g, "Add")->inputs[0], "t");
}

TEST(TransposeTest, NotPushedWhenTransposeIsAGraphOutput) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("t").Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm({1, 0})});
  b.Add("Relu", {"t"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(FindOp(g, "Relu")->inputs[0], "t");
}

TEST(TransposeTest, NotPushedWhenAReaderCannotAbsorbIt) {
  // t feeds a Relu and a Flatten (layout matters there): nothing moves.
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y").Output("f");
  b.Add("Transpose", {"x"}, {"t"}, {Perm({0, 2, 1})});
  b.Add("Relu", {"t"}, {"y"});
  b.Add("Flatten", {"t"}, {"f"});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(FindOp(g, "Relu")->inputs[0], "t");
}

TEST(TransposeTest, SharedTransposeSplitWhenEveryReaderAbsorbs) {
  // Squeeze-and-excitation shape: m = t * ReduceSum(t, C); both readers of t
  // can take the Transpose, and the graph ends back in NCHW.
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Output("y");
  b.Init("axes", ir::Tensor::Vector1D<int64_t>({3}));
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});
  b.Add("ReduceSum", {"t", "axes"}, {"s"});
  b.Add("Mul", {"t", "s"}, {"m"});
  b.Add("Transpose", {"m"}, {"y"}, {Perm(kToNchw)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
}

TEST(TransposeTest, ConcatAxisFollowsThePermutation) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Input("z", {2, 2, 4, 5}).Output("y");
  b.Init("c", testing::RandomFloatTensor({2, 4, 5, 1}, 9));
  b.Add("Transpose", {"x"}, {"tx"}, {Perm(kToNhwc)});
  b.Add("Transpose", {"z"}, {"tz"}, {Perm(kToNhwc)});
  b.Add("Concat", {"tx", "c", "tz"}, {"cat"}, {ir::Attribute::Int("axis", -1)});
  b.Add("Relu", {"cat"}, {"r"});
  b.Add("Transpose", {"r"}, {"y"}, {Perm(kToNchw)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
  EXPECT_EQ(FindOp(g, "Concat")->GetInt("axis", -1), 1);
}

TEST(TransposeTest, ConcatWithUntransposedInputNotPushed) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Input("z", {2, 4, 5, 2}).Output("y");
  b.Add("Transpose", {"x"}, {"tx"}, {Perm(kToNhwc)});
  b.Add("Concat", {"tx", "z"}, {"y"}, {ir::Attribute::Int("axis", 3)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(FindOp(g, "Concat")->GetInt("axis", -1), 3);
}

TEST(TransposeTest, GlobalPoolingAsReduceMean) {
  // Keras GlobalAveragePooling2D on NHWC: ReduceMean(axes=[1,2],
  // keepdims=0) -> [N, C], the same in NCHW over axes [2,3]: no Transpose.
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});
  b.Add("ReduceMean", {"t"}, {"y"},
        {ir::Attribute::Ints("axes", {1, 2}), ir::Attribute::Int("keepdims", 0)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
  EXPECT_EQ(FindOp(g, "ReduceMean")->FindAttr("axes")->ints, (std::vector<int64_t>{2, 3}));
}

TEST(TransposeTest, ReduceKeepdimsAndAxesInput) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Output("y").Output("z");
  b.Init("axes", ir::Tensor::Vector1D<int64_t>({-1}));
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});
  b.Add("ReduceSum", {"t", "axes"}, {"s"});  // keepdims=1: [2, 4, 5, 1]
  b.Add("Transpose", {"s"}, {"y"}, {Perm(kToNchw)});
  b.Add("Transpose", {"x"}, {"t2"}, {Perm({0, 3, 1, 2})});  // [2, 5, 3, 4]
  b.Add("ReduceMax", {"t2"}, {"z"},
        {ir::Attribute::Ints("axes", {2}), ir::Attribute::Int("keepdims", 0)});
  ir::Graph g = b.Take();
  Optimize(g);
  // The first pair cancels. The second reduction, done on x over axis 1,
  // gives [2, 4, 5] where [2, 5, 4] is wanted: one Transpose remains.
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(FindOp(g, "ReduceMax")->FindAttr("axes")->ints, (std::vector<int64_t>{1}));
}

TEST(TransposeTest, ReduceWithoutKeepdimsNeedsNoTranspose) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4, 5}).Output("z");
  b.Add("Transpose", {"x"}, {"t2"}, {Perm({0, 2, 1, 3})});  // [2, 4, 3, 5]
  b.Add("ReduceMax", {"t2"}, {"z"},
        {ir::Attribute::Ints("axes", {1}), ir::Attribute::Int("keepdims", 0)});
  ir::Graph g = b.Take();
  Optimize(g);
  // Reducing the moved dim leaves the others in their original order.
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
}

TEST(TransposeTest, ReduceOverEverything) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm({2, 0, 1})});
  b.Add("ReduceSum", {"t"}, {"y"}, {ir::Attribute::Int("keepdims", 0)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
}

TEST(TransposeTest, ReduceWithComputedAxesNotPushed) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Input("axes", {1}, ir::DataType::kInt64).Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm({2, 0, 1})});
  b.Add("ReduceSum", {"t", "axes"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kPasses).ok());
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
}

TEST(TransposeTest, PadPads) {
  GraphBuilder b;
  b.Input("x", {1, 2, 3, 4}).Output("y");
  b.Init("pads", ir::Tensor::Vector1D<int64_t>({0, 1, 2, 0, 0, 3, 0, 0}));
  b.Init("value", ir::Tensor::Scalar<float>(0.5f));
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});
  b.Add("Pad", {"t", "pads", "value"}, {"p"});
  b.Add("Transpose", {"p"}, {"y"}, {Perm(kToNchw)});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
}

TEST(TransposeTest, PadWithAttributePadsAtOpset10) {
  GraphBuilder b;
  b.Input("x", {1, 2, 3, 4}).Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm(kToNhwc)});
  b.Add("Pad", {"t"}, {"p"}, {ir::Attribute::Ints("pads", {0, 1, 0, 0, 0, 0, 2, 0})});
  b.Add("Transpose", {"p"}, {"y"}, {Perm(kToNchw)});
  ir::Graph g = b.Take();
  ir::Graph before = g.Clone();
  ASSERT_TRUE(testing::RunPasses(g, kPasses, 10).ok());
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
  auto diff = testing::NumericDiff(before, g, Opset(10));
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(*diff, 0.0);
}

TEST(TransposeTest, TransposeMovingOnlyUnitDimsBecomesReshape) {
  // Keras squeeze-excite: [N, C] -> Reshape [N, 1, 1, C] -> Transpose to
  // NCHW: no data moves, so it is a Reshape, and the Reshapes merge.
  ir::Graph g;
  ir::ValueType in_t;
  in_t.dtype = ir::DataType::kFloat;
  in_t.shape = std::vector<ir::Dim>{{-1, "n"}, {6, ""}};
  g.inputs.push_back({"x", in_t});
  g.outputs.push_back({"y", {ir::DataType::kFloat, std::nullopt}});
  g.initializers["s"] = ir::Tensor::Vector1D<int64_t>({-1, 1, 1, 6});
  ir::ValueType r_t = in_t;
  r_t.shape = std::vector<ir::Dim>{{-1, "n"}, {1, ""}, {1, ""}, {6, ""}};
  g.value_types["r"] = r_t;
  ir::Node reshape;
  reshape.op_type = "Reshape";
  reshape.inputs = {"x", "s"};
  reshape.outputs = {"r"};
  g.AddNode(reshape);
  ir::Node t;
  t.op_type = "Transpose";
  t.inputs = {"r"};
  t.outputs = {"y"};
  t.attributes = {Perm(kToNchw)};
  g.AddNode(t);
  ir::Graph before = g.Clone();
  ASSERT_TRUE(testing::RunPasses(g, {"optimize_transposes", "transpose_to_reshape", "fuse_reshapes",
                                     "eliminate_dead_code"})
                  .ok());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->op_type, "Reshape");
  EXPECT_EQ(g.nodes[0]->inputs[0], "x");
  EXPECT_EQ(g.FindInitializer(g.nodes[0]->inputs[1])->ToInt64s().value(),
            (std::vector<int64_t>{-1, 6, 1, 1}));
  // Static batch for the numeric check.
  before.inputs[0].type.shape = std::vector<ir::Dim>{{3, ""}, {6, ""}};
  g.inputs[0].type.shape = before.inputs[0].type.shape;
  auto diff = testing::NumericDiff(before, g);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_EQ(*diff, 0.0);
}

TEST(TransposeTest, TransposeMovingDataStaysATranspose) {
  GraphBuilder b;
  b.Input("x", {1, 2, 1, 3}).Output("y").Output("z");
  b.Add("Transpose", {"x"}, {"y"}, {Perm({0, 3, 2, 1})});  // 3 before 2: data moves
  b.Add("Transpose", {"x"}, {"z"}, {Perm({2, 1, 0, 3})});  // only 1s move
  ir::Graph g = b.Take();
  ir::Graph before = g.Clone();
  ASSERT_TRUE(testing::RunPasses(g, {"transpose_to_reshape"}).ok());
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(CountOp(g, "Reshape"), 1);
  auto diff = testing::NumericDiff(before, g);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_EQ(*diff, 0.0);
  EXPECT_TRUE(testing::CheckWithOnnx(g).ok());
}

TEST(TransposeTest, UnaryChainMovesAsOne) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y");
  b.Add("Transpose", {"x"}, {"t"}, {Perm({1, 2, 0})});
  b.Add("LeakyRelu", {"t"}, {"a"}, {ir::Attribute::Float("alpha", 0.2f)});
  b.Add("Tanh", {"a"}, {"c"});
  b.Add("Neg", {"c"}, {"d"});
  b.Add("Transpose", {"d"}, {"y"}, {Perm({2, 0, 1})});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
  EXPECT_EQ(g.nodes.size(), 3u);
}

TEST(TransposeTest, TypesOfMovedValuesStayConsistent) {
  // value_info of rewired values must match what ONNX infers (the checker
  // run in Optimize() does strict shape inference); none may be stale.
  ir::Graph g = ConvChain();
  Optimize(g);
  std::set<std::string> produced;
  for (const auto& n : g.nodes) produced.insert(n->outputs.begin(), n->outputs.end());
  for (const auto& [name, type] : g.value_types) {
    EXPECT_TRUE(produced.count(name)) << "stale value_info " << name;
    ASSERT_TRUE(type.shape.has_value()) << name;
    EXPECT_EQ(type.shape->size(), 4u) << name;
  }
  EXPECT_EQ(g.value_types.count("act_nchw"), 0u);
}

}  // namespace
}  // namespace onnxsmith::optimizer
