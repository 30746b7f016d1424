// Target profiles: what one deployment back end (ONNX Runtime on a CPU,
// TensorRT, QNN, OpenVINO, a TFLite-style integer accelerator) accepts, as
// data. One JSON file per target in targets/profiles/ (comments allowed,
// docs/targets.md is generated from them); the files are compiled into the
// binary, and `--target FILE.json` reads one from disk.
#ifndef ONNXSMITH_TARGETS_PROFILE_H_
#define ONNXSMITH_TARGETS_PROFILE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onnxsmith::targets {

// An attribute of an op restricted to some values (strings, or integers
// written as decimal text).
struct AttributeRule {
  std::string op, attribute;
  std::vector<std::string> allowed;
  std::string why;  // the vendor's rule, with its source
};

struct FixedParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

struct QuantScheme {
  std::string activation_type = "uint8";  // uint8|int8|uint16|int16
  bool symmetric_activations = false;     // zero point 0 (or 128/32768 unsigned)
  bool per_channel = true;                // weights of Conv/ConvTranspose/Gemm/MatMul
  std::set<std::string> per_tensor_ops;   // weighted ops whose weights stay per tensor
  bool reduce_range = false;              // 7-bit weights
  std::string bias = "int32";             // int32 (quantized) | float
  std::string weights = "int8";           // int8 (stored quantized) | qdq (float -> Q -> DQ)
  std::set<std::string> shared_scale_ops;  // inputs and output share one scale
  std::map<std::string, FixedParams> fixed_outputs;  // op type -> output parameters
  bool integer_only = false;  // no float op between the first Q and the last DQ
  std::vector<std::string> formats = {"qdq"};         // qdq, qoperator
  std::vector<std::string> modes = {"static"};        // static, dynamic
  double min_sqnr_db = 20;  // what a calibrated model should reach (tests, report)
};

struct Profile {
  std::string name, description;
  std::string file;  // where it was read from
  std::vector<std::string> sources;  // vendor documentation behind the rules
  int64_t opset_min = 13, opset_max = 21, opset_default = 17;
  std::string layout = "NCHW";
  bool static_shapes = false;
  bool any_op = false;              // "ops": ["*"]: every ai.onnx op
  std::set<std::string> ops;        // ai.onnx op types accepted
  std::vector<AttributeRule> attribute_rules;
  QuantScheme quant;
  std::vector<std::string> notes;   // rules the checker does not enforce (docs)

  bool AllowsOp(const std::string& op_type) const { return any_op || ops.count(op_type) > 0; }
};

// Parses one profile; `file` names it in errors ("FILE: field 'x': ...").
absl::StatusOr<Profile> ParseProfile(const std::string& text, const std::string& file);

// The profiles shipped in targets/profiles/, by name (sorted).
std::vector<std::string> BuiltinProfileNames();

// A shipped profile by name, or a profile file when `name_or_path` ends in
// .json. Unknown names list the known ones.
absl::StatusOr<Profile> LoadProfile(const std::string& name_or_path);

// Every shipped profile, parsed (the docs generator and tests).
absl::StatusOr<std::vector<Profile>> BuiltinProfiles();

// docs/targets.md.
std::string ProfilesMarkdown(const std::vector<Profile>& profiles);

}  // namespace onnxsmith::targets

#endif  // ONNXSMITH_TARGETS_PROFILE_H_
