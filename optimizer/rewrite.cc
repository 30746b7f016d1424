#include "optimizer/rewrite.h"

#include "absl/container/flat_hash_set.h"
#include "common/status_macros.h"

namespace onnxsmith::optimizer {

RewritePass::RewritePass(std::string name, std::vector<RewriteRule> rules)
    : name_(std::move(name)), rules_(std::move(rules)) {
  for (const RewriteRule& r : rules_) {
    for (const std::string& op : r.op_types) by_op_[op].push_back(&r);
  }
}

absl::StatusOr<bool> RewritePass::Run(ir::Graph& graph) {
  GraphEditor ed(graph, opset());
  bool changed = false;
  // A worklist seeded with every node in order. After a rewrite, the nodes
  // it may have enabled a rewrite at are queued again: the anchor, the nodes
  // the action added, and the readers of their outputs and of the anchor's
  // inputs. So a Transpose travels down a whole chain in one sweep.
  std::vector<ir::Node*> queue;
  absl::flat_hash_set<ir::Node*> queued;
  queue.reserve(graph.nodes.size());
  for (auto& n : graph.nodes) {
    queue.push_back(n.get());
    queued.insert(n.get());
  }
  auto enqueue = [&](ir::Node* n) {
    if (!ed.IsRemoved(n) && queued.insert(n).second) queue.push_back(n);
  };
  // Bound on rewrites per sweep, against rules that would undo each other.
  const int64_t budget = 8 * static_cast<int64_t>(graph.nodes.size()) + 1024;
  int64_t fired = 0;
  for (size_t head = 0; head < queue.size() && fired < budget; ++head) {
    ir::Node* node = queue[head];
    queued.erase(node);
    if (ed.IsRemoved(node) || !IsOnnxDomain(*node)) continue;
    auto it = by_op_.find(node->op_type);
    if (it == by_op_.end()) continue;
    for (const RewriteRule* rule : it->second) {
      if (!rule->condition(ed, *node)) continue;
      const size_t before = graph.nodes.size();
      const std::vector<std::string> inputs = node->inputs;
      ASSIGN_OR_RETURN(bool did, rule->action(ed, *node));
      if (!did) continue;
      changed = true;
      ++fired;
      CountChanges();
      ++fired_[rule->name];
      std::vector<ir::Node*> touched;
      if (!ed.IsRemoved(node)) touched.push_back(node);
      for (size_t k = before; k < graph.nodes.size(); ++k) touched.push_back(graph.nodes[k].get());
      for (ir::Node* t : touched) {
        enqueue(t);
        for (const auto& out : t->outputs) {
          for (ir::Node* c : ed.Consumers(out)) enqueue(c);
        }
      }
      for (const auto& in : inputs) {
        if (in.empty()) continue;
        for (ir::Node* c : ed.Consumers(in)) enqueue(c);
      }
      break;
    }
  }
  if (ed.modified()) RETURN_IF_ERROR(ed.Commit());
  return changed;
}

}  // namespace onnxsmith::optimizer
