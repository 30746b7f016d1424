// One output's error against the float32 model as every report writes it:
// quantize's numeric check and --precision fp16's (optimizer/precision).
#ifndef ONNXSMITH_QUANTIZE_OUTPUT_JSON_H_
#define ONNXSMITH_QUANTIZE_OUTPUT_JSON_H_

#include <string>

#include "nlohmann/json.hpp"

namespace onnxsmith::quantize {

// {"name", "sqnr_db", "max_abs_error"}; callers add their own fields.
nlohmann::ordered_json OutputErrorJson(const std::string& name, double sqnr_db, double max_abs_error);

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_OUTPUT_JSON_H_
