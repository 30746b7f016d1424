// The constant-folding pass on small hand-made graphs: what folds, what
// must not (overridable initializers, DequantizeLinear, random ops), the
// size bound, and Shape/Size of known shapes.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/tensor.h"
#include "optimizer/constant_folding.h"
#include "tests/unit/evaluator_test_util.h"

namespace onnxsmith::evaluator {
namespace {

using ir::Attribute;
using ir::DataType;
using ir::Tensor;
using optimizer::ConstantFoldingOptions;

absl::StatusOr<bool> Fold(ir::Graph& g, int64_t opset = 17, ConstantFoldingOptions o = {}) {
  auto pass = optimizer::CreateConstantFoldingPassWithOptions(o);
  pass->set_opset(opset);
  return pass->Run(g);
}

TEST(ConstantFolding, FoldsConstantSubgraphsAndKeepsTheRest) {
  ir::Graph g;
  g.inputs.push_back({"x", {DataType::kFloat, std::vector<ir::Dim>{{-1, "N"}, {3, ""}}}});
  g.initializers["w"] = F({3, 2}, {1, 2, 3, 4, 5, 6});
  ir::Node c = MakeNode("Constant", {}, {"two"});
  c.attributes.push_back(Attribute::TensorValue("value", Tensor::Scalar<float>(2)));
  g.AddNode(c);
  g.AddNode(MakeNode("Mul", {"w", "two"}, {"w2"}));             // folds
  g.AddNode(MakeNode("Transpose", {"w2"}, {"w2t"},              // folds (chain)
                     {Attribute::Ints("perm", {1, 0})}));
  g.AddNode(MakeNode("MatMul", {"x", "w2"}, {"y"}));            // stays
  g.AddNode(MakeNode("RandomNormal", {}, {"r"}, {Attribute::Ints("shape", {2})}));  // random: stays
  g.outputs.push_back({"y", {}});
  g.outputs.push_back({"w2t", {}});
  g.outputs.push_back({"r", {}});
  auto changed = Fold(g);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0]->op_type, "MatMul");
  EXPECT_EQ(g.nodes[1]->op_type, "RandomNormal");
  ASSERT_TRUE(g.initializers.count("w2"));
  EXPECT_EQ(Values<float>(g.initializers["w2"]), (std::vector<float>{2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(Values<float>(g.initializers["w2t"]), (std::vector<float>{2, 6, 10, 4, 8, 12}));
  // Nothing left to fold.
  auto again = Fold(g);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST(ConstantFolding, DoesNotFoldOverridableInitializersOrDequantize) {
  ir::Graph g;
  g.inputs.push_back({"b", {DataType::kFloat, std::nullopt}});
  g.initializers["b"] = F({1}, {1});
  g.initializers["q"] = Tensor::Vector1D<int8_t>({1, 2});
  g.initializers["s"] = Tensor::Scalar<float>(0.5f);
  g.AddNode(MakeNode("Neg", {"b"}, {"nb"}));
  g.AddNode(MakeNode("DequantizeLinear", {"q", "s"}, {"dq"}));
  g.outputs.push_back({"nb", {}});
  g.outputs.push_back({"dq", {}});
  auto changed = Fold(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(g.nodes.size(), 2u);
}

TEST(ConstantFolding, SizeBound) {
  ir::Graph g;
  g.initializers["shape"] = I64({2048, 1024});
  g.initializers["big"] = F({4}, {1, 2, 3, 4});
  g.AddNode(MakeNode("ConstantOfShape", {"shape"}, {"zeros"}));  // 2M elements from 2: kept
  g.AddNode(MakeNode("Neg", {"big"}, {"nbig"}));                 // small: folded
  g.outputs.push_back({"zeros", {}});
  g.outputs.push_back({"nbig", {}});
  auto changed = Fold(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0]->op_type, "ConstantOfShape");
  ConstantFoldingOptions o;
  o.max_output_elements = int64_t{4} << 20;
  ASSERT_TRUE(*Fold(g, 17, o));
  EXPECT_TRUE(g.nodes.empty());
  EXPECT_EQ(g.initializers["zeros"].num_elements(), 2048 * 1024);
}

TEST(ConstantFolding, ShapeFolding) {
  ir::Graph g;
  g.inputs.push_back({"x", {DataType::kFloat, std::vector<ir::Dim>{{-1, "N"}, {3, ""}, {4, ""}}}});
  g.value_types["r"] = {DataType::kFloat, std::vector<ir::Dim>{{2, ""}, {5, ""}}};
  g.initializers["one"] = I64({1});
  g.initializers["idx"] = Tensor::Scalar<int64_t>(2);
  g.AddNode(MakeNode("Relu", {"x"}, {"r0"}));
  g.AddNode(MakeNode("Shape", {"x"}, {"sx"}));                         // partial: stays
  g.AddNode(MakeNode("Gather", {"sx", "idx"}, {"d2"}));                // picks a known dim: folds
  g.AddNode(MakeNode("Slice", {"sx", "one", "end"}, {"tail"}));
  g.initializers["end"] = I64({3});
  g.AddNode(MakeNode("Shape", {"r"}, {"sr"}));                         // static: folds
  g.AddNode(MakeNode("Size", {"r"}, {"nr"}));                          // static: folds
  g.AddNode(MakeNode("Shape", {"x"}, {"sx0"}, {Attribute::Int("end", 1)}));  // unknown N: stays
  for (const char* o : {"r0", "d2", "tail", "sr", "nr", "sx0"}) g.outputs.push_back({o, {}});
  auto changed = Fold(g);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(Values<int64_t>(g.initializers["sr"]), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(Values<int64_t>(g.initializers["nr"]), (std::vector<int64_t>{10}));
  EXPECT_EQ(Values<int64_t>(g.initializers["d2"]), (std::vector<int64_t>{4}));
  EXPECT_EQ(Values<int64_t>(g.initializers["tail"]), (std::vector<int64_t>{3, 4}));
  EXPECT_FALSE(g.initializers.count("sx0"));
  std::vector<std::string> left;
  for (const auto& n : g.nodes) left.push_back(n->op_type);
  EXPECT_EQ(left, (std::vector<std::string>{"Relu", "Shape", "Shape"}));
}

}  // namespace
}  // namespace onnxsmith::evaluator
