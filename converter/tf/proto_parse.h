// Parsing TensorFlow protos (GraphDef, SavedModel) from untrusted bytes, in
// binary or text form, with the nesting bounded: deeply nested input would
// otherwise overflow the stack (found by fuzzing).
#ifndef ONNXSMITH_CONVERTER_TF_PROTO_PARSE_H_
#define ONNXSMITH_CONVERTER_TF_PROTO_PARSE_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace onnxsmith::converter {

// Binary: false unless all of `bytes` is one message nested at most
// `max_depth` deep.
bool ParseBinaryProto(const std::string& bytes, int max_depth,
                      google::protobuf::MessageLite* message);

// Text format. Fields and extensions TF added after our protos were written
// are skipped, not errors. On failure, InvalidArgument with the first error
// ("line L, column C: ..."; the parser's own message names the depth limit).
absl::Status ParseTextProto(const std::string& text, int max_depth,
                            google::protobuf::Message* message);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_PROTO_PARSE_H_
