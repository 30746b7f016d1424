// The reference evaluator: runs an ONNX graph (ir::Graph) on CPU kernels.
//
//   auto ev = Evaluator::Create(model);            // or (graph, {.opset = 17})
//   auto outputs = ev->Run({{"x", x_tensor}});     // graph outputs, in order
//
// Nodes run in topological order (only those the requested outputs need);
// every intermediate buffer comes from a pool and goes back to it right
// after its last reader, so a CNN runs in memory bounded by its widest
// layer. Heavy kernels use TBB. Unknown ops are an error at Create, naming
// the node and the op.
//
// Control flow (If, Loop, Scan): Create builds one evaluator per subgraph,
// recursively; a subgraph reads its formal inputs (graph inputs) and, by
// name, any value of an enclosing scope defined before its node (ONNX's
// implicit inputs). Sequence values (ONNX sequence types) flow between the
// sequence ops and through Loop/If; a graph output that is a sequence is an
// error in Run (the API returns tensors).
#ifndef ONNXSMITH_EVALUATOR_EVALUATOR_H_
#define ONNXSMITH_EVALUATOR_EVALUATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "evaluator/array.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::evaluator {

struct EvaluatorOptions {
  // ai.onnx opset of the graph (required with Create(graph); Create(model)
  // takes the model's when 0).
  int64_t opset = 0;
  // Values to return, in order (default: the graph outputs).
  std::vector<std::string> outputs;
  // Worker threads: 0 = TBB's default (all cores), 1 = sequential.
  int num_threads = 0;
  // Largest output (elements) any node may produce; -1 = unbounded.
  int64_t max_output_elements = -1;
  // Freed buffers kept for reuse across nodes and runs.
  int64_t max_cached_bytes = int64_t{1} << 30;
  // Accumulate wall time per op type (see Evaluator::Profile()).
  bool profile = false;
};

struct OpProfile {
  std::string op_type;
  int64_t calls = 0;
  double seconds = 0;
};

class Evaluator {
 public:
  static absl::StatusOr<Evaluator> Create(const ir::Graph& graph, EvaluatorOptions options);
  static absl::StatusOr<Evaluator> Create(const ir::Model& model, EvaluatorOptions options = {});

  Evaluator(Evaluator&&) noexcept;
  Evaluator& operator=(Evaluator&&) noexcept;
  ~Evaluator();

  // `feeds` must hold every graph input that is not an initializer (and may
  // override initializers that are also graph inputs). Returns the requested
  // outputs in order. Concurrent Runs on one Evaluator are safe (the buffer
  // pool is shared and locked) unless options.profile is set.
  absl::StatusOr<std::vector<ir::Tensor>> Run(const std::map<std::string, ir::Tensor>& feeds);

  // Run that also hands every value a node produces to `observer` right
  // after the node ran, before its buffer can be released (calibration
  // reduces intermediates to statistics this way instead of keeping them).
  // An error from the observer stops the run.
  using ValueObserver = std::function<absl::Status(const std::string& name, const Array& value)>;
  absl::StatusOr<std::vector<ir::Tensor>> Run(const std::map<std::string, ir::Tensor>& feeds,
                                              const ValueObserver& observer);

  const std::vector<std::string>& output_names() const { return output_names_; }
  // Graph inputs that need a feed (initializers excluded).
  const std::vector<ir::ValueInfo>& required_inputs() const { return required_inputs_; }
  int64_t opset() const { return options_.opset; }
  // Buffer statistics of the pool (peak_live_bytes: the memory high-water
  // mark of intermediate values).
  PoolStats pool_stats() const;
  void ResetPeak();
  // Per op type, most expensive first (empty unless options.profile).
  std::vector<OpProfile> Profile() const;

 private:
  Evaluator() = default;

  struct Body;  // a subgraph's evaluator (evaluator.cc)
  struct Step {
    const ir::Node* node = nullptr;
    const void* kernel = nullptr;  // const KernelFn*
    std::vector<int> inputs;       // slot per input, -1 for omitted
    std::vector<int> outputs;      // slot per output, -1 for omitted
    std::vector<int> release;      // slots whose last reader is this step
    std::vector<int> implicit;     // slots the node's subgraphs read
    std::vector<std::shared_ptr<Body>> bodies;
  };
  friend class StepSubgraphs;

  // Create for a graph that may read the `outer` names from enclosing
  // scopes; a subgraph shares its parent's buffer pool.
  static absl::StatusOr<Evaluator> CreateScoped(const ir::Graph& graph, EvaluatorOptions options,
                                                const absl::flat_hash_set<std::string>& outer,
                                                std::shared_ptr<BufferPool> pool);
  // Runs a subgraph evaluator: `inputs` bind its graph inputs, outer value
  // k is parent_values[parent_slots[k]].
  absl::StatusOr<std::vector<Array>> RunBody(const std::vector<Array>& inputs,
                                             const std::vector<Array>& parent_values,
                                             const std::vector<int>& parent_slots);
  absl::Status Execute(std::vector<Array>& values, const ValueObserver* observer);

  EvaluatorOptions options_;
  std::vector<std::unique_ptr<ir::Node>> nodes_;  // copies, owned
  std::vector<Step> steps_;
  std::vector<std::string> slot_names_;
  std::vector<Array> constants_;        // per slot: initializer value or empty
  std::map<std::string, int> feed_slots_;  // graph inputs (incl. overridable initializers)
  std::map<std::string, ir::ValueType> input_types_;
  std::vector<ir::ValueInfo> required_inputs_;
  std::vector<int> input_slots_;         // graph inputs, in order
  std::vector<std::string> outer_names_;  // read from enclosing scopes, sorted
  std::vector<int> outer_slots_;
  std::vector<std::string> output_names_;
  std::vector<int> output_slots_;
  std::shared_ptr<BufferPool> pool_;
  struct Arena;  // a tbb::task_arena when num_threads > 0
  std::unique_ptr<Arena> arena_;
  std::map<std::string, OpProfile> profile_;
};

// ---- Single nodes (constant folding, calibration helpers) -------------------

struct NodeEvalOptions {
  int64_t max_output_elements = -1;
  bool parallel = true;
  // For a node with subgraphs: the values they read from the enclosing
  // scope (a missing one is an error).
  std::map<std::string, ir::Tensor> outer_values;
};

// Whether the evaluator has a kernel for `node` at `opset`.
bool IsSupported(const ir::Node& node, int64_t opset);
// Op types the evaluator implements (ai.onnx), sorted.
std::vector<std::string> SupportedOps();

// Runs one node; `inputs` has one entry per node input (nullptr for omitted
// ones). Returns one tensor per node output (empty ones for omitted outputs).
// A ResourceExhausted error when an output would exceed the element limit.
absl::StatusOr<std::vector<ir::Tensor>> EvaluateNode(const ir::Node& node, int64_t opset,
                                                     const std::vector<const ir::Tensor*>& inputs,
                                                     const NodeEvalOptions& options = {});

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_EVALUATOR_H_
