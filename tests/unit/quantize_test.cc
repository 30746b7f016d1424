// The INT8 scheme rules (quantize/scheme.h) on hand-built graphs, the
// streaming statistics, and Quantize end to end on in-memory samples.
#include <cmath>
#include <random>

#include "absl/strings/match.h"
#include "common/file_util.h"
#include "evaluator/evaluator.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/verifier.h"
#include "quantize/calibration_data.h"
#include "quantize/quantize.h"
#include "quantize/scheme.h"
#include "quantize/tensor_stats.h"
#include "tests/unit/graph_test_util.h"

namespace onnxsmith::quantize {
namespace {

using ir::DataType;
using ir::Tensor;
using onnxsmith::testing::FloatValue;
using onnxsmith::testing::NamedNode;
using onnxsmith::testing::UniformFloats;

// x[1,3,8,8] -> Conv(W[4,3,3,3], B) -> Relu -> MaxPool -> Reshape[1,-1]
//   -> Gemm(W2[5,64] transB) -> Softmax -> y
ir::Model SmallCnn() {
  ir::Model m;
  m.opset_imports[""] = 13;
  ir::Graph& g = m.graph;
  g.inputs.push_back(FloatValue("x", {1, 3, 8, 8}));
  g.initializers["w"] = Tensor::FromVector<float>({4, 3, 3, 3}, UniformFloats(108, -0.5f, 0.5f, 1));
  g.initializers["b"] = Tensor::FromVector<float>({4}, UniformFloats(4, -0.1f, 0.1f, 2));
  g.initializers["w2"] = Tensor::FromVector<float>({5, 64}, UniformFloats(320, -0.3f, 0.3f, 3));
  g.initializers["b2"] = Tensor::FromVector<float>({5}, UniformFloats(5, -0.1f, 0.1f, 4));
  g.initializers["shape"] = Tensor::Vector1D<int64_t>({1, -1});
  g.AddNode(NamedNode("conv", "Conv", {"x", "w", "b"}, {"c"}, {ir::Attribute::Ints("pads", {1, 1, 1, 1})}));
  g.AddNode(NamedNode("relu", "Relu", {"c"}, {"r"}));
  g.AddNode(NamedNode("pool", "MaxPool", {"r"}, {"p"},
                     {ir::Attribute::Ints("kernel_shape", {2, 2}), ir::Attribute::Ints("strides", {2, 2})}));
  g.AddNode(NamedNode("flat", "Reshape", {"p", "shape"}, {"f"}));
  g.AddNode(NamedNode("fc", "Gemm", {"f", "w2", "b2"}, {"logits"}, {ir::Attribute::Int("transB", 1)}));
  g.AddNode(NamedNode("softmax", "Softmax", {"logits"}, {"y"}));
  ir::ValueInfo y;
  y.name = "y";
  y.type.dtype = DataType::kFloat;
  g.outputs.push_back(y);
  return m;
}

std::vector<Sample> Samples(int n) {
  std::vector<Sample> s(n);
  for (int i = 0; i < n; ++i) {
    s[i].feeds["x"] = Tensor::FromVector<float>({1, 3, 8, 8}, UniformFloats(192, -1.0f, 1.0f, 100 + i));
  }
  return s;
}

const NodeDecision& DecisionFor(const std::vector<NodeDecision>& d, const std::string& node) {
  for (const NodeDecision& x : d) {
    if (x.node == node) return x;
  }
  static NodeDecision none;
  ADD_FAILURE() << "no decision for " << node;
  return none;
}

TEST(ActivationParams, ZeroIsExactAndRangeCovered) {
  QuantizeOptions o;
  QParams p = ActivationParams(-1.0f, 3.0f, o);
  EXPECT_EQ(p.type, DataType::kUint8);
  EXPECT_FLOAT_EQ(p.scale, 4.0f / 255);
  EXPECT_EQ(p.zero_point, 64);
  EXPECT_EQ(QuantizeValue(0.0f, p), p.zero_point);  // 0 dequantizes to exactly 0
  // A positive-only range still holds 0: zero point 0 (Relu outputs).
  p = ActivationParams(0.5f, 6.0f, o);
  EXPECT_EQ(p.zero_point, 0);
  EXPECT_FLOAT_EQ(p.scale, 6.0f / 255);
  // Degenerate (all zero) range: scale 1, not 0.
  p = ActivationParams(0.0f, 0.0f, o);
  EXPECT_EQ(p.scale, 1.0f);
  o.int8_activations = true;
  o.symmetric_activations = true;
  p = ActivationParams(-2.0f, 1.0f, o);
  EXPECT_EQ(p.type, DataType::kInt8);
  EXPECT_EQ(p.zero_point, 0);
  EXPECT_FLOAT_EQ(p.scale, 2.0f / 127);
}

TEST(QuantizeWeight, PerChannelSymmetricWithScaleFloor) {
  Tensor w = Tensor::FromVector<float>({3, 2}, {1.0f, -0.5f, 0.0f, 0.0f, 0.25f, -2.0f});
  auto q = QuantizeWeight(w, 0, false);
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->scales.size(), 3u);
  EXPECT_FLOAT_EQ(q->scales[0], 1.0f / 127);
  EXPECT_EQ(q->scales[1], 1.0f);  // all-zero channel
  EXPECT_FLOAT_EQ(q->scales[2], 2.0f / 127);
  auto v = q->values.data<int8_t>();
  EXPECT_EQ(v[0], 127);
  EXPECT_EQ(v[1], -64);  // -63.5 rounds half to even
  EXPECT_EQ(v[5], -127);
  auto r = QuantizeWeight(w, -1, /*reduce_range=*/true);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->scales.size(), 1u);
  EXPECT_FLOAT_EQ(r->scales[0], 2.0f / 63);
  EXPECT_EQ(r->values.data<int8_t>()[5], -63);
}

TEST(QuantizeBias, ScaleIsInputTimesWeightAndOverflowWidensWeights) {
  Tensor w = Tensor::FromVector<float>({2, 1}, {0.5f, 1.0f});
  auto q = QuantizeWeight(w, 0, false);
  ASSERT_TRUE(q.ok());
  std::vector<std::string> warnings;
  Tensor b = Tensor::FromVector<float>({2}, {0.01f, 1000.0f});
  const float s_in = 1e-6f;
  auto qb = QuantizeBias(b, s_in, w, false, false, &*q, "conv", &warnings);
  ASSERT_TRUE(qb.ok()) << qb.status();
  EXPECT_EQ(qb->dtype(), DataType::kInt32);
  // Channel 0 fits: round(0.01 / (1e-6 * 0.5/127)).
  EXPECT_EQ(qb->data<int32_t>()[0], static_cast<int32_t>(std::nearbyint(0.01 / (double(s_in) * (0.5f / 127)))));
  // Channel 1 (1000 / (1e-6 * 1/127) > 2^30) widened its weight scale.
  EXPECT_GT(q->scales[1], 1.0f / 127);
  EXPECT_LE(std::abs(qb->data<int32_t>()[1]), 1 << 30);
  EXPECT_EQ(warnings.size(), 1u);
}

TEST(WeightAxis, FollowsOutputChannels) {
  Tensor w4 = Tensor::FromVector<float>({4, 3, 1, 1}, std::vector<float>(12, 1));
  Tensor w2 = Tensor::FromVector<float>({3, 4}, std::vector<float>(12, 1));
  EXPECT_EQ(WeightAxis(NamedNode("c", "Conv", {}, {}), w4, true), 0);
  EXPECT_EQ(WeightAxis(NamedNode("t", "ConvTranspose", {}, {}), w4, true), 1);
  EXPECT_EQ(WeightAxis(NamedNode("m", "MatMul", {}, {}), w2, true), 1);
  EXPECT_EQ(WeightAxis(NamedNode("g", "Gemm", {}, {}), w2, true), 1);
  EXPECT_EQ(WeightAxis(NamedNode("g", "Gemm", {}, {}, {ir::Attribute::Int("transB", 1)}), w2, true), 0);
  EXPECT_EQ(WeightAxis(NamedNode("c", "Conv", {}, {}), w4, false), -1);
}

TEST(PlanStatic, FoldsReluSharesPassThroughParamsAndKeepsOutputsFloat) {
  ir::Model m = SmallCnn();
  StaticPlan plan = PlanStatic(m.graph, QuantizeOptions{});
  EXPECT_TRUE(DecisionFor(plan.decisions, "conv").quantized);
  EXPECT_TRUE(DecisionFor(plan.decisions, "relu").quantized);  // folded
  EXPECT_TRUE(DecisionFor(plan.decisions, "pool").quantized);  // pass-through
  EXPECT_TRUE(DecisionFor(plan.decisions, "flat").quantized);
  EXPECT_TRUE(DecisionFor(plan.decisions, "fc").quantized);
  EXPECT_FALSE(DecisionFor(plan.decisions, "softmax").quantized);
  const std::set<std::string> acts(plan.activations.begin(), plan.activations.end());
  EXPECT_TRUE(acts.count("x"));
  EXPECT_FALSE(acts.count("c"));  // quantized after the Relu, not between
  EXPECT_TRUE(acts.count("r"));
  EXPECT_TRUE(acts.count("p"));
  EXPECT_FALSE(acts.count("y"));  // graph output
  bool pool_shares = false;
  for (const auto& [in, out] : plan.same_params) pool_shares |= in == "r" && out == "p";
  EXPECT_TRUE(pool_shares);
}

TEST(PlanStatic, ExclusionsAreReported) {
  ir::Model m = SmallCnn();
  QuantizeOptions o;
  o.exclude_nodes = {"fc"};
  o.exclude_op_types = {"MaxPool"};
  StaticPlan plan = PlanStatic(m.graph, o);
  EXPECT_FALSE(DecisionFor(plan.decisions, "fc").quantized);
  EXPECT_NE(DecisionFor(plan.decisions, "fc").reason.find("--exclude-nodes"), std::string::npos);
  EXPECT_FALSE(DecisionFor(plan.decisions, "pool").quantized);
  EXPECT_FALSE(DecisionFor(plan.decisions, "flat").quantized);  // its input is float now
}

TEST(Quantize, StaticQdqEndToEnd) {
  ir::Model m = SmallCnn();
  auto source = MakeSampleList(Samples(20));
  QuantizeOptions o;
  auto report = Quantize(m, o, source.get());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->calibration_samples, 16);
  EXPECT_EQ(report->eval_samples, 4);
  ASSERT_EQ(report->outputs.size(), 1u);
  EXPECT_GT(report->outputs[0].sqnr_db, 20.0);
  int q = 0, dq = 0;
  for (const auto& n : m.graph.nodes) {
    q += n->op_type == "QuantizeLinear";
    dq += n->op_type == "DequantizeLinear";
  }
  EXPECT_GT(q, 0);
  EXPECT_GT(dq, q);  // weights and biases have a DequantizeLinear only
  EXPECT_FALSE(m.graph.IsInitializer("w"));
  bool int8_w = false, int32_b = false;
  for (const auto& [name, t] : m.graph.initializers) {
    int8_w |= t.dtype() == DataType::kInt8 && t.dims() == std::vector<int64_t>{4, 3, 3, 3};
    int32_b |= t.dtype() == DataType::kInt32 && t.dims() == std::vector<int64_t>{4};
  }
  EXPECT_TRUE(int8_w);
  EXPECT_TRUE(int32_b);
  EXPECT_LT(report->weight_bytes_after, report->weight_bytes_before / 2);
  // The result runs on the evaluator.
  auto ev = evaluator::Evaluator::Create(m);
  ASSERT_TRUE(ev.ok()) << ev.status();
}

int CountOps(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node->op_type == op;
  return n;
}

TEST(Quantize, QOperatorFormat) {
  ir::Model qdq = SmallCnn(), qop = SmallCnn();
  QuantizeOptions o;
  auto r1 = Quantize(qdq, o, MakeSampleList(Samples(20)).get());
  o.format = Format::kQOperator;
  auto r2 = Quantize(qop, o, MakeSampleList(Samples(20)).get());
  ASSERT_TRUE(r1.ok() && r2.ok()) << r2.status();
  const ir::Graph& g = qop.graph;
  EXPECT_EQ(CountOps(g, "QLinearConv"), 1);
  EXPECT_EQ(CountOps(g, "Conv"), 0);
  // Relu dropped (the output quantizer's zero point is 0: it saturates at 0),
  // MaxPool and Reshape run on the uint8 values, Gemm stays QDQ (QGemm is
  // com.microsoft).
  EXPECT_EQ(CountOps(g, "Relu"), 0);
  EXPECT_EQ(CountOps(g, "Gemm"), 1);
  for (const auto& n : g.nodes) {
    EXPECT_TRUE(n->domain.empty()) << n->op_type;
    if (n->op_type == "MaxPool" || n->op_type == "Reshape") {
      EXPECT_TRUE(absl::EndsWith(n->inputs[0], "_quantized")) << n->op_type << " reads " << n->inputs[0];
    }
  }
  EXPECT_NEAR(r2->outputs[0].sqnr_db, r1->outputs[0].sqnr_db, 0.5);
  EXPECT_NE(DecisionFor(r2->nodes, "conv").reason.find("QLinearConv (Relu folded)"), std::string::npos);
  EXPECT_NE(DecisionFor(r2->nodes, "pool").reason.find("on the quantized values"), std::string::npos);
  EXPECT_TRUE(ir::Verify(qop.graph).ok());
}

TEST(Quantize, QOperatorKeepsAClipTheQuantizerDoesNotImply) {
  // Clip(0.5, 6) after the Conv: its output range is widened to hold 0, so
  // the quantizer represents values below 0.5 that the Clip raises: the Clip
  // is not implied and stays between DQ and Q (the Conv then stays QDQ).
  ir::Model m = SmallCnn();
  m.graph.initializers["lo"] = Tensor::Scalar<float>(0.5f);
  m.graph.initializers["hi"] = Tensor::Scalar<float>(6.0f);
  for (auto& n : m.graph.nodes) {
    if (n->name == "relu") {
      n->op_type = "Clip";
      n->inputs = {"c", "lo", "hi"};
    }
  }
  QuantizeOptions o;
  o.format = Format::kQOperator;
  auto r = Quantize(m, o, MakeSampleList(Samples(20)).get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(CountOps(m.graph, "Clip"), 1);
  EXPECT_EQ(CountOps(m.graph, "QLinearConv"), 0);
  EXPECT_GT(r->outputs[0].sqnr_db, 20.0);
}

TEST(Quantize, DynamicLstmWeightsStoredInt8) {
  ir::Model m;
  m.opset_imports[""] = 17;
  const int64_t h = 4, in = 3;
  m.graph.inputs.push_back(FloatValue("x", {2, 1, in}));
  m.graph.initializers["W"] = Tensor::FromVector<float>({1, 4 * h, in}, UniformFloats(4 * h * in, -1, 1, 8));
  m.graph.initializers["R"] = Tensor::FromVector<float>({1, 4 * h, h}, UniformFloats(4 * h * h, -1, 1, 9));
  m.graph.AddNode(NamedNode("lstm", "LSTM", {"x", "W", "R"}, {"y"}, {ir::Attribute::Int("hidden_size", h)}));
  m.graph.outputs.push_back(FloatValue("y", {2, 1, 1, h}));
  std::vector<Sample> s(2);
  for (int i = 0; i < 2; ++i) s[i].feeds["x"] = Tensor::FromVector<float>({2, 1, in}, UniformFloats(2 * in, -1, 1, 60 + i));
  QuantizeOptions o;
  o.mode = Mode::kDynamic;
  auto r = Quantize(m, o, MakeSampleList(s).get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->nodes_quantized, 1);
  EXPECT_EQ(CountOps(m.graph, "DequantizeLinear"), 2);
  EXPECT_FALSE(m.graph.IsInitializer("W"));
  EXPECT_GT(r->outputs[0].sqnr_db, 30.0);
}

TEST(Quantize, MethodsAgreeOnCleanData) {
  for (Method method : {Method::kPercentile, Method::kEntropy}) {
    ir::Model m = SmallCnn();
    auto source = MakeSampleList(Samples(10));
    QuantizeOptions o;
    o.method = method;
    auto report = Quantize(m, o, source.get());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_GT(report->outputs[0].sqnr_db, 15.0) << MethodName(method);
  }
}

TEST(Quantize, DynamicMatMul) {
  ir::Model m;
  m.opset_imports[""] = 13;
  m.graph.inputs.push_back(FloatValue("x", {2, 16}));
  m.graph.initializers["w"] = Tensor::FromVector<float>({16, 8}, UniformFloats(128, -1, 1, 7));
  m.graph.AddNode(NamedNode("mm", "MatMul", {"x", "w"}, {"y"}));
  m.graph.outputs.push_back(FloatValue("y", {2, 8}));
  std::vector<Sample> s(3);
  for (int i = 0; i < 3; ++i) s[i].feeds["x"] = Tensor::FromVector<float>({2, 16}, UniformFloats(32, -1, 1, 50 + i));
  auto source = MakeSampleList(s);
  QuantizeOptions o;
  o.mode = Mode::kDynamic;
  auto report = Quantize(m, o, source.get());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->nodes_quantized, 1);
  bool mmi = false;
  for (const auto& n : m.graph.nodes) mmi |= n->op_type == "MatMulInteger";
  EXPECT_TRUE(mmi);
  ASSERT_EQ(report->outputs.size(), 1u);
  EXPECT_EQ(report->outputs[0].samples, 3);
  EXPECT_GT(report->outputs[0].sqnr_db, 25.0);
}

TEST(TensorStats, MergeEqualsOnePassAndPercentileCutsOutliers) {
  std::vector<float> a = UniformFloats(10000, -1, 1, 11), b = UniformFloats(10000, -8, 3, 12);
  b[17] = 500.0f;  // one outlier
  TensorStats one, s1, s2;
  one.Add(a.data(), a.size(), true);
  one.Add(b.data(), b.size(), true);
  s1.Add(a.data(), a.size(), true);
  s2.Add(b.data(), b.size(), true);
  s1.Merge(s2);
  EXPECT_EQ(s1.count(), one.count());
  EXPECT_EQ(s1.max(), 500.0f);
  EXPECT_EQ(s1.PercentileRange(99.9), one.PercentileRange(99.9));
  auto [lo, hi] = one.PercentileRange(99.99);
  EXPECT_LT(hi, 10.0f);
  EXPECT_LT(lo, -7.0f);
  auto [elo, ehi] = one.EntropyRange();
  EXPECT_LE(ehi, 500.0f);
  EXPECT_GE(elo, one.min());
}

// Values far from zero (a Sigmoid's outputs) and sparse vectors (squeeze-
// excite) made the KL search clip everything; the squared-error guard keeps
// a range that covers the data.
TEST(TensorStats, EntropyNeverClipsAwayTheData) {
  std::vector<float> sig = UniformFloats(20000, 0.45f, 0.55f, 13);
  TensorStats s;
  s.Add(sig.data(), sig.size(), true);
  auto [lo, hi] = s.EntropyRange();
  EXPECT_LE(lo, 0.46f);
  EXPECT_GE(hi, 0.54f);
  std::vector<float> sparse = UniformFloats(192, -0.05f, 0.03f, 14);
  TensorStats t;
  t.Add(sparse.data(), sparse.size(), true);
  auto [tlo, thi] = t.EntropyRange();
  EXPECT_LE(t.ExpectedSquaredError(tlo, thi), t.ExpectedSquaredError(t.min(), t.max()));
  EXPECT_LT(tlo, -0.02f);
  EXPECT_GT(thi, 0.02f);
}

TEST(SchemeTable, DocsTableIsGeneratedFromIt) {
  auto doc = ReadFile("docs/quantization.md");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_NE(doc->find(SchemeTableMarkdown()), std::string::npos)
      << "docs/quantization.md's op table differs from quantize/scheme.cc's; paste:\n"
      << SchemeTableMarkdown();
}

}  // namespace
}  // namespace onnxsmith::quantize
