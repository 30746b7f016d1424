// Reads a frozen GraphDef from a binary (.pb) or text (.pbtxt) file, telling
// the two apart by content, and refusing other formats by name.
#ifndef ONNXSMITH_CONVERTER_TF_GRAPHDEF_READER_H_
#define ONNXSMITH_CONVERTER_TF_GRAPHDEF_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter {

// Deepest message nesting accepted in a GraphDef, binary or text (TF's own
// parser allows 100 too); the parser's error names the limit.
inline constexpr int kMaxGraphDefNesting = 100;

absl::StatusOr<tf::GraphDef> ReadGraphDef(const std::string& path);

// Parses bytes already in memory; `path` only names the source in errors.
absl::StatusOr<tf::GraphDef> ParseGraphDef(const std::string& bytes, const std::string& path);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_GRAPHDEF_READER_H_
