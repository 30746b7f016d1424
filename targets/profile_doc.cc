// docs/targets.md from the profile files (tools/targets_doc).
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "targets/profile.h"

namespace onnxsmith::targets {
namespace {

std::string Fixed(const QuantScheme& q) {
  std::vector<std::string> parts;
  for (const auto& [op, p] : q.fixed_outputs) {
    parts.push_back(absl::StrCat(op, " (", p.scale, ", ", p.zero_point, ")"));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

std::string Or(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

std::string ProfilesMarkdown(const std::vector<Profile>& profiles) {
  std::string out =
      "# Target profiles\n\n"
      "Generated from `targets/profiles/*.json` by `bazel run //tools/targets_doc:gen`; do not edit by\n"
      "hand (`//tools/targets_doc:targets_doc_test` fails when this file and the profiles disagree).\n\n"
      "`--target NAME` on `convert`, `optimize` and `quantize` picks the opset, the quantization scheme\n"
      "and static shapes (`--fix-shape input:1x224x224x3`, `--batch N`) from a profile, then checks\n"
      "every node against it: **supported** as is, **rewritten** (how), **left float** (why) or\n"
      "**unsupported** (exit 1 unless `--allow-fallback`). `onnxsmith inspect --target NAME model.onnx`\n"
      "checks any ONNX file; `--report FILE.json` writes the per-node report. `--target FILE.json`\n"
      "reads a profile of your own (same fields as the files below).\n\n"
      "Layout `NCHW` is checked too: a channels-first -> channels-last Transpose whose data comes back\n"
      "to channels-first through another Transpose (ops left running NHWC in the graph's interior, a\n"
      "round trip the transpose passes could not remove) makes both Transposes **unsupported**;\n"
      "Transposes at the model's inputs and outputs (or before a Flatten/Reshape) are accepted, and\n"
      "`--inputs-as-nchw`/`--outputs-as-nchw` on `convert` fold them into the I/O.\n\n"
      "## Summary\n\n"
      "| target | opset | shapes | activations | weights | bias | weight form | shared scales | fixed outputs | integer only |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Profile& p : profiles) {
    const QuantScheme& q = p.quant;
    std::string weights = absl::StrCat("int8 symmetric, ", q.per_channel ? "per channel" : "per tensor",
                                       q.reduce_range ? " (7-bit)" : "");
    if (!q.per_tensor_ops.empty()) {
      absl::StrAppend(&weights, "; per tensor: ", absl::StrJoin(q.per_tensor_ops, ", "));
    }
    absl::StrAppend(&out, "| `", p.name, "` | ", p.opset_min, "-", p.opset_max, " (default ", p.opset_default,
                    ") | ", p.static_shapes ? "static" : "dynamic", " | ", q.activation_type,
                    q.symmetric_activations ? " symmetric" : " asymmetric", " | ", weights, " | ", q.bias, " | ",
                    q.weights == "qdq" ? "float + Q/DQ" : "int8 + DQ", " | ",
                    Or(absl::StrJoin(q.shared_scale_ops, ", ")), " | ", Fixed(q), " | ",
                    q.integer_only ? "yes" : "no", " |\n");
  }
  for (const Profile& p : profiles) {
    absl::StrAppend(&out, "\n## ", p.name, "\n\n", p.description, ".\n\n");
    absl::StrAppend(&out, "- opset ", p.opset_min, "..", p.opset_max, ", layout ", p.layout, ", ",
                    p.static_shapes ? "static shapes" : "dynamic shapes allowed", "\n");
    absl::StrAppend(&out, "- formats: ", absl::StrJoin(p.quant.formats, ", "), "; modes: ",
                    absl::StrJoin(p.quant.modes, ", "), "; expected SQNR >= ", p.quant.min_sqnr_db, " dB\n");
    if (p.any_op) {
      absl::StrAppend(&out, "- ops: every ai.onnx op\n");
    } else {
      absl::StrAppend(&out, "- ops (", p.ops.size(), "): ", absl::StrJoin(p.ops, ", "), "\n");
    }
    for (const AttributeRule& r : p.attribute_rules) {
      absl::StrAppend(&out, "- ", r.op, ".", r.attribute, " in {", absl::StrJoin(r.allowed, ", "), "}: ", r.why, "\n");
    }
    for (const std::string& n : p.notes) absl::StrAppend(&out, "- ", n, "\n");
    if (!p.sources.empty()) {
      absl::StrAppend(&out, "\nSources:\n\n");
      for (const std::string& s : p.sources) absl::StrAppend(&out, "- <", s, ">\n");
    }
  }
  return out;
}

}  // namespace onnxsmith::targets
