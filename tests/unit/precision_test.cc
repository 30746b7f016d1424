// --precision fp16 (optimizer/precision/float16.h) on hand-built graphs:
// which ops go float16, where the Casts go (fewest, shared, none between two
// float16 ops), initializers, I/O, shape arithmetic and If bodies; ir::Verify
// and the ONNX checker after every conversion, and the reference evaluator's
// float16 results against float32.
#include "optimizer/precision/float16.h"

#include <gtest/gtest.h>

#include "ir/verifier.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer::precision {
namespace {

using ir::DataType;
using testing::CountOp;
using testing::GraphBuilder;
using testing::RandomFloatTensor;

ir::Model ModelOf(ir::Graph g) {
  ir::Model m;
  m.opset_imports[""] = 17;
  m.graph = std::move(g);
  return m;
}

// Converts a copy of `g` and checks the invariants every result keeps.
ir::Model Convert(const ir::Graph& g, Float16Report* report, const Float16Options& options = {}) {
  ir::Model m = ModelOf(g.Clone());
  auto r = ConvertToFloat16(m, options);
  EXPECT_TRUE(r.ok()) << r.status();
  if (r.ok() && report) *report = *r;
  EXPECT_TRUE(ir::Verify(m.graph).ok()) << ir::Verify(m.graph);
  EXPECT_TRUE(testing::CheckWithOnnx(m.graph).ok()) << testing::CheckWithOnnx(m.graph);
  // No Cast reads a value another Cast made (float16 -> float32 -> float16).
  auto index = m.graph.BuildIndex();
  for (const auto& n : m.graph.nodes) {
    if (n->op_type != "Cast") continue;
    auto it = index.producer.find(n->inputs[0]);
    EXPECT_TRUE(it == index.producer.end() || it->second->op_type != "Cast") << n->name;
  }
  return m;
}

DataType TypeOf(const ir::Graph& g, const std::string& v) {
  auto it = g.value_types.find(v);
  return it == g.value_types.end() ? DataType::kUndefined : it->second.dtype;
}

GraphBuilder Cnn() {
  GraphBuilder b;
  b.Input("x", {1, 3, 8, 8})
      .Init("w", RandomFloatTensor({4, 3, 3, 3}, 1))
      .Init("gw", RandomFloatTensor({4, 5}, 2))
      .Init("gb", RandomFloatTensor({5}, 3));
  b.Add("Conv", {"x", "w"}, {"c"}, {ir::Attribute::Ints("pads", {1, 1, 1, 1})});
  b.Add("Relu", {"c"}, {"r"});
  b.Add("GlobalAveragePool", {"r"}, {"p"});
  b.Add("Flatten", {"p"}, {"f"});
  b.Add("Gemm", {"f", "gw", "gb"}, {"logits"});
  b.Add("Softmax", {"logits"}, {"y"});
  b.Type("c", {1, 4, 8, 8}).Type("r", {1, 4, 8, 8}).Type("p", {1, 4, 1, 1}).Type("f", {1, 4});
  b.Type("logits", {1, 5}).Output("y");
  return b;
}

TEST(Float16Test, CnnComputesInFloat16WithTwoCasts) {
  GraphBuilder b = Cnn();
  Float16Report report;
  ir::Model m = Convert(b.graph(), &report);
  EXPECT_EQ(report.nodes_fp16, 5);
  EXPECT_EQ(report.kept_by_op["Softmax"], 1);
  EXPECT_EQ(report.casts_inserted, 2);  // x -> float16, logits -> float32 for Softmax
  EXPECT_EQ(CountOp(m.graph, "Cast"), 2);
  EXPECT_EQ(m.graph.initializers.at("w").dtype(), DataType::kFloat16);
  EXPECT_EQ(TypeOf(m.graph, "r"), DataType::kFloat16);
  EXPECT_EQ(m.graph.inputs[0].type.dtype, DataType::kFloat);
  EXPECT_EQ(m.graph.outputs[0].type.dtype, DataType::kFloat);
  EXPECT_EQ(report.float_bytes_after * 2, report.float_bytes_before);
  // The reference evaluator runs it (float16 kernels through float32).
  auto diff = testing::NumericDiff(b.graph(), m.graph);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_LT(*diff, 1e-2);
}

TEST(Float16Test, Fp16IoAndGraphOutputOfAFloat16Op) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Init("k", RandomFloatTensor({2, 3}, 4));
  b.Add("Mul", {"x", "k"}, {"m"});
  b.Add("Exp", {"m"}, {"e"});
  b.Add("Add", {"m", "e"}, {"y"});
  b.Type("m", {2, 3}).Type("e", {2, 3}).Output("m").Output("y");
  Float16Options options;
  options.fp16_io = true;
  Float16Report report;
  ir::Model m = Convert(b.graph(), &report, options);
  EXPECT_EQ(m.graph.inputs[0].type.dtype, DataType::kFloat16);
  for (const auto& o : m.graph.outputs) EXPECT_EQ(o.type.dtype, DataType::kFloat16);
  // m -> float32 for Exp, e -> float16 for Add.
  EXPECT_EQ(report.casts_inserted, 2);
  // Without fp16_io the outputs keep their names and float32.
  Float16Report plain;
  ir::Model p = Convert(b.graph(), &plain);
  EXPECT_EQ(p.graph.outputs[0].name, "m");
  EXPECT_EQ(p.graph.outputs[0].type.dtype, DataType::kFloat);
  auto diff = testing::NumericDiff(b.graph(), p.graph);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_LT(*diff, 1e-2);
}

TEST(Float16Test, OneCastPerValueSharedByReaders) {
  GraphBuilder b;
  b.Input("x", {2, 8});
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Exp", {"r"}, {"e"});
  b.Add("Softmax", {"r"}, {"s"});
  b.Add("Add", {"e", "s"}, {"y"});
  b.Type("r", {2, 8}).Type("e", {2, 8}).Type("s", {2, 8}).Output("y");
  Float16Report report;
  ir::Model m = Convert(b.graph(), &report);
  // x -> 16 (Relu), r -> 32 (Exp and Softmax share it), e and s -> 16 (Add), y -> 32.
  EXPECT_EQ(report.casts_inserted, 5);
}

TEST(Float16Test, InitializerReadInBothPrecisionsIsDuplicated) {
  GraphBuilder b;
  b.Input("x", {2, 4}).Init("k", RandomFloatTensor({2, 4}, 5));
  b.Add("Add", {"x", "k"}, {"a"});
  b.Add("Pow", {"a", "k"}, {"y"});
  b.Type("a", {2, 4}).Output("y");
  Float16Report report;
  ir::Model m = Convert(b.graph(), &report);
  EXPECT_EQ(report.initializers_duplicated, 1);
  EXPECT_EQ(m.graph.initializers.at("k").dtype(), DataType::kFloat);
  EXPECT_EQ(m.graph.initializers.size(), 2u);
}

TEST(Float16Test, ShapeArithmeticAndLargeReductionsStayFloat32) {
  GraphBuilder b;
  b.Input("x", {2, 6000}).Init("half", ir::Tensor::Vector1D<float>({1.0f, 0.5f}));
  b.Add("Shape", {"x"}, {"shape"});
  b.Add("Cast", {"shape"}, {"fshape"}, {ir::Attribute::Int("to", 1)});
  b.Add("Mul", {"fshape", "half"}, {"scaled"});
  b.Add("Cast", {"scaled"}, {"ishape"}, {ir::Attribute::Int("to", 7)});
  b.Add("Reshape", {"x", "ishape"}, {"r"});
  b.Add("ReduceMean", {"x"}, {"s"}, {ir::Attribute::Ints("axes", {1})});
  b.Type("shape", {2}, DataType::kInt64).Type("fshape", {2}).Type("scaled", {2});
  b.Type("ishape", {2}, DataType::kInt64).Type("r", {4, 3000}).Type("s", {2, 1});
  b.Output("r").Output("s");
  Float16Report report;
  ir::Model m = Convert(b.graph(), &report);
  EXPECT_EQ(TypeOf(m.graph, "scaled"), DataType::kFloat);
  EXPECT_EQ(TypeOf(m.graph, "fshape"), DataType::kFloat);
  EXPECT_EQ(report.kept_by_op["ReduceMean"], 1);
  EXPECT_EQ(report.kept_by_op["Mul"], 1);
}

TEST(Float16Test, IfBodiesConvertWithFloat32Boundary) {
  auto branch = [](const std::string& tag, const std::string& op) {
    GraphBuilder g;
    g.Add(op, {"r", "r"}, {"b_" + tag});
    g.Add("Relu", {"b_" + tag}, {"o_" + tag});
    g.Type("b_" + tag, {2, 3}).Type("o_" + tag, {2, 3});
    g.graph().outputs.push_back({"o_" + tag, ir::MakeType(DataType::kFloat, {2, 3})});
    g.graph().name = tag;
    return std::make_shared<ir::Graph>(g.Take());
  };
  GraphBuilder b;
  b.Input("x", {2, 3}).Input("c", {}, DataType::kBool);
  b.Add("Relu", {"x"}, {"r"});
  b.Add("If", {"c"}, {"y"},
        {ir::Attribute::GraphValue("then_branch", branch("then", "Add")),
         ir::Attribute::GraphValue("else_branch", branch("else", "Mul"))});
  b.Type("r", {2, 3}).Type("y", {2, 3}).Output("y");
  Float16Report report;
  ir::Model m = Convert(b.graph(), &report);
  EXPECT_EQ(report.nodes_fp16, 5);  // Relu, and Add/Mul + Relu in each branch
  for (const char* attr : {"then_branch", "else_branch"}) {
    const ir::Graph& body = *m.graph.nodes.back()->FindAttr(attr)->g;
    EXPECT_EQ(body.outputs[0].type.dtype, DataType::kFloat);
    EXPECT_EQ(CountOp(body, "Cast"), 1);  // the float32 output
  }
  auto diff = testing::NumericDiff(b.graph(), m.graph);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_LT(*diff, 1e-2);
}

TEST(Float16Test, KeepFp32OpsFlag) {
  auto ops = ParseKeepFp32Ops({"Sigmoid", "-Softmax"});
  ASSERT_TRUE(ops.ok());
  EXPECT_TRUE(ops->count("Sigmoid"));
  EXPECT_FALSE(ops->count("Softmax"));
  EXPECT_TRUE(ops->count("Exp"));
  auto none = ParseKeepFp32Ops({"none", "Tanh"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, std::set<std::string>{"Tanh"});
  auto bad = ParseKeepFp32Ops({"Softmax", "Sofmax"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("Sofmax"), std::string::npos);
}

}  // namespace
}  // namespace onnxsmith::optimizer::precision
