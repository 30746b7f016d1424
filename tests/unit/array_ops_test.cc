// The array op handlers (converter/handlers/array_ops.cc, slice_ops.cc): that
// they are registered over the whole opset range, and the structure they emit
// on small GraphDefs (StridedSlice masks, Split across opsets, Reshape with
// zero dims, SYMMETRIC padding). Numerics are checked against TensorFlow by
// the oracle tests.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "converter/handlers/registry.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf_converter.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// clang-format off
const std::vector<std::string> kArrayOps = {
    "Shape",        "ShapeN",       "Size",         "Rank",          "Reshape",
    "StridedSlice", "Slice",        "Pack",         "Unpack",        "ConcatV2",
    "Concat",       "Split",        "SplitV",       "Squeeze",       "ExpandDims",
    "Transpose",    "Pad",          "PadV2",        "MirrorPad",     "Fill",
    "ZerosLike",    "OnesLike",     "Range",        "Tile",          "GatherV2",
    "Gather",       "GatherNd",     "BroadcastTo",  "Reverse",       "ReverseV2",
    "OneHot",       "Cumsum",       "TopKV2",       "SpaceToDepth",  "DepthToSpace",
    "ResizeBilinear", "ResizeNearestNeighbor"};
// clang-format on

// The array families (array_ops.cc was split by section).
HandlerRegistry ArrayRegistry() {
  HandlerRegistry registry;
  for (auto fn : {RegisterShapeOps, RegisterJoinSplitOps, RegisterSliceOps, RegisterPadOps,
                  RegisterFillOps, RegisterIndexOps, RegisterImageOps}) {
    fn(registry);
  }
  return registry;
}

TEST(ArrayOpsRegistry, EveryOpConvertsAtEveryOpset) {
  HandlerRegistry registry = ArrayRegistry();
  std::vector<int> all;
  for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) all.push_back(opset);
  for (const std::string& op : kArrayOps) {
    EXPECT_EQ(registry.SupportedOpsets(op), all) << op;
  }
}

TEST(ArrayOpsRegistry, ReshapeChangesAtOpset14) {
  HandlerRegistry registry = ArrayRegistry();
  EXPECT_NE(registry.Find("Reshape", 13), registry.Find("Reshape", 14));
  EXPECT_EQ(registry.Find("Reshape", 14), registry.Find("Reshape", 21));
}

// --- a small GraphDef builder ---

class TestGraph {
 public:
  // dims nullopt: unknown rank.
  tf::NodeDef* Placeholder(const std::string& name, std::optional<std::vector<int64_t>> dims,
                           tf::DataType dtype = tf::DT_FLOAT) {
    tf::NodeDef* n = Node(name, "Placeholder", {});
    (*n->mutable_attr())["dtype"].set_type(dtype);
    auto* shape = (*n->mutable_attr())["shape"].mutable_shape();
    if (!dims) {
      shape->set_unknown_rank(true);
    } else {
      for (int64_t d : *dims) shape->add_dim()->set_size(d);
    }
    return n;
  }

  tf::NodeDef* IntConst(const std::string& name, const std::vector<int32_t>& values) {
    tf::NodeDef* n = Node(name, "Const", {});
    (*n->mutable_attr())["dtype"].set_type(tf::DT_INT32);
    tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
    t->set_dtype(tf::DT_INT32);
    t->mutable_tensor_shape()->add_dim()->set_size(static_cast<int64_t>(values.size()));
    for (int32_t v : values) t->add_int_val(v);
    return n;
  }

  tf::NodeDef* IntScalar(const std::string& name, int32_t value) {
    tf::NodeDef* n = Node(name, "Const", {});
    (*n->mutable_attr())["dtype"].set_type(tf::DT_INT32);
    tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
    t->set_dtype(tf::DT_INT32);
    t->mutable_tensor_shape();
    t->add_int_val(value);
    return n;
  }

  tf::NodeDef* Node(const std::string& name, const std::string& op,
                    const std::vector<std::string>& inputs) {
    tf::NodeDef* n = graph_.add_node();
    n->set_name(name);
    n->set_op(op);
    for (const std::string& in : inputs) n->add_input(in);
    if (op != "Placeholder" && op != "Const") (*n->mutable_attr())["T"].set_type(tf::DT_FLOAT);
    return n;
  }

  // x[begin:end:strides] with the given masks on x.
  tf::NodeDef* StridedSlice(const std::vector<int32_t>& begin, const std::vector<int32_t>& end,
                            const std::vector<int32_t>& strides, int64_t begin_mask,
                            int64_t end_mask, int64_t ellipsis_mask, int64_t new_axis_mask,
                            int64_t shrink_mask) {
    IntConst("begin", begin);
    IntConst("end", end);
    IntConst("strides", strides);
    tf::NodeDef* n = Node("ss", "StridedSlice", {"x", "begin", "end", "strides"});
    (*n->mutable_attr())["Index"].set_type(tf::DT_INT32);
    SetInt(n, "begin_mask", begin_mask);
    SetInt(n, "end_mask", end_mask);
    SetInt(n, "ellipsis_mask", ellipsis_mask);
    SetInt(n, "new_axis_mask", new_axis_mask);
    SetInt(n, "shrink_axis_mask", shrink_mask);
    return n;
  }

  static void SetInt(tf::NodeDef* n, const std::string& name, int64_t value) {
    (*n->mutable_attr())[name].set_i(value);
  }

  const tf::GraphDef& graph() const { return graph_; }

 private:
  tf::GraphDef graph_;
};

absl::StatusOr<ConversionResult> Convert(const TestGraph& g, int opset = kDefaultOpset) {
  ConvertOptions options;
  options.opset = opset;
  return ConvertGraphDef(g.graph(), options);
}

std::vector<std::string> OpTypes(const ir::Graph& graph) {
  std::vector<std::string> ops;
  for (const auto& n : graph.nodes) ops.push_back(n->op_type);
  return ops;
}

const ir::Node* FindNode(const ir::Graph& graph, const std::string& op_type) {
  for (const auto& n : graph.nodes) {
    if (n->op_type == op_type) return n.get();
  }
  return nullptr;
}

// The constant int64 contents of input `i` of `node` (empty if not constant).
std::vector<int64_t> ConstInput(const ir::Graph& graph, const ir::Node& node, size_t i) {
  if (i >= node.inputs.size()) return {};
  const ir::Tensor* t = graph.FindInitializer(node.inputs[i]);
  if (t == nullptr) return {};
  auto values = t->ToInt64s();
  return values.ok() ? *values : std::vector<int64_t>{};
}

struct SliceSeen {
  std::vector<int64_t> starts, ends, axes, steps;
};

SliceSeen SliceOf(const ir::Graph& graph) {
  const ir::Node* node = FindNode(graph, "Slice");
  if (node == nullptr) return {};
  return {ConstInput(graph, *node, 1), ConstInput(graph, *node, 2), ConstInput(graph, *node, 3),
          ConstInput(graph, *node, 4)};
}

std::vector<int64_t> OutputDims(const ir::Graph& graph) {
  std::vector<int64_t> dims;
  if (graph.outputs.empty() || !graph.outputs[0].type.shape) return dims;
  for (const ir::Dim& d : *graph.outputs[0].type.shape) dims.push_back(d.size);
  return dims;
}

// --- StridedSlice ---

TEST(StridedSlice, ShrinkAxisSlicesOneElementAndSqueezes) {
  TestGraph g;  // x[1]
  g.Placeholder("x", std::vector<int64_t>{4, 5});
  g.StridedSlice({1}, {2}, {1}, 0, 0, 0, 0, /*shrink=*/1);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Slice", "Squeeze"}));
  SliceSeen s = SliceOf(graph);
  EXPECT_EQ(s.starts, (std::vector<int64_t>{1}));
  EXPECT_EQ(s.ends, (std::vector<int64_t>{2}));
  EXPECT_EQ(s.axes, (std::vector<int64_t>{0}));
  EXPECT_EQ(s.steps, (std::vector<int64_t>{1}));
  EXPECT_EQ(ConstInput(graph, *FindNode(graph, "Squeeze"), 1), (std::vector<int64_t>{0}));
  EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{5}));
}

TEST(StridedSlice, ShrinkOfLastElementEndsPastTheDim) {
  TestGraph g;  // x[-1]: end -1 + 1 = 0 would mean "the start" to ONNX
  g.Placeholder("x", std::vector<int64_t>{4, 5});
  g.StridedSlice({-1}, {0}, {1}, 0, 0, 0, 0, 1);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  SliceSeen s = SliceOf(result->model.graph);
  EXPECT_EQ(s.starts, (std::vector<int64_t>{-1}));
  EXPECT_EQ(s.ends, (std::vector<int64_t>{kMax}));
  EXPECT_EQ(OutputDims(result->model.graph), (std::vector<int64_t>{5}));
}

TEST(StridedSlice, EllipsisExpandsToTheInputRank) {
  TestGraph g;  // x[..., 1:3]
  g.Placeholder("x", std::vector<int64_t>{2, 3, 4, 5});
  g.StridedSlice({0, 1}, {0, 3}, {1, 1}, 0, 0, /*ellipsis=*/1, 0, 0);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Slice"}));
  SliceSeen s = SliceOf(graph);
  EXPECT_EQ(s.axes, (std::vector<int64_t>{3}));
  EXPECT_EQ(s.starts, (std::vector<int64_t>{1}));
  EXPECT_EQ(s.ends, (std::vector<int64_t>{3}));
  EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{2, 3, 4, 2}));
}

TEST(StridedSlice, EllipsisOnUnknownRankUsesAxesFromTheEnd) {
  TestGraph g;  // squeeze(x)[..., 0, tf.newaxis, 1:], flattened
  g.Placeholder("x0", std::vector<int64_t>{-1, 3, -1});
  g.Node("x", "Squeeze", {"x0"});  // unknown dims: the rank is known at run time only
  g.StridedSlice({0, 0, 0, 1}, {0, 0, 0, 0}, {1, 1, 1, 1}, 0, /*end=*/8, /*ellipsis=*/1,
                 /*new_axis=*/4, /*shrink=*/2);
  g.IntConst("flat", {-1});
  g.Node("out", "Reshape", {"ss", "flat"});
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph),
            (std::vector<std::string>{"Squeeze", "Slice", "Squeeze", "Unsqueeze", "Reshape"}));
  SliceSeen s = SliceOf(graph);
  EXPECT_EQ(s.axes, (std::vector<int64_t>{-2, -1}));
  EXPECT_EQ(s.starts, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(s.ends, (std::vector<int64_t>{1, kMax}));
  EXPECT_EQ(ConstInput(graph, *graph.nodes[2], 1), (std::vector<int64_t>{-2}));
  // Output ends [..., 1, n-1]: the new axis is second from the end.
  EXPECT_EQ(ConstInput(graph, *FindNode(graph, "Unsqueeze"), 1), (std::vector<int64_t>{-2}));
}

TEST(StridedSlice, NewAxisAndShrinkTogether) {
  TestGraph g;  // x[:, tf.newaxis, 1] on [4, 5] -> [4, 1]
  g.Placeholder("x", std::vector<int64_t>{4, 5});
  g.StridedSlice({0, 0, 1}, {0, 0, 2}, {1, 1, 1}, /*begin=*/1, /*end=*/1, 0, /*new_axis=*/2,
                 /*shrink=*/4);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Slice", "Squeeze", "Unsqueeze"}));
  SliceSeen s = SliceOf(graph);
  EXPECT_EQ(s.axes, (std::vector<int64_t>{1}));
  EXPECT_EQ(s.starts, (std::vector<int64_t>{1}));
  EXPECT_EQ(s.ends, (std::vector<int64_t>{2}));
  EXPECT_EQ(ConstInput(graph, *FindNode(graph, "Squeeze"), 1), (std::vector<int64_t>{1}));
  EXPECT_EQ(ConstInput(graph, *FindNode(graph, "Unsqueeze"), 1), (std::vector<int64_t>{1}));
  EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{4, 1}));
}

TEST(StridedSlice, MaskedNegativeStrideRunsFromEndToStart) {
  TestGraph g;  // x[::-1, 1:]
  g.Placeholder("x", std::vector<int64_t>{4, 5});
  g.StridedSlice({0, 1}, {0, 0}, {-1, 1}, /*begin=*/1, /*end=*/3, 0, 0, 0);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  SliceSeen s = SliceOf(result->model.graph);
  EXPECT_EQ(s.axes, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(s.starts, (std::vector<int64_t>{kMax, 1}));
  EXPECT_EQ(s.ends, (std::vector<int64_t>{kMin, kMax}));
  EXPECT_EQ(s.steps, (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(OutputDims(result->model.graph), (std::vector<int64_t>{4, 4}));
}

TEST(StridedSlice, OnlyNewAxisNeedsNoSlice) {
  TestGraph g;  // x[tf.newaxis]
  g.Placeholder("x", std::vector<int64_t>{4, 5});
  g.StridedSlice({0}, {0}, {1}, 0, 0, 0, /*new_axis=*/1, 0);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(OpTypes(result->model.graph), (std::vector<std::string>{"Unsqueeze"}));
  EXPECT_EQ(OutputDims(result->model.graph), (std::vector<int64_t>{1, 4, 5}));
}

TEST(StridedSlice, RunTimeBeginIsGatheredIntoStarts) {
  TestGraph g;  // x[b[0], b[1]:] with b fed at run time
  g.Placeholder("x", std::vector<int64_t>{4, 5});
  g.Placeholder("b", std::vector<int64_t>{2}, tf::DT_INT32);
  g.IntConst("end", {0, 0});
  g.IntConst("strides", {1, 1});
  tf::NodeDef* n = g.Node("ss", "StridedSlice", {"x", "b", "end", "strides"});
  TestGraph::SetInt(n, "end_mask", 2);
  TestGraph::SetInt(n, "shrink_axis_mask", 1);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  const ir::Node* slice = FindNode(graph, "Slice");
  ASSERT_NE(slice, nullptr);
  EXPECT_TRUE(ConstInput(graph, *slice, 1).empty());  // starts computed
  EXPECT_TRUE(ConstInput(graph, *slice, 2).empty());  // ends: begin+1 on the shrunk axis
  EXPECT_EQ(ConstInput(graph, *slice, 3), (std::vector<int64_t>{0, 1}));
  EXPECT_NE(FindNode(graph, "Gather"), nullptr);
  EXPECT_NE(FindNode(graph, "Where"), nullptr);
  EXPECT_EQ(OutputDims(graph).size(), 1u);
}

TEST(StridedSlice, BoundsPackedFromConstantsAreConstants) {
  TestGraph g;  // x[:, :e, 1] as TF 2 freezes it: begin/end/strides are Packs
  g.Placeholder("x", std::vector<int64_t>{4, 5, 6});
  g.Placeholder("e", std::vector<int64_t>{}, tf::DT_INT32);
  const std::vector<std::vector<std::string>> packs = {
      {"b0", "b1", "b2"}, {"e0", "e", "e2"}, {"s0", "s1", "s2"}};
  const std::vector<std::vector<int32_t>> values = {{0, 0, 1}, {0, 0, 2}, {1, 1, 1}};
  const char* names[] = {"begin", "end", "strides"};
  for (int p = 0; p < 3; ++p) {
    for (int k = 0; k < 3; ++k) {
      if (packs[p][k] != "e") g.IntScalar(packs[p][k], values[p][k]);
    }
    tf::NodeDef* pack = g.Node(names[p], "Pack", packs[p]);
    (*pack->mutable_attr())["T"].set_type(tf::DT_INT32);
  }
  tf::NodeDef* n = g.Node("ss", "StridedSlice", {"x", "begin", "end", "strides"});
  TestGraph::SetInt(n, "begin_mask", 1);
  TestGraph::SetInt(n, "end_mask", 1);
  TestGraph::SetInt(n, "shrink_axis_mask", 4);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  const ir::Node* slice = FindNode(graph, "Slice");
  ASSERT_NE(slice, nullptr);
  EXPECT_EQ(ConstInput(graph, *slice, 1), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(ConstInput(graph, *slice, 2).empty());  // the end of axis 1 is e
  EXPECT_EQ(ConstInput(graph, *slice, 3), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ConstInput(graph, *slice, 4), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{4, -1}));
}

TEST(StridedSlice, RunTimeStridesAreGatheredIntoSteps) {
  TestGraph g;
  g.Placeholder("x", std::vector<int64_t>{4});
  g.Placeholder("s", std::vector<int64_t>{1}, tf::DT_INT32);
  g.IntConst("begin", {0});
  g.IntConst("end", {4});
  tf::NodeDef* n = g.Node("ss", "StridedSlice", {"x", "begin", "end", "s"});
  TestGraph::SetInt(n, "end_mask", 1);  // the masked end depends on the step's sign
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  const ir::Node* slice = FindNode(graph, "Slice");
  ASSERT_NE(slice, nullptr);
  EXPECT_EQ(ConstInput(graph, *slice, 1), (std::vector<int64_t>{0}));
  EXPECT_TRUE(ConstInput(graph, *slice, 2).empty());  // end: +inf or -inf by the sign
  EXPECT_TRUE(ConstInput(graph, *slice, 4).empty());  // steps
  EXPECT_NE(FindNode(graph, "Greater"), nullptr);
  EXPECT_EQ(OutputDims(graph).size(), 1u);
}

// --- Slice ---

TEST(Slice, SizeMinusOneRunsToTheEnd) {
  TestGraph g;
  g.Placeholder("x", std::vector<int64_t>{4, 5, 6});
  g.IntConst("begin", {1, 0, 2});
  g.IntConst("size", {2, -1, -1});
  g.Node("s", "Slice", {"x", "begin", "size"});
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  SliceSeen s = SliceOf(result->model.graph);
  EXPECT_EQ(s.axes, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(s.starts, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(s.ends, (std::vector<int64_t>{3, kMax}));
  EXPECT_EQ(OutputDims(result->model.graph), (std::vector<int64_t>{2, 5, 4}));
}

// --- Split ---

absl::StatusOr<ConversionResult> ConvertSplit(int opset) {
  TestGraph g;
  g.Placeholder("x", std::vector<int64_t>{4, 6});
  g.IntScalar("axis", 1);
  tf::NodeDef* n = g.Node("split", "Split", {"axis", "x"});
  TestGraph::SetInt(n, "num_split", 3);
  return Convert(g, opset);
}

TEST(Split, Opset13ImpliesPiecesFromOutputs) {
  auto result = ConvertSplit(13);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Node* split = FindNode(result->model.graph, "Split");
  ASSERT_NE(split, nullptr);
  EXPECT_EQ(split->inputs.size(), 1u);
  EXPECT_EQ(split->outputs.size(), 3u);
  EXPECT_EQ(split->FindAttr("num_outputs"), nullptr);
  EXPECT_EQ(split->GetInt("axis", 0), 1);
}

TEST(Split, Opset18NamesNumOutputs) {
  auto result = ConvertSplit(18);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Node* split = FindNode(result->model.graph, "Split");
  ASSERT_NE(split, nullptr);
  EXPECT_EQ(split->inputs.size(), 1u);
  EXPECT_EQ(split->outputs.size(), 3u);
  EXPECT_EQ(split->GetInt("num_outputs", 0), 3);
}

TEST(Split, SplitVResolvesMinusOneFromTheStaticDim) {
  for (int opset : {13, 18}) {
    TestGraph g;
    g.Placeholder("x", std::vector<int64_t>{4, 10});
    g.IntConst("sizes", {3, -1, 2});
    g.IntScalar("axis", -1);
    tf::NodeDef* n = g.Node("split", "SplitV", {"x", "sizes", "axis"});
    TestGraph::SetInt(n, "num_split", 3);
    auto result = Convert(g, opset);
    ASSERT_TRUE(result.ok()) << result.status();
    const ir::Graph& graph = result->model.graph;
    const ir::Node* split = FindNode(graph, "Split");
    ASSERT_NE(split, nullptr);
    EXPECT_EQ(ConstInput(graph, *split, 1), (std::vector<int64_t>{3, 5, 2})) << opset;
    EXPECT_EQ(split->FindAttr("num_outputs"), nullptr) << opset;
  }
}

TEST(Split, UnpackSplitsThenSqueezes) {
  TestGraph g;
  g.Placeholder("x", std::vector<int64_t>{3, 2});
  tf::NodeDef* n = g.Node("u", "Unpack", {"x"});
  TestGraph::SetInt(n, "num", 3);
  TestGraph::SetInt(n, "axis", 0);
  for (int opset : {13, 18}) {
    auto result = Convert(g, opset);
    ASSERT_TRUE(result.ok()) << result.status();
    const ir::Graph& graph = result->model.graph;
    // Only u:0 is a graph output, so the other Squeezes are pruned.
    EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Split", "Squeeze"}));
    const ir::Node* split = FindNode(graph, "Split");
    EXPECT_EQ(split->outputs.size(), 3u);
    EXPECT_EQ(split->GetInt("num_outputs", 0), opset >= 18 ? 3 : 0);
    EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{2})) << opset;
  }
}

// --- Reshape ---

TEST(Reshape, ZeroDimNeedsAllowzeroOrAnEmptyConstant) {
  TestGraph g;
  g.Placeholder("x", std::vector<int64_t>{0, 3});
  g.IntConst("shape", {3, 0});
  g.Node("r", "Reshape", {"x", "shape"});
  auto at13 = Convert(g, 13);
  ASSERT_TRUE(at13.ok()) << at13.status();
  EXPECT_EQ(OpTypes(at13->model.graph), (std::vector<std::string>{"ConstantOfShape"}));
  auto at14 = Convert(g, 14);
  ASSERT_TRUE(at14.ok()) << at14.status();
  const ir::Node* reshape = FindNode(at14->model.graph, "Reshape");
  ASSERT_NE(reshape, nullptr);
  EXPECT_EQ(reshape->GetInt("allowzero", 0), 1);
}

// --- MirrorPad ---

TEST(Pad, SymmetricMirrorPadIsBuiltFromReversedSlices) {
  TestGraph g;
  g.Placeholder("x", std::vector<int64_t>{3, 4});
  g.IntConst("paddings", {2, 1, 0, 0});  // [[2, 1], [0, 0]]
  tf::NodeDef* n = g.Node("p", "MirrorPad", {"x", "paddings"});
  (*n->mutable_attr())["mode"].set_s("SYMMETRIC");
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Slice", "Slice", "Concat"}));
  const ir::Node* head = graph.nodes[0].get();
  EXPECT_EQ(ConstInput(graph, *head, 1), (std::vector<int64_t>{1}));
  EXPECT_EQ(ConstInput(graph, *head, 4), (std::vector<int64_t>{-1}));
  const ir::Node* tail = graph.nodes[1].get();
  EXPECT_EQ(ConstInput(graph, *tail, 1), (std::vector<int64_t>{-1}));
  EXPECT_EQ(ConstInput(graph, *tail, 2), (std::vector<int64_t>{-2}));
  EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{6, 4}));
}

TEST(Pad, PaddingsBecomeBeginsThenEnds) {
  TestGraph g;
  g.Placeholder("x", std::vector<int64_t>{3, 4});
  g.IntConst("paddings", {1, 2, 3, 4});
  g.Node("p", "Pad", {"x", "paddings"});
  for (int opset : {13, 18}) {
    auto result = Convert(g, opset);
    ASSERT_TRUE(result.ok()) << result.status();
    const ir::Graph& graph = result->model.graph;
    const ir::Node* pad = FindNode(graph, "Pad");
    ASSERT_NE(pad, nullptr);
    EXPECT_EQ(ConstInput(graph, *pad, 1), (std::vector<int64_t>{1, 3, 2, 4}));
    EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{6, 11})) << opset;
  }
}

}  // namespace
}  // namespace onnxsmith::converter
