// The table of passes: name -> factory, with the optimization level that
// enables each one, and the pipeline builder behind -O / --passes / --skip.
// docs list the passes from this table (PassTableMarkdown), never by hand.
#ifndef ONNXSMITH_OPTIMIZER_REGISTRY_H_
#define ONNXSMITH_OPTIMIZER_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "optimizer/pass.h"

namespace onnxsmith::optimizer {

// Optimization levels. Each includes the passes of the levels below it.
enum class OptLevel : int {
  kNone = 0,      // -O0: nothing
  kBasic = 1,     // -O1: cleanups that never change numerics
  kExtended = 2,  // -O2 (default): layout (transpose) and fusions
  kAll = 3,       // -O3: everything, including passes that trade exactness
};
inline constexpr OptLevel kDefaultOptLevel = OptLevel::kExtended;

const char* OptLevelName(OptLevel level);
// "0".."3", "O2", "-O2", "none", "basic", "extended"/"default", "all".
absl::StatusOr<OptLevel> ParseOptLevel(const std::string& text);

struct PassInfo {
  std::string name;
  std::string description;
  OptLevel level = OptLevel::kBasic;  // lowest level that runs it
  std::function<std::unique_ptr<Pass>()> factory;
};

class PassRegistry {
 public:
  // The registry holding the built-in passes, in pipeline order.
  static PassRegistry& Global();

  absl::Status Register(PassInfo info);
  const PassInfo* Find(const std::string& name) const;
  const std::vector<PassInfo>& passes() const { return passes_; }
  std::vector<std::string> Names() const;

 private:
  std::vector<PassInfo> passes_;
};

struct OptimizeOptions {
  OptLevel level = kDefaultOptLevel;
  // When non-empty: exactly these passes, in this order (level ignored).
  std::vector<std::string> passes;
  // Dropped from whatever the level or `passes` selected.
  std::vector<std::string> skip;
  int max_iterations = 16;
  // ir::Verify after every pass (PipelineOptions::verify_each_pass).
  bool verify_each_pass = false;
};

// Unknown pass names in `passes` or `skip` are errors that list the known ones.
absl::StatusOr<Pipeline> BuildPipeline(const OptimizeOptions& options,
                                       const PassRegistry& registry = PassRegistry::Global());

// Builds the pipeline and runs it on `model`.
absl::StatusOr<PipelineReport> Optimize(ir::Model& model, const OptimizeOptions& options = {});

// Markdown table of the registered passes (name, level, description).
std::string PassTableMarkdown(const PassRegistry& registry = PassRegistry::Global());

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_REGISTRY_H_
