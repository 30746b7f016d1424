#include "evaluator/compare.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace onnxsmith::evaluator {
namespace {

std::string DimsText(const std::vector<int64_t>& dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

// Flat index -> "[i,j,k]" in C order.
std::string IndexText(int64_t flat, const std::vector<int64_t>& dims) {
  std::vector<int64_t> idx(dims.size(), 0);
  for (size_t d = dims.size(); d-- > 0;) {
    if (dims[d] > 0) {
      idx[d] = flat % dims[d];
      flat /= dims[d];
    }
  }
  return DimsText(idx);
}

}  // namespace

absl::StatusOr<TensorComparison> CompareTensors(const ir::Tensor& got, const ir::Tensor& want,
                                                const Tolerance& tolerance) {
  if (got.dtype() == ir::DataType::kString || want.dtype() == ir::DataType::kString) {
    return absl::InvalidArgumentError("string tensors cannot be compared numerically");
  }
  if (got.dims() != want.dims()) {
    return absl::InvalidArgumentError(absl::StrCat("shape ", DimsText(got.dims()),
                                                   " differs from the expected ",
                                                   DimsText(want.dims())));
  }
  ASSIGN_OR_RETURN(std::vector<double> g, got.ToDoubles());
  ASSIGN_OR_RETURN(std::vector<double> w, want.ToDoubles());
  TensorComparison c;
  c.num_elements = static_cast<int64_t>(g.size());
  double worst_excess = -INFINITY;
  for (size_t i = 0; i < g.size(); ++i) {
    const double a = g[i], b = w[i];
    if (std::isfinite(b)) c.max_abs_reference = std::max(c.max_abs_reference, std::fabs(b));
    double err, excess;
    if (std::isnan(a) || std::isnan(b)) {
      const bool same = std::isnan(a) && std::isnan(b);
      err = same ? 0 : INFINITY;
      excess = same ? -INFINITY : INFINITY;
    } else if (std::isinf(a) || std::isinf(b)) {
      const bool same = a == b;
      err = same ? 0 : INFINITY;
      excess = same ? -INFINITY : INFINITY;
    } else {
      err = std::fabs(a - b);
      excess = err - (tolerance.atol + tolerance.rtol * std::fabs(b));
    }
    c.max_abs_error = std::max(c.max_abs_error, err);
    if (excess > 0) ++c.num_mismatched;
    if (excess > worst_excess) {
      worst_excess = excess;
      c.worst_index = static_cast<int64_t>(i);
      c.worst_got = a;
      c.worst_want = b;
      c.worst_abs_error = err;
    }
  }
  c.within_tolerance = c.num_mismatched == 0;
  return c;
}

std::string DescribeComparison(const std::string& name, const ir::Tensor& want,
                               const TensorComparison& c, const Tolerance& tolerance) {
  const std::string tol = absl::StrFormat("rtol %g, atol %g", tolerance.rtol, tolerance.atol);
  if (c.within_tolerance) {
    return absl::StrFormat("%s: ok, max abs error %.3g over %d elements (%s)", name,
                           c.max_abs_error, c.num_elements, tol);
  }
  return absl::StrFormat(
      "%s: %d of %d elements differ; largest error %.6g at %s (got %.9g, want %.9g; %s; "
      "reference max |value| %.6g)",
      name, c.num_mismatched, c.num_elements, c.worst_abs_error,
      IndexText(c.worst_index, want.dims()), c.worst_got, c.worst_want, tol, c.max_abs_reference);
}

}  // namespace onnxsmith::evaluator
