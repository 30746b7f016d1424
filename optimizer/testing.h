// Test support for the optimizer's unit tests (testonly): a terse graph
// builder, random inputs, and the before/after check every rewrite test
// makes. Numbers come from the reference evaluator (evaluator/evaluator.h),
// the same one `onnxsmith run` and constant folding use. Pipelines run here
// verify the graph after every pass (ir::Verify).
#ifndef ONNXSMITH_OPTIMIZER_TESTING_H_
#define ONNXSMITH_OPTIMIZER_TESTING_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "optimizer/pass.h"

namespace onnxsmith::optimizer::testing {

// Values for building float tensors by hand.
struct Array {
  std::vector<int64_t> dims;
  std::vector<double> v;
  int64_t size() const;
};

// Deterministic pseudo-random values in [-2, 2).
Array Random(const std::vector<int64_t>& dims, uint32_t seed);
ir::Tensor FloatTensor(const Array& a);
ir::Tensor RandomFloatTensor(const std::vector<int64_t>& dims, uint32_t seed);

class GraphBuilder {
 public:
  GraphBuilder& Input(const std::string& name, std::vector<int64_t> dims,
                      ir::DataType dtype = ir::DataType::kFloat);
  GraphBuilder& Output(const std::string& name);
  GraphBuilder& Init(const std::string& name, ir::Tensor t);
  // Records a type for an intermediate value (value_info).
  GraphBuilder& Type(const std::string& name, std::vector<int64_t> dims,
                     ir::DataType dtype = ir::DataType::kFloat);
  ir::Node* Add(const std::string& op, std::vector<std::string> inputs,
                std::vector<std::string> outputs, std::vector<ir::Attribute> attrs = {});
  ir::Graph& graph() { return g_; }
  ir::Graph Take() { return std::move(g_); }

 private:
  ir::Graph g_;
};

// Number of nodes of `op_type` in the main graph.
int CountOp(const ir::Graph& g, const std::string& op_type);
// The first node of `op_type` in the main graph, or nullptr.
const ir::Node* FindOp(const ir::Graph& g, const std::string& op_type);

struct DiffOptions {
  int64_t opset = 17;
  // Concrete shapes for inputs with unknown dims (default: 2 for each).
  std::map<std::string, std::vector<int64_t>> dims;
  uint32_t seed = 1;
};

// Runs both graphs with the reference evaluator on the same random inputs
// (floats in [-2, 2), small integers, alternating bools) and returns the
// largest output difference |a - b| / max(1, max |a|): absolute for small
// outputs, relative to the output's magnitude for large ones (the evaluator
// computes in the graph's own dtype). +inf when the outputs differ in number,
// name or shape.
absl::StatusOr<double> NumericDiff(const ir::Graph& a, const ir::Graph& b,
                                   const DiffOptions& options = {});

// Runs the named passes (in order) to a fixed point with ir::Verify after
// every pass; returns the report.
absl::StatusOr<PipelineReport> RunPasses(ir::Graph& g, const std::vector<std::string>& passes,
                                         int64_t opset = 17);

// ONNX's checker and strict shape inference on the graph as a model.
absl::Status CheckWithOnnx(const ir::Graph& g, int64_t opset = 17);

// What a rewrite test checks: `passes` run on `g` converge (verified after
// each pass), the outputs stay within `tol` of those before (NumericDiff,
// `dims` for inputs of unknown shape), and ONNX's checker accepts the result.
// The error says which check failed.
absl::Status OptimizeAndCheck(ir::Graph& g, const std::vector<std::string>& passes,
                              int64_t opset = 17, double tol = 1e-5,
                              const std::map<std::string, std::vector<int64_t>>& dims = {});

}  // namespace onnxsmith::optimizer::testing

#endif  // ONNXSMITH_OPTIMIZER_TESTING_H_
