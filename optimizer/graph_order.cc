// GraphEditor::Commit: drops removed nodes and re-sorts (ir::SortTopologically)
// so that nodes added during an edit land right after what they read.
#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {

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
  using ir::SortKey;
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
  absl::Status st =
      ir::SortTopologically(graph_, [&](size_t i) { return keys[graph_.nodes[i].get()]; });
  original_index_.clear();
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    original_index_[graph_.nodes[i].get()] = static_cast<int64_t>(i);
  }
  modified_ = false;
  return st;
}

}  // namespace onnxsmith::optimizer
