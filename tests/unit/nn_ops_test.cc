// The NN op handlers (converter/handlers/nn_ops.cc, conv_ops.cc): that they
// are registered over the whole opset range, and the structure they emit on
// small GraphDefs. Numerics are checked against TensorFlow by the oracle tests.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/registry.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf_converter.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

// clang-format off
const std::vector<std::string> kNnOps = {
    "Conv2D", "Conv3D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "Conv3DBackpropInputV2",
    "MaxPool", "MaxPoolV2", "AvgPool", "MaxPool3D", "AvgPool3D",
    "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", "BiasAdd", "BiasAddV1",
    "Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Softsign",
    "Softmax", "LogSoftmax", "LRN"};
// clang-format on

TEST(NnOpsRegistry, EveryOpConvertsAtEveryOpset) {
  HandlerRegistry registry;
  RegisterNnOps(registry);
  RegisterConvOps(registry);
  std::vector<int> all;
  for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) all.push_back(opset);
  for (const std::string& op : kNnOps) {
    EXPECT_EQ(registry.SupportedOpsets(op), all) << op;
  }
}

// --- a small GraphDef builder ---

class GraphBuilderForTest {
 public:
  tf::NodeDef* Placeholder(const std::string& name, const std::vector<int64_t>& dims,
                           tf::DataType dtype = tf::DT_FLOAT) {
    tf::NodeDef* n = Node(name, "Placeholder", {});
    (*n->mutable_attr())["dtype"].set_type(dtype);
    auto* shape = (*n->mutable_attr())["shape"].mutable_shape();
    for (int64_t d : dims) shape->add_dim()->set_size(d);
    return n;
  }

  tf::NodeDef* FloatConst(const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<float>& values) {
    tf::NodeDef* n = Node(name, "Const", {});
    (*n->mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
    tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
    t->set_dtype(tf::DT_FLOAT);
    for (int64_t d : dims) t->mutable_tensor_shape()->add_dim()->set_size(d);
    for (float v : values) t->add_float_val(v);
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

  tf::NodeDef* Node(const std::string& name, const std::string& op,
                    const std::vector<std::string>& inputs) {
    tf::NodeDef* n = graph_.add_node();
    n->set_name(name);
    n->set_op(op);
    for (const std::string& in : inputs) n->add_input(in);
    if (op != "Placeholder" && op != "Const") (*n->mutable_attr())["T"].set_type(tf::DT_FLOAT);
    return n;
  }

  const tf::GraphDef& graph() const { return graph_; }

 private:
  tf::GraphDef graph_;
};

void SetInts(tf::NodeDef* n, const std::string& name, const std::vector<int64_t>& values) {
  auto* list = (*n->mutable_attr())[name].mutable_list();
  for (int64_t v : values) list->add_i(v);
}
void SetString(tf::NodeDef* n, const std::string& name, const std::string& value) {
  (*n->mutable_attr())[name].set_s(value);
}

// Converts and, at opsets libonnx knows, runs ONNX's checker and strict shape
// inference on the result, so that a wrong attribute fails the test too.
absl::StatusOr<ConversionResult> Convert(const GraphBuilderForTest& g, int opset = kDefaultOpset) {
  ConvertOptions options;
  options.opset = opset;
  auto result = ConvertGraphDef(g.graph(), options);
  if (!result.ok() || opset > ir::kMaxCheckerOpset) return result;
  onnx::ModelProto proto = ir::ToModelProto(result->model);
  auto report = ir::ValidateModel(&proto);
  if (!report.ok()) {
    return absl::InternalError(absl::StrCat("invalid ONNX: ", report.status().message()));
  }
  return result;
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

std::vector<int64_t> IntsAttr(const ir::Node& node, const std::string& name) {
  const ir::Attribute* a = node.FindAttr(name);
  return a ? a->ints : std::vector<int64_t>{};
}

// Static dims of the graph's only output (-1 where unknown).
std::vector<int64_t> OutputDims(const ir::Graph& graph) {
  std::vector<int64_t> dims;
  if (graph.outputs.size() != 1 || !graph.outputs[0].type.shape) return dims;
  for (const ir::Dim& d : *graph.outputs[0].type.shape) dims.push_back(d.size);
  return dims;
}

std::vector<float> Iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

// --- Conv2D ---

TEST(NnOpsConvert, NhwcConv2DTransposesAroundConvWithOihwWeight) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 8, 8, 2});
  g.FloatConst("w", {3, 3, 2, 4}, Iota(3 * 3 * 2 * 4));
  tf::NodeDef* conv = g.Node("conv", "Conv2D", {"x", "w"});
  SetInts(conv, "strides", {1, 2, 2, 1});
  SetString(conv, "padding", "SAME");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Transpose", "Conv", "Transpose"}));

  const ir::Node* node = FindNode(graph, "Conv");
  ASSERT_NE(node, nullptr);
  const ir::Tensor* w = graph.FindInitializer(node->inputs[1]);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dims(), (std::vector<int64_t>{4, 2, 3, 3}));
  // OIHW[o][i][h][w] = HWIO[h][w][i][o]: element [3][1][2][0] = HWIO[2][0][1][3].
  const auto values = w->data<float>();
  EXPECT_EQ(values[((3 * 2 + 1) * 3 + 2) * 3 + 0],
            static_cast<float>(((2 * 3 + 0) * 2 + 1) * 4 + 3));
  // in 8, stride 2, kernel 3: TF pads 1 in total, at the end.
  EXPECT_EQ(IntsAttr(*node, "pads"), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(IntsAttr(*node, "strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(IntsAttr(*graph.nodes[0], "perm"), (std::vector<int64_t>{0, 3, 1, 2}));
  EXPECT_EQ(IntsAttr(*graph.nodes[2], "perm"), (std::vector<int64_t>{0, 2, 3, 1}));
  EXPECT_EQ(OutputDims(graph), (std::vector<int64_t>{1, 4, 4, 4}));
}

TEST(NnOpsConvert, SameConvOnUnknownSizeUsesSameUpper) {
  GraphBuilderForTest g;
  g.Placeholder("x", {-1, -1, -1, 2});
  g.FloatConst("w", {3, 3, 2, 1}, Iota(18));
  tf::NodeDef* conv = g.Node("conv", "Conv2D", {"x", "w"});
  SetInts(conv, "strides", {1, 2, 2, 1});
  SetString(conv, "padding", "SAME");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Node* node = FindNode(result->model.graph, "Conv");
  ASSERT_NE(node, nullptr);
  const ir::Attribute* auto_pad = node->FindAttr("auto_pad");
  ASSERT_NE(auto_pad, nullptr);
  EXPECT_EQ(auto_pad->s, "SAME_UPPER");
  EXPECT_EQ(node->FindAttr("pads"), nullptr);
}

TEST(NnOpsConvert, NchwConv2DNeedsNoTranspose) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 2, 5, 5});
  g.FloatConst("w", {3, 3, 2, 4}, Iota(72));
  tf::NodeDef* conv = g.Node("conv", "Conv2D", {"x", "w"});
  SetInts(conv, "strides", {1, 1, 1, 1});
  SetInts(conv, "dilations", {1, 1, 2, 2});
  SetString(conv, "padding", "SAME");
  SetString(conv, "data_format", "NCHW");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(OpTypes(result->model.graph), (std::vector<std::string>{"Conv"}));
  const ir::Node* node = FindNode(result->model.graph, "Conv");
  // Stride 1, dilated kernel 5: 4 in total.
  EXPECT_EQ(IntsAttr(*node, "pads"), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(IntsAttr(*node, "dilations"), (std::vector<int64_t>{2, 2}));
}

TEST(NnOpsConvert, ConvStridingOverChannelsIsUnsupported) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 8, 8, 2});
  g.FloatConst("w", {1, 1, 2, 2}, Iota(4));
  tf::NodeDef* conv = g.Node("conv", "Conv2D", {"x", "w"});
  SetInts(conv, "strides", {1, 1, 1, 2});
  SetString(conv, "padding", "VALID");
  auto result = Convert(g);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnimplemented) << result.status();
}

TEST(NnOpsConvert, DepthwiseConvIsGroupedConv) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 6, 6, 3});
  g.FloatConst("w", {3, 3, 3, 2}, Iota(54));
  tf::NodeDef* conv = g.Node("dw", "DepthwiseConv2dNative", {"x", "w"});
  SetInts(conv, "strides", {1, 1, 1, 1});
  SetString(conv, "padding", "VALID");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  const ir::Node* node = FindNode(graph, "Conv");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->GetInt("group", 1), 3);
  const ir::Tensor* w = graph.FindInitializer(node->inputs[1]);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dims(), (std::vector<int64_t>{6, 1, 3, 3}));
  // Output channel c*mult+m = 2*2+1 = 5 at (h=1, w=2) is TF's [1][2][2][1].
  EXPECT_EQ(w->data<float>()[5 * 9 + 1 * 3 + 2], static_cast<float>(((1 * 3 + 2) * 3 + 2) * 2 + 1));
}

// --- Conv2DBackpropInput ---

const ir::Node* ConvTransposeFor(GraphBuilderForTest& g, const std::string& padding,
                                 absl::StatusOr<ConversionResult>* result) {
  g.IntConst("sizes", {1, 8, 8, 2});
  g.FloatConst("w", {3, 3, 2, 4}, Iota(72));
  tf::NodeDef* n = g.Node("deconv", "Conv2DBackpropInput", {"sizes", "w", "dy"});
  SetInts(n, "strides", {1, 2, 2, 1});
  SetString(n, "padding", padding);
  *result = Convert(g);
  if (!result->ok()) return nullptr;
  return FindNode((*result)->model.graph, "ConvTranspose");
}

TEST(NnOpsConvert, Conv2DBackpropInputSamePadsToInputSizes) {
  GraphBuilderForTest g;
  g.Placeholder("dy", {1, 4, 4, 4});
  absl::StatusOr<ConversionResult> result;
  const ir::Node* node = ConvTransposeFor(g, "SAME", &result);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_NE(node, nullptr);
  // Full output 2*3+3 = 9; TF's SAME pad of 1 sits at the end.
  EXPECT_EQ(IntsAttr(*node, "pads"), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(node->FindAttr("output_padding"), nullptr);
  EXPECT_EQ(OutputDims(result->model.graph), (std::vector<int64_t>{1, 8, 8, 2}));
  const ir::Tensor* w = result->model.graph.FindInitializer(node->inputs[1]);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dims(), (std::vector<int64_t>{4, 2, 3, 3}));
}

TEST(NnOpsConvert, Conv2DBackpropInputValidUsesOutputPadding) {
  GraphBuilderForTest g;
  g.Placeholder("dy", {1, 3, 3, 4});
  absl::StatusOr<ConversionResult> result;
  const ir::Node* node = ConvTransposeFor(g, "VALID", &result);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_NE(node, nullptr);
  // Full output 2*2+3 = 7, one short of 8: the last row the forward conv skipped.
  EXPECT_EQ(IntsAttr(*node, "pads"), (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(IntsAttr(*node, "output_padding"), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(OutputDims(result->model.graph), (std::vector<int64_t>{1, 8, 8, 2}));
}

TEST(NnOpsConvert, Conv2DBackpropInputRejectsMismatchedGradient) {
  GraphBuilderForTest g;
  g.Placeholder("dy", {1, 5, 5, 4});
  absl::StatusOr<ConversionResult> result;
  ConvTransposeFor(g, "SAME", &result);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
}

// --- pooling ---

TEST(NnOpsConvert, AvgPoolSameExcludesPadding) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 5, 5, 3});
  tf::NodeDef* pool = g.Node("pool", "AvgPool", {"x"});
  SetInts(pool, "ksize", {1, 2, 2, 1});
  SetInts(pool, "strides", {1, 2, 2, 1});
  SetString(pool, "padding", "SAME");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(OpTypes(result->model.graph),
            (std::vector<std::string>{"Transpose", "AveragePool", "Transpose"}));
  const ir::Node* node = FindNode(result->model.graph, "AveragePool");
  EXPECT_EQ(node->GetInt("count_include_pad", 1), 0);
  EXPECT_EQ(IntsAttr(*node, "pads"), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(IntsAttr(*node, "kernel_shape"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(OutputDims(result->model.graph), (std::vector<int64_t>{1, 3, 3, 3}));
}

TEST(NnOpsConvert, MaxPoolV2TakesWindowFromInputs) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 6, 6, 3});
  g.IntConst("k", {1, 3, 3, 1});
  g.IntConst("s", {1, 2, 2, 1});
  tf::NodeDef* pool = g.Node("pool", "MaxPoolV2", {"x", "k", "s"});
  SetString(pool, "padding", "VALID");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Node* node = FindNode(result->model.graph, "MaxPool");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(IntsAttr(*node, "kernel_shape"), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(IntsAttr(*node, "strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(IntsAttr(*node, "pads"), (std::vector<int64_t>{0, 0, 0, 0}));
}

TEST(NnOpsConvert, Int32MaxPoolRunsInDouble) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 4, 4, 1}, tf::DT_INT32);
  tf::NodeDef* pool = g.Node("pool", "MaxPool", {"x"});
  (*pool->mutable_attr())["T"].set_type(tf::DT_INT32);
  SetInts(pool, "ksize", {1, 2, 2, 1});
  SetInts(pool, "strides", {1, 2, 2, 1});
  SetString(pool, "padding", "VALID");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(OpTypes(result->model.graph),
            (std::vector<std::string>{"Transpose", "Cast", "MaxPool", "Cast", "Transpose"}));
}

// --- FusedBatchNorm ---

TEST(NnOpsConvert, FusedBatchNormWithConstantsFoldsToMulAdd) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 4, 4, 2});
  g.FloatConst("gamma", {2}, {2.0f, 1.0f});
  g.FloatConst("beta", {2}, {0.5f, -1.0f});
  g.FloatConst("mean", {2}, {1.0f, 3.0f});
  g.FloatConst("var", {2}, {4.0f, 0.25f});
  tf::NodeDef* bn = g.Node("bn", "FusedBatchNormV3", {"x", "gamma", "beta", "mean", "var"});
  (*bn->mutable_attr())["U"].set_type(tf::DT_FLOAT);
  (*bn->mutable_attr())["epsilon"].set_f(0.0f);
  (*bn->mutable_attr())["is_training"].set_b(false);

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Mul", "Add"}));
  const ir::Tensor* scale = graph.FindInitializer(FindNode(graph, "Mul")->inputs[1]);
  const ir::Tensor* shift = graph.FindInitializer(FindNode(graph, "Add")->inputs[1]);
  ASSERT_NE(scale, nullptr);
  ASSERT_NE(shift, nullptr);
  EXPECT_EQ(scale->dims(), (std::vector<int64_t>{2}));
  EXPECT_FLOAT_EQ(scale->data<float>()[0], 1.0f);   // 2 / sqrt(4)
  EXPECT_FLOAT_EQ(scale->data<float>()[1], 2.0f);   // 1 / sqrt(0.25)
  EXPECT_FLOAT_EQ(shift->data<float>()[0], -0.5f);  // 0.5 - 1 * 1
  EXPECT_FLOAT_EQ(shift->data<float>()[1], -7.0f);  // -1 - 3 * 2
}

TEST(NnOpsConvert, NchwFusedBatchNormBroadcastsOverChannelAxis) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 2, 4, 4});
  for (const char* name : {"gamma", "beta", "mean", "var"}) g.FloatConst(name, {2}, {1.0f, 1.0f});
  tf::NodeDef* bn = g.Node("bn", "FusedBatchNorm", {"x", "gamma", "beta", "mean", "var"});
  SetString(bn, "data_format", "NCHW");
  (*bn->mutable_attr())["is_training"].set_b(false);

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  const ir::Tensor* scale = graph.FindInitializer(FindNode(graph, "Mul")->inputs[1]);
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->dims(), (std::vector<int64_t>{2, 1, 1}));
}

TEST(NnOpsConvert, FusedBatchNormWithRuntimeStatisticsUsesBatchNormalization) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 4, 4, 2});
  for (const char* name : {"gamma", "beta", "mean"}) g.FloatConst(name, {2}, {1.0f, 1.0f});
  g.Placeholder("var", {2});
  tf::NodeDef* bn = g.Node("bn", "FusedBatchNormV3", {"x", "gamma", "beta", "mean", "var"});
  (*bn->mutable_attr())["is_training"].set_b(false);

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(OpTypes(result->model.graph),
            (std::vector<std::string>{"Transpose", "BatchNormalization", "Transpose"}));
}

// Training mode normalizes with the batch's moments, computed in the graph
// (the oracle test compares the values with TF).
TEST(NnOpsConvert, FusedBatchNormInTrainingModeUsesBatchMoments) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 4, 4, 2});
  for (const char* name : {"gamma", "beta", "mean", "var"}) g.FloatConst(name, {2}, {1.0f, 1.0f});
  g.Node("bn", "FusedBatchNorm",
         {"x", "gamma", "beta", "mean", "var"});  // is_training defaults to true
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<std::string> ops = OpTypes(result->model.graph);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "ReduceMean"), 2);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "BatchNormalization"), 0);
}

// --- BiasAdd and activations ---

TEST(NnOpsConvert, NchwBiasAddReshapesConstantBias) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 3, 4, 4});
  g.FloatConst("b", {3}, {1.0f, 2.0f, 3.0f});
  tf::NodeDef* add = g.Node("add", "BiasAdd", {"x", "b"});
  SetString(add, "data_format", "NCHW");

  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  EXPECT_EQ(OpTypes(graph), (std::vector<std::string>{"Add"}));
  const ir::Tensor* bias = graph.FindInitializer(graph.nodes[0]->inputs[1]);
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->dims(), (std::vector<int64_t>{3, 1, 1}));
}

TEST(NnOpsConvert, Relu6IsClipWithTypedBounds) {
  GraphBuilderForTest g;
  g.Placeholder("x", {2, 3});
  g.Node("r", "Relu6", {"x"});
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& graph = result->model.graph;
  const ir::Node* clip = FindNode(graph, "Clip");
  ASSERT_NE(clip, nullptr);
  ASSERT_EQ(clip->inputs.size(), 3u);
  const ir::Tensor* hi = graph.FindInitializer(clip->inputs[2]);
  ASSERT_NE(hi, nullptr);
  EXPECT_EQ(hi->dtype(), ir::DataType::kFloat);
  EXPECT_FLOAT_EQ(hi->data<float>()[0], 6.0f);
}

TEST(NnOpsConvert, LeakyReluKeepsTfDefaultAlpha) {
  GraphBuilderForTest g;
  g.Placeholder("x", {2, 3});
  g.Node("r", "LeakyRelu", {"x"});
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Node* node = FindNode(result->model.graph, "LeakyRelu");
  ASSERT_NE(node, nullptr);
  ASSERT_NE(node->FindAttr("alpha"), nullptr);
  EXPECT_FLOAT_EQ(node->FindAttr("alpha")->f, 0.2f);
}

TEST(NnOpsConvert, IntegerReluAtOpset13IsMax) {
  GraphBuilderForTest g;
  g.Placeholder("x", {4}, tf::DT_INT32);
  tf::NodeDef* relu = g.Node("r", "Relu", {"x"});
  (*relu->mutable_attr())["T"].set_type(tf::DT_INT32);
  auto at13 = Convert(g, 13);
  ASSERT_TRUE(at13.ok()) << at13.status();
  EXPECT_EQ(OpTypes(at13->model.graph), (std::vector<std::string>{"Max"}));
  auto at14 = Convert(g, 14);
  ASSERT_TRUE(at14.ok()) << at14.status();
  EXPECT_EQ(OpTypes(at14->model.graph), (std::vector<std::string>{"Relu"}));
}

TEST(NnOpsConvert, LrnScalesAlphaBySize) {
  GraphBuilderForTest g;
  g.Placeholder("x", {1, 4, 4, 8});
  tf::NodeDef* lrn = g.Node("lrn", "LRN", {"x"});
  (*lrn->mutable_attr())["depth_radius"].set_i(2);
  (*lrn->mutable_attr())["alpha"].set_f(0.1f);
  auto result = Convert(g);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Node* node = FindNode(result->model.graph, "LRN");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->GetInt("size", 0), 5);
  EXPECT_FLOAT_EQ(node->FindAttr("alpha")->f, 0.5f);
}

TEST(NnOpsConvert, ActivationsConvertAtEveryOpset) {
  for (const char* op :
       {"Elu", "Selu", "Sigmoid", "Tanh", "Softplus", "Softsign", "Softmax", "LogSoftmax"}) {
    for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) {
      GraphBuilderForTest g;
      g.Placeholder("x", {2, 3});
      g.Node("a", op, {"x"});
      auto result = Convert(g, opset);
      ASSERT_TRUE(result.ok()) << op << " at " << opset << ": " << result.status();
      EXPECT_EQ(OpTypes(result->model.graph), (std::vector<std::string>{op})) << op;
    }
  }
}

}  // namespace
}  // namespace onnxsmith::converter
