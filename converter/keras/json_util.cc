#include "converter/keras/json_util.h"

#include <cmath>
#include <exception>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter::keras {

namespace {

// The deepest array/object nesting in `text` (strings skipped), without
// building anything: a hostile "[[[[..." never reaches the parser.
int NestingDepth(absl::string_view text, int stop_above) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          max_depth = depth;
          if (max_depth > stop_above) return max_depth;
        }
        break;
      case ']':
      case '}':
        --depth;
        break;
      default: break;
    }
  }
  return max_depth;
}

bool FlattenNumbers(const Json& v, std::vector<double>* out, int depth) {
  if (depth > 64) return false;
  if (v.is_number()) {
    out->push_back(v.get<double>());
    return true;
  }
  if (v.is_boolean()) {
    out->push_back(v.get<bool>() ? 1.0 : 0.0);
    return true;
  }
  if (v.is_array()) {
    for (const Json& e : v) {
      if (!FlattenNumbers(e, out, depth + 1)) return false;
    }
    return true;
  }
  if (v.is_object()) {
    const Json* cls = Find(v, "class_name");
    const Json* cfg = Find(v, "config");
    if (cls && cls->is_string() && cfg &&
        (cls->get_ref<const std::string&>() == "__tensor__" ||
         cls->get_ref<const std::string&>() == "__numpy__")) {
      const Json* value = Find(*cfg, "value");
      return value != nullptr && FlattenNumbers(*value, out, depth + 1);
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Json> ParseJson(absl::string_view text, const std::string& what, int max_depth) {
  const int depth = NestingDepth(text, max_depth);
  if (depth > max_depth) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": JSON nested deeper than ", max_depth, " levels; refusing to parse it"));
  }
  Json parsed;
  try {
    parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": cannot parse JSON: ", e.what()));
  } catch (...) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": cannot parse JSON"));
  }
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not valid JSON"));
  }
  return parsed;
}

const Json* Find(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const Json* FindNonNull(const Json& obj, const char* key) {
  const Json* v = Find(obj, key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

std::optional<int64_t> AsInt(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

std::optional<double> AsDouble(const Json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

std::optional<bool> AsBool(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  return std::nullopt;
}

std::optional<std::string> AsString(const Json& v) {
  if (v.is_string()) return v.get_ref<const std::string&>();
  return std::nullopt;
}

std::string DumpJson(const Json& v, size_t max_chars) {
  std::string s;
  try {
    s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (...) {
    s = "<unprintable>";
  }
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

std::optional<std::vector<double>> AsDoubleList(const Json& v) {
  std::vector<double> out;
  if (!FlattenNumbers(v, &out, 0)) return std::nullopt;
  return out;
}

}  // namespace onnxsmith::converter::keras
