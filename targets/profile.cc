#include "targets/profile.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "targets/builtin_profiles.h"

namespace onnxsmith::targets {
namespace {

using Json = nlohmann::json;

// Reads one JSON object strictly: every key must be known, every value of
// the right type; errors name the file and the field's path.
class Fields {
 public:
  Fields(const Json& j, std::string file, std::string path)
      : j_(j), file_(std::move(file)), path_(std::move(path)) {}

  absl::Status Error(const std::string& key, const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ": field '", Path(key), "': ", what));
  }
  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  absl::Status CheckKeys(const std::set<std::string>& known) const {
    if (!j_.is_object()) return absl::InvalidArgumentError(absl::StrCat(file_, ": '", path_, "' must be an object"));
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!known.count(it.key())) {
        return Error(it.key(), absl::StrCat("unknown field (known: ", absl::StrJoin(known, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }
  bool Has(const std::string& key) const { return j_.contains(key); }
  const Json& At(const std::string& key) const { return j_.at(key); }

  absl::Status String(const std::string& key, std::string* out, bool required = false,
                      const std::vector<std::string>& one_of = {}) const {
    if (!Has(key)) return required ? Error(key, "missing") : absl::OkStatus();
    if (!At(key).is_string()) return Error(key, "must be a string");
    *out = At(key).get<std::string>();
    if (!one_of.empty() && std::find(one_of.begin(), one_of.end(), *out) == one_of.end()) {
      return Error(key, absl::StrCat("'", *out, "' is not one of ", absl::StrJoin(one_of, ", ")));
    }
    return absl::OkStatus();
  }
  absl::Status Bool(const std::string& key, bool* out) const {
    if (!Has(key)) return absl::OkStatus();
    if (!At(key).is_boolean()) return Error(key, "must be true or false");
    *out = At(key).get<bool>();
    return absl::OkStatus();
  }
  absl::Status Int(const std::string& key, int64_t* out, bool required = false) const {
    if (!Has(key)) return required ? Error(key, "missing") : absl::OkStatus();
    if (!At(key).is_number_integer()) return Error(key, "must be an integer");
    *out = At(key).get<int64_t>();
    return absl::OkStatus();
  }
  absl::Status Number(const std::string& key, double* out, bool required = false) const {
    if (!Has(key)) return required ? Error(key, "missing") : absl::OkStatus();
    if (!At(key).is_number()) return Error(key, "must be a number");
    *out = At(key).get<double>();
    return absl::OkStatus();
  }
  absl::Status Strings(const std::string& key, std::vector<std::string>* out,
                       const std::vector<std::string>& one_of = {}) const {
    if (!Has(key)) return absl::OkStatus();
    if (!At(key).is_array()) return Error(key, "must be a list of strings");
    out->clear();
    for (const Json& v : At(key)) {
      if (!v.is_string()) return Error(key, "must be a list of strings");
      const std::string s = v.get<std::string>();
      if (!one_of.empty() && std::find(one_of.begin(), one_of.end(), s) == one_of.end()) {
        return Error(key, absl::StrCat("'", s, "' is not one of ", absl::StrJoin(one_of, ", ")));
      }
      out->push_back(s);
    }
    return absl::OkStatus();
  }
  absl::Status StringSet(const std::string& key, std::set<std::string>* out) const {
    std::vector<std::string> v;
    RETURN_IF_ERROR(Strings(key, &v));
    out->insert(v.begin(), v.end());
    return absl::OkStatus();
  }
  Fields Sub(const std::string& key) const { return Fields(At(key), file_, Path(key)); }

 private:
  const Json& j_;
  std::string file_, path_;
};

std::pair<int64_t, int64_t> TypeRange(const std::string& type) {
  if (type == "int8") return {-128, 127};
  if (type == "uint16") return {0, 65535};
  if (type == "int16") return {-32768, 32767};
  return {0, 255};
}

absl::Status ParseQuant(const Fields& f, QuantScheme* q) {
  RETURN_IF_ERROR(f.CheckKeys({"activations", "symmetric_activations", "per_channel", "per_tensor_ops",
                               "reduce_range", "bias", "weights", "shared_scale_ops", "fixed_outputs",
                               "integer_only", "formats", "modes", "min_sqnr_db"}));
  RETURN_IF_ERROR(f.String("activations", &q->activation_type, true, {"uint8", "int8", "uint16", "int16"}));
  RETURN_IF_ERROR(f.Bool("symmetric_activations", &q->symmetric_activations));
  RETURN_IF_ERROR(f.Bool("per_channel", &q->per_channel));
  RETURN_IF_ERROR(f.StringSet("per_tensor_ops", &q->per_tensor_ops));
  RETURN_IF_ERROR(f.Bool("reduce_range", &q->reduce_range));
  RETURN_IF_ERROR(f.String("bias", &q->bias, false, {"int32", "float"}));
  RETURN_IF_ERROR(f.String("weights", &q->weights, false, {"int8", "qdq"}));
  RETURN_IF_ERROR(f.StringSet("shared_scale_ops", &q->shared_scale_ops));
  RETURN_IF_ERROR(f.Bool("integer_only", &q->integer_only));
  RETURN_IF_ERROR(f.Strings("formats", &q->formats, {"qdq", "qoperator"}));
  RETURN_IF_ERROR(f.Strings("modes", &q->modes, {"static", "dynamic"}));
  RETURN_IF_ERROR(f.Number("min_sqnr_db", &q->min_sqnr_db));
  if (q->formats.empty()) return f.Error("formats", "must name at least one format");
  if (q->modes.empty()) return f.Error("modes", "must name at least one mode");
  if (f.Has("fixed_outputs")) {
    const Fields fo = f.Sub("fixed_outputs");
    if (!f.At("fixed_outputs").is_object()) return f.Error("fixed_outputs", "must be an object (op -> params)");
    const auto [lo, hi] = TypeRange(q->activation_type);
    for (auto it = f.At("fixed_outputs").begin(); it != f.At("fixed_outputs").end(); ++it) {
      const Fields p = fo.Sub(it.key());
      RETURN_IF_ERROR(p.CheckKeys({"scale", "zero_point"}));
      double scale = 0;
      int64_t zp = 0;
      RETURN_IF_ERROR(p.Number("scale", &scale, true));
      RETURN_IF_ERROR(p.Int("zero_point", &zp, true));
      if (!(scale > 0) || !std::isfinite(scale)) return p.Error("scale", "must be a positive number");
      if (zp < lo || zp > hi) {
        return p.Error("zero_point", absl::StrCat(zp, " is outside ", q->activation_type, "'s range"));
      }
      q->fixed_outputs[it.key()] = FixedParams{static_cast<float>(scale), static_cast<int32_t>(zp)};
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Profile> ParseProfile(const std::string& text, const std::string& file) {
  const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(file, ": not valid JSON"));
  const Fields f(j, file, "");
  Profile p;
  p.file = file;
  RETURN_IF_ERROR(f.CheckKeys({"name", "description", "sources", "opset", "layout", "shapes", "ops",
                               "attributes", "quantization", "notes"}));
  RETURN_IF_ERROR(f.String("name", &p.name, true));
  if (p.name.empty() || p.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return f.Error("name", "must be lowercase letters, digits and '-'");
  }
  RETURN_IF_ERROR(f.String("description", &p.description, true));
  RETURN_IF_ERROR(f.Strings("sources", &p.sources));
  RETURN_IF_ERROR(f.Strings("notes", &p.notes));
  if (!f.Has("opset")) return f.Error("opset", "missing");
  {
    const Fields o = f.Sub("opset");
    RETURN_IF_ERROR(o.CheckKeys({"min", "max", "default"}));
    RETURN_IF_ERROR(o.Int("min", &p.opset_min, true));
    RETURN_IF_ERROR(o.Int("max", &p.opset_max, true));
    p.opset_default = p.opset_max;
    RETURN_IF_ERROR(o.Int("default", &p.opset_default));
    if (p.opset_min < 10 || p.opset_max < p.opset_min) {
      return o.Error("max", absl::StrCat("opset range [", p.opset_min, ", ", p.opset_max,
                                         "] is empty or below 10 (QuantizeLinear)"));
    }
    if (p.opset_default < p.opset_min || p.opset_default > p.opset_max) {
      return o.Error("default", "must lie in [min, max]");
    }
  }
  RETURN_IF_ERROR(f.String("layout", &p.layout, false, {"NCHW", "NHWC", "any"}));
  std::string shapes = "dynamic";
  RETURN_IF_ERROR(f.String("shapes", &shapes, false, {"static", "dynamic"}));
  p.static_shapes = shapes == "static";
  std::vector<std::string> ops;
  RETURN_IF_ERROR(f.Strings("ops", &ops));
  if (ops.empty()) return f.Error("ops", "missing or empty (\"*\" accepts every ai.onnx op)");
  for (const std::string& op : ops) {
    if (op == "*") {
      p.any_op = true;
    } else {
      p.ops.insert(op);
    }
  }
  if (f.Has("attributes")) {
    if (!f.At("attributes").is_array()) return f.Error("attributes", "must be a list");
    const Json& list = f.At("attributes");
    for (size_t i = 0; i < list.size(); ++i) {
      const Fields a(list[i], file, absl::StrCat("attributes[", i, "]"));
      RETURN_IF_ERROR(a.CheckKeys({"op", "attribute", "allowed", "why"}));
      AttributeRule r;
      RETURN_IF_ERROR(a.String("op", &r.op, true));
      RETURN_IF_ERROR(a.String("attribute", &r.attribute, true));
      RETURN_IF_ERROR(a.Strings("allowed", &r.allowed));
      RETURN_IF_ERROR(a.String("why", &r.why, true));
      if (r.allowed.empty()) return a.Error("allowed", "missing or empty");
      p.attribute_rules.push_back(std::move(r));
    }
  }
  if (!f.Has("quantization")) return f.Error("quantization", "missing");
  RETURN_IF_ERROR(ParseQuant(f.Sub("quantization"), &p.quant));
  const bool wide = p.quant.activation_type == "uint16" || p.quant.activation_type == "int16";
  if (wide && p.opset_min < 21) {
    return f.Error("opset.min", "16-bit activations need QuantizeLinear-21 (opset >= 21)");
  }
  return p;
}

std::vector<std::string> BuiltinProfileNames() {
  std::vector<std::string> names;
  for (const BuiltinProfile& b : BuiltinProfileFiles()) {
    std::string n = b.path.substr(b.path.rfind('/') + 1);
    names.push_back(n.substr(0, n.size() - 5));  // without .json
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<Profile> LoadProfile(const std::string& name_or_path) {
  if (absl::EndsWith(name_or_path, ".json")) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(name_or_path));
    return ParseProfile(text, name_or_path);
  }
  for (const BuiltinProfile& b : BuiltinProfileFiles()) {
    if (absl::EndsWith(b.path, "/" + name_or_path + ".json")) {
      ASSIGN_OR_RETURN(Profile p, ParseProfile(b.text, b.path));
      if (p.name != name_or_path) {
        return absl::InternalError(absl::StrCat(b.path, ": field 'name' is '", p.name, "', the file says '",
                                                name_or_path, "'"));
      }
      return p;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("--target: unknown target '", name_or_path, "' (known: ",
                                                 absl::StrJoin(BuiltinProfileNames(), ", "),
                                                 "; or a profile FILE.json)"));
}

absl::StatusOr<std::vector<Profile>> BuiltinProfiles() {
  std::vector<Profile> out;
  for (const std::string& n : BuiltinProfileNames()) {
    ASSIGN_OR_RETURN(Profile p, LoadProfile(n));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace onnxsmith::targets
