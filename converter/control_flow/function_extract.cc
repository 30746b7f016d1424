#include "converter/control_flow/function_extract.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/control_flow/op_outputs.h"

namespace onnxsmith::converter::control_flow {
namespace {

class Extractor {
 public:
  Extractor(const GraphIndex& index, const FunctionRequest& request)
      : index_(index), request_(request), args_(request.args) {}

  absl::StatusOr<ExtractedFunction> Run() {
    // Walk back from the outputs, deciding each reached node once.
    std::vector<std::string> stack(request_.outputs.rbegin(), request_.outputs.rend());
    while (!stack.empty()) {
      InputRef ref = ParseInput(stack.back());
      stack.pop_back();
      if (args_.contains(ref.Tensor())) continue;
      int i = index_.IndexOf(ref.node);
      if (i < 0) return absl::InvalidArgumentError(absl::StrCat("no node '", ref.node, "'"));
      if (decided_.contains(i)) continue;
      decided_.insert(i);
      ASSIGN_OR_RETURN(Reach reach, request_.reach(i));
      if (reach == Reach::kCapture) {
        captured_nodes_.insert(i);
        continue;
      }
      copied_.push_back(i);
      for (const InputRef& in : index_.Inputs(i)) {
        if (!in.control()) stack.push_back(in.Tensor());
      }
    }
    // A captured node's tensors read by the function become arguments.
    std::vector<std::string> captures;
    std::vector<tf::DataType> arg_types = request_.arg_types;
    for (int i : copied_) {
      for (const InputRef& in : index_.Inputs(i)) {
        int p = index_.IndexOf(in.node);
        if (in.control() || !captured_nodes_.contains(p) || args_.contains(in.Tensor())) continue;
        ASSIGN_OR_RETURN(tf::DataType t, OutputType(index_.node(p), in.port));
        args_[in.Tensor()] = static_cast<int>(arg_types.size());
        arg_types.push_back(t);
        captures.push_back(in.Tensor());
      }
    }
    for (const std::string& out : request_.outputs) {
      InputRef ref = ParseInput(out);
      int p = index_.IndexOf(ref.node);
      if (!captured_nodes_.contains(p) || args_.contains(ref.Tensor())) continue;
      ASSIGN_OR_RETURN(tf::DataType t, OutputType(index_.node(p), ref.port));
      args_[ref.Tensor()] = static_cast<int>(arg_types.size());
      arg_types.push_back(t);
      captures.push_back(ref.Tensor());
    }
    ExtractedFunction result;
    ASSIGN_OR_RETURN(result.function, Build(arg_types));
    result.captures = std::move(captures);
    result.copied = copied_;
    return result;
  }

 private:
  // A name for argument/output k that no copied node has.
  std::string FreeName(const char* prefix, int k) {
    for (int n = 0;; ++n) {
      std::string name = n == 0 ? absl::StrCat(prefix, k) : absl::StrCat(prefix, k, "_", n);
      if (!node_names_.contains(name)) return name;
    }
  }

  absl::StatusOr<std::string> Reference(const std::string& tensor) {
    auto arg = args_.find(tensor);
    if (arg != args_.end()) return arg_names_[arg->second];
    InputRef ref = ParseInput(tensor);
    return FunctionOutputRef(*index_.Find(ref.node), ref.port);
  }

  absl::StatusOr<tf::FunctionDef> Build(const std::vector<tf::DataType>& arg_types) {
    for (int i : copied_) node_names_.insert(index_.node(i).name());
    tf::FunctionDef f;
    tf::OpDef* sig = f.mutable_signature();
    sig->set_name(request_.name);
    for (size_t k = 0; k < arg_types.size(); ++k) {
      arg_names_.push_back(FreeName("cf_arg", static_cast<int>(k)));
      auto* arg = sig->add_input_arg();
      arg->set_name(arg_names_.back());
      arg->set_type(arg_types[k]);
    }
    for (size_t k = 0; k < request_.outputs.size(); ++k) {
      std::string name = FreeName("cf_out", static_cast<int>(k));
      auto* out = sig->add_output_arg();
      out->set_name(name);
      out->set_type(request_.output_types[k]);
      ASSIGN_OR_RETURN((*f.mutable_ret())[name], Reference(request_.outputs[k]));
    }
    // Copied nodes in graph order (any order is valid in a FunctionDef).
    std::vector<int> order = copied_;
    std::sort(order.begin(), order.end());
    for (int i : order) {
      tf::NodeDef* node = f.add_node_def();
      *node = index_.node(i);
      node->clear_input();
      node->clear_device();
      node->mutable_attr()->erase("_class");  // colocation with nodes left outside
      for (const InputRef& in : index_.Inputs(i)) {
        if (in.control()) {
          // Ordering among copied nodes is kept; edges to the boundary are not.
          if (node_names_.contains(in.node)) node->add_input("^" + in.node);
          continue;
        }
        ASSIGN_OR_RETURN(std::string ref, Reference(in.Tensor()));
        node->add_input(ref);
      }
    }
    return f;
  }

  const GraphIndex& index_;
  const FunctionRequest& request_;
  absl::flat_hash_map<std::string, int> args_;
  absl::flat_hash_set<int> decided_;
  absl::flat_hash_set<int> captured_nodes_;
  std::vector<int> copied_;
  absl::flat_hash_set<std::string> node_names_;
  std::vector<std::string> arg_names_;
};

}  // namespace

absl::StatusOr<ExtractedFunction> ExtractFunction(const GraphIndex& index,
                                                  const FunctionRequest& request) {
  return Extractor(index, request).Run();
}

tf::AttrValue UnknownShapes(int n) {
  tf::AttrValue value;
  auto* list = value.mutable_list();
  for (int k = 0; k < n; ++k) list->add_shape()->set_unknown_rank(true);
  return value;
}

tf::AttrValue TypeList(const std::vector<tf::DataType>& types) {
  tf::AttrValue value;
  auto* list = value.mutable_list();
  for (tf::DataType t : types) list->add_type(t);
  return value;
}

tf::AttrValue FuncAttr(const std::string& function) {
  tf::AttrValue value;
  value.mutable_func()->set_name(function);
  return value;
}

}  // namespace onnxsmith::converter::control_flow
