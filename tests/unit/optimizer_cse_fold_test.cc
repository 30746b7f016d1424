// eliminate_common_subexpressions, deduplicate_initializers, fuse_batchnorm,
// fuse_pad and fold_shape_computations on hand-built graphs; numbers are
// checked with the reference evaluator before and after.
#include <map>

#include "gtest/gtest.h"
#include "optimizer/registry.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::GraphBuilder;

ir::Tensor I64(std::vector<int64_t> v) { return ir::Tensor::Vector1D<int64_t>(v); }

// Runs `passes` (+ dead code) and checks convergence, the ONNX checker and
// the numbers (`use_evaluator`: a looser tolerance, for the rewrites that
// fold weights).
void Optimize(ir::Graph& g, std::vector<std::string> passes, bool use_evaluator = false,
              const std::map<std::string, std::vector<int64_t>>& dims = {}) {
  passes.push_back("eliminate_dead_code");
  absl::Status s = testing::OptimizeAndCheck(g, passes, 17, use_evaluator ? 1e-4 : 1e-5, dims);
  EXPECT_TRUE(s.ok()) << s;
}

// ---- eliminate_common_subexpressions ----------------------------------------

const std::vector<std::string> kCse = {"eliminate_common_subexpressions"};

TEST(CseTest, MergesEqualNodesAndTheirReaders) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("c", testing::RandomFloatTensor({3}, 1));
  b.Add("Mul", {"x", "c"}, {"m1"});
  b.Add("Mul", {"x", "c"}, {"m2"});
  b.Add("Relu", {"m1"}, {"r1"});
  b.Add("Relu", {"m2"}, {"r2"});
  b.Add("Add", {"r1", "r2"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kCse);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
  EXPECT_EQ(CountOp(g, "Relu"), 1);
  EXPECT_EQ(g.nodes.size(), 3u);
}

TEST(CseTest, DifferentAttributesOrInputOrderNotMerged) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Input("z", {2, 3}).Output("y").Output("w");
  b.Add("LeakyRelu", {"x"}, {"a"}, {ir::Attribute::Float("alpha", 0.1f)});
  b.Add("LeakyRelu", {"x"}, {"b"}, {ir::Attribute::Float("alpha", 0.2f)});
  b.Add("Add", {"a", "b"}, {"y"});
  b.Add("Sub", {"x", "z"}, {"s1"});
  b.Add("Sub", {"z", "x"}, {"s2"});
  b.Add("Add", {"s1", "s2"}, {"w"});
  ir::Graph g = b.Take();
  Optimize(g, kCse);
  EXPECT_EQ(CountOp(g, "LeakyRelu"), 2);
  EXPECT_EQ(CountOp(g, "Sub"), 2);
}

TEST(CseTest, GraphOutputNameKept) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y1").Output("y2");
  b.Add("Relu", {"x"}, {"t"});
  b.Add("Relu", {"x"}, {"y1"});  // duplicate that is a graph output
  b.Add("Neg", {"t"}, {"y2"});
  ir::Graph g = b.Take();
  Optimize(g, kCse);
  ASSERT_EQ(CountOp(g, "Relu"), 1);
  for (const auto& n : g.nodes) {
    if (n->op_type == "Relu") {
      EXPECT_EQ(n->outputs[0], "y1");
    }
    if (n->op_type == "Neg") {
      EXPECT_EQ(n->inputs[0], "y1");
    }
  }
}

TEST(CseTest, TwoGraphOutputsNotMerged) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y1").Output("y2");
  b.Add("Relu", {"x"}, {"y1"});
  b.Add("Relu", {"x"}, {"y2"});
  ir::Graph g = b.Take();
  Optimize(g, kCse);
  EXPECT_EQ(CountOp(g, "Relu"), 2);
}

TEST(CseTest, RandomOpsNotMerged) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Add("RandomUniformLike", {"x"}, {"r1"});
  b.Add("RandomUniformLike", {"x"}, {"r2"});
  b.Add("Sub", {"r1", "r2"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kCse).ok());
  EXPECT_EQ(CountOp(g, "RandomUniformLike"), 2);
}

TEST(CseTest, SiblingSubgraphsOptimizedInParallel) {
  // An If whose branches each hold a duplicate; the pipeline runs the
  // branches on TBB workers with a fresh pass each.
  auto branch = [](const std::string& out) {
    GraphBuilder b;
    b.Output(out);
    b.Add("Relu", {"x"}, {out + "_1"});
    b.Add("Relu", {"x"}, {out + "_2"});
    b.Add("Add", {out + "_1", out + "_2"}, {out});
    return std::make_shared<ir::Graph>(b.Take());
  };
  GraphBuilder b;
  b.Input("x", {2, 3}).Input("cond", {}, ir::DataType::kBool).Output("y");
  b.Add("If", {"cond"}, {"y"},
        {ir::Attribute::GraphValue("then_branch", branch("t")),
         ir::Attribute::GraphValue("else_branch", branch("e"))});
  ir::Graph g = b.Take();
  auto report = testing::RunPasses(g, kCse);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->passes[0].changes, 2);
  for (const auto& a : g.nodes[0]->attributes) {
    EXPECT_EQ(CountOp(*a.g, "Relu"), 1) << a.name;
  }
}

// ---- deduplicate_initializers -----------------------------------------------

const std::vector<std::string> kDedupCse = {"deduplicate_initializers",
                                            "eliminate_common_subexpressions"};

TEST(DedupTest, EqualInitializersMergedThenCse) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("c1", testing::RandomFloatTensor({3}, 5));
  b.Init("c2", testing::RandomFloatTensor({3}, 5));
  b.Add("Mul", {"x", "c1"}, {"m1"});
  b.Add("Mul", {"x", "c2"}, {"m2"});
  b.Add("Add", {"m1", "m2"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kDedupCse);
  EXPECT_EQ(g.initializers.size(), 1u);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(DedupTest, SameBytesOtherShapeOrTypeOrOverridableKept) {
  GraphBuilder b;
  b.Input("x", {2, 2}).Input("c4", {2, 2}).Output("y");
  ir::Tensor t = testing::RandomFloatTensor({2, 2}, 6);
  b.Init("c1", t);
  b.Init("c2", *t.Reshaped({4}));
  b.Init("c3", *ir::Tensor::FromRaw(ir::DataType::kInt32, {2, 2}, std::string(t.raw())));
  b.Init("c4", t);  // a graph input of the same name can override it
  b.Add("Mul", {"x", "c1"}, {"m1"});
  b.Add("Reshape", {"c2", "s"}, {"m2"});
  b.Init("s", I64({2, 2}));
  b.Add("Cast", {"c3"}, {"m3"}, {ir::Attribute::Int("to", 1)});
  b.Add("Sum", {"m1", "m2", "m3", "c4"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, {"deduplicate_initializers"}).ok());
  EXPECT_EQ(g.initializers.size(), 5u);
}

TEST(DedupTest, LargeTensorsComparedInParallel) {
  // 2 MiB each: the chunked parallel path.
  const int64_t n = 512 * 1024;
  ir::Tensor big = testing::RandomFloatTensor({n}, 9);
  std::string raw(big.raw());
  raw[raw.size() - 1] ^= 1;  // differs in the last byte only
  GraphBuilder b;
  b.Input("x", {n}).Output("y");
  b.Init("w1", big);
  b.Init("w2", *ir::Tensor::FromRaw(ir::DataType::kFloat, {n}, std::string(big.raw())));
  b.Init("w3", *ir::Tensor::FromRaw(ir::DataType::kFloat, {n}, raw));
  b.Add("Sum", {"x", "w1", "w2", "w3"}, {"y"});
  ir::Graph g = b.Take();
  auto r = testing::RunPasses(g, {"deduplicate_initializers", "eliminate_dead_code"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(g.initializers.size(), 2u);
  EXPECT_TRUE(g.IsInitializer("w1"));
  EXPECT_TRUE(g.IsInitializer("w3"));
  EXPECT_EQ(g.nodes[0]->inputs[2], "w1");
}

// ---- fuse_batchnorm ---------------------------------------------------------

const std::vector<std::string> kBn = {"fuse_batchnorm"};

void AddBn(GraphBuilder& b, const std::string& x, const std::string& y, int64_t m,
           uint32_t seed, bool var_from_input = false) {
  b.Init(y + "_scale", testing::RandomFloatTensor({m}, seed));
  b.Init(y + "_bias", testing::RandomFloatTensor({m}, seed + 1));
  b.Init(y + "_mean", testing::RandomFloatTensor({m}, seed + 2));
  std::vector<float> var(m);
  for (int64_t i = 0; i < m; ++i) var[i] = 0.5f + 0.25f * static_cast<float>(i % 5);
  if (var_from_input) {
    b.Input(y + "_var", {m});
  } else {
    b.Init(y + "_var", ir::Tensor::FromVector<float>({m}, var));
  }
  b.Add("BatchNormalization", {x, y + "_scale", y + "_bias", y + "_mean", y + "_var"}, {y},
        {ir::Attribute::Float("epsilon", 1e-3f)});
}

TEST(BatchNormTest, FoldsIntoConvWithAndWithoutBias) {
  for (bool bias : {false, true}) {
    GraphBuilder b;
    b.Input("x", {1, 3, 6, 6}).Output("y");
    b.Init("w", testing::RandomFloatTensor({4, 3, 3, 3}, 1));
    std::vector<std::string> in = {"x", "w"};
    if (bias) {
      b.Init("b", testing::RandomFloatTensor({4}, 2));
      in.push_back("b");
    }
    b.Add("Conv", in, {"c"});
    AddBn(b, "c", "y", 4, 10);
    ir::Graph g = b.Take();
    Optimize(g, kBn, /*use_evaluator=*/true);
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0]->outputs[0], "y");
    EXPECT_EQ(g.nodes[0]->inputs.size(), 3u);
  }
}

TEST(BatchNormTest, FoldsIntoGroupedConvTranspose) {
  GraphBuilder b;
  b.Input("x", {1, 4, 3, 3}).Output("y");
  // [C=4, M/group=3, 2, 2] with group 2: 6 output channels.
  b.Init("w", testing::RandomFloatTensor({4, 3, 2, 2}, 3));
  b.Add("ConvTranspose", {"x", "w"}, {"c"},
        {ir::Attribute::Int("group", 2), ir::Attribute::Ints("strides", {2, 2})});
  AddBn(b, "c", "y", 6, 20);
  ir::Graph g = b.Take();
  Optimize(g, kBn, true);
  EXPECT_EQ(CountOp(g, "BatchNormalization"), 0);
}

TEST(BatchNormTest, FoldsIntoGemmEitherTransB) {
  for (int trans_b : {0, 1}) {
    GraphBuilder b;
    b.Input("x", {2, 5}).Output("y");
    b.Init("w", testing::RandomFloatTensor(trans_b ? std::vector<int64_t>{4, 5}
                                                   : std::vector<int64_t>{5, 4},
                                           4));
    b.Init("bias", testing::RandomFloatTensor({4}, 5));
    b.Add("Gemm", {"x", "w", "bias"}, {"c"},
          {ir::Attribute::Int("transB", trans_b), ir::Attribute::Float("beta", 0.5f),
           ir::Attribute::Float("alpha", 1.5f)});
    AddBn(b, "c", "y", 4, 30);
    ir::Graph g = b.Take();
    Optimize(g, kBn, true);
    EXPECT_EQ(CountOp(g, "BatchNormalization"), 0);
  }
}

TEST(BatchNormTest, NotFoldedWhenConvOutputSharedOrOutputOrParamsNotConstant) {
  auto base = [](GraphBuilder& b) {
    b.Input("x", {1, 3, 6, 6});
    b.Init("w", testing::RandomFloatTensor({4, 3, 3, 3}, 1));
    b.Add("Conv", {"x", "w"}, {"c"});
  };
  {
    GraphBuilder b;
    base(b);
    b.Output("y").Output("z");
    AddBn(b, "c", "y", 4, 10);
    b.Add("Relu", {"c"}, {"z"});  // shared conv output
    ir::Graph g = b.Take();
    Optimize(g, kBn, true);
    EXPECT_EQ(CountOp(g, "BatchNormalization"), 1);
  }
  {
    GraphBuilder b;
    base(b);
    b.Output("c").Output("y");  // conv output is a graph output
    AddBn(b, "c", "y", 4, 10);
    ir::Graph g = b.Take();
    Optimize(g, kBn, true);
    EXPECT_EQ(CountOp(g, "BatchNormalization"), 1);
  }
  {
    GraphBuilder b;
    base(b);
    b.Output("y");
    AddBn(b, "c", "y", 4, 10, /*var_from_input=*/true);
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kBn).ok());
    EXPECT_EQ(CountOp(g, "BatchNormalization"), 1);
  }
  {
    // Lone BatchNormalization (after Relu): left alone.
    GraphBuilder b;
    b.Input("x", {1, 4, 3, 3}).Output("y");
    b.Add("Relu", {"x"}, {"r"});
    AddBn(b, "r", "y", 4, 10);
    ir::Graph g = b.Take();
    Optimize(g, kBn, true);
    EXPECT_EQ(CountOp(g, "BatchNormalization"), 1);
  }
}

// ---- fuse_pad ----------------------------------------------------------------

const std::vector<std::string> kPad = {"fuse_pad"};

// x [1, 2, 5, 5] -> Pad(pads) -> consumer
GraphBuilder PadBase(std::vector<int64_t> pads, const std::string& value_name = "") {
  GraphBuilder b;
  b.Input("x", {1, 2, 5, 5});
  b.Init("pads", I64(pads));
  std::vector<std::string> in = {"x", "pads"};
  if (!value_name.empty()) in.push_back(value_name);
  b.Add("Pad", in, {"p"});
  return b;
}

TEST(PadTest, FoldsIntoConvPads) {
  GraphBuilder b = PadBase({0, 0, 1, 2, 0, 0, 2, 0});
  b.Output("y");
  b.Init("w", testing::RandomFloatTensor({3, 2, 3, 3}, 1));
  b.Add("Conv", {"p", "w"}, {"y"}, {ir::Attribute::Ints("pads", {1, 1, 1, 1})});
  ir::Graph g = b.Take();
  Optimize(g, kPad);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->FindAttr("pads")->ints, (std::vector<int64_t>{2, 3, 3, 1}));
}

TEST(PadTest, FoldsIntoAveragePoolCountingPads) {
  for (int include : {0, 1}) {
    GraphBuilder b = PadBase({0, 0, 1, 1, 0, 0, 1, 1});
    b.Output("y");
    b.Add("AveragePool", {"p"}, {"y"},
          {ir::Attribute::Ints("kernel_shape", {3, 3}),
           ir::Attribute::Int("count_include_pad", include)});
    ir::Graph g = b.Take();
    Optimize(g, kPad, true);
    EXPECT_EQ(CountOp(g, "Pad"), include ? 0 : 1);
  }
}

// x [1, 5, 5, 2] (NHWC) -> Pad(pads) -> Transpose(to NCHW) -> Conv: how a TF
// graph's ZeroPadding2D reaches the first Conv.
GraphBuilder NhwcPadTransposeConv(std::vector<int64_t> pads) {
  GraphBuilder b;
  b.Input("x", {1, 5, 5, 2}).Output("y");
  b.Init("pads", I64(pads));
  b.Add("Pad", {"x", "pads"}, {"p"});
  b.Add("Transpose", {"p"}, {"t"}, {ir::Attribute::Ints("perm", {0, 3, 1, 2})});
  b.Init("w", testing::RandomFloatTensor({3, 2, 3, 3}, 1));
  b.Add("Conv", {"t", "w"}, {"y"});
  return b;
}

TEST(PadTest, FoldsThroughATransposeIntoConv) {
  GraphBuilder b = NhwcPadTransposeConv({0, 1, 2, 0, 0, 3, 0, 0});  // H 1+3, W 2+0
  ir::Graph g = b.Take();
  Optimize(g, kPad);
  EXPECT_EQ(CountOp(g, "Pad"), 0);
  EXPECT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(testing::FindOp(g, "Conv")->FindAttr("pads")->ints,
            (std::vector<int64_t>{1, 2, 3, 0}));
}

TEST(PadTest, NotFoldedThroughATransposeWhenItPadsChannels) {
  GraphBuilder b = NhwcPadTransposeConv({0, 0, 0, 1, 0, 0, 0, 1});  // pads C
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kPad).ok());
  EXPECT_EQ(CountOp(g, "Pad"), 1);
}

// x -> Relu | Clip(0, 6) -> Pad -> MaxPool, as in ResNet's and MobileNet's
// stems: a zero pad of a never-negative input gives the same maxima as -inf.
GraphBuilder ActivationPadMaxPool(const std::string& act, std::vector<int64_t> pads,
                                  std::vector<ir::Attribute> pool_attrs) {
  GraphBuilder b;
  b.Input("x", {1, 2, 5, 5}).Output("y");
  if (act == "Clip") {
    b.Init("lo", ir::Tensor::Scalar<float>(0.0f)).Init("hi", ir::Tensor::Scalar<float>(6.0f));
    b.Add("Clip", {"x", "lo", "hi"}, {"a"});
  } else {
    b.Add(act, {"x"}, {"a"});
  }
  b.Init("pads", I64(pads));
  b.Add("Pad", {"a", "pads"}, {"p"});
  pool_attrs.push_back(ir::Attribute::Ints("kernel_shape", {3, 3}));
  b.Add("MaxPool", {"p"}, {"y"}, pool_attrs);
  return b;
}

TEST(PadTest, FoldsIntoMaxPoolOfNeverNegativeInput) {
  for (const char* act : {"Relu", "Clip"}) {
    GraphBuilder b = ActivationPadMaxPool(act, {0, 0, 1, 1, 0, 0, 1, 1},
                                          {ir::Attribute::Ints("strides", {2, 2})});
    ir::Graph g = b.Take();
    Optimize(g, kPad, true);
    EXPECT_EQ(CountOp(g, "Pad"), 0) << act;
    EXPECT_EQ(testing::FindOp(g, "MaxPool")->FindAttr("pads")->ints,
              (std::vector<int64_t>{1, 1, 1, 1}));
  }
}

TEST(PadTest, MaxPoolNotFolded) {
  struct Case {
    const char* why;
    const char* act;
    std::vector<int64_t> pads;
    std::vector<ir::Attribute> attrs;
  };
  const std::vector<Case> cases = {
      {"input may be negative", "Sigmoid", {0, 0, 1, 1, 0, 0, 1, 1}, {}},
      {"a window would hold padding only", "Relu", {0, 0, 3, 0, 0, 0, 0, 0}, {}},
      {"own pads make it too wide", "Relu", {0, 0, 2, 0, 0, 0, 0, 0},
       {ir::Attribute::Ints("pads", {1, 0, 0, 0})}},
      {"dilated", "Relu", {0, 0, 1, 1, 0, 0, 1, 1}, {ir::Attribute::Ints("dilations", {2, 2})}},
      {"ceil mode", "Relu", {0, 0, 1, 1, 0, 0, 1, 1}, {ir::Attribute::Int("ceil_mode", 1)}},
  };
  for (const Case& c : cases) {
    GraphBuilder b = ActivationPadMaxPool(c.act, c.pads, c.attrs);
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kPad).ok());
    EXPECT_EQ(CountOp(g, "Pad"), 1) << c.why;
  }
}

TEST(PadTest, NotFolded) {
  auto with_conv = [](GraphBuilder& b) {
    b.Output("y");
    b.Init("w", testing::RandomFloatTensor({3, 2, 3, 3}, 1));
    b.Add("Conv", {"p", "w"}, {"y"});
  };
  {
    GraphBuilder b = PadBase({0, 0, 1, 1, 0, 0, 1, 1}, "v");  // non-zero value
    b.Init("v", ir::Tensor::Scalar<float>(1.0f));
    with_conv(b);
    ir::Graph g = b.Take();
    Optimize(g, kPad);
    EXPECT_EQ(CountOp(g, "Pad"), 1);
  }
  {
    GraphBuilder b;  // pads the batch dim
    b.Input("x", {1, 2, 5, 5});
    b.Init("pads", I64({1, 0, 1, 1, 0, 0, 1, 1}));
    b.Add("Pad", {"x", "pads"}, {"p"});
    with_conv(b);
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kPad).ok());
    EXPECT_EQ(CountOp(g, "Pad"), 1);
  }
  {
    GraphBuilder b;
    b.Input("x", {1, 2, 5, 5}).Input("pads", {8}, ir::DataType::kInt64);
    b.Add("Pad", {"x", "pads"}, {"p"});
    with_conv(b);
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kPad).ok());
    EXPECT_EQ(CountOp(g, "Pad"), 1);
  }
  {
    GraphBuilder b = PadBase({0, 0, 1, 1, 0, 0, 1, 1});  // reflect
    b.graph().nodes[0]->attributes.push_back(ir::Attribute::String("mode", "reflect"));
    with_conv(b);
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kPad).ok());
    EXPECT_EQ(CountOp(g, "Pad"), 1);
  }
  {
    GraphBuilder b = PadBase({0, 0, 1, 1, 0, 0, 1, 1});  // shared pad output
    with_conv(b);
    b.Output("z");
    b.Add("Relu", {"p"}, {"z"});
    ir::Graph g = b.Take();
    Optimize(g, kPad);
    EXPECT_EQ(CountOp(g, "Pad"), 1);
  }
  {
    GraphBuilder b = PadBase({0, 0, 1, 1, 0, 0, 1, 1});  // MaxPool: zero != -inf
    b.Output("y");
    b.Add("MaxPool", {"p"}, {"y"}, {ir::Attribute::Ints("kernel_shape", {2, 2})});
    ir::Graph g = b.Take();
    ASSERT_TRUE(testing::RunPasses(g, kPad).ok());
    EXPECT_EQ(CountOp(g, "Pad"), 1);
  }
}

// ---- fold_shape_computations ------------------------------------------------

const std::vector<std::string> kShape = {"fold_shape_computations"};

TEST(ShapeFoldTest, FlattenKeepingDynamicBatch) {
  GraphBuilder b;
  b.Input("x", {-1, 3, 4, 4}).Output("y");
  b.Init("zero", ir::Tensor::Scalar<int64_t>(0));
  b.Init("axes", I64({0}));
  b.Init("minus1", I64({-1}));
  b.Add("Shape", {"x"}, {"s"});
  b.Add("Gather", {"s", "zero"}, {"n"});
  b.Add("Unsqueeze", {"n", "axes"}, {"n1"});
  b.Add("Concat", {"n1", "minus1"}, {"shape"}, {ir::Attribute::Int("axis", 0)});
  b.Add("Reshape", {"x", "shape"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kShape, true, {{"x", {2, 3, 4, 4}}});
  ASSERT_EQ(g.nodes.size(), 1u);
  const ir::Tensor* s = g.FindInitializer(g.nodes[0]->inputs[1]);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(*s->ToInt64s(), (std::vector<int64_t>{0, -1}));
}

TEST(ShapeFoldTest, IntermediateWithoutTypeStillFolds) {
  // Exporters leave intermediate types out: Shape(r)[0] of an untyped r.
  GraphBuilder b;
  b.Input("x", {-1, 3, 4, 4}).Output("y");
  b.Init("zero", I64({0}));
  b.Init("minus1", I64({-1}));
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Shape", {"r"}, {"s"});
  b.Add("Gather", {"s", "zero"}, {"n"});
  b.Add("Concat", {"n", "minus1"}, {"shape"}, {ir::Attribute::Int("axis", 0)});
  b.Add("Reshape", {"r", "shape"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kShape, true, {{"x", {2, 3, 4, 4}}});
  EXPECT_EQ(CountOp(g, "Shape"), 0);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(ShapeFoldTest, SliceOfShapeWithKnownDims) {
  GraphBuilder b;
  b.Input("x", {-1, 3, 4, 4}).Output("y");
  b.Init("st", I64({0}));
  b.Init("en", I64({2}));
  b.Init("rest", I64({16}));
  b.Add("Shape", {"x"}, {"s"});
  b.Add("Slice", {"s", "st", "en"}, {"s01"});
  b.Add("Concat", {"s01", "rest"}, {"shape"}, {ir::Attribute::Int("axis", 0)});
  b.Add("Reshape", {"x", "shape"}, {"y"});
  ir::Graph g = b.Take();
  Optimize(g, kShape, true, {{"x", {3, 3, 4, 4}}});
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(*g.FindInitializer(g.nodes[0]->inputs[1])->ToInt64s(),
            (std::vector<int64_t>{0, 3, 16}));
}

TEST(ShapeFoldTest, NotFoldedWithTwoUnknownDimsOfAnotherValue) {
  GraphBuilder b;
  b.Input("x", {-1, 12}).Input("z", {-1, -1}).Output("y");
  b.Add("Shape", {"z"}, {"shape"});
  b.Add("Reshape", {"x", "shape"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kShape).ok());
  EXPECT_EQ(CountOp(g, "Shape"), 1);
}

TEST(ShapeFoldTest, OneUnknownDimOfAnotherValueBecomesInferred) {
  // Reshape(x [N, 12], [Shape(z)[0], 3, 4]) with allowzero: z's N is not x's
  // by name, so it is the one inferred dim.
  GraphBuilder b;
  b.Input("x", {-1, 12}).Input("z", {-1, 5}).Output("y");
  b.Init("idx", I64({0}));
  b.Init("tail", I64({3, 4}));
  b.Add("Shape", {"z"}, {"s"});
  b.Add("Gather", {"s", "idx"}, {"n"});
  b.Add("Concat", {"n", "tail"}, {"shape"}, {ir::Attribute::Int("axis", 0)});
  b.Add("Reshape", {"x", "shape"}, {"y"}, {ir::Attribute::Int("allowzero", 1)});
  ir::Graph g = b.Take();
  Optimize(g, kShape, true, {{"x", {2, 12}}, {"z", {2, 5}}});
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(*g.FindInitializer(g.nodes[0]->inputs[1])->ToInt64s(),
            (std::vector<int64_t>{-1, 3, 4}));
}

}  // namespace
}  // namespace onnxsmith::optimizer
