// The shared ONNX emitter (converter/emit/): window padding, opset forms,
// layout permutations, and builders nested for subgraph bodies.
#include <string>
#include <vector>

#include "converter/emit/graph_builder.h"
#include "converter/emit/layout.h"
#include "converter/emit/onnx_emitter.h"
#include "converter/emit/padding.h"
#include "gtest/gtest.h"
#include "ir/graph.h"

namespace onnxsmith::converter {
namespace {

using Mode = WindowPadding::Mode;

std::vector<int64_t> Pads(const std::vector<ir::Attribute>& attrs) {
  for (const ir::Attribute& a : attrs) {
    if (a.name == "pads") return a.ints;
  }
  return {};
}

bool IsSameUpper(const std::vector<ir::Attribute>& attrs) {
  return attrs.size() == 1 && attrs[0].name == "auto_pad" && attrs[0].s == "SAME_UPPER";
}

TEST(WindowPadding, SameWithKnownDimsIsExplicitWithTheOddPadAtTheEnd) {
  // 9 -> ceil(9/2) = 5 with a 3-kernel: total 2; 8 -> 4: total 1 (0 before, 1 after).
  auto attrs = WindowPaddingAttrs({Mode::kSame, {}}, {{9, 8}, {3, 3}, {2, 2}, {1, 1}});
  EXPECT_EQ(Pads(attrs), (std::vector<int64_t>{1, 0, 1, 1}));
}

TEST(WindowPadding, SameWithStrideOneIsExplicitWhateverTheInputSize) {
  // (k-1)*d: 3-kernel dilated by 2 -> 4, split 2/2; 2-kernel -> 1, split 0/1.
  auto attrs = WindowPaddingAttrs({Mode::kSame, {}}, {{-1, -1}, {3, 2}, {1, 1}, {2, 1}});
  EXPECT_EQ(Pads(attrs), (std::vector<int64_t>{2, 0, 2, 1}));
}

TEST(WindowPadding, SameWithStrideAndUnknownDimsIsSameUpper) {
  EXPECT_TRUE(IsSameUpper(WindowPaddingAttrs({Mode::kSame, {}}, {{9, -1}, {3, 3}, {2, 2}, {1, 1}})));
  // An unknown kernel (a run-time filter) too.
  EXPECT_TRUE(IsSameUpper(WindowPaddingAttrs({Mode::kSame, {}}, {{9}, {-1}, {1}, {1}})));
}

TEST(WindowPadding, ValidAndExplicit) {
  EXPECT_EQ(Pads(WindowPaddingAttrs({Mode::kValid, {}}, {{-1, 5}, {3, 3}, {2, 2}, {1, 1}})),
            (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(Pads(WindowPaddingAttrs({Mode::kExplicit, {{1, 2}, {3, 4}}},
                                    {{-1, -1}, {3, 3}, {2, 2}, {1, 1}})),
            (std::vector<int64_t>{1, 3, 2, 4}));
}

TEST(WindowPadding, SamePadTotalIsTfs) {
  EXPECT_EQ(SamePadTotal(7, 3, 2, 1), 2);  // out 4: 3*2 + 3 - 7
  EXPECT_EQ(SamePadTotal(8, 1, 2, 1), 0);
  EXPECT_EQ(SamePadTotal(5, 3, 1, 2), 4);
}

TEST(Layout, PermutationsForAnyRank) {
  EXPECT_EQ(ChannelsLastToFirstPerm(4), (std::vector<int64_t>{0, 3, 1, 2}));
  EXPECT_EQ(ChannelsFirstToLastPerm(4), (std::vector<int64_t>{0, 2, 3, 1}));
  EXPECT_EQ(ChannelsLastToFirstPerm(3), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(ChannelsFirstToLastPerm(5), (std::vector<int64_t>{0, 2, 3, 4, 1}));
  EXPECT_TRUE(IsIdentityPerm(ChannelsLastToFirstPerm(2)));
}

ir::ValueType FloatType(std::vector<int64_t> dims) {
  ir::ValueType t;
  t.dtype = ir::DataType::kFloat;
  t.shape.emplace();
  for (int64_t d : dims) t.shape->push_back(ir::Dim{d, ""});
  return t;
}

TEST(OnnxEmitter, ReduceTakesAxesAsAttributeBefore18AndAsInputFrom18) {
  for (int opset : {17, 18}) {
    ir::Graph graph;
    GraphBuilder builder(&graph, opset);
    builder.AddGraphInput("x", FloatType({2, 3}));
    OnnxEmitter emit(&builder, "scope", opset);
    emit.Reduce("ReduceMean", "x", {1}, false);
    emit.Reduce("ReduceSum", "x", {1}, false);
    ASSERT_EQ(graph.nodes.size(), 2u);
    const ir::Node& mean = *graph.nodes[0];
    EXPECT_EQ(mean.inputs.size(), opset >= 18 ? 2u : 1u) << opset;
    EXPECT_EQ(mean.FindAttr("axes") != nullptr, opset < 18) << opset;
    EXPECT_EQ(graph.nodes[1]->inputs.size(), 2u) << opset;  // ReduceSum: an input since 13
    EXPECT_EQ(mean.name, "scope/ReduceMean");
  }
}

TEST(OnnxEmitter, FormsAndNames) {
  ir::Graph graph;
  GraphBuilder builder(&graph, 17);
  builder.AddGraphInput("x", FloatType({1, 4, 4, 3}));
  OnnxEmitter emit(&builder, "n", 17);
  EXPECT_EQ(emit.Transpose("x", {0, 1, 2, 3}), "x");  // identity: no node
  EXPECT_EQ(emit.Cast("x", ir::DataType::kFloat), "x");
  const std::string nchw = emit.ToChannelsFirst("x", 4);
  EXPECT_EQ(emit.StaticDims(nchw), (std::vector<int64_t>{1, 3, 4, 4}));
  const std::string u = emit.Unsqueeze(nchw, {0});
  EXPECT_EQ(emit.StaticDims(u)->size(), 5u);
  const std::string s = emit.Squeeze(u, {0});
  EXPECT_EQ(emit.StaticDims(s), (std::vector<int64_t>{1, 3, 4, 4}));
  const std::string r = emit.Reshape(s, {1, -1});
  EXPECT_EQ(emit.StaticDims(r), (std::vector<int64_t>{1, 48}));
  const std::string a = emit.AddNode("Relu", {r});
  const std::string b = emit.AddNode("Relu", {r});
  EXPECT_NE(a, b);  // fresh names
  EXPECT_EQ(emit.ConstScalar(ir::DataType::kInt32, 2), "n/const");
  EXPECT_EQ(emit.TypeOf("n/const").dtype, ir::DataType::kInt32);
}

TEST(GraphBuilder, BodyNamesStayUniqueAndSeeTheEnclosingGraph) {
  ir::Graph outer_graph;
  GraphBuilder outer(&outer_graph, 17);
  outer.AddGraphInput("x", FloatType({2, 3}));
  OnnxEmitter top(&outer, "loop", 17);
  const std::string w = top.AddConst(ir::Tensor::Vector1D<int64_t>({3, 2}), "shape");

  ir::Graph body_graph;
  GraphBuilder body(&body_graph, &outer);
  OnnxEmitter inner(&body, "loop", 17);
  // The body's first name must not shadow the outer "loop/shape".
  const std::string c = inner.AddConst(ir::Tensor::Vector1D<int64_t>({6}), "shape");
  EXPECT_NE(c, w);
  // Outer values keep their types and constants inside the body.
  EXPECT_EQ(inner.StaticDims("x"), (std::vector<int64_t>{2, 3}));
  EXPECT_NE(inner.FindConst(w), nullptr);
  const std::string y = inner.AddNode("Reshape", {"x", w});
  EXPECT_EQ(inner.StaticDims(y), (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE(outer_graph.nodes.empty());
  EXPECT_EQ(body_graph.nodes.size(), 1u);
  EXPECT_EQ(body_graph.initializers.count(c), 1u);
  // And the outer builder cannot take a name the body took.
  EXPECT_NE(outer.UniqueName(y), y);
}

// ONNX Runtime has no double Acos or int8 Where kernel: AddNode computes them
// in float / int32 between Casts; a type it has is left alone.
TEST(GraphBuilder, NodesOnnxRuntimeLacksAKernelForGoThroughACast) {
  ir::Graph graph;
  GraphBuilder builder(&graph, 17);
  ir::ValueType f64 = FloatType({2});
  f64.dtype = ir::DataType::kDouble;
  builder.AddGraphInput("d", f64);
  ir::ValueType i8 = f64;
  i8.dtype = ir::DataType::kInt8;
  builder.AddGraphInput("a", i8);
  builder.AddGraphInput("b", i8);
  ir::ValueType cond = f64;
  cond.dtype = ir::DataType::kBool;
  builder.AddGraphInput("c", cond);
  OnnxEmitter e(&builder, "t", 17);
  const std::string acos = e.AddNode("Acos", {"d"});
  EXPECT_EQ(e.TypeOf(acos).dtype, ir::DataType::kDouble);
  const std::string where = e.AddNode("Where", {"c", "a", "b"});
  EXPECT_EQ(e.TypeOf(where).dtype, ir::DataType::kInt8);
  std::vector<std::string> ops;
  for (const auto& n : graph.nodes) ops.push_back(n->op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Cast", "Acos", "Cast", "Cast", "Cast", "Where", "Cast"}));
  const std::string sin = e.AddNode("Sin", {"d"});  // ORT has double Sin
  EXPECT_EQ(graph.nodes.back()->op_type, "Sin");
  EXPECT_EQ(e.TypeOf(sin).dtype, ir::DataType::kDouble);
}

}  // namespace
}  // namespace onnxsmith::converter
