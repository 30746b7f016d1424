// Prints docs/support_status.md from the handler registry itself, so the
// table can never disagree with the code. A test diffs it with the file.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "converter/handlers/registry.h"

namespace {

using onnxsmith::converter::HandlerRegistry;
using onnxsmith::converter::kMaxOpset;
using onnxsmith::converter::kMinOpset;

// "13-21", or "13-17, 19" for gaps.
std::string Ranges(const std::vector<int>& opsets) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < opsets.size();) {
    size_t j = i;
    while (j + 1 < opsets.size() && opsets[j + 1] == opsets[j] + 1) ++j;
    parts.push_back(i == j ? absl::StrCat(opsets[i]) : absl::StrCat(opsets[i], "-", opsets[j]));
    i = j + 1;
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

}  // namespace

int main() {
  const HandlerRegistry& registry = HandlerRegistry::Global();
  const auto ops = registry.Ops();
  std::printf("# TensorFlow op support\n\n");
  std::printf("Generated from the handler registry by `bazel run //tools/support_status:gen`;\n"
              "do not edit by hand (`//tools/support_status:support_status_test` fails when\n"
              "this file and the code disagree).\n\n");
  std::printf("onnxsmith emits ai.onnx opsets %d to %d (default 17). %zu TF op types convert.\n\n",
              kMinOpset, kMaxOpset, ops.size());
  std::printf("| TF op | opsets |\n|---|---|\n");
  for (const std::string& op : ops) {
    std::printf("| %s | %s |\n", op.c_str(), Ranges(registry.SupportedOpsets(op)).c_str());
  }
  std::printf("\nOps not listed can be passed through unconverted into a custom domain with\n"
              "`--custom-ops Op[:domain],...`.\n");
  return 0;
}
