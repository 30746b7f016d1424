// ir::Verify (each invariant it checks, and that the error names the node),
// Graph::Clone (deep: subgraphs are not shared), and the subgraph-aware sort
// and dead-node removal.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/verifier.h"

namespace onnxsmith::ir {
namespace {

Node MakeNode(std::string name, std::string op, std::vector<std::string> in,
              std::vector<std::string> out, std::vector<Attribute> attrs = {}) {
  Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

// x -> Relu -> r -> Add(r, w) -> y
Graph Simple() {
  Graph g;
  g.inputs.push_back({"x", MakeType(DataType::kFloat, {2, 3})});
  g.initializers["w"] = Tensor::FromVector<float>({2, 3}, std::vector<float>(6, 1.0f));
  g.AddNode(MakeNode("relu", "Relu", {"x"}, {"r"}));
  g.AddNode(MakeNode("add", "Add", {"r", "w"}, {"y"}));
  g.outputs.push_back({"y", MakeType(DataType::kFloat, {2, 3})});
  return g;
}

// cond -> If(then: Neg(r) from the outer scope, else: Identity(x)) -> z,
// plus r = Relu(x) that only the then-branch reads.
Graph WithIf() {
  Graph g;
  g.inputs.push_back({"x", MakeType(DataType::kFloat, {2})});
  g.inputs.push_back({"cond", MakeType(DataType::kBool, {})});
  g.AddNode(MakeNode("relu", "Relu", {"x"}, {"r"}));
  auto branch = [](const std::string& name, const std::string& reads) {
    auto b = std::make_shared<Graph>();
    b->name = name;
    b->AddNode(MakeNode(name + "_neg", "Neg", {reads}, {name + "_out"}));
    b->outputs.push_back({name + "_out", MakeType(DataType::kFloat, {2})});
    return b;
  };
  g.AddNode(MakeNode("if", "If", {"cond"}, {"z"},
                     {Attribute::GraphValue("then_branch", branch("then", "r")),
                      Attribute::GraphValue("else_branch", branch("else", "x"))}));
  g.outputs.push_back({"z", MakeType(DataType::kFloat, {2})});
  return g;
}

std::string VerifyError(const Graph& g) {
  absl::Status s = Verify(g);
  return s.ok() ? "OK" : std::string(s.message());
}

void ExpectError(const Graph& g, const std::string& part) {
  const std::string msg = VerifyError(g);
  EXPECT_NE(msg.find(part), std::string::npos) << msg;
}

TEST(VerifyTest, AcceptsWellFormedGraphs) {
  EXPECT_EQ(VerifyError(Simple()), "OK");
  EXPECT_EQ(VerifyError(WithIf()), "OK");
}

TEST(VerifyTest, UndefinedInputNamesTheNode) {
  Graph g = Simple();
  g.nodes[1]->inputs[1] = "nowhere";
  ExpectError(g, "node 'add' (Add) reads undefined value 'nowhere'");
  g.nodes[1]->name.clear();
  ExpectError(g, "node #1 (Add, unnamed) reads undefined value 'nowhere'");
}

TEST(VerifyTest, OrderSingleProducerAndOutputs) {
  Graph g = Simple();
  std::swap(g.nodes[0], g.nodes[1]);
  ExpectError(g, "reads 'r' before node 'relu' (Relu) produces it");
  g = Simple();
  g.nodes[1]->outputs[0] = "r";
  ExpectError(g, "redefines 'r'");
  g = Simple();
  g.nodes[0]->outputs[0] = "w";
  ExpectError(g, "redefines 'w'");
  g = Simple();
  g.outputs.push_back({"missing", {}});
  ExpectError(g, "graph output 'missing' is not produced");
  g = Simple();
  g.nodes[1]->name = "relu";
  ExpectError(g, "are both named 'relu'");
}

TEST(VerifyTest, InitializerDataMustMatchItsShape) {
  Graph g = Simple();
  // (Tensor::FromRaw already refuses a wrong byte count; an empty Tensor
  // is the broken value a rewrite can still store.)
  g.initializers["w"] = Tensor();
  ExpectError(g, "initializer 'w' has no dtype");
}

TEST(VerifyTest, AttributeSanity) {
  Graph g = Simple();
  g.AddNode(MakeNode("t", "Transpose", {"y"}, {"yt"}, {Attribute::Ints("perm", {0, 0})}));
  ExpectError(g, "node 't' (Transpose) perm [0,0] is not a permutation");
  g.nodes[2]->attributes[0].ints = {1, 0, 2};
  g.value_types["y"] = MakeType(DataType::kFloat, {2, 3});
  ExpectError(g, "perm [1,0,2] for an input of rank 2");
  g = Simple();
  g.nodes[1]->inputs.pop_back();
  ExpectError(g, "has 1 inputs; Add takes 2");
  g = Simple();
  g.AddNode(MakeNode("c", "Cast", {"y"}, {"yc"}, {Attribute::Int("to", 99)}));
  ExpectError(g, "unknown dtype 99");
  g.nodes[2]->attributes[0].i = 17;  // float8e4m3fn: newer than ir::DataType, still valid
  EXPECT_EQ(VerifyError(g), "OK");
}

TEST(VerifyTest, SubgraphRules) {
  Graph g = WithIf();
  // A subgraph may not redefine a value of the enclosing scope.
  g.nodes[1]->attributes[0].g->nodes[0]->outputs[0] = "x";
  g.nodes[1]->attributes[0].g->outputs[0].name = "x";
  ExpectError(g, "redefines 'x'");
  g = WithIf();
  g.nodes[1]->attributes[1].g->nodes[0]->inputs[0] = "nowhere";
  ExpectError(g, "in node 'if' (If) attribute 'else_branch': graph 'else': node 'else_neg' (Neg) reads "
                 "undefined value 'nowhere'");
  g = WithIf();
  g.nodes[1]->attributes[1].g = g.nodes[1]->attributes[0].g;
  ExpectError(g, "is shared with another attribute");
  g = WithIf();
  g.nodes[1]->attributes.pop_back();
  ExpectError(g, "has no then_branch/else_branch");
}

TEST(GraphTest, CloneIsDeep) {
  Graph g = WithIf();
  Graph c = g.Clone();
  EXPECT_EQ(VerifyError(c), "OK");
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_NE(c.nodes[1].get(), g.nodes[1].get());
  EXPECT_NE(c.nodes[1]->attributes[0].g.get(), g.nodes[1]->attributes[0].g.get());
  c.nodes[1]->attributes[0].g->nodes[0]->op_type = "Abs";
  EXPECT_EQ(g.nodes[1]->attributes[0].g->nodes[0]->op_type, "Neg");
}

TEST(GraphTest, DeadNodeRemovalKeepsSubgraphReads) {
  Graph g = WithIf();
  g.AddNode(MakeNode("dead", "Neg", {"x"}, {"unused"}));
  g.value_types["unused"] = MakeType(DataType::kFloat, {2});
  EXPECT_EQ(g.RemoveDeadNodes(), 1);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0]->name, "relu");  // read only by the then-branch
  EXPECT_EQ(g.value_types.count("unused"), 0u);
}

TEST(GraphTest, SortPutsSubgraphOwnersAfterWhatTheyRead) {
  Graph g = WithIf();
  std::swap(g.nodes[0], g.nodes[1]);  // If before the Relu its branch reads
  ASSERT_TRUE(g.TopologicalSort().ok());
  EXPECT_EQ(g.nodes[0]->name, "relu");
  EXPECT_EQ(VerifyError(g), "OK");
}

TEST(GraphTest, SortOfMainGraphRejectsUndefinedValues) {
  Graph g = Simple();
  g.nodes[1]->name.clear();
  g.nodes[1]->inputs[1] = "nowhere";
  absl::Status s = g.TopologicalSort();
  EXPECT_NE(s.message().find("node #1 (Add, unnamed) reads undefined value 'nowhere'"),
            std::string::npos)
      << s;
  // Inside a subgraph such a value comes from the enclosing scope.
  EXPECT_TRUE(SortTopologically(g).ok());
}

}  // namespace
}  // namespace onnxsmith::ir
