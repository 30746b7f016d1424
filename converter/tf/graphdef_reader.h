// Reads a frozen GraphDef from a binary (.pb) or text (.pbtxt) file, telling
// the two apart by content, and refusing other formats by name.
#ifndef ONNXSMITH_CONVERTER_TF_GRAPHDEF_READER_H_
#define ONNXSMITH_CONVERTER_TF_GRAPHDEF_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter {

absl::StatusOr<tf::GraphDef> ReadGraphDef(const std::string& path);

// Parses bytes already in memory; `path` only names the source in errors.
absl::StatusOr<tf::GraphDef> ParseGraphDef(const std::string& bytes, const std::string& path);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_GRAPHDEF_READER_H_
