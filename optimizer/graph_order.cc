// Node order: the topological sort (stable, aware of subgraph reads) and
// GraphEditor::Commit, which drops removed nodes and re-sorts so that nodes
// added during an edit land right after what they read.
#include <algorithm>
#include <functional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {

namespace {

using SortKey = std::pair<int64_t, int64_t>;

absl::Status SortWithKeys(ir::Graph& graph, const std::function<SortKey(size_t)>& key_of) {
  const size_t n = graph.nodes.size();
  absl::flat_hash_map<std::string, size_t> producer;
  for (size_t i = 0; i < n; ++i) {
    for (const auto& o : graph.nodes[i]->outputs) {
      if (!o.empty()) producer[o] = i;
    }
  }
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> users(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> deps = graph.nodes[i]->inputs;
    for (auto& r : ImplicitInputs(*graph.nodes[i])) deps.push_back(std::move(r));
    absl::flat_hash_set<size_t> seen;
    for (const auto& in : deps) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it == producer.end() || it->second == i || !seen.insert(it->second).second) continue;
      ++pending[i];
      users[it->second].push_back(i);
    }
  }
  using Entry = std::pair<SortKey, size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push({key_of(i), i});
  }
  std::vector<size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    size_t i = ready.top().second;
    ready.pop();
    order.push_back(i);
    for (size_t u : users[i]) {
      if (--pending[u] == 0) ready.push({key_of(u), u});
    }
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] > 0) {
        return absl::InternalError(absl::StrCat(
            "the graph '", graph.name, "' has a cycle through node ",
            ir::DescribeNode(*graph.nodes[i], i)));
      }
    }
  }
  std::vector<std::unique_ptr<ir::Node>> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);
  return absl::OkStatus();
}

}  // namespace

absl::Status SortTopologically(ir::Graph& graph) {
  return SortWithKeys(graph, [](size_t i) { return SortKey{static_cast<int64_t>(i), 0}; });
}

absl::Status GraphEditor::Commit() {
  if (!modified_) return absl::OkStatus();
  std::vector<std::unique_ptr<ir::Node>> kept;
  kept.reserve(graph_.nodes.size());
  for (auto& n : graph_.nodes) {
    if (!removed_.count(n.get())) kept.push_back(std::move(n));
  }
  graph_.nodes = std::move(kept);
  removed_.clear();
  // Sort keys: surviving nodes keep their relative order; a node added
  // during the edit takes the key of its latest producer (plus a sequence
  // number), so it lands right after what it reads instead of at the end.
  absl::flat_hash_map<std::string, const ir::Node*> producer;
  for (const auto& n : graph_.nodes) {
    for (const auto& o : n->outputs) {
      if (!o.empty()) producer[o] = n.get();
    }
  }
  absl::flat_hash_map<const ir::Node*, SortKey> keys;
  int64_t seq = 0;
  std::function<SortKey(const ir::Node*, int)> key_of = [&](const ir::Node* n,
                                                            int depth) -> SortKey {
    auto it = keys.find(n);
    if (it != keys.end()) return it->second;
    auto orig = original_index_.find(n);
    SortKey k{-1, 0};
    if (orig != original_index_.end()) {
      k = {orig->second, 0};
    } else {
      keys[n] = {-1, 0};  // breaks cycles; the sort reports them
      if (depth < 64) {
        for (const auto& in : n->inputs) {
          auto p = producer.find(in);
          if (p != producer.end() && p->second != n) {
            k.first = std::max(k.first, key_of(p->second, depth + 1).first);
          }
        }
      }
      k.second = ++seq;
    }
    keys[n] = k;
    return k;
  };
  for (const auto& n : graph_.nodes) key_of(n.get(), 0);
  absl::Status st = SortWithKeys(graph_, [&](size_t i) { return keys[graph_.nodes[i].get()]; });
  original_index_.clear();
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    original_index_[graph_.nodes[i].get()] = static_cast<int64_t>(i);
  }
  modified_ = false;
  return st;
}

}  // namespace onnxsmith::optimizer
