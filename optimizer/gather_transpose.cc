// gather_to_transpose: Gather(Reshape(x, [-1]), index) whose constant index
// reads x in a permuted order becomes Transpose(x, perm). The converter
// writes a Transpose by a permutation known only at run time as such a
// gather (TF1 dynamic_rnn's batch/time swap: perm = concat([1, 0],
// range(2, rank(x)))); once constant folding has computed the index, the
// plain Transpose is cheaper and later passes understand it.
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "optimizer/control_flow_passes.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {
namespace {

// The permutation whose transpose of shape `in` reads the flat input at
// `index` (dims `out`), or empty.
std::vector<int64_t> PermutationOf(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                                   const std::vector<int64_t>& index) {
  const size_t rank = in.size();
  if (out.size() != rank || index.empty() || index[0] != 0) return {};
  std::vector<int64_t> in_stride(rank, 1), out_stride(rank, 1);
  for (size_t a = rank - 1; a > 0; --a) {
    in_stride[a - 1] = in_stride[a] * in[a];
    out_stride[a - 1] = out_stride[a] * out[a];
  }
  std::vector<int64_t> perm(rank, -1);
  std::vector<bool> used(rank, false);
  for (int pass = 0; pass < 2; ++pass) {  // sized axes first, then the size-1 ones
    for (size_t j = 0; j < rank; ++j) {
      if ((out[j] > 1) != (pass == 0)) continue;
      const int64_t step = out[j] > 1 ? index[out_stride[j]] : -1;
      for (size_t a = 0; a < rank && perm[j] < 0; ++a) {
        if (!used[a] && in[a] == out[j] && (out[j] == 1 || in_stride[a] == step)) {
          perm[j] = static_cast<int64_t>(a);
          used[a] = true;
        }
      }
      if (perm[j] < 0) return {};
    }
  }
  // Check every element: index = sum_j i_j * in_stride[perm[j]].
  std::vector<int64_t> pos(rank, 0);
  for (int64_t e = 0; e < static_cast<int64_t>(index.size()); ++e) {
    int64_t want = 0;
    for (size_t j = 0; j < rank; ++j) want += pos[j] * in_stride[perm[j]];
    if (index[e] != want) return {};
    for (size_t j = rank; j-- > 0;) {
      if (++pos[j] < out[j]) break;
      pos[j] = 0;
    }
  }
  return perm;
}

class GatherToTransposePass : public PerNodePass {
 public:
  std::string name() const override { return "gather_to_transpose"; }

 protected:
  bool Matches(const ir::Node& n) const override { return n.op_type == "Gather"; }

  int64_t Rewrite(GraphEditor& ed, ir::Node& gather) override {
    if (gather.inputs.size() != 2 || gather.GetInt("axis", 0) != 0) return 0;
    ir::Node* reshape = ed.Producer(gather.inputs[0]);
    const ir::Tensor* index = ed.Constant(gather.inputs[1]);
    if (reshape == nullptr || reshape->op_type != "Reshape" || reshape->inputs.size() != 2 ||
        index == nullptr || index->rank() < 2) {
      return 0;
    }
    const ir::Tensor* flat = ed.Constant(reshape->inputs[1]);
    auto flat_shape = flat ? flat->ToInt64s() : absl::StatusOr<std::vector<int64_t>>(absl::NotFoundError(""));
    auto in = ed.StaticShapeOf(reshape->inputs[0]);
    auto idx = index->ToInt64s();
    if (!flat_shape.ok() || *flat_shape != std::vector<int64_t>{-1} || !in || !idx.ok()) return 0;
    const std::vector<int64_t> perm = PermutationOf(*in, index->dims(), *idx);
    if (perm.empty()) return 0;
    ir::Node transpose;
    transpose.op_type = "Transpose";
    transpose.name = gather.name;
    transpose.inputs = {reshape->inputs[0]};
    transpose.outputs = gather.outputs;
    transpose.attributes = {ir::Attribute::Ints("perm", perm)};
    ed.RemoveNode(&gather);
    ed.AddNode(std::move(transpose));
    ed.RemoveIfUnused(reshape);
    return 1;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateGatherToTransposePass() { return std::make_unique<GatherToTransposePass>(); }

}  // namespace onnxsmith::optimizer
