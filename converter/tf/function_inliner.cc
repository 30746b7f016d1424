#include "converter/tf/function_inliner.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace onnxsmith::converter {
namespace {

class Inliner {
 public:
  Inliner(const OpCatalog& catalog, const InlineOptions& options, InlineStats* stats)
      : catalog_(catalog), options_(options), stats_(stats) {}

  absl::StatusOr<tf::GraphDef> Run(const tf::GraphDef& graph) {
    *out_.mutable_versions() = graph.versions();
    for (const auto& node : graph.node()) names_.insert(node.name());
    for (const auto& node : graph.node()) {
      const tf::FunctionDef* f = Callee(node);
      if (f == nullptr || (options_.select && !options_.select(node))) {
        RETURN_IF_ERROR(Emit(node));
        continue;
      }
      std::vector<std::string> stack;
      RETURN_IF_ERROR(InlineCall(node, *f, 1, &stack));
    }
    return std::move(out_);
  }

 private:
  // The function `node` calls, nullptr when it calls none; a call to a
  // function missing from the library is reported by InlineCall's caller.
  const tf::FunctionDef* Callee(const tf::NodeDef& node) const {
    return catalog_.CalledFunction(node);
  }

  absl::Status Emit(tf::NodeDef node) {
    if (++emitted_ > options_.max_nodes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "inlining the function library makes the graph larger than ", options_.max_nodes,
          " nodes"));
    }
    *out_.add_node() = std::move(node);
    return absl::OkStatus();
  }

  std::string UniquePrefix(const std::string& call, const tf::FunctionDef& f) {
    for (int attempt = 0;; ++attempt) {
      const std::string prefix =
          attempt == 0 ? absl::StrCat(call, "/") : absl::StrCat(call, "/_inlined", attempt, "/");
      bool clash = false;
      for (const auto& b : f.node_def()) {
        if (names_.count(prefix + b.name())) {
          clash = true;
          break;
        }
      }
      if (!clash) return prefix;
    }
  }

  // A body's reference ("arg", "arg:0", "node:out_arg:index") in GraphDef
  // form ("outer_node:k").
  struct Body {
    const tf::FunctionDef* f;
    std::string prefix;
    absl::flat_hash_map<std::string, std::string> args;          // arg name -> outer tensor
    absl::flat_hash_map<std::string, const tf::NodeDef*> nodes;  // body node by name
    absl::flat_hash_map<std::string, std::string> arg_used;      // node -> out arg read (unknown ops)
  };

  absl::StatusOr<std::string> Translate(Body& body, const std::string& ref,
                                        const std::string& reader) {
    const std::string& fname = body.f->signature().name();
    std::vector<std::string> parts = absl::StrSplit(ref, ':');
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat("function '", fname, "': ", reader,
                                                     " reads '", ref, "': ", why));
    };
    if (parts.size() == 1 || (parts.size() == 2 && body.args.count(parts[0]))) {
      auto it = body.args.find(parts[0]);
      if (it == body.args.end()) {
        if (body.nodes.count(parts[0])) return absl::StrCat(body.prefix, parts[0], ":0");
        return bad("neither an argument nor a node of the function");
      }
      if (parts.size() == 2 && parts[1] != "0") return bad("arguments hold one tensor");
      return it->second;
    }
    auto node_it = body.nodes.find(parts[0]);
    if (node_it == body.nodes.end()) return bad("no node of that name in the function");
    int index = 0;
    if (parts.size() == 2) {
      // "node:k": already flat (GraphDef style, seen in hand-written bodies).
      if (!absl::SimpleAtoi(parts[1], &index) || index < 0) return bad("malformed reference");
      return absl::StrCat(body.prefix, parts[0], ":", index);
    }
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[2], &index)) {
      return bad("malformed reference");
    }
    const tf::NodeDef& producer = *node_it->second;
    if (!catalog_.KnowsOutputArgs(producer.op()) && catalog_.CalledFunction(producer) == nullptr &&
        OpCatalog::CallTarget(producer).empty()) {
      // Without an OpDef the single-output-arg rule is assumed; two different
      // arg names on one node disprove it.
      auto [it, fresh] = body.arg_used.emplace(parts[0], parts[1]);
      if (!fresh && it->second != parts[1]) {
        return bad(absl::StrCat("op ", producer.op(),
                                " has several output args and is not in the SavedModel's op "
                                "list, so its outputs cannot be numbered"));
      }
    }
    auto flat = catalog_.FlatOutputIndex(producer, parts[1], index);
    if (!flat.ok()) return bad(std::string(flat.status().message()));
    return absl::StrCat(body.prefix, parts[0], ":", *flat);
  }

  absl::Status InlineCall(const tf::NodeDef& call, const tf::FunctionDef& f, int depth,
                          std::vector<std::string>* stack) {
    const std::string& fname = f.signature().name();
    for (const std::string& s : *stack) {
      if (s == fname) {
        std::vector<std::string> chain(*stack);
        chain.push_back(fname);
        return absl::InvalidArgumentError(absl::StrCat(
            "function '", fname, "' calls itself (", absl::StrJoin(chain, " -> "),
            "): recursive functions cannot be inlined"));
      }
    }
    if (depth > options_.max_depth) {
      return absl::InvalidArgumentError(absl::StrCat("function calls nest deeper than ",
                                                     options_.max_depth, " levels (at '", fname,
                                                     "', called by node '", call.name(), "')"));
    }
    if (stats_ != nullptr) {
      ++stats_->calls_inlined;
      stats_->max_depth = std::max(stats_->max_depth, depth);
    }
    stack->push_back(fname);

    Body body;
    body.f = &f;
    std::vector<std::string> data_inputs;
    for (const std::string& in : call.input()) {
      if (!in.empty() && in[0] != '^') data_inputs.push_back(in);
    }
    const auto& in_args = f.signature().input_arg();
    if (static_cast<int>(data_inputs.size()) != in_args.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "node '", call.name(), "' calls function '", fname, "' with ", data_inputs.size(),
          " inputs; the function takes ", in_args.size()));
    }
    for (int i = 0; i < in_args.size(); ++i) {
      if (!in_args[i].number_attr().empty() || !in_args[i].type_list_attr().empty()) {
        return absl::UnimplementedError(absl::StrCat("function '", fname, "': argument '",
                                                     in_args[i].name(),
                                                     "' is a list, which is not supported"));
      }
      body.args[in_args[i].name()] = data_inputs[i];
    }
    for (const auto& b : f.node_def()) {
      if (!body.nodes.emplace(b.name(), &b).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("function '", fname, "' has two nodes named '", b.name(), "'"));
      }
      if (body.args.count(b.name())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "function '", fname, "': node '", b.name(), "' has the name of an argument"));
      }
    }
    body.prefix = UniquePrefix(call.name(), f);

    for (const auto& b : f.node_def()) {
      tf::NodeDef node;
      node.set_name(body.prefix + b.name());
      node.set_op(b.op());
      node.set_device(b.device());
      for (const auto& [key, value] : b.attr()) {
        if (value.value_case() == tf::AttrValue::kPlaceholder) {
          // A polymorphic body: the value comes from the call's attributes.
          auto it = call.attr().find(value.placeholder());
          if (it == call.attr().end()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "function '", fname, "': node '", b.name(), "' attribute '", key,
                "' refers to attribute '", value.placeholder(), "', which the call lacks"));
          }
          (*node.mutable_attr())[key] = it->second;
        } else {
          (*node.mutable_attr())[key] = value;
        }
      }
      for (const std::string& in : b.input()) {
        if (in.empty() || in[0] == '^') continue;
        ASSIGN_OR_RETURN(std::string outer, Translate(body, in, absl::StrCat("node '", b.name(), "'")));
        node.add_input(std::move(outer));
      }
      names_.insert(node.name());
      const tf::FunctionDef* callee = Callee(node);
      if (callee == nullptr && !OpCatalog::CallTarget(node).empty()) {
        return absl::NotFoundError(absl::StrCat(
            "function '", fname, "': node '", b.name(), "' calls function '",
            OpCatalog::CallTarget(node), "', which is not in ", options_.library_name));
      }
      if (callee != nullptr) {
        RETURN_IF_ERROR(InlineCall(node, *callee, depth + 1, stack));
      } else {
        RETURN_IF_ERROR(Emit(std::move(node)));
      }
    }

    // The call's outputs, under the call's name.
    tf::NodeDef outputs;
    outputs.set_name(call.name());
    outputs.set_device(call.device());
    const auto& out_args = f.signature().output_arg();
    const tf::AttrValue* tout = nullptr;
    if (auto it = call.attr().find("Tout"); it != call.attr().end()) tout = &it->second;
    tf::AttrValue types;
    for (int k = 0; k < out_args.size(); ++k) {
      auto ret = f.ret().find(out_args[k].name());
      if (ret == f.ret().end()) {
        return absl::InvalidArgumentError(absl::StrCat("function '", fname, "' returns no value for output '",
                                                       out_args[k].name(), "'"));
      }
      ASSIGN_OR_RETURN(std::string value,
                       Translate(body, ret->second, absl::StrCat("output '", out_args[k].name(), "'")));
      outputs.add_input(std::move(value));
      tf::DataType t = out_args[k].type();
      if (tout != nullptr && tout->list().type_size() > k) t = tout->list().type(k);
      if (t == tf::DT_INVALID && !out_args[k].type_attr().empty()) {
        auto it = call.attr().find(out_args[k].type_attr());
        if (it != call.attr().end()) t = it->second.type();
      }
      types.mutable_list()->add_type(t);
    }
    if (out_args.size() == 0) {
      outputs.set_op("NoOp");
    } else if (out_args.size() == 1) {
      outputs.set_op("Identity");
      (*outputs.mutable_attr())["T"].set_type(types.list().type(0));
    } else {
      outputs.set_op("IdentityN");
      (*outputs.mutable_attr())["T"] = types;
    }
    RETURN_IF_ERROR(Emit(std::move(outputs)));
    stack->pop_back();
    return absl::OkStatus();
  }

  const OpCatalog& catalog_;
  const InlineOptions& options_;
  InlineStats* stats_;
  tf::GraphDef out_;
  absl::flat_hash_set<std::string> names_;
  int64_t emitted_ = 0;
};

}  // namespace

absl::StatusOr<tf::GraphDef> InlineFunctionCalls(const tf::GraphDef& graph,
                                                 const OpCatalog& catalog,
                                                 const InlineOptions& options,
                                                 InlineStats* stats) {
  for (const auto& node : graph.node()) {
    const std::string target = OpCatalog::CallTarget(node);
    if (!target.empty() && catalog.FindFunction(target) == nullptr &&
        (!options.select || options.select(node))) {
      return absl::NotFoundError(absl::StrCat("node '", node.name(), "' calls function '", target,
                                              "', which is not in ",
                                              options.library_name));
    }
  }
  Inliner inliner(catalog, options, stats);
  return inliner.Run(graph);
}

}  // namespace onnxsmith::converter
