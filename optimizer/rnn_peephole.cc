#include "optimizer/rnn_peephole.h"

#include <algorithm>
#include <cmath>

namespace onnxsmith::optimizer {

std::optional<AffineMap> ProbePeepholeGate(const CellProbe& probe,
                                           const std::vector<std::pair<std::string, int64_t>>& in,
                                           const std::optional<Gate>& gate, const std::string& c,
                                           int64_t hidden, int slot, std::vector<float>& p) {
  if (!gate || gate->parts != 1 || c.empty()) return std::nullopt;
  std::vector<std::pair<std::string, int64_t>> with_c = in;
  with_c.emplace_back(c, hidden);
  std::optional<AffineMap> m = probe.Affine(with_c, gate->pre);
  if (!m || m->n != hidden || m->coef.size() != with_c.size()) return std::nullopt;
  const std::vector<float>& cc = m->coef.back();  // [hidden][hidden]
  std::vector<float> diag(hidden);
  for (int64_t r = 0; r < hidden; ++r) {
    for (int64_t k = 0; k < hidden; ++k) {
      if (r != k && std::abs(cc[r * hidden + k]) > 1e-6f) return std::nullopt;
    }
    diag[r] = cc[r * hidden + r];
  }
  p.resize(3 * hidden, 0.0f);
  std::copy(diag.begin(), diag.end(), p.begin() + slot * hidden);
  m->coef.pop_back();
  return m;
}

}  // namespace onnxsmith::optimizer
