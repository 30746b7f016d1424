// Small builders of hand-made graphs for unit tests (quantize, targets).
#ifndef ONNXSMITH_TESTS_UNIT_GRAPH_TEST_UTIL_H_
#define ONNXSMITH_TESTS_UNIT_GRAPH_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace onnxsmith::testing {

// A float32 graph input/output of static shape `dims`.
inline ir::ValueInfo FloatValue(const std::string& name, const std::vector<int64_t>& dims) {
  ir::ValueInfo v;
  v.name = name;
  v.type.dtype = ir::DataType::kFloat;
  std::vector<ir::Dim> d;
  for (int64_t x : dims) d.push_back(ir::Dim{x, ""});
  v.type.shape = d;
  return v;
}

inline ir::Node NamedNode(const std::string& name, const std::string& op, std::vector<std::string> in,
                          std::vector<std::string> out, std::vector<ir::Attribute> attrs = {}) {
  ir::Node n;
  n.name = name;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

// n floats uniform in [lo, hi), reproducible by seed.
inline std::vector<float> UniformFloats(int64_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

}  // namespace onnxsmith::testing

#endif  // ONNXSMITH_TESTS_UNIT_GRAPH_TEST_UTIL_H_
