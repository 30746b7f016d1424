// What a handler sees of the TF node it converts: its attributes, its inputs
// as ONNX values (with the types known so far and constant contents where the
// producer is a constant), and an emitter of ONNX nodes (emit/op_context.h).
#ifndef ONNXSMITH_CONVERTER_HANDLERS_NODE_CONTEXT_H_
#define ONNXSMITH_CONVERTER_HANDLERS_NODE_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "converter/emit/graph_builder.h"
#include "converter/emit/layout.h"
#include "converter/emit/op_context.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf/proto/node_def.pb.h"
#include "ir/graph.h"

namespace onnxsmith::converter {

struct FunctionEnv;  // control_flow/function_body.h

// A TF node's OpContext (names start with the node's name) plus what is TF's
// own: attributes, constant inputs as TF reads them, the outputs' bindings.
class NodeContext : public OpContext {
 public:
  // The converter has checked `inputs` against the handler's declared arity.
  NodeContext(const tf::NodeDef& node, std::vector<std::string> inputs, int opset,
              GraphBuilder* builder);

  const tf::NodeDef& node() const { return node_; }
  const std::string& name() const { return node_.name(); }
  const std::string& op_type() const { return node_.op(); }

  // --- inputs (OpContext's: data inputs only; control inputs are dropped) ---
  // Input i as a constant integer list, or an error naming the node.
  absl::StatusOr<std::vector<int64_t>> const_ints(int i) const;
  // The operands' element type: TF's "T" attribute, known even where ONNX
  // inference is not (opsets above 17), else input 0's inferred type.
  ir::DataType element_type() const;

  // --- attributes ---
  bool has_attr(const std::string& name) const;
  absl::StatusOr<int64_t> attr_int(const std::string& name) const;
  int64_t attr_int(const std::string& name, int64_t default_value) const;
  float attr_float(const std::string& name, float default_value) const;
  bool attr_bool(const std::string& name, bool default_value) const;
  std::string attr_string(const std::string& name, const std::string& default_value) const;
  std::vector<int64_t> attr_ints(const std::string& name) const;
  // A type attribute ("T", "dtype", "DstT", ...) as an ONNX type.
  absl::StatusOr<ir::DataType> attr_type(const std::string& name) const;

  // The graph's function library, for control flow (While/If/Case bodies);
  // null where the graph has none.
  const FunctionEnv* functions() const { return functions_; }
  void set_functions(const FunctionEnv* functions) { functions_ = functions; }

  // --- outputs ---
  // Binds TF output `k` of this node to an ONNX value.
  void SetOutput(int k, const std::string& value);
  // Marks TF output `k` as an alias of `value` (no ONNX node, e.g. Identity).
  void SetOutputAlias(int k, const std::string& value) { SetOutput(k, value); }

  // --- the whole graph ---
  // The GraphDef the node belongs to, for the few ops that read nodes off
  // their data path (a lookup table's initializer); nullptr if not given.
  const tf::GraphDef* graph_def() const { return graph_def_; }
  void set_graph_def(const tf::GraphDef* graph_def) { graph_def_ = graph_def; }

 private:
  const tf::NodeDef& node_;
  const tf::GraphDef* graph_def_ = nullptr;
  const FunctionEnv* functions_ = nullptr;
};

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_HANDLERS_NODE_CONTEXT_H_
