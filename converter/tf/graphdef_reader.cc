#include "converter/tf/graphdef_reader.h"

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::converter {
namespace {

class TextErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) first_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

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
    google::protobuf::TextFormat::Parser parser;
    TextErrorCollector errors;
    parser.RecordErrorsTo(&errors);
    // Fields TF added after our protos were written must not stop a load.
    parser.AllowUnknownField(true);
    parser.AllowUnknownExtension(true);
    // Deeply nested text would otherwise overflow the stack (found by fuzzing).
    parser.SetRecursionLimit(kMaxGraphDefNesting);
    if (!parser.ParseFromString(bytes, &graph)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a text GraphDef: ", errors.first()));
    }
  } else {
    google::protobuf::io::CodedInputStream input(
        reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size()));
    input.SetRecursionLimit(kMaxGraphDefNesting);
    if (!graph.ParseFromCodedStream(&input) || !input.ConsumedEntireMessage()) {
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
