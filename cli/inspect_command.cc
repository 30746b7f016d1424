// `onnxsmith inspect FILE|DIR`: sniffs the format and hands the file to its
// describer in cli/inspect/.
#include "cli/inspect_command.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/inspect/inspect_doc.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "converter/tf/graphdef_reader.h"
#include "converter/tf/proto/saved_model.pb.h"
#include "ir/external_data.h"
#include "ir/onnx_proto.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::cli {
namespace {

using inspect::Doc;

// The document for `path` and the text view that prints it.
struct Described {
  Doc doc;
  void (*print)(const Doc&, inspect::TextView&) = nullptr;
  // A model the other commands would refuse: described all the same, then
  // this error (exit 1), as `run` or `optimize` would report it.
  absl::Status load_error;
};

// Whether the ONNX file loads as the other commands load it, external data
// included (mapped, not read: its bytes are only checked to be there).
absl::Status OnnxLoadError(const std::string& path, const std::string& bytes) {
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes)) return absl::OkStatus();  // OnnxDoc described what it could
  auto model = ir::FromModelProto(proto, ir::ModelDirectory(path));
  if (model.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": not a valid model: ", model.status().message()));
}

absl::StatusOr<Described> Describe(const std::string& path) {
  if (!PathExists(path)) return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
  if (IsDirectory(path)) {
    if (SniffFormat(path, "") != FileFormat::kSavedModelDir) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": a directory without saved_model.pb, not a SavedModel"));
    }
    ASSIGN_OR_RETURN(Doc doc, inspect::SavedModelDoc(path));
    return Described{std::move(doc), inspect::PrintSavedModel};
  }
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  const FileFormat format = SniffFormat(path, bytes);
  switch (format) {
    case FileFormat::kHdf5:
    case FileFormat::kZip: {
      ASSIGN_OR_RETURN(Doc doc, inspect::KerasDoc(path, static_cast<int64_t>(bytes.size())));
      return Described{std::move(doc), inspect::PrintKeras};
    }
    case FileFormat::kUnknown:
      return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
    default: break;
  }
  if (format == FileFormat::kBinaryProto) {
    if (std::optional<Doc> doc = inspect::OnnxDoc(path, bytes)) {
      return Described{*std::move(doc), inspect::PrintOnnx, OnnxLoadError(path, bytes)};
    }
    // saved_model.pb named directly: describe its directory.
    tf::SavedModel saved;
    if (saved.ParseFromString(bytes) && saved.meta_graphs_size() > 0 &&
        saved.meta_graphs(0).has_graph_def() && saved.meta_graphs(0).graph_def().node_size() > 0) {
      const size_t slash = path.rfind('/');
      ASSIGN_OR_RETURN(Doc doc, inspect::SavedModelDoc(
                                    slash == std::string::npos ? "." : path.substr(0, slash)));
      return Described{std::move(doc), inspect::PrintSavedModel};
    }
  }
  auto graph = converter::ParseGraphDef(bytes, path);
  if (!graph.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a model onnxsmith reads (ONNX, TF GraphDef, SavedModel, Keras): ",
        graph.status().message()));
  }
  Doc header;
  header["path"] = path;
  header["format"] = "graphdef";
  header["encoding"] = format == FileFormat::kTextProto ? "text" : "binary";
  header["file_bytes"] = bytes.size();
  header["producer"] = graph->versions().producer();
  return Described{inspect::GraphDefDoc(*graph, std::move(header), /*with_sinks=*/true),
                   inspect::PrintGraphDef};
}

}  // namespace

absl::Status RunInspect(const InspectOptions& o) {
  if (o.max_items < 0) return absl::InvalidArgumentError("--max-items must be 0 (no cap) or more");
  if (!o.target.empty()) return RunInspectTarget(o);
  if (o.allow_fallback || !o.report_path.empty()) {
    return absl::InvalidArgumentError("--allow-fallback and --report need --target");
  }
  ASSIGN_OR_RETURN(Described d, Describe(o.path));
  if (o.json) {
    // Names in models are not always UTF-8: replace what is not, never throw.
    const std::string text =
        d.doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    std::printf("%s\n", text.c_str());
    return d.load_error;
  }
  inspect::TextView view(o.max_items);
  d.print(d.doc, view);
  std::fputs(view.text().c_str(), stdout);
  return d.load_error;
}

}  // namespace onnxsmith::cli
