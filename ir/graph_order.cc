// Graph order and scope: outer-scope reads of subgraphs, the one stable
// topological sort, and dead-node removal (declared in ir/graph.h).
#include <algorithm>
#include <functional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/graph.h"

namespace onnxsmith::ir {

namespace {

// Values defined in `graph` itself: inputs, initializers, node outputs.
absl::flat_hash_set<std::string> DefinedValues(const Graph& graph) {
  absl::flat_hash_set<std::string> defined;
  for (const ValueInfo& v : graph.inputs) defined.insert(v.name);
  for (const auto& [name, t] : graph.initializers) defined.insert(name);
  for (const auto& n : graph.nodes) {
    for (const std::string& o : n->outputs) {
      if (!o.empty()) defined.insert(o);
    }
  }
  return defined;
}

}  // namespace

absl::flat_hash_set<std::string> OuterScopeReads(const Graph& graph) {
  const absl::flat_hash_set<std::string> defined = DefinedValues(graph);
  absl::flat_hash_set<std::string> reads;
  for (const auto& n : graph.nodes) {
    for (const std::string& in : n->inputs) {
      if (!in.empty() && !defined.count(in)) reads.insert(in);
    }
    for (const Graph* sub : Subgraphs(*n)) {
      for (const std::string& r : OuterScopeReads(*sub)) {
        if (!defined.count(r)) reads.insert(r);
      }
    }
  }
  // A subgraph may return an outer-scope value directly.
  for (const ValueInfo& o : graph.outputs) {
    if (!defined.count(o.name)) reads.insert(o.name);
  }
  return reads;
}

std::vector<std::string> ImplicitInputs(const Node& node) {
  absl::flat_hash_set<std::string> seen;
  for (const Graph* sub : Subgraphs(node)) {
    for (const std::string& r : OuterScopeReads(*sub)) seen.insert(r);
  }
  std::vector<std::string> out(seen.begin(), seen.end());
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status SortTopologically(Graph& graph, const SortKeyFn& key_of_arg) {
  const size_t n = graph.nodes.size();
  const SortKeyFn key_of =
      key_of_arg ? key_of_arg : [](size_t i) { return SortKey{static_cast<int64_t>(i), 0}; };
  absl::flat_hash_map<std::string, size_t> producer;
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& o : graph.nodes[i]->outputs) {
      if (!o.empty()) producer[o] = i;
    }
  }
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> users(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> deps = graph.nodes[i]->inputs;
    for (std::string& r : ImplicitInputs(*graph.nodes[i])) deps.push_back(std::move(r));
    absl::flat_hash_set<size_t> seen;
    for (const std::string& in : deps) {
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
        return absl::InvalidArgumentError(absl::StrCat("the graph '", graph.name,
                                                       "' has a cycle through node ",
                                                       DescribeNode(*graph.nodes[i], i)));
      }
    }
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(sorted);
  return absl::OkStatus();
}

absl::Status Graph::TopologicalSort() {
  const absl::flat_hash_set<std::string> defined = DefinedValues(*this);
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::vector<std::string> reads = nodes[i]->inputs;
    for (std::string& r : ImplicitInputs(*nodes[i])) reads.push_back(std::move(r));
    for (const std::string& in : reads) {
      if (!in.empty() && !defined.count(in)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node ", DescribeNode(*nodes[i], i), " reads undefined value '", in, "'"));
      }
    }
  }
  return SortTopologically(*this);
}

int64_t Graph::RemoveDeadNodes() {
  absl::flat_hash_map<std::string, size_t> producer;
  for (size_t k = 0; k < nodes.size(); ++k) {
    for (const std::string& out : nodes[k]->outputs) {
      if (!out.empty()) producer[out] = k;
    }
  }
  absl::flat_hash_set<std::string> live;
  std::vector<bool> keep(nodes.size(), false);
  std::vector<std::string> work;
  for (const ValueInfo& v : outputs) work.push_back(v.name);
  while (!work.empty()) {
    std::string value = std::move(work.back());
    work.pop_back();
    if (value.empty() || !live.insert(value).second) continue;
    auto it = producer.find(value);
    if (it == producer.end() || keep[it->second]) continue;
    keep[it->second] = true;
    const Node& n = *nodes[it->second];
    for (const std::string& in : n.inputs) work.push_back(in);
    // Subgraphs (at any depth) may read values of this scope by name.
    for (std::string& in : ImplicitInputs(n)) work.push_back(std::move(in));
  }
  int64_t removed = 0;
  size_t w = 0;
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (keep[k]) {
      nodes[w++] = std::move(nodes[k]);
    } else {
      ++removed;
    }
  }
  nodes.resize(w);
  for (auto it = initializers.begin(); it != initializers.end();) {
    if (live.count(it->first) || IsGraphInput(it->first)) {
      ++it;
    } else {
      it = initializers.erase(it);
      ++removed;
    }
  }
  // value_types of values that no longer exist (not a change by itself).
  absl::flat_hash_set<std::string> defined = DefinedValues(*this);
  for (const ValueInfo& v : outputs) defined.insert(v.name);
  for (auto it = value_types.begin(); it != value_types.end();) {
    it = defined.count(it->first) ? std::next(it) : value_types.erase(it);
  }
  return removed;
}

}  // namespace onnxsmith::ir
