#include "optimizer/rnn_probe.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "evaluator/evaluator.h"

namespace onnxsmith::optimizer {

std::optional<ir::Graph> CellProbe::Cut(
    const std::vector<std::pair<std::string, int64_t>>& inputs,
    const std::vector<std::string>& targets) const {
  absl::flat_hash_map<std::string, const ir::Node*> producer;
  absl::flat_hash_map<const ir::Node*, size_t> order;
  for (size_t i = 0; i < body_.nodes.size(); ++i) {
    const ir::Node* n = body_.nodes[i].get();
    order[n] = i;
    for (const std::string& o : n->outputs) producer[o] = n;
  }
  absl::flat_hash_set<std::string> cut;
  for (const auto& [name, width] : inputs) cut.insert(name);
  ir::Graph g;
  g.name = "rnn_probe";
  absl::flat_hash_set<const ir::Node*> needed;
  absl::flat_hash_set<std::string> seen;
  bool ok = true;
  std::function<void(const std::string&)> visit = [&](const std::string& v) {
    if (!ok || v.empty() || !seen.insert(v).second || cut.count(v)) return;
    if (const ir::Tensor* t = body_.FindInitializer(v)) {
      g.initializers[v] = *t;
      return;
    }
    auto it = producer.find(v);
    if (it != producer.end()) {
      const ir::Node* n = it->second;
      if (!ir::Subgraphs(*n).empty()) ok = false;
      needed.insert(n);
      for (const std::string& in : n->inputs) visit(in);
      return;
    }
    const ir::Tensor* t = outer_.FindInitializer(v);
    if (t == nullptr || outer_.IsGraphInput(v)) {
      ok = false;  // a body input (state, counter) or a computed outer value
      return;
    }
    g.initializers[v] = *t;
  };
  for (const std::string& t : targets) visit(t);
  if (!ok) return std::nullopt;
  std::vector<const ir::Node*> nodes(needed.begin(), needed.end());
  std::sort(nodes.begin(), nodes.end(),
            [&](const ir::Node* a, const ir::Node* b) { return order[a] < order[b]; });
  for (const ir::Node* n : nodes) g.nodes.push_back(std::make_unique<ir::Node>(*n));
  for (const auto& [name, width] : inputs) {
    g.inputs.push_back({name, ir::ValueType{ir::DataType::kFloat,
                                            std::vector<ir::Dim>{ir::Dim{}, ir::Dim{width, ""}}}});
  }
  for (const std::string& t : targets) g.outputs.push_back({t, ir::ValueType{}});
  return g;
}

std::optional<AffineMap> CellProbe::Affine(
    const std::vector<std::pair<std::string, int64_t>>& inputs, const std::string& target) const {
  std::optional<ir::Graph> g = Cut(inputs, {target});
  if (!g) return std::nullopt;
  int64_t total = 0;
  for (const auto& [name, width] : inputs) total += width;
  // Rows: zero, one unit vector per input element, one random check point.
  const int64_t rows = total + 2;
  std::map<std::string, ir::Tensor> feeds;
  std::vector<std::vector<float>> check;
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
  };
  int64_t offset = 0;
  for (const auto& [name, width] : inputs) {
    std::vector<float> v(rows * width, 0.0f);
    for (int64_t k = 0; k < width; ++k) v[(1 + offset + k) * width + k] = 1.0f;
    std::vector<float> r(width);
    for (int64_t k = 0; k < width; ++k) r[k] = v[(rows - 1) * width + k] = next();
    check.push_back(std::move(r));
    feeds[name] = ir::Tensor::FromVector<float>({rows, width}, v);
    offset += width;
  }
  auto ev = evaluator::Evaluator::Create(*g, {.opset = opset_, .num_threads = 1});
  if (!ev.ok()) return std::nullopt;
  // All probes as one batch; a body written for a fixed batch of 1 (a
  // Squeeze of the batch dim) runs them one by one.
  std::vector<float> d;
  int64_t n = -1;
  auto out = ev->Run(feeds);
  if (out.ok() && out->size() == 1 && (*out)[0].dtype() == ir::DataType::kFloat &&
      (*out)[0].rank() == 2 && (*out)[0].dims()[0] == rows) {
    n = (*out)[0].dims()[1];
    absl::Span<const float> all = (*out)[0].data<float>();
    d.assign(all.begin(), all.end());
  } else {
    for (int64_t row = 0; row < rows; ++row) {
      std::map<std::string, ir::Tensor> one;
      for (const auto& [name, width] : inputs) {
        absl::Span<const float> all = feeds[name].data<float>();
        one[name] = ir::Tensor::FromVector<float>(
            {1, width}, std::vector<float>(all.begin() + row * width, all.begin() + (row + 1) * width));
      }
      auto r = ev->Run(one);
      if (!r.ok() || r->size() != 1 || (*r)[0].dtype() != ir::DataType::kFloat) return std::nullopt;
      const ir::Tensor& y = (*r)[0];
      const int64_t width = y.num_elements();
      if (y.rank() < 1 || y.dims().back() != width || (n >= 0 && width != n)) return std::nullopt;
      n = width;
      absl::Span<const float> v = y.data<float>();
      d.insert(d.end(), v.begin(), v.end());
    }
  }
  AffineMap map;
  map.n = n;
  map.bias.assign(d.begin(), d.begin() + n);
  offset = 0;
  std::vector<double> predicted(map.bias.begin(), map.bias.end());
  for (size_t j = 0; j < inputs.size(); ++j) {
    const int64_t width = inputs[j].second;
    std::vector<float> coef(width * n);
    for (int64_t k = 0; k < width; ++k) {
      for (int64_t c = 0; c < n; ++c) {
        coef[k * n + c] = d[(1 + offset + k) * n + c] - d[c];
        predicted[c] += check[j][k] * coef[k * n + c];
      }
    }
    map.coef.push_back(std::move(coef));
    offset += width;
  }
  for (int64_t c = 0; c < n; ++c) {
    const double got = d[(rows - 1) * n + c];
    if (std::abs(got - predicted[c]) > 1e-4 * (1.0 + std::abs(got))) return std::nullopt;
  }
  return map;
}

}  // namespace onnxsmith::optimizer
