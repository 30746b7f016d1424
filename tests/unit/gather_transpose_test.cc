// gather_to_transpose: a Gather of the flattened input at a constant index
// that permutes its axes becomes that Transpose (same outputs, checked by
// OptimizeAndCheck); an index that is not a permutation stays a Gather.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer {
namespace {

using testing::CountOp;
using testing::FindOp;
using testing::GraphBuilder;
using testing::OptimizeAndCheck;

// x [2, 3, 4] read at the flat positions of its transpose by `perm`; `scramble`
// swaps two entries (no longer a permutation of axes).
ir::Graph GatherGraph(const std::vector<int64_t>& perm, bool scramble) {
  const std::vector<int64_t> in = {2, 3, 4}, stride = {12, 4, 1};
  std::vector<int64_t> out(3), index;
  for (int j = 0; j < 3; ++j) out[j] = in[perm[j]];
  for (int64_t a = 0; a < out[0]; ++a) {
    for (int64_t b = 0; b < out[1]; ++b) {
      for (int64_t c = 0; c < out[2]; ++c) {
        index.push_back(a * stride[perm[0]] + b * stride[perm[1]] + c * stride[perm[2]]);
      }
    }
  }
  if (scramble) std::swap(index[1], index[2]);
  GraphBuilder b;
  b.Input("x", in).Output("y");
  b.Init("flat", ir::Tensor::Vector1D<int64_t>({-1}));
  b.Init("index", ir::Tensor::FromVector<int64_t>(out, index));
  b.Add("Reshape", {"x", "flat"}, {"x_flat"});
  b.Add("Gather", {"x_flat", "index"}, {"y"}, {ir::Attribute::Int("axis", 0)});
  return b.Take();
}

TEST(GatherToTransposeTest, PermutedIndexBecomesTranspose) {
  ir::Graph g = GatherGraph({1, 0, 2}, false);
  absl::Status s = OptimizeAndCheck(g, {"gather_to_transpose", "eliminate_dead_code"});
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(CountOp(g, "Transpose"), 1);
  EXPECT_EQ(CountOp(g, "Gather"), 0);
  EXPECT_EQ(FindOp(g, "Transpose")->FindAttr("perm")->ints, (std::vector<int64_t>{1, 0, 2}));
}

TEST(GatherToTransposeTest, OtherIndexStaysGather) {
  ir::Graph g = GatherGraph({2, 0, 1}, true);
  absl::Status s = OptimizeAndCheck(g, {"gather_to_transpose", "eliminate_dead_code"});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(CountOp(g, "Transpose"), 0);
  EXPECT_EQ(CountOp(g, "Gather"), 1);
}

}  // namespace
}  // namespace onnxsmith::optimizer
