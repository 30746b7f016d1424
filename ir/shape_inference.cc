#include "ir/shape_inference.h"

#include <exception>
#include <unordered_map>

#include "absl/container/flat_hash_set.h"
#include "ir/onnx_proto.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace onnxsmith::ir {

namespace {

// libonnx 1.12 knows schemas up to opset 17. Above it, ops whose inputs or
// attributes changed meaning after 17 must not be inferred with the old
// schema (e.g. ReduceMean-18 takes axes as an input, not an attribute).
const absl::flat_hash_set<std::string>& ChangedAfter17() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
      "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "Split", "Pad", "Resize",
      "ScatterElements", "ScatterND", "Col2Im", "AveragePool", "LpPool"};
  return *ops;
}

constexpr int kMaxSchemaOpset = 17;
// Constants up to this many elements are shown to inference as data.
constexpr int64_t kMaxDataElements = 64;

}  // namespace

struct ShapeInferencer::State {
  int opset;
  std::unordered_map<std::string, onnx::TypeProto> types;
  std::unordered_map<std::string, onnx::TensorProto> data;
};

ShapeInferencer::ShapeInferencer(int opset) : state_(std::make_unique<State>()) {
  state_->opset = opset;
}

ShapeInferencer::~ShapeInferencer() = default;

void ShapeInferencer::SetType(const std::string& value, const ValueType& type) {
  onnx::TypeProto proto;
  ToTypeProto(type, &proto);
  state_->types[value] = std::move(proto);
}

void ShapeInferencer::SetConstant(const std::string& value, const Tensor& tensor) {
  ValueType type;
  type.dtype = tensor.dtype();
  std::vector<Dim> dims;
  for (int64_t d : tensor.dims()) dims.push_back(Dim{d, ""});
  type.shape = std::move(dims);
  SetType(value, type);
  if (tensor.num_elements() <= kMaxDataElements && tensor.dtype() != DataType::kString) {
    ToTensorProto(tensor, value, &state_->data[value]);
  }
}

ValueType ShapeInferencer::TypeOf(const std::string& value) const {
  auto it = state_->types.find(value);
  return it == state_->types.end() ? ValueType{} : FromTypeProto(it->second);
}

void ShapeInferencer::InferNode(const Node& node) {
  if (!node.domain.empty()) return;
  if (state_->opset > kMaxSchemaOpset && ChangedAfter17().count(node.op_type)) return;
  const int schema_opset = std::min(state_->opset, kMaxSchemaOpset);
  const onnx::OpSchema* schema =
      onnx::OpSchemaRegistry::Schema(node.op_type, schema_opset, onnx::ONNX_DOMAIN);
  if (schema == nullptr || !schema->has_type_and_shape_inference_function()) return;

  onnx::NodeProto proto;
  proto.set_op_type(node.op_type);
  for (const auto& in : node.inputs) proto.add_input(in);
  for (const auto& out : node.outputs) proto.add_output(out);
  onnx::GraphProto scratch;
  for (const Attribute& a : node.attributes) {
    if (a.kind == Attribute::Kind::kGraph) return;  // subgraphs need a graph context
  }
  {  // The exporter's attribute encoding, through a one-node graph.
    Graph g;
    g.AddNode(node);
    ToGraphProto(g, &scratch);
    *proto.mutable_attribute() = scratch.node(0).attribute();
  }

  std::unordered_map<std::string, onnx::TypeProto*> types;
  for (const auto& in : node.inputs) {
    auto it = state_->types.find(in);
    if (it != state_->types.end()) types[in] = &it->second;
  }
  std::unordered_map<std::string, const onnx::TensorProto*> data;
  for (const auto& in : node.inputs) {
    auto it = state_->data.find(in);
    if (it != state_->data.end()) data[in] = &it->second;
  }
  std::unordered_map<std::string, const onnx::SparseTensorProto*> sparse;
  try {
    onnx::shape_inference::InferenceContextImpl ctx(proto, types, data, sparse);
    schema->GetTypeAndShapeInferenceFunction()(ctx);
    for (size_t k = 0; k < node.outputs.size() && k < ctx.getNumOutputs(); ++k) {
      const onnx::TypeProto* t = ctx.getOutputType(k);
      if (t != nullptr && t->has_tensor_type() && t->tensor_type().elem_type() != 0) {
        state_->types[node.outputs[k]] = *t;
      }
    }
  } catch (const std::exception&) {
    // Leave the outputs unknown; the checker run on the final model decides.
  }
  InferReshapeRank(node);
}

// libonnx 1.12 gives up on Reshape when the target shape is computed at run
// time; its length still fixes the output rank, which later ops need.
void ShapeInferencer::InferReshapeRank(const Node& node) {
  if (node.op_type != "Reshape" || node.inputs.size() < 2 || node.outputs.empty()) return;
  if (TypeOf(node.outputs[0]).shape) return;
  ValueType data = TypeOf(node.inputs[0]);
  ValueType shape = TypeOf(node.inputs[1]);
  if (data.dtype == DataType::kUndefined || !shape.shape || shape.shape->size() != 1 ||
      !(*shape.shape)[0].known()) {
    return;
  }
  ValueType out;
  out.dtype = data.dtype;
  out.shape = std::vector<Dim>(static_cast<size_t>((*shape.shape)[0].size));
  SetType(node.outputs[0], out);
}

}  // namespace onnxsmith::ir
