// Test support for the optimizer's unit tests (testonly): a terse graph
// builder and a naive double-precision interpreter for the handful of ops
// the passes rewrite, so that tests can check that a rewrite keeps the
// graph's numbers, not only its shape. This is deliberately slow and small;
// it is not the reference evaluator.
#ifndef ONNXSMITH_OPTIMIZER_TESTING_H_
#define ONNXSMITH_OPTIMIZER_TESTING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "optimizer/pass.h"

namespace onnxsmith::optimizer::testing {

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

// Runs `graph` on `feeds` (graph inputs by name); returns every graph output.
absl::StatusOr<std::map<std::string, Array>> Run(const ir::Graph& graph,
                                                 const std::map<std::string, Array>& feeds);

// Largest |a - b| over all outputs; +inf when shapes differ.
double MaxAbsDiff(const std::map<std::string, Array>& a, const std::map<std::string, Array>& b);

// Number of nodes of `op_type` in the main graph.
int CountOp(const ir::Graph& g, const std::string& op_type);

// Deep copy (subgraphs included).
ir::Graph Clone(const ir::Graph& g);

// Random values for every graph input (static shapes only).
std::map<std::string, Array> RandomFeeds(const ir::Graph& g, uint32_t seed);

// Runs both graphs on the same random inputs and returns the largest
// output difference.
absl::StatusOr<double> NumericDiff(const ir::Graph& a, const ir::Graph& b, uint32_t seed = 1);

// Runs the named passes (in order) to a fixed point; returns the report.
absl::StatusOr<PipelineReport> RunPasses(ir::Graph& g, const std::vector<std::string>& passes,
                                         int64_t opset = 17);

// ONNX's checker and strict shape inference on the graph as a model.
absl::Status CheckWithOnnx(const ir::Graph& g, int64_t opset = 17);

// ---- Checking a rewrite (testing_checks.cc) ----------------------------------

// The first node of `op_type` in the main graph, or nullptr.
const ir::Node* FindOp(const ir::Graph& g, const std::string& op_type);

// Largest |a - b| over the outputs of two graphs run by the reference
// evaluator (for ops the interpreter above lacks) on the same random inputs;
// `dims` gives concrete shapes for inputs with unknown dims. +inf when the
// outputs differ in number or shape.
absl::StatusOr<double> EvaluatorDiff(const ir::Graph& a, const ir::Graph& b,
                                     const std::map<std::string, std::vector<int64_t>>& dims = {});

// The largest output difference between a graph before and after a rewrite.
using DiffFn =
    std::function<absl::StatusOr<double>(const ir::Graph& before, const ir::Graph& after)>;

// What a rewrite test checks: `passes` run on `g` converge, the outputs stay
// within `tol` of those before (NumericDiff, or `diff` when given), and ONNX's
// checker accepts the result. The error says which check failed.
absl::Status OptimizeAndCheck(ir::Graph& g, const std::vector<std::string>& passes,
                              int64_t opset = 17, double tol = 1e-5, const DiffFn& diff = nullptr);

}  // namespace onnxsmith::optimizer::testing

#endif  // ONNXSMITH_OPTIMIZER_TESTING_H_
