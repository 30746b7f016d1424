// The evaluator on whole graphs (dependency order, buffers freed after the
// last reader, feeds, overridable initializers, pruning, errors, the output
// limit) and .npy I/O. Per-op known answers are in evaluator_test.cc.
#include <string>
#include <vector>

#include "evaluator/evaluator.h"
#include "evaluator/npy.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/tensor.h"
#include "tests/unit/evaluator_test_util.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;
using ir::Tensor;

// ---- Whole graphs -----------------------------------------------------------

ir::Graph ChainGraph(int length, int64_t n) {
  ir::Graph g;
  g.inputs.push_back({"x", {DataType::kFloat, std::vector<ir::Dim>{{n, ""}}}});
  std::string prev = "x";
  for (int i = 0; i < length; ++i) {
    const std::string out = i + 1 == length ? "y" : "v" + std::to_string(i);
    g.AddNode(MakeNode(i % 2 ? "Neg" : "Abs", {prev}, {out}));
    prev = out;
  }
  g.outputs.push_back({"y", {DataType::kFloat, std::nullopt}});
  return g;
}

TEST(EvaluatorGraph, RunsAndFreesIntermediatesAfterLastUse) {
  const int64_t n = 1 << 20;  // 4 MiB per value
  ir::Graph g = ChainGraph(40, n);
  EvaluatorOptions opts;
  opts.opset = 17;
  auto ev = Evaluator::Create(g, opts);
  ASSERT_TRUE(ev.ok()) << ev.status();
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(i % 7) - 3;
  auto out = ev->Run({{"x", Tensor::FromVector<float>({n}, x)}});
  ASSERT_TRUE(out.ok()) << out.status();
  auto y = Values<float>((*out)[0]);
  // Abs then Neg: -|x|.
  EXPECT_EQ(y[0], -3.0f);
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_EQ(y[6], -3.0f);
  // At most a few 4 MiB buffers alive at once, not 40.
  EXPECT_LE(ev->pool_stats().peak_live_bytes, 3 * 4 * n);
  // A second run reuses the pooled buffers.
  auto out2 = ev->Run({{"x", Tensor::FromVector<float>({n}, x)}});
  ASSERT_TRUE(out2.ok());
  EXPECT_GT(ev->pool_stats().reuses, 0);
}

TEST(EvaluatorGraph, UnknownOpNamesNodeAndOp) {
  ir::Graph g;
  g.inputs.push_back({"x", {DataType::kFloat, std::nullopt}});
  g.AddNode(MakeNode("Relu", {"x"}, {"a"}));
  ir::Node n = MakeNode("FancyOp", {"a"}, {"y"});
  n.name = "my_fancy_node";
  g.AddNode(n);
  g.outputs.push_back({"y", {}});
  EvaluatorOptions opts;
  opts.opset = 17;
  auto ev = Evaluator::Create(g, opts);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.status().message().find("my_fancy_node"), std::string::npos) << ev.status();
  EXPECT_NE(ev.status().message().find("FancyOp"), std::string::npos) << ev.status();
}

TEST(EvaluatorGraph, FeedErrors) {
  ir::Graph g;
  g.inputs.push_back({"x", {DataType::kFloat, std::vector<ir::Dim>{{-1, "N"}, {2, ""}}}});
  g.AddNode(MakeNode("Relu", {"x"}, {"y"}));
  g.outputs.push_back({"y", {}});
  EvaluatorOptions opts;
  opts.opset = 17;
  auto ev = Evaluator::Create(g, opts);
  ASSERT_TRUE(ev.ok());
  auto a = ev->Run({});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("'x' is not fed"), std::string::npos) << a.status();
  auto b = ev->Run({{"x", Tensor::FromVector<int64_t>({1, 2}, {1, 2})}});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("must be float32"), std::string::npos) << b.status();
  auto c = ev->Run({{"x", F({1, 3}, {1, 2, 3})}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("[N,2]"), std::string::npos) << c.status();
  auto d = ev->Run({{"x", F({3, 2}, {1, -2, 3, -4, 5, -6})}, {"z", F({1}, {1})}});
  ASSERT_FALSE(d.ok());
  auto e = ev->Run({{"x", F({3, 2}, {1, -2, 3, -4, 5, -6})}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Values<float>((*e)[0]), (std::vector<float>{1, 0, 3, 0, 5, 0}));
}

TEST(EvaluatorGraph, InitializersOverridableAndPruning) {
  ir::Graph g;
  g.inputs.push_back({"x", {DataType::kFloat, std::nullopt}});
  g.inputs.push_back({"b", {DataType::kFloat, std::nullopt}});
  g.initializers["b"] = F({1}, {10});
  g.AddNode(MakeNode("Add", {"x", "b"}, {"y"}));
  g.AddNode(MakeNode("FancyOp", {"x"}, {"unused"}));  // not needed for y: pruned
  g.outputs.push_back({"y", {}});
  EvaluatorOptions opts;
  opts.opset = 17;
  opts.outputs = {"y"};
  auto ev = Evaluator::Create(g, opts);
  ASSERT_TRUE(ev.ok()) << ev.status();
  auto a = ev->Run({{"x", F({1}, {1})}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Values<float>((*a)[0])[0], 11);
  auto b = ev->Run({{"x", F({1}, {1})}, {"b", F({1}, {100})}});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Values<float>((*b)[0])[0], 101);
}

TEST(EvaluatorGraph, CycleAndUndefinedInputAreErrors) {
  ir::Graph g;
  g.AddNode(MakeNode("Relu", {"b"}, {"a"}));
  g.AddNode(MakeNode("Relu", {"a"}, {"b"}));
  g.outputs.push_back({"b", {}});
  EvaluatorOptions opts;
  opts.opset = 17;
  auto ev = Evaluator::Create(g, opts);
  ASSERT_FALSE(ev.ok());
  EXPECT_NE(ev.status().message().find("cycle"), std::string::npos) << ev.status();
  ir::Graph h;
  h.AddNode(MakeNode("Relu", {"nowhere"}, {"y"}));
  h.outputs.push_back({"y", {}});
  auto ev2 = Evaluator::Create(h, opts);
  ASSERT_FALSE(ev2.ok());
  EXPECT_NE(ev2.status().message().find("nowhere"), std::string::npos) << ev2.status();
}

TEST(EvaluatorGraph, OutputLimit) {
  ir::Node n = MakeNode("ConstantOfShape", {"s"}, {"y"});
  Tensor s = I64({1000, 1000});
  NodeEvalOptions o;
  o.max_output_elements = 1000;
  auto r = EvaluateNode(n, 17, {&s}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

// ---- .npy -------------------------------------------------------------------

TEST(Npy, RoundTripEveryDtype) {
  std::vector<Tensor> ts = {F({2, 3}, {1, 2, 3, 4, 5, 6}), Tensor::Vector1D<double>({1.5, -2}),
                            Tensor::Scalar<int32_t>(7), Tensor::FromVector<int64_t>({1, 2}, {1, 2}),
                            Tensor::Vector1D<bool>({true, false}), Tensor::Vector1D<uint8_t>({255}),
                            Tensor::Vector1D<int8_t>({-3}), F({0, 4}, {})};
  for (const Tensor& t : ts) {
    auto bytes = SerializeNpy(t);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(bytes->size() % 64, static_cast<size_t>(t.raw().size() % 64));
    auto back = ParseNpy(*bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->dtype(), t.dtype());
    EXPECT_EQ(back->dims(), t.dims());
    EXPECT_EQ(back->raw(), t.raw());
  }
}

TEST(Npy, ParsesNumpyHeaderAndRejectsCorruptFiles) {
  // As numpy 1.x writes np.arange(3, dtype='<i8').
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
  for (int64_t i = 0; i < 3; ++i) file.append(reinterpret_cast<const char*>(&i), 8);
  auto t = ParseNpy(file);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Values<int64_t>(*t), (std::vector<int64_t>{0, 1, 2}));

  EXPECT_FALSE(ParseNpy("garbage").ok());
  EXPECT_FALSE(ParseNpy(file.substr(0, file.size() - 1)).ok());                 // truncated data
  EXPECT_FALSE(ParseNpy(file.substr(0, 20)).ok());                              // truncated header
  std::string big = file;
  big[8] = static_cast<char>(0xff);
  big[9] = static_cast<char>(0xff);                                            // header past EOF
  EXPECT_FALSE(ParseNpy(big).ok());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string f = file;
    f.replace(f.find(from), from.size(), to);
    return f;
  };
  auto fortran = ParseNpy(replace("False", "True "));
  ASSERT_FALSE(fortran.ok());
  EXPECT_NE(fortran.status().message().find("Fortran"), std::string::npos);
  auto be = ParseNpy(replace("<i8", ">i8"));
  ASSERT_FALSE(be.ok());
  EXPECT_NE(be.status().message().find("big-endian"), std::string::npos);
  EXPECT_FALSE(ParseNpy(replace("(3,)", "(4,)")).ok());
  EXPECT_FALSE(ParseNpy(replace("(3,)", "(x,)")).ok());
  EXPECT_FALSE(ParseNpy(replace("'shape'", "'shapf'")).ok());
  EXPECT_FALSE(ParseNpy(replace("(3,)", "(99999999999999999999,)")).ok());
}

}  // namespace
}  // namespace onnxsmith::evaluator
