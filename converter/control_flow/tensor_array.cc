#include "converter/control_flow/tensor_array.h"

#include <cstring>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/control_flow/graph_edit.h"

namespace onnxsmith::converter::control_flow {
namespace {

// Ops that pass a handle or a flow value through unchanged.
bool IsCarrier(const std::string& op) {
  return op == "Enter" || op == "Exit" || op == "Merge" || op == "Switch" ||
         op == "NextIteration" || op == "Identity" || op == "Snapshot";
}

std::optional<int64_t> ScalarInt(const tf::NodeDef* node) {
  if (node == nullptr || node->op() != "Const") return std::nullopt;
  auto it = node->attr().find("value");
  if (it == node->attr().end()) return std::nullopt;
  const tf::TensorProto& t = it->second.tensor();
  if (t.int_val_size() == 1) return t.int_val(0);
  if (t.int64_val_size() == 1) return t.int64_val(0);
  if (t.dtype() == tf::DT_INT32 && t.tensor_content().size() == 4) {
    int32_t v;
    std::memcpy(&v, t.tensor_content().data(), 4);
    return v;
  }
  if (t.dtype() == tf::DT_INT64 && t.tensor_content().size() == 8) {
    int64_t v;
    std::memcpy(&v, t.tensor_content().data(), 8);
    return v;
  }
  return std::nullopt;
}

tf::NodeDef ShapeConst(const std::string& name, const tf::TensorShapeProto& shape, bool leading) {
  tf::NodeDef node;
  node.set_name(name);
  node.set_op("Const");
  (*node.mutable_attr())["dtype"].set_type(tf::DT_INT32);
  tf::TensorProto* t = (*node.mutable_attr())["value"].mutable_tensor();
  t->set_dtype(tf::DT_INT32);
  if (shape.unknown_rank()) {
    t->add_int_val(-1);  // a scalar -1: any shape
    return node;
  }
  if (leading) t->add_int_val(-1);
  for (const auto& dim : shape.dim()) t->add_int_val(static_cast<int32_t>(dim.size()));
  t->mutable_tensor_shape()->add_dim()->set_size(t->int_val_size());
  return node;
}

tf::NodeDef EmptyInt64Const(const std::string& name) {
  tf::NodeDef node;
  node.set_name(name);
  node.set_op("Const");
  (*node.mutable_attr())["dtype"].set_type(tf::DT_INT64);
  tf::TensorProto* t = (*node.mutable_attr())["value"].mutable_tensor();
  t->set_dtype(tf::DT_INT64);
  t->mutable_tensor_shape()->add_dim()->set_size(0);
  return node;
}

class TensorArrayRewriter {
 public:
  TensorArrayRewriter(const GraphIndex& index, tf::GraphDef* graph)
      : index_(index), graph_(graph) {}

  absl::StatusOr<bool> Run() {
    for (int i = 0; i < index_.size(); ++i) {
      const std::string& op = index_.node(i).op();
      if (op == "TensorArrayV3") arrays_.push_back(i);
      else if (absl::StartsWith(op, "TensorArray")) ops_.push_back(i);
    }
    if (arrays_.empty() && ops_.empty()) return false;
    RETURN_IF_ERROR(FindHandleCarriers());
    absl::flat_hash_map<std::string, tf::NodeDef> replaced;
    std::vector<tf::NodeDef> added;
    for (int t : arrays_) {
      const tf::NodeDef& ta = index_.node(t);
      added.push_back(ShapeConst(ElementShapeName(t), ElementShape(ta), false));
      tf::NodeDef list = Fresh(ta, "TensorListReserve");
      list.add_input(ElementShapeName(t));
      list.add_input(ta.input(0));
      Attr(&list, "element_dtype").set_type(TypeAttr(ta, "dtype"));
      Attr(&list, "shape_type").set_type(tf::DT_INT32);
      replaced[ta.name()] = std::move(list);
    }
    for (int i : ops_) {
      ASSIGN_OR_RETURN(tf::NodeDef node, RewriteOp(i, &added));
      replaced[index_.node(i).name()] = std::move(node);
    }
    absl::flat_hash_set<std::string> array_names;
    for (int t : arrays_) array_names.insert(index_.node(t).name());
    for (tf::NodeDef& node : *graph_->mutable_node()) {
      auto it = replaced.find(node.name());
      if (it != replaced.end()) node = std::move(it->second);
      // The flow (output 1) of a TensorArray is now the list, output 0.
      for (std::string& input : *node.mutable_input()) {
        InputRef ref = ParseInput(input);
        if (ref.port == 1 && array_names.contains(ref.node)) input = ref.node;
      }
    }
    for (tf::NodeDef& node : added) *graph_->add_node() = std::move(node);
    absl::flat_hash_set<std::string> carriers;
    for (int c : handle_carriers_) carriers.insert(index_.node(c).name());
    RETURN_IF_ERROR(RemoveUnused(graph_, carriers));
    RETURN_IF_ERROR(RetypeFlows());
    return true;
  }

 private:
  std::string ElementShapeName(int t) const { return index_.node(t).name() + "/element_shape"; }

  static tf::AttrValue& Attr(tf::NodeDef* node, const std::string& name) {
    return (*node->mutable_attr())[name];
  }

  static tf::NodeDef Fresh(const tf::NodeDef& from, const std::string& op) {
    tf::NodeDef node;
    node.set_name(from.name());
    node.set_op(op);
    return node;
  }

  static tf::TensorShapeProto ElementShape(const tf::NodeDef& node) {
    auto it = node.attr().find("element_shape");
    if (it != node.attr().end() && it->second.has_shape()) return it->second.shape();
    tf::TensorShapeProto unknown;
    unknown.set_unknown_rank(true);
    return unknown;
  }

  // Every node passing a TensorArray handle on; handles may only reach
  // TensorArray ops (as their first input) and these carriers.
  absl::Status FindHandleCarriers() {
    absl::flat_hash_set<int> seen;
    std::vector<int> stack(arrays_.begin(), arrays_.end());
    while (!stack.empty()) {
      int p = stack.back();
      stack.pop_back();
      const bool is_array = index_.node(p).op() == "TensorArrayV3";
      for (int c : index_.Consumers(p)) {
        const auto& inputs = index_.Inputs(c);
        for (size_t k = 0; k < inputs.size(); ++k) {
          const InputRef& in = inputs[k];
          if (in.node != index_.node(p).name() || in.control() || (is_array && in.port != 0)) {
            continue;
          }
          const std::string& op = index_.node(c).op();
          if (k == 0 && absl::StartsWith(op, "TensorArray")) {
            array_of_[c] = is_array ? p : array_of_.at(p);
          } else if (IsCarrier(op)) {
            array_of_[c] = is_array ? p : array_of_.at(p);
            if (seen.insert(c).second) {
              handle_carriers_.push_back(c);
              stack.push_back(c);
            }
          } else {
            return absl::UnimplementedError(absl::StrCat(
                Describe(index_.node(c)), " reads the handle of TensorArray '",
                index_.node(is_array ? p : array_of_.at(p)).name(),
                "'; only TensorArray ops and Enter/Switch/Identity may"));
          }
        }
      }
    }
    for (int i : ops_) {
      if (!array_of_.contains(i)) {
        return absl::InvalidArgumentError(absl::StrCat(
            Describe(index_.node(i)), ": its handle does not come from a TensorArrayV3"));
      }
    }
    return absl::OkStatus();
  }

  // Whether two tensors surely hold the same value: the same tensor, or
  // stateless nodes of one op with equal attributes reading equal values
  // (Consts compare by content), a few levels deep.
  bool SameValue(const InputRef& a, const InputRef& b, int depth = 4) const {
    if (a.node == b.node && a.port == b.port) return true;
    int i = index_.IndexOf(a.node), j = index_.IndexOf(b.node);
    if (depth == 0 || i < 0 || j < 0 || a.port != b.port) return false;
    const tf::NodeDef& x = index_.node(i);
    const tf::NodeDef& y = index_.node(j);
    static const absl::flat_hash_set<std::string> kPure = {"Const", "StridedSlice", "Shape",
                                                          "Identity", "Cast", "Size"};
    if (x.op() != y.op() || !kPure.contains(x.op())) return false;
    if (x.attr().size() != y.attr().size()) return false;
    for (const auto& [key, value] : x.attr()) {
      if (key == "_class" || key == "_output_shapes") continue;
      auto it = y.attr().find(key);
      if (it == y.attr().end() || it->second.SerializeAsString() != value.SerializeAsString()) {
        return false;
      }
    }
    const auto& xin = index_.Inputs(i);
    const auto& yin = index_.Inputs(j);
    std::vector<InputRef> xd, yd;
    for (const InputRef& r : xin) if (!r.control()) xd.push_back(r);
    for (const InputRef& r : yin) if (!r.control()) yd.push_back(r);
    if (xd.size() != yd.size()) return false;
    for (size_t k = 0; k < xd.size(); ++k) {
      if (!SameValue(xd[k], yd[k], depth - 1)) return false;
    }
    return true;
  }

  // Whether `indices` is range(0, n, 1), n given by `is_limit`.
  bool IsFullRange(const std::string& indices,
                   const std::function<bool(const InputRef&)>& is_limit) const {
    int r = index_.IndexOf(ParseInput(indices).node);
    if (r < 0 || index_.node(r).op() != "Range" || index_.Inputs(r).size() < 3) return false;
    const auto& in = index_.Inputs(r);
    return ScalarInt(index_.Find(in[0].node)) == 0 && ScalarInt(index_.Find(in[2].node)) == 1 &&
           is_limit(in[1]);
  }

  absl::StatusOr<tf::NodeDef> RewriteOp(int i, std::vector<tf::NodeDef>* added) {
    const tf::NodeDef& n = index_.node(i);
    const int t = array_of_.at(i);
    const tf::NodeDef& ta = index_.node(t);
    std::vector<std::string> data, control;
    for (const std::string& input : n.input()) {
      (input[0] == '^' ? control : data).push_back(input);
    }
    const std::string& op = n.op();
    tf::NodeDef out;
    auto expect = [&](size_t count) -> absl::Status {
      if (data.size() == count) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(Describe(n), " has ", data.size(),
                                                     " data inputs, expected ", count));
    };
    const tf::DataType dtype = TypeAttr(ta, "dtype");
    if (op == "TensorArrayWriteV3") {
      RETURN_IF_ERROR(expect(4));
      out = Fresh(n, "TensorListSetItem");
      out.add_input(data[3]);
      out.add_input(data[1]);
      out.add_input(data[2]);
      // A dynamic-size array grows on writes past its end.
      auto dynamic = ta.attr().find("dynamic_size");
      Attr(&out, "resize_if_index_out_of_bounds")
          .set_b(dynamic != ta.attr().end() && dynamic->second.b());
    } else if (op == "TensorArrayReadV3") {
      RETURN_IF_ERROR(expect(3));
      out = Fresh(n, "TensorListGetItem");
      out.add_input(data[2]);
      out.add_input(data[1]);
      out.add_input(ElementShapeName(t));
    } else if (op == "TensorArrayGatherV3") {
      RETURN_IF_ERROR(expect(3));
      // stack() gathers range(0, size()); size() is the array's own size
      // input when that is fixed.
      auto fixed = ta.attr().find("dynamic_size");
      const bool fixed_size = fixed == ta.attr().end() || !fixed->second.b();
      const bool stack = IsFullRange(data[1], [&](const InputRef& ref) {
        if (fixed_size && SameValue(ref, ParseInput(ta.input(0)))) return true;
        int limit = index_.IndexOf(ref.node);
        return index_.node(limit).op() == "TensorArraySizeV3" && array_of_.contains(limit) &&
               array_of_.at(limit) == t;
      });
      out = Fresh(n, stack ? "TensorListStack" : "TensorListGather");
      out.add_input(data[2]);
      if (!stack) out.add_input(data[1]);
      out.add_input(ElementShapeName(t));
      if (stack) Attr(&out, "num_elements").set_i(-1);
    } else if (op == "TensorArrayScatterV3") {
      RETURN_IF_ERROR(expect(4));
      // unstack() scatters range(0, shape(value)[0]) into a fresh array;
      // that is the whole list when the array's size is the same number.
      const bool fresh = ParseInput(data[3]).node == ta.name() && ParseInput(data[3]).port == 1;
      const bool unstack = fresh && IsFullRange(data[1], [&](const InputRef& ref) {
        return SameValue(ref, ParseInput(ta.input(0)));
      });
      out = Fresh(n, unstack ? "TensorListFromTensor" : "TensorListScatterIntoExistingList");
      if (unstack) {
        out.add_input(data[2]);
        out.add_input(ElementShapeName(t));
        Attr(&out, "shape_type").set_type(tf::DT_INT32);
      } else {
        out.add_input(data[3]);
        out.add_input(data[2]);
        out.add_input(data[1]);
      }
    } else if (op == "TensorArraySizeV3") {
      RETURN_IF_ERROR(expect(2));
      out = Fresh(n, "TensorListLength");
      out.add_input(data[1]);
      return out;
    } else if (op == "TensorArrayConcatV3") {
      RETURN_IF_ERROR(expect(2));
      const std::string shape = n.name() + "/element_shape";
      const std::string leading = n.name() + "/leading_dims";
      auto it = n.attr().find("element_shape_except0");
      tf::TensorShapeProto except0;
      except0.set_unknown_rank(true);
      if (it != n.attr().end() && it->second.has_shape()) except0 = it->second.shape();
      added->push_back(ShapeConst(shape, except0, true));
      added->push_back(EmptyInt64Const(leading));
      out = Fresh(n, "TensorListConcatV2");
      out.add_input(data[1]);
      out.add_input(shape);
      out.add_input(leading);
      Attr(&out, "shape_type").set_type(tf::DT_INT32);
    } else if (op == "TensorArraySplitV3") {
      RETURN_IF_ERROR(expect(4));
      out = Fresh(n, "TensorListSplit");
      out.add_input(data[1]);
      out.add_input(ElementShapeName(t));
      out.add_input(data[2]);
      Attr(&out, "shape_type").set_type(tf::DT_INT32);
    } else if (op == "TensorArrayCloseV3") {
      out = Fresh(n, "NoOp");
    } else {
      return absl::UnimplementedError(absl::StrCat(
          Describe(n), ": this TensorArray op is not supported (gradients are not)"));
    }
    Attr(&out, "element_dtype").set_type(dtype);
    for (const std::string& c : control) out.add_input(c);
    if (op == "TensorArrayCloseV3") out.mutable_attr()->clear();
    return out;
  }

  // Values carrying a list through loop and cond plumbing become variants.
  absl::Status RetypeFlows() {
    ASSIGN_OR_RETURN(GraphIndex index, GraphIndex::Build(*graph_));
    std::vector<int> stack;
    for (int i = 0; i < index.size(); ++i) {
      const std::string& op = index.node(i).op();
      if (op == "TensorListReserve" || op == "TensorListSetItem" || op == "TensorListFromTensor" ||
          op == "TensorListScatterIntoExistingList" || op == "TensorListSplit") {
        stack.push_back(i);
      }
    }
    absl::flat_hash_set<int> done;
    while (!stack.empty()) {
      int p = stack.back();
      stack.pop_back();
      for (int c : index.Consumers(p)) {
        tf::NodeDef* node = graph_->mutable_node(c);
        if (!IsCarrier(node->op()) || !done.insert(c).second) continue;
        (*node->mutable_attr())["T"].set_type(tf::DT_VARIANT);
        stack.push_back(c);
      }
    }
    return absl::OkStatus();
  }

  const GraphIndex& index_;
  tf::GraphDef* graph_;
  std::vector<int> arrays_;
  std::vector<int> ops_;
  std::vector<int> handle_carriers_;
  absl::flat_hash_map<int, int> array_of_;  // TensorArray op or carrier -> TensorArrayV3
};

}  // namespace

absl::StatusOr<bool> RewriteTensorArrays(tf::GraphDef* graph) {
  ASSIGN_OR_RETURN(GraphIndex index, GraphIndex::Build(*graph));
  tf::GraphDef copy = *graph;  // the index refers to `graph`; edit a copy
  TensorArrayRewriter rewriter(index, &copy);
  ASSIGN_OR_RETURN(bool changed, rewriter.Run());
  if (changed) *graph = std::move(copy);
  return changed;
}

}  // namespace onnxsmith::converter::control_flow
