// fold_constant_if, if_to_where and hoist_loop_invariants: the passes that move nodes
// across scope boundaries (an If branch into its graph, a Loop/Scan body's
// invariants out before the node). Names stay unique in the whole tree:
// values that change scope get fresh names.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
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

// Moves `branch`'s initializers and nodes into `ed`'s graph under fresh
// names; returns the names its outputs then have.
std::vector<std::string> InlineBranch(GraphEditor& ed, ir::Graph& branch) {
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
  std::vector<std::string> outputs;
  for (const ir::ValueInfo& o : branch.outputs) outputs.push_back(o.name);
  return outputs;
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
    // Each If output becomes an Identity of its branch output (which
    // eliminate_identity removes where the interface allows).
    const std::vector<std::string> values = InlineBranch(ed, branch);
    for (size_t k = 0; k < outputs.size(); ++k) {
      if (outputs[k].empty()) continue;
      ir::Node id;
      id.op_type = "Identity";
      id.inputs = {values[k]};
      id.outputs = {outputs[k]};
      ed.AddNode(std::move(id));
    }
    return 1;
  }
};

// Replaces an If whose branches are cheap and total (a few elementwise ops
// that cannot fail whatever the condition, no subgraphs) and whose outputs
// provably have the same shape in both branches by both branches inlined
// and one Where per output: no subgraph to enter, and the neighbours can
// fuse. A TF1 tf.cond on small tensors is the usual case.
class IfToWherePass : public PerNodePass {
 public:
  std::string name() const override { return "if_to_where"; }

 protected:
  bool Matches(const ir::Node& n) const override {
    return n.op_type == "If" && !n.inputs.empty() && !n.inputs[0].empty();
  }
  int64_t Rewrite(GraphEditor& ed, ir::Node& n) override {
    const ir::Attribute* then_attr = n.FindAttr("then_branch");
    const ir::Attribute* else_attr = n.FindAttr("else_branch");
    if (!then_attr || !then_attr->g || !else_attr || !else_attr->g) return 0;
    const ir::Graph& then_g = *then_attr->g;
    const ir::Graph& else_g = *else_attr->g;
    if (then_g.outputs.size() < n.outputs.size() || else_g.outputs.size() < n.outputs.size()) {
      return 0;
    }
    Branch then_b(ed, then_g), else_b(ed, else_g);
    if (!then_b.Cheap() || !else_b.Cheap()) return 0;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      if (n.outputs[k].empty()) continue;
      const std::string& x = then_g.outputs[k].name;
      const std::string& y = else_g.outputs[k].name;
      const ir::DataType dtype = then_b.DType(x);
      auto sx = then_b.Shape(x);
      auto sy = else_b.Shape(y);
      if (dtype == ir::DataType::kUndefined || dtype != else_b.DType(y) || !sx || !sy || *sx != *sy) {
        return 0;
      }
    }
    std::string cond = n.inputs[0];
    auto cond_type = ed.TypeOf(cond);
    if (!cond_type || cond_type->rank() != 0) {  // a one-element tensor: Where needs a scalar
      ir::Node reshape;
      reshape.op_type = "Reshape";
      reshape.inputs = {cond, ed.AddInitializer(cond + "_scalar_shape",
                                                ir::Tensor::FromVector<int64_t>({0}, {}))};
      cond = ed.NewValueName(cond + "_scalar");
      reshape.outputs = {cond};
      ed.SetType(cond, ir::MakeType(ir::DataType::kBool, {}));
      ed.AddNode(std::move(reshape));
    }
    ir::Graph then_copy = then_g.Clone();
    ir::Graph else_copy = else_g.Clone();
    const std::vector<std::string> outputs = n.outputs;
    ed.RemoveNode(&n);
    const std::vector<std::string> a = InlineBranch(ed, then_copy);
    const std::vector<std::string> b = InlineBranch(ed, else_copy);
    for (size_t k = 0; k < outputs.size(); ++k) {
      if (outputs[k].empty()) continue;
      ir::Node where;
      where.op_type = "Where";
      where.inputs = {cond, a[k], b[k]};
      where.outputs = {outputs[k]};
      ed.AddNode(std::move(where));
    }
    return 1;
  }

 private:
  static constexpr size_t kMaxBranchNodes = 8;

  // One branch: its values' dtypes and symbolic shapes. A dim is "#n" (known
  // size), "$p" (a named dim) or "@value:axis" (dim `axis` of an enclosing
  // value), so shapes derived from the same enclosing values compare equal.
  class Branch {
   public:
    Branch(const GraphEditor& ed, const ir::Graph& g) : ed_(ed), g_(g) {
      for (const auto& node : g.nodes) {
        for (const std::string& o : node->outputs) producer_[o] = node.get();
      }
    }

    // At most kMaxBranchNodes elementwise ops whose operands provably
    // broadcast; no integer division (it traps on zero).
    bool Cheap() {
      if (g_.nodes.size() > kMaxBranchNodes) return false;
      for (const auto& node : g_.nodes) {
        const ir::Node& n = *node;
        if (!IsOnnxDomain(n) || !ir::Subgraphs(n).empty() || n.outputs.empty()) return false;
        if (!Unary(n.op_type) && !Broadcasting(n.op_type)) return false;
        if ((n.op_type == "Div" || n.op_type == "Pow") && !ir::IsFloating(DType(n.inputs[0]))) {
          return false;
        }
        if (!Shape(n.outputs[0])) return false;
      }
      return true;
    }

    ir::DataType DType(const std::string& value) const {
      auto t = g_.value_types.find(value);
      if (t != g_.value_types.end()) return t->second.dtype;
      if (const ir::Tensor* c = g_.FindInitializer(value)) return c->dtype();
      auto p = producer_.find(value);
      if (p != producer_.end()) {
        const ir::Node& n = *p->second;
        if (n.op_type == "Constant") {
          const ir::Attribute* v = n.FindAttr("value");
          return v && v->kind == ir::Attribute::Kind::kTensor ? v->t.dtype() : ir::DataType::kUndefined;
        }
        if (Comparison(n.op_type) || n.op_type == "Not" || n.op_type == "And" ||
            n.op_type == "Or" || n.op_type == "Xor") {
          return ir::DataType::kBool;
        }
        if (n.op_type == "Cast") {
          const ir::Attribute* to = n.FindAttr("to");
          return to ? static_cast<ir::DataType>(to->i) : ir::DataType::kUndefined;
        }
        return n.inputs.empty() ? ir::DataType::kUndefined
                                : DType(n.inputs[n.op_type == "Where" ? 1 : 0]);
      }
      return ed_.DataTypeOf(value);
    }

    std::optional<std::vector<std::string>> Shape(const std::string& value) {
      auto memo = shapes_.find(value);
      if (memo != shapes_.end()) return memo->second;
      std::optional<std::vector<std::string>> s = Compute(value);
      shapes_[value] = s;
      return s;
    }

   private:
    static bool Unary(const std::string& op) {
      static const absl::flat_hash_set<std::string> kOps = {
          "Identity", "Neg",   "Abs",   "Relu",       "Sigmoid",  "Tanh",        "Exp",
          "Log",      "Sqrt",  "Floor", "Ceil",       "Round",    "Sign",        "Not",
          "Erf",      "Softplus", "Softsign", "Elu",  "Selu",     "LeakyRelu",   "HardSigmoid",
          "Cos",      "Sin",   "Atan",  "IsNaN",      "IsInf",    "Cast",        "Reciprocal",
          "Constant"};
      return kOps.count(op) > 0;
    }
    static bool Comparison(const std::string& op) {
      return op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" ||
             op == "GreaterOrEqual" || op == "IsNaN" || op == "IsInf";
    }
    static bool Broadcasting(const std::string& op) {
      static const absl::flat_hash_set<std::string> kOps = {
          "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "And", "Or", "Xor", "Where",
          "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
      return kOps.count(op) > 0;
    }

    static std::vector<std::string> Dims(const std::vector<int64_t>& dims) {
      std::vector<std::string> s;
      for (int64_t d : dims) s.push_back(absl::StrCat("#", d));
      return s;
    }

    std::optional<std::vector<std::string>> Compute(const std::string& value) {
      if (const ir::Tensor* c = g_.FindInitializer(value)) return Dims(c->dims());
      auto p = producer_.find(value);
      if (p == producer_.end()) {  // a value of an enclosing graph
        auto t = ed_.TypeOf(value);
        if (!t || !t->shape || t->sequence) return std::nullopt;
        std::vector<std::string> s;
        for (size_t i = 0; i < t->shape->size(); ++i) {
          const ir::Dim& d = (*t->shape)[i];
          s.push_back(d.known() ? absl::StrCat("#", d.size)
                      : !d.param.empty() ? "$" + d.param : absl::StrCat("@", value, ":", i));
        }
        return s;
      }
      const ir::Node& n = *p->second;
      if (n.op_type == "Constant") {
        const ir::Attribute* v = n.FindAttr("value");
        if (!v || v->kind != ir::Attribute::Kind::kTensor) return std::nullopt;
        return Dims(v->t.dims());
      }
      if (Unary(n.op_type)) return n.inputs.empty() ? std::nullopt : Shape(n.inputs[0]);
      // Broadcasting: per aligned dim, the one non-1 dim every operand agrees on.
      std::vector<std::vector<std::string>> operands;
      size_t rank = 0;
      for (const std::string& in : n.inputs) {
        if (in.empty()) return std::nullopt;
        auto s = Shape(in);
        if (!s) return std::nullopt;
        rank = std::max(rank, s->size());
        operands.push_back(*s);
      }
      std::vector<std::string> out(rank, "#1");
      for (size_t i = 0; i < rank; ++i) {
        for (const auto& s : operands) {
          if (i >= s.size()) continue;
          const std::string& d = s[s.size() - 1 - i];
          std::string& o = out[rank - 1 - i];
          if (d == "#1" || d == o) continue;
          if (o != "#1") return std::nullopt;  // may not broadcast
          o = d;
        }
      }
      return out;
    }

    const GraphEditor& ed_;
    const ir::Graph& g_;
    absl::flat_hash_map<std::string, const ir::Node*> producer_;
    absl::flat_hash_map<std::string, std::optional<std::vector<std::string>>> shapes_;
  };
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

std::unique_ptr<Pass> CreateIfToWherePass() { return std::make_unique<IfToWherePass>(); }

std::unique_ptr<Pass> CreateHoistLoopInvariantsPass() {
  return std::make_unique<HoistLoopInvariantsPass>();
}

}  // namespace onnxsmith::optimizer
