// `--target NAME` and its companions (--fix-shape, --batch,
// --allow-fallback) on convert, optimize, quantize and inspect: the profile
// (targets/profile.h) picks the opset and the quantization scheme, fixes
// shapes, and the compliance checker (targets/compliance.h) judges the
// result.
#ifndef ONNXSMITH_CLI_TARGET_FLAGS_H_
#define ONNXSMITH_CLI_TARGET_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "quantize/quantize.h"
#include "targets/compliance.h"
#include "targets/profile.h"

namespace CLI {
class App;
}  // namespace CLI

namespace onnxsmith::cli {

struct QuantizeFlags;

struct TargetFlags {
  std::string target;                  // profile name or FILE.json ("" = none)
  std::vector<std::string> fix_shape;  // NAME:1x224x224x3, repeated or comma lists
  int64_t batch = 0;                   // > 0: dim 0 of every input
  bool allow_fallback = false;         // unsupported nodes do not fail the command
  std::string report_path;             // optimize/inspect's --report (convert/quantize share theirs)
};

// Declares --target, --fix-shape, --batch, --allow-fallback (and --report
// when `with_report`).
void AddTargetFlags(CLI::App* sub, TargetFlags* f, bool with_report);

// The profile --target names (nullopt without --target); also checks the
// syntax of --fix-shape and --batch.
absl::StatusOr<std::optional<targets::Profile>> LoadTarget(const TargetFlags& f);

// The opset convert emits: the profile's default without --opset, else
// --opset if the profile's range holds it.
absl::StatusOr<int> TargetOpset(const targets::Profile& profile, int opset_flag, bool opset_given);

// A loaded model's opset must lie in the profile's range (optimize and
// quantize do not change opsets).
absl::Status CheckModelOpset(const targets::Profile& profile, const ir::Model& model, const std::string& path);

// The quantizer's options as the profile says; an explicit flag that
// contradicts it is an error naming both.
absl::Status ApplyProfile(const targets::Profile& profile, const QuantizeFlags& flags,
                          quantize::QuantizeOptions* options);

// --fix-shape/--batch on the model (then shape inference); the notes say
// what changed.
absl::StatusOr<std::vector<std::string>> ApplyShapeFlags(const TargetFlags& f, ir::Model& model);

// Checks `model` against the profile; the quantizer's decisions (when it
// ran) give the reasons of nodes left float.
targets::ComplianceReport CheckTarget(const targets::Profile& profile, const ir::Model& model,
                                      const quantize::QuantizeReport* quantized,
                                      std::vector<std::string> notes);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_TARGET_FLAGS_H_
