#include "converter/control_flow/v1_frames.h"

#include <deque>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "converter/control_flow/function_extract.h"

namespace onnxsmith::converter::control_flow {
namespace {

bool BoolAttr(const tf::NodeDef& node, const std::string& attr) {
  auto it = node.attr().find(attr);
  return it != node.attr().end() && it->second.b();
}

std::string StringAttr(const tf::NodeDef& node, const std::string& attr) {
  auto it = node.attr().find(attr);
  return it == node.attr().end() ? "" : it->second.s();
}

std::string FrameLabel(const std::string& frame) {
  return frame.empty() ? "the root frame (outside every loop)" : absl::StrCat("frame '", frame, "'");
}

class FrameAssigner {
 public:
  explicit FrameAssigner(const GraphIndex& index) : index_(index) {
    result_.node_frame.assign(index.size(), "");
    known_.assign(index.size(), false);
  }

  absl::StatusOr<FrameAnalysis> Run() {
    // Edges from free Consts decide nothing: a node reading only free Consts
    // (or nothing) is a source in the root frame.
    for (int i = 0; i < index_.size(); ++i) {
      if (IsFreeConst(index_, i)) {
        known_[i] = true;
        continue;
      }
      bool source = true;
      for (const InputRef& in : index_.Inputs(i)) {
        source &= IsFreeConst(index_, index_.IndexOf(in.node));
      }
      if (source) Settle(i, "");
    }
    RETURN_IF_ERROR(Propagate());
    std::vector<std::string> stuck;
    for (int i = 0; i < index_.size(); ++i) {
      if (!known_[i]) stuck.push_back(index_.node(i).name());
    }
    if (!stuck.empty()) {
      if (stuck.size() > 6) {
        stuck.resize(6);
        stuck.push_back("...");
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "nodes ", absl::StrJoin(stuck, ", "),
          " are reachable only from a cycle: a NextIteration back edge whose loop has no "
          "Enter (the cycle does not close through a while frame)"));
    }
    for (auto& [name, frame] : result_.frames) {
      for (int i = 0; i < index_.size(); ++i) {
        if (result_.node_frame[i] == name) frame.members.push_back(i);
      }
      for (std::string p = frame.parent; !p.empty(); p = result_.frames[p].parent) {
        ++frame.depth;
        if (frame.depth > index_.size()) {
          return absl::InvalidArgumentError(absl::StrCat("while frame '", name,
                                                         "' is nested in itself"));
        }
      }
      if (!frame.parent.empty()) result_.frames[frame.parent].has_children = true;
    }
    return std::move(result_);
  }

 private:
  void Settle(int i, const std::string& frame) {
    if (known_[i]) return;
    known_[i] = true;
    result_.node_frame[i] = frame;
    queue_.push_back(i);
  }

  // The frame node i's consumers run in.
  absl::StatusOr<std::string> OutputFrame(int i) {
    const tf::NodeDef& node = index_.node(i);
    const std::string& own = result_.node_frame[i];
    if (node.op() == "Enter") {
      std::string name = StringAttr(node, "frame_name");
      if (name.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(node), " has no frame_name: not a valid while-loop Enter"));
      }
      auto [it, fresh] = result_.frames.try_emplace(name);
      if (fresh) {
        it->second.name = name;
        it->second.parent = own;
      } else if (it->second.parent != own) {
        return absl::InvalidArgumentError(absl::StrCat(
            "while frame '", name, "' is entered from two frames: ", Describe(node), " runs in ",
            FrameLabel(own), ", other Enters in ", FrameLabel(it->second.parent)));
      }
      it->second.enters.push_back(i);
      return name;
    }
    if (node.op() == "Exit") {
      if (own.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            Describe(node), " is outside every while loop: no Enter opens a frame for it"));
      }
      return result_.frames[own].parent;
    }
    return own;
  }

  absl::Status Propagate() {
    while (!queue_.empty()) {
      int i = queue_.front();
      queue_.pop_front();
      ASSIGN_OR_RETURN(std::string out, OutputFrame(i));
      for (int c : index_.Consumers(i)) {
        if (!known_[c]) {
          Settle(c, out);
        } else if (result_.node_frame[c] != out) {
          return absl::InvalidArgumentError(absl::StrCat(
              Describe(index_.node(c)), " reads from two frames: ", FrameLabel(out), " through ",
              Describe(index_.node(i)), ", and ", FrameLabel(result_.node_frame[c]),
              " (a loop value used without Enter/Exit)"));
        }
      }
    }
    return absl::OkStatus();
  }

  const GraphIndex& index_;
  FrameAnalysis result_;
  std::vector<bool> known_;
  std::deque<int> queue_;
};

struct LoopVar {
  int enter = -1;
  int merge = -1;
  int next = -1;
  std::vector<int> switches;
  tf::DataType type = tf::DT_INVALID;
};

class WhileRaiser {
 public:
  WhileRaiser(const GraphIndex& index, const FrameAnalysis& analysis, const Frame& frame)
      : index_(index), analysis_(analysis), frame_(frame) {}

  absl::Status Run(tf::GraphDef* graph) {
    RETURN_IF_ERROR(FindStructure());
    std::vector<tf::DataType> types;
    for (const LoopVar& v : vars_) types.push_back(v.type);
    for (int e : invariants_) types.push_back(TypeAttr(index_.node(e), "T"));
    FunctionRequest request;
    request.arg_types = types;
    for (size_t k = 0; k < vars_.size(); ++k) {
      request.args[absl::StrCat(index_.node(vars_[k].merge).name(), ":0")] = k;
      for (int s : vars_[k].switches) request.args[absl::StrCat(index_.node(s).name(), ":1")] = k;
    }
    for (size_t j = 0; j < invariants_.size(); ++j) {
      request.args[absl::StrCat(index_.node(invariants_[j]).name(), ":0")] = vars_.size() + j;
    }
    request.reach = [this](int i) { return Reachable(i); };

    FunctionRequest cond = request;
    cond.name = UniqueFunctionName(*graph, frame_.name + "_cond");
    cond.outputs = {ParseInput(index_.node(loop_cond_).input(0)).Tensor()};
    cond.output_types = {tf::DT_BOOL};
    ASSIGN_OR_RETURN(ExtractedFunction cond_fn, ExtractFunction(index_, cond));

    FunctionRequest body = request;
    body.name = UniqueFunctionName(*graph, frame_.name + "_body");
    for (const LoopVar& v : vars_) body.outputs.push_back(ParseInput(index_.node(v.next).input(0)).Tensor());
    for (int e : invariants_) body.outputs.push_back(absl::StrCat(index_.node(e).name(), ":0"));
    body.output_types = types;
    ASSIGN_OR_RETURN(ExtractedFunction body_fn, ExtractFunction(index_, body));

    // Edit the graph only now: the index refers to it.
    tf::NodeDef loop;
    loop.set_name(UniqueNodeName(*graph, frame_.name + "/While"));
    loop.set_op("While");
    std::vector<int> enters;
    for (const LoopVar& v : vars_) enters.push_back(v.enter);
    enters.insert(enters.end(), invariants_.begin(), invariants_.end());
    int parallel = 10;
    for (int e : enters) {
      loop.add_input(index_.node(e).input(0));
      auto it = index_.node(e).attr().find("parallel_iterations");
      if (it != index_.node(e).attr().end() && it->second.i() > 0) parallel = it->second.i();
    }
    auto& attr = *loop.mutable_attr();
    attr["T"] = TypeList(types);
    attr["cond"] = FuncAttr(cond.name);
    attr["body"] = FuncAttr(body.name);
    attr["output_shapes"] = UnknownShapes(static_cast<int>(types.size()));
    attr["parallel_iterations"].set_i(parallel);
    *graph->mutable_library()->add_function() = std::move(cond_fn.function);
    *graph->mutable_library()->add_function() = std::move(body_fn.function);

    absl::flat_hash_set<std::string> removed;
    for (int m : frame_.members) removed.insert(index_.node(m).name());
    for (int e : frame_.enters) removed.insert(index_.node(e).name());
    for (const auto& [exit, var] : exits_) removed.erase(index_.node(exit).name());
    for (tf::NodeDef& node : *graph->mutable_node()) {
      int i = index_.IndexOf(node.name());
      auto it = exits_.find(i);
      if (it == exits_.end()) continue;
      tf::DataType t = types[it->second];
      node.set_op("Identity");
      node.clear_input();
      node.add_input(absl::StrCat(loop.name(), ":", it->second));
      node.clear_attr();
      (*node.mutable_attr())["T"].set_type(t);
    }
    *graph->add_node() = std::move(loop);
    RemoveNodes(graph, removed);
    return absl::OkStatus();
  }

 private:
  absl::Status Error(int i, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat("while frame '", frame_.name, "': ",
                                                   Describe(index_.node(i)), " ", what));
  }

  bool IsOp(int i, const char* op) const { return index_.node(i).op() == op; }
  bool InFrame(int i) const { return analysis_.node_frame[i] == frame_.name; }

  absl::Status FindStructure() {
    absl::flat_hash_set<int> enters(frame_.enters.begin(), frame_.enters.end());
    for (int i : frame_.members) {
      if (IsOp(i, "LoopCond")) {
        if (loop_cond_ >= 0) return Error(i, "is a second LoopCond in one frame");
        loop_cond_ = i;
      }
    }
    if (loop_cond_ < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "while frame '", frame_.name, "' has no LoopCond (entered by ",
          Describe(index_.node(frame_.enters[0])), ")"));
    }
    for (int i : frame_.members) {
      if (!IsOp(i, "NextIteration")) continue;
      bool closes = false;
      for (int c : index_.Consumers(i)) closes |= IsOp(c, "Merge") && InFrame(c);
      if (!closes) return Error(i, "feeds no Merge: the loop's back edge does not close");
    }
    absl::flat_hash_map<int, int> var_of_merge;
    absl::flat_hash_set<int> used_enters, used_nexts;
    for (int i : frame_.members) {
      if (!IsOp(i, "Merge")) continue;
      LoopVar v;
      v.merge = i;
      int data_inputs = 0;
      for (const InputRef& in : index_.Inputs(i)) {
        if (in.control()) continue;
        ++data_inputs;
        int p = index_.IndexOf(in.node);
        if (IsOp(p, "Enter") && enters.contains(p)) v.enter = p;
        if (IsOp(p, "NextIteration") && InFrame(p)) v.next = p;
      }
      if (v.next < 0) {
        return Error(i, "is not a loop Merge (no NextIteration input): a conditional in the loop "
                        "that could not be rebuilt, or a malformed loop");
      }
      if (v.enter < 0 || data_inputs != 2) {
        return Error(i, "must merge one Enter of the frame and one NextIteration");
      }
      if (BoolAttr(index_.node(v.enter), "is_constant")) {
        return Error(v.enter, "is a constant Enter but feeds the loop Merge " +
                                  index_.node(i).name());
      }
      v.type = TypeAttr(index_.node(i), "T");
      used_enters.insert(v.enter);
      used_nexts.insert(v.next);
      var_of_merge[i] = static_cast<int>(vars_.size());
      vars_.push_back(v);
    }
    for (int e : frame_.enters) {
      if (BoolAttr(index_.node(e), "is_constant")) {
        invariants_.push_back(e);
      } else if (!used_enters.contains(e)) {
        return Error(e, "feeds no loop Merge");
      }
    }
    for (int i : frame_.members) {
      if (IsOp(i, "NextIteration") && !used_nexts.contains(i)) {
        return Error(i, "feeds no Merge: the loop's back edge does not close");
      }
      if (IsOp(i, "Switch")) {
        const auto& in = index_.Inputs(i);
        int data = in.size() >= 2 ? index_.IndexOf(in[0].node) : -1;
        int pred = in.size() >= 2 ? index_.IndexOf(in[1].node) : -1;
        if (pred != loop_cond_ || !var_of_merge.contains(data)) {
          return Error(i, "is not a loop Switch (Switch(Merge, LoopCond)): a conditional in the "
                          "loop that could not be rebuilt, or a malformed loop");
        }
        vars_[var_of_merge[data]].switches.push_back(i);
      }
    }
    for (const LoopVar& v : vars_) {
      if (v.switches.empty()) return Error(v.merge, "has no Switch on the LoopCond");
    }
    for (int i : frame_.members) {
      if (!IsOp(i, "Exit")) continue;
      const auto& in = index_.Inputs(i);
      int s = in.empty() ? -1 : index_.IndexOf(in[0].node);
      bool found = false;
      for (size_t k = 0; k < vars_.size() && !found; ++k) {
        for (int sw : vars_[k].switches) {
          if (sw == s && in[0].port == 0) {
            exits_[i] = static_cast<int>(k);
            found = true;
          }
        }
      }
      if (!found) return Error(i, "does not read output 0 of a loop Switch");
    }
    if (vars_.empty()) return Error(loop_cond_, "decides a loop without loop variables");
    return absl::OkStatus();
  }

  absl::StatusOr<Reach> Reachable(int i) const {
    if (IsFreeConst(index_, i)) return Reach::kCopy;
    if (!InFrame(i)) {
      return Error(i, absl::StrCat("runs in ", FrameLabel(analysis_.node_frame[i]),
                                   " but is read inside the loop without an Enter"));
    }
    for (const char* op : {"Enter", "Exit", "NextIteration", "LoopCond", "Merge", "Switch"}) {
      if (IsOp(i, op)) {
        return Error(i, IsOp(i, "Switch")
                            ? "is read on its exit side (output 0) inside the loop"
                            : "is read by the loop's condition or body, which v1 loops never do");
      }
    }
    return Reach::kCopy;
  }

  const GraphIndex& index_;
  const FrameAnalysis& analysis_;
  const Frame& frame_;
  int loop_cond_ = -1;
  std::vector<LoopVar> vars_;
  std::vector<int> invariants_;
  std::map<int, int> exits_;  // Exit node -> loop variable
};

}  // namespace

bool IsFreeConst(const GraphIndex& index, int node) {
  return index.node(node).op() == "Const" && index.Inputs(node).empty();
}

absl::StatusOr<FrameAnalysis> AnalyzeFrames(const GraphIndex& index) {
  return FrameAssigner(index).Run();
}

absl::Status RaiseWhileFrame(const FrameAnalysis& analysis, const std::string& frame,
                             tf::GraphDef* graph) {
  ASSIGN_OR_RETURN(GraphIndex index, GraphIndex::Build(*graph));
  auto it = analysis.frames.find(frame);
  if (it == analysis.frames.end()) {
    return absl::NotFoundError(absl::StrCat("no while frame '", frame, "'"));
  }
  return WhileRaiser(index, analysis, it->second).Run(graph);
}

}  // namespace onnxsmith::converter::control_flow
