#include <fstream>

#include "common/file_util.h"
#include "converter/io_spec.h"
#include "converter/tf/graphdef_reader.h"
#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::converter {
namespace {

constexpr char kText[] = R"pb(
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "y" op: "Relu" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
)pb";

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

tf::GraphDef TextGraph() {
  auto g = ParseGraphDef(kText, "inline.pbtxt");
  EXPECT_TRUE(g.ok()) << g.status();
  return *g;
}

TEST(GraphDefReaderTest, ReadsTextAndBinary) {
  tf::GraphDef g = TextGraph();
  EXPECT_EQ(g.node_size(), 2);
  auto binary = ReadGraphDef(WriteTemp("g.pb", g.SerializeAsString()));
  ASSERT_TRUE(binary.ok()) << binary.status();
  EXPECT_EQ(binary->node(1).op(), "Relu");
  // The suffix does not matter: text saved as .pb still reads as text.
  auto text_as_pb = ReadGraphDef(WriteTemp("text.pb", kText));
  ASSERT_TRUE(text_as_pb.ok());
}

TEST(GraphDefReaderTest, MissingFileNamesThePath) {
  auto g = ReadGraphDef("/no/such/model.pb");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("/no/such/model.pb"), std::string::npos);
}

TEST(GraphDefReaderTest, TruncatedBinaryIsAnError) {
  std::string bytes = TextGraph().SerializeAsString();
  for (size_t cut : {size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    auto g = ParseGraphDef(bytes.substr(0, cut), "cut.pb");
    EXPECT_FALSE(g.ok()) << "cut at " << cut;
    if (!g.ok()) EXPECT_NE(g.status().message().find("cut.pb"), std::string::npos);
  }
}

TEST(GraphDefReaderTest, OtherFormatsAreNamed) {
  auto h5 = ParseGraphDef(std::string("\x89HDF\r\n\x1a\n") + std::string(64, '\0'), "m.pb");
  ASSERT_FALSE(h5.ok());
  EXPECT_NE(h5.status().message().find("Keras"), std::string::npos);
  auto zip = ParseGraphDef(std::string("PK\x03\x04") + std::string(64, '\0'), "m.pb");
  ASSERT_FALSE(zip.ok());
  EXPECT_NE(zip.status().message().find("--keras"), std::string::npos);
  auto empty = ParseGraphDef("", "empty.pb");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
  auto bad_text = ParseGraphDef("node { name: ", "bad.pbtxt");
  ASSERT_FALSE(bad_text.ok());
  EXPECT_NE(bad_text.status().message().find("line"), std::string::npos);
}

TEST(GraphDefReaderTest, OnnxModelIsRecognized) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.mutable_graph()->set_name("g");
  model.add_opset_import()->set_version(17);
  auto g = ParseGraphDef(model.SerializeAsString(), "model.onnx");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("ONNX"), std::string::npos);
}

TEST(IoSpecTest, ParsesNamesAndShapes) {
  auto specs = ParseTensorSpecList("x:0[1,224,224,3], y:1, z, w:0[?,-1,3], s:0[]");
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 5u);
  EXPECT_EQ((*specs)[0].node, "x");
  EXPECT_EQ(*(*specs)[0].shape, (std::vector<int64_t>{1, 224, 224, 3}));
  EXPECT_EQ((*specs)[1].output, 1);
  EXPECT_EQ((*specs)[2].tensor_name(), "z:0");
  EXPECT_EQ(*(*specs)[3].shape, (std::vector<int64_t>{-1, -1, 3}));
  EXPECT_TRUE((*specs)[4].shape->empty());
}

TEST(IoSpecTest, NodeNamesWithSlashesAndColons) {
  auto spec = ParseTensorSpec("model/dense/BiasAdd:0");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->node, "model/dense/BiasAdd");
}

TEST(IoSpecTest, BadShapesAreErrors) {
  for (const char* bad : {"x:0[1,a]", "x:0[1,2", "x:0[-5]", ":0", "x:abc",
                          "x:0[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
                          "27,28,29,30,31,32,33]"}) {
    auto spec = ParseTensorSpec(bad);
    EXPECT_FALSE(spec.ok()) << bad;
  }
}

TEST(FileUtilTest, SniffsByContent) {
  EXPECT_EQ(SniffFormat("a.pb", "node {"), FileFormat::kTextProto);
  EXPECT_EQ(SniffFormat("a.pbtxt", std::string("\x0a\x05", 2)), FileFormat::kBinaryProto);
  EXPECT_EQ(SniffFormat("a.keras", "\x89HDF\r\n\x1a\n"), FileFormat::kHdf5);
  EXPECT_EQ(SniffFormat("a.h5", "PK\x03\x04"), FileFormat::kZip);
}

TEST(FileUtilTest, AtomicWriteLeavesNoTempOnFailure) {
  EXPECT_FALSE(WriteFileAtomically("/no/such/dir/out.onnx", "x").ok());
  const std::string path = ::testing::TempDir() + "/atomic.bin";
  ASSERT_TRUE(WriteFileAtomically(path, "hello").ok());
  auto back = ReadFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "hello");
}

}  // namespace
}  // namespace onnxsmith::converter
