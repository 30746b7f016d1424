// The reference evaluator on small hand-made graphs with known answers:
// broadcasting, opset-dependent semantics, memory bounds, error paths and .npy
// I/O. The constant-folding pass has its own test (constant_folding_test.cc).
#include <cmath>
#include <string>
#include <vector>

#include "evaluator/evaluator.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/tensor.h"
#include "tests/unit/evaluator_test_util.h"

namespace onnxsmith::evaluator {
namespace {

using ir::Attribute;
using ir::DataType;
using ir::Tensor;

// Runs one op on constant inputs.
absl::StatusOr<std::vector<Tensor>> RunOp(const std::string& op, std::vector<Tensor> inputs,
                                          std::vector<Attribute> attrs = {}, int outputs = 1,
                                          int64_t opset = 17) {
  std::vector<std::string> in_names, out_names;
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in_names.push_back(inputs[i].dtype() == DataType::kUndefined ? "" : "in" + std::to_string(i));
    ptrs.push_back(inputs[i].dtype() == DataType::kUndefined ? nullptr : &inputs[i]);
  }
  for (int i = 0; i < outputs; ++i) out_names.push_back("out" + std::to_string(i));
  ir::Node n = MakeNode(op, in_names, out_names, std::move(attrs));
  return EvaluateNode(n, opset, ptrs);
}

// ---- Elementwise and broadcasting ------------------------------------------

TEST(EvaluatorElementwise, AddBroadcastsRowAndColumn) {
  auto r = RunOp("Add", {F({2, 1}, {10, 20}), F({1, 3}, {1, 2, 3})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{11, 12, 13, 21, 22, 23}));
}

TEST(EvaluatorElementwise, BroadcastScalarAndLowerRank) {
  auto r = RunOp("Mul", {Tensor::Scalar<float>(2), F({2, 2}, {1, 2, 3, 4})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{2, 4, 6, 8}));
  // [2,3,4] - [4]
  std::vector<float> a(24);
  for (int i = 0; i < 24; ++i) a[i] = i;
  auto s = RunOp("Sub", {F({2, 3, 4}, a), F({4}, {0, 1, 2, 3})});
  ASSERT_TRUE(s.ok());
  auto v = Values<float>((*s)[0]);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(v[i], a[i] - (i % 4));
}

TEST(EvaluatorElementwise, BroadcastMiddleAxis) {
  // [2,1,3] + [1,2,1] -> [2,2,3]
  auto r = RunOp("Add", {F({2, 1, 3}, {0, 1, 2, 3, 4, 5}), F({1, 2, 1}, {100, 200})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ(Values<float>((*r)[0]),
            (std::vector<float>{100, 101, 102, 200, 201, 202, 103, 104, 105, 203, 204, 205}));
}

TEST(EvaluatorElementwise, EmptyBroadcast) {
  auto r = RunOp("Add", {F({0, 3}, {}), F({1, 3}, {1, 2, 3})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{0, 3}));
}

TEST(EvaluatorElementwise, IncompatibleShapesAreAnError) {
  auto r = RunOp("Add", {F({2, 3}, {1, 2, 3, 4, 5, 6}), F({2}, {1, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot be broadcast"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("Add"), std::string::npos) << r.status();
}

TEST(EvaluatorElementwise, MixedTypesAreAnError) {
  auto r = RunOp("Add", {F({1}, {1}), Tensor::Vector1D<int64_t>({1})});
  EXPECT_FALSE(r.ok());
}

TEST(EvaluatorElementwise, IntegerDivisionAndModulo) {
  auto d = RunOp("Div", {Tensor::Vector1D<int32_t>({-7, 7}), Tensor::Vector1D<int32_t>({2, -2})});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(Values<int32_t>((*d)[0]), (std::vector<int32_t>{-3, -3}));
  auto m = RunOp("Mod", {Tensor::Vector1D<int64_t>({-7, 7}), Tensor::Vector1D<int64_t>({2, -2})});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Values<int64_t>((*m)[0]), (std::vector<int64_t>{1, -1}));
  auto f = RunOp("Mod", {Tensor::Vector1D<int64_t>({-7, 7}), Tensor::Vector1D<int64_t>({2, -2})},
                 {Attribute::Int("fmod", 1)});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Values<int64_t>((*f)[0]), (std::vector<int64_t>{-1, 1}));
  auto z = RunOp("Div", {Tensor::Vector1D<int32_t>({1}), Tensor::Vector1D<int32_t>({0})});
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.status().message().find("division by zero"), std::string::npos);
}

TEST(EvaluatorElementwise, ComparisonAndWhere) {
  auto lt = RunOp("Less", {F({3}, {1, 5, 3}), F({1}, {3})});
  ASSERT_TRUE(lt.ok());
  EXPECT_EQ((*lt)[0].dtype(), DataType::kBool);
  EXPECT_EQ(Values<bool>((*lt)[0]), (std::vector<bool>{true, false, false}));
  // Where with a [2,1] condition, [3] X and scalar Y.
  auto w = RunOp("Where", {Tensor::FromVector<bool>({2, 1}, {true, false}), F({3}, {1, 2, 3}),
                           Tensor::Scalar<float>(-1)});
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<float>((*w)[0]), (std::vector<float>{1, 2, 3, -1, -1, -1}));
}

TEST(EvaluatorElementwise, VariadicMaxBroadcasts) {
  auto r = RunOp("Max", {F({2, 1}, {1, 5}), F({3}, {0, 2, 4}), Tensor::Scalar<float>(3)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{3, 3, 4, 5, 5, 5}));
}

TEST(EvaluatorElementwise, UnaryAndActivations) {
  auto r = RunOp("Relu", {F({3}, {-1, 0, 2})});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 0, 2}));
  r = RunOp("LeakyRelu", {F({2}, {-2, 2})}, {Attribute::Float("alpha", 0.5f)});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{-1, 2}));
  r = RunOp("Sigmoid", {F({3}, {0, 100, -100})});
  auto v = Values<float>((*r)[0]);
  EXPECT_FLOAT_EQ(v[0], 0.5f);
  EXPECT_FLOAT_EQ(v[1], 1.0f);
  EXPECT_NEAR(v[2], 0.0f, 1e-30);
  r = RunOp("Round", {F({4}, {0.5f, 1.5f, 2.5f, -0.5f})});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 2, 2, -0.0f}));
  r = RunOp("Clip", {F({3}, {-5, 0, 5}), Tensor::Scalar<float>(-1), Tensor::Scalar<float>(1)});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{-1, 0, 1}));
  // Clip before opset 11 takes attributes.
  r = RunOp("Clip", {F({3}, {-5, 0, 5})}, {Attribute::Float("min", -2), Attribute::Float("max", 2)},
            1, 6);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{-2, 0, 2}));
}

TEST(EvaluatorElementwise, CastSemantics) {
  auto r = RunOp("Cast", {F({4}, {-1.7f, 1.7f, 0.0f, 2.0f})},
                 {Attribute::Int("to", static_cast<int>(DataType::kInt32))});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<int32_t>((*r)[0]), (std::vector<int32_t>{-1, 1, 0, 2}));
  r = RunOp("Cast", {F({3}, {0.0f, 0.5f, -2.0f})},
            {Attribute::Int("to", static_cast<int>(DataType::kBool))});
  EXPECT_EQ(Values<bool>((*r)[0]), (std::vector<bool>{false, true, true}));
  r = RunOp("Cast", {F({2}, {1.0f, -0.5f})},
            {Attribute::Int("to", static_cast<int>(DataType::kFloat16))});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values<uint16_t>((*r)[0]), (std::vector<uint16_t>{0x3c00, 0xb800}));
}

// ---- Shape ops --------------------------------------------------------------

TEST(EvaluatorShape, ReshapeZeroAndMinusOne) {
  std::vector<float> v(24, 1.0f);
  auto r = RunOp("Reshape", {F({2, 3, 4}, v), I64({0, -1})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 12}));
  // allowzero=1: 0 is a real zero.
  r = RunOp("Reshape", {F({0, 3}, {}), I64({3, 0})}, {Attribute::Int("allowzero", 1)}, 1, 14);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{3, 0}));
  r = RunOp("Reshape", {F({2, 3, 4}, v), I64({5, -1})});
  EXPECT_FALSE(r.ok());
}

TEST(EvaluatorShape, TransposeKnownAnswer) {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = i;
  auto r = RunOp("Transpose", {F({2, 3, 4}, v)}, {Attribute::Ints("perm", {2, 0, 1})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{4, 2, 3}));
  auto o = Values<float>((*r)[0]);
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) EXPECT_EQ(o[(k * 2 + i) * 3 + j], v[(i * 3 + j) * 4 + k]);
}

TEST(EvaluatorShape, LargeTransposeMatchesNaive) {
  // NHWC -> NCHW on a size that exercises the blocked path.
  const int64_t N = 2, H = 37, W = 41, C = 67;
  std::vector<float> v(N * H * W * C);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  auto r = RunOp("Transpose", {F({N, H, W, C}, v)}, {Attribute::Ints("perm", {0, 3, 1, 2})});
  ASSERT_TRUE(r.ok());
  auto o = Values<float>((*r)[0]);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w)
          ASSERT_EQ(o[((n * C + c) * H + h) * W + w], v[((n * H + h) * W + w) * C + c]);
}

TEST(EvaluatorShape, SliceNegativeStepAndClamping) {
  auto r = RunOp("Slice", {F({5}, {0, 1, 2, 3, 4}), I64({-1}), I64({INT64_MIN}), I64({0}), I64({-2})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{4, 2, 0}));
  r = RunOp("Slice", {F({2, 3}, {0, 1, 2, 3, 4, 5}), I64({1}), I64({1000}), I64({1})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 2, 4, 5}));
}

TEST(EvaluatorShape, SqueezeUnsqueezeAttributeVsInput) {
  auto r = RunOp("Unsqueeze", {F({3}, {1, 2, 3})}, {Attribute::Ints("axes", {0, -1})}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 3, 1}));
  r = RunOp("Unsqueeze", {F({3}, {1, 2, 3}), I64({0, -1})}, {}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 3, 1}));
  r = RunOp("Squeeze", {F({1, 3, 1}, {1, 2, 3})}, {}, 1, 13);
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{3}));
  r = RunOp("Squeeze", {F({1, 3, 1}, {1, 2, 3}), I64({1})}, {}, 1, 13);
  EXPECT_FALSE(r.ok());
}

TEST(EvaluatorShape, ConcatSplitGather) {
  auto c = RunOp("Concat", {F({1, 2}, {1, 2}), F({2, 2}, {3, 4, 5, 6})}, {Attribute::Int("axis", 0)});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Values<float>((*c)[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  auto s = RunOp("Split", {F({2, 3}, {1, 2, 3, 4, 5, 6}), I64({1, 2})}, {Attribute::Int("axis", 1)}, 2, 13);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Values<float>((*s)[0]), (std::vector<float>{1, 4}));
  EXPECT_EQ(Values<float>((*s)[1]), (std::vector<float>{2, 3, 5, 6}));
  // Opset 18: num_outputs with a smaller last chunk.
  s = RunOp("Split", {F({5}, {1, 2, 3, 4, 5})}, {Attribute::Int("num_outputs", 2)}, 2, 18);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Values<float>((*s)[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(Values<float>((*s)[1]), (std::vector<float>{4, 5}));
  auto g = RunOp("Gather", {F({3, 2}, {1, 2, 3, 4, 5, 6}), Tensor::Vector1D<int64_t>({-1, 0})});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Values<float>((*g)[0]), (std::vector<float>{5, 6, 1, 2}));
  g = RunOp("Gather", {F({3, 2}, {1, 2, 3, 4, 5, 6}), Tensor::Vector1D<int64_t>({3})});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("out of range"), std::string::npos);
}

TEST(EvaluatorShape, PadModes) {
  auto r = RunOp("Pad", {F({3}, {1, 2, 3}), I64({2, 1})}, {Attribute::String("mode", "reflect")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{3, 2, 1, 2, 3, 2}));
  r = RunOp("Pad", {F({3}, {1, 2, 3}), I64({2, 1})}, {Attribute::String("mode", "edge")});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 1, 1, 2, 3, 3}));
  r = RunOp("Pad", {F({3}, {1, 2, 3}), I64({1, -1}), Tensor::Scalar<float>(9)});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{9, 1, 2}));
}

TEST(EvaluatorShape, RangeExpandTileOneHot) {
  auto r = RunOp("Range", {Tensor::Scalar<int64_t>(1), Tensor::Scalar<int64_t>(10),
                           Tensor::Scalar<int64_t>(3)});
  EXPECT_EQ(Values<int64_t>((*r)[0]), (std::vector<int64_t>{1, 4, 7}));
  r = RunOp("Expand", {F({2, 1}, {1, 2}), I64({2, 3})});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  r = RunOp("Tile", {F({1, 2}, {1, 2}), I64({2, 2})});
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 2, 1, 2, 1, 2, 1, 2}));
  r = RunOp("OneHot", {Tensor::Vector1D<int64_t>({0, -1, 5}), Tensor::Scalar<int64_t>(3),
                       F({2}, {0, 1})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0}));
}

// ---- Reductions and softmax: opset-dependent forms ---------------------------

TEST(EvaluatorReduce, AxesAttributeAndInput) {
  Tensor x = F({2, 3}, {1, 2, 3, 4, 5, 6});
  auto a = RunOp("ReduceSum", {x}, {Attribute::Ints("axes", {1}), Attribute::Int("keepdims", 0)}, 1, 11);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Values<float>((*a)[0]), (std::vector<float>{6, 15}));
  auto b = RunOp("ReduceSum", {x, I64({1})}, {Attribute::Int("keepdims", 0)}, 1, 13);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Values<float>((*b)[0]), (std::vector<float>{6, 15}));
  auto c = RunOp("ReduceMean", {x, I64({0})}, {}, 1, 18);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)[0].dims(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(Values<float>((*c)[0]), (std::vector<float>{2.5, 3.5, 4.5}));
  // No axes: everything; noop_with_empty_axes: identity.
  auto d = RunOp("ReduceMax", {x}, {Attribute::Int("keepdims", 0)}, 1, 18);
  EXPECT_EQ(Values<float>((*d)[0]), (std::vector<float>{6}));
  auto e = RunOp("ReduceMax", {x}, {Attribute::Int("noop_with_empty_axes", 1)}, 1, 18);
  EXPECT_EQ((*e)[0].dims(), (std::vector<int64_t>{2, 3}));
  auto f = RunOp("ReduceLogSumExp", {x}, {Attribute::Ints("axes", {0, 1})}, 1, 17);
  ASSERT_TRUE(f.ok());
  double ref = 0;
  for (int i = 1; i <= 6; ++i) ref += std::exp(i);
  EXPECT_NEAR(Values<float>((*f)[0])[0], std::log(ref), 1e-5);
}

TEST(EvaluatorReduce, SoftmaxAxisSemanticsChangeAtOpset13) {
  Tensor x = F({2, 2}, {1, 2, 3, 4});
  // Opset 11, axis=0: coerced to 2-D [1, 4]: softmax over all four values.
  auto a = RunOp("Softmax", {x}, {Attribute::Int("axis", 0)}, 1, 11);
  ASSERT_TRUE(a.ok());
  float sum = 0;
  for (float v : Values<float>((*a)[0])) sum += v;
  EXPECT_NEAR(sum, 1.0f, 1e-6);
  // Opset 13, axis=0: per column.
  auto b = RunOp("Softmax", {x}, {Attribute::Int("axis", 0)}, 1, 13);
  auto v = Values<float>((*b)[0]);
  EXPECT_NEAR(v[0] + v[2], 1.0f, 1e-6);
  EXPECT_NEAR(v[1] + v[3], 1.0f, 1e-6);
}

TEST(EvaluatorReduce, ArgMaxTies) {
  Tensor x = F({1, 4}, {3, 7, 7, 1});
  auto a = RunOp("ArgMax", {x}, {Attribute::Int("axis", 1)});
  EXPECT_EQ(Values<int64_t>((*a)[0]), (std::vector<int64_t>{1}));
  a = RunOp("ArgMax", {x}, {Attribute::Int("axis", 1), Attribute::Int("select_last_index", 1)});
  EXPECT_EQ(Values<int64_t>((*a)[0]), (std::vector<int64_t>{2}));
}

// ---- NN ---------------------------------------------------------------------

TEST(EvaluatorNn, MatMulBatchedBroadcastAnd1D) {
  // [2,1,2,3] x [3,2] -> [2,1,2,2]
  std::vector<float> a(12), b(6);
  for (int i = 0; i < 12; ++i) a[i] = i;
  for (int i = 0; i < 6; ++i) b[i] = i + 1;
  auto r = RunOp("MatMul", {F({2, 1, 2, 3}, a), F({3, 2}, b)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{2, 1, 2, 2}));
  auto y = Values<float>((*r)[0]);
  for (int m = 0; m < 4; ++m)
    for (int n = 0; n < 2; ++n) {
      float ref = 0;
      for (int k = 0; k < 3; ++k) ref += a[m * 3 + k] * b[k * 2 + n];
      EXPECT_FLOAT_EQ(y[m * 2 + n], ref);
    }
  // 1-D x 1-D -> scalar; [3] x [2,3,2] -> [2,2]
  auto s = RunOp("MatMul", {F({3}, {1, 2, 3}), F({3}, {4, 5, 6})});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE((*s)[0].dims().empty());
  EXPECT_EQ(Values<float>((*s)[0])[0], 32);
  auto t = RunOp("MatMul", {F({3}, {1, 0, 0}), F({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<float>((*t)[0]), (std::vector<float>{1, 2, 7, 8}));
  auto bad = RunOp("MatMul", {F({2, 3}, a), F({2, 3}, b)});
  EXPECT_FALSE(bad.ok());
}

TEST(EvaluatorNn, GemmTransposesAndBias) {
  auto r = RunOp("Gemm", {F({3, 2}, {1, 4, 2, 5, 3, 6}), F({2, 3}, {1, 0, 0, 0, 1, 0}), F({2}, {10, 20})},
                 {Attribute::Int("transA", 1), Attribute::Int("transB", 1),
                  Attribute::Float("alpha", 2.0f), Attribute::Float("beta", 0.5f)});
  ASSERT_TRUE(r.ok()) << r.status();
  // A^T = [[1,2,3],[4,5,6]], B^T = [[1,0],[0,1],[0,0]] -> [[1,2],[4,5]] * 2 + [5,10]
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{7, 14, 13, 20}));
}

// Direct convolution for reference.
std::vector<float> NaiveConv2D(const std::vector<float>& x, int64_t N, int64_t C, int64_t H, int64_t W,
                               const std::vector<float>& w, int64_t M, int64_t KH, int64_t KW,
                               int64_t group, int64_t stride, int64_t pad, int64_t dil,
                               int64_t* OH, int64_t* OW) {
  *OH = (H + 2 * pad - dil * (KH - 1) - 1) / stride + 1;
  *OW = (W + 2 * pad - dil * (KW - 1) - 1) / stride + 1;
  const int64_t Cg = C / group, Mg = M / group;
  std::vector<float> y(N * M * *OH * *OW, 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t oh = 0; oh < *OH; ++oh)
        for (int64_t ow = 0; ow < *OW; ++ow) {
          double acc = 0;
          const int64_t g = m / Mg;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * stride - pad + kh * dil, iw = ow * stride - pad + kw * dil;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x[((n * C + g * Cg + c) * H + ih) * W + iw] * w[((m * Cg + c) * KH + kh) * KW + kw];
              }
          y[((n * M + m) * *OH + oh) * *OW + ow] = static_cast<float>(acc);
        }
  return y;
}

TEST(EvaluatorNn, ConvMatchesNaiveForGroupsStridesDilations) {
  struct Case {
    int64_t C, M, group, stride, pad, dil, K;
  };
  for (const Case& c : {Case{4, 6, 1, 1, 1, 1, 3}, Case{4, 6, 2, 2, 1, 1, 3}, Case{6, 6, 6, 1, 1, 1, 3},
                        Case{4, 8, 4, 2, 2, 2, 3}, Case{3, 5, 1, 1, 0, 1, 1}, Case{2, 3, 1, 3, 2, 1, 5}}) {
    const int64_t N = 2, H = 9, W = 11;
    std::vector<float> x(N * c.C * H * W), w(c.M * (c.C / c.group) * c.K * c.K);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * i);
    for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(0.11 * i);
    int64_t OH, OW;
    auto ref = NaiveConv2D(x, N, c.C, H, W, w, c.M, c.K, c.K, c.group, c.stride, c.pad, c.dil, &OH, &OW);
    auto r = RunOp("Conv", {F({N, c.C, H, W}, x), F({c.M, c.C / c.group, c.K, c.K}, w)},
                   {Attribute::Int("group", c.group), Attribute::Ints("strides", {c.stride, c.stride}),
                    Attribute::Ints("pads", {c.pad, c.pad, c.pad, c.pad}),
                    Attribute::Ints("dilations", {c.dil, c.dil})});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ((*r)[0].dims(), (std::vector<int64_t>{N, c.M, OH, OW}));
    auto y = Values<float>((*r)[0]);
    for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], 1e-4) << "case group=" << c.group << " i=" << i;
  }
}

TEST(EvaluatorNn, ConvAutoPadSameUpperAndBias) {
  // 1x1x4x4 ones, 3x3 ones kernel, stride 2, SAME_UPPER: out 2x2.
  std::vector<float> x(16, 1.0f), w(9, 1.0f);
  auto r = RunOp("Conv", {F({1, 1, 4, 4}, x), F({1, 1, 3, 3}, w), F({1}, {0.5f})},
                 {Attribute::String("auto_pad", "SAME_UPPER"), Attribute::Ints("strides", {2, 2})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (std::vector<int64_t>{1, 1, 2, 2}));
  // pad total 1: begin 0, end 1 -> windows at rows 0..2 and 2..4(pad).
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{9.5f, 6.5f, 6.5f, 4.5f}));
}

TEST(EvaluatorNn, PoolingCountIncludePadAndIndices) {
  std::vector<float> x(9);
  for (int i = 0; i < 9; ++i) x[i] = i + 1;
  auto a = RunOp("AveragePool", {F({1, 1, 3, 3}, x)},
                 {Attribute::Ints("kernel_shape", {2, 2}), Attribute::Ints("pads", {1, 1, 0, 0}),
                  Attribute::Int("count_include_pad", 1)});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)[0].dims(), (std::vector<int64_t>{1, 1, 3, 3}));
  EXPECT_FLOAT_EQ(Values<float>((*a)[0])[0], 0.25f);  // 1/4
  auto b = RunOp("AveragePool", {F({1, 1, 3, 3}, x)},
                 {Attribute::Ints("kernel_shape", {2, 2}), Attribute::Ints("pads", {1, 1, 0, 0})});
  EXPECT_FLOAT_EQ(Values<float>((*b)[0])[0], 1.0f);
  auto m = RunOp("MaxPool", {F({1, 1, 3, 3}, x)},
                 {Attribute::Ints("kernel_shape", {2, 2}), Attribute::Ints("strides", {1, 1})}, 2);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(Values<float>((*m)[0]), (std::vector<float>{5, 6, 8, 9}));
  EXPECT_EQ(Values<int64_t>((*m)[1]), (std::vector<int64_t>{4, 5, 7, 8}));
}

TEST(EvaluatorNn, BatchNormAndLayerNorm) {
  auto r = RunOp("BatchNormalization",
                 {F({1, 2, 1, 2}, {1, 2, 3, 4}), F({2}, {1, 2}), F({2}, {0, 1}), F({2}, {1, 3}),
                  F({2}, {1, 4})},
                 {Attribute::Float("epsilon", 0.0f)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{0, 1, 1, 2}));
  auto l = RunOp("LayerNormalization", {F({2, 2}, {1, 3, 2, 2}), F({2}, {1, 1}), F({2}, {0, 0})},
                 {Attribute::Float("epsilon", 0.0f)}, 3);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(Values<float>((*l)[0])[0], -1);
  EXPECT_EQ(Values<float>((*l)[0])[1], 1);
  EXPECT_EQ(Values<float>((*l)[1]), (std::vector<float>{2, 2}));
}

TEST(EvaluatorNn, ResizeNearestAndLinear) {
  auto r = RunOp("Resize", {F({1, 1, 1, 2}, {1, 2}), Tensor(), F({4}, {1, 1, 1, 2})},
                 {Attribute::String("mode", "nearest"),
                  Attribute::String("coordinate_transformation_mode", "asymmetric"),
                  Attribute::String("nearest_mode", "floor")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 1, 2, 2}));
  r = RunOp("Resize", {F({1, 1, 1, 2}, {1, 2}), Tensor(), Tensor(), I64({1, 1, 1, 3})},
            {Attribute::String("mode", "linear"),
             Attribute::String("coordinate_transformation_mode", "align_corners")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 1.5f, 2}));
}

}  // namespace
}  // namespace onnxsmith::evaluator
