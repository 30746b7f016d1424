// Integer overflow in the reference evaluator wraps around (two's complement)
// as in ONNX Runtime and TensorFlow, instead of being undefined behaviour:
// constant folding meets such values in fuzzed and real graphs (found by the
// saved_model fuzzer: an int64 Mul of 13153337345 * 8589934592).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::evaluator {
namespace {

using ir::Tensor;

template <typename T>
T RunScalarOp(const std::string& op, std::vector<T> in) {
  std::vector<Tensor> tensors;
  std::vector<const Tensor*> ptrs;
  ir::Node n;
  n.name = op;
  n.op_type = op;
  for (size_t i = 0; i < in.size(); ++i) {
    tensors.push_back(Tensor::Vector1D<T>({in[i]}));
    n.inputs.push_back("in" + std::to_string(i));
  }
  for (const Tensor& t : tensors) ptrs.push_back(&t);
  n.outputs = {"out"};
  auto out = EvaluateNode(n, 17, ptrs);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return T{};
  return (*out)[0].template data<T>()[0];
}

TEST(EvaluatorIntOverflow, Int64WrapsAround) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(RunScalarOp<int64_t>("Add", {kMax, 1}), kMin);
  EXPECT_EQ(RunScalarOp<int64_t>("Sub", {kMin, 1}), kMax);
  // 13153337345 * 2^33 mod 2^64, as a signed value.
  EXPECT_EQ(RunScalarOp<int64_t>("Mul", {13153337345, int64_t{1} << 33}),
            static_cast<int64_t>(uint64_t{13153337345} << 33));
  EXPECT_EQ(RunScalarOp<int64_t>("Neg", {kMin}), kMin);
  EXPECT_EQ(RunScalarOp<int64_t>("Abs", {kMin}), kMin);
}

TEST(EvaluatorIntOverflow, Int32AndNarrowTypesWrapAround) {
  EXPECT_EQ(RunScalarOp<int32_t>("Mul", {65536, 65536}), 0);
  EXPECT_EQ(RunScalarOp<int32_t>("Add", {std::numeric_limits<int32_t>::max(), 2}),
            std::numeric_limits<int32_t>::min() + 1);
  // uint16 * uint16 promotes to int in C++, where 65535 * 65535 overflows.
  EXPECT_EQ(RunScalarOp<uint16_t>("Mul", {65535, 65535}), uint16_t{1});
  EXPECT_EQ(RunScalarOp<int8_t>("Add", {127, 1}), int8_t{-128});
}

}  // namespace
}  // namespace onnxsmith::evaluator
