// Keras -> ONNX conversion on small fixtures: Sequential (.h5 and .keras),
// Functional with two inputs/outputs, a shared layer and a nested model (both
// inbound-node forms), numbers on the reference evaluator, and the clear errors
// for Lambda, custom and not-yet-supported layers.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "converter/handlers/registry.h"
#include "converter/io_spec.h"
#include "converter/keras/keras_converter.h"
#include "converter/keras/keras_file.h"
#include "converter/keras/keras_test_fixtures.h"
#include "converter/keras/layer_registry.h"
#include "evaluator/evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::converter::keras {
namespace {

using ::onnxsmith::keras_test::H5Writer;
using ::onnxsmith::keras_test::MetadataJson;
using ::onnxsmith::keras_test::ReadAll;
using ::onnxsmith::keras_test::Ramp;
using ::onnxsmith::keras_test::TempPath;
using ::onnxsmith::keras_test::WriteMlpH5;
using ::onnxsmith::keras_test::WriteMlpKeras;
using ::onnxsmith::keras_test::WriteZip;
using ::testing::HasSubstr;

std::map<std::string, int> OpHistogram(const ir::Graph& g) {
  std::map<std::string, int> h;
  for (const auto& n : g.nodes) ++h[n->op_type];
  return h;
}

void ExpectValid(const ir::Model& model) {
  onnx::ModelProto proto = ir::ToModelProto(model);
  auto report = ir::ValidateModel(&proto);
  EXPECT_TRUE(report.ok()) << report.status();
}

std::vector<std::string> InputNames(const ir::Graph& g) {
  std::vector<std::string> names;
  for (const auto& i : g.inputs) names.push_back(i.name);
  return names;
}

std::vector<std::string> OutputNames(const ir::Graph& g) {
  std::vector<std::string> names;
  for (const auto& o : g.outputs) names.push_back(o.name);
  return names;
}

// Writes a .keras archive of `config` with `weights` ((h5 path, dims, values)).
struct V3Var {
  std::string path;
  std::vector<hsize_t> dims;
  std::vector<float> values;
};
std::string WriteKeras3(const std::string& config, const std::vector<V3Var>& vars,
                        const std::vector<std::pair<std::string, std::string>>& names = {}) {
  const std::string path = TempPath("model.keras");
  const std::string weights = path + ".w.h5";
  {
    H5Writer w(weights);
    w.Group("layers");
    for (const auto& [group, name] : names) {
      w.Group(group);
      w.StringAttr(group, "name", name);
    }
    for (const V3Var& v : vars) w.Floats(v.path, v.dims, v.values);
  }
  EXPECT_TRUE(WriteZip(path, {{"metadata.json", MetadataJson()},
                              {"config.json", config},
                              {"model.weights.h5", ReadAll(weights)}}));
  return path;
}

TEST(KerasConverterTest, SequentialH5) {
  const std::string path = TempPath("mlp.h5");
  WriteMlpH5(path);
  ConvertOptions options;
  auto result = ConvertKeras(path, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& g = result->model.graph;
  EXPECT_EQ(InputNames(g), std::vector<std::string>{"dense_input"});
  EXPECT_EQ(OutputNames(g), std::vector<std::string>{"dense_1"});
  auto ops = OpHistogram(g);
  EXPECT_EQ(ops["MatMul"], 2);
  EXPECT_EQ(ops["Relu"], 1);
  EXPECT_EQ(ops["Softmax"], 1);
  EXPECT_EQ(result->stats.tf_ops.at("Dense"), 2);
  EXPECT_EQ(result->model.opset(), 17);
  ExpectValid(result->model);
}

TEST(KerasConverterTest, SequentialKeras3Archive) {
  const std::string path = TempPath("mlp.keras");
  ASSERT_TRUE(WriteMlpKeras(path));
  for (int opset : {kMinOpset, 17}) {
    ConvertOptions options;
    options.opset = opset;
    auto result = ConvertKeras(path, options);
    ASSERT_TRUE(result.ok()) << result.status();
    const ir::Graph& g = result->model.graph;
    EXPECT_EQ(InputNames(g), std::vector<std::string>{"input_layer"});
    EXPECT_EQ(OutputNames(g), std::vector<std::string>{"dense_1"});
    ExpectValid(result->model);
  }
}

TEST(KerasConverterTest, DenseNumbers) {
  // Dense(4, relu) -> Dense(2, linear) computed by hand.
  std::string config = keras_test::MlpConfigKeras2();
  config.replace(config.find("softmax"), 7, "linear");
  const std::string path = TempPath("mlp_linear.h5");
  WriteMlpH5(path, config);
  auto result = ConvertKeras(path, ConvertOptions{});
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<float> xv = {0.5, -1.0, 2.0, 1.5, 0.25, -0.75};
  auto ev = evaluator::Evaluator::Create(result->model);
  ASSERT_TRUE(ev.ok()) << ev.status();
  auto out = ev->Run({{"dense_input", ir::Tensor::FromVector<float>({2, 3}, xv)}});
  ASSERT_TRUE(out.ok()) << out.status();
  const auto k1 = Ramp(12, 0.1f), b1 = Ramp(4, 0.01f), k2 = Ramp(8, 0.2f), b2 = Ramp(2, 0.01f);
  ASSERT_EQ(ev->output_names(), std::vector<std::string>{"dense_1"});
  const ir::Tensor& y = (*out)[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 2}));
  const auto yv = y.data<float>();
  for (int r = 0; r < 2; ++r) {
    double h[4];
    for (int j = 0; j < 4; ++j) {
      double s = b1[j];
      for (int i = 0; i < 3; ++i) s += xv[r * 3 + i] * k1[i * 4 + j];
      h[j] = s > 0 ? s : 0;
    }
    for (int j = 0; j < 2; ++j) {
      double s = b2[j];
      for (int i = 0; i < 4; ++i) s += h[i] * k2[i * 2 + j];
      EXPECT_NEAR(yv[r * 2 + j], s, 1e-5);
    }
  }
}

// Two inputs, a Dense shared by both, Concatenate, Add, a nested Sequential;
// Keras 3 inbound nodes.
const char kFunctionalKeras3[] = R"({"module": "keras.src.models.functional", "class_name": "Functional",
 "config": {"name": "functional", "layers": [
  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8], "dtype": "float32", "name": "a"}, "name": "a", "inbound_nodes": []},
  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8], "dtype": "float32", "name": "b"}, "name": "b", "inbound_nodes": []},
  {"module": "keras.layers", "class_name": "Dense", "config": {"name": "shared", "units": 4, "activation": "tanh"}, "name": "shared",
   "inbound_nodes": [
     {"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8], "dtype": "float32", "keras_history": ["a", 0, 0]}}], "kwargs": {}},
     {"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 8], "dtype": "float32", "keras_history": ["b", 0, 0]}}], "kwargs": {}}]},
  {"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "concatenate", "axis": -1}, "name": "concatenate",
   "inbound_nodes": [{"args": [[
     {"class_name": "__keras_tensor__", "config": {"keras_history": ["shared", 0, 0]}},
     {"class_name": "__keras_tensor__", "config": {"keras_history": ["shared", 1, 0]}}]], "kwargs": {}}]},
  {"module": "keras.layers", "class_name": "Add", "config": {"name": "add"}, "name": "add",
   "inbound_nodes": [{"args": [[
     {"class_name": "__keras_tensor__", "config": {"keras_history": ["shared", 0, 0]}},
     {"class_name": "__keras_tensor__", "config": {"keras_history": ["shared", 1, 0]}}]], "kwargs": {}}]},
  {"module": "keras.layers", "class_name": "Dense", "config": {"name": "o1", "units": 2, "activation": "linear"}, "name": "o1",
   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["concatenate", 0, 0]}}], "kwargs": {}}]},
  {"module": "keras", "class_name": "Sequential", "config": {"name": "inner", "layers": [
     {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "name": "input_layer_1"}},
     {"module": "keras.layers", "class_name": "Dense", "config": {"name": "in_d", "units": 3, "activation": "linear"}}]},
   "name": "inner",
   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["add", 0, 0]}}], "kwargs": {"mask": null}}]}],
 "input_layers": [["a", 0, 0], ["b", 0, 0]],
 "output_layers": [["o1", 0, 0], ["inner", 0, 0]]}})";

TEST(KerasConverterTest, FunctionalSharedNestedKeras3) {
  const std::string path = WriteKeras3(
      kFunctionalKeras3,
      {{"layers/dense/vars/0", {8, 4}, Ramp(32, 0.1f)},
       {"layers/dense/vars/1", {4}, Ramp(4, 0.1f)},
       {"layers/dense_1/vars/0", {8, 2}, Ramp(16, 0.1f)},
       {"layers/dense_1/vars/1", {2}, Ramp(2, 0.1f)},
       {"layers/sequential/layers/dense/vars/0", {4, 3}, Ramp(12, 0.1f)},
       {"layers/sequential/layers/dense/vars/1", {3}, Ramp(3, 0.1f)}},
      {{"layers/dense/vars", "shared"},
       {"layers/dense_1/vars", "o1"},
       {"layers/sequential/vars", "inner"},
       {"layers/sequential/layers/dense/vars", "in_d"}});
  auto file = ReadKeras(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->weights.count("inner/in_d"), 1u);
  auto result = ConvertKerasModel(*file, ConvertOptions{});
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& g = result->model.graph;
  EXPECT_EQ(InputNames(g), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(OutputNames(g), (std::vector<std::string>{"o1", "inner"}));
  auto ops = OpHistogram(g);
  EXPECT_EQ(ops["MatMul"], 4);  // shared twice, o1, in_d
  EXPECT_EQ(ops["Concat"], 1);
  EXPECT_EQ(ops["Tanh"], 2);
  // The shared layer's weights are stored once.
  EXPECT_EQ(g.initializers.size(), 6u);
  ExpectValid(result->model);
}

// Keras 2 form of the same graph (inbound_nodes as lists), weights in .h5.
const char kFunctionalKeras2[] = R"({"class_name": "Functional", "config": {"name": "model", "layers": [
  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8], "dtype": "float32", "name": "a"}, "name": "a", "inbound_nodes": []},
  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8], "dtype": "float32", "name": "b"}, "name": "b", "inbound_nodes": []},
  {"class_name": "Dense", "config": {"name": "shared", "units": 4, "activation": "tanh"}, "name": "shared",
   "inbound_nodes": [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]},
  {"class_name": "Subtract", "config": {"name": "sub"}, "name": "sub",
   "inbound_nodes": [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]},
  {"class_name": "Functional", "config": {"name": "inner", "layers": [
     {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "x"}, "name": "x", "inbound_nodes": []},
     {"class_name": "Dense", "config": {"name": "in_d", "units": 3, "activation": "sigmoid"}, "name": "in_d", "inbound_nodes": [[["x", 0, 0, {}]]]}],
     "input_layers": [["x", 0, 0]], "output_layers": [["in_d", 0, 0]]},
   "name": "inner", "inbound_nodes": [[["sub", 0, 0, {}]]]}],
 "input_layers": [["a", 0, 0], ["b", 0, 0]],
 "output_layers": [["inner", 0, 0], ["sub", 0, 0]]}})";

TEST(KerasConverterTest, FunctionalSharedNestedKeras2) {
  const std::string path = TempPath("func.h5");
  {
    H5Writer w(path);
    w.StringAttr(".", "model_config", kFunctionalKeras2);
    w.StringAttr(".", "keras_version", "2.4.0");
    w.Group("model_weights/shared");
    w.StringListAttr("model_weights/shared", "weight_names", {"shared/kernel:0", "shared/bias:0"});
    w.Floats("model_weights/shared/shared/kernel:0", {8, 4}, Ramp(32, 0.1f));
    w.Floats("model_weights/shared/shared/bias:0", {4}, Ramp(4, 0.1f));
    w.Group("model_weights/inner");
    w.StringListAttr("model_weights/inner", "weight_names", {"in_d/kernel:0", "in_d/bias:0"});
    w.Floats("model_weights/inner/in_d/kernel:0", {4, 3}, Ramp(12, 0.1f));
    w.Floats("model_weights/inner/in_d/bias:0", {3}, Ramp(3, 0.1f));
  }
  auto file = ReadKeras(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->weights.count("inner/in_d"), 1u);
  auto result = ConvertKerasModel(*file, ConvertOptions{});
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& g = result->model.graph;
  EXPECT_EQ(OutputNames(g), (std::vector<std::string>{"inner", "sub"}));
  EXPECT_EQ(OpHistogram(g)["Sub"], 1);
  ExpectValid(result->model);
}

std::string SequentialWith(const std::string& layer_json) {
  return R"({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 10], "dtype": "float32", "name": "x"}},
    )" + layer_json + R"(,
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 10}}]}})";
}

absl::Status ConvertConfig(const std::string& config) {
  const std::string path = WriteKeras3(config, {{"layers/dense/vars/0", {10, 10}, Ramp(100, 0.1f)},
                                                {"layers/dense/vars/1", {10}, Ramp(10, 0.1f)}});
  return ConvertKeras(path, ConvertOptions{}).status();
}

TEST(KerasConverterErrorTest, LambdaNamesPythonCodeAndSavedModel) {
  absl::Status s = ConvertConfig(SequentialWith(
      R"({"module": "keras.layers", "class_name": "Lambda", "config": {"name": "square_it",
          "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}}})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  const std::string msg(s.message());
  EXPECT_THAT(msg, HasSubstr("'square_it'"));
  EXPECT_THAT(msg, HasSubstr("Lambda"));
  EXPECT_THAT(msg, HasSubstr("Python code"));
  EXPECT_THAT(msg, HasSubstr("SavedModel"));
}

TEST(KerasConverterErrorTest, CustomLayerNamesItsClass) {
  absl::Status s = ConvertConfig(SequentialWith(
      R"({"module": "__main__", "class_name": "SquareLayer", "registered_name": "SquareLayer",
          "config": {"name": "square_layer", "trainable": true}})"));
  ASSERT_FALSE(s.ok());
  const std::string msg(s.message());
  EXPECT_THAT(msg, HasSubstr("'square_layer'"));
  EXPECT_THAT(msg, HasSubstr("SquareLayer"));
  EXPECT_THAT(msg, HasSubstr("custom layer class"));
  EXPECT_THAT(msg, HasSubstr("--saved-model"));
}

TEST(KerasConverterErrorTest, NotYetSupportedBuiltin) {
  absl::Status s = ConvertConfig(SequentialWith(
      R"({"module": "keras.layers", "class_name": "ContrastLimitedAdaptiveHistogramEqualization",
          "config": {"name": "clahe"}})"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("not supported yet"));
}

TEST(KerasConverterErrorTest, SubclassedModel) {
  absl::Status s = ConvertConfig(R"({"module": "__main__", "class_name": "MyModel", "config": {"layers": []}})");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("subclassed"));
}

TEST(KerasConverterErrorTest, OpsetOutOfRange) {
  const std::string path = TempPath("mlp.h5");
  WriteMlpH5(path);
  ConvertOptions options;
  options.opset = 7;
  EXPECT_FALSE(ConvertKeras(path, options).ok());
}

TEST(KerasConverterErrorTest, MissingWeights) {
  const std::string path = WriteKeras3(SequentialWith(
      R"({"module": "keras.layers", "class_name": "Activation", "config": {"name": "act", "activation": "relu"}})"), {});
  auto result = ConvertKeras(path, ConvertOptions{});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("layer 'dense' (Dense)"));
}

const char kConvConfig[] = R"({"module": "keras", "class_name": "Sequential", "config": {"name": "conv", "layers": [
  {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, null, null, 2], "dtype": "float32", "name": "image"}},
  {"module": "keras.layers", "class_name": "Conv2D", "config": {"name": "conv2d", "filters": 3, "kernel_size": [3, 3],
     "strides": [2, 2], "padding": "same", "data_format": "channels_last", "activation": "relu", "use_bias": true}},
  {"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "bn", "axis": -1, "epsilon": 0.001}}]}})";

std::string WriteConvModel() {
  return WriteKeras3(kConvConfig, {{"layers/conv2d/vars/0", {3, 3, 2, 3}, Ramp(54, 0.1f)},
                                   {"layers/conv2d/vars/1", {3}, Ramp(3, 0.1f)},
                                   {"layers/batch_normalization/vars/0", {3}, {1.0f, 1.5f, 0.5f}},
                                   {"layers/batch_normalization/vars/1", {3}, {0.1f, 0.0f, -0.1f}},
                                   {"layers/batch_normalization/vars/2", {3}, {0.2f, 0.3f, 0.4f}},
                                   {"layers/batch_normalization/vars/3", {3}, {1.0f, 2.0f, 0.5f}}});
}

TEST(KerasConverterTest, ConvWithShapeOverrideAndNchwInput) {
  const std::string path = WriteConvModel();
  ConvertOptions options;
  auto spec = ParseTensorSpec("image[1,9,9,2]");
  ASSERT_TRUE(spec.ok());
  options.inputs = {*spec};
  options.inputs_as_nchw = {"image"};
  auto result = ConvertKeras(path, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& g = result->model.graph;
  ASSERT_EQ(g.inputs.size(), 1u);
  std::vector<int64_t> dims;
  for (const ir::Dim& d : *g.inputs[0].type.shape) dims.push_back(d.size);
  EXPECT_EQ(dims, (std::vector<int64_t>{1, 2, 9, 9}));
  auto ops = OpHistogram(g);
  EXPECT_EQ(ops["Conv"], 1);
  EXPECT_EQ(ops["Relu"], 1);
  // Explicit pads for TF's SAME (9 -> 5 with stride 2: 1 before, 1 after).
  for (const auto& n : g.nodes) {
    if (n->op_type != "Conv") continue;
    const ir::Attribute* pads = n->FindAttr("pads");
    ASSERT_NE(pads, nullptr);
    EXPECT_EQ(pads->ints, (std::vector<int64_t>{1, 1, 1, 1}));
  }
  ExpectValid(result->model);
}

TEST(KerasConverterTest, UnknownSpatialDimsUseSameUpper) {
  const std::string path = WriteConvModel();
  auto result = ConvertKeras(path, ConvertOptions{});
  ASSERT_TRUE(result.ok()) << result.status();
  for (const auto& n : result->model.graph.nodes) {
    if (n->op_type != "Conv") continue;
    const ir::Attribute* pad = n->FindAttr("auto_pad");
    ASSERT_NE(pad, nullptr);
    EXPECT_EQ(pad->s, "SAME_UPPER");
  }
  ExpectValid(result->model);
}

TEST(KerasConverterTest, PicksOutputsByLayerName) {
  const std::string path = WriteConvModel();
  ConvertOptions options;
  auto spec = ParseTensorSpec("conv2d");
  ASSERT_TRUE(spec.ok());
  options.outputs = {*spec};
  auto result = ConvertKeras(path, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(OutputNames(result->model.graph), std::vector<std::string>{"conv2d"});
  options.outputs[0].node = "nope";
  EXPECT_FALSE(ConvertKeras(path, options).ok());
  ConvertOptions bad_input;
  auto wrong = ParseTensorSpec("image[1,9,9,3]");
  ASSERT_TRUE(wrong.ok());
  bad_input.inputs = {*wrong};
  EXPECT_FALSE(ConvertKeras(path, bad_input).ok());  // contradicts the model's 2 channels
}

// --inputs-as-nchw / --outputs-as-nchw names are checked like the TF path's:
// an unknown one is an error naming it and the known ones.
TEST(KerasConverterTest, NchwListsNameModelInputsAndOutputs) {
  const std::string path = WriteConvModel();
  ConvertOptions options;
  options.inputs_as_nchw = {"image:0"};
  options.outputs_as_nchw = {"bn"};
  auto result = ConvertKeras(path, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& g = result->model.graph;
  EXPECT_EQ(OutputNames(g), std::vector<std::string>{"bn"});
  ASSERT_TRUE(g.outputs[0].type.shape.has_value());
  EXPECT_EQ((*g.outputs[0].type.shape)[1].size, 3);  // channels first
  ASSERT_TRUE(g.inputs[0].type.shape.has_value());
  EXPECT_EQ((*g.inputs[0].type.shape)[1].size, 2);
  ExpectValid(result->model);

  ConvertOptions bad_in;
  bad_in.inputs_as_nchw = {"imag"};
  absl::Status s = ConvertKeras(path, bad_in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("--inputs-as-nchw: 'imag' is not a graph input (inputs: image)"));
  ConvertOptions bad_out;
  bad_out.outputs_as_nchw = {"conv2d"};  // a layer, but not an output
  s = ConvertKeras(path, bad_out).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("--outputs-as-nchw: 'conv2d' is not a graph output (outputs: bn)"));
}

TEST(KerasLayerRegistryTest, HasTheIssueLayers) {
  const LayerRegistry& r = LayerRegistry::Global();
  for (const char* cls :
       {"InputLayer", "Dense", "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D",
        "Conv2DTranspose", "BatchNormalization", "LayerNormalization", "Activation", "ReLU",
        "LeakyReLU", "PReLU", "ELU", "Softmax", "MaxPooling1D", "MaxPooling2D",
        "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Flatten", "Reshape", "Permute",
        "RepeatVector", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
        "ActivityRegularization", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
        "Concatenate", "ZeroPadding1D", "ZeroPadding2D", "Cropping2D", "UpSampling2D",
        "Rescaling", "Normalization", "Embedding", "Masking"}) {
    EXPECT_NE(r.Find(cls), nullptr) << cls;
  }
}

// Every family registers without a duplicate (a programming error caught here,
// not at conversion time), and every class declares a sane input arity.
TEST(KerasLayerRegistryTest, BuiltInFamiliesHaveNoDuplicates) {
  auto built = LayerRegistry::Build(LayerFamilies());
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(LayerRegistry::Global().status().ok());
  EXPECT_EQ(built->Classes(), LayerRegistry::Global().Classes());
  for (const std::string& cls : built->Classes()) {
    const LayerHandler* h = built->Find(cls);
    ASSERT_NE(h, nullptr) << cls;
    EXPECT_NE(h->fn, nullptr) << cls;
    EXPECT_GE(h->inputs.min, 1) << cls;
    EXPECT_LE(h->inputs.min, h->inputs.max) << cls;
  }
}

TEST(KerasLayerRegistryTest, RejectsADuplicateAndKeepsTheFirst) {
  LayerRegistry r;
  LayerFn first = [](LayerContext&) { return absl::OkStatus(); };
  LayerFn second = [](LayerContext&) { return absl::InternalError("second"); };
  r.Register({"Dense"}, Inputs(1), first, "first");
  r.Register({"Conv2D", "Dense"}, Inputs(1), second);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(r.Find("Dense")->fn, first);
  EXPECT_EQ(r.Find("Dense")->notes, "first");
  EXPECT_EQ(r.Find("Conv2D")->fn, second);
}

}  // namespace
}  // namespace onnxsmith::converter::keras
