// Integer overflow in the reference evaluator wraps around (two's complement)
// as in ONNX Runtime and TensorFlow, instead of being undefined behaviour:
// constant folding meets such values in fuzzed and real graphs (found by the
// saved_model fuzzer: an int64 Mul of 13153337345 * 8589934592). Expected
// values are computed independently in unsigned arithmetic; where ONNX Runtime
// has its own answer (checked with ORT 1.23 on x86-64) the test says so.
#include <cmath>
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

// Runs `op` on the given inputs; the values of output 0.
template <typename T>
std::vector<T> RunOp(const std::string& op, const std::vector<Tensor>& in,
                     std::vector<ir::Attribute> attrs = {}, int64_t opset = 17) {
  ir::Node n;
  n.name = op;
  n.op_type = op;
  n.attributes = std::move(attrs);
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < in.size(); ++i) {
    n.inputs.push_back("in" + std::to_string(i));
    ptrs.push_back(&in[i]);
  }
  n.outputs = {"out"};
  auto out = EvaluateNode(n, opset, ptrs);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  auto d = (*out)[0].template data<T>();
  return std::vector<T>(d.begin(), d.end());
}

template <typename T>
Tensor V(std::vector<T> v) {
  return Tensor::Vector1D<T>(v);
}

constexpr int32_t kI32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

int32_t W32(uint32_t v) { return static_cast<int32_t>(v); }
int64_t W64(uint64_t v) { return static_cast<int64_t>(v); }

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

TEST(EvaluatorIntOverflow, Reductions) {
  const auto keep0 = [] { return std::vector<ir::Attribute>{ir::Attribute::Int("keepdims", 0)}; };
  const Tensor big = V<int32_t>({kI32Max, 1, 5});
  const int32_t sum = W32(uint32_t{2147483647} + 1 + 5);
  EXPECT_EQ(RunOp<int32_t>("ReduceSum", {big}, keep0(), 13), std::vector<int32_t>{sum});
  // ORT: -1073741823 (the wrapped sum divided by the count).
  EXPECT_EQ(RunOp<int32_t>("ReduceMean", {V<int32_t>({kI32Max, 3})}, keep0()),
            std::vector<int32_t>{-1073741823});
  // int8 mean over 256 elements: the count does not fit int8 (it was a
  // division by zero); the sum wraps to 0.
  EXPECT_EQ(RunOp<int8_t>("ReduceMean", {V<int8_t>(std::vector<int8_t>(256, 1))}, keep0()),
            std::vector<int8_t>{0});
  const int64_t p = W64(uint64_t{13153337345} * (uint64_t{1} << 33) * 3);
  EXPECT_EQ(RunOp<int64_t>("ReduceProd", {V<int64_t>({13153337345, int64_t{1} << 33, 3})},
                           keep0()),
            std::vector<int64_t>{p});
  // 65536^2 + 3^2 = 2^32 + 9.
  EXPECT_EQ(RunOp<int32_t>("ReduceSumSquare", {V<int32_t>({65536, 3})}, keep0()),
            std::vector<int32_t>{9});
  EXPECT_EQ(RunOp<int64_t>("ReduceSumSquare", {V<int64_t>({int64_t{1} << 32, 3})}, keep0()),
            std::vector<int64_t>{9});
  // |INT_MIN| wraps to INT_MIN; ORT: -2147483647.
  EXPECT_EQ(RunOp<int32_t>("ReduceL1", {V<int32_t>({kI32Min, -1})}, keep0()),
            std::vector<int32_t>{W32(uint32_t{2147483648} + 1)});
  // ORT sums the squares in int32: 5e9 mod 2^32 = 705032704, sqrt -> 26552.
  EXPECT_EQ(RunOp<int32_t>("ReduceL2", {V<int32_t>({50000, 50000})}, keep0()),
            std::vector<int32_t>{static_cast<int32_t>(std::sqrt(
                static_cast<double>(W32(uint32_t{50000} * 50000u * 2u))))});
  // A negative wrapped sum: sqrt is NaN, which ORT turns into INT_MIN.
  EXPECT_EQ(RunOp<int32_t>("ReduceL2", {V<int32_t>({46341})}, keep0()),
            std::vector<int32_t>{kI32Min});
  EXPECT_EQ(RunOp<int32_t>("ReduceLogSum", {V<int32_t>({kI32Max, 3})}, keep0()),
            std::vector<int32_t>{kI32Min});
}

TEST(EvaluatorIntOverflow, CumSum) {
  const std::vector<int32_t> want = {kI32Max, W32(uint32_t{2147483647} + 1),
                                     W32(uint32_t{2147483647} + 6)};
  EXPECT_EQ(RunOp<int32_t>("CumSum", {V<int32_t>({kI32Max, 1, 5}), Tensor::Scalar<int32_t>(0)}),
            want);
  EXPECT_EQ(RunOp<int64_t>("CumSum", {V<int64_t>({kI64Min, -1}), Tensor::Scalar<int32_t>(0)},
                           {ir::Attribute::Int("exclusive", 1), ir::Attribute::Int("reverse", 1)}),
            (std::vector<int64_t>{-1, 0}));
}

TEST(EvaluatorIntOverflow, MatMulAndGemm) {
  const Tensor a32 = Tensor::FromVector<int32_t>({1, 2}, {65536, 65536});
  const Tensor b32 = Tensor::FromVector<int32_t>({2, 1}, {65536, 3});
  // 2^32 + 196608 mod 2^32; ORT: 196608.
  EXPECT_EQ(RunOp<int32_t>("MatMul", {a32, b32}), std::vector<int32_t>{196608});
  const Tensor a64 = Tensor::FromVector<int64_t>({1, 2}, {int64_t{1} << 62, int64_t{1} << 62});
  const Tensor b64 = Tensor::FromVector<int64_t>({2, 1}, {4, 3});
  // ORT: -4611686018427387904.
  EXPECT_EQ(RunOp<int64_t>("MatMul", {a64, b64}),
            std::vector<int64_t>{W64((uint64_t{1} << 62) * 7)});
  // Gemm: alpha * A B + beta * C, all wrapping.
  const Tensor c64 = Tensor::FromVector<int64_t>({1, 1}, {int64_t{1} << 62});
  EXPECT_EQ(RunOp<int64_t>("Gemm", {a64, b64, c64},
                           {ir::Attribute::Float("alpha", 3), ir::Attribute::Float("beta", 5)}),
            std::vector<int64_t>{W64((uint64_t{1} << 62) * 7 * 3 + (uint64_t{1} << 62) * 5)});
  // An alpha far outside int64: no undefined behaviour (the x86 cast: INT64_MIN).
  EXPECT_EQ(RunOp<int64_t>("Gemm", {a64, b64}, {ir::Attribute::Float("alpha", 1e30f)}),
            std::vector<int64_t>{W64((uint64_t{1} << 62) * 7 * (uint64_t{1} << 63))});
}

TEST(EvaluatorIntOverflow, Pow) {
  // TF wraps (3^21 mod 2^32); ORT gives INT_MIN (std::pow in double, then the cast).
  uint32_t p32 = 1;
  for (int i = 0; i < 21; ++i) p32 *= 3;
  EXPECT_EQ(RunOp<int32_t>("Pow", {V<int32_t>({3, -3}), V<int32_t>({21, 21})}),
            (std::vector<int32_t>{W32(p32), W32(0u - p32)}));
  uint64_t p64 = 1;
  for (int i = 0; i < 41; ++i) p64 *= 3;
  EXPECT_EQ(RunOp<int64_t>("Pow", {V<int64_t>({3}), V<uint64_t>({41})}),
            std::vector<int64_t>{W64(p64)});
  // 3^39 < 2^63 is exact (ORT's double loses the last digits).
  EXPECT_EQ(RunOp<int64_t>("Pow", {V<int64_t>({3}), V<int64_t>({39})}),
            std::vector<int64_t>{4052555153018976267});
  // Negative exponents as ORT: 2^-1 -> 0, 1^-3 -> 1, (-1)^-3 -> -1, (-1)^-2 -> 1, 0^-1 -> INT_MIN.
  EXPECT_EQ(RunOp<int32_t>("Pow", {V<int32_t>({2, 1, -1, -1, 0, 5}), V<int32_t>({-1, -3, -3, -2, -1, 0})}),
            (std::vector<int32_t>{0, 1, -1, 1, kI32Min, 1}));
  // Float exponent on an integer base: in double, then ORT's (x86) cast.
  EXPECT_EQ(RunOp<int32_t>("Pow", {V<int32_t>({4, 2, 7}), V<float>({0.5f, 40.0f, -1.0f})}),
            (std::vector<int32_t>{2, kI32Min, 0}));
  EXPECT_EQ(RunOp<int64_t>("Pow", {V<int64_t>({-4}), V<float>({0.5f})}),
            std::vector<int64_t>{kI64Min});
}

TEST(EvaluatorIntOverflow, OtherKernels) {
  EXPECT_EQ(RunOp<int32_t>("Sum", {V<int32_t>({kI32Max}), V<int32_t>({3}), V<int32_t>({1})}),
            std::vector<int32_t>{W32(uint32_t{2147483647} + 4)});
  // ORT: 0.
  EXPECT_EQ(RunOp<int32_t>("PRelu", {V<int32_t>({-1073741824}), V<int32_t>({4})}),
            std::vector<int32_t>{0});
  EXPECT_EQ(RunOp<int32_t>("ScatterElements",
                           {V<int32_t>({kI32Max, 7}), V<int64_t>({0, 0}), V<int32_t>({1, 1})},
                           {ir::Attribute::String("reduction", "add")}, 18),
            (std::vector<int32_t>{W32(uint32_t{2147483647} + 2), 7}));
  EXPECT_EQ(RunOp<int32_t>("ScatterElements",
                           {V<int32_t>({65536, 7}), V<int64_t>({0}), V<int32_t>({65536})},
                           {ir::Attribute::String("reduction", "mul")}, 18),
            (std::vector<int32_t>{0, 7}));
  // Range stops before the overflow, but the next value (past the end) overflows.
  EXPECT_EQ(RunOp<int32_t>("Range", {Tensor::Scalar<int32_t>(kI32Max - 1),
                                     Tensor::Scalar<int32_t>(kI32Max),
                                     Tensor::Scalar<int32_t>(10)}),
            std::vector<int32_t>{kI32Max - 1});
  // Cast of out-of-range floats and NaN: the x86 result, INT_MIN.
  EXPECT_EQ(RunOp<int32_t>("Cast", {V<float>({1e20f, -1e20f, NAN, -7.9f})},
                           {ir::Attribute::Int("to", static_cast<int64_t>(ir::DataType::kInt32))}),
            (std::vector<int32_t>{kI32Min, kI32Min, kI32Min, -7}));
}

}  // namespace
}  // namespace onnxsmith::evaluator
