// GraphEditor's constant-expression analysis: which values are constants or
// computed by deterministic standard ops from constants only, memoized so a
// sweep over the graph stays linear and TBB workers can share the memo.
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {

bool GraphEditor::IsConstantExpr(const std::string& value) {
  if (value.empty()) return false;
  if (!shared_reads_) return ConstantExprWalk(value, const_memo_);
  if (auto it = const_memo_.find(value); it != const_memo_.end()) return it->second;
  // Not memoized (a name no node reads or writes): walk with a private memo.
  absl::flat_hash_map<std::string, bool> local;
  return ConstantExprWalk(value, local);
}

void GraphEditor::BeginSharedReads() {
  for (; memoized_nodes_ < graph_.nodes.size(); ++memoized_nodes_) {
    const ir::Node& n = *graph_.nodes[memoized_nodes_];
    for (const auto& in : n.inputs) IsConstantExpr(in);
    for (const auto& out : n.outputs) IsConstantExpr(out);
  }
  shared_reads_ = true;
}

// Post-order walk over producers; `memo` gets every value it settles.
// Lookups see const_memo_ too (it is `memo` itself outside shared reads).
bool GraphEditor::ConstantExprWalk(const std::string& value,
                                   absl::flat_hash_map<std::string, bool>& memo) const {
  auto known = [&](const std::string& v) -> const bool* {
    if (auto it = memo.find(v); it != memo.end()) return &it->second;
    if (&memo != &const_memo_) {
      if (auto it = const_memo_.find(v); it != const_memo_.end()) return &it->second;
    }
    return nullptr;
  };
  std::vector<std::pair<std::string, bool>> stack{{value, false}};
  // Values whose inputs are being walked: meeting one again means a cycle
  // (reported by the topological sort); it then counts as not constant.
  absl::flat_hash_set<std::string> expanding;
  while (!stack.empty()) {
    const std::string v = stack.back().first;
    if (known(v)) {
      stack.pop_back();
      continue;
    }
    if (Constant(v)) {
      memo[v] = true;
      stack.pop_back();
      continue;
    }
    ir::Node* p = Producer(v);
    if (!p || inputs_.count(v) || !IsOnnxDomain(*p) || IsNondeterministic(*p) ||
        HasSubgraph(*p)) {
      memo[v] = false;
      stack.pop_back();
      continue;
    }
    if (!stack.back().second) {
      stack.back().second = true;
      expanding.insert(v);
      for (const auto& in : p->inputs) {
        if (!in.empty() && !known(in) && !expanding.count(in)) stack.push_back({in, false});
      }
      continue;
    }
    bool all = true;
    for (const auto& in : p->inputs) {
      if (in.empty()) continue;
      const bool* k = known(in);
      if (k == nullptr || !*k) all = false;
    }
    memo[v] = all;
    expanding.erase(v);
    stack.pop_back();
  }
  return *known(value);
}

}  // namespace onnxsmith::optimizer
