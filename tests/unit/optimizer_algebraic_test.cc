// simplify_algebra on hand-built graphs: where it must fire, where it must
// not (widening broadcasts, x*0, 1/x, graph interface), and that the numbers
// do not change. Also fuse_reduce_keepdims and infer_shapes.
#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "optimizer/passes.h"
#include "optimizer/registry.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::GraphBuilder;

const std::vector<std::string> kPasses = {"simplify_algebra", "eliminate_dead_code"};

void Optimize(ir::Graph& g) {
  ir::Graph before = g.Clone();
  auto report = testing::RunPasses(g, kPasses);
  ASSERT_TRUE(report.ok()) << report.status();
  auto diff = testing::NumericDiff(before, g);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_LE(*diff, 1e-12);
  auto check = testing::CheckWithOnnx(g);
  EXPECT_TRUE(check.ok()) << check;
}

ir::Tensor Full(std::vector<int64_t> dims, float value) {
  testing::Array a;
  a.dims = dims;
  a.v.assign(a.size(), value);
  return testing::FloatTensor(a);
}

// x -> Relu -> [op with constant] -> Relu -> y: the op is in the middle.
ir::Graph Middle(const std::string& op, ir::Tensor c, bool const_first = false,
                 std::vector<int64_t> x_dims = {2, 3, 4}) {
  GraphBuilder b;
  b.Input("x", x_dims).Output("y");
  b.Init("c", std::move(c));
  b.Add("Relu", {"x"}, {"r"});
  b.Add(op, const_first ? std::vector<std::string>{"c", "r"} : std::vector<std::string>{"r", "c"},
        {"m"});
  b.Add("Relu", {"m"}, {"y"});
  b.Type("r", x_dims);
  return b.Take();
}

TEST(AlgebraicTest, BypassesIdentityConstants) {
  struct Case {
    std::string op;
    float value;
    bool const_first;
    std::vector<int64_t> c_dims;
  };
  for (const Case& c : std::vector<Case>{{"Mul", 1, false, {}},
                                         {"Mul", 1, true, {}},  // silu's beta: Mul(1.0, x)
                                         {"Mul", 1, false, {4}},
                                         {"Mul", 1, false, {3, 1}},
                                         {"Div", 1, false, {1, 1, 4}},
                                         {"Add", 0, false, {4}},
                                         {"Add", 0, true, {}},
                                         {"Sub", 0, false, {2, 3, 4}},
                                         {"Pow", 1, false, {}}}) {
    ir::Graph g = Middle(c.op, Full(c.c_dims, c.value), c.const_first);
    Optimize(g);
    EXPECT_EQ(CountOp(g, c.op), 0) << c.op << " " << c.value << " const_first=" << c.const_first;
    EXPECT_EQ(g.nodes.size(), 2u);
  }
}

TEST(AlgebraicTest, KeepsOpsThatAreNotIdentities) {
  struct Case {
    std::string op;
    float value;
    bool const_first;
    std::vector<int64_t> c_dims;
    std::vector<int64_t> x_dims = {2, 3, 4};
  };
  for (const Case& c : std::vector<Case>{
           {"Mul", 0, false, {}},             // x*0 is NaN for NaN/Inf x, not 0
           {"Mul", 2, false, {}},             //
           {"Div", 1, true, {}},              // 1/x
           {"Sub", 0, true, {}},              // 0-x
           {"Pow", 1, true, {}},              // 1^x
           {"Add", 1, false, {}},             //
           {"Mul", 1, false, {2, 2, 3, 4}},   // widens the rank
           {"Add", 0, false, {3, 1}, {2, 1, 4}}}) {  // widens dim 1 to 3
    ir::Graph g = Middle(c.op, Full(c.c_dims, c.value), c.const_first, c.x_dims);
    auto report = testing::RunPasses(g, kPasses);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(CountOp(g, c.op), 1) << c.op << " " << c.value << " const_first=" << c.const_first;
  }
}

TEST(AlgebraicTest, MixedOnesDoNotFire) {
  testing::Array a;
  a.dims = {4};
  a.v = {1, 1, 1, 0.5};
  ir::Graph g = Middle("Mul", testing::FloatTensor(a));
  ASSERT_TRUE(testing::RunPasses(g, kPasses).ok());
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(AlgebraicTest, UnknownTypeDoesNotFire) {
  // Without r's type, neither its dtype nor whether a constant widens it is known.
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("c", Full({}, 1));
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Mul", {"r", "c"}, {"m"});
  b.Add("Relu", {"m"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kPasses).ok());
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(AlgebraicTest, IntegerDivisionByOne) {
  // int32 x / int32 1 is x (integer division by 1 is exact).
  GraphBuilder b;
  b.Input("x", {2, 3}, ir::DataType::kInt32).Output("y");
  b.Init("one", ir::Tensor::Scalar<int32_t>(1));
  b.Add("Abs", {"x"}, {"a"});
  b.Add("Div", {"a", "one"}, {"d"});
  b.Add("Abs", {"d"}, {"y"});
  b.Type("a", {2, 3}, ir::DataType::kInt32);
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kPasses).ok());
  EXPECT_EQ(CountOp(g, "Div"), 0);
}

TEST(AlgebraicTest, GraphOutputKeepsItsName) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("one", Full({}, 1));
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Mul", {"r", "one"}, {"y"});
  b.Type("r", {2, 3});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Mul"), 0);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->outputs[0], "y");
  EXPECT_EQ(g.outputs[0].name, "y");
}

TEST(AlgebraicTest, GraphInputToGraphOutputIsKept) {
  // y = x * 1 with x a graph input and y a graph output: nothing to rename.
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("one", Full({}, 1));
  b.Add("Mul", {"x", "one"}, {"y"});
  ir::Graph g = b.Take();
  ASSERT_TRUE(testing::RunPasses(g, kPasses).ok());
  EXPECT_EQ(CountOp(g, "Mul"), 1);
}

TEST(AlgebraicTest, DoubleNegation) {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y").Output("n1_out");
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Neg", {"r"}, {"n1"});
  b.Add("Neg", {"n1"}, {"n2"});
  b.Add("Relu", {"n2"}, {"y"});
  b.Add("Abs", {"n1"}, {"n1_out"});  // the inner Neg has another reader: it stays
  b.Type("r", {2, 3}).Type("n1", {2, 3}).Type("n2", {2, 3});
  ir::Graph g = b.Take();
  Optimize(g);
  EXPECT_EQ(CountOp(g, "Neg"), 1);

  GraphBuilder b2;
  b2.Input("x", {2, 3}).Output("y");
  b2.Add("Relu", {"x"}, {"r"});
  b2.Add("Neg", {"r"}, {"n1"});
  b2.Add("Neg", {"n1"}, {"y"});
  b2.Type("r", {2, 3}).Type("n1", {2, 3});
  ir::Graph g2 = b2.Take();
  Optimize(g2);
  EXPECT_EQ(CountOp(g2, "Neg"), 0);
  EXPECT_EQ(g2.outputs[0].name, "y");
}

// ---- fuse_reduce_keepdims -------------------------------------------------

// x[1,4,3,3] -> ReduceMean(axes 2,3, keepdims=0) -> restore -> Relu -> y.
ir::Graph ReduceThen(const std::string& restore_op, std::vector<int64_t> target) {
  GraphBuilder b;
  b.Input("x", {1, 4, 3, 3}).Output("y");
  b.Add("ReduceMean", {"x"}, {"m"},
        {ir::Attribute::Ints("axes", {2, 3}), ir::Attribute::Int("keepdims", 0)});
  b.Init("t", ir::Tensor::Vector1D<int64_t>(target));
  b.Add(restore_op, {"m", "t"}, {"r"});
  b.Add("Relu", {"r"}, {"y"});
  b.Type("m", {1, 4});
  std::vector<int64_t> r_dims = {1, 4};
  if (restore_op == "Reshape") r_dims = target;
  if (restore_op == "Unsqueeze") r_dims = {1, 4, 1, 1};
  b.Type("r", r_dims);
  return b.Take();
}

TEST(ReduceKeepDimsTest, ReshapeOrUnsqueezeRestoringTheAxes) {
  for (const std::string& op : {"Reshape", "Unsqueeze"}) {
    ir::Graph g = ReduceThen(op, op == "Reshape" ? std::vector<int64_t>{1, 4, 1, 1}
                                                   : std::vector<int64_t>{2, 3});
    ir::Graph before = g.Clone();
    ASSERT_TRUE(testing::RunPasses(g, {"fuse_reduce_keepdims", "eliminate_dead_code"}).ok());
    EXPECT_EQ(CountOp(g, op), 0) << op;
    ASSERT_EQ(CountOp(g, "ReduceMean"), 1);
    EXPECT_EQ(g.nodes[0]->GetInt("keepdims", 0), 1);
    auto diff = testing::NumericDiff(before, g);
    ASSERT_TRUE(diff.ok()) << diff.status();
    EXPECT_LE(*diff, 1e-12);
    auto check = testing::CheckWithOnnx(g);
    EXPECT_TRUE(check.ok()) << check;
  }
}

TEST(ReduceKeepDimsTest, OtherLayoutIsKept) {
  for (auto target : {std::vector<int64_t>{1, 1, 1, 4}, std::vector<int64_t>{1, 4, 1}}) {
    ir::Graph g = ReduceThen("Reshape", target);
    ASSERT_TRUE(testing::RunPasses(g, {"fuse_reduce_keepdims", "eliminate_dead_code"}).ok());
    EXPECT_EQ(CountOp(g, "Reshape"), 1);
  }
  ir::Graph g = ReduceThen("Unsqueeze", {1, 2});  // other axes
  ASSERT_TRUE(testing::RunPasses(g, {"fuse_reduce_keepdims", "eliminate_dead_code"}).ok());
  EXPECT_EQ(CountOp(g, "Unsqueeze"), 1);
}

// ---- infer_shapes ----------------------------------------------------------

TEST(InferShapesTest, UntypedGraphGetsTypesSoShapePassesFire) {
  // As tf2onnx writes it: no value_info for r.
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Init("one", Full({3}, 1));
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Mul", {"r", "one"}, {"m"});
  b.Add("Relu", {"m"}, {"y"});
  ir::Graph g = b.Take();
  EXPECT_EQ(InferMissingTypes(g, 17), 2);  // r and m; y is a graph output
  ASSERT_TRUE(g.value_types.count("r"));
  EXPECT_EQ(g.value_types["r"].rank(), 2);
  ASSERT_TRUE(testing::RunPasses(g, kPasses).ok());
  EXPECT_EQ(CountOp(g, "Mul"), 0);
}

}  // namespace
}  // namespace onnxsmith::optimizer
