// optimize_tool IN.onnx OUT.onnx [-O<n>] [--passes a,b] [--skip c,d] [--list]
// Reads an ONNX model, runs the optimizer pipeline, validates and writes the
// result, and prints the pass report with node / Transpose counts.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"
#include "optimizer/pass.h"
#include "optimizer/registry.h"

namespace {

using onnxsmith::optimizer::CountNodes;

absl::Status Main(const std::vector<std::string>& args) {
  namespace opt = onnxsmith::optimizer;
  namespace ir = onnxsmith::ir;
  std::vector<std::string> positional;
  opt::OptimizeOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--list") {
      std::printf("%s", opt::PassTableMarkdown().c_str());
      return absl::OkStatus();
    } else if (a.rfind("-O", 0) == 0) {
      ASSIGN_OR_RETURN(options.level, opt::ParseOptLevel(a));
    } else if ((a == "--passes" || a == "--skip") && i + 1 < args.size()) {
      std::vector<std::string> names = absl::StrSplit(args[++i], ',', absl::SkipEmpty());
      (a == "--passes" ? options.passes : options.skip) = names;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: optimize_tool IN.onnx OUT.onnx [-O<n>] [--passes a,b] [--skip c] [--list]");
  }
  ASSIGN_OR_RETURN(onnx::ModelProto in_proto, ir::ReadModelProto(positional[0]));
  ASSIGN_OR_RETURN(ir::Model model, ir::FromModelProto(in_proto));
  const int64_t nodes = CountNodes(model.graph);
  const int64_t transposes = CountNodes(model.graph, "Transpose");
  ASSIGN_OR_RETURN(opt::PipelineReport report, opt::Optimize(model, options));
  std::printf("%s", opt::FormatReport(report).c_str());
  std::printf("  nodes %lld -> %lld, Transpose %lld -> %lld\n", static_cast<long long>(nodes),
              static_cast<long long>(CountNodes(model.graph)), static_cast<long long>(transposes),
              static_cast<long long>(CountNodes(model.graph, "Transpose")));
  onnx::ModelProto out = ir::ToModelProto(model);
  ASSIGN_OR_RETURN(ir::ValidationReport validation, ir::ValidateModel(&out));
  std::printf("  checker: %s\n", validation.checked ? "passed" : validation.skipped_reason.c_str());
  return ir::WriteModelProto(out, positional[1]);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::Status st = Main(args);
  if (!st.ok()) {
    std::fprintf(stderr, "optimize_tool: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
