// Test support: the checks every rewrite test makes (see testing.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "evaluator/evaluator.h"
#include "optimizer/testing.h"

namespace onnxsmith::optimizer::testing {

const ir::Node* FindOp(const ir::Graph& g, const std::string& op_type) {
  for (const auto& n : g.nodes) {
    if (n->op_type == op_type) return n.get();
  }
  return nullptr;
}

absl::StatusOr<double> EvaluatorDiff(const ir::Graph& a, const ir::Graph& b,
                                     const std::map<std::string, std::vector<int64_t>>& dims) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::map<std::string, ir::Tensor> feeds;
  uint32_t seed = 7;
  for (const ir::ValueInfo& v : a.inputs) {
    if (a.IsInitializer(v.name)) continue;
    std::vector<int64_t> d;
    auto it = dims.find(v.name);
    if (it != dims.end()) {
      d = it->second;
    } else {
      for (const ir::Dim& x : *v.type.shape) d.push_back(x.size);
    }
    feeds[v.name] = RandomFloatTensor(d, seed++);
  }
  evaluator::EvaluatorOptions opts;
  opts.opset = 17;
  auto ea = evaluator::Evaluator::Create(a, opts);
  if (!ea.ok()) return ea.status();
  auto eb = evaluator::Evaluator::Create(b, opts);
  if (!eb.ok()) return eb.status();
  auto ra = ea->Run(feeds);
  if (!ra.ok()) return ra.status();
  auto rb = eb->Run(feeds);
  if (!rb.ok()) return rb.status();
  if (ra->size() != rb->size()) return kInf;
  double worst = 0;
  for (size_t k = 0; k < ra->size(); ++k) {
    if ((*ra)[k].dims() != (*rb)[k].dims()) return kInf;
    auto x = (*ra)[k].ToDoubles();
    auto y = (*rb)[k].ToDoubles();
    if (!x.ok() || !y.ok()) return kInf;
    for (size_t i = 0; i < x->size(); ++i) worst = std::max(worst, std::fabs((*x)[i] - (*y)[i]));
  }
  return worst;
}

absl::Status OptimizeAndCheck(ir::Graph& g, const std::vector<std::string>& passes,
                              int64_t opset, double tol, const DiffFn& diff) {
  ir::Graph before = Clone(g);
  auto report = RunPasses(g, passes, opset);
  if (!report.ok()) return report.status();
  if (!report->converged) return absl::InternalError("the pipeline did not converge");
  auto d = diff ? diff(before, g) : NumericDiff(before, g);
  if (!d.ok()) return d.status();
  if (!(*d <= tol)) {
    return absl::InternalError(absl::StrCat("outputs moved by ", *d, " (tolerance ", tol, ")"));
  }
  return CheckWithOnnx(g, opset);
}

}  // namespace onnxsmith::optimizer::testing
