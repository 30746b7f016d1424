// Weights that stay mapped from the files they come from: the converter's
// ConstValues side table (a SavedModel's frozen variables, no copy into the
// GraphDef and out again) and ReleaseMappedPages.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "common/mapped_file.h"
#include "converter/tf/graphdef_reader.h"
#include "converter/tf_converter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace onnxsmith::converter {
namespace {

using ::testing::HasSubstr;

// y = MatMul(x, w), w a Const whose value is in the side table.
constexpr char kMatMulGraph[] = R"pb(
  node {
    name: "x" op: "Placeholder"
    attr { key: "dtype" value { type: DT_FLOAT } }
    attr { key: "shape" value { shape { dim { size: 1 } dim { size: 2 } } } }
  }
  node {
    name: "w" op: "Const"
    attr { key: "dtype" value { type: DT_FLOAT } }
    attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } dim { size: 3 } } } } }
    attr { key: "_onnxsmith_value_in_side_table" value { b: true } }
  }
  node {
    name: "y" op: "MatMul" input: "x" input: "w"
    attr { key: "T" value { type: DT_FLOAT } }
  }
)pb";

TEST(ConstValues, ConstTakesItsValueFromTheSideTableWithoutACopy) {
  auto graph = ParseGraphDef(kMatMulGraph, "test.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(std::string(kConstValueAttr), "_onnxsmith_value_in_side_table");
  auto values = std::make_shared<ConstValues>();
  (*values)["w"] = ir::Tensor::FromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const char* buffer = (*values)["w"].raw().data();
  ConvertOptions options;
  options.outputs = {TensorSpec{"y", 0, {}}};
  options.const_values = values;
  auto result = ConvertGraphDef(*graph, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const ir::Graph& g = result->model.graph;
  ASSERT_EQ(g.initializers.size(), 1u);
  const ir::Tensor& w = g.initializers.begin()->second;
  EXPECT_EQ(w.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w.raw().data(), buffer);  // shared, not copied
}

TEST(ConstValues, MissingSideTableIsAClearError) {
  auto graph = ParseGraphDef(kMatMulGraph, "test.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ConvertOptions options;
  options.outputs = {TensorSpec{"y", 0, {}}};
  auto result = ConvertGraphDef(*graph, options);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("'w'"));
  EXPECT_THAT(result.status().message(), HasSubstr("side table"));
}

TEST(ReleaseMappedPages, MappedBytesReadTheSameAfterwards) {
  const std::string path = ::testing::TempDir() + "/mapped_weights_test.bin";
  std::string bytes(5 * 4096 + 123, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  std::ofstream(path, std::ios::binary) << bytes;
  auto region = MapFileRange(path, 100, static_cast<int64_t>(bytes.size()) - 100, "test");
  ASSERT_TRUE(region.ok()) << region.status();
  const absl::string_view view = (*region)->bytes();
  ASSERT_EQ(view, absl::string_view(bytes).substr(100));
  ReleaseMappedPages(view);
  EXPECT_EQ(view, absl::string_view(bytes).substr(100));  // faulted in again from the file
  std::remove(path.c_str());
}

TEST(ReleaseMappedPages, OtherMemoryIsLeftAlone) {
  // Heap memory (MADV_DONTNEED would zero anonymous pages): untouched.
  std::string heap(8 * 4096, 'x');
  ReleaseMappedPages(heap);
  EXPECT_EQ(heap, std::string(8 * 4096, 'x'));
}

}  // namespace
}  // namespace onnxsmith::converter
