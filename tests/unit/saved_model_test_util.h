// Shared by the SavedModel loader tests: the corpus location (tests skip
// without it), scratch directories, file helpers and small graph queries.
#ifndef ONNXSMITH_TESTS_UNIT_SAVED_MODEL_TEST_UTIL_H_
#define ONNXSMITH_TESTS_UNIT_SAVED_MODEL_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "converter/tf/function_inliner.h"
#include "converter/tf/graph_util.h"
#include "converter/saved_model/saved_model_loader.h"
#include "converter/saved_model/tensor_proto_util.h"
#include "converter/tf/tensor_convert.h"
#include "converter/tf_converter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/file_test_util.h"
namespace onnxsmith::converter {

namespace fs = std::filesystem;

// $ONNXSMITH_CORPUS, else /work/shared/corpus; "" when neither exists.
inline std::string CorpusDir() {
  const char* env = std::getenv("ONNXSMITH_CORPUS");
  std::string dir = (env && *env) ? env : "/work/shared/corpus";
  std::error_code ec;
  return fs::is_directory(fs::path(dir) / "savedmodel", ec) ? dir : "";
}

inline std::string SavedModelDir(const std::string& name) {
  return absl::StrCat(CorpusDir(), "/savedmodel/", name);
}

#define SKIP_WITHOUT_CORPUS()                                                  \
  do {                                                                         \
    if (CorpusDir().empty()) GTEST_SKIP() << "model corpus not found (set ONNXSMITH_CORPUS)"; \
  } while (0)

using test_files::ReadAll;
using test_files::WriteAll;

inline std::string ScratchDir(const std::string& name) {
  return test_files::ScratchDir("saved_model_test/" + name);
}

// A writable copy of a corpus SavedModel.
inline std::string CopyCorpusModel(const std::string& name) {
  const std::string dst = ScratchDir(name);
  fs::copy(SavedModelDir(name), dst, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  for (const auto& entry : fs::recursive_directory_iterator(dst)) {
    fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add);
  }
  return dst;
}

inline std::vector<std::string> Names(const std::vector<ir::ValueInfo>& values) {
  std::vector<std::string> names;
  for (const auto& v : values) names.push_back(v.name);
  return names;
}

inline absl::StatusOr<ConversionResult> Convert(const FrozenGraph& frozen) {
  ConvertOptions options;
  options.inputs = frozen.inputs;
  options.outputs = frozen.outputs;
  options.const_values = frozen.const_values;
  return ConvertGraphDef(frozen.graph, options);
}

inline bool HasOp(const tf::GraphDef& graph, const std::string& op) {
  for (const auto& n : graph.node()) {
    if (n.op() == op) return true;
  }
  return false;
}

inline const tf::NodeDef* FindNode(const tf::GraphDef& graph, const std::string& name) {
  for (const auto& n : graph.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// The float value of a scalar Const in the frozen graph.
inline float ConstScalar(const tf::GraphDef& graph, const std::string& name) {
  const tf::NodeDef* node = FindNode(graph, name);
  if (node == nullptr || node->op() != "Const") return -1e30f;
  auto tensor = ToIrTensor(node->attr().at("value").tensor());
  if (!tensor.ok() || tensor->num_elements() != 1) return -1e30f;
  return static_cast<float>((*tensor->ToDoubles())[0]);
}

inline void ExpectNoVariableOps(const tf::GraphDef& graph) {
  for (const auto& n : graph.node()) {
    EXPECT_FALSE(n.op() == "VarHandleOp" || n.op() == "VariableV2" || n.op() == "ReadVariableOp" ||
                 n.op() == "RestoreV2" || n.op() == "SaveV2" || n.op() == "AssignVariableOp" ||
                 n.op() == "StatefulPartitionedCall" || n.op() == "PartitionedCall")
        << n.name() << " (" << n.op() << ") survived freezing";
  }
}

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_TESTS_UNIT_SAVED_MODEL_TEST_UTIL_H_
