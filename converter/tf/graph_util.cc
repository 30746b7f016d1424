#include "converter/tf/graph_util.h"

#include <deque>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace onnxsmith::converter {
namespace {

// Output args of ops a body may use when the MetaGraph's op list lacks them
// (SavedModels written by TF always carry the list; hand-made ones may not).
// Each arg: name, then "" (one tensor), "#attr" (number_attr) or "*attr"
// (type_list_attr).
struct BuiltinOutputs {
  const char* op;
  std::vector<std::pair<const char*, const char*>> args;
};

const std::vector<BuiltinOutputs>& BuiltinTable() {
  static const auto* table = new std::vector<BuiltinOutputs>{
      {"Split", {{"output", "#num_split"}}},
      {"SplitV", {{"output", "#num_split"}}},
      {"Unpack", {{"output", "#num"}}},
      {"FusedBatchNorm",
       {{"y", ""}, {"batch_mean", ""}, {"batch_variance", ""}, {"reserve_space_1", ""},
        {"reserve_space_2", ""}}},
      {"FusedBatchNormV2",
       {{"y", ""}, {"batch_mean", ""}, {"batch_variance", ""}, {"reserve_space_1", ""},
        {"reserve_space_2", ""}}},
      {"FusedBatchNormV3",
       {{"y", ""}, {"batch_mean", ""}, {"batch_variance", ""}, {"reserve_space_1", ""},
        {"reserve_space_2", ""}, {"reserve_space_3", ""}}},
      {"TopKV2", {{"values", ""}, {"indices", ""}}},
      {"TopK", {{"values", ""}, {"indices", ""}}},
      {"Unique", {{"y", ""}, {"idx", ""}}},
      {"UniqueV2", {{"y", ""}, {"idx", ""}}},
      {"BroadcastGradientArgs", {{"r0", ""}, {"r1", ""}}},
      {"Switch", {{"output_false", ""}, {"output_true", ""}}},
      {"Merge", {{"output", ""}, {"value_index", ""}}},
      {"NonMaxSuppressionV4", {{"selected_indices", ""}, {"valid_outputs", ""}}},
      {"NonMaxSuppressionV5",
       {{"selected_indices", ""}, {"selected_scores", ""}, {"valid_outputs", ""}}},
      {"PartitionedCall", {{"output", "*Tout"}}},
      {"StatefulPartitionedCall", {{"output", "*Tout"}}},
      {"IdentityN", {{"output", "*T"}}},
      {"RestoreV2", {{"tensors", "*dtypes"}}},
      {"While", {{"output", "*T"}}},
      {"StatelessWhile", {{"output", "*T"}}},
      {"If", {{"output", "*Tout"}}},
      {"StatelessIf", {{"output", "*Tout"}}},
      {"Case", {{"output", "*Tout"}}},
      {"StatelessCase", {{"output", "*Tout"}}},
      {"TensorListPopBack", {{"output_handle", ""}, {"tensor", ""}}},
      {"TensorListConcatV2", {{"tensor", ""}, {"lengths", ""}}},
      {"TensorListConcat", {{"tensor", ""}, {"lengths", ""}}},
      {"LSTMBlockCell", {{"i", ""}, {"cs", ""}, {"f", ""}, {"o", ""}, {"ci", ""}, {"co", ""}, {"h", ""}}},
      {"BlockLSTM", {{"i", ""}, {"cs", ""}, {"f", ""}, {"o", ""}, {"ci", ""}, {"co", ""}, {"h", ""}}},
      {"BlockLSTMV2", {{"i", ""}, {"cs", ""}, {"f", ""}, {"o", ""}, {"ci", ""}, {"co", ""}, {"h", ""}}},
      {"GRUBlockCell", {{"r", ""}, {"u", ""}, {"c", ""}, {"h", ""}}},
  };
  return *table;
}

// How many tensors an output arg holds on `node`.
absl::StatusOr<int> ArgLength(const tf::NodeDef& node, const std::string& number_attr,
                              const std::string& type_list_attr) {
  if (!number_attr.empty()) {
    auto it = node.attr().find(number_attr);
    if (it == node.attr().end() || it->second.value_case() != tf::AttrValue::kI ||
        it->second.i() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                     ") lacks its length attribute '",
                                                     number_attr, "'"));
    }
    return static_cast<int>(it->second.i());
  }
  if (!type_list_attr.empty()) {
    auto it = node.attr().find(type_list_attr);
    if (it == node.attr().end()) {
      return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                     ") lacks its type-list attribute '",
                                                     type_list_attr, "'"));
    }
    return it->second.list().type_size();
  }
  return 1;
}

absl::Status NoSuchArg(const tf::NodeDef& node, const std::string& arg,
                       const std::vector<std::string>& known) {
  return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                 ") has no output named '", arg, "' (outputs: ",
                                                 absl::StrJoin(known, ", "), ")"));
}

}  // namespace

std::string FunctionAttr(const tf::FunctionDef& f, const std::string& name) {
  auto it = f.attr().find(name);
  return it == f.attr().end() ? "" : it->second.s();
}

bool ParseGraphInput(const std::string& input, std::string* node, int* output) {
  if (input.empty() || input[0] == '^') return false;
  const size_t colon = input.rfind(':');
  int index = 0;
  if (colon != std::string::npos && absl::SimpleAtoi(input.substr(colon + 1), &index) &&
      index >= 0) {
    *node = input.substr(0, colon);
    *output = index;
  } else {
    *node = input;
    *output = 0;
  }
  return true;
}

OpCatalog::OpCatalog(const tf::OpList* ops, const tf::FunctionDefLibrary* library) {
  if (ops != nullptr) {
    for (const auto& op : ops->op()) ops_.emplace(op.name(), &op);
  }
  if (library != nullptr) {
    for (const auto& f : library->function()) {
      functions_.emplace(f.signature().name(), &f);
      const std::string api = FunctionAttr(f, "api_implements");
      const std::string device = FunctionAttr(f, "api_preferred_device");
      if (!api.empty() && (device.empty() || device == "CPU")) portable_.emplace(api, &f);
    }
  }
}

const tf::OpDef* OpCatalog::FindOp(const std::string& op) const {
  auto it = ops_.find(op);
  return it == ops_.end() ? nullptr : it->second;
}

bool OpCatalog::KnowsOutputArgs(const std::string& op) const {
  if (FindOp(op) != nullptr) return true;
  for (const BuiltinOutputs& entry : BuiltinTable()) {
    if (op == entry.op) return true;
  }
  return false;
}

const tf::FunctionDef* OpCatalog::FindFunction(const std::string& name) const {
  auto it = functions_.find(name);
  if (it == functions_.end()) return nullptr;
  // One API, several implementations (Keras's CPU LSTM and its CuDNN twin):
  // the portable one, whichever the graph calls.
  const std::string api = FunctionAttr(*it->second, "api_implements");
  auto twin = api.empty() ? portable_.end() : portable_.find(api);
  return twin == portable_.end() ? it->second : twin->second;
}

std::string OpCatalog::CallTarget(const tf::NodeDef& node) {
  if (node.op() == "PartitionedCall" || node.op() == "StatefulPartitionedCall") {
    auto it = node.attr().find("f");
    if (it != node.attr().end() && it->second.has_func()) return it->second.func().name();
  }
  return "";
}

const tf::FunctionDef* OpCatalog::CalledFunction(const tf::NodeDef& node) const {
  const std::string target = CallTarget(node);
  if (!target.empty()) return FindFunction(target);
  return FindFunction(node.op());
}

absl::StatusOr<int> OpCatalog::FlatOutputIndex(const tf::NodeDef& node, const std::string& arg,
                                               int index) const {
  if (index < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("node '", node.name(), "': negative output index ", index));
  }
  std::vector<std::string> known;
  // A direct call: the function's signature names the outputs, one tensor each.
  if (CallTarget(node).empty()) {
    if (const tf::FunctionDef* f = FindFunction(node.op())) {
      const auto& outs = f->signature().output_arg();
      for (int k = 0; k < outs.size(); ++k) {
        if (outs[k].name() == arg) {
          if (index != 0) {
            return absl::InvalidArgumentError(absl::StrCat(
                "node '", node.name(), "' reads element ", index, " of function output '", arg,
                "', which holds one tensor"));
          }
          return k;
        }
        known.push_back(outs[k].name());
      }
      return NoSuchArg(node, arg, known);
    }
  }
  // Output args as (name, number_attr, type_list_attr), from the op's OpDef
  // or the built-in table; the node's outputs are their elements in order.
  struct OutputArg {
    std::string name, number_attr, list_attr;
  };
  std::vector<OutputArg> args;
  bool found = false;
  if (const tf::OpDef* def = FindOp(node.op())) {
    found = true;
    for (const auto& out : def->output_arg()) {
      args.push_back({out.name(), out.number_attr(), out.type_list_attr()});
    }
  } else {
    for (const BuiltinOutputs& entry : BuiltinTable()) {
      if (node.op() != entry.op) continue;
      found = true;
      for (const auto& [name, kind] : entry.args) {
        args.push_back({name, kind[0] == '#' ? kind + 1 : "", kind[0] == '*' ? kind + 1 : ""});
      }
      break;
    }
  }
  if (found) {
    int offset = 0;
    for (const OutputArg& out : args) {
      auto len = ArgLength(node, out.number_attr, out.list_attr);
      if (!len.ok()) return len.status();
      if (out.name == arg) {
        if (index >= *len) {
          return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                         ") output '", arg, "' has ", *len,
                                                         " tensor(s), element ", index,
                                                         " was asked for"));
        }
        return offset + index;
      }
      offset += *len;
      known.push_back(out.name);
    }
    return NoSuchArg(node, arg, known);
  }
  // Unknown op: most ops have a single output arg, whose elements are the
  // node's outputs. The inliner checks that one node is never read through
  // two different arg names, which would prove this wrong.
  return index;
}

namespace {

// A control input on a TF1 control-flow pivot (a conditional's switch_t /
// switch_f Identity, a loop's Merge or Identity): it places its node in a
// branch or loop frame, so it is kept.
bool IsPivotControl(const std::string& input,
                    const absl::flat_hash_map<std::string, int>& index,
                    const tf::GraphDef& graph, std::string* name) {
  if (input.empty() || input[0] != '^') return false;
  auto it = index.find(input.substr(1));
  if (it == index.end()) return false;
  const tf::NodeDef& target = graph.node(it->second);
  bool pivot = target.op() == "Switch" || target.op() == "Merge";
  if (target.op() == "Identity" && target.input_size() > 0) {
    std::string from;
    int k;
    if (ParseGraphInput(target.input(0), &from, &k)) {
      auto src = index.find(from);
      pivot = src != index.end() && graph.node(src->second).op() == "Switch";
    }
  }
  if (pivot) *name = target.name();
  return pivot;
}

}  // namespace

absl::StatusOr<tf::GraphDef> PruneToOutputs(const tf::GraphDef& graph,
                                            const std::vector<std::string>& outputs,
                                            const absl::flat_hash_set<std::string>& leaves) {
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < graph.node_size(); ++i) {
    if (!index.emplace(graph.node(i).name(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two nodes are named '", graph.node(i).name(), "'"));
    }
  }
  std::vector<bool> needed(graph.node_size(), false);
  std::deque<int> queue;
  for (const std::string& out : outputs) {
    auto it = index.find(out);
    if (it == index.end()) {
      return absl::NotFoundError(absl::StrCat("no node named '", out, "' in the graph"));
    }
    if (!needed[it->second]) {
      needed[it->second] = true;
      queue.push_back(it->second);
    }
  }
  while (!queue.empty()) {
    const tf::NodeDef& node = graph.node(queue.front());
    queue.pop_front();
    if (leaves.count(node.name())) continue;
    for (const std::string& in : node.input()) {
      std::string name;
      int k;
      if (!ParseGraphInput(in, &name, &k) && !IsPivotControl(in, index, graph, &name)) continue;
      auto it = index.find(name);
      if (it == index.end()) {
        return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                       ") reads '", in,
                                                       "', but no node is named '", name, "'"));
      }
      if (!needed[it->second]) {
        needed[it->second] = true;
        queue.push_back(it->second);
      }
    }
  }
  tf::GraphDef out;
  *out.mutable_versions() = graph.versions();
  for (int i = 0; i < graph.node_size(); ++i) {
    if (!needed[i]) continue;
    tf::NodeDef* node = out.add_node();
    *node = graph.node(i);
    const bool leaf = leaves.count(node->name()) > 0;
    auto* inputs = node->mutable_input();
    int w = 0;
    for (int r = 0; r < inputs->size(); ++r) {
      const std::string& in = inputs->Get(r);
      std::string pivot;
      if (in.empty() || (in[0] == '^' && !IsPivotControl(in, index, graph, &pivot))) continue;
      if (r != w) inputs->SwapElements(r, w);
      ++w;
    }
    while (inputs->size() > w) inputs->RemoveLast();
    auto has_dangling_input = [&]() {
      for (const std::string& in : node->input()) {
        std::string name;
        int k;
        if (!ParseGraphInput(in, &name, &k)) continue;
        auto it = index.find(name);
        if (it == index.end() || !needed[it->second]) return true;
      }
      return false;
    };
    if (leaf && node->op() != "Placeholder" && node->op() != "PlaceholderWithDefault") {
      // A cut that is not a placeholder keeps its inputs only if they are kept.
      if (has_dangling_input()) node->clear_input();
    }
    if (leaf && node->op() == "PlaceholderWithDefault") {
      if (has_dangling_input()) {
        // The default is not kept: the node is an input, so a Placeholder.
        node->set_op("Placeholder");
        node->clear_input();
      }
    }
  }
  return out;
}

absl::flat_hash_map<std::string, const tf::NodeDef*> IndexByName(const tf::GraphDef& graph) {
  absl::flat_hash_map<std::string, const tf::NodeDef*> by_name;
  for (const auto& node : graph.node()) by_name.emplace(node.name(), &node);
  return by_name;
}

const tf::NodeDef* TraceThroughIdentity(
    const absl::flat_hash_map<std::string, const tf::NodeDef*>& by_name, const std::string& input,
    int* output) {
  std::string name;
  int k = 0;
  if (!ParseGraphInput(input, &name, &k)) return nullptr;
  for (int guard = 0; guard < 10000; ++guard) {
    auto it = by_name.find(name);
    if (it == by_name.end()) return nullptr;
    const tf::NodeDef* node = it->second;
    const bool identity = node->op() == "Identity" || node->op() == "Snapshot" ||
                          node->op() == "StopGradient";
    const bool identity_n = node->op() == "IdentityN";
    if (!(identity && k == 0) && !identity_n) {
      if (output != nullptr) *output = k;
      return node;
    }
    // Data inputs only; IdentityN forwards input k to output k.
    int seen = 0;
    std::string next;
    for (const std::string& in : node->input()) {
      if (in.empty() || in[0] == '^') continue;
      if (seen++ == (identity_n ? k : 0)) {
        next = in;
        break;
      }
    }
    if (next.empty() || !ParseGraphInput(next, &name, &k)) return nullptr;
  }
  return nullptr;
}

absl::StatusOr<tf::GraphDef> PruneToOutputs(tf::GraphDef&& graph,
                                            const std::vector<std::string>& outputs,
                                            const absl::flat_hash_set<std::string>& leaves) {
  // Take the big constant payloads out (O(1) swaps), prune the light graph,
  // then give the payloads to the kept nodes.
  constexpr size_t kStashBytes = 4096;
  absl::flat_hash_map<std::string, std::string> stash;
  for (tf::NodeDef& node : *graph.mutable_node()) {
    if (node.op() != "Const") continue;
    auto it = node.mutable_attr()->find("value");
    if (it == node.mutable_attr()->end() || !it->second.has_tensor()) continue;
    std::string* content = it->second.mutable_tensor()->mutable_tensor_content();
    if (content->size() < kStashBytes) continue;
    stash[node.name()].swap(*content);
  }
  auto out = PruneToOutputs(static_cast<const tf::GraphDef&>(graph), outputs, leaves);
  if (out.ok()) {
    for (tf::NodeDef& node : *out->mutable_node()) {
      auto it = stash.find(node.name());
      if (it == stash.end()) continue;
      (*node.mutable_attr())["value"].mutable_tensor()->mutable_tensor_content()->swap(it->second);
    }
  }
  graph.Clear();
  return out;
}

}  // namespace onnxsmith::converter
