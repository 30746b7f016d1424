#include "optimizer/rewrite.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "common/status_macros.h"
#include "tbb/global_control.h"
#include "tbb/parallel_for.h"
#include "tbb/task_arena.h"

namespace onnxsmith::optimizer {

RewritePass::RewritePass(std::string name, std::vector<RewriteRule> rules)
    : name_(std::move(name)), rules_(std::move(rules)) {
  for (const RewriteRule& r : rules_) {
    for (const std::string& op : r.op_types) by_op_[op].push_back(&r);
  }
}

namespace {

// Speculative matching: conditions of the next `window` queued nodes are
// evaluated on TBB workers against the current graph; the serial sweep then
// uses those results until the first action runs (which may change what any
// later condition sees), and the remaining results are dropped. So every
// result used is what the serial sweep would have computed, and the output
// does not depend on the thread count. A window shrinks after an action and
// grows while nothing fires, bounding the wasted work.
constexpr size_t kFirstWindow = 512;
constexpr size_t kMinParallelWindow = 64;
constexpr size_t kMaxWindow = 4096;

}  // namespace

int RewritePass::FirstMatch(GraphEditor& ed, const ir::Node& node, size_t from) const {
  if (ed.IsRemoved(&node) || !IsOnnxDomain(node)) return -1;
  auto it = by_op_.find(node.op_type);
  if (it == by_op_.end()) return -1;
  for (size_t k = from; k < it->second.size(); ++k) {
    if (it->second[k]->condition(ed, node)) return static_cast<int>(k);
  }
  return -1;
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
  // --threads 1 (global_control) or a 1-core arena: the plain serial sweep.
  const bool parallel =
      tbb::this_task_arena::max_concurrency() > 1 &&
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism) > 1;
  size_t window = kFirstWindow;
  // match[i - spec_begin]: FirstMatch of queue[i], valid while i < spec_end.
  std::vector<int> match;
  size_t spec_begin = 0, spec_end = 0;
  // Bound on rewrites per sweep, against rules that would undo each other.
  const int64_t budget = 8 * static_cast<int64_t>(graph.nodes.size()) + 1024;
  int64_t fired = 0;
  for (size_t head = 0; head < queue.size() && fired < budget; ++head) {
    ir::Node* node = queue[head];
    queued.erase(node);
    int k = -1;
    if (head < spec_end) {
      k = match[head - spec_begin];
    } else if (parallel && window >= kMinParallelWindow) {
      spec_begin = head;
      spec_end = std::min(queue.size(), head + window);
      match.assign(spec_end - spec_begin, -1);
      ed.BeginSharedReads();
      tbb::parallel_for(size_t{0}, match.size(), [&](size_t i) {
        match[i] = FirstMatch(ed, *queue[spec_begin + i], 0);
      });
      ed.EndSharedReads();
      k = match[0];
      window = std::min(kMaxWindow, window * 2);
    } else {
      k = FirstMatch(ed, *node, 0);
      ++window;  // nodes matched serially since the last action
    }
    if (k < 0) continue;
    // The graph may change from here on: later results are recomputed.
    spec_end = 0;
    window = kMinParallelWindow / 2;
    const auto& rules = by_op_.find(node->op_type)->second;
    for (; k >= 0; k = FirstMatch(ed, *node, k + 1)) {
      const RewriteRule* rule = rules[k];
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
      for (size_t j = before; j < graph.nodes.size(); ++j) touched.push_back(graph.nodes[j].get());
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
