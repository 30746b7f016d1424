// What `inspect` knows about a model, as one JSON document per file (what
// --json prints, in full), and the helpers the per-format text views share.
// Each format builds its document first; its text view only reads the
// document, so --json and the text never disagree.
#ifndef ONNXSMITH_CLI_INSPECT_INSPECT_DOC_H_
#define ONNXSMITH_CLI_INSPECT_INSPECT_DOC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf/proto/tensor_shape.pb.h"
#include "nlohmann/json.hpp"

namespace onnxsmith::cli::inspect {

// Keys keep the order they were added in, so --json reads like the text.
using Doc = nlohmann::ordered_json;

// Text output with every list capped at `max_items` (0: no cap).
class TextView {
 public:
  explicit TextView(int max_items) : max_items_(max_items) {}
  void Line(int indent, const std::string& text);
  // One item a line; past the cap "... and N more".
  void List(int indent, const std::vector<std::string>& items);
  // Two columns, the first padded to its widest shown entry (at most 48).
  void Pairs(int indent, const std::vector<std::pair<std::string, std::string>>& rows);
  // "a, b, c, ... and N more" on one line.
  std::string Inline(const std::vector<std::string>& items) const;
  // How many of `n` items the cap lets through.
  size_t Shown(size_t n) const;
  const std::string& text() const { return text_; }

 private:
  int max_items_;
  std::string text_;
};

std::string MoreText(size_t more);            // "… and 950 more"
std::string Thousands(int64_t n);             // 25,636,712
std::string BytesText(int64_t bytes);         // "97.8 MiB"
// A shape as saved_model_cli prints it: "(-1, 224, 224, 3)", "()" for a
// scalar, "unknown rank" for null. Strings (ONNX dim_params) print as they are.
std::string ShapeText(const Doc& shape);

// A TF shape: an array of dims (-1 unknown), or null for unknown rank.
Doc TfShape(const tf::TensorShapeProto& shape);
// {"Conv2D": 53, ...} ordered by count, most frequent first (then by name).
Doc Histogram(const std::map<std::string, int64_t>& counts);
// "Conv2D x53" for each entry of a Histogram.
std::vector<std::string> HistogramItems(const Doc& histogram);
// The strings of a Doc array (other elements skipped).
std::vector<std::string> Strings(const Doc& array);

// TF GraphDefs (a frozen .pb/.pbtxt; also a SavedModel's raw graph, whose
// sinks are not listed). `header` is put first in the document.
Doc GraphDefDoc(const tf::GraphDef& graph, Doc header, bool with_sinks);
void PrintGraphDef(const Doc& doc, TextView& view);

absl::StatusOr<Doc> SavedModelDoc(std::string dir);
void PrintSavedModel(const Doc& doc, TextView& view);

absl::StatusOr<Doc> KerasDoc(const std::string& path, int64_t file_bytes);
void PrintKeras(const Doc& doc, TextView& view);

// `bytes` is the file's content; nullopt when it is not an ONNX model.
std::optional<Doc> OnnxDoc(const std::string& path, const std::string& bytes);
void PrintOnnx(const Doc& doc, TextView& view);

}  // namespace onnxsmith::cli::inspect

#endif  // ONNXSMITH_CLI_INSPECT_INSPECT_DOC_H_
