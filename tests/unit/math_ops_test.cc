// The math op handlers (converter/handlers/math_ops.cc, reduce_ops.cc): that
// they are registered over the whole opset range, and the structure they emit
// on small GraphDefs at the opsets where ONNX changed. Numerics are checked
// against TensorFlow by the oracle tests.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "converter/emit/graph_builder.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf_converter.h"
#include "gtest/gtest.h"
#include "tests/unit/math_ops_test_util.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using namespace ::onnxsmith::converter::math_test;  // NOLINT: test helpers

const std::vector<std::string> kMathOps = {
    "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "Maximum", "Minimum", "Pow",
    "SquaredDifference", "FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod", "Mod",
    "DivNoNan", "MulNoNan", "AddN", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Neg", "Abs",
    "Reciprocal", "Inv", "Floor", "Ceil", "Round", "Rint", "Sign", "Sin", "Cos", "Tan", "Asin",
    "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf", "Log1p", "Expm1", "IsNan",
    "IsInf", "LogicalNot", "Equal", "NotEqual", "Less", "LessEqual", "Greater",
    "GreaterEqual", "LogicalAnd", "LogicalOr", "Select", "SelectV2", "Where", "Mean", "Sum",
    "Max", "Min", "Prod", "EuclideanNorm", "All", "Any", "ArgMax", "ArgMin", "MatMul",
    "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Cast"};

std::vector<int> AllOpsets() {
  std::vector<int> all;
  for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) all.push_back(opset);
  return all;
}

TEST(MathOpsRegistry, EveryOpConvertsAtEveryOpset) {
  HandlerRegistry registry;
  RegisterMathOps(registry);
  RegisterReduceOps(registry);
  for (const std::string& op : kMathOps) EXPECT_EQ(registry.SupportedOpsets(op), AllOpsets()) << op;
}

TEST(MathOpsRegistry, GlobalRegistryHasMathOps) {
  for (const std::string& op : kMathOps) {
    for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) {
      EXPECT_NE(HandlerRegistry::Global().Find(op, opset), nullptr) << op << " @" << opset;
    }
  }
}

// --- elementwise ---

TEST(MathOps, DirectBinaryAndUnaryOps) {
  TestGraph g;
  g.Placeholder("x", {2, 3}).Placeholder("y", {2, 3});
  g.Op("add", "AddV2", {"x", "y"});
  g.Op("max", "Maximum", {"add", "y"});
  g.Op("le", "LessEqual", {"max", "x"});
  g.Op("not", "LogicalNot", {"le"}, tf::DT_BOOL);
  for (int opset : {13, 17, 21}) {
    auto r = g.Convert("not", opset);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Add", "Max", "LessOrEqual", "Not"})) << opset;
  }
}

// Add/Sub/Mul/Div accept 8- and 16-bit integers only from opset 14.
TEST(MathOps, NarrowIntegerArithmeticIsWidenedBeforeOpset14) {
  TestGraph g;
  g.Placeholder("x", {3}, tf::DT_UINT8).Placeholder("y", {3}, tf::DT_UINT8);
  g.Op("sub", "Sub", {"x", "y"}, tf::DT_UINT8);
  auto r13 = g.Convert("sub", 13);
  ASSERT_TRUE(r13.ok()) << r13.status();
  EXPECT_EQ(OpTypes(r13->model.graph), (Ops{"Cast", "Cast", "Sub", "Cast"}));
  auto r14 = g.Convert("sub", 14);
  ASSERT_TRUE(r14.ok()) << r14.status();
  EXPECT_EQ(OpTypes(r14->model.graph), (Ops{"Sub"}));
}

TEST(MathOps, ComposedUnaryOps) {
  TestGraph g;
  g.Placeholder("x", {4});
  g.Op("rsqrt", "Rsqrt", {"x"});
  g.Op("sq", "Square", {"rsqrt"});
  g.Op("l1p", "Log1p", {"sq"});
  g.Op("em1", "Expm1", {"l1p"});
  auto r = g.Convert("em1", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph),
            (Ops{"Sqrt", "Reciprocal", "Mul", "Add", "Log", "Exp", "Sub"}));
}

TEST(MathOps, IntegerReciprocalDividesAndIntegerRoundIsIdentity) {
  TestGraph g;
  g.Placeholder("x", {4}, tf::DT_INT32);
  g.Op("inv", "Reciprocal", {"x"}, tf::DT_INT32);
  g.Op("round", "Round", {"inv"}, tf::DT_INT32);
  auto r = g.Convert("round", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Count(r->model.graph, "Div"), 1);
  EXPECT_EQ(Count(r->model.graph, "Reciprocal"), 0);
  EXPECT_EQ(Count(r->model.graph, "Round"), 0);
}

TEST(MathOps, NotEqualIsNotOfEqual) {
  TestGraph g;
  g.Placeholder("x", {3}).Placeholder("y", {3});
  g.Op("ne", "NotEqual", {"x", "y"});
  auto r = g.Convert("ne", 13);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Equal", "Not"}));
}

TEST(MathOps, FloorDivFloatIsFloorOfDiv) {
  TestGraph g;
  g.Placeholder("x", {3}).Placeholder("y", {3});
  g.Op("fd", "FloorDiv", {"x", "y"});
  auto r = g.Convert("fd", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Div", "Floor"}));
}

// Truncating Div is corrected where the remainder's sign disagrees.
TEST(MathOps, FloorDivSignedIntCorrectsTruncation) {
  TestGraph g;
  g.Placeholder("x", {3}, tf::DT_INT32).Placeholder("y", {3}, tf::DT_INT32);
  g.Op("fd", "FloorDiv", {"x", "y"}, tf::DT_INT32);
  auto r = g.Convert("fd", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Graph& graph = r->model.graph;
  EXPECT_EQ(Count(graph, "Div"), 1);
  EXPECT_EQ(Count(graph, "Xor"), 1);
  EXPECT_EQ(Count(graph, "Floor"), 0);
  // The step is subtracted as a number (no int16 Where in ONNX Runtime).
  EXPECT_EQ(Count(graph, "Where"), 0);
  EXPECT_EQ(graph.nodes.back()->op_type, "Sub");
}

TEST(MathOps, FloorDivUnsignedIsPlainDiv) {
  TestGraph g;
  g.Placeholder("x", {3}, tf::DT_UINT8).Placeholder("y", {3}, tf::DT_UINT8);
  g.Op("fd", "FloorDiv", {"x", "y"}, tf::DT_UINT8);
  auto r = g.Convert("fd", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Div"}));
}

TEST(MathOps, FloorModIntUsesModFmod0) {
  TestGraph g;
  g.Placeholder("x", {3}, tf::DT_INT64).Placeholder("y", {3}, tf::DT_INT64);
  g.Op("fm", "FloorMod", {"x", "y"}, tf::DT_INT64);
  auto r = g.Convert("fm", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(OpTypes(r->model.graph), (Ops{"Mod"}));
  EXPECT_EQ(r->model.graph.nodes[0]->GetInt("fmod", -1), 0);
}

// ONNX requires fmod=1 for floats; the floor result needs a sign fix.
TEST(MathOps, FloorModFloatUsesFmod1AndSignFix) {
  TestGraph g;
  g.Placeholder("x", {3}).Placeholder("y", {3});
  g.Op("fm", "FloorMod", {"x", "y"});
  auto r = g.Convert("fm", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Node* mod = FindNode(r->model.graph, "Mod");
  ASSERT_NE(mod, nullptr);
  EXPECT_EQ(mod->GetInt("fmod", -1), 1);
  EXPECT_EQ(Count(r->model.graph, "Where"), 1);
}

TEST(MathOps, AddNFloatIsSumIntIsAddChain) {
  TestGraph g;
  g.Placeholder("a", {2}).Placeholder("b", {2}).Placeholder("c", {2});
  (*g.Op("s", "AddN", {"a", "b", "c"})->mutable_attr())["N"].set_i(3);
  auto r = g.Convert("s", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Sum"}));

  TestGraph gi;
  gi.Placeholder("a", {2}, tf::DT_INT32).Placeholder("b", {2}, tf::DT_INT32);
  gi.Placeholder("c", {2}, tf::DT_INT32);
  gi.Op("s", "AddN", {"a", "b", "c"}, tf::DT_INT32);
  auto ri = gi.Convert("s", 17);
  ASSERT_TRUE(ri.ok()) << ri.status();
  EXPECT_EQ(OpTypes(ri->model.graph), (Ops{"Add", "Add"}));
}

TEST(MathOps, DivNoNanGuardsTheDivisor) {
  TestGraph g;
  g.Placeholder("x", {3}, tf::DT_INT32).Placeholder("y", {3}, tf::DT_INT32);
  g.Op("d", "DivNoNan", {"x", "y"}, tf::DT_INT32);
  auto r = g.Convert("d", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Equal", "Where", "Div", "Where"}));
}

// --- selection ---

TEST(MathOps, SelectWithRowConditionUnsqueezes) {
  TestGraph g;
  g.Placeholder("c", {2}, tf::DT_BOOL).Placeholder("x", {2, 3, 4}).Placeholder("y", {2, 3, 4});
  g.Op("sel", "Select", {"c", "x", "y"});
  auto r = g.Convert("sel", 13);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Unsqueeze", "Where"}));
  // Axes go in as a constant [1, 2].
  const ir::Node* unsqueeze = FindNode(r->model.graph, "Unsqueeze");
  ASSERT_NE(unsqueeze, nullptr);
  const ir::Tensor* axes = r->model.graph.FindInitializer(unsqueeze->inputs[1]);
  ASSERT_NE(axes, nullptr);
  EXPECT_EQ(*axes->ToInt64s(), (std::vector<int64_t>{1, 2}));
}

TEST(MathOps, SelectWithFullConditionIsWhere) {
  TestGraph g;
  g.Placeholder("c", {2, 3}, tf::DT_BOOL).Placeholder("x", {2, 3}).Placeholder("y", {2, 3});
  g.Op("sel", "Select", {"c", "x", "y"});
  g.Op("sel2", "SelectV2", {"c", "sel", "y"});
  auto r = g.Convert("sel2", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Where", "Where"}));
}

// Unknown ranks reach handlers from values inference cannot see through
// (the driver refuses unknown-rank graph inputs), so these run a handler
// directly on values of unknown rank.
TEST(MathOps, SelectWithUnknownRankAlignsAtRuntime) {
  HandlerHarness h(17);
  h.Input("c", ir::DataType::kBool, std::vector<int64_t>{2});
  h.Input("x", ir::DataType::kFloat, std::nullopt);
  h.Input("y", ir::DataType::kFloat, std::nullopt);
  tf::NodeDef node = MakeNode("sel", "Select", tf::DT_FLOAT);
  ASSERT_TRUE(h.Run(node, {"c", "x", "y"}).ok());
  EXPECT_EQ(Count(h.graph(), "Reshape"), 1);
  EXPECT_EQ(Count(h.graph(), "ConstantOfShape"), 1);
  EXPECT_EQ(h.graph().nodes.back()->op_type, "Where");
}

TEST(MathOps, WhereWithOneInputIsTransposedNonZero) {
  TestGraph g;
  g.Placeholder("c", {2, 3}, tf::DT_BOOL);
  g.Op("w", "Where", {"c"}, tf::DT_BOOL);
  auto r = g.Convert("w", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(OpTypes(r->model.graph), (Ops{"NonZero", "Transpose"}));
  const ir::Attribute* perm = r->model.graph.nodes[1]->FindAttr("perm");
  ASSERT_NE(perm, nullptr);
  EXPECT_EQ(perm->ints, (std::vector<int64_t>{1, 0}));
}

// --- matrix products ---

TEST(MatMulOps, ConstantOperandIsTransposedAtConversion) {
  TestGraph g;
  g.Placeholder("a", {2, 3}).FloatConst("w", {4, 3}, std::vector<float>(12, 0.5f));
  SetBool(g.Op("mm", "MatMul", {"a", "w"}), "transpose_b", true);
  auto r = g.Convert("mm", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(OpTypes(r->model.graph), (Ops{"MatMul"}));
  const ir::Tensor* w = r->model.graph.FindInitializer(r->model.graph.nodes[0]->inputs[1]);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dims(), (std::vector<int64_t>{3, 4}));
}

TEST(MatMulOps, RuntimeOperandGetsTranspose) {
  TestGraph g;
  g.Placeholder("a", {3, 2}).Placeholder("b", {3, 4});
  SetBool(g.Op("mm", "MatMul", {"a", "b"}), "transpose_a", true);
  auto r = g.Convert("mm", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Transpose", "MatMul"}));
}

TEST(MatMulOps, BatchMatMulAdjointSwapsLastTwoDims) {
  TestGraph g;
  g.Placeholder("a", {5, 3, 2}).Placeholder("b", {5, 3, 4});
  SetBool(g.Op("bmm", "BatchMatMulV2", {"a", "b"}), "adj_x", true);
  auto r = g.Convert("bmm", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(OpTypes(r->model.graph), (Ops{"Transpose", "MatMul"}));
  const ir::Attribute* perm = r->model.graph.nodes[0]->FindAttr("perm");
  ASSERT_NE(perm, nullptr);
  EXPECT_EQ(perm->ints, (std::vector<int64_t>{0, 2, 1}));
}

TEST(MatMulOps, UnknownRankAdjointUsesEinsum) {
  HandlerHarness h(17);
  h.Input("a", ir::DataType::kFloat, std::nullopt);
  h.Input("b", ir::DataType::kFloat, std::nullopt);
  tf::NodeDef node = MakeNode("bmm", "BatchMatMulV2", tf::DT_FLOAT);
  SetBool(&node, "adj_y", true);
  ASSERT_TRUE(h.Run(node, {"a", "b"}).ok());
  ASSERT_EQ(OpTypes(h.graph()), (Ops{"Einsum", "MatMul"}));
  const ir::Attribute* equation = h.graph().nodes[0]->FindAttr("equation");
  ASSERT_NE(equation, nullptr);
  EXPECT_EQ(equation->s, "...ij->...ji");
}

TEST(MatMulOps, BatchMatMulV3Int8UsesMatMulInteger) {
  TestGraph g;
  g.Placeholder("a", {2, 3}, tf::DT_INT8).Placeholder("b", {3, 4}, tf::DT_INT8);
  tf::NodeDef* n = g.Op("bmm", "BatchMatMulV3", {"a", "b"});
  n->mutable_attr()->erase("T");
  SetType(n, "Ta", tf::DT_INT8);
  SetType(n, "Tb", tf::DT_INT8);
  SetType(n, "Tout", tf::DT_INT32);
  auto r = g.Convert("bmm", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"MatMulInteger"}));
}

// --- casts and errors ---

TEST(MathOps, CastToSameTypeEmitsNoCast) {
  TestGraph g;
  g.Placeholder("x", {3});
  tf::NodeDef* same = g.Op("same", "Cast", {"x"});
  same->mutable_attr()->erase("T");
  SetType(same, "SrcT", tf::DT_FLOAT);
  SetType(same, "DstT", tf::DT_FLOAT);
  tf::NodeDef* to_int = g.Op("to_int", "Cast", {"same"});
  to_int->mutable_attr()->erase("T");
  SetType(to_int, "SrcT", tf::DT_FLOAT);
  SetType(to_int, "DstT", tf::DT_INT32);
  auto r = g.Convert("to_int", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Count(r->model.graph, "Cast"), 1);
  const ir::Node* cast = FindNode(r->model.graph, "Cast");
  ASSERT_NE(cast, nullptr);
  EXPECT_EQ(cast->GetInt("to", -1), static_cast<int64_t>(ir::DataType::kInt32));
}

TEST(MathOps, WrongInputCountIsAnErrorNamingTheNode) {
  TestGraph g;
  g.Placeholder("x", {3});
  g.Op("bad_add", "AddV2", {"x"});
  auto r = g.Convert("bad_add", 17);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad_add"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace onnxsmith::converter
