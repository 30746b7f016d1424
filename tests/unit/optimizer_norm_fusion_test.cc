// fuse_layer_normalization and fuse_gelu on hand-built graphs: the shapes
// TF/Keras, our Keras converter and PyTorch exports produce, and the cases
// that must be left alone.
#include <cmath>

#include "gtest/gtest.h"
#include "optimizer/registry.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::FindOp;
using testing::GraphBuilder;

const std::vector<std::string> kLn = {"fuse_layer_normalization", "eliminate_dead_code"};
const std::vector<std::string> kGelu = {"fuse_gelu", "eliminate_dead_code"};

// `g` after `passes` at `opset`; the numbers must not move and ONNX must
// accept the result.
ir::Graph Optimized(ir::Graph g, const std::vector<std::string>& passes, int64_t opset,
                    double tol = 1e-5) {
  absl::Status s = testing::OptimizeAndCheck(g, passes, opset, tol);
  EXPECT_TRUE(s.ok()) << s;
  return g;
}

ir::Tensor Scalar(float v) { return ir::Tensor::Scalar<float>(v); }

// Graph outputs with full shapes: ONNX 1.12's inference (the checker here)
// stops at opset 17, so later opsets cannot infer them.
void ShapeOutputs(ir::Graph& g, const std::vector<int64_t>& dims) {
  for (ir::ValueInfo& o : g.outputs) {
    std::vector<ir::Dim> d;
    for (int64_t v : dims) d.push_back({v, ""});
    o.type.shape = d;
  }
}

// ---- LayerNormalization ---------------------------------------------------------

struct LnOptions {
  std::vector<int64_t> axes = {-1};
  bool axes_as_input = false;  // opset >= 18
  bool pow = true;             // Pow(d, 2) rather than Mul(d, d)
  std::vector<int64_t> gamma_dims = {8};
  bool gamma_is_input = false;
  bool beta = true;
  bool d_is_output = false;  // the centered value is also a graph output
};

// PyTorch's export: ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div,
// Mul gamma, Add beta. x is [2, 5, 8].
ir::Graph PyTorchLayerNorm(const LnOptions& o) {
  GraphBuilder b;
  b.Input("x", {2, 5, 8});
  b.Output("y");
  if (o.d_is_output) b.Output("d");
  std::vector<ir::Attribute> attrs;
  std::vector<std::string> mean_in = {"x"}, var_in = {"sq"};
  if (o.axes_as_input) {
    b.Init("axes", ir::Tensor::Vector1D<int64_t>(o.axes));
    mean_in.push_back("axes");
    var_in.push_back("axes");
  } else {
    attrs.push_back(ir::Attribute::Ints("axes", o.axes));
  }
  b.Add("ReduceMean", mean_in, {"mean"}, attrs);
  b.Add("Sub", {"x", "mean"}, {"d"});
  if (o.pow) {
    b.Init("two", Scalar(2.0f));
    b.Add("Pow", {"d", "two"}, {"sq"});
  } else {
    b.Add("Mul", {"d", "d"}, {"sq"});
  }
  b.Add("ReduceMean", var_in, {"var"}, attrs);
  b.Init("eps", Scalar(1e-5f));
  b.Add("Add", {"var", "eps"}, {"ve"});
  b.Add("Sqrt", {"ve"}, {"s"});
  b.Add("Div", {"d", "s"}, {"nrm"});
  if (o.gamma_is_input) {
    b.Input("gamma", o.gamma_dims);
  } else {
    b.Init("gamma", testing::RandomFloatTensor(o.gamma_dims, 3));
  }
  b.Add("Mul", {"nrm", "gamma"}, o.beta ? std::vector<std::string>{"scaled"}
                                        : std::vector<std::string>{"y"});
  if (o.beta) {
    b.Init("beta", testing::RandomFloatTensor({8}, 4));
    b.Add("Add", {"scaled", "beta"}, {"y"});
  }
  ir::Graph g = b.Take();
  ShapeOutputs(g, {2, 5, 8});
  return g;
}

TEST(LayerNormFusionTest, PyTorchPatternFuses) {
  ir::Graph g = Optimized(PyTorchLayerNorm({}), kLn, 17);
  ASSERT_EQ(g.nodes.size(), 1u);
  const ir::Node& ln = *g.nodes[0];
  EXPECT_EQ(ln.op_type, "LayerNormalization");
  EXPECT_EQ(ln.GetInt("axis", 0), 2);
  ASSERT_EQ(ln.inputs.size(), 3u);
  EXPECT_FLOAT_EQ(ln.FindAttr("epsilon")->f, 1e-5f);
}

TEST(LayerNormFusionTest, AxesAsInputAtOpset18) {
  LnOptions o;
  o.axes_as_input = true;
  o.pow = false;
  ir::Graph g = Optimized(PyTorchLayerNorm(o), kLn, 18);
  EXPECT_EQ(CountOp(g, "LayerNormalization"), 1);
  EXPECT_EQ(g.nodes.size(), 1u);
}

TEST(LayerNormFusionTest, TwoTrailingAxesGammaExpanded) {
  LnOptions o;
  o.axes = {1, 2};
  o.gamma_dims = {1, 8};  // broadcast over axis 1: expanded to [5, 8]
  ir::Graph g = Optimized(PyTorchLayerNorm(o), kLn, 17);
  ASSERT_EQ(g.nodes.size(), 1u);
  const ir::Node& ln = *g.nodes[0];
  EXPECT_EQ(ln.GetInt("axis", 0), 1);
  EXPECT_EQ(g.FindInitializer(ln.inputs[1])->dims(), (std::vector<int64_t>{5, 8}));
  EXPECT_EQ(g.FindInitializer(ln.inputs[2])->dims(), (std::vector<int64_t>{5, 8}));
}

TEST(LayerNormFusionTest, NoBetaGivesTwoInputs) {
  LnOptions o;
  o.beta = false;
  ir::Graph g = Optimized(PyTorchLayerNorm(o), kLn, 17);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->inputs.size(), 2u);
}

// What TF's batch_normalization (Keras 3's LayerNormalization) becomes:
// inv = 1/sqrt(var + eps) * gamma; y = x * inv + (beta + -mean * inv).
ir::Graph KerasLayerNorm(bool gamma, bool neg_form) {
  GraphBuilder b;
  b.Input("x", {1, 4, 6});
  b.Output("y");
  std::vector<ir::Attribute> attrs = {ir::Attribute::Ints("axes", {-1})};
  b.Add("ReduceMean", {"x"}, {"mean"}, attrs);
  b.Add("Sub", {"x", "mean"}, {"d"});
  b.Add("Mul", {"d", "d"}, {"sq"});
  b.Add("ReduceMean", {"sq"}, {"var"}, attrs);
  b.Init("eps", Scalar(1e-3f));
  b.Add("Add", {"var", "eps"}, {"ve"});
  b.Add("Sqrt", {"ve"}, {"s"});
  b.Add("Reciprocal", {"s"}, {"inv"});
  std::string g = "inv";
  if (gamma) {
    b.Init("gamma", testing::RandomFloatTensor({1, 1, 6}, 5));
    b.Add("Mul", {"inv", "gamma"}, {"ig"});
    g = "ig";
  }
  b.Init("beta", testing::RandomFloatTensor({1, 1, 6}, 6));
  b.Add("Mul", {"x", g}, {"a"});
  if (neg_form) {
    b.Add("Neg", {"mean"}, {"nm"});
    b.Add("Mul", {"nm", g}, {"bm"});
    b.Add("Add", {"bm", "beta"}, {"c"});
  } else {
    b.Add("Mul", {"mean", g}, {"bm"});
    b.Add("Sub", {"beta", "bm"}, {"c"});
  }
  b.Add("Add", {"a", "c"}, {"y"});
  ir::Graph graph = b.Take();
  ShapeOutputs(graph, {1, 4, 6});
  return graph;
}

TEST(LayerNormFusionTest, KerasFoldedFormFuses) {
  for (bool gamma : {true, false}) {
    for (bool neg : {true, false}) {
      ir::Graph g = Optimized(KerasLayerNorm(gamma, neg), kLn, 17);
      EXPECT_EQ(g.nodes.size(), 1u) << gamma << neg;
      EXPECT_EQ(CountOp(g, "LayerNormalization"), 1) << gamma << neg;
    }
  }
}

TEST(LayerNormFusionTest, NotBelowOpset17) {
  ir::Graph g = Optimized(PyTorchLayerNorm({}), kLn, 16);
  EXPECT_EQ(CountOp(g, "LayerNormalization"), 0);
  EXPECT_EQ(g.nodes.size(), 9u);
}

TEST(LayerNormFusionTest, NotOverNonTrailingAxes) {
  LnOptions o;
  o.axes = {1};
  o.gamma_dims = {5, 1};
  o.beta = false;
  ir::Graph g = Optimized(PyTorchLayerNorm(o), kLn, 17);
  EXPECT_EQ(CountOp(g, "LayerNormalization"), 0);
}

TEST(LayerNormFusionTest, NotWhenAnIntermediateIsShared) {
  LnOptions o;
  o.d_is_output = true;
  ir::Graph g = Optimized(PyTorchLayerNorm(o), kLn, 17);
  EXPECT_EQ(CountOp(g, "LayerNormalization"), 0);
}

// A gamma that is a graph input stays a Mul after the fused node (which
// gets unit scale), and so does the beta Add behind it.
TEST(LayerNormFusionTest, NonConstantGammaIsNotAbsorbed) {
  LnOptions o;
  o.gamma_is_input = true;
  ir::Graph g = Optimized(PyTorchLayerNorm(o), kLn, 17);
  ASSERT_EQ(CountOp(g, "LayerNormalization"), 1);
  EXPECT_EQ(CountOp(g, "Mul"), 1);
  EXPECT_EQ(CountOp(g, "Add"), 1);
  EXPECT_EQ(FindOp(g, "LayerNormalization")->inputs.size(), 2u);
}

TEST(LayerNormFusionTest, NotWithGammaVaryingOverOuterAxes) {
  LnOptions o;
  o.gamma_dims = {5, 8};  // varies over axis 1, which is not normalized
  ir::Graph g = Optimized(PyTorchLayerNorm(o), kLn, 17);
  EXPECT_EQ(CountOp(g, "LayerNormalization"), 0);
}

// ---- Gelu -------------------------------------------------------------------------

enum class GeluForm { kKeras, kPyTorch, kErfc, kTanhPow, kTanhMul };

struct GeluOptions {
  GeluForm form = GeluForm::kKeras;
  float half = 0.5f;
  float inv_sqrt2 = static_cast<float>(M_SQRT1_2);
  bool inner_is_output = false;
};

ir::Graph GeluGraph(const GeluOptions& o) {
  GraphBuilder b;
  b.Input("x", {3, 7});
  b.Output("y");
  if (o.inner_is_output) b.Output("u");
  b.Init("half", Scalar(o.half));
  b.Init("one", Scalar(1.0f));
  switch (o.form) {
    case GeluForm::kKeras:  // our converter below opset 20
      b.Init("k", Scalar(o.inv_sqrt2));
      b.Add("Mul", {"x", "k"}, {"arg"});
      b.Add("Erf", {"arg"}, {"u"});
      b.Add("Add", {"u", "one"}, {"t"});
      b.Add("Mul", {"x", "half"}, {"hx"});
      b.Add("Mul", {"hx", "t"}, {"y"});
      break;
    case GeluForm::kPyTorch:  // x * (1 + erf(x / sqrt2)) * 0.5
      b.Init("k", Scalar(1.0f / o.inv_sqrt2));
      b.Add("Div", {"x", "k"}, {"arg"});
      b.Add("Erf", {"arg"}, {"u"});
      b.Add("Add", {"one", "u"}, {"t"});
      b.Add("Mul", {"x", "t"}, {"xt"});
      b.Add("Mul", {"xt", "half"}, {"y"});
      break;
    case GeluForm::kErfc:  // TF: 0.5 * x * erfc(-x / sqrt2), erfc lowered to 1 - erf
      b.Init("k", Scalar(o.inv_sqrt2));
      b.Add("Neg", {"x"}, {"nx"});
      b.Add("Mul", {"nx", "k"}, {"arg"});
      b.Add("Erf", {"arg"}, {"u"});
      b.Add("Sub", {"one", "u"}, {"t"});
      b.Add("Mul", {"half", "x"}, {"hx"});
      b.Add("Mul", {"hx", "t"}, {"y"});
      break;
    case GeluForm::kTanhPow:
    case GeluForm::kTanhMul:
      b.Init("c", Scalar(0.044715f));
      b.Init("k", Scalar(static_cast<float>(std::sqrt(2.0 / M_PI))));
      if (o.form == GeluForm::kTanhPow) {
        b.Init("three", Scalar(3.0f));
        b.Add("Pow", {"x", "three"}, {"x3"});
      } else {
        b.Add("Mul", {"x", "x"}, {"x2"});
        b.Add("Mul", {"x2", "x"}, {"x3"});
      }
      b.Add("Mul", {"c", "x3"}, {"cx3"});
      b.Add("Add", {"x", "cx3"}, {"poly"});
      b.Add("Mul", {"k", "poly"}, {"arg"});
      b.Add("Tanh", {"arg"}, {"u"});
      b.Add("Add", {"one", "u"}, {"t"});
      b.Add("Mul", {"half", "x"}, {"hx"});
      b.Add("Mul", {"hx", "t"}, {"y"});
      break;
  }
  ir::Graph g = b.Take();
  ShapeOutputs(g, {3, 7});
  return g;
}

TEST(GeluFusionTest, ErfFormsFuse) {
  for (GeluForm f : {GeluForm::kKeras, GeluForm::kPyTorch, GeluForm::kErfc}) {
    GeluOptions o;
    o.form = f;
    ir::Graph g = Optimized(GeluGraph(o), kGelu, 20, 1e-6);
    ASSERT_EQ(g.nodes.size(), 1u) << static_cast<int>(f);
    EXPECT_EQ(g.nodes[0]->op_type, "Gelu");
    EXPECT_EQ(g.nodes[0]->FindAttr("approximate")->s, "none");
  }
}

TEST(GeluFusionTest, TanhFormsFuse) {
  for (GeluForm f : {GeluForm::kTanhPow, GeluForm::kTanhMul}) {
    GeluOptions o;
    o.form = f;
    ir::Graph g = Optimized(GeluGraph(o), kGelu, 21, 1e-6);
    ASSERT_EQ(g.nodes.size(), 1u) << static_cast<int>(f);
    EXPECT_EQ(g.nodes[0]->FindAttr("approximate")->s, "tanh");
  }
}

TEST(GeluFusionTest, NotBelowOpset20) {
  ir::Graph g = Optimized(GeluGraph({}), kGelu, 19);
  EXPECT_EQ(CountOp(g, "Gelu"), 0);
}

TEST(GeluFusionTest, NotWithWrongConstants) {
  GeluOptions half;
  half.half = 0.4f;
  ir::Graph g = Optimized(GeluGraph(half), kGelu, 20);
  EXPECT_EQ(CountOp(g, "Gelu"), 0);
  GeluOptions root;
  root.inv_sqrt2 = 0.7f;
  for (GeluForm f : {GeluForm::kKeras, GeluForm::kPyTorch}) {
    root.form = f;
    ir::Graph h = Optimized(GeluGraph(root), kGelu, 20);
    EXPECT_EQ(CountOp(h, "Gelu"), 0);
  }
}

TEST(GeluFusionTest, NotWhenAnIntermediateIsShared) {
  GeluOptions o;
  o.inner_is_output = true;
  ir::Graph g = Optimized(GeluGraph(o), kGelu, 20);
  EXPECT_EQ(CountOp(g, "Gelu"), 0);
  EXPECT_NE(FindOp(g, "Erf"), nullptr);
}

TEST(GeluFusionTest, PassesAreInTheDefaultPipeline) {
  OptimizeOptions options;
  auto pipeline = BuildPipeline(options);
  ASSERT_TRUE(pipeline.ok());
  const auto names = pipeline->PassNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "fuse_gelu"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "fuse_layer_normalization"), names.end());
}

}  // namespace
}  // namespace onnxsmith::optimizer
