// Builds an ONNX graph while handlers run: unique value names, the map from
// TF tensors ("node:k") to ONNX values, the types known for each value
// (seeded by inputs and constants, extended by ONNX's per-node inference),
// and the naming of the graph outputs (shared by the TF and Keras converters).
// Handlers emit through an OnnxEmitter (onnx_emitter.h) over a builder.
#ifndef ONNXSMITH_CONVERTER_EMIT_GRAPH_BUILDER_H_
#define ONNXSMITH_CONVERTER_EMIT_GRAPH_BUILDER_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace onnxsmith::converter {

class GraphBuilder {
 public:
  GraphBuilder(ir::Graph* graph, int opset);
  // A builder for a subgraph body (If/Loop/Scan) nested in `outer`, at its
  // opset: value names stay unique across the whole nest (ONNX forbids a body
  // to shadow an enclosing name), and the enclosing graphs' values keep their
  // types and constants when the body reads them.
  GraphBuilder(ir::Graph* body, GraphBuilder* outer);
  GraphBuilder(const GraphBuilder&) = delete;
  GraphBuilder& operator=(const GraphBuilder&) = delete;

  ir::Graph& graph() { return *graph_; }
  int opset() const { return opset_; }

  // A value name not used yet, derived from `hint`.
  std::string UniqueName(const std::string& hint);

  std::vector<std::string> AddNode(const std::string& name_hint, const std::string& op_type,
                                   const std::string& domain, std::vector<std::string> inputs,
                                   int num_outputs, std::vector<ir::Attribute> attrs);
  std::string AddConst(ir::Tensor value, const std::string& hint);
  void AddGraphInput(const std::string& name, ir::ValueType type);

  const ir::Tensor* FindConst(const std::string& value) const;
  ir::ValueType TypeOf(const std::string& value) const;
  void SetType(const std::string& value, ir::ValueType type);

  // TF tensor name ("node:k") -> ONNX value.
  void BindTfOutput(const std::string& tf_tensor, const std::string& value);
  const std::string* FindTfOutput(const std::string& tf_tensor) const;

  // For --outputs-as-nchw: `value` (NHWC, known rank >= 3) transposed to
  // NCHW, in a node named after output `name` (which errors name too).
  absl::StatusOr<std::string> TransposeToNchw(const std::string& value, const std::string& name);
  // Makes `value` the next graph output, named `name`. A value a node
  // produces is renamed (by FinishOutputs); a graph input, an initializer or
  // a value already renamed for another output goes out through an Identity
  // node named after `node_hint`.
  void AddGraphOutput(const std::string& value, const std::string& name,
                      const std::string& node_hint);
  // After the last AddGraphOutput: applies the renames and records the types
  // known for node outputs as value_info (under their final names).
  void FinishOutputs();

 private:
  // Makes what the enclosing graphs know of `value` known to inference here.
  void ImportOuter(const std::string& value);

  ir::Graph* graph_;
  int opset_;
  GraphBuilder* outer_ = nullptr;
  absl::flat_hash_set<std::string> own_names_;
  absl::flat_hash_set<std::string>* used_names_;  // the outermost builder's own_names_
  absl::flat_hash_map<std::string, std::string> tf_outputs_;
  absl::flat_hash_map<std::string, std::string> output_renames_;  // value -> output name
  ir::ShapeInferencer inferencer_;
};

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_GRAPH_BUILDER_H_
