// Helpers shared by the evaluator and constant-folding unit tests: nodes,
// small tensors, and reading a tensor's values back.
#ifndef ONNXSMITH_TESTS_UNIT_EVALUATOR_TEST_UTIL_H_
#define ONNXSMITH_TESTS_UNIT_EVALUATOR_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::evaluator {

template <typename T>
std::vector<T> Values(const ir::Tensor& t) {
  auto d = t.data<T>();
  return std::vector<T>(d.begin(), d.end());
}

inline ir::Node MakeNode(const std::string& op, std::vector<std::string> in,
                         std::vector<std::string> out, std::vector<ir::Attribute> attrs = {}) {
  ir::Node n;
  n.name = op + "_node";
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

inline ir::Tensor F(std::vector<int64_t> dims, std::vector<float> v) {
  return ir::Tensor::FromVector<float>(dims, v);
}
inline ir::Tensor I64(std::vector<int64_t> v) { return ir::Tensor::Vector1D<int64_t>(v); }

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_TESTS_UNIT_EVALUATOR_TEST_UTIL_H_
