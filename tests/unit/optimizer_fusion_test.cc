// fuse_conv_scale_bias and fuse_matmul_add_into_gemm on hand-built graphs.
#include "gtest/gtest.h"
#include "optimizer/registry.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::FindOp;
using testing::GraphBuilder;

const std::vector<std::string> kConv = {"fuse_conv_scale_bias", "eliminate_dead_code"};
const std::vector<std::string> kGemm = {"fuse_matmul_add_into_gemm", "eliminate_dead_code"};

void Optimize(ir::Graph& g, const std::vector<std::string>& passes, double tol = 1e-5) {
  absl::Status s = testing::OptimizeAndCheck(g, passes, 17, tol);
  EXPECT_TRUE(s.ok()) << s;
}

// x [1, 3, 5, 5] -> Conv(w [4, 3, 3, 3], bias?) -> c [1, 4, 3, 3]
GraphBuilder ConvBase(bool bias) {
  GraphBuilder b;
  b.Input("x", {1, 3, 5, 5});
  b.Init("w", testing::RandomFloatTensor({4, 3, 3, 3}, 1));
  std::vector<std::string> in = {"x", "w"};
  if (bias) {
    b.Init("b", testing::RandomFloatTensor({4}, 2));
    in.push_back("b");
  }
  b.Add("Conv", in, {"c"});
  b.Type("c", {1, 4, 3, 3});
  return b;
}

TEST(ConvFoldTest, BatchNormAsMulAddFoldsIntoConv) {
  GraphBuilder b = ConvBase(true);
  b.Output("y");
  b.Init("scale", testing::RandomFloatTensor({4, 1, 1}, 3));
  b.Init("shift", testing::RandomFloatTensor({1, 4, 1, 1}, 4));
  b.Add("Mul", {"c", "scale"}, {"m"});
  b.Add("Add", {"shift", "m"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  ASSERT_EQ(g.nodes.size(), 1u);
  const ir::Node& conv = *g.nodes[0];
  EXPECT_EQ(conv.op_type, "Conv");
  EXPECT_EQ(conv.outputs[0], "y");
  ASSERT_EQ(conv.inputs.size(), 3u);
  // Folded numerically: weight and bias are new initializers.
  EXPECT_NE(g.FindInitializer(conv.inputs[1]), nullptr);
  EXPECT_NE(g.FindInitializer(conv.inputs[2]), nullptr);
  EXPECT_FALSE(g.IsInitializer("w"));  // the original weight is gone
}

TEST(ConvFoldTest, AddCreatesMissingBias) {
  GraphBuilder b = ConvBase(false);
  b.Output("y");
  b.Init("shift", testing::RandomFloatTensor({4, 1, 1}, 4));
  b.Add("Add", {"c", "shift"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->inputs.size(), 3u);
}

TEST(ConvFoldTest, ScalarScaleSubAndDiv) {
  GraphBuilder b = ConvBase(false);
  b.Output("y");
  b.Init("two", ir::Tensor::Scalar<float>(2.0f));
  b.Init("shift", testing::RandomFloatTensor({4, 1, 1}, 4));
  b.Add("Div", {"c", "two"}, {"d"});
  b.Add("Sub", {"d", "shift"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  ASSERT_EQ(g.nodes.size(), 1u);
}

TEST(ConvFoldTest, GroupedConv) {
  GraphBuilder b;
  b.Input("x", {1, 4, 5, 5}).Output("y");
  b.Init("w", testing::RandomFloatTensor({4, 1, 3, 3}, 1));
  b.Init("scale", testing::RandomFloatTensor({4, 1, 1}, 3));
  b.Add("Conv", {"x", "w"}, {"c"}, {ir::Attribute::Int("group", 4)});
  b.Add("Mul", {"c", "scale"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  EXPECT_EQ(g.nodes.size(), 1u);
}

TEST(ConvFoldTest, ComputedScaleFoldsOnTheConstantPath) {
  // scale = 1 / sqrt(var + eps) is computed by nodes (no constant folding
  // yet): the fold moves the Mul onto the weights, off the data path.
  GraphBuilder b = ConvBase(true);
  b.Output("y");
  b.Init("var", ir::Tensor::FromVector<float>({4, 1, 1}, {0.5f, 1.0f, 2.0f, 4.0f}));
  b.Init("eps", ir::Tensor::Scalar<float>(1e-3f));
  b.Add("Add", {"var", "eps"}, {"ve"});
  b.Add("Sqrt", {"ve"}, {"sd"});
  b.Add("Reciprocal", {"sd"}, {"inv"});
  b.Type("ve", {4, 1, 1}).Type("sd", {4, 1, 1}).Type("inv", {4, 1, 1});
  b.Add("Mul", {"c", "inv"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(g.TopologicalSort().ok());
  Optimize(g, kConv);
  const ir::Node* conv = nullptr;
  for (const auto& n : g.nodes) {
    if (n->op_type == "Conv") conv = n.get();
  }
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->outputs[0], "y");
  // Nothing reads the Conv's output but the graph output.
  for (const auto& n : g.nodes) {
    for (const auto& in : n->inputs) EXPECT_NE(in, "y");
  }
}

TEST(ConvFoldTest, NotFoldedWhenNotPerChannel) {
  for (const std::vector<int64_t>& dims :
       {std::vector<int64_t>{4, 3, 3}, {3}, {1, 1, 3, 1}, {2, 4, 1, 1}, {1, 1, 4, 1, 1}}) {
    GraphBuilder b = ConvBase(true);
    b.Output("y");
    b.Init("k", testing::RandomFloatTensor(dims, 3));
    b.Add("Mul", {"c", "k"}, {"y"});
    ir::Graph g = b.Take();
    auto report = testing::RunPasses(g, kConv);
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(CountOp(g, "Mul"), 1) << dims.size();
  }
}

TEST(ConvFoldTest, NotFoldedWhenConvOutputHasOtherReaders) {
  GraphBuilder b = ConvBase(true);
  b.Output("y").Output("z");
  b.Init("k", testing::RandomFloatTensor({4, 1, 1}, 3));
  b.Add("Mul", {"c", "k"}, {"y"});
  b.Add("Relu", {"c"}, {"z"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(ConvFoldTest, NotFoldedWhenConvOutputIsAGraphOutput) {
  GraphBuilder b = ConvBase(true);
  b.Output("c").Output("y");
  b.Init("k", testing::RandomFloatTensor({4, 1, 1}, 3));
  b.Add("Mul", {"c", "k"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(ConvFoldTest, NotFoldedWithNonConstantOperand) {
  GraphBuilder b = ConvBase(true);
  b.Input("k", {4, 1, 1}).Output("y");
  b.Add("Mul", {"c", "k"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(ConvFoldTest, NotFoldedWhenConvIsTheSubtrahendOrDivisor) {
  for (const char* op : {"Sub", "Div"}) {
    GraphBuilder b = ConvBase(true);
    b.Output("y");
    b.Init("k", testing::RandomFloatTensor({4, 1, 1}, 3));
    b.Add(op, {"k", "c"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kConv);
    EXPECT_EQ(CountOp(g, op), 1) << op;
  }
}

TEST(ConvFoldTest, NotFoldedBeforeOpset7) {
  GraphBuilder b = ConvBase(true);
  b.Output("y");
  b.Init("k", testing::RandomFloatTensor({4}, 3));
  b.Add("Mul", {"c", "k"}, {"y"},
        {ir::Attribute::Int("broadcast", 1), ir::Attribute::Int("axis", 1)});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kConv, 6).ok());
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(ConvFoldTest, ConvWithComputedWeightsStillFoldsSymbolically) {
  // Weights behind an Identity are a constant expression, not an initializer.
  GraphBuilder b;
  b.Input("x", {1, 3, 5, 5}).Output("y");
  b.Init("w0", testing::RandomFloatTensor({4, 3, 3, 3}, 1));
  b.Init("k", testing::RandomFloatTensor({4, 1, 1}, 3));
  b.Add("Identity", {"w0"}, {"w"});
  b.Type("w", {4, 3, 3, 3});
  b.Add("Conv", {"x", "w"}, {"c"});
  b.Add("Mul", {"c", "k"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kConv);
  const ir::Node* conv = FindOp(g, "Conv");
  EXPECT_EQ(conv->outputs[0], "y");
  EXPECT_EQ(conv->inputs.size(), 2u);  // scaling a bias-free Conv adds no bias
}

// ---- MatMul + Add -> Gemm --------------------------------------------------

GraphBuilder MatMulBase(std::vector<int64_t> a_dims) {
  GraphBuilder b;
  b.Input("a", a_dims);
  b.Init("w", testing::RandomFloatTensor({4, 3}, 1));
  b.Add("MatMul", {"a", "w"}, {"mm"});
  return b;
}

TEST(GemmFusionTest, MatMulPlusBiasBecomesGemm) {
  for (const std::vector<int64_t>& c_dims : {std::vector<int64_t>{3}, {1, 3}, {2, 3}, {2, 1}, {}}) {
    GraphBuilder b = MatMulBase({2, 4});
    b.Output("y");
    b.Init("c", testing::RandomFloatTensor(c_dims, 2));
    b.Add("Add", {"c", "mm"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kGemm);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0]->op_type, "Gemm");
    EXPECT_EQ(g.nodes[0]->outputs[0], "y");
  }
}

TEST(GemmFusionTest, NotFusedWhenTheBiasWidensTheResult) {
  // [1, 3] + [5, 3] is [5, 3]: Gemm's C cannot do that.
  GraphBuilder b = MatMulBase({1, 4});
  b.Output("y");
  b.Init("c", testing::RandomFloatTensor({5, 3}, 2));
  b.Add("Add", {"mm", "c"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kGemm);
  EXPECT_EQ(CountOp(g, "Gemm"), 0);
}

TEST(GemmFusionTest, NotFusedForRank3) {
  GraphBuilder b;
  b.Input("a", {2, 2, 4}).Output("y");
  b.Init("w", testing::RandomFloatTensor({4, 3}, 1));
  b.Init("c", testing::RandomFloatTensor({3}, 2));
  b.Add("MatMul", {"a", "w"}, {"mm"});
  b.Add("Add", {"mm", "c"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kGemm).ok());
  EXPECT_EQ(CountOp(g, "Gemm"), 0);
}

TEST(GemmFusionTest, NotFusedWithNonConstantBiasOrSharedProduct) {
  {
    GraphBuilder b = MatMulBase({2, 4});
    b.Input("c", {3}).Output("y");
    b.Add("Add", {"mm", "c"}, {"y"});
    ir::Graph g = b.Take();
    Optimize(g, kGemm);
    EXPECT_EQ(CountOp(g, "Gemm"), 0);
  }
  {
    GraphBuilder b = MatMulBase({2, 4});
    b.Output("y").Output("z");
    b.Init("c", testing::RandomFloatTensor({3}, 2));
    b.Add("Add", {"mm", "c"}, {"y"});
    b.Add("Relu", {"mm"}, {"z"});
    ir::Graph g = b.Take();
    Optimize(g, kGemm);
    EXPECT_EQ(CountOp(g, "Gemm"), 0);
  }
}

TEST(GemmFusionTest, UnknownBatchDimWithRowBias) {
  // A: [?, 4]; a [1, 3] or [3] bias broadcasts over any batch.
  ir::Graph g;
  ir::ValueType t;
  t.dtype = ir::DataType::kFloat;
  t.shape = std::vector<ir::Dim>{{-1, "n"}, {4, ""}};
  g.inputs.push_back({"a", t});
  g.outputs.push_back({"y", {ir::DataType::kFloat, std::nullopt}});
  g.initializers["w"] = testing::RandomFloatTensor({4, 3}, 1);
  g.initializers["c"] = testing::RandomFloatTensor({3}, 2);
  g.initializers["c2"] = testing::RandomFloatTensor({7, 3}, 3);
  ir::Node mm;
  mm.op_type = "MatMul";
  mm.inputs = {"a", "w"};
  mm.outputs = {"mm"};
  g.AddNode(mm);
  ir::Node add;
  add.op_type = "Add";
  add.inputs = {"mm", "c"};
  add.outputs = {"y"};
  g.AddNode(add);
  ir::Graph g2 = g.Clone();
  g2.nodes[1]->inputs[1] = "c2";  // [7, 3] needs the batch to be 7 (or 1)
  ASSERT_TRUE(testing::RunPasses(g, kGemm).ok());
  EXPECT_EQ(CountOp(g, "Gemm"), 1);
  ASSERT_TRUE(testing::RunPasses(g2, kGemm).ok());
  EXPECT_EQ(CountOp(g2, "Gemm"), 0);
}

// ---- Everything together: the converter's NHWC Conv + BatchNorm ------------

TEST(FullPipelineTest, ConvertedConvBatchNormReluBecomesOneConvRelu) {
  GraphBuilder b;
  b.Input("x", {1, 5, 5, 3}).Output("y");
  b.Init("w", testing::RandomFloatTensor({4, 3, 3, 3}, 1));
  b.Init("bias", testing::RandomFloatTensor({4}, 2));
  b.Init("scale", testing::RandomFloatTensor({4}, 3));
  b.Init("shift", testing::RandomFloatTensor({4}, 4));
  b.Add("Transpose", {"x"}, {"xt"}, {ir::Attribute::Ints("perm", {0, 3, 1, 2})});
  b.Add("Conv", {"xt", "w"}, {"c"}, {ir::Attribute::Ints("pads", {1, 1, 1, 1})});
  b.Add("Transpose", {"c"}, {"ct"}, {ir::Attribute::Ints("perm", {0, 2, 3, 1})});
  b.Add("Add", {"ct", "bias"}, {"cb"});
  b.Add("Mul", {"cb", "scale"}, {"bn1"});
  b.Add("Add", {"bn1", "shift"}, {"bn2"});
  b.Add("Relu", {"bn2"}, {"r"});
  b.Add("Transpose", {"r"}, {"rt"}, {ir::Attribute::Ints("perm", {0, 3, 1, 2})});
  b.Add("MaxPool", {"rt"}, {"p"}, {ir::Attribute::Ints("kernel_shape", {1, 1})});
  b.Add("Transpose", {"p"}, {"y"}, {ir::Attribute::Ints("perm", {0, 2, 3, 1})});
  b.Type("c", {1, 4, 5, 5}).Type("ct", {1, 5, 5, 4}).Type("cb", {1, 5, 5, 4});
  b.Type("bn1", {1, 5, 5, 4}).Type("bn2", {1, 5, 5, 4}).Type("r", {1, 5, 5, 4});
  ir::Graph g = b.Take();
  OptimizeOptions options;
  options.verify_each_pass = true;
  auto pipeline = BuildPipeline(options);
  ASSERT_TRUE(pipeline.ok());
  auto report = pipeline->Run(g, 17);
  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<std::string> ops;
  for (const auto& n : g.nodes) ops.push_back(n->op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Transpose", "Conv", "Relu", "MaxPool", "Transpose"}));
  EXPECT_TRUE(testing::CheckWithOnnx(g).ok());
}

TEST(FullPipelineTest, ConvBatchNormNumerics) {
  GraphBuilder b;
  b.Input("x", {2, 5, 5, 3}).Output("y");
  b.Init("w", testing::RandomFloatTensor({4, 3, 3, 3}, 1));
  b.Init("bias", testing::RandomFloatTensor({4}, 2));
  b.Init("scale", testing::RandomFloatTensor({4}, 3));
  b.Init("shift", testing::RandomFloatTensor({4}, 4));
  b.Add("Transpose", {"x"}, {"xt"}, {ir::Attribute::Ints("perm", {0, 3, 1, 2})});
  b.Add("Conv", {"xt", "w"}, {"c"}, {ir::Attribute::Ints("pads", {1, 1, 1, 1})});
  b.Add("Transpose", {"c"}, {"ct"}, {ir::Attribute::Ints("perm", {0, 2, 3, 1})});
  b.Add("Add", {"ct", "bias"}, {"cb"});
  b.Add("Mul", {"cb", "scale"}, {"bn1"});
  b.Add("Add", {"bn1", "shift"}, {"y"});
  ir::Graph g = b.Take();
  ir::Graph before = g.Clone();
  OptimizeOptions options;
  options.verify_each_pass = true;
  auto pipeline = BuildPipeline(options);
  ASSERT_TRUE(pipeline.ok());
  ASSERT_TRUE(pipeline->Run(g, 17).ok());
  EXPECT_EQ(CountOp(g, "Mul"), 0);
  EXPECT_EQ(CountOp(g, "Add"), 0);
  EXPECT_EQ(CountOp(g, "Transpose"), 2);
  auto diff = testing::NumericDiff(before, g);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_LE(*diff, 1e-5);
}

}  // namespace
}  // namespace onnxsmith::optimizer
