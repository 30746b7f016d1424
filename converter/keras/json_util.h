// Safe access to Keras JSON configs with nlohmann::json: parsing never throws
// (allow_exceptions=false, nesting depth bounded before parsing), and the
// accessors check types before reading, so no nlohmann exception can escape.
#ifndef ONNXSMITH_CONVERTER_KERAS_JSON_UTIL_H_
#define ONNXSMITH_CONVERTER_KERAS_JSON_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace onnxsmith::converter::keras {

using Json = nlohmann::json;

// Deepest nesting of arrays/objects accepted in a config (Keras configs of
// nested models stay well below 64).
inline constexpr int kMaxJsonDepth = 256;

// Parses `text`; `what` names the document in errors ("config.json").
absl::StatusOr<Json> ParseJson(absl::string_view text, const std::string& what,
                               int max_depth = kMaxJsonDepth);

// The member `key` of an object, or nullptr (also when `obj` is no object).
const Json* Find(const Json& obj, const char* key);
inline const Json* Find(const Json& obj, const std::string& key) { return Find(obj, key.c_str()); }
// Like Find, but a JSON null counts as absent.
const Json* FindNonNull(const Json& obj, const char* key);

std::optional<int64_t> AsInt(const Json& v);      // integers, and floats with integral values
std::optional<double> AsDouble(const Json& v);    // any number
std::optional<bool> AsBool(const Json& v);
std::optional<std::string> AsString(const Json& v);

// Strings for messages (never throws; invalid UTF-8 is replaced).
std::string DumpJson(const Json& v, size_t max_chars = 200);

// Numbers held as a number, a (nested) list of numbers, or Keras 3's
// {"class_name": "__tensor__" | "__numpy__", "config": {"value": ...}} wrapper;
// flattened in row-major order.
std::optional<std::vector<double>> AsDoubleList(const Json& v);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_JSON_UTIL_H_
