// The reduction handlers (converter/handlers/reduce_ops.cc): the handler change
// at the opsets where ONNX moved axes from an attribute to an input, and the
// structure they emit. Numerics are checked against TensorFlow by the oracle tests.
#include <string>
#include <vector>

#include "converter/handlers/registry.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "tests/unit/math_ops_test_util.h"

namespace onnxsmith::converter {
namespace {

using namespace ::onnxsmith::converter::math_test;  // NOLINT: test helpers

// Reductions whose axes became an input at 18 change handler there; Sum's
// did at 13.
TEST(MathOpsRegistry, ReductionsChangeHandlerWhereOnnxChanged) {
  HandlerRegistry registry;
  RegisterReduceOps(registry);
  for (const char* op : {"Mean", "Max", "Min", "Prod", "All", "EuclideanNorm"}) {
    EXPECT_EQ(registry.Find(op, 17), registry.Find(op, 13)) << op;
    EXPECT_NE(registry.Find(op, 18), registry.Find(op, 17)) << op;
    EXPECT_EQ(registry.Find(op, 21), registry.Find(op, 18)) << op;
  }
  EXPECT_EQ(registry.Find("Sum", 13), registry.Find("Sum", 21));
  EXPECT_EQ(registry.Find("Sum", 13), registry.Find("Mean", 18));
  // Any is a ReduceSum (axes an input from 13 on).
  EXPECT_EQ(registry.Find("Any", 13), registry.Find("Any", 21));
}

TEST(ReduceOps, NarrowIntegerSumIsWidened) {
  TestGraph g;
  g.Placeholder("x", {2, 3}, tf::DT_INT8).IntConst("axes", {1});
  g.Op("s", "Sum", {"x", "axes"}, tf::DT_INT8);
  auto r = g.Convert("s", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Cast", "ReduceSum", "Cast"}));
}

// --- reductions ---

const ir::Attribute* Attr(const ir::Node* n, const std::string& name) {
  return n == nullptr ? nullptr : n->FindAttr(name);
}

TEST(ReduceOps, MeanTakesAxesAttributeBefore18AndInputFrom18) {
  TestGraph g;
  g.Placeholder("x", {2, 3, 4}).IntConst("axes", {1, -1});
  SetBool(g.Op("m", "Mean", {"x", "axes"}), "keep_dims", true);

  auto r17 = g.Convert("m", 17);
  ASSERT_TRUE(r17.ok()) << r17.status();
  ASSERT_EQ(OpTypes(r17->model.graph), (Ops{"ReduceMean"}));
  const ir::Node* mean17 = r17->model.graph.nodes[0].get();
  EXPECT_EQ(mean17->inputs.size(), 1u);
  ASSERT_NE(Attr(mean17, "axes"), nullptr);
  EXPECT_EQ(Attr(mean17, "axes")->ints, (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(mean17->GetInt("keepdims", -1), 1);

  auto r18 = g.Convert("m", 18);
  ASSERT_TRUE(r18.ok()) << r18.status();
  ASSERT_EQ(OpTypes(r18->model.graph), (Ops{"ReduceMean"}));
  const ir::Node* mean18 = r18->model.graph.nodes[0].get();
  ASSERT_EQ(mean18->inputs.size(), 2u);
  EXPECT_EQ(Attr(mean18, "axes"), nullptr);
  const ir::Tensor* axes = r18->model.graph.FindInitializer(mean18->inputs[1]);
  ASSERT_NE(axes, nullptr);
  EXPECT_EQ(axes->dtype(), ir::DataType::kInt64);
  EXPECT_EQ(*axes->ToInt64s(), (std::vector<int64_t>{1, -1}));
}

TEST(ReduceOps, SumTakesAxesInputFrom13) {
  TestGraph g;
  g.Placeholder("x", {2, 3}).IntConst("axes", {0});
  g.Op("s", "Sum", {"x", "axes"});
  auto r = g.Convert("s", 13);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(OpTypes(r->model.graph), (Ops{"ReduceSum"}));
  EXPECT_EQ(r->model.graph.nodes[0]->inputs.size(), 2u);
  EXPECT_EQ(r->model.graph.nodes[0]->GetInt("keepdims", -1), 0);
}

TEST(ReduceOps, RuntimeAxesNeedOpset18ForMean) {
  TestGraph g;
  g.Placeholder("x", {2, 3}).Placeholder("axes", {1}, tf::DT_INT32);
  g.Op("m", "Mean", {"x", "axes"});
  auto r17 = g.Convert("m", 17);
  EXPECT_EQ(r17.status().code(), absl::StatusCode::kUnimplemented) << r17.status();

  auto r18 = g.Convert("m", 18);
  ASSERT_TRUE(r18.ok()) << r18.status();
  // int32 axes are cast to int64; empty axes at run time must mean identity.
  EXPECT_EQ(Count(r18->model.graph, "Cast"), 1);
  const ir::Node* mean = FindNode(r18->model.graph, "ReduceMean");
  ASSERT_NE(mean, nullptr);
  EXPECT_EQ(mean->GetInt("noop_with_empty_axes", 0), 1);
  // One axis of a rank-2 input: the output rank is known although inference
  // cannot see through run-time axes.
  ASSERT_EQ(r18->model.graph.outputs.size(), 1u);
  EXPECT_EQ(r18->model.graph.outputs[0].type.rank(), std::optional<int>(1));
}

TEST(ReduceOps, RuntimeAxesWorkForSumAt13) {
  TestGraph g;
  g.Placeholder("x", {2, 3}).Placeholder("axes", {1}, tf::DT_INT32);
  g.Op("s", "Sum", {"x", "axes"});
  auto r = g.Convert("s", 13);
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Node* sum = FindNode(r->model.graph, "ReduceSum");
  ASSERT_NE(sum, nullptr);
  EXPECT_EQ(sum->GetInt("noop_with_empty_axes", 0), 1);
}

TEST(ReduceOps, EmptyConstantAxesReduceNothing) {
  TestGraph g;
  g.Placeholder("x", {2, 3}).IntConst("axes", {});
  g.Op("p", "Prod", {"x", "axes"});
  for (int opset : {13, 18}) {
    auto r = g.Convert("p", opset);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(Count(r->model.graph, "ReduceProd"), 0) << opset;
  }
}

TEST(ReduceOps, AllAndAnyReduceNumbersAndCastBack) {
  TestGraph g;
  g.Placeholder("b", {2, 3}, tf::DT_BOOL).IntConst("axes", {1});
  g.Op("all", "All", {"b", "axes"}, tf::DT_BOOL)->mutable_attr()->erase("T");
  g.Op("any", "Any", {"all", "axes"}, tf::DT_BOOL)->mutable_attr()->erase("T");
  for (int opset : {13, 18, 20}) {
    auto r = g.Convert("any", opset);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(Count(r->model.graph, "ReduceMin"), 1) << opset;
    // Any as "sum != 0": ONNX Runtime's max over an empty axis is -inf, which casts to true.
    EXPECT_EQ(Count(r->model.graph, "ReduceSum"), 1) << opset;
    const ir::Node* last = r->model.graph.nodes.back().get();
    EXPECT_EQ(last->op_type, "Cast");
    EXPECT_EQ(last->GetInt("to", -1), static_cast<int64_t>(ir::DataType::kBool));
  }
}

TEST(ReduceOps, ArgMaxDropsAxisAndCastsToInt32) {
  TestGraph g;
  g.Placeholder("x", {2, 3}).IntConst("axis", {1});
  tf::NodeDef* n = g.Op("am", "ArgMax", {"x", "axis"});
  SetType(n, "output_type", tf::DT_INT32);
  auto r = g.Convert("am", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(OpTypes(r->model.graph), (Ops{"ArgMax", "Cast"}));
  EXPECT_EQ(r->model.graph.nodes[0]->GetInt("axis", -1), 1);
  EXPECT_EQ(r->model.graph.nodes[0]->GetInt("keepdims", -1), 0);
}

TEST(ReduceOps, ArgMinWithRuntimeAxisIsRejected) {
  TestGraph g;
  g.Placeholder("x", {2, 3}).Placeholder("axis", {}, tf::DT_INT32);
  g.Op("am", "ArgMin", {"x", "axis"});
  auto r = g.Convert("am", 17);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("am"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace onnxsmith::converter
