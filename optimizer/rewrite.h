// Pattern rewrites grouped by the op type they are anchored on.
//
// A RewriteRule names the op types of the node its pattern is anchored on, a
// read-only condition (the whole match: operands, uses, shapes) and an
// action that performs the rewrite through the GraphEditor. A RewritePass
// sweeps the graph once per Run, dispatching each live node to the rules
// registered for its op type, first match wins; the pipeline's fixed-point
// loop takes care of rewrites that enable other rewrites.
#ifndef ONNXSMITH_OPTIMIZER_REWRITE_H_
#define ONNXSMITH_OPTIMIZER_REWRITE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pass.h"

namespace onnxsmith::optimizer {

struct RewriteRule {
  std::string name;
  // ai.onnx op types of the anchor node.
  std::vector<std::string> op_types;
  // Whether the pattern matches at `node`; must not modify anything.
  std::function<bool(GraphEditor&, const ir::Node&)> condition;
  // Performs the rewrite; returns whether it changed the graph (a rule may
  // still decline at this point, e.g. when a constant cannot be converted).
  std::function<absl::StatusOr<bool>(GraphEditor&, ir::Node&)> action;
};

class RewritePass : public Pass {
 public:
  RewritePass(std::string name, std::vector<RewriteRule> rules);

  std::string name() const override { return name_; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;

  const std::vector<RewriteRule>& rules() const { return rules_; }
  // Rewrites made per rule since construction (for tests and reports).
  const absl::flat_hash_map<std::string, int64_t>& fired() const { return fired_; }

 private:
  // Index (in by_op_'s list for the node's op) of the first rule from `from`
  // whose condition holds at `node`; -1 if none. Read-only.
  int FirstMatch(GraphEditor& ed, const ir::Node& node, size_t from) const;

  std::string name_;
  std::vector<RewriteRule> rules_;
  absl::flat_hash_map<std::string, std::vector<const RewriteRule*>> by_op_;
  absl::flat_hash_map<std::string, int64_t> fired_;
};

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_REWRITE_H_
