// A small GraphDef builder and a one-handler harness shared by the math op
// handler tests (math_ops_test.cc, math_reduce_test.cc).
#ifndef ONNXSMITH_TESTS_UNIT_MATH_OPS_TEST_UTIL_H_
#define ONNXSMITH_TESTS_UNIT_MATH_OPS_TEST_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "converter/emit/graph_builder.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf_converter.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter::math_test {


class TestGraph {
 public:
  TestGraph& Placeholder(const std::string& name, const std::vector<int64_t>& dims,
                         tf::DataType dtype = tf::DT_FLOAT) {
    tf::NodeDef* n = Node(name, "Placeholder", {});
    (*n->mutable_attr())["dtype"].set_type(dtype);
    auto* shape = (*n->mutable_attr())["shape"].mutable_shape();
    for (int64_t d : dims) shape->add_dim()->set_size(d);
    return *this;
  }

  TestGraph& FloatConst(const std::string& name, const std::vector<int64_t>& dims,
                        const std::vector<float>& values) {
    tf::TensorProto* t = ConstTensor(name, tf::DT_FLOAT, dims);
    for (float v : values) t->add_float_val(v);
    return *this;
  }

  TestGraph& IntConst(const std::string& name, const std::vector<int32_t>& values) {
    tf::TensorProto* t =
        ConstTensor(name, tf::DT_INT32, {static_cast<int64_t>(values.size())});
    for (int32_t v : values) t->add_int_val(v);
    return *this;
  }

  // The node under test; T is float unless `dtype` says otherwise.
  tf::NodeDef* Op(const std::string& name, const std::string& op,
                  const std::vector<std::string>& inputs, tf::DataType dtype = tf::DT_FLOAT) {
    tf::NodeDef* n = Node(name, op, inputs);
    (*n->mutable_attr())["T"].set_type(dtype);
    return n;
  }

  absl::StatusOr<ConversionResult> Convert(const std::string& output, int opset) const {
    ConvertOptions options;
    options.opset = opset;
    options.outputs.push_back(TensorSpec{output, 0, {}});
    return ConvertGraphDef(graph_, options);
  }

 private:
  tf::NodeDef* Node(const std::string& name, const std::string& op,
                    const std::vector<std::string>& inputs) {
    tf::NodeDef* n = graph_.add_node();
    n->set_name(name);
    n->set_op(op);
    for (const std::string& in : inputs) n->add_input(in);
    return n;
  }

  tf::TensorProto* ConstTensor(const std::string& name, tf::DataType dtype,
                               const std::vector<int64_t>& dims) {
    tf::NodeDef* n = Node(name, "Const", {});
    (*n->mutable_attr())["dtype"].set_type(dtype);
    tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
    t->set_dtype(dtype);
    for (int64_t d : dims) t->mutable_tensor_shape()->add_dim()->set_size(d);
    return t;
  }

  tf::GraphDef graph_;
};

inline void SetBool(tf::NodeDef* n, const std::string& attr, bool value) {
  (*n->mutable_attr())[attr].set_b(value);
}
inline void SetType(tf::NodeDef* n, const std::string& attr, tf::DataType value) {
  (*n->mutable_attr())[attr].set_type(value);
}

inline std::vector<std::string> OpTypes(const ir::Graph& g) {
  std::vector<std::string> ops;
  for (const auto& n : g.nodes) ops.push_back(n->op_type);
  return ops;
}

inline int Count(const ir::Graph& g, const std::string& op_type) {
  int count = 0;
  for (const auto& n : g.nodes) count += n->op_type == op_type;
  return count;
}

inline const ir::Node* FindNode(const ir::Graph& g, const std::string& op_type) {
  for (const auto& n : g.nodes) {
    if (n->op_type == op_type) return n.get();
  }
  return nullptr;
}

using Ops = std::vector<std::string>;

// Runs one handler on graph inputs of chosen types, without the driver.
class HandlerHarness {
 public:
  explicit HandlerHarness(int opset) : opset_(opset), builder_(&graph_, opset) {}

  void Input(const std::string& name, ir::DataType dtype,
             std::optional<std::vector<int64_t>> dims) {
    ir::ValueType type;
    type.dtype = dtype;
    if (dims) {
      type.shape.emplace();
      for (int64_t d : *dims) type.shape->push_back(ir::Dim{d, ""});
    }
    builder_.AddGraphInput(name, type);
  }

  absl::Status Run(const tf::NodeDef& node, std::vector<std::string> inputs) {
    ConvertFn fn = HandlerRegistry::Global().Find(node.op(), opset_);
    if (fn == nullptr) return absl::NotFoundError(node.op());
    NodeContext ctx(node, std::move(inputs), opset_, &builder_);
    return fn(ctx);
  }

  const ir::Graph& graph() const { return graph_; }

 private:
  int opset_;
  ir::Graph graph_;
  GraphBuilder builder_;
};

inline tf::NodeDef MakeNode(const std::string& name, const std::string& op, tf::DataType dtype) {
  tf::NodeDef node;
  node.set_name(name);
  node.set_op(op);
  (*node.mutable_attr())["T"].set_type(dtype);
  return node;
}


}  // namespace onnxsmith::converter::math_test

#endif  // ONNXSMITH_TESTS_UNIT_MATH_OPS_TEST_UTIL_H_
