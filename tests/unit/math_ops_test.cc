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
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

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

// --- a small GraphDef builder ---

class TestGraph {
 public:
  TestGraph& Placeholder(const std::string& name, const std::vector<int64_t>& dims,
                         tf::DataType dtype = tf::DT_FLOAT) {
    tf::NodeDef* n = Node(name, "Placeholder", {});
    (*n->mutable_attr())["dtype"].set_type(dtype);
    auto* shape = (*n->mutable_attr())["shape"].mutable_shape();
    for (int64_t d : dims) shape->add_dim()->set_size(d);
    return *this;
  }

  TestGraph& FloatConst(const std::string& name, const std::vector<int64_t>& dims,
                        const std::vector<float>& values) {
    tf::TensorProto* t = ConstTensor(name, tf::DT_FLOAT, dims);
    for (float v : values) t->add_float_val(v);
    return *this;
  }

  TestGraph& IntConst(const std::string& name, const std::vector<int32_t>& values) {
    tf::TensorProto* t =
        ConstTensor(name, tf::DT_INT32, {static_cast<int64_t>(values.size())});
    for (int32_t v : values) t->add_int_val(v);
    return *this;
  }

  // The node under test; T is float unless `dtype` says otherwise.
  tf::NodeDef* Op(const std::string& name, const std::string& op,
                  const std::vector<std::string>& inputs, tf::DataType dtype = tf::DT_FLOAT) {
    tf::NodeDef* n = Node(name, op, inputs);
    (*n->mutable_attr())["T"].set_type(dtype);
    return n;
  }

  absl::StatusOr<ConversionResult> Convert(const std::string& output, int opset) const {
    ConvertOptions options;
    options.opset = opset;
    options.outputs.push_back(TensorSpec{output, 0, {}});
    return ConvertGraphDef(graph_, options);
  }

 private:
  tf::NodeDef* Node(const std::string& name, const std::string& op,
                    const std::vector<std::string>& inputs) {
    tf::NodeDef* n = graph_.add_node();
    n->set_name(name);
    n->set_op(op);
    for (const std::string& in : inputs) n->add_input(in);
    return n;
  }

  tf::TensorProto* ConstTensor(const std::string& name, tf::DataType dtype,
                               const std::vector<int64_t>& dims) {
    tf::NodeDef* n = Node(name, "Const", {});
    (*n->mutable_attr())["dtype"].set_type(dtype);
    tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
    t->set_dtype(dtype);
    for (int64_t d : dims) t->mutable_tensor_shape()->add_dim()->set_size(d);
    return t;
  }

  tf::GraphDef graph_;
};

void SetBool(tf::NodeDef* n, const std::string& attr, bool value) {
  (*n->mutable_attr())[attr].set_b(value);
}
void SetType(tf::NodeDef* n, const std::string& attr, tf::DataType value) {
  (*n->mutable_attr())[attr].set_type(value);
}

std::vector<std::string> OpTypes(const ir::Graph& g) {
  std::vector<std::string> ops;
  for (const auto& n : g.nodes) ops.push_back(n->op_type);
  return ops;
}

int Count(const ir::Graph& g, const std::string& op_type) {
  int count = 0;
  for (const auto& n : g.nodes) count += n->op_type == op_type;
  return count;
}

const ir::Node* FindNode(const ir::Graph& g, const std::string& op_type) {
  for (const auto& n : g.nodes) {
    if (n->op_type == op_type) return n.get();
  }
  return nullptr;
}

using Ops = std::vector<std::string>;

// Runs one handler on graph inputs of chosen types, without the driver.
class HandlerHarness {
 public:
  explicit HandlerHarness(int opset) : opset_(opset), builder_(&graph_, opset) {}

  void Input(const std::string& name, ir::DataType dtype,
             std::optional<std::vector<int64_t>> dims) {
    ir::ValueType type;
    type.dtype = dtype;
    if (dims) {
      type.shape.emplace();
      for (int64_t d : *dims) type.shape->push_back(ir::Dim{d, ""});
    }
    builder_.AddGraphInput(name, type);
  }

  absl::Status Run(const tf::NodeDef& node, std::vector<std::string> inputs) {
    ConvertFn fn = HandlerRegistry::Global().Find(node.op(), opset_);
    if (fn == nullptr) return absl::NotFoundError(node.op());
    NodeContext ctx(node, std::move(inputs), opset_, &builder_);
    return fn(ctx);
  }

  const ir::Graph& graph() const { return graph_; }

 private:
  int opset_;
  ir::Graph graph_;
  GraphBuilder builder_;
};

tf::NodeDef MakeNode(const std::string& name, const std::string& op, tf::DataType dtype) {
  tf::NodeDef node;
  node.set_name(name);
  node.set_op(op);
  (*node.mutable_attr())["T"].set_type(dtype);
  return node;
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

TEST(ReduceOps, NarrowIntegerSumIsWidened) {
  TestGraph g;
  g.Placeholder("x", {2, 3}, tf::DT_INT8).IntConst("axes", {1});
  g.Op("s", "Sum", {"x", "axes"}, tf::DT_INT8);
  auto r = g.Convert("s", 17);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(OpTypes(r->model.graph), (Ops{"Cast", "ReduceSum", "Cast"}));
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
