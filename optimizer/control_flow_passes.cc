// fold_constant_if and hoist_loop_invariants: the passes that move nodes
// across scope boundaries (an If branch into its graph, a Loop/Scan body's
// invariants out before the node). Names stay unique in the whole tree:
// values that change scope get fresh names.
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/status_macros.h"
#include "optimizer/control_flow_passes.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {
namespace {

// Points every read of `from` in `graph` (node inputs, graph outputs and,
// recursively, its subgraphs' reads) at `to`.
void RenameReads(ir::Graph& graph, const std::string& from, const std::string& to) {
  for (auto& n : graph.nodes) {
    for (std::string& in : n->inputs) {
      if (in == from) in = to;
    }
    for (ir::Attribute& a : n->attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g) RenameReads(*a.g, from, to);
    }
  }
  for (ir::ValueInfo& o : graph.outputs) {
    if (o.name == from) o.name = to;
  }
}

// Values `graph` defines itself: inputs, initializers, node outputs.
absl::flat_hash_set<std::string> DefinedIn(const ir::Graph& graph) {
  absl::flat_hash_set<std::string> defined;
  for (const ir::ValueInfo& v : graph.inputs) defined.insert(v.name);
  for (const auto& [name, t] : graph.initializers) defined.insert(name);
  for (const auto& n : graph.nodes) {
    for (const std::string& o : n->outputs) {
      if (!o.empty()) defined.insert(o);
    }
  }
  return defined;
}

class FoldConstantIfPass : public PerNodePass {
 public:
  std::string name() const override { return "fold_constant_if"; }

 protected:
  bool Matches(const ir::Node& n) const override {
    return n.op_type == "If" && !n.inputs.empty();
  }
  int64_t Rewrite(GraphEditor& ed, ir::Node& n) override {
    const ir::Tensor* cond = ed.Constant(n.inputs[0]);
    if (!cond || cond->num_elements() != 1) return 0;
    auto v = cond->ToInt64s();
    if (!v.ok()) return 0;
    const ir::Attribute* branch_attr = n.FindAttr((*v)[0] != 0 ? "then_branch" : "else_branch");
    if (!branch_attr || !branch_attr->g || branch_attr->g->outputs.size() < n.outputs.size()) {
      return 0;
    }
    ir::Graph branch = branch_attr->g->Clone();
    const std::vector<std::string> outputs = n.outputs;
    ed.RemoveNode(&n);
    Inline(ed, outputs, branch);
    return 1;
  }

 private:
  // The branch's initializers and nodes move into `ed`'s graph under fresh
  // names; each If output becomes an Identity of its branch output (which
  // eliminate_identity removes where the interface allows).
  static void Inline(GraphEditor& ed, const std::vector<std::string>& if_outputs,
                     ir::Graph& branch) {
    absl::flat_hash_map<std::string, std::string> renamed;
    for (const auto& [name, t] : branch.initializers) {
      renamed[name] = ed.AddInitializer(name, t);
    }
    for (const auto& node : branch.nodes) {
      for (const std::string& o : node->outputs) {
        if (!o.empty()) renamed[o] = ed.NewValueName(o);
      }
    }
    for (const auto& [from, to] : renamed) {
      RenameReads(branch, from, to);
      auto t = branch.value_types.find(from);
      if (t != branch.value_types.end()) ed.SetType(to, t->second);
    }
    for (auto& node : branch.nodes) {
      for (std::string& o : node->outputs) {
        if (!o.empty()) o = renamed.at(o);
      }
      ed.AddNode(std::move(*node));
    }
    for (size_t k = 0; k < if_outputs.size(); ++k) {
      if (if_outputs[k].empty()) continue;
      ir::Node id;
      id.op_type = "Identity";
      id.inputs = {branch.outputs[k].name};
      id.outputs = {if_outputs[k]};
      ed.AddNode(std::move(id));
    }
  }
};

// Hoists out of Loop and Scan bodies the nodes whose inputs are all values
// of the enclosing scope (or of nodes hoisted before them): deterministic
// ai.onnx ops without subgraphs. A body initializer input qualifies when it
// is small (it is copied out). The hoisted outputs get fresh names in the
// enclosing graph and the body reads those.
class HoistLoopInvariantsPass : public PerNodePass {
 public:
  std::string name() const override { return "hoist_loop_invariants"; }

 protected:
  bool Matches(const ir::Node& n) const override {
    const ir::Attribute* body = n.FindAttr("body");
    return (n.op_type == "Loop" || n.op_type == "Scan") && body &&
           body->kind == ir::Attribute::Kind::kGraph && body->g;
  }
  int64_t Rewrite(GraphEditor& ed, ir::Node& n) override {
    return Hoist(ed, *MutableAttr(n, "body")->g);
  }

 private:
  static constexpr int64_t kMaxCopiedInitializerElements = 16;

  static int64_t Hoist(GraphEditor& ed, ir::Graph& body) {
    const absl::flat_hash_set<std::string> defined = DefinedIn(body);
    absl::flat_hash_map<std::string, std::string> outside;  // body name -> enclosing name
    std::vector<size_t> hoisted;
    for (size_t i = 0; i < body.nodes.size(); ++i) {
      const ir::Node& n = *body.nodes[i];
      if (!IsOnnxDomain(n) || IsNondeterministic(n) || !ir::Subgraphs(n).empty() ||
          n.outputs.empty() || n.op_type == "Constant") {
        continue;
      }
      bool invariant = true;
      for (const std::string& in : n.inputs) {
        if (in.empty() || !defined.count(in) || outside.count(in)) continue;
        const ir::Tensor* t = body.FindInitializer(in);
        if (!t || body.IsGraphInput(in) || t->num_elements() > kMaxCopiedInitializerElements) {
          invariant = false;
          break;
        }
      }
      if (!invariant) continue;
      ir::Node moved = n;
      for (std::string& in : moved.inputs) {
        if (in.empty() || !defined.count(in)) continue;
        if (!outside.count(in)) outside[in] = ed.AddInitializer(in, *body.FindInitializer(in));
        in = outside.at(in);
      }
      for (std::string& o : moved.outputs) {
        if (o.empty()) continue;
        const std::string fresh = ed.NewValueName(o);
        auto t = body.value_types.find(o);
        if (t != body.value_types.end()) ed.SetType(fresh, t->second);
        outside[o] = fresh;
        o = fresh;
      }
      moved.name = "";
      ed.AddNode(std::move(moved));
      hoisted.push_back(i);
    }
    if (hoisted.empty()) return 0;
    // The body now reads the hoisted values from the enclosing scope; a body
    // output that was one keeps its name through an Identity.
    std::vector<std::unique_ptr<ir::Node>> kept;
    for (size_t i = 0, h = 0; i < body.nodes.size(); ++i) {
      if (h < hoisted.size() && hoisted[h] == i) {
        ++h;
        continue;
      }
      kept.push_back(std::move(body.nodes[i]));
    }
    body.nodes = std::move(kept);
    for (const auto& [from, to] : outside) {
      if (body.IsInitializer(from)) continue;  // copied, the body keeps its own
      bool is_output = body.IsGraphOutput(from);
      for (auto& node : body.nodes) {
        for (std::string& in : node->inputs) {
          if (in == from) in = to;
        }
        for (ir::Attribute& a : node->attributes) {
          if (a.kind == ir::Attribute::Kind::kGraph && a.g) RenameReads(*a.g, from, to);
        }
      }
      body.value_types.erase(from);
      if (is_output) {
        ir::Node id;
        id.op_type = "Identity";
        id.name = ed.NewNodeName(from + "_hoisted");
        id.inputs = {to};
        id.outputs = {from};
        body.nodes.push_back(std::make_unique<ir::Node>(std::move(id)));
      }
    }
    body.RemoveDeadNodes();  // copied initializers the body no longer reads
    return static_cast<int64_t>(hoisted.size());
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFoldConstantIfPass() { return std::make_unique<FoldConstantIfPass>(); }

std::unique_ptr<Pass> CreateHoistLoopInvariantsPass() {
  return std::make_unique<HoistLoopInvariantsPass>();
}

}  // namespace onnxsmith::optimizer
