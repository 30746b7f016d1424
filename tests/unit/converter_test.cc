#include "converter/handlers/registry.h"
#include "converter/tf/graphdef_reader.h"
#include "converter/tf_converter.h"
#include "gtest/gtest.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::converter {
namespace {

tf::GraphDef Parse(const std::string& text) {
  auto g = ParseGraphDef(text, "test.pbtxt");
  EXPECT_TRUE(g.ok()) << g.status();
  return g.ok() ? *g : tf::GraphDef();
}

constexpr char kReluGraph[] = R"pb(
  node {
    name: "x" op: "Placeholder"
    attr { key: "dtype" value { type: DT_FLOAT } }
    attr { key: "shape" value { shape { dim { size: -1 } dim { size: 4 } } } }
  }
  node { name: "id" op: "Identity" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "y" op: "Relu" input: "id" input: "^x" attr { key: "T" value { type: DT_FLOAT } } }
  node { name: "unused" op: "Neg" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
)pb";

TEST(ConverterTest, ConvertsPrunesAndNamesAfterTf) {
  ConvertOptions options;
  options.outputs = {TensorSpec{"y", 0, {}}};
  auto result = ConvertGraphDef(Parse(kReluGraph), options);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& g = result->model.graph;
  ASSERT_EQ(g.nodes.size(), 1u);  // Identity and the unused Neg are gone
  EXPECT_EQ(g.nodes[0]->op_type, "Relu");
  EXPECT_EQ(g.inputs[0].name, "x:0");
  EXPECT_EQ(g.outputs[0].name, "y:0");
  EXPECT_EQ(g.outputs[0].type.dtype, ir::DataType::kFloat);
  onnx::ModelProto proto = ir::ToModelProto(result->model);
  auto report = ir::ValidateModel(&proto);
  EXPECT_TRUE(report.ok()) << report.status();
}

TEST(ConverterTest, DefaultOutputsAreSinks) {
  auto result = ConvertGraphDef(Parse(kReluGraph), ConvertOptions{});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->model.graph.outputs.size(), 2u);  // y and unused
}

TEST(ConverterTest, ShapeOverrideAndNchwInput) {
  constexpr char kConv[] = R"pb(
    node { name: "img" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "r" op: "Relu" input: "img" attr { key: "T" value { type: DT_FLOAT } } }
  )pb";
  ConvertOptions options;
  options.inputs = {TensorSpec{"img", 0, std::vector<int64_t>{1, 8, 8, 3}}};
  options.inputs_as_nchw = {"img:0"};
  auto result = ConvertGraphDef(Parse(kConv), options);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& in = result->model.graph.inputs[0];
  ASSERT_TRUE(in.type.shape.has_value());
  EXPECT_EQ((*in.type.shape)[1].size, 3);  // NCHW
  EXPECT_EQ(result->model.graph.nodes[0]->op_type, "Transpose");
}

TEST(ConverterTest, UnknownNamesAreErrors) {
  ConvertOptions options;
  options.outputs = {TensorSpec{"nope", 0, {}}};
  auto r = ConvertGraphDef(Parse(kReluGraph), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);
  options.outputs = {TensorSpec{"y", 0, {}}};
  options.inputs = {TensorSpec{"missing_input", 0, {}}};
  r = ConvertGraphDef(Parse(kReluGraph), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing_input"), std::string::npos);
}

TEST(ConverterTest, OpsetOutOfRange) {
  for (int opset : {12, 22}) {
    ConvertOptions options;
    options.opset = opset;
    auto r = ConvertGraphDef(Parse(kReluGraph), options);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("out of range"), std::string::npos);
  }
}

constexpr char kUnsupported[] = R"pb(
  node {
    name: "x" op: "Placeholder"
    attr { key: "dtype" value { type: DT_FLOAT } }
    attr { key: "shape" value { shape { dim { size: 2 } } } }
  }
  node { name: "a" op: "FancyOp" input: "x" }
  node { name: "b" op: "FancyOp" input: "a" }
  node { name: "c" op: "OtherOp" input: "b" attr { key: "k" value { i: 3 } } }
)pb";

TEST(ConverterTest, AllUnsupportedOpsInOneMessage) {
  auto r = ConvertGraphDef(Parse(kUnsupported), ConvertOptions{});
  ASSERT_FALSE(r.ok());
  const std::string msg(r.status().message());
  EXPECT_NE(msg.find("2 unsupported TensorFlow op types"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FancyOp x2 (a, b)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("OtherOp x1 (c)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--custom-ops FancyOp,OtherOp"), std::string::npos) << msg;
}

TEST(ConverterTest, CustomOpsPassThrough) {
  ConvertOptions options;
  options.custom_ops = {{"FancyOp", "my.domain"}, {"OtherOp", kDefaultCustomDomain}};
  auto r = ConvertGraphDef(Parse(kUnsupported), options);
  ASSERT_TRUE(r.ok()) << r.status();
  const ir::Model& m = r->model;
  ASSERT_EQ(m.graph.nodes.size(), 3u);
  EXPECT_EQ(m.graph.nodes[0]->domain, "my.domain");
  EXPECT_EQ(m.graph.nodes[2]->GetInt("k", 0), 3);
  EXPECT_EQ(m.opset_imports.at("my.domain"), 1);
}

TEST(ConverterTest, UnknownRankInputAsksForAShape) {
  constexpr char kNoShape[] = R"pb(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "y" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  )pb";
  auto r = ConvertGraphDef(Parse(kNoShape), ConvertOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--inputs x:0["), std::string::npos) << r.status();
  ConvertOptions options;
  options.inputs = {TensorSpec{"x", 0, std::vector<int64_t>{3, -1}}};
  r = ConvertGraphDef(Parse(kNoShape), options);
  ASSERT_TRUE(r.ok()) << r.status();
}

TEST(ConverterTest, CycleIsReportedNotCrashed) {
  constexpr char kCycle[] = R"pb(
    node { name: "a" op: "Relu" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "b" op: "Relu" input: "a" attr { key: "T" value { type: DT_FLOAT } } }
    node { name: "out" op: "Neg" input: "b" attr { key: "T" value { type: DT_FLOAT } } }
  )pb";
  auto r = ConvertGraphDef(Parse(kCycle), ConvertOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cycle"), std::string::npos);
}

TEST(ConverterTest, DanglingInputIsAnError) {
  constexpr char kDangling[] = R"pb(
    node { name: "y" op: "Relu" input: "ghost:0" attr { key: "T" value { type: DT_FLOAT } } }
  )pb";
  auto r = ConvertGraphDef(Parse(kDangling), ConvertOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ghost"), std::string::npos);
}

TEST(RegistryTest, FirstHandlerSetCoversEveryOpset) {
  const HandlerRegistry& r = HandlerRegistry::Global();
  for (const char* op :
       {"Placeholder", "PlaceholderWithDefault", "Const", "Identity", "NoOp", "MatMul",
        "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "BiasAdd", "Add", "AddV2", "Sub", "Mul",
        "RealDiv", "Maximum", "Minimum", "Pow", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Neg",
        "Abs", "Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus",
        "Softmax", "LogSoftmax", "Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool",
        "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3", "Reshape", "Shape",
        "StridedSlice", "Slice", "Pack", "Unpack", "ConcatV2", "Mean", "Sum", "Max", "Min", "Prod",
        "Squeeze", "ExpandDims", "Transpose", "Pad", "PadV2", "MirrorPad", "Cast", "Fill", "Range",
        "Tile", "GatherV2", "ArgMax", "ArgMin", "Where", "Select", "SelectV2", "Equal", "NotEqual",
        "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr", "LogicalNot"}) {
    EXPECT_EQ(r.SupportedOpsets(op).size(), static_cast<size_t>(kMaxOpset - kMinOpset + 1))
        << op;
  }
}

TEST(RegistryTest, PicksNewestVersionNotAboveOpset) {
  HandlerRegistry r;
  ConvertFn v13 = [](NodeContext&) { return absl::OkStatus(); };
  ConvertFn v18 = [](NodeContext&) { return absl::InternalError("18"); };
  r.Register({"Op"}, 13, Inputs(1), v13);
  r.Register({"Op"}, 18, Inputs(1), v18);
  EXPECT_EQ(r.Find("Op", 17), v13);
  EXPECT_EQ(r.Find("Op", 18), v18);
  EXPECT_EQ(r.Find("Op", 21), v18);
  EXPECT_EQ(r.Find("Op", 12), nullptr);
  EXPECT_EQ(r.Find("Nope", 17), nullptr);
  EXPECT_TRUE(r.status().ok());
}

// Every family registers without a duplicate (a programming error caught here,
// not at conversion time).
TEST(RegistryTest, BuiltInFamiliesHaveNoDuplicates) {
  auto built = HandlerRegistry::Build(HandlerFamilies());
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(HandlerRegistry::Global().status().ok());
  EXPECT_EQ(built->Ops(), HandlerRegistry::Global().Ops());
  for (const std::string& op : built->Ops()) {
    const HandlerVersion* v = built->Lookup(op, kMaxOpset);
    ASSERT_NE(v, nullptr) << op;
    EXPECT_LE(v->inputs.min, v->inputs.max) << op;
  }
}

TEST(RegistryTest, RejectsADuplicateAndKeepsTheFirst) {
  HandlerRegistry r;
  ConvertFn first = [](NodeContext&) { return absl::OkStatus(); };
  ConvertFn second = [](NodeContext&) { return absl::InternalError("second"); };
  r.Register({"Op"}, 13, Inputs(1), first);
  r.Register({"Other", "Op"}, 13, Inputs(2), second);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("'Op'"), std::string::npos);
  EXPECT_EQ(r.Find("Op", 13), first);
  EXPECT_EQ(r.Lookup("Op", 13)->inputs.max, 1);
  EXPECT_EQ(r.Find("Other", 13), second);

  auto register_x = [](HandlerRegistry& reg) { reg.Register({"X"}, 13, Inputs(0), nullptr); };
  const HandlerFamily twice[] = {{"a", register_x}, {"b", register_x}};
  EXPECT_FALSE(HandlerRegistry::Build(twice).ok());
}

TEST(RegistryTest, ArityIsCheckedBeforeTheHandlerRuns) {
  // A MaxPool that lost its input: an error naming the node, not a crash.
  constexpr char kNoInput[] = R"pb(
    node {
      name: "pool"
      op: "MaxPool"
      attr { key: "T" value { type: DT_FLOAT } }
      attr { key: "ksize" value { list { i: 1 i: 2 i: 2 i: 1 } } }
      attr { key: "strides" value { list { i: 1 i: 2 i: 2 i: 1 } } }
      attr { key: "padding" value { s: "VALID" } }
    }
  )pb";
  auto r = ConvertGraphDef(Parse(kNoInput), ConvertOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node 'pool' (MaxPool): expects 1 data input, got 0"),
            std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace onnxsmith::converter
