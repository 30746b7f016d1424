// Target profiles (targets/): loading and validating the profile files, the
// quantizer driven by each profile, and the compliance rules on hand-built
// graphs (zero points 0 for tensorrt, shared scales and fixed outputs and no
// float op inside the integer region for edge-int8, per-tensor MatMul for
// qnn, 16-bit activations for qnn-a16w8).
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "cli/quantize_command.h"
#include "cli/target_flags.h"
#include "evaluator/evaluator.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/verifier.h"
#include "quantize/calibration_data.h"
#include "tests/unit/graph_test_util.h"
#include "quantize/quantize.h"
#include "targets/compliance.h"
#include "targets/profile.h"
#include "targets/shapes.h"

namespace onnxsmith::targets {
namespace {

using ir::DataType;
using ir::Tensor;

using testing::FloatValue;

ir::Node MakeNode(const std::string& name, const std::string& op, std::vector<std::string> in,
                  std::vector<std::string> out, std::vector<ir::Attribute> attrs = {}) {
  return testing::NamedNode(name, op, std::move(in), std::move(out), std::move(attrs));
}

std::vector<float> Random(int64_t n, float lo, float hi, uint32_t seed) {
  return testing::UniformFloats(n, lo, hi, seed);
}

// x[1,3,8,8] -> conv1 -> relu -+
//            -> conv2 ---------+-> concat -> maxpool -> sigmoid -> gap -> flatten -> gemm -> softmax -> y
ir::Model Cnn(int64_t opset) {
  ir::Model m;
  m.opset_imports[""] = opset;
  ir::Graph& g = m.graph;
  g.inputs.push_back(FloatValue("x", {1, 3, 8, 8}));
  g.initializers["w1"] = Tensor::FromVector<float>({4, 3, 3, 3}, Random(108, -0.5f, 0.5f, 1));
  g.initializers["b1"] = Tensor::FromVector<float>({4}, Random(4, -0.1f, 0.1f, 2));
  g.initializers["w2"] = Tensor::FromVector<float>({4, 3, 1, 1}, Random(12, -2.0f, 2.0f, 3));
  g.initializers["b2"] = Tensor::FromVector<float>({4}, Random(4, -0.1f, 0.1f, 4));
  g.initializers["w3"] = Tensor::FromVector<float>({5, 8}, Random(40, -0.3f, 0.3f, 5));
  g.initializers["b3"] = Tensor::FromVector<float>({5}, Random(5, -0.1f, 0.1f, 6));
  const auto pads = ir::Attribute::Ints("pads", {1, 1, 1, 1});
  g.AddNode(MakeNode("conv1", "Conv", {"x", "w1", "b1"}, {"c1"}, {pads}));
  g.AddNode(MakeNode("relu1", "Relu", {"c1"}, {"r1"}));
  g.AddNode(MakeNode("conv2", "Conv", {"x", "w2", "b2"}, {"c2"}));
  g.AddNode(MakeNode("concat", "Concat", {"r1", "c2"}, {"cat"}, {ir::Attribute::Int("axis", 1)}));
  g.AddNode(MakeNode("pool", "MaxPool", {"cat"}, {"p"},
                     {ir::Attribute::Ints("kernel_shape", {2, 2}), ir::Attribute::Ints("strides", {2, 2})}));
  g.AddNode(MakeNode("sigmoid", "Sigmoid", {"p"}, {"s"}));
  g.AddNode(MakeNode("gap", "GlobalAveragePool", {"s"}, {"a"}));
  g.AddNode(MakeNode("flat", "Flatten", {"a"}, {"f"}));
  g.AddNode(MakeNode("fc", "Gemm", {"f", "w3", "b3"}, {"logits"}, {ir::Attribute::Int("transB", 1)}));
  g.AddNode(MakeNode("softmax", "Softmax", {"logits"}, {"y"}));
  g.outputs.push_back(FloatValue("y", {1, 5}));
  return m;
}

std::vector<quantize::Sample> Samples(int n) {
  std::vector<quantize::Sample> s(n);
  for (int i = 0; i < n; ++i) {
    s[i].index = i;
    s[i].feeds["x"] = Tensor::FromVector<float>({1, 3, 8, 8}, Random(192, -1.0f, 1.0f, 100 + i));
  }
  return s;
}

Profile Load(const std::string& name) {
  auto p = LoadProfile(name);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : Profile{};
}

// Quantizes Cnn() as `profile` says; returns the quantizer's report.
quantize::QuantizeReport QuantizeFor(const Profile& profile, ir::Model& m) {
  cli::QuantizeFlags flags;
  quantize::QuantizeOptions options;
  EXPECT_TRUE(cli::ApplyProfile(profile, flags, &options).ok());
  auto data = quantize::MakeSampleList(Samples(12));
  auto report = quantize::Quantize(m, options, data.get());
  EXPECT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(ir::Verify(m.graph).ok());
  return report.ok() ? *report : quantize::QuantizeReport{};
}

const NodeCompliance& NodeNamed(const ComplianceReport& r, const std::string& name) {
  for (const NodeCompliance& c : r.nodes) {
    if (c.node == name) return c;
  }
  static NodeCompliance none;
  ADD_FAILURE() << "no node " << name;
  return none;
}

std::string Describe(const ComplianceReport& r) { return FormatCompliance(r, 0); }

const ir::Node* Producer(const ir::Graph& g, const std::string& v) {
  for (const auto& n : g.nodes) {
    for (const std::string& o : n->outputs) {
      if (o == v) return n.get();
    }
  }
  return nullptr;
}

// (scale, zero point) of a Q/DQ node.
std::pair<double, double> ParamsOf(const ir::Graph& g, const ir::Node& n) {
  const double s = (*g.FindInitializer(n.inputs[1])->ToDoubles())[0];
  const double z = n.inputs.size() > 2 ? (*g.FindInitializer(n.inputs[2])->ToDoubles())[0] : 0;
  return {s, z};
}

TEST(Profiles, EveryShippedProfileLoads) {
  auto all = BuiltinProfiles();
  ASSERT_TRUE(all.ok()) << all.status();
  std::set<std::string> names;
  for (const Profile& p : *all) names.insert(p.name);
  for (const char* want : {"cpu-x86-vnni", "cpu-x86-avx2", "arm64", "tensorrt", "qnn", "qnn-a16w8", "openvino",
                           "edge-int8"}) {
    EXPECT_TRUE(names.count(want)) << want;
  }
  for (const Profile& p : *all) EXPECT_FALSE(p.sources.empty()) << p.name << " cites no vendor documentation";
}

TEST(Profiles, UnknownTargetListsKnownOnes) {
  auto p = LoadProfile("tpu9000");
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(absl::StrContains(p.status().message(), "unknown target 'tpu9000'"));
  EXPECT_TRUE(absl::StrContains(p.status().message(), "tensorrt"));
  EXPECT_TRUE(absl::StrContains(p.status().message(), "edge-int8"));
}

TEST(Profiles, MalformedFilesNameFileAndField) {
  const std::string base = R"({"name": "x", "description": "d", "opset": {"min": 13, "max": 17}, "ops": ["*"],
                               "quantization": {"activations": "uint8"})";
  EXPECT_TRUE(ParseProfile(base + "}", "p.json").ok());
  auto bad = ParseProfile("{not json", "p.json");
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "p.json: not valid JSON"));
  bad = ParseProfile(base + R"(, "shapez": "static"})", "p.json");
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "p.json: field 'shapez': unknown field")) << bad.status();
  bad = ParseProfile(absl::StrReplaceAll(base, {{"\"uint8\"", "\"uint7\""}}) + "}", "p.json");
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "field 'quantization.activations': 'uint7'")) << bad.status();
  bad = ParseProfile(absl::StrReplaceAll(base, {{"\"max\": 17", "\"max\": \"17\""}}) + "}", "p.json");
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "field 'opset.max': must be an integer")) << bad.status();
  bad = ParseProfile(absl::StrReplaceAll(base, {{"\"uint8\"}", R"("int8", "fixed_outputs": {"Sigmoid": {"scale": 0.1, "zero_point": 300}}})"}}) + "}", "p.json");
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "quantization.fixed_outputs.Sigmoid.zero_point")) << bad.status();
  bad = ParseProfile(absl::StrReplaceAll(base, {{"\"uint8\"", "\"uint16\""}}) + "}", "p.json");
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "opset >= 21")) << bad.status();
}

TEST(Tensorrt, ZeroPointsAllZeroFloatBiasWeightsBehindQdq) {
  const Profile p = Load("tensorrt");
  ir::Model m = Cnn(17);
  QuantizeFor(p, m);
  const ir::Graph& g = m.graph;
  int qdq = 0;
  for (const auto& n : g.nodes) {
    if (n->op_type != "QuantizeLinear" && n->op_type != "DequantizeLinear") continue;
    ++qdq;
    ASSERT_EQ(n->inputs.size(), 3u) << n->name;
    const Tensor* z = g.FindInitializer(n->inputs[2]);
    ASSERT_NE(z, nullptr);
    EXPECT_EQ(z->dtype(), DataType::kInt8) << n->name;
    const auto zs = z->ToDoubles();
    ASSERT_TRUE(zs.ok());
    for (double v : *zs) EXPECT_EQ(v, 0) << n->name;
  }
  EXPECT_GT(qdq, 6);
  for (const char* conv : {"conv1", "conv2", "fc"}) {
    for (const auto& n : g.nodes) {
      if (n->name != conv) continue;
      EXPECT_TRUE(g.FindInitializer(n->inputs[2]) != nullptr) << conv << ": bias stays a float initializer";
      const ir::Node* dq = Producer(g, n->inputs[1]);
      ASSERT_NE(dq, nullptr);
      const ir::Node* q = Producer(g, dq->inputs[0]);
      ASSERT_NE(q, nullptr) << conv << ": weights are float behind Q -> DQ";
      EXPECT_EQ(q->op_type, "QuantizeLinear");
      EXPECT_EQ(g.FindInitializer(q->inputs[0])->dtype(), DataType::kFloat);
    }
  }
  const ComplianceReport r = CheckCompliance(m, p);
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(NodeNamed(r, "conv1").status, NodeStatus::kRewritten) << Describe(r);
}

TEST(Tensorrt, NonZeroZeroPointIsUnsupported) {
  const Profile p = Load("tensorrt");
  ir::Model m = Cnn(17);
  QuantizeFor(Load("cpu-x86-vnni"), m);  // uint8 asymmetric: wrong for TensorRT
  const ComplianceReport r = CheckCompliance(m, p);
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.count(NodeStatus::kUnsupported), 0);
  EXPECT_TRUE(absl::StrContains(Describe(r), "uint8 activation; the target wants int8")) << Describe(r);
  EXPECT_TRUE(absl::StrContains(Describe(r), "int32 bias; the target keeps biases float")) << Describe(r);
  EXPECT_TRUE(ComplianceStatus(r, /*allow_fallback=*/true).ok());
  EXPECT_FALSE(ComplianceStatus(r, /*allow_fallback=*/false).ok());
}

TEST(EdgeInt8, SharedScalesFixedOutputsIntegerRegion) {
  const Profile p = Load("edge-int8");
  ir::Model m = Cnn(17);
  const quantize::QuantizeReport q = QuantizeFor(p, m);
  const ir::Graph& g = m.graph;
  for (const auto& n : g.nodes) {
    if (n->op_type == "Concat" || n->op_type == "MaxPool") {
      // Every dequantized input and the quantized output: one scale.
      const ir::Node* out_q = nullptr;
      for (const auto& c : g.nodes) {
        if (c->op_type == "QuantizeLinear" && c->inputs[0] == n->outputs[0]) out_q = c.get();
      }
      ASSERT_NE(out_q, nullptr) << n->name;
      for (const std::string& in : n->inputs) {
        const ir::Node* dq = Producer(g, in);
        ASSERT_TRUE(dq != nullptr && dq->op_type == "DequantizeLinear") << n->name << " input " << in;
        EXPECT_EQ(ParamsOf(g, *dq), ParamsOf(g, *out_q)) << n->name << " input " << in;
      }
    }
    if (n->op_type == "Sigmoid") {
      for (const auto& c : g.nodes) {
        if (c->op_type == "QuantizeLinear" && c->inputs[0] == n->outputs[0]) {
          EXPECT_EQ(ParamsOf(g, *c), std::make_pair(1.0 / 256, -128.0));
          EXPECT_EQ(g.FindInitializer(c->inputs[2])->dtype(), DataType::kInt8);
        }
      }
    }
  }
  const ComplianceReport r = cli::CheckTarget(p, m, &q, {});
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(NodeNamed(r, "sigmoid").status, NodeStatus::kRewritten) << Describe(r);
  EXPECT_TRUE(absl::StrContains(NodeNamed(r, "sigmoid").detail, "fixed output")) << Describe(r);
  EXPECT_TRUE(absl::StrContains(NodeNamed(r, "concat").detail, "share one scale")) << Describe(r);
  // No float op between the first Q and the last DQ: every node there runs
  // quantized (the Softmax after the last DQ produces the float output).
  for (const NodeCompliance& c : r.nodes) {
    EXPECT_FALSE(absl::StrContains(c.detail, "integer region")) << c.node << ": " << c.detail;
  }
}

TEST(EdgeInt8, FloatOpInsideIntegerRegionIsNamed) {
  const Profile p = Load("edge-int8");
  ir::Model m = Cnn(17);
  // conv1 -> Mul(constant) -> Add(constant) -> relu1: the quantizer keeps
  // the Mul and Add (and so the Relu) float between quantized ops.
  m.graph.initializers["k"] = Tensor::Scalar<float>(0.5f);
  m.graph.initializers["k2"] = Tensor::Scalar<float>(0.25f);
  for (auto& n : m.graph.nodes) {
    if (n->name == "relu1") n->inputs[0] = "a1";
  }
  m.graph.AddNode(MakeNode("scale", "Mul", {"c1", "k"}, {"m1"}));
  m.graph.AddNode(MakeNode("shift", "Add", {"m1", "k2"}, {"a1"}));
  ASSERT_TRUE(m.graph.TopologicalSort().ok());
  const quantize::QuantizeReport q = QuantizeFor(p, m);
  const ComplianceReport r = cli::CheckTarget(p, m, &q, {});
  const NodeCompliance& s = NodeNamed(r, "scale");
  EXPECT_EQ(s.status, NodeStatus::kFloat) << Describe(r);
  EXPECT_TRUE(absl::StrContains(s.detail, "kept float")) << s.detail;
  EXPECT_TRUE(absl::StrContains(s.detail, "inside the integer region")) << s.detail;
  EXPECT_TRUE(absl::StrContains(Describe(r), "left float: scale (Mul)")) << Describe(r);
  EXPECT_TRUE(absl::StrContains(NodeNamed(r, "shift").detail, "inside the integer region")) << Describe(r);
  EXPECT_EQ(NodeNamed(r, "relu1").status, NodeStatus::kFloat) << Describe(r);
  EXPECT_TRUE(r.ok()) << Describe(r);  // named, so allowed
}

TEST(EdgeInt8, WrongFixedOutputAndResizeModeAreUnsupported) {
  Profile p = Load("edge-int8");
  ir::Model m = Cnn(17);
  Profile other = p;
  other.quant.fixed_outputs["Sigmoid"] = FixedParams{1.0f / 128, 0};
  QuantizeFor(other, m);
  ComplianceReport r = CheckCompliance(m, p);
  EXPECT_EQ(NodeNamed(r, "sigmoid").status, NodeStatus::kUnsupported) << Describe(r);
  EXPECT_TRUE(absl::StrContains(NodeNamed(r, "sigmoid").detail, "the target fixes 0.00390625, -128"));

  ir::Model resize = Cnn(17);
  resize.graph.initializers["scales"] = Tensor::Vector1D<float>({1, 1, 2, 2});
  resize.graph.AddNode(MakeNode("up", "Resize", {"x", "", "scales"}, {"u"}, {ir::Attribute::String("mode", "cubic")}));
  resize.graph.outputs.push_back(FloatValue("u", {1, 3, 16, 16}));
  r = CheckCompliance(resize, p);
  EXPECT_EQ(NodeNamed(r, "up").status, NodeStatus::kUnsupported);
  EXPECT_TRUE(absl::StrContains(NodeNamed(r, "up").detail, "mode='cubic'")) << Describe(r);
}

// x -> Conv -> MatMul(constant) -> Relu -> y
ir::Model ConvMatMul() {
  ir::Model m;
  m.opset_imports[""] = 17;
  ir::Graph& g = m.graph;
  g.inputs.push_back(FloatValue("x", {1, 3, 8, 8}));
  g.initializers["w1"] = Tensor::FromVector<float>({4, 3, 3, 3}, Random(108, -0.5f, 0.5f, 1));
  g.initializers["w2"] = Tensor::FromVector<float>({6, 8}, Random(48, -0.5f, 0.5f, 2));
  g.AddNode(MakeNode("conv", "Conv", {"x", "w1"}, {"c"}));
  g.AddNode(MakeNode("mm", "MatMul", {"c", "w2"}, {"h"}));
  g.AddNode(MakeNode("relu", "Relu", {"h"}, {"y"}));
  g.outputs.push_back(FloatValue("y", {1, 4, 6, 8}));
  return m;
}

TEST(Qnn, MatMulWeightsPerTensorConvPerChannel) {
  const Profile p = Load("qnn");
  ir::Model m = ConvMatMul();
  QuantizeFor(p, m);
  for (const auto& n : m.graph.nodes) {
    if (n->name == "mm" || n->name == "conv") {
      const ir::Node* dq = Producer(m.graph, n->inputs[1]);
      ASSERT_NE(dq, nullptr);
      EXPECT_EQ(m.graph.FindInitializer(dq->inputs[1])->num_elements(), n->name == "mm" ? 1 : 4) << n->name;
    }
  }
  const ComplianceReport r = CheckCompliance(m, p);
  EXPECT_TRUE(r.ok()) << Describe(r);
  // Quantized per channel everywhere (the CPU scheme), the MatMul breaks qnn's rule.
  ir::Model pc = ConvMatMul();
  QuantizeFor(Load("cpu-x86-vnni"), pc);
  const std::string text = Describe(CheckCompliance(pc, p));
  EXPECT_TRUE(absl::StrContains(text, "per-channel weights of MatMul; the target quantizes them per tensor")) << text;
}

TEST(QnnA16W8, Uint16ActivationsAtOpset21) {
  const Profile p = Load("qnn-a16w8");
  ir::Model m = Cnn(21);
  QuantizeFor(p, m);
  int wide = 0;
  for (const auto& n : m.graph.nodes) {
    if (n->op_type == "QuantizeLinear") {
      const DataType t = m.graph.FindInitializer(n->inputs[2])->dtype();
      EXPECT_EQ(t, DataType::kUint16) << n->name;
      wide += t == DataType::kUint16;
    }
  }
  EXPECT_GT(wide, 3);
  const ComplianceReport r = CheckCompliance(m, p);
  EXPECT_TRUE(r.ok()) << Describe(r);
  // At opset 17 the quantizer refuses 16-bit activations clearly.
  ir::Model old = Cnn(17);
  cli::QuantizeFlags flags;
  quantize::QuantizeOptions options;
  ASSERT_TRUE(cli::ApplyProfile(p, flags, &options).ok());
  auto data = quantize::MakeSampleList(Samples(4));
  auto q = quantize::Quantize(old, options, data.get());
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(absl::StrContains(q.status().message(), "opset 21")) << q.status();
}

TEST(Compliance, OpsetStaticShapesAndUnknownOps) {
  const Profile p = Load("qnn");
  ir::Model m = Cnn(12);
  m.graph.inputs[0].type.shape->front() = ir::Dim{-1, "N"};
  m.graph.AddNode(MakeNode("odd", "Einsum", {"y"}, {"z"}));
  const ComplianceReport r = CheckCompliance(m, p);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(Describe(r), "opset 12 is outside qnn's range [13, 21]")) << Describe(r);
  EXPECT_TRUE(absl::StrContains(Describe(r), "input 'x' has a dynamic shape (Nx3x8x8)")) << Describe(r);
  EXPECT_EQ(NodeNamed(r, "odd").status, NodeStatus::kUnsupported);
  EXPECT_EQ(NodeNamed(r, "conv1").status, NodeStatus::kSupported);
  // Model issues fail even with --allow-fallback.
  EXPECT_FALSE(ComplianceStatus(r, /*allow_fallback=*/true).ok());
}

TEST(FixShapes, SetsDimsAndRefusesUnknownInputs) {
  ir::Model m = Cnn(17);
  m.graph.inputs[0].type.shape->front() = ir::Dim{-1, "N"};
  auto shapes = ParseFixShapes({"x:2x3x8x8"});
  ASSERT_TRUE(shapes.ok());
  auto notes = FixShapes(m, *shapes, 0);
  ASSERT_TRUE(notes.ok()) << notes.status();
  EXPECT_EQ(m.graph.inputs[0].type.shape->front().size, 2);
  auto bad = FixShapes(m, {{"image", {1, 3, 8, 8}}}, 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "no input 'image' (its inputs: x)")) << bad.status();
  bad = FixShapes(m, {{"x", {1, 3, 8}}}, 0);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "rank 3")) << bad.status();
  EXPECT_FALSE(ParseFixShapes({"x:1xAx2"}).ok());
  EXPECT_FALSE(ParseFixShapes({"x"}).ok());
}

TEST(ApplyProfile, ContradictingFlagsAreErrors) {
  const Profile p = Load("tensorrt");
  cli::QuantizeFlags flags;
  quantize::QuantizeOptions options;
  flags.activations = "uint8";
  absl::Status s = cli::ApplyProfile(p, flags, &options);
  EXPECT_TRUE(absl::StrContains(s.message(), "--target tensorrt contradicts --activations uint8")) << s;
  flags.activations = "int8";
  EXPECT_TRUE(cli::ApplyProfile(p, flags, &options).ok());
  flags.format = "qoperator";
  EXPECT_FALSE(cli::ApplyProfile(p, flags, &options).ok());
  flags.format = "qdq";
  flags.full_range = true;
  EXPECT_TRUE(cli::ApplyProfile(p, flags, &options).ok());
  EXPECT_FALSE(cli::ApplyProfile(Load("cpu-x86-avx2"), flags, &options).ok());
}

}  // namespace
}  // namespace onnxsmith::targets
