#include <cstdio>
#include <fstream>
#include <iterator>

#include "common/version.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/model_io.h"
#include "ir/model_writer.h"
#include "ir/onnx_proto.h"
#include "ir/shape_inference.h"

namespace onnxsmith::ir {
namespace {

TEST(TensorTest, TransposeHwioToOihw) {
  // 1x2 spatial, 2 in, 3 out: values are their own flat index.
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[i] = static_cast<float>(i);
  Tensor t = Tensor::FromVector<float>({1, 2, 2, 3}, v);
  auto oihw = t.Transposed({3, 2, 0, 1});
  ASSERT_TRUE(oihw.ok());
  EXPECT_EQ(oihw->dims(), (std::vector<int64_t>{3, 2, 1, 2}));
  auto d = oihw->data<float>();
  // out[o][i][0][w] = in[0][w][i][o] = w*6 + i*3 + o
  EXPECT_EQ(d[0], 0);   // o0 i0 w0
  EXPECT_EQ(d[1], 6);   // o0 i0 w1
  EXPECT_EQ(d[2], 3);   // o0 i1 w0
  EXPECT_EQ(d[4], 1);   // o1 i0 w0
}

// Big enough for the parallel path: every element checked against the
// definition, for several element sizes and ranks.
template <typename T>
void CheckBigTranspose(std::vector<int64_t> dims, std::vector<int64_t> perm) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<T> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>(i % 1000003);
  Tensor t = Tensor::FromVector<T>(dims, v);
  auto out = t.Transposed(perm);
  ASSERT_TRUE(out.ok());
  const int r = static_cast<int>(dims.size());
  std::vector<int64_t> in_strides(r, 1);
  for (int i = r - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * dims[i + 1];
  auto d = out->data<T>();
  std::vector<int64_t> idx(r, 0);
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (int i = 0; i < r; ++i) src += idx[i] * in_strides[perm[i]];
    ASSERT_EQ(d[o], v[src]) << "at output " << o;
    for (int i = r - 1; i >= 0; --i) {
      if (++idx[i] < out->dims()[i]) break;
      idx[i] = 0;
    }
  }
}

TEST(TensorTest, BigTransposesMatchTheDefinition) {
  CheckBigTranspose<float>({3, 3, 64, 128}, {3, 2, 0, 1});
  CheckBigTranspose<float>({1, 1, 256, 512}, {3, 2, 0, 1});  // 1x1 conv
  CheckBigTranspose<float>({5, 1, 77, 1}, {3, 2, 0, 1});
  CheckBigTranspose<double>({2, 3, 4}, {0, 1, 2});
  CheckBigTranspose<int64_t>({7, 5, 3, 2, 311}, {4, 0, 3, 1, 2});
  CheckBigTranspose<uint8_t>({512, 1031}, {1, 0});
  CheckBigTranspose<int16_t>({1, 1, 300000}, {2, 1, 0});
  // Dims merged across size-1 dims; innermost dims that stay innermost.
  CheckBigTranspose<float>({40, 1, 50, 60}, {2, 3, 0, 1});
  CheckBigTranspose<float>({30, 40, 50}, {1, 0, 2});
  CheckBigTranspose<float>({60, 1, 70, 30}, {0, 2, 1, 3});  // moves nothing
  CheckBigTranspose<float>({7, 7, 3, 64}, {3, 2, 0, 1});
}

TEST(TensorTest, FromRawRejectsSizeMismatch) {
  auto t = Tensor::FromRaw(DataType::kFloat, {2, 2}, std::string(12, '\0'));
  EXPECT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("needs 16 bytes"), std::string::npos);
}

TEST(TensorTest, CastAndWiden) {
  Tensor t = Tensor::Vector1D<int32_t>({1, -2, 3});
  auto f = t.CastTo(DataType::kFloat);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->data<float>()[1], -2.0f);
  auto ints = t.ToInt64s();
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ((*ints)[2], 3);
  EXPECT_FALSE(Tensor::Vector1D<float>({1.5f}).ToInt64s().ok());
}

TEST(TensorTest, SharedBufferNotCopied) {
  Tensor a = Tensor::Vector1D<float>(std::vector<float>(1000, 1.0f));
  Tensor b = a;
  auto c = a.Reshaped({10, 100});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(a.raw().data(), b.raw().data());
  EXPECT_EQ(a.raw().data(), c->raw().data());
}

Graph TwoNodeGraph() {
  Graph g;
  g.inputs.push_back({"x", {DataType::kFloat, std::vector<Dim>{{2, ""}, {3, ""}}}});
  g.initializers["w"] = Tensor::FromVector<float>({2, 3}, std::vector<float>(6, 0.5f));
  Node add;
  add.name = "add";
  add.op_type = "Add";
  add.inputs = {"x", "w"};
  add.outputs = {"sum"};
  Node relu;
  relu.name = "relu";
  relu.op_type = "Relu";
  relu.inputs = {"sum"};
  relu.outputs = {"y"};
  // Out of order on purpose.
  g.AddNode(relu);
  g.AddNode(add);
  g.outputs.push_back({"y", {DataType::kFloat, std::nullopt}});
  return g;
}

TEST(GraphTest, TopologicalSortAndIndex) {
  Graph g = TwoNodeGraph();
  ASSERT_TRUE(g.TopologicalSort().ok());
  EXPECT_EQ(g.nodes[0]->op_type, "Add");
  auto index = g.BuildIndex();
  EXPECT_EQ(index.producer.at("sum")->name, "add");
  EXPECT_EQ(index.consumers.at("sum").size(), 1u);
}

TEST(GraphTest, CycleIsAnError) {
  Graph g = TwoNodeGraph();
  g.nodes[1]->inputs[0] = "y";  // add reads relu's output: a cycle
  auto s = g.TopologicalSort();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle through node 'relu'"), std::string::npos) << s;
}

TEST(GraphTest, CycleThroughUnnamedNodeNamesItsIndexAndOp) {
  Graph g = TwoNodeGraph();
  g.nodes[1]->inputs[0] = "y";
  for (auto& n : g.nodes) n->name.clear();
  auto s = g.TopologicalSort();
  EXPECT_NE(s.message().find("cycle through node #0 (Relu, unnamed)"), std::string::npos) << s;
}

TEST(GraphTest, UndefinedInputIsAnError) {
  Graph g = TwoNodeGraph();
  g.nodes[0]->inputs[0] = "nowhere";
  auto s = g.TopologicalSort();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nowhere"), std::string::npos);
}

TEST(GraphTest, RemoveDeadNodesDropsUnusedInitializers) {
  Graph g = TwoNodeGraph();
  g.initializers["unused"] = Tensor::Scalar<float>(1.0f);
  Node dead;
  dead.name = "dead";
  dead.op_type = "Neg";
  dead.inputs = {"x"};
  dead.outputs = {"z"};
  g.AddNode(dead);
  g.RemoveDeadNodes();
  EXPECT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.initializers.count("unused"), 0u);
  EXPECT_EQ(g.initializers.count("w"), 1u);
}

TEST(ModelTest, ProtoRoundTripAndChecker) {
  Model m;
  m.opset_imports[""] = 17;
  m.graph = TwoNodeGraph();
  ASSERT_TRUE(m.graph.TopologicalSort().ok());
  onnx::ModelProto proto = ToModelProto(m);
  auto report = ValidateModel(&proto);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->checked);
  auto back = FromModelProto(proto);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->graph.nodes.size(), 2u);
  EXPECT_EQ(back->graph.initializers.at("w").data<float>()[5], 0.5f);
}

TEST(ModelTest, CheckerSkippedPastOpset17) {
  Model m;
  m.opset_imports[""] = 21;
  m.ir_version = 10;
  m.graph = TwoNodeGraph();
  // Past the checker, outputs must still carry a rank of their own.
  onnx::ModelProto untyped = ToModelProto(m);
  EXPECT_FALSE(ValidateModel(&untyped).ok());
  m.graph.outputs[0].type.shape = std::vector<Dim>{{2, ""}, {3, ""}};
  onnx::ModelProto proto = ToModelProto(m);
  auto report = ValidateModel(&proto);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->checked);
  EXPECT_NE(report->skipped_reason.find("opset 21"), std::string::npos);
}

TEST(ModelTest, CheckerRejectsBadModel) {
  Model m;
  m.opset_imports[""] = 17;
  m.graph = TwoNodeGraph();
  m.graph.nodes[0]->op_type = "NoSuchOp";
  onnx::ModelProto proto = ToModelProto(m);
  EXPECT_FALSE(ValidateModel(&proto).ok());
}

TEST(ModelIoTest, WriteIsAtomicAndReadable) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/model_io_test.onnx";
  Model m;
  m.opset_imports[""] = 17;
  m.graph = TwoNodeGraph();
  ASSERT_TRUE(WriteModelProto(ToModelProto(m), path).ok());
  auto back = ReadModelProto(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->graph().node_size(), 2);
  // Writing into a missing directory fails and leaves nothing behind.
  auto s = WriteModelProto(ToModelProto(m), dir + "/no/such/dir/m.onnx");
  EXPECT_FALSE(s.ok());
}

TEST(ModelWriterTest, SameBytesAsPlainSerialization) {
  Model m;
  m.opset_imports[""] = 17;
  m.opset_imports["com.example"] = 1;
  m.metadata["k"] = "v";
  m.producer_version = "1.0";
  m.graph = TwoNodeGraph();
  ASSERT_TRUE(m.graph.TopologicalSort().ok());
  // Initializers of several kinds, a big one (past 2^14 bytes: a 3-byte
  // length) and an empty one; unused ones are fine for the writer.
  m.graph.initializers["big"] =
      Tensor::FromVector<float>({300, 200}, std::vector<float>(60000, 1.5f));
  m.graph.initializers["empty"] = Tensor::FromVector<float>({0, 4}, std::vector<float>());
  m.graph.initializers["names"] = Tensor::FromStrings({2}, {"a", "bc"});
  m.graph.initializers["ids"] = Tensor::Vector1D<int64_t>({1, -2, 3});
  for (bool check : {true, false}) {
    auto checked = ToCheckedModel(m, check, "off", ::testing::TempDir() + "/spliced.onnx");
    ASSERT_TRUE(checked.ok()) << checked.status();
    EXPECT_EQ(checked->validation.checked, check);
    const std::string dir = ::testing::TempDir();
    ASSERT_TRUE(WriteCheckedModel(*checked, dir + "/spliced.onnx").ok());
    EXPECT_EQ(checked->proto.producer_name(), kProducerName);
    EXPECT_EQ(checked->proto.producer_version(), kVersion);
    onnx::ModelProto plain = ToModelProto(m);
    plain.set_producer_name(kProducerName);
    plain.set_producer_version(kVersion);
    if (check) ASSERT_TRUE(ValidateModel(&plain).ok());
    ASSERT_TRUE(WriteModelProto(plain, dir + "/plain.onnx").ok());
    std::ifstream a(dir + "/spliced.onnx", std::ios::binary);
    std::ifstream b(dir + "/plain.onnx", std::ios::binary);
    const std::string sa((std::istreambuf_iterator<char>(a)), std::istreambuf_iterator<char>());
    const std::string sb((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
    EXPECT_GT(sa.size(), 240000u);
    EXPECT_TRUE(sa == sb) << "spliced " << sa.size() << " bytes, plain " << sb.size();
  }
}

TEST(ShapeInferenceTest, InfersThroughSchemas) {
  ShapeInferencer inf(17);
  ValueType x{DataType::kFloat, std::vector<Dim>{{1, ""}, {3, ""}, {8, ""}, {8, ""}}};
  inf.SetType("x", x);
  inf.SetConstant("w", Tensor::FromVector<float>({4, 3, 3, 3}, std::vector<float>(108, 0)));
  Node conv;
  conv.op_type = "Conv";
  conv.inputs = {"x", "w"};
  conv.outputs = {"y"};
  conv.attributes.push_back(Attribute::Ints("pads", {1, 1, 1, 1}));
  inf.InferNode(conv);
  ValueType y = inf.TypeOf("y");
  EXPECT_EQ(y.dtype, DataType::kFloat);
  ASSERT_TRUE(y.shape.has_value());
  EXPECT_EQ((*y.shape)[1].size, 4);
  EXPECT_EQ((*y.shape)[3].size, 8);
}

}  // namespace
}  // namespace onnxsmith::ir
