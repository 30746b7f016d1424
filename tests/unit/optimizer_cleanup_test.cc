// eliminate_dead_code, eliminate_identity and fuse_reshapes on hand-built
// graphs: where they must fire, where they must not, and that the numbers
// do not change.
#include "gtest/gtest.h"
#include "optimizer/registry.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::GraphBuilder;

// Runs `passes` and checks that the graph still validates and computes the
// same outputs as before.
void Optimize(ir::Graph& g, const std::vector<std::string>& passes, int64_t opset = 17) {
  absl::Status s = testing::OptimizeAndCheck(g, passes, opset, 1e-6);
  EXPECT_TRUE(s.ok()) << s;
}

const std::vector<std::string> kIdentity = {"eliminate_identity", "eliminate_dead_code"};
const std::vector<std::string> kReshape = {"fuse_reshapes", "eliminate_dead_code"};

ir::Tensor Shape(std::vector<int64_t> v) { return ir::Tensor::Vector1D<int64_t>(v); }

// ---- eliminate_dead_code ---------------------------------------------------

TEST(DeadCodeTest, RemovesUnusedNodesInitializersAndTypes) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("used", testing::RandomFloatTensor({3}, 1));
  b.Init("unused", testing::RandomFloatTensor({3}, 2));
  b.Init("dead_operand", testing::RandomFloatTensor({3}, 3));
  b.Add("Add", {"x", "used"}, {"y"});
  b.Add("Mul", {"x", "dead_operand"}, {"dead"});
  b.Add("Relu", {"dead"}, {"dead2"});
  b.Type("dead", {2, 3}).Type("dead2", {2, 3});
  ir::Graph g = b.Take();
  auto report = testing::RunPasses(g, {"eliminate_dead_code"});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.initializers.size(), 1u);
  EXPECT_TRUE(g.IsInitializer("used"));
  EXPECT_TRUE(g.value_types.empty());
  EXPECT_EQ(report->passes[0].changes, 4);  // 2 nodes + 2 initializers
}

TEST(DeadCodeTest, KeepsInitializerThatIsAlsoAGraphInput) {
  GraphBuilder b;
  b.Input("x", {3}).Input("override_me", {3}).Output("y");
  b.Init("override_me", testing::RandomFloatTensor({3}, 1));
  b.Add("Neg", {"x"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, {"eliminate_dead_code"}).ok());
  EXPECT_TRUE(g.IsInitializer("override_me"));
}

TEST(DeadCodeTest, KeepsGraphOutputThatIsAnInitializer) {
  GraphBuilder b;
  b.Input("x", {3}).Output("y").Output("w");
  b.Init("w", testing::RandomFloatTensor({3}, 1));
  b.Add("Neg", {"x"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, {"eliminate_dead_code"}).ok());
  EXPECT_TRUE(g.IsInitializer("w"));
}

// ---- eliminate_identity ----------------------------------------------------

TEST(IdentityTest, RemovesIdentityInTheMiddle) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Add("Identity", {"x"}, {"i"});
  b.Add("Relu", {"i"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kIdentity);
  EXPECT_EQ(CountOp(g, "Identity"), 0);
  EXPECT_EQ(g.nodes[0]->inputs[0], "x");
}

TEST(IdentityTest, GraphOutputIsRenamedNotLost) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Identity", {"r"}, {"y"});
  b.Add("Neg", {"r"}, {"unused_but_reads_r"});
  ir::Graph g = b.Take();
  Optimize(g, kIdentity);
  EXPECT_EQ(CountOp(g, "Identity"), 0);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->outputs[0], "y");
  EXPECT_EQ(g.outputs[0].name, "y");
}

TEST(IdentityTest, KeepsInputToOutputIdentity) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Add("Identity", {"x"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kIdentity);
  EXPECT_EQ(CountOp(g, "Identity"), 1);
}

TEST(IdentityTest, KeepsIdentityBetweenTwoGraphOutputs) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("r").Output("y");
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Identity", {"r"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kIdentity);
  EXPECT_EQ(CountOp(g, "Identity"), 1);
}

TEST(IdentityTest, InferenceDropoutRemoved) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("ratio", ir::Tensor::Scalar<float>(0.5f));
  b.Init("training", ir::Tensor::Scalar<bool>(false));
  b.Add("Dropout", {"x", "ratio", "training"}, {"d"});
  b.Add("Relu", {"d"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kIdentity);
  EXPECT_EQ(CountOp(g, "Dropout"), 0);
  EXPECT_FALSE(g.IsInitializer("ratio"));
}

TEST(IdentityTest, DropoutKeptWhenMaskUsedOrTraining) {
  {
    GraphBuilder b;
    b.Input("x", {2, 3}).Output("y").Output("mask");
    b.Add("Dropout", {"x"}, {"d", "mask"});
    b.Add("Relu", {"d"}, {"y"});
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kIdentity).ok());
    EXPECT_EQ(CountOp(g, "Dropout"), 1);
  }
  {
    GraphBuilder b;
    b.Input("x", {2, 3}).Output("y");
    b.Init("training", ir::Tensor::Scalar<bool>(true));
    b.Add("Dropout", {"x", "", "training"}, {"d"});
    b.Add("Relu", {"d"}, {"y"});
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kIdentity).ok());
    EXPECT_EQ(CountOp(g, "Dropout"), 1);
  }
  {
    // training_mode computed at run time.
    GraphBuilder b;
    b.Input("x", {2, 3}).Input("training", {}, ir::DataType::kBool).Output("y");
    b.Add("Dropout", {"x", "", "training"}, {"d"});
    b.Add("Relu", {"d"}, {"y"});
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kIdentity).ok());
    EXPECT_EQ(CountOp(g, "Dropout"), 1);
  }
  {
    // Opset 6: is_test defaults to 0 (training).
    GraphBuilder b;
    b.Input("x", {2, 3}).Output("y");
    b.Add("Dropout", {"x"}, {"d"});
    b.Add("Relu", {"d"}, {"y"});
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kIdentity, 6).ok());
    EXPECT_EQ(CountOp(g, "Dropout"), 1);
  }
}

TEST(IdentityTest, CastToSameTypeOnly) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y").Output("z");
  b.Add("Cast", {"x"}, {"same"}, {ir::Attribute::Int("to", 1)});
  b.Add("Relu", {"same"}, {"y"});
  b.Add("Cast", {"x"}, {"other"}, {ir::Attribute::Int("to", 11)});
  b.Add("Abs", {"other"}, {"unknown_type"});
  b.Add("Cast", {"unknown_type"}, {"z"}, {ir::Attribute::Int("to", 1)});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kIdentity).ok());
  // The float->float Cast goes; float->double and the untyped one stay.
  EXPECT_EQ(CountOp(g, "Cast"), 2);
  for (const auto& n : g.nodes) {
    if (n->op_type == "Relu") {
      EXPECT_EQ(n->inputs[0], "x");
    }
  }
}

TEST(IdentityTest, ReshapeToSameShape) {
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 3}, {0, -1}, {-1, 3}, {2, 0}}) {
    GraphBuilder b;
    b.Input("x", {2, 3}).Output("y");
    b.Init("s", Shape(shape));
    b.Add("Reshape", {"x", "s"}, {"r"});
    b.Add("Relu", {"r"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kIdentity);
    EXPECT_EQ(CountOp(g, "Reshape"), 0) << shape[0] << "," << shape[1];
  }
}

TEST(IdentityTest, ReshapeThatChangesShapeKept) {
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{3, 2}, {6}, {1, 2, 3}, {-1, 2}}) {
    GraphBuilder b;
    b.Input("x", {2, 3}).Output("y");
    b.Init("s", Shape(shape));
    b.Add("Reshape", {"x", "s"}, {"r"});
    b.Add("Relu", {"r"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kIdentity);
    EXPECT_EQ(CountOp(g, "Reshape"), 1);
  }
}

TEST(IdentityTest, ReshapeOfUnknownDimsKeptUnlessProvable) {
  // x: [?, 3]. [-1, 3] is provably a no-op; [2, 3] is not.
  for (bool provable : {true, false}) {
    ir::Graph g;
    ir::ValueType t;
    t.dtype = ir::DataType::kFloat;
    t.shape = std::vector<ir::Dim>{{-1, "n"}, {3, ""}};
    g.inputs.push_back({"x", t});
    g.outputs.push_back({"y", {ir::DataType::kFloat, std::nullopt}});
    g.initializers["s"] =
        Shape(provable ? std::vector<int64_t>{-1, 3} : std::vector<int64_t>{2, 3});
    ir::Node n;
    n.op_type = "Reshape";
    n.inputs = {"x", "s"};
    n.outputs = {"r"};
    g.AddNode(n);
    ir::Node r;
    r.op_type = "Relu";
    r.inputs = {"r"};
    r.outputs = {"y"};
    g.AddNode(r);
    ASSERT_TRUE(testing::RunPasses(g, kIdentity).ok());
    EXPECT_EQ(CountOp(g, "Reshape"), provable ? 0 : 1);
  }
}

TEST(IdentityTest, IdentityTransposeOnly) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y").Output("z");
  b.Add("Transpose", {"x"}, {"t"}, {ir::Attribute::Ints("perm", {0, 1})});
  b.Add("Relu", {"t"}, {"y"});
  b.Add("Transpose", {"x"}, {"u"}, {ir::Attribute::Ints("perm", {1, 0})});
  b.Add("Relu", {"u"}, {"z"});
  ir::Graph g = b.Take();
  Optimize(g, kIdentity);
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
}

// ---- fuse_reshapes ---------------------------------------------------------

TEST(ReshapeFusionTest, MergesReshapeChains) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y");
  b.Init("s1", Shape({6, 4}));
  b.Init("s2", Shape({4, -1}));
  b.Add("Reshape", {"x", "s1"}, {"a"});
  b.Add("Reshape", {"a", "s2"}, {"r"});
  b.Add("Relu", {"r"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kReshape);
  EXPECT_EQ(CountOp(g, "Reshape"), 1);
  EXPECT_EQ(g.nodes[0]->inputs[0], "x");
  EXPECT_EQ(g.nodes[0]->inputs[1], "s2");
}

TEST(ReshapeFusionTest, MergesThroughFlattenAndSqueeze) {
  GraphBuilder b;
  b.Input("x", {2, 1, 6}).Output("y");
  b.Init("axes", Shape({1}));
  b.Init("s", Shape({3, 4}));
  b.Add("Squeeze", {"x", "axes"}, {"a"});
  b.Add("Flatten", {"a"}, {"f"}, {ir::Attribute::Int("axis", 0)});
  b.Add("Reshape", {"f", "s"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kReshape);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->op_type, "Reshape");
}

TEST(ReshapeFusionTest, KeepsChainWhenOuterShapeCopiesDims) {
  // 0 in the outer shape copies a dim of the *intermediate* value.
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y");
  b.Init("s1", Shape({6, 4}));
  b.Init("s2", Shape({0, 2, 2}));
  b.Add("Reshape", {"x", "s1"}, {"a"});
  b.Add("Reshape", {"a", "s2"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kReshape);
  EXPECT_EQ(CountOp(g, "Reshape"), 2);
}

TEST(ReshapeFusionTest, SharedIntermediateStays) {
  GraphBuilder b;
  b.Input("x", {2, 3, 4}).Output("y").Output("z");
  b.Init("s1", Shape({6, 4}));
  b.Init("s2", Shape({24}));
  b.Add("Reshape", {"x", "s1"}, {"a"});
  b.Add("Reshape", {"a", "s2"}, {"y"});
  b.Add("Relu", {"a"}, {"z"});
  ir::Graph g = b.Take();
  Optimize(g, kReshape);
  EXPECT_EQ(CountOp(g, "Reshape"), 2);
  for (const auto& n : g.nodes) {
    if (n->outputs[0] == "y") {
      EXPECT_EQ(n->inputs[0], "x");
    }
  }
}

TEST(ReshapeFusionTest, SqueezeUnsqueezePairsCancel) {
  {
    GraphBuilder b;
    b.Input("x", {2, 1, 3}).Output("y");
    b.Init("a1", Shape({1}));
    b.Init("a2", Shape({-2}));  // the same axis, counted from the end of rank 3
    b.Add("Squeeze", {"x", "a1"}, {"s"});
    b.Add("Unsqueeze", {"s", "a2"}, {"u"});
    b.Add("Relu", {"u"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kReshape);
    EXPECT_EQ(g.nodes.size(), 1u);
  }
  {
    GraphBuilder b;
    b.Input("x", {2, 3}).Output("y");
    b.Init("a", Shape({0, 3}));
    b.Add("Unsqueeze", {"x", "a"}, {"u"});
    b.Add("Squeeze", {"u", "a"}, {"s"});
    b.Add("Relu", {"s"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kReshape);
    EXPECT_EQ(g.nodes.size(), 1u);
  }
  {
    // Opset 11 style: axes as attributes.
    GraphBuilder b;
    b.Input("x", {2, 3}).Output("y");
    b.Add("Unsqueeze", {"x"}, {"u"}, {ir::Attribute::Ints("axes", {1})});
    b.Add("Squeeze", {"u"}, {"s"}, {ir::Attribute::Ints("axes", {1})});
    b.Add("Relu", {"s"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kReshape, 11);
    EXPECT_EQ(g.nodes.size(), 1u);
  }
}

TEST(ReshapeFusionTest, SqueezeUnsqueezeOverDifferentAxesKept) {
  GraphBuilder b;
  b.Input("x", {2, 1, 3}).Output("y");
  b.Init("a1", Shape({1}));
  b.Init("a2", Shape({0}));
  b.Add("Squeeze", {"x", "a1"}, {"s"});
  b.Add("Unsqueeze", {"s", "a2"}, {"u"});
  b.Add("Relu", {"u"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kReshape);
  EXPECT_EQ(g.nodes.size(), 3u);
}

TEST(ReshapeFusionTest, SqueezeUnsqueezeWithComputedAxesKept) {
  GraphBuilder b;
  b.Input("x", {2, 1, 3}).Input("axes", {1}, ir::DataType::kInt64).Output("y");
  b.Add("Squeeze", {"x", "axes"}, {"s"});
  b.Add("Unsqueeze", {"s", "axes"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kReshape).ok());
  EXPECT_EQ(g.nodes.size(), 2u);
}

}  // namespace
}  // namespace onnxsmith::optimizer
