// Pass infrastructure: pipeline fixed point and bound, subgraph recursion,
// reports, the registry and optimization levels.
#include <memory>

#include "gtest/gtest.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pass.h"
#include "optimizer/registry.h"
#include "optimizer/rewrite.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::GraphBuilder;

// Reports a change on its first `n` runs.
class CountdownPass : public Pass {
 public:
  explicit CountdownPass(int n) : left_(n) {}
  std::string name() const override { return "countdown"; }
  absl::StatusOr<bool> Run(ir::Graph&) override {
    ++runs_;
    if (left_ <= 0) return false;
    --left_;
    CountChanges(2);
    return true;
  }
  int runs_ = 0;

 private:
  int left_;
};

class FailingPass : public Pass {
 public:
  std::string name() const override { return "failing"; }
  absl::StatusOr<bool> Run(ir::Graph&) override { return absl::InternalError("boom"); }
};

// Leaves a node reading a value nothing defines: a broken rewrite.
class BreakingPass : public Pass {
 public:
  std::string name() const override { return "breaking"; }
  absl::StatusOr<bool> Run(ir::Graph& g) override {
    if (g.nodes.empty() || g.nodes[0]->inputs[0] == "gone") return false;
    g.nodes[0]->inputs[0] = "gone";
    return true;
  }
};

ir::Graph ReluGraph() {
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Add("Relu", {"x"}, {"y"});
  return b.Take();
}

PipelineOptions Verified() {
  PipelineOptions options;
  options.verify_each_pass = true;
  return options;
}

TEST(PipelineTest, RunsToFixedPoint) {
  Pipeline p(Verified());
  auto pass = std::make_unique<CountdownPass>(3);
  CountdownPass* raw = pass.get();
  p.Add(std::move(pass));
  ir::Graph g = ReluGraph();
  auto report = p.Run(g, 17);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->converged);
  EXPECT_EQ(report->iterations, 4);  // 3 changing + 1 quiet
  EXPECT_EQ(raw->runs_, 4);
  ASSERT_EQ(report->passes.size(), 1u);
  EXPECT_EQ(report->passes[0].name, "countdown");
  EXPECT_EQ(report->passes[0].runs, 4);
  EXPECT_EQ(report->passes[0].changed_runs, 3);
  EXPECT_EQ(report->passes[0].changes, 6);
  EXPECT_EQ(report->nodes_before, 1);
  EXPECT_EQ(report->nodes_after, 1);
}

TEST(PipelineTest, StopsAtIterationBound) {
  PipelineOptions options = Verified();
  options.max_iterations = 5;
  Pipeline p(options);
  p.Add(std::make_unique<CountdownPass>(1000));
  ir::Graph g = ReluGraph();
  auto report = p.Run(g, 17);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->converged);
  EXPECT_EQ(report->iterations, 5);
  EXPECT_NE(FormatReport(*report).find("iteration bound"), std::string::npos);
}

TEST(PipelineTest, VerificationNamesThePassThatBrokeTheGraph) {
  ir::Graph g = ReluGraph();
  Pipeline unchecked;
  unchecked.Add(std::make_unique<BreakingPass>());
  EXPECT_TRUE(unchecked.Run(g, 17).ok());
  g = ReluGraph();
  Pipeline p(Verified());
  p.Add(std::make_unique<CountdownPass>(0));
  p.Add(std::make_unique<BreakingPass>());
  auto report = p.Run(g, 17);
  ASSERT_FALSE(report.ok());
  const std::string msg(report.status().message());
  EXPECT_NE(msg.find("pass breaking"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'Relu_0' (Relu) reads undefined value 'gone'"), std::string::npos) << msg;
  // A graph broken before the pipeline is not blamed on the first pass.
  Pipeline q(Verified());
  q.Add(std::make_unique<CountdownPass>(0));
  report = q.Run(g, 17);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("before any pass"), std::string::npos);
}

TEST(PipelineTest, ErrorNamesThePass) {
  Pipeline p(Verified());
  p.Add(std::make_unique<FailingPass>());
  ir::Graph g = ReluGraph();
  auto report = p.Run(g, 17);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("failing"), std::string::npos);
  EXPECT_NE(report.status().message().find("boom"), std::string::npos);
}

// If(cond) with Identity chains in both branches; the then-branch reads `r`
// from the outer scope.
ir::Graph IfGraph() {
  GraphBuilder b;
  b.Input("x", {2, 3}).Input("cond", {}, ir::DataType::kBool).Output("y");
  b.Add("Relu", {"x"}, {"r"});
  auto branch = [](const std::string& prefix, const std::string& outer) {
    GraphBuilder sb;
    sb.graph().name = prefix;
    sb.Output(prefix + "_out");
    sb.Add("Identity", {outer}, {prefix + "_a"});
    sb.Add("Neg", {prefix + "_a"}, {prefix + "_b"});
    sb.Add("Identity", {prefix + "_b"}, {prefix + "_out"});
    return std::make_shared<ir::Graph>(sb.Take());
  };
  b.Add("If", {"cond"}, {"y"},
        {ir::Attribute::GraphValue("then_branch", branch("then", "r")),
         ir::Attribute::GraphValue("else_branch", branch("else", "x"))});
  return b.Take();
}

TEST(PipelineTest, RecursesIntoSubgraphs) {
  ir::Graph g = IfGraph();
  auto report = testing::RunPasses(g, {"eliminate_identity", "eliminate_dead_code"});
  ASSERT_TRUE(report.ok()) << report.status();
  const ir::Node& if_node = *g.nodes.back();
  ASSERT_EQ(if_node.op_type, "If");
  for (const char* branch : {"then_branch", "else_branch"}) {
    const ir::Graph& sub = *if_node.FindAttr(branch)->g;
    EXPECT_EQ(CountOp(sub, "Identity"), 0) << branch;
    ASSERT_EQ(sub.nodes.size(), 1u);
    // The Neg now writes the branch output directly.
    EXPECT_EQ(sub.nodes[0]->outputs[0], sub.outputs[0].name);
  }
  // The outer Relu is read only by the then-branch: it must survive DCE.
  EXPECT_EQ(CountOp(g, "Relu"), 1);
  // Each pass ran on the main graph and on both branches, every iteration.
  EXPECT_EQ(report->passes[0].runs, 3 * report->iterations);
  EXPECT_TRUE(report->converged);
  EXPECT_EQ(report->nodes_before, 8);
  EXPECT_EQ(report->nodes_after, 4);
}

TEST(PipelineTest, OuterValueReadBySubgraphBlocksPushDown) {
  // t = Transpose(x) feeds a Relu and is read inside an If branch: pushing
  // the Transpose below the Relu would drop the value the branch reads.
  GraphBuilder b;
  b.Input("x", {2, 3}).Input("cond", {}, ir::DataType::kBool).Output("y").Output("z");
  b.Add("Transpose", {"x"}, {"t"}, {ir::Attribute::Ints("perm", {1, 0})});
  b.Add("Relu", {"t"}, {"y"});
  GraphBuilder sb;
  sb.Output("s_out");
  sb.Add("Neg", {"t"}, {"s_out"});
  GraphBuilder eb;
  eb.Output("e_out");
  eb.Add("Neg", {"t"}, {"e_out"});
  b.Add("If", {"cond"}, {"z"},
        {ir::Attribute::GraphValue("then_branch", std::make_shared<ir::Graph>(sb.Take())),
         ir::Attribute::GraphValue("else_branch", std::make_shared<ir::Graph>(eb.Take()))});
  ir::Graph g = b.Take();
  auto report = testing::RunPasses(g, {"optimize_transposes", "eliminate_dead_code"});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->passes[0].changes, 0);
  ASSERT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(g.nodes[0]->op_type, "Transpose");
}

TEST(PipelineTest, ReplaceAllUsesRenamesSubgraphReads) {
  ir::Graph g = IfGraph();
  GraphEditor ed(g, 17);
  ASSERT_TRUE(ed.HasImplicitUses("r"));
  ASSERT_TRUE(ed.HasImplicitUses("x"));
  EXPECT_FALSE(ed.OnlyUsedBy("r", g.nodes[0].get()));
  ed.ReplaceAllUses("r", "x");
  const ir::Graph& then_g = *g.nodes.back()->FindAttr("then_branch")->g;
  EXPECT_EQ(then_g.nodes[0]->inputs[0], "x");
  EXPECT_FALSE(ed.HasImplicitUses("r"));
  EXPECT_EQ(ed.NumUses("r"), 0u);
}

TEST(GraphEditorTest, CommitKeepsTopologicalOrder) {
  GraphBuilder b;
  b.Input("x", {2}).Output("y");
  b.Add("Relu", {"x"}, {"a"});
  b.Add("Neg", {"a"}, {"y"});
  ir::Graph g = b.Take();
  GraphEditor ed(g, 17);
  // Insert Abs between Relu and Neg; it is appended, Commit re-sorts.
  ir::Node abs;
  abs.op_type = "Abs";
  abs.inputs = {"a"};
  abs.outputs = {ed.NewValueName("a")};
  const std::string mid = abs.outputs[0];
  ed.AddNode(std::move(abs));
  ed.SetInput(g.nodes[1].get(), 0, mid);
  EXPECT_EQ(ed.Producer(mid)->op_type, "Abs");
  EXPECT_EQ(ed.Consumers("a").size(), 1u);
  ASSERT_TRUE(ed.Commit().ok());
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0]->op_type, "Relu");
  EXPECT_EQ(g.nodes[1]->op_type, "Abs");
  EXPECT_EQ(g.nodes[2]->op_type, "Neg");
  EXPECT_NE(mid, "a");
}

TEST(GraphEditorTest, ConstantExpressions) {
  GraphBuilder b;
  b.Input("x", {2}).Output("y");
  b.Init("c", ir::Tensor::Vector1D<float>({1, 2}));
  b.Add("Sqrt", {"c"}, {"sc"});
  b.Add("Add", {"sc", "x"}, {"d"});
  b.Add("RandomNormalLike", {"c"}, {"rnd"});
  b.Add("Mul", {"d", "rnd"}, {"y"});
  ir::Graph g = b.Take();
  GraphEditor ed(g, 17);
  EXPECT_TRUE(ed.IsConstantExpr("c"));
  EXPECT_TRUE(ed.IsConstantExpr("sc"));
  EXPECT_FALSE(ed.IsConstantExpr("x"));
  EXPECT_FALSE(ed.IsConstantExpr("d"));
  EXPECT_FALSE(ed.IsConstantExpr("rnd"));
  EXPECT_NE(ed.Constant("c"), nullptr);
  EXPECT_EQ(ed.Constant("sc"), nullptr);
}

TEST(GraphEditorTest, InitializerOverridableByInputIsNotConstant) {
  GraphBuilder b;
  b.Input("w", {2}).Output("y");
  b.Init("w", ir::Tensor::Vector1D<float>({1, 2}));
  b.Add("Neg", {"w"}, {"y"});
  ir::Graph g = b.Take();
  GraphEditor ed(g, 17);
  EXPECT_EQ(ed.Constant("w"), nullptr);
  EXPECT_FALSE(ed.IsConstantExpr("w"));
}

TEST(RegistryTest, ListsBuiltinPasses) {
  const auto names = PassRegistry::Global().Names();
  for (const char* n :
       {"eliminate_dead_code", "eliminate_identity", "optimize_transposes", "fuse_reshapes",
        "fuse_conv_scale_bias", "fuse_matmul_add_into_gemm", "transpose_to_reshape"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    EXPECT_NE(PassTableMarkdown().find(n), std::string::npos) << n;
  }
  // Dead code elimination closes every iteration.
  EXPECT_EQ(names.back(), "eliminate_dead_code");
}

TEST(RegistryTest, LevelsSelectPasses) {
  OptimizeOptions o;
  o.level = OptLevel::kNone;
  auto p0 = BuildPipeline(o);
  ASSERT_TRUE(p0.ok());
  EXPECT_TRUE(p0->passes().empty());
  o.level = OptLevel::kBasic;
  auto p1 = BuildPipeline(o);
  ASSERT_TRUE(p1.ok());
  auto n1 = p1->PassNames();
  EXPECT_NE(std::find(n1.begin(), n1.end(), "eliminate_identity"), n1.end());
  EXPECT_EQ(std::find(n1.begin(), n1.end(), "optimize_transposes"), n1.end());
  o.level = OptLevel::kExtended;
  auto p2 = BuildPipeline(o);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->passes().size(), PassRegistry::Global().passes().size());
  o.skip = {"optimize_transposes"};
  auto p3 = BuildPipeline(o);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->passes().size(), PassRegistry::Global().passes().size() - 1);
}

TEST(RegistryTest, ExplicitPassesAndErrors) {
  OptimizeOptions o;
  o.passes = {"eliminate_dead_code", "eliminate_identity"};
  auto p = BuildPipeline(o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->PassNames(),
            (std::vector<std::string>{"eliminate_dead_code", "eliminate_identity"}));
  o.passes = {"no_such_pass"};
  auto bad = BuildPipeline(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("eliminate_dead_code"), std::string::npos);
  o.passes.clear();
  o.skip = {"also_unknown"};
  EXPECT_FALSE(BuildPipeline(o).ok());
}

TEST(RegistryTest, ParsesLevels) {
  EXPECT_EQ(*ParseOptLevel("0"), OptLevel::kNone);
  EXPECT_EQ(*ParseOptLevel("-O1"), OptLevel::kBasic);
  EXPECT_EQ(*ParseOptLevel("O2"), OptLevel::kExtended);
  EXPECT_EQ(*ParseOptLevel("default"), OptLevel::kExtended);
  EXPECT_EQ(*ParseOptLevel("all"), OptLevel::kAll);
  EXPECT_FALSE(ParseOptLevel("7").ok());
}

TEST(RegistryTest, RejectsDuplicates) {
  PassRegistry r;
  PassInfo info{"x", "d", OptLevel::kBasic, [] { return std::make_unique<CountdownPass>(0); }};
  EXPECT_TRUE(r.Register(info).ok());
  EXPECT_FALSE(r.Register(info).ok());
}

TEST(RewritePassTest, DispatchesByOpTypeAndCounts) {
  // A rule turning Neg(Neg(x)) into x, anchored on Neg.
  RewriteRule rule;
  rule.name = "double_neg";
  rule.op_types = {"Neg"};
  rule.condition = [](GraphEditor& ed, const ir::Node& n) {
    const ir::Node* p = ed.Producer(n.inputs[0]);
    return p && p->op_type == "Neg" && ed.CanBypass(&n, p->inputs[0], n.outputs[0]);
  };
  rule.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    return ed.Bypass(&n, ed.Producer(n.inputs[0])->inputs[0], n.outputs[0]);
  };
  RewritePass pass("test_rewrites", {rule});
  GraphBuilder b;
  b.Input("x", {2}).Output("y");
  b.Add("Relu", {"x"}, {"r"});
  b.Add("Neg", {"r"}, {"a"});
  b.Add("Neg", {"a"}, {"b"});
  b.Add("Abs", {"b"}, {"y"});
  ir::Graph g = b.Take();
  ir::Graph before = g.Clone();
  auto changed = pass.Run(g);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(pass.changes(), 1);
  EXPECT_EQ(pass.fired().at("double_neg"), 1);
  EXPECT_EQ(g.nodes.back()->inputs[0], "r");
  auto diff = testing::NumericDiff(before, g);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_EQ(*diff, 0.0);
}

TEST(TestingTest, NumericDiffSeesAChangedResult) {
  // The check every rewrite test relies on: a different graph is noticed.
  GraphBuilder a;
  a.Input("x", {2, 3}).Output("y");
  a.Add("Relu", {"x"}, {"y"});
  GraphBuilder b;
  b.Input("x", {2, 3}).Output("y");
  b.Add("Abs", {"x"}, {"y"});
  auto same = testing::NumericDiff(a.graph(), a.graph());
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(*same, 0.0);
  auto diff = testing::NumericDiff(a.graph(), b.graph());
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_GT(*diff, 0.1);
}

TEST(GraphEditorTest, NondeterministicOps) {
  auto node = [](std::string op, std::vector<std::string> in) {
    ir::Node n;
    n.op_type = std::move(op);
    n.inputs = std::move(in);
    return n;
  };
  EXPECT_TRUE(IsNondeterministic(node("RandomNormalLike", {"x"})));
  EXPECT_TRUE(IsNondeterministic(node("Dropout", {"x", "ratio", "training"})));
  EXPECT_FALSE(IsNondeterministic(node("Dropout", {"x"})));
  EXPECT_FALSE(IsNondeterministic(node("Relu", {"x"})));
  ir::Node old = node("Dropout", {"x"});
  old.attributes.push_back(ir::Attribute::Int("is_test", 0));
  EXPECT_TRUE(IsNondeterministic(old));
}

}  // namespace
}  // namespace onnxsmith::optimizer
