#include "converter/tf/graphdef_reader.h"

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "converter/tf/proto_parse.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::converter {
namespace {

absl::Status CheckNodes(const tf::GraphDef& graph, const std::string& path) {
  if (graph.node_size() == 0 && graph.library().function_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no nodes: not a TensorFlow GraphDef, or an empty one"));
  }
  for (const auto& node : graph.node()) {
    if (node.name().empty() || node.op().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": a node without a name or op: not a valid GraphDef (corrupt file?)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<tf::GraphDef> ParseGraphDef(const std::string& bytes, const std::string& path) {
  FileFormat format = SniffFormat(path, bytes);
  switch (format) {
    case FileFormat::kHdf5:
    case FileFormat::kZip:
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": is a Keras model file (", FileFormatName(format), "), not a GraphDef; use --keras"));
    case FileFormat::kUnknown:
      return absl::InvalidArgumentError(absl::StrCat(path, ": empty file, not a GraphDef"));
    default: break;
  }
  tf::GraphDef graph;
  if (format == FileFormat::kTextProto) {
    if (absl::Status s = ParseTextProto(bytes, kMaxGraphDefNesting, &graph); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a text GraphDef: ", s.message()));
    }
  } else {
    if (!ParseBinaryProto(bytes, kMaxGraphDefNesting, &graph)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": not a binary GraphDef (truncated or corrupt protobuf, or another format)"));
    }
    if (graph.node_size() == 0) {
      onnx::ModelProto model;
      if (model.ParseFromString(bytes) && model.has_graph() && model.ir_version() > 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": is an ONNX model, not a TensorFlow GraphDef"));
      }
    }
  }
  if (absl::Status s = CheckNodes(graph, path); !s.ok()) return s;
  return graph;
}

absl::StatusOr<tf::GraphDef> ReadGraphDef(const std::string& path) {
  if (IsDirectory(path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory; for a SavedModel use --saved-model"));
  }
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseGraphDef(*bytes, path);
}

}  // namespace onnxsmith::converter
