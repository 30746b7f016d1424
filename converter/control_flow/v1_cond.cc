#include "converter/control_flow/v1_cond.h"

#include <map>
#include <optional>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/control_flow/function_extract.h"
#include "converter/control_flow/graph_edit.h"

namespace onnxsmith::converter::control_flow {
namespace {

// Switch selects one of 2 outputs on a bool; _SwitchN (tf.switch_case lowered)
// one of num_outs on an int32 index, the last when the index is out of range.
bool IsSwitch(const std::string& op) { return op == "Switch" || op == "_SwitchN"; }

bool IsLoopOp(const std::string& op) {
  return op == "Enter" || op == "Exit" || op == "NextIteration" || op == "LoopCond" ||
         op == "Merge";
}

// What a walk back from one Merge input meets before the Switches.
struct Side {
  std::set<int> ports;                 // Switch outputs reached through data edges
  std::set<int> switches;              // every Switch reached
  absl::flat_hash_set<int> visited;    // nodes passed (data and control edges)
  bool blocked = false;                // met other unraised control flow
};

struct Cond {
  int merge = -1;
  std::string pred;                    // the Switches' predicate (or branch index) tensor
  std::set<int> switches;
  bool indexed = false;                // _SwitchN: a Case on the index, not an If
  // Merge input taken when pred is false / true (Switch), or for branch k (_SwitchN).
  std::vector<std::string> branch_input;
  absl::flat_hash_set<int> visited;
};

class CondRaiser {
 public:
  explicit CondRaiser(const GraphIndex& index) : index_(index) {}

  // The conditional ending in Merge m, or nullopt while its branches still
  // hold other control flow.
  absl::StatusOr<std::optional<Cond>> Analyze(int m) const {
    Cond cond;
    cond.merge = m;
    std::vector<std::string> inputs;
    for (const InputRef& in : index_.Inputs(m)) {
      if (!in.control()) inputs.push_back(in.Tensor());
    }
    const int n = static_cast<int>(inputs.size());
    std::vector<Side> sides(n);
    for (int k = 0; k < n; ++k) {
      sides[k] = Walk(inputs[k]);
      if (sides[k].blocked) return std::nullopt;
      cond.switches.insert(sides[k].switches.begin(), sides[k].switches.end());
      cond.visited.insert(sides[k].visited.begin(), sides[k].visited.end());
    }
    if (cond.switches.empty()) return Error(m, "merges values that no Switch selects");
    for (int s : cond.switches) cond.indexed |= index_.node(s).op() == "_SwitchN";
    if (!cond.indexed && n != 2) {
      return Error(m, absl::StrCat("merges ", n, " values; a conditional merges 2"));
    }
    std::string origin;
    for (int s : cond.switches) {
      const auto num_outs = index_.node(s).attr().find("num_outs");
      if (cond.indexed && (index_.node(s).op() != "_SwitchN" ||
                           num_outs == index_.node(s).attr().end() || num_outs->second.i() != n)) {
        return Error(m, absl::StrCat("merges ", n, " values of '", index_.node(s).name(), "' (",
                                     index_.node(s).op(), "), which is not a _SwitchN of ", n,
                                     " outputs"));
      }
      std::string pred = ParseInput(index_.node(s).input(1)).Tensor();
      if (cond.pred.empty()) cond.pred = pred;
      // tf.cond switches its pivot on pred and values on Identity(pred).
      if (origin.empty()) origin = PredOrigin(pred);
      if (PredOrigin(pred) != origin) return std::nullopt;  // an inner conditional first
    }
    cond.pred = origin;
    cond.branch_input.assign(n, "");
    if (cond.indexed) return AssignIndexedSides(m, inputs, sides, std::move(cond));
    int side_of[2] = {-1, -1};
    for (int k = 0; k < 2; ++k) {
      if (sides[k].ports.size() > 1) {
        return Error(m, absl::StrCat("input '", inputs[k],
                                     "' depends on both outputs of the Switches on '", cond.pred,
                                     "'"));
      }
      if (!sides[k].ports.empty()) side_of[k] = *sides[k].ports.begin();
    }
    if (side_of[0] < 0 && side_of[1] < 0) {
      // Both branches are constants whose control edges to the pivot are
      // gone (pruned): tf.cond merges [false value, true value].
      side_of[0] = 0;
      side_of[1] = 1;
    }
    if (side_of[0] < 0) side_of[0] = 1 - side_of[1];
    if (side_of[1] < 0) side_of[1] = 1 - side_of[0];
    if (side_of[0] == side_of[1]) {
      return Error(m, absl::StrCat("merges two values of the same branch of '", cond.pred, "'"));
    }
    for (int k = 0; k < 2; ++k) cond.branch_input[side_of[k]] = inputs[k];
    return cond;
  }

  absl::Status Raise(const std::vector<Cond>& group, tf::GraphDef* graph) {
    const Cond& first = group[0];
    const int n = static_cast<int>(first.branch_input.size());
    std::set<int> switches;
    for (const Cond& c : group) switches.insert(c.switches.begin(), c.switches.end());
    // Arguments: the Switches' data inputs, each once.
    std::vector<FunctionRequest> request(n);
    std::vector<std::string> if_inputs = {first.pred};
    std::map<std::string, int> arg_of_tensor;
    std::vector<tf::DataType> arg_types;
    for (int s : switches) {
      std::string data = ParseInput(index_.node(s).input(0)).Tensor();
      auto [it, fresh] = arg_of_tensor.try_emplace(data, static_cast<int>(arg_types.size()));
      if (fresh) {
        if_inputs.push_back(data);
        arg_types.push_back(TypeAttr(index_.node(s), "T"));
      }
      for (int side = 0; side < n; ++side) {
        request[side].args[absl::StrCat(index_.node(s).name(), ":", side)] = it->second;
      }
    }
    std::vector<tf::DataType> out_types;
    for (const Cond& c : group) out_types.push_back(TypeAttr(index_.node(c.merge), "T"));
    const std::string scope = ScopeOf(index_.node(first.merge).name());
    for (int side = 0; side < n; ++side) {
      FunctionRequest& r = request[side];
      r.name = UniqueFunctionName(*graph, first.indexed ? absl::StrCat(scope, "_branch", side)
                                                        : scope + (side ? "_then" : "_else"));
      r.arg_types = arg_types;
      for (const Cond& c : group) r.outputs.push_back(c.branch_input[side]);
      r.output_types = out_types;
      r.reach = [this, side](int i) { return Reachable(i, side); };
    }
    // Tensors a branch reads without a Switch (placeholders) become
    // arguments of both branches.
    std::vector<ExtractedFunction> fn(n);
    for (int round = 0; round < 2; ++round) {
      std::vector<std::string> captures;
      for (int side = 0; side < n; ++side) {
        ASSIGN_OR_RETURN(fn[side], ExtractFunction(index_, request[side]));
        captures.insert(captures.end(), fn[side].captures.begin(), fn[side].captures.end());
      }
      if (captures.empty()) break;
      for (const std::string& t : captures) {
        if (arg_of_tensor.count(t)) continue;
        const int k = static_cast<int>(arg_types.size());
        arg_of_tensor[t] = k;
        ASSIGN_OR_RETURN(tf::DataType type, OutputType(*index_.Find(ParseInput(t).node),
                                                       ParseInput(t).port));
        arg_types.push_back(type);
        if_inputs.push_back(t);
        for (FunctionRequest& r : request) {
          r.args[t] = k;
          r.arg_types = arg_types;
        }
      }
    }
    for (const Cond& c : group) {
      for (int consumer : index_.Consumers(c.merge)) {
        for (const InputRef& in : index_.Inputs(consumer)) {
          if (in.node == index_.node(c.merge).name() && in.port == 1) {
            return Error(consumer, absl::StrCat("reads the value_index output of Merge '",
                                                index_.node(c.merge).name(),
                                                "', which a rebuilt conditional does not have"));
          }
        }
      }
    }
    // Nodes of the branches, to drop once nothing reads them.
    absl::flat_hash_set<std::string> candidates;
    for (const Cond& c : group) {
      for (int i : c.visited) candidates.insert(index_.node(i).name());
    }
    for (int s : switches) candidates.insert(index_.node(s).name());
    for (const std::string& t : if_inputs) candidates.erase(ParseInput(t).node);

    tf::NodeDef node;
    const std::string op = first.indexed ? "Case" : "If";
    node.set_name(UniqueNodeName(*graph, scope + "/" + op));
    node.set_op(op);
    for (const std::string& t : if_inputs) node.add_input(t);
    auto& attr = *node.mutable_attr();
    attr["Tin"] = TypeList(arg_types);
    attr["Tout"] = TypeList(out_types);
    attr["output_shapes"] = UnknownShapes(static_cast<int>(out_types.size()));
    if (first.indexed) {
      for (int side = 0; side < n; ++side) {
        *attr["branches"].mutable_list()->add_func() = FuncAttr(request[side].name).func();
      }
    } else {
      attr["Tcond"].set_type(tf::DT_BOOL);
      attr["then_branch"] = FuncAttr(request[1].name);
      attr["else_branch"] = FuncAttr(request[0].name);
    }
    for (int side = n - 1; side >= 0; --side) {
      *graph->mutable_library()->add_function() = std::move(fn[side].function);
    }
    std::map<std::string, int> output_of;
    for (size_t k = 0; k < group.size(); ++k) output_of[index_.node(group[k].merge).name()] = k;
    for (tf::NodeDef& n : *graph->mutable_node()) {
      auto it = output_of.find(n.name());
      if (it == output_of.end()) continue;
      n.set_op("Identity");
      n.clear_input();
      n.add_input(absl::StrCat(node.name(), ":", it->second));
      n.clear_attr();
      (*n.mutable_attr())["T"].set_type(out_types[it->second]);
    }
    *graph->add_node() = std::move(node);
    return RemoveUnused(graph, std::move(candidates));
  }

 private:
  absl::Status Error(int i, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(Describe(index_.node(i)), " ", what));
  }

  // Merge input k of a _SwitchN conditional is branch k, as TF lowers Case;
  // the Switch ports reached check that.
  absl::StatusOr<std::optional<Cond>> AssignIndexedSides(int m, const std::vector<std::string>& inputs,
                                                         const std::vector<Side>& sides,
                                                         Cond cond) const {
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (sides[k].ports.size() > 1 ||
          (sides[k].ports.size() == 1 && *sides[k].ports.begin() != static_cast<int>(k))) {
        return Error(m, absl::StrCat("input ", k, " ('", inputs[k],
                                     "') is not computed from output ", k, " of the _SwitchN on '",
                                     cond.pred, "'"));
      }
      cond.branch_input[k] = inputs[k];
    }
    return cond;
  }

  static std::string ScopeOf(const std::string& name) {
    size_t slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(0, slash);
  }

  // `tensor` with Identity nodes followed up to the producing tensor.
  std::string PredOrigin(std::string tensor) const {
    for (int hops = 0; hops < index_.size(); ++hops) {
      InputRef ref = ParseInput(tensor);
      int i = index_.IndexOf(ref.node);
      if (i < 0 || index_.node(i).op() != "Identity" || index_.Inputs(i).empty() ||
          index_.Inputs(i)[0].control()) {
        break;
      }
      tensor = index_.Inputs(i)[0].Tensor();
    }
    return ParseInput(tensor).Tensor();
  }

  Side Walk(const std::string& tensor) const {
    Side side;
    std::vector<InputRef> stack = {ParseInput(tensor)};
    while (!stack.empty()) {
      InputRef ref = stack.back();
      stack.pop_back();
      int i = index_.IndexOf(ref.node);
      const tf::NodeDef& node = index_.node(i);
      if (IsSwitch(node.op())) {
        side.switches.insert(i);
        if (!ref.control()) side.ports.insert(ref.port);
        continue;
      }
      if (IsLoopOp(node.op())) {
        side.blocked = true;
        return side;
      }
      if (!side.visited.insert(i).second) continue;
      for (const InputRef& in : index_.Inputs(i)) stack.push_back(in);
    }
    return side;
  }

  absl::StatusOr<Reach> Reachable(int i, int side) const {
    const tf::NodeDef& node = index_.node(i);
    if (node.op() == "_SwitchN") {
      return Error(i, absl::StrCat("is read on another output than ", side, " by branch ", side));
    }
    if (node.op() == "Switch") {
      return Error(i, absl::StrCat("is read on its ", side ? "false" : "true",
                                   " side (output ", 1 - side, ") by the ",
                                   side ? "true" : "false", " branch"));
    }
    if (IsLoopOp(node.op())) return Error(i, "is read inside a conditional branch");
    if (index_.Inputs(i).empty() && node.op() != "Const") return Reach::kCapture;
    return Reach::kCopy;
  }

  const GraphIndex& index_;
};

}  // namespace

absl::StatusOr<bool> RaiseOneCond(tf::GraphDef* graph) {
  ASSIGN_OR_RETURN(GraphIndex index, GraphIndex::Build(*graph));
  CondRaiser raiser(index);
  std::vector<Cond> ready;
  for (int i = 0; i < index.size(); ++i) {
    if (index.node(i).op() != "Merge") continue;
    bool loop = false;
    for (const InputRef& in : index.Inputs(i)) {
      loop |= !in.control() && index.Find(in.node)->op() == "NextIteration";
    }
    if (loop) continue;
    ASSIGN_OR_RETURN(std::optional<Cond> cond, raiser.Analyze(i));
    if (cond) ready.push_back(*std::move(cond));
  }
  if (ready.empty()) return false;
  // The first ready conditional with every ready Merge sharing its Switches.
  std::vector<Cond> group = {ready[0]};
  std::set<int> switches = ready[0].switches;
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t k = 1; k < ready.size(); ++k) {
      const Cond& c = ready[k];
      bool in_group = false;
      for (const Cond& g : group) in_group |= g.merge == c.merge;
      if (in_group || c.pred != group[0].pred) continue;
      bool shares = false;
      for (int s : c.switches) shares |= switches.count(s) > 0;
      if (!shares) continue;
      group.push_back(c);
      switches.insert(c.switches.begin(), c.switches.end());
      grew = true;
    }
  }
  RETURN_IF_ERROR(raiser.Raise(group, graph));
  return true;
}

}  // namespace onnxsmith::converter::control_flow
