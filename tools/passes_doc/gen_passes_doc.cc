// Prints docs/passes.md from the pass registry itself (name, level,
// description are stated once, in optimizer/registry.cc). A test diffs it
// with the checked-in file.
#include <cstdio>
#include <string>

#include "optimizer/registry.h"

int main() {
  namespace opt = onnxsmith::optimizer;
  std::printf("# Optimizer passes\n\n");
  std::printf("Generated from the pass registry by `bazel run //tools/passes_doc:gen`;\n"
              "do not edit by hand (`//tools/passes_doc:passes_doc_test` fails when this\n"
              "file and the code disagree).\n\n");
  std::printf("`onnxsmith optimize` and `convert` run the passes of the level given by\n"
              "`--optimize N` (each level includes those below it; default %d) in the order\n"
              "below, repeated until an iteration changes nothing; `--passes a,b` runs\n"
              "exactly those, `--skip c` drops some.\n\n",
              static_cast<int>(opt::kDefaultOptLevel));
  std::printf("| --optimize | name |\n|---|---|\n");
  for (opt::OptLevel l : {opt::OptLevel::kNone, opt::OptLevel::kBasic, opt::OptLevel::kExtended,
                          opt::OptLevel::kAll}) {
    std::printf("| %d | %s |\n", static_cast<int>(l), opt::OptLevelName(l));
  }
  std::printf("\n## Passes (pipeline order)\n\n%s", opt::PassTableMarkdown().c_str());
  std::printf("\n\"Constant\" means an initializer that no graph input overrides, or a value\n"
              "computed only from such by deterministic standard ops (a constant expression).\n"
              "Rewrites that need a constant re-laid out or combined emit the arithmetic on\n"
              "the constant path when the operand is a constant expression; constant folding\n"
              "turns those into initializers.\n");
  return 0;
}
