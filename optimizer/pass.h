// The optimizer's pass interface and the pipeline that runs passes to a
// fixed point.
//
// A pass rewrites one ir::Graph in place and says whether it changed
// anything; the pipeline runs every pass on the main graph and on every
// subgraph (graph-valued attributes: If branches, Loop/Scan bodies), and
// repeats the whole sequence until an iteration changes nothing or the
// iteration bound is reached. Time and change counts are kept per pass.
#ifndef ONNXSMITH_OPTIMIZER_PASS_H_
#define ONNXSMITH_OPTIMIZER_PASS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace onnxsmith::optimizer {

class Pass {
 public:
  virtual ~Pass() = default;
  // Stable, snake_case: what --passes / --skip and the docs use.
  virtual std::string name() const = 0;
  // Rewrites `graph` (not its subgraphs: the pipeline visits those) and
  // returns whether anything changed. An error aborts the pipeline; a pass
  // must leave the graph valid whenever it returns.
  virtual absl::StatusOr<bool> Run(ir::Graph& graph) = 0;

  // Set by the pipeline before Run: the model's ai.onnx opset (0: unknown).
  void set_opset(int64_t opset) { opset_ = opset; }
  int64_t opset() const { return opset_; }

  // Number of individual rewrites made since the last reset (for reports).
  int64_t changes() const { return changes_; }
  void reset_changes() { changes_ = 0; }

 protected:
  void CountChanges(int64_t n = 1) { changes_ += n; }

 private:
  int64_t opset_ = 0;
  int64_t changes_ = 0;
};

struct PassReport {
  std::string name;
  int64_t runs = 0;          // Run calls (every graph, every iteration)
  int64_t changed_runs = 0;  // Run calls that changed something
  int64_t changes = 0;       // individual rewrites
  double seconds = 0;        // wall time in Run
};

struct PipelineReport {
  std::vector<PassReport> passes;  // pipeline order
  int iterations = 0;
  bool converged = false;    // false: stopped at the iteration bound
  int64_t nodes_before = 0;  // main graph and subgraphs
  int64_t nodes_after = 0;
  int64_t initializers_before = 0;
  int64_t initializers_after = 0;
  double seconds = 0;
};

// Human-readable table: one line per pass, then totals.
std::string FormatReport(const PipelineReport& report);

// Nodes in `graph` and, recursively, in its subgraphs.
int64_t CountNodes(const ir::Graph& graph);
// Nodes of op type `op_type` (any domain), subgraphs included.
int64_t CountNodes(const ir::Graph& graph, const std::string& op_type);

struct PipelineOptions {
  int max_iterations = 16;
  bool recurse_into_subgraphs = true;
  // Sibling subgraphs (If branches, Loop bodies of different nodes) are
  // independent: run them on TBB workers, each with a fresh pass from the
  // pass's factory (passes keep per-run state).
  bool parallel_subgraphs = true;
  // Runs ir::Verify on the input and after every pass (on the whole tree);
  // a broken invariant fails the run naming the pass that broke it. On in
  // the optimizer's tests; `--verify` for the CLI.
  bool verify_each_pass = false;
};

using PassFactory = std::function<std::unique_ptr<Pass>()>;

class Pipeline {
 public:
  explicit Pipeline(PipelineOptions options = {}) : options_(options) {}
  Pipeline(Pipeline&&) = default;
  Pipeline& operator=(Pipeline&&) = default;

  // With a factory, the pass's subgraph runs may go in parallel.
  void Add(std::unique_ptr<Pass> pass, PassFactory factory = nullptr) {
    passes_.push_back(std::move(pass));
    factories_.push_back(std::move(factory));
  }
  const std::vector<std::unique_ptr<Pass>>& passes() const { return passes_; }
  std::vector<std::string> PassNames() const;

  absl::StatusOr<PipelineReport> Run(ir::Graph& graph, int64_t opset);
  absl::StatusOr<PipelineReport> Run(ir::Model& model) { return Run(model.graph, model.opset()); }

 private:
  // Runs `pass` on `graph` and its subgraphs; returns whether any changed.
  absl::StatusOr<bool> RunOnTree(Pass& pass, const PassFactory& factory, ir::Graph& graph,
                                 PassReport& report);

  PipelineOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
  std::vector<PassFactory> factories_;  // parallel to passes_; may be null
};

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_PASS_H_
